// Application lifecycle: the chapter page shows the named regions of this file.
//
// The signal tests run a real application in a child process: this test binary, spawned
// again with CE_LIFECYCLE_CHILD set and a doctest filter that selects only the child's
// entry test case. The parent reads the child's stdout through a pipe, sends SIGTERM,
// and bounds every wait with a deadline, so a bug fails the test instead of hanging it.
#include <ce/lifecycle.hpp>

#include <ce_test/child_process.hpp>
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstddef>
#include <cstdlib>
#include <latch>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace std::chrono_literals;

// Failed CHECKs on lists of names print the names.
template <>
struct doctest::StringMaker<std::vector<std::string>> {
    static doctest::String convert(const std::vector<std::string>& names) {
        std::string out = "{";
        for (const std::string& name : names) {
            out += (out.size() > 1 ? ", \"" : "\"") + name + "\"";
        }
        return (out + "}").c_str();
    }
};

namespace {

// [say]
// One line to stdout with one write(): unbuffered, so the parent sees "ready" at once,
// and never interleaved with another thread's line.
void say(std::string_view text) {
    std::string line(text);
    line += '\n';
    std::size_t done = 0;
    while (done < line.size()) {
        const ::ssize_t n = ::write(STDOUT_FILENO, line.data() + done, line.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            throw std::system_error(errno, std::system_category(), "write to stdout");
        }
        done += static_cast<std::size_t>(n);
    }
}
// [say]

// [fake-clock]
// A clock the test moves by hand: a "3 s" stop takes no real time.
struct fake_clock {
    ce::lifecycle::time_point now{};

    void advance(ce::lifecycle::clock::duration d) { now += d; }
    [[nodiscard]] ce::lifecycle::now_function reader() {
        return [this] { return now; };
    }
};
// [fake-clock]

// [wait-until-requested]
// A bounded wait for a stop request: a broken watcher fails the test instead of hanging it.
bool wait_until_requested(const std::stop_token& token, std::chrono::seconds limit) {
    std::mutex m;
    std::condition_variable_any cv;
    std::unique_lock lock(m);
    (void)cv.wait_for(lock, token, limit, [] { return false; });
    return token.stop_requested();
}
// [wait-until-requested]

// [join-lines]
std::string join_lines(const std::vector<std::string>& lines) {
    std::string out;
    for (const std::string& line : lines) {
        out += line;
        out += '\n';
    }
    return out;
}
// [join-lines]

// [start-shop]
constexpr const char* child_env = "CE_LIFECYCLE_CHILD";
constexpr const char* child_case =
    "child process entry: runs shop_main when CE_LIFECYCLE_CHILD is set";

// shop_main(mode) in a new process: this test binary again, running only the child
// entry case, with its stdout on a pipe. Every read and the final wait share one
// deadline; a child still running when the test ends is killed and reaped.
ce_test::child_process start_shop(std::string_view mode) {
    return ce_test::child_process({
        .test_case = child_case,
        .environment = {std::string(child_env) + "=" + std::string(mode)},
    });
}

// [start-shop]
}  // namespace

TEST_CASE("services start in the order added and stop in reverse") {
    // [order]
    std::vector<std::string> log;
    ce::lifecycle app(5s);  // the drain deadline: stop() gives all services 5 s in total
    for (std::string name : {"config", "db", "cache", "http"}) {
        app.add(name, [&log, name](const std::stop_token&) { log.push_back("start " + name); },
                [&log, name](auto /*deadline*/) { log.push_back("stop " + name); });
    }
    app.start();
    (void)app.stop();
    CHECK(log == std::vector<std::string>{"start config", "start db", "start cache", "start http",
                                          "stop http", "stop cache", "stop db", "stop config"});
    // [order]
}

TEST_CASE("if start k fails, services k-1..1 stop in reverse and the error keeps its type") {
    // [start-failure]
    std::vector<std::string> log;
    ce::lifecycle app(5s);
    auto add_service = [&](const std::string& name) {
        app.add(name, [&log, name](const auto&) { log.push_back("start " + name); },
                [&log, name](const auto&) { log.push_back("stop " + name); });
    };
    add_service("config");
    add_service("db");
    add_service("cache");
    app.add("http",  // service 4 fails to start
            [](const auto&) {
                throw std::system_error(make_error_code(std::errc::address_in_use), "bind :8080");
            },
            [&log](const auto&) { log.push_back("stop http"); });
    add_service("metrics");

    try {
        app.start();
        FAIL("start() must rethrow the failure");
    } catch (const std::system_error& e) {  // the type the service threw, not a wrapper
        CHECK(e.code() == std::errc::address_in_use);
    }
    CHECK(log == std::vector<std::string>{"start config", "start db", "start cache",
                                          "stop cache", "stop db", "stop config"});
    CHECK(app.stop().services.empty());  // nothing left to stop
    // [start-failure]
}

