#pragma once
/**
 * @file
 * A coroutine generator: a function that `co_yield`s values one at a time, run lazily
 * by the loop that consumes them, the way Python runs a function containing `yield`.
 *
 * `ce::generator<T>` is an input range (begin() / end() with a sentinel), so it works
 * with range-for and with `std::views`. The body runs only when the consumer asks for
 * the next element; an exception thrown by the body is rethrown at the consumer, and
 * destroying the generator early destroys the suspended body, running its destructors.
 * (C++23's `std::generator` is the standard version; libstdc++ 12 does not have it.)
 *
 * An infinite sequence, written as Python would write it:
 *
 * @snippet design_patterns/generators.cpp fibonacci
 *
 * It is read lazily, through a view:
 *
 * @snippet design_patterns/generators.cpp pipeline
 */

#include <coroutine>
#include <cstddef>
#include <exception>
#include <iterator>
#include <memory>
#include <ranges>
#include <type_traits>
#include <utility>

namespace ce {

template <typename T>
class generator;

namespace detail {

// The promise lives in the coroutine frame. It never owns a yielded value: it points
// at the operand of `co_yield`, which stays alive while the body is suspended (a
// named object lives in the frame; a temporary lives until the end of the co_yield
// full-expression, which is after the body resumes). So yielding copies nothing.
template <typename T>
class generator_promise {
public:
    using reference = typename generator<T>::reference;

    generator<T> get_return_object() noexcept {
        return generator<T>{std::coroutine_handle<generator_promise>::from_promise(*this)};
    }
    // Lazy: the body first runs on begin(). Once finished it stays suspended: the owner destroys it.
    [[nodiscard]] std::suspend_always initial_suspend() const noexcept { return {}; }
    [[nodiscard]] std::suspend_always final_suspend() const noexcept { return {}; }
    std::suspend_always yield_value(reference value) noexcept {
        value_ = std::addressof(value);
        return {};
    }
    void return_void() const noexcept {}
    // The body's exception is kept and rethrown by the consumer's begin() or ++it:
    // an exception must not vanish at a coroutine boundary.
    void unhandled_exception() noexcept { exception_ = std::current_exception(); }

    // A generator body cannot co_await: there is no one to resume it.
    template <typename U>
    std::suspend_never await_transform(U&&) = delete;

    [[nodiscard]] reference value() const noexcept { return static_cast<reference>(*value_); }

    void rethrow_if_failed() {
        if (exception_) [[unlikely]] {
            rethrow();
        }
    }

private:
    // Out of line and cold, so that advance() stays small enough to inline into the
    // consumer's loop: g++ 12 does not elide the frame, and an extra call per element
    // made iteration about 1.6 times slower in bench/generator.cpp.
    [[gnu::cold, gnu::noinline]] void rethrow() {
        std::rethrow_exception(std::exchange(exception_, nullptr));
    }

