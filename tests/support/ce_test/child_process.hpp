/**
 * @file
 * Runs this test binary again as a child process, for snippet tests whose subject must
 * not happen inside the test process: a signal that stops an application, undefined
 * behaviour that a sanitizer turns into a report and an abort.
 *
 * The child is `/proc/self/exe` started with `--test-case=<name>`, so doctest runs one
 * test case there, and with an environment variable that tells that case it is the
 * child (in the normal run the case does nothing). One of the child's output streams
 * comes back through a pipe. Every read and the final wait share one deadline, so a
 * child that hangs fails the test instead of hanging the suite, and the destructor
 * kills and reaps a child that is still running, so a failed test leaves no process.
 *
 * Test support for snippets only, not part of the library (hence not under include/ce).
 * Linux only: it needs /proc/self/exe and pidfd_open (Linux 5.3).
 */
#pragma once

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
extern "C" {  // glibc 2.36's <sys/pidfd.h> lacks __BEGIN_DECLS (fixed in 2.37)
#include <sys/pidfd.h>
}
#include <sys/wait.h>
#include <unistd.h>

namespace ce_test {

/// Which of the child's output streams the pipe carries; the other one is inherited.
enum class stream { standard_output, standard_error };

/// How to start the child.
struct child_options {
    /// The doctest test case the child runs; no commas or wildcards (`*`, `?`), which
    /// doctest's filter would interpret.
    std::string test_case;
    /// `NAME=value` entries for the child; each replaces the parent's variable NAME.
    std::vector<std::string> environment;
    /// The stream read by read_line() and read_all().
    stream captured = stream::standard_output;
    /// One deadline for all reads and the wait together, counted from construction.
    std::chrono::seconds limit{60};
    /// Another program to run instead, with `arguments`: a service under test. Empty:
    /// this test binary, running `test_case`.
    std::string program{};
    /// The program's arguments (without its name).
    std::vector<std::string> arguments{};
};

/**
 * This test binary running one test case in a new process, or another program (a
 * service that a test starts, stops and kills).
 *
 * The child starts with no signal blocked and SIGTERM and SIGINT at their default
 * actions, whatever the parent did, as a freshly started service would. Not
 * thread-safe; not copyable or movable (return it from a function by prvalue).
 * The constructor throws std::invalid_argument for an environment entry without `=`;
 * every function throws std::system_error when a system call fails and
 * std::runtime_error when the deadline passes.
 */
class child_process {
public:
    explicit child_process(const child_options& options)
        : deadline_(std::chrono::steady_clock::now() + options.limit) {
        for (const std::string& variable : options.environment) {
            if (variable.find('=') == std::string::npos) {
                throw std::invalid_argument(
                    "child_options::environment: expected NAME=value, got " + variable);
            }
        }
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) {
            throw std::system_error(errno, std::system_category(), "pipe2");
        }
        read_end_ = fds[0];
        const int write_end = fds[1];

        std::vector<std::string> words;
        if (options.program.empty()) {
            words = {"/proc/self/exe", "--test-case=" + options.test_case, "--no-intro=true",
                     "--no-version=true"};
        } else {
            words.push_back(options.program);
            words.insert(words.end(), options.arguments.begin(), options.arguments.end());
        }
        std::vector<char*> argv;
        for (std::string& word : words) {
            argv.push_back(word.data());
        }
        argv.push_back(nullptr);
        const std::string& self = words.front();

        std::vector<std::string> variables = options.environment;
        std::vector<char*> envp;
        for (char** e = environ; *e != nullptr; ++e) {
            if (!overridden(*e, variables)) {
                envp.push_back(*e);
            }
        }
        for (std::string& variable : variables) {
            envp.push_back(variable.data());
        }
        envp.push_back(nullptr);