TEST_CASE("stop is idempotent: a second stop and the destructor do nothing") {
    // [idempotent-stop]
    int stops = 0;
    {
        ce::lifecycle app(5s);
        app.add("db", [](const auto&) {}, [&stops](const auto&) { ++stops; });
        app.start();
        app.request_stop();   // SIGTERM ...
        app.request_stop();   // ... and a second one, or an admin endpoint: one request
        app.wait_for_stop();  // returns at once
        CHECK(app.stop().services.size() == 1);
        CHECK(app.stop().services.empty());  // the second stop is a no-op
    }                                        // and so is the destructor's
    CHECK(stops == 1);
    // [idempotent-stop]
}

TEST_CASE("misuse is a ce::usage_error: an empty function, add or start after start") {
    ce::lifecycle app(5s);
    const auto nothing = [](const auto&) {};
    CHECK_THROWS_WITH_AS(app.add("db", nullptr, nothing), "lifecycle::add(\"db\") needs a start and a stop function",
                         ce::usage_error);
    CHECK_THROWS_WITH_AS(app.add("db", nothing, nullptr), "lifecycle::add(\"db\") needs a start and a stop function",
                         ce::usage_error);
    app.add("db", nothing, nothing);
    app.start();
    CHECK_THROWS_WITH_AS(app.add("cache", nothing, nothing), "lifecycle::add(\"cache\") after start()",
                         ce::usage_error);
    CHECK_THROWS_WITH_AS(app.start(), "lifecycle::start() after start() or stop()", ce::usage_error);
    CHECK(app.stop().services.size() == 1);  // the rejected calls changed nothing
    CHECK_THROWS_WITH_AS(app.start(), "lifecycle::start() after start() or stop()", ce::usage_error);
}

TEST_CASE("a service that overruns the drain deadline is reported, and the rest still stop") {
    fake_clock clock;
    // [drain-deadline]
    ce::lifecycle app(2s, clock.reader());  // 2 s for the whole stop, on a fake clock
    std::vector<ce::lifecycle::time_point> deadlines;
    app.add("db", [](const auto&) {}, [&](auto deadline) { deadlines.push_back(deadline); });
    app.add("cache", [](const auto&) {}, [&](auto deadline) {
        deadlines.push_back(deadline);
        clock.advance(3s);  // flushing to disk takes 3 s: past the deadline
    });
    app.add("http", [](const auto&) {}, [&](auto deadline) {
        deadlines.push_back(deadline);
        clock.advance(500ms);  // drains its requests in time
    });
    app.start();
    const ce::stop_report report = app.stop();

    CHECK(deadlines == std::vector<ce::lifecycle::time_point>(3, ce::lifecycle::time_point{} + 2s));
    REQUIRE(report.services.size() == 3);  // db still stopped after the overrun
    CHECK(report.services[0].name == "http");
    CHECK(report.services[1].took == 3s);  // the cache used up the budget ...
    CHECK(report.overran() == std::vector<std::string>{"cache", "db"});  // ... so db ended late too
    CHECK_FALSE(report.clean());
    // [drain-deadline]
}

namespace shop {

// [stop-order-pitfall-types]
struct database {
    bool open = false;
    std::vector<std::string> rows;

    void write(const std::string& row) {
        if (!open) {
            throw ce::usage_error("database is closed");
        }
        rows.push_back(row);
    }
};

struct http_server {
    database& db;
    std::vector<std::string> in_flight;  // accepted requests not answered yet

    void drain() {  // finish every accepted request before closing
        for (const std::string& request : in_flight) {
            db.write(request);
        }
        in_flight.clear();
    }
};
// [stop-order-pitfall-types]

}  // namespace shop

TEST_CASE("stopping in start order loses the requests still in flight") {
    // [stop-order-pitfall]
    shop::database db;
    shop::http_server http{db, {}};
    db.open = true;  // start: db, then http
    http.in_flight = {"order 17", "order 18"};

    db.open = false;  // stop in the same order: db first ...
    // ... so http cannot drain:
    CHECK_THROWS_WITH_AS(http.drain(), "database is closed", ce::usage_error);
    CHECK(db.rows.empty());  // two accepted orders are lost
    // [stop-order-pitfall]
}

