// A two-way generator (Python's send) and itertools equivalents: the chapter page shows
// the named regions of this file.
#include <ce/generator.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <coroutine>
#include <cstddef>
#include <exception>
#include <optional>
#include <ranges>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace shop {

// [two-way]
// A coroutine that yields Out values and receives an In at each co_yield:
//     const In received = co_yield out;
// start() runs the body to its first co_yield (Python: next(gen)); send(x) resumes it
// with x as the value of that co_yield (gen.send(x)) and returns what it yields next,
// or nullopt once the body has returned. An exception from the body leaves send().
template <typename Out, typename In>
class two_way {
public:
    class promise_type {
    public:
        two_way get_return_object() noexcept {
            return two_way{std::coroutine_handle<promise_type>::from_promise(*this)};
        }
        [[nodiscard]] std::suspend_always initial_suspend() const noexcept { return {}; }
        [[nodiscard]] std::suspend_always final_suspend() const noexcept { return {}; }
        void return_void() const noexcept {}
        void unhandled_exception() noexcept { error_ = std::current_exception(); }

        // co_yield out: keep `out` for the caller, suspend, and make the co_yield
        // expression's value whatever send() stores in received_ before resuming.
        auto yield_value(Out out) {
            yielded_ = std::move(out);
            struct receive {
                promise_type& promise;
                [[nodiscard]] bool await_ready() const noexcept { return false; }
                void await_suspend(std::coroutine_handle<>) const noexcept {}
                [[nodiscard]] In await_resume() const { return std::move(promise.received_); }
            };
            return receive{*this};
        }

    private:
        friend two_way;
        std::optional<Out> yielded_;
        In received_{};  // In must be default-constructible
        std::exception_ptr error_;
    };

    two_way(two_way&& other) noexcept
        : coro_(std::exchange(other.coro_, {})), started_(other.started_) {}
    two_way& operator=(two_way&& other) noexcept {
        std::swap(coro_, other.coro_);  // other's destructor frees our old frame
        std::swap(started_, other.started_);
        return *this;
    }
    two_way(const two_way&) = delete;
    two_way& operator=(const two_way&) = delete;
    ~two_way() {
        if (coro_) {
            coro_.destroy();
        }
    }

    // Python: next(gen). Call once, first.
    std::optional<Out> start() { return resume(); }

    // Python: gen.send(value). Sending to a body that has not started is an error, as
    // Python's "can't send non-None value to a just-started generator".
    std::optional<Out> send(In value) {
        if (!started_) {
            throw std::logic_error("send() before start()");
        }
        if (coro_.done()) {
            return std::nullopt;
        }
        coro_.promise().received_ = std::move(value);
        return resume();
    }

private:
    explicit two_way(std::coroutine_handle<promise_type> coro) noexcept : coro_(coro) {}

    std::optional<Out> resume() {
        started_ = true;
        auto& promise = coro_.promise();
        promise.yielded_.reset();
        coro_.resume();
        if (promise.error_) {
            std::rethrow_exception(std::exchange(promise.error_, nullptr));
        }
        return std::exchange(promise.yielded_, std::nullopt);
    }

    std::coroutine_handle<promise_type> coro_;
    bool started_ = false;
};
// [two-way]

// [running-total]
// Python:  def running_total():
//              total = 0
//              while True:
//                  total += yield total
two_way<long, long> running_total() {
    long total = 0;
    while (true) {
        const long amount = co_yield total;
        if (amount < 0) {
            throw std::invalid_argument("a negative amount");
        }
        total += amount;
    }
}
// [running-total]

}  // namespace shop

TEST_CASE("a two-way generator receives a value at each co_yield") {
    // [running-total-test]
    auto totals = shop::running_total();
    CHECK(totals.start() == 0);     // next(totals)
    CHECK(totals.send(250) == 250);  // totals.send(250)
    CHECK(totals.send(100) == 350);
    CHECK_THROWS_AS(totals.send(-5), std::invalid_argument);  // raised by the body
    CHECK(totals.send(10) == std::nullopt);  // and the body is finished: StopIteration
    // [running-total-test]
}

TEST_CASE("sending before starting is an error, as in Python") {
    // [send-before-start]
    auto totals = shop::running_total();
    CHECK_THROWS_AS((void)totals.send(1), std::logic_error);
    // [send-before-start]
}

namespace shop {

// [enumerate]
// enumerate() and zip() for any input ranges, written with ce::generator. The ranges
// are taken as views, by value: a generator's parameters are copied into its frame,
// and a view copies only a pointer or two (std::views::all(vector) refers to it).
template <std::ranges::view V>
ce::generator<std::pair<std::size_t, std::ranges::range_reference_t<V>>> enumerate(V items) {
    std::size_t i = 0;
    for (auto&& item : items) {
        co_yield {i++, item};
    }
}

// Stops at the shorter range, like Python's zip() without strict=True.
template <std::ranges::view A, std::ranges::view B>
ce::generator<std::pair<std::ranges::range_reference_t<A>, std::ranges::range_reference_t<B>>>
zip(A a, B b) {
    auto ia = std::ranges::begin(a);
    auto ib = std::ranges::begin(b);
    for (; ia != std::ranges::end(a) && ib != std::ranges::end(b); ++ia, ++ib) {
        co_yield {*ia, *ib};
    }
}
// [enumerate]

}  // namespace shop

