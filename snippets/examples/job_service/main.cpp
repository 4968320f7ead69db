// jobq: a job queue over HTTP/1.1 on loopback, built from the book's library only.
//
//   jobq --data <folder> --token <secret> [--port 0] [--workers 2] [--queue 64]
//        [--drain 10] [--request-timeout 10] [--rate 1000] [--burst 2000]
//
// POST /jobs with a limit as the body → 202 {"id":N}; GET /jobs/N → the job's state and,
// once done, the number of primes up to the limit; GET /health needs no token. Logs are
// JSON lines on standard output; the first says where it listens. SIGTERM or SIGINT
// stops it gracefully: exit status 0 when everything stopped within --drain seconds.
#include "http_server.hpp"
#include "service.hpp"
#include "wal.hpp"

#include <ce/container.hpp>
#include <ce/error.hpp>
#include <ce/event_loop.hpp>
#include <ce/lifecycle.hpp>
#include <ce/log_sink.hpp>
#include <ce/logger.hpp>
#include <ce/task.hpp>
#include <ce/task_group.hpp>
#include <ce/tcp.hpp>
#include <ce/thread_pool.hpp>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>

namespace {

struct options {
    std::filesystem::path data;
    jobq::service_options service;
    std::uint16_t port = 0;
    std::chrono::milliseconds drain{10'000};
    std::chrono::milliseconds request_timeout{10'000};
};

template <typename Number>
Number number(std::string_view flag, std::string_view text) {
    Number value{};
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) {
        throw ce::usage_error("jobq: " + std::string(flag) + " needs a number, not \"" + std::string(text) + "\"");
    }
    return value;
}

options parse_options(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; i += 2) {
        const std::string_view flag = argv[i];
        if (i + 1 >= argc) {
            throw ce::usage_error("jobq: " + std::string(flag) + " needs a value");
        }
        const std::string_view value = argv[i + 1];
        if (flag == "--data") {
            o.data = value;
        } else if (flag == "--token") {
            o.service.token = value;
        } else if (flag == "--port") {
            o.port = number<std::uint16_t>(flag, value);
        } else if (flag == "--workers") {
            o.service.workers = number<unsigned>(flag, value);
        } else if (flag == "--queue") {
            o.service.queue_capacity = number<std::size_t>(flag, value);
        } else if (flag == "--drain") {
            o.drain = std::chrono::milliseconds(number<unsigned>(flag, value) * 1000U);
        } else if (flag == "--request-timeout") {
            o.request_timeout = std::chrono::milliseconds(number<unsigned>(flag, value));
        } else if (flag == "--rate") {
            o.service.rate_per_second = number<double>(flag, value);
        } else if (flag == "--burst") {
            o.service.burst = number<double>(flag, value);
        } else {
            throw ce::usage_error("jobq: unknown option " + std::string(flag));
        }
    }
    if (o.data.empty() || o.service.token.empty()) {
        throw ce::usage_error("jobq: --data and --token are required");
    }
    return o;
}

/// The pool that waits on the disk: a type of its own, so the container tells it apart
/// from the CPU pool.
struct disk_pool : ce::thread_pool {
    using ce::thread_pool::thread_pool;
};

// [run]
// The loop's one task: the server until it has stopped and drained, then the workers,
// cut short. A job queued or running then stays accepted in the log and runs after the
// next start: the log, not the process, is what keeps a job.
ce::task<void> run(jobq::http_server& server, jobq::job_service& service) {
    ce::task_group workers;
    workers.spawn(service.run_workers());
    std::exception_ptr failure;
    try {
        co_await server.serve();
    } catch (...) {
        failure = std::current_exception();
    }
    service.close();
    workers.cancel();
    co_await workers.join();
    if (failure) {
        std::rethrow_exception(failure);
    }
}
// [run]

// [wiring]
// What the program is made of, and how each part is made from the others. Nothing is
// made until the lifecycle's services ask for it, and the container destroys the parts
// in the reverse order of their making.
ce::container wire(const options& o) {
    ce::container c;
    c.singleton<ce::logger>([](ce::container&) {
        return std::make_shared<ce::logger>(std::make_shared<ce::file_sink>(stdout));
    });
    c.singleton<jobq::write_ahead_log>([data = o.data](ce::container&) {
        std::filesystem::create_directories(data);
        return std::make_shared<jobq::write_ahead_log>(jobq::write_ahead_log::open(data / "jobs.wal"));
    });
    c.singleton<ce::event_loop>([](ce::container& in) {
        return std::make_shared<ce::event_loop>(ce::event_loop_options{.log = *in.resolve<ce::logger>()});
    });
    // CPU-bound jobs on one pool; fdatasync on another, so that a slow disk never
    // takes a thread a job could use, and several appends share one sync.
    c.singleton<ce::thread_pool>([workers = o.service.workers](ce::container&) {
        return std::make_shared<ce::thread_pool>(workers);
    });
    c.singleton<disk_pool>([](ce::container&) { return std::make_shared<disk_pool>(4); });
    c.singleton<jobq::job_service>([o](ce::container& in) {
        return std::make_shared<jobq::job_service>(*in.resolve<ce::event_loop>(), *in.resolve<jobq::write_ahead_log>(),
                                                   *in.resolve<ce::thread_pool>(), *in.resolve<disk_pool>(),
                                                   *in.resolve<ce::logger>(), o.service);
    });
    c.singleton<jobq::http_server>([o](ce::container& in) {
        ce::event_loop& loop = *in.resolve<ce::event_loop>();
        jobq::server_options server;
        server.limits.max_body_bytes = 64;  // a job's body is a number
        server.request_timeout = o.request_timeout;
        server.drain_timeout = o.drain;
        server.log = *in.resolve<ce::logger>();
        return std::make_shared<jobq::http_server>(loop, ce::tcp_listener::bind(loop, "127.0.0.1", o.port),
                                                   in.resolve<jobq::job_service>()->make_app(), server);
    });
    return c;
}
// [wiring]

}  // namespace