TEST_CASE("a lifecycle stops http before db, so http drains into an open database") {
    // [stop-order-fixed]
    shop::database db;
    shop::http_server http{db, {}};
    ce::lifecycle app(5s);
    app.add("db", [&](const auto&) { db.open = true; }, [&](const auto&) { db.open = false; });
    app.add("http", [&](const auto&) { http.in_flight = {"order 17", "order 18"}; },
            [&](const auto&) { http.drain(); });
    app.start();
    CHECK(app.stop().clean());
    CHECK(db.rows == std::vector<std::string>{"order 17", "order 18"});
    // [stop-order-fixed]
}

TEST_CASE("a process-directed SIGINT becomes a stop request") {
    // [signal-to-stop]
    ce::lifecycle app(5s);
    ce::signal_watcher signals(app.get_stop_source());  // blocks SIGINT, SIGTERM; reads a signalfd
    CHECK_FALSE(app.get_stop_token().stop_requested());

    REQUIRE(::kill(::getpid(), SIGINT) == 0);  // what Ctrl-C does; raise() would target one thread
    CHECK(wait_until_requested(app.get_stop_token(), 30s));
    CHECK(signals.last_signal() == SIGINT);
    // [signal-to-stop]
}

TEST_CASE("a thread started before the signal_watcher does not block SIGTERM") {
    // [mask-pitfall]
    auto blocks_sigterm = [] {
        ::sigset_t mask;
        ::pthread_sigmask(SIG_BLOCK, nullptr, &mask);  // read this thread's mask
        return ::sigismember(&mask, SIGTERM) == 1;
    };
    bool early_blocks = true;
    bool late_blocks = false;
    std::latch watcher_built(1);
    std::jthread early([&] {  // started too soon: it copied the old mask
        watcher_built.wait();
        early_blocks = blocks_sigterm();
    });
    {
        ce::signal_watcher signals(std::stop_source{});
        watcher_built.count_down();
        std::jthread late([&] { late_blocks = blocks_sigterm(); });  // inherits the blocked mask
        late.join();
        early.join();
    }
    CHECK_FALSE(early_blocks);  // a SIGTERM may land here: default action, no graceful stop
    CHECK(late_blocks);
    // [mask-pitfall]
}

namespace self_pipe {

// [self-pipe]
// The portable pattern, and what CPython's signal module does (set_wakeup_fd): the
// handler only writes the signal number into a pipe; ordinary code reads it later.
std::atomic<int> wakeup_fd{-1};  // lock-free atomics may be read in a handler
static_assert(std::atomic<int>::is_always_lock_free);

extern "C" void on_signal(int signo) {
    const int saved_errno = errno;  // the interrupted code may be about to read errno
    const auto byte = static_cast<unsigned char>(signo);
    if (::write(wakeup_fd.load(), &byte, 1) < 0) {
        // O_NONBLOCK pipe is full: a wake-up is pending already. Nothing else is safe here:
        // no locks, no allocation, no logging, no std::stop_source::request_stop.
    }
    errno = saved_errno;
}
// [self-pipe]

}  // namespace self_pipe