TEST_CASE("enumerate and zip over any ranges, through ce::generator") {
    // [enumerate-test]
    const std::vector<std::string> skus{"tee", "mug", "cap"};
    const std::vector<int> counts{3, 1};  // one fewer

    std::vector<std::string> lines;
    for (const auto& [i, sku] : shop::enumerate(std::views::all(skus))) {  // enumerate(skus)
        lines.push_back(std::to_string(i) + ":" + sku);
    }
    CHECK(lines == std::vector<std::string>{"0:tee", "1:mug", "2:cap"});

    lines.clear();
    for (const auto& [sku, n] : shop::zip(std::views::all(skus), std::views::all(counts))) {
        lines.push_back(sku + "x" + std::to_string(n));
    }
    CHECK(lines == std::vector<std::string>{"teex3", "mugx1"});  // "cap" dropped, silently
    // [enumerate-test]
}

TEST_CASE("for random-access ranges, C++20 views do enumerate and zip without a coroutine") {
    // [views-enumerate]
    const std::vector<std::string> skus{"tee", "mug", "cap"};
    const std::vector<int> counts{3, 1, 4};
    // enumerate: iota over the indices, transform to (index, element)
    auto numbered = std::views::iota(std::size_t{0}, skus.size()) |
                    std::views::transform([&](std::size_t i) { return std::pair{i, skus[i]}; });
    CHECK(numbered[2] == std::pair<std::size_t, std::string>{2, "cap"});
    // zip: the same, over the shorter length
    const std::size_t n = std::min(skus.size(), counts.size());
    auto zipped = std::views::iota(std::size_t{0}, n) |
                  std::views::transform([&](std::size_t i) { return std::pair{skus[i], counts[i]}; });
    CHECK(zipped[1] == std::pair<std::string, int>{"mug", 1});
    // A C++20 alternative for a loop: range-for with an init-statement.
    std::size_t found = skus.size();
    for (std::size_t i = 0; const auto& sku : skus) {
        if (sku == "mug") {
            found = i;
        }
        ++i;
    }
    CHECK(found == 1);
    // [views-enumerate]
}

TEST_CASE("chain, islice, count, takewhile and friends as C++20 views") {
    // [views-itertools]
    const std::vector<int> morning{5, 3};
    const std::vector<int> evening{8, 1, 2};

    // itertools.chain(morning, evening): join a range of ranges (of one type)
    const std::array<std::span<const int>, 2> days{morning, evening};
    auto all_day = days | std::views::join;
    CHECK(std::ranges::equal(all_day, std::vector<int>{5, 3, 8, 1, 2}));

    // itertools.islice(count(10), 2, 5): iota is count, drop and take are islice
    auto sliced = std::views::iota(10) | std::views::drop(2) | std::views::take(3);
    CHECK(std::ranges::equal(sliced, std::vector<int>{12, 13, 14}));

    // itertools.takewhile / dropwhile, and reversed()
    auto before_eight = all_day | std::views::take_while([](int x) { return x != 8; });
    CHECK(std::ranges::equal(before_eight, std::vector<int>{5, 3}));
    auto from_eight = all_day | std::views::drop_while([](int x) { return x != 8; });
    CHECK(std::ranges::equal(from_eight, std::vector<int>{8, 1, 2}));
    CHECK(std::ranges::equal(evening | std::views::reverse, std::vector<int>{2, 1, 8}));
    // [views-itertools]
}

namespace shop {

// [accumulate]
// itertools.accumulate as a lazy generator: the running sums of any input range.
template <std::ranges::view V>
ce::generator<std::ranges::range_value_t<V>> accumulate(V items) {
    std::ranges::range_value_t<V> sum{};
    for (auto&& item : items) {
        sum += item;
        co_yield sum;
    }
}
// [accumulate]

}  // namespace shop

TEST_CASE("a generator composes with views: accumulate, then take") {
    // [accumulate-test]
    std::vector<int> sums;
    for (int s : shop::accumulate(std::views::iota(1)) | std::views::take(4)) {  // infinite input
        sums.push_back(s);
    }
    CHECK(sums == std::vector<int>{1, 3, 6, 10});
    // [accumulate-test]
}

// [cpp23-views]
// zip, enumerate and chunk are C++23 views (std::views::zip, std::views::enumerate,
// std::views::chunk); each comes with a feature-test macro, and libstdc++ 12 in this
// C++20 build defines none of them.
constexpr bool has_cpp23_views =
#if defined(__cpp_lib_ranges_zip) || defined(__cpp_lib_ranges_enumerate) || defined(__cpp_lib_ranges_chunk)
    true;
#else
    false;
#endif
static_assert(!has_cpp23_views, "std::views::zip/enumerate/chunk exist now: use them here");
// [cpp23-views]

TEST_CASE("a filter view remembers where it began; a Python filter is used up") {
    // [filter-caches-begin]
    std::vector<int> quantities{1, 2, 3};
    auto even = quantities | std::views::filter([](int q) { return q % 2 == 0; });
    CHECK(std::ranges::distance(even) == 1);  // the first pass finds 2, and caches it
    quantities[0] = 4;                        // now 4, 2, 3: two even quantities
    CHECK(std::ranges::distance(even) == 1);  // still 1: iteration starts at the cached 2
    auto fresh = quantities | std::views::filter([](int q) { return q % 2 == 0; });
    CHECK(std::ranges::distance(fresh) == 2);  // a new view sees both
    // [filter-caches-begin]
}
