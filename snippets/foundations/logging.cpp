// Structured logging: the chapter page shows the named regions of this file.
// The two tests whose output shows a source line come first, so that edits further
// down do not move the lines their expected output names.
#include <ce/logger.hpp>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <latch>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <random>
#include <source_location>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/chrono.h>
#include <unistd.h>

namespace {

// [fixed-clock]
using namespace std::chrono_literals;

std::chrono::system_clock::time_point fixed_clock() {
    return std::chrono::sys_days{2026y / 11 / 25} + 20h + 43min + 21s + 123456us;
}
// [fixed-clock]

}  // namespace

TEST_CASE("an event renders as one JSON object per line") {
    std::ostringstream out;
    // [first-event]
    auto sink = std::make_shared<ce::ostream_sink>(out);  // any std::ostream
    const ce::logger log{sink, {.clock = fixed_clock}};
    log.info("user logged in", "user", "ann", "attempt", 2, "mfa", true);
    log.warn("slow query", "table", "orders", "ms", 812.5, "rows", nullptr);
    // [first-event]
    // [first-event-output]
    constexpr std::string_view expected = R"(
{"ts":"2026-11-25T20:43:21.123456Z","level":"info","msg":"user logged in","src":"logging.cpp:51","user":"ann","attempt":2,"mfa":true}
{"ts":"2026-11-25T20:43:21.123456Z","level":"warn","msg":"slow query","src":"logging.cpp:52","table":"orders","ms":812.5,"rows":null}
)";
    // [first-event-output]
    CHECK(out.str() == expected.substr(1));
}

TEST_CASE("the same event renders as logfmt") {
    std::ostringstream out;
    // [logfmt]
    const ce::logger log{std::make_shared<ce::ostream_sink>(out),
                         {.format = ce::log_format::logfmt, .clock = fixed_clock}};
    log.info("user logged in", "user", "ann", "attempt", 2, "mfa", true);
    log.warn("slow query", "table", "order lines", "ms", 812.5, "rows", nullptr);
    // [logfmt]
    // [logfmt-output]
    constexpr std::string_view expected = R"(
ts=2026-11-25T20:43:21.123456Z level=info msg="user logged in" src=logging.cpp:68 user=ann attempt=2 mfa=true
ts=2026-11-25T20:43:21.123456Z level=warn msg="slow query" src=logging.cpp:69 table="order lines" ms=812.5 rows=null
)";
    // [logfmt-output]
    CHECK(out.str() == expected.substr(1));
}

namespace {

// [parse-lines]
std::vector<nlohmann::json> parse_lines(const std::string& text) {
    std::vector<nlohmann::json> records;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        records.push_back(nlohmann::json::parse(line));  // throws on anything but valid JSON
    }
    return records;
}

// nlohmann::json refuses to serialise ill-formed UTF-8: an independent validator.
bool is_valid_utf8(const std::string& text) {
    try {
        (void)nlohmann::json(text).dump();
        return true;
    } catch (const nlohmann::json::type_error&) {
        return false;
    }
}
// [parse-lines]

}  // namespace

TEST_CASE("strings are escaped, so a hostile value cannot break the line") {
    std::ostringstream out;
    // [escaping]
    const ce::logger log{std::make_shared<ce::ostream_sink>(out), {.clock = fixed_clock, .source = false}};
    log.warn("rejected upload", "name", "say \"hi\"\n\tC:\\tmp\x01 naïve 🚀", "raw", "\xff\xfe");
    // [escaping]
    // [escaping-output]
    constexpr std::string_view expected = R"(
{"ts":"2026-11-25T20:43:21.123456Z","level":"warn","msg":"rejected upload","name":"say \"hi\"\n\tC:\\tmp\u0001 naïve 🚀","raw":"\ufffd\ufffd"}
)";
    // [escaping-output]
    CHECK(out.str() == expected.substr(1));
}

