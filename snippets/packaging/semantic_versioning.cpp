// Semantic versioning: ce::semver against every example of SemVer 2.0.0, and what
// breaks a C++ library's API and ABI, each shown by code that compiles (or, where the
// book says it must not, by the compilers' real diagnostics).
#include <ce/semver.hpp>
#include <ce/type_name.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <compare>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

namespace {

// The specification's examples, https://semver.org/spec/v2.0.0.html: items 9, 10 and 11.
constexpr std::array<std::string_view, 5> spec_pre_release_examples{"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-0.3.7",
                                                                    "1.0.0-x.7.z.92", "1.0.0-x-y-z.--"};
constexpr std::array<std::string_view, 4> spec_build_examples{"1.0.0-alpha+001", "1.0.0+20130313144700",
                                                              "1.0.0-beta+exp.sha.5114f85",
                                                              "1.0.0+21AF26D3----117B344092BD"};

std::vector<std::string_view> every_spec_example();

}  // namespace

TEST_CASE("a version parses into its parts and prints back exactly") {
    // [parse]
    const ce::semver version = ce::semver::parse("1.0.0-beta+exp.sha.5114f85");
    CHECK(version.major() == 1);
    CHECK(version.minor() == 0);
    CHECK(version.patch() == 0);
    CHECK(version.pre_release() == "beta");
    CHECK(version.build() == "exp.sha.5114f85");
    CHECK(version.to_string() == "1.0.0-beta+exp.sha.5114f85");

    CHECK_THROWS_WITH_AS((void)ce::semver::parse("1.2"),
                         R"(invalid semantic version "1.2": offset 3: expected '.' before the patch version, found the end)",
                         ce::usage_error);
    // [parse]
}

TEST_CASE("the specification's precedence examples are in ascending order") {
    // [precedence]
    // SemVer 2.0.0, item 11: each example has lower precedence than the next one.
    const std::vector<std::string_view> ascending{
        "1.0.0-alpha",   "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
        "1.0.0-beta.11", "1.0.0-rc.1",    "1.0.0",            "2.0.0",      "2.1.0",
        "2.1.1"};
    for (std::size_t i = 0; i < ascending.size(); ++i) {
        for (std::size_t j = i + 1; j < ascending.size(); ++j) {
            CAPTURE(ascending[i]);
            CAPTURE(ascending[j]);
            CHECK(ce::semver::parse(ascending[i]) < ce::semver::parse(ascending[j]));
        }
    }
    // Numbers compare as numbers and identifiers one by one, never as strings:
    CHECK(ce::semver::parse("1.10.0") > ce::semver::parse("1.9.0"));
    CHECK(ce::semver::parse("1.0.0-beta.11") > ce::semver::parse("1.0.0-beta.2"));
    CHECK(ce::semver::parse("1.0.0-alpha.beta") > ce::semver::parse("1.0.0-alpha.1"));
    // [precedence]
}

TEST_CASE("every example of the specification parses and prints back identically") {
    for (const std::string_view text : every_spec_example()) {
        CAPTURE(text);
        const ce::semver version = ce::semver::parse(text);
        CHECK(version.to_string() == text);
        CHECK(ce::semver::parse(version.to_string()).identical_to(version));
        const std::optional<ce::semver> maybe = ce::semver::try_parse(text);
        CHECK((maybe && maybe->identical_to(version)));
    }
    for (const std::string_view text : spec_pre_release_examples) {
        CHECK(ce::semver::parse(text).is_pre_release());
    }
    CHECK(ce::semver::parse("1.0.0-alpha+001").build() == "001");  // leading zeros allowed in build metadata
    CHECK(ce::semver::parse("1.0.0-x-y-z.--").pre_release() == "x-y-z.--");
}

TEST_CASE("precedence is a strict weak order over every example, and == agrees with it") {
    std::vector<ce::semver> versions;
    for (const std::string_view text : every_spec_example()) {
        versions.push_back(ce::semver::parse(text));
    }
    const auto equivalent = [](const ce::semver& a, const ce::semver& b) { return !(a < b) && !(b < a); };
    for (const ce::semver& a : versions) {
        CHECK_FALSE(a < a);
        for (const ce::semver& b : versions) {
            CAPTURE(a.to_string());
            CAPTURE(b.to_string());
            CHECK_FALSE((a < b && b < a));
            CHECK((a == b) == equivalent(a, b));
            CHECK(std::is_lt(a <=> b) == std::is_gt(b <=> a));
            CHECK(std::is_lt(a <=> b) == (a < b));
            for (const ce::semver& c : versions) {
                if (a < b && b < c) {
                    CHECK(a < c);
                }
                if (equivalent(a, b) && equivalent(b, c)) {
                    CHECK(equivalent(a, c));
                }
            }
        }
    }
}

