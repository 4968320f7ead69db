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

#include "python_timer.hpp"

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

void spawn_wait_python(benchmark::State& state) {
    static bench::python_timer python({CE_BENCH_PYTHON, "-c", python_helper, child});
    std::string error;
    for (auto _ : state) {
        const std::int64_t ns = python.run_once(error);
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
