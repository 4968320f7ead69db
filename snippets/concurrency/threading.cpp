// Threading: the chapter page shows the named regions of this file.
//
// Every test here also runs under ThreadSanitizer (the clang-tsan preset), which must
// stay silent. The two deliberate bugs (a data race, a lock-order inversion) run only in
// a child process of the ThreadSanitizer build: this test binary started again with
// CE_CHILD set and a filter selecting the child's entry case; the parent reads the
// child's standard error and checks the report.
#include <ce/error.hpp>
#include <ce/synchronized.hpp>
#include <ce/thread_pool.hpp>

#include <ce_test/child_process.hpp>
#include <ce_test/sanitizers.hpp>
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <future>
#include <latch>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <sys/wait.h>

using namespace std::chrono_literals;

// [stop-token]
// A worker that polls its stop token: cancellation is a request the thread honours,
// never a kill (there is no safe way to kill a thread that may hold a lock).
void poll_until_stopped(const std::stop_token& stop, std::atomic<int>& ticks) {
    while (!stop.stop_requested()) {
        ticks.fetch_add(1, std::memory_order_relaxed);
        std::this_thread::yield();
    }
}

TEST_CASE("a jthread requests stop and joins when it goes out of scope") {
    std::atomic<int> ticks{0};
    {
        // jthread passes its own stop token as the first argument.
        std::jthread worker(poll_until_stopped, std::ref(ticks));
        while (ticks.load(std::memory_order_relaxed) == 0) {
            std::this_thread::yield();  // wait until the worker really runs
        }
    }  // ~jthread: request_stop(), then join(); a std::thread here would call std::terminate
    const int after_join = ticks.load();
    CHECK(after_join > 0);
    std::this_thread::sleep_for(10ms);
    CHECK(ticks.load() == after_join);  // joined: nobody increments any more
}
// [stop-token]

// [stop-wait]
// A blocked wait that a stop request interrupts: condition_variable_any::wait with a
// stop token returns when stop is requested, without anyone calling notify.
std::string next_job(std::stop_token stop, std::mutex& mutex, std::condition_variable_any& cv,
                     std::vector<std::string>& jobs) {
    std::unique_lock lock(mutex);
    if (!cv.wait(lock, std::move(stop), [&jobs] { return !jobs.empty(); })) {
        return "<stopped>";  // the predicate was still false: woken by the stop request
    }
    std::string job = std::move(jobs.back());
    jobs.pop_back();
    return job;
}

TEST_CASE("a stop request wakes a thread blocked in a condition variable wait") {
    std::mutex mutex;
    std::condition_variable_any cv;
    std::vector<std::string> jobs;  // stays empty: only the stop can end the wait
    std::promise<std::string> result;
    std::future<std::string> got = result.get_future();
    std::jthread consumer([&](std::stop_token stop) {
        result.set_value(next_job(std::move(stop), mutex, cv, jobs));
    });
    consumer.request_stop();
    REQUIRE(got.wait_for(60s) == std::future_status::ready);
    CHECK(got.get() == "<stopped>");
}
// [stop-wait]

