#pragma once
/**
 * @file
 * An application's lifecycle: services start in the order they were added, stop in the
 * reverse order, and SIGINT/SIGTERM become a `std::stop_source` request instead of
 * work done inside a signal handler. This is Python's FastAPI `lifespan` plus asyncio's
 * `loop.add_signal_handler`, with the unwinding order of `contextlib.ExitStack`.
 *
 * Every service gets the application's `std::stop_token` when it starts and one shared
 * drain deadline when it stops. The lifecycle cannot pre-empt a service that ignores
 * the deadline; it measures it and reports the overrun in ce::stop_report.
 *
 * A whole service's `main`: the watcher first, then the services in dependency order,
 * then start, wait for a signal, and stop:
 *
 * @snippet design_patterns/lifecycle.cpp application
 */

#include <ce/detail/unique_fd.hpp>
#include <ce/error.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdint>
#include <exception>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <stop_token>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

namespace ce {

/// How one service's stop went.
struct service_stop {
    std::string name;                 ///< The name the service was added under.
    std::chrono::nanoseconds took{};  ///< Time in its stop function, on the lifecycle's clock.
    bool overran = false;             ///< Its stop function returned after the drain deadline.
    std::exception_ptr error;         ///< What its stop function threw, or null.
};

/// What lifecycle::stop() did: one entry per stopped service, in the order they stopped.
struct stop_report {
    std::vector<service_stop> services;  ///< Empty when there was nothing left to stop.

    /// True when every service stopped before the deadline without throwing.
    [[nodiscard]] bool clean() const noexcept {
        for (const service_stop& s : services) {
            if (s.overran || s.error) {
                return false;
            }
        }
        return true;
    }

    /// Names of the services that returned after the deadline, in stop order.
    [[nodiscard]] std::vector<std::string> overran() const {
        std::vector<std::string> names;
        for (const service_stop& s : services) {
            if (s.overran) {
                names.push_back(s.name);
            }
        }
        return names;
    }
};

namespace detail {

struct lifecycle_service {
    std::string name;
    std::function<void(std::stop_token)> start;
    std::function<void(std::chrono::steady_clock::time_point)> stop;
};

}  // namespace detail

/**
 * Starts services in order and stops them in reverse, once.
 *
 * `add`, `start`, `wait_for_stop` and `stop` are called from the thread that owns the
 * lifecycle. Any thread (a signal_watcher, a service, an admin endpoint) may call
 * request_stop(); the owner then returns from wait_for_stop() and calls stop().
 * Not copyable or movable: services hold references to it.
 */
class lifecycle {
public:
    using clock = std::chrono::steady_clock;               ///< The clock deadlines are measured on.
    using duration = std::chrono::steady_clock::duration;  ///< A drain timeout.
    using time_point = std::chrono::steady_clock::time_point;  ///< A drain deadline.
    using now_function = std::function<time_point()>;          ///< Reads the current time.

    /// A lifecycle whose stop() gives its services `drain_timeout` in total, on the steady clock.
    explicit lifecycle(duration drain_timeout)
        : lifecycle(drain_timeout, [] { return clock::now(); }) {}

    /// The same, reading time from `now`: tests pass a fake clock.
    lifecycle(duration drain_timeout, now_function now)
        : drain_timeout_(drain_timeout), now_(std::move(now)) {}

    lifecycle(const lifecycle&) = delete;             ///< Not copyable: services refer to it.
    lifecycle& operator=(const lifecycle&) = delete;  ///< Not copyable: services refer to it.
    lifecycle(lifecycle&&) = delete;                  ///< Not movable: services refer to it.
    lifecycle& operator=(lifecycle&&) = delete;       ///< Not movable: services refer to it.

    /// Stops whatever is still running and discards the report.
    ~lifecycle() { (void)stop(); }

