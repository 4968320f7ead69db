// Unit testing with doctest: the chapter page shows the named regions of this file.
// Every case also runs as a ctest test of its own in the gcc-release tree
// (ce_add_snippet(... CASES), doctest_discover_tests); the case that fails on purpose
// runs only in a child process, which the tests below start and read.
#include <doctest/doctest.h>

#include <ce_test/child_process.hpp>

#include <algorithm>
#include <charconv>
#include <concepts>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <numeric>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shop {

// [subject]
// An amount of money in cents: never a floating-point number of euros.
struct money {
    std::int64_t cents = 0;
    friend bool operator==(money, money) = default;
};

// "12", "0.5", "1.05": a non-negative price with at most two decimals. Anything else
// is std::invalid_argument; a price too large for money is std::out_of_range.
money parse_price(std::string_view text) {
    const auto dot = text.find('.');
    const std::string_view whole = text.substr(0, dot);
    const std::string_view fraction = dot == std::string_view::npos ? "" : text.substr(dot + 1);
    const auto digits = [](std::string_view s) {
        return std::ranges::all_of(s, [](char c) { return c >= '0' && c <= '9'; });
    };
    if (whole.empty() || !digits(whole) || !digits(fraction) || fraction.size() > 2
        || (dot != std::string_view::npos && fraction.empty())) {
        throw std::invalid_argument("not a price: \"" + std::string(text) + "\"");
    }
    std::int64_t euros = 0;
    const auto [end, error] = std::from_chars(whole.data(), whole.data() + whole.size(), euros);
    std::int64_t cents = 0;
    for (std::size_t i = 0; i < 2; ++i) {
        cents = cents * 10 + (i < fraction.size() ? fraction[i] - '0' : 0);
    }
    constexpr std::int64_t most = std::numeric_limits<std::int64_t>::max();
    if (error == std::errc::result_out_of_range || euros > (most - cents) / 100) {
        throw std::out_of_range("price too large: \"" + std::string(text) + "\"");
    }
    return money{euros * 100 + cents};
}

// "12.05": the form parse_price reads.
std::string to_string(money m) {
    const std::string sign = m.cents < 0 ? "-" : "";
    const std::uint64_t magnitude =
        m.cents < 0 ? 0U - static_cast<std::uint64_t>(m.cents) : static_cast<std::uint64_t>(m.cents);
    const std::uint64_t fraction = magnitude % 100;
    return sign + std::to_string(magnitude / 100) + (fraction < 10 ? ".0" : ".") + std::to_string(fraction);
}
// [subject]

// [receipt-line]
// One line of a receipt, "tea 1.50": an item and its price.
struct receipt_line {
    std::string item;
    money price;
    friend bool operator==(const receipt_line&, const receipt_line&) = default;
};

receipt_line parse_line(std::string_view text) {
    const auto space = text.rfind(' ');
    if (space == std::string_view::npos || space == 0) {
        throw std::invalid_argument("not a receipt line: \"" + std::string(text) + "\"");
    }
    return {std::string(text.substr(0, space)), parse_price(text.substr(space + 1))};
}
// [receipt-line]

// [saturating-add]
// a + b, or the type's limit in the direction it overflowed: for any integer type.
template <std::integral T>
constexpr T saturating_add(T a, T b) noexcept {
    T sum{};
    if (!__builtin_add_overflow(a, b, &sum)) {
        return sum;
    }
    return std::cmp_less(b, 0) ? std::numeric_limits<T>::min() : std::numeric_limits<T>::max();
}
// [saturating-add]

// [average]
// The mean of prices given in euros, as a report would print them.
double average_euros(std::span<const double> prices) {
    return prices.empty() ? 0.0
                          : std::accumulate(prices.begin(), prices.end(), 0.0)
                                / static_cast<double>(prices.size());
}
// [average]

}  // namespace shop

// [string-maker]
// How doctest prints a money in a failed check's "values:" line: as the reader would
// write it. Without this (or an operator<< it can find), doctest prints {?}.
template <>
struct doctest::StringMaker<shop::money> {
    static doctest::String convert(shop::money m) { return to_string(m).c_str(); }
};
// [string-maker]

using shop::money;
using shop::parse_line;
using shop::parse_price;

// [first-cases]
TEST_CASE("parse_price reads whole euros") {
    CHECK(parse_price("12") == money{1200});  // CHECK: on failure, report and go on
    CHECK(parse_price("0") == money{0});
}

TEST_CASE("a receipt line is an item and a price") {
    const shop::receipt_line line = parse_line("green tea 1.50");
    REQUIRE(line.item == "green tea");  // REQUIRE: on failure, end this case here
    CHECK(line.price == money{150});
}
// [first-cases]

