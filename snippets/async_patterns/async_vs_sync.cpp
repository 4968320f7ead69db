// Chapter 4, async vs sync: ce::task is Python's `async def`, co_await is `await`,
// ce::sync_wait and ce::event_loop::run_until_complete are `asyncio.run`. A blocking
// call inside a coroutine stops every timer of its loop; ce::to_thread moves it to a
// thread pool.

#include <ce/error.hpp>
#include <ce/event_loop.hpp>
#include <ce/task.hpp>
#include <ce/thread_pool.hpp>
#include <ce/to_thread.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

using namespace std::chrono_literals;

// [first-task]
ce::task<int> add(int a, int b) { co_return a + b; }

ce::task<int> twice_sum(int a, int b) {
    const int once = co_await add(a, b);  // runs add() to the end, then continues here
    co_return 2 * once;
}
// [first-task]

TEST_CASE("a task runs nothing until it is awaited; sync_wait runs it to the end") {
    // [lazy]
    ce::task<int> t = twice_sum(1, 2);  // a suspended frame: no line of the body has run
    CHECK(t.valid());
    CHECK(ce::sync_wait(std::move(t)) == 6);  // runs it on this thread, like asyncio.run
    // [lazy]
}

// [lazy-proof]
// `log` must outlive the task.
ce::task<void> record(std::string& log, std::string word) {
    log += word;
    co_return;
}
// [lazy-proof]

TEST_CASE("the body starts at the first await, not at the call") {
    // [lazy-order]
    std::string log;
    ce::task<void> first = record(log, "first ");
    ce::task<void> second = record(log, "second ");
    CHECK(log.empty());  // two calls, no body run
    ce::sync_wait(std::move(second));
    ce::sync_wait(std::move(first));
    CHECK(log == "second first ");  // bodies ran in the order they were awaited
    // [lazy-order]
}

// [sync-wait]
ce::task<int> parse_port(std::string text) {  // by value: the frame keeps its own copy
    const int port = std::stoi(text);          // std::invalid_argument for "http"
    if (port < 1 || port > 65535) {
        throw ce::usage_error("port out of range: " + text);
    }
    co_return port;
}
// [sync-wait]

TEST_CASE("sync_wait returns the value or rethrows the exception") {
    // [sync-wait-use]
    CHECK(ce::sync_wait(parse_port("8080")) == 8080);
    CHECK_THROWS_WITH_AS(ce::sync_wait(parse_port("99999")), "port out of range: 99999", ce::usage_error);
    CHECK_THROWS_AS(ce::sync_wait(parse_port("http")), std::invalid_argument);
    // [sync-wait-use]
}

// [await-moved]
ce::task<int> await_it(ce::task<int> t) { co_return co_await std::move(t); }
// [await-moved]

TEST_CASE("awaiting a moved-from task is an error, not a crash") {
    // [moved-from]
    ce::task<int> port = parse_port("80");
    ce::task<int> taken = std::move(port);  // `port` is empty now
    CHECK_FALSE(port.valid());              // NOLINT(bugprone-use-after-move): the point of the test
    CHECK_THROWS_WITH_AS(ce::sync_wait(await_it(std::move(port))),
                         "ce::task: co_await on an empty (moved-from) task", ce::usage_error);
    CHECK(ce::sync_wait(std::move(taken)) == 80);
    // [moved-from]
}

TEST_CASE("awaiting the same task twice is an error too") {
    // [awaited-twice]
    auto twice = [](ce::task<int> t) -> ce::task<int> {
        const int first = co_await std::move(t);  // std::move only casts: `t` still holds the frame
        // NOLINTNEXTLINE(bugprone-use-after-move): the mistake this listing shows
        co_return first + co_await std::move(t);  // the body has run: nothing to await
    };
    CHECK_THROWS_WITH_AS(ce::sync_wait(twice(parse_port("80"))),
                         "ce::task: co_await on a task that has already run", ce::usage_error);
    // [awaited-twice]
}

#ifdef CE_COMPILE_FAIL_AWAIT_LVALUE
// [await-lvalue]
ce::task<int> await_twice() {
    ce::task<int> port = parse_port("80");
    const int first = co_await port;  // an lvalue: the deleted overload is chosen
    co_return first;
}
// [await-lvalue]
#endif

// [chain]
// The address of the frame that runs the body: the same address on every iteration
// means the awaiting chain did not grow the stack.
[[gnu::noinline]] std::uintptr_t frame_address() {
    return reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
}

ce::task<int> one(std::uintptr_t& frame) {  // finishes without suspending
    frame = frame_address();
    co_return 1;
}

struct chain_result {
    int sum;
    std::uintptr_t lowest_frame;
    std::uintptr_t highest_frame;
};

