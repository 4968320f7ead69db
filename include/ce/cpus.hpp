#pragma once
/**
 * @file
 * How many threads CPU-bound work should use: the CPUs this process may run on *and*
 * the CPU time its control group may spend. `std::thread::hardware_concurrency()`, like
 * Python's `os.cpu_count()`, counts the machine's CPUs and reads neither; Python 3.13's
 * `os.process_cpu_count()` reads the first but not the second.
 *
 * @snippet concurrency/io_vs_cpu.cpp usable-cpus
 *
 * Linux only: it reads `sched_getaffinity`, `/proc/self/cgroup` and the cgroup files
 * (version 2's `cpu.max`, version 1's `cpu.cfs_quota_us` and `cpu.cfs_period_us`).
 */

#include <ce/error.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>

#include <sched.h>

namespace ce {

namespace detail {

inline long parse_cgroup_number(std::string_view text, std::string_view what) {
    long value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size()) {
        throw usage_error("ce::cpus: " + std::string(what) + " is not a number: '" + std::string(text) + "'");
    }
    return value;
}

inline std::string_view trim(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\n");
    if (first == std::string_view::npos) {
        return {};
    }
    return text.substr(first, text.find_last_not_of(" \t\n") - first + 1);
}

inline std::optional<std::string> read_text(const std::filesystem::path& file) {
    std::ifstream in(file);
    if (!in) {
        return std::nullopt;
    }
    std::ostringstream text;
    text << in.rdbuf();
    return std::move(text).str();
}

// "cpu", "cpu,cpuacct": the v1 hierarchy whose files hold the CPU quota.
inline bool lists_cpu_controller(const std::string& controllers) {
    std::istringstream names(controllers);
    for (std::string name; std::getline(names, name, ',');) {
        if (name == "cpu") {
            return true;
        }
    }
    return false;
}

inline std::optional<double> tighter(std::optional<double> a, std::optional<double> b) {
    if (!a) {
        return b;
    }
    if (!b) {
        return a;
    }
    return std::min(*a, *b);
}

}  // namespace detail

/**
 * The CPU limit written in a cgroup v2 `cpu.max` file, `"<quota> <period>"` in
 * microseconds: quota / period CPUs, or std::nullopt for `"max <period>"` (no limit).
 * Throws ce::usage_error for any other text.
 */
[[nodiscard]] inline std::optional<double> parse_cpu_max(std::string_view cpu_max) {
    const std::string_view line = detail::trim(cpu_max);
    const auto space = line.find(' ');
    if (space == std::string_view::npos) {
        throw usage_error("ce::parse_cpu_max: expected '<quota> <period>', got '" + std::string(line) + "'");
    }
    const std::string_view quota = line.substr(0, space);
    const long period = detail::parse_cgroup_number(line.substr(space + 1), "the period");
    if (period <= 0) {
        throw usage_error("ce::parse_cpu_max: the period must be positive");
    }
    if (quota == "max") {
        return std::nullopt;
    }
    const long microseconds = detail::parse_cgroup_number(quota, "the quota");
    if (microseconds <= 0) {
        throw usage_error("ce::parse_cpu_max: the quota must be positive or 'max'");
    }
    return static_cast<double>(microseconds) / static_cast<double>(period);
}

/**
 * The CPU limit written in cgroup v1's `cpu.cfs_quota_us` and `cpu.cfs_period_us`:
 * quota / period CPUs, or std::nullopt when the quota is -1 (no limit). Throws
 * ce::usage_error for text that is not a number.
 */
[[nodiscard]] inline std::optional<double> parse_cfs_quota(std::string_view quota_us, std::string_view period_us) {
    const long quota = detail::parse_cgroup_number(detail::trim(quota_us), "cpu.cfs_quota_us");
    const long period = detail::parse_cgroup_number(detail::trim(period_us), "cpu.cfs_period_us");
    if (quota < 0) {
        return std::nullopt;
    }
    if (quota == 0 || period <= 0) {
        throw usage_error("ce::parse_cfs_quota: quota and period must be positive (or the quota -1)");
    }
    return static_cast<double>(quota) / static_cast<double>(period);
}

