// The one doctest main every snippet links against, compiled once per build tree.
//
// It also names the test cases a build skips, so that the book can say which cases did
// not run in which configuration, and why: a case marked doctest::skip(condition) gives
// its reason with doctest::description("..."). tools/verify.py reads these lines.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <cstdio>

namespace {

// Prints one line per test case marked skip:  [ce] skipped: <name> | <reason>
struct skipped_case_listener final : doctest::IReporter {
    explicit skipped_case_listener(const doctest::ContextOptions& /*options*/) {}
    void report_query(const doctest::QueryData& /*data*/) override {}
    void test_run_start() override {}
    void test_run_end(const doctest::TestRunStats& /*stats*/) override {}
    void test_case_start(const doctest::TestCaseData& /*data*/) override {}
    void test_case_reenter(const doctest::TestCaseData& /*data*/) override {}
    void test_case_end(const doctest::CurrentTestCaseStats& /*stats*/) override {}
    void test_case_exception(const doctest::TestCaseException& /*exception*/) override {}
    void subcase_start(const doctest::SubcaseSignature& /*signature*/) override {}
    void subcase_end() override {}
    void log_assert(const doctest::AssertData& /*data*/) override {}
    void log_message(const doctest::MessageData& /*data*/) override {}
    void test_case_skipped(const doctest::TestCaseData& data) override {
        // Only cases marked skip: a child process started with a --test-case filter
        // reports every case it filtered out through this call as well.
        if (!data.m_skip) {
            return;
        }
        std::printf("[ce] skipped: %s | %s\n", data.m_name,
                    data.m_description != nullptr ? data.m_description : "");
        std::fflush(stdout);
    }
};

}  // namespace

REGISTER_LISTENER("ce_skipped_cases", 1, skipped_case_listener);
