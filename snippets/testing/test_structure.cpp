// Test structure: the chapter page shows the named regions of this file.
//
// The cases are grouped into doctest test suites ("words", "slow", "isolation",
// "timing") so that the page's command lines can select them. Two cases run only on
// request: the leaking child process entry (started by its parent test, in ASan
// builds) and the sleep-based test, flaky by design (CE_RUN_FLAKY, for the page's
// runs under load).
#include <ce_test/child_process.hpp>
#include <ce_test/sanitizers.hpp>
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <future>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include <sys/wait.h>

namespace {

// [subject]
// The code under test: the number of words in a text, a word being a run of
// characters other than spaces, tabs and newlines.
std::size_t count_words(std::string_view text) {
    std::size_t words = 0;
    bool in_word = false;
    for (const char c : text) {
        const bool space = c == ' ' || c == '\t' || c == '\n';
        words += static_cast<std::size_t>(!space && !in_word);
        in_word = !space;
    }
    return words;
}

// A text of exactly `words` words of 1 to 8 letters, the same on every run.
std::string make_text(std::size_t words) {
    std::string text;
    std::uint32_t state = 12345;
    for (std::size_t i = 0; i < words; ++i) {
        state = state * 1664525U + 1013904223U;  // a linear congruential generator
        text.append(1 + (state >> 29), static_cast<char>('a' + i % 26));
        text += (i % 12 == 11) ? '\n' : ' ';
    }
    return text;
}

// Remembers the words it has seen; lookup() says whether the word was seen before.
class word_cache {
public:
    bool lookup(std::string_view word) { return !words_.emplace(word).second; }

private:
    std::unordered_set<std::string> words_;
};
// [subject]

}  // namespace

// [suites]
TEST_SUITE("words") {
    TEST_CASE("an empty text has no words") {
        CHECK(count_words("") == 0);
        CHECK(count_words(" \t\n") == 0);
    }

    TEST_CASE("any run of spaces, tabs and newlines separates two words") {
        CHECK(count_words("to be\tor\n\nnot  ") == 4);
    }
}

