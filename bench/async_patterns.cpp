// ce::event_loop and ce::task against standalone asio's io_context and C++20 awaitables
// (asio::awaitable, asio::co_spawn, asio::use_awaitable), everything on one thread, and
// the echo case also against Python's asyncio. The asio variant of each group is its
// baseline. Every iteration builds a fresh loop (ce::event_loop, asio::io_context, or
// asyncio.run's loop) inside the timed region: both cost microseconds, the cases take
// milliseconds, and a reused loop would keep the previous iteration's queues warm.
//
// post/*    10^6 callbacks that each count themselves, queued from the benchmark's thread
//           before the loop runs, timed until the last one ran.
//             asio_post       asio::post to the io_context, then io_context::run(),
//                             which returns when the queue is empty. Posted outside
//                             run(), each post takes the scheduler's (uncontended) mutex.
//             ce_call_soon    event_loop::call_soon, then run(); the last callback calls
//                             stop(). The callbacks all run in the loop's first iteration.
// timers/*  10^5 timers due 0 to 999 microseconds from now (deadline i % 1000 us), so
//           the run measures the timer bookkeeping (insertion, expiry in deadline order),
//           not the waiting: the last deadline is a millisecond away.
//             asio_steady_timer  one asio::steady_timer per timer, async_wait
//             ce_call_later      event_loop::call_later; the last timer to fire stops
//                                the loop
// echo/*    10 loopback TCP connections, each sending 10^4 messages of 64 bytes, one at
//           a time: the client writes a message and reads it back in full before it
//           sends the next (ping-pong per connection; the 10 connections run at once).
//           The server echoes whatever it reads. Server and clients share one loop on
//           one thread; TCP_NODELAY on every socket. Timed from the loop's creation to
//           the last client's end, listening and connecting included; every echoed
//           message is compared with the one sent.
//             asio_awaitable  a co_spawned acceptor, session per accepted socket and
//                             client, all asio::awaitable with use_awaitable
//             ce_task         the same with ce::task: tcp_listener::accept,
//                             event_loop::spawn, read_some / write_all / read_exactly
//             asyncio         bench/asyncio_echo.py in Debian's /usr/bin/python3:
//                             asyncio.start_server, open_connection, StreamReader /
//                             StreamWriter. A Python process started once runs one
//                             round per request and reports its own
//                             time.perf_counter_ns() around asyncio.run(), which is the
//                             iteration's time (manual time): start-up and the request
//                             over the pipe are not counted.
// chain/*   one coroutine that awaits, 10^6 times in a loop, a child coroutine that
//           returns its argument without suspending: the cost of one co_await of a
//           task (frame allocation, start, completion, result) and nothing else.
//             asio_awaitable  asio::awaitable<int> children in a parent co_spawned on
//                             an io_context
//             ce_task         ce::task<int> children in a parent run with ce::sync_wait
// tasks/*  10^5 tasks started at once, each suspending once (it reschedules itself on
//           the loop) and then finishing, all joined: the cost of one concurrent task
//           (frame, bookkeeping, one trip through the ready queue).
//             asio_co_spawn        asio::co_spawn(..., detached) of an awaitable that
//                                  co_awaits asio::post
//             ce_task_group        ce::task_group::spawn inside ce::with_task_group of a
//                                  task that co_awaits event_loop::schedule()
// Every variant checks its result (the counts, every echoed byte, the chain's sum) and
// skips with an error when it is wrong.
#include <ce/event_loop.hpp>
#include <ce/subprocess.hpp>
#include <ce/task.hpp>
#include <ce/task_group.hpp>
#include <ce/tcp.hpp>

#include "python_timer.hpp"

#include <asio.hpp>
#include <benchmark/benchmark.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CE_BENCH_PYTHON
#define CE_BENCH_PYTHON "/usr/bin/python3"
#endif
#ifndef CE_BENCH_ASYNCIO_ECHO
#define CE_BENCH_ASYNCIO_ECHO "bench/asyncio_echo.py"
#endif

