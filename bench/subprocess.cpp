// The cost of running a small program to completion: start /bin/true, read its (empty)
// standard output and standard error to their end, reap it.
//
// spawn_wait/posix_spawn          the floor: posix_spawn and waitpid, no pipes at all.
// spawn_wait/ce_run               ce::run: two close-on-exec pipes, a new process group,
//                                 posix_spawn, poll until both pipes are at end-of-file,
//                                 waitpid.
// spawn_wait/python_subprocess_run  subprocess.run(["/bin/true"], capture_output=True) in
//                                 Debian's /usr/bin/python3 (the same job as ce::run). A
//                                 Python process started once runs it on request and
//                                 reports its own time.perf_counter_ns() around the call,
//                                 which is the iteration's time: the request over the
//                                 pipe is not counted.
//
// All three measure wall time: the parent mostly waits, so its CPU time says little.
#include <ce/subprocess.hpp>

#include <benchmark/benchmark.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <system_error>
#include <vector>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CE_BENCH_PYTHON
#define CE_BENCH_PYTHON "/usr/bin/python3"
#endif

namespace {

constexpr const char* child = "/bin/true";

void spawn_wait_posix_spawn(benchmark::State& state) {
    char* const argv[] = {const_cast<char*>(child), nullptr};  // posix_spawn does not write
    for (auto _ : state) {
        ::pid_t pid = -1;
        if (const int rc = ::posix_spawn(&pid, child, nullptr, nullptr, argv, environ); rc != 0) {
            state.SkipWithError("posix_spawn failed");
            break;
        }
        int status = 0;
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            state.SkipWithError("the child failed");
            break;
        }
    }
}

void spawn_wait_ce_run(benchmark::State& state) {
    const std::vector<std::string> argv = {child};
    for (auto _ : state) {
        const ce::process_result result = ce::run(argv);
        if (!result.ok()) {
            state.SkipWithError("the child failed");
            break;
        }
        benchmark::DoNotOptimize(result.out.data());
    }
}

// The Python side: one line in ("run"), one line out (nanoseconds, or an error).
constexpr const char* python_helper = R"(
import subprocess, sys, time
argv = sys.argv[1:]
for request in sys.stdin.buffer:
    start = time.perf_counter_ns()
    done = subprocess.run(argv, capture_output=True)
    elapsed = time.perf_counter_ns() - start
    sys.stdout.write(f"{elapsed}\n" if done.returncode == 0 else "error\n")
    sys.stdout.flush()
)";

// The Python process, started on first use and kept for every repetition, so that
// interpreter start-up is never timed. Its standard input and output are pipes.
class python_runner {
public:
    python_runner() {
        auto [to_read, to_write] = ce::detail::cloexec_pipe();
        auto [from_read, from_write] = ce::detail::cloexec_pipe();
        ce::detail::spawn_setup setup;
        ::posix_spawn_file_actions_adddup2(&setup.actions, to_read.get(), STDIN_FILENO);
        ::posix_spawn_file_actions_adddup2(&setup.actions, from_write.get(), STDOUT_FILENO);
        std::vector<std::string> args = {CE_BENCH_PYTHON, "-c", python_helper, child};
        std::vector<char*> argv;
        for (std::string& arg : args) {
            argv.push_back(arg.data());
        }
        argv.push_back(nullptr);
        if (const int rc = ::posix_spawn(&pid_, argv[0], &setup.actions, &setup.attr, argv.data(), environ);
            rc != 0) {
            throw std::system_error(rc, std::system_category(), "cannot start " CE_BENCH_PYTHON);
        }
        to_python_ = std::move(to_write);
        from_python_ = std::move(from_read);
    }
    python_runner(const python_runner&) = delete;
    python_runner& operator=(const python_runner&) = delete;
    python_runner(python_runner&&) = delete;
    python_runner& operator=(python_runner&&) = delete;
    ~python_runner() {
        to_python_.reset();  // end of input: the loop ends and Python exits
        int status = 0;
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
    }

    // Python's time for one subprocess.run, in nanoseconds; 0 when the child failed.
    std::int64_t run_once() {
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
                throw std::system_error(errno, std::system_category(), "python helper ended");
            }
        }
        return line == "error" ? 0 : std::stoll(line);
    }

private:
    ::pid_t pid_ = -1;
    ce::detail::unique_fd to_python_;
    ce::detail::unique_fd from_python_;
};

void spawn_wait_python(benchmark::State& state) {
    static python_runner python;
    for (auto _ : state) {
        const std::int64_t ns = python.run_once();
        if (ns == 0) {
            state.SkipWithError("the child failed");
            break;
        }
        state.SetIterationTime(static_cast<double>(ns) * 1e-9);
    }
}

}  // namespace

BENCHMARK(spawn_wait_posix_spawn)->Name("spawn_wait/posix_spawn")->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(spawn_wait_ce_run)->Name("spawn_wait/ce_run")->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(spawn_wait_python)
    ->Name("spawn_wait/python_subprocess_run")
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);
