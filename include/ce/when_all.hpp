#pragma once
/**
 * @file
 * Running tasks concurrently and waiting for them: ce::when_all (asyncio's `gather`),
 * ce::when_any (`asyncio.wait(..., return_when=FIRST_COMPLETED)`) and ce::wait_for
 * (`asyncio.wait_for`).
 *
 * All three are structured: they return only after every task they started has
 * finished, so no child outlives the call and nothing it references dangles.
 *
 * @snippet async_patterns/task_scheduling.cpp when-all
 */

#include <ce/event_loop.hpp>
#include <ce/scope_guard.hpp>
#include <ce/task.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <coroutine>
#include <cstddef>
#include <exception>
#include <optional>
#include <stop_token>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace ce {

/// `T`, or `std::monostate` for `void`: the element when_all() returns for a `task<T>`.
template <typename T>
using non_void_t = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

namespace detail {

inline constexpr std::size_t no_child = static_cast<std::size_t>(-1);

// What a set of concurrently running children share with the coroutine that waits.
struct join_state {
    explicit join_state(std::size_t children, bool first_completion) noexcept
        : remaining(children + 1), any(first_completion) {}
    std::atomic<std::size_t> remaining;  // children, plus one for the waiter's own start
    std::atomic<std::size_t> first{no_child};
    bool any;                                   // record the first to finish, not the first to fail
    std::stop_source* stop_siblings = nullptr;  // requested when `first` is recorded
    std::coroutine_handle<> continuation;
};

struct join_slot {
    join_state* state;
    std::size_t index;
};

template <typename T>
std::coroutine_handle<> child_done(void* context, std::coroutine_handle<> frame) noexcept {
    const auto& slot = *static_cast<join_slot*>(context);
    join_state& s = *slot.state;
    const auto h = std::coroutine_handle<root_promise<T>>::from_address(frame.address());
    if (s.any || h.promise().exception()) {
        std::size_t expected = no_child;
        if (s.first.compare_exchange_strong(expected, slot.index, std::memory_order_acq_rel) &&
            s.stop_siblings != nullptr) {
            s.stop_siblings->request_stop();
        }
    }
    return s.remaining.fetch_sub(1, std::memory_order_acq_rel) == 1 ? s.continuation : std::noop_coroutine();
}

// Starts every child on this thread; suspends unless all of them finished already.
struct start_children {
    join_state& state;
    std::vector<std::coroutine_handle<>> children;

    [[nodiscard]] bool await_ready() const noexcept { return false; }
    bool await_suspend(std::coroutine_handle<> h) noexcept {
        state.continuation = h;
        for (const std::coroutine_handle<> child : children) {
            child.resume();
        }
        return state.remaining.fetch_sub(1, std::memory_order_acq_rel) != 1;
    }
    void await_resume() const noexcept {}
};

template <typename T>
non_void_t<T> take_result(root<T>& r) {
    if constexpr (std::is_void_v<T>) {
        r.handle().promise().take();
        return {};
    } else {
        return r.handle().promise().take();
    }
}

template <typename T>
void prepare(root<T>& r, join_slot& slot, const std::stop_token& token) {
    r.handle().promise().set_stop_token(token);
    r.handle().promise().on_done(&child_done<T>, &slot);
}

template <typename T>
std::vector<root<T>> make_roots(std::vector<task<T>>& tasks) {
    std::vector<root<T>> roots;
    roots.reserve(tasks.size());
    for (task<T>& t : tasks) {
        roots.push_back(make_root(std::move(t)));
    }
    return roots;
}

// Gives every root a slot of `state` and `token`; returns the frames to start.
template <typename T>
std::vector<std::coroutine_handle<>> prepare_all(std::vector<root<T>>& roots, std::vector<join_slot>& slots,
                                                 join_state& state, const std::stop_token& token) {
    slots.resize(roots.size());
    std::vector<std::coroutine_handle<>> children;
    children.reserve(roots.size());
    for (std::size_t i = 0; i < roots.size(); ++i) {
        slots[i] = {&state, i};
        prepare(roots[i], slots[i], token);
        children.push_back(roots[i].handle());
    }
    return children;
}

}  // namespace detail

/**
 * Runs the tasks concurrently and returns their results in argument order (`void`
 * results become `std::monostate`). It waits for every task; if any failed, it then
 * rethrows the exception of the first to fail. Tasks share the caller's stop token.
 */
