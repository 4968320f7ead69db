// The job service end to end: jobq (snippets/examples/job_service/main.cpp) started as
// a real process on loopback, driven by real clients, stopped with SIGTERM and killed
// with SIGKILL; and its job model tested on its own. Every wait has a deadline.
#include "job_service/jobs.hpp"

#include <ce_test/child_process.hpp>
#include <doctest/doctest.h>

#include <ce/scope_guard.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <csignal>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace std::chrono_literals;

namespace {

// [test-client]
// A blocking HTTP/1.1 client, enough for tests.
struct reply {
    int status = 0;
    std::map<std::string, std::string> fields;  // names in lower case
    std::string body;
};

class client {
public:
    explicit client(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
        if (fd_ < 0) {
            throw std::system_error(errno, std::generic_category(), "socket");
        }
        timeval tv{10, 0};  // no test waits on a reply longer than this
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        const int one = 1;
        ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
        if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
            const int err = errno;
            ::close(fd_);
            throw std::system_error(err, std::generic_category(), "connect");
        }
    }
    client(const client&) = delete;
    client& operator=(const client&) = delete;
    client(client&&) = delete;
    client& operator=(client&&) = delete;
    ~client() { ::close(fd_); }

    void send(std::string_view bytes) const {
        while (!bytes.empty()) {
            const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
            if (n < 0) {
                throw std::system_error(errno, std::generic_category(), "send");
            }
            bytes.remove_prefix(static_cast<std::size_t>(n));
        }
    }

    /// The next response, or nullopt if the server closed the connection first.
    std::optional<reply> receive() {
        std::size_t head_end = 0;
        while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
            if (!fill()) {
                return std::nullopt;
            }
        }
        reply r;
        std::istringstream head(buffer_.substr(0, head_end));
        std::string line;
        std::getline(head, line);
        r.status = std::stoi(line.substr(9, 3));
        while (std::getline(head, line)) {
            const auto colon = line.find(':');
            std::string name = line.substr(0, colon);
            std::ranges::transform(name, name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
            std::string value = line.substr(colon + 1);
            value.erase(0, value.find_first_not_of(' '));
            if (!value.empty() && value.back() == '\r') {
                value.pop_back();
            }
            r.fields[name] = value;
        }
        const std::size_t length = r.fields.contains("content-length") ? std::stoul(r.fields["content-length"]) : 0;
        while (buffer_.size() < head_end + 4 + length) {
            if (!fill()) {
                return std::nullopt;
            }
        }
        r.body = buffer_.substr(head_end + 4, length);
        buffer_.erase(0, head_end + 4 + length);
        return r;
    }

    /// True when the server closed the connection (a read returns 0 or a reset).
    bool closed_by_server() { return !fill(); }
    /// After receive() returned nullopt: true if part of a response had arrived.
    [[nodiscard]] bool truncated() const noexcept { return !buffer_.empty(); }

private:
    bool fill() {
        char chunk[4096];
        const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
        if (n <= 0) {
            return false;
        }
        buffer_.append(chunk, static_cast<std::size_t>(n));
        return true;
    }

    int fd_;
    std::string buffer_;
};

constexpr std::string_view token = "s3cret";

std::string request(std::string_view method, std::string_view target, std::string_view body = {},
                    std::string_view auth = token) {
    std::string r = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: localhost\r\n";
    if (!auth.empty()) {
        r += "Authorization: Bearer " + std::string(auth) + "\r\n";
    }
    if (!body.empty() || method == "POST") {
        r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    }
    return r + "\r\n" + std::string(body);
}

/// One request on a new connection.
reply call(std::uint16_t port, std::string_view method, std::string_view target, std::string_view body = {},
           std::string_view auth = token) {
    client c(port);
    c.send(request(method, target, body, auth));
    const std::optional<reply> r = c.receive();
    REQUIRE(r.has_value());
    return r.value_or(reply{});
}

/// The status of a response, or 0 for none (the connection closed first).
int status_of(const std::optional<reply>& r) { return r ? r->status : 0; }

