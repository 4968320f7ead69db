// Type hints and static typing: the chapter page shows the named regions of this file.
#include <ce/strong.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <charconv>
#include <compare>
#include <concepts>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

namespace accounts {

// [new-type]
// Python: UserId = NewType("UserId", int); OrderId = NewType("OrderId", int)
using user_id = ce::strong<int, struct user_id_tag>;
using order_id = ce::strong<int, struct order_id_tag>;

// Arithmetic is opt-in: amounts add up, identifiers do not.
using cents = ce::strong<long long, struct cents_tag, ce::additive>;
// [new-type]

// [user]
struct user {
    user_id id;
    std::string name;
};
// [user]

// [protocol-concept]
// Python:
//   class UserRepository(Protocol):
//       def find(self, id: UserId) -> User | None: ...
// Like a Protocol, a concept is structural: a type satisfies it by having the
// members, without naming the concept or inheriting from anything.
template <class R>
concept user_repository = requires(const R& repo, user_id id) {
    { repo.find(id) } -> std::same_as<std::optional<user>>;
};

// A constrained template parameter: Python's `repo: UserRepository`.
template <user_repository Repository>
std::string greeting(const Repository& repo, user_id id) {
    const std::optional<user> found = repo.find(id);
    return found ? "Hello, " + found->name : std::string("Hello, stranger");
}

class in_memory_users {
public:
    void add(user u) { users_.insert_or_assign(u.id, std::move(u)); }

    [[nodiscard]] std::optional<user> find(user_id id) const {
        const auto it = users_.find(id);
        if (it == users_.end()) {
            return std::nullopt;
        }
        return it->second;
    }

private:
    std::unordered_map<user_id, user> users_;  // ce::strong brings its std::hash
};

static_assert(user_repository<in_memory_users>);  // checked where the type is defined
// [protocol-concept]

// [generic-template]
// Python:
//   @dataclass
//   class Page(Generic[T]):
//       items: list[T]
//       total: int
template <class T>
struct page {
    std::vector<T> items;
    std::size_t total = 0;
};

// Python: def paginate(items: Sequence[T], number: int, size: int) -> Page[T]
template <class T>
page<T> paginate(const std::vector<T>& items, std::size_t number, std::size_t size) {
    page<T> result{.items = {}, .total = items.size()};
    for (std::size_t i = number * size; i < items.size() && i < (number + 1) * size; ++i) {
        result.items.push_back(items[i]);
    }
    return result;
}

// Python: T = TypeVar("T", bound=SupportsRichComparison). A bound is a concept.
template <std::totally_ordered T>
const T& largest(const std::vector<T>& items) {  // precondition: items is not empty
    return *std::ranges::max_element(items);
}
// [generic-template]

// [optional-union]
struct parse_error {
    std::string message;
};

// Python: def parse_port(text: str) -> int | ParseError
std::variant<int, parse_error> parse_port(std::string_view text) {
    int port = 0;
    const char* first = text.data();
    const char* last = first + text.size();
    const auto [stop, ec] = std::from_chars(first, last, port);
    if (ec != std::errc{} || stop != last) {
        return parse_error{"not a number: '" + std::string(text) + "'"};
    }
    if (port < 1 || port > 65'535) {
        return parse_error{"out of range: " + std::string(text)};
    }
    return port;
}
// [optional-union]

#ifdef CE_COMPILE_FAIL_MIXED_UP_IDS
// [mixed-up-ids]
void cancel_order(order_id id);

void on_cancel_clicked(user_id clicked_by) {
    cancel_order(clicked_by);  // a user id where an order id belongs
}
// [mixed-up-ids]
#endif

#ifdef CE_COMPILE_FAIL_CONCEPT_AT_CALL_SITE
// [concept-at-call-site]
template <class T>
concept closable = requires(T& resource) { resource.close(); };

template <closable Resource>
void close_all(std::vector<Resource>& resources) {
    for (Resource& r : resources) {
        r.close();
    }
}

struct connection {
    void disconnect();  // named differently: a connection is not closable
};

void shutdown(std::vector<connection>& open) {
    close_all(open);  // rejected here, at the call, before the body is looked at
}
// [concept-at-call-site]
#endif

#ifdef CE_COMPILE_FAIL_DISCARDED_RESULT
// [discarded-result]
[[nodiscard]] std::optional<user> find_user(user_id id);

void touch(user_id id) {
    find_user(id);  // the lookup's only effect is its result, and it is dropped
}
// [discarded-result]
#endif

#ifdef CE_COMPILE_FAIL_IMPLICIT_NARROWING
// [implicit-narrowing]
int with_tax(int amount) {
    return amount * 1.2;  // mypy: Incompatible return value type (got "float", expected "int")
}
// [implicit-narrowing]
#endif

}  // namespace accounts

