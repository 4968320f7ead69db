// The cost of the decorators of design_patterns/decorators against a direct call.
//
// call/*     a function worth timing (FNV-1a over a 4 KiB buffer, a few microseconds)
//            called directly, through ce::retry (success path: no retry happens) and
//            through ce::timed with the real std::chrono::steady_clock.
// forward/*  a short function (the same hash over 16 bytes, 10-15 ns), so
//            that little besides the wrapper's own work is left, yet the baseline is a
//            measurable call and not the loop's overhead: ce::timed with a clock that
//            costs nothing isolates the forwarding layer, and ce::timed with
//            steady_clock shows the price of its two clock reads per call.
#include <ce/retry.hpp>
#include <ce/timed.hpp>

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace {

// Kept out of line, as a function from another translation unit would be: every
// variant then runs the very same instructions for the hash, at the same address, and
// differs only in what surrounds the call. Inlined into each loop, the copies of the
// hash land at different code alignments, which alone moved g++'s forward/* results
// by a fifth either way with identical instructions.
[[gnu::noinline]] std::uint64_t fnv1a(const std::string& key) noexcept {
    std::uint64_t hash = 0xcbf29ce484222325u;
    for (const char c : key) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 0x100000001b3u;
    }
    return hash;
}

// Counts elapsed time the cheapest way there is: not at all. Isolates the wrapper.
struct zero_cost_clock {
    [[nodiscard]] std::chrono::steady_clock::time_point now() const noexcept { return {}; }
};

struct sum_reporter {
    std::chrono::nanoseconds* total;
    void operator()(std::chrono::nanoseconds took) const noexcept { *total += took; }
};

const std::string key(4096, 'k');
const std::string short_key(16, 'k');  // longer than the small-string buffer: on the heap

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
    for (auto _ : state) {
        benchmark::DoNotOptimize(fnv1a(short_key));
    }
}

void forward_retry(benchmark::State& state) {
    auto hash = ce::retry(fnv1a, 3);
    for (auto _ : state) {
        benchmark::DoNotOptimize(hash(short_key));
    }
}

void forward_timed(benchmark::State& state) {
    std::chrono::nanoseconds total{0};
    auto hash = ce::timed(fnv1a, sum_reporter{&total}, zero_cost_clock{});
    for (auto _ : state) {
        benchmark::DoNotOptimize(hash(short_key));
    }
    benchmark::DoNotOptimize(total);
}

void forward_timed_steady(benchmark::State& state) {
    std::chrono::nanoseconds total{0};
    auto hash = ce::timed(fnv1a, sum_reporter{&total});
    for (auto _ : state) {
        benchmark::DoNotOptimize(hash(short_key));
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
