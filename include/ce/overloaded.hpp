#pragma once
/**
 * @file
 * An overload set built from lambdas, for visiting a `std::variant` one alternative at
 * a time, and ce::match, which visits with it in one call.
 *
 * A `std::variant<A, B, C>` is Python's `A | B | C` union, and visiting it is Python's
 * `match` statement with one `case` per type. Unlike `match`, a visit is checked by the
 * compiler: every alternative must be accepted by some handler, so adding an
 * alternative to the variant turns every visit that forgot it into a compile error —
 * as long as no handler is a catch-all (`[](const auto&)`), which accepts anything.
 *
 * @snippet foundations/functional.cpp variant-visit
 */

#include <utility>
#include <variant>

namespace ce {

/**
 * A function object that inherits the call operators of all its `Fs`, so that
 * overload resolution picks the handler whose parameter fits best — the usual C++
 * rules, including implicit conversions: a handler taking `long` also accepts an `int`
 * when no better handler exists. Give handlers the exact alternative types (by
 * `const&`) to keep the visit exhaustive in the compiler's eyes.
 *
 * An aggregate: `ce::overloaded{f, g}` copies or moves each lambda into a base.
 *
 * @tparam Fs the handlers, usually lambdas; each must be a class type that may be
 *            derived from (lambdas always are, `final` classes and function pointers
 *            are not)
 */
template <class... Fs>
struct overloaded
    /// @cond
    // Hidden from Doxygen, whose XML turns the pack expansion into a base named `Fs`.
    : Fs...
    /// @endcond
{
    using Fs::operator()...;
};

/// Deduces `overloaded<A, B>` from `overloaded{a, b}`; needed by compilers without
/// C++20 aggregate deduction (clang before 17), harmless elsewhere.
template <class... Fs>
overloaded(Fs...) -> overloaded<Fs...>;

/**
 * Visits `v` with `ce::overloaded{handlers...}` and returns what the chosen handler
 * returns: the spelling closest to Python's `match v: case A(): ...`. As with
 * `std::visit`, every handler must return the same type, every alternative needs a
 * handler, and `std::bad_variant_access` is thrown if `v` is valueless by exception.
 *
 * @tparam Variant  a `std::variant`, by any reference; a const variant gives handlers
 *                  const alternatives, an rvalue variant gives them rvalues
 * @tparam Handlers the handler function objects
 * @param v        the variant to inspect
 * @param handlers one handler per alternative; a catch-all (`[](const auto&)`) takes
 *                 every alternative that no exact handler matches
 */
template <class Variant, class... Handlers>
constexpr decltype(auto) match(Variant&& v, Handlers&&... handlers) {
    return std::visit(overloaded{std::forward<Handlers>(handlers)...}, std::forward<Variant>(v));
}

}  // namespace ce
