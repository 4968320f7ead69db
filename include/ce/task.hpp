#pragma once
/**
 * @file
 * A lazy coroutine task, Python's `async def`: calling a function that returns
 * `ce::task<T>` runs none of its body. The body starts when the task is awaited
 * (`co_await std::move(t)`, Python's `await`) or handed to a runner: ce::sync_wait
 * (blocks this thread), ce::event_loop::run_until_complete (`asyncio.run`) or
 * ce::event_loop::spawn (`asyncio.create_task`).
 *
 * @snippet async_patterns/async_vs_sync.cpp first-task
 *
 * Awaiting starts the child on the awaiting thread. A child that finishes before its
 * first suspension hands control straight back (the awaiter does not suspend at all);
 * one that suspended and finishes later resumes its awaiter by *symmetric transfer*:
 * its final suspension returns the awaiter's handle. So a loop of a million
 * `co_await`s on tasks that finish at once runs in constant stack space with every
 * compiler and flag set, including g++ 12 under sanitizers, where the symmetric
 * transfer is compiled as a call rather than a jump.
 *
 * Every task carries a `std::stop_token`. A task awaited by another inherits the
 * awaiter's token unless it was given its own with task::with_stop_token; the book's
 * awaitables (sleeps, sockets, channels, semaphores) check it when they suspend and
 * end the wait with ce::cancelled_error when a stop is requested: cancellation takes
 * effect at the next suspension point, as asyncio's `CancelledError` does.
 */

#include <ce/error.hpp>

#include <atomic>
#include <concepts>
#include <cstddef>
#include <condition_variable>
#include <coroutine>
#include <exception>
#include <mutex>
#include <optional>
#include <stop_token>
#include <type_traits>
#include <unordered_set>
#include <utility>

namespace ce {

/// A task's wait ended because its stop token was triggered: asyncio's `CancelledError`.
class cancelled_error : public error {
public:
    using error::error;
};

/// A wait ran past its deadline: asyncio's `TimeoutError`. Retrying may succeed.
class timeout_error : public transient_error {
public:
    using transient_error::transient_error;
};

template <typename T = void>
class task;

namespace detail {

// What every promise of the book's coroutine types has: the stop token its awaitables
// consult. A promise that was given a token keeps it when the task is awaited.
class promise_base {
public:
    [[nodiscard]] const std::stop_token& stop_token() const noexcept { return stop_; }
    void inherit_stop_token(const std::stop_token& token) noexcept {
        if (!own_stop_) {
            stop_ = token;
        }
    }
    void set_stop_token(std::stop_token token) noexcept {
        stop_ = std::move(token);
        own_stop_ = true;
    }

private:
    std::stop_token stop_;
    bool own_stop_ = false;
};

// The stop token of the coroutine behind `h`: empty for coroutine types not our own.
template <typename Promise>
[[nodiscard]] std::stop_token stop_token_of(std::coroutine_handle<Promise> h) noexcept {
    if constexpr (std::derived_from<Promise, promise_base>) {
        return h.promise().stop_token();
    } else {
        return {};
    }
}

// A coroutine's outcome: nothing yet, a value, or the exception that escaped its body.
template <typename T>
class result_slot {
public:
    template <typename U>
        requires std::convertible_to<U, T>
    void return_value(U&& value) {
        value_.emplace(std::forward<U>(value));
    }
    void unhandled_exception() noexcept { error_ = std::current_exception(); }

    // Moves the value out, or rethrows. Called once, by the one awaiter.
    T take() {
        if (error_) {
            std::rethrow_exception(error_);
        }
        if (!value_) {
            throw usage_error("ce::task: no result: the coroutine has not finished");
        }
        return std::move(*value_);
    }
    [[nodiscard]] std::exception_ptr exception() const noexcept { return error_; }

private:
    std::optional<T> value_;
    std::exception_ptr error_;
};

template <>
class result_slot<void> {
public:
    void return_void() noexcept {}
    void unhandled_exception() noexcept { exception_ = std::current_exception(); }
    void take() const {
        if (exception_) {
            std::rethrow_exception(exception_);
        }
    }
    [[nodiscard]] std::exception_ptr exception() const noexcept { return exception_; }

private:
    std::exception_ptr exception_;
};

template <typename T>
class task_promise final : public promise_base, public result_slot<T> {
public:
    task<T> get_return_object() noexcept;
    std::suspend_always initial_suspend() noexcept { return {}; }

    // The awaiter and the body race to this flag: the second to arrive continues the
    // awaiter. When the body finishes first (it never suspended, or it finished on
    // another thread), the awaiter's await_suspend sees the flag set and does not
    // suspend. When the awaiter suspended first, the body resumes it by symmetric
    // transfer.
    struct final_awaiter {
        [[nodiscard]] bool await_ready() const noexcept { return false; }
        std::coroutine_handle<> await_suspend(std::coroutine_handle<task_promise> h) noexcept {
            task_promise& p = h.promise();
            return p.second_.exchange(true, std::memory_order_acq_rel) ? p.continuation_ : std::noop_coroutine();
        }
        void await_resume() const noexcept {}
    };
    final_awaiter final_suspend() noexcept { return {}; }

