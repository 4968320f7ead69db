// What a ce::profiler zone costs, against the least any instrumenting profiler pays.
//
// zone/two-clock-reads    steady_clock::now() twice, the floor: a zone must read the
//                         clock when it opens and when it closes
// zone/ce-profile-zone    a ce::profile_zone opened and closed: the two reads, the
//                         thread's log found through its thread-local cache, an
//                         uncontended lock and a push_back (the log is cleared every
//                         2^16 zones so that memory stays flat over long runs)
#include <ce/profiler.hpp>

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <memory>

namespace {

void zone_two_clock_reads(benchmark::State& state) {
    for (auto _ : state) {
        const auto start = std::chrono::steady_clock::now();
        benchmark::DoNotOptimize(start);
        const auto end = std::chrono::steady_clock::now();
        benchmark::DoNotOptimize(end);
    }
}

void zone_ce_profile_zone(benchmark::State& state) {
    auto profiler = std::make_unique<ce::profiler>();
    std::uint32_t zones = 0;
    for (auto _ : state) {
        {
            const ce::profile_zone zone{*profiler, "zone"};
            benchmark::ClobberMemory();
        }
        if (++zones == 1U << 16U) {
            state.PauseTiming();
            profiler = std::make_unique<ce::profiler>();
            zones = 0;
            state.ResumeTiming();
        }
    }
}

}  // namespace

BENCHMARK(zone_two_clock_reads)->Name("zone/two-clock-reads");
BENCHMARK(zone_ce_profile_zone)->Name("zone/ce-profile-zone");
