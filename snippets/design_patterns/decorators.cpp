// Decorators and higher-order functions: the chapter page shows the named regions of this file.
#include <ce/error.hpp>
#include <ce/retry.hpp>
#include <ce/timed.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

using namespace std::chrono_literals;

namespace decorators {

// [counting-decorator]
// Python:
//     def counted(f):
//         @functools.wraps(f)
//         def wrapper(*args, **kwargs):
//             wrapper.calls += 1
//             return f(*args, **kwargs)
//         return wrapper
template <class F>
auto counted(F f, int& calls) {
    return [f = std::move(f), &calls]<class... Args>(Args&&... args) mutable
               noexcept(std::is_nothrow_invocable_v<F&, Args...>)  // noexcept iff f's is
               -> decltype(auto)                                   // int& stays int&
               requires std::invocable<F&, Args...>                // SFINAE-friendly
    {
        ++calls;
        return std::invoke(f, std::forward<Args>(args)...);  // moves what was moved in
    };
}
// [counting-decorator]

// [wrapped-functions]
int& element(std::vector<int>& values, std::size_t i) noexcept { return values[i]; }

std::size_t consume(std::unique_ptr<std::string> text) { return text ? text->size() : 0; }
// [wrapped-functions]

// [auto-return]
template <class F>
auto counted_carelessly(F f, int& calls) {
    return [f = std::move(f), &calls](auto&&... args) {  // `auto`: the result decays
        ++calls;
        return std::invoke(f, std::forward<decltype(args)>(args)...);
    };
}
// [auto-return]

#ifdef CE_COMPILE_FAIL_MISSING_FORWARD
// [missing-forward]
template <class F>
auto counted_without_forward(F f) {
    return [f = std::move(f)]<class... Args>(Args&&... args) -> decltype(auto) {
        return f(args...);  // a named parameter is an lvalue: this copies
    };
}

std::size_t use_it() {
    auto take = [](std::unique_ptr<std::string> text) { return text->size(); };
    return counted_without_forward(take)(std::make_unique<std::string>("moved in"));
}
// [missing-forward]
#endif

// [fake-time]
// One fake time source for both decorators: a sleep advances it and is recorded, so
// a test can assert the exact backoff sequence and never waits.
struct fake_time {
    std::chrono::nanoseconds elapsed{0};
    std::vector<std::chrono::milliseconds> sleeps;
};

struct fake_sleeper {
    fake_time* time;
    void operator()(std::chrono::milliseconds delay) const {
        time->sleeps.push_back(delay);
        time->elapsed += delay;
    }
};

struct fake_clock {
    fake_time* time;
    [[nodiscard]] std::chrono::steady_clock::time_point now() const noexcept {
        return std::chrono::steady_clock::time_point(time->elapsed);
    }
};
// [fake-time]

// [ms-list]
using ms_list = std::vector<std::chrono::milliseconds>;
// [ms-list]

}  // namespace decorators

using namespace decorators;

TEST_CASE("a forwarding wrapper keeps reference returns, move-only arguments and noexcept") {
    int calls = 0;
    std::vector<int> values{1, 2, 3};
    // [keeps-signature]
    auto counted_element = counted(element, calls);
    static_assert(std::is_same_v<decltype(counted_element(values, 0)), int&>);
    static_assert(noexcept(counted_element(values, 0)) == noexcept(element(values, 0)));
    counted_element(values, 1) = 20;  // assigns through the reference
    CHECK(values[1] == 20);

    auto counted_consume = counted(consume, calls);
    static_assert(!noexcept(counted_consume(nullptr)));  // consume is not noexcept
    static_assert(!std::is_invocable_v<decltype(counted_consume), int>);  // as for consume
    auto text = std::make_unique<std::string>("hello");
    CHECK(counted_consume(std::move(text)) == 5);  // the unique_ptr moved through
    CHECK(calls == 2);
    // [keeps-signature]
}

TEST_CASE("an auto return type turns a reference into a copy and drops noexcept") {
    int calls = 0;
    std::vector<int> values{1, 2, 3};
    // [auto-return-copies]
    auto careless = counted_carelessly(element, calls);
    static_assert(std::is_same_v<decltype(careless(values, 0)), int>);  // a copy
    static_assert(!noexcept(careless(values, 0)));  // and it may throw, says the type
    int copy = careless(values, 1);
    copy = 20;  // changes the copy only
    CHECK(values[1] == 2);
    // [auto-return-copies]
    CHECK(copy == 20);
    CHECK(calls == 1);
}