    /**
     * Adds a service. `start` receives the application's stop token and may keep it (a
     * worker loop watches it); `stop` receives the drain deadline. A `start` that throws
     * must clean up after itself, like a constructor: its `stop` is not called.
     * Throws ce::usage_error after start() or when a function is empty.
     */
    void add(std::string name, std::function<void(std::stop_token)> start,
             std::function<void(time_point deadline)> stop) {
        if (state_ != state::idle) {
            throw usage_error("lifecycle::add(\"" + name + "\") after start()");
        }
        if (!start || !stop) {
            throw usage_error("lifecycle::add(\"" + name + "\") needs a start and a stop function");
        }
        services_.push_back({std::move(name), std::move(start), std::move(stop)});
    }

    /**
     * Starts every service in the order added. If one throws, the services already
     * started stop in reverse order (with the drain deadline) and the exception
     * propagates unchanged; what those stops report is dropped, the start error is the
     * one the caller needs. Throws ce::usage_error after start() or stop().
     */
    void start() {
        if (state_ != state::idle) {
            throw usage_error("lifecycle::start() after start() or stop()");
        }
        state_ = state::running;
        for (detail::lifecycle_service& s : services_) {
            try {
                s.start(source_.get_token());
            } catch (...) {
                (void)stop();
                throw;  // the original object: its dynamic type survives
            }
            ++started_;
        }
    }

    /// Blocks until a stop is requested; returns at once if one was requested already.
    void wait_for_stop() {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, source_.get_token(), [] { return false; });
    }

    /**
     * Requests a stop and stops the started services in reverse order. Every service
     * gets the same deadline, now + drain timeout; one that returns late is reported,
     * one that throws is reported, and the rest still stop. A second call (and the
     * destructor's) is a no-op that returns an empty report.
     */
    stop_report stop() {
        stop_report report;
        if (state_ == state::stopped) {
            return report;
        }
        state_ = state::stopped;
        source_.request_stop();  // workers see it now, all at once, not one service at a time
        report.services.reserve(started_);
        const time_point deadline = now_() + drain_timeout_;
        while (started_ > 0) {
            detail::lifecycle_service& s = services_[--started_];
            service_stop outcome{s.name, {}, false, nullptr};
            const time_point begin = now_();
            try {
                s.stop(deadline);
            } catch (...) {
                outcome.error = std::current_exception();
            }
            const time_point end = now_();
            outcome.took = end - begin;
            outcome.overran = end > deadline;
            report.services.push_back(std::move(outcome));
        }
        return report;
    }

    /// Asks the owner to stop. Thread-safe; the first call wins, later ones do nothing.
    void request_stop() noexcept { (void)source_.request_stop(); }

    /// The source that stops this application; a copy shares its state (give it to a
    /// signal_watcher).
    [[nodiscard]] std::stop_source get_stop_source() const noexcept { return source_; }

    /// The token every service receives at start.
    [[nodiscard]] std::stop_token get_stop_token() const noexcept { return source_.get_token(); }

private:
    enum class state : std::uint8_t { idle, running, stopped };

    duration drain_timeout_;
    now_function now_;
    std::vector<detail::lifecycle_service> services_;
    std::size_t started_ = 0;  // services_[0, started_) are running
    state state_ = state::idle;
    std::stop_source source_;
    std::mutex mutex_;  // only for wake_: nothing else is shared
    std::condition_variable_any wake_;
};

namespace detail {

// The descriptor a system call returned, owned; throws std::system_error for its -1.
inline unique_fd checked_fd(int fd) {
    if (fd < 0) {
        throw std::system_error(errno, std::system_category(), "signal_watcher");
    }
    return unique_fd(fd);
}

inline ::sigset_t make_sigset(std::initializer_list<int> signals) {
    ::sigset_t set;
    ::sigemptyset(&set);
    for (int s : signals) {
        ::sigaddset(&set, s);
    }
    return set;
}

// Blocks `set` in the calling thread for the lifetime of the object.
class scoped_sigmask {
public:
    explicit scoped_sigmask(const ::sigset_t& set) {
        if (int rc = ::pthread_sigmask(SIG_BLOCK, &set, &previous_); rc != 0) {
            throw std::system_error(rc, std::system_category(), "pthread_sigmask");
        }
    }
    scoped_sigmask(const scoped_sigmask&) = delete;
    scoped_sigmask& operator=(const scoped_sigmask&) = delete;
    scoped_sigmask(scoped_sigmask&&) = delete;
    scoped_sigmask& operator=(scoped_sigmask&&) = delete;
    ~scoped_sigmask() { ::pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }

private:
    ::sigset_t previous_;
};

}  // namespace detail

