// Generators and iterators: the chapter page shows the named regions of this file.
#include <ce/generator.hpp>

#include <ce_test/child_process.hpp>
#include <ce_test/sanitizers.hpp>
#include <doctest/doctest.h>

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdlib>
#include <iterator>
#include <ranges>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <sys/wait.h>

namespace {

// [fibonacci]
// Python:  def fibonacci():
//              a, b = 0, 1
//              while True:
//                  yield a
//                  a, b = b, a + b
ce::generator<long> fibonacci() {
    long a = 0;
    long b = 1;
    for (;;) {
        co_yield a;  // suspend; resume here when the consumer asks for the next value
        a = std::exchange(b, a + b);
    }
}
// [fibonacci]

// [hand-iterator]
// The same sequence written by hand: the state machine the compiler writes for a
// coroutine, as an input iterator that compares with a sentinel.
class fibonacci_numbers {
public:
    explicit fibonacci_numbers(int count) : count_(count) {}

    class iterator {
    public:
        using value_type = long;
        using difference_type = std::ptrdiff_t;

        iterator() = default;
        explicit iterator(int remaining) : remaining_(remaining) {}

        long operator*() const { return a_; }
        iterator& operator++() {
            a_ = std::exchange(b_, a_ + b_);
            --remaining_;
            return *this;
        }
        void operator++(int) { ++*this; }
        friend bool operator==(const iterator& it, std::default_sentinel_t) {
            return it.remaining_ == 0;
        }

    private:
        long a_ = 0;
        long b_ = 1;
        int remaining_ = 0;
    };

    [[nodiscard]] iterator begin() const { return iterator{count_}; }
    [[nodiscard]] std::default_sentinel_t end() const { return std::default_sentinel; }

private:
    int count_;
};
// [hand-iterator]

// [lazy-counting]
// `steps` is declared by the caller before the generator and so outlives it.
ce::generator<int> naturals(int& steps) {
    for (int n = 0;; ++n) {
        ++steps;  // counts how far the body has run
        co_yield n;
    }
}
// [lazy-counting]

// [parse-fields]
ce::generator<int> parse_all(std::vector<std::string> fields) {
    for (const std::string& field : fields) {
        co_yield std::stoi(field);  // throws std::invalid_argument on "x"
    }
}
// [parse-fields]

// [raii-in-body]
// A resource the body holds across its co_yields: open while the sequence is read.
class connection {
public:
    explicit connection(int& open) : open_(&open) { ++*open_; }
    ~connection() { --*open_; }
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;
    connection(connection&&) = delete;
    connection& operator=(connection&&) = delete;

private:
    int* open_;
};

ce::generator<int> rows(int& open_connections) {
    connection db{open_connections};
    for (int row = 1;; ++row) {
        co_yield row;
    }
}  // ~connection runs when the body ends, or when the generator is destroyed early
// [raii-in-body]

// [copy-counter]
struct tracked {
    static inline int copies = 0;
    int id = 0;

    explicit tracked(int i) : id(i) {}
    tracked(const tracked& other) : id(other.id) { ++copies; }
    tracked& operator=(const tracked& other) {
        id = other.id;
        ++copies;
        return *this;
    }
    tracked(tracked&&) noexcept = default;
    tracked& operator=(tracked&&) noexcept = default;
    ~tracked() = default;
};

ce::generator<tracked> records() {
    tracked named{1};
    co_yield named;       // an lvalue: the consumer sees `named` itself
    co_yield tracked{2};  // a temporary: it lives in the frame until the body resumes
}
// [copy-counter]

// [dangling-parameter]
// The frame stores the *reference*: the caller's string must outlive the generator.
// words_of(read_line()) would hand the loop views into a destroyed string.
ce::generator<std::string_view> words_of(const std::string& text) {
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t end = std::min(text.find(' ', start), text.size());
        co_yield std::string_view(text).substr(start, end - start);
        start = end + 1;
    }
}
// [dangling-parameter]

// [owning-parameter]
// Taken by value, the string is moved into the frame and lives as long as the
// generator: any argument is safe, a temporary included.
ce::generator<std::string_view> words(std::string text) {
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t end = std::min(text.find(' ', start), text.size());
        co_yield std::string_view(text).substr(start, end - start);
        start = end + 1;
    }
}
// [owning-parameter]

// [read-line]
std::string read_line() {
    return "the quick brown fox";
}
// [read-line]

// [tree]
struct tree {
    int value = 0;
    std::vector<tree> children;
};
// [tree]

// [yield-from]
// Python's `yield from`: re-yield every element of a nested generator.
ce::generator<int> depth_first(const tree& node) {  // `node` must outlive the generator
    co_yield node.value;
    for (const tree& child : node.children) {
        for (int value : depth_first(child)) {
            co_yield value;
        }
    }
}
// [yield-from]

