// How late a 10 ms timer fires while a coroutine on the same loop makes a 300 ms
// lookup: blocking in the coroutine (blocking_lookup) or on a pool thread through
// ce::to_thread (offloaded_lookup). The lookups are the very functions the page shows:
// the snippet file is compiled into this benchmark as a unit of its own. Its test cases
// are registered (doctest_registry.cpp) but never run: Google Benchmark owns main().
//
// timer_delay/*  the largest lateness of any tick (when it ran minus when it was due),
//                reported as the iteration's time (manual time). The loop runs on for
//                30 ms after the lookup, so a tick held up by it fires and counts.
//                  to_thread  ce::to_thread: the loop's thread stays free
//                  blocking   the coroutine sleeps on the loop's thread
#include <ce/event_loop.hpp>
#include <ce/task.hpp>
#include <ce/thread_pool.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>

using namespace std::chrono_literals;

// Defined in snippets/async_patterns/async_vs_sync.cpp.
ce::task<int> blocking_lookup();
ce::task<int> offloaded_lookup(ce::event_loop& loop, ce::thread_pool& pool);

namespace {

// A 10 ms ticker that records how late each tick ran.
class lateness_probe {
public:
    explicit lateness_probe(ce::event_loop& loop) : loop_(loop) { schedule(); }
    lateness_probe(const lateness_probe&) = delete;
    lateness_probe& operator=(const lateness_probe&) = delete;
    lateness_probe(lateness_probe&&) = delete;
    lateness_probe& operator=(lateness_probe&&) = delete;
    ~lateness_probe() { loop_.cancel(timer_); }

    [[nodiscard]] std::chrono::nanoseconds worst() const noexcept { return worst_; }

private:
    void schedule() {
        due_ = ce::event_loop::now() + 10ms;
        timer_ = loop_.call_at(due_, [this] {
            worst_ = std::max(worst_, std::chrono::nanoseconds(ce::event_loop::now() - due_));
            schedule();
        });
    }
    ce::event_loop& loop_;
    std::chrono::steady_clock::time_point due_{};
    ce::timer_handle timer_;
    std::chrono::nanoseconds worst_{0};
};

template <typename Lookup>
void measure(benchmark::State& state, Lookup lookup) {
    ce::event_loop loop;
    ce::thread_pool pool(1);
    for (auto _ : state) {
        const lateness_probe probe(loop);
        if (loop.run_until_complete(lookup(loop, pool)) != 42) {
            state.SkipWithError("wrong answer");
            break;
        }
        loop.call_later(30ms, [&loop] { loop.stop(); });
        loop.run();
        state.SetIterationTime(std::chrono::duration<double>(probe.worst()).count());
    }
}

void delay_to_thread(benchmark::State& state) {
    measure(state, [](ce::event_loop& loop, ce::thread_pool& pool) { return offloaded_lookup(loop, pool); });
}

void delay_blocking(benchmark::State& state) {
    measure(state, [](ce::event_loop&, ce::thread_pool&) { return blocking_lookup(); });
}

}  // namespace

BENCHMARK(delay_to_thread)->Name("timer_delay/to_thread")->UseManualTime()->Iterations(1)->Unit(benchmark::kMillisecond);
BENCHMARK(delay_blocking)->Name("timer_delay/blocking")->UseManualTime()->Iterations(1)->Unit(benchmark::kMillisecond);
