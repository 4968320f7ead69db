// ce::thread_pool against asio::thread_pool and oneTBB's task_group, on the same work
// with the same number of threads doing it: workers() (the machine's hardware threads,
// at least 2). ce and asio get a pool of workers() threads while the benchmark's thread
// submits and then sleeps; TBB runs in a task_arena of workers() slots, one of which is
// the benchmark's thread itself (TBB's model: the thread that waits works).
//
// tiny/*       10^6 tasks that each count themselves done, submitted from the benchmark's
//              thread and timed until the last one ran.
//                asio_post       asio::post: no future (the baseline)
//                ce_post         ce::thread_pool::post: no future
//                ce_submit       ce::thread_pool::submit: a std::future per task (one more
//                                allocation, a shared state), dropped unread
//                tbb_task_group  tbb::task_group::run, then wait(); no future
// fork_join/*  fib(32), split in two down to a cutoff, sequential below: the shape of
//              a recursive divide and conquer. fork_join cuts off at 20 (about 600
//              tasks, leaves of about ten microseconds), fork_join_fine at 12 (about 29000
//              tasks, leaves well under a microsecond), where the cost per task decides.
//                tbb_task_group  run(left), compute right, wait() (the baseline)
//                ce_help         submit(left), compute right, help_until_ready(left)
//                asio_no_join    asio cannot wait inside a task, so nothing joins: each
//                                split posts both halves, each leaf adds its value to
//                                one atomic total, and a count of unfinished tasks tells
//                                the benchmark's thread when all are done
//                sequential      the same recursion on one thread, no tasks (fork_join only)
// reduce/*     the sum of 2^22 32-bit integers.
//                tbb_parallel_reduce  tbb::parallel_reduce over a blocked_range (the baseline)
//                ce_submit            8 chunks per thread, one future each, summed by the caller
//                asio_post            the same chunks; each writes its partial sum to a slot
//                sequential           std::accumulate on one thread
// Every variant's result is checked against the sequential one.
#include <ce/thread_pool.hpp>

#include <asio/post.hpp>
#include <asio/thread_pool.hpp>
#include <benchmark/benchmark.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_reduce.h>
#include <tbb/task_arena.h>
#include <tbb/task_group.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <numeric>
#include <thread>
#include <vector>

namespace {

std::size_t workers() { return std::max<std::size_t>(2, std::thread::hardware_concurrency()); }

// Counts finished tasks; the benchmark's thread sleeps until all of them have finished.
class completion {
public:
    void expect(int tasks) {
        target_ = tasks;
        done_.store(0, std::memory_order_relaxed);  // the queue's lock publishes both
    }
    void one_done() noexcept {
        if (done_.fetch_add(1, std::memory_order_acq_rel) + 1 == target_) {
            done_.notify_one();
        }
    }
    void wait() const {
        for (int seen = done_.load(std::memory_order_acquire); seen != target_;
             seen = done_.load(std::memory_order_acquire)) {
            done_.wait(seen, std::memory_order_acquire);
        }
    }

private:
    std::atomic<int> done_{0};
    int target_ = 0;
};

// ---- tiny: 10^6 tasks -------------------------------------------------------------

constexpr int tiny_tasks = 1'000'000;

void tiny_asio_post(benchmark::State& state) {
    completion done;
    asio::thread_pool pool(workers());
    for (auto _ : state) {
        done.expect(tiny_tasks);
        for (int i = 0; i < tiny_tasks; ++i) {
            asio::post(pool, [&done] { done.one_done(); });
        }
        done.wait();
    }
    pool.join();
}

void tiny_ce_post(benchmark::State& state) {
    completion done;
    ce::thread_pool pool(workers());
    for (auto _ : state) {
        done.expect(tiny_tasks);
        for (int i = 0; i < tiny_tasks; ++i) {
            pool.post([&done]() noexcept { done.one_done(); });
        }
        done.wait();
    }
}

void tiny_ce_submit(benchmark::State& state) {
    completion done;
    ce::thread_pool pool(workers());
    for (auto _ : state) {
        done.expect(tiny_tasks);
        for (int i = 0; i < tiny_tasks; ++i) {
            (void)pool.submit([&done] { done.one_done(); });
        }
        done.wait();
    }
}

void tiny_tbb_task_group(benchmark::State& state) {
    completion done;
    tbb::task_arena arena(static_cast<int>(workers()));
    for (auto _ : state) {
        done.expect(tiny_tasks);
        arena.execute([&done] {
            tbb::task_group group;
            for (int i = 0; i < tiny_tasks; ++i) {
                group.run([&done] { done.one_done(); });
            }
            group.wait();
        });
        done.wait();
    }
}

// ---- fork_join: fib(32) with a cutoff -----------------------------------------------

constexpr int fib_n = 32;

std::int64_t fib_sequential(int n) { return n < 2 ? n : fib_sequential(n - 1) + fib_sequential(n - 2); }

const std::int64_t fib_expected = fib_sequential(fib_n);

void check(benchmark::State& state, std::int64_t got, std::int64_t expected) {
    if (got != expected) {
        state.SkipWithError("wrong result");
    }
}

template <int cutoff>
std::int64_t fib_tbb(int n) {
    if (n < cutoff) {
        return fib_sequential(n);
    }
    std::int64_t left = 0;
    tbb::task_group group;
    group.run([&left, n] { left = fib_tbb<cutoff>(n - 1); });
    const std::int64_t right = fib_tbb<cutoff>(n - 2);
    group.wait();  // TBB's wait runs tasks meanwhile, this thread's own first
    return left + right;
}

template <int cutoff>
std::int64_t fib_ce(ce::thread_pool& pool, int n) {
    if (n < cutoff) {
        return fib_sequential(n);
    }
    std::future<std::int64_t> left = pool.submit([&pool, n] { return fib_ce<cutoff>(pool, n - 1); });
    const std::int64_t right = fib_ce<cutoff>(pool, n - 2);
    pool.help_until_ready(left);
    return left.get() + right;
}

template <int cutoff>
struct fib_no_join {
    asio::thread_pool& pool;
    std::atomic<std::int64_t>& total;
    std::atomic<std::int64_t>& unfinished;  // tasks posted and not yet done