namespace {

// ---- post: 10^6 callbacks ----------------------------------------------------------

constexpr int posts = 1'000'000;

void post_asio(benchmark::State& state) {
    for (auto _ : state) {
        int count = 0;
        asio::io_context io;
        for (int i = 0; i < posts; ++i) {
            asio::post(io, [&count] { ++count; });
        }
        io.run();
        if (count != posts) {
            state.SkipWithError("not every posted callback ran");
            break;
        }
    }
}

void post_ce(benchmark::State& state) {
    for (auto _ : state) {
        int count = 0;
        ce::event_loop loop;
        for (int i = 0; i < posts; ++i) {
            loop.call_soon([&count, &loop] {
                if (++count == posts) {
                    loop.stop();
                }
            });
        }
        loop.run();
        if (count != posts) {
            state.SkipWithError("not every callback ran");
            break;
        }
    }
}

// ---- timers: 10^5 timers due within a millisecond ----------------------------------

constexpr int timers = 100'000;

std::chrono::microseconds timer_delay(int i) { return std::chrono::microseconds(i % 1000); }

void timers_asio(benchmark::State& state) {
    for (auto _ : state) {
        int fired = 0;
        asio::io_context io;
        std::vector<asio::steady_timer> pending;
        pending.reserve(timers);
        for (int i = 0; i < timers; ++i) {
            asio::steady_timer& t = pending.emplace_back(io, timer_delay(i));
            t.async_wait([&fired](const std::error_code& ec) {
                if (!ec) {
                    ++fired;
                }
            });
        }
        io.run();
        if (fired != timers) {
            state.SkipWithError("not every timer fired");
            break;
        }
    }
}

void timers_ce(benchmark::State& state) {
    for (auto _ : state) {
        int fired = 0;
        ce::event_loop loop;
        for (int i = 0; i < timers; ++i) {
            loop.call_later(timer_delay(i), [&fired, &loop] {
                if (++fired == timers) {
                    loop.stop();
                }
            });
        }
        loop.run();
        if (fired != timers || loop.pending_timers() != 0) {
            state.SkipWithError("not every timer fired");
            break;
        }
    }
}

// ---- echo: 10 connections x 10^4 messages of 64 bytes ------------------------------

constexpr int connections = 10;
constexpr int messages = 10'000;
constexpr std::size_t message_size = 64;
using message = std::array<std::byte, message_size>;

// Message `index` of client `client`: every message differs, so a mixed-up echo is
// caught. bench/asyncio_echo.py builds the same bytes.
void fill(message& m, int client, int index) {
    for (std::size_t k = 0; k < m.size(); ++k) {
        m[k] = static_cast<std::byte>((static_cast<std::size_t>(client) * 31 + static_cast<std::size_t>(index) * 7 + k) &
                                      0xffU);
    }
}

// What the clients of one iteration report.
struct echo_tally {
    int finished = 0;
    int wrong = 0;   // echoed messages that differ from the ones sent
    int failed = 0;  // clients that ended with an exception
};

// ce: the server's side of one connection, then the acceptor, then a client.
ce::task<void> ce_echo_session(ce::tcp_stream stream) {
    std::array<std::byte, 4096> buf{};
    for (;;) {
        const std::size_t n = co_await stream.read_some(buf);
        if (n == 0) {
            co_return;  // the client closed
        }
        const std::span<const std::byte> received(buf.data(), n);
        co_await stream.write_all(received);
    }
}

ce::task<void> ce_echo_acceptor(ce::event_loop& loop, ce::tcp_listener& listener) {
    for (int i = 0; i < connections; ++i) {
        ce::tcp_stream stream = co_await listener.accept();
        loop.spawn(ce_echo_session(std::move(stream)));
    }
}

ce::task<void> ce_echo_client(ce::event_loop& loop, std::uint16_t port, int id, echo_tally& tally) {
    try {
        ce::tcp_stream stream = co_await ce::tcp_stream::connect(loop, "127.0.0.1", port);
        message sent{};
        message received{};
        for (int i = 0; i < messages; ++i) {
            fill(sent, id, i);
            const std::span<const std::byte> out(sent);
            co_await stream.write_all(out);
            const std::span<std::byte> in(received);
            co_await stream.read_exactly(in);
            if (received != sent) {
                ++tally.wrong;
            }
        }
    } catch (...) {
        ++tally.failed;
    }
    if (++tally.finished == connections) {
        loop.stop();
    }
}

bool check_tally(benchmark::State& state, const echo_tally& tally) {
    if (tally.finished != connections || tally.failed != 0) {
        state.SkipWithError("a client failed");
        return false;
    }
    if (tally.wrong != 0) {
        state.SkipWithError("an echoed message differs from the one sent");
        return false;
    }
    return true;
}

void echo_ce(benchmark::State& state) {
    for (auto _ : state) {
        echo_tally tally;
        {
            ce::event_loop loop;
            ce::tcp_listener listener = ce::tcp_listener::bind(loop);
            loop.spawn(ce_echo_acceptor(loop, listener));
            for (int c = 0; c < connections; ++c) {
                loop.spawn(ce_echo_client(loop, listener.port(), c, tally));
            }
            loop.run();
        }  // the sessions, still waiting for a read that would return 0, go with the loop
        if (!check_tally(state, tally)) {
            break;
        }
    }
}

// asio: the same three coroutines.
asio::awaitable<void> asio_echo_session(asio::ip::tcp::socket socket) {
    socket.set_option(asio::ip::tcp::no_delay(true));
    std::array<std::byte, 4096> buf{};
    try {
        for (;;) {
            const std::size_t n = co_await socket.async_read_some(asio::buffer(buf), asio::use_awaitable);
            co_await asio::async_write(socket, asio::buffer(buf.data(), n), asio::use_awaitable);
        }
    } catch (const std::system_error& e) {
        if (e.code() != asio::error::eof) {
            throw;
        }
    }
}

asio::awaitable<void> asio_echo_acceptor(asio::ip::tcp::acceptor& acceptor) {
    for (int i = 0; i < connections; ++i) {
        asio::ip::tcp::socket socket = co_await acceptor.async_accept(asio::use_awaitable);
        asio::co_spawn(acceptor.get_executor(), asio_echo_session(std::move(socket)), asio::detached);
    }
}

asio::awaitable<void> asio_echo_client(asio::ip::tcp::endpoint server, int id, echo_tally& tally) {
    asio::ip::tcp::socket socket(co_await asio::this_coro::executor);
    co_await socket.async_connect(server, asio::use_awaitable);
    socket.set_option(asio::ip::tcp::no_delay(true));
    message sent{};
    message received{};
    for (int i = 0; i < messages; ++i) {
        fill(sent, id, i);
        co_await asio::async_write(socket, asio::buffer(sent), asio::use_awaitable);
        co_await asio::async_read(socket, asio::buffer(received), asio::use_awaitable);
        if (received != sent) {
            ++tally.wrong;
        }
    }
}

void echo_asio(benchmark::State& state) {
    for (auto _ : state) {
        echo_tally tally;
        {
            asio::io_context io;
            asio::ip::tcp::acceptor acceptor(io, asio::ip::tcp::endpoint(asio::ip::make_address_v4("127.0.0.1"), 0));
            const asio::ip::tcp::endpoint server = acceptor.local_endpoint();
            asio::co_spawn(io, asio_echo_acceptor(acceptor), asio::detached);
            for (int c = 0; c < connections; ++c) {
                asio::co_spawn(io, asio_echo_client(server, c, tally), [&tally](const std::exception_ptr& e) {
                    ++tally.finished;
                    if (e) {
                        ++tally.failed;
                    }
                });
            }
            io.run();  // returns when the clients have finished and the sessions saw end-of-file
        }
        if (!check_tally(state, tally)) {
            break;
        }
    }
}

// asyncio: bench/asyncio_echo.py, kept running for every repetition (python_timer.hpp).
void echo_asyncio(benchmark::State& state) {
    static bench::python_timer python({CE_BENCH_PYTHON, CE_BENCH_ASYNCIO_ECHO, std::to_string(connections),
                                       std::to_string(messages), std::to_string(message_size)});
    std::string error;
    for (auto _ : state) {
        const std::int64_t ns = python.run_once(error);
        if (!error.empty()) {
            state.SkipWithError(error.c_str());
            break;
        }
        state.SetIterationTime(static_cast<double>(ns) * 1e-9);
    }
}

// ---- chain: 10^6 co_awaits of a task that completes at once -------------------------

constexpr int links = 1'000'000;
constexpr std::int64_t chain_sum = std::int64_t{links} * (links - 1) / 2;

asio::awaitable<int> asio_child(int i) { co_return i; }

asio::awaitable<std::int64_t> asio_parent() {
    std::int64_t sum = 0;
    for (int i = 0; i < links; ++i) {
        sum += co_await asio_child(i);
    }
    co_return sum;
}

void chain_asio(benchmark::State& state) {
    for (auto _ : state) {
        std::int64_t sum = 0;
        bool failed = false;
        asio::io_context io;
        asio::co_spawn(io, asio_parent(), [&sum, &failed](const std::exception_ptr& e, std::int64_t result) {
            failed = e != nullptr;
            sum = result;
        });
        io.run();
        if (failed || sum != chain_sum) {
            state.SkipWithError("wrong sum");
            break;
        }
    }
}

ce::task<int> ce_child(int i) { co_return i; }

ce::task<std::int64_t> ce_parent() {
    std::int64_t sum = 0;
    for (int i = 0; i < links; ++i) {
        sum += co_await ce_child(i);
    }
    co_return sum;
}

void chain_ce(benchmark::State& state) {
    for (auto _ : state) {
        if (ce::sync_wait(ce_parent()) != chain_sum) {
            state.SkipWithError("wrong sum");
            break;
        }
    }
}

// ---- tasks: 10^5 concurrent tasks, each suspending once --------------------------------

constexpr int spawned_tasks = 100'000;

asio::awaitable<void> asio_yielding(int& done) {
    co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);  // one suspension
    ++done;
}

