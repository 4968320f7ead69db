#pragma once
/**
 * @file
 * Data and the mutex that guards it in one object, so the data can only be reached with
 * the lock held. Python code keeps a `threading.Lock` beside the data and relies on every
 * caller remembering `with lock:`; ce::synchronized makes forgetting it a compile error.
 *
 * @snippet concurrency/threading.cpp synchronized-with-lock
 */

#include <mutex>
#include <type_traits>
#include <utility>

namespace ce {

/**
 * A pointer to the value of a ce::synchronized that holds its lock: the lock is
 * released when the locked_ptr is destroyed. Move-only; `T` is `const` for a read-only
 * view. Use it within one scope, and do not keep a reference to the value past it.
 */
template <class T, class Mutex>
class [[nodiscard]] locked_ptr {
public:
    /// Locks `mutex` and points at `value`, which `mutex` guards.
    locked_ptr(T& value, Mutex& mutex) : lock_(mutex), value_(&value) {}

    /// The guarded value.
    T& operator*() const noexcept { return *value_; }
    /// Member access to the guarded value.
    T* operator->() const noexcept { return value_; }

private:
    std::unique_lock<Mutex> lock_;
    T* value_;
};

/**
 * A value of type `T` reachable only under its own `Mutex`, through with_lock() or
 * lock(). Every member function is thread-safe. Not copyable or movable: moving a value
 * that other threads may be locking would race with them.
 *
 * Not supported: reader/writer locking (a `std::shared_mutex` would need shared locks for
 * the `const` overloads), and locking two synchronized values at once (use
 * `std::scoped_lock` on plain mutexes for that).
 */
template <class T, class Mutex = std::mutex>
class synchronized {
public:
    /// Constructs the value from `args`.
    template <class... Args>
    explicit synchronized(std::in_place_t /*tag*/, Args&&... args) : value_(std::forward<Args>(args)...) {}

    /// A value-initialised `T`.
    synchronized() = default;

    synchronized(const synchronized&) = delete;
    synchronized& operator=(const synchronized&) = delete;
    synchronized(synchronized&&) = delete;
    synchronized& operator=(synchronized&&) = delete;
    ~synchronized() = default;

    /// Calls `f(value)` with the lock held and returns its result. `f` must not let a
    /// reference to the value escape, nor lock this object again (it would deadlock).
    template <class F>
    decltype(auto) with_lock(F&& f) {
        const std::scoped_lock lock(mutex_);
        return std::forward<F>(f)(value_);
    }

    /// Calls `f(value)` with a `const` value and the lock held; returns its result.
    template <class F>
    decltype(auto) with_lock(F&& f) const {
        const std::scoped_lock lock(mutex_);
        return std::forward<F>(f)(std::as_const(value_));
    }

    /// Locks and returns a pointer to the value; the lock lasts as long as the pointer.
    [[nodiscard]] locked_ptr<T, Mutex> lock() { return {value_, mutex_}; }

    /// Locks and returns a read-only pointer to the value.
    [[nodiscard]] locked_ptr<const T, Mutex> lock() const { return {value_, mutex_}; }

    /// A copy of the value, taken under the lock.
    [[nodiscard]] T copy() const {
        const std::scoped_lock lock(mutex_);
        return value_;
    }

private:
    mutable Mutex mutex_;
    T value_{};
};

}  // namespace ce
