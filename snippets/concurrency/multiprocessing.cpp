// Multiprocessing: the chapter page shows the named regions of this file.
//
// Every child process here is bounded: ce::run and ce::subprocess::wait take a timeout,
// forked workers finish in microseconds, and the fork-in-a-threaded-parent deadlock runs
// in a child process of this test binary whose every wait has a deadline.
#include <ce/error.hpp>
#include <ce/process_map.hpp>
#include <ce/subprocess.hpp>

#include <ce_test/child_process.hpp>
#include <doctest/doctest.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <latch>
#include <mutex>
#include <numeric>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace std::chrono_literals;

// [subprocess-run]
TEST_CASE("run captures the exit status, standard output and standard error") {
    const ce::process_result done = ce::run({"sh", "-c", "echo out; echo err >&2; exit 3"}, 60s);
    CHECK(done.exit_code == 3);
    CHECK_FALSE(done.term_signal.has_value());
    CHECK(done.out == "out\n");
    CHECK(done.err == "err\n");
}
// [subprocess-run]

// [exit-vs-signal]
TEST_CASE("a child killed by a signal has a signal number, not an exit status") {
    const ce::process_result done = ce::run({"sh", "-c", "kill -TERM $$"}, 60s);
    CHECK_FALSE(done.exit_code.has_value());  // Python: returncode == -signal.SIGTERM
    CHECK(done.term_signal == SIGTERM);
    CHECK_FALSE(done.ok());
}
// [exit-vs-signal]

// [argv-not-shell]
TEST_CASE("an argument vector reaches the program unparsed: no shell, no injection") {
    const std::string filename = "report.txt; echo injected";  // from a user
    const ce::process_result done = ce::run({"printf", "[%s]\n", filename}, 60s);
    CHECK(done.out == "[report.txt; echo injected]\n");  // one argument, ';' and all
}
// [argv-not-shell]

// [both-pipes]
TEST_CASE("a child writing 1 MiB to each stream finishes: both pipes are read at once") {
    // A pipe holds 64 KiB. Reading stdout to its end before stderr would leave the
    // child blocked on a full stderr pipe while the parent waits for stdout's end.
    const ce::process_result done = ce::run(
        {"sh", "-c", "head -c 1048576 /dev/zero >&2; head -c 1048576 /dev/zero"}, 120s);
    CHECK_FALSE(done.timed_out);
    CHECK(done.exit_code == 0);
    CHECK(done.err.size() == 1'048'576);
    CHECK(done.out.size() == 1'048'576);
}
// [both-pipes]

namespace {

// [process-state]
// The state letter of /proc/<pid>/stat ('S' sleeping, 'Z' zombie, ...), or nullopt when
// no such process exists any more.
std::optional<char> process_state(::pid_t pid) {
    const int fd = ::open(("/proc/" + std::to_string(pid) + "/stat").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return std::nullopt;
    }
    char buffer[512] = {};
    const ::ssize_t n = ::read(fd, buffer, sizeof buffer - 1);
    ::close(fd);
    const char* paren = n > 0 ? std::strrchr(buffer, ')') : nullptr;  // "pid (comm) S ..."
    return paren != nullptr && paren[1] == ' ' ? std::optional(paren[2]) : std::nullopt;
}

// True once `pid` is gone or dead (a zombie waiting for its parent), within `limit`.
bool dies_within(::pid_t pid, std::chrono::seconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        const std::optional<char> state = process_state(pid);
        if (!state || *state == 'Z' || *state == 'X') {
            return true;
        }
        std::this_thread::sleep_for(10ms);
    }
    return false;
}
// [process-state]

}  // namespace

// [timeout-kills-group]
TEST_CASE("a timeout kills the child's whole process group and reaps the child") {
    // sh starts a grandchild, prints its pid, and waits for it.
    ce::subprocess child({"sh", "-c", "sleep 60 & echo $!; wait"});
    const ::pid_t pid = child.pid();
    const ce::process_result done = child.wait(3s);

    CHECK(done.timed_out);
    CHECK(done.term_signal == SIGKILL);
    // Reaped: no child of ours with that pid is left, not even a zombie.
    const int reaped = ::waitpid(pid, nullptr, WNOHANG);
    const int error = errno;
    CHECK(reaped == -1);
    CHECK(error == ECHILD);
    // The grandchild was in the group, so the kill reached it too.
    REQUIRE_FALSE(done.out.empty());
    const ::pid_t grandchild = std::stoi(done.out);
    CHECK(dies_within(grandchild, 60s));
}
// [timeout-kills-group]

