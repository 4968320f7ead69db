#pragma once
/**
 * @file
 * Scope guards: run a callback when a scope ends — always (ce::scope_exit, Python's
 * `finally`), only when it ends by an exception (ce::scope_fail, `except: ...; raise`),
 * or only when it ends normally (ce::scope_success, `else:`).
 *
 * Failure is decided by comparing `std::uncaught_exceptions()` at the guard's
 * destruction with its value at construction, not by asking "is any exception in
 * flight?". So a guard created inside a destructor that runs during stack unwinding
 * still sees its own scope succeed or fail correctly.
 *
 * An undo action and a success record around a step that may throw:
 *
 * @snippet design_patterns/context_managers.cpp scope-fail-success
 *
 * The callbacks run inside a destructor. Those of ce::scope_exit and ce::scope_fail
 * are `noexcept`: a callback that throws calls `std::terminate`, so undo actions must
 * not fail. ce::scope_success lets its callback's exception propagate. Cleanup that
 * can fail belongs in a ce::exit_stack, whose close() reports the failure.
 */

#include <concepts>
#include <exception>
#include <type_traits>
#include <utility>

namespace ce {

namespace detail {

// What the three guards share: the callback, the release flag and the number of
// exceptions in flight when the guard was created. A member of each guard, not a base,
// so that the API pages do not show an internal base class.
template <typename F>
class scope_guard_state {
    static_assert(std::is_nothrow_move_constructible_v<F>,
                  "a scope guard must not be able to fail while storing its callback");

public:
    explicit scope_guard_state(F callback) noexcept : callback_(std::move(callback)) {}

    void run_if(bool condition) noexcept(std::is_nothrow_invocable_v<F&>) {
        if (active_ && condition) {
            callback_();
        }
    }
    void dismiss() noexcept { active_ = false; }
    // True if the scope is being left by an exception thrown since the guard was
    // created. uncaught_exceptions() > 0 would also be true in a destructor that runs
    // during unwinding even when the destructor's own scope succeeds.
    [[nodiscard]] bool unwinding() const noexcept {
        return std::uncaught_exceptions() > uncaught_on_entry_;
    }

private:
    F callback_;
    bool active_ = true;
    int uncaught_on_entry_ = std::uncaught_exceptions();
};

}  // namespace detail

/**
 * Calls a callback when the scope ends, however it ends: Python's `finally`.
 * Neither copyable nor movable; release() cancels it.
 *
 * @tparam F a nothrow-movable callable taking no arguments; deduced by CTAD.
 */
template <std::invocable F>
class [[nodiscard]] scope_exit {
public:
    /// Stores `callback`, to be called by the destructor.
    [[nodiscard]] explicit scope_exit(F callback) noexcept : state_(std::move(callback)) {}

    /// Calls the callback unless released. The callback must not throw (`std::terminate`).
    ~scope_exit() { state_.run_if(true); }

    scope_exit(const scope_exit&) = delete;             ///< A guard belongs to one scope.
    scope_exit& operator=(const scope_exit&) = delete;  ///< A guard belongs to one scope.
    scope_exit(scope_exit&&) = delete;                  ///< A guard belongs to one scope.
    scope_exit& operator=(scope_exit&&) = delete;       ///< A guard belongs to one scope.

    /// Cancels the guard: the destructor will not call the callback.
    void release() noexcept { state_.dismiss(); }

private:
    detail::scope_guard_state<F> state_;
};

/**
 * Calls a callback only if the scope is left by an exception thrown after the guard
 * was created: an undo action. Correct also when created in a destructor that runs
 * during unwinding. Neither copyable nor movable; release() cancels it.
 *
 * @tparam F a nothrow-movable callable taking no arguments; deduced by CTAD.
 */
template <std::invocable F>
class [[nodiscard]] scope_fail {
public:
    /// Stores `callback` and the number of exceptions currently in flight.
    [[nodiscard]] explicit scope_fail(F callback) noexcept : state_(std::move(callback)) {}

    /// Calls the callback if an exception thrown since construction is unwinding the
    /// scope. The callback must not throw (`std::terminate`).
    ~scope_fail() { state_.run_if(state_.unwinding()); }

    scope_fail(const scope_fail&) = delete;             ///< A guard belongs to one scope.
    scope_fail& operator=(const scope_fail&) = delete;  ///< A guard belongs to one scope.
    scope_fail(scope_fail&&) = delete;                  ///< A guard belongs to one scope.
    scope_fail& operator=(scope_fail&&) = delete;       ///< A guard belongs to one scope.

    /// Cancels the guard: the destructor will not call the callback.
    void release() noexcept { state_.dismiss(); }

private:
    detail::scope_guard_state<F> state_;
};

/**
 * Calls a callback only if the scope ends normally: Python's `else:` clause of a
 * `try`. Correct also when created in a destructor that runs during unwinding.
 * Neither copyable nor movable; release() cancels it.
 *
 * @tparam F a nothrow-movable callable taking no arguments; deduced by CTAD.
 */
template <std::invocable F>
class [[nodiscard]] scope_success {
public:
    /// Stores `callback` and the number of exceptions currently in flight.
    [[nodiscard]] explicit scope_success(F callback) noexcept : state_(std::move(callback)) {}

    /**
     * Calls the callback unless an exception thrown since construction is unwinding
     * the scope. Only this guard may throw from its destructor, since it runs only when
     * no exception of its scope is in flight: a throwing callback propagates.
     */
    // NOLINTNEXTLINE(bugprone-exception-escape): propagating the callback's error is the contract
    ~scope_success() noexcept(std::is_nothrow_invocable_v<F&>) {
        state_.run_if(!state_.unwinding());
    }

    scope_success(const scope_success&) = delete;             ///< A guard belongs to one scope.
    scope_success& operator=(const scope_success&) = delete;  ///< A guard belongs to one scope.
    scope_success(scope_success&&) = delete;                  ///< A guard belongs to one scope.
    scope_success& operator=(scope_success&&) = delete;       ///< A guard belongs to one scope.

    /// Cancels the guard: the destructor will not call the callback.
    void release() noexcept { state_.dismiss(); }

private:
    detail::scope_guard_state<F> state_;
};

}  // namespace ce