// [table]
// One table of cases, like pytest.mark.parametrize: each row is a subcase, so a
// failing row is reported under its own name and the other rows still run.
TEST_CASE("parse_price reads every well-formed price") {
    struct row {
        const char* text;
        std::int64_t cents;
    };
    const std::vector<row> rows = {
        {"0.5", 50}, {"1.05", 105}, {"007.10", 710}, {"0.00", 0},
        {"92233720368547758.07", std::numeric_limits<std::int64_t>::max()},
    };
    for (const row& r : rows) {
        SUBCASE(r.text) {
            CHECK(parse_price(r.text) == money{r.cents});
            CHECK(parse_price(to_string(money{r.cents})) == money{r.cents});  // and back
        }
    }
}
// [table]

// [template-case]
// The same case for each type in the list: a failure names the type.
TEST_CASE_TEMPLATE("saturating_add stops at the limits of its type", T,
                   std::int8_t, std::uint8_t, std::int32_t, std::uint64_t) {
    constexpr T top = std::numeric_limits<T>::max();
    constexpr T bottom = std::numeric_limits<T>::min();
    CHECK(shop::saturating_add(T{1}, T{2}) == T{3});
    CHECK(shop::saturating_add(top, T{1}) == top);
    CHECK(shop::saturating_add(top, top) == top);
    if constexpr (std::numeric_limits<T>::is_signed) {
        CHECK(shop::saturating_add(bottom, T{-1}) == bottom);
        CHECK(shop::saturating_add(top, bottom) == T{-1});
    } else {
        CHECK(shop::saturating_add(bottom, T{0}) == T{0});
    }
}
// [template-case]

// [exceptions]
// The contract includes what is rejected and how: the exception's type and message.
TEST_CASE("parse_price rejects what is not a price, and says which") {
    CHECK_THROWS_WITH_AS(parse_price("1.005"), "not a price: \"1.005\"", std::invalid_argument);
    CHECK_THROWS_WITH_AS(parse_price("1."), "not a price: \"1.\"", std::invalid_argument);
    CHECK_THROWS_WITH_AS(parse_price(""), "not a price: \"\"", std::invalid_argument);
    CHECK_THROWS_WITH_AS(parse_price("-3"), doctest::Contains("not a price"), std::invalid_argument);
    // One cent more than money holds, and a number of euros from_chars cannot hold.
    CHECK_THROWS_AS(parse_price("92233720368547758.08"), std::out_of_range);
    CHECK_THROWS_AS(parse_price("99999999999999999999"), std::out_of_range);
    CHECK_NOTHROW(parse_price("92233720368547758.07"));
}
// [exceptions]

// [approx]
// Floating point: 0.1 + 0.2 is not 0.3, so == is the wrong question.
TEST_CASE("average_euros is right within floating-point rounding") {
    const std::vector<double> prices = {0.10, 0.20};
    CHECK_FALSE(shop::average_euros(prices) == 0.15);  // the sum is 0.30000000000000004
    CHECK(shop::average_euros(prices) == doctest::Approx(0.15));
    CHECK(shop::average_euros(prices) == doctest::Approx(0.15).epsilon(1e-12));
    CHECK(shop::average_euros({}) == 0.0);
}
// [approx]

// [failing-case]
// Fails on purpose, in a child process only: the tests below start this binary again
// with CE_CHILD=failing-checks and read what doctest printed. Otherwise it does nothing.
TEST_CASE("child process entry: fails on purpose when CE_CHILD is set") {
    const char* mode = std::getenv("CE_CHILD");
    if (mode == nullptr || std::string_view(mode) != "failing-checks") {
        return;
    }
    CHECK(parse_price("1.5") == money{15});  // money has a StringMaker
    CHECK(parse_line("tea 1.50") == shop::receipt_line{"tea", money{105}});  // receipt_line has none
}
// [failing-case]

// [failing-output]
TEST_CASE("a failed check prints its expression and both values") {
    const auto [status, output] = ce_test::run_to_end({
        .test_case = "child process entry: fails on purpose when CE_CHILD is set",
        .environment = {"CE_CHILD=failing-checks"},
    });
    INFO("the child's output:\n" << output);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 1);  // doctest's exit status when a check failed
    // The expression as written, then its operands as StringMaker printed them...
    CHECK(output.find("ERROR: CHECK( parse_price(\"1.5\") == money{15} ) is NOT correct!\n"
                      "  values: CHECK( 1.50 == 0.15 )") != std::string::npos);
    // ...and {?} for a type doctest cannot print: the check says only that it failed.
    CHECK(output.find("  values: CHECK( {?} == {?} )") != std::string::npos);
    CHECK(output.find("assertions: 2 | 0 passed | 2 failed |") != std::string::npos);
}
// [failing-output]