// [bad-input]
TEST_CASE("bad input is a usage error that says what is wrong") {
    CHECK_THROWS_WITH_AS((void)ce::run({}), "ce::subprocess: argv is empty; argv[0] names the program",
                         ce::usage_error);
    CHECK_THROWS_WITH_AS((void)ce::run({"no-such-program-ce"}),
                         "ce::subprocess: cannot start 'no-such-program-ce': No such file or directory",
                         ce::usage_error);
    CHECK_THROWS_WITH_AS((void)ce::run({"true"}, -1ms), "ce::run: the timeout is negative", ce::usage_error);
}
// [bad-input]

// [cloexec]
TEST_CASE("a descriptor opened without O_CLOEXEC leaks into every child") {
    const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    // Copies at numbers far above the one ls opens for itself (the lowest free one).
    const int leaky = ::fcntl(fd, F_DUPFD, 100);          // no close-on-exec: inherited
    const int tight = ::fcntl(fd, F_DUPFD_CLOEXEC, 200);  // closed by the child's exec
    REQUIRE(leaky >= 100);
    REQUIRE(tight >= 200);
    // ls lists its own open descriptors: what it inherited, plus one of its own.
    const ce::process_result done = ce::run({"ls", "/proc/self/fd"}, 60s);
    for (const int open_fd : {fd, leaky, tight}) {
        ::close(open_fd);
    }

    std::vector<std::string> fds;
    for (std::size_t start = 0, end = 0; (end = done.out.find('\n', start)) != std::string::npos; start = end + 1) {
        fds.push_back(done.out.substr(start, end - start));
    }
    auto listed = [&fds](int n) { return std::ranges::count(fds, std::to_string(n)) == 1; };
    CHECK(listed(leaky));
    CHECK_FALSE(listed(tight));
}
// [cloexec]

