#pragma once
/**
 * @file
 * ce::channel: a bounded queue between coroutines on one event loop, Python's
 * `asyncio.Queue(maxsize=n)`. A sender waits while the channel is full, so a fast
 * producer runs at the speed of its consumer instead of filling memory
 * (backpressure); the buffer never holds more than its capacity.
 *
 * @snippet async_patterns/task_scheduling.cpp channel
 *
 * close() ends the stream: waiting receivers get `std::nullopt` once the buffer is
 * drained, and waiting or later senders get ce::channel_closed. Both waits take a
 * timeout and end with ce::cancelled_error on a stop request; a send that ends that
 * way did not deliver its value. Destroying a channel closes it: its waiters resume as
 * after close() and do not touch it again.
 */

#include <ce/error.hpp>
#include <ce/event_loop.hpp>

#include <chrono>
#include <coroutine>
#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <utility>

namespace ce {

/// A send on a closed ce::channel.
class channel_closed : public usage_error {
public:
    using usage_error::usage_error;
};

/// A bounded FIFO channel for coroutines of one ce::event_loop.
template <typename T>
class channel {
public:
    /// @throws ce::usage_error when `capacity` is 0.
    channel(event_loop& loop, std::size_t capacity) : loop_(&loop), capacity_(capacity) {
        if (capacity == 0) {
            throw usage_error("ce::channel: capacity must be at least 1");
        }
    }
    channel(const channel&) = delete;             ///< Waiters point at the channel.
    channel& operator=(const channel&) = delete;  ///< Waiters point at the channel.
    channel(channel&&) = delete;                  ///< Waiters point at the channel.
    channel& operator=(channel&&) = delete;       ///< Waiters point at the channel.
    ~channel() { close(); }

    class send_awaiter;     ///< Awaitable returned by send(); `co_await` yields nothing.
    class receive_awaiter;  ///< Awaitable returned by receive(); `co_await` yields `std::optional<T>`.

    /// `co_await ch.send(v)`: queues `v`, first waiting while the channel is full.
    [[nodiscard]] send_awaiter send(T value, std::chrono::nanoseconds timeout = no_timeout) {
        return send_awaiter(*this, std::move(value), timeout);
    }
    /// `co_await ch.receive()`: the oldest value, waiting while empty; `nullopt` once closed and drained.
    [[nodiscard]] receive_awaiter receive(std::chrono::nanoseconds timeout = no_timeout) {
        return receive_awaiter(*this, timeout);
    }

    /// Ends the stream; idempotent. Values already queued can still be received.
    void close() noexcept {
        closed_ = true;
        while (!receivers_.empty()) {
            loop_->wake(*receivers_.front(), detail::wake_reason::ready);
        }
        while (!senders_.empty()) {
            loop_->wake(*senders_.front(), detail::wake_reason::ready);  // not delivered: throws
        }
    }

    [[nodiscard]] std::size_t size() const noexcept { return buffer_.size(); }         ///< Values queued now.
    [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }          ///< The bound.
    [[nodiscard]] bool closed() const noexcept { return closed_; }                     ///< close() was called.
    [[nodiscard]] std::size_t waiting_senders() const noexcept { return count(senders_); }  ///< Blocked senders.

    /// @cond CE_AWAITER_INTERNALS
    class send_awaiter : public detail::waiter {
    public:
        send_awaiter(channel& ch, T value, std::chrono::nanoseconds timeout)
            : ch_(&ch), value_(std::move(value)), timeout_(timeout) {}
        send_awaiter(const send_awaiter&) = delete;
        send_awaiter& operator=(const send_awaiter&) = delete;
        send_awaiter(send_awaiter&&) = delete;
        send_awaiter& operator=(send_awaiter&&) = delete;
        ~send_awaiter() = default;

        [[nodiscard]] bool await_ready() {
            ch_->throw_if_closed();
            if (!ch_->receivers_.empty()) {  // the buffer is empty: hand the value over
                auto& r = static_cast<receive_awaiter&>(*ch_->receivers_.front());
                r.slot_.emplace(std::move(value_));
                ch_->loop_->wake(r, detail::wake_reason::ready);
                return true;
            }
            if (ch_->buffer_.size() < ch_->capacity_) {
                ch_->buffer_.push_back(std::move(value_));
                return true;
            }
            return false;
        }
        template <typename Promise>
        void await_suspend(std::coroutine_handle<Promise> h) {
            ch_->loop_->suspend(*this, h, timeout_, &ch_->senders_);
            suspended_ = true;
        }
        void await_resume() {
            if (!suspended_) {
                return;
            }
            // Through the waiter's own loop pointer: a channel destroyed while this send
            // waited has closed (and woken it) and must not be touched again.
            this->loop->finish_or_throw(*this, "ce::channel::send");
            if (!delivered_) {
                throw channel_closed("ce::channel::send: the channel was closed while the send waited");
            }
        }

    private:
        friend channel;
        channel* ch_;
        T value_;
        std::chrono::nanoseconds timeout_;
        bool suspended_ = false;
        bool delivered_ = false;
    };
    /// @endcond

    /// @cond CE_AWAITER_INTERNALS
    class receive_awaiter : public detail::waiter {
    public:
        receive_awaiter(channel& ch, std::chrono::nanoseconds timeout) : ch_(&ch), timeout_(timeout) {}
        receive_awaiter(const receive_awaiter&) = delete;
        receive_awaiter& operator=(const receive_awaiter&) = delete;
        receive_awaiter(receive_awaiter&&) = delete;
        receive_awaiter& operator=(receive_awaiter&&) = delete;
        ~receive_awaiter() = default;

        [[nodiscard]] bool await_ready() {
            if (!ch_->buffer_.empty()) {
                slot_.emplace(std::move(ch_->buffer_.front()));
                ch_->buffer_.pop_front();
                ch_->refill();
                return true;
            }
            return ch_->closed_;  // closed and drained: nullopt
        }
        template <typename Promise>
        void await_suspend(std::coroutine_handle<Promise> h) {
            ch_->loop_->suspend(*this, h, timeout_, &ch_->receivers_);
            suspended_ = true;
        }
        std::optional<T> await_resume() {
            if (suspended_) {
                this->loop->finish_or_throw(*this, "ce::channel::receive");  // see send
            }
            return std::move(slot_);
        }

    private:
        friend channel;
        friend send_awaiter;  // hands a value straight to a waiting receiver
        channel* ch_;
        std::chrono::nanoseconds timeout_;
        std::optional<T> slot_;
        bool suspended_ = false;
    };
    /// @endcond

private:
    void throw_if_closed() const {
        if (closed_) {
            throw channel_closed("ce::channel::send: the channel is closed");
        }
    }
    // A value left the buffer: move the oldest waiting sender's value in.
    void refill() {
        if (!senders_.empty() && buffer_.size() < capacity_) {
            auto& s = static_cast<send_awaiter&>(*senders_.front());
            buffer_.push_back(std::move(s.value_));
            s.delivered_ = true;
            loop_->wake(s, detail::wake_reason::ready);
        }
    }
    static std::size_t count(const detail::waiter_list& list) noexcept {
        std::size_t n = 0;
        for (const detail::waiter* w = list.front(); w != nullptr; w = w->next) {
            ++n;
        }
        return n;
    }

    event_loop* loop_;
    std::size_t capacity_;
    std::deque<T> buffer_;
    detail::waiter_list senders_;
    detail::waiter_list receivers_;
    bool closed_ = false;
};

}  // namespace ce