std::uint64_t job_id(const reply& r) {
    const auto at = r.body.find("\"id\":");
    REQUIRE(at != std::string::npos);
    return std::stoull(r.body.substr(at + 5));
}

// [test-client]

// [test-service]
// jobq as a child process.
std::filesystem::path scratch_folder() {
    std::string pattern = (std::filesystem::temp_directory_path() / "jobq-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
        throw std::system_error(errno, std::generic_category(), "mkdtemp");
    }
    return pattern;
}

/// jobq running on a free port with its data in `data`; killed at the end if still
/// running. A thread reads its log as it is written: a service whose standard output
/// is a pipe nobody reads stops when the pipe is full, on its next log line.
class service {
public:
    explicit service(const std::filesystem::path& data, std::vector<std::string> extra = {})
        : process_(options(data, std::move(extra))) {
        for (;;) {  // the log's "listening" line names the port
            const std::optional<std::string> read = process_.read_line();
            REQUIRE_MESSAGE(read.has_value(), "jobq exited before it listened");
            const std::string line = read.value_or("");
            log_.push_back(line);
            if (line.find(R"("msg":"listening")") != std::string::npos) {
                port_ = static_cast<std::uint16_t>(std::stoul(line.substr(line.find(R"("port":)") + 7)));
                break;
            }
        }
        reader_ = std::thread([this] {
            try {
                for (std::optional<std::string> line = process_.read_line(); line; line = process_.read_line()) {
                    const std::scoped_lock lock(mutex_);
                    log_.push_back(std::move(line).value_or(""));
                }
            } catch (const std::exception& e) {  // the deadline passed: the destructor kills it
                const std::scoped_lock lock(mutex_);
                log_.push_back(std::string("(reading the log failed: ") + e.what() + ")");
            }
        });
    }
    service(const service&) = delete;
    service& operator=(const service&) = delete;
    service(service&&) = delete;
    service& operator=(service&&) = delete;
    ~service() {
        if (reader_.joinable()) {
            ::kill(process_.pid(), SIGKILL);
            reader_.join();
        }
    }
    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
    [[nodiscard]] pid_t pid() const noexcept { return process_.pid(); }
    /// Sends `signal` and returns the exit status once it has exited and its log is read.
    int stop(int signal) {
        ::kill(process_.pid(), signal);
        reader_.join();
        return process_.wait();
    }
    /// The log lines read so far.
    [[nodiscard]] std::vector<std::string> log() const {
        const std::scoped_lock lock(mutex_);
        return log_;
    }
    /// Resident memory of the process, in KiB (VmRSS).
    [[nodiscard]] long resident_kib() const {
        std::ifstream status("/proc/" + std::to_string(process_.pid()) + "/status");
        for (std::string line; std::getline(status, line);) {
            if (line.starts_with("VmRSS:")) {
                return std::stol(line.substr(6));
            }
        }
        return -1;
    }

private:
    static ce_test::child_options options(const std::filesystem::path& data, std::vector<std::string> extra) {
        const char* program = std::getenv("CE_PROGRAM");
        REQUIRE_MESSAGE(program != nullptr, "CE_PROGRAM names the jobq program (ce_add_snippet PROGRAM)");
        ce_test::child_options o;
        o.program = program;
        o.arguments = {"--data", data.string(), "--token", std::string(token), "--port", "0"};
        o.arguments.insert(o.arguments.end(), extra.begin(), extra.end());
        o.limit = std::chrono::seconds(120);
        return o;
    }

    ce_test::child_process process_;
    std::uint16_t port_ = 0;
    mutable std::mutex mutex_;
    std::vector<std::string> log_;
    std::thread reader_;
};

/// Polls a job until it is in `state` ("queued", "running" or "done"), is not found, or
/// a minute has passed; returns the last answer (the service answers at once; the job
/// runs on a worker).
reply wait_until_state(std::uint16_t port, std::uint64_t id, std::string_view state) {
    const std::string wanted = "\"state\":\"" + std::string(state) + "\"";
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    for (;;) {
        reply r = call(port, "GET", "/jobs/" + std::to_string(id));
        if (r.status != 200 || r.body.find(wanted) != std::string::npos ||
            std::chrono::steady_clock::now() > deadline) {
            return r;
        }
        std::this_thread::sleep_for(5ms);  // polling a server, as its clients do
    }
}

