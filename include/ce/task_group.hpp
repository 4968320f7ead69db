#pragma once
/**
 * @file
 * ce::task_group: Python 3.11's `asyncio.TaskGroup`. Children started with spawn() run
 * concurrently; ce::with_task_group waits for all of them before it returns, on
 * success, on failure and on cancellation. The first child to fail requests stop for
 * its siblings and for the body, and its exception is the one that propagates.
 *
 * @snippet async_patterns/task_scheduling.cpp task-group
 *
 * A group's children run on one thread (one event loop), like asyncio's.
 */

#include <ce/task.hpp>

#include <coroutine>
#include <cstddef>
#include <exception>
#include <optional>
#include <stop_token>
#include <type_traits>
#include <utility>

namespace ce {

/**
 * A set of running child tasks that share one stop source. Use it through
 * ce::with_task_group, which joins it on every path; a group used directly must be
 * joined with `co_await group.join()`. Destroying a group with unfinished children
 * destroys their frames.
 */
class task_group {
public:
    /// A group whose stop source follows `parent`: stopping the parent stops the children.
    explicit task_group(const std::stop_token& parent = {}) : link_(parent, forward_stop{&source_}) {}
    task_group(const task_group&) = delete;             ///< Children point at their group.
    task_group& operator=(const task_group&) = delete;  ///< Children point at their group.
    task_group(task_group&&) = delete;                  ///< Children point at their group.
    task_group& operator=(task_group&&) = delete;       ///< Children point at their group.
    ~task_group() = default;  // live_ destroys unfinished children, before the stop source goes

    /**
     * Starts `t` at once, on this thread, with the group's stop token; it runs until
     * its first suspension before spawn() returns.
     * @throws ce::usage_error after the group was joined.
     */
    void spawn(task<void> t) {
        if (closed_) {
            throw usage_error("ce::task_group::spawn: the group has been joined");
        }
        detail::root<void> r = detail::make_root(std::move(t));
        r.handle().promise().set_stop_token(source_.get_token());
        r.handle().promise().on_done(&child_done, this);
        live_.add(r.handle());
        ++running_;
        r.release().resume();
    }

    /// Requests stop for every child (and for the body of ce::with_task_group).
    void cancel() noexcept { source_.request_stop(); }

    /// The group's stop token.
    [[nodiscard]] std::stop_token token() const noexcept { return source_.get_token(); }
    /// Children started and not finished.
    [[nodiscard]] std::size_t running() const noexcept { return running_; }

    /// Awaitable returned by join().
    /// @cond CE_AWAITER_INTERNALS
    struct join_awaiter {
        task_group& group;
        [[nodiscard]] bool await_ready() const noexcept { return group.running_ == 0; }
        void await_suspend(std::coroutine_handle<> h) noexcept { group.joiner_ = h; }
        void await_resume() const {
            group.closed_ = true;
            if (group.error_) {
                std::rethrow_exception(group.error_);
            }
        }
    };
    /// @endcond
    /**
     * `co_await group.join()`: waits until every child has finished, then rethrows the
     * first child's failure. Not a cancellation point: a stop request reaches the
     * children, and join waits for them to end.
     */
    [[nodiscard]] join_awaiter join() noexcept { return {*this}; }

private:
    struct forward_stop {
        std::stop_source* source;
        void operator()() const noexcept { source->request_stop(); }
    };

    static std::coroutine_handle<> child_done(void* context, std::coroutine_handle<> frame) noexcept {
        auto& group = *static_cast<task_group*>(context);
        const auto h = std::coroutine_handle<detail::root_promise<void>>::from_address(frame.address());
        if (const std::exception_ptr e = h.promise().exception(); e && !group.error_ && !is_cancellation(e)) {
            group.error_ = e;
            group.source_.request_stop();
        }
        group.live_.finish(frame);
        if (--group.running_ == 0 && group.joiner_) {
            return std::exchange(group.joiner_, nullptr);
        }
        return std::noop_coroutine();
    }

    static bool is_cancellation(const std::exception_ptr& e) noexcept {
        try {
            std::rethrow_exception(e);
        } catch (const cancelled_error&) {
            return true;
        } catch (...) {
            return false;
        }
    }

    std::stop_source source_;
    std::stop_callback<forward_stop> link_;
    detail::owned_frames live_;
    std::size_t running_ = 0;
    std::exception_ptr error_;
    std::coroutine_handle<> joiner_;
    bool closed_ = false;
};

/**
 * `co_await ce::with_task_group(body)`: `async with asyncio.TaskGroup() as group:`.
 * Calls `body(group)` (a coroutine returning `task<R>`) with the group's stop token,
 * then waits for every child, whatever happened. A failing child cancels its siblings
 * and the body; the exception that propagates is the body's own failure, else the
 * first child's failure, else the body's cancellation; when the stop came from the
 * caller's token, ce::cancelled_error. Returns the body's value.
 */
template <typename Body>
auto with_task_group(Body body) -> task<typename std::invoke_result_t<Body&, task_group&>::value_type> {
    using R = typename std::invoke_result_t<Body&, task_group&>::value_type;
    const std::stop_token parent = co_await get_stop_token();
    task_group group(parent);
    std::exception_ptr body_error;
    bool body_cancelled = false;
    std::optional<std::conditional_t<std::is_void_v<R>, bool, R>> result;
    try {
        if constexpr (std::is_void_v<R>) {
            co_await body(group).with_stop_token(group.token());
            result.emplace(true);
        } else {
            result.emplace(co_await body(group).with_stop_token(group.token()));
        }
    } catch (const cancelled_error&) {
        body_cancelled = true;
        body_error = std::current_exception();
    } catch (...) {
        body_error = std::current_exception();
        group.cancel();
    }
    std::exception_ptr child_error;  // the first child's failure, which join() rethrows
    try {
        co_await group.join();
    } catch (...) {
        child_error = std::current_exception();
    }
    if (body_error && !body_cancelled) {
        std::rethrow_exception(body_error);
    }
    if (child_error) {
        std::rethrow_exception(child_error);
    }
    if (body_error) {
        std::rethrow_exception(body_error);
    }
    if (parent.stop_requested()) {  // the children were cancelled from outside: so is the group
        throw cancelled_error("ce::with_task_group: cancelled");
    }
    if constexpr (!std::is_void_v<R>) {
        co_return std::move(*result);
    }
}

}  // namespace ce