/**
 * The tightest CPU limit on this process's control group and its ancestors, in CPUs
 * (1.5 means one and a half CPUs' worth of time per period), or std::nullopt when none
 * is set. Reads cgroup v2 and v1 (whichever `proc_self_cgroup` names) below
 * `cgroup_root`; a group directory that does not exist below the root (a container
 * sees its own group as the root) contributes nothing, its ancestors still do. The
 * parameters exist for tests; the defaults are the live system.
 */
[[nodiscard]] inline std::optional<double> cgroup_cpu_limit(
    const std::filesystem::path& cgroup_root = "/sys/fs/cgroup",
    const std::filesystem::path& proc_self_cgroup = "/proc/self/cgroup") {
    const std::optional<std::string> membership = detail::read_text(proc_self_cgroup);
    if (!membership) {
        return std::nullopt;
    }
    std::optional<double> limit;
    std::istringstream lines(*membership);
    for (std::string line; std::getline(lines, line);) {
        // "<id>:<controllers>:<path>"; v2 has id 0 and no controllers.
        const auto first = line.find(':');
        const auto second = line.find(':', first == std::string::npos ? first : first + 1);
        if (first == std::string::npos || second == std::string::npos) {
            continue;
        }
        const std::string controllers = line.substr(first + 1, second - first - 1);
        const std::filesystem::path group = std::filesystem::path(line.substr(second + 1)).relative_path();
        std::filesystem::path base;
        bool v1 = false;
        if (controllers.empty()) {
            base = cgroup_root;
        } else if (detail::lists_cpu_controller(controllers)) {
            base = cgroup_root / controllers;  // mounted as "cpu" or "cpu,cpuacct"
            v1 = true;
        } else {
            continue;
        }
        for (std::filesystem::path dir = group;; dir = dir.parent_path()) {
            const std::filesystem::path here = base / dir;
            if (v1) {
                const auto quota = detail::read_text(here / "cpu.cfs_quota_us");
                const auto period = detail::read_text(here / "cpu.cfs_period_us");
                if (quota && period) {
                    limit = detail::tighter(limit, parse_cfs_quota(*quota, *period));
                }
            } else if (const auto cpu_max = detail::read_text(here / "cpu.max")) {
                limit = detail::tighter(limit, parse_cpu_max(*cpu_max));
            }
            if (dir.empty()) {
                break;
            }
        }
    }
    return limit;
}

/// The CPUs in this thread's affinity mask (`taskset`, `docker --cpuset-cpus`), at least 1.
[[nodiscard]] inline unsigned affinity_cpus() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (::sched_getaffinity(0, sizeof set, &set) != 0) {
        throw std::system_error(errno, std::system_category(), "sched_getaffinity");
    }
    return std::max(1U, static_cast<unsigned>(CPU_COUNT(&set)));
}

/**
 * The number of threads worth giving CPU-bound work: the affinity mask's CPUs, capped
 * by a cgroup limit rounded up (a limit of 1.5 CPUs still lets two threads run, each
 * for part of the time). At least 1. Any limit may be given, however large: Linux
 * accepts a cpu.max of about 1.8e10 CPUs, which caps nothing.
 *
 * @throws ce::usage_error when the limit is not a number (NaN).
 */
[[nodiscard]] inline unsigned usable_cpus(unsigned affinity, std::optional<double> limit) {
    const unsigned cpus = std::max(1U, affinity);
    if (!limit) {
        return cpus;
    }
    if (std::isnan(*limit)) {
        throw usage_error("ce::usable_cpus: the limit is not a number");
    }
    // Compared in double first: a limit beyond unsigned's range does not fit the
    // conversion, whose result would then be undefined (a fuzzer found this).
    const double rounded = std::ceil(*limit);
    if (rounded >= static_cast<double>(cpus)) {
        return cpus;
    }
    return rounded < 1 ? 1U : static_cast<unsigned>(rounded);
}

/// usable_cpus() of this process: affinity_cpus() capped by cgroup_cpu_limit().
[[nodiscard]] inline unsigned usable_cpus() { return usable_cpus(affinity_cpus(), cgroup_cpu_limit()); }

}  // namespace ce
