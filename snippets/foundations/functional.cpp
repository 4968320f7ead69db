// Functional programming: the chapter page shows the named regions of this file.
#include <ce/compose.hpp>
#include <ce/overloaded.hpp>

#include <ce_test/child_process.hpp>
#include <ce_test/sanitizers.hpp>
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <concepts>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <numeric>
#include <ranges>
#include <regex>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <sys/wait.h>

namespace shop {

// [user]
struct user {
    std::string name;
    int age = 0;
};
// [user]

// [higher-order]
struct order {
    std::string id;
    long long cents = 0;
};

// Takes a function. A constrained template parameter accepts any callable with the
// right signature and lets the compiler inline the call: no std::function, no
// allocation. Python: def select(orders, keep: Callable[[Order], bool]).
template <std::predicate<const order&> Predicate>
std::vector<order> select(const std::vector<order>& orders, Predicate keep) {
    std::vector<order> kept;
    std::ranges::copy_if(orders, std::back_inserter(kept), std::move(keep));
    return kept;
}

// Returns a function. The closure owns a copy of `cents`, so it may outlive this call.
auto costs_more_than(long long cents) {
    return [cents](const order& o) { return o.cents > cents; };
}
// [higher-order]

// [bind-front]
std::string log_line(std::string_view level, std::string_view component, std::string_view message) {
    return fmt::format("{} [{}] {}", level, component, message);
}

struct metrics {
    int requests = 0;
    void add(int n) { requests += n; }
};
// [bind-front]

// [compose]
std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t");
    if (first == std::string_view::npos) {
        return {};
    }
    return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

std::string to_lower(std::string_view s) {
    std::string out(s);
    std::ranges::transform(out, out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// Python: normalise_email = lambda s: to_lower(trim(s)). Read right to left.
const auto normalise_email = ce::compose(to_lower, trim);
// [compose]

// [immutability]
// Python: @dataclass(frozen=True) and dataclasses.replace(p, cents=...).
struct price {
    std::string sku;
    long long cents = 0;
};

// Takes its argument by value and returns the new value: the caller's object is never
// touched, and a caller that passes an rvalue pays a move, not a copy.
[[nodiscard]] price discounted(price p, int percent) {
    p.cents -= p.cents * percent / 100;
    return p;
}
// [immutability]

// [variant-visit]
struct order_placed {
    std::string id;
    long long cents = 0;
};
struct order_shipped {
    std::string id;
    std::string carrier;
};

// Python: OrderEvent = OrderPlaced | OrderShipped
using order_event = std::variant<order_placed, order_shipped>;

std::string describe(const order_event& event) {
    return std::visit(ce::overloaded{
                          [](const order_placed& e) { return fmt::format("{} placed: {} cents", e.id, e.cents); },
                          [](const order_shipped& e) { return fmt::format("{} shipped via {}", e.id, e.carrier); },
                      },
                      event);
}
// [variant-visit]

#ifdef CE_COMPILE_FAIL_MISSING_ALTERNATIVE
// [missing-alternative]
// Version 2 of the event type gains an alternative; describe_v2 is describe, unchanged.
struct order_cancelled {
    std::string id;
    std::string reason;
};
using order_event_v2 = std::variant<order_placed, order_shipped, order_cancelled>;

std::string describe_v2(const order_event_v2& event) {
    return std::visit(ce::overloaded{
                          [](const order_placed& e) { return fmt::format("{} placed: {} cents", e.id, e.cents); },
                          [](const order_shipped& e) { return fmt::format("{} shipped via {}", e.id, e.carrier); },
                      },
                      event);  // no handler takes an order_cancelled
}
// [missing-alternative]
#endif

// [conversion-pitfall]
// A configuration value: Python's int | float | str.
using setting = std::variant<int, double, std::string>;

std::string kind_of(const setting& s) {
    return ce::match(
        s,
        [](double) { return std::string("float"); },  // also takes the int: int converts to double
        [](const std::string&) { return std::string("text"); });
}
// [conversion-pitfall]

// [folds]
// A fold expression is expanded at compile time into one expression over the pack, which
// runs when it is evaluated, like any other. Python: sum(args), all(args).
template <class... Ts>
constexpr auto sum(const Ts&... xs) {
    return (xs + ... + 0);
}

template <class... Ts>
constexpr bool all_positive(const Ts&... xs) {
    return ((xs > 0) && ...);  // an empty pack folds to true, like all([])
}
// [folds]

// [memoize]
// Python: @functools.cache. The cache lives in the object, not in a hidden global, so
// the caller sees its lifetime; like any unsynchronised object it is not thread-safe.
template <class Signature>
class memoized;

template <class R, class... Args>
class memoized<R(Args...)> {
public:
    explicit memoized(std::function<R(Args...)> f) : f_(std::move(f)) {}

    R operator()(const Args&... args) {
        auto key = std::tuple(args...);
        if (auto hit = cache_.find(key); hit != cache_.end()) {
            return hit->second;
        }
        R result = f_(args...);  // may recurse and insert other keys: hold no iterator across it
        cache_.emplace(std::move(key), result);
        return result;
    }

private:
    std::function<R(Args...)> f_;
    std::map<std::tuple<Args...>, R> cache_;
};
// [memoize]

// [counted]
// Counts the live objects of its kind, to watch what a closure refers to without ever
// touching a dead object.
class counted {
public:
    counted(std::string name, int& live) : name_(std::move(name)), live_(&live) { ++*live_; }
    counted(const counted& other) : name_(other.name_), live_(other.live_) { ++*live_; }
    counted(counted&& other) noexcept : name_(std::move(other.name_)), live_(other.live_) {
        ++*live_;  // the moved-from object is still alive until its destructor runs
    }
    counted& operator=(const counted&) = delete;
    counted& operator=(counted&&) = delete;
    ~counted() { --*live_; }

    [[nodiscard]] const std::string& name() const { return name_; }

private:
    std::string name_;
    int* live_;
};
// [counted]

// [dangling-capture]
// Handlers run later, long after the function that subscribed them has returned.
class event_bus {
public:
    void subscribe(std::function<std::string()> handler) { handlers_.push_back(std::move(handler)); }

    [[nodiscard]] std::vector<std::string> publish() const {
        std::vector<std::string> replies;
        replies.reserve(handlers_.size());
        for (const auto& handler : handlers_) {
            replies.push_back(handler());
        }
        return replies;
    }

private:
    std::vector<std::function<std::string()>> handlers_;
};

// F.53 broken: the stored closure refers to a local of this frame.
void subscribe_greeter_dangling(event_bus& bus, int& live) {
    counted greeting("hello", live);
    bus.subscribe([&greeting] { return greeting.name(); });
}

// F.53 kept: the closure owns a copy, which lives exactly as long as the closure.
void subscribe_greeter(event_bus& bus, int& live) {
    counted greeting("hello", live);
    bus.subscribe([greeting] { return greeting.name(); });
}
// [dangling-capture]

}  // namespace shop

TEST_CASE("a lambda is an object whose captures are copied when it is created") {
    using shop::user;
    // [lambdas]
    std::vector<user> users{{"grace", 85}, {"ada", 36}, {"linus", 54}};

    // Python: users.sort(key=lambda u: u.age). A projection is C++'s key=.
    std::ranges::sort(users, {}, &user::age);
    CHECK(users.front().name == "ada");

    // A capture by value copies `limit` into the closure now. A Python closure looks
    // the name up at call time and would see the later assignment.
    int limit = 50;
    auto older_than_limit = [limit](const user& u) { return u.age > limit; };
    limit = 0;
    CHECK(std::ranges::count_if(users, older_than_limit) == 2);  // still compares with 50

    // A generic lambda: each `auto` parameter makes the call operator a template.
    auto by_name = [](const auto& a, const auto& b) { return a.name < b.name; };
    std::ranges::sort(users, by_name);
    CHECK(users.back().name == "linus");

    // Immediately invoked: a const variable with a multi-step initialiser (CCG ES.28).
    const std::string roster = [&users] {
        std::string names;
        for (const user& u : users) {
            names += names.empty() ? u.name : ", " + u.name;
        }
        return names;
    }();
    CHECK(roster == "ada, grace, linus");
    // [lambdas]
}

TEST_CASE("functions are values: passed in, returned and stored") {
    using namespace shop;
    // [higher-order-use]
    const std::vector<order> orders{{"A-1", 4'200}, {"A-2", 15'000}, {"A-3", 0}, {"A-4", 99'900}};

    const auto large = select(orders, costs_more_than(10'000));
    CHECK(large.size() == 2);
    CHECK(large[0].id == "A-2");

    // Closures of different types in one container: std::function erases the type,
    // at the price of an indirect call and possibly an allocation.
    const std::map<std::string, std::function<bool(const order&)>> filters{
        {"large", costs_more_than(10'000)},
        {"free", [](const order& o) { return o.cents == 0; }},
    };
    CHECK(select(orders, filters.at("free")).size() == 1);
    // [higher-order-use]
}

TEST_CASE("bind_front fixes leading arguments like functools.partial") {
    using namespace shop;
    // [bind-front-use]
    // Python: warn_db = functools.partial(log_line, "WARN", "db")
    auto warn_db = std::bind_front(log_line, "WARN", "db");
    CHECK(warn_db("pool exhausted") == "WARN [db] pool exhausted");

    // partial holds references to shared objects, so it sees later changes to them;
    // bind_front stores copies. To bind the object itself, bind std::ref(object).
    metrics totals;
    auto add_to_copy = std::bind_front(&metrics::add, totals);
    auto add_to_totals = std::bind_front(&metrics::add, std::ref(totals));
    add_to_copy(1);
    add_to_totals(2);
    CHECK(totals.requests == 2);

    // The lambda spelling of the same thing; prefer it when it reads better (CCG F.50).
    auto warn_cache = [](std::string_view message) { return log_line("WARN", "cache", message); };
    CHECK(warn_cache("cold") == "WARN [cache] cold");
    // [bind-front-use]
}

TEST_CASE("compose(f, g)(x) equals f(g(x))") {
    // [compose-law]
    constexpr auto add_one = [](int x) { return x + 1; };
    constexpr auto twice = [](int x) { return 2 * x; };
    constexpr auto square = [](int x) { return x * x; };

    constexpr auto add_one_after_twice = ce::compose(add_one, twice);
    static_assert(add_one_after_twice(5) == add_one(twice(5)));  // checked by the compiler
    for (int x : {-3, 0, 7, 1'000}) {
        CHECK(add_one_after_twice(x) == add_one(twice(x)));
    }
    CHECK(ce::compose(twice, add_one)(5) == 12);  // order matters: (5 + 1) * 2

    // Any number of functions, applied right to left.
    static_assert(ce::compose(add_one, twice, square)(3) == add_one(twice(square(3))));

    CHECK(shop::normalise_email("  Ada@Example.COM ") == "ada@example.com");
    // [compose-law]
}

TEST_CASE("compose keeps references and moves temporaries along the chain") {
    // [compose-forwarding]
    struct account {
        std::string owner;
        long long cents = 0;
    };
    std::vector<account> accounts{{"ada", 100}, {"grace", 250}};

    auto richest = [](std::vector<account>& all) -> account& {
        return *std::ranges::max_element(all, {}, &account::cents);
    };
    auto balance_of = [](account& a) -> long long& { return a.cents; };
    auto richest_balance = ce::compose(balance_of, richest);

    // The composite returns exactly what the outer function returns: a reference.
    static_assert(std::is_same_v<decltype(richest_balance(accounts)), long long&>);
    richest_balance(accounts) += 50;
    CHECK(accounts[1].cents == 300);  // written through to grace's account

    // A move-only temporary travels from one function to the next without a copy.
    auto make = [](int v) { return std::make_unique<int>(v); };
    auto unwrap = [](std::unique_ptr<int> p) { return *p; };
    CHECK(ce::compose(unwrap, make)(42) == 42);

    // A composite is callable only with arguments the whole chain accepts.
    static_assert(!std::is_invocable_v<decltype(richest_balance), int>);
    // [compose-forwarding]
}

TEST_CASE("const objects and value parameters keep data immutable") {
    using namespace shop;
    // [immutability-use]
    const price list_price{"book-42", 2'500};
    const price sale = discounted(list_price, 20);
    CHECK(list_price.cents == 2'500);  // the original is untouched
    CHECK(sale.cents == 2'000);

    // Every member of a const object is const: assigning to one does not compile.
    static_assert(!std::is_assignable_v<decltype((list_price.cents)), long long>);

    // constexpr is immutability the compiler can evaluate: Python's module-level constant
    // that is really constant.
    constexpr int max_items_per_order = 50;
    static_assert(max_items_per_order * 2 == 100);
    // [immutability-use]
}

TEST_CASE("a visitor calls the handler of the alternative the variant holds") {
    using namespace shop;
    // [visit-use]
    const std::vector<order_event> events{order_placed{"A-1", 4'200}, order_shipped{"A-1", "DHL"}};
    CHECK(describe(events[0]) == "A-1 placed: 4200 cents");
    CHECK(describe(events[1]) == "A-1 shipped via DHL");

    // ce::match is std::visit with the overload set built in: Python's match statement.
    long long placed_cents = 0;
    for (const order_event& event : events) {
        ce::match(
            event,
            [&placed_cents](const order_placed& e) { placed_cents += e.cents; },
            [](const order_shipped&) {});
    }
    CHECK(placed_cents == 4'200);
    // [visit-use]
}

TEST_CASE("a handler taking a type that an alternative converts to swallows it silently") {
    using shop::setting;
    // [conversion-pitfall-shown]
    CHECK(shop::kind_of(setting{2.5}) == "float");
    CHECK(shop::kind_of(setting{"eu-west-1"}) == "text");
    CHECK(shop::kind_of(setting{3}) == "float");  // the int went to the double handler

    // The fix: a parameter that accepts exactly one type. std::same_as<double> auto
    // refuses the int, so a visit without an int handler no longer compiles.
    auto exact_float = [](std::same_as<double> auto) { return std::string("float"); };
    static_assert(std::is_invocable_v<decltype(exact_float), double>);
    static_assert(!std::is_invocable_v<decltype(exact_float), int>);
    // [conversion-pitfall-shown]
}

TEST_CASE("a fold expands a pack into one expression; accumulate reduces a range") {
    using shop::order;
    // [folds-use]
    static_assert(shop::sum(1, 2, 3, 4) == 10);
    static_assert(shop::sum(1, 2.5) == 3.5);  // the usual arithmetic conversions apply
    static_assert(shop::all_positive(3, 1, 4));
    static_assert(shop::all_positive());

    // Python: functools.reduce(lambda total, o: total + o.cents, orders, 0)
    const std::vector<order> orders{{"A-1", 3'000'000'000}, {"A-2", 1}};
    const long long total = std::accumulate(orders.begin(), orders.end(), 0LL,
                                            [](long long running, const order& o) { return running + o.cents; });
    CHECK(total == 3'000'000'001);
    // [folds-use]

    // [accumulate-pitfall]
    // The initial value's type is the accumulator's type: 0 is an int, so every partial
    // sum is converted back to int: modulo 2^32 since C++20, implementation-defined before,
    // and no warning from inside a template.
    const std::vector<long long> cents{3'000'000'000, 1};
    // NOLINTNEXTLINE(bugprone-fold-init-type): the trap itself, which clang-tidy does catch
    CHECK(std::accumulate(cents.begin(), cents.end(), 0) == -1'294'967'295);
    CHECK(std::accumulate(cents.begin(), cents.end(), 0LL) == 3'000'000'001);
    // [accumulate-pitfall]
}

TEST_CASE("a range pipeline is lazy: take(3) stops the work after three elements") {
    // [pipeline]
    int squares_computed = 0;
    auto is_even = [](int n) { return n % 2 == 0; };
    auto square = [&squares_computed](int n) {
        ++squares_computed;
        return n * n;
    };

    // Python: itertools.islice((n * n for n in itertools.count() if n % 2 == 0), 3)
    auto first_even_squares = std::views::iota(0)  // 0, 1, 2, ... without end
                              | std::views::filter(is_even)
                              | std::views::transform(square)
                              | std::views::take(3);
    CHECK(squares_computed == 0);  // building the pipeline computes nothing

    std::vector<int> result;
    for (int n : first_even_squares) {
        result.push_back(n);
    }
    CHECK(result == std::vector{0, 4, 16});
    CHECK(squares_computed == 3);  // an endless source, and exactly three squares
    // [pipeline]
}

TEST_CASE("memoize evaluates the function once per key") {
    using shop::memoized;
    // [memoize-once-per-key]
    int evaluations = 0;
    // The recursive calls go through the cache too, as with @cache on a recursive def.
    memoized<std::uint64_t(int)> fibonacci{[&](int n) -> std::uint64_t {
        ++evaluations;
        return n < 2 ? static_cast<std::uint64_t>(n) : fibonacci(n - 1) + fibonacci(n - 2);
    }};

    CHECK(fibonacci(90) == 2'880'067'194'370'816'120ULL);
    CHECK(evaluations == 91);  // keys 0..90 once each, instead of about 9.3 * 10^18 naive calls
    CHECK(fibonacci(90) == 2'880'067'194'370'816'120ULL);
    CHECK(fibonacci(40) == 102'334'155ULL);
    CHECK(evaluations == 91);  // both answers came from the cache
    // [memoize-once-per-key]
}

TEST_CASE("a closure that captures a local by reference outlives the local") {
    using namespace shop;
    // [dangling-observed]
    int live = 0;  // how many greetings exist right now
    {
        event_bus bus;
        subscribe_greeter_dangling(bus, live);
        CHECK(live == 0);  // the stored handler refers to a greeting, and none is alive
        // bus.publish() would now read a destroyed object: undefined behaviour, so the
        // test never calls it.
    }
    {
        event_bus bus;
        subscribe_greeter(bus, live);
        CHECK(live == 1);  // the closure's own copy, inside the std::function
        CHECK(bus.publish() == std::vector<std::string>{"hello"});
    }
    CHECK(live == 0);  // the copy died with the bus that held the closure
    // [dangling-observed]
}

namespace {


// [run-dangling-child]
constexpr const char* dangling_child_case =
    "child process entry: calls a dangling handler when CE_CHILD is set";

// This binary again, running only the child entry case below, under ASan with
// detect_stack_use_after_return=1: its waitpid() status and everything it wrote to
// stderr. ctest sets that option too; setting it here makes a run by hand check the
// same thing.
ce_test::child_result run_dangling_child() {
    return ce_test::run_to_end({
        .test_case = dangling_child_case,
        .environment = {"CE_CHILD=dangling-capture", "ASAN_OPTIONS=detect_stack_use_after_return=1"},
        .captured = ce_test::stream::standard_error,
    });
}
// [run-dangling-child]

}  // namespace

// [dangling-child]
// Runs in a child process only: the next test starts this binary again with
// CE_CHILD=dangling-capture and a filter selecting this case. Otherwise it does nothing.
TEST_CASE("child process entry: calls a dangling handler when CE_CHILD is set"
          * doctest::skip(!ce_test::asan_build)
          * doctest::description("only AddressSanitizer reports the bug")) {
    const char* mode = std::getenv("CE_CHILD");
    if (mode != nullptr && std::string_view(mode) == "dangling-capture") {
        shop::event_bus bus;
        int live = 0;
        shop::subscribe_greeter_dangling(bus, live);
        (void)bus.publish();  // undefined behaviour: the handler reads the destroyed greeting
    }
}
// [dangling-child]

TEST_CASE("AddressSanitizer stops a call through a dangling capture as stack-use-after-return"
          * doctest::skip(!ce_test::asan_build)
          * doctest::description("only AddressSanitizer reports the bug")) {
    // [dangling-asan-report]
    // The case above, run in a new process: its waitpid() status and everything on its stderr.
    const auto [status, report] = run_dangling_child();
    INFO("the child's stderr:\n" << report);

    const bool exited_zero = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    CHECK_FALSE(exited_zero);  // the call did not complete: ASan ended the process
    CHECK(report.find("AddressSanitizer: stack-use-after-return") != std::string::npos);
    // ASan names the variable the read landed in: the local that the closure captured.
    CHECK(std::regex_search(report, std::regex("'greeting'.* is inside this variable")));
    // [dangling-asan-report]
}
