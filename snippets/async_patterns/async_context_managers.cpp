// Chapter 4, async context managers: C++ has no asynchronous destructor, so `async
// with`'s guarantee (the asynchronous cleanup runs exactly once, on success, on an
// exception and on cancellation) is a function that owns the resource around the
// body. Also: a task group as a scope that waits for its children, and the chapter 2
// pipeline with awaitable layers.

#include <ce/error.hpp>
#include <ce/event_loop.hpp>
#include <ce/pipeline.hpp>
#include <ce/scope_guard.hpp>
#include <ce/task.hpp>
#include <ce/task_group.hpp>
#include <ce/when_all.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <exception>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <utility>
#include <vector>

using namespace std::chrono_literals;

// [connection]
// A resource whose cleanup must wait: closing flushes what was buffered.
class connection {
public:
    connection(ce::event_loop& loop, std::vector<std::string>& log) : loop_(&loop), log_(&log) {}

    ce::task<void> send(std::string message) {
        co_await loop_->sleep(1ms);
        buffered_.push_back(std::move(message));
    }
    ce::task<void> aclose() {
        co_await loop_->sleep(5ms);  // flushing takes a wait of its own
        log_->push_back("flushed " + std::to_string(buffered_.size()) + ", closed");
    }

private:
    ce::event_loop* loop_;
    std::vector<std::string>* log_;
    std::vector<std::string> buffered_;
};

ce::task<connection> open_connection(ce::event_loop& loop, std::vector<std::string>& log) {
    co_await loop.sleep(1ms);
    log.emplace_back("opened");
    co_return connection(loop, log);
}
// [connection]

// [async-with]
// `async with open as resource: await body(resource)`. The cleanup cannot live in a
// destructor (a destructor cannot co_await) nor in a catch block (co_await is not
// allowed there): catch, clean up, then rethrow.
template <typename Resource, typename Body>
ce::task<void> async_with(ce::task<Resource> open, Body body) {
    Resource resource = co_await std::move(open);  // if opening fails, there is nothing to close
    std::exception_ptr failure;
    try {
        co_await body(resource);
    } catch (...) {
        failure = std::current_exception();  // ce::cancelled_error included
    }
    // Shielded: a cancelled task's awaits end at once, so the cleanup runs with a
    // stop token of its own that nobody can trigger (asyncio.shield).
    co_await resource.aclose().with_stop_token(std::stop_token{});
    if (failure) {
        std::rethrow_exception(failure);
    }
}
// [async-with]

// [work]
ce::task<void> work(ce::event_loop& loop, std::vector<std::string>& log, bool fail) {
    co_await async_with(open_connection(loop, log), [&loop, fail](connection& c) -> ce::task<void> {
        co_await c.send("hello");
        if (fail) {
            throw std::runtime_error("bad reply");
        }
        co_await loop.sleep(10s);  // long enough to be cancelled
    });
}
// [work]

TEST_CASE("the cleanup runs exactly once: on an exception and on cancellation") {
    // [three-ways]
    ce::event_loop loop;
    std::vector<std::string> failed;
    CHECK_THROWS_WITH_AS(loop.run_until_complete(work(loop, failed, true)), "bad reply", std::runtime_error);
    CHECK(failed == std::vector<std::string>{"opened", "flushed 1, closed"});

    std::vector<std::string> cancelled;
    std::stop_source stop;
    loop.call_later(50ms, [&] { stop.request_stop(); });  // task.cancel()
    CHECK_THROWS_AS(loop.run_until_complete(work(loop, cancelled, false).with_stop_token(stop.get_token())),
                    ce::cancelled_error);
    CHECK(cancelled == std::vector<std::string>{"opened", "flushed 1, closed"});
    // [three-ways]
}

TEST_CASE("on success the cleanup runs once too") {
    ce::event_loop loop;
    std::vector<std::string> log;
    auto quick = [](ce::event_loop& l, std::vector<std::string>& lg) -> ce::task<void> {
        co_await async_with(open_connection(l, lg), [](connection& c) -> ce::task<void> {
            co_await c.send("a");
            co_await c.send("b");
        });
    };
    loop.run_until_complete(quick(loop, log));
    CHECK(log == std::vector<std::string>{"opened", "flushed 2, closed"});
}

// [naive]
// Two ways to lose the cleanup.
ce::task<void> close_after(ce::event_loop& loop, std::vector<std::string>& log, bool fail) {
    connection c = co_await open_connection(loop, log);
    co_await c.send("hello");
    if (fail) {
        throw std::runtime_error("bad reply");  // skips the line below
    }
    co_await loop.sleep(10s);
    co_await c.aclose();  // also skipped when cancelled: the sleep throws
}

