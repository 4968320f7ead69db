// Chapter 4, task scheduling: when_all (gather), when_any, wait_for, cancellation with
// std::stop_token, ce::task_group (TaskGroup), ce::async_semaphore (Semaphore) and a
// bounded ce::channel (Queue(maxsize)) whose producer waits while it is full.

#include <ce/async_semaphore.hpp>
#include <ce/channel.hpp>
#include <ce/error.hpp>
#include <ce/event_loop.hpp>
#include <ce/scope_guard.hpp>
#include <ce/task.hpp>
#include <ce/task_group.hpp>
#include <ce/when_all.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

using namespace std::chrono_literals;

// [fetch]
ce::task<std::string> fetch(ce::event_loop& loop, std::vector<std::string>& events, std::string name,
                            std::chrono::milliseconds delay) {
    events.push_back("start " + name);
    co_await loop.sleep(delay);
    events.push_back("end " + name);
    co_return name + name;
}
// [fetch]

TEST_CASE("when_all runs tasks concurrently and returns their results in order") {
    // [when-all]
    ce::event_loop loop;
    std::vector<std::string> events;
    const auto [a, b, c] = loop.run_until_complete(
        ce::when_all(fetch(loop, events, "a", 30ms), fetch(loop, events, "b", 10ms), fetch(loop, events, "c", 20ms)));
    CHECK(std::tie(a, b, c) == std::tie("aa", "bb", "cc"));  // argument order
    CHECK(events == std::vector<std::string>{"start a", "start b", "start c",  // all started first
                                             "end b", "end c", "end a"});      // deadline order
    // [when-all]
}

// [failing]
ce::task<int> failing(ce::event_loop& loop, std::chrono::milliseconds delay, std::string message) {
    co_await loop.sleep(delay);
    throw std::runtime_error(message);
}
// [failing]

TEST_CASE("when_all waits for every task, then rethrows the first failure") {
    // [when-all-error]
    ce::event_loop loop;
    std::vector<std::string> events;
    auto both = [&]() -> ce::task<void> {
        (void)co_await ce::when_all(failing(loop, 20ms, "second"), failing(loop, 10ms, "first"),
                                    fetch(loop, events, "slow", 50ms));
    };
    CHECK_THROWS_WITH_AS(loop.run_until_complete(both()), "first", std::runtime_error);
    CHECK(events.back() == "end slow");  // nothing was left running
    // [when-all-error]
}

TEST_CASE("when_any returns the first to finish and cancels the rest") {
    // [when-any]
    ce::event_loop loop;
    std::vector<std::string> events;
    std::vector<ce::task<std::string>> racers;
    racers.push_back(fetch(loop, events, "primary", 10s));
    racers.push_back(fetch(loop, events, "replica", 10ms));
    const auto [index, value] = loop.run_until_complete(ce::when_any(std::move(racers)));
    CHECK(index == 1);
    CHECK(value == "replicareplica");
    CHECK(events == std::vector<std::string>{"start primary", "start replica", "end replica"});
    // "primary" never reached its end: its sleep ended with cancelled_error when it lost
    // [when-any]
}

TEST_CASE("wait_for turns a stop at the deadline into timeout_error") {
    // [wait-for]
    ce::event_loop loop;
    std::vector<std::string> events;
    CHECK_THROWS_WITH_AS(loop.run_until_complete(ce::wait_for(loop, fetch(loop, events, "query", 10s), 50ms)),
                         "ce::wait_for: timed out after 50 ms", ce::timeout_error);
    CHECK(loop.run_until_complete(ce::wait_for(loop, fetch(loop, events, "quick", 1ms), 5s)) == "quickquick");
    CHECK_THROWS_AS(loop.run_until_complete(ce::wait_for(loop, fetch(loop, events, "x", 1ms), -1ms)),
                    ce::usage_error);
    // [wait-for]
}

// [cancel-point]
// Sums in slices, checking for cancellation only where it suspends.
ce::task<void> count_slowly(ce::event_loop& loop, ce::async_semaphore& connections, long& total, long& slices) {
    const ce::async_semaphore::permit held = co_await connections.acquire();  // released on every exit
    for (;;) {
        for (int i = 0; i < 1000; ++i) {
            total += i;  // no suspension: a stop request is not seen here
        }
        ++slices;
        co_await loop.sleep(1ms);  // the cancellation point: throws cancelled_error once stopped
    }
}
// [cancel-point]