TEST_CASE("retry calls exactly N times and rethrows the last error") {
    fake_time time;
    // [retry-exhausted]
    // Python (tenacity):
    //     @retry(stop=stop_after_attempt(4), wait=wait_exponential(multiplier=0.1, max=1),
    //            retry=retry_if_exception_type(TransientError), reraise=True)
    int calls = 0;
    auto fetch_profile = ce::retry(
        [&](int user_id) -> std::string {
            ++calls;
            throw ce::transient_error("attempt " + std::to_string(calls) + ": user " +
                                      std::to_string(user_id) + " unavailable");
        },
        4, ce::exponential_backoff{.initial = 100ms, .max = 1s}, fake_sleeper{&time});

    CHECK_THROWS_WITH_AS(fetch_profile(42), "attempt 4: user 42 unavailable", ce::transient_error);
    CHECK(calls == 4);
    CHECK(time.sleeps == ms_list{100ms, 200ms, 400ms});  // one sleep between two attempts
    // [retry-exhausted]
}

TEST_CASE("retry returns the first success and stops") {
    fake_time time;
    // [retry-succeeds]
    int calls = 0;
    std::string cache = "profile of 42";
    auto fetch_profile = ce::retry(
        [&](int) -> std::string& {
            if (++calls < 3) {
                throw ce::transient_error("connection reset");
            }
            return cache;
        },
        5, ce::exponential_backoff{.initial = 50ms}, fake_sleeper{&time});

    static_assert(std::is_same_v<decltype(fetch_profile(42)), std::string&>);
    CHECK(&fetch_profile(42) == &cache);  // the reference itself came back
    CHECK(calls == 3);
    CHECK(time.sleeps == ms_list{50ms, 100ms});
    // [retry-succeeds]
}

TEST_CASE("retry retries only the listed exceptions") {
    fake_time time;
    int calls = 0;
    // [retry-which-errors]
    auto failing_with = [&](const auto& failure) {
        return [&calls, failure] {
            ++calls;
            throw failure;
        };
    };
    // The default list is ce::transient_error: a usage error is not worth a second try.
    auto bad_request = ce::retry(failing_with(ce::usage_error("no such user")), 3,
                                 ce::exponential_backoff{}, fake_sleeper{&time});
    CHECK_THROWS_AS(bad_request(), ce::usage_error);
    CHECK(calls == 1);

    // Naming the types replaces the default list.
    calls = 0;
    const std::system_error refused(std::make_error_code(std::errc::connection_refused));
    auto connect = ce::retry<std::system_error>(failing_with(refused), 3,
                                                ce::exponential_backoff{}, fake_sleeper{&time});
    CHECK_THROWS_AS(connect(), std::system_error);
    CHECK(calls == 3);

    calls = 0;
    auto flaky = ce::retry<std::system_error>(failing_with(ce::transient_error("busy")), 3,
                                              ce::exponential_backoff{}, fake_sleeper{&time});
    CHECK_THROWS_AS(flaky(), ce::transient_error);
    CHECK(calls == 1);  // not in the list any more
    // [retry-which-errors]
    CHECK(time.sleeps == ms_list{100ms, 200ms});  // only connect() slept
}

TEST_CASE("exponential backoff grows by its multiplier up to its cap") {
    // [backoff-policy]
    const ce::exponential_backoff backoff{.initial = 100ms, .multiplier = 3, .max = 1s};
    ms_list delays;
    for (int retry = 1; retry <= 5; ++retry) {
        delays.push_back(backoff(retry));
    }
    CHECK(delays == ms_list{100ms, 300ms, 900ms, 1000ms, 1000ms});

    // Any callable int -> milliseconds is a policy: here linear growth.
    fake_time time;
    auto linear = [](int retry) { return retry * 250ms; };
    auto always_busy = ce::retry([] { throw ce::transient_error("busy"); }, 4, linear,
                                 fake_sleeper{&time});
    CHECK_THROWS_AS(always_busy(), ce::transient_error);
    CHECK(time.sleeps == ms_list{250ms, 500ms, 750ms});
    // [backoff-policy]
    CHECK(ce::exponential_backoff{.multiplier = 1}(7) == 100ms);
    CHECK(ce::exponential_backoff{.initial = 1ms, .max = 1s}(200) == 1s);  // no overflow
}