ce::generator<std::string&&> movable_lines() {
    std::string line = "a line too long for the small-string buffer";
    co_yield std::move(line);
}

ce::generator<int&> counters(std::vector<int> values) {
    for (int& v : values) {
        co_yield v;
    }
    CHECK(values == std::vector<int>{10, 20});  // the consumer's writes reached the body
}

#ifdef CE_COMPILE_FAIL_DISCARDED_GENERATOR
// [discarded-generator]
ce::generator<int> count_down(int from) {
    for (int n = from; n > 0; --n) {
        co_yield n;
    }
}

void launch() {
    count_down(3);  // Python runs no body here either; C++ refuses to compile it
}
// [discarded-generator]
#endif

}  // namespace

TEST_CASE("an infinite generator and a hand iterator yield the same values through views") {
    // [take-ten]
    std::vector<long> first_ten;
    for (long f : fibonacci() | std::views::take(10)) {  // Python: islice(fibonacci(), 10)
        first_ten.push_back(f);
    }
    CHECK(first_ten == std::vector<long>{0, 1, 1, 2, 3, 5, 8, 13, 21, 34});

    std::vector<long> by_hand;
    for (long f : fibonacci_numbers(10)) {
        by_hand.push_back(f);
    }
    CHECK(by_hand == first_ten);
    // [take-ten]
}

TEST_CASE("views filter and transform a generator like a generator expression") {
    // [pipeline]
    // Python: [f * f for f in islice((f for f in fibonacci() if f % 2 == 0), 4)]
    auto is_even = [](long f) { return f % 2 == 0; };
    auto square = [](long f) { return f * f; };
    auto even_squares = fibonacci() | std::views::filter(is_even) | std::views::transform(square) |
                        std::views::take(4);
    std::vector<long> got;
    for (long s : even_squares) {
        got.push_back(s);
    }
    CHECK(got == std::vector<long>{0, 4, 64, 1156});
    // [pipeline]
}

TEST_CASE("a generator and the hand-written class are both input ranges") {
    // [input-range]
    static_assert(std::ranges::input_range<ce::generator<int>>);
    static_assert(!std::ranges::forward_range<ce::generator<int>>);  // one pass only
    static_assert(std::ranges::input_range<fibonacci_numbers>);
    static_assert(std::same_as<std::ranges::range_reference_t<ce::generator<int>>, const int&>);
    static_assert(!std::copyable<ce::generator<int>> && std::movable<ce::generator<int>>);
    // [input-range]
}

TEST_CASE("an infinite sequence is lazy: the body runs only as far as it is read") {
    // [lazy]
    int steps = 0;
    {
        ce::generator<int> numbers = naturals(steps);
        CHECK(steps == 0);  // creating the generator runs nothing
        auto it = numbers.begin();
        CHECK(steps == 1);  // begin() runs the body to its first co_yield
        ++it;
        ++it;
        CHECK(*it == 2);
        CHECK(steps == 3);  // one step per increment, never ahead
    }
    steps = 0;
    for (int n : naturals(steps)) {
        if (n == 4) {
            break;
        }
    }
    CHECK(steps == 5);  // 0..4 were produced; nothing after the break
    // [lazy]
}

TEST_CASE("views::take(n) resumes the body once past the n-th element") {
    // [take-runs-ahead]
    int steps = 0;
    for (int n : naturals(steps) | std::views::take(3)) {
        (void)n;
    }
    CHECK(steps == 4);  // take increments its iterator before it compares its count
    // [take-runs-ahead]
}

TEST_CASE("an exception in the body surfaces at the consumer") {
    // [exception-surfaces]
    std::vector<int> parsed;
    auto parse_everything = [&] {
        for (int n : parse_all({"1", "2", "x", "4"})) {  // ++it rethrows
            parsed.push_back(n);
        }
    };
    CHECK_THROWS_AS(parse_everything(), std::invalid_argument);
    CHECK(parsed == std::vector<int>{1, 2});  // everything before the failure arrived

    auto failing_first = parse_all({"x"});
    CHECK_THROWS_AS((void)failing_first.begin(), std::invalid_argument);  // begin() too
    // [exception-surfaces]
}

TEST_CASE("after the body throws, the sequence has ended") {
    auto numbers = parse_all({"1", "x", "3"});
    auto it = numbers.begin();
    CHECK(*it == 1);
    CHECK_THROWS_AS(++it, std::invalid_argument);
    CHECK(it == numbers.end());
}

TEST_CASE("an early break destroys the generator frame and runs the body's destructors") {
    // [early-break]
    int open_connections = 0;
    for (int row : rows(open_connections)) {
        CHECK(open_connections == 1);  // the body holds its connection while suspended
        if (row == 3) {
            break;  // the temporary generator dies here, and with it the frame
        }
    }
    CHECK(open_connections == 0);  // ~connection ran: Python's GeneratorExit + finally

    auto kept = rows(open_connections);
    CHECK(open_connections == 0);  // not started: the body has not opened anything yet
    (void)kept.begin();
    CHECK(open_connections == 1);
    kept = {};  // assigning an empty generator destroys the old frame
    CHECK(open_connections == 0);
    // [early-break]
}