/**
 * Turns SIGINT and SIGTERM (or the signals given) into `target.request_stop()`.
 *
 * The constructor blocks the signals in the calling thread with `pthread_sigmask` and
 * reads them from a `signalfd` on a thread of its own, so no code runs inside a signal
 * handler. Construct it in `main` **before any other thread starts**: threads inherit
 * the mask of their creator, and a thread created earlier still receives the signal
 * with its default action (terminate). Only process-directed signals (`kill`, a
 * terminal's Ctrl-C) are seen; `raise` and `pthread_kill` target one thread.
 *
 * The destructor stops the reader thread, discards signals still pending, and restores
 * the calling thread's mask: destroy it on the thread that constructed it, after the
 * threads started under it have ended. Linux only.
 */
class signal_watcher {
public:
    /// Watches SIGINT and SIGTERM; see the two-argument constructor.
    explicit signal_watcher(std::stop_source target)
        : signal_watcher(std::move(target), {SIGINT, SIGTERM}) {}

    /// Blocks `signals` in this thread and starts the reader; throws std::system_error.
    signal_watcher(std::stop_source target, std::initializer_list<int> signals)
        : target_(std::move(target)),
          set_(detail::make_sigset(signals)),
          mask_(set_),
          signals_fd_(detail::checked_fd(::signalfd(-1, &set_, SFD_CLOEXEC | SFD_NONBLOCK))),
          wake_fd_(detail::checked_fd(::eventfd(0, EFD_CLOEXEC))),
          reader_([this] { read_signals(); }) {}

    signal_watcher(const signal_watcher&) = delete;             ///< Not copyable: owns a thread.
    signal_watcher& operator=(const signal_watcher&) = delete;  ///< Not copyable: owns a thread.
    signal_watcher(signal_watcher&&) = delete;                  ///< Not movable: its thread uses it.
    signal_watcher& operator=(signal_watcher&&) = delete;       ///< Not movable: its thread uses it.

    /// Stops the reader, drops pending signals, restores the mask (see the class notes).
    ~signal_watcher() {
        const std::uint64_t one = 1;
        (void)::write(wake_fd_.get(), &one, sizeof one);
        reader_.join();
        drain();
    }

    /// The last signal received, or 0 if none yet. Thread-safe.
    [[nodiscard]] int last_signal() const noexcept { return last_.load(std::memory_order_acquire); }

private:
    void read_signals() {
        for (;;) {
            ::pollfd fds[2] = {{signals_fd_.get(), POLLIN, 0}, {wake_fd_.get(), POLLIN, 0}};
            if (::poll(fds, 2, -1) < 0) {
                if (errno == EINTR) {
                    continue;
                }
                return;
            }
            if (fds[1].revents != 0) {
                return;
            }
            drain();
        }
    }

    // Reads every pending signal; each one is a stop request.
    void drain() noexcept {
        ::signalfd_siginfo info{};
        while (::read(signals_fd_.get(), &info, sizeof info) ==
               static_cast<::ssize_t>(sizeof info)) {
            last_.store(static_cast<int>(info.ssi_signo), std::memory_order_release);
            target_.request_stop();
        }
    }

    std::stop_source target_;
    ::sigset_t set_;
    detail::scoped_sigmask mask_;  // before the reader thread: it must inherit the mask
    detail::unique_fd signals_fd_;
    detail::unique_fd wake_fd_;
    std::atomic<int> last_{0};
    std::thread reader_;  // last: starts once everything it reads exists
};

}  // namespace ce
