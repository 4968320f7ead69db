#pragma once
/**
 * @file
 * An instrumenting profiler: scoped zones, timed on entry and exit, per thread, written
 * as Chrome trace-event JSON (which Perfetto and `chrome://tracing` open) or summed up
 * per zone name, like the table `cProfile` prints.
 *
 * Sampling profilers (perf) say where the time goes without touching the code, but only
 * statistically and only per function. A zone names any block, counts every entry, and
 * shows on a timeline which thread did what, when, nested in what: the question a
 * sampling profile cannot answer for a request that waited.
 *
 * @snippet performance/profiling.cpp zones
 */

#include <ce/log_format.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ce {

/**
 * A zone's name, fixed at compile time.
 *
 * The profiler keeps the name's pointer, not a copy, so that entering a zone allocates
 * nothing. The constructor is `consteval`: only a constant expression (a string
 * literal, a `constexpr` array of static storage) converts, so a name cannot dangle: a
 * `std::string`'s buffer or a local array does not compile.
 */
class zone_name {
public:
    /// @param name a string literal, or another constant with static storage
    consteval zone_name(const char* name) : name_(name) {}  // NOLINT(google-explicit-constructor): literals convert

    /// The name.
    [[nodiscard]] constexpr std::string_view view() const { return name_; }

private:
    std::string_view name_;
};

/// One row of profiler::summary(): what cProfile calls ncalls, cumtime and tottime.
struct zone_stats {
    /// The zone's name.
    std::string_view name;
    /// How many times a zone of that name closed, on every thread.
    std::uint64_t calls = 0;
    /// Time inside those zones, the zones nested in them included (cProfile's cumtime).
    std::chrono::nanoseconds inclusive{0};
    /// Time inside those zones minus the time in zones nested in them (tottime).
    std::chrono::nanoseconds self{0};
};

class profile_zone;

/**
 * Collects zones from any number of threads.
 *
 * Each thread records into its own log, found through a thread-local cache, so threads
 * do not contend: a zone costs two clock reads and an uncontended lock of the thread's
 * own log, and no allocation once the log's buffer has grown. The timestamps are
 * `std::chrono::steady_clock`'s, counted from the profiler's construction.
 *
 * Thread safety: every member function may be called from any thread at any time;
 * write_chrome_trace() and summary() see the zones that had closed when they were
 * called (a zone is recorded when it closes). The profiler must outlive every
 * profile_zone that names it, as a mutex outlives its locks. Not copyable or movable:
 * threads hold pointers into it.
 */
class profiler {
public:
    profiler() = default;
    profiler(const profiler&) = delete;
    profiler& operator=(const profiler&) = delete;
    profiler(profiler&&) = delete;
    profiler& operator=(profiler&&) = delete;
    ~profiler() = default;

    /**
     * Names the calling thread in the trace (a `thread_name` metadata event), as
     * `threading.current_thread().name` names it in Python. Threads that are not named
     * appear as "thread N", numbered in the order they first recorded a zone.
     */
    void name_this_thread(std::string name) {
        thread_log& log = local();
        const std::scoped_lock lock(log.mutex);
        log.name = std::move(name);
    }

    /**
     * Writes every closed zone as Chrome trace-event JSON: one complete event (`"ph":
     * "X"`) per zone with its thread, start and duration in microseconds (nanosecond
     * precision), ordered by thread and start time, and the threads' names.
     */
    void write_chrome_trace(std::ostream& out) const {
        out << R"({"displayTimeUnit":"ns","traceEvents":[)";
        bool first = true;
        const auto separator = [&] {
            if (!first) {
                out << ",\n";
            }
            first = false;
        };
        for (const auto& [tid, name, events] : snapshot()) {
            separator();
            out << R"({"name":"thread_name","ph":"M","pid":1,"tid":)" << tid << R"(,"args":{"name":)";
            write_json_string(out, name);
            out << "}}";
            for (const event& e : events) {
                separator();
                out << R"({"name":)";
                write_json_string(out, e.name);
                out << R"(,"cat":"zone","ph":"X","pid":1,"tid":)" << tid << R"(,"ts":)";
                write_microseconds(out, e.start);
                out << R"(,"dur":)";
                write_microseconds(out, e.end - e.start);
                out << '}';
            }
        }
        out << "]}\n";
    }

    /**
     * Per zone name, over every thread: calls, inclusive and self time, sorted by self
     * time, largest first (`cProfile`'s `sort_stats("tottime")`). A zone's self time
     * excludes the zones that ran inside it on the same thread.
     */
    [[nodiscard]] std::vector<zone_stats> summary() const {
        std::unordered_map<std::string_view, zone_stats> by_name;
        for (const auto& thread : snapshot()) {
            // Sorted by start, the enclosing zone first: a stack of open zones finds each
            // zone's parent, whose self time loses the child's duration.
            std::vector<const event*> open;
            for (const event& e : thread.events) {
                while (!open.empty() && open.back()->end <= e.start) {
                    open.pop_back();
                }
                zone_stats& stats = by_name[e.name];
                stats.name = e.name;
                ++stats.calls;
                stats.inclusive += e.end - e.start;
                stats.self += e.end - e.start;
                // A zone that started inside another but outlived it (zones held across
                // a co_await can interleave) is its sibling, not its child.
                if (!open.empty() && e.end <= open.back()->end) {
                    by_name[open.back()->name].self -= e.end - e.start;
                }
                open.push_back(&e);
            }
        }
        std::vector<zone_stats> rows;
        rows.reserve(by_name.size());
        for (auto& [name, stats] : by_name) {
            rows.push_back(stats);
        }
        std::ranges::sort(rows, [](const zone_stats& a, const zone_stats& b) {
            return a.self != b.self ? a.self > b.self : a.name < b.name;
        });
        return rows;
    }

