// enum class for Python's Enum and Literal: the chapter page shows the named regions of
// this file.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace shop {

// [scoped-enum]
// A scoped enumeration with a fixed underlying type: the enumerators live inside
// order_status (order_status::paid), and each is one byte.
enum class order_status : std::uint8_t { pending, paid, shipped, cancelled };

static_assert(sizeof(order_status) == 1);
static_assert(std::is_same_v<std::underlying_type_t<order_status>, std::uint8_t>);
static_assert(!std::is_convertible_v<order_status, int>);  // no implicit int...
static_assert(!std::is_convertible_v<int, order_status>);  // ...either way
// [scoped-enum]

}  // namespace shop

TEST_CASE("a scoped enum converts to its underlying type only when asked") {
    // [underlying-value]
    using shop::order_status;
    const order_status s = order_status::shipped;
    // static_cast is the one way in and out (C++23 adds std::to_underlying for "out").
    const auto code = static_cast<std::underlying_type_t<order_status>>(s);
    CHECK(code == 2);
    CHECK(static_cast<order_status>(1) == order_status::paid);
    CHECK(s != order_status::pending);  // compares with its own kind only
    // [underlying-value]
}

#ifdef CE_COMPILE_FAIL_IMPLICIT_INT
// [implicit-int]
int status_code(shop::order_status s) {
    int code = s;  // Python's IntEnum allows this; a scoped enum does not
    return code;
}
// [implicit-int]
#endif

namespace legacy {

// [plain-enum]
// The pitfall: a plain (unscoped) enum puts its enumerators in the enclosing scope and
// converts to int wherever an int is expected, like Python's IntEnum.
enum order_status { pending, paid, shipped, cancelled };  // NOLINT(performance-enum-size): the classic form

int restock(int quantity) { return quantity; }
// [plain-enum]

}  // namespace legacy

TEST_CASE("a plain enum converts to int silently") {
    // [plain-enum-test]
    // Meant restock(quantity); passed a status. It compiles, warning-free:
    CHECK(legacy::restock(legacy::shipped) == 2);
    CHECK(legacy::paid + legacy::paid == 2);  // and arithmetic on statuses is fine too
    // [plain-enum-test]
}

namespace shop {

// [names-table]
// to_string and parse through one constexpr table. C++20 cannot list an enum's
// enumerators, so the table is written by hand and the static_asserts check it.
struct order_status_name {
    order_status value;
    std::string_view name;
};

inline constexpr std::array order_status_names{
    order_status_name{order_status::pending, "pending"},
    order_status_name{order_status::paid, "paid"},
    order_status_name{order_status::shipped, "shipped"},
    order_status_name{order_status::cancelled, "cancelled"},
};

// Row i holds the enumerator whose value is i, and the last row holds cancelled, the
// last enumerator. (An enumerator added after cancelled needs a row and a new check.)
static_assert([] {
    for (std::size_t i = 0; i < order_status_names.size(); ++i) {
        if (static_cast<std::size_t>(order_status_names[i].value) != i) {
            return false;
        }
    }
    return order_status_names.back().value == order_status::cancelled;
}());

constexpr std::string_view to_string(order_status s) noexcept {
    const auto i = static_cast<std::size_t>(s);
    return i < order_status_names.size() ? order_status_names[i].name : "unknown";
}

// Python: OrderStatus("paid"), which raises ValueError; here an empty optional.
constexpr std::optional<order_status> parse_order_status(std::string_view name) noexcept {
    for (const auto& row : order_status_names) {
        if (row.name == name) {
            return row.value;
        }
    }
    return std::nullopt;
}
// [names-table]

}  // namespace shop

// [enum-formatter]
// "{}" prints the name; the string_view formatter it derives from brings the width,
// fill and alignment specs ("{:>9}").
template <>
struct fmt::formatter<shop::order_status> : fmt::formatter<std::string_view> {
    auto format(shop::order_status s, fmt::format_context& ctx) const {
        return fmt::formatter<std::string_view>::format(shop::to_string(s), ctx);
    }
};
// [enum-formatter]