TEST_CASE("every JSON line parses: quotes, backslashes, control characters, UTF-8") {
    // [every-line-parses]
    std::vector<std::string> hostile = {
        R"(she said "no")", R"(C:\Users\ann)", "line one\nline two\r\n", "tab\there",
        "Zürich", "東京", "emoji 🚀 and U+2028 \u2028", std::string("nul\0byte", 8), "\x7f"};
    for (char c = 0; c < 0x20; ++c) {  // every control character, U+0000 to U+001F
        hostile.push_back(std::string("control ") + c + " end");
    }
    for (const std::string& text : hostile) {
        std::ostringstream out;
        const ce::logger log{std::make_shared<ce::ostream_sink>(out)};
        log.info(text, text, text, "value", text);  // as the message, a key and a value

        const nlohmann::json record = nlohmann::json::parse(out.str());  // throws if invalid
        CHECK(record["msg"] == text);
        CHECK(record[text] == text);
        CHECK(record["value"] == text);
        CHECK(out.str().find('\n') == out.str().size() - 1);  // one line: the record's own newline
    }
    // [every-line-parses]
}

TEST_CASE("random bytes never break a JSON line; ill-formed UTF-8 becomes U+FFFD") {
    // [random-bytes]
    const std::vector<std::string> pieces = {
        "a", " ", "\"", "\\", "\n", "\x01", "\x1f", "é", "東", "🚀",
        "\xff", "\xc3", "\xe6\x9d", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc0\xaf"};  // the last six are ill-formed
    // NOLINTNEXTLINE(bugprone-random-generator-seed): a test wants the same strings every run
    std::mt19937 random{20261125};
    std::uniform_int_distribution<std::size_t> pick(0, pieces.size() - 1);
    for (int round = 0; round < 2000; ++round) {
        std::string text;
        for (int i = 0; i < 6; ++i) {
            text += pieces[pick(random)];
        }
        std::ostringstream out;
        const ce::logger log{std::make_shared<ce::ostream_sink>(out)};
        log.info("fuzz", "value", text);
        nlohmann::json record;
        REQUIRE_NOTHROW(record = nlohmann::json::parse(out.str()));
        if (is_valid_utf8(text)) {
            CHECK(record["value"] == text);  // well-formed text survives unchanged
        } else {
            CHECK(record["value"].get<std::string>().find("\xef\xbf\xbd") != std::string::npos);  // U+FFFD
        }
    }
    // [random-bytes]
}

TEST_CASE("logfmt quotes a value only when it must") {
    std::ostringstream out;
    const ce::logger log{std::make_shared<ce::ostream_sink>(out),
                         {.format = ce::log_format::logfmt, .clock = fixed_clock, .source = false}};
    log.info("x", "plain", "abc", "space", "a b", "equals", "a=b", "quote", "\"", "newline", "a\nb",
             "empty", "", "utf8", "naïve", "bad", "\xff", "bad key=\"", 1);
    CHECK(out.str() == "ts=2026-11-25T20:43:21.123456Z level=info msg=x plain=abc space=\"a b\" equals=\"a=b\" "
                       "quote=\"\\\"\" newline=\"a\\nb\" empty=\"\" utf8=naïve bad=\"\\ufffd\" bad_key__=1\n");
}

TEST_CASE("field values of every supported type render as JSON values") {
    std::ostringstream out;
    const ce::logger log{std::make_shared<ce::ostream_sink>(out), {.clock = fixed_clock, .source = false}};
    const std::optional<int> some = 7;
    const std::optional<int> none;
    const char* null_text = nullptr;
    log.info("types", "i", -42, "u", 42u, "ll", -9'000'000'000'000LL, "c", 'x', "d", 0.1, "f", 1.5f, "b", false,
             "nan", std::numeric_limits<double>::quiet_NaN(), "inf", -std::numeric_limits<double>::infinity(),
             "some", some, "none", none, "null_text", null_text, "ms", 250ms);
    const nlohmann::json r = nlohmann::json::parse(out.str());
    CHECK(r["i"] == -42);
    CHECK(r["u"] == 42);
    CHECK(r["ll"] == -9'000'000'000'000LL);
    CHECK(r["c"] == "x");
    CHECK(r["d"] == 0.1);
    CHECK(r["f"] == 1.5);
    CHECK(r["b"] == false);
    CHECK(r["nan"] == "nan");
    CHECK(r["inf"] == "-inf");
    CHECK(r["some"] == 7);
    CHECK(r["none"].is_null());
    CHECK(r["null_text"].is_null());
    CHECK(r["ms"] == "250ms");  // any type fmt can format, rendered as a string
}

TEST_CASE("a long double beyond double's range is written as its digits, in a string") {
    // Found by fuzzing the JSON lines against a strict parser: 1e+400 is valid JSON
    // grammar, but nlohmann::json refuses it (number overflow) and Python reads inf.
    std::ostringstream out;
    const ce::logger log{std::make_shared<ce::ostream_sink>(out), {.clock = fixed_clock, .source = false}};
    log.info("big", "huge", 1e400L, "negative", -1e400L, "fits", 1.5e300L);
    const nlohmann::json r = nlohmann::json::parse(out.str());
    CHECK(r["huge"] == "1e+400");
    CHECK(r["negative"] == "-1e+400");
    CHECK(r["fits"] == 1.5e300);
}

TEST_CASE("a disabled level evaluates no arguments") {
    std::ostringstream out;
    // [lazy-arguments]
    ce::logger log{std::make_shared<ce::ostream_sink>(out), {.level = ce::log_level::info}};
    int evaluated = 0;
    auto cache_dump = [&evaluated] {
        ++evaluated;  // imagine walking a million entries
        return std::string("...");
    };
    CE_LOG_DEBUG(log, "cache state", "entries", cache_dump());  // debug is below info
    CHECK(evaluated == 0);
    CHECK(out.str().empty());

    log.set_level(ce::log_level::debug);
    CE_LOG_DEBUG(log, "cache state", "entries", cache_dump());
    CHECK(evaluated == 1);
    // [lazy-arguments]

    log.set_level(ce::log_level::info);
    // [eager-arguments]
    log.debug("cache state", "entries", cache_dump());  // a function call: arguments first
    CHECK(evaluated == 2);                               // evaluated, then thrown away
    // [eager-arguments]
}

TEST_CASE("CE_LOG evaluates its logger and level expressions exactly once") {
    std::ostringstream out;
    // [level-evaluated-once]
    const ce::logger log{std::make_shared<ce::ostream_sink>(out), {.level = ce::log_level::info}};
    int level_evaluations = 0;
    auto level_for = [&level_evaluations](int free_mb) {
        ++level_evaluations;  // a level computed at the call site, with a side effect
        return free_mb < 100 ? ce::log_level::warn : ce::log_level::debug;
    };
    CE_LOG(log, level_for(50), "disk low");  // enabled: tested, then logged
    CHECK(level_evaluations == 1);
    CE_LOG(log, level_for(500), "disk fine");  // disabled: tested only
    CHECK(level_evaluations == 2);
    CHECK(parse_lines(out.str()).size() == 1);
    // [level-evaluated-once]
}

TEST_CASE("the threshold is shared by a logger and its children") {
    std::ostringstream out;
    // [levels]
    ce::logger log{std::make_shared<ce::ostream_sink>(out), {.level = ce::log_level::warn}};
    const ce::logger db = log.bind("component", "db");
    db.info("connected");  // below warn: discarded
    db.error("query failed");
    log.set_level(ce::log_level::debug);  // one threshold for the whole family
    db.debug("retrying");
    CHECK(db.level() == ce::log_level::debug);
    CHECK_FALSE(db.enabled(ce::log_level::trace));

    const std::vector<nlohmann::json> records = parse_lines(out.str());
    REQUIRE(records.size() == 2);
    CHECK(records[0]["level"] == "error");
    CHECK(records[1]["level"] == "debug");
    // [levels]
    log.set_level(ce::log_level::off);
    CHECK_FALSE(db.enabled(ce::log_level::critical));
}

TEST_CASE("bound fields appear on every record of the child logger, not the parent") {
    std::ostringstream out;
    // [bind]
    const ce::logger log{std::make_shared<ce::ostream_sink>(out), {.clock = fixed_clock, .source = false}};
    const ce::logger request_log = log.bind("request_id", 42, "route", "/checkout");
    request_log.info("cart loaded", "items", 3);
    request_log.bind("step", "payment").info("card charged");
    log.info("cache evicted");  // the parent is unchanged
    // [bind]
    // [bind-output]
    constexpr std::string_view expected = R"(
{"ts":"2026-11-25T20:43:21.123456Z","level":"info","msg":"cart loaded","request_id":42,"route":"/checkout","items":3}
{"ts":"2026-11-25T20:43:21.123456Z","level":"info","msg":"card charged","request_id":42,"route":"/checkout","step":"payment"}
{"ts":"2026-11-25T20:43:21.123456Z","level":"info","msg":"cache evicted"}
)";
    // [bind-output]
    CHECK(out.str() == expected.substr(1));
}

