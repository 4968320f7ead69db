#pragma once
/**
 * @file
 * An event loop on Linux's epoll, timerfd and eventfd, modelled on one iteration of
 * asyncio's `BaseEventLoop._run_once`:
 *
 * 1. wait for file descriptors, without blocking when callbacks are ready, otherwise
 *    until the earliest timer (the timerfd is armed for it) or a wake-up from another
 *    thread (the eventfd);
 * 2. move callbacks that other threads queued with call_soon_threadsafe, and the
 *    awaitables whose descriptors became ready, to the ready queue;
 * 3. move every timer that is due to the ready queue, earliest deadline first and, for
 *    equal deadlines, in the order they were scheduled;
 * 4. run what is queued now (the callbacks ready when the iteration began, and what
 *    steps 2 and 3 added); callbacks they schedule run in the next iteration, so a
 *    callback that reschedules itself cannot starve I/O or timers.
 *
 * @snippet async_patterns/event_loop.cpp loop-order
 *
 * One thread runs a loop; every member except call_soon_threadsafe() and stop() must
 * be called on that thread (or while no thread runs the loop). An exception that
 * escapes a callback is logged and the loop goes on, as in asyncio. With
 * `event_loop_options::debug`, every callback is timed and one that runs longer than
 * `slow_callback_duration` is reported through the loop's ce::logger, like asyncio's
 * debug mode.
 *
 * Coroutines wait on the loop through awaitables: sleep(), schedule(), the sockets
 * (ce::tcp_stream, ce::tcp_listener), ce::channel and ce::async_semaphore. Each such wait ends early with
 * ce::cancelled_error when the waiting task's stop token is triggered, and with
 * ce::timeout_error when it has a timeout that expires.
 */

#include <ce/callback.hpp>
#include <ce/error.hpp>
#include <ce/log_sink.hpp>
#include <ce/logger.hpp>
#include <ce/scope_guard.hpp>
#include <ce/task.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <coroutine>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <source_location>
#include <stop_token>
#include <string>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

namespace ce {

/// The loop's clock: `std::chrono::steady_clock`, which is CLOCK_MONOTONIC on Linux.
using loop_clock = std::chrono::steady_clock;

/// "Wait as long as it takes": the default timeout of the book's awaitables.
inline constexpr std::chrono::nanoseconds no_timeout = std::chrono::nanoseconds::max();

/// Identifies a timer from call_later() or call_at(), for event_loop::cancel().
struct timer_handle {
    std::uint32_t slot = 0;        ///< Index into the loop's timer table.
    std::uint32_t generation = 0;  ///< 0 for "no timer"; a slot's timers count up from 1.
    /// True when this names a timer (which may have fired or been cancelled since).
    explicit operator bool() const noexcept { return generation != 0; }
};

/// How an event loop reports problems.
struct event_loop_options {
    /// Where exceptions from callbacks, failed spawned tasks and slow callbacks are
    /// reported. Without one, the loop writes logfmt lines to `std::cerr`.
    std::optional<logger> log;
    /// asyncio's debug mode: time every callback and warn about slow ones.
    bool debug = false;
    /// In debug mode, callbacks that run at least this long are reported.
    std::chrono::nanoseconds slow_callback_duration = std::chrono::milliseconds(100);
};

class event_loop;

namespace detail {

enum class wake_reason : std::uint8_t { none, ready, timeout, cancelled, closed };

class waiter_list;

// Runs on whichever thread requests the stop: cancels the waiter with this id.
struct stop_request {
    event_loop* loop;
    std::uint64_t id;
    void operator()() const noexcept;
};

/**
 * One suspended wait: lives in the awaiting coroutine's frame (inside an awaiter) and
 * is ended exactly once, by whichever comes first of readiness, its timer, a stop
 * request or the closing of its descriptor. Destroying a waiter that is still
 * registered (its frame was destroyed mid-wait) unregisters it.
 */
struct waiter {
    waiter() = default;
    waiter(const waiter&) = delete;
    waiter& operator=(const waiter&) = delete;
    waiter(waiter&&) = delete;
    waiter& operator=(waiter&&) = delete;
    ~waiter();

    event_loop* loop = nullptr;
    std::coroutine_handle<> coro;
    wake_reason reason = wake_reason::none;
    // For I/O: perform the operation when the descriptor is ready; false means it
    // would still block, so keep waiting.
    bool (*try_complete)(waiter&) = nullptr;
    waiter* prev = nullptr;
    waiter* next = nullptr;
    waiter_list* list = nullptr;
    timer_handle timer{};
    std::uint64_t stop_id = 0;
    std::optional<std::stop_callback<stop_request>> on_stop;
};

// An intrusive FIFO of waiters: O(1) append and unlink, no allocation.
class waiter_list {
public:
    waiter_list() = default;
    waiter_list(const waiter_list&) = delete;
    waiter_list& operator=(const waiter_list&) = delete;
    waiter_list(waiter_list&&) = delete;
    waiter_list& operator=(waiter_list&&) = delete;
    ~waiter_list() {
        while (head_ != nullptr) {
            remove(*head_);
        }
    }

