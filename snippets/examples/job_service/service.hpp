// jobq's application: the endpoint, the middleware around it, and the workers that run
// the jobs. It owns no thread and no socket: main.cpp wires it to the event loop, the
// thread pools, the log and the HTTP server.
#pragma once

#include "http_server.hpp"
#include "jobs.hpp"
#include "wal.hpp"

#include <ce/channel.hpp>
#include <ce/error.hpp>
#include <ce/event_loop.hpp>
#include <ce/http.hpp>
#include <ce/logger.hpp>
#include <ce/pipeline.hpp>
#include <ce/task.hpp>
#include <ce/task_group.hpp>
#include <ce/thread_pool.hpp>
#include <ce/to_thread.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace jobq {

struct service_options {
    std::string token;               ///< the bearer token every request but GET /health needs
    std::size_t queue_capacity = 64; ///< unfinished jobs at most; beyond, POST /jobs is a 503
    unsigned workers = 2;            ///< jobs running at once, each on a CPU pool thread
    double rate_per_second = 1000;   ///< requests a client may make per second, sustained
    double burst = 2000;             ///< and in a burst
};

namespace detail {

inline response json(int status, std::string body) {
    return response{status, {{"Content-Type", "application/json"}}, std::move(body)};
}

inline response error_json(int status, std::string_view message) {
    std::string body = "{\"error\":\"";
    for (const char c : message) {  // messages are the service's own: escape what JSON needs
        if (c == '"' || c == '\\') {
            body += '\\';
        }
        if (static_cast<unsigned char>(c) >= 0x20) {
            body += c;
        }
    }
    return json(status, body + "\"}");
}

// Compares without stopping at the first difference: the time taken does not tell an
// attacker how much of a guessed token was right.
inline bool same_secret(std::string_view a, std::string_view b) noexcept {
    unsigned char differ = a.size() == b.size() ? 0 : 1;
    for (std::size_t i = 0; i < a.size(); ++i) {
        differ |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
    }
    return differ == 0;
}

inline const std::string* field(const ce::http::request_head& head, std::string_view name) {
    for (const auto& f : head.fields) {
        if (ce::http::iequals(f.name, name)) {
            return &f.value;
        }
    }
    return nullptr;
}

}  // namespace detail

/**
 * The job service: accepts jobs over HTTP, logs each to the write-ahead log before it
 * answers 202, runs them on the CPU pool, and answers their status. Lives on the event
 * loop's thread; it must outlive the server that serves its app().
 */
class job_service {
public:
    job_service(ce::event_loop& loop, write_ahead_log& wal, ce::thread_pool& cpu, ce::thread_pool& disk,
                ce::logger log, service_options options)
        : loop_(&loop),
          wal_(&wal),
          cpu_(&cpu),
          disk_(&disk),
          log_(std::move(log)),
          options_(std::move(options)),
          store_(options_.queue_capacity),
          queue_(loop, options_.queue_capacity) {
        recover();
        if (options_.workers == 0) {
            throw ce::usage_error("jobq::job_service: at least one worker is needed");
        }
    }
    job_service(const job_service&) = delete;             ///< The app's layers point at it.
    job_service& operator=(const job_service&) = delete;  ///< The app's layers point at it.
    job_service(job_service&&) = delete;                  ///< The app's layers point at it.
    job_service& operator=(job_service&&) = delete;       ///< The app's layers point at it.
    ~job_service() = default;

    // [app]
    /// The middleware and the endpoint, outermost first: every request is logged with
    /// its final status; an exception becomes a JSON error; then authentication, then
    /// the client's rate, then the route.
    [[nodiscard]] app make_app() {
        return app({[this](request_context& rq, const app::handler& next) { return log_request(rq, next); },
                    [this](request_context& rq, const app::handler& next) { return map_errors(rq, next); },
                    [this](request_context& rq, const app::handler& next) { return authenticate(rq, next); },
                    [this](request_context& rq, const app::handler& next) { return limit_rate(rq, next); }},
                   [this](request_context& rq) { return route(rq); });
    }
    // [app]

    /// Runs the workers until close(), or until the awaiting task is stopped, which also
    /// cuts the running jobs short.
    ce::task<void> run_workers() {
        ce::task_group workers(co_await ce::get_stop_token());
        for (unsigned i = 0; i < options_.workers; ++i) {
            workers.spawn(work());
        }
        co_await workers.join();
    }

