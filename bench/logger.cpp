// ce::logger against spdlog, writing the same event: a constant message, three
// key-value fields (a string, an integer, a double), an RFC 3339 UTC timestamp with
// microseconds, the level and the call's file:line, as one JSON-shaped line.
//
// logger_sync/*      the calling thread renders the line and hands it to the sink.
// logger_async/*     the line goes through a bounded queue (8192 entries, blocking when
//                    full) to one worker thread, end to end: after every 1,000 lines
//                    (and after the last) the caller waits until the sink has received
//                    every line it logged, inside the timed loop, so the time per line
//                    includes the worker's share and the caller's wait for it, not only
//                    the enqueue. spdlog renders on the worker, ce on the caller (which
//                    is how a ce::log_scope's thread-local fields get into the line).
// logger_disabled/*  a loop whose body does some tens of nanoseconds of real work
//                    (renders an order id and hashes it), alone (the baseline) and with
//                    one debug statement per iteration below the logger's threshold
//                    (info): what a disabled statement adds to the code around it.
//                    spdlog_should_log guards the call with logger->should_log(), as
//                    spdlog's documentation suggests for hot paths.
//
// Both "null" sinks render the line and then discard it. spdlog's own null_sink skips
// the formatter altogether, which would time spdlog doing less work than ce. spdlog
// gets the usual JSON recipe (fields spliced into the pattern by its format string,
// unescaped); ce escapes every string.
//
// This file builds twice: bench.logger calls Debian's prebuilt spdlog, a shared library
// (libspdlog.so: the logger's non-template members are calls across the library
// boundary), and bench.logger_header_only (bench/logger_header_only.cpp) compiles
// spdlog from its headers into the benchmark with the same flags, inlined as ce::logger
// is. Both use the same shared libfmt.
#include <ce/logger.hpp>

#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <spdlog/async.h>
#include <spdlog/async_logger.h>
#include <spdlog/details/null_mutex.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace {

constexpr std::size_t queue_capacity = 8192;
constexpr std::uint64_t drain_every = 1000;  // lines between two waits for the worker

const std::string user = "ann";
int cents = 1999;
double latency_ms = 12.5;

// Counts the lines a sink received, so that the caller can wait until a worker thread
// has written all it queued. The worker notifies only for the count awaited.
class line_counter {
public:
    void count() noexcept {
        if (written_.fetch_add(1) + 1 == awaited_.load()) {
            written_.notify_all();
        }
    }

    // Returns once `lines` lines have been counted.
    void wait_for(std::uint64_t lines) noexcept {
        awaited_.store(lines);  // seq_cst, as are count()'s: one of the two sees the other
        for (std::uint64_t seen = written_.load(); seen < lines; seen = written_.load()) {
            written_.wait(seen);
        }
    }

private:
    std::atomic<std::uint64_t> written_{0};
    std::atomic<std::uint64_t> awaited_{0};
};

// spdlog sink that renders with the sink's formatter, then drops the bytes.
template <typename Mutex>
class spdlog_discard_sink final : public spdlog::sinks::base_sink<Mutex> {
public:
    explicit spdlog_discard_sink(line_counter* counter = nullptr) noexcept : counter_(counter) {}

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        spdlog::memory_buf_t line;
        this->formatter_->format(msg, line);
        benchmark::DoNotOptimize(line.data());
        benchmark::ClobberMemory();
        if (counter_ != nullptr) {
            counter_->count();
        }
    }
    void flush_() override {}

private:
    line_counter* counter_;
};

// ce sink that drops the rendered line; thread-safe without a lock.
class ce_discard_sink final : public ce::log_sink {
public:
    explicit ce_discard_sink(line_counter* counter = nullptr) noexcept : counter_(counter) {}

    void write(std::string_view line) override {
        benchmark::DoNotOptimize(line.data());
        benchmark::ClobberMemory();
        if (counter_ != nullptr) {
            counter_->count();
        }
    }

private:
    line_counter* counter_;
};

// Renders {"ts":"…","level":"info","src":"logger.cpp:NN","msg":"…",<fields>}.
constexpr const char* spdlog_pattern = R"({"ts":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","src":"%s:%#",%v})";

void log_spdlog(spdlog::logger& logger) {
    SPDLOG_LOGGER_CALL(&logger, spdlog::level::info,
                       R"("msg":"payment captured","user":"{}","cents":{},"latency_ms":{})", user, cents,
                       latency_ms);
}

void log_ce(const ce::logger& log) {
    CE_LOG_INFO(log, "payment captured", "user", user, "cents", cents, "latency_ms", latency_ms);
}

// Whether the line just logged ends a batch: every drain_every lines, and the last one,
// so that the timed loop ends with every line written.
bool ends_batch(std::uint64_t sent, const benchmark::State& state) noexcept {
    return sent % drain_every == 0 || sent == static_cast<std::uint64_t>(state.max_iterations);
}

void sync_spdlog(benchmark::State& state) {
    spdlog::logger logger("bench", std::make_shared<spdlog_discard_sink<spdlog::details::null_mutex>>());
    logger.set_pattern(spdlog_pattern, spdlog::pattern_time_type::utc);
    for (auto _ : state) {
        log_spdlog(logger);
    }
}