    void operator()(int n) const {
        if (n < cutoff) {
            total.fetch_add(fib_sequential(n), std::memory_order_relaxed);
        } else {
            unfinished.fetch_add(2, std::memory_order_relaxed);
            asio::post(pool, [*this, n] { (*this)(n - 1); });
            asio::post(pool, [*this, n] { (*this)(n - 2); });
        }
        if (unfinished.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            unfinished.notify_one();  // this was the last task
        }
    }
};

template <int cutoff>
void fork_join_tbb_task_group(benchmark::State& state) {
    tbb::task_arena arena(static_cast<int>(workers()));
    for (auto _ : state) {
        std::int64_t result = 0;
        arena.execute([&result] { result = fib_tbb<cutoff>(fib_n); });
        check(state, result, fib_expected);
    }
}

template <int cutoff>
void fork_join_ce_help(benchmark::State& state) {
    ce::thread_pool pool(workers());
    for (auto _ : state) {
        // The benchmark's thread only waits, as it does for asio: workers() threads work.
        std::future<std::int64_t> root = pool.submit([&pool] { return fib_ce<cutoff>(pool, fib_n); });
        check(state, root.get(), fib_expected);
    }
}

template <int cutoff>
void fork_join_asio_no_join(benchmark::State& state) {
    std::atomic<std::int64_t> total{0};
    std::atomic<std::int64_t> unfinished{0};
    asio::thread_pool pool(workers());
    for (auto _ : state) {
        total.store(0);
        unfinished.store(1);
        asio::post(pool, [task = fib_no_join<cutoff>{pool, total, unfinished}] { task(fib_n); });
        for (std::int64_t left = unfinished.load(); left != 0; left = unfinished.load()) {
            unfinished.wait(left);
        }
        check(state, total.load(), fib_expected);
    }
    pool.join();
}

void fork_join_sequential(benchmark::State& state) {
    for (auto _ : state) {
        int n = fib_n;
        benchmark::DoNotOptimize(n);  // else the compiler may compute fib(32) while compiling
        check(state, fib_sequential(n), fib_expected);
    }
}

// The two cutoffs: 609 splits with leaves of fib(19) and fib(18), or 28656 splits with
// leaves of fib(11) and fib(10).
constexpr int coarse = 20;
constexpr int fine = 12;

// ---- reduce: a sum over 2^22 integers -------------------------------------------------

const std::vector<std::uint32_t>& numbers() {
    static const std::vector<std::uint32_t> data = [] {
        std::vector<std::uint32_t> v(std::size_t{1} << 22);
        std::uint32_t x = 12345;
        for (std::uint32_t& e : v) {
            x = x * 1664525U + 1013904223U;  // a linear congruential generator
            e = x >> 8;
        }
        return v;
    }();
    return data;
}

std::uint64_t sum(const std::uint32_t* first, const std::uint32_t* last) {
    return std::accumulate(first, last, std::uint64_t{0});
}

std::uint64_t sum_expected() {
    static const std::uint64_t expected = sum(numbers().data(), numbers().data() + numbers().size());
    return expected;
}

std::size_t chunks() { return 8 * workers(); }

void check(benchmark::State& state, std::uint64_t got) {
    if (got != sum_expected()) {
        state.SkipWithError("wrong sum");
    }
}

void reduce_tbb_parallel_reduce(benchmark::State& state) {
    const std::vector<std::uint32_t>& data = numbers();
    tbb::task_arena arena(static_cast<int>(workers()));
    for (auto _ : state) {
        std::uint64_t total = 0;
        arena.execute([&] {
            total = tbb::parallel_reduce(
                tbb::blocked_range<std::size_t>(0, data.size()), std::uint64_t{0},
                [&data](const tbb::blocked_range<std::size_t>& r, std::uint64_t partial) {
                    return partial + sum(data.data() + r.begin(), data.data() + r.end());
                },
                std::plus<>{});
        });
        check(state, total);
    }
}

void reduce_ce_submit(benchmark::State& state) {
    const std::vector<std::uint32_t>& data = numbers();
    ce::thread_pool pool(workers());
    const std::size_t step = data.size() / chunks();
    for (auto _ : state) {
        std::vector<std::future<std::uint64_t>> partials;
        partials.reserve(chunks());
        for (std::size_t c = 0; c < chunks(); ++c) {
            const std::uint32_t* first = data.data() + c * step;
            const std::uint32_t* last = c + 1 == chunks() ? data.data() + data.size() : first + step;
            partials.push_back(pool.submit([first, last] { return sum(first, last); }));
        }
        std::uint64_t total = 0;
        for (std::future<std::uint64_t>& partial : partials) {
            total += partial.get();
        }
        check(state, total);
    }
}

void reduce_asio_post(benchmark::State& state) {
    const std::vector<std::uint32_t>& data = numbers();
    completion done;
    std::vector<std::uint64_t> partials(chunks());
    asio::thread_pool pool(workers());
    const std::size_t step = data.size() / chunks();
    for (auto _ : state) {
        done.expect(static_cast<int>(chunks()));
        for (std::size_t c = 0; c < chunks(); ++c) {
            const std::uint32_t* first = data.data() + c * step;
            const std::uint32_t* last = c + 1 == chunks() ? data.data() + data.size() : first + step;
            asio::post(pool, [first, last, &slot = partials[c], &done] {
                slot = sum(first, last);
                done.one_done();
            });
        }
        done.wait();
        check(state, std::accumulate(partials.begin(), partials.end(), std::uint64_t{0}));
    }
    pool.join();
}

void reduce_sequential(benchmark::State& state) {
    const std::vector<std::uint32_t>& data = numbers();
    for (auto _ : state) {
        check(state, sum(data.data(), data.data() + data.size()));
    }
}

}  // namespace

