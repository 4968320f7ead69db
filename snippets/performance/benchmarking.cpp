// Benchmarking: the chapter page shows the named regions of this file. The benchmarks
// are compiled twice: here, where doctest runs each of them briefly to prove it works
// (and that each variant computes what its baseline computes), and into
// bench/bench.benchmarking, where `make bench` times them.
#include <benchmark/benchmark.h>
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

// [sum-of-squares]
// The function being measured.
std::uint64_t sum_of_squares(const std::vector<std::uint32_t>& values) {
    std::uint64_t sum = 0;
    for (const std::uint32_t v : values) {
        sum += std::uint64_t{v} * v;
    }
    return sum;
}

// Its input: 1, 2, ..., n.
std::vector<std::uint32_t> numbers(std::size_t n) {
    std::vector<std::uint32_t> values(n);
    std::iota(values.begin(), values.end(), 1U);
    return values;
}
// [sum-of-squares]

// [done-right]
// Python: timeit.repeat(lambda: sum_of_squares(values), number=..., repeat=...)
void dead_code_kept(benchmark::State& state) {
    const std::vector<std::uint32_t> values = numbers(4096);  // set-up: not timed
    for (auto _ : state) {
        benchmark::DoNotOptimize(sum_of_squares(values));  // the result "escapes"
    }
    state.SetItemsProcessed(state.iterations() * 4096);
}
// [done-right]

// [dead-code]
// The result is never used, so the optimiser may delete the call, and the loop times
// nothing.
void dead_code_discarded(benchmark::State& state) {
    const std::vector<std::uint32_t> values = numbers(4096);
    for (auto _ : state) {
        [[maybe_unused]] const std::uint64_t sum = sum_of_squares(values);
    }
    state.SetItemsProcessed(state.iterations() * 4096);
}
// [dead-code]

// [clobber]
// Writes to memory the compiler can see are dead unless something reads them:
// ClobberMemory() says "all memory may be read here", so the stores must happen.
void clobber_fill(benchmark::State& state) {
    std::vector<std::uint32_t> buffer(4096);
    for (auto _ : state) {
        benchmark::DoNotOptimize(buffer.data());  // the buffer's address escapes...
        std::ranges::fill(buffer, 7U);
        benchmark::ClobberMemory();  // ...and its contents must be written by now
    }
    state.SetItemsProcessed(state.iterations() * 4096);
}
// [clobber]

// [closed-formula]
// 0 + 1 + ... + (n-1). An optimiser that recognises the induction variable can replace
// the loop with n(n-1)/2: then the time no longer grows with n.
std::uint64_t sum_below(std::uint64_t n) {
    std::uint64_t sum = 0;
    for (std::uint64_t i = 0; i < n; ++i) {
        sum += i;
    }
    return sum;
}

// Eight sums per iteration, for n and the seven numbers after it, so that even the
// formula takes long enough to be timed.
void closed_formula(benchmark::State& state) {
    auto n = static_cast<std::uint64_t>(state.range(0));
    for (auto _ : state) {
        for (std::uint64_t k = 0; k < 8; ++k) {
            benchmark::DoNotOptimize(n);  // n is unknown to the compiler: no constant folding
            benchmark::DoNotOptimize(sum_below(n + k));
        }
    }
}
// [closed-formula]

// [cold-cache]
// A fixture builds the data once per run, outside the timed loop. Each iteration makes
// 4096 dependent loads through a random cycle of indices (the next index is the value
// just loaded): the same work whatever the size, but a cycle over 16 KiB stays in the
// L1 cache, and one over 64 MiB misses L1 and L2 on nearly every load.
class chase : public benchmark::Fixture {
public:
    void SetUp(const benchmark::State& state) override {
        const auto n = static_cast<std::size_t>(state.range(0)) / sizeof(std::uint32_t);
        next_ = random_cycle(n);
    }
    void TearDown(const benchmark::State& /*state*/) override { next_ = {}; }

    static std::vector<std::uint32_t> random_cycle(std::size_t n) {
        std::vector<std::uint32_t> order(n);
        std::iota(order.begin(), order.end(), 0U);
        // NOLINTNEXTLINE(bugprone-random-generator-seed): the same cycle on every run
        std::shuffle(order.begin() + 1, order.end(), std::mt19937{42});
        std::vector<std::uint32_t> next(n);
        for (std::size_t i = 0; i < n; ++i) {
            next[order[i]] = order[(i + 1) % n];  // one cycle through every element
        }
        return next;
    }

protected:
    std::vector<std::uint32_t> next_;
};

BENCHMARK_DEFINE_F(chase, loads)(benchmark::State& state) {
    std::uint32_t at = 0;
    for (auto _ : state) {
        for (int i = 0; i < 4096; ++i) {
            at = next_[at];
        }
        benchmark::DoNotOptimize(at);
    }
    state.SetItemsProcessed(state.iterations() * 4096);
}
// [cold-cache]

// [noisy-neighbour]
// The same work, measured while other threads keep every core busy: the processes a
// laptop or a shared CI runner has. CPU time hardly changes; real time does, and so
// does its spread between repetitions.
class neighbours : public benchmark::Fixture {
public:
    void SetUp(const benchmark::State& state) override {
        stop_ = false;
        for (std::int64_t i = 0; i < state.range(0); ++i) {
            busy_.emplace_back([this] {
                std::uint64_t x = 1;
                while (!stop_.load(std::memory_order_relaxed)) {
                    x = x * 6364136223846793005U + 1;  // pure computation, no memory
                }
                benchmark::DoNotOptimize(x);
            });
        }
    }
    void TearDown(const benchmark::State& /*state*/) override {
        stop_ = true;
        busy_.clear();  // joins
    }

private:
    std::atomic<bool> stop_{false};
    std::vector<std::jthread> busy_;
};