        ::posix_spawnattr_t attr;
        ::posix_spawnattr_init(&attr);
        ::sigset_t none;
        ::sigemptyset(&none);
        ::posix_spawnattr_setsigmask(&attr, &none);
        ::sigset_t defaults;
        ::sigemptyset(&defaults);
        ::sigaddset(&defaults, SIGTERM);
        ::sigaddset(&defaults, SIGINT);
        ::posix_spawnattr_setsigdefault(&attr, &defaults);
        ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        ::posix_spawn_file_actions_t actions;
        ::posix_spawn_file_actions_init(&actions);
        const int target =
            options.captured == stream::standard_output ? STDOUT_FILENO : STDERR_FILENO;
        ::posix_spawn_file_actions_adddup2(&actions, write_end, target);
        const int rc =
            ::posix_spawn(&pid_, self.c_str(), &actions, &attr, argv.data(), envp.data());
        ::posix_spawn_file_actions_destroy(&actions);
        ::posix_spawnattr_destroy(&attr);
        ::close(write_end);  // the child holds the only write end: EOF when it exits
        if (rc != 0) {
            ::close(read_end_);
            throw std::system_error(rc, std::system_category(), "posix_spawn");
        }
        pidfd_ = ::pidfd_open(pid_, 0);
        if (pidfd_ < 0) {
            const int saved = errno;
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
            ::close(read_end_);
            throw std::system_error(saved, std::system_category(), "pidfd_open");
        }
    }

    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    /// Kills (SIGKILL) and reaps the child unless wait() has reaped it already.
    ~child_process() {
        if (!reaped_) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        ::close(pidfd_);
        ::close(read_end_);
    }

    /// The child's process id, valid until wait() returns.
    [[nodiscard]] ::pid_t pid() const noexcept { return pid_; }

    /// The captured stream's next line without its newline, or nullopt once the child
    /// closed it (usually: exited) and every line was returned.
    std::optional<std::string> read_line() {
        for (;;) {
            if (const auto nl = buffer_.find('\n'); nl != std::string::npos) {
                std::string line = buffer_.substr(0, nl);
                buffer_.erase(0, nl + 1);
                return line;
            }
            if (!fill()) {
                if (buffer_.empty()) {
                    return std::nullopt;
                }
                return std::exchange(buffer_, {});
            }
        }
    }

    /// Everything not read yet from the captured stream, up to its end.
    std::string read_all() {
        while (fill()) {
        }
        return std::exchange(buffer_, {});
    }

    /// Waits for the child to exit and returns its waitpid() status (WIFEXITED etc.).
    int wait() {
        wait_readable(pidfd_, "exit");  // a pidfd becomes readable when the process exits
        int status = 0;
        if (::waitpid(pid_, &status, 0) != pid_) {
            throw std::system_error(errno, std::system_category(), "waitpid");
        }
        reaped_ = true;
        return status;
    }

private:
    static bool overridden(std::string_view inherited, const std::vector<std::string>& variables) {
        for (const std::string& variable : variables) {
            const std::string_view name_and_equals =
                std::string_view(variable).substr(0, variable.find('=') + 1);
            if (inherited.starts_with(name_and_equals)) {
                return true;
            }
        }
        return false;
    }

    // Appends one chunk of the child's output to buffer_; false at end of stream.
    bool fill() {
        if (eof_) {
            return false;
        }
        for (;;) {
            wait_readable(read_end_, "output");
            char chunk[4096];
            const ::ssize_t n = ::read(read_end_, chunk, sizeof chunk);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n < 0) {
                throw std::system_error(errno, std::system_category(), "read from child");
            }
            eof_ = n == 0;
            buffer_.append(chunk, static_cast<std::size_t>(n));
            return !eof_;
        }
    }

    void wait_readable(int fd, const char* what) const {
        for (;;) {
            const auto left = std::chrono::ceil<std::chrono::milliseconds>(
                deadline_ - std::chrono::steady_clock::now());
            if (left <= std::chrono::milliseconds::zero()) {
                throw std::runtime_error(std::string("timed out waiting for the child's ") + what);
            }
            ::pollfd p{fd, POLLIN, 0};
            const int n = ::poll(&p, 1, static_cast<int>(left.count()));
            if (n > 0) {
                return;
            }
            if (n < 0 && errno != EINTR) {
                throw std::system_error(errno, std::system_category(), "poll");
            }
        }
    }

    std::chrono::steady_clock::time_point deadline_;
    ::pid_t pid_ = -1;
    int read_end_ = -1;
    int pidfd_ = -1;
    std::string buffer_;
    bool eof_ = false;
    bool reaped_ = false;
};

/// What a child left behind: its waitpid() status and its captured stream.
struct child_result {
    int status = 0;
    std::string output;
};

/// Starts the child, reads the captured stream to its end, then reaps the child, all
/// within `options.limit`.
inline child_result run_to_end(const child_options& options) {
    child_process child(options);
    std::string output = child.read_all();
    const int status = child.wait();
    return {status, std::move(output)};
}

}  // namespace ce_test
