#pragma once
/**
 * @file
 * Where ce::logger's lines go: a sink receives finished lines, one event each, ending
 * in a newline. Three sinks cover the usual deployments: ce::ostream_sink (any
 * `std::ostream`), ce::file_sink (a `FILE*` such as `stderr`, or a file it opens for
 * appending) and ce::async_sink, which moves the writing onto a background thread
 * behind a bounded queue, like Python's `QueueHandler` + `QueueListener`. Four
 * threads log through one queue; close() returns once every line is written:
 *
 * @snippet foundations/logging.cpp async-drain
 */

#include <ce/error.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace ce {

/**
 * The interface every destination implements. ce::logger calls write() from any
 * thread that logs, concurrently: an implementation must be thread-safe and write
 * each line as one unit, never interleaved with another.
 */
class log_sink {
public:
    /// Destroys the sink; queued or buffered lines are the implementation's business.
    virtual ~log_sink() = default;
    log_sink(const log_sink&) = delete;             ///< Sinks are shared, never copied.
    log_sink& operator=(const log_sink&) = delete;  ///< Sinks are shared, never copied.
    log_sink(log_sink&&) = delete;                  ///< Sinks are shared, never moved.
    log_sink& operator=(log_sink&&) = delete;       ///< Sinks are shared, never moved.

    /// Writes one complete line (ending in a newline). Must be thread-safe; may throw.
    virtual void write(std::string_view line) = 0;
    /// Pushes buffered lines to their destination. The default does nothing.
    virtual void flush() {}

protected:
    log_sink() = default;  ///< Only derived classes construct a sink.
};

/// Writes lines to a `std::ostream` under a mutex. The stream must outlive the sink,
/// and nothing else may write to it while the sink is in use.
class ostream_sink final : public log_sink {
public:
    /// Borrows `out`; the stream's error state and exception mask are left to the caller.
    explicit ostream_sink(std::ostream& out) noexcept : out_(&out) {}

    /// Thread-safe: lines from concurrent callers never interleave.
    void write(std::string_view line) override {
        const std::lock_guard lock(mutex_);
        out_->write(line.data(), static_cast<std::streamsize>(line.size()));
    }
    /// Flushes the stream.
    void flush() override {
        const std::lock_guard lock(mutex_);
        out_->flush();
    }

private:
    std::mutex mutex_;
    std::ostream* out_;
};

/// Writes lines with one `std::fwrite` each, which POSIX makes atomic with respect to
/// other stdio calls on the same `FILE`, so concurrent lines never interleave.
class file_sink final : public log_sink {
public:
    /// Borrows an open stream such as `stderr`; the caller keeps ownership.
    explicit file_sink(std::FILE* stream) noexcept : file_(stream), owned_(false) {}

    /// Opens `path` for appending (close-on-exec) and owns it.
    /// @throws ce::usage_error when the file cannot be opened.
    explicit file_sink(const std::filesystem::path& path)
        : file_(std::fopen(path.c_str(), "ae")), owned_(true) {  // "e": glibc's O_CLOEXEC
        if (file_ == nullptr) {
            throw usage_error("cannot open log file " + path.string() + ": " +
                              std::generic_category().message(errno));
        }
    }

    /// Closes the file if the sink opened it.
    ~file_sink() override {
        if (owned_) {
            std::fclose(file_);
        }
    }

    file_sink(const file_sink&) = delete;             ///< Sinks are shared, never copied.
    file_sink& operator=(const file_sink&) = delete;  ///< Sinks are shared, never copied.
    file_sink(file_sink&&) = delete;                  ///< Sinks are shared, never moved.
    file_sink& operator=(file_sink&&) = delete;       ///< Sinks are shared, never moved.

