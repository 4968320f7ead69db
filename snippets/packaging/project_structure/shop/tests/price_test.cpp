// [test-cases]
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN  // this file provides the test program's main()
#include <doctest/doctest.h>

#include <shop/price.hpp>  // as a user includes it: the tests see only the public API

#include <stdexcept>

TEST_CASE("a price reads and writes as units and two decimals") {
    CHECK(shop::parse_price("12.34") == shop::price{1234});
    CHECK(shop::format_price(shop::price{1234}) == "12.34");
    CHECK(shop::format_price(shop::parse_price("0.05")) == "0.05");
}

TEST_CASE("a tax is added and rounded to the nearest cent") {
    CHECK(shop::with_tax(shop::price{1000}, 20) == shop::price{1200});
    CHECK(shop::with_tax(shop::price{999}, 5) == shop::price{1049});  // 49.95 cents of tax: 50
}

TEST_CASE("parse_price rejects what is not units and two decimals") {
    CHECK_THROWS_AS((void)shop::parse_price("12.3"), std::invalid_argument);
    CHECK_THROWS_AS((void)shop::parse_price("12,34"), std::invalid_argument);
    CHECK_THROWS_AS((void)shop::parse_price(".50"), std::invalid_argument);
    CHECK_THROWS_AS((void)shop::parse_price("1.2."), std::invalid_argument);
}
// [test-cases]