namespace {

// [scoped-callee]
// Knows nothing about requests, yet its records carry the request's fields.
void charge(const ce::logger& log, int cents) { log.info("charging", "cents", cents); }
// [scoped-callee]

}  // namespace

TEST_CASE("a log_scope adds fields to every record on its thread until it ends") {
    std::ostringstream out;
    const ce::logger log{std::make_shared<ce::ostream_sink>(out), {.clock = fixed_clock, .source = false}};
    // [log-scope]
    {
        const ce::log_scope request{"request_id", 42};
        charge(log, 1999);
        {
            const ce::log_scope retry{"attempt", 2};
            charge(log, 1999);
        }
        charge(log, 1999);
    }
    charge(log, 500);  // outside every scope
    // [log-scope]
    // [log-scope-output]
    constexpr std::string_view expected = R"(
{"ts":"2026-11-25T20:43:21.123456Z","level":"info","msg":"charging","request_id":42,"cents":1999}
{"ts":"2026-11-25T20:43:21.123456Z","level":"info","msg":"charging","request_id":42,"attempt":2,"cents":1999}
{"ts":"2026-11-25T20:43:21.123456Z","level":"info","msg":"charging","request_id":42,"cents":1999}
{"ts":"2026-11-25T20:43:21.123456Z","level":"info","msg":"charging","cents":500}
)";
    // [log-scope-output]
    CHECK(out.str() == expected.substr(1));
}

