#pragma once
/**
 * @file
 * `multiprocessing.Pool(workers).map(f, inputs)` for functions that return plain
 * values: ce::process_map forks `workers` processes, each applies `f` to its stripe of
 * the inputs and writes the results straight into memory shared with the parent. No
 * pickling: the children are copies of the parent, so `f` and the inputs are already
 * there, and a result must be trivially copyable to cross back.
 *
 * @snippet concurrency/multiprocessing.cpp process-map-use
 *
 * Linux and POSIX only (`fork`, `mmap`). Call it from a process that has one thread:
 * a child forked from a threaded parent inherits every lock another thread held at that
 * moment, held forever (the multiprocessing page shows the deadlock).
 */

#include <ce/error.hpp>

#include <algorithm>
#include <cerrno>
#include <concepts>
#include <csignal>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <exception>
#include <functional>
#include <ranges>
#include <string>
#include <system_error>
#include <type_traits>
#include <vector>

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

namespace ce {

namespace detail {

// What a worker leaves for the parent when f throws: the input it failed on and the
// exception's message, cut to fit.
struct worker_report {
    std::size_t failed_index;
    bool failed;
    char message[240];
};

// One shared anonymous mapping: the workers' reports, then the results.
class shared_block {
public:
    explicit shared_block(std::size_t bytes) : bytes_(std::max<std::size_t>(bytes, 1)) {
        address_ = ::mmap(nullptr, bytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (address_ == MAP_FAILED) {
            throw std::system_error(errno, std::system_category(), "ce::process_map: mmap");
        }
    }
    shared_block(const shared_block&) = delete;
    shared_block& operator=(const shared_block&) = delete;
    shared_block(shared_block&&) = delete;
    shared_block& operator=(shared_block&&) = delete;
    ~shared_block() { ::munmap(address_, bytes_); }

    [[nodiscard]] std::byte* data() const noexcept { return static_cast<std::byte*>(address_); }

private:
    std::size_t bytes_;
    void* address_;
};

inline std::string describe_worker_end(std::size_t worker, int status, const worker_report& report) {
    std::string who = "ce::process_map: worker " + std::to_string(worker);
    if (WIFEXITED(status) && report.failed) {
        return who + " failed on input " + std::to_string(report.failed_index) + ": " + report.message;
    }
    if (WIFEXITED(status)) {
        return who + " exited with status " + std::to_string(WEXITSTATUS(status));
    }
    if (WIFSIGNALED(status)) {
        return who + " was killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
               ::strsignal(WTERMSIG(status)) + ")";
    }
    return who + " ended with wait status " + std::to_string(status);
}

}  // namespace detail

/**
 * Applies `f` to every element of `inputs` in `workers` forked processes (never more
 * than there are inputs) and returns the results in input order.
 *
 * Worker `w` takes inputs `w`, `w + workers`, `w + 2 * workers`, ... Every worker is
 * reaped before this returns or throws. When `f` throws in a worker, that worker stops
 * and this throws ce::error naming the worker, the input and the exception's message
 * (the exception itself stays in the child); a worker killed by a signal is reported
 * with the signal. Throws ce::usage_error when `workers` is 0, and std::system_error
 * when `mmap` or `fork` fails (workers already started are killed and reaped).
 *
 * Empty `inputs` forks nothing. Output buffered in `stdio` is flushed before forking,
 * so that no buffered line is written once per worker.
 */
template <std::ranges::random_access_range Inputs,
          class F,
          class Result = std::invoke_result_t<F&, std::ranges::range_reference_t<const Inputs>>>
    requires std::ranges::sized_range<Inputs> && std::is_trivially_copyable_v<Result> &&
             std::default_initializable<Result>
[[nodiscard]] std::vector<Result> process_map(F f, const Inputs& inputs, std::size_t workers) {
    if (workers == 0) {
        throw usage_error("ce::process_map: workers must be at least 1");
    }
    const std::size_t count = std::ranges::size(inputs);
    if (count == 0) {
        return {};
    }
    workers = std::min(workers, count);

    // Reports first, then the results at an offset aligned for Result.
    const std::size_t reports_bytes = workers * sizeof(detail::worker_report);
    const std::size_t results_offset = (reports_bytes + alignof(Result) - 1) / alignof(Result) * alignof(Result);
    const detail::shared_block block(results_offset + count * sizeof(Result));
    std::byte* const results = block.data() + results_offset;

    std::fflush(nullptr);
    std::vector<::pid_t> children;
    children.reserve(workers);
    for (std::size_t w = 0; w < workers; ++w) {
        const ::pid_t pid = ::fork();
        if (pid < 0) {
            const int error = errno;
            for (const ::pid_t child : children) {
                ::kill(child, SIGKILL);
                int ignored = 0;
                ::waitpid(child, &ignored, 0);
            }
            throw std::system_error(error, std::system_category(), "ce::process_map: fork");
        }
        if (pid == 0) {
            // The child: compute the stripe, leave a report if f throws, and _exit
            // without unwinding into the parent's copy of the stack.
            auto* report = reinterpret_cast<detail::worker_report*>(block.data()) + w;
            const auto first = std::ranges::begin(inputs);
            std::size_t i = w;
            try {
                for (; i < count; i += workers) {
                    const Result value = std::invoke(f, first[static_cast<std::ranges::range_difference_t<Inputs>>(i)]);
                    std::memcpy(results + i * sizeof(Result), &value, sizeof(Result));
                }
            } catch (const std::exception& e) {
                report->failed = true;
                report->failed_index = i;
                std::strncpy(report->message, e.what(), sizeof report->message - 1);
                ::_exit(1);
            } catch (...) {
                report->failed = true;
                report->failed_index = i;
                std::strncpy(report->message, "an exception not derived from std::exception",
                             sizeof report->message - 1);
                ::_exit(1);
            }
            ::_exit(0);
        }
        children.push_back(pid);
    }

    std::string failure;
    for (std::size_t w = 0; w < children.size(); ++w) {
        int status = 0;
        ::pid_t reaped = -1;
        do {
            reaped = ::waitpid(children[w], &status, 0);
        } while (reaped < 0 && errno == EINTR);
        if (reaped < 0 && failure.empty()) {
            failure = "ce::process_map: worker " + std::to_string(w) + " could not be waited for: " +
                      std::strerror(errno);
            continue;
        }
        const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        if (!ok && failure.empty()) {
            const auto* report = reinterpret_cast<const detail::worker_report*>(block.data()) + w;
            failure = detail::describe_worker_end(w, status, *report);
        }
    }
    if (!failure.empty()) {
        throw error(failure);
    }

    std::vector<Result> out(count);
    std::memcpy(out.data(), results, count * sizeof(Result));
    return out;
}

}  // namespace ce
