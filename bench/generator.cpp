// The cost of a coroutine generator against a hand-written iterator producing the same
// sequence, on three workloads where one alone would mislead:
//
// trivial/*      4096 numbers of a xorshift64 sequence, summed: a few instructions per
//                element, so the generator's resumption is most of the cost
// realistic/*    4096 records parsed out of a text of "id,quantity,price" lines with
//                std::from_chars and summed: tens of nanoseconds of real work per element
// short_lived/*  512 sequences of 8 xorshift numbers each: creating the generator (its
//                frame is allocated on the heap) is paid once per 8 elements
//
// Every variant reports items per second (one item: one element); the consumer sums the
// values, and both variants of a group compute the same sum.
#include <ce/generator.hpp>

#include <benchmark/benchmark.h>

#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <string>
#include <string_view>

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

// "id,quantity,price\n" lines, parsed field by field.
struct record {
    std::uint64_t id;
    std::uint64_t quantity;
    std::uint64_t price;
};

std::string make_text(int lines) {
    std::string text;
    std::uint64_t x = seed;
    for (int i = 0; i < lines; ++i) {
        x = next(x);
        text += std::to_string(x % 1'000'000) + "," + std::to_string(x % 97) + "," + std::to_string(x % 10'000) + "\n";
    }
    return text;
}

// Parses the line at `at`; returns where the next line starts.
const char* parse_line(const char* at, const char* end, record& out) noexcept {
    at = std::from_chars(at, end, out.id).ptr + 1;
    at = std::from_chars(at, end, out.quantity).ptr + 1;
    return std::from_chars(at, end, out.price).ptr + 1;
}

class records {
public:
    explicit records(std::string_view text) : text_(text) {}

    class iterator {
    public:
        using value_type = record;
        using difference_type = std::ptrdiff_t;

        iterator() = default;
        iterator(const char* at, const char* end) : at_(at), end_(end) { ++*this; }

        const record& operator*() const noexcept { return current_; }
        iterator& operator++() noexcept {
            if (at_ == end_) {
                done_ = true;
            } else {
                at_ = parse_line(at_, end_, current_);
            }
            return *this;
        }
        void operator++(int) noexcept { ++*this; }
        friend bool operator==(const iterator& it, std::default_sentinel_t) noexcept { return it.done_; }

    private:
        const char* at_ = nullptr;
        const char* end_ = nullptr;
        record current_{};
        bool done_ = false;
    };

    [[nodiscard]] iterator begin() const noexcept { return {text_.data(), text_.data() + text_.size()}; }
    [[nodiscard]] std::default_sentinel_t end() const noexcept { return std::default_sentinel; }

private:
    std::string_view text_;
};

ce::generator<const record&> parse_records(std::string_view text) {
    const char* at = text.data();
    const char* end = text.data() + text.size();
    record current{};
    while (at != end) {
        at = parse_line(at, end, current);
        co_yield current;
    }
}

template <typename Range>
std::uint64_t revenue(Range&& rows) {
    std::uint64_t total = 0;
    for (const record& r : rows) {
        total += r.quantity * r.price;
    }
    return total;
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

const std::string text = make_text(length);

void realistic_hand_iterator(benchmark::State& state) {
    for (auto _ : state) {
        benchmark::DoNotOptimize(revenue(records(text)));
    }
    state.SetItemsProcessed(state.iterations() * length);
}

void realistic_generator(benchmark::State& state) {
    for (auto _ : state) {
        benchmark::DoNotOptimize(revenue(parse_records(text)));
    }
    state.SetItemsProcessed(state.iterations() * length);
}

constexpr int short_length = 8;
constexpr int sequences = 512;

void short_lived_hand_iterator(benchmark::State& state) {
    for (auto _ : state) {
        for (int i = 0; i < sequences; ++i) {
            int count = short_length;
            benchmark::DoNotOptimize(count);
            benchmark::DoNotOptimize(sum(xorshift_numbers(count)));
        }
    }
    state.SetItemsProcessed(state.iterations() * sequences * short_length);
}

void short_lived_generator(benchmark::State& state) {
    for (auto _ : state) {
        for (int i = 0; i < sequences; ++i) {
            int count = short_length;
            benchmark::DoNotOptimize(count);
            benchmark::DoNotOptimize(sum(xorshift(count)));
        }
    }
    state.SetItemsProcessed(state.iterations() * sequences * short_length);
}

// Both variants of each group compute the same result, or the comparison is void.
[[maybe_unused]] const bool checked = [] {
    if (sum(xorshift_numbers(length)) != sum(xorshift(length)) ||
        revenue(records(text)) != revenue(parse_records(text)) ||
        sum(xorshift_numbers(short_length)) != sum(xorshift(short_length))) {
        std::fputs("bench/generator.cpp: the variants disagree\n", stderr);
        std::abort();
    }
    return true;
}();

}  // namespace

// Baseline first: tools/bench.py divides every variant by the group's first one.
BENCHMARK(hand_iterator)->Name("trivial/hand_iterator");
BENCHMARK(generator)->Name("trivial/ce_generator");
BENCHMARK(realistic_hand_iterator)->Name("realistic/hand_iterator");
BENCHMARK(realistic_generator)->Name("realistic/ce_generator");
BENCHMARK(short_lived_hand_iterator)->Name("short_lived/hand_iterator");
BENCHMARK(short_lived_generator)->Name("short_lived/ce_generator");
