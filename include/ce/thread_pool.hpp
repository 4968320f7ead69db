#pragma once
/**
 * @file
 * A fixed-size pool of worker threads with one shared queue: Python's
 * `concurrent.futures.ThreadPoolExecutor`. ce::thread_pool::submit returns a
 * `std::future` that carries the task's value or the exception it threw; shutdown
 * stops new submissions, runs everything already queued, and joins the workers.
 *
 * @snippet concurrency/threading.cpp pool-futures
 *
 * A task that waits for the future of a task it submitted (fork-join) waits with
 * ce::thread_pool::help_until_ready, which runs queued tasks meanwhile; a plain `get()`
 * there can block every worker while the subtasks sit in the queue.
 */

#include <ce/error.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <concepts>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace ce {

namespace detail {

// A move-only `void()` callable: std::function requires copyable targets, and a
// std::packaged_task is move-only.
class pool_task {
public:
    pool_task() = default;

    // A factory, not a forwarding constructor, which would outbid the move constructor.
    template <class F>
    static pool_task wrap(F&& f) {
        pool_task task;
        task.impl_ = std::make_unique<model<std::decay_t<F>>>(std::forward<F>(f));
        return task;
    }

    void operator()() { impl_->run(); }

private:
    struct concept_t {
        concept_t() = default;
        concept_t(const concept_t&) = delete;
        concept_t& operator=(const concept_t&) = delete;
        concept_t(concept_t&&) = delete;
        concept_t& operator=(concept_t&&) = delete;
        virtual ~concept_t() = default;
        virtual void run() = 0;
    };
    template <class F>
    struct model final : concept_t {
        explicit model(F&& f) : fn(std::move(f)) {}
        void run() override { fn(); }
        F fn;
    };
    std::unique_ptr<concept_t> impl_;
};

}  // namespace detail

/**
 * A pool of `size()` worker threads taking tasks from one FIFO queue (a thread in
 * help_until_ready() takes from its other end).
 *
 * Thread safety: submit(), post() and help_until_ready() may be called from any thread,
 * including from a task running on the pool. shutdown() and the destructor must not be
 * called from one of the pool's own tasks (a worker cannot join itself); shutdown()
 * throws ce::usage_error if it is.
 *
 * Every task submitted before shutdown() runs exactly once, on one of the workers or on
 * a thread waiting in help_until_ready(); a task that throws hands its exception to its
 * future and the worker carries on:
 *
 * @snippet concurrency/threading.cpp pool-throwing-task
 *
 * A task may wait for the future of another task of the same pool only through
 * help_until_ready(): the waiting worker then runs queued tasks, so the subtask it
 * waits for cannot be stuck behind it in the queue.
 *
 * Not supported: priorities, cancelling a queued task, resizing, work stealing (there
 * is one queue, and every submission and every worker takes its mutex).
 */
class thread_pool {
public:
    /// One worker per hardware thread (at least one).
    thread_pool() : thread_pool(std::max(1U, std::thread::hardware_concurrency())) {}

    /// Starts `threads` workers; throws ce::usage_error when `threads` is 0.
    explicit thread_pool(std::size_t threads) {
        if (threads == 0) {
            throw usage_error("ce::thread_pool: a pool needs at least one thread");
        }
        workers_.reserve(threads);
        for (std::size_t i = 0; i < threads; ++i) {
            workers_.emplace_back([this] { work(); });
        }
    }

    thread_pool(const thread_pool&) = delete;
    thread_pool& operator=(const thread_pool&) = delete;
    thread_pool(thread_pool&&) = delete;
    thread_pool& operator=(thread_pool&&) = delete;

    /// Calls shutdown(): queued tasks still run before the destructor returns.
    ~thread_pool() {
        if (!joined_) {
            close_and_join();
        }
    }