    // Starts the body on this thread; true when the awaiter must suspend.
    bool start(std::coroutine_handle<> awaiter) noexcept {
        continuation_ = awaiter;
        std::coroutine_handle<task_promise>::from_promise(*this).resume();
        return !second_.exchange(true, std::memory_order_acq_rel);
    }

private:
    std::coroutine_handle<> continuation_ = std::noop_coroutine();
    std::atomic<bool> second_{false};
};

}  // namespace detail

/**
 * A lazy, move-only coroutine that produces one `T` (or nothing, for `task<>`), or an
 * exception. Await it once, as an rvalue: `co_await std::move(t)` or
 * `co_await make_task()`. Destroying a task that never ran destroys its frame and the
 * arguments stored there; destroying one that is suspended inside an await is a bug
 * (the awaiting side owns it until it resumes).
 *
 * Errors: awaiting a moved-from or default-constructed task, or one already awaited,
 * throws ce::usage_error in the awaiting coroutine. Awaiting an lvalue does not compile.
 */
template <typename T>
class [[nodiscard]] task {
public:
    /// @cond CE_AWAITER_INTERNALS
    // Found by the compiler through std::coroutine_traits; not part of the API.
    using promise_type = detail::task_promise<T>;
    /// @endcond
    using value_type = T;  ///< What awaiting the task yields.

    /// An empty task, like a moved-from one: awaiting it throws ce::usage_error.
    task() noexcept = default;
    /// Takes the frame; `other` becomes empty.
    task(task&& other) noexcept : h_(std::exchange(other.h_, {})) {}
    /// Destroys this task's frame (if any) and takes `other`'s; self-assignment is a no-op.
    task& operator=(task&& other) noexcept {
        if (this != &other) {
            reset();
            h_ = std::exchange(other.h_, {});
        }
        return *this;
    }
    task(const task&) = delete;             ///< One task, one frame, one awaiter.
    task& operator=(const task&) = delete;  ///< One task, one frame, one awaiter.
    ~task() { reset(); }

    /// True when this task owns a coroutine frame (it was not moved from).
    [[nodiscard]] bool valid() const noexcept { return static_cast<bool>(h_); }

    /// Runs this task with `token` instead of the stop token of whoever awaits it.
    [[nodiscard]] task with_stop_token(std::stop_token token) && {
        require_runnable("with_stop_token");
        h_.promise().set_stop_token(std::move(token));
        return std::move(*this);
    }

    /// Awaiting starts the body; the awaiting coroutine resumes when it finishes.
    auto operator co_await() && noexcept { return awaiter{h_}; }
    /// Deleted: a task runs once, so await it as an rvalue, `co_await std::move(t)`.
    auto operator co_await() & = delete;


private:
    friend promise_type;
    explicit task(std::coroutine_handle<promise_type> h) noexcept : h_(h) {}

    struct awaiter {
        std::coroutine_handle<promise_type> h;

        [[nodiscard]] bool await_ready() const {
            require_runnable(h, "co_await");
            return false;
        }
        template <typename Promise>
        bool await_suspend(std::coroutine_handle<Promise> caller) noexcept {
            h.promise().inherit_stop_token(detail::stop_token_of(caller));
            return h.promise().start(caller);
        }
        T await_resume() { return h.promise().take(); }
    };

    static void require_runnable(std::coroutine_handle<promise_type> h, const char* what) {
        if (!h) {
            throw usage_error(std::string("ce::task: ") + what + " on an empty (moved-from) task");
        }
        if (h.done()) {
            throw usage_error(std::string("ce::task: ") + what + " on a task that has already run");
        }
    }
    void require_runnable(const char* what) const { require_runnable(h_, what); }

    void reset() noexcept {
        if (h_) {
            std::exchange(h_, {}).destroy();
        }
    }