TEST_CASE("scope fields never leak into another thread") {
    std::ostringstream out;
    const ce::logger log{std::make_shared<ce::ostream_sink>(out)};
    // [scope-thread]
    const ce::log_scope request{"request_id", 42};
    std::jthread worker([&log] {
        const ce::log_scope job{"job", "reindex"};
        log.info("from the worker");
    });
    worker.join();
    log.info("from the request");

    const std::vector<nlohmann::json> records = parse_lines(out.str());
    REQUIRE(records.size() == 2);
    CHECK(records[0]["job"] == "reindex");
    CHECK_FALSE(records[0].contains("request_id"));  // the main thread's scope stayed home
    CHECK(records[1]["request_id"] == 42);
    CHECK_FALSE(records[1].contains("job"));  // and the worker's never came over
    // [scope-thread]
}

TEST_CASE("bind_scope carries the current scope to another thread explicitly") {
    std::ostringstream out;
    const ce::logger log{std::make_shared<ce::ostream_sink>(out)};
    // [bind-scope]
    const ce::log_scope request{"request_id", 42};
    std::jthread worker([worker_log = log.bind_scope()] { worker_log.info("sending receipt"); });
    worker.join();
    CHECK(parse_lines(out.str()).at(0)["request_id"] == 42);
    // [bind-scope]
}

TEST_CASE("an async sink drains on close: N records in, N lines out") {
    std::ostringstream out;
    // [async-drain]
    auto file = std::make_shared<ce::ostream_sink>(out);
    auto queue = std::make_shared<ce::async_sink>(file, ce::async_options{.capacity = 64});  // blocks when full
    const ce::logger log{queue};

    constexpr int producers = 4;
    constexpr int per_producer = 2500;
    {
        std::vector<std::jthread> threads;
        threads.reserve(producers);
        for (int p = 0; p < producers; ++p) {
            threads.emplace_back([&log, p] {
                for (int seq = 0; seq < per_producer; ++seq) {
                    log.info("order placed", "producer", p, "seq", seq);
                }
            });
        }
    }  // the jthreads join here
    queue->close();  // returns when every queued line has been written

    const std::vector<nlohmann::json> records = parse_lines(out.str());
    CHECK(records.size() == producers * per_producer);  // N in, N out
    std::vector<int> next_seq(producers, 0);
    for (const nlohmann::json& record : records) {  // and each producer's records in order
        CHECK(record["seq"] == next_seq[record["producer"].get<std::size_t>()]++);
    }
    CHECK(queue->dropped() == 0);
    // [async-drain]
}