// [main]
int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);  // a log line reaches a pipe when it is written
    options o;
    try {
        o = parse_options(argc, argv);
    } catch (const ce::usage_error& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 2;
    }
    ce::lifecycle app(o.drain);
    // Before any other thread exists: SIGINT and SIGTERM stay blocked in every thread
    // started after it, and the watcher turns them into a stop request.
    ce::signal_watcher signals(app.get_stop_source());
    ce::container parts = wire(o);
    ce::logger log = *parts.resolve<ce::logger>();
    std::thread loop_thread;

    app.add(
        "log", [&](std::stop_token) {
            const auto& wal = *parts.resolve<jobq::write_ahead_log>();
            log.info("recovered", "records", wal.recovered().size(), "damage", jobq::to_string(wal.damage()));
        },
        [](auto) {});
    app.add(
        "http",
        [&](std::stop_token) {
            auto& loop = *parts.resolve<ce::event_loop>();
            auto& server = *parts.resolve<jobq::http_server>();
            auto& service = *parts.resolve<jobq::job_service>();
            log.info("listening", "address", "127.0.0.1", "port", server.port(), "pending",
                     service.recovered_pending());
            loop_thread = std::thread([&] {
                try {
                    loop.run_until_complete(run(server, service));
                } catch (const std::exception& e) {
                    log.error("the server failed", "error", e.what());
                }
                app.request_stop();  // a server that ended on its own ends the program
            });
        },
        [&](ce::lifecycle::time_point) {
            auto& loop = *parts.resolve<ce::event_loop>();
            // Refuse new connections and finish the requests in progress; run() then
            // closes the job queue once the server is done.
            loop.call_soon_threadsafe([&] { parts.resolve<jobq::http_server>()->stop(); });
            loop_thread.join();
        });

    try {
        app.start();
    } catch (const std::exception& e) {
        log.error("could not start", "error", e.what());
        return 1;
    }
    app.wait_for_stop();
    const ce::stop_report report = app.stop();
    log.info("stopped", "clean", report.clean());
    return report.clean() ? 0 : 1;
}
// [main]