TEST_CASE("a self-pipe handler defers the stop request to ordinary code") {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0);
    const int read_end = fds[0];
    self_pipe::wakeup_fd = fds[1];
    struct ::sigaction action {};
    action.sa_handler = self_pipe::on_signal;
    ::sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    struct ::sigaction previous {};
    REQUIRE(::sigaction(SIGUSR1, &action, &previous) == 0);

    // [self-pipe-loop]
    std::stop_source stop;
    REQUIRE(::kill(::getpid(), SIGUSR1) == 0);

    ::pollfd ready{read_end, POLLIN, 0};  // the event loop's poll wakes up for the byte
    REQUIRE(::poll(&ready, 1, 30'000) == 1);
    unsigned char signo = 0;
    REQUIRE(::read(read_end, &signo, 1) == 1);
    stop.request_stop();  // outside the handler: locks and allocation are fine again
    CHECK(signo == SIGUSR1);
    // [self-pipe-loop]
    CHECK(stop.stop_requested());

    ::sigaction(SIGUSR1, &previous, nullptr);
    self_pipe::wakeup_fd = -1;
    ::close(fds[1]);
    ::close(read_end);
}

namespace shop {

// [workers]
// Threads that run until the application's stop token fires. join_until() waits for
// them until the deadline, then joins anyway: a thread is never abandoned, so a late
// worker shows up as a late stop, which the lifecycle reports.
class worker_group {
public:
    void start(std::size_t count, const std::stop_token& token) {
        for (std::size_t i = 0; i < count; ++i) {
            threads_.emplace_back([this, token] { work(token); });
        }
    }

    bool join_until(ce::lifecycle::time_point deadline) {
        bool in_time = false;
        {
            std::unique_lock lock(mutex_);
            in_time = done_.wait_until(lock, deadline,
                                       [&] { return finished_ == threads_.size(); });
        }
        threads_.clear();  // std::jthread joins
        return in_time;
    }

private:
    void work(const std::stop_token& token) {
        std::unique_lock lock(mutex_);
        // A real worker pops jobs here; this one idles until the stop request.
        jobs_.wait(lock, token, [] { return false; });
        ++finished_;
        done_.notify_all();
    }

    std::mutex mutex_;
    std::condition_variable_any jobs_;
    std::condition_variable done_;
    std::size_t finished_ = 0;
    std::vector<std::jthread> threads_;
};
// [workers]

// [application]
// A whole service's main(); the tests run it in a child process and send it SIGTERM.
int shop_main(std::string_view mode) {
    ce::lifecycle app(5s);
    ce::signal_watcher signals(app.get_stop_source());  // first: every thread inherits the mask

    worker_group workers;
    app.add("db", [](const auto&) { say("start db"); }, [](const auto&) { say("stop db"); });
    app.add("workers",
            [&](const std::stop_token& token) {
                workers.start(2, token);
                say("start workers");
            },
            [&](auto deadline) {
                const bool in_time = workers.join_until(deadline);
                say(in_time ? "stop workers: joined in time" : "stop workers: late");
            });
    app.add("http",
            [&](const auto&) {
                if (mode == "port-in-use") {  // the tests' stand-in for a failing bind()
                    throw std::system_error(make_error_code(std::errc::address_in_use),
                                            "bind 0.0.0.0:8080");
                }
                say("start http");
            },
            [](const auto&) { say("stop http"); });

    try {
        app.start();
    } catch (const std::exception& e) {  // the services already started have stopped
        say(fmt::format("error: {}", e.what()));
        return 1;
    }
    say("ready");
    app.wait_for_stop();
    say(signals.last_signal() == SIGTERM ? "stopping on SIGTERM" : "stopping on SIGINT");
    const ce::stop_report report = app.stop();
    say(fmt::format("stopped {} services, {} late", report.services.size(),
                    report.overran().size()));
    return report.clean() ? 0 : 2;
}
// [application]

}  // namespace shop

// [child-entry]
// In the normal run this case does nothing. The signal tests spawn this binary again
// with CE_LIFECYCLE_CHILD set and --test-case selecting this case only.
TEST_CASE("child process entry: runs shop_main when CE_LIFECYCLE_CHILD is set") {
    if (const char* mode = std::getenv("CE_LIFECYCLE_CHILD")) {
        const int status = shop::shop_main(mode);  // everything it built is destroyed here
        std::exit(status);                         // so leak checkers run and find nothing
    }
}
// [child-entry]

TEST_CASE("SIGTERM stops every service in reverse order before the deadline and exits 0") {
    // [sigterm-output]
    constexpr std::string_view expected = R"(
start db
start workers
start http
ready
stopping on SIGTERM
stop http
stop workers: joined in time
stop db
stopped 3 services, 0 late
)";
    // [sigterm-output]

    // [sigterm-child]
    auto child = start_shop("serve");  // shop_main in a new process; every wait is bounded
    std::vector<std::string> lines;
    while (auto line = child.read_line()) {
        lines.push_back(*line);
        if (*line == "ready") {
            break;
        }
    }
    REQUIRE_MESSAGE(!lines.empty(), "the child exited before it was ready");
    REQUIRE(lines.back() == "ready");

    REQUIRE(::kill(child.pid(), SIGTERM) == 0);  // what `kill`, systemd and Kubernetes send
    while (auto line = child.read_line()) {
        lines.push_back(*line);
    }
    const int status = child.wait();
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(join_lines(lines) == expected.substr(1));
    // [sigterm-child]
}

TEST_CASE("a failing start stops the started services in reverse and exits with the error") {
    // [failing-start-output]
    constexpr std::string_view expected = R"(
start db
start workers
stop workers: joined in time
stop db
error: bind 0.0.0.0:8080: Address already in use
)";
    // [failing-start-output]

    auto child = start_shop("port-in-use");
    std::vector<std::string> lines;
    while (auto line = child.read_line()) {
        lines.push_back(*line);
    }
    const int status = child.wait();
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 1);
    CHECK(join_lines(lines) == expected.substr(1));
}
