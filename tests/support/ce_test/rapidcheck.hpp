/**
 * @file
 * RapidCheck properties inside doctest cases: `ce_test::check_property("what it
 * claims", [](std::vector<int> xs) { RC_ASSERT(...); })` generates arguments, runs the
 * property on each, and on a failure shrinks the arguments to a small counterexample
 * and fails the doctest case with RapidCheck's report. RapidCheck ships adapters for
 * Google Test, Catch and Boost.Test, not for doctest; this is the doctest one.
 *
 * The seed is fixed, so a failure in CI is a failure on a reader's machine too, with
 * the same counterexample. Set `RC_PARAMS` (for example `RC_PARAMS="seed=7
 * max_success=10000"`) to search with another seed or for longer; a report ends with the
 * `RC_PARAMS` value that reproduces it.
 *
 * Test support for snippets only, not part of the library (hence not under include/ce).
 * Link the snippet with `rapidcheck` (Debian's librapidcheck-dev).
 */
#pragma once

#include <doctest/doctest.h>
#include <rapidcheck.h>

#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <unordered_map>
#include <utility>

namespace ce_test {

/// The seed properties use unless `RC_PARAMS` is set.
inline constexpr std::uint64_t property_seed = 20261202;

namespace detail {

// Listens to nothing. RapidCheck's own listener, used otherwise, reads its global
// configuration (printing a random seed that these checks do not use) and prints, at
// exit, a "reproduce" line for a seed that is not the one that failed.
class quiet_listener final : public rc::detail::TestListener {
public:
    void onTestCaseFinished(const rc::detail::CaseDescription& /*description*/) override {}
    void onShrinkTried(const rc::detail::CaseDescription& /*shrink*/, bool /*accepted*/) override {}
    void onTestFinished(const rc::detail::TestMetadata& /*metadata*/,
                        const rc::detail::TestResult& /*result*/) override {}
};

}  // namespace detail

/**
 * Checks `property` on generated arguments (RapidCheck's defaults: 100 successes, sizes
 * up to 100) and fails the current doctest case, with the shrunk counterexample and the
 * `RC_PARAMS` that reproduces it, if any run fails. Returns whether it passed.
 */
template <class Property>
bool check_property(const std::string& description, Property&& property) {
    rc::detail::TestMetadata metadata;
    metadata.id = description;
    metadata.description = description;
    rc::detail::TestParams params;  // RapidCheck's defaults
    if (std::getenv("RC_PARAMS") != nullptr) {
        params = rc::detail::configuration().testParams;
    } else {
        params.seed = property_seed;
    }
    detail::quiet_listener listener;
    const rc::detail::TestResult result =
        rc::detail::checkTestable(std::forward<Property>(property), metadata, params, listener,
                                  std::unordered_map<std::string, rc::detail::Reproduce>{});
    if (result.template is<rc::detail::SuccessResult>()) {
        return true;
    }
    std::ostringstream report;
    rc::detail::printResultMessage(result, report);
    report << "\nreproduce with: RC_PARAMS=\"seed=" << params.seed << " max_success=" << params.maxSuccess
           << " max_size=" << params.maxSize << "\"";
    FAIL_CHECK(description << ":\n" << report.str());
    return false;
}

}  // namespace ce_test