    /**
     * Queues `task` and returns the future of its result: `get()` returns the value or
     * rethrows what the task threw. Throws ce::usage_error once shutdown() has begun,
     * also when called from a task that runs during the drain.
     */
    template <class F>
        requires std::invocable<std::decay_t<F>&>
    [[nodiscard]] std::future<std::invoke_result_t<std::decay_t<F>&>> submit(F&& task) {
        using result = std::invoke_result_t<std::decay_t<F>&>;
        std::packaged_task<result()> packaged(std::forward<F>(task));
        std::future<result> future = packaged.get_future();
        enqueue(detail::pool_task::wrap(std::move(packaged)),
                "ce::thread_pool::submit: the pool is shut down");
        return future;
    }

    /**
     * Queues `task` with no future: the cheapest submission, for work whose completion
     * the caller tracks itself (a latch, a counter). `task` must be `noexcept`, since no
     * future could carry its exception; the task's result, if any, is discarded. Throws
     * ce::usage_error once shutdown() has begun.
     */
    template <class F>
        requires std::invocable<std::decay_t<F>&>
    void post(F&& task) {
        static_assert(std::is_nothrow_invocable_v<std::decay_t<F>&>,
                      "ce::thread_pool::post: the task must be noexcept (no future carries its exception); "
                      "use submit() for a task that may throw");
        enqueue(detail::pool_task::wrap(std::forward<F>(task)),
                "ce::thread_pool::post: the pool is shut down");
    }

    /**
     * Runs queued tasks on the calling thread until `future` is ready, then returns;
     * `future.get()` then returns at once. This is how a task waits for a subtask it
     * submitted (fork-join): a worker blocked in `future.get()` runs nothing, and once
     * every worker waits like that, the subtasks wait in the queue for ever.
     *
     * @snippet concurrency/threading.cpp pool-help
     *
     * Callable from any thread: from a task of this pool, from a thread outside it (which
     * then lends itself to the pool while it waits), during and after shutdown() (with
     * nothing queued, it only waits). It takes the *newest* queued task, where workers
     * take the oldest: in a recursion that is the smallest piece, most often the awaited
     * task or part of it. But it may be any task, also another thread's, and each runs on
     * this thread's stack: a helper that picks up a long task returns only after it, and
     * nested helping deepens the stack. Waiting for something that only the task below
     * on this stack would provide deadlocks. A future made ready by a task of this pool
     * is noticed when that task ends; one made ready elsewhere (a `std::promise` of
     * another thread) within about a millisecond. Throws ce::usage_error when `future`
     * has no shared state.
     */
    template <class T>
    void help_until_ready(const std::future<T>& future) {
        if (!future.valid()) {
            throw usage_error("ce::thread_pool::help_until_ready: the future has no shared state");
        }
        const auto is_ready = [&future] {
            return future.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
        };
        std::unique_lock lock(mutex_);
        bool spun = false;
        for (;;) {
            if (is_ready()) {
                return;
            }
            if (!queue_.empty()) {
                // The newest task: in a recursion the smallest piece, most likely the one
                // awaited or part of it. Taking the oldest, the biggest, would nest whole
                // subtrees on this stack, each helping again, until the stack overflows.
                run_one(lock, end::newest);
                spun = false;
                continue;
            }
            if (!spun) {
                spin(lock, is_ready);
                spun = true;
                continue;
            }
            // Still nothing: sleep until a task ends (perhaps the awaited one) or arrives.
            spun = false;
            ++waiting_helpers_;
            progress_.wait_for(lock, helper_poll, [&] {
                return !queue_.empty() || is_ready();
            });
            --waiting_helpers_;
        }
    }

    /**
     * Stops accepting tasks, runs every task already queued, and joins the workers.
     * Idempotent. Throws ce::usage_error when called from one of the pool's tasks.
     */
    void shutdown() {
        const auto self = std::this_thread::get_id();
        for (const std::thread& worker : workers_) {
            if (worker.get_id() == self) {
                throw usage_error("ce::thread_pool::shutdown: called from the pool's own task");
            }
        }
        if (!joined_) {
            close_and_join();
        }
    }