ce::task<void> unshielded(ce::event_loop& loop, std::vector<std::string>& log) {
    connection c = co_await open_connection(loop, log);
    std::exception_ptr failure;
    try {
        co_await loop.sleep(10s);
    } catch (...) {
        failure = std::current_exception();
    }
    co_await c.aclose();  // inherits the cancelled token: its own sleep ends at once
    std::rethrow_exception(failure);
}
// [naive]

TEST_CASE("without the pattern the cleanup is skipped, or cancelled itself") {
    // [naive-run]
    ce::event_loop loop;
    std::vector<std::string> log;
    CHECK_THROWS_AS(loop.run_until_complete(close_after(loop, log, true)), std::runtime_error);
    CHECK(log == std::vector<std::string>{"opened"});  // never closed

    std::vector<std::string> cancelled;
    std::stop_source stop;
    loop.call_later(20ms, [&] { stop.request_stop(); });
    CHECK_THROWS_AS(loop.run_until_complete(unshielded(loop, cancelled).with_stop_token(stop.get_token())),
                    ce::cancelled_error);
    CHECK(cancelled == std::vector<std::string>{"opened"});  // aclose() was cancelled before it flushed
    // [naive-run]
}

// [child]
ce::task<void> child(ce::event_loop& loop, std::vector<std::string>& done, std::string name,
                     std::chrono::milliseconds delay, bool fail) {
    const ce::scope_exit record([&] { done.push_back(name); });  // `finally`: runs when cancelled, too
    co_await loop.sleep(delay);
    if (fail) {
        throw std::runtime_error(name + " failed");
    }
}
// [child]

TEST_CASE("a task group is a scope: it ends only after every child has") {
    // [task-group-scope]
    ce::event_loop loop;
    std::vector<std::string> done;
    auto group = [&]() -> ce::task<void> {
        co_await ce::with_task_group([&](ce::task_group& tg) -> ce::task<void> {
            tg.spawn(child(loop, done, "slow", 10s, false));
            tg.spawn(child(loop, done, "failing", 10ms, true));
            co_return;
        });
    };
    CHECK_THROWS_WITH_AS(loop.run_until_complete(group()), "failing failed", std::runtime_error);
    CHECK(done == std::vector<std::string>{"failing", "slow"});  // "slow" was cancelled, and cleaned up in time
    CHECK(loop.spawned() == 0);
    // [task-group-scope]
}

// [async-pipeline]
// The chapter 2 pipeline, unchanged: its response type is now a task.
struct request {
    std::string path;
};
struct response {
    int status = 200;
    std::string body;
};
using async_pipeline = ce::pipeline<request, ce::task<response>>;
using next_handler = async_pipeline::handler;

// Exceptions become responses; `co_return` is allowed in a handler, `co_await` is not.
ce::task<response> map_errors(request& req, const next_handler& next) {
    try {
        co_return co_await next(req);
    } catch (const ce::timeout_error&) {
        co_return response{504, "upstream timed out"};
    } catch (const std::exception& e) {
        co_return response{500, e.what()};
    }
}
// [async-pipeline]

// [async-app]
async_pipeline make_app(ce::event_loop& loop, std::vector<std::string>& trace) {
    // A layer that needs the loop captures it. The lambda object lives inside the
    // pipeline, which outlives every call, so its captures outlive the coroutine (CP.51).
    auto timed = [&loop, &trace](request& req, const next_handler& next) -> ce::task<response> {
        trace.push_back("-> " + req.path);
        response r = co_await ce::wait_for(loop, next(req), 50ms);
        trace.push_back("<- " + std::to_string(r.status));
        co_return r;
    };
    auto route = [&loop](request& req) -> ce::task<response> {
        if (req.path == "/slow") {
            co_await loop.sleep(10s);
        }
        if (req.path == "/broken") {
            throw std::runtime_error("store unreachable");
        }
        co_return response{200, "hello from " + req.path};
    };
    return async_pipeline({map_errors, timed}, route);
}
// [async-app]

TEST_CASE("awaitable layers: order, exceptions and timeouts") {
    // [async-app-run]
    ce::event_loop loop;
    std::vector<std::string> trace;
    const async_pipeline app = make_app(loop, trace);
    auto call = [&app](std::string path) -> ce::task<response> {
        request req{std::move(path)};
        co_return co_await app(req);  // `req` lives in this frame until the response is back
    };
    CHECK(loop.run_until_complete(call("/hello")).body == "hello from /hello");
    CHECK(loop.run_until_complete(call("/slow")).status == 504);
    const response broken = loop.run_until_complete(call("/broken"));
    CHECK(broken.status == 500);
    CHECK(broken.body == "store unreachable");
    CHECK(trace == std::vector<std::string>{"-> /hello", "<- 200", "-> /slow", "-> /broken"});
    // [async-app-run]
}
