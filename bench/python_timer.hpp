#pragma once
// A Python process that times its own work, for benchmarks that put a Python idiom
// beside the C++ one. It is started once and kept for every repetition, so that
// interpreter start-up is never timed: each "run" line written to its standard input
// asks for one round, and it answers with one line, the round's nanoseconds as
// measured by time.perf_counter_ns(), or a line starting with "error".

#include <ce/subprocess.hpp>

#include <cerrno>
#include <cstdint>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

namespace bench {

class python_timer {
public:
    // `args`: the interpreter and its arguments, as for execv.
    explicit python_timer(std::vector<std::string> args) {
        auto [to_read, to_write] = ce::detail::cloexec_pipe();
        auto [from_read, from_write] = ce::detail::cloexec_pipe();
        ce::detail::spawn_setup setup;
        ::posix_spawn_file_actions_adddup2(&setup.actions, to_read.get(), STDIN_FILENO);
        ::posix_spawn_file_actions_adddup2(&setup.actions, from_write.get(), STDOUT_FILENO);
        std::vector<char*> argv;
        for (std::string& arg : args) {
            argv.push_back(arg.data());
        }
        argv.push_back(nullptr);
        if (const int rc = ::posix_spawn(&pid_, argv[0], &setup.actions, &setup.attr, argv.data(), environ);
            rc != 0) {
            throw std::system_error(rc, std::system_category(), "cannot start " + args.front());
        }
        to_python_ = std::move(to_write);
        from_python_ = std::move(from_read);
    }
    python_timer(const python_timer&) = delete;
    python_timer& operator=(const python_timer&) = delete;
    python_timer(python_timer&&) = delete;
    python_timer& operator=(python_timer&&) = delete;
    ~python_timer() {
        to_python_.reset();  // end of input: the script's loop ends and Python exits
        int status = 0;
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
    }

    // One round: Python's time in nanoseconds, or 0 with `error` set to its error line.
    std::int64_t run_once(std::string& error) {
        constexpr char request[] = "run\n";
        if (::write(to_python_.get(), request, sizeof request - 1) != static_cast<::ssize_t>(sizeof request - 1)) {
            throw std::system_error(errno, std::system_category(), "write to python");
        }
        std::string line;
        char c = 0;
        while (true) {
            const ::ssize_t n = ::read(from_python_.get(), &c, 1);
            if (n == 1 && c != '\n') {
                line += c;
            } else if (n == 1) {
                break;
            } else if (n == 0 || errno != EINTR) {
                throw std::system_error(errno, std::system_category(), "the python process ended");
            }
        }
        if (line.starts_with("error")) {
            error = line;
            return 0;
        }
        error.clear();
        return std::stoll(line);
    }

private:
    ::pid_t pid_ = -1;
    ce::detail::unique_fd to_python_;
    ce::detail::unique_fd from_python_;
};

}  // namespace bench
