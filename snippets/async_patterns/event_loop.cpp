// Chapter 4, event loop internals: ce::event_loop's iteration (ready queue, timer heap
// with FIFO order among equal deadlines), wake-ups from other threads, descriptor
// readiness, the slow-callback warning, and TCP over loopback as awaitables.

#include <ce/error.hpp>
#include <ce/event_loop.hpp>
#include <ce/log_sink.hpp>
#include <ce/logger.hpp>
#include <ce/scope_guard.hpp>
#include <ce/task.hpp>
#include <ce/tcp.hpp>
#include <ce/when_all.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <sstream>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <unistd.h>

using namespace std::chrono_literals;

TEST_CASE("one iteration runs the ready callbacks, then the due timers in deadline order") {
    // [loop-order]
    ce::event_loop loop;
    std::vector<std::string> order;
    loop.call_soon([&] {
        order.emplace_back("soon");
        loop.call_soon([&] { order.emplace_back("soon, from a callback"); });  // next iteration
        const auto t = ce::event_loop::now() + 10ms;  // due in a later iteration, however late
        loop.call_at(t, [&] { order.emplace_back("at t, first"); });  // equal deadlines run
        loop.call_at(t, [&] {                                          // in the order scheduled
            order.emplace_back("at t, second");
            loop.stop();
        });
    });
    loop.run();
    CHECK(order == std::vector<std::string>{"soon", "soon, from a callback", "at t, first", "at t, second"});
    // [loop-order]
}

TEST_CASE("a thousand timers with one deadline run in the order they were scheduled") {
    // [fifo-ties]
    ce::event_loop loop;
    std::vector<int> fired;
    const auto t = ce::event_loop::now() + 1ms;
    for (int i = 0; i < 1000; ++i) {
        loop.call_at(t, [&fired, i] { fired.push_back(i); });
    }
    loop.call_at(t, [&] { loop.stop(); });
    loop.run();
    REQUIRE(fired.size() == 1000);
    CHECK(std::is_sorted(fired.begin(), fired.end()));  // the tie-break is a sequence number
    // [fifo-ties]
}

