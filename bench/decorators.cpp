// The cost of the decorators of design_patterns/decorators against a direct call.
//
// call/*     a function worth timing (FNV-1a over a 4 KiB buffer, a few microseconds)
//            called directly, through ce::retry (success path: no retry happens) and
//            through ce::timed with the real std::chrono::steady_clock.
// forward/*  a trivial function, so only the wrapper's own work is left: ce::timed with a
//            clock that costs nothing isolates the forwarding layer, and ce::timed with
//            steady_clock shows the price of its two clock reads per call.
#include <ce/retry.hpp>
#include <ce/timed.hpp>

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace {

std::uint64_t fnv1a(const std::string& key) noexcept {
    std::uint64_t hash = 0xcbf29ce484222325u;
    for (const char c : key) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 0x100000001b3u;
    }
    return hash;
}

int add_one(int x) noexcept { return x + 1; }

// Counts elapsed time the cheapest way there is: not at all. Isolates the wrapper.
struct zero_cost_clock {
    [[nodiscard]] std::chrono::steady_clock::time_point now() const noexcept { return {}; }
};

struct sum_reporter {
    std::chrono::nanoseconds* total;
    void operator()(std::chrono::nanoseconds took) const noexcept { *total += took; }
};

const std::string key(4096, 'k');

void call_direct(benchmark::State& state) {
    for (auto _ : state) {
        benchmark::DoNotOptimize(fnv1a(key));
    }
}

void call_retry(benchmark::State& state) {
    auto hash = ce::retry(fnv1a, 3);
    for (auto _ : state) {
        benchmark::DoNotOptimize(hash(key));
    }
}

void call_timed(benchmark::State& state) {
    std::chrono::nanoseconds total{0};
    auto hash = ce::timed(fnv1a, sum_reporter{&total});
    for (auto _ : state) {
        benchmark::DoNotOptimize(hash(key));
    }
    benchmark::DoNotOptimize(total);
}

void forward_direct(benchmark::State& state) {
    int x = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(x);
        x = add_one(x);
    }
}

void forward_retry(benchmark::State& state) {
    auto wrapped = ce::retry(add_one, 3);
    int x = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(x);
        x = wrapped(x);
    }
}

void forward_timed(benchmark::State& state) {
    std::chrono::nanoseconds total{0};
    auto wrapped = ce::timed(add_one, sum_reporter{&total}, zero_cost_clock{});
    int x = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(x);
        x = wrapped(x);
    }
    benchmark::DoNotOptimize(total);
}

void forward_timed_steady(benchmark::State& state) {
    std::chrono::nanoseconds total{0};
    auto wrapped = ce::timed(add_one, sum_reporter{&total});
    int x = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(x);
        x = wrapped(x);
    }
    benchmark::DoNotOptimize(total);
}

}  // namespace

// The first variant of each group is its baseline.
BENCHMARK(call_direct)->Name("call/direct");
BENCHMARK(call_retry)->Name("call/retry");
BENCHMARK(call_timed)->Name("call/timed");
BENCHMARK(forward_direct)->Name("forward/direct");
BENCHMARK(forward_retry)->Name("forward/retry");
BENCHMARK(forward_timed)->Name("forward/timed_free_clock");
BENCHMARK(forward_timed_steady)->Name("forward/timed_steady_clock");
