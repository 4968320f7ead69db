// The cost of a coroutine generator against a hand-written iterator producing the same
// sequence (xorshift64, so the compiler cannot fold the loop into a formula). The
// consumer sums the values; both variants must return the same sum.
#include <ce/generator.hpp>

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <iterator>

namespace {

constexpr std::uint64_t seed = 0x9E3779B97F4A7C15u;
constexpr int length = 4096;

constexpr std::uint64_t next(std::uint64_t x) noexcept {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
}

class xorshift_numbers {
public:
    explicit xorshift_numbers(int count) : count_(count) {}

    class iterator {
    public:
        using value_type = std::uint64_t;
        using difference_type = std::ptrdiff_t;

        iterator() = default;
        explicit iterator(int remaining) : remaining_(remaining) {}

        std::uint64_t operator*() const noexcept { return state_; }
        iterator& operator++() noexcept {
            state_ = next(state_);
            --remaining_;
            return *this;
        }
        void operator++(int) noexcept { ++*this; }
        friend bool operator==(const iterator& it, std::default_sentinel_t) noexcept {
            return it.remaining_ == 0;
        }

    private:
        std::uint64_t state_ = seed;
        int remaining_ = 0;
    };

    [[nodiscard]] iterator begin() const noexcept { return iterator{count_}; }
    [[nodiscard]] std::default_sentinel_t end() const noexcept { return std::default_sentinel; }

private:
    int count_;
};

ce::generator<std::uint64_t> xorshift(int count) {
    std::uint64_t state = seed;
    for (int i = 0; i < count; ++i) {
        co_yield state;
        state = next(state);
    }
}

template <typename Range>
std::uint64_t sum(Range&& numbers) {
    std::uint64_t total = 0;
    for (std::uint64_t x : numbers) {
        total += x;
    }
    return total;
}

void hand_iterator(benchmark::State& state) {
    for (auto _ : state) {
        int count = length;
        benchmark::DoNotOptimize(count);  // the length is not a compile-time constant
        benchmark::DoNotOptimize(sum(xorshift_numbers(count)));
    }
    state.SetItemsProcessed(state.iterations() * length);
}

void generator(benchmark::State& state) {
    for (auto _ : state) {
        int count = length;
        benchmark::DoNotOptimize(count);
        benchmark::DoNotOptimize(sum(xorshift(count)));
    }
    state.SetItemsProcessed(state.iterations() * length);
}

}  // namespace

// Baseline first: tools/bench.py divides every variant by the group's first one.
BENCHMARK(hand_iterator)->Name("iterate/hand_iterator");
BENCHMARK(generator)->Name("iterate/ce_generator");
