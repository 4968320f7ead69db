// Profiling: the chapter page shows the named regions of this file. The workload test
// cases double as the programs the page's profilers run (ce_add_tool_run).
#include <ce/profiler.hpp>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace {

// [workload]
// The program every profiler on the page looks at: count the words of a server log and
// list the most frequent ones. Python: collections.Counter(...).most_common(k).
using counts = std::unordered_map<std::string, std::size_t>;

// Deterministic lines that look like a log: "GET /orders/17 200 user=ada ..."
std::vector<std::string> make_log(std::size_t lines) {
    static constexpr std::string_view verbs[] = {"GET", "POST", "PUT", "DELETE"};
    static constexpr std::string_view users[] = {"ada", "grace", "linus", "guido", "bjarne"};
    std::vector<std::string> log;
    log.reserve(lines);
    std::uint32_t state = 12345;
    const auto next = [&state] { return state = state * 1664525U + 1013904223U; };
    for (std::size_t i = 0; i < lines; ++i) {
        std::string line{verbs[next() % 4]};
        line += " /Orders/" + std::to_string(next() % 500) + " " + (next() % 10 == 0 ? "500" : "200");
        line += " user=";
        line += users[next() % 5];
        line += " took=" + std::to_string(next() % 90) + "ms";
        log.push_back(std::move(line));
    }
    return log;
}