TEST_CASE("any type with the right members satisfies the concept") {
    using namespace accounts;
    // [protocol-use]
    in_memory_users users;
    users.add({user_id{1}, "Ada"});
    CHECK(greeting(users, user_id{1}) == "Hello, Ada");
    CHECK(greeting(users, user_id{2}) == "Hello, stranger");

    // A test double needs no base class either: it only has to fit the concept.
    struct always_grace {
        [[nodiscard]] std::optional<user> find(user_id id) const { return user{id, "Grace"}; }
    };
    CHECK(greeting(always_grace{}, user_id{7}) == "Hello, Grace");

    // The concept is a compile-time predicate, like isinstance() on a runtime Protocol.
    static_assert(!user_repository<std::vector<user>>);
    // [protocol-use]
}

TEST_CASE("a template is instantiated and checked for each type argument") {
    using accounts::page;
    // [generic-use]
    const std::vector<std::string> names{"ada", "grace", "linus", "barbara", "ken"};
    const page<std::string> second = accounts::paginate(names, 1, 2);
    CHECK(second.items == std::vector<std::string>{"linus", "barbara"});
    CHECK(second.total == 5);

    // page<int> and page<std::string> are two unrelated types, each fully checked;
    // Python's Page[int] and Page[str] are one class at run time.
    static_assert(!std::is_same_v<page<int>, page<std::string>>);
    CHECK(accounts::paginate(std::vector{1, 2, 3}, 1, 2).items == std::vector{3});

    CHECK(accounts::largest(names) == "linus");
    // [generic-use]
}

TEST_CASE("a strong type converts to nothing, yet costs nothing") {
    using namespace accounts;
    // [strong-claims]
    // Distinct types: no implicit conversion in any direction.
    static_assert(!std::is_convertible_v<user_id, order_id>);
    static_assert(!std::is_constructible_v<order_id, user_id>);  // not even explicitly
    static_assert(!std::is_convertible_v<int, user_id>);         // construction is explicit
    static_assert(!std::is_convertible_v<user_id, int>);         // reading is explicit: value()

    // Free at run time: the size and alignment of an int, and copied like one.
    static_assert(sizeof(user_id) == sizeof(int));
    static_assert(alignof(user_id) == alignof(int));
    static_assert(std::is_trivially_copyable_v<user_id>);
    // Trivial for the purposes of calls (Itanium C++ ABI): passed in a register, not by
    // an invisible reference.
    static_assert(std::is_trivially_copy_constructible_v<user_id>);
    static_assert(std::is_trivially_move_constructible_v<user_id>);
    static_assert(std::is_trivially_destructible_v<user_id>);

    const user_id ada{36};
    CHECK(ada.value() == 36);
    CHECK(ada == user_id{36});
    CHECK(ada < user_id{37});  // ordering comes from int
    // [strong-claims]
}