/// Polls a job until it is done.
reply wait_until_done(std::uint16_t port, std::uint64_t id) { return wait_until_state(port, id, "done"); }

// [test-service]

}  // namespace

TEST_CASE("a job is accepted with 202, runs, and its result is served") {
    const auto data = scratch_folder();
    service jobq(data);
    const reply accepted = call(jobq.port(), "POST", "/jobs", "100000");
    CHECK(accepted.status == 202);
    const std::uint64_t id = job_id(accepted);
    CHECK(accepted.fields.at("location") == "/jobs/" + std::to_string(id));
    const reply done = wait_until_done(jobq.port(), id);
    CHECK(done.status == 200);
    CHECK(done.body == R"({"id":)" + std::to_string(id) + R"(,"limit":100000,"state":"done","primes":9592})");
    CHECK(call(jobq.port(), "GET", "/health", {}, {}).status == 200);  // no token needed
    CHECK(jobq.stop(SIGTERM) == 0);
    std::filesystem::remove_all(data);
}

TEST_CASE("bad input gets its status, and the service goes on serving everyone else") {
    const auto data = scratch_folder();
    service jobq(data, {"--request-timeout", "300"});
    const std::uint16_t port = jobq.port();
    SUBCASE("a malformed request line: 400, and the connection closes") {
        client c(port);
        c.send("GET /jobs\r\nHost: x\r\n\r\n");
        CHECK(status_of(c.receive()) == 400);
        CHECK(c.closed_by_server());
    }
    SUBCASE("a body over the limit: 413") {
        client c(port);
        c.send("POST /jobs HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret\r\nContent-Length: 100000\r\n\r\n");
        CHECK(status_of(c.receive()) == 413);
    }
    SUBCASE("a slow client that stops half-way through its head: 408") {
        client c(port);
        c.send("POST /jobs HTTP/1.1\r\nHo");
        CHECK(status_of(c.receive()) == 408);
    }
    SUBCASE("a client that disconnects mid-request is forgotten") {
        {
            client c(port);
            c.send("POST /jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\n100");
        }
    }
    SUBCASE("an unknown route: 404; a wrong method: 405") {
        CHECK(call(port, "GET", "/nothing").status == 404);
        CHECK(call(port, "GET", "/jobs/999").status == 404);
        const reply r = call(port, "PUT", "/jobs", "5");
        CHECK(r.status == 405);
        CHECK(r.fields.at("allow") == "POST");
    }
    SUBCASE("a missing or wrong token: 401") {
        const reply missing = call(port, "POST", "/jobs", "10", {});
        CHECK(missing.status == 401);
        CHECK(missing.fields.at("www-authenticate") == "Bearer");
        CHECK(call(port, "POST", "/jobs", "10", "s3cre7").status == 401);
    }
    SUBCASE("a body that is not a limit: 400") {
        for (const char* body : {"ten", "0", "-1", "50000001", "1e6"}) {
            CAPTURE(body);
            CHECK(call(port, "POST", "/jobs", body).status == 400);
        }
    }
    // Whatever came before, a good request is still served.
    CHECK(call(port, "POST", "/jobs", "1000").status == 202);
    CHECK(jobq.stop(SIGTERM) == 0);
    std::filesystem::remove_all(data);
}

TEST_CASE("a client over its rate gets 429 with Retry-After") {
    const auto data = scratch_folder();
    service jobq(data, {"--rate", "1", "--burst", "3"});
    client c(jobq.port());
    std::vector<int> statuses;
    for (int i = 0; i < 4; ++i) {
        c.send(request("GET", "/jobs/1"));
        statuses.push_back(status_of(c.receive()));
    }
    CHECK(statuses == std::vector<int>{404, 404, 404, 429});
    CHECK(jobq.stop(SIGTERM) == 0);
    std::filesystem::remove_all(data);
}

