// Understanding the GIL: the chapter page shows the named regions of this file.
//
// The file is compiled twice. As a doctest unit it holds a model of CPython's GIL and
// the tests of that model. With CE_PYTHON_MODULE defined it is a real CPython extension
// module, ce_gil, built with pybind11 and imported by concurrency/gil.py.
#ifndef CE_PYTHON_MODULE

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

// [gil-model]
// CPython's GIL since 3.2 (Python/ceval_gil.c), reduced to its decisions. A thread
// that wants the GIL waits at most one switch interval; if no switch happened meanwhile
// it sets the drop request, which the running thread checks between bytecodes. The
// running thread then drops the GIL and, with forced switching, waits until another
// thread has taken it before it asks again.
class gil_model {
public:
    using clock = std::chrono::steady_clock;

    explicit gil_model(clock::duration interval) : interval_(interval) {}

    // Blocks until this thread holds the GIL; true if another thread held it on arrival.
    bool take() {
        std::unique_lock lock(mutex_);
        const bool contended = locked_;
        while (locked_) {
            const std::uint64_t seen = switches_;
            if (!released_.wait_for(lock, interval_, [this] { return !locked_; }) && switches_ == seen) {
                drop_request_.store(true);  // a whole interval and no switch: ask the holder
            }
        }
        locked_ = true;
        ++switches_;
        drop_request_.store(false);
        switched_.notify_all();
        return contended;
    }

    // Releases the GIL: Py_BEGIN_ALLOW_THREADS before a blocking call, or the end.
    void drop() {
        {
            const std::scoped_lock lock(mutex_);
            locked_ = false;
        }
        released_.notify_one();
    }

    // The eval breaker, checked between bytecodes by the thread holding the GIL.
    void check_drop_request() {
        if (!drop_request_.load()) {
            return;
        }
        {
            std::unique_lock lock(mutex_);
            locked_ = false;
            released_.notify_one();
            const std::uint64_t seen = switches_;
            switched_.wait(lock, [&] { return switches_ != seen; });  // forced switching
        }
        (void)take();
    }

private:
    const clock::duration interval_;
    mutable std::mutex mutex_;
    std::condition_variable released_;
    std::condition_variable switched_;
    bool locked_ = false;          // guarded by mutex_
    std::uint64_t switches_ = 0;   // guarded by mutex_: how often the GIL was taken
    std::atomic<bool> drop_request_{false};
};
// [gil-model]

// [convoy-threads]
// A CPU-bound thread: runs "bytecodes" while it holds the GIL, never blocks, and gives
// the GIL up only when asked.
void cpu_bound(gil_model& gil, const std::atomic<bool>& stop, std::atomic<bool>& holding) {
    (void)gil.take();
    holding.store(true);
    std::uint64_t x = 1;
    while (!stop.load()) {
        for (int i = 0; i < 1000; ++i) {  // one "bytecode"
            x = x * 6364136223846793005U + 1442695040888963407U;
        }
        gil.check_drop_request();
    }
    gil.drop();
    holding.store(x == 0);  // keeps the loop from being optimised away
}

// An I/O-bound thread: each round blocks without the GIL (a 1 ms "read"), then needs
// the GIL for a moment to handle what it read. Returns how long each take() waited
// that found the GIL held by the other thread.
std::vector<gil_model::clock::duration> io_bound(gil_model& gil, int rounds) {
    std::vector<gil_model::clock::duration> contended_waits;
    for (int i = 0; i < rounds; ++i) {
        std::this_thread::sleep_for(1ms);  // the blocking call, GIL released
        const auto start = gil_model::clock::now();
        if (gil.take()) {
            contended_waits.push_back(gil_model::clock::now() - start);
        }
        gil.drop();
    }
    return contended_waits;
}
// [convoy-threads]

// [convoy]
TEST_CASE("beside a CPU-bound thread every GIL hand-over to an I/O thread waits a full interval") {
    constexpr auto interval = 5ms;  // sys.getswitchinterval() == 0.005
    gil_model gil(interval);
    std::atomic<bool> stop{false};
    std::atomic<bool> holding{false};
    std::jthread cpu(cpu_bound, std::ref(gil), std::cref(stop), std::ref(holding));
    while (!holding.load()) {
        std::this_thread::yield();
    }
    const auto waits = io_bound(gil, 20);
    stop.store(true);
    cpu.join();

    // The first round surely found the GIL held: the CPU thread had it and never drops
    // it unasked. Nobody asks before a whole interval has passed, so every contended
    // take() waited at least one interval, however short the I/O was: the convoy.
    REQUIRE_FALSE(waits.empty());
    CHECK(*std::ranges::min_element(waits) >= interval);
}
// [convoy]

// [no-convoy]
TEST_CASE("without a CPU-bound thread the I/O thread never waits for the GIL") {
    gil_model gil(5ms);
    CHECK(io_bound(gil, 20).empty());  // no take() found the GIL held
}
// [no-convoy]

#else  // CE_PYTHON_MODULE: the extension module imported by gil.py

// [extension]
#include <pybind11/pybind11.h>

#include <cstdint>

namespace py = pybind11;

namespace {

// Pure C++ work on plain integers: no Python object is touched inside the loop.
std::uint64_t mix(std::uint64_t seed, std::uint64_t rounds) {
    std::uint64_t x = seed;
    for (std::uint64_t i = 0; i < rounds; ++i) {
        x = x * 6364136223846793005U + 1442695040888963407U;
        x ^= x >> 29U;
    }
    return x;
}

}  // namespace

PYBIND11_MODULE(ce_gil, m) {
    m.doc() = "CPU-bound work that holds or releases the GIL";

    // Holds the GIL for the whole call: other Python threads wait.
    m.def("mix_holding_gil", &mix, py::arg("seed"), py::arg("rounds"));

    // Releases the GIL around the loop: other Python threads run meanwhile. The
    // arguments were converted to C++ integers before the release and the result is
    // converted back after it: no Python object is touched without the GIL.
    m.def("mix_releasing_gil", &mix, py::arg("seed"), py::arg("rounds"),
          py::call_guard<py::gil_scoped_release>());
}
// [extension]

#endif
