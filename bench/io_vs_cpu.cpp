// One CPU-bound and one I/O-bound job set, run sequentially, on ce::thread_pool and in
// ce::process_map workers; oversubscription; Amdahl's law with a measured serial part.
//
// The jobs are the very functions the page shows: this file includes the snippet, so
// the numbers cannot drift from the listings. Its test cases are compiled and
// registered (doctest_registry.cpp) but never run: Google Benchmark owns main().
#include "../snippets/concurrency/io_vs_cpu.cpp"

#include <benchmark/benchmark.h>

namespace {

// About 5 ms of hashing per CPU job at -O2 on a 2020s x86-64 core.
constexpr int rounds = 1000;
constexpr std::size_t jobs_per_set = 8;
constexpr auto latency = 2ms;

void check(const std::vector<std::uint64_t>& results, const std::vector<std::uint64_t>& expected,
           benchmark::State& state) {
    if (results != expected) {
        state.SkipWithError("the results differ from the sequential run");
    }
}

template <class Run>
void run_cpu_set(benchmark::State& state, Run run) {
    const std::vector<job> jobs = cpu_jobs(jobs_per_set, rounds);
    const std::vector<std::uint64_t> expected = run_sequentially(jobs);
    for (auto _ : state) {
        check(run(jobs), expected, state);
    }
}

template <class Run>
void run_io_set(benchmark::State& state, Run run) {
    const latency_service service(jobs_per_set, latency);
    const std::vector<job> jobs = io_jobs(service, jobs_per_set);
    const std::vector<std::uint64_t> expected = run_sequentially(jobs);
    for (auto _ : state) {
        check(run(jobs), expected, state);
    }
}

void cpu_sequential(benchmark::State& state) { run_cpu_set(state, run_sequentially); }
void cpu_pool_2(benchmark::State& state) {
    run_cpu_set(state, [](const std::vector<job>& jobs) { return run_on_pool(jobs, 2); });
}
void cpu_processes_2(benchmark::State& state) {
    run_cpu_set(state, [](const std::vector<job>& jobs) { return run_in_processes(jobs, 2); });
}

void io_sequential(benchmark::State& state) { run_io_set(state, run_sequentially); }
void io_pool_2(benchmark::State& state) {
    run_io_set(state, [](const std::vector<job>& jobs) { return run_on_pool(jobs, 2); });
}
void io_pool_8(benchmark::State& state) {
    run_io_set(state, [](const std::vector<job>& jobs) { return run_on_pool(jobs, 8); });
}
void io_processes_8(benchmark::State& state) {
    run_io_set(state, [](const std::vector<job>& jobs) { return run_in_processes(jobs, 8); });
}

// 64 CPU jobs of a fifth of the size on pools of 1 to 64 threads: the same work, more
// threads than cores.
void oversubscribed(benchmark::State& state) {
    const auto threads = static_cast<std::size_t>(state.range(0));
    const std::vector<job> jobs = cpu_jobs(64, rounds / 5);
    const std::vector<std::uint64_t> expected = run_sequentially(jobs);
    for (auto _ : state) {
        check(run_on_pool(jobs, threads), expected, state);
    }
}

// A serial chain of 2000 rounds, then 8 jobs of 1000: a serial fraction near 0.2.
void amdahl_threads(benchmark::State& state) {
    const auto threads = static_cast<std::size_t>(state.range(0));
    for (auto _ : state) {
        benchmark::DoNotOptimize(job_with_serial_part(2 * rounds, jobs_per_set, rounds, threads));
    }
}
void amdahl_serial_part_alone(benchmark::State& state) {
    std::uint64_t seed = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(seed);  // an opaque input: the call cannot be hoisted
        benchmark::DoNotOptimize(cpu_job(seed, 2 * rounds));
    }
}

void configure(benchmark::internal::Benchmark* b) { b->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(0.2); }

}  // namespace

BENCHMARK(cpu_sequential)->Name("cpu_8_jobs/sequential")->Apply(configure);
BENCHMARK(cpu_pool_2)->Name("cpu_8_jobs/pool_2_threads")->Apply(configure);
BENCHMARK(cpu_processes_2)->Name("cpu_8_jobs/processes_2")->Apply(configure);

BENCHMARK(io_sequential)->Name("io_8_jobs/sequential")->Apply(configure);
BENCHMARK(io_pool_2)->Name("io_8_jobs/pool_2_threads")->Apply(configure);
BENCHMARK(io_pool_8)->Name("io_8_jobs/pool_8_threads")->Apply(configure);
BENCHMARK(io_processes_8)->Name("io_8_jobs/processes_8")->Apply(configure);

BENCHMARK(oversubscribed)->Name("oversubscription/threads_1")->Arg(1)->Apply(configure);
BENCHMARK(oversubscribed)->Name("oversubscription/threads_2")->Arg(2)->Apply(configure);
BENCHMARK(oversubscribed)->Name("oversubscription/threads_4")->Arg(4)->Apply(configure);
BENCHMARK(oversubscribed)->Name("oversubscription/threads_16")->Arg(16)->Apply(configure);
BENCHMARK(oversubscribed)->Name("oversubscription/threads_64")->Arg(64)->Apply(configure);

BENCHMARK(amdahl_threads)->Name("amdahl/threads_1")->Arg(1)->Apply(configure);
BENCHMARK(amdahl_threads)->Name("amdahl/threads_2")->Arg(2)->Apply(configure);
BENCHMARK(amdahl_serial_part_alone)->Name("amdahl/serial_part_alone")->Apply(configure);