template <typename... Ts>
task<std::tuple<non_void_t<Ts>...>> when_all(task<Ts>... tasks) {
    const std::stop_token token = co_await get_stop_token();
    std::tuple<detail::root<Ts>...> roots{detail::make_root(std::move(tasks))...};
    detail::join_state state(sizeof...(Ts), false);
    std::array<detail::join_slot, sizeof...(Ts)> slots{};
    std::vector<std::coroutine_handle<>> children;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        ((slots[I] = {&state, I}, detail::prepare(std::get<I>(roots), slots[I], token),
          children.push_back(std::get<I>(roots).handle())),
         ...);
    }(std::index_sequence_for<Ts...>{});
    detail::start_children start{state, std::move(children)};  // named: g++ 12 destroys a braced temporary twice
    co_await start;
    if (const std::size_t failed = state.first.load(std::memory_order_acquire); failed != detail::no_child) {
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            ((I == failed ? (void)detail::take_result(std::get<I>(roots)) : void()), ...);
        }(std::index_sequence_for<Ts...>{});
    }
    co_return [&]<std::size_t... I>(std::index_sequence<I...>) {
        return std::tuple<non_void_t<Ts>...>{detail::take_result(std::get<I>(roots))...};
    }(std::index_sequence_for<Ts...>{});
}

/// when_all() over a vector of tasks of one type: the results in order (nothing for `void`).
template <typename T>
task<std::conditional_t<std::is_void_v<T>, void, std::vector<T>>> when_all(std::vector<task<T>> tasks) {
    const std::stop_token token = co_await get_stop_token();
    std::vector<detail::root<T>> roots = detail::make_roots(tasks);
    detail::join_state state(roots.size(), false);
    std::vector<detail::join_slot> slots;
    detail::start_children start{state, detail::prepare_all(roots, slots, state, token)};
    co_await start;  // named above: g++ 12 destroys a braced temporary in a co_await twice
    if (const std::size_t failed = state.first.load(std::memory_order_acquire); failed != detail::no_child) {
        detail::take_result(roots[failed]);  // rethrows
    }
    if constexpr (!std::is_void_v<T>) {
        std::vector<T> results;
        results.reserve(roots.size());
        for (detail::root<T>& r : roots) {
            results.push_back(r.handle().promise().take());
        }
        co_return results;
    }
}

/**
 * Runs the tasks concurrently until the first one finishes, then requests stop for
 * the others and waits until they have ended. Returns the index of the first and its
 * value (for `void`, just the index), or rethrows its exception; the others' results
 * are discarded. @throws ce::usage_error for an empty vector.
 */
template <typename T>
task<std::conditional_t<std::is_void_v<T>, std::size_t, std::pair<std::size_t, T>>> when_any(
    std::vector<task<T>> tasks) {
    if (tasks.empty()) {
        throw usage_error("ce::when_any: no tasks to wait for");
    }
    const std::stop_token parent = co_await get_stop_token();
    std::stop_source source;
    const std::stop_callback forward(parent, [&source]() noexcept { source.request_stop(); });
    std::vector<detail::root<T>> roots = detail::make_roots(tasks);
    detail::join_state state(roots.size(), true);
    state.stop_siblings = &source;
    std::vector<detail::join_slot> slots;
    detail::start_children start{state, detail::prepare_all(roots, slots, state, source.get_token())};
    co_await start;  // named above: g++ 12 destroys a braced temporary in a co_await twice
    const std::size_t first = state.first.load(std::memory_order_acquire);
    if constexpr (std::is_void_v<T>) {
        roots[first].handle().promise().take();
        co_return first;
    } else {
        co_return std::pair<std::size_t, T>{first, roots[first].handle().promise().take()};
    }
}

/**
 * Awaits `t`, but requests its stop after `timeout` (asyncio's `wait_for`). When the
 * task then ends with ce::cancelled_error, this throws ce::timeout_error instead; a
 * task that finishes anyway keeps its result. A stop requested by the caller still
 * arrives as ce::cancelled_error. @throws ce::usage_error for a negative timeout.
 */
template <typename T>
task<T> wait_for(event_loop& loop, task<T> t, std::chrono::nanoseconds timeout) {
    const std::stop_token parent = co_await get_stop_token();
    std::stop_source source;
    const std::stop_callback forward(parent, [&source]() noexcept { source.request_stop(); });
    bool expired = false;
    const timer_handle timer = loop.call_later(timeout, [&] {
        expired = true;
        source.request_stop();
    });
    const scope_exit cancel_timer([&]() noexcept { loop.cancel(timer); });  // the timer refers to this frame
    std::optional<non_void_t<T>> result;
    try {
        if constexpr (std::is_void_v<T>) {
            co_await std::move(t).with_stop_token(source.get_token());
            result.emplace();
        } else {
            result.emplace(co_await std::move(t).with_stop_token(source.get_token()));
        }
    } catch (const cancelled_error&) {
        if (!expired || parent.stop_requested()) {
            throw;
        }
        throw timeout_error("ce::wait_for: timed out after " + std::to_string(timeout.count() / 1'000'000) + " ms");
    }
    if constexpr (!std::is_void_v<T>) {
        co_return std::move(*result);
    }
}

}  // namespace ce
