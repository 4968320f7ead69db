#pragma once
/**
 * @file
 * ce::async_semaphore: Python's `asyncio.Semaphore` for coroutines of one event loop.
 * `co_await sem.acquire()` returns a permit that gives its slot back when destroyed,
 * so `async with sem:` becomes a scope. Waiters are served in arrival order, and a
 * released slot goes straight to the oldest waiter, so a stream of new arrivals cannot
 * overtake it.
 *
 * @snippet async_patterns/task_scheduling.cpp semaphore
 */

#include <ce/error.hpp>
#include <ce/event_loop.hpp>

#include <chrono>
#include <coroutine>
#include <cstddef>
#include <utility>

namespace ce {

/// A counting semaphore whose waits are coroutine suspensions. It must outlive every
/// task that waits on it and every permit it handed out (a permit gives its slot back
/// to it).
class async_semaphore {
public:
    /// Starts with `permits` free slots.
    async_semaphore(event_loop& loop, std::size_t permits) noexcept : loop_(&loop), free_(permits) {}
    async_semaphore(const async_semaphore&) = delete;             ///< Waiters point at it.
    async_semaphore& operator=(const async_semaphore&) = delete;  ///< Waiters point at it.
    async_semaphore(async_semaphore&&) = delete;                  ///< Waiters point at it.
    async_semaphore& operator=(async_semaphore&&) = delete;       ///< Waiters point at it.
    ~async_semaphore() = default;

    /// A held slot; destroying (or reset()ting) it releases the slot. Move-only.
    class [[nodiscard]] permit {
    public:
        permit() noexcept = default;  ///< Holds no slot.
        /// Takes the slot; `other` holds none.
        permit(permit&& other) noexcept : sem_(std::exchange(other.sem_, nullptr)) {}
        /// Releases this slot and takes `other`'s.
        permit& operator=(permit&& other) noexcept {
            if (this != &other) {
                reset();
                sem_ = std::exchange(other.sem_, nullptr);
            }
            return *this;
        }
        permit(const permit&) = delete;             ///< One slot, one holder.
        permit& operator=(const permit&) = delete;  ///< One slot, one holder.
        ~permit() { reset(); }
        /// Releases the slot now.
        void reset() noexcept {
            if (sem_ != nullptr) {
                std::exchange(sem_, nullptr)->release();
            }
        }
        /// True while a slot is held.
        explicit operator bool() const noexcept { return sem_ != nullptr; }

    private:
        friend async_semaphore;
        explicit permit(async_semaphore* sem) noexcept : sem_(sem) {}
        async_semaphore* sem_ = nullptr;
    };

    /// @cond CE_AWAITER_INTERNALS
    class acquire_awaiter : public detail::waiter {
    public:
        acquire_awaiter(async_semaphore& sem, std::chrono::nanoseconds timeout) noexcept : sem_(&sem), timeout_(timeout) {}
        acquire_awaiter(const acquire_awaiter&) = delete;
        acquire_awaiter& operator=(const acquire_awaiter&) = delete;
        acquire_awaiter(acquire_awaiter&&) = delete;
        acquire_awaiter& operator=(acquire_awaiter&&) = delete;
        ~acquire_awaiter() = default;

        [[nodiscard]] bool await_ready() noexcept {
            if (sem_->free_ > 0 && sem_->waiters_.empty()) {
                --sem_->free_;
                return true;
            }
            return false;
        }
        template <typename Promise>
        void await_suspend(std::coroutine_handle<Promise> h) {
            sem_->loop_->suspend(*this, h, timeout_, &sem_->waiters_);
            suspended_ = true;
        }
        permit await_resume() {
            if (suspended_) {
                // Woken as ready means release() handed this waiter its slot.
                sem_->loop_->finish_or_throw(*this, "ce::async_semaphore::acquire");
            }
            return permit(sem_);
        }

    private:
        async_semaphore* sem_;
        std::chrono::nanoseconds timeout_;
        bool suspended_ = false;
    };
    /// @endcond

    /// `co_await sem.acquire()`: a permit, once a slot is free. Ends with
    /// ce::timeout_error or ce::cancelled_error holding nothing.
    [[nodiscard]] acquire_awaiter acquire(std::chrono::nanoseconds timeout = no_timeout) noexcept {
        return {*this, timeout};
    }

    /// Free slots now.
    [[nodiscard]] std::size_t available() const noexcept { return free_; }

private:
    void release() noexcept {
        if (!waiters_.empty()) {
            loop_->wake(*waiters_.front(), detail::wake_reason::ready);  // the slot passes on
        } else {
            ++free_;
        }
    }

    event_loop* loop_;
    std::size_t free_;
    detail::waiter_list waiters_;
};

}  // namespace ce