TEST_CASE("a negative delay counts as zero, so backoff never goes negative or overflows") {
    // [backoff-negative]
    // A misconfigured policy (a sign error in a config file) waits not at all ...
    const ce::exponential_backoff negative{.initial = -5ms, .max = 1s};
    CHECK(negative(1) == 0ms);
    CHECK(negative(64) == 0ms);  // -5 ms doubled 63 times would overflow
    // ... and so does a negative cap, like std::this_thread::sleep_for(-1ms).
    CHECK(ce::exponential_backoff{.initial = 100ms, .max = -1ms}(3) == 0ms);
    // [backoff-negative]
    CHECK(ce::exponential_backoff{.initial = std::chrono::milliseconds::min()}(40) == 0ms);
}

TEST_CASE("retry rejects fewer than one attempt") {
    CHECK_THROWS_AS((void)ce::retry([] {}, 0), ce::usage_error);
}

#ifdef CE_COMPILE_FAIL_RETRY_MOVE_ONLY
// [retry-move-only]
std::size_t upload_once() {
    auto upload = ce::retry([](std::unique_ptr<std::string> body) { return body->size(); }, 3);
    return upload(std::make_unique<std::string>("payload"));  // a retry would need it again
}
// [retry-move-only]
#endif

TEST_CASE("timed reports each call's duration from the injected clock") {
    fake_time time;
    // [timed-usage]
    std::vector<std::chrono::nanoseconds> latencies;
    auto handle = ce::timed(
        [&](const std::string& path) {
            time.elapsed += 250ms;  // the work "takes" 250 ms of fake time
            return path.size();
        },
        [&](std::chrono::nanoseconds took) noexcept { latencies.push_back(took); },
        fake_clock{&time});

    CHECK(handle("/users/42") == 9);
    CHECK(handle("/") == 1);
    CHECK(latencies == std::vector<std::chrono::nanoseconds>{250ms, 250ms});
    // [timed-usage]
}

TEST_CASE("timed keeps reference returns, move-only arguments and noexcept") {
    std::vector<std::chrono::nanoseconds> latencies;
    auto record = [&](std::chrono::nanoseconds took) noexcept { latencies.push_back(took); };
    std::vector<int> values{1, 2, 3};
    // [timed-keeps-signature]
    auto timed_element = ce::timed(element, record);
    static_assert(std::is_same_v<decltype(timed_element(values, 2)), int&>);
    static_assert(noexcept(timed_element(values, 2)) == noexcept(element(values, 2)));
    timed_element(values, 2) = 30;
    CHECK(values[2] == 30);

    auto timed_consume = ce::timed(consume, record);
    static_assert(noexcept(timed_consume(nullptr)) == noexcept(consume(nullptr)));
    CHECK(timed_consume(std::make_unique<std::string>("moved")) == 5);
    // [timed-keeps-signature]
    CHECK(latencies.size() == 2);
}

TEST_CASE("timed reports a call that throws, and the exception propagates") {
    fake_time time;
    std::vector<std::chrono::nanoseconds> latencies;
    // [timed-failure]
    auto handle = ce::timed(
        [&] {
            time.elapsed += 40ms;
            throw ce::transient_error("upstream timed out");
        },
        [&](std::chrono::nanoseconds took) noexcept { latencies.push_back(took); },
        fake_clock{&time});

    CHECK_THROWS_AS(handle(), ce::transient_error);
    CHECK(latencies == std::vector<std::chrono::nanoseconds>{40ms});  // like `finally:`
    // [timed-failure]
}

TEST_CASE("stacked decorators apply inside out, like stacked @ lines") {
    fake_time time;
    std::vector<std::chrono::nanoseconds> latencies;
    int calls = 0;
    // [stacked]
    // Python:  @timed        <- outermost: measures everything below, sleeps included
    //          @retry(...)
    //          def fetch(): ...
    auto fetch = ce::timed(
        ce::retry(
            [&] {
                time.elapsed += 10ms;
                if (++calls < 3) {
                    throw ce::transient_error("busy");
                }
                return 42;
            },
            3, ce::exponential_backoff{.initial = 100ms}, fake_sleeper{&time}),
        [&](std::chrono::nanoseconds took) noexcept { latencies.push_back(took); },
        fake_clock{&time});

    CHECK(fetch() == 42);
    CHECK(latencies == std::vector<std::chrono::nanoseconds>{3 * 10ms + 100ms + 200ms});
    // [stacked]
}
