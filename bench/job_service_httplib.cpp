// jobq's endpoints served by cpp-httplib (Debian's libcpp-httplib-dev): the C++ peer of
// bench/job_service.py. The jobs are chapter 8's (jobs.hpp: the same body parser, sieve,
// JSON and log records); what differs is everything around them, written the way
// cpp-httplib's documentation shows:
//
// - a thread per connection from httplib's pool (--threads, here as many as the load's
//   connections, so no connection waits for a thread), keep-alive without a request
//   limit (httplib's default closes a connection after 5 requests);
// - one mutex over the job store (jobq's job_store) and the queue, and a std::jthread per worker;
// - the write-ahead log as one file: each record is written and fdatasync'ed under a
//   mutex before the answer (no group commit: each request waits for its own sync);
// - the same checks and layers: bearer token (GET /health excepted), a token bucket per
//   client address (429), a full queue (503 + Retry-After), one JSON log line per
//   request on standard output, the first line saying where it listens.
//
//   job_service_httplib --data <folder> --token <secret> [--port 0] [--workers 2]
//                       [--queue 64] [--rate 1000] [--burst 2000] [--threads 16]
#include "../snippets/examples/job_service/jobs.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <httplib.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

namespace {

struct options {
    std::filesystem::path data;
    std::string token;
    int port = 0;
    unsigned workers = 2;
    std::size_t queue = 64;
    double rate = 1000;
    double burst = 2000;
    std::size_t threads = 16;
};

options parse(int argc, char** argv) {
    options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string_view flag = argv[i];
        const std::string value = argv[i + 1];
        if (flag == "--data") {
            o.data = value;
        } else if (flag == "--token") {
            o.token = value;
        } else if (flag == "--port") {
            o.port = std::stoi(value);
        } else if (flag == "--workers") {
            o.workers = static_cast<unsigned>(std::stoul(value));
        } else if (flag == "--queue") {
            o.queue = std::stoul(value);
        } else if (flag == "--rate") {
            o.rate = std::stod(value);
        } else if (flag == "--burst") {
            o.burst = std::stod(value);
        } else if (flag == "--threads") {
            o.threads = std::stoul(value);
        } else {
            throw std::invalid_argument("unknown option " + std::string(flag));
        }
    }
    if (o.data.empty() || o.token.empty() || o.workers == 0 || o.threads == 0) {
        throw std::invalid_argument("--data and --token are required; --workers and --threads at least 1");
    }
    return o;
}

// [peer-log]
/// Each record on a line of its own, on the disk before append() returns.
class log_file {
public:
    explicit log_file(const std::filesystem::path& path)
        : fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) {
        if (fd_ < 0) {
            throw std::system_error(errno, std::generic_category(), "open " + path.string());
        }
    }
    log_file(const log_file&) = delete;
    log_file& operator=(const log_file&) = delete;
    log_file(log_file&&) = delete;
    log_file& operator=(log_file&&) = delete;
    ~log_file() { ::close(fd_); }

    void append(const std::string& record) {
        const std::string line = record + "\n";
        const std::scoped_lock lock(mutex_);
        std::string_view rest = line;
        while (!rest.empty()) {
            const ssize_t n = ::write(fd_, rest.data(), rest.size());
            if (n < 0 && errno != EINTR) {
                throw std::system_error(errno, std::generic_category(), "write");
            }
            rest.remove_prefix(n < 0 ? 0 : static_cast<std::size_t>(n));
        }
        if (::fdatasync(fd_) != 0) {
            throw std::system_error(errno, std::generic_category(), "fdatasync");
        }
    }

private:
    std::mutex mutex_;
    int fd_;
};
// [peer-log]