// [shared-memory]
// A memfd is an anonymous file in memory; mmap'ed MAP_SHARED, the pages are the same
// physical pages in every process that maps them, here a parent and its forked child.
TEST_CASE("two processes see the same bytes through a shared memfd mapping") {
    const int fd = ::memfd_create("ce-shared", MFD_CLOEXEC);
    REQUIRE(fd >= 0);
    REQUIRE(::ftruncate(fd, 4096) == 0);
    void* mapped = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    ::close(fd);  // the mapping keeps the memory alive
    REQUIRE(mapped != MAP_FAILED);
    char* shared = static_cast<char*>(mapped);

    std::fflush(nullptr);  // or the child may write the parent's buffered output again
    const ::pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {  // the child: async-signal-safe calls only, then _exit
        std::memcpy(shared, "hello from the child", 21);
        ::_exit(0);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK(std::string_view(shared) == "hello from the child");
    ::munmap(mapped, 4096);
}
// [shared-memory]

// [process-map-use]
TEST_CASE("process_map: results in input order, from worker processes") {
    const std::vector<int> inputs{1, 2, 3, 4, 5, 6, 7};
    const std::vector<long> squares = ce::process_map([](int n) { return long{n} * n; }, inputs, 3);
    CHECK(squares == std::vector<long>{1, 4, 9, 16, 25, 36, 49});
    CHECK(ce::process_map([](int n) { return n; }, std::vector<int>{}, 4).empty());  // forks nothing
    CHECK(ce::process_map([](int n) { return n; }, inputs, 100).size() == 7);     // 7 workers at most
}
// [process-map-use]

// [process-map-errors]
TEST_CASE("process_map: a worker's exception or signal becomes an error that names it") {
    const std::vector<int> inputs{0, 1, 2, 3};
    CHECK_THROWS_WITH_AS(
        (void)ce::process_map(
            [](int n) {
                if (n == 3) {
                    throw std::invalid_argument("three is not allowed");
                }
                return n;
            },
            inputs, 2),
        "ce::process_map: worker 1 failed on input 3: three is not allowed", ce::error);
    CHECK_THROWS_WITH_AS(
        (void)ce::process_map(
            [](int n) {
                if (n == 2) {
                    std::raise(SIGKILL);  // as the kernel's OOM killer would
                }
                return n;
            },
            inputs, 2),
        "ce::process_map: worker 0 was killed by signal 9 (Killed)", ce::error);
    CHECK_THROWS_AS((void)ce::process_map([](int n) { return n; }, inputs, 0), ce::usage_error);
}
// [process-map-errors]

// [process-map-large]
TEST_CASE("process_map: a million inputs cross back through one shared mapping") {
    std::vector<std::uint32_t> inputs(1'000'000);
    std::iota(inputs.begin(), inputs.end(), 0U);
    const std::vector<std::uint64_t> doubled =
        ce::process_map([](std::uint32_t n) { return std::uint64_t{n} * 2; }, inputs, 2);
    REQUIRE(doubled.size() == inputs.size());
    CHECK(std::accumulate(doubled.begin(), doubled.end(), std::uint64_t{0}) == 999'999'000'000ULL);
}
// [process-map-large]

#ifdef CE_COMPILE_FAIL_PROCESS_MAP_STRING
// [process-map-string]
// A std::string holds a pointer into the worker's heap: copied byte for byte into the
// parent, it would point at memory the parent never had. The constraint refuses it.
std::vector<std::string> names(const std::vector<int>& ids) {
    return ce::process_map([](int id) { return "worker-" + std::to_string(id); }, ids, 2);
}
// [process-map-string]
#endif

namespace {

// [child-runner]
// This test binary again, running one child entry case with CE_CHILD=<mode>: what it
// wrote to standard output.
std::string_view child_mode() {
    const char* mode = std::getenv("CE_CHILD");
    return mode == nullptr ? std::string_view{} : std::string_view(mode);
}

std::string run_child(const std::string& test_case, const std::string& mode) {
    const ce_test::child_result child = ce_test::run_to_end({
        .test_case = test_case,
        .environment = {"CE_CHILD=" + mode},
        .captured = ce_test::stream::standard_output,
        .limit = std::chrono::seconds{120},
    });
    return child.output;
}
// [child-runner]

}  // namespace

// [fork-child]
// Runs in a child process only (CE_CHILD=fork-deadlock). A second thread holds a mutex
// while the main thread forks. fork() copies the memory, locked mutex included, but only
// the calling thread: in the new process nobody will ever unlock it.
TEST_CASE("child process entry: fork while another thread holds a mutex") {
    if (child_mode() != "fork-deadlock") {
        return;
    }
    std::mutex mutex;
    std::latch locked(1);
    std::latch release(1);
    std::jthread holder([&] {
        const std::scoped_lock lock(mutex);
        locked.count_down();
        release.wait();
    });
    locked.wait();

    std::fflush(nullptr);
    const ::pid_t pid = ::fork();
    if (pid == 0) {
        mutex.lock();  // blocks forever: the holder thread does not exist in this process
        ::_exit(0);
    }
    release.count_down();  // the parent's copy is unlocked normally
    const auto deadline = std::chrono::steady_clock::now() + 2s;
    int status = 0;
    while (::waitpid(pid, &status, WNOHANG) == 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(10ms);
    }
    if (::waitpid(pid, &status, WNOHANG) == 0) {
        std::puts("the forked process was still waiting for the mutex after 2 s");
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
    } else {
        std::puts("the forked process finished");
    }
    std::fflush(stdout);
}
// [fork-child]

// [fork-report]
TEST_CASE("fork in a threaded process copies a held mutex that nobody will unlock") {
    const std::string out =
        run_child("child process entry: fork while another thread holds a mutex", "fork-deadlock");
    CHECK(out.find("the forked process was still waiting for the mutex after 2 s") != std::string::npos);
}
// [fork-report]
