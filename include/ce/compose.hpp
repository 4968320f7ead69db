#pragma once
/**
 * @file
 * Function composition: `ce::compose(f, g)(x)` is `f(g(x))`, as in mathematics, with
 * any number of functions, at compile time as well as at run time.
 *
 * Python has no built-in `compose`; one writes `lambda x: f(g(x))` or folds a list of
 * functions with `functools.reduce`. The C++ version is a value: it stores copies of
 * the functions, forwards the arguments to the innermost one, and hands each result to
 * the next function *as it was returned* — a reference stays a reference, a temporary
 * is moved on, never copied. Nothing is type-erased, so the compiler sees through the
 * whole chain and inlines it. Free functions compose as well as lambdas:
 *
 * @snippet foundations/functional.cpp compose
 */

#include <concepts>
#include <functional>
#include <type_traits>
#include <utility>

namespace ce {

namespace detail {

// Stores decayed copies of the outer and inner function. The call operator is
// overloaded on the value category of the composite so that a mutable function
// object can be called through an lvalue and a move-only one consumed through an
// rvalue, as std::bind_front does.
template <class Outer, class Inner>
class composed {
public:
    template <class O, class I>
    constexpr composed(O&& outer, I&& inner)
        : outer_(std::forward<O>(outer)), inner_(std::forward<I>(inner)) {}

    template <class... Args>
        requires std::invocable<Inner&, Args...> &&
                 std::invocable<Outer&, std::invoke_result_t<Inner&, Args...>>
    constexpr decltype(auto) operator()(Args&&... args) & noexcept(
        std::is_nothrow_invocable_v<Inner&, Args...> &&
        std::is_nothrow_invocable_v<Outer&, std::invoke_result_t<Inner&, Args...>>) {
        return std::invoke(outer_, std::invoke(inner_, std::forward<Args>(args)...));
    }

    template <class... Args>
        requires std::invocable<const Inner&, Args...> &&
                 std::invocable<const Outer&, std::invoke_result_t<const Inner&, Args...>>
    constexpr decltype(auto) operator()(Args&&... args) const& noexcept(
        std::is_nothrow_invocable_v<const Inner&, Args...> &&
        std::is_nothrow_invocable_v<const Outer&, std::invoke_result_t<const Inner&, Args...>>) {
        return std::invoke(outer_, std::invoke(inner_, std::forward<Args>(args)...));
    }

    template <class... Args>
        requires std::invocable<Inner, Args...> &&
                 std::invocable<Outer, std::invoke_result_t<Inner, Args...>>
    constexpr decltype(auto) operator()(Args&&... args) && noexcept(
        std::is_nothrow_invocable_v<Inner, Args...> &&
        std::is_nothrow_invocable_v<Outer, std::invoke_result_t<Inner, Args...>>) {
        return std::invoke(std::move(outer_), std::invoke(std::move(inner_), std::forward<Args>(args)...));
    }

private:
    Outer outer_;
    Inner inner_;
};

template <class O, class I>
composed(O, I) -> composed<O, I>;

}  // namespace detail

/**
 * Returns a function object that calls the last function with the arguments it is
 * given, then each function before it, right to left, with the previous result:
 * `compose(f, g, h)(x)` is `f(g(h(x)))`. With one function, returns a copy of it.
 *
 * Every function is copied (or moved, from an rvalue) into the result, so the result
 * may outlive the arguments; wrap a function in `std::ref` to store a reference
 * instead. Each intermediate result is passed on with its value category intact, and
 * the final result is returned exactly as the outermost function returns it, so a
 * function returning `T&` composes into one returning `T&`. The call is `constexpr`,
 * is `noexcept` when every step is, and takes part in overload resolution only when
 * the whole chain is callable with the given arguments (so
 * `std::is_invocable_v<decltype(c), X>` answers truthfully).
 *
 * Thread safety: calling a composite is as thread-safe as calling its functions.
 *
 * @tparam F  the outermost function, called last
 * @tparam Fs the functions applied before it, the rightmost first
 * @param f  the outermost function
 * @param fs the inner functions
 */
template <class F, class... Fs>
[[nodiscard]] constexpr auto compose(F&& f, Fs&&... fs) noexcept(
    std::is_nothrow_constructible_v<std::decay_t<F>, F> &&
    (std::is_nothrow_constructible_v<std::decay_t<Fs>, Fs> && ...)) {
    if constexpr (sizeof...(Fs) == 0) {
        return std::decay_t<F>(std::forward<F>(f));
    } else {
        return detail::composed(std::forward<F>(f), ce::compose(std::forward<Fs>(fs)...));
    }
}

}  // namespace ce
