// jobq's jobs: what a job computes, the states it passes through, and the store that
// holds them on the event loop's thread. Records for the write-ahead log are text
// lines, so that a log can be read with `cat` when something goes wrong.
#pragma once

#include <ce/error.hpp>

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <map>
#include <stop_token>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace jobq {

// [job-spec]
/// The largest limit a job may ask for: a sieve of 50 million bytes, about 0.3 s of CPU.
inline constexpr std::uint32_t max_limit = 50'000'000;

/// A job: count the primes not above `limit`. CPU-bound, and its answer is easy to check.
struct job_spec {
    std::uint32_t limit = 0;
};

/// The body of POST /jobs: the limit in decimal, nothing else, 1 to max_limit.
/// std::nullopt for anything else, which the endpoint answers with 400.
[[nodiscard]] inline std::optional<job_spec> parse_job_spec(std::string_view body) {
    std::uint32_t limit = 0;
    const auto [end, ec] = std::from_chars(body.data(), body.data() + body.size(), limit);
    if (body.empty() || ec != std::errc{} || end != body.data() + body.size() || limit == 0 || limit > max_limit) {
        return std::nullopt;
    }
    return job_spec{limit};
}
// [job-spec]

// [count-primes]
/// The number of primes not above `limit`, by the sieve of Eratosthenes; std::nullopt
/// when `stop` is requested first: a service that is stopping does not wait for a long
/// job, which runs again after the restart.
[[nodiscard]] inline std::optional<std::uint64_t> count_primes(std::uint32_t limit, const std::stop_token& stop = {}) {
    if (limit < 2) {
        return 0;
    }
    std::vector<bool> composite(std::size_t{limit} + 1);
    std::uint64_t count = 0;
    for (std::uint64_t n = 2; n <= limit; ++n) {
        if (composite[n]) {
            continue;
        }
        ++count;
        // The work is in crossing out the multiples of the small primes: look at the
        // token before each of those passes, and every 2^20 steps of the long ones.
        for (std::uint64_t multiple = n * n, step = 0; multiple <= limit; multiple += n, ++step) {
            if (step % (1U << 20U) == 0 && stop.stop_requested()) {
                return std::nullopt;
            }
            composite[multiple] = true;
        }
    }
    return count;
}
// [count-primes]

// [job-store]
enum class job_state { queued, running, done };

struct job {
    std::uint64_t id = 0;
    job_spec spec;
    job_state state = job_state::queued;
    std::uint64_t result = 0;  ///< valid when state == done
};

/**
 * Every job the service has accepted, by id. Not thread-safe: it lives on the event
 * loop's thread, and the workers hand their results back to that thread.
 * `capacity` bounds the unfinished jobs: a full store is the service's backpressure.
 */
class job_store {
public:
    explicit job_store(std::size_t capacity) : capacity_(capacity) {
        if (capacity == 0) {
            throw ce::usage_error("jobq::job_store: the capacity must be at least 1");
        }
    }

    /// True when no further job may be accepted until one finishes.
    [[nodiscard]] bool full() const noexcept { return unfinished_ >= capacity_; }
    [[nodiscard]] std::size_t unfinished() const noexcept { return unfinished_; }
    [[nodiscard]] std::size_t size() const noexcept { return jobs_.size(); }

    /// Records an accepted job as queued. @throws ce::usage_error for an id already used.
    const job& add(std::uint64_t id, job_spec spec) {
        const auto [it, inserted] = jobs_.try_emplace(id, job{id, spec, job_state::queued, 0});
        if (!inserted) {
            throw ce::usage_error("jobq::job_store: job " + std::to_string(id) + " exists already");
        }
        ++unfinished_;
        return it->second;
    }
    void start(std::uint64_t id) { at(id, job_state::queued).state = job_state::running; }
    void finish(std::uint64_t id, std::uint64_t result) {
        job& j = at(id, job_state::running);
        j.state = job_state::done;
        j.result = result;
        --unfinished_;
    }
    [[nodiscard]] const job* find(std::uint64_t id) const {
        const auto it = jobs_.find(id);
        return it == jobs_.end() ? nullptr : &it->second;
    }

private:
    job& at(std::uint64_t id, job_state expected) {
        const auto it = jobs_.find(id);
        if (it == jobs_.end() || it->second.state != expected) {
            throw ce::usage_error("jobq::job_store: job " + std::to_string(id) + " is not in the expected state");
        }
        return it->second;
    }