    std::coroutine_handle<promise_type> h_;
};

template <typename T>
task<T> detail::task_promise<T>::get_return_object() noexcept {
    return task<T>(std::coroutine_handle<task_promise>::from_promise(*this));
}

namespace detail {
struct stop_token_awaiter {
    std::stop_token token;
    [[nodiscard]] bool await_ready() const noexcept { return false; }
    template <typename Promise>
    bool await_suspend(std::coroutine_handle<Promise> h) noexcept {
        token = stop_token_of(h);
        return false;  // never suspends: it only reads the promise
    }
    [[nodiscard]] std::stop_token await_resume() const noexcept { return token; }
};
}  // namespace detail

/**
 * `co_await ce::get_stop_token()`: the stop token of the running task, for work that
 * checks for cancellation itself between suspensions (a long computation, a loop
 * that never waits), or to link a new std::stop_source to it.
 */
[[nodiscard]] inline auto get_stop_token() noexcept { return detail::stop_token_awaiter{}; }

namespace detail {

/**
 * An eager coroutine that awaits one awaitable and then calls a completion hook from
 * its final suspension. It is the root that runners put under a task: sync_wait,
 * event_loop::run_until_complete and spawn, when_all, task_group. The hook receives
 * the frame's handle and returns the coroutine to transfer to (or noop), or destroys
 * the frame itself.
 */
template <typename T>
class root_promise;

template <typename T>
class [[nodiscard]] root {
public:
    using promise_type = root_promise<T>;
    root(root&& other) noexcept : h_(std::exchange(other.h_, {})) {}
    root& operator=(root&&) = delete;
    root(const root&) = delete;
    root& operator=(const root&) = delete;
    ~root() {
        if (h_) {
            h_.destroy();
        }
    }
    // Hands the frame over: whoever calls this destroys it (usually from the hook).
    [[nodiscard]] std::coroutine_handle<promise_type> release() noexcept { return std::exchange(h_, {}); }
    [[nodiscard]] std::coroutine_handle<promise_type> handle() const noexcept { return h_; }

private:
    friend promise_type;
    explicit root(std::coroutine_handle<promise_type> h) noexcept : h_(h) {}
    std::coroutine_handle<promise_type> h_;
};

using root_hook = std::coroutine_handle<> (*)(void* context, std::coroutine_handle<> frame) noexcept;

template <typename T>
class root_promise final : public promise_base, public result_slot<T> {
public:
    root<T> get_return_object() noexcept {
        return root<T>(std::coroutine_handle<root_promise>::from_promise(*this));
    }
    std::suspend_always initial_suspend() noexcept { return {}; }
    struct final_awaiter {
        [[nodiscard]] bool await_ready() const noexcept { return false; }
        std::coroutine_handle<> await_suspend(std::coroutine_handle<root_promise> h) noexcept {
            root_promise& p = h.promise();
            return p.hook_ ? p.hook_(p.context_, h) : std::noop_coroutine();
        }
        void await_resume() const noexcept {}
    };
    final_awaiter final_suspend() noexcept { return {}; }

    void on_done(root_hook hook, void* context) noexcept {
        hook_ = hook;
        context_ = context;
    }

private:
    root_hook hook_ = nullptr;
    void* context_ = nullptr;
};

// Root frames that an owner (an event loop's spawned tasks, a task group's children)
// started and must destroy: each when it finishes (from its completion hook), and those
// still suspended when the owner goes.
class owned_frames {
public:
    owned_frames() = default;
    owned_frames(const owned_frames&) = delete;
    owned_frames& operator=(const owned_frames&) = delete;
    owned_frames(owned_frames&&) = delete;
    owned_frames& operator=(owned_frames&&) = delete;
    ~owned_frames() { destroy_all(); }

    void add(std::coroutine_handle<> frame) { frames_.insert(frame.address()); }
    // From the frame's final suspension, where destroying it is allowed.
    void finish(std::coroutine_handle<> frame) noexcept {
        frames_.erase(frame.address());
        frame.destroy();
    }
    // Destroying a suspended frame runs its destructors, which may finish others.
    void destroy_all() noexcept {
        while (!frames_.empty()) {
            void* frame = *frames_.begin();
            frames_.erase(frames_.begin());
            std::coroutine_handle<>::from_address(frame).destroy();
        }
    }
    [[nodiscard]] std::size_t size() const noexcept { return frames_.size(); }

private:
    std::unordered_set<void*> frames_;
};

// The root's body: await the task, keep its value or exception in the root's promise.
template <typename T>
root<T> make_root(task<T> t) {
    co_return co_await std::move(t);
}
inline root<void> make_root(task<void> t) { co_await std::move(t); }

}  // namespace detail

/**
 * Runs `t` to completion on the calling thread and returns its value or rethrows its
 * exception. The body runs here until its first suspension; if something else
 * resumes it later (a thread pool, an event loop on another thread), this thread
 * blocks until it finishes. Do not call it from a thread whose event loop the task
 * waits on: the loop cannot run while this thread blocks.
 *
 * @snippet async_patterns/async_vs_sync.cpp sync-wait
 */
template <typename T>
T sync_wait(task<T> t) {
    struct signal {
        std::mutex mutex;
        std::condition_variable cv;
        bool done = false;
    } s;
    detail::root<T> r = detail::make_root(std::move(t));
    r.handle().promise().on_done(
        [](void* context, std::coroutine_handle<>) noexcept -> std::coroutine_handle<> {
            auto& sig = *static_cast<signal*>(context);
            // Notify while holding the lock: the waiter cannot return (and destroy `sig`)
            // before this thread lets go of the mutex.
            const std::lock_guard lock(sig.mutex);
            sig.done = true;
            sig.cv.notify_one();
            return std::noop_coroutine();
        },
        &s);
    r.handle().resume();
    {
        std::unique_lock lock(s.mutex);
        s.cv.wait(lock, [&] { return s.done; });
    }
    return r.handle().promise().take();
}

}  // namespace ce