    [[nodiscard]] bool empty() const noexcept { return head_ == nullptr; }
    [[nodiscard]] waiter* front() const noexcept { return head_; }
    void push_back(waiter& w) noexcept {
        w.list = this;
        w.prev = tail_;
        w.next = nullptr;
        (tail_ != nullptr ? tail_->next : head_) = &w;
        tail_ = &w;
    }
    void remove(waiter& w) noexcept {
        (w.prev != nullptr ? w.prev->next : head_) = w.next;
        (w.next != nullptr ? w.next->prev : tail_) = w.prev;
        w.prev = w.next = nullptr;
        w.list = nullptr;
    }

private:
    waiter* head_ = nullptr;
    waiter* tail_ = nullptr;
};

struct ready_item {
    std::coroutine_handle<> coro;  // resumed when set, else `fn` is called
    callback fn;
    std::source_location where;
};

// The loop's FIFO of ready work, in blocks: growing never moves an item (a million
// queued callbacks would otherwise be moved some twenty times as a vector doubles), and
// a drained queue keeps a few blocks for the next iteration.
class ready_queue {
public:
    ready_queue() { spare_.reserve(max_spare); }  // so that clear() never allocates
    void push_back(ready_item&& item) {
        if (blocks_.empty() || blocks_.back().size() == block_size) {
            add_block();
        }
        blocks_.back().push_back(std::move(item));
        ++size_;
    }
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
    template <typename F>
    void for_each(F f) {
        for (std::vector<ready_item>& block : blocks_) {
            for (ready_item& item : block) {
                f(item);
            }
        }
    }
    void clear() noexcept {
        for (std::vector<ready_item>& block : blocks_) {
            block.clear();
            if (spare_.size() < max_spare) {
                spare_.push_back(std::move(block));  // within the capacity reserved at construction
            }
        }
        blocks_.clear();
        size_ = 0;
    }
    void swap(ready_queue& other) noexcept {
        blocks_.swap(other.blocks_);
        std::swap(size_, other.size_);
    }

private:
    static constexpr std::size_t block_size = 512;
    static constexpr std::size_t max_spare = 8;
    void add_block() {
        if (spare_.empty()) {
            blocks_.emplace_back().reserve(block_size);
        } else {
            blocks_.push_back(std::move(spare_.back()));
            spare_.pop_back();
        }
    }
    std::vector<std::vector<ready_item>> blocks_;
    std::vector<std::vector<ready_item>> spare_;
    std::size_t size_ = 0;
};

}  // namespace detail

/**
 * A single-threaded event loop: callbacks, timers, descriptor readiness and the
 * coroutines that wait on them. Not copyable or movable (awaitables point at it).
 * Destroying the loop destroys the frames of tasks spawned on it that have not
 * finished (running their destructors), then closes its descriptors.
 */
class event_loop {
public:
    /// Creates the epoll instance, the timerfd and the eventfd. @throws std::system_error
    explicit event_loop(event_loop_options options = {}) : log_(make_log(std::move(options.log))) {
        debug_ = options.debug;
        slow_ = options.slow_callback_duration;
        epoll_ = check(::epoll_create1(EPOLL_CLOEXEC), "epoll_create1");
        timer_fd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (timer_fd_ < 0 || wake_fd_ < 0) {
            const int saved = errno;
            close_fds();
            throw std::system_error(saved, std::generic_category(), "ce::event_loop: timerfd/eventfd");
        }
        add_internal(timer_fd_);
        add_internal(wake_fd_);
    }
    event_loop(const event_loop&) = delete;             ///< Awaitables point at their loop.
    event_loop& operator=(const event_loop&) = delete;  ///< Awaitables point at their loop.
    event_loop(event_loop&&) = delete;                  ///< Awaitables point at their loop.
    event_loop& operator=(event_loop&&) = delete;       ///< Awaitables point at their loop.
    ~event_loop() {
        spawned_.destroy_all();  // first: their destructors unregister waiters from this loop
        close_fds();
    }

    /// The loop's current time.
    [[nodiscard]] static std::chrono::steady_clock::time_point now() noexcept { return loop_clock::now(); }

    /// Schedules `f` to run in the next iteration (asyncio's `call_soon`). Loop thread only.
    template <typename F>
    void call_soon(F&& f, std::source_location where = std::source_location::current()) {
        require_loop_thread("call_soon");
        ready_.push_back({nullptr, callback(std::forward<F>(f)), where});
    }
    /// Schedules the resumption of a suspended coroutine. Loop thread only.
    void call_soon(std::coroutine_handle<> h) {
        require_loop_thread("call_soon");
        ready_.push_back({h, {}, {}});
    }

    /**
     * Runs `f` once `delay` has passed (asyncio's `call_later`); timers with equal
     * deadlines run in the order they were scheduled. Loop thread only.
     * @throws ce::usage_error when `delay` is negative.
     */
    template <typename F>
    timer_handle call_later(std::chrono::nanoseconds delay, F&& f,
                            std::source_location where = std::source_location::current()) {
        if (delay < std::chrono::nanoseconds::zero()) {
            throw usage_error("ce::event_loop::call_later: negative delay (" + std::to_string(delay.count()) +
                              " ns); a deadline in the past is call_at's business");
        }
        return call_at(now() + delay, std::forward<F>(f), where);
    }