    std::map<std::uint64_t, job> jobs_;
    std::size_t capacity_;
    std::size_t unfinished_ = 0;
};
// [job-store]

[[nodiscard]] inline std::string_view to_string(job_state state) noexcept {
    switch (state) {
    case job_state::queued:
        return "queued";
    case job_state::running:
        return "running";
    case job_state::done:
        return "done";
    }
    return "unknown";
}

/// The body of GET /jobs/<id>: numbers and a fixed word, so no escaping is needed.
[[nodiscard]] inline std::string to_json(const job& j) {
    std::string out = "{\"id\":" + std::to_string(j.id) + ",\"limit\":" + std::to_string(j.spec.limit) +
                      ",\"state\":\"" + std::string(to_string(j.state)) + "\"";
    if (j.state == job_state::done) {
        out += ",\"primes\":" + std::to_string(j.result);
    }
    return out + "}";
}

// [records]
/// The log's two kinds of line: "submit <id> <limit>" once a job is accepted, and
/// "done <id> <primes>" once it has run. A submit without a done is work to redo.
[[nodiscard]] inline std::string submit_record(std::uint64_t id, job_spec spec) {
    return "submit " + std::to_string(id) + " " + std::to_string(spec.limit);
}
[[nodiscard]] inline std::string done_record(std::uint64_t id, std::uint64_t primes) {
    return "done " + std::to_string(id) + " " + std::to_string(primes);
}

namespace detail {
inline std::optional<std::uint64_t> parse_number(std::string_view& rest) {
    const auto space = rest.find(' ');
    const std::string_view word = rest.substr(0, space);
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), value);
    if (word.empty() || ec != std::errc{} || end != word.data() + word.size()) {
        return std::nullopt;
    }
    rest = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
    return value;
}
}  // namespace detail

/**
 * Rebuilds `store` from the log's records, oldest first, and returns the ids of the
 * jobs accepted but not done, in order: the service runs them again. A record that is
 * neither form is damage the log's checksums did not catch, and an error.
 * @throws ce::usage_error naming the record.
 */
inline std::vector<std::uint64_t> replay(job_store& store, const std::vector<std::string>& records) {
    std::vector<std::uint64_t> pending;
    for (const std::string& record : records) {
        std::string_view rest = record;
        const bool submit = rest.starts_with("submit ");
        const bool done = rest.starts_with("done ");
        rest.remove_prefix(submit ? 7 : done ? 5 : 0);
        const auto id = detail::parse_number(rest);
        const auto value = detail::parse_number(rest);
        // Ids are 1, 2, ...: one far beyond what the service could ever issue is damage,
        // and the next free id, one past the largest, must not wrap around.
        constexpr std::uint64_t max_id = std::uint64_t{1} << 62U;
        if (!(submit || done) || !id || *id == 0 || *id > max_id || !value || !rest.empty() ||
            (submit && (*value == 0 || *value > max_limit))) {
            throw ce::usage_error("jobq::replay: not a job record: \"" + record + "\"");
        }
        if (submit) {
            store.add(*id, job_spec{static_cast<std::uint32_t>(*value)});
            pending.push_back(*id);
        } else {
            store.start(*id);
            store.finish(*id, *value);
            std::erase(pending, *id);
        }
    }
    return pending;
}
// [records]

}  // namespace jobq