// The first variant of each group is its baseline. Real time: the work happens on other
// threads than the one Google Benchmark times.
BENCHMARK(tiny_asio_post)->Name("tiny/asio_post")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(tiny_ce_post)->Name("tiny/ce_post")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(tiny_ce_submit)->Name("tiny/ce_submit")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(tiny_tbb_task_group)->Name("tiny/tbb_task_group")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(fork_join_tbb_task_group<coarse>)->Name("fork_join/tbb_task_group")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(fork_join_ce_help<coarse>)->Name("fork_join/ce_help")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(fork_join_asio_no_join<coarse>)->Name("fork_join/asio_no_join")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(fork_join_sequential)->Name("fork_join/sequential")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(fork_join_tbb_task_group<fine>)->Name("fork_join_fine/tbb_task_group")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(fork_join_ce_help<fine>)->Name("fork_join_fine/ce_help")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(fork_join_asio_no_join<fine>)->Name("fork_join_fine/asio_no_join")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(reduce_tbb_parallel_reduce)->Name("reduce/tbb_parallel_reduce")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(reduce_ce_submit)->Name("reduce/ce_submit")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(reduce_asio_post)->Name("reduce/asio_post")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(reduce_sequential)->Name("reduce/sequential")->UseRealTime()->Unit(benchmark::kMillisecond);