    /// Thread-safe. A line that fits the stdio buffer is written to the file later, by a
    /// later write() or by flush(), which reports its failure.
    /// @throws ce::transient_error on a short write (a full disk, a closed pipe).
    void write(std::string_view line) override {
        if (std::fwrite(line.data(), 1, line.size(), file_) != line.size()) {
            throw transient_error("writing a log line failed: " + std::generic_category().message(errno));
        }
    }
    /// Flushes the stdio buffer to the file descriptor. Thread-safe.
    /// @throws ce::transient_error when the buffered lines cannot be written (a full disk,
    ///         a closed pipe): a short line that write() buffered is reported here.
    void flush() override {
        if (std::fflush(file_) != 0) {
            const int error = errno;
            std::clearerr(file_);  // report each failure once; later lines may succeed
            throw transient_error("flushing log lines failed: " + std::generic_category().message(error));
        }
    }

private:
    std::FILE* file_;
    bool owned_;
};

/// What ce::async_sink::write does when its queue is full.
enum class overflow_policy : std::uint8_t {
    block,        ///< The caller waits for room: no line is lost; a slow sink slows its callers.
    drop_newest,  ///< The line that does not fit is discarded and counted by async_sink::dropped().
};

/// How a ce::async_sink queues lines.
struct async_options {
    std::size_t capacity = 8192;                        ///< Lines the queue holds, at least 1.
    overflow_policy overflow = overflow_policy::block;  ///< What a write into a full queue does.
};

/**
 * Queues lines in a bounded ring and writes them to a downstream sink from one
 * background thread, so a caller never waits on I/O unless the queue is full (see
 * ce::overflow_policy; the default blocks and loses nothing).
 *
 * Waking a sleeping thread is a system call, far dearer than formatting a line, so
 * callers do not wake the worker for every line. A line that finds the worker asleep
 * wakes it, and is written at once; after each batch the worker naps for up to
 * about a millisecond (less if the ring fills to half) to let the next burst gather.
 * A burst therefore reaches the downstream sink in large batches, each line at most
 * about a millisecond late; flush() and close() cut the nap short.
 *
 * The ring's slots are strings that keep their capacity, and the worker swaps the
 * whole ring for a spare one, so the steady state allocates nothing per line. Lines
 * reach the downstream sink in the order they were queued.
 *
 * close() (also run by the destructor) drains: every line queued before it reaches
 * the downstream sink before it returns. A line written after close() starts waits
 * until the queue is drained, then goes to the downstream sink directly, so each
 * thread's lines reach the downstream sink in the order it wrote them, always. An exception the downstream sink throws is kept and
 * rethrown by close(); the destructor, which must not throw, drops it.
 */
class async_sink final : public log_sink {
public:
    /// Starts the worker. @throws ce::usage_error for a null `downstream` or a zero capacity.
    explicit async_sink(std::shared_ptr<log_sink> downstream, async_options options = {})
        : downstream_(std::move(downstream)), ring_(options.capacity), spare_(options.capacity),
          wake_at_(options.capacity / 2 + 1), policy_(options.overflow) {
        if (!downstream_ || options.capacity == 0) {
            throw usage_error("ce::async_sink needs a downstream sink and a capacity of at least 1");
        }
        worker_ = std::jthread([this] { run(); });
    }