// [mutex-counter]
TEST_CASE("a mutex makes read-modify-write on shared data a critical section") {
    std::mutex mutex;
    long total = 0;  // guarded by mutex
    {
        std::vector<std::jthread> threads;
        threads.reserve(4);
        for (int t = 0; t < 4; ++t) {
            threads.emplace_back([&] {
                for (int i = 0; i < 10'000; ++i) {
                    const std::scoped_lock lock(mutex);
                    ++total;
                }
            });
        }
    }  // the jthreads join here
    CHECK(total == 40'000);
}
// [mutex-counter]

// [mailbox]
// A one-slot mailbox: the flag is the condition, the mutex guards it, the condition
// variable only says "look again". `checks` counts how often the waiter looked.
struct mailbox {
    std::mutex mutex;
    std::condition_variable changed;
    bool has_letter = false;  // guarded by mutex
    bool waiting = false;     // guarded by mutex
    int checks = 0;           // guarded by mutex
};

// Blocks until the waiter sits inside wait(): it set `waiting` under the mutex, and
// wait() releases the mutex atomically, so holding the mutex here means it is waiting.
void until_waiting(mailbox& box, int checks) {
    for (;;) {
        {
            const std::scoped_lock lock(box.mutex);
            if (box.waiting && box.checks >= checks) {
                return;
            }
        }
        std::this_thread::yield();
    }
}
// [mailbox]

// [bare-wait]
// Wrong: wait() without a predicate. It returns on any notify, meant for this waiter
// or not, and also spuriously, which the standard allows at any time.
bool receive_wrong(mailbox& box) {
    std::unique_lock lock(box.mutex);
    box.waiting = true;
    box.changed.wait(lock);
    return box.has_letter;  // may well be false
}

TEST_CASE("a wait without a predicate returns although the condition is false") {
    mailbox box;
    std::future<bool> got = std::async(std::launch::async, receive_wrong, std::ref(box));
    until_waiting(box, 0);
    box.changed.notify_all();  // someone else's notify, or a spurious wakeup: no letter
    REQUIRE(got.wait_for(60s) == std::future_status::ready);
    CHECK_FALSE(got.get());  // the receiver went on without a letter
}
// [bare-wait]

// [predicate-wait]
// Right: wait(lock, predicate) is `while (!predicate()) wait(lock);`. A wakeup
// without a letter only makes the receiver look again and go back to sleep.
bool receive(mailbox& box) {
    std::unique_lock lock(box.mutex);
    box.waiting = true;
    box.changed.wait(lock, [&box] {
        ++box.checks;
        return box.has_letter;
    });
    return box.has_letter;
}

TEST_CASE("a predicate wait goes back to sleep until the condition holds") {
    mailbox box;
    std::future<bool> got = std::async(std::launch::async, receive, std::ref(box));
    until_waiting(box, 1);
    box.changed.notify_all();  // a wakeup without a letter ...
    until_waiting(box, 2);     // ... the receiver looked again and waits once more
    {
        const std::scoped_lock lock(box.mutex);
        box.has_letter = true;  // change the condition under the mutex, then notify
    }
    box.changed.notify_one();
    REQUIRE(got.wait_for(60s) == std::future_status::ready);
    CHECK(got.get());
}
// [predicate-wait]

// [release-acquire]
// Message passing with one atomic flag: everything the producer wrote before its
// release store is visible to a consumer whose acquire load saw the flag set.
struct message {
    std::string payload;  // plain data, published through `ready`
    std::atomic<bool> ready{false};
};

void produce(message& m) {
    m.payload = "order 42 shipped";
    m.ready.store(true, std::memory_order_release);  // publishes the write above
}

std::string consume(const message& m) {
    while (!m.ready.load(std::memory_order_acquire)) {  // pairs with the release store
        std::this_thread::yield();
    }
    return m.payload;  // ordered after the store: no data race, no torn string
}

TEST_CASE("a release store publishes plain writes to an acquire load") {
    message m;
    std::future<std::string> received = std::async(std::launch::async, consume, std::cref(m));
    std::jthread producer(produce, std::ref(m));
    REQUIRE(received.wait_for(60s) == std::future_status::ready);
    CHECK(received.get() == "order 42 shipped");
}
// [release-acquire]

namespace {

// [child-runner]
// This test binary again, running one child entry case with CE_CHILD=<mode>: its
// waitpid() status and everything it wrote to standard error.

std::string_view child_mode() {
    const char* mode = std::getenv("CE_CHILD");
    return mode == nullptr ? std::string_view{} : std::string_view(mode);
}

ce_test::child_result run_child(const std::string& test_case, const std::string& mode) {
    return ce_test::run_to_end({
        .test_case = test_case,
        .environment = {"CE_CHILD=" + mode, "TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1"},
        .captured = ce_test::stream::standard_error,
        .limit = std::chrono::seconds{120},
    });
}
// [child-runner]

}  // namespace

// [race-child]
// Runs in a child process only (CE_CHILD=data-race): two threads increment one int
// with no synchronisation. Undefined behaviour; ThreadSanitizer stops the process.
TEST_CASE("child process entry: two threads increment an int without a lock"
          * doctest::skip(!ce_test::tsan_build)
          * doctest::description("only ThreadSanitizer reports the race")) {
    if (child_mode() == "data-race") {
        int hits = 0;
        {
            std::jthread a([&hits] { for (int i = 0; i < 1000; ++i) { ++hits; } });
            std::jthread b([&hits] { for (int i = 0; i < 1000; ++i) { ++hits; } });
        }
        CHECK(hits > 0);
    }
}
// [race-child]

// [race-report]
TEST_CASE("ThreadSanitizer reports the unsynchronised increments as a data race"
          * doctest::skip(!ce_test::tsan_build)
          * doctest::description("only ThreadSanitizer reports the race")) {
    const auto [status, report] =
        run_child("child process entry: two threads increment an int without a lock", "data-race");
    INFO("the child's stderr:\n" << report);
    CHECK_FALSE((WIFEXITED(status) && WEXITSTATUS(status) == 0));  // halt_on_error ended it
    CHECK(report.find("WARNING: ThreadSanitizer: data race") != std::string::npos);
}
// [race-report]

// [race-fixed]
TEST_CASE("the same increments under a scoped_lock are race-free and exact") {
    std::mutex mutex;
    int hits = 0;  // guarded by mutex
    {
        auto increment = [&] {
            for (int i = 0; i < 1000; ++i) {
                const std::scoped_lock lock(mutex);
                ++hits;
            }
        };
        std::jthread a(increment);
        std::jthread b(increment);
    }
    CHECK(hits == 2000);
}
// [race-fixed]

// [accounts]
struct account {
    std::mutex mutex;
    int balance = 100;  // guarded by mutex
};

// Locks the source, then the destination: the order depends on the arguments.
void transfer_unordered(account& from, account& to, int amount) {
    const std::lock_guard lock_from(from.mutex);
    const std::lock_guard lock_to(to.mutex);
    from.balance -= amount;
    to.balance += amount;
}
// [accounts]

// [inversion-child]
// Runs in a child process only (CE_CHILD=lock-order): a→b, then b→a. The threads run
// one after the other, so this run cannot deadlock; run them at the same time and each
// can hold one mutex while waiting forever for the other.
TEST_CASE("child process entry: two transfers lock two mutexes in opposite orders"
          * doctest::skip(!ce_test::tsan_build)
          * doctest::description("only ThreadSanitizer reports the inversion")) {
    if (child_mode() == "lock-order") {
        account a;
        account b;
        std::jthread(transfer_unordered, std::ref(a), std::ref(b), 10).join();
        std::jthread(transfer_unordered, std::ref(b), std::ref(a), 10).join();
        CHECK(a.balance + b.balance == 200);
    }
}
// [inversion-child]

// [inversion-report]
TEST_CASE("ThreadSanitizer reports the inverted lock order as a potential deadlock"
          * doctest::skip(!ce_test::tsan_build)
          * doctest::description("only ThreadSanitizer reports the inversion")) {
    const auto [status, report] = run_child(
        "child process entry: two transfers lock two mutexes in opposite orders", "lock-order");
    INFO("the child's stderr:\n" << report);
    CHECK_FALSE((WIFEXITED(status) && WEXITSTATUS(status) == 0));
    CHECK(report.find("WARNING: ThreadSanitizer: lock-order-inversion (potential deadlock)") !=
          std::string::npos);
}
// [inversion-report]

// [inversion-fixed]
// std::scoped_lock locks both with a deadlock-avoidance algorithm: the argument order
// no longer matters.
void transfer(account& from, account& to, int amount) {
    const std::scoped_lock lock(from.mutex, to.mutex);
    from.balance -= amount;
    to.balance += amount;
}

TEST_CASE("scoped_lock transfers in opposite directions at once neither deadlock nor race") {
    account a;
    account b;
    {
        std::jthread forth([&] { for (int i = 0; i < 2000; ++i) { transfer(a, b, 1); } });
        std::jthread back([&] { for (int i = 0; i < 2000; ++i) { transfer(b, a, 1); } });
    }
    CHECK(a.balance == 100);
    CHECK(b.balance == 100);
}
// [inversion-fixed]

// [false-sharing]
// 64 bytes: the cache line of x86-64 and of most arm64 cores. (The standard's
// hardware_destructive_interference_size is missing from clang 19 with libstdc++.)
constexpr std::size_t cache_line = 64;

struct unpadded_counters {
    std::atomic<std::uint64_t> value[4] = {};  // 32 bytes: all four in one cache line
};

struct padded_counter {
    alignas(cache_line) std::atomic<std::uint64_t> value{0};  // a line to itself
};

struct padded_counters {
    padded_counter slot[4];
};

// Thread t increments only counter t: no data is shared, yet unpadded counters share a
// cache line, which the cores pass back and forth on every write.
template <class Counter>
void count_in_parallel(Counter& counter_of, std::uint64_t increments) {
    std::vector<std::jthread> threads;
    threads.reserve(4);
    for (std::size_t t = 0; t < 4; ++t) {
        threads.emplace_back([&counter_of, t, increments] {
            for (std::uint64_t i = 0; i < increments; ++i) {
                counter_of(t).fetch_add(1, std::memory_order_relaxed);
            }
        });
    }
}

TEST_CASE("padding puts each counter on its own cache line; the counts are the same") {
    static_assert(sizeof(unpadded_counters) == 32);
    static_assert(sizeof(padded_counters) == 4 * cache_line);

    unpadded_counters tight;
    padded_counters spread;
    auto tight_at = [&tight](std::size_t t) -> std::atomic<std::uint64_t>& { return tight.value[t]; };
    auto spread_at = [&spread](std::size_t t) -> std::atomic<std::uint64_t>& { return spread.slot[t].value; };
    count_in_parallel(tight_at, 20'000);
    count_in_parallel(spread_at, 20'000);
    for (std::size_t t = 0; t < 4; ++t) {
        CHECK(tight.value[t].load() == 20'000);
        CHECK(spread.slot[t].value.load() == 20'000);
    }
}
// [false-sharing]

// [pool-futures]
TEST_CASE("submit returns a future that carries the task's value") {
    ce::thread_pool pool(4);
    std::future<int> answer = pool.submit([] { return 6 * 7; });
    std::future<std::string> greeting = pool.submit([] { return std::string("hello"); });
    CHECK(answer.get() == 42);  // blocks until a worker ran the task
    CHECK(greeting.get() == "hello");
}
// [pool-futures]

// [pool-throwing-task]
TEST_CASE("a task's exception reaches the caller through its future; the worker lives on") {
    ce::thread_pool pool(1);  // one worker: the second task must run on the same thread
    std::future<int> bad = pool.submit([] { return std::stoi("forty-two"); });
    std::future<int> good = pool.submit([] { return std::stoi("42"); });
    CHECK(good.get() == 42);  // the only worker survived the throw and ran the next task
    CHECK_THROWS_AS(bad.get(), std::invalid_argument);  // rethrown here, like result()
}
// [pool-throwing-task]

// [pool-drain]
TEST_CASE("shutdown runs every task already queued: N submitted, N ran") {
    std::atomic<int> ran{0};
    ce::thread_pool pool(2);
    for (int i = 0; i < 1000; ++i) {
        // A future from submit() does not block in its destructor (unlike std::async's),
        // so a fire-and-forget task may drop it.
        (void)pool.submit([&ran] { ran.fetch_add(1, std::memory_order_relaxed); });
    }
    pool.shutdown();  // no new tasks; the queue drains; the workers join
    CHECK(ran.load() == 1000);
}
// [pool-drain]

// [pool-destroyed-with-work]
TEST_CASE("a pool destroyed with work queued runs each queued task exactly once") {
    constexpr std::size_t n = 500;
    std::vector<std::atomic<int>> runs(n);  // how often task i ran
    std::latch gate(1);
    {
        ce::thread_pool pool(1);
        (void)pool.submit([&gate] { gate.wait(); });  // holds the only worker
        for (std::size_t i = 0; i < n; ++i) {
            (void)pool.submit([&runs, i] { runs[i].fetch_add(1); });
        }
        CHECK(runs[0].load() == 0);  // all n tasks are still queued
        gate.count_down();
    }  // ~thread_pool: the queue drains before the workers join
    for (std::size_t i = 0; i < n; ++i) {
        CHECK(runs[i].load() == 1);
    }
}
// [pool-destroyed-with-work]

// [pool-closed]
TEST_CASE("submit after shutdown throws a usage error instead of losing the task") {
    ce::thread_pool pool(1);
    pool.shutdown();
    CHECK_THROWS_WITH_AS((void)pool.submit([] { return 1; }),
                         "ce::thread_pool::submit: the pool is shut down", ce::usage_error);
    CHECK_THROWS_AS(ce::thread_pool(0), ce::usage_error);  // and a pool of no threads
}
// [pool-closed]

// [pool-post]
TEST_CASE("post queues a noexcept task with no future; the caller tracks completion") {
    std::atomic<int> ran{0};
    std::latch done(100);
    ce::thread_pool pool(2);  // declared last, destroyed first: no task outlives `done`
    for (int i = 0; i < 100; ++i) {
        pool.post([&ran, &done]() noexcept {
            ran.fetch_add(1, std::memory_order_relaxed);
            done.count_down();
        });
    }
    done.wait();
    CHECK(ran.load() == 100);
}
// [pool-post]

#ifdef CE_COMPILE_FAIL_POOL_POST_THROWING
// [pool-post-throwing]
void post_parse(ce::thread_pool& pool, const std::string& text) {
    pool.post([text] { (void)std::stoi(text); });  // std::stoi throws: not a noexcept task
}
// [pool-post-throwing]
#endif

// [pool-get-deadlock]
TEST_CASE("a task that blocks on its subtask's future starves a pool of one worker") {
    ce::thread_pool pool(1);
    std::future<std::future_status> parent = pool.submit([&pool] {
        std::future<int> child = pool.submit([] { return 1; });
        // The only worker is running this task, so `child` waits in the queue behind it:
        // child.get() would never return. wait_for shows it without hanging the test.
        return child.wait_for(100ms);
    });
    CHECK(parent.get() == std::future_status::timeout);
}
// [pool-get-deadlock]

// [pool-help]
long long fib_sequential(int n) { return n < 2 ? n : fib_sequential(n - 1) + fib_sequential(n - 2); }

// Fork-join: the pool gets fib(n-1), this thread computes fib(n-2), then helps the pool
// until fib(n-1) is done. Below the cutoff a task is not worth its queueing.
long long fib(ce::thread_pool& pool, int n) {
    if (n < 16) {
        return fib_sequential(n);
    }
    std::future<long long> left = pool.submit([&pool, n] { return fib(pool, n - 1); });
    const long long right = fib(pool, n - 2);
    pool.help_until_ready(left);  // runs queued tasks, `left` among them, while it waits
    return left.get() + right;
}

TEST_CASE("help_until_ready lets fork-join finish, even on a pool of one worker") {
    for (const std::size_t workers : {1U, 2U}) {
        ce::thread_pool pool(workers);
        std::future<long long> result = pool.submit([&pool] { return fib(pool, 24); });
        REQUIRE(result.wait_for(60s) == std::future_status::ready);
        CHECK(result.get() == 46368);
    }
}
// [pool-help]

// [pool-help-exception]
TEST_CASE("a subtask's exception reaches the parent task, and through it the caller") {
    std::future<int> parent;
    {
        ce::thread_pool pool(1);
        parent = pool.submit([&pool] {
            std::future<int> child = pool.submit([]() -> int { throw std::runtime_error("child failed"); });
            pool.help_until_ready(child);  // returns: a stored exception makes the future ready
            return child.get() + 1;        // rethrows here; the parent does not catch it
        });
        parent.wait();  // done, but its worker may still hold a reference to the exception
    }                   // joined: now it holds none (see below)
    CHECK_THROWS_WITH_AS(parent.get(), "child failed", std::runtime_error);  // the caller's turn
}
// [pool-help-exception]

// [pool-help-outside]
TEST_CASE("a thread outside the pool that helps runs queued tasks itself") {
    std::latch started(1);
    std::latch release(1);
    ce::thread_pool pool(1);
    std::future<void> blocker = pool.submit([&] {
        started.count_down();
        release.wait();  // holds the only worker
    });
    started.wait();  // the worker has taken `blocker`: the queue is empty again
    std::future<std::thread::id> queued = pool.submit([] { return std::this_thread::get_id(); });
    pool.help_until_ready(queued);  // the worker is busy, so this thread runs `queued`
    CHECK(queued.get() == std::this_thread::get_id());
    release.count_down();
    blocker.get();
}
// [pool-help-outside]

// [pool-help-after-shutdown]
TEST_CASE("after shutdown help_until_ready has nothing to run and only waits") {
    ce::thread_pool pool(2);
    std::future<int> drained = pool.submit([] { return 7; });
    pool.shutdown();
    pool.help_until_ready(drained);  // it ran during the drain: returns at once
    CHECK(drained.get() == 7);

    std::promise<int> elsewhere;  // made ready by a thread the pool knows nothing of
    std::future<int> later = elsewhere.get_future();
    std::jthread setter([&elsewhere] { elsewhere.set_value(8); });
    pool.help_until_ready(later);  // noticed by the helper's periodic re-check
    CHECK(later.get() == 8);

    CHECK_THROWS_AS(pool.help_until_ready(std::future<int>{}), ce::usage_error);  // no state
}
// [pool-help-after-shutdown]

// [synchronized-with-lock]
TEST_CASE("synchronized data is reached only through its lock") {
    ce::synchronized<std::vector<std::string>> lines;
    {
        std::vector<std::jthread> writers;
        writers.reserve(4);
        for (int w = 0; w < 4; ++w) {
            writers.emplace_back([&lines, w] {
                for (int i = 0; i < 100; ++i) {
                    lines.with_lock([&](std::vector<std::string>& v) {
                        v.push_back("writer " + std::to_string(w));
                    });
                }
            });
        }
    }
    CHECK(lines.with_lock([](const auto& v) { return v.size(); }) == 400);
}
// [synchronized-with-lock]

#ifdef CE_COMPILE_FAIL_SYNCHRONIZED_NO_ACCESS
// [synchronized-no-access]
void append_unlocked(ce::synchronized<std::vector<std::string>>& lines) {
    lines.push_back("no lock, no access");  // the vector is not a member you can reach
}
// [synchronized-no-access]
#endif

// [observed-mutex]
// A std::mutex that counts how many times it is held, to watch ce::synchronized use it.
struct observed_mutex {
    static inline std::atomic<int> held{0};

    void lock() {
        mutex_.lock();
        held.fetch_add(1);
    }
    void unlock() {
        held.fetch_sub(1);
        mutex_.unlock();
    }

private:
    std::mutex mutex_;
};
// [observed-mutex]

// [synchronized-locked-ptr]
TEST_CASE("lock() returns a pointer that holds the lock for as long as it lives") {
    using stock_map = std::map<std::string, int>;
    ce::synchronized<stock_map, observed_mutex> stock(std::in_place, stock_map{{"apple", 2}, {"pear", 1}});
    {
        auto items = stock.lock();  // several steps, one critical section
        CHECK(observed_mutex::held.load() == 1);
        (*items)["apple"] += 3;
        items->erase("pear");
    }
    CHECK(observed_mutex::held.load() == 0);  // released with the pointer
    CHECK(stock.copy() == stock_map{{"apple", 5}});
}
// [synchronized-locked-ptr]
