// Reusable packages: the rule by which find_package(ce <version>) accepts an installed
// ce, written with ce::semver and checked against the versions the page's tool run asked
// CMake for, and where that rule is looser than SemVer's own.
#include <ce/semver.hpp>

#include <doctest/doctest.h>

#include <array>
#include <string_view>

// [same-minor]
ce::semver v(std::string_view text) { return ce::semver::parse(text); }

// ceConfigVersion.cmake, written with COMPATIBILITY SameMinorVersion, accepts an installed
// version with the MAJOR.MINOR that was asked for and no older than it. CMake fills a
// missing part with 0: find_package(ce 0.1) asks for 0.1.0.
bool same_minor_version(const ce::semver& installed, const ce::semver& wanted) {
    return installed.major() == wanted.major() && installed.minor() == wanted.minor() && !(installed < wanted);
}

// From 1.0.0 on, SameMajorVersion: the same MAJOR, no older than asked.
bool same_major_version(const ce::semver& installed, const ce::semver& wanted) {
    return installed.major() == wanted.major() && !(installed < wanted);
}
// [same-minor]

TEST_CASE("the rule gives the answers CMake gave for the installed ce 0.1.0") {
    // [cmake-answers]
    struct asked {
        std::string_view wanted;
        bool found;
    };
    // The versions the tool run asked find_package for, and what CMake answered.
    constexpr std::array<asked, 5> answers{{
        {"0.1.0", true}, {"0.1.0", true}, {"0.0.9", false}, {"0.2.0", false}, {"1.0.0", false}}};
    for (const auto& [wanted, found] : answers) {
        CAPTURE(wanted);
        CHECK(same_minor_version(v("0.1.0"), v(wanted)) == found);
    }
    // [cmake-answers]
}

TEST_CASE("before 1.0.0 CMake accepts a newer patch, which SemVer promises nothing about") {
    // [looser-than-semver]
    const ce::semver installed = v("0.1.3");
    const ce::semver wanted = v("0.1.0");
    CHECK(same_minor_version(installed, wanted));    // find_package(ce 0.1.0) takes 0.1.3
    CHECK_FALSE(installed.compatible_with(wanted));  // SemVer item 4: 0.y.z may change anything
    // [looser-than-semver]
}

TEST_CASE("from 1.0.0 on, SameMajorVersion and SemVer agree for every release") {
    // [agree-from-one]
    constexpr std::array<std::string_view, 7> releases{"1.0.0", "1.0.1", "1.2.0", "1.10.0",
                                                       "2.0.0", "2.0.5", "3.1.4"};
    for (const auto installed : releases) {
        for (const auto wanted : releases) {
            CAPTURE(installed);
            CAPTURE(wanted);
            CHECK(same_major_version(v(installed), v(wanted)) == v(installed).compatible_with(v(wanted)));
        }
    }
    // [agree-from-one]
}

TEST_CASE("a pre-release satisfies CMake's rule but not SemVer's") {
    // CMake compares versions as numbers only and has no pre-releases: a package whose
    // version is 2.0.0-rc.1 must call itself 2.0.0 to CMake, and then passes for 2.0.0.
    CHECK(same_major_version(v("2.1.0-rc.1"), v("2.0.0")));
    CHECK_FALSE(v("2.1.0-rc.1").compatible_with(v("2.0.0")));
}