TEST_CASE("sorting every example by precedence") {
    // A multiset keeps equivalent versions, in the order they were inserted.
    std::multiset<ce::semver> versions;
    for (const std::string_view text : every_spec_example()) {
        versions.insert(ce::semver::parse(text));
    }
    std::string sorted;
    for (const ce::semver& version : versions) {
        sorted += version.to_string() + '\n';
    }
    // [sorted-output]
    constexpr std::string_view expected = R"(
1.0.0-0.3.7
1.0.0-alpha
1.0.0-alpha+001
1.0.0-alpha.1
1.0.0-alpha.beta
1.0.0-beta
1.0.0-beta+exp.sha.5114f85
1.0.0-beta.2
1.0.0-beta.11
1.0.0-rc.1
1.0.0-x.7.z.92
1.0.0-x-y-z.--
1.0.0
1.0.0+20130313144700
1.0.0+21AF26D3----117B344092BD
2.0.0
2.1.0
2.1.1
)";
    // [sorted-output]
    CHECK(sorted == expected.substr(1));
}

TEST_CASE("build metadata is kept but ignored for precedence") {
    // [build-metadata]
    const auto nightly = ce::semver::parse("1.0.0+20130313144700");
    const auto signed_build = ce::semver::parse("1.0.0+21AF26D3----117B344092BD");

    CHECK(nightly == signed_build);  // the same precedence: == agrees with <=>
    CHECK((nightly <=> signed_build) == std::weak_ordering::equivalent);
    CHECK_FALSE(nightly.identical_to(signed_build));  // but not the same string
    CHECK(nightly.to_string() != signed_build.to_string());

    static_assert(std::same_as<decltype(nightly <=> signed_build), std::weak_ordering>);
    static_assert(std::totally_ordered<ce::semver>);
    static_assert(!std::three_way_comparable<ce::semver, std::strong_ordering>);

    // So a std::set, which keeps one element per equivalence class, keeps one of them:
    const std::set<ce::semver> builds{nightly, signed_build};
    CHECK(builds.size() == 1);
    CHECK(builds.begin()->build() == "20130313144700");
    // [build-metadata]
}

TEST_CASE("a version built from parts is checked like a parsed one") {
    CHECK(ce::semver(1, 0, 0, "alpha.1", "build.5").to_string() == "1.0.0-alpha.1+build.5");
    CHECK(ce::semver(2, 1, 1).identical_to(ce::semver::parse("2.1.1")));
    CHECK_THROWS_WITH_AS(ce::semver(1, 2, 3, "01"),
                         R"(invalid semantic version "1.2.3-01": offset 6: numeric pre-release identifier with a leading zero)",
                         ce::semver_error);
    CHECK_THROWS_WITH_AS(ce::semver(1, 2, 3, "rc+1"),
                         R"(invalid semantic version "1.2.3-rc+1": offset 8: '+' in a pre-release identifier, which allows only [0-9A-Za-z-])",
                         ce::semver_error);
    CHECK_THROWS_WITH_AS(ce::semver(1, 2, 3, {}, "a..b"),
                         R"(invalid semantic version "1.2.3+a..b": offset 8: empty build identifier)", ce::semver_error);
}

