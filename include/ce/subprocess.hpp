#pragma once
/**
 * @file
 * Runs a program as a child process, the way Python's `subprocess.run(argv,
 * capture_output=True, timeout=...)` does: argv only, never a shell; standard output and
 * standard error captured together; exit status and killing signal kept apart; a
 * timeout that kills the child's whole process group and reaps it.
 *
 * @snippet concurrency/multiprocessing.cpp subprocess-run
 */

#include <ce/detail/unique_fd.hpp>
#include <ce/error.hpp>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstring>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

namespace ce {

/// How a child process ended and what it wrote.
struct process_result {
    std::optional<int> exit_code;    ///< The status passed to exit(); empty if a signal ended it.
    std::optional<int> term_signal;  ///< The signal that ended the child; empty if it exited.
    bool timed_out = false;          ///< True when the timeout expired and the group was killed.
    std::string out;                 ///< Everything the child wrote to standard output.
    std::string err;                 ///< Everything the child wrote to standard error.

    /// True for exit status 0, like `CompletedProcess.returncode == 0`.
    [[nodiscard]] bool ok() const noexcept { return exit_code == 0; }
};

namespace detail {

// A pipe whose both ends are close-on-exec: the child sees only what dup2 gives it.
inline std::pair<unique_fd, unique_fd> cloexec_pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        throw std::system_error(errno, std::system_category(), "ce::subprocess: pipe2");
    }
    return {unique_fd(fds[0]), unique_fd(fds[1])};
}

// posix_spawn's attribute and file-action objects, destroyed on every path.
struct spawn_setup {
    ::posix_spawnattr_t attr{};
    ::posix_spawn_file_actions_t actions{};
    spawn_setup() {
        ::posix_spawnattr_init(&attr);
        ::posix_spawn_file_actions_init(&actions);
    }
    spawn_setup(const spawn_setup&) = delete;
    spawn_setup& operator=(const spawn_setup&) = delete;
    spawn_setup(spawn_setup&&) = delete;
    spawn_setup& operator=(spawn_setup&&) = delete;
    ~spawn_setup() {
        ::posix_spawn_file_actions_destroy(&actions);
        ::posix_spawnattr_destroy(&attr);
    }
};

}  // namespace detail

/**
 * A running child process, started from an argument vector with `posix_spawnp` (the
 * program is looked up in `PATH`; no shell ever parses the arguments). The child is the
 * leader of a new process group, so a timeout can kill it and everything it started.
 *
 * Standard output and standard error are pipes that wait() reads together with
 * `poll`, so a child that fills one while the parent reads the other cannot deadlock.
 * Standard input is inherited. Every descriptor the parent opens with `O_CLOEXEC`
 * stays out of the child; descriptors opened without it leak into it.
 *
 * Errors: ce::usage_error for an empty argv, a program that does not exist or cannot be
 * executed, and a negative timeout; std::system_error when a system call fails.
 * Not thread-safe (one thread owns a subprocess); not copyable or movable.
 */
class subprocess {
public:
    /// Starts `argv[0]` with the arguments `argv[1...]` and the parent's environment.
    explicit subprocess(const std::vector<std::string>& argv) {
        if (argv.empty()) {
            throw usage_error("ce::subprocess: argv is empty; argv[0] names the program");
        }
        auto [out_read, out_write] = detail::cloexec_pipe();
        auto [err_read, err_write] = detail::cloexec_pipe();

        std::vector<char*> args;
        args.reserve(argv.size() + 1);
        for (const std::string& arg : argv) {
            args.push_back(const_cast<char*>(arg.c_str()));  // POSIX takes char* const[]; spawn does not write
        }
        args.push_back(nullptr);

        detail::spawn_setup setup;
        ::posix_spawnattr_setpgroup(&setup.attr, 0);  // a new group, led by the child
        ::sigset_t none;
        ::sigemptyset(&none);
        ::posix_spawnattr_setsigmask(&setup.attr, &none);
        ::posix_spawnattr_setflags(&setup.attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);
        ::posix_spawn_file_actions_adddup2(&setup.actions, out_write.get(), STDOUT_FILENO);
        ::posix_spawn_file_actions_adddup2(&setup.actions, err_write.get(), STDERR_FILENO);

        // glibc's posix_spawnp reports a failed exec (a missing program) as its result.
        const int rc = ::posix_spawnp(&pid_, args[0], &setup.actions, &setup.attr, args.data(), environ);
        if (rc != 0) {
            throw usage_error("ce::subprocess: cannot start '" + argv[0] + "': " + std::strerror(rc));
        }
        out_ = std::move(out_read);
        err_ = std::move(err_read);
        // out_write and err_write close here: the child holds the only write ends, so the
        // pipes reach end-of-file when it (and everything it started) exits.
    }

