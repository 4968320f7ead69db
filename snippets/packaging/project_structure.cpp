// Project structure: the C++ facts behind a library's layout that one file can show.
// The rest needs several files and a linker, and lives in the example projects under
// snippets/packaging/project_structure/ (shop, a library; odr, the one-definition rule).
#include <doctest/doctest.h>

#include <ce/semver.hpp>

#include <algorithm>
#include <string>
#include <string_view>

// [include-path]
// ce::ce puts include/ on the include path, not include/ce/: the name a user writes
// starts with the library, as `import ce.semver` does in Python, and cannot collide
// with another library's semver.hpp.
#if !__has_include(<ce/semver.hpp>) || __has_include(<semver.hpp>)
#error "a ce header is found as <ce/name.hpp> and only so"
#endif

TEST_CASE("a header is named by its library's folder, then its own name") {
    CHECK(ce::semver::parse("1.2.3").to_string() == "1.2.3");  // <ce/semver.hpp>: ce::semver
}
// [include-path]

// [detail]
TEST_CASE("ce::detail is reachable: only its name says it is not the API") {
    // Inline code in a header can only call what the header shows, so the helpers of
    // ce::semver are in it too, in namespace ce::detail. Nothing but that name keeps a
    // user from calling one, as nothing but the underscore keeps one from importing
    // shop._money; the API pages leave ce::detail out.
    CHECK(ce::detail::describe_at("1.x.3", 2) == "'x'");
    CHECK(ce::detail::describe_at("1.2", 3) == "the end");
}
// [detail]

// [unnamed-namespace]
namespace {
// Internal linkage: header_of belongs to this file alone. Another file of the program
// may define a header_of of its own without a clash, and none can call this one.
std::string header_of(std::string_view module) {
    std::string path(module);
    std::ranges::replace(path, '.', '/');
    return path + ".hpp";
}
}  // namespace

TEST_CASE("a helper in an unnamed namespace serves the file that defines it") {
    CHECK(header_of("ce.semver") == "ce/semver.hpp");
    CHECK(header_of("shop.price") == "shop/price.hpp");
}
// [unnamed-namespace]