    /// Runs `f` at `when` (asyncio's `call_at`); a past deadline runs in the next iteration.
    template <typename F>
    timer_handle call_at(std::chrono::steady_clock::time_point when, F&& f,
                         std::source_location where = std::source_location::current()) {
        require_loop_thread("call_at");
        std::uint32_t slot = 0;
        if (free_slots_.empty()) {
            slot = static_cast<std::uint32_t>(slots_.size());
            slots_.emplace_back();
            if (free_slots_.capacity() < slots_.size()) {
                free_slots_.reserve(slots_.capacity());  // so that release_slot() cannot throw
            }
        } else {
            slot = free_slots_.back();
            free_slots_.pop_back();
        }
        timer_slot& s = slots_[slot];
        s.fn = callback(std::forward<F>(f));
        s.where = where;
        heap_.push_back({when, next_seq_++, slot, s.generation});
        std::push_heap(heap_.begin(), heap_.end(), later);
        return {slot, s.generation};
    }

    /// Cancels a pending timer; false when it already ran or was cancelled.
    bool cancel(timer_handle t) noexcept {
        if (!t || t.slot >= slots_.size() || slots_[t.slot].generation != t.generation) {
            return false;
        }
        if (slots_[t.slot].due) {
            --due_timers_;  // already queued to run in this iteration: it will be skipped
        } else {
            ++dead_timers_;  // its heap entry is dropped when it reaches the top
        }
        release_slot(t.slot);
        return true;
    }

    /// Number of timers scheduled and neither run nor cancelled.
    [[nodiscard]] std::size_t pending_timers() const noexcept { return heap_.size() - dead_timers_ + due_timers_; }

    /**
     * Schedules `f` from any thread and wakes the loop if it sleeps (asyncio's
     * `call_soon_threadsafe`). Callbacks from one thread run in the order queued.
     */
    template <typename F>
    void call_soon_threadsafe(F&& f, std::source_location where = std::source_location::current()) {
        {
            const std::lock_guard lock(remote_mutex_);
            remote_.push_back({nullptr, callback(std::forward<F>(f)), where});
        }
        wake_up();
    }
    /// Resumes `h` on the loop's thread; callable from any thread.
    void call_soon_threadsafe(std::coroutine_handle<> h) {
        {
            const std::lock_guard lock(remote_mutex_);
            remote_.push_back({h, {}, {}});
        }
        wake_up();
    }

    /**
     * Calls `f` in every iteration in which `fd` is readable, until remove_reader
     * (asyncio's `add_reader`; level-triggered). Replaces an earlier reader of `fd`.
     * @throws ce::usage_error when `fd` is watched by awaitables (watch()).
     */
    void add_reader(int fd, callback f) { set_handler(fd, std::move(f), true); }
    /// Like add_reader(), for writability.
    void add_writer(int fd, callback f) { set_handler(fd, std::move(f), false); }
    /// Stops calling the reader of `fd`; false when there was none.
    bool remove_reader(int fd) { return clear_handler(fd, true); }
    /// Stops calling the writer of `fd`; false when there was none.
    bool remove_writer(int fd) { return clear_handler(fd, false); }