TEST_CASE("a cancelled task stops at its next suspension and releases what it holds") {
    // [cancel]
    ce::event_loop loop;
    ce::async_semaphore connections(loop, 1);
    long total = 0;
    long slices = 0;
    std::stop_source stop;
    loop.call_later(30ms, [&] { stop.request_stop(); });
    CHECK_THROWS_AS(
        loop.run_until_complete(count_slowly(loop, connections, total, slices).with_stop_token(stop.get_token())),
        ce::cancelled_error);
    CHECK(total == slices * 499'500);  // every slice ran whole
    CHECK(connections.available() == 1);  // the permit came back
    // [cancel]
}

TEST_CASE("a stop requested by another thread reaches the loop") {
    ce::event_loop loop;
    ce::async_semaphore sem(loop, 1);
    long total = 0;
    long slices = 0;
    std::stop_source stop;
    std::jthread canceller([&] {
        std::this_thread::sleep_for(30ms);
        stop.request_stop();  // the stop callback queues the cancellation and wakes the loop
    });
    CHECK_THROWS_AS(loop.run_until_complete(count_slowly(loop, sem, total, slices).with_stop_token(stop.get_token())),
                    ce::cancelled_error);
    CHECK(sem.available() == 1);
}

// [task-group]
ce::task<void> worker(ce::event_loop& loop, std::vector<std::string>& log, std::string name,
                      std::chrono::milliseconds delay, bool fail) {
    const ce::scope_exit finally([&] { log.push_back(name + " ended"); });
    co_await loop.sleep(delay);
    if (fail) {
        throw std::runtime_error(name + " failed");
    }
}

ce::task<void> supervise(ce::event_loop& loop, std::vector<std::string>& log) {
    co_await ce::with_task_group([&](ce::task_group& group) -> ce::task<void> {
        group.spawn(worker(loop, log, "a", 10s, false));
        group.spawn(worker(loop, log, "b", 10ms, true));   // fails first
        group.spawn(worker(loop, log, "c", 20ms, true));   // cancelled before it fails
        co_await loop.sleep(10s);                          // the body is cancelled too
        log.emplace_back("body finished");                 // never reached
    });
}
// [task-group]

TEST_CASE("a failing child cancels its siblings and the body; the first exception propagates") {
    // [task-group-run]
    ce::event_loop loop;
    std::vector<std::string> log;
    CHECK_THROWS_WITH_AS(loop.run_until_complete(supervise(loop, log)), "b failed", std::runtime_error);
    REQUIRE(log.size() == 3);  // "body finished" is not there
    CHECK(log[0] == "b ended");
    std::sort(log.begin() + 1, log.end());  // siblings are cancelled in no specified order
    CHECK(log == std::vector<std::string>{"b ended", "a ended", "c ended"});
    // [task-group-run]
}

TEST_CASE("cancelling the parent cancels the group's children") {
    ce::event_loop loop;
    std::vector<std::string> log;
    std::stop_source stop;
    loop.call_later(10ms, [&] { stop.request_stop(); });
    auto parent = [&]() -> ce::task<void> {
        co_await ce::with_task_group([&](ce::task_group& group) -> ce::task<void> {
            group.spawn(worker(loop, log, "x", 10s, false));
            group.spawn(worker(loop, log, "y", 10s, false));
            co_return;
        });
    };
    CHECK_THROWS_AS(loop.run_until_complete(parent().with_stop_token(stop.get_token())), ce::cancelled_error);
    std::sort(log.begin(), log.end());
    CHECK(log == std::vector<std::string>{"x ended", "y ended"});
}

TEST_CASE("a task group returns the body's value when nothing fails") {
    ce::event_loop loop;
    std::vector<std::string> log;
    auto parent = [&]() -> ce::task<int> {
        co_return co_await ce::with_task_group([&](ce::task_group& group) -> ce::task<int> {
            for (int i = 0; i < 100; ++i) {
                group.spawn(worker(loop, log, std::to_string(i), 1ms, false));
            }
            co_return 7;
        });
    };
    CHECK(loop.run_until_complete(parent()) == 7);
    CHECK(log.size() == 100);
}

// [semaphore]
ce::task<void> limited_job(ce::event_loop& loop, ce::async_semaphore& sem, int& running, int& peak) {
    const ce::async_semaphore::permit slot = co_await sem.acquire();  // `async with sem:`
    peak = std::max(peak, ++running);
    co_await loop.sleep(5ms);
    --running;
}  // the permit goes back here, to the oldest waiter
// [semaphore]

TEST_CASE("a semaphore bounds how many tasks run a section at once") {
    // [semaphore-run]
    ce::event_loop loop;
    ce::async_semaphore sem(loop, 2);
    int running = 0;
    int peak = 0;
    std::vector<ce::task<void>> jobs;
    jobs.reserve(6);
    for (int i = 0; i < 6; ++i) {
        jobs.push_back(limited_job(loop, sem, running, peak));
    }
    loop.run_until_complete(ce::when_all(std::move(jobs)));
    CHECK(peak == 2);
    CHECK(sem.available() == 2);
    // [semaphore-run]
}

TEST_CASE("a semaphore acquire times out holding nothing") {
    ce::event_loop loop;
    ce::async_semaphore sem(loop, 1);
    auto hold_and_try = [](ce::async_semaphore& s) -> ce::task<void> {
        const ce::async_semaphore::permit first = co_await s.acquire();
        const ce::async_semaphore::permit second = co_await s.acquire(10ms);  // nobody releases
    };
    CHECK_THROWS_WITH_AS(loop.run_until_complete(hold_and_try(sem)), "ce::async_semaphore::acquire: timed out",
                         ce::timeout_error);
    CHECK(sem.available() == 1);
}

// [channel]
ce::task<void> producer(ce::channel<int>& queue, int items) {
    for (int i = 0; i < items; ++i) {
        co_await queue.send(i);  // waits while the channel is full
    }
    queue.close();  // end of stream: the consumer gets nullopt once drained
}

ce::task<long> consumer(ce::event_loop& loop, ce::channel<int>& queue, std::size_t& largest) {
    long total = 0;
    while (const std::optional<int> item = co_await queue.receive()) {
        largest = std::max(largest, queue.size());
        total += *item;
        co_await loop.sleep(0ms);  // a slow consumer: yields after every item
    }
    co_return total;
}
// [channel]

TEST_CASE("a bounded channel: the producer waits, the buffer never exceeds its capacity") {
    // [channel-run]
    ce::event_loop loop;
    ce::channel<int> queue(loop, 4);
    std::size_t largest = 0;
    const auto [done, total] =
        loop.run_until_complete(ce::when_all(producer(queue, 10'000), consumer(loop, queue, largest)));
    CHECK(total == 10'000L * 9'999 / 2);
    CHECK(largest == 4);  // full, often: the producer was ahead and had to wait
    CHECK(largest <= queue.capacity());
    // [channel-run]
}

TEST_CASE("a waiting sender holds its value until a receiver makes room") {
    // [backpressure]
    ce::event_loop loop;
    ce::channel<std::string> queue(loop, 1);
    std::vector<std::string> log;
    auto send_two = [&]() -> ce::task<void> {
        co_await queue.send("first");   // room: returns at once
        log.emplace_back("first sent");
        co_await queue.send("second");  // full: waits
        log.emplace_back("second sent");
    };
    auto receive_later = [&]() -> ce::task<void> {
        co_await loop.sleep(10ms);
        CHECK(queue.waiting_senders() == 1);
        CHECK(queue.size() == 1);
        log.push_back("received " + *co_await queue.receive());
        log.push_back("received " + *co_await queue.receive());
    };
    (void)loop.run_until_complete(ce::when_all(send_two(), receive_later()));
    CHECK(log == std::vector<std::string>{"first sent", "received first", "received second", "second sent"});
    // [backpressure]
}

TEST_CASE("a closed channel: receivers drain it, senders get an error") {
    // [closed-channel]
    ce::event_loop loop;
    ce::channel<int> queue(loop, 2);
    auto use = [&]() -> ce::task<std::vector<std::optional<int>>> {
        co_await queue.send(1);
        queue.close();
        std::vector<std::optional<int>> got;
        got.push_back(co_await queue.receive());  // still queued: 1
        got.push_back(co_await queue.receive());  // closed and drained: nullopt
        co_await queue.send(2);                   // throws
        co_return got;
    };
    CHECK_THROWS_WITH_AS(loop.run_until_complete(use()), "ce::channel::send: the channel is closed",
                         ce::channel_closed);
    CHECK_THROWS_WITH_AS(ce::channel<int>(loop, 0), "ce::channel: capacity must be at least 1", ce::usage_error);
    // [closed-channel]
}

TEST_CASE("closing wakes a waiting sender with channel_closed and a waiting receiver with nullopt") {
    ce::event_loop loop;
    ce::channel<int> full(loop, 1);
    ce::channel<int> empty(loop, 1);
    auto blocked_send = [&]() -> ce::task<void> {
        co_await full.send(1);
        co_await full.send(2);  // waits; then the channel closes
    };
    auto blocked_receive = [&]() -> ce::task<bool> { co_return !(co_await empty.receive()).has_value(); };
    auto closer = [&]() -> ce::task<void> {
        co_await loop.sleep(5ms);
        full.close();
        empty.close();
    };
    auto send_fails = [&]() -> ce::task<bool> {
        try {
            co_await blocked_send();
        } catch (const ce::channel_closed&) {
            co_return true;
        }
        co_return false;
    };
    auto all = [&]() -> ce::task<bool> {
        auto [sent, got_nullopt, closed] = co_await ce::when_all(send_fails(), blocked_receive(), closer());
        co_return sent && got_nullopt;
    };
    CHECK(loop.run_until_complete(all()));
}

TEST_CASE("a task whose wake-up and timeout fall due together keeps its result") {
    ce::event_loop loop;
    auto quick = [](ce::event_loop& l) -> ce::task<int> {
        co_await l.sleep(1ms);
        co_return 7;
    };
    auto guarded = [&]() -> ce::task<int> {
        loop.call_soon([] { std::this_thread::sleep_for(10ms); });  // both deadlines pass meanwhile
        co_return co_await ce::wait_for(loop, quick(loop), 2ms);
    };
    // Both timers fire in one iteration, the task's first (earlier deadline): its wait
    // ended as ready, so the stop that the timeout requests finds nothing to cancel.
    CHECK(loop.run_until_complete(guarded()) == 7);
    CHECK(loop.pending_timers() == 0);
}

TEST_CASE("a channel carries move-only values") {
    ce::event_loop loop;
    ce::channel<std::unique_ptr<int>> queue(loop, 2);
    auto relay = [&]() -> ce::task<int> {
        co_await queue.send(std::make_unique<int>(20));
        co_await queue.send(std::make_unique<int>(22));
        queue.close();
        int sum = 0;
        while (std::optional<std::unique_ptr<int>> p = co_await queue.receive()) {
            sum += **p;
        }
        co_return sum;
    };
    CHECK(loop.run_until_complete(relay()) == 42);
}

TEST_CASE("when_any rethrows when the first to finish failed; when_all of void tasks") {
    ce::event_loop loop;
    std::vector<std::string> events;
    std::vector<ce::task<int>> racers;
    racers.push_back(failing(loop, 5ms, "fast failure"));
    racers.push_back(failing(loop, 10s, "slow"));
    CHECK_THROWS_WITH_AS(loop.run_until_complete(ce::when_any(std::move(racers))), "fast failure",
                         std::runtime_error);
    CHECK_THROWS_AS(loop.run_until_complete(ce::when_any(std::vector<ce::task<int>>{})), ce::usage_error);
    auto nothing = [](ce::event_loop& l) -> ce::task<void> { co_await l.sleep(1ms); };
    const auto both = loop.run_until_complete(ce::when_all(nothing(loop), nothing(loop)));
    CHECK(std::tuple_size_v<std::remove_const_t<decltype(both)>> == 2);
}

TEST_CASE("a channel destroyed while a receiver and a sender wait closes on them") {
    ce::event_loop loop;
    auto empty = std::make_unique<ce::channel<int>>(loop, 1);
    auto full = std::make_unique<ce::channel<int>>(loop, 1);
    std::optional<int> received = 5;
    bool send_failed = false;
    auto receive = [](ce::channel<int>& ch, std::optional<int>& out) -> ce::task<void> {
        out = co_await ch.receive();
    };
    auto send_two = [](ce::channel<int>& ch, bool& failed) -> ce::task<void> {
        co_await ch.send(1);
        try {
            co_await ch.send(2);
        } catch (const ce::channel_closed&) {
            failed = true;
        }
    };
    loop.spawn(receive(*empty, received));
    loop.spawn(send_two(*full, send_failed));
    // Stop once both tasks have finished, however late the first timer fires on a busy
    // machine (a stop timer 5 ms after the destruction could fall due in the same
    // iteration, before the woken tasks ran); the 10 s timer only ends a hung test.
    std::function<void()> stop_when_done = [&] {
        if (loop.spawned() == 0) {
            loop.stop();
        } else {
            loop.call_later(1ms, stop_when_done);
        }
    };
    loop.call_later(5ms, [&] {
        empty.reset();
        full.reset();
        loop.call_soon(stop_when_done);
    });
    loop.call_later(10s, [&] { loop.stop(); });
    loop.run();
    CHECK_FALSE(received.has_value());
    CHECK(send_failed);
    CHECK(loop.spawned() == 0);
}