TEST_CASE("names come from one constexpr table, and fmt prints them") {
    // [names-test]
    using shop::order_status;
    static_assert(shop::to_string(order_status::paid) == "paid");  // at compile time
    static_assert(shop::parse_order_status("shipped") == order_status::shipped);
    CHECK_FALSE(shop::parse_order_status("lost").has_value());

    CHECK(fmt::format("{}", order_status::cancelled) == "cancelled");
    CHECK(fmt::format("[{:>9}]", order_status::paid) == "[     paid]");

    std::vector<std::string> all;  // list(OrderStatus)
    all.reserve(shop::order_status_names.size());
    for (const auto& row : shop::order_status_names) {
        all.push_back(fmt::format("{}", row.value));
    }
    CHECK(all == std::vector<std::string>{"pending", "paid", "shipped", "cancelled"});
    // [names-test]
}

namespace shop {

// [exhaustive-switch]
// No default: -Wswitch (in -Wall) then names any enumerator the switch forgets, and
// -Werror makes that an error. The return after the switch is for values that are no
// enumerator: any std::uint8_t is a valid order_status.
constexpr bool can_cancel(order_status s) noexcept {
    switch (s) {
        case order_status::pending:
        case order_status::paid:
            return true;
        case order_status::shipped:
        case order_status::cancelled:
            return false;
    }
    return false;
}
// [exhaustive-switch]

}  // namespace shop

TEST_CASE("a switch without default covers every enumerator, and a value may be none") {
    // [exhaustive-switch-test]
    using shop::order_status;
    CHECK(shop::can_cancel(order_status::paid));
    CHECK_FALSE(shop::can_cancel(order_status::shipped));
    // Unlike OrderStatus(7), which raises, this is a valid value with no name:
    const auto stray = static_cast<order_status>(7);
    CHECK_FALSE(shop::can_cancel(stray));
    CHECK(shop::to_string(stray) == "unknown");
    // [exhaustive-switch-test]
}

#ifdef CE_COMPILE_FAIL_MISSING_CASE
namespace shop {
// [missing-case]
// `cancelled` was added to the enum; this switch was not updated.
constexpr std::string_view badge_colour(order_status s) noexcept {
    switch (s) {
        case order_status::pending:
            return "grey";
        case order_status::paid:
            return "blue";
        case order_status::shipped:
            return "green";
    }
    return "";
}
// [missing-case]
}  // namespace shop
#endif

namespace shop {

// [literal-parameter]
// typing.Literal["asc", "desc"]: a parameter that takes one of a few values. An enum
// class makes every other argument a compile error, where a str or a bool would not.
enum class sort_order : std::uint8_t { ascending, descending };

std::vector<int> sorted(std::vector<int> values, sort_order order) {
    if (order == sort_order::ascending) {
        std::ranges::sort(values);
    } else {
        std::ranges::sort(values, std::greater<>{});
    }
    return values;
}

static_assert(!std::is_invocable_v<decltype(&sorted), std::vector<int>, bool>);
static_assert(!std::is_invocable_v<decltype(&sorted), std::vector<int>, const char*>);
static_assert(!fmt::is_formattable<sort_order>::value);  // no formatter written: fmt refuses it
// [literal-parameter]

}  // namespace shop

TEST_CASE("an enum class parameter reads at the call site and accepts nothing else") {
    // [literal-parameter-test]
    const std::vector<int> v{3, 1, 2};
    CHECK(shop::sorted(v, shop::sort_order::descending) == std::vector<int>{3, 2, 1});
    // [literal-parameter-test]
}

namespace shop {

// [flags]
// enum.Flag: each enumerator a bit. A scoped enum has no |, & or ~ of its own, so a
// bitmask type defines them, once, for itself.
enum class permission : std::uint8_t { none = 0, read = 1U << 0U, write = 1U << 1U, refund = 1U << 2U };

constexpr permission operator|(permission a, permission b) noexcept {
    return static_cast<permission>(static_cast<std::uint8_t>(a) | static_cast<std::uint8_t>(b));
}
constexpr permission operator&(permission a, permission b) noexcept {
    return static_cast<permission>(static_cast<std::uint8_t>(a) & static_cast<std::uint8_t>(b));
}
constexpr bool has(permission set, permission p) noexcept { return (set & p) == p; }
// [flags]

}  // namespace shop

TEST_CASE("a scoped enum with its own | and & is a flag set") {
    // [flags-test]
    using shop::permission;
    constexpr permission clerk = permission::read | permission::write;
    static_assert(shop::has(clerk, permission::write));
    static_assert(!shop::has(clerk, permission::refund));
    CHECK((clerk & permission::refund) == permission::none);
    // [flags-test]
}