    /**
     * Registers a non-blocking `fd` for awaitables (edge-triggered, read and write):
     * they try their operation first and wait in readers(fd) or writers(fd) only when
     * it would block. @throws ce::usage_error when `fd` is registered already.
     */
    void watch(int fd) {
        require_loop_thread("watch");
        auto [it, inserted] = fds_.try_emplace(fd);
        if (!inserted) {
            throw usage_error("ce::event_loop::watch: descriptor " + std::to_string(fd) + " is registered already");
        }
        it->second.generation = ++fd_generation_;
        it->second.edge = true;
        epoll_event ev{};
        ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
        ev.data.u64 = key(fd, it->second.generation);
        if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev) != 0) {
            const int saved = errno;
            fds_.erase(it);
            throw std::system_error(saved, std::generic_category(), "ce::event_loop::watch: epoll_ctl");
        }
    }
    /// Unregisters `fd` (before closing it): its waiters end with a ce::error.
    void unwatch(int fd) noexcept {
        const auto it = fds_.find(fd);
        if (it == fds_.end()) {
            return;
        }
        for (detail::waiter_list* list : {&it->second.readers, &it->second.writers}) {
            while (!list->empty()) {
                wake(*list->front(), detail::wake_reason::closed);
            }
        }
        ::epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
        fds_.erase(it);
    }
    /// @cond CE_AWAITER_INTERNALS
    /// The waiters for readability of a watched `fd`. @throws ce::usage_error if not watched.
    [[nodiscard]] detail::waiter_list& readers(int fd) { return watched(fd).readers; }
    /// The waiters for writability of a watched `fd`. @throws ce::usage_error if not watched.
    [[nodiscard]] detail::waiter_list& writers(int fd) { return watched(fd).writers; }

    /// @endcond

    /**
     * Runs iterations until stop() is called (asyncio's `run_forever`). stop() called
     * before run() makes it run one iteration.
     * @throws ce::usage_error when the loop is already running, on this thread or another.
     */
    void run() {
        claim();
        const scope_exit release_owner([this]() noexcept { owner_.store(std::thread::id{}, std::memory_order_release); });
        run_claimed();
    }

    /// Makes run() return after the current iteration. Callable from any thread.
    void stop() noexcept {
        stopping_.store(true, std::memory_order_release);
        if (!on_loop_thread()) {
            wake_up();
        }
    }

    /// True while some thread is inside run().
    [[nodiscard]] bool is_running() const noexcept { return owner_.load(std::memory_order_acquire) != std::thread::id{}; }
    /// True on the thread inside run().
    [[nodiscard]] bool on_loop_thread() const noexcept {
        return owner_.load(std::memory_order_acquire) == std::this_thread::get_id();
    }

    /**
     * Runs the loop until `t` finishes and returns its value or rethrows its exception
     * (asyncio's `run_until_complete`, and `asyncio.run` when the loop is new).
     * @throws ce::usage_error when the loop is stopped before `t` finishes.
     */
    template <typename T>
    T run_until_complete(task<T> t) {
        detail::root<T> r = detail::make_root(std::move(t));
        struct state {
            event_loop* loop;
            bool done;
        } s{this, false};
        r.handle().promise().on_done(
            [](void* context, std::coroutine_handle<>) noexcept -> std::coroutine_handle<> {
                auto& st = *static_cast<state*>(context);
                st.done = true;
                st.loop->stop();
                return std::noop_coroutine();
            },
            &s);
        claim();
        const scope_exit release_owner([this]() noexcept { owner_.store(std::thread::id{}, std::memory_order_release); });
        ready_.push_back({r.handle(), {}, {}});
        run_claimed();
        if (!s.done) {
            // The frame is destroyed with `r`; its waiters unregister themselves.
            throw usage_error("ce::event_loop::run_until_complete: the loop was stopped before the task finished");
        }
        return r.handle().promise().take();
    }

    /**
     * Starts `t` in the next iteration and lets it run on its own (asyncio's
     * `create_task` without keeping the task). An exception that escapes it, other
     * than ce::cancelled_error, is logged. Frames still suspended when the loop is
     * destroyed are destroyed with it. Loop thread only.
     */
    void spawn(task<void> t, std::source_location where = std::source_location::current()) {
        require_loop_thread("spawn");
        detail::root<void> r = detail::make_root(std::move(t));
        spawned_.add(r.handle());
        r.handle().promise().on_done(
            [](void* context, std::coroutine_handle<> frame) noexcept -> std::coroutine_handle<> {
                auto& loop = *static_cast<event_loop*>(context);
                loop.finish_spawned(frame);
                return std::noop_coroutine();
            },
            this);
        ready_.push_back({r.release(), {}, where});
    }

    /// Number of spawned tasks that have not finished.
    [[nodiscard]] std::size_t spawned() const noexcept { return spawned_.size(); }

    /// Awaitable returned by sleep().
    class sleep_awaiter;
    /**
     * `co_await loop.sleep(d)`: resumes after `d` (asyncio's `sleep`); zero yields to
     * the other ready callbacks. Ends with ce::cancelled_error if a stop is requested.
     * @throws ce::usage_error when `d` is negative.
     */
    [[nodiscard]] sleep_awaiter sleep(std::chrono::nanoseconds d);

    /// Awaitable returned by schedule().
    class schedule_awaiter;
    /**
     * `co_await loop.schedule()`: continues on the loop's thread in its next iteration,
     * from any thread; a cancellation point, like `asyncio.sleep(0)`.
     */
    [[nodiscard]] schedule_awaiter schedule() noexcept;

    /// @cond CE_AWAITER_INTERNALS
    // For the book's awaitables (sockets, channel, semaphore): the waits they suspend in.
    /**
     * For awaitable authors: parks `w` until wake() (or its `timeout`, or a stop
     * request on `h`'s token). `list`, when given, is where wakers find it.
     * @throws ce::usage_error on a thread that is not running the loop, or for a
     * negative timeout.
     */
    template <typename Promise>
    void suspend(detail::waiter& w, std::coroutine_handle<Promise> h, std::chrono::nanoseconds timeout,
                 detail::waiter_list* list) {
        require_loop_thread("co_await");
        if (timeout < std::chrono::nanoseconds::zero()) {
            throw usage_error("ce::event_loop: negative timeout (" + std::to_string(timeout.count()) + " ns)");
        }
        w.loop = this;
        w.coro = h;
        w.reason = detail::wake_reason::none;
        if (list != nullptr) {
            list->push_back(w);
        }
        if (timeout != no_timeout) {
            w.timer = call_later(timeout, [this, &w] {
                w.timer = {};
                wake(w, detail::wake_reason::timeout);
            });
        }
        std::stop_token token = detail::stop_token_of(h);
        if (token.stop_possible()) {
            w.stop_id = ++stop_seq_;
            stop_waiters_.emplace(w.stop_id, &w);
            w.on_stop.emplace(std::move(token), detail::stop_request{this, w.stop_id});
        }
    }

    /// Ends `w`'s wait (the first call counts) and queues its coroutine.
    void wake(detail::waiter& w, detail::wake_reason reason) noexcept {
        if (w.reason != detail::wake_reason::none) {
            return;
        }
        w.reason = reason;
        if (w.list != nullptr) {
            w.list->remove(w);
        }
        if (w.timer) {
            cancel(std::exchange(w.timer, {}));
        }
        ready_.push_back({w.coro, {}, {}});
    }

    /**
     * For awaitable authors, from `await_resume`: unregisters `w` and returns why it
     * woke. @throws ce::error when its descriptor was closed meanwhile.
     */
    detail::wake_reason finish(detail::waiter& w) {
        release_stop(w);
        w.loop = nullptr;
        if (w.reason == detail::wake_reason::closed) {
            throw error("ce::event_loop: the descriptor was closed while a coroutine waited on it");
        }
        return w.reason;
    }
    /// finish(), then ce::timeout_error or ce::cancelled_error unless `w` became ready.
    void finish_or_throw(detail::waiter& w, const char* what) {
        switch (finish(w)) {
            case detail::wake_reason::timeout:
                throw timeout_error(std::string(what) + ": timed out");
            case detail::wake_reason::cancelled:
                throw cancelled_error(std::string(what) + ": cancelled");
            default:
                return;
        }
    }

    /// @endcond