TEST_CASE("yielding hands the consumer the body's object without copying it") {
    tracked::copies = 0;
    // [no-copies]
    std::vector<int> ids;
    for (const tracked& t : records()) {  // a reference to the object in the frame
        ids.push_back(t.id);
    }
    CHECK(ids == std::vector<int>{1, 2});
    CHECK(tracked::copies == 0);

    // NOLINTNEXTLINE(performance-for-range-copy): clang-tidy flags it; the copy is the point
    for (tracked copy : records()) {  // a copy, because the consumer asked for one
        ids.push_back(copy.id);
    }
    CHECK(tracked::copies == 2);
    // [no-copies]
}

TEST_CASE("a by-value parameter makes a generator safe to call with a temporary") {
    // [owning-parameter-use]
    std::vector<std::string> seen;
    for (std::string_view w : words(read_line())) {  // the frame owns its copy of the line
        seen.emplace_back(w);
    }
    CHECK(seen == std::vector<std::string>{"the", "quick", "brown", "fox"});

    const std::string line = read_line();  // a named string outlives the loop: also fine
    std::vector<std::string> same;
    for (std::string_view w : words_of(line)) {
        same.emplace_back(w);
    }
    CHECK(same == seen);
    // [owning-parameter-use]
}

namespace {


// [run-dangling-parameter-child]
// This binary again, running only the child entry case below: its waitpid() status
// and everything it wrote to stderr.
ce_test::child_result run_dangling_parameter_child() {
    return ce_test::run_to_end({
        .test_case = "child process entry: loops over words_of a temporary when CE_CHILD is set",
        .environment = {"CE_CHILD=dangling-parameter"},
        .captured = ce_test::stream::standard_error,
    });
}
// [run-dangling-parameter-child]

}  // namespace

// [dangling-parameter-child]
// Runs in a child process only: the next test starts this binary again with
// CE_CHILD=dangling-parameter and a filter selecting this case. Otherwise it does nothing.
TEST_CASE("child process entry: loops over words_of a temporary when CE_CHILD is set"
          * doctest::skip(!ce_test::asan_build)
          * doctest::description("only AddressSanitizer reports the bug")) {
    const char* mode = std::getenv("CE_CHILD");
    if (mode != nullptr && std::string_view(mode) == "dangling-parameter") {
        std::size_t letters = 0;
        // Undefined behaviour: read_line()'s string dies before the loop's first step.
        for (const std::string_view w : words_of(read_line())) {
            letters += w.size();
        }
        CHECK(letters == 16);  // never reached under AddressSanitizer
    }
}
// [dangling-parameter-child]

TEST_CASE("AddressSanitizer stops a generator that reads its destroyed argument"
          * doctest::skip(!ce_test::asan_build)
          * doctest::description("only AddressSanitizer reports the bug")) {
    // [dangling-parameter-report]
    // The case above, run in a new process: its waitpid() status and its stderr.
    const auto [status, report] = run_dangling_parameter_child();
    INFO("the child's stderr:\n" << report);

    const bool exited_zero = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    CHECK_FALSE(exited_zero);  // the loop did not complete: ASan ended the process
    // A read of the string object itself, in the caller's frame, after its scope ended.
    CHECK(report.find("AddressSanitizer: stack-use-after-scope") != std::string::npos);
    CHECK(report.find("READ of size") != std::string::npos);
    // [dangling-parameter-report]
}

TEST_CASE("a recursive generator re-yields a nested generator's elements") {
    // [yield-from-use]
    const tree root{1, {tree{2, {tree{3, {}}}}, tree{4, {}}}};
    std::vector<int> order;
    for (int v : depth_first(root)) {
        order.push_back(v);
    }
    CHECK(order == std::vector<int>{1, 2, 3, 4});
    // [yield-from-use]
}

TEST_CASE("an empty generator is an empty range") {
    ce::generator<int> none;
    CHECK(none.begin() == none.end());
    ce::generator<int> moved_from = parse_all({"1"});
    ce::generator<int> owner = std::move(moved_from);
    CHECK(moved_from.begin() == moved_from.end());  // NOLINT(bugprone-use-after-move)
}

TEST_CASE("a generator of V&& lets the consumer move; a generator of V& lets it modify") {
    static_assert(
        std::same_as<std::ranges::range_reference_t<ce::generator<std::string&&>>, std::string&&>);
    std::vector<std::string> taken;
    for (std::string&& line : movable_lines()) {
        taken.push_back(std::move(line));
    }
    CHECK(taken == std::vector<std::string>{"a line too long for the small-string buffer"});

    for (int& v : counters({1, 2})) {
        v *= 10;
    }
}