// Words are split on spaces and lower-cased: the copy into a std::string is the cost
// a profile will point at.
[[gnu::noinline]] std::string normalise(std::string_view word) {
    std::string lower(word);
    std::ranges::transform(lower, lower.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return lower;
}

[[gnu::noinline]] void count_line(std::string_view line, counts& words) {
    while (!line.empty()) {
        const std::size_t space = line.find(' ');
        ++words[normalise(line.substr(0, space))];
        line.remove_prefix(space == std::string_view::npos ? line.size() : space + 1);
    }
}

[[gnu::noinline]] counts count_words(const std::vector<std::string>& log) {
    counts words;
    for (const std::string& line : log) {
        count_line(line, words);
    }
    return words;
}

[[gnu::noinline]] std::vector<std::pair<std::string, std::size_t>> top_words(const counts& words,
                                                                              std::size_t k) {
    std::vector<std::pair<std::string, std::size_t>> all(words.begin(), words.end());
    const auto n = static_cast<std::ptrdiff_t>(std::min(k, all.size()));
    std::ranges::partial_sort(all, all.begin() + n, [](const auto& a, const auto& b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    all.resize(static_cast<std::size_t>(n));
    return all;
}
// [workload]

// How many log lines the workload cases analyse: CE_LINES, so that the page's commands
// can make the program big enough for a sampling profiler and small enough for valgrind.
std::size_t workload_lines() {
    const char* text = std::getenv("CE_LINES");
    return text != nullptr ? static_cast<std::size_t>(std::strtoul(text, nullptr, 10)) : 2000;
}

// [zones]
// Python: with cProfile.Profile() as p: ...   — here a zone per phase, named at compile time.
std::vector<std::pair<std::string, std::size_t>> analyse(ce::profiler& profiler,
                                                         const std::vector<std::string>& log) {
    const ce::profile_zone whole{profiler, "analyse"};
    counts words;
    {
        const ce::profile_zone zone{profiler, "count_words"};
        words = count_words(log);
    }
    const ce::profile_zone zone{profiler, "top_words"};
    return top_words(words, 3);
}
// [zones]

// [threads]
// Each worker counts a slice of the log into its own table; the calling thread merges.
// Every zone lands on the timeline of the thread that ran it.
counts analyse_in_parallel(ce::profiler& profiler, const std::vector<std::string>& log,
                           std::size_t workers) {
    const ce::profile_zone whole{profiler, "analyse_in_parallel"};
    std::vector<counts> partial(workers);
    {
        std::vector<std::jthread> threads;
        threads.reserve(workers);
        for (std::size_t w = 0; w < workers; ++w) {
            threads.emplace_back([&, w] {
                profiler.name_this_thread("worker " + std::to_string(w + 1));
                const ce::profile_zone zone{profiler, "count_slice"};
                for (std::size_t i = w; i < log.size(); i += workers) {
                    count_line(log[i], partial[w]);
                }
            });
        }
    }  // the jthreads join here
    const ce::profile_zone zone{profiler, "merge"};
    counts total;
    for (const counts& part : partial) {
        for (const auto& [word, n] : part) {
            total[word] += n;
        }
    }
    return total;
}
// [threads]

// [write-trace]
// One file that Perfetto (ui.perfetto.dev) or chrome://tracing opens.
void save_trace(const ce::profiler& profiler, std::ostream& out) {
    profiler.write_chrome_trace(out);
}
// [write-trace]

// [summary]
// cProfile's table: calls, cumulative (inclusive) and own (self) time per zone.
void print_summary(const ce::profiler& profiler) {
    std::printf("%-22s %8s %12s %12s\n", "zone", "calls", "inclusive", "self");
    for (const ce::zone_stats& row : profiler.summary()) {
        std::printf("%-22.*s %8llu %9.3f ms %9.3f ms\n", static_cast<int>(row.name.size()),
                    row.name.data(), static_cast<unsigned long long>(row.calls),
                    std::chrono::duration<double, std::milli>(row.inclusive).count(),
                    std::chrono::duration<double, std::milli>(row.self).count());
    }
}
// [summary]

#ifdef CE_COMPILE_FAIL_DISCARDED_ZONE
// [discarded-zone]
void forgot_the_name(ce::profiler& profiler, const std::vector<std::string>& log) {
    ce::profile_zone{profiler, "count_words"};  // closes at the semicolon: measures nothing
    (void)count_words(log);
}
// [discarded-zone]
#endif

#ifdef CE_COMPILE_FAIL_RUNTIME_NAME
// [runtime-name]
void name_from_a_string(ce::profiler& profiler, const std::string& endpoint) {
    const ce::profile_zone zone{profiler, endpoint.c_str()};  // could dangle: rejected
}
// [runtime-name]
#endif

// The trace as JSON, checked the way a trace viewer reads it.
nlohmann::json parse_trace(const ce::profiler& profiler) {
    std::ostringstream out;
    save_trace(profiler, out);
    return nlohmann::json::parse(out.str());
}

struct span {
    std::string name;
    double start;
    double end;
};

// Complete events by thread id, and thread names by id.
std::pair<std::map<int, std::vector<span>>, std::map<int, std::string>> by_thread(const nlohmann::json& trace) {
    std::map<int, std::vector<span>> zones;
    std::map<int, std::string> names;
    for (const auto& event : trace.at("traceEvents")) {
        const int tid = event.at("tid").get<int>();
        if (event.at("ph") == "M") {
            CHECK(event.at("name") == "thread_name");
            names[tid] = event.at("args").at("name").get<std::string>();
            continue;
        }
        CHECK(event.at("ph") == "X");
        CHECK(event.at("pid") == 1);
        const double ts = event.at("ts").get<double>();
        const double dur = event.at("dur").get<double>();
        CHECK(dur >= 0.0);
        zones[tid].push_back({event.at("name").get<std::string>(), ts, ts + dur});
    }
    return {zones, names};
}

// On one thread, any two zones are either disjoint or one contains the other.
bool properly_nested(const std::vector<span>& zones) {
    for (const span& a : zones) {
        for (const span& b : zones) {
            const bool disjoint = a.end <= b.start || b.end <= a.start;
            const bool a_in_b = b.start <= a.start && a.end <= b.end;
            const bool b_in_a = a.start <= b.start && b.end <= a.end;
            if (!disjoint && !a_in_b && !b_in_a) {
                return false;
            }
        }
    }
    return true;
}

const span* find(const std::vector<span>& zones, std::string_view name) {
    const auto it = std::ranges::find(zones, name, &span::name);
    return it == zones.end() ? nullptr : &*it;
}

}  // namespace

TEST_CASE("the workload finds the most frequent words") {
    const std::vector<std::string> log = make_log(1000);
    const counts words = count_words(log);
    // Five words a line: verb, path, status, user=..., took=...ms.
    std::size_t total = 0;
    for (const auto& [word, n] : words) {
        total += n;
    }
    CHECK(total == 5 * log.size());
    CHECK(words.contains("/orders/17"));  // lower-cased
    CHECK_FALSE(words.contains("/Orders/17"));
    const auto top = top_words(words, 3);
    REQUIRE(top.size() == 3);
    CHECK(top[0].first == "200");  // nine lines in ten succeed
    CHECK(top[0].second >= top[1].second);
    CHECK(top[1].second >= top[2].second);
    CHECK(top_words(words, 10'000).size() == words.size());
    CHECK(top_words(counts{}, 3).empty());
}

TEST_CASE("zones nest in the trace as they nest in the code") {
    ce::profiler profiler;
    const auto top = analyse(profiler, make_log(500));
    CHECK(top.size() == 3);
    CHECK(profiler.size() == 3);

    const auto [zones, names] = by_thread(parse_trace(profiler));
    REQUIRE(zones.size() == 1);
    const std::vector<span>& main_thread = zones.begin()->second;
    CHECK(properly_nested(main_thread));
    const span* whole = find(main_thread, "analyse");
    const span* count = find(main_thread, "count_words");
    const span* top_zone = find(main_thread, "top_words");
    REQUIRE(whole != nullptr);
    REQUIRE(count != nullptr);
    REQUIRE(top_zone != nullptr);
    CHECK(whole->start <= count->start);
    CHECK(count->end <= top_zone->start);  // one after the other
    CHECK(top_zone->end <= whole->end);
    // Written by start time, the enclosing zone first.
    CHECK(main_thread.front().name == "analyse");
    CHECK(names.at(zones.begin()->first) == "thread 1");
}

TEST_CASE("every thread has its own timeline, named") {
    ce::profiler profiler;
    profiler.name_this_thread("main");
    const std::vector<std::string> log = make_log(2000);
    const counts total = analyse_in_parallel(profiler, log, 4);
    CHECK(total == count_words(log));  // the parallel count is the count

    const auto [zones, names] = by_thread(parse_trace(profiler));
    CHECK(zones.size() == 5);  // main and four workers
    std::size_t workers = 0;
    for (const auto& [tid, spans] : zones) {
        CHECK(properly_nested(spans));
        const std::string& name = names.at(tid);
        if (name == "main") {
            REQUIRE(spans.size() == 2);
            CHECK(spans[0].name == "analyse_in_parallel");
            CHECK(spans[1].name == "merge");
            CHECK(spans[1].end <= spans[0].end);
        } else {
            ++workers;
            CHECK(name.starts_with("worker "));
            REQUIRE(spans.size() == 1);
            CHECK(spans[0].name == "count_slice");
        }
    }
    CHECK(workers == 4);
}

TEST_CASE("the summary adds up: self times partition the outermost zones") {
    ce::profiler profiler;
    const std::vector<std::string> log = make_log(300);
    for (int i = 0; i < 3; ++i) {
        (void)analyse(profiler, log);
    }
    const std::vector<ce::zone_stats> rows = profiler.summary();
    REQUIRE(rows.size() == 3);
    std::chrono::nanoseconds self_sum{0};
    for (const ce::zone_stats& row : rows) {
        CHECK(row.calls == 3);
        CHECK(row.self <= row.inclusive);
        CHECK(row.self.count() >= 0);
        self_sum += row.self;
    }
    const auto outer = std::ranges::find(rows, std::string_view{"analyse"}, &ce::zone_stats::name);
    REQUIRE(outer != rows.end());
    CHECK(self_sum == outer->inclusive);  // every nanosecond is someone's own, once
    for (std::size_t i = 1; i < rows.size(); ++i) {
        CHECK(rows[i - 1].self >= rows[i].self);  // sorted like sort_stats("tottime")
    }
}

TEST_CASE("an empty profile is a valid trace; names are escaped") {
    ce::profiler profiler;
    const nlohmann::json empty = parse_trace(profiler);
    CHECK(empty.at("traceEvents").empty());
    CHECK(profiler.summary().empty());
    {
        const ce::profile_zone zone{profiler, "say \"hi\"\\\n\tnow"};
    }
    const nlohmann::json trace = parse_trace(profiler);
    REQUIRE(trace.at("traceEvents").size() == 2);  // the thread's name, the zone
    CHECK(trace.at("traceEvents")[1].at("name") == "say \"hi\"\\\n\tnow");
    // A byte that is not UTF-8 would make the file invalid JSON: it becomes U+FFFD.
    {
        const ce::profile_zone zone{profiler, "latin-1 caf\xe9"};
    }
    const nlohmann::json with_bad_byte = parse_trace(profiler);
    CHECK(with_bad_byte.at("traceEvents")[2].at("name") == "latin-1 caf\ufffd");
}

TEST_CASE("two profilers on one thread keep their zones apart") {
    ce::profiler a;
    auto b = std::make_unique<ce::profiler>();
    for (int i = 0; i < 2; ++i) {
        const ce::profile_zone za{a, "a"};
        const ce::profile_zone zb{*b, "b"};
    }
    CHECK(a.size() == 2);
    CHECK(b->size() == 2);
    CHECK(a.summary().front().name == "a");
    // A new profiler, perhaps at the old one's address: the thread's cached log of the
    // destroyed profiler must not be reused.
    b.reset();
    b = std::make_unique<ce::profiler>();
    {
        const ce::profile_zone zb{*b, "b again"};
    }
    CHECK(b->size() == 1);
    CHECK(a.size() == 2);
}

TEST_CASE("zones from many threads at once, while the trace is being written") {
    ce::profiler profiler;
    std::ostringstream early;
    {
        std::vector<std::jthread> threads;
        threads.reserve(4);
        for (int t = 0; t < 4; ++t) {
            threads.emplace_back([&profiler] {
                for (int i = 0; i < 500; ++i) {
                    const ce::profile_zone outer{profiler, "outer"};
                    const ce::profile_zone inner{profiler, "inner"};
                }
            });
        }
        profiler.write_chrome_trace(early);  // concurrently with the threads: a snapshot
    }
    CHECK(nlohmann::json::accept(early.str()));
    CHECK(profiler.size() == 4 * 500 * 2);
    const auto [zones, names] = by_thread(parse_trace(profiler));
    CHECK(zones.size() == 4);
    for (const auto& [tid, spans] : zones) {
        CHECK(spans.size() == 1000);
        CHECK(properly_nested(spans));
    }
}

// The programs the page's profilers run. With CE_LINES unset they analyse a small log,
// so that they cost the test suite nothing.
TEST_CASE("workload: analyse a log") {
    const std::vector<std::string> log = make_log(workload_lines());
    const counts words = count_words(log);
    const auto top = top_words(words, 3);
    CHECK(top.size() == 3);
}

TEST_CASE("workload: analyse a log with zones and print the profile") {
    ce::profiler profiler;
    const std::vector<std::string> log = make_log(workload_lines());
    for (int i = 0; i < 5; ++i) {
        (void)analyse(profiler, log);
    }
    (void)analyse_in_parallel(profiler, log, 2);
    print_summary(profiler);
    CHECK(profiler.size() == 5 * 3 + 2 + 2);
}