namespace {

// [gated-sink]
// A downstream sink that holds the async worker inside its first write until the test
// opens the gate, so the queue fills deterministically, without sleeping.
class gated_sink final : public ce::log_sink {
public:
    void write(std::string_view line) override {
        lines_.emplace_back(line);  // only the async worker calls write
        if (lines_.size() == 1) {
            first_line_.count_down();
            gate_.wait();
        }
    }
    void wait_for_first_line() { first_line_.wait(); }
    void open() { gate_.count_down(); }
    [[nodiscard]] const std::vector<std::string>& lines() const { return lines_; }

private:
    std::vector<std::string> lines_;
    std::latch first_line_{1};
    std::latch gate_{1};
};
// [gated-sink]

}  // namespace

TEST_CASE("drop_newest discards the records that do not fit and counts them") {
    // [drop-newest]
    auto slow = std::make_shared<gated_sink>();
    auto queue = std::make_shared<ce::async_sink>(
        slow, ce::async_options{.capacity = 4, .overflow = ce::overflow_policy::drop_newest});
    const ce::logger log{queue};

    log.info("event", "n", 0);
    slow->wait_for_first_line();  // the worker is now stuck writing record 0
    for (int n = 1; n <= 10; ++n) {
        log.info("event", "n", n);  // 1 to 4 fill the queue, 5 to 10 do not fit
    }
    CHECK(queue->dropped() == 6);

    slow->open();
    queue->close();
    REQUIRE(slow->lines().size() == 5);
    CHECK(nlohmann::json::parse(slow->lines().back())["n"] == 4);
    // [drop-newest]
}

namespace {

// Records every line it is given; thread-safe, as the log_sink contract requires.
class memory_sink final : public ce::log_sink {
public:
    void write(std::string_view line) override {
        const std::lock_guard lock(mutex_);
        lines_.emplace_back(line);
    }
    void flush() override {
        const std::lock_guard lock(mutex_);
        ++flushes_;
    }
    [[nodiscard]] std::size_t size() {
        const std::lock_guard lock(mutex_);
        return lines_.size();
    }
    [[nodiscard]] int flushes() {
        const std::lock_guard lock(mutex_);
        return flushes_;
    }
    [[nodiscard]] std::vector<std::string> lines() {
        const std::lock_guard lock(mutex_);
        return lines_;
    }

private:
    std::mutex mutex_;
    std::vector<std::string> lines_;
    int flushes_ = 0;
};

}  // namespace

TEST_CASE("flush on an async sink returns once the worker has written every queued line") {
    auto memory = std::make_shared<memory_sink>();
    auto queue = std::make_shared<ce::async_sink>(memory, ce::async_options{.capacity = 8});
    const ce::logger log{queue};
    for (int i = 0; i < 100; ++i) {
        log.info("event", "i", i);
    }
    log.flush();
    CHECK(memory->size() == 100);
    CHECK(memory->flushes() == 1);
    queue->close();
    queue->close();  // idempotent
    log.info("after close");  // written straight through: nothing is lost
    CHECK(memory->size() == 101);
}

namespace {

// [first-write-gate]
// Holds the first write (the async worker's) until a second line arrives, which only a
// write that bypasses the queue can deliver meanwhile, or until a deadline passes; then
// records both in the order they finish.
class first_write_gate final : public ce::log_sink {
public:
    void write(std::string_view line) override {
        std::unique_lock lock(mutex_);
        ++calls_;
        changed_.notify_all();
        if (calls_ == 1) {
            changed_.wait_for(lock, 300ms, [this] { return calls_ > 1; });
        }
        lines_.emplace_back(line);
    }
    void wait_for_first_write() {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [this] { return calls_ > 0; });
    }
    [[nodiscard]] std::vector<std::string> lines() {
        const std::lock_guard lock(mutex_);
        return lines_;
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    int calls_ = 0;
    std::vector<std::string> lines_;
};
// [first-write-gate]

}  // namespace

TEST_CASE("close() keeps a thread's lines in order when it begins while they are queued") {
    // [async-close-order]
    auto downstream = std::make_shared<first_write_gate>();
    auto queue = std::make_shared<ce::async_sink>(downstream, ce::async_options{.capacity = 1});
    std::jthread producer([&queue] {
        for (const std::string_view line : {"1\n", "2\n", "3\n"}) {
            queue->write(line);  // 2 waits in the queue, 3 for room in it
        }
    });
    downstream->wait_for_first_write();  // the worker is writing 1
    queue->close();  // 2 and 3 are still this producer's, and come after 1
    producer.join();
    CHECK(downstream->lines() == std::vector<std::string>{"1\n", "2\n", "3\n"});
    // [async-close-order]
}

