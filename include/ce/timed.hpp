#pragma once
/**
 * @file
 * A timing decorator: ce::timed wraps a callable so that every call reports its wall
 * time to a callback, whether the call returns or throws. Python's timing decorator
 * (`start = perf_counter()` ... `finally: report(perf_counter() - start)`).
 *
 * The wrapper is transparent: it forwards arguments perfectly (move-only ones too),
 * returns exactly what the callable returns (references included) and is `noexcept`
 * exactly when the callable is. The clock is a parameter, so a test passes a fake one:
 *
 * @snippet design_patterns/decorators.cpp timed-usage
 */

#include <chrono>
#include <concepts>
#include <functional>
#include <type_traits>
#include <utility>

namespace ce {

namespace detail {

// Reports on scope exit, so the measurement covers a throwing call as well and the
// wrapped result is returned directly (no copy, references kept, void allowed).
template <class Clock, class Report>
class elapsed_reporter {
public:
    elapsed_reporter(Clock& clock, Report& report) noexcept
        : clock_(clock), report_(report), start_(clock.now()) {}
    elapsed_reporter(const elapsed_reporter&) = delete;
    elapsed_reporter& operator=(const elapsed_reporter&) = delete;
    elapsed_reporter(elapsed_reporter&&) = delete;
    elapsed_reporter& operator=(elapsed_reporter&&) = delete;
    ~elapsed_reporter() {
        report_(std::chrono::duration_cast<std::chrono::nanoseconds>(clock_.now() - start_));
    }

private:
    Clock& clock_;
    Report& report_;
    decltype(std::declval<Clock&>().now()) start_;
};

}  // namespace detail

/**
 * Wraps `f` in a callable that measures each call with `clock` and passes the elapsed
 * time to `report`, also when `f` throws (the exception then propagates unchanged).
 *
 * - `report` and `clock.now()` run inside a destructor, so both must be `noexcept`
 *   (checked by `static_assert`); the wrapper is then `noexcept` exactly when `f` is.
 * - The wrapper owns copies of `f`, `report` and `clock`. Call it through a non-const
 *   object; it is as thread-safe as `f`, `report` and `clock` are.
 *
 * @tparam F the wrapped callable.
 * @tparam Report callable `void(std::chrono::nanoseconds) noexcept`.
 * @tparam Clock anything with `now()` returning a time point; `std::chrono::steady_clock`
 *         by default, a fake in tests.
 * @param f the callable to time.
 * @param report receives the elapsed time of each call.
 * @param clock the time source.
 */
template <class F, class Report, class Clock = std::chrono::steady_clock>
[[nodiscard]] auto timed(F f, Report report, Clock clock = {}) {
    static_assert(std::is_nothrow_invocable_v<Report&, std::chrono::nanoseconds>,
                  "ce::timed: the report callback runs in a destructor; declare it noexcept");
    static_assert(noexcept(std::declval<Clock&>().now()),
                  "ce::timed: clock.now() runs in a destructor; it must be noexcept");
    return [f = std::move(f), report = std::move(report), clock = std::move(clock)]<class... Args>(
               Args&&... args) mutable noexcept(std::is_nothrow_invocable_v<F&, Args...>)
               -> decltype(auto)
        requires std::invocable<F&, Args...>  // so is_invocable answers as it does for f
    {
        const detail::elapsed_reporter<Clock, Report> reporter(clock, report);
        return std::invoke(f, std::forward<Args>(args)...);
    };
}

}  // namespace ce