BENCHMARK_DEFINE_F(neighbours, sum)(benchmark::State& state) {
    const std::vector<std::uint32_t> values = numbers(1 << 16);
    for (auto _ : state) {
        benchmark::DoNotOptimize(sum_of_squares(values));
    }
    state.SetItemsProcessed(state.iterations() * (1 << 16));
}
// [noisy-neighbour]

}  // namespace

// [registration]
// <group>/<variant>: make bench divides each variant by its group's first.
BENCHMARK(dead_code_kept)->Name("dead_code/result_used");
BENCHMARK(dead_code_discarded)->Name("dead_code/result_discarded");
BENCHMARK(clobber_fill)->Name("clobber/fill_4096");
BENCHMARK(closed_formula)->Name("closed_formula/n=1000")->Arg(1000);
BENCHMARK(closed_formula)->Name("closed_formula/n=1000000")->Arg(1'000'000);
BENCHMARK_REGISTER_F(chase, loads)->Name("cache/16KiB")->Arg(16 << 10);
BENCHMARK_REGISTER_F(chase, loads)->Name("cache/64MiB")->Arg(64 << 20);
BENCHMARK_REGISTER_F(neighbours, sum)->Name("neighbours/none")->Arg(0)->UseRealTime();
BENCHMARK_REGISTER_F(neighbours, sum)->Name("neighbours/two_busy_threads")->Arg(2)->UseRealTime();
// [registration]

// The one variant that is meant to measure nothing, declared in the results' context:
// tools/bench.py refuses to publish any other result under a nanosecond.
namespace {
bool declare_empty() noexcept {
    try {
        benchmark::AddCustomContext("ce_measures_nothing", "dead_code/result_discarded");
        return true;
    } catch (...) {  // out of memory before main: the result is then refused, not lost
        return false;
    }
}
[[maybe_unused]] const bool declared_empty = declare_empty();
}  // namespace

namespace {

// Runs the benchmarks whose names match, each for a moment, and keeps what they report.
struct collecting_reporter final : benchmark::BenchmarkReporter {
    std::vector<Run> runs;
    bool ReportContext(const Context& /*context*/) override { return true; }
    void ReportRuns(const std::vector<Run>& reported) override {
        runs.insert(runs.end(), reported.begin(), reported.end());
    }
};

std::vector<benchmark::BenchmarkReporter::Run> run_briefly(const std::string& filter) {
    std::string program = "benchmarking";
    std::string min_time = "--benchmark_min_time=0.001";
    std::vector<char*> argv{program.data(), min_time.data()};
    int argc = static_cast<int>(argv.size());
    benchmark::Initialize(&argc, argv.data());
    collecting_reporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter, filter);
    return reporter.runs;
}

}  // namespace

TEST_CASE("every variant computes what its baseline computes") {
    const std::vector<std::uint32_t> values = numbers(4096);
    // 1^2 + ... + n^2 = n(n+1)(2n+1)/6
    CHECK(sum_of_squares(values) == std::uint64_t{4096} * 4097 * 8193 / 6);
    CHECK(sum_of_squares({}) == 0);
    CHECK(sum_below(0) == 0);
    CHECK(sum_below(1) == 0);
    CHECK(sum_below(1000) == 1000ULL * 999 / 2);
    CHECK(sum_below(1'000'000) == 1'000'000ULL * 999'999 / 2);
}

TEST_CASE("the pointer-chasing fixture visits every element once per cycle") {
    for (const std::size_t n : {std::size_t{1}, std::size_t{2}, std::size_t{4096}}) {
        const std::vector<std::uint32_t> next = chase::random_cycle(n);
        std::vector<bool> seen(n);
        std::uint32_t at = 0;
        for (std::size_t step = 0; step < n; ++step) {
            CHECK_FALSE(seen[at]);
            seen[at] = true;
            at = next[at];
        }
        CHECK(at == 0);  // back to the start after exactly n steps
        CHECK(std::ranges::all_of(seen, [](bool b) { return b; }));
    }
}

TEST_CASE("each benchmark runs and reports, without errors") {
    const auto runs = run_briefly("dead_code|clobber|closed_formula|cache/16KiB|neighbours");
    CHECK(runs.size() == 8);  // every one registered, except the 64 MiB cache case
    for (const auto& run : runs) {
        INFO(run.benchmark_name());
        CHECK_FALSE(run.error_occurred);
        CHECK(run.iterations > 0);
    }
}

// A whole program for hyperfine: the sum of squares of 1..CE_N, printed.
TEST_CASE("workload: print the sum of squares of 1..CE_N") {
    const char* text = std::getenv("CE_N");
    const std::size_t n = text != nullptr ? std::strtoul(text, nullptr, 10) : 1000;
    const std::uint64_t sum = sum_of_squares(numbers(n));
    std::printf("%llu\n", static_cast<unsigned long long>(sum));
    CHECK(sum == std::uint64_t{n} * (n + 1) * (2 * n + 1) / 6);
}