void tasks_asio(benchmark::State& state) {
    for (auto _ : state) {
        int done = 0;
        asio::io_context io;
        for (int i = 0; i < spawned_tasks; ++i) {
            asio::co_spawn(io, asio_yielding(done), asio::detached);
        }
        io.run();
        if (done != spawned_tasks) {
            state.SkipWithError("not every task finished");
            break;
        }
    }
}

ce::task<void> ce_yielding(ce::event_loop& loop, int& done) {
    co_await loop.schedule();  // one suspension
    ++done;
}

void tasks_ce(benchmark::State& state) {
    for (auto _ : state) {
        int done = 0;
        ce::event_loop loop;
        auto all = [&]() -> ce::task<void> {
            co_await ce::with_task_group([&](ce::task_group& group) -> ce::task<void> {
                for (int i = 0; i < spawned_tasks; ++i) {
                    group.spawn(ce_yielding(loop, done));
                }
                co_return;
            });
        };
        loop.run_until_complete(all());
        if (done != spawned_tasks) {
            state.SkipWithError("not every task finished");
            break;
        }
    }
}

}  // namespace

BENCHMARK(post_asio)->Name("post/asio_post")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(post_ce)->Name("post/ce_call_soon")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(timers_asio)->Name("timers/asio_steady_timer")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(timers_ce)->Name("timers/ce_call_later")->UseRealTime()->Unit(benchmark::kMillisecond);
// Most of a second per round for C++, two to six for asyncio: fixed, small iteration counts.
BENCHMARK(echo_asio)->Name("echo/asio_awaitable")->UseRealTime()->Unit(benchmark::kMillisecond)->Iterations(2);
BENCHMARK(echo_ce)->Name("echo/ce_task")->UseRealTime()->Unit(benchmark::kMillisecond)->Iterations(2);
BENCHMARK(echo_asyncio)->Name("echo/asyncio")->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK(chain_asio)->Name("chain/asio_awaitable")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(chain_ce)->Name("chain/ce_task")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(tasks_asio)->Name("tasks/asio_co_spawn")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(tasks_ce)->Name("tasks/ce_task_group")->UseRealTime()->Unit(benchmark::kMillisecond);
