#pragma once
/**
 * @file
 * A fixed-size pool of worker threads with one shared queue: Python's
 * `concurrent.futures.ThreadPoolExecutor`. ce::thread_pool::submit returns a
 * `std::future` that carries the task's value or the exception it threw; shutdown
 * stops new submissions, runs everything already queued, and joins the workers.
 *
 * @snippet concurrency/threading.cpp pool-futures
 */

#include <ce/error.hpp>

#include <algorithm>
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
 * A pool of `size()` worker threads taking tasks from one FIFO queue.
 *
 * Thread safety: submit() may be called from any thread, including from a task running
 * on the pool. shutdown() and the destructor must not be called from one of the pool's
 * own tasks (a worker cannot join itself); shutdown() throws ce::usage_error if it is.
 *
 * Every task submitted before shutdown() runs exactly once, on one of the workers; a
 * task that throws hands its exception to its future and the worker carries on:
 *
 * @snippet concurrency/threading.cpp pool-throwing-task
 *
 * Not supported: priorities, cancelling a queued task, resizing, work stealing.
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
        {
            const std::scoped_lock lock(mutex_);
            if (closed_) {
                throw usage_error("ce::thread_pool::submit: the pool is shut down");
            }
            queue_.push_back(detail::pool_task::wrap(std::move(packaged)));
        }
        ready_.notify_one();
        return future;
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
        for (;;) {
            detail::pool_task task;
            {
                std::unique_lock lock(mutex_);
                ready_.wait(lock, [this] { return closed_ || !queue_.empty(); });
                if (queue_.empty()) {
                    return;
                }
                task = std::move(queue_.front());
                queue_.pop_front();
            }
            task();  // a packaged_task stores any exception in its future
        }
    }

    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<detail::pool_task> queue_;  // guarded by mutex_
    bool closed_ = false;                  // guarded by mutex_
    bool joined_ = false;                  // touched only by the owning thread
    std::vector<std::thread> workers_;     // last: the workers start once the rest exists
};

}  // namespace ce