    /// Takes no more jobs to run: queued jobs stay in the log and run after a restart.
    void close() noexcept { queue_.close(); }

    [[nodiscard]] const job_store& store() const noexcept { return store_; }
    /// Jobs recovered from the log at start that had not finished.
    [[nodiscard]] std::size_t recovered_pending() const noexcept { return recovered_pending_; }

private:
    // [recover]
    // Rebuilds the store from the log and lists the jobs that had not finished, for the
    // workers to run first; returns how many.
    void recover() {
        std::vector<std::string> payloads;
        payloads.reserve(wal_->recovered().size());
        for (const wal_record& r : wal_->recovered()) {
            payloads.push_back(r.payload);
        }
        const std::vector<std::uint64_t> pending = replay(store_, payloads);
        for (const std::uint64_t id : pending) {
            next_id_ = std::max(next_id_, id + 1);
            recovered_ids_.push_back(id);
        }
        for (const auto& r : wal_->recovered()) {  // ids of finished jobs are taken too
            std::string_view rest = r.payload;
            rest.remove_prefix(rest.find(' ') + 1);
            std::uint64_t id = 0;
            std::from_chars(rest.data(), rest.data() + rest.size(), id);
            next_id_ = std::max(next_id_, id + 1);
        }
        recovered_pending_ = pending.size();
    }
    // [recover]

    // [submit]
    ce::task<response> submit(request_context& rq) {
        const std::optional<job_spec> spec = parse_job_spec(rq.request.body);
        if (!spec) {
            co_return detail::error_json(400, "the body must be a whole number from 1 to 50000000");
        }
        // Backpressure: a bounded queue says no at once, with a hint when to come back,
        // instead of holding the connection or growing without bound.
        if (store_.unfinished() + reserved_ >= options_.queue_capacity) {
            response busy = detail::error_json(503, "the queue is full");
            busy.headers.emplace_back("Retry-After", "1");
            co_return busy;
        }
        const std::uint64_t id = next_id_++;
        ++reserved_;
        const scope_release release{&reserved_};
        // Durable before the answer: fdatasync on a disk thread, the loop serves others.
        // The lambda is named before the co_await: g++ 12 corrupts a capturing lambda
        // temporary inside a co_await expression (C++ Core Guidelines CP.51).
        auto append = [wal = wal_, record = submit_record(id, *spec)] { return wal->append(record); };
        co_await ce::to_thread(*loop_, *disk_, std::move(append));
        store_.add(id, *spec);
        if (!queue_.closed()) {  // closed while stopping: the job runs after the restart
            co_await queue_.send(id);  // never waits: it holds capacity ids, fewer are unfinished
        }
        response accepted = detail::json(202, "{\"id\":" + std::to_string(id) + "}");
        accepted.headers.emplace_back("Location", "/jobs/" + std::to_string(id));
        co_return accepted;
    }
    // [submit]

    // [work]
    ce::task<void> work() {
        for (;;) {
            // Jobs recovered from the log first, in the order they were accepted.
            std::optional<std::uint64_t> id;
            if (!recovered_ids_.empty()) {
                id = recovered_ids_.front();
                recovered_ids_.erase(recovered_ids_.begin());
            } else {
                id = co_await queue_.receive();
            }
            if (!id || queue_.closed()) {
                break;
            }
            store_.start(*id);
            const std::uint32_t limit = store_.find(*id)->spec.limit;
            // The worker's stop token reaches the pool thread: stopping cuts a long job short.
            auto count = [limit](const std::stop_token& stop) { return count_primes(limit, stop); };
            const std::optional<std::uint64_t> counted = co_await ce::to_thread(*loop_, *cpu_, std::move(count));
            if (!counted) {
                co_return;  // stopping: the job stays accepted in the log, and runs after the restart
            }
            const std::uint64_t primes = *counted;
            store_.finish(*id, primes);
            auto append = [wal = wal_, record = done_record(*id, primes)] { return wal->append(record); };
            try {
                co_await ce::to_thread(*loop_, *disk_, std::move(append));
            } catch (const std::exception& e) {
                // The job is done and answered; without its record it runs again after a
                // restart, which is safe: the same limit gives the same count.
                log_.error("could not log a finished job", "job", *id, "error", e.what());
            }
        }
    }
    // [work]

