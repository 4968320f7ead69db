// ce::logger against spdlog, writing the same event: a constant message, three
// key-value fields (a string, an integer, a double), an RFC 3339 UTC timestamp with
// microseconds, the level and the call's file:line, as one JSON-shaped line.
//
// logger_sync/*      the calling thread renders the line and hands it to the sink.
// logger_async/*     the line goes through a bounded queue (8192 entries, blocking when
//                    full) to one worker thread. Real time: the worker's share counts.
//                    spdlog renders on the worker, ce on the caller (which is how a
//                    ce::log_scope's thread-local fields get into the line).
// logger_disabled/*  the event is below the threshold: the cost of saying no.
//
// Both "null" sinks render the line and then discard it. spdlog's own null_sink skips
// the formatter altogether, which would time spdlog doing less work than ce. spdlog
// gets the usual JSON recipe (fields spliced into the pattern by its format string,
// unescaped); ce escapes every string.
#include <ce/logger.hpp>

#include <benchmark/benchmark.h>
#include <spdlog/async.h>
#include <spdlog/async_logger.h>
#include <spdlog/details/null_mutex.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace {

constexpr std::size_t queue_capacity = 8192;

const std::string user = "ann";
int cents = 1999;
double latency_ms = 12.5;

// spdlog sink that renders with the sink's formatter, then drops the bytes.
template <typename Mutex>
class spdlog_discard_sink final : public spdlog::sinks::base_sink<Mutex> {
protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        spdlog::memory_buf_t line;
        this->formatter_->format(msg, line);
        benchmark::DoNotOptimize(line.data());
        benchmark::ClobberMemory();
    }
    void flush_() override {}
};

// ce sink that drops the rendered line; stateless, so thread-safe without a lock.
class ce_discard_sink final : public ce::log_sink {
public:
    void write(std::string_view line) override {
        benchmark::DoNotOptimize(line.data());
        benchmark::ClobberMemory();
    }
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
    auto pool = std::make_shared<spdlog::details::thread_pool>(queue_capacity, 1);
    auto logger = std::make_shared<spdlog::async_logger>(
        "bench", std::make_shared<spdlog_discard_sink<std::mutex>>(), pool, spdlog::async_overflow_policy::block);
    logger->set_pattern(spdlog_pattern, spdlog::pattern_time_type::utc);
    for (auto _ : state) {
        log_spdlog(*logger);
    }
}

void async_ce(benchmark::State& state) {
    auto queue = std::make_shared<ce::async_sink>(std::make_shared<ce_discard_sink>(),
                                                  ce::async_options{.capacity = queue_capacity});
    const ce::logger log{queue};
    for (auto _ : state) {
        log_ce(log);
    }
}

void disabled_spdlog(benchmark::State& state) {
    spdlog::logger logger("bench", std::make_shared<spdlog_discard_sink<spdlog::details::null_mutex>>());
    logger.set_level(spdlog::level::warn);
    for (auto _ : state) {
        log_spdlog(logger);
    }
}

void disabled_ce(benchmark::State& state) {
    const ce::logger log{std::make_shared<ce_discard_sink>(), {.level = ce::log_level::warn}};
    for (auto _ : state) {
        log_ce(log);
    }
}

}  // namespace

BENCHMARK(sync_spdlog)->Name("logger_sync/spdlog");
BENCHMARK(sync_ce)->Name("logger_sync/ce");
BENCHMARK(async_spdlog)->Name("logger_async/spdlog")->UseRealTime();
BENCHMARK(async_ce)->Name("logger_async/ce")->UseRealTime();
BENCHMARK(disabled_spdlog)->Name("logger_disabled/spdlog");
BENCHMARK(disabled_ce)->Name("logger_disabled/ce");