    /// The number of worker threads.
    [[nodiscard]] std::size_t size() const noexcept { return workers_.size(); }

private:
    // How often a helper with nothing to run re-checks a future that no task of this
    // pool completes (a task's end wakes it at once).
    static constexpr std::chrono::milliseconds helper_poll{1};

    // Sleeping on a condition variable costs a system call, and waking the sleeper
    // another. Before it sleeps, a thread with nothing to do yields the processor a few
    // times and looks again: fine-grained tasks usually arrive within microseconds.
    static constexpr int spins_before_sleep = 64;

    // With the mutex released, yields until `done()` or a task is queued, at most
    // spins_before_sleep times; returns with the mutex held.
    template <class Done>
    void spin(std::unique_lock<std::mutex>& lock, const Done& done) {
        lock.unlock();
        for (int i = 0; i < spins_before_sleep && queued_.load(std::memory_order_relaxed) == 0 && !done();
             ++i) {
            std::this_thread::yield();
        }
        lock.lock();
    }

    void enqueue(detail::pool_task task, const char* closed_message) {
        bool wake_helpers = false;
        {
            const std::scoped_lock lock(mutex_);
            if (closed_) {
                throw usage_error(closed_message);
            }
            queue_.push_back(std::move(task));
            queued_.store(queue_.size(), std::memory_order_relaxed);
            wake_helpers = waiting_helpers_ > 0;
        }
        ready_.notify_one();
        if (wake_helpers) {
            progress_.notify_all();
        }
    }

    enum class end : unsigned char { oldest, newest };

    // Takes a task from one end of the queue and runs it with the mutex released; returns
    // with the mutex held again. The task is destroyed before relocking: its captures'
    // destructors are unknown code, which must not run under the pool's lock.
    void run_one(std::unique_lock<std::mutex>& lock, end from) {
        {
            detail::pool_task task;
            if (from == end::oldest) {
                task = std::move(queue_.front());
                queue_.pop_front();
            } else {
                task = std::move(queue_.back());
                queue_.pop_back();
            }
            queued_.store(queue_.size(), std::memory_order_relaxed);
            lock.unlock();
            task();  // a packaged_task stores any exception in its future; posted tasks are noexcept
        }
        lock.lock();
        if (waiting_helpers_ > 0) {
            progress_.notify_all();  // the task just run may be what a helper waits for
        }
    }

    void close_and_join() {
        {
            const std::scoped_lock lock(mutex_);
            closed_ = true;
        }
        ready_.notify_all();
        for (std::thread& worker : workers_) {
            worker.join();
        }
        joined_ = true;
    }

    // Each worker takes tasks until the pool is closed *and* the queue is empty: closing
    // never drops queued work, and each task is popped by exactly one worker.
    void work() {
        std::unique_lock lock(mutex_);
        for (;;) {
            if (queue_.empty() && !closed_) {
                spin(lock, [] { return false; });
            }
            ready_.wait(lock, [this] { return closed_ || !queue_.empty(); });
            if (queue_.empty()) {
                return;
            }
            run_one(lock, end::oldest);
        }
    }

    std::mutex mutex_;
    std::condition_variable ready_;        // a task arrived, or the pool closed: for workers
    std::condition_variable progress_;     // a task ended or arrived: for help_until_ready
    std::deque<detail::pool_task> queue_;  // guarded by mutex_
    std::atomic<std::size_t> queued_{0};   // queue_.size(), written under mutex_: a hint for spin()
    std::size_t waiting_helpers_ = 0;      // guarded by mutex_
    bool closed_ = false;                  // guarded by mutex_
    bool joined_ = false;                  // touched only by the owning thread
    std::vector<std::thread> workers_;     // last: the workers start once the rest exists
};

}  // namespace ce
