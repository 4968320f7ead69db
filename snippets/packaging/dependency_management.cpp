// Dependency management, the C++ side: a dependency's version checked where the code
// depends on it (when the compiler reads the headers), what code written for a newer
// version does against an older one, and a standard facility with a library fallback.
#include <doctest/doctest.h>

#include <fmt/core.h>

#include <string>
#include <string_view>

// [version-check]
// find_package checked the version of the package CMake found; this checks the headers
// the compiler actually reads, whichever include path they came from.
static_assert(FMT_VERSION >= 90100 && FMT_VERSION < 100000,
              "written for fmt 9.1 to 9.x, as packaged in Debian 12 (libfmt-dev)");
// [version-check]

#ifdef CE_COMPILE_FAIL_NEWER_API
// [newer-api]
void print_total(int cents) {
    fmt::println("total: {} cents", cents);  // fmt::println is new in fmt 10
}
// [newer-api]
#endif

#ifdef CE_COMPILE_FAIL_VERSION_GATE
// [version-gate]
static_assert(FMT_VERSION >= 100000, "needs fmt 10 or later for fmt::println");

void print_total(int cents) {
    fmt::println("total: {} cents", cents);
}
// [version-gate]
#endif

// [std-or-fmt]
#include <version>  // defines the library's feature-test macros, __cpp_lib_format among them

#if defined(__cpp_lib_format)  // the standard library implements std::format
#include <format>
namespace text = std;
#elif __has_include(<fmt/format.h>)  // otherwise the library it was standardised from
#include <fmt/format.h>
namespace text = fmt;
#else
#error "needs std::format (C++20) or fmt: on Debian 12, sudo apt install libfmt-dev"
#endif
// [std-or-fmt]

TEST_CASE("the fmt the compiler sees is Debian 12's 9.1") {
    CHECK(FMT_VERSION == 90100);
    CHECK(fmt::format("{}.{}", FMT_VERSION / 10000, FMT_VERSION / 100 % 100) == "9.1");
}

TEST_CASE("std::format is absent from libstdc++ 12, so the book formats with fmt") {
    // [std-or-fmt-test]
    CHECK(text::format("{} orders, {:.2f} EUR", 3, 12.5) == "3 orders, 12.50 EUR");
#if defined(__cpp_lib_format)
    constexpr std::string_view library = "std";
#else
    constexpr std::string_view library = "fmt";
#endif
    CHECK(library == "fmt");  // with g++ 12 and with clang 19, which both use libstdc++ 12
    // [std-or-fmt-test]
}