    subprocess(const subprocess&) = delete;
    subprocess& operator=(const subprocess&) = delete;
    subprocess(subprocess&&) = delete;
    subprocess& operator=(subprocess&&) = delete;

    /// Kills the process group (SIGKILL) and reaps the child unless wait() did.
    ~subprocess() {
        if (pid_ > 0) {
            ::kill(-pid_, SIGKILL);
            reap();
        }
    }

    /// The child's process id, which is also its process group id.
    [[nodiscard]] ::pid_t pid() const noexcept { return pid_; }

    /**
     * Reads both output streams to their end and reaps the child. With a `timeout`, when
     * it expires first the whole process group is killed with SIGKILL and reaped; the
     * result then has `timed_out` set and holds what was read until then. Throws
     * ce::usage_error for a negative timeout, and when called a second time.
     */
    process_result wait(std::optional<std::chrono::milliseconds> timeout = std::nullopt) {
        if (timeout && timeout->count() < 0) {
            throw usage_error("ce::subprocess::wait: the timeout is negative");
        }
        if (pid_ <= 0) {
            throw usage_error("ce::subprocess::wait: the child was already reaped");
        }
        using clock = std::chrono::steady_clock;
        const std::optional<clock::time_point> deadline =
            timeout ? std::optional(clock::now() + *timeout) : std::nullopt;
        process_result result;
        while (out_.get() >= 0 || err_.get() >= 0) {
            int wait_ms = -1;
            if (deadline) {
                const auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - clock::now());
                if (left.count() <= 0) {
                    result.timed_out = true;
                    break;
                }
                wait_ms = static_cast<int>(left.count());
            }
            ::pollfd fds[2] = {{out_.get(), POLLIN, 0}, {err_.get(), POLLIN, 0}};  // -1 is ignored
            const int n = ::poll(fds, 2, wait_ms);
            if (n < 0 && errno != EINTR) {
                throw std::system_error(errno, std::system_category(), "ce::subprocess: poll");
            }
            drain(fds[0], out_, result.out);
            drain(fds[1], err_, result.err);
        }
        if (result.timed_out) {
            ::kill(-pid_, SIGKILL);  // the group: grandchildren holding the pipes die too
            out_.reset();
            err_.reset();
        }
        const int status = reap();
        if (WIFEXITED(status)) {
            result.exit_code = WEXITSTATUS(status);
        } else if (WIFSIGNALED(status)) {
            result.term_signal = WTERMSIG(status);
        }
        return result;
    }

private:
    static void drain(const ::pollfd& polled, detail::unique_fd& fd, std::string& into) {
        if (fd.get() < 0 || (polled.revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
            return;
        }
        char chunk[65536];
        const ::ssize_t n = ::read(fd.get(), chunk, sizeof chunk);
        if (n > 0) {
            into.append(chunk, static_cast<std::size_t>(n));
        } else if (n == 0 || errno != EINTR) {
            fd.reset();  // end of stream (or an error, which ends it too)
        }
    }

    // Waits for the child itself; returns its waitpid() status.
    int reap() {
        int status = 0;
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
        pid_ = -1;
        return status;
    }

    ::pid_t pid_ = -1;
    detail::unique_fd out_;
    detail::unique_fd err_;
};

/**
 * Starts `argv`, waits for it with an optional timeout, and returns what happened:
 * Python's `subprocess.run(argv, capture_output=True, timeout=...)`, except that a
 * timeout is reported in the result instead of raised. Errors as in ce::subprocess.
 */
[[nodiscard]] inline process_result run(const std::vector<std::string>& argv,
                                        std::optional<std::chrono::milliseconds> timeout = std::nullopt) {
    if (timeout && timeout->count() < 0) {
        throw usage_error("ce::run: the timeout is negative");
    }
    subprocess child(argv);
    return child.wait(timeout);
}

}  // namespace ce