    /// How many zones have closed, on every thread.
    [[nodiscard]] std::size_t size() const {
        const std::scoped_lock lock(mutex_);
        std::size_t n = 0;
        for (const auto& log : logs_) {
            const std::scoped_lock log_lock(log->mutex);
            n += log->events.size();
        }
        return n;
    }

private:
    friend class profile_zone;
    using clock = std::chrono::steady_clock;

    struct event {
        std::string_view name;
        std::chrono::nanoseconds start;
        std::chrono::nanoseconds end;
    };

    struct thread_log {
        mutable std::mutex mutex;
        int tid = 0;
        std::string name;
        std::vector<event> events;
    };

    struct thread_copy {
        int tid;
        std::string name;
        std::vector<event> events;  // by start, enclosing zones first
    };

    // Which log the calling thread used last, and for which profiler: a profiler's serial
    // number is never reused, so a cache entry cannot point into a destroyed profiler's
    // logs that a new profiler at the same address would otherwise inherit.
    struct cache_entry {
        std::uint64_t serial = 0;
        thread_log* log = nullptr;
    };

    [[nodiscard]] std::chrono::nanoseconds now() const { return clock::now() - start_; }

    thread_log& local() {
        static thread_local cache_entry cached;
        if (cached.serial == serial_) {
            return *cached.log;
        }
        const std::scoped_lock lock(mutex_);
        auto [it, added] = by_thread_.try_emplace(std::this_thread::get_id(), nullptr);
        if (added) {
            auto& log = logs_.emplace_back(std::make_unique<thread_log>());
            log->tid = static_cast<int>(logs_.size());
            log->name = "thread " + std::to_string(log->tid);
            it->second = log.get();
        }
        cached = {serial_, it->second};
        return *it->second;
    }

    void record(thread_log& log, zone_name name, std::chrono::nanoseconds start) {
        const std::chrono::nanoseconds end = now();
        const std::scoped_lock lock(log.mutex);
        log.events.push_back({name.view(), start, end});
    }

    [[nodiscard]] std::vector<thread_copy> snapshot() const {
        std::vector<thread_copy> threads;
        {
            const std::scoped_lock lock(mutex_);
            threads.reserve(logs_.size());
            for (const auto& log : logs_) {
                const std::scoped_lock log_lock(log->mutex);
                threads.push_back({log->tid, log->name, log->events});
            }
        }
        for (thread_copy& thread : threads) {
            // Zones are recorded as they close, children before their parents.
            std::ranges::sort(thread.events, [](const event& a, const event& b) {
                return a.start != b.start ? a.start < b.start : a.end > b.end;
            });
        }
        return threads;
    }

    static void write_microseconds(std::ostream& out, std::chrono::nanoseconds t) {
        const auto ns = t.count();
        const auto fraction = ns % 1000;
        out << ns / 1000 << '.' << static_cast<char>('0' + fraction / 100)
            << static_cast<char>('0' + fraction / 10 % 10) << static_cast<char>('0' + fraction % 10);
    }

    // The book's one JSON string escaper (RFC 8259, ill-formed UTF-8 as U+FFFD), the
    // log format's: a trace viewer, like a log collector, rejects a file that is not JSON.
    static void write_json_string(std::ostream& out, std::string_view text) {
        detail::log_buffer escaped;
        detail::append_escaped(escaped, text);
        out << '"' << std::string_view(escaped.data(), escaped.size()) << '"';
    }

    static std::uint64_t next_serial() {
        static std::atomic<std::uint64_t> serial{0};
        return ++serial;
    }

    const std::uint64_t serial_ = next_serial();
    const clock::time_point start_ = clock::now();
    mutable std::mutex mutex_;
    std::unordered_map<std::thread::id, thread_log*> by_thread_;
    std::vector<std::unique_ptr<thread_log>> logs_;
};

/**
 * A zone: from construction to destruction, on the calling thread, recorded in a
 * profiler when it closes. Name it; an unnamed temporary closes at the end of its
 * statement, and the constructor is `[[nodiscard]]` so that the compiler says so.
 *
 * Not copyable or movable: a zone is a block of code.
 */
class profile_zone {
public:
    /// Opens the zone @p name in @p profiler.
    [[nodiscard]] profile_zone(profiler& profiler, zone_name name)
        : profiler_(profiler), log_(profiler.local()), name_(name), start_(profiler.now()) {}
    profile_zone(const profile_zone&) = delete;
    profile_zone& operator=(const profile_zone&) = delete;
    profile_zone(profile_zone&&) = delete;
    profile_zone& operator=(profile_zone&&) = delete;
    /// Closes the zone and records it.
    ~profile_zone() { profiler_.record(log_, name_, start_); }

private:
    profiler& profiler_;
    profiler::thread_log& log_;
    zone_name name_;
    std::chrono::nanoseconds start_;
};

}  // namespace ce