TEST_CASE("a full queue answers 503 with Retry-After instead of growing") {
    const auto data = scratch_folder();
    service jobq(data, {"--queue", "1", "--workers", "1"});
    // The largest job fills a queue of one until it has run, for a tenth of a second
    // at least: the next submission, a few milliseconds later, finds the queue full.
    CHECK(call(jobq.port(), "POST", "/jobs", "50000000").status == 202);
    const reply busy = call(jobq.port(), "POST", "/jobs", "10");
    CHECK(busy.status == 503);
    CHECK(busy.fields.at("retry-after") == "1");
    CHECK(jobq.stop(SIGTERM) == 0);
    std::filesystem::remove_all(data);
}

// [load-test]
TEST_CASE("under load: every request answered, latency percentiles, memory bounded") {
    const auto data = scratch_folder();
    service jobq(data, {"--queue", "100000", "--workers", "2"});
    constexpr int connections = 16;
    constexpr int rounds = 2;
    constexpr int per_connection = 25;
    std::vector<long> resident_after_round;
    std::vector<double> latencies_ms;
    std::mutex mutex;
    std::atomic<int> failures = 0;
    for (int round = 0; round < rounds; ++round) {
        std::vector<std::thread> clients;
        clients.reserve(connections);
        for (int c = 0; c < connections; ++c) {
            clients.emplace_back([&] {
                client conn(jobq.port());  // keep-alive: one connection, many requests
                std::vector<double> mine;
                for (int i = 0; i < per_connection; ++i) {
                    const auto start = std::chrono::steady_clock::now();
                    conn.send(i % 2 == 0 ? request("POST", "/jobs", "1000") : request("GET", "/health"));
                    const std::optional<reply> r = conn.receive();
                    mine.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
                    if (!r || (r->status != 202 && r->status != 200)) {
                        ++failures;
                    }
                }
                const std::scoped_lock lock(mutex);
                latencies_ms.insert(latencies_ms.end(), mine.begin(), mine.end());
            });
        }
        for (std::thread& t : clients) {
            t.join();
        }
        resident_after_round.push_back(jobq.resident_kib());
    }
    CHECK(failures == 0);
    CHECK(latencies_ms.size() == static_cast<std::size_t>(connections) * rounds * per_connection);
    std::ranges::sort(latencies_ms);
    const auto percentile = [&](double p) {
        return latencies_ms[static_cast<std::size_t>(p * static_cast<double>(latencies_ms.size() - 1))];
    };
    MESSAGE("requests: ", latencies_ms.size(), ", p50 ", percentile(0.50), " ms, p99 ", percentile(0.99),
            " ms, max ", latencies_ms.back(), " ms; resident ", resident_after_round.front(), " KiB after round 1, ",
            resident_after_round.back(), " KiB after round 2");
    // Bounded: the second round, as large as the first, adds little beyond it.
    CHECK(resident_after_round.back() < resident_after_round.front() + 16L * 1024);
    CHECK(jobq.stop(SIGTERM) == 0);
    std::filesystem::remove_all(data);
}
// [load-test]