TEST_CASE("cancelled timers do not run, and the heap forgets them") {
    // [cancel-timer]
    ce::event_loop loop;
    int ran = 0;
    std::vector<ce::timer_handle> timers;
    timers.reserve(10'000);
    for (int i = 0; i < 10'000; ++i) {
        timers.push_back(loop.call_later(1h, [&] { ++ran; }));
    }
    CHECK(loop.pending_timers() == 10'000);
    for (const ce::timer_handle t : timers) {
        CHECK(loop.cancel(t));
    }
    CHECK_FALSE(loop.cancel(timers.front()));  // once only
    CHECK(loop.pending_timers() == 0);
    loop.call_soon([&] { loop.stop(); });
    loop.run();  // rebuilds the heap without the dead entries; returns at once
    CHECK(ran == 0);
    // [cancel-timer]
}

TEST_CASE("another thread wakes a sleeping loop with call_soon_threadsafe") {
    // [threadsafe]
    ce::event_loop loop;
    std::string error;
    std::jthread helper([&] {
        while (!loop.is_running()) {  // call_soon is refused only while another thread runs the loop
            std::this_thread::yield();
        }
        std::this_thread::sleep_for(20ms);  // the loop is asleep in epoll_wait: no timers, nothing ready
        try {
            loop.call_soon([] {});  // not from this thread
        } catch (const ce::usage_error& e) {
            error = e.what();
        }
        loop.call_soon_threadsafe([&] { loop.stop(); });  // writes the eventfd: the loop wakes
    });
    loop.run();  // returns only because the other thread woke it
    helper.join();
    CHECK(error == "ce::event_loop::call_soon: called from a thread that is not running the loop; "
                   "use call_soon_threadsafe");
    // [threadsafe]
}

TEST_CASE("bad input gets a clear error") {
    // [bad-input]
    ce::event_loop loop;
    CHECK_THROWS_WITH_AS(loop.call_later(-5ms, [] {}),
                         "ce::event_loop::call_later: negative delay (-5000000 ns); "
                         "a deadline in the past is call_at's business",
                         ce::usage_error);
    CHECK_THROWS_WITH_AS((void)loop.sleep(-1ms), "ce::event_loop::sleep: negative duration (-1000000 ns)",
                         ce::usage_error);

    std::string second_run;
    loop.call_soon([&] {
        std::jthread other([&] {
            try {
                loop.run();
            } catch (const ce::usage_error& e) {
                second_run = e.what();
            }
        });
    });
    loop.call_soon([&] { loop.stop(); });
    loop.run();
    CHECK(second_run == "ce::event_loop::run: the loop is already running on another thread");
    // [bad-input]
}

TEST_CASE("add_reader calls back while a descriptor is readable") {
    // [reader]
    ce::event_loop loop;
    std::array<int, 2> fds{};
    REQUIRE(::pipe(fds.data()) == 0);
    std::string received;
    loop.add_reader(fds[0], [&] {
        char c = 0;
        REQUIRE(::read(fds[0], &c, 1) == 1);  // one byte per call: level-triggered, it calls again
        received += c;
        if (received.size() == 3) {
            loop.remove_reader(fds[0]);  // allowed from inside the callback
            loop.stop();
        }
    });
    REQUIRE(::write(fds[1], "abc", 3) == 3);
    loop.run();
    CHECK(received == "abc");
    ::close(fds[0]);
    ::close(fds[1]);
    // [reader]
}

// [string-log]
// A logger that writes logfmt lines into a string, with the time fixed.
struct string_log {
    std::ostringstream out;
    ce::logger log{std::make_shared<ce::ostream_sink>(out),
                   {.format = ce::log_format::logfmt,
                    .level = ce::log_level::info,
                    .clock = [] { return std::chrono::system_clock::time_point{}; },
                    .source = false}};
};
// [string-log]

TEST_CASE("debug mode reports callbacks that hold the loop too long") {
    // [slow-callback]
    string_log records;
    ce::event_loop loop({.log = records.log, .debug = true, .slow_callback_duration = 20ms});
    const int line = __LINE__ + 1;
    loop.call_soon([] { std::this_thread::sleep_for(50ms); });  // a blocking call on the loop
    loop.call_soon([] {});                                    // a quick one: not reported
    loop.call_soon([&] { loop.stop(); });
    loop.run();
    const std::string text = records.out.str();
    CHECK(text.starts_with(R"(ts=1970-01-01T00:00:00.000000Z level=warn msg="slow callback" seconds=0.)"));
    CHECK(text.ends_with(" scheduled_at=event_loop.cpp:" + std::to_string(line) + "\n"));
    CHECK(std::count(text.begin(), text.end(), '\n') == 1);
    // [slow-callback]
}

TEST_CASE("an exception from a callback is logged and the loop goes on") {
    // [callback-error]
    string_log records;
    ce::event_loop loop({.log = records.log});
    bool after = false;
    const int line = __LINE__ + 1;
    loop.call_soon([] { throw std::runtime_error("disk on fire"); });
    loop.call_soon([&] {
        after = true;
        loop.stop();
    });
    loop.run();
    CHECK(after);
    CHECK(records.out.str() == R"(ts=1970-01-01T00:00:00.000000Z level=error msg="exception in callback")"
                               R"( error="disk on fire" scheduled_at=event_loop.cpp:)" +
                                   std::to_string(line) + "\n");
    // [callback-error]
}

// [echo]
// Echoes what it reads until the client closes its end.
ce::task<void> echo_server(ce::tcp_listener& listener) {
    ce::tcp_stream client = co_await listener.accept(5s);
    std::array<std::byte, 64> buf{};
    while (const std::size_t n = co_await client.read_some(buf, 5s)) {
        co_await client.write_all(std::span(buf).first(n), 5s);
    }
}

ce::task<std::string> ask(ce::event_loop& loop, std::uint16_t port, std::string message) {
    ce::tcp_stream server = co_await ce::tcp_stream::connect(loop, "127.0.0.1", port, 5s);
    co_await server.write_all(std::as_bytes(std::span(message)), 5s);
    std::string reply(message.size(), '\0');
    co_await server.read_exactly(std::as_writable_bytes(std::span(reply)), 5s);
    co_return reply;
}
// [echo]

TEST_CASE("a loopback echo: accept, read, write, connect") {
    // [echo-run]
    ce::event_loop loop;
    ce::tcp_listener listener = ce::tcp_listener::bind(loop, "127.0.0.1", 0);  // port 0: any free port
    loop.spawn(echo_server(listener));
    CHECK(loop.run_until_complete(ask(loop, listener.port(), "hello")) == "hello");
    // [echo-run]
}

TEST_CASE("a large message crosses in many reads and writes") {
    ce::event_loop loop;
    ce::tcp_listener listener = ce::tcp_listener::bind(loop);
    loop.spawn(echo_server(listener));
    std::string big(4 << 20, 'x');
    for (std::size_t i = 0; i < big.size(); i += 4096) {
        big[i] = static_cast<char>('a' + (i / 4096) % 26);
    }
    auto round_trip = [](ce::event_loop& l, std::uint16_t port, const std::string& message) -> ce::task<bool> {
        ce::tcp_stream s = co_await ce::tcp_stream::connect(l, "127.0.0.1", port, 5s);
        std::string reply(message.size(), '\0');
        // Write and read at once: the socket buffers hold far less than 4 MiB.
        auto writer = [](ce::tcp_stream& stream, const std::string& m) -> ce::task<void> {
            co_await stream.write_all(std::as_bytes(std::span(m)), 10s);
        };
        auto reader = [](ce::tcp_stream& stream, std::string& r) -> ce::task<void> {
            co_await stream.read_exactly(std::as_writable_bytes(std::span(r)), 10s);
        };
        ce::task<void> w = writer(s, message);
        ce::task<void> r = reader(s, reply);
        (void)co_await ce::when_all(std::move(w), std::move(r));
        co_return reply == message;
    };
    CHECK(loop.run_until_complete(round_trip(loop, listener.port(), big)));
}

// [half-message]
// Promises eight bytes, sends three, closes.
ce::task<void> half_message(ce::tcp_listener& listener) {
    ce::tcp_stream client = co_await listener.accept(5s);
    const std::string_view part = "abc";
    co_await client.write_all(std::as_bytes(std::span(part)), 5s);
}  // `client` closes here

ce::task<void> read_eight(ce::event_loop& loop, std::uint16_t port) {
    ce::tcp_stream server = co_await ce::tcp_stream::connect(loop, "127.0.0.1", port, 5s);
    std::array<std::byte, 8> message{};
    co_await server.read_exactly(message, 5s);
}
// [half-message]

TEST_CASE("a peer that closes mid-message: connection_closed says how much arrived") {
    // [half-message-run]
    ce::event_loop loop;
    ce::tcp_listener listener = ce::tcp_listener::bind(loop);
    loop.spawn(half_message(listener));
    try {
        loop.run_until_complete(read_eight(loop, listener.port()));
        FAIL("expected ce::connection_closed");
    } catch (const ce::connection_closed& e) {
        CHECK(e.received() == 3);
        CHECK(std::string(e.what()) ==
              "ce::tcp_stream::read_exactly: the peer closed the connection after 3 of 8 bytes");
    }
    // [half-message-run]
}

TEST_CASE("a read that times out, a refused connection, an accept that times out") {
    // [timeouts]
    ce::event_loop loop;
    ce::tcp_listener listener = ce::tcp_listener::bind(loop);
    auto read_one = [](ce::event_loop& l, std::uint16_t port) -> ce::task<std::size_t> {
        ce::tcp_stream s = co_await ce::tcp_stream::connect(l, "127.0.0.1", port, 5s);
        std::array<std::byte, 1> b{};
        co_return co_await s.read_some(b, 50ms);  // the listener accepts, nobody writes
    };
    CHECK_THROWS_WITH_AS(loop.run_until_complete(read_one(loop, listener.port())),
                         "ce::tcp_stream::read_some: timed out", ce::timeout_error);

    auto accept_one = [](ce::tcp_listener& l) -> ce::task<void> { (void)co_await l.accept(20ms); };
    ce::tcp_listener idle = ce::tcp_listener::bind(loop);
    CHECK_THROWS_AS(loop.run_until_complete(accept_one(idle)), ce::timeout_error);

    const std::uint16_t closed_port = idle.port();
    idle.close();  // nobody listens there now
    CHECK_THROWS_AS(loop.run_until_complete(ce::tcp_stream::connect(loop, "127.0.0.1", closed_port, 5s)),
                    ce::connection_error);
    CHECK_THROWS_WITH_AS(loop.run_until_complete(ce::tcp_stream::connect(loop, "localhost", 80)),
                         "ce::tcp: not an IPv4 address: \"localhost\"", ce::usage_error);
    // [timeouts]
}

TEST_CASE("a stop request ends a pending read with cancelled_error") {
    // [cancel-read]
    ce::event_loop loop;
    ce::tcp_listener listener = ce::tcp_listener::bind(loop);
    std::stop_source stop;
    loop.call_later(20ms, [&] { stop.request_stop(); });
    auto read_forever = [](ce::event_loop& l, std::uint16_t port) -> ce::task<std::size_t> {
        ce::tcp_stream s = co_await ce::tcp_stream::connect(l, "127.0.0.1", port, 5s);
        std::array<std::byte, 1> b{};
        co_return co_await s.read_some(b);  // no timeout: only the stop request ends it
    };
    CHECK_THROWS_AS(loop.run_until_complete(read_forever(loop, listener.port()).with_stop_token(stop.get_token())),
                    ce::cancelled_error);
    // [cancel-read]
}

TEST_CASE("a failing spawned task is logged; a cancelled one is not; unfinished ones die with the loop") {
    string_log records;
    int destroyed = 0;
    {
        ce::event_loop loop({.log = records.log});
        auto fails = []() -> ce::task<void> {
            throw std::runtime_error("lost order 7");
            co_return;
        };
        auto cancelled = []() -> ce::task<void> { throw ce::cancelled_error("stopped"); co_return; };
        auto forever = [](ce::event_loop& l, int& count) -> ce::task<void> {
            const ce::scope_exit count_it([&count] { ++count; });
            co_await l.sleep(ce::no_timeout);  // only a stop request or the loop's end ends it
        };
        loop.spawn(fails());
        loop.spawn(cancelled());
        loop.spawn(forever(loop, destroyed));
        loop.call_later(5ms, [&] { loop.stop(); });
        loop.run();
        CHECK(loop.spawned() == 1);
        CHECK(destroyed == 0);
    }
    CHECK(destroyed == 1);  // the loop destroyed the suspended frame, running its destructors
    const std::string text = records.out.str();
    CHECK(text.find(R"(msg="a spawned task failed" error="lost order 7")") != std::string::npos);
    CHECK(text.find("stopped") == std::string::npos);
}

TEST_CASE("ce::callback: move-only and large targets, moves, self-move, empty") {
    auto owned = std::make_unique<int>(41);
    ce::callback small([p = std::move(owned)] { ++*p; });  // move-only target, stored in place
    std::array<char, 256> big{};
    int big_calls = 0;
    ce::callback large([big, &big_calls] { big_calls += big[0] + 1; });  // too big: on the heap
    ce::callback moved(std::move(large));
    moved();
    CHECK(big_calls == 1);
    CHECK_FALSE(large);  // NOLINT(bugprone-use-after-move): moved-from is empty
    ce::callback& alias = moved;
    moved = std::move(alias);  // self-move keeps the target
    moved();
    CHECK(big_calls == 2);
    small = std::move(moved);  // the old target is destroyed, the heap one taken over
    small();
    CHECK(big_calls == 3);
    ce::callback empty;
    CHECK_FALSE(empty);
    empty.reset();
}

TEST_CASE("a task's moved-from state and self-move") {
    auto make = []() -> ce::task<int> { co_return 5; };
    ce::task<int> t = make();
    ce::task<int>& alias = t;
    t = std::move(alias);  // self-move keeps the frame
    CHECK(t.valid());
    ce::task<int> u;
    CHECK_FALSE(u.valid());
    u = std::move(t);
    CHECK(ce::sync_wait(std::move(u)) == 5);
    // NOLINTNEXTLINE(bugprone-use-after-move): using the moved-from task is the test
    CHECK_THROWS_WITH_AS(ce::sync_wait(std::move(t).with_stop_token({})),
                         "ce::task: with_stop_token on an empty (moved-from) task", ce::usage_error);
}

TEST_CASE("run_until_complete: a loop stopped early, and one already running") {
    ce::event_loop loop;
    auto never = [](ce::event_loop& l) -> ce::task<void> { co_await l.sleep(1h); };
    loop.call_later(5ms, [&] { loop.stop(); });
    CHECK_THROWS_WITH_AS(loop.run_until_complete(never(loop)),
                         "ce::event_loop::run_until_complete: the loop was stopped before the task finished",
                         ce::usage_error);
    CHECK(loop.pending_timers() == 0);  // the destroyed frame took its timer with it
    std::string nested;
    loop.call_soon([&] {
        try {
            loop.run();
        } catch (const ce::usage_error& e) {
            nested = e.what();
        }
        loop.stop();
    });
    loop.run();
    CHECK(nested == "ce::event_loop::run: the loop is already running (run called from its own callback)");
}

TEST_CASE("a due timer can still be cancelled by a callback that runs before it") {
    ce::event_loop loop;
    std::vector<std::string> ran;
    const auto t = ce::event_loop::now() + 1ms;
    ce::timer_handle second;
    ce::timer_handle self;
    loop.call_at(t, [&] {
        ran.emplace_back("first");
        CHECK(loop.cancel(second));  // due in this same iteration, not run yet
    });
    second = loop.call_at(t, [&] { ran.emplace_back("second"); });
    self = loop.call_at(t, [&] {
        ran.emplace_back("self");
        CHECK_FALSE(loop.cancel(self));  // running: nothing left to cancel
    });
    loop.call_soon([] { std::this_thread::sleep_for(5ms); });  // all three become due together
    loop.call_at(t + 1ms, [&] { loop.stop(); });
    loop.run();
    CHECK(ran == std::vector<std::string>{"first", "self"});
    CHECK(loop.pending_timers() == 0);
}

TEST_CASE("writing to a peer that has gone is connection_closed, not SIGPIPE") {
    ce::event_loop loop;
    ce::tcp_listener listener = ce::tcp_listener::bind(loop);
    auto hang_up = [](ce::tcp_listener& l) -> ce::task<void> {
        ce::tcp_stream peer = co_await l.accept(5s);
        peer.close();
    };
    auto keep_writing = [](ce::event_loop& l, std::uint16_t port) -> ce::task<void> {
        ce::tcp_stream s = co_await ce::tcp_stream::connect(l, "127.0.0.1", port, 5s);
        const std::string chunk(std::size_t{64} * 1024, 'x');
        for (int i = 0; i < 1000; ++i) {  // the first writes may still land in buffers
            co_await s.write_all(std::as_bytes(std::span(chunk)), 5s);
            co_await l.sleep(1ms);
        }
    };
    loop.spawn(hang_up(listener));
    CHECK_THROWS_AS(loop.run_until_complete(keep_writing(loop, listener.port())), ce::connection_closed);
}

TEST_CASE("a loop destroyed while tasks wait on sockets and timers frees everything") {
    auto server = [](ce::tcp_listener& l) -> ce::task<void> {
        ce::tcp_stream s = co_await l.accept(5s);
        std::array<std::byte, 16> b{};
        (void)co_await s.read_some(b);  // nobody writes: waits until the loop goes
    };
    auto client = [](ce::event_loop& l, std::uint16_t port) -> ce::task<void> {
        ce::tcp_stream s = co_await ce::tcp_stream::connect(l, "127.0.0.1", port, 5s);
        co_await l.sleep(1h);
    };
    auto loop = std::make_unique<ce::event_loop>();
    {
        ce::tcp_listener listener = ce::tcp_listener::bind(*loop);
        loop->spawn(server(listener));
        loop->spawn(client(*loop, listener.port()));
        loop->call_later(20ms, [&] { loop->stop(); });
        loop->run();
        CHECK(loop->spawned() == 2);
        // The listener closes here; the accepted stream lives in the server's frame.
    }
    loop.reset();  // destroys both frames: their sockets unregister, their timers go
}

TEST_CASE("call_soon_threadsafe from several threads: every callback runs, each thread's in order") {
    ce::event_loop loop;
    constexpr int threads = 4;
    constexpr int per_thread = 1000;
    std::array<std::vector<int>, threads> seen;
    int done = 0;
    {
        std::vector<std::jthread> senders;
        senders.reserve(threads);
        for (int t = 0; t < threads; ++t) {
            senders.emplace_back([&, t] {
                for (int i = 0; i < per_thread; ++i) {
                    loop.call_soon_threadsafe([&, t, i] {
                        seen[static_cast<std::size_t>(t)].push_back(i);
                        if (++done == threads * per_thread) {
                            loop.stop();
                        }
                    });
                }
            });
        }
        loop.run();
    }
    for (const std::vector<int>& s : seen) {
        REQUIRE(s.size() == per_thread);
        CHECK(std::is_sorted(s.begin(), s.end()));
    }
}