TEST_CASE("an invalid string is rejected with its offset and the rule it breaks") {
    // [invalid]
    struct invalid_case {
        std::string_view text;
        std::size_t offset;
        std::string_view message;
    };
    const std::vector<invalid_case> cases{
        {"", 0, R"(invalid semantic version "": offset 0: expected the major version, found the end)"},
        {"1", 1, R"(invalid semantic version "1": offset 1: expected '.' before the minor version, found the end)"},
        {"1.2", 3, R"(invalid semantic version "1.2": offset 3: expected '.' before the patch version, found the end)"},
        {"1.2.3.4", 5, R"(invalid semantic version "1.2.3.4": offset 5: expected '-', '+' or the end after the patch version, found '.')"},
        {"01.2.3", 0, R"(invalid semantic version "01.2.3": offset 0: leading zero in the major version)"},
        {"1.2.3-", 6, R"(invalid semantic version "1.2.3-": offset 6: empty pre-release identifier)"},
        {"1.2.3-01", 6, R"(invalid semantic version "1.2.3-01": offset 6: numeric pre-release identifier with a leading zero)"},
        {"1.2.3+", 6, R"(invalid semantic version "1.2.3+": offset 6: empty build identifier)"},
        {"1.2.3-a..b", 8, R"(invalid semantic version "1.2.3-a..b": offset 8: empty pre-release identifier)"},
        {"v1.2.3", 0, R"(invalid semantic version "v1.2.3": offset 0: expected the major version, found 'v')"},
        {" 1.2.3", 0, R"(invalid semantic version " 1.2.3": offset 0: expected the major version, found ' ')"},
        {"1.2.3 ", 5, R"(invalid semantic version "1.2.3 ": offset 5: expected '-', '+' or the end after the patch version, found ' ')"},
        {"99999999999999999999.0.0", 19, R"(invalid semantic version "99999999999999999999.0.0": offset 19: the major version exceeds 18446744073709551615)"},
        {"1.2.3-\u00e9", 6, R"(invalid semantic version "1.2.3-\xC3\xA9": offset 6: byte 0xC3 in a pre-release identifier, which allows only [0-9A-Za-z-])"},
    };
    for (const invalid_case& bad : cases) {
        CAPTURE(bad.text);
        CHECK_FALSE(ce::semver::try_parse(bad.text).has_value());
        try {
            (void)ce::semver::parse(bad.text);
            FAIL("parse accepted an invalid version");
        } catch (const ce::semver_error& error) {
            CHECK(error.what() == bad.message);
            CHECK(error.offset() == bad.offset);
            CHECK(error.input() == bad.text);
        }
    }
    // [invalid]
}

TEST_CASE("each component holds up to 2^64 - 1; pre-release numbers have no limit") {
    CHECK(ce::semver::parse("18446744073709551615.18446744073709551615.18446744073709551615").patch() ==
          18446744073709551615U);
    CHECK_THROWS_WITH_AS(
        (void)ce::semver::parse("1.18446744073709551616.0"),
        R"(invalid semantic version "1.18446744073709551616.0": offset 21: the minor version exceeds 18446744073709551615)",
        ce::semver_error);
    CHECK_THROWS_WITH_AS(
        (void)ce::semver::parse("1.0.184467440737095516150"),
        R"(invalid semantic version "1.0.184467440737095516150": offset 24: the patch version exceeds 18446744073709551615)",
        ce::semver_error);
    // A leading zero is reported before an overflow that comes later in the same number.
    CHECK_THROWS_WITH_AS(
        (void)ce::semver::parse("099999999999999999999.0.0"),
        R"(invalid semantic version "099999999999999999999.0.0": offset 0: leading zero in the major version)",
        ce::semver_error);
    // Numeric pre-release identifiers compare by value however long they are.
    CHECK(ce::semver::parse("1.0.0-99999999999999999999999") < ce::semver::parse("1.0.0-100000000000000000000000"));
    CHECK(ce::semver::parse("1.0.0-100000000000000000000000") < ce::semver::parse("1.0.0-a"));
}