ce::task<chain_result> chain(int n) {
    chain_result r{0, UINTPTR_MAX, 0};
    std::uintptr_t frame = 0;
    for (int i = 0; i < n; ++i) {
        r.sum += co_await one(frame);
        r.lowest_frame = std::min(r.lowest_frame, frame);
        r.highest_frame = std::max(r.highest_frame, frame);
    }
    co_return r;
}
// [chain]

TEST_CASE("a million co_awaits of tasks that finish at once run in constant stack space") {
    // [chain-run]
    const chain_result r = ce::sync_wait(chain(1'000'000));
    CHECK(r.sum == 1'000'000);
    CHECK(r.highest_frame == r.lowest_frame);  // every child ran at the same stack depth
    // [chain-run]
}

// [ticker]
// Counts the ticks of a `period` timer on `loop` while it lives.
class ticker {
public:
    ticker(ce::event_loop& loop, std::chrono::milliseconds period) : loop_(loop), period_(period) { schedule(); }
    ticker(const ticker&) = delete;
    ticker& operator=(const ticker&) = delete;
    ticker(ticker&&) = delete;
    ticker& operator=(ticker&&) = delete;
    ~ticker() { loop_.cancel(timer_); }  // the timer points at this object

    [[nodiscard]] int ticks() const noexcept { return ticks_; }

private:
    void schedule() {
        timer_ = loop_.call_later(period_, [this] {
            ++ticks_;
            schedule();
        });
    }
    ce::event_loop& loop_;
    std::chrono::milliseconds period_;
    ce::timer_handle timer_;
    int ticks_ = 0;
};
// [ticker]

// [blocking]
ce::task<int> blocking_lookup() {
    std::this_thread::sleep_for(300ms);  // time.sleep(0.3) inside `async def`
    co_return 42;
}
// [blocking]

// [to-thread]
ce::task<int> offloaded_lookup(ce::event_loop& loop, ce::thread_pool& pool) {
    co_return co_await ce::to_thread(loop, pool, [] {
        std::this_thread::sleep_for(300ms);  // blocks a pool thread; the loop goes on
        return 42;
    });
    // Here the coroutine runs on the loop's thread again.
}
// [to-thread]

TEST_CASE("a blocking call stops every timer of the loop; to_thread does not") {
    // [ticks-while]
    ce::event_loop loop;
    ce::thread_pool pool(1);
    int blocked_ticks = 0;
    {
        const ticker every_10ms(loop, 10ms);
        CHECK(loop.run_until_complete(blocking_lookup()) == 42);
        blocked_ticks = every_10ms.ticks();
    }
    int offloaded_ticks = 0;
    {
        const ticker every_10ms(loop, 10ms);
        CHECK(loop.run_until_complete(offloaded_lookup(loop, pool)) == 42);
        offloaded_ticks = every_10ms.ticks();
    }
    CHECK(blocked_ticks == 0);    // 30 ticks were due; the loop never got to them
    CHECK(offloaded_ticks >= 1);  // the loop kept ticking (bench/async_vs_sync.cpp: how late)
    // [ticks-while]
}

TEST_CASE("to_thread carries exceptions back to the loop and passes the stop token") {
    ce::event_loop loop;
    ce::thread_pool pool(1);
    // [to-thread-errors]
    auto failing = [](ce::event_loop& l, ce::thread_pool& p) -> ce::task<int> {
        co_return co_await ce::to_thread(l, p, []() -> int { throw std::runtime_error("disk on fire"); });
    };
    CHECK_THROWS_WITH_AS(loop.run_until_complete(failing(loop, pool)), "disk on fire", std::runtime_error);

    // A function taking a std::stop_token receives the awaiting task's.
    auto cooperative = [](ce::event_loop& l, ce::thread_pool& p) -> ce::task<bool> {
        co_return co_await ce::to_thread(l, p, [](const std::stop_token& token) { return token.stop_possible(); });
    };
    std::stop_source stop;
    CHECK(loop.run_until_complete(cooperative(loop, pool).with_stop_token(stop.get_token())));
    // [to-thread-errors]
}

TEST_CASE("the thread that resumes after to_thread is the loop's") {
    ce::event_loop loop;
    ce::thread_pool pool(2);
    auto where = [](ce::event_loop& l, ce::thread_pool& p) -> ce::task<bool> {
        const std::thread::id before = std::this_thread::get_id();
        const std::thread::id worker = co_await ce::to_thread(l, p, [] { return std::this_thread::get_id(); });
        co_return worker != before && std::this_thread::get_id() == before;
    };
    CHECK(loop.run_until_complete(where(loop, pool)));
}