    ce::task<response> route(request_context& rq) {
        const std::string& target = rq.request.head.target;
        const std::string& method = rq.request.head.method;
        if (target == "/health") {
            co_return detail::json(200, "{\"status\":\"ok\",\"unfinished\":" + std::to_string(store_.unfinished()) + "}");
        }
        if (target == "/jobs") {
            if (method != "POST") {
                response r = detail::error_json(405, "use POST");
                r.headers.emplace_back("Allow", "POST");
                co_return r;
            }
            co_return co_await submit(rq);
        }
        if (target.starts_with("/jobs/") && method == "GET") {
            const std::string_view digits = std::string_view(target).substr(6);
            std::uint64_t id = 0;
            const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
            const job* found = ec == std::errc{} && end == digits.data() + digits.size() ? store_.find(id) : nullptr;
            if (found != nullptr) {
                co_return detail::json(200, to_json(*found));
            }
        }
        co_return detail::error_json(404, "no such resource");
    }

    // [layers]
    ce::task<response> log_request(request_context& rq, const app::handler& next) {
        const auto start = ce::loop_clock::now();
        response r = co_await next(rq);
        const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(ce::loop_clock::now() - start);
        log_.info("request", "id", rq.request_id, "client", rq.client, "method", rq.request.head.method, "target",
                  rq.request.head.target, "status", r.status, "us", micros.count());
        co_return r;
    }

    ce::task<response> map_errors(request_context& rq, const app::handler& next) {
        try {
            co_return co_await next(rq);
        } catch (const std::system_error& e) {  // the log could not be written: try again later
            log_.error("request failed", "id", rq.request_id, "error", e.what());
            response r = detail::error_json(503, "the job could not be stored; try again");
            r.headers.emplace_back("Retry-After", "1");
            co_return r;
        } catch (const std::exception& e) {
            log_.error("request failed", "id", rq.request_id, "error", e.what());
            co_return detail::error_json(500, "internal error");
        }
    }

    ce::task<response> authenticate(request_context& rq, const app::handler& next) {
        if (rq.request.head.target == "/health") {
            co_return co_await next(rq);
        }
        const std::string* given = detail::field(rq.request.head, "Authorization");
        if (given == nullptr || !given->starts_with("Bearer ") ||
            !detail::same_secret(std::string_view(*given).substr(7), options_.token)) {
            response r = detail::error_json(401, "a valid bearer token is needed");
            r.headers.emplace_back("WWW-Authenticate", "Bearer");
            co_return r;
        }
        co_return co_await next(rq);
    }

    // A token bucket per client address: `burst` requests at once, refilled at
    // `rate_per_second`. Buckets of clients gone quiet are dropped as they fill up.
    ce::task<response> limit_rate(request_context& rq, const app::handler& next) {
        const std::string address = rq.client.substr(0, rq.client.rfind(':'));
        const auto now = ce::loop_clock::now();
        bucket& b = buckets_.try_emplace(address, bucket{options_.burst, now}).first->second;
        const double elapsed = std::chrono::duration<double>(now - b.updated).count();
        b.tokens = std::min(options_.burst, b.tokens + elapsed * options_.rate_per_second);
        b.updated = now;
        if (b.tokens < 1) {
            response r = detail::error_json(429, "too many requests");
            r.headers.emplace_back("Retry-After", "1");
            co_return r;
        }
        b.tokens -= 1;
        co_return co_await next(rq);
    }
    // [layers]

    struct bucket {
        double tokens;
        ce::loop_clock::time_point updated;
    };
    struct scope_release {
        explicit scope_release(std::size_t* c) noexcept : count(c) {}
        std::size_t* count;
        scope_release(const scope_release&) = delete;
        scope_release& operator=(const scope_release&) = delete;
        ~scope_release() { --*count; }
    };

    ce::event_loop* loop_;
    write_ahead_log* wal_;
    ce::thread_pool* cpu_;
    ce::thread_pool* disk_;
    ce::logger log_;
    service_options options_;
    job_store store_;
    std::uint64_t next_id_ = 1;
    std::size_t reserved_ = 0;
    std::size_t recovered_pending_ = 0;
    std::vector<std::uint64_t> recovered_ids_;
    std::map<std::string, bucket> buckets_;
    ce::channel<std::uint64_t> queue_;
};

}  // namespace jobq