class service {
public:
    service(const options& o, log_file& wal) : options_(o), wal_(&wal), store_(o.queue) {
        for (unsigned i = 0; i < o.workers; ++i) {
            workers_.emplace_back([this](const std::stop_token& stop) { work(stop); });
        }
    }
    service(const service&) = delete;
    service& operator=(const service&) = delete;
    service(service&&) = delete;
    service& operator=(service&&) = delete;
    ~service() {
        for (auto& w : workers_) {
            w.request_stop();
        }
        ready_.notify_all();
    }

    /// 202 and the new id, 400 for a bad body, 503 when the queue is full.
    std::pair<int, std::string> submit(std::string_view body) {
        const std::optional<jobq::job_spec> spec = jobq::parse_job_spec(body);
        if (!spec) {
            return {400, R"({"error":"the body must be a whole number from 1 to 50000000"})"};
        }
        std::uint64_t id = 0;
        {
            const std::scoped_lock lock(mutex_);
            if (store_.unfinished() + reserved_ >= options_.queue) {
                return {503, R"({"error":"the queue is full"})"};
            }
            id = next_id_++;
            ++reserved_;
        }
        try {
            wal_->append(jobq::submit_record(id, *spec));
        } catch (...) {
            const std::scoped_lock lock(mutex_);
            --reserved_;
            throw;
        }
        {
            const std::scoped_lock lock(mutex_);
            --reserved_;
            store_.add(id, *spec);
            queue_.push_back(id);
        }
        ready_.notify_one();
        return {202, "{\"id\":" + std::to_string(id) + "}"};
    }

    std::optional<std::string> status(std::uint64_t id) {
        const std::scoped_lock lock(mutex_);
        const jobq::job* found = store_.find(id);
        return found == nullptr ? std::nullopt : std::optional(jobq::to_json(*found));
    }

    std::size_t unfinished() {
        const std::scoped_lock lock(mutex_);
        return store_.unfinished();
    }

private:
    void work(const std::stop_token& stop) {
        for (;;) {
            std::uint64_t id = 0;
            std::uint32_t limit = 0;
            {
                std::unique_lock lock(mutex_);
                if (!ready_.wait(lock, stop, [this] { return !queue_.empty(); })) {
                    return;
                }
                id = queue_.front();
                queue_.pop_front();
                store_.start(id);
                limit = store_.find(id)->spec.limit;
            }
            const std::optional<std::uint64_t> primes = jobq::count_primes(limit, stop);
            if (!primes) {
                return;
            }
            {
                const std::scoped_lock lock(mutex_);
                store_.finish(id, *primes);
            }
            try {
                wal_->append(jobq::done_record(id, *primes));
            } catch (const std::exception& e) {
                std::fprintf(stderr, "could not log a finished job: %s\n", e.what());
            }
        }
    }

    options options_;
    log_file* wal_;
    std::mutex mutex_;
    std::condition_variable_any ready_;
    jobq::job_store store_;
    std::deque<std::uint64_t> queue_;
    std::size_t reserved_ = 0;
    std::uint64_t next_id_ = 1;
    std::vector<std::jthread> workers_;
};

