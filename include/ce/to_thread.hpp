#pragma once
/**
 * @file
 * ce::to_thread: run a blocking function on a ce::thread_pool and resume the awaiting
 * coroutine on its event loop with the result, as Python's `asyncio.to_thread` does.
 *
 * A blocking call made directly in a coroutine stops the whole loop: no timer fires
 * and no socket is served until it returns. Moved to a pool thread, it blocks only that
 * thread; the loop goes on and the coroutine continues on the loop's thread when the
 * result is there.
 *
 * @snippet async_patterns/async_vs_sync.cpp to-thread
 *
 * A thread cannot be interrupted, so a stop request does not end the wait early; a
 * function that accepts a `std::stop_token` as its only parameter receives the
 * awaiting task's token and can return early itself. After it returns, a cancelled
 * task throws ce::cancelled_error rather than receive the result.
 */

#include <ce/event_loop.hpp>
#include <ce/task.hpp>
#include <ce/thread_pool.hpp>

#include <concepts>
#include <coroutine>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <type_traits>
#include <utility>

namespace ce {

namespace detail {

template <typename F>
using to_thread_result_t = std::conditional_t<std::is_invocable_v<F&, std::stop_token>,
                                              std::invoke_result<F&, std::stop_token>, std::invoke_result<F&>>::type;

// Shared by the awaiter and the pool's job: the job may outlive a destroyed awaiter.
template <typename F, typename R>
struct to_thread_state {
    F fn;
    std::stop_token token;
    std::optional<std::conditional_t<std::is_void_v<R>, bool, R>> value;
    std::exception_ptr error;
    std::coroutine_handle<> coro;  // reset when the awaiting frame is destroyed first

    void run() noexcept {
        try {
            if constexpr (std::is_void_v<R>) {
                call();
                value.emplace(true);
            } else {
                value.emplace(call());
            }
        } catch (...) {
            error = std::current_exception();
        }
    }
    R call() {
        if constexpr (std::is_invocable_v<F&, std::stop_token>) {
            return std::invoke(fn, token);
        } else {
            return std::invoke(fn);
        }
    }
};

template <typename F, typename R>
class to_thread_awaiter {
public:
    to_thread_awaiter(event_loop& loop, thread_pool& pool, F fn)
        : loop_(&loop), pool_(&pool), state_(std::make_shared<to_thread_state<F, R>>(std::move(fn))) {}
    to_thread_awaiter(const to_thread_awaiter&) = delete;
    to_thread_awaiter& operator=(const to_thread_awaiter&) = delete;
    to_thread_awaiter(to_thread_awaiter&&) noexcept = default;
    to_thread_awaiter& operator=(to_thread_awaiter&&) = delete;
    ~to_thread_awaiter() {
        if (state_) {
            state_->coro = nullptr;  // the job's resumption becomes a no-op
        }
    }

    [[nodiscard]] bool await_ready() const noexcept { return false; }
    template <typename Promise>
    void await_suspend(std::coroutine_handle<Promise> h) {
        state_->coro = h;
        state_->token = detail::stop_token_of(h);
        pool_->post([state = state_, loop = loop_]() mutable noexcept {
            state->run();
            // Resume on the loop's thread. The state moves along, so that this thread
            // keeps no reference: the value, or the exception, is destroyed on the
            // loop's thread, which reads it. A frame destroyed meanwhile has reset
            // `coro` (on the loop's thread too) and is never touched.
            loop->call_soon_threadsafe([state = std::move(state)] {
                if (state->coro) {
                    std::exchange(state->coro, nullptr).resume();
                }
            });
        });
    }
    R await_resume() {
        if (state_->error) {
            std::rethrow_exception(state_->error);
        }
        if (state_->token.stop_requested()) {
            throw cancelled_error("ce::to_thread: cancelled while the function ran");
        }
        if constexpr (!std::is_void_v<R>) {
            if (!state_->value) {
                throw usage_error("ce::to_thread: no result: the function has not run");
            }
            return std::move(*state_->value);
        }
    }

private:
    event_loop* loop_;
    thread_pool* pool_;
    std::shared_ptr<to_thread_state<F, R>> state_;
};

}  // namespace detail

/**
 * `co_await ce::to_thread(loop, pool, fn)`: calls `fn()` (or `fn(token)`) on a thread of
 * `pool` and resumes on `loop`'s thread with its value or exception. Await it from a
 * coroutine running on `loop`. @throws ce::usage_error (when awaited) if the pool is
 * shut down.
 */
template <typename F>
    requires std::is_invocable_v<std::decay_t<F>&> || std::is_invocable_v<std::decay_t<F>&, std::stop_token>
[[nodiscard]] auto to_thread(event_loop& loop, thread_pool& pool, F&& fn) {
    using R = detail::to_thread_result_t<std::decay_t<F>>;
    return detail::to_thread_awaiter<std::decay_t<F>, R>(loop, pool, std::forward<F>(fn));
}

}  // namespace ce