void sync_ce(benchmark::State& state) {
    const ce::logger log{std::make_shared<ce_discard_sink>()};
    for (auto _ : state) {
        log_ce(log);
    }
}

void async_spdlog(benchmark::State& state) {
    line_counter written;  // outlives the worker, which the pool joins on destruction
    auto pool = std::make_shared<spdlog::details::thread_pool>(queue_capacity, 1);
    auto logger = std::make_shared<spdlog::async_logger>(
        "bench", std::make_shared<spdlog_discard_sink<std::mutex>>(&written), pool,
        spdlog::async_overflow_policy::block);
    logger->set_pattern(spdlog_pattern, spdlog::pattern_time_type::utc);
    std::uint64_t sent = 0;
    for (auto _ : state) {
        log_spdlog(*logger);
        if (ends_batch(++sent, state)) {
            // spdlog 1.10's flush() only queues a request for the worker and returns:
            // the sink's count is the way to know the worker is done.
            written.wait_for(sent);
        }
    }
}

void async_ce(benchmark::State& state) {
    line_counter written;  // outlives the worker, which the sink joins on destruction
    auto queue = std::make_shared<ce::async_sink>(std::make_shared<ce_discard_sink>(&written),
                                                  ce::async_options{.capacity = queue_capacity});
    const ce::logger log{queue};
    std::uint64_t sent = 0;
    for (auto _ : state) {
        log_ce(log);
        if (ends_batch(++sent, state)) {
            log.flush();             // returns once the worker has written every queued line
            written.wait_for(sent);  // so this one returns at once; it checks
        }
    }
}

// The work the disabled statements sit in: renders an order id as text
// ("order-000000001234", digits by fmt::format_int) and hashes the text (FNV-1a), a
// few tens of nanoseconds.
std::uint64_t order_hash(std::uint64_t order) noexcept {
    std::array<char, 18> text{'o', 'r', 'd', 'e', 'r', '-', '0', '0', '0', '0', '0', '0',
                              '0', '0', '0', '0', '0', '0'};
    const fmt::format_int digits(order % 1'000'000'000'000u);  // at most 12 digits
    std::copy_n(digits.data(), digits.size(), text.end() - static_cast<std::ptrdiff_t>(digits.size()));
    std::uint64_t hash = 0xcbf29ce484222325u;
    for (const char c : text) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 0x100000001b3u;
    }
    return hash;
}

void disabled_none(benchmark::State& state) {
    std::uint64_t order = 0;
    for (auto _ : state) {
        ++order;
        const std::uint64_t hash = order_hash(order);
        benchmark::DoNotOptimize(hash);
    }
}

void disabled_ce(benchmark::State& state) {
    const ce::logger log{std::make_shared<ce_discard_sink>(), {.level = ce::log_level::info}};
    std::uint64_t order = 0;
    for (auto _ : state) {
        ++order;
        const std::uint64_t hash = order_hash(order);
        CE_LOG_DEBUG(log, "order hashed", "order", order, "hash", hash);
        benchmark::DoNotOptimize(hash);
    }
}

// The synchronous spdlog logger of these benchmarks with its threshold at info, so that
// debug statements are below it.
std::shared_ptr<spdlog::logger> spdlog_at_info() {
    auto logger = std::make_shared<spdlog::logger>(
        "bench", std::make_shared<spdlog_discard_sink<spdlog::details::null_mutex>>());
    logger->set_pattern(spdlog_pattern, spdlog::pattern_time_type::utc);
    logger->set_level(spdlog::level::info);
    return logger;
}

void disabled_spdlog(benchmark::State& state) {
    const auto logger = spdlog_at_info();
    std::uint64_t order = 0;
    for (auto _ : state) {
        ++order;
        const std::uint64_t hash = order_hash(order);
        logger->debug(R"("msg":"order hashed","order":{},"hash":{})", order, hash);
        benchmark::DoNotOptimize(hash);
    }
}

void disabled_spdlog_should_log(benchmark::State& state) {
    const auto logger = spdlog_at_info();
    std::uint64_t order = 0;
    for (auto _ : state) {
        ++order;
        const std::uint64_t hash = order_hash(order);
        if (logger->should_log(spdlog::level::debug)) {
            logger->debug(R"("msg":"order hashed","order":{},"hash":{})", order, hash);
        }
        benchmark::DoNotOptimize(hash);
    }
}

}  // namespace

// The first variant of each group is its baseline.
BENCHMARK(sync_spdlog)->Name("logger_sync/spdlog");
BENCHMARK(sync_ce)->Name("logger_sync/ce");
BENCHMARK(async_spdlog)->Name("logger_async/spdlog")->UseRealTime();
BENCHMARK(async_ce)->Name("logger_async/ce")->UseRealTime();
BENCHMARK(disabled_none)->Name("logger_disabled/no_statement");
BENCHMARK(disabled_ce)->Name("logger_disabled/ce");
BENCHMARK(disabled_spdlog)->Name("logger_disabled/spdlog");
BENCHMARK(disabled_spdlog_should_log)->Name("logger_disabled/spdlog_should_log");
