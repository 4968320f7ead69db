// Coverage: the chapter page shows the named regions of this file. Two tool runs compile
// it with --coverage and show what gcov says about it (snippets/CMakeLists.txt); the
// gcc-coverage build runs it with every other snippet for make coverage's report.
#include <doctest/doctest.h>

#include <ce/log_sink.hpp>
#include <ce/logger.hpp>

#include <cstdint>
#include <memory>
#include <sstream>
#include <string>

// [line-vs-branch]
// Shipping is free for members, and for anyone spending 50 euros or more.
bool free_shipping(std::int64_t cents, bool member) { return member || cents >= 5000; }

TEST_CASE("free_shipping: the first two tests") {
    CHECK(free_shipping(1000, true));
    CHECK(free_shipping(6000, false));
}
// [line-vs-branch]

// [missing-branch-tested]
TEST_CASE("free_shipping: not for a small order from a non-member") {
    CHECK_FALSE(free_shipping(1000, false));
    CHECK_FALSE(free_shipping(4999, false));  // and the boundary, both sides
    CHECK(free_shipping(5000, false));
}
// [missing-branch-tested]

// [not-correctness]
// The same rule with the boundary off by one cent: a plausible bug.
bool free_shipping_off_by_one(std::int64_t cents, bool member) { return member || cents > 5000; }

TEST_CASE("full branch coverage does not find the off-by-one") {
    // These inputs take every branch of both functions, and they agree on all of
    // them: a suite made of these would cover 100% of either and pass on either.
    for (const bool member : {false, true}) {
        for (const std::int64_t cents : {0, 10000}) {
            CHECK(free_shipping(cents, member) == free_shipping_off_by_one(cents, member));
        }
    }
    // Only a test that knows the rule looks at the boundary, where they differ.
    CHECK(free_shipping(5000, false));
    CHECK_FALSE(free_shipping_off_by_one(5000, false));
}
// [not-correctness]

// [found-by-the-report]
// The coverage report of include/ce showed one branch of the logger's UTF-8 check that
// no test had taken: a three-byte character whose first byte is 0xE0 (U+0800 to
// U+0FFF: Devanagari, Thai, Tibetan and more), where the check must also refuse the
// overlong encodings of smaller characters. Both sides of that branch, tested:
TEST_CASE("the JSON log keeps characters from U+0800 and refuses their overlong forms") {
    std::stringstream lines;  // the sink writes, the test reads
    const ce::logger log(std::make_shared<ce::ostream_sink>(lines), {.source = false});

    log.info("greeting", "text", "\xE0\xA4\xA8\xE0\xA4\xAE\xE0\xA4\xB8\xE0\xA5\x8D\xE0\xA4\xA4\xE0\xA5\x87");
    log.info("path", "text", "\xE0\x80\xAF");  // '/' as three bytes: overlong, ill-formed
    log.info("edge", "text", "\xE0\xA0\x80");  // U+0800, the smallest it may encode
    log.info("price", "text", "5 \xE2\x82\xAC");  // a euro sign, U+20AC: a lead byte after 0xE0

    std::string first;
    std::string second;
    std::string third;
    std::string fourth;
    std::getline(lines, first);
    std::getline(lines, second);
    std::getline(lines, third);
    std::getline(lines, fourth);
    CHECK(first.find(R"("text":"नमस्ते")") != std::string::npos);  // copied as is
    CHECK(second.find(R"("text":"\ufffd\ufffd\ufffd")") != std::string::npos);  // one U+FFFD a byte
    CHECK(third.find("\"text\":\"\xE0\xA0\x80\"") != std::string::npos);
    CHECK(fourth.find(R"("text":"5 €")") != std::string::npos);
}
// [found-by-the-report]