// [graceful-stop-test]
TEST_CASE("SIGTERM under load: the request in progress completes, new ones are refused, exit 0") {
    const auto data = scratch_folder();
    service jobq(data, {"--queue", "100000", "--drain", "10"});
    std::atomic<bool> stopping = false;
    std::atomic<int> answered = 0;
    std::atomic<int> truncated = 0;  // a response cut off after its first byte
    std::atomic<int> not_begun = 0;  // refused or reset: a request the service never began
    std::vector<std::thread> load;
    load.reserve(8);
    for (int c = 0; c < 8; ++c) {
        load.emplace_back([&] {
            while (!stopping) {
                try {
                    client conn(jobq.port());
                    conn.send(request("POST", "/jobs", "1000"));
                    if (const std::optional<reply> r = conn.receive(); r && r->status == 202) {
                        ++answered;
                    } else if (conn.truncated()) {
                        ++truncated;
                    }
                } catch (const std::system_error&) {
                    ++not_begun;  // only once the service stops (checked below)
                }
            }
        });
    }
    // A check that throws must fail the test, not std::terminate it: the load's threads
    // are told to stop and joined on every way out.
    const ce::scope_exit join_load([&]() noexcept {
        stopping = true;
        for (std::thread& t : load) {
            if (t.joinable()) {
                t.join();
            }
        }
    });
    while (answered < 50) {
        std::this_thread::yield();
    }
    // A request in progress when SIGTERM arrives: half its head is sent before, the rest
    // after. The service must finish reading it and answer it, and close the connection.
    client slow(jobq.port());
    const std::string whole = request("POST", "/jobs", "2000");
    slow.send(whole.substr(0, 20));  // on loopback, in the service's socket when send returns
    const auto before = std::chrono::steady_clock::now();
    ::kill(jobq.pid(), SIGTERM);
    stopping = true;
    // The service closes its listener when the stop reaches its loop; from then on a
    // connection is refused, while the request in progress is still being drained.
    bool refused = false;
    while (!refused && std::chrono::steady_clock::now() - before < 10s) {
        try {
            const client late(jobq.port());
        } catch (const std::system_error& e) {
            refused = e.code() == std::errc::connection_refused;
        }
    }
    CHECK(refused);
    slow.send(whole.substr(20));
    reply r = slow.receive().value_or(reply{});
    CHECK(r.status == 202);
    CHECK(r.fields.contains("connection"));
    CHECK(r.fields["connection"] == "close");
    const int status = jobq.stop(SIGTERM);  // already sent: waits for the exit
    for (std::thread& t : load) {
        t.join();
    }
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(std::chrono::steady_clock::now() - before < 10s);  // within the drain deadline
    CHECK(truncated == 0);
    MESSAGE(answered.load(), " requests answered; ", not_begun.load(), " refused or reset once the stop began");
    const std::vector<std::string> log = jobq.log();
    REQUIRE_FALSE(log.empty());
    CHECK(log.back().find(R"("msg":"stopped")") != std::string::npos);
    CHECK(log.back().find(R"("clean":true)") != std::string::npos);
    std::filesystem::remove_all(data);
}
// [graceful-stop-test]

TEST_CASE("a stop cuts a running job short; it runs again after the restart") {
    const auto data = scratch_folder();
    const std::string longest = std::to_string(jobq::max_limit);  // a second or more, even at -O2
    std::uint64_t id = 0;
    {
        service jobq(data, {"--workers", "1"});
        id = job_id(call(jobq.port(), "POST", "/jobs", longest));
        CHECK(wait_until_state(jobq.port(), id, "running").body.find(R"("state":"running")") != std::string::npos);
        CHECK(jobq.stop(SIGTERM) == 0);
    }
    // Had the job finished before the stop, the log would hold its result and the
    // restart would find nothing left to run.
    service restarted(data, {"--workers", "1"});
    const std::string listening = restarted.log().back();
    CHECK(listening.find(R"("pending":1)") != std::string::npos);
    CHECK(wait_until_state(restarted.port(), id, "running").body.find(R"("state":"running")") != std::string::npos);
    CHECK(restarted.stop(SIGTERM) == 0);  // cut short again: a recovered job stops as promptly
    std::filesystem::remove_all(data);
}