private:
    friend struct detail::stop_request;
    friend struct detail::waiter;

    struct timer_entry {
        loop_clock::time_point when;
        std::uint64_t seq;
        std::uint32_t slot;
        std::uint32_t generation;
    };
    struct timer_slot {
        callback fn;
        std::source_location where;
        std::uint32_t generation = 1;
        bool due = false;  // moved to the ready queue, not run yet
    };
    struct fd_entry {
        std::uint32_t generation = 0;
        bool edge = false;
        bool want_read = false;
        bool want_write = false;
        std::uint32_t events = 0;
        callback reader;
        callback writer;
        detail::waiter_list readers;
        detail::waiter_list writers;
    };

    // Min-heap order: earlier deadline first, then earlier scheduling (FIFO). A function
    // object, so that the heap algorithms inline it.
    struct later_t {
        bool operator()(const timer_entry& a, const timer_entry& b) const noexcept {
            return a.when != b.when ? a.when > b.when : a.seq > b.seq;
        }
    };
    static constexpr later_t later{};
    static std::uint64_t key(int fd, std::uint32_t generation) noexcept {
        return (std::uint64_t{generation} << 32U) | static_cast<std::uint32_t>(fd);
    }
    static int check(int rc, const char* what) {
        if (rc < 0) {
            throw std::system_error(errno, std::generic_category(), std::string("ce::event_loop: ") + what);
        }
        return rc;
    }
    static logger make_log(std::optional<logger> log) {
        if (log) {
            return std::move(*log);
        }
        return logger(std::make_shared<ostream_sink>(std::cerr), {.format = log_format::logfmt, .level = log_level::info});
    }

    void close_fds() noexcept {
        for (int* fd : {&wake_fd_, &timer_fd_, &epoll_}) {
            if (*fd >= 0) {
                ::close(std::exchange(*fd, -1));
            }
        }
    }
    void add_internal(int fd) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = key(fd, 0);
        check(::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev), "epoll_ctl");
    }

    void claim() {
        std::thread::id none{};
        if (!owner_.compare_exchange_strong(none, std::this_thread::get_id(), std::memory_order_acq_rel)) {
            throw usage_error(none == std::this_thread::get_id()
                                  ? "ce::event_loop::run: the loop is already running (run called from its own callback)"
                                  : "ce::event_loop::run: the loop is already running on another thread");
        }
    }
    void run_claimed() {
        do {
            run_once();
        } while (!stopping_.exchange(false, std::memory_order_acq_rel));
    }
    void require_loop_thread(const char* what) const {
        const std::thread::id owner = owner_.load(std::memory_order_acquire);
        if (owner != std::thread::id{} && owner != std::this_thread::get_id()) {
            throw usage_error(std::string("ce::event_loop::") + what +
                              ": called from a thread that is not running the loop; use call_soon_threadsafe");
        }
    }

    void wake_up() noexcept {
        if (!wake_pending_.exchange(true, std::memory_order_acq_rel)) {
            const std::uint64_t one = 1;
            [[maybe_unused]] const auto n = ::write(wake_fd_, &one, sizeof one);
        }
    }

    // A due timer's turn in the ready queue: run it unless it was cancelled meanwhile.
    void fire_timer(std::uint32_t slot, std::uint32_t generation) {
        timer_slot& s = slots_[slot];
        if (s.generation != generation) {
            return;
        }
        callback fn = std::move(s.fn);
        --due_timers_;
        release_slot(slot);
        fn();
    }

    void release_slot(std::uint32_t slot) noexcept {
        timer_slot& s = slots_[slot];
        s.fn.reset();
        s.due = false;
        if (++s.generation == 0) {
            s.generation = 1;
        }
        free_slots_.push_back(slot);  // within the capacity reserved by call_at()
    }

    void release_stop(detail::waiter& w) noexcept {
        w.on_stop.reset();  // waits for a stop callback running on another thread
        if (w.stop_id != 0) {
            stop_waiters_.erase(std::exchange(w.stop_id, 0));
        }
    }

    // A waiter's frame is being destroyed while it may still be registered.
    void forget(detail::waiter& w) noexcept {
        release_stop(w);
        if (w.reason == detail::wake_reason::none) {
            if (w.list != nullptr) {
                w.list->remove(w);
            }
            if (w.timer) {
                cancel(std::exchange(w.timer, {}));
            }
        } else {
            for (detail::ready_queue* queue : {&ready_, &running_}) {
                queue->for_each([&w](detail::ready_item& item) {
                    if (item.coro == w.coro) {
                        item.coro = nullptr;
                    }
                });
            }
        }
        w.loop = nullptr;
    }

    void cancel_waiter(std::uint64_t id) noexcept {
        const auto it = stop_waiters_.find(id);
        if (it != stop_waiters_.end()) {
            wake(*it->second, detail::wake_reason::cancelled);
        }
    }

    void finish_spawned(std::coroutine_handle<> frame) noexcept {
        const auto h = std::coroutine_handle<detail::root_promise<void>>::from_address(frame.address());
        if (const std::exception_ptr e = h.promise().exception()) {
            report(e, "a spawned task failed", nullptr);
        }
        spawned_.finish(frame);
    }

    void report(const std::exception_ptr& e, const char* message, const std::source_location* where) noexcept {
        try {
            try {
                std::rethrow_exception(e);
            } catch (const cancelled_error&) {
                return;  // cancellation is how a task is asked to end: not a failure
            } catch (const std::exception& ex) {
                log_error(message, ex.what(), where);
            } catch (...) {
                log_error(message, "an exception not derived from std::exception", where);
            }
        } catch (...) {  // NOLINT(bugprone-empty-catch): the logger failed; nowhere left to report
        }
    }
    void log_error(const char* message, const char* what, const std::source_location* where) const {
        if (where != nullptr && where->line() != 0) {
            log_.error(message, "error", what, "scheduled_at", location(*where));
        } else {
            log_.error(message, "error", what);
        }
    }
    static std::string location(const std::source_location& where) {
        std::string_view file = where.file_name();
        if (const auto slash = file.rfind('/'); slash != std::string_view::npos) {
            file.remove_prefix(slash + 1);
        }
        return std::string(file) + ":" + std::to_string(where.line());
    }

    fd_entry& watched(int fd) {
        const auto it = fds_.find(fd);
        if (it == fds_.end() || !it->second.edge) {
            throw usage_error("ce::event_loop: descriptor " + std::to_string(fd) + " is not watched");
        }
        return it->second;
    }

    void set_handler(int fd, callback f, bool read) {
        require_loop_thread(read ? "add_reader" : "add_writer");
        auto [it, inserted] = fds_.try_emplace(fd);
        fd_entry& e = it->second;
        if (inserted) {
            e.generation = ++fd_generation_;
        } else if (e.edge) {
            throw usage_error("ce::event_loop: descriptor " + std::to_string(fd) + " is watched by awaitables");
        }
        (read ? e.reader : e.writer) = std::move(f);
        (read ? e.want_read : e.want_write) = true;
        update_interest(fd, e, inserted);
    }
    bool clear_handler(int fd, bool read) {
        require_loop_thread(read ? "remove_reader" : "remove_writer");
        const auto it = fds_.find(fd);
        if (it == fds_.end() || it->second.edge || !(read ? it->second.want_read : it->second.want_write)) {
            return false;
        }
        fd_entry& e = it->second;
        (read ? e.reader : e.writer).reset();
        (read ? e.want_read : e.want_write) = false;
        if (!e.want_read && !e.want_write) {
            ::epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
            fds_.erase(it);
        } else {
            update_interest(fd, e, false);
        }
        return true;
    }
    void update_interest(int fd, fd_entry& e, bool added) {
        epoll_event ev{};
        ev.events = (e.want_read ? std::uint32_t{EPOLLIN} : 0U) | (e.want_write ? std::uint32_t{EPOLLOUT} : 0U);
        ev.data.u64 = key(fd, e.generation);
        if (ev.events == e.events && !added) {
            return;
        }
        if (::epoll_ctl(epoll_, added ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev) != 0) {
            const int saved = errno;
            if (added) {
                fds_.erase(fd);
            }
            throw std::system_error(saved, std::generic_category(), "ce::event_loop: epoll_ctl");
        }
        e.events = ev.events;
    }

    // Calls the level-triggered handler of `fd`, unless it was removed meanwhile.
    void call_handler(int fd, std::uint32_t generation, bool read) {
        auto it = fds_.find(fd);
        if (it == fds_.end() || it->second.generation != generation) {
            return;
        }
        callback f = std::move(read ? it->second.reader : it->second.writer);
        if (!f) {
            return;
        }
        // The handler may remove or replace itself, or throw: put it back only if its
        // registration is still there and empty.
        const scope_exit put_back([&]() noexcept {
            const auto again = fds_.find(fd);
            if (again != fds_.end() && again->second.generation == generation) {
                fd_entry& e = again->second;
                if ((read ? e.want_read : e.want_write) && !(read ? e.reader : e.writer)) {
                    (read ? e.reader : e.writer) = std::move(f);
                }
            }
        });
        f();
    }

    void dispatch(const epoll_event& ev) {
        const int fd = static_cast<int>(ev.data.u64 & 0xffffffffU);
        const auto generation = static_cast<std::uint32_t>(ev.data.u64 >> 32U);
        if (generation == 0) {
            std::uint64_t count = 0;
            [[maybe_unused]] const auto n = ::read(fd, &count, sizeof count);  // clears it
            if (fd == timer_fd_) {
                armed_ = loop_clock::time_point::max();
            }
            return;
        }
        const auto it = fds_.find(fd);
        if (it == fds_.end() || it->second.generation != generation) {
            return;
        }
        fd_entry& e = it->second;
        const bool readable = (ev.events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0U;
        const bool writable = (ev.events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0U;
        if (!e.edge) {
            if (readable && e.want_read) {
                ready_.push_back({nullptr, [this, fd, generation] { call_handler(fd, generation, true); }, {}});
            }
            if (writable && e.want_write) {
                ready_.push_back({nullptr, [this, fd, generation] { call_handler(fd, generation, false); }, {}});
            }
            return;
        }
        if (readable) {
            complete_io(e.readers);
        }
        if (writable) {
            complete_io(e.writers);
        }
    }
    void complete_io(detail::waiter_list& list) noexcept {
        detail::waiter* w = list.front();
        while (w != nullptr) {
            detail::waiter* next = w->next;
            if (w->try_complete == nullptr || w->try_complete(*w)) {
                wake(*w, detail::wake_reason::ready);
            }
            w = next;
        }
    }

    void take_remote() {
        std::uint64_t count = 0;
        [[maybe_unused]] const auto n = ::read(wake_fd_, &count, sizeof count);
        wake_pending_.store(false, std::memory_order_release);
        std::vector<std::uint64_t> cancels;
        {
            const std::lock_guard lock(remote_mutex_);
            cancels.swap(remote_cancels_);
            for (detail::ready_item& item : remote_) {
                ready_.push_back(std::move(item));
            }
            remote_.clear();
        }
        for (const std::uint64_t id : cancels) {
            cancel_waiter(id);
        }
    }

    void arm_timer(loop_clock::time_point when) {
        if (when == armed_) {
            return;
        }
        const auto since_epoch = std::chrono::duration_cast<std::chrono::nanoseconds>(when.time_since_epoch());
        itimerspec spec{};
        spec.it_value.tv_sec = static_cast<time_t>(since_epoch.count() / 1'000'000'000);
        spec.it_value.tv_nsec = static_cast<long>(since_epoch.count() % 1'000'000'000);
        check(::timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &spec, nullptr), "timerfd_settime");
        armed_ = when;
    }

    void drop_dead_timers() {
        while (!heap_.empty() && slots_[heap_.front().slot].generation != heap_.front().generation) {
            std::pop_heap(heap_.begin(), heap_.end(), later);
            heap_.pop_back();
            --dead_timers_;
        }
        // Cancelled timers wait in the heap until they reach the top; when they are the
        // majority, rebuild it without them (asyncio does the same).
        if (dead_timers_ > 256 && dead_timers_ * 2 > heap_.size()) {
            std::erase_if(heap_, [this](const timer_entry& t) { return slots_[t.slot].generation != t.generation; });
            std::make_heap(heap_.begin(), heap_.end(), later);
            dead_timers_ = 0;
        }
    }

    void run_once() {
        drop_dead_timers();
        bool block = ready_.empty() && !stopping_.load(std::memory_order_acquire);
        if (block && !heap_.empty()) {
            if (heap_.front().when <= now()) {
                block = false;
            } else {
                arm_timer(heap_.front().when);
            }
        }
        // With callbacks ready and no descriptor of ours registered, polling finds
        // nothing a flag check would not: skip the system call.
        if (block || !fds_.empty()) {
            std::array<epoll_event, 64> events{};
            int n = 0;
            do {
                n = ::epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), block ? -1 : 0);
            } while (n < 0 && errno == EINTR);
            check(n, "epoll_wait");
            for (int i = 0; i < n; ++i) {
                dispatch(events[static_cast<std::size_t>(i)]);
            }
        }
        if (wake_pending_.load(std::memory_order_acquire)) {
            take_remote();
        }
        const loop_clock::time_point t = now();
        while (!heap_.empty() && heap_.front().when <= t) {
            std::pop_heap(heap_.begin(), heap_.end(), later);
            const timer_entry entry = heap_.back();
            heap_.pop_back();
            timer_slot& s = slots_[entry.slot];
            if (s.generation != entry.generation) {
                --dead_timers_;
                continue;
            }
            // The slot stays live until the callback runs: a callback earlier in this
            // iteration may still cancel it (a task that finished just before its timeout).
            s.due = true;
            ++due_timers_;
            ready_.push_back({nullptr, [this, slot = entry.slot, generation = entry.generation] {
                                  fire_timer(slot, generation);
                              },
                              s.where});
        }
        running_.swap(ready_);
        running_.for_each([this](detail::ready_item& item) { run_item(item); });
        running_.clear();
    }

    void run_item(detail::ready_item& item) noexcept {
        const loop_clock::time_point start = debug_ ? now() : loop_clock::time_point{};
        if (item.coro) {
            item.coro.resume();
        } else if (item.fn) {
            try {
                item.fn();
            } catch (...) {
                report(std::current_exception(), "exception in callback", &item.where);
            }
        }
        if (debug_) {
            const auto took = now() - start;
            if (took >= slow_) {
                try {
                    const double seconds = std::chrono::duration<double>(took).count();
                    if (item.where.line() != 0) {
                        log_.warn("slow callback", "seconds", seconds, "scheduled_at", location(item.where));
                    } else {
                        log_.warn("slow callback", "seconds", seconds, "what", "coroutine resumption");
                    }
                } catch (...) {  // NOLINT(bugprone-empty-catch): the logger failed; nowhere left to report
                }
            }
        }
    }

    logger log_;
    bool debug_ = false;
    std::chrono::nanoseconds slow_{};
    int epoll_ = -1;
    int timer_fd_ = -1;
    int wake_fd_ = -1;
    loop_clock::time_point armed_ = loop_clock::time_point::max();

    detail::ready_queue ready_;
    detail::ready_queue running_;

    std::vector<timer_entry> heap_;
    std::vector<timer_slot> slots_;
    std::vector<std::uint32_t> free_slots_;
    std::size_t dead_timers_ = 0;
    std::size_t due_timers_ = 0;
    std::uint64_t next_seq_ = 0;

    std::unordered_map<int, fd_entry> fds_;
    std::uint32_t fd_generation_ = 0;

    std::unordered_map<std::uint64_t, detail::waiter*> stop_waiters_;
    std::uint64_t stop_seq_ = 0;

    detail::owned_frames spawned_;

    std::mutex remote_mutex_;
    std::vector<detail::ready_item> remote_;
    std::vector<std::uint64_t> remote_cancels_;
    std::atomic<bool> wake_pending_{false};
    std::atomic<bool> stopping_{false};
    std::atomic<std::thread::id> owner_{};
};

