// Chapter 3, I/O-bound vs CPU-bound: one job set of each kind, run sequentially, on a
// thread pool and in processes; what waiting costs; Amdahl's law; how many CPUs a
// process may really use. Every child process here is bounded and reaped.
//
// bench/io_vs_cpu.cpp includes this file (with doctest disabled) and times the same
// functions, so the numbers on the page measure the code the page shows.

#include <ce/cpus.hpp>
#include <ce/error.hpp>
#include <ce/process_map.hpp>
#include <ce/thread_pool.hpp>

#include <doctest/doctest.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

using namespace std::chrono_literals;

// [cpu-job]
// CPU-bound: FNV-1a over a 4 KiB block, `rounds` times; each round's hash is written
// into the block before the next, so no round can be skipped or run in parallel.
constexpr std::size_t block_bytes = 4096;

std::uint64_t fnv1a(std::span<const std::byte> bytes, std::uint64_t hash = 14695981039346656037ULL) {
    for (const std::byte b : bytes) {
        hash = (hash ^ std::to_integer<std::uint64_t>(b)) * 1099511628211ULL;
    }
    return hash;
}

std::uint64_t cpu_job(std::uint64_t seed, int rounds) {
    std::array<std::byte, block_bytes> block{};
    std::uint64_t hash = seed;
    for (int r = 0; r < rounds; ++r) {
        for (std::size_t i = 0; i < sizeof hash; ++i) {
            block[i] = static_cast<std::byte>(hash >> (8 * i));
        }
        hash = fnv1a(block);
    }
    return hash;
}
// [cpu-job]

// [io-helpers]
namespace {

// send(), not write(): MSG_NOSIGNAL turns a closed peer into EPIPE instead of SIGPIPE.
void write_all(int fd, std::span<const std::byte> bytes) {
    while (!bytes.empty()) {
        const ::ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            throw std::system_error(errno, std::system_category(), "send");
        }
        bytes = bytes.subspan(static_cast<std::size_t>(n));
    }
}

void read_exactly(int fd, std::span<std::byte> bytes) {
    while (!bytes.empty()) {
        const ::ssize_t n = ::read(fd, bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            throw std::system_error(n == 0 ? EPIPE : errno, std::system_category(), "read");
        }
        bytes = bytes.subspan(static_cast<std::size_t>(n));
    }
}

}  // namespace
// [io-helpers]

// [latency-service]
// A stand-in for a database or a remote API: `connections` socket pairs, each served
// by a child process that answers every one-byte request with a 4 KiB block after
// `latency`. The servers are processes, not threads, so that this process keeps one
// thread and may fork (ce::process_map needs that).
class latency_service {
public:
    latency_service(std::size_t connections, std::chrono::milliseconds latency) {
        try {
            std::vector<int> server_ends;
            for (std::size_t i = 0; i < connections; ++i) {
                std::array<int, 2> pair{};
                if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair.data()) != 0) {
                    throw std::system_error(errno, std::system_category(), "socketpair");
                }
                clients_.push_back(pair[0]);
                server_ends.push_back(pair[1]);
            }
            std::fflush(nullptr);
            for (std::size_t i = 0; i < connections; ++i) {
                const ::pid_t pid = ::fork();
                if (pid < 0) {
                    throw std::system_error(errno, std::system_category(), "fork");
                }
                if (pid == 0) {
                    // Keep only this connection's end: a copy of any other end would
                    // keep that connection open after the client closes it.
                    for (std::size_t k = 0; k < connections; ++k) {
                        ::close(clients_[k]);
                        if (k != i) {
                            ::close(server_ends[k]);
                        }
                    }
                    try {
                        serve(server_ends[i], latency);
                    } catch (...) {  // never unwind into the parent's copy of the stack
                        ::_exit(1);
                    }
                    ::_exit(0);
                }
                servers_.push_back(pid);
            }
            for (const int fd : server_ends) {
                ::close(fd);
            }
        } catch (...) {
            stop();
            throw;
        }
    }

    latency_service(const latency_service&) = delete;
    latency_service& operator=(const latency_service&) = delete;
    latency_service(latency_service&&) = delete;
    latency_service& operator=(latency_service&&) = delete;

    // Closing a client end is the server's end of file: it exits and is reaped.
    ~latency_service() { stop(); }

    [[nodiscard]] int connection(std::size_t i) const { return clients_.at(i); }

