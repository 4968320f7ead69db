#pragma once
/**
 * @file
 * A retry decorator: ce::retry wraps a callable so that a failure it may recover from
 * (by default ce::transient_error) is retried after a backoff, up to a fixed number of
 * attempts; the last failure propagates unchanged. Python's `tenacity.retry`.
 *
 * The sleeper is a parameter, so a test passes a fake that records the requested delays
 * instead of waiting for them:
 *
 * @snippet design_patterns/decorators.cpp retry-exhausted
 */

#include <ce/error.hpp>

#include <chrono>
#include <concepts>
#include <exception>
#include <functional>
#include <thread>
#include <type_traits>
#include <utility>

namespace ce {

/**
 * Exponential backoff: the delay before retry `n` (1 for the first retry) is
 * `initial * multiplier^(n-1)`, capped at `max`. With `multiplier = 1` it is a fixed delay.
 * A negative `initial` or `max` counts as zero (no wait, as `sleep_for` treats a negative
 * duration), so a delay is never negative.
 * Any callable `std::chrono::milliseconds(int)` can replace it (linear, jittered, ...):
 *
 * @snippet design_patterns/decorators.cpp backoff-policy
 */
struct exponential_backoff {
    std::chrono::milliseconds initial{100};  ///< Delay before the first retry; negative counts as 0.
    int multiplier = 2;                      ///< Growth factor per retry; 1 (or less) keeps it fixed.
    std::chrono::milliseconds max{10'000};   ///< Upper bound of any single delay; negative counts as 0.

    /// The delay before retry `retry` (1-based), between zero and `max`. Never overflows:
    /// growth stops at `max`.
    [[nodiscard]] constexpr std::chrono::milliseconds operator()(int retry) const noexcept {
        constexpr std::chrono::milliseconds zero{0};
        // Clamped to [0, max] first: growing a negative delay would run towards the
        // duration's minimum, which the cap never stops.
        const std::chrono::milliseconds cap = max < zero ? zero : max;
        std::chrono::milliseconds delay = initial < zero ? zero : initial < cap ? initial : cap;
        if (multiplier <= 1 || delay == zero) {  // nothing to grow
            return delay;
        }
        for (int i = 1; i < retry && delay < cap; ++i) {
            delay = delay > cap / multiplier ? cap : delay * multiplier;
        }
        return delay;
    }
};

/// The production sleeper: blocks the calling thread with `std::this_thread::sleep_for`.
struct thread_sleeper {
    /// Sleeps for `delay`.
    void operator()(std::chrono::milliseconds delay) const { std::this_thread::sleep_for(delay); }
};

namespace detail {

template <class E>
bool holds(const std::exception_ptr& failure) noexcept {
    try {
        std::rethrow_exception(failure);
    } catch (const E&) {
        return true;
    } catch (...) {
        return false;
    }
}

// An empty list means the library's default: only ce::transient_error is worth a retry.
template <class... Retryable>
bool is_retryable(const std::exception_ptr& failure) noexcept {
    if constexpr (sizeof...(Retryable) == 0) {
        return holds<transient_error>(failure);
    } else {
        return (holds<Retryable>(failure) || ...);
    }
}

}  // namespace detail

/**
 * Wraps `f` in a callable that calls it up to `attempts` times while it throws one of
 * `Retryable...` (ce::transient_error when the list is empty), sleeping
 * `sleep(backoff(n))` before retry `n`. Returns what `f` returns, references included.
 *
 * - Any exception not in the list propagates at once; after the last attempt the last
 *   exception propagates as it was thrown (no wrapping, no slicing).
 * - Arguments are passed to `f` as lvalues, because a later attempt needs them again:
 *   `f` cannot take a move-only argument by value (a `static_assert` says so).
 * - The wrapper owns copies of `f`, `backoff` and `sleep`; calling it is as thread-safe
 *   as calling them is. Call it through a non-const object (they may be stateful).
 *
 * @snippet design_patterns/decorators.cpp retry-which-errors
 *
 * @tparam Retryable the exception types that trigger a retry, matched as `catch (const E&)`.
 * @tparam F the wrapped callable.
 * @tparam Backoff callable `std::chrono::milliseconds(int retry)`, see ce::exponential_backoff.
 * @tparam Sleeper callable `void(std::chrono::milliseconds)`; a test passes a recording fake.
 * @param f the callable to retry.
 * @param attempts total number of calls allowed, the first included; at least 1.
 * @param backoff the delay policy.
 * @param sleep what waits between attempts.
 * @throws ce::usage_error if `attempts < 1`.
 */
template <class... Retryable, class F, class Backoff = exponential_backoff, class Sleeper = thread_sleeper>
[[nodiscard]] auto retry(F f, int attempts, Backoff backoff = {}, Sleeper sleep = {}) {
    static_assert(std::is_invocable_r_v<std::chrono::milliseconds, Backoff&, int>,
                  "ce::retry: the backoff must be callable as std::chrono::milliseconds(int retry)");
    static_assert(std::is_invocable_v<Sleeper&, std::chrono::milliseconds>,
                  "ce::retry: the sleeper must be callable with a std::chrono::milliseconds");
    if (attempts < 1) {
        throw usage_error("ce::retry: attempts must be at least 1");
    }
    return [f = std::move(f), attempts, backoff = std::move(backoff),
            sleep = std::move(sleep)]<class... Args>(Args&&... args) mutable -> decltype(auto) {
        static_assert(std::is_invocable_v<F&, Args&...>,
                      "ce::retry passes arguments as lvalues, since a retry needs them again: "
                      "take a move-only argument by reference, not by value");
        for (int attempt = 1;; ++attempt) {
            try {
                return std::invoke(f, args...);  // not forwarded: the next attempt reuses them
            } catch (...) {
                if (attempt == attempts || !detail::is_retryable<Retryable...>(std::current_exception())) {
                    throw;
                }
            }
            sleep(std::chrono::milliseconds(backoff(attempt)));  // outside the handler: the
        }                                                        // failed exception is freed
    };
}

}  // namespace ce
