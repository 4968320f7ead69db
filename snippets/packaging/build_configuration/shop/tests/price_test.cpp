#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <shop/price.hpp>

#include <cstdint>
#include <limits>
#include <stdexcept>

TEST_CASE("a line costs the unit price times the quantity") {
    CHECK(shop::line_total(shop::price{1999}, 3) == shop::price{5997});
    CHECK(shop::line_total(shop::price{1999}, 0) == shop::price{0});
}

TEST_CASE("a total that does not fit throws") {
    constexpr auto most = std::numeric_limits<std::int64_t>::max();
    CHECK_THROWS_AS(shop::line_total(shop::price{most}, 2), std::overflow_error);
}

TEST_CASE("a price prints as a receipt shows it") {
    CHECK(shop::to_string(shop::price{5997}) == "59.97");
    CHECK(shop::to_string(shop::price{5}) == "0.05");
    CHECK(shop::to_string(shop::price{-250}) == "-2.50");
    CHECK(shop::to_string(shop::price{std::numeric_limits<std::int64_t>::min()}) == "-92233720368547758.08");
}