private:
    static void serve(int fd, std::chrono::milliseconds latency) {
        const std::array<std::byte, block_bytes> reply{};
        std::byte request{};
        while (::read(fd, &request, 1) == 1) {
            std::this_thread::sleep_for(latency);  // the database thinks
            write_all(fd, reply);
        }
    }

    void stop() noexcept {
        for (const int fd : clients_) {
            ::close(fd);
        }
        clients_.clear();
        for (const ::pid_t pid : servers_) {
            int status = 0;
            while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
            }
        }
        servers_.clear();
    }

    std::vector<int> clients_;
    std::vector<::pid_t> servers_;
};
// [latency-service]

// [io-job]
// I/O-bound: send a request, block in read() until the 4 KiB reply is complete, hash
// it. Almost all of its time is spent waiting for the service.
std::uint64_t io_job(int connection, std::uint64_t seed) {
    const std::byte request{0x2a};
    write_all(connection, std::span(&request, 1));
    std::array<std::byte, block_bytes> reply{};
    read_exactly(connection, reply);
    return fnv1a(reply, seed);
}
// [io-job]

// [three-ways]
// One job set, three ways to run it. A job is any callable returning a hash.
using job = std::function<std::uint64_t()>;

std::vector<std::uint64_t> run_sequentially(const std::vector<job>& jobs) {
    std::vector<std::uint64_t> results;
    results.reserve(jobs.size());
    for (const job& j : jobs) {
        results.push_back(j());
    }
    return results;
}

std::vector<std::uint64_t> run_on_pool(const std::vector<job>& jobs, std::size_t threads) {
    ce::thread_pool pool(threads);
    std::vector<std::future<std::uint64_t>> futures;
    futures.reserve(jobs.size());
    for (const job& j : jobs) {
        futures.push_back(pool.submit(j));
    }
    std::vector<std::uint64_t> results;
    results.reserve(futures.size());
    for (std::future<std::uint64_t>& f : futures) {
        results.push_back(f.get());
    }
    return results;
}  // the pool's destructor joins its threads: the process has one thread again

std::vector<std::uint64_t> run_in_processes(const std::vector<job>& jobs, std::size_t workers) {
    return ce::process_map([](const job& j) { return j(); }, jobs, workers);
}
// [three-ways]

// [job-sets]
std::vector<job> cpu_jobs(std::size_t count, int rounds) {
    std::vector<job> jobs;
    jobs.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        jobs.emplace_back([i, rounds] { return cpu_job(i, rounds); });
    }
    return jobs;
}

std::vector<job> io_jobs(const latency_service& service, std::size_t count) {
    std::vector<job> jobs;
    jobs.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        jobs.emplace_back([&service, i] { return io_job(service.connection(i), i); });
    }
    return jobs;
}
// [job-sets]

// [same-results]
TEST_CASE("a CPU-bound job set gives the same results sequentially, on a pool, in processes") {
    const std::vector<job> jobs = cpu_jobs(8, 50);
    const std::vector<std::uint64_t> expected = run_sequentially(jobs);
    CHECK(run_on_pool(jobs, 2) == expected);
    CHECK(run_in_processes(jobs, 2) == expected);
}

TEST_CASE("an I/O-bound job set gives the same results sequentially, on a pool, in processes") {
    const latency_service service(8, 5ms);
    const std::vector<job> jobs = io_jobs(service, 8);
    const std::vector<std::uint64_t> expected = run_sequentially(jobs);
    CHECK(run_on_pool(jobs, 8) == expected);
    CHECK(run_in_processes(jobs, 4) == expected);
}
// [same-results]