TEST_CASE("more rules of the grammar, each with its message") {
    const std::vector<std::pair<std::string_view, std::string_view>> cases{
        {"1..2.3", R"(invalid semantic version "1..2.3": offset 2: expected the minor version, found '.')"},
        {"1.2.-3", R"(invalid semantic version "1.2.-3": offset 4: expected the patch version, found '-')"},
        {"1.02.3", R"(invalid semantic version "1.02.3": offset 2: leading zero in the minor version)"},
        {"1.2.03", R"(invalid semantic version "1.2.03": offset 4: leading zero in the patch version)"},
        {"1.2.3-a.", R"(invalid semantic version "1.2.3-a.": offset 8: empty pre-release identifier)"},
        {"1.2.3-+b", R"(invalid semantic version "1.2.3-+b": offset 6: empty pre-release identifier)"},
        {"1.2.3+b+c", R"(invalid semantic version "1.2.3+b+c": offset 7: '+' in a build identifier, which allows only [0-9A-Za-z-])"},
        {"1.2.3-a_b", R"(invalid semantic version "1.2.3-a_b": offset 7: '_' in a pre-release identifier, which allows only [0-9A-Za-z-])"},
        {"1.2.3-rc.1\n", R"(invalid semantic version "1.2.3-rc.1\x0A": offset 10: byte 0x0A in a pre-release identifier, which allows only [0-9A-Za-z-])"},
        {"1.2.3-\"", R"(invalid semantic version "1.2.3-\x22": offset 6: '"' in a pre-release identifier, which allows only [0-9A-Za-z-])"},
        {"1.2.3", ""},
        {"0.0.0", ""},
        {"1.2.3-0", ""},
        {"1.2.3-0a.00a.-", ""},
        {"1.2.3+0.00.-", ""},
    };
    for (const auto& [text, message] : cases) {
        CAPTURE(text);
        if (message.empty()) {
            CHECK(ce::semver::parse(text).to_string() == text);
        } else {
            CHECK_THROWS_WITH_AS((void)ce::semver::parse(text), std::string(message).c_str(), ce::semver_error);
        }
    }
}

TEST_CASE("try_parse skips what is not a version") {
    // [try-parse]
    const std::vector<std::string_view> tags{"v1.2.0", "1.9.0", "nightly", "1.10.0-rc.1", "1.10.0", "1.10"};
    std::optional<ce::semver> newest;
    for (const std::string_view tag : tags) {
        if (const auto version = ce::semver::try_parse(tag); version && (!newest || *version > *newest)) {
            newest = version;
        }
    }
    CHECK((newest && newest->to_string() == "1.10.0"));
    // [try-parse]
}

TEST_CASE("compatible_with follows what the numbers promise") {
    // [compatible]
    const auto parse = ce::semver::parse;
    // Same MAJOR, at least the required precedence: compatible.
    CHECK(parse("1.4.2").compatible_with(parse("1.2.0")));
    CHECK(parse("1.2.0+build.7").compatible_with(parse("1.2.0")));
    // Older than required, or a new MAJOR (an incompatible API change): not compatible.
    CHECK_FALSE(parse("1.1.9").compatible_with(parse("1.2.0")));
    CHECK_FALSE(parse("2.0.0").compatible_with(parse("1.2.0")));
    // MAJOR 0 is initial development: anything may change, so only the same version.
    CHECK(parse("0.3.1").compatible_with(parse("0.3.1")));
    CHECK_FALSE(parse("0.3.2").compatible_with(parse("0.3.1")));
    // A pre-release keeps no promise, except to a pre-release of its own version.
    CHECK_FALSE(parse("1.3.0-rc.1").compatible_with(parse("1.2.0")));
    CHECK(parse("1.3.0-rc.2").compatible_with(parse("1.3.0-rc.1")));
    CHECK(parse("1.3.0").compatible_with(parse("1.3.0-rc.1")));
    // [compatible]
    CHECK_FALSE(parse("1.3.0-rc.1").compatible_with(parse("1.3.0-rc.2")));
    CHECK_FALSE(parse("1.4.0-rc.1").compatible_with(parse("1.3.0-rc.1")));
}

// What breaks a library's ABI and what breaks its API: one library, `shop`, in the
// versions its users see. Each namespace below stands for one release of the same header.

// [abi-break]
namespace shop_1_0 {
struct order {
    std::int64_t id;
    std::int64_t cents;
};
}  // namespace shop_1_0

namespace shop_1_1 {  // a new member: every 1.0 caller still compiles
struct order {
    std::int64_t id;
    std::int64_t cents;
    std::int64_t discount_cents = 0;
};
}  // namespace shop_1_1

static_assert(sizeof(shop_1_0::order) == 16);
static_assert(sizeof(shop_1_1::order) == 24);  // a 1.0 binary's arrays have the wrong stride
// [abi-break]

namespace {

// [same-source]
// A caller written against 1.0. The template stands in for recompiling the same source
// against each release's header.
template <class Order>
std::int64_t revenue(const std::vector<Order>& orders) {
    std::int64_t total = 0;
    for (const Order& each : orders) {
        total += each.cents;
    }
    return total;
}
// [same-source]

}  // namespace

TEST_CASE("adding a data member breaks the ABI but not the API") {
    // [same-source-test]
    const std::vector<shop_1_0::order> before{{1, 250}, {2, 100}};
    const std::vector<shop_1_1::order> after{{1, 250}, {2, 100}};  // unchanged source
    CHECK(revenue(before) == 350);
    CHECK(revenue(after) == 350);
    // [same-source-test]
}

// [api-break]
namespace shop_2_0 {  // a rename: the same bytes, a new name
struct order {
    std::int64_t id;
    std::int64_t price;  // was `cents`
    std::int64_t discount_cents = 0;
};
}  // namespace shop_2_0

static_assert(sizeof(shop_2_0::order) == sizeof(shop_1_1::order));
static_assert(offsetof(shop_2_0::order, price) == offsetof(shop_1_1::order, cents));
// [api-break]

#ifdef CE_COMPILE_FAIL_RENAMED_MEMBER
// [renamed-member]
std::int64_t amount_due(const shop_2_0::order& order) {
    return order.cents - order.discount_cents;  // 1.x source against the 2.0 header
}
// [renamed-member]
#endif

#ifdef CE_COMPILE_FAIL_DEPRECATED_CALL
// [deprecated-call]
namespace shop_1_2 {
inline std::int64_t line_total(std::int64_t cents, std::int64_t quantity) { return cents * quantity; }

// The old name stays through 1.x, as a forwarder that says what to use instead.
[[deprecated("use line_total: subtotal is removed in 2.0")]]
inline std::int64_t subtotal(std::int64_t cents, std::int64_t quantity) {
    return line_total(cents, quantity);
}
}  // namespace shop_1_2

std::int64_t checkout() {
    return shop_1_2::subtotal(250, 2);  // an error under -Werror
}
// [deprecated-call]
#endif

// [inline-namespace]
namespace shop {
namespace v1 {  // the ABI of 1.x, still shipped for the binaries built against it
struct order {
    std::int64_t id;
    std::int64_t cents;
};
std::int64_t revenue(const std::vector<order>& orders);
}  // namespace v1

inline namespace v2 {  // what shop::order means to everything compiled from now on
struct order {
    std::int64_t id;
    std::int64_t cents;
    std::int64_t discount_cents = 0;
};
std::int64_t revenue(const std::vector<order>& orders);
}  // namespace v2
}  // namespace shop
// [inline-namespace]

// The library's definitions: both versions, in one binary.
std::int64_t shop::v1::revenue(const std::vector<order>& orders) {
    std::int64_t total = 0;
    for (const order& o : orders) {
        total += o.cents;
    }
    return total;
}

std::int64_t shop::v2::revenue(const std::vector<order>& orders) {
    std::int64_t total = 0;
    for (const order& o : orders) {
        total += o.cents - o.discount_cents;
    }
    return total;
}

TEST_CASE("an inline namespace lets two ABI versions link side by side") {
    // [two-abis]
    const std::vector<shop::order> current{{1, 250, 50}, {2, 100}};  // shop::v2::order
    const std::vector<shop::v1::order> old{{1, 250}, {2, 100}};      // what a 1.x binary passes
    CHECK(shop::revenue(current) == 300);      // compiles to a call of shop::v2::revenue
    CHECK(shop::v1::revenue(old) == 350);      // the call a 1.x binary was compiled to
    CHECK(ce::type_name<shop::order>() == "shop::v2::order");
    CHECK(std::string_view(typeid(shop::order).name()) == "N4shop2v25orderE");
    CHECK(std::string_view(typeid(shop::v1::order).name()) == "N4shop2v15orderE");
    // [two-abis]
}

TEST_CASE("libstdc++'s std::string lives in the inline namespace __cxx11") {
    // [cxx11-abi]
    CHECK(ce::type_name<std::string>() == "std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >");
    static_assert(std::same_as<std::string, std::__cxx11::basic_string<char>>);
    // [cxx11-abi]
}

namespace {

std::vector<std::string_view> every_spec_example() {
    std::vector<std::string_view> all{"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
                                      "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0",
                                      "2.0.0", "2.1.0", "2.1.1"};
    all.insert(all.end(), spec_pre_release_examples.begin(), spec_pre_release_examples.end());
    all.insert(all.end(), spec_build_examples.begin(), spec_build_examples.end());
    std::vector<std::string_view> unique;  // each string once, in the order of first mention
    for (const std::string_view text : all) {
        if (std::ranges::find(unique, text) == unique.end()) {
            unique.push_back(text);
        }
    }
    return unique;
}

}  // namespace