    /// Drains the queue and joins the worker, as close() does, ignoring a downstream error.
    ~async_sink() override {
        try {
            close();
        } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor cannot report it;
        }                // callers who care call close() first
    }

    async_sink(const async_sink&) = delete;             ///< Sinks are shared, never copied.
    async_sink& operator=(const async_sink&) = delete;  ///< Sinks are shared, never copied.
    async_sink(async_sink&&) = delete;                  ///< Sinks are shared, never moved.
    async_sink& operator=(async_sink&&) = delete;       ///< Sinks are shared, never moved.

    /// Queues a copy of `line`; when the queue is full, blocks or drops per the policy.
    void write(std::string_view line) override {
        std::unique_lock lock(mutex_);
        if (count_ == ring_.size() && !stopping_) {
            if (policy_ == overflow_policy::drop_newest) {
                dropped_.fetch_add(1, std::memory_order_relaxed);
                return;
            }
            not_full_.wait(lock, [&] { return count_ < ring_.size() || stopping_; });
        }
        if (stopping_) {
            // This thread's earlier lines may still be queued or in the worker's hands:
            // writing past them would reorder them. close() never waits on this writer,
            // so the wait is bounded by the drain.
            drained_.wait(lock, [&] { return worker_done_; });
            lock.unlock();
            downstream_->write(line);
            return;
        }
        ring_[(head_ + count_) % ring_.size()].assign(line);
        ++count_;
        ++queued_;
        const bool wake = worker_asleep_ || count_ == wake_at_;
        lock.unlock();
        if (wake) {
            wake_worker_.notify_one();
        }
    }

    /// Waits until every line queued before the call has been written, then flushes downstream.
    void flush() override {
        std::unique_lock lock(mutex_);
        const std::uint64_t target = queued_;
        ++flushing_;
        wake_worker_.notify_one();
        drained_.wait(lock, [&] { return written_ >= target; });
        --flushing_;
        lock.unlock();
        downstream_->flush();
    }

    /// Drains the queue, stops the worker and flushes downstream. Idempotent; thread-safe.
    /// Rethrows the first exception the downstream sink threw on the worker thread.
    void close() {
        {
            const std::lock_guard closing(close_mutex_);
            if (worker_.joinable()) {
                {
                    const std::lock_guard lock(mutex_);
                    stopping_ = true;
                }
                wake_worker_.notify_one();
                not_full_.notify_all();
                worker_.join();
            }
            if (error_) {
                std::rethrow_exception(std::exchange(error_, nullptr));
            }
        }
        downstream_->flush();
    }

    /// Lines discarded by overflow_policy::drop_newest so far.
    [[nodiscard]] std::uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }

    /// The number of lines the queue holds.
    [[nodiscard]] std::size_t capacity() const noexcept { return ring_.size(); }

private:
    static constexpr std::chrono::milliseconds nap{1};

    void run() {
        std::unique_lock lock(mutex_);
        for (;;) {
            // Nap: producers do not wake a napping worker until the ring is half full.
            wake_worker_.wait_for(lock, nap, [&] { return count_ >= wake_at_ || stopping_ || flushing_ > 0; });
            if (count_ == 0) {
                if (stopping_) {
                    finish();  // and everything queued has been written
                    return;
                }
                worker_asleep_ = true;  // until a producer, flush() or close() wakes it
                wake_worker_.wait(lock, [&] { return count_ > 0 || stopping_; });
                worker_asleep_ = false;
                if (count_ == 0) {
                    finish();
                    return;
                }
            }
            // Producers wait only on a full ring, and it stays full until this take.
            const bool producers_may_wait = count_ == ring_.size();
            const std::size_t first = head_;
            const std::size_t n = count_;
            ring_.swap(spare_);  // O(1); both vectors' strings keep their capacity
            head_ = 0;
            count_ = 0;
            lock.unlock();
            if (producers_may_wait) {
                not_full_.notify_all();
            }
            for (std::size_t i = 0; i < n; ++i) {
                try {
                    downstream_->write(spare_[(first + i) % spare_.size()]);
                } catch (...) {
                    if (!error_) {  // only this thread writes error_ until close() joins it
                        error_ = std::current_exception();
                    }
                }
            }
            lock.lock();
            written_ += n;
            drained_.notify_all();
        }
    }

    // Called with mutex_ held: from now on, writers go to the downstream sink directly.
    void finish() {
        worker_done_ = true;
        drained_.notify_all();
    }

    std::shared_ptr<log_sink> downstream_;
    std::mutex mutex_;  // guards everything below except dropped_ and error_
    std::condition_variable wake_worker_;
    std::condition_variable not_full_;
    std::condition_variable drained_;
    std::vector<std::string> ring_;
    std::vector<std::string> spare_;  // the worker's side of the swap
    std::size_t head_ = 0;
    std::size_t count_ = 0;
    std::size_t wake_at_;
    std::uint64_t queued_ = 0;
    std::uint64_t written_ = 0;
    int flushing_ = 0;
    bool worker_asleep_ = false;
    bool stopping_ = false;
    bool worker_done_ = false;  // set when stopping_ and every queued line is written
    overflow_policy policy_;
    std::atomic<std::uint64_t> dropped_{0};
    std::exception_ptr error_;
    std::mutex close_mutex_;
    std::jthread worker_;  // last: it starts after every member it uses exists
};

}  // namespace ce