// [waiting-is-free]
// The CPU time of every thread of this process, so far.
std::chrono::nanoseconds process_cpu_time() {
    ::timespec now{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    return std::chrono::seconds{now.tv_sec} + std::chrono::nanoseconds{now.tv_nsec};
}

TEST_CASE("threads blocked in read() use no CPU: waiting scales with threads, not cores") {
    const latency_service service(16, 50ms);
    const std::vector<job> jobs = io_jobs(service, 16);
    const auto cpu_before = process_cpu_time();
    const std::vector<std::uint64_t> results = run_on_pool(jobs, 16);
    const auto cpu_used = process_cpu_time() - cpu_before;
    CHECK(results.size() == 16);
    // 16 threads waited 50 ms each: 800 ms of waiting on a machine of any size. The
    // CPU time spent was that of starting threads and hashing 64 KiB.
    MESSAGE("CPU time while 16 threads waited 800 ms in all: ",
            std::chrono::duration_cast<std::chrono::microseconds>(cpu_used).count(), " us");
    CHECK(cpu_used < 400ms);
}
// [waiting-is-free]

// [amdahl]
// Amdahl's law: when a fraction `serial` of the work cannot run in parallel, n threads
// speed the whole up by 1 / (serial + (1 - serial) / n), never more than 1 / serial.
constexpr double amdahl_speedup(double serial, double n) { return 1.0 / (serial + (1.0 - serial) / n); }

TEST_CASE("Amdahl's law: the serial fraction caps the speed-up") {
    CHECK(amdahl_speedup(0.0, 8) == doctest::Approx(8.0));              // all parallel
    CHECK(amdahl_speedup(0.1, 2) == doctest::Approx(1.0 / 0.55));       // 1.82, not 2
    CHECK(amdahl_speedup(0.1, 64) == doctest::Approx(1.0 / 0.1140625));  // 8.77, not 64
    CHECK(amdahl_speedup(0.1, 1e9) < 10.0);                             // 1 / 0.1 is the wall
    CHECK(amdahl_speedup(1.0, 64) == doctest::Approx(1.0));             // all serial
}
// [amdahl]

// [amdahl-job]
// A job with a serial part: a chain of `serial_rounds` hashes that one thread must run
// in order, then `parallel_jobs` independent CPU jobs on a pool of `threads`.
std::uint64_t job_with_serial_part(int serial_rounds, std::size_t parallel_jobs, int rounds, std::size_t threads) {
    std::uint64_t hash = cpu_job(0, serial_rounds);
    for (const std::uint64_t h : run_on_pool(cpu_jobs(parallel_jobs, rounds), threads)) {
        hash ^= h;
    }
    return hash;
}

TEST_CASE("the job with a serial part computes the same result on any number of threads") {
    const std::uint64_t one = job_with_serial_part(20, 6, 20, 1);
    CHECK(job_with_serial_part(20, 6, 20, 2) == one);
    CHECK(job_with_serial_part(20, 6, 20, 6) == one);
}
// [amdahl-job]

// [usable-cpus]
TEST_CASE("usable_cpus: the affinity mask capped by the cgroup's CPU quota") {
    CHECK(ce::parse_cpu_max("max 100000\n") == std::nullopt);       // cgroup v2: no limit
    CHECK(ce::parse_cpu_max("150000 100000\n") == 1.5);             // 1.5 CPUs of time
    CHECK(ce::parse_cfs_quota("-1\n", "100000\n") == std::nullopt);  // cgroup v1: no limit
    CHECK(ce::parse_cfs_quota("50000\n", "100000\n") == 0.5);
    CHECK(ce::usable_cpus(64, 1.5) == 2);           // a quota of 1.5 keeps two threads busy
    CHECK(ce::usable_cpus(2, 16.0) == 2);           // the mask is the tighter limit
    CHECK(ce::usable_cpus(8, std::nullopt) == 8);
    CHECK(ce::usable_cpus(8, 0.25) == 1);

    const unsigned usable = ce::usable_cpus();  // this machine, this container
    const unsigned hardware = std::thread::hardware_concurrency();
    MESSAGE("hardware_concurrency() = ", hardware, ", usable_cpus() = ", usable);
    CHECK(usable >= 1);
    CHECK((hardware == 0 || usable <= hardware));
}
// [usable-cpus]

TEST_CASE("a cgroup file that is not a limit is refused with a ce::usage_error quoting it") {
    // The contract of parse_cpu_max and parse_cfs_quota: any other text throws, and the
    // message says which part was wrong, so a broken container setup is not read as
    // "no limit" or as a limit nobody set.
    CHECK_THROWS_WITH_AS((void)ce::parse_cpu_max("150000"), "ce::parse_cpu_max: expected '<quota> <period>', got '150000'",
                         ce::usage_error);
    CHECK_THROWS_WITH_AS((void)ce::parse_cpu_max("max 100k"), "ce::cpus: the period is not a number: '100k'",
                         ce::usage_error);
    CHECK_THROWS_WITH_AS((void)ce::parse_cpu_max("1.5 100000"), "ce::cpus: the quota is not a number: '1.5'",
                         ce::usage_error);
    CHECK_THROWS_WITH_AS((void)ce::parse_cpu_max("max 0"), "ce::parse_cpu_max: the period must be positive",
                         ce::usage_error);
    CHECK_THROWS_WITH_AS((void)ce::parse_cpu_max("0 100000"), "ce::parse_cpu_max: the quota must be positive or 'max'",
                         ce::usage_error);
    CHECK_THROWS_WITH_AS((void)ce::parse_cfs_quota("", "100000"), "ce::cpus: cpu.cfs_quota_us is not a number: ''",
                         ce::usage_error);
    CHECK_THROWS_WITH_AS((void)ce::parse_cfs_quota("50000", "1e5"), "ce::cpus: cpu.cfs_period_us is not a number: '1e5'",
                         ce::usage_error);
    CHECK_THROWS_WITH_AS((void)ce::parse_cfs_quota("0", "100000"),
                         "ce::parse_cfs_quota: quota and period must be positive (or the quota -1)", ce::usage_error);
    CHECK_THROWS_AS((void)ce::parse_cfs_quota("50000", "0"), ce::usage_error);
    CHECK(ce::parse_cpu_max("  max 100000  ") == std::nullopt);  // surrounding blanks are not an error
}

// [affinity-pitfall]
TEST_CASE("hardware_concurrency() ignores the affinity mask; affinity_cpus() reads it") {
    const unsigned hardware = std::thread::hardware_concurrency();
    cpu_set_t all;
    REQUIRE(::sched_getaffinity(0, sizeof all, &all) == 0);
    if (CPU_COUNT(&all) < 2) {  // a one-CPU machine has no mask to narrow
        CHECK(ce::affinity_cpus() == 1);
        return;
    }
    int first = 0;
    while (!CPU_ISSET(first, &all)) {
        ++first;
    }
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(first, &one);
    REQUIRE(::sched_setaffinity(0, sizeof one, &one) == 0);  // this thread: `taskset -c <first>`
    const unsigned narrowed = ce::affinity_cpus();
    const unsigned counted = std::thread::hardware_concurrency();
    REQUIRE(::sched_setaffinity(0, sizeof all, &all) == 0);  // give the CPUs back
    CHECK(narrowed == 1);
    CHECK(counted == hardware);  // still every online CPU of the machine
}
// [affinity-pitfall]

// [cgroup-tree]
// A control group's limit applies to every group below it: the tightest one wins.
TEST_CASE("cgroup_cpu_limit reads the process's group and its ancestors, v2 and v1") {
    const std::filesystem::path root =
        std::filesystem::temp_directory_path() / ("ce-cgroup-" + std::to_string(::getpid()));
    const auto write = [](const std::filesystem::path& file, const std::string& text) {
        std::filesystem::create_directories(file.parent_path());
        std::ofstream(file) << text;
    };
    write(root / "v2/proc-self-cgroup", "0::/service/worker\n");
    write(root / "v2/fs/cpu.max", "max 100000\n");
    write(root / "v2/fs/service/cpu.max", "150000 100000\n");       // 1.5 CPUs
    write(root / "v2/fs/service/worker/cpu.max", "max 100000\n");   // no limit of its own
    CHECK(ce::cgroup_cpu_limit(root / "v2/fs", root / "v2/proc-self-cgroup") == 1.5);

    write(root / "v1/proc-self-cgroup", "5:memory:/m\n4:cpu,cpuacct:/job\n0::/\n");
    write(root / "v1/fs/cpu,cpuacct/job/cpu.cfs_quota_us", "200000\n");
    write(root / "v1/fs/cpu,cpuacct/job/cpu.cfs_period_us", "100000\n");
    CHECK(ce::cgroup_cpu_limit(root / "v1/fs", root / "v1/proc-self-cgroup") == 2.0);

    CHECK(ce::cgroup_cpu_limit(root / "none", root / "no-such-file") == std::nullopt);
    std::filesystem::remove_all(root);
}
// [cgroup-tree]
