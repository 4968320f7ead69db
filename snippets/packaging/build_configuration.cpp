// Build configuration as the code sees it: an option that reaches C++ as a constant
// both of whose branches are compiled, the language level a target was given, and the
// build type's NDEBUG, which removes every assert() and what is inside it.
#include <doctest/doctest.h>

#include <cassert>
#include <string>
#include <vector>

// [option-constant]
// CMake passes the option as a definition: in shop's CMakeLists.txt,
//   target_compile_definitions(shop PRIVATE SHOP_AUDIT=$<BOOL:${SHOP_AUDIT}>)
// which is SHOP_AUDIT=1 or SHOP_AUDIT=0. Built some other way, the option is off.
#ifndef SHOP_AUDIT
#define SHOP_AUDIT 0
#endif

namespace shop::config {
// The one place the macro is read; the code uses a constant of the language.
inline constexpr bool audit = SHOP_AUDIT != 0;
}  // namespace shop::config
// [option-constant]

namespace shop {

// [if-constexpr]
std::vector<std::string>& audit_log() {
    static std::vector<std::string> log;
    return log;
}

int apply_discount(int cents, int percent) {
    const int discounted = cents - cents * percent / 100;
    // Not #if: the compiler checks this branch in every build, audit or not, so a
    // rename that breaks it fails every build, not only the one that turns it on.
    if constexpr (config::audit) {
        audit_log().push_back("discount " + std::to_string(percent) + "% on " + std::to_string(cents));
    }
    return discounted;
}
// [if-constexpr]

#ifdef CE_COMPILE_FAIL_STALE_BRANCH
// [stale-branch]
int apply_discount_v2(int cents, int percent) {
    if constexpr (config::audit) {
        record_audit("discount", percent);  // renamed long ago to audit_log().push_back
    }
    return cents - cents * percent / 100;
}
// [stale-branch]
#endif

}  // namespace shop

TEST_CASE("an option off by default compiles its branch but does not run it") {
    shop::audit_log().clear();
    CHECK(shop::apply_discount(2000, 15) == 1700);
    CHECK(shop::audit_log().size() == (shop::config::audit ? 1U : 0U));
    CHECK_FALSE(shop::config::audit);  // nothing in the book's build defines SHOP_AUDIT
}

TEST_CASE("the book's targets are compiled as standard C++20, without GNU extensions") {
    // [language-level]
    // cxx_std_20 as a compile feature: -std=c++20 with CMAKE_CXX_EXTENSIONS OFF,
    // -std=gnu++20 without it. __cplusplus says which standard; __STRICT_ANSI__,
    // which g++ and clang define for -std=c++NN only, says which dialect.
    static_assert(__cplusplus == 202002L);
#ifdef __STRICT_ANSI__
    constexpr bool strict = true;
#else
    constexpr bool strict = false;
#endif
    CHECK(strict);
    // [language-level]
}

TEST_CASE("a Release build removes assert() and the side effect written inside it") {
    // [assert-side-effect]
    std::vector<int> queue{1, 2, 3};
    // Pitfall: work inside assert(). CMake's Release and RelWithDebInfo add -DNDEBUG,
    // and then the whole expression, pop_back included, is gone.
    assert((queue.pop_back(), !queue.empty()));
#ifdef NDEBUG
    CHECK(queue.size() == 3);  // -O2 -DNDEBUG: nothing was popped
#else
    CHECK(queue.size() == 2);  // Debug: popped, then checked
#endif
    // [assert-side-effect]
}
