// False sharing, measured: two threads each add 2^22 times to a counter of their own.
//
// counters/padded    each counter aligned to its own 64-byte cache line (the baseline)
// counters/unpadded  the two counters side by side, 8 bytes apart: one cache line
// counters/shared    both threads add to one counter: real sharing, for comparison
//
// Every addition is a relaxed atomic fetch_add, so every one of them reaches the cache;
// the counts are checked. Real time: the work happens on the two threads, not on the
// one Google Benchmark times; starting them (tens of microseconds) is part of it.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <thread>

namespace {

constexpr std::size_t cache_line = 64;
constexpr std::uint64_t increments = std::uint64_t{1} << 22;

struct unpadded_counters {
    std::atomic<std::uint64_t> value[2] = {};
    std::atomic<std::uint64_t>& operator[](std::size_t t) { return value[t]; }
};

struct padded_counters {
    struct slot {
        alignas(cache_line) std::atomic<std::uint64_t> value{0};
    };
    slot slots[2];
    std::atomic<std::uint64_t>& operator[](std::size_t t) { return slots[t].value; }
};

struct one_counter {
    std::atomic<std::uint64_t> value{0};
    std::atomic<std::uint64_t>& operator[](std::size_t /*thread*/) { return value; }
};

static_assert(sizeof(unpadded_counters) == 16);
static_assert(sizeof(padded_counters) == 2 * cache_line);

void add(std::atomic<std::uint64_t>& counter) {
    for (std::uint64_t i = 0; i < increments; ++i) {
        counter.fetch_add(1, std::memory_order_relaxed);
    }
}

template <class Counters>
void count(benchmark::State& state) {
    for (auto _ : state) {
        Counters counters;
        {
            std::jthread first(add, std::ref(counters[0]));
            std::jthread second(add, std::ref(counters[1]));
        }
        const std::uint64_t total = counters[0].load() + (&counters[0] == &counters[1] ? 0 : counters[1].load());
        if (total != 2 * increments) {
            state.SkipWithError("lost increments");
        }
    }
}

}  // namespace

// The first variant of the group is its baseline.
BENCHMARK(count<padded_counters>)->Name("counters/padded")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(count<unpadded_counters>)->Name("counters/unpadded")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(count<one_counter>)->Name("counters/shared")->UseRealTime()->Unit(benchmark::kMillisecond);
