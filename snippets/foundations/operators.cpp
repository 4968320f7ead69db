// Operators and fmt::formatter for Python's dunder methods: the chapter page shows the
// named regions of this file.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <compare>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <numeric>
#include <ranges>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace shop {

// [price]
// __eq__, __lt__ and friends: one defaulted <=> gives ==, !=, <, <=, > and >=,
// comparing the members in declaration order. __add__, __iadd__, __mul__ and
// __rmul__: hidden friends, found only when a price is an operand.
class price {
public:
    constexpr explicit price(std::int64_t cents) noexcept : cents_(cents) {}

    [[nodiscard]] constexpr std::int64_t cents() const noexcept { return cents_; }

    friend constexpr auto operator<=>(const price&, const price&) = default;

    friend constexpr price& operator+=(price& a, price b) noexcept {
        a.cents_ += b.cents_;
        return a;
    }
    friend constexpr price operator+(price a, price b) noexcept { return a += b; }
    friend constexpr price operator*(price a, std::int64_t n) noexcept { return price(a.cents_ * n); }
    friend constexpr price operator*(std::int64_t n, price a) noexcept { return a * n; }

private:
    std::int64_t cents_;
};
// [price]

}  // namespace shop

TEST_CASE("a defaulted <=> gives every comparison; + and * are ordinary functions") {
    // [price-test]
    using shop::price;
    static_assert(price(250) + price(50) == price(300));  // constexpr: checked by the compiler
    static_assert(3 * price(120) == price(120) * 3);
    static_assert(price(99) < price(100) && price(100) >= price(100));
    static_assert(std::is_same_v<decltype(price(1) <=> price(2)), std::strong_ordering>);
    static_assert(!std::invocable<std::plus<>, price, int>);  // price(120) + 5: no such +

    std::vector<price> prices{price(500), price(120), price(300)};
    std::ranges::sort(prices);  // sorted(prices): uses <
    CHECK(prices.front() == price(120));
    CHECK(std::reduce(prices.begin(), prices.end(), price(0)) == price(920));  // sum(prices, start)
    // [price-test]
}

// [price-formatter]
// __str__ and __repr__: a fmt::formatter specialisation. "{}" prints the price as a
// customer reads it, "{:r}" as a developer debugging it; any other spec is an error.
template <>
struct fmt::formatter<shop::price> {
    bool repr = false;

    constexpr auto parse(fmt::format_parse_context& ctx) {
        const auto* it = ctx.begin();
        if (it != ctx.end() && *it == 'r') {
            repr = true;
            ++it;
        }
        if (it != ctx.end() && *it != '}') {
            throw fmt::format_error("a price takes {} or {:r}");
        }
        return it;
    }

    auto format(const shop::price& p, fmt::format_context& ctx) const {
        if (repr) {
            return fmt::format_to(ctx.out(), "price({})", p.cents());
        }
        const std::int64_t cents = p.cents() < 0 ? -p.cents() : p.cents();
        return fmt::format_to(ctx.out(), "{}{}.{:02}", p.cents() < 0 ? "-" : "", cents / 100,
                              cents % 100);
    }
};
// [price-formatter]

TEST_CASE("a fmt::formatter is __str__ and __repr__ at once") {
    // [price-format]
    const shop::price p(1250);
    CHECK(fmt::format("{}", p) == "12.50");          // str(p)
    CHECK(fmt::format("{:r}", p) == "price(1250)");  // repr(p)
    CHECK(fmt::format("{}", shop::price(-5)) == "-0.05");
    // A spec the formatter does not know is an error, here at run time:
    CHECK_THROWS_AS((void)fmt::format(fmt::runtime("{:x}"), p), fmt::format_error);
    // [price-format]
}

TEST_CASE("containers of a formattable type format too, with the element spec") {
    // [price-format-ranges]
    const std::vector<shop::price> basket{shop::price(150), shop::price(200)};
    CHECK(fmt::format("{}", basket) == "[1.50, 2.00]");
    CHECK(fmt::format("{::r}", basket) == "[price(150), price(200)]");  // like repr(list)
    CHECK(fmt::format("{}", fmt::join(basket, " + ")) == "1.50 + 2.00");
    // [price-format-ranges]
}

namespace shop {

// [product-key]
// __hash__ with __eq__: equal keys must hash equal. A defaulted == and a std::hash
// specialisation that combines the same members == compares.
struct product_key {
    std::string sku;
    int size = 0;

    friend bool operator==(const product_key&, const product_key&) = default;
};
// [product-key]

}  // namespace shop

// [product-key-hash]
template <>
struct std::hash<shop::product_key> {
    std::size_t operator()(const shop::product_key& key) const noexcept {
        // Python hashes the tuple (sku, size); C++ has no hash_combine, so mix by hand
        // (the constant and shifts are Boost's hash_combine).
        std::size_t seed = std::hash<std::string>{}(key.sku);
        seed ^= std::hash<int>{}(key.size) + 0x9e3779b97f4a7c15U + (seed << 6U) + (seed >> 2U);
        return seed;
    }
};
// [product-key-hash]

TEST_CASE("a std::hash specialisation makes a type a key of the unordered containers") {
    // [product-key-test]
    using shop::product_key;
    const product_key a{"tee", 40};
    const product_key b{std::string("te") + "e", 40};  // equal value, other string
    CHECK(a == b);
    CHECK(std::hash<product_key>{}(a) == std::hash<product_key>{}(b));

    std::unordered_set<product_key> seen{a, b, {"tee", 42}};  // set(...)
    CHECK(seen.size() == 2);
    std::unordered_map<product_key, int> stock{{a, 3}};
    CHECK(stock.at(b) == 3);  // found by value, not by identity
    // [product-key-test]
}