/// A token bucket per client address, as jobq's limit_rate layer keeps.
class rate_limit {
public:
    rate_limit(double rate, double burst) : rate_(rate), burst_(burst) {}
    bool allow(const std::string& address) {
        const auto now = std::chrono::steady_clock::now();
        const std::scoped_lock lock(mutex_);
        bucket& b = buckets_.try_emplace(address, bucket{burst_, now}).first->second;
        b.tokens = std::min(burst_, b.tokens + std::chrono::duration<double>(now - b.updated).count() * rate_);
        b.updated = now;
        if (b.tokens < 1) {
            return false;
        }
        b.tokens -= 1;
        return true;
    }

private:
    struct bucket {
        double tokens;
        std::chrono::steady_clock::time_point updated;
    };
    double rate_;
    double burst_;
    std::mutex mutex_;
    std::map<std::string, bucket> buckets_;
};

}  // namespace

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    options o;
    try {
        o = parse(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "job_service_httplib: %s\n", e.what());
        return 2;
    }
    std::filesystem::create_directories(o.data);
    log_file wal(o.data / "jobs.wal");
    service jobs(o, wal);
    rate_limit limit(o.rate, o.burst);
    std::atomic<std::uint64_t> request_ids{0};

    // [peer-server]
    httplib::Server server;
    server.new_task_queue = [threads = o.threads] { return new httplib::ThreadPool(threads); };
    server.set_keep_alive_max_count(std::numeric_limits<std::size_t>::max());
    server.set_tcp_nodelay(true);
    server.set_payload_max_length(64);
    // [peer-server]

    // Every route through the same layers as jobq's pipeline: log, errors, token, rate.
    using handler = std::function<void(const httplib::Request&, httplib::Response&)>;
    const auto layered = [&](bool needs_token, handler route) {
        return [&, needs_token, route = std::move(route)](const httplib::Request& rq, httplib::Response& rs) {
            const auto start = std::chrono::steady_clock::now();
            const std::uint64_t id = ++request_ids;
            rs.status = 200;
            try {
                const std::string given = rq.get_header_value("Authorization");
                if (needs_token && (!given.starts_with("Bearer ") || given.substr(7) != o.token)) {
                    rs.status = 401;
                    rs.set_header("WWW-Authenticate", "Bearer");
                    rs.set_content(R"({"error":"a valid bearer token is needed"})", "application/json");
                } else if (needs_token && !limit.allow(rq.remote_addr)) {
                    rs.status = 429;
                    rs.set_header("Retry-After", "1");
                    rs.set_content(R"({"error":"too many requests"})", "application/json");
                } else {
                    route(rq, rs);
                }
            } catch (const std::exception& e) {
                rs.status = 500;
                rs.set_content(R"({"error":"internal error"})", "application/json");
            }
            const auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
            const auto ts = std::chrono::duration_cast<std::chrono::microseconds>(
                std::chrono::system_clock::now().time_since_epoch());
            std::fputs(fmt::format(R"({{"ts":{},"level":"info","msg":"request","id":{},"client":"{}:{}",)"
                                   R"("method":"{}","target":"{}","status":{},"us":{}}})"
                                   "\n",
                                   ts.count(), id, rq.remote_addr, rq.remote_port, rq.method, rq.path, rs.status,
                                   us.count())
                           .c_str(),
                       stdout);
        };
    };
    server.Get("/health", layered(false, [&](const httplib::Request&, httplib::Response& rs) {
        rs.set_content("{\"status\":\"ok\",\"unfinished\":" + std::to_string(jobs.unfinished()) + "}",
                       "application/json");
    }));
    server.Post("/jobs", layered(true, [&](const httplib::Request& rq, httplib::Response& rs) {
        auto [status, body] = jobs.submit(rq.body);
        rs.status = status;
        if (status == 503) {
            rs.set_header("Retry-After", "1");
        }
        rs.set_content(body, "application/json");
    }));
    server.Get(R"(/jobs/(\d+))", layered(true, [&](const httplib::Request& rq, httplib::Response& rs) {
        const std::optional<std::string> found = jobs.status(std::stoull(rq.matches[1].str()));
        rs.status = found ? 200 : 404;
        rs.set_content(found.value_or(R"({"error":"no such resource"})"), "application/json");
    }));

    const int port = o.port == 0 ? server.bind_to_any_port("127.0.0.1") : o.port;
    if (port <= 0 || (o.port != 0 && !server.bind_to_port("127.0.0.1", o.port))) {
        std::fprintf(stderr, "job_service_httplib: cannot listen on 127.0.0.1:%d\n", o.port);
        return 1;
    }
    std::printf("{\"level\":\"info\",\"msg\":\"listening\",\"address\":\"127.0.0.1\",\"port\":%d}\n", port);
    return server.listen_after_bind() ? 0 : 1;
}