TEST_CASE("a megabyte of text has as many words as a string stream reads"
          * doctest::test_suite("slow")) {
    const std::string text = make_text(200'000);
    REQUIRE(text.size() > 1'000'000);
    std::istringstream in(text);
    std::size_t expected = 0;
    for (std::string word; in >> word;) {
        ++expected;
    }
    CHECK(expected == 200'000);
    CHECK(count_words(text) == expected);
}
// [suites]

// [order-dependent]
namespace {

// One cache for the whole test program, like a module-level object in Python.
word_cache& shared_cache() {
    static word_cache cache;
    return cache;
}

}  // namespace

TEST_SUITE("isolation") {
    TEST_CASE("global cache: a new word is a miss") {
        CHECK_FALSE(shared_cache().lookup("apple"));
    }

    TEST_CASE("global cache: a repeated word is a hit") {
        // Passes only after the case above, which put "apple" there.
        CHECK(shared_cache().lookup("apple"));
    }
}
// [order-dependent]

// [fixture]
// A fixture: doctest constructs a new one before each case that names it, and
// destroys it after, as pytest calls a fixture function once for every test.
struct fresh_cache {
    word_cache cache;
};

TEST_SUITE("isolation") {
    TEST_CASE_FIXTURE(fresh_cache, "own cache: a new word is a miss") {
        CHECK_FALSE(cache.lookup("apple"));
    }

    TEST_CASE_FIXTURE(fresh_cache, "own cache: a repeated word is a hit") {
        CHECK_FALSE(cache.lookup("apple"));  // the case arranges what it checks
        CHECK(cache.lookup("apple"));
    }
}
// [fixture]

// [leak-child]
// Runs in a child process only: the test below starts this program again with
// CE_CHILD=leak and a filter that selects this case; otherwise it does nothing. Every
// check passes, and the cache is never deleted. It leaks in a thread of its own, so
// that no stale copy of the pointer on this thread's stack hides the leak from
// LeakSanitizer, which scans memory for anything that looks like a pointer.
TEST_CASE("child process entry: leaks a cache when CE_CHILD is set"
          * doctest::test_suite("isolation")
          * doctest::skip(!ce_test::asan_build)
          * doctest::description("only LeakSanitizer, part of AddressSanitizer, reports leaks")) {
    const char* mode = std::getenv("CE_CHILD");  // NOLINT(concurrency-mt-unsafe): no thread sets the environment
    if (mode != nullptr && std::string_view(mode) == "leak") {
        std::thread([] {
            auto* cache = new word_cache;  // never deleted: the bug
            CHECK_FALSE(cache->lookup("apple"));
        }).join();
    }
}
// [leak-child]

// [leak-report]
TEST_CASE("a case that leaks fails its test program, although every check passed"
          * doctest::test_suite("isolation")
          * doctest::skip(!ce_test::asan_build)
          * doctest::description("only LeakSanitizer, part of AddressSanitizer, reports leaks")) {
    const auto [status, report] = ce_test::run_to_end({
        .test_case = "child process entry: leaks a cache when CE_CHILD is set",
        .environment = {"CE_CHILD=leak"},
        .captured = ce_test::stream::standard_error,  // where LeakSanitizer reports
    });
    INFO("the child's stderr:\n" << report);

    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 1);  // LeakSanitizer's exit status, at the program's exit
    CHECK(report.find("ERROR: LeakSanitizer: detected memory leaks") != std::string::npos);
    // The cache, its bucket array and the node that holds "apple" (libstdc++ 12).
    CHECK(report.find("SUMMARY: AddressSanitizer: 208 byte(s) leaked in 3 allocation(s).") !=
          std::string::npos);
}
// [leak-report]

namespace {

// [background-indexer]
// Counts the words of some documents on a thread of its own and calls on_done when it
// has finished. done() and words() may be read from any thread at any time.
class background_indexer {
public:
    explicit background_indexer(std::vector<std::string> documents,
                                std::function<void()> on_done = [] {})
        : documents_(std::move(documents)), on_done_(std::move(on_done)),
          worker_([this] { run(); }) {}

    [[nodiscard]] bool done() const noexcept { return done_.load(std::memory_order_acquire); }
    [[nodiscard]] std::size_t words() const noexcept {
        return words_.load(std::memory_order_acquire);
    }

private:
    void run() {
        std::size_t total = 0;
        for (const std::string& document : documents_) {
            total += count_words(document);
        }
        words_.store(total, std::memory_order_release);
        done_.store(true, std::memory_order_release);
        on_done_();
    }

    std::vector<std::string> documents_;
    std::function<void()> on_done_;
    std::atomic<std::size_t> words_{0};
    std::atomic<bool> done_{false};
    std::jthread worker_;  // last: it starts after the members it uses and is joined first
};

// 128 documents of 20 000 words each, about 14 MB.
std::vector<std::string> make_documents() {
    return std::vector<std::string>(128, make_text(20'000));
}
// [background-indexer]

}  // namespace

// [flaky-sleep]
TEST_CASE("sleeping: the indexer has counted every word after 30 ms"
          * doctest::test_suite("timing")
          * doctest::skip(std::getenv("CE_RUN_FLAKY") == nullptr)  // NOLINT(concurrency-mt-unsafe): before main
          * doctest::description("flaky by design: runs only when CE_RUN_FLAKY is set")) {
    const background_indexer indexer(make_documents());
    std::this_thread::sleep_for(std::chrono::milliseconds(30));  // "surely long enough"
    CHECK(indexer.done());
    CHECK(indexer.words() == 128 * 20'000);
}
// [flaky-sleep]

// [deterministic]
TEST_CASE("waiting: the indexer has counted every word when it says it is done"
          * doctest::test_suite("timing")) {
    std::promise<void> finished;
    const background_indexer indexer(make_documents(), [&finished] { finished.set_value(); });
    // Returns as soon as the work is done; the minute is only how long a hang may take.
    REQUIRE(finished.get_future().wait_for(std::chrono::minutes(1)) == std::future_status::ready);
    CHECK(indexer.done());
    CHECK(indexer.words() == 128 * 20'000);
}
// [deterministic]
