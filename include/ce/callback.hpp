#pragma once
/**
 * @file
 * ce::callback: a move-only `void()` callable that stores small targets in place.
 *
 * `std::function` requires a copyable target and allocates for anything larger than
 * two pointers; an event loop queues millions of small lambdas that capture a pointer
 * or two and a coroutine handle. ce::callback keeps targets of up to four pointers
 * inside the object, with no allocation, and accepts move-only targets (a lambda that
 * owns a `std::unique_ptr`). Larger targets go to the heap. Moving a callback whose
 * target is trivially copyable (a lambda that captures pointers, references and
 * numbers) copies its bytes, so a queue of them grows as cheaply as a vector of ints.
 */

#include <concepts>
#include <cstddef>
#include <cstring>
#include <functional>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

namespace ce {

/// A move-only, nullable `void()` callable with in-place storage for small targets.
class callback {
public:
    /// Bytes of target stored in place; larger targets are allocated.
    static constexpr std::size_t inline_size = 3 * sizeof(void*);

    callback() noexcept = default;

    /// Wraps `f`. Stored in place when it fits and its move constructor cannot throw.
    template <typename F>
        requires(!std::same_as<std::remove_cvref_t<F>, callback> && std::is_invocable_v<std::decay_t<F>&>)
    callback(F&& f) {  // NOLINT(google-explicit-constructor): a lambda converts, as to std::function
        using target = std::decay_t<F>;
        if constexpr (fits_inline<target>()) {
            ::new (static_cast<void*>(storage_)) target(std::forward<F>(f));
            ops_ = &inline_ops<target>;
        } else {
            auto* heap = new target(std::forward<F>(f));
            ::new (static_cast<void*>(storage_)) target*(heap);
            ops_ = &heap_ops<target>;
        }
    }

    /// Takes the target; `other` becomes empty.
    callback(callback&& other) noexcept : ops_(std::exchange(other.ops_, nullptr)) { take(other); }
    /// Destroys this target and takes `other`'s; self-assignment is a no-op.
    callback& operator=(callback&& other) noexcept {
        if (this != &other) {
            reset();
            ops_ = std::exchange(other.ops_, nullptr);
            take(other);
        }
        return *this;
    }
    callback(const callback&) = delete;             ///< Targets may be move-only.
    callback& operator=(const callback&) = delete;  ///< Targets may be move-only.
    ~callback() { reset(); }

    /// True when a target is stored.
    explicit operator bool() const noexcept { return ops_ != nullptr; }

    /// Calls the target. Precondition: one is stored.
    void operator()() { ops_->call(storage_); }

    /// Destroys the target, if any.
    void reset() noexcept {
        if (ops_ != nullptr && ops_->destroy != nullptr) {
            ops_->destroy(storage_);
        }
        ops_ = nullptr;
    }

private:
    // move and destroy are null for trivially copyable targets: their bytes are the
    // object, and the heap case moves a pointer.
    struct operations {
        void (*call)(void* storage);
        void (*move)(void* from, void* to) noexcept;
        void (*destroy)(void* storage) noexcept;
    };

    // Called with ops_ already taken from `other`.
    void take(callback& other) noexcept {
        if (ops_ == nullptr) {
            return;
        }
        if (ops_->move == nullptr) {
            std::memcpy(storage_, other.storage_, inline_size);
        } else {
            ops_->move(other.storage_, storage_);
        }
    }

    template <typename T>
    static constexpr bool fits_inline() {
        return sizeof(T) <= inline_size && alignof(T) <= alignof(void*) && std::is_nothrow_move_constructible_v<T>;
    }

    template <typename T>
    static constexpr operations inline_ops = std::is_trivially_copyable_v<T>
        ? operations{[](void* s) { std::invoke(*std::launder(static_cast<T*>(s))); }, nullptr, nullptr}
        : operations{
              [](void* s) { std::invoke(*std::launder(static_cast<T*>(s))); },
              [](void* from, void* to) noexcept {
                  T* source = std::launder(static_cast<T*>(from));
                  ::new (to) T(std::move(*source));
                  source->~T();
              },
              [](void* s) noexcept { std::launder(static_cast<T*>(s))->~T(); },
          };

    template <typename T>
    static constexpr operations heap_ops{
        [](void* s) { std::invoke(**std::launder(static_cast<T**>(s))); },
        nullptr,  // the pointer's bytes move
        [](void* s) noexcept { delete *std::launder(static_cast<T**>(s)); },
    };

    alignas(void*) unsigned char storage_[inline_size];
    const operations* ops_ = nullptr;
};

}  // namespace ce