TEST_CASE("threads writing while close() drains keep their own order and lose nothing") {
    constexpr int producers = 4;
    constexpr int per_producer = 400;
    for (int round = 0; round < 5; ++round) {
        auto memory = std::make_shared<memory_sink>();
        auto queue = std::make_shared<ce::async_sink>(memory, ce::async_options{.capacity = 8});
        std::latch started(producers + 1);
        {
            std::vector<std::jthread> threads;
            threads.reserve(producers);
            for (int p = 0; p < producers; ++p) {
                threads.emplace_back([&queue, &started, p] {
                    started.arrive_and_wait();
                    for (int seq = 0; seq < per_producer; ++seq) {
                        queue->write(std::to_string(p) + ' ' + std::to_string(seq) + '\n');
                    }
                });
            }
            started.arrive_and_wait();
            std::this_thread::sleep_for(std::chrono::microseconds(100 * round));
            queue->close();  // somewhere in the middle of the writes, or after them
        }
        const std::vector<std::string> lines = memory->lines();
        CHECK(lines.size() == producers * per_producer);
        std::vector<int> next_seq(producers, 0);
        for (const std::string& line : lines) {
            std::istringstream fields(line);
            int p = 0;
            int seq = 0;
            fields >> p >> seq;
            CHECK(seq == next_seq.at(static_cast<std::size_t>(p))++);
        }
    }
}

namespace {

// [failing-sink]
class failing_sink final : public ce::log_sink {
public:
    void write(std::string_view) override { throw ce::transient_error("disk full"); }
};
// [failing-sink]

}  // namespace

TEST_CASE("an error in the downstream sink is rethrown by close") {
    // [async-error]
    auto queue = std::make_shared<ce::async_sink>(std::make_shared<failing_sink>());
    const ce::logger log{queue};
    log.error("cannot be written");  // returns at once: the worker meets the failure
    CHECK_THROWS_WITH_AS(queue->close(), "disk full", ce::transient_error);
    // [async-error]
}

TEST_CASE("timestamps are RFC 3339 UTC with microseconds, from the injected clock") {
    std::ostringstream out;
    // [fake-clock]
    using namespace std::chrono;
    system_clock::time_point now = sys_days{2024y / February / 29} + 23h + 59min + 59s + 999'999'999ns;
    const ce::logger log{std::make_shared<ce::ostream_sink>(out), {.clock = [&now] { return now; }}};
    log.info("leap day");  // truncated, not rounded, to microseconds
    now = sys_days{1970y / January / 1} + 7us;
    log.info("epoch");

    const std::vector<nlohmann::json> records = parse_lines(out.str());
    CHECK(records[0]["ts"] == "2024-02-29T23:59:59.999999Z");
    CHECK(records[1]["ts"] == "1970-01-01T00:00:00.000007Z");
    // [fake-clock]
}

TEST_CASE("src names the file and line of the call") {
    std::ostringstream out;
    const ce::logger log{std::make_shared<ce::ostream_sink>(out)};
    // [source-location]
    const auto method_line = std::source_location::current().line() + 1;
    log.info("through the method");
    const auto macro_line = std::source_location::current().line() + 1;
    CE_LOG_INFO(log, "through the macro");

    const std::vector<nlohmann::json> records = parse_lines(out.str());
    CHECK(records[0]["src"] == "logging.cpp:" + std::to_string(method_line));
    CHECK(records[1]["src"] == "logging.cpp:" + std::to_string(macro_line));
    // [source-location]
}

TEST_CASE("a file_sink appends whole lines to a file") {
    const std::filesystem::path path =
        std::filesystem::temp_directory_path() / ("ce-logging-test-" + std::to_string(::getpid()) + ".jsonl");
    std::filesystem::remove(path);
    // [file-sink]
    {
        const ce::logger log{std::make_shared<ce::file_sink>(path)};  // opened for appending
        log.info("first run");
    }  // the last logger's sink closes the file
    {
        const ce::logger log{std::make_shared<ce::file_sink>(path)};
        log.info("second run");
    }
    std::ifstream in(path);
    std::string first;
    std::string second;
    std::getline(in, first);
    std::getline(in, second);
    CHECK(nlohmann::json::parse(first)["msg"] == "first run");
    CHECK(nlohmann::json::parse(second)["msg"] == "second run");
    // [file-sink]
    std::filesystem::remove(path);
    CHECK_THROWS_AS(ce::file_sink(path / "no" / "such" / "dir"), ce::usage_error);
}

