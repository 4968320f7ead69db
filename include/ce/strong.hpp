#pragma once
/**
 * @file
 * A strong typedef: `ce::strong<int, struct user_id_tag>` is an `int` that only
 * converts to and from `int` when asked, and never to another strong type built on
 * `int` — Python's `typing.NewType`, except that the C++ compiler enforces it on every
 * build instead of a separate checker, and it costs nothing at run time.
 *
 * The tag is any type, usually one declared on the spot in the template argument list;
 * two strong types differ exactly when their tags differ. Equality and ordering come
 * from the underlying type; arithmetic is off unless the third parameter opts in.
 *
 * @snippet foundations/type_hints.cpp new-type
 *
 * A `user_id` is then accepted only where a `user_id` is expected, `order_id{42}` must
 * be spelt out where an `order_id` is, amounts add up and ids do not:
 *
 * @snippet foundations/type_hints.cpp strong-ops
 */

#include <compare>
#include <concepts>
#include <cstddef>
#include <functional>
#include <type_traits>
#include <utility>

namespace ce {

namespace detail {

template <class T>
concept has_three_way = requires(const T& a, const T& b) { a <=> b; };

// What std::pair's synth-three-way needs: <=>, or else a < that yields a bool.
template <class T>
concept synth_orderable = has_three_way<T> || requires(const T& a, const T& b) {
    { a < b } -> std::convertible_to<bool>;
};

}  // namespace detail

/// Operations policy for ce::strong (the default): equality and ordering only, which is
/// what identifiers need. Adding two user ids does not compile.
struct no_arithmetic {};

/// Operations policy for ce::strong: also `a + b`, `a - b`, `a += b` and `a -= b`
/// between two values of the *same* strong type (for amounts, durations, counts).
/// Multiplication is deliberately absent: `cents * cents` has no meaning; scale through
/// `value()` and construct the result explicitly.
struct additive {};

/**
 * A value of type `T` with a distinct type identity named by `Tag`.
 *
 * - Construction from `T` is explicit and reading goes through value(): neither
 *   direction converts implicitly, and two strong types with different tags never
 *   convert into each other, even with the same `T`.
 * - Same size and alignment as `T`, and trivially copyable when `T` is: no space,
 *   no indirection, and copies are plain memory copies.
 * - Comparisons follow `T`'s, by one rule: `==` and `!=` exist when `T` has `==`;
 *   `<`, `<=`, `>`, `>=` and `<=>` exist when `T` has `<=>` (with its ordering
 *   category) or, failing that, `<` (a `std::weak_ordering` built from `<`, as
 *   `std::pair` does). Each is `constexpr` when `T`'s is, and an ordinary run-time
 *   comparison when it is not.
 * - `Ops` opts in to arithmetic: ce::no_arithmetic (the default) or ce::additive.
 * - `std::hash` is specialised whenever `std::hash<T>` is enabled, so a strong type
 *   keys an `unordered_map` like its `T` does.
 *
 * Not supported: implicit conversions of any kind, mixing operands of different
 * strong types, and multiplication or division.
 *
 * @tparam T   the underlying value type (an `int`, a `std::string`, ...)
 * @tparam Tag any type; only its identity matters, it need not be complete
 * @tparam Ops the operations policy, ce::no_arithmetic or ce::additive
 */
template <class T, class Tag, class Ops = no_arithmetic>
class strong {
    static_assert(std::is_same_v<Ops, no_arithmetic> || std::is_same_v<Ops, additive>,
                  "ce::strong: Ops must be ce::no_arithmetic or ce::additive");
    static_assert(!std::is_reference_v<T> && !std::is_const_v<T>,
                  "ce::strong: T must be a non-const object type; the wrapper itself can be const");

public:
    /// The underlying type.
    using value_type = T;
    /// The tag that gives this type its identity.
    using tag_type = Tag;

    /// A value-initialised `T` (zero for numbers, empty for strings).
    constexpr strong() = default;

    /// Wraps `value`. Explicit: `user_id{42}` compiles, passing a plain `42` does not.
    constexpr explicit strong(T value) noexcept(std::is_nothrow_move_constructible_v<T>)
        : value_(std::move(value)) {}

    /// The wrapped value, read-only; the only way back to `T`.
    [[nodiscard]] constexpr const T& value() const noexcept { return value_; }

    // Not declared constexpr: a defaulted comparison is constexpr exactly when T's is,
    // whereas spelling it out would reject every T whose == is not constexpr.

    /// Equal when the values are equal; absent when `T` has no `==`.
    friend bool operator==(const strong&, const strong&) = default;

    /// Orders as the values order: by `T`'s `<=>`, or by its `<` when it has no `<=>`
    /// (then a `std::weak_ordering`); absent when `T` has neither.
    friend constexpr auto operator<=>(const strong& a, const strong& b)
        requires detail::synth_orderable<T>
    {
        if constexpr (detail::has_three_way<T>) {
            return a.value_ <=> b.value_;
        } else if (a.value_ < b.value_) {
            return std::weak_ordering::less;
        } else if (b.value_ < a.value_) {
            return std::weak_ordering::greater;
        } else {
            return std::weak_ordering::equivalent;
        }
    }

    // The arithmetic operators are templates whose only parameter defaults to Ops and
    // must be ce::additive: with any other policy they drop out of overload resolution,
    // so `a + b` does not compile and std::is_invocable says so. The casts undo
    // integral promotion (short + short is int), as the built-in `+=` does.

    /// The sum; only with the ce::additive policy.
    template <std::same_as<additive> Policy = Ops>
    [[nodiscard]] friend constexpr strong operator+(const strong& a, const strong& b) {
        return strong(static_cast<T>(a.value_ + b.value_));
    }
    /// The difference; only with the ce::additive policy.
    template <std::same_as<additive> Policy = Ops>
    [[nodiscard]] friend constexpr strong operator-(const strong& a, const strong& b) {
        return strong(static_cast<T>(a.value_ - b.value_));
    }
    /// Adds `b` to `a`; only with the ce::additive policy.
    template <std::same_as<additive> Policy = Ops>
    friend constexpr strong& operator+=(strong& a, const strong& b) {
        a.value_ = static_cast<T>(a.value_ + b.value_);
        return a;
    }
    /// Subtracts `b` from `a`; only with the ce::additive policy.
    template <std::same_as<additive> Policy = Ops>
    friend constexpr strong& operator-=(strong& a, const strong& b) {
        a.value_ = static_cast<T>(a.value_ - b.value_);
        return a;
    }

private:
    T value_{};
};

}  // namespace ce

// Opening namespace std (rather than `struct std::hash<...>`) keeps Doxygen, which
// excludes std, from tripping over a specialisation it cannot place.
namespace std {

/// Hashes a ce::strong as its value, so strong types key unordered containers.
template <class T, class Tag, class Ops>
    requires std::default_initializable<std::hash<T>>
// NOLINTNEXTLINE(bugprone-std-namespace-modification): specialising for a program-defined type is allowed
struct hash<ce::strong<T, Tag, Ops>> {
    /// The hash of `s.value()`.
    [[nodiscard]] std::size_t operator()(const ce::strong<T, Tag, Ops>& s) const
        noexcept(noexcept(std::hash<T>{}(s.value()))) {
        return std::hash<T>{}(s.value());
    }
};

}  // namespace std