namespace shop {

// [custom-ordering]
// An ordering that is not member by member: SKUs compare case-insensitively, so "TEE"
// and "tee" are equivalent but not equal (they print differently): a weak ordering.
class sku {
public:
    explicit sku(std::string code) : code_(std::move(code)) {}
    [[nodiscard]] const std::string& code() const noexcept { return code_; }

    friend std::weak_ordering operator<=>(const sku& a, const sku& b) {
        return std::lexicographical_compare_three_way(
            a.code_.begin(), a.code_.end(), b.code_.begin(), b.code_.end(),
            [](unsigned char x, unsigned char y) {
                return std::weak_order(std::tolower(x), std::tolower(y));
            });
    }

private:
    std::string code_;
};

// A <=> written by hand brings <, <=, > and >=, but not ==: only a defaulted <=>
// declares a defaulted == too.
static_assert(requires(const sku& a, const sku& b) { a < b; });
static_assert(!std::equality_comparable<sku>);
// And the std::ranges algorithms ask for both: ranges::sort needs totally_ordered.
static_assert(!std::sortable<std::vector<sku>::iterator>);
// Nor is there a hash: std::hash<sku> is "disabled", so sku is no unordered_set key.
static_assert(!std::is_default_constructible_v<std::hash<sku>>);
// [custom-ordering]

}  // namespace shop

TEST_CASE("a hand-written <=> orders but does not compare equal") {
    // [custom-ordering-test]
    std::vector<shop::sku> codes{shop::sku("tee"), shop::sku("Mug"), shop::sku("CAP")};
    std::sort(codes.begin(), codes.end());  // the classic std::sort needs only <
    CHECK(codes.front().code() == "CAP");
    CHECK(codes.back().code() == "tee");
    CHECK(std::is_eq(shop::sku("TEE") <=> shop::sku("tee")));  // equivalent...
    CHECK(shop::sku("TEE").code() != shop::sku("tee").code());  // ...not the same value
    // [custom-ordering-test]
}

namespace shop {

// [cart]
// __len__, __getitem__, __iter__, __contains__ and __bool__: size(), operator[],
// begin()/end(), contains() and an explicit operator bool.
struct cart_line {
    std::string sku;
    price each;
};

class cart {
public:
    void add(std::string sku_code, price each) { lines_.push_back({std::move(sku_code), each}); }

    [[nodiscard]] std::size_t size() const noexcept { return lines_.size(); }
    // Unchecked, like std::vector's: i < size() is the caller's precondition.
    [[nodiscard]] const cart_line& operator[](std::size_t i) const noexcept { return lines_[i]; }
    // Checked: Python's IndexError is std::out_of_range.
    [[nodiscard]] const cart_line& at(std::size_t i) const { return lines_.at(i); }

    [[nodiscard]] auto begin() const noexcept { return lines_.begin(); }
    [[nodiscard]] auto end() const noexcept { return lines_.end(); }

    [[nodiscard]] bool contains(std::string_view sku_code) const {
        return std::ranges::any_of(lines_, [&](const cart_line& l) { return l.sku == sku_code; });
    }

    // explicit: `if (cart)` works, `int n = cart + 1;` does not compile.
    explicit operator bool() const noexcept { return !lines_.empty(); }

private:
    std::vector<cart_line> lines_;
};

static_assert(std::ranges::random_access_range<const cart>);  // it iterates like a list
static_assert(std::ranges::sized_range<const cart>);          // len() in O(1)
static_assert(std::is_constructible_v<bool, cart>);           // bool(cart), if (cart)
static_assert(!std::is_convertible_v<cart, bool>);            // but never silently
static_assert(!std::is_convertible_v<cart, int>);
// [cart]

}  // namespace shop

TEST_CASE("a cart is sized, indexable, iterable and truthy like a Python container") {
    // [cart-test]
    shop::cart c;
    CHECK(!c);  // not cart
    c.add("tee", shop::price(1500));
    c.add("mug", shop::price(800));
    CHECK(c);
    CHECK(std::ranges::size(c) == 2);  // len(c)
    CHECK(c[1].sku == "mug");          // c[1]
    CHECK_THROWS_AS((void)c.at(2), std::out_of_range);  // c[2] raises IndexError
    CHECK(c.contains("tee"));          // "tee" in c

    shop::price total(0);
    for (const shop::cart_line& line : c) {  // for line in c
        total += line.each;
    }
    CHECK(total == shop::price(2300));
    auto skus = c | std::views::transform(&shop::cart_line::sku);  // a view works on it too
    CHECK(std::ranges::equal(skus, std::vector<std::string>{"tee", "mug"}));
    // [cart-test]
}

namespace shop {

// [implicit-bool]
// The pitfall: without `explicit`, a truthiness test is also a conversion to every
// arithmetic type, through bool.
class leaky_cart {
public:
    void add(std::string sku_code) { skus_.push_back(std::move(sku_code)); }
    operator bool() const noexcept { return !skus_.empty(); }

private:
    std::vector<std::string> skus_;
};
// [implicit-bool]

}  // namespace shop

TEST_CASE("an implicit operator bool lets carts be added as numbers") {
    // [implicit-bool-test]
    shop::leaky_cart a;
    shop::leaky_cart b;
    a.add("tee");
    b.add("mug");
    b.add("cap");
    const int items = a + b;  // meant: count the items; compiles, adds true + true
    CHECK(items == 2);        // not 3: each cart became 1
    CHECK(a == b);            // "equal" carts: both are true
    // [implicit-bool-test]
}