TEST_CASE("a file_sink reports a line lost to a full disk, however short") {
    // [file-sink-full-disk]
    ce::file_sink full(std::filesystem::path("/dev/full"));  // every write fails: ENOSPC
    auto log_one_line = [&full] {
        full.write("{\"msg\":\"short\"}\n");  // fits the stdio buffer
        full.flush();                           // which cannot reach the disk
    };
    CHECK_THROWS_WITH_AS(log_one_line(), doctest::Contains("No space left on device"), ce::transient_error);
    // [file-sink-full-disk]
}

// [counting-operator-new]
// Counts every allocation through the replaceable global operator new. ThreadSanitizer's
// runtime defines operator new itself (strongly), so under TSan nothing is counted and
// the two allocation tests are skipped; the ASan and release builds run them.
#if defined(__SANITIZE_THREAD__)
#define LOGGING_SNIPPET_UNDER_TSAN
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define LOGGING_SNIPPET_UNDER_TSAN
#endif
#endif

namespace {
std::atomic<long> allocations{0};
#ifdef LOGGING_SNIPPET_UNDER_TSAN
constexpr bool counting_allocations = false;
#else
constexpr bool counting_allocations = true;
#endif
}  // namespace

#ifndef LOGGING_SNIPPET_UNDER_TSAN
// noinline: g++ -O2 otherwise sees malloc paired with an inlined free and warns.
[[gnu::noinline]] void* operator new(std::size_t size) {
    allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size == 0 ? 1 : size)) {
        return p;
    }
    throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#endif
// [counting-operator-new]

namespace {

// Keeps the last line in a buffer reserved up front and reused.
class last_line_sink final : public ce::log_sink {
public:
    last_line_sink() { last_.reserve(1024); }
    void write(std::string_view line) override {
        const std::lock_guard lock(mutex_);
        last_.assign(line);
    }

private:
    std::mutex mutex_;
    std::string last_;
};

}  // namespace

TEST_CASE("a record is rendered without a heap allocation"
          * doctest::skip(!counting_allocations)
          * doctest::description("ThreadSanitizer's own operator new leaves nothing to count")) {
    auto sink = std::make_shared<last_line_sink>();
    // [no-allocation]
    const ce::logger log = ce::logger{sink}.bind("service", "billing");
    const ce::log_scope request{"request_id", 42};

    const long before = allocations.load();
    for (int i = 0; i < 1000; ++i) {
        log.info("payment captured", "user", "ann", "cents", 1999, "ok", true);
    }
    CHECK(allocations.load() - before == 0);
    // [no-allocation]
}

TEST_CASE("an async sink allocates per queue slot, not per record"
          * doctest::skip(!counting_allocations)
          * doctest::description("ThreadSanitizer's own operator new leaves nothing to count")) {
    auto sink = std::make_shared<last_line_sink>();
    // [async-no-allocation]
    constexpr std::size_t capacity = 16;
    auto queue = std::make_shared<ce::async_sink>(sink, ce::async_options{.capacity = capacity});
    const ce::logger log{queue, {.clock = fixed_clock}};

    const long before = allocations.load();
    for (int i = 0; i < 10'000; ++i) {
        log.info("payment captured", "user", "ann", "cents", 1999, "ok", true);
    }
    queue->flush();
    // Each line is copied into a ring slot; a slot's string grows once and is reused.
    // The worker swaps slots with its own batch strings: 2 * capacity buffers in all.
    CHECK(allocations.load() - before <= 2 * static_cast<long>(capacity));
    // [async-no-allocation]
}

namespace {

#ifdef CE_COMPILE_FAIL_ODD_FIELDS
// [odd-fields]
void report_login(const ce::logger& log, std::string_view user) {
    log.info("user logged in", "user", user, "attempt");  // "attempt" has no value
}
// [odd-fields]
#endif

#ifdef CE_COMPILE_FAIL_DISCARDED_SCOPE
// [discarded-scope]
void handle(const ce::logger& log) {
    ce::log_scope{"request_id", 42};  // a temporary: gone at the semicolon
    log.info("handling");
}
// [discarded-scope]
#endif

}  // namespace