TEST_CASE("a strong type opts in to arithmetic and hashes like its value") {
    using namespace accounts;
    // [strong-ops]
    cents total{2'500};
    total += cents{499};
    CHECK(total == cents{2'999});
    CHECK((total - cents{999}).value() == 2'000);

    // Only the policy enables +: identifiers do not add, and amounts add only to amounts.
    static_assert(std::is_invocable_v<std::plus<>, cents, cents>);
    static_assert(!std::is_invocable_v<std::plus<>, user_id, user_id>);
    static_assert(!std::is_invocable_v<std::plus<>, cents, long long>);

    // Keys for hashed and ordered containers, through std::hash and <=>.
    const std::unordered_set<user_id> online{user_id{1}, user_id{2}};
    CHECK(online.contains(user_id{2}));
    const std::map<order_id, cents> totals{{order_id{10}, cents{500}}, {order_id{3}, cents{80}}};
    CHECK(totals.begin()->first == order_id{3});
    // [strong-ops]
}

namespace {

// [strong-comparison-rule]
// A type from older code: == and < only, neither constexpr, and no <=>.
struct legacy_version {
    int major = 0;
    int minor = 0;
    friend bool operator==(const legacy_version& a, const legacy_version& b) {
        return a.major == b.major && a.minor == b.minor;
    }
    friend bool operator<(const legacy_version& a, const legacy_version& b) {
        return a.major < b.major || (a.major == b.major && a.minor < b.minor);
    }
};

// A type with == and nothing to order by.
struct colour {
    int rgb = 0;
    friend bool operator==(const colour&, const colour&) = default;
};

template <class T>
concept orderable = requires(const T& a, const T& b) {
    { a < b } -> std::convertible_to<bool>;
    a <=> b;
};
// [strong-comparison-rule]

// A C++20 type whose == and <=> exist but are not constexpr.
struct ticket {
    int number = 0;
    friend bool operator==(const ticket& a, const ticket& b) noexcept { return a.number == b.number; }
    friend std::strong_ordering operator<=>(const ticket& a, const ticket& b) noexcept {
        return a.number <=> b.number;
    }
};

}  // namespace

TEST_CASE("a strong type compares and orders exactly when its value type does") {
    // [strong-comparison-rule-check]
    using version = ce::strong<legacy_version, struct version_tag>;
    using paint = ce::strong<colour, struct paint_tag>;

    // <=> when T has one; otherwise synthesised from T's <, as std::pair does.
    static_assert(orderable<version> && std::totally_ordered<version>);
    static_assert(std::same_as<std::compare_three_way_result_t<version>, std::weak_ordering>);
    static_assert(std::same_as<std::compare_three_way_result_t<accounts::user_id>, std::strong_ordering>);
    // == when T has it; no ordering when T has neither < nor <=>.
    static_assert(std::equality_comparable<paint> && !orderable<paint>);

    const version v1_2{{1, 2}};
    const version v1_10{{1, 10}};
    CHECK(v1_2 < v1_10);
    CHECK(v1_10 >= v1_2);
    CHECK(v1_2 != v1_10);
    CHECK((v1_2 <=> version{{1, 2}}) == 0);
    CHECK(paint{{0xff0000}} != paint{{0x00ff00}});
    // [strong-comparison-rule-check]
}

TEST_CASE("a strong type compares at run time when T's comparisons are not constexpr") {
    using seat = ce::strong<ticket, struct seat_tag>;
    const seat first{{1}};
    const seat second{{2}};
    CHECK(first == seat{{1}});
    CHECK(first != second);
    CHECK(first < second);
    CHECK((second <=> first) == std::strong_ordering::greater);
    // ... and in constant expressions when they are.
    static_assert(accounts::user_id{1} < accounts::user_id{2});
    static_assert(accounts::user_id{1} == accounts::user_id{1});
}

TEST_CASE("optional and variant make absence and alternatives part of the type") {
    using namespace accounts;
    in_memory_users users;
    users.add({user_id{1}, "Ada"});
    // [optional-union-use]
    // Python: if (u := users.find(uid)) is not None: ...
    if (const std::optional<user> found = users.find(user_id{1})) {
        CHECK(found->name == "Ada");
    }
    const std::optional<user> missing = users.find(user_id{2});
    CHECK_FALSE(missing.has_value());
    CHECK(missing.value_or(user{user_id{0}, "guest"}).name == "guest");
    // Where Python fails with AttributeError on None, value() throws.
    // NOLINTNEXTLINE(bugprone-unchecked-optional-access): unchecked on purpose, to see it throw
    CHECK_THROWS_AS((void)missing.value(), std::bad_optional_access);

    // Python: match parse_port(text): case int(port): ... case ParseError(msg): ...
    const auto parsed = parse_port("8080");
    REQUIRE(std::holds_alternative<int>(parsed));
    CHECK(std::get<int>(parsed) == 8'080);
    const auto bad = parse_port("80a");
    const parse_error* error = std::get_if<parse_error>(&bad);  // isinstance() narrowing
    REQUIRE(error != nullptr);
    CHECK(error->message == "not a number: '80a'");
    CHECK(std::get<parse_error>(parse_port("70000")).message == "out of range: 70000");
    // [optional-union-use]
}