// [crash-test]
TEST_CASE("SIGKILL under load, then a restart: every acknowledged job is there, once") {
    const auto data = scratch_folder();
    std::set<std::uint64_t> acknowledged;
    {
        service jobq(data, {"--queue", "100000"});
        std::mutex mutex;
        std::atomic<bool> killed = false;
        std::vector<std::thread> clients;
        clients.reserve(8);
        for (int c = 0; c < 8; ++c) {
            clients.emplace_back([&] {
                while (!killed) {
                    try {
                        client conn(jobq.port());
                        conn.send(request("POST", "/jobs", "5000"));
                        if (const std::optional<reply> r = conn.receive(); r && r->status == 202) {
                            const std::scoped_lock lock(mutex);
                            acknowledged.insert(job_id(*r));
                        }
                    } catch (const std::system_error&) {
                        return;  // the process is gone
                    }
                }
            });
        }
        while (true) {
            {
                const std::scoped_lock lock(mutex);
                if (acknowledged.size() >= 200) {
                    break;
                }
            }
            std::this_thread::yield();
        }
        const int status = jobq.stop(SIGKILL);
        killed = true;
        for (std::thread& t : clients) {
            t.join();
        }
        CHECK(WIFSIGNALED(status));
    }
    service restarted(data);  // replays the log; a duplicate id would stop it here
    for (const std::uint64_t id : acknowledged) {
        CAPTURE(id);
        const reply r = wait_until_done(restarted.port(), id);
        CHECK(r.status == 200);
        CHECK(r.body.find(R"("primes":669)") != std::string::npos);  // the primes up to 5000
    }
    CHECK(restarted.stop(SIGTERM) == 0);
    std::filesystem::remove_all(data);
}
// [crash-test]

TEST_CASE("a job's body is a decimal limit from 1 to max_limit, and nothing else") {
    CHECK(jobq::parse_job_spec("100000").value_or(jobq::job_spec{}).limit == 100000);
    CHECK(jobq::parse_job_spec("50000000").value_or(jobq::job_spec{}).limit == jobq::max_limit);
    for (const char* bad : {"", "0", "50000001", "-5", "12 ", " 12", "1e6", "12x", "99999999999999999999", "0x10"}) {
        CAPTURE(bad);
        CHECK_FALSE(jobq::parse_job_spec(bad).has_value());
    }
}

TEST_CASE("count_primes agrees with the known counts") {
    CHECK(jobq::count_primes(0) == 0);
    CHECK(jobq::count_primes(1) == 0);
    CHECK(jobq::count_primes(2) == 1);
    CHECK(jobq::count_primes(100) == 25);
    CHECK(jobq::count_primes(100000) == 9592);
    CHECK(jobq::count_primes(1000000) == 78498);
}

TEST_CASE("the store moves a job from queued to running to done, and bounds the unfinished") {
    jobq::job_store store(2);
    store.add(1, {10});
    CHECK_FALSE(store.full());
    store.add(3, {100});
    CHECK(store.full());
    CHECK_THROWS_AS(store.add(1, {5}), ce::usage_error);
    CHECK_THROWS_AS(store.finish(1, 4), ce::usage_error);  // not running yet
    store.start(1);
    store.finish(1, 4);
    CHECK_FALSE(store.full());
    CHECK(jobq::to_json(*store.find(1)) == R"({"id":1,"limit":10,"state":"done","primes":4})");
    CHECK(jobq::to_json(*store.find(3)) == R"({"id":3,"limit":100,"state":"queued"})");
    CHECK(store.find(2) == nullptr);
    CHECK_THROWS_AS(jobq::job_store(0), ce::usage_error);
}

TEST_CASE("replaying the log restores done jobs and returns the unfinished, in order") {
    jobq::job_store store(8);
    const std::vector<std::string> log{jobq::submit_record(1, {10}), jobq::submit_record(2, {100}),
                                       jobq::done_record(1, 4), jobq::submit_record(4, {1000})};
    CHECK(jobq::replay(store, log) == std::vector<std::uint64_t>{2, 4});
    CHECK(store.find(1)->state == jobq::job_state::done);
    CHECK(store.find(1)->result == 4);
    CHECK(store.unfinished() == 2);
    for (const char* bad : {"submit 5", "submit 5 0", "submit x 10", "done 9 1", "submit 5 10 extra", "resubmit 5 10", "",
                            "submit 0 10", "submit 18446744073709551615 10"}) {
        jobq::job_store fresh(8);
        CAPTURE(bad);
        CHECK_THROWS_AS(jobq::replay(fresh, {std::string(bad)}), ce::usage_error);
    }
}