inline void detail::stop_request::operator()() const noexcept {
    if (loop->on_loop_thread()) {
        loop->cancel_waiter(id);
        return;
    }
    try {
        const std::lock_guard lock(loop->remote_mutex_);
        loop->remote_cancels_.push_back(id);
    } catch (...) {
        std::terminate();  // out of memory in a noexcept stop callback
    }
    loop->wake_up();
}

inline detail::waiter::~waiter() {
    if (loop != nullptr) {
        loop->forget(*this);
    }
}

/// @cond CE_AWAITER_INTERNALS
class event_loop::sleep_awaiter {
public:
    sleep_awaiter(event_loop& loop, std::chrono::nanoseconds d) noexcept : loop_(&loop), d_(d) {}
    [[nodiscard]] bool await_ready() const noexcept { return false; }
    template <typename Promise>
    void await_suspend(std::coroutine_handle<Promise> h) {
        loop_->suspend(w_, h, d_, nullptr);
    }
    void await_resume() {
        // The timer is the sleep's completion, not a failure.
        if (loop_->finish(w_) == detail::wake_reason::cancelled) {
            throw cancelled_error("ce::event_loop::sleep: cancelled");
        }
    }

private:
    event_loop* loop_;
    std::chrono::nanoseconds d_;
    detail::waiter w_;
};
/// @endcond

inline event_loop::sleep_awaiter event_loop::sleep(std::chrono::nanoseconds d) {
    if (d < std::chrono::nanoseconds::zero()) {
        throw usage_error("ce::event_loop::sleep: negative duration (" + std::to_string(d.count()) + " ns)");
    }
    return {*this, d};
}

/// @cond CE_AWAITER_INTERNALS
class event_loop::schedule_awaiter {
public:
    explicit schedule_awaiter(event_loop& loop) noexcept : loop_(&loop) {}
    [[nodiscard]] bool await_ready() const noexcept { return false; }
    template <typename Promise>
    void await_suspend(std::coroutine_handle<Promise> h) {
        token_ = detail::stop_token_of(h);
        if (loop_->on_loop_thread() || !loop_->is_running()) {
            loop_->call_soon(h);
        } else {
            loop_->call_soon_threadsafe(h);
        }
    }
    void await_resume() const {
        if (token_.stop_requested()) {
            throw cancelled_error("ce::event_loop::schedule: cancelled");
        }
    }

private:
    event_loop* loop_;
    std::stop_token token_;
};
/// @endcond

inline event_loop::schedule_awaiter event_loop::schedule() noexcept { return schedule_awaiter{*this}; }

}  // namespace ce