    std::add_pointer_t<reference> value_ = nullptr;
    std::exception_ptr exception_;
};

// Resumes the body to its next co_yield (or to its end) and surfaces its exception.
template <typename Promise>
inline void advance(std::coroutine_handle<Promise> coro) {
    coro.resume();
    if (coro.done()) [[unlikely]] {
        coro.promise().rethrow_if_failed();
    }
}

}  // namespace detail

/**
 * The result type of a coroutine that produces a sequence with `co_yield`: a lazy,
 * single-pass (input) range that owns the suspended coroutine frame.
 *
 * - The body starts on begin() and runs to its next `co_yield` on each `++it`.
 * - `co_yield x` hands the consumer a reference to `x` itself: nothing is copied. The
 *   reference is valid until the next increment.
 * - An exception that leaves the body is rethrown by the begin() or `++it` that
 *   resumed it; the sequence then ends.
 * - Destroying the generator (for instance after a `break`) destroys the suspended
 *   frame, running the destructors of the body's locals and parameters.
 * - Single pass: call begin() once. Move-only. Not thread-safe: one consumer at a time.
 * - Parameters are copied into the frame, but a *reference* parameter still refers to
 *   the caller's object, which must outlive the generator: take parameters by value.
 *
 * @tparam T what the body yields: a type `V` (the consumer sees `const V&`), `V&` (the
 *           consumer may modify the body's object) or `V&&` (the consumer may move from it).
 */
template <typename T>
class [[nodiscard]] generator {
    static_assert(!std::is_void_v<T>, "ce::generator<void> yields nothing; use a plain function");

public:
    /// The element type, without reference or cv-qualifiers.
    using value_type = std::remove_cvref_t<T>;
    /// What dereferencing an iterator gives: `T` if it is a reference, else `const T&`.
    using reference = std::conditional_t<std::is_reference_v<T>, T, const value_type&>;
    /// @cond INTERNAL
    // Found by the compiler through std::coroutine_traits; not part of the API.
    using promise_type = detail::generator_promise<T>;
    friend promise_type;
    /// @endcond

    /// An input iterator over the yielded elements; `++it` resumes the body.
    class iterator {
    public:
        using iterator_concept = std::input_iterator_tag;  ///< Single pass.
        using value_type = generator::value_type;          ///< The element type.
        using reference = generator::reference;            ///< What `*it` returns.
        using difference_type = std::ptrdiff_t;            ///< Required by the iterator concepts.

        /// A singular iterator; only for default-initialising a variable.
        iterator() noexcept = default;

        /// The element the body yielded last; valid until the next increment.
        [[nodiscard]] reference operator*() const noexcept { return coro_.promise().value(); }

        /// Resumes the body to its next `co_yield`; rethrows the body's exception.
        iterator& operator++() {
            detail::advance(coro_);
            return *this;
        }

        /// Same as `++it`; an input iterator has no value to return.
        void operator++(int) { ++*this; }

        /// True once the body has finished (returned or thrown).
        [[nodiscard]] friend bool operator==(const iterator& it, std::default_sentinel_t) noexcept {
            return !it.coro_ || it.coro_.done();
        }

    private:
        friend generator;
        explicit iterator(std::coroutine_handle<promise_type> coro) noexcept : coro_(coro) {}

        std::coroutine_handle<promise_type> coro_;  // not owned: the generator owns the frame
    };

    /// An empty sequence: begin() == end().
    generator() noexcept = default;

    /// Takes over `other`'s coroutine; `other` becomes empty.
    generator(generator&& other) noexcept : coro_(std::exchange(other.coro_, {})) {}

    /// Destroys this generator's coroutine (if any) and takes over `other`'s.
    generator& operator=(generator&& other) noexcept {
        if (this != &other) {
            reset();
            coro_ = std::exchange(other.coro_, {});
        }
        return *this;
    }

    generator(const generator&) = delete;             ///< Move-only: it owns a frame.
    generator& operator=(const generator&) = delete;  ///< Move-only: it owns a frame.

    /// Destroys the coroutine frame, whether the body finished or is suspended.
    ~generator() { reset(); }

    /// Runs the body to its first `co_yield`. Call once. Rethrows the body's exception.
    [[nodiscard]] iterator begin() {
        if (coro_) {
            detail::advance(coro_);
        }
        return iterator{coro_};
    }

    /// The end of the sequence: the body has returned (or thrown).
    [[nodiscard]] std::default_sentinel_t end() const noexcept { return std::default_sentinel; }

private:
    explicit generator(std::coroutine_handle<promise_type> coro) noexcept : coro_(coro) {}

    void reset() noexcept {
        if (coro_) {
            std::exchange(coro_, {}).destroy();
        }
    }

    std::coroutine_handle<promise_type> coro_;
};

static_assert(std::ranges::input_range<generator<int>>);
static_assert(std::ranges::input_range<generator<const int&>>);

}  // namespace ce
