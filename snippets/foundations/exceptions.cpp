// Custom exception hierarchies: the chapter page shows the named regions of this file.
#include <ce/error.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <exception>
#include <numeric>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <typeinfo>
#include <utility>
#include <vector>

namespace shop {

// [domain-errors]
// Domain errors derive from the leaf that says how a caller reacts.
class config_error : public ce::usage_error {
public:
    using ce::usage_error::usage_error;
};

class payment_declined : public ce::usage_error {
public:
    payment_declined(const std::string& card, int code)
        : ce::usage_error("card " + card + " declined with code " + std::to_string(code)),
          code_(code) {}

    [[nodiscard]] int code() const noexcept { return code_; }

private:
    int code_;
};
// [domain-errors]

// [react]
enum class reaction : std::uint8_t { fix_request, retry_later, report_bug, crash };

// Handlers run top to bottom and the first match wins: most derived first.
reaction react_to(const std::exception_ptr& failure) {
    try {
        std::rethrow_exception(failure);
    } catch (const ce::usage_error&) {
        return reaction::fix_request;
    } catch (const ce::transient_error&) {
        return reaction::retry_later;
    } catch (const ce::error&) {
        return reaction::report_bug;
    } catch (...) {
        return reaction::crash;
    }
}
// [react]

#ifdef CE_COMPILE_FAIL_HANDLER_ORDER
// [handler-order]
reaction react_to_badly(const std::exception_ptr& failure) {
    try {
        std::rethrow_exception(failure);
    } catch (const ce::error&) {
        return reaction::report_bug;
    } catch (const ce::transient_error&) {  // unreachable: ce::error matched already
        return reaction::retry_later;
    }
}
// [handler-order]
#endif

// [chain]
std::string open_connection(std::string_view host) {
    throw std::system_error(std::make_error_code(std::errc::connection_refused),
                            "connect to " + std::string(host));
}

std::string load_user(int id) {
    try {
        return open_connection("db:5432");
    } catch (...) {
        // Python: raise TransientError(...) from exc
        std::throw_with_nested(ce::transient_error("loading user " + std::to_string(id) + " failed"));
    }
}

std::string handle_get_user(int id) {
    try {
        return load_user(id);
    } catch (...) {
        std::throw_with_nested(ce::error("GET /users/" + std::to_string(id) + " failed"));
    }
}
// [chain]

}  // namespace shop

TEST_CASE("each leaf of the hierarchy maps to one reaction") {
    using shop::reaction;
    auto reaction_to = [](const auto& exception) {
        return shop::react_to(std::make_exception_ptr(exception));
    };
    CHECK(reaction_to(shop::config_error("port must be a number")) == reaction::fix_request);
    CHECK(reaction_to(shop::payment_declined("4111", 51)) == reaction::fix_request);
    CHECK(reaction_to(ce::transient_error("timeout")) == reaction::retry_later);
    CHECK(reaction_to(ce::internal_error("queue corrupted")) == reaction::report_bug);
    CHECK(reaction_to(std::bad_alloc()) == reaction::crash);
}

TEST_CASE("catching by const reference keeps the dynamic type") {
    // [catch-by-reference]
    try {
        throw shop::payment_declined("4111", 51);
    } catch (const ce::error& e) {  // a reference binds to the thrown object itself
        CHECK(typeid(e) == typeid(shop::payment_declined));
        const auto* declined = dynamic_cast<const shop::payment_declined*>(&e);
        REQUIRE(declined != nullptr);
        CHECK(declined->code() == 51);
    }
    // [catch-by-reference]
}

TEST_CASE("throw e slices a rethrown exception; a bare throw does not") {
    // [rethrow]
    auto rethrow_by_name = [] {
        try {
            throw shop::payment_declined("4111", 51);
        } catch (const ce::error& e) {
            throw e;  // copies the static type, ce::error: the leaf is sliced off
        }
    };
    auto rethrow_bare = [] {
        try {
            throw shop::payment_declined("4111", 51);
        } catch (const ce::error&) {
            throw;  // rethrows the original object, like Python's bare `raise`
        }
    };
    CHECK_THROWS_AS(rethrow_bare(), shop::payment_declined);
    CHECK_THROWS_AS(rethrow_by_name(), ce::error);
    CHECK(shop::react_to(std::make_exception_ptr(ce::error("sliced"))) == shop::reaction::report_bug);
    try {
        rethrow_by_name();
    } catch (const ce::error& e) {
        CHECK(typeid(e) == typeid(ce::error));  // no longer a payment_declined
    }
    // [rethrow]
}

TEST_CASE("a nested chain prints root cause first, like a Python traceback") {
    // [chain-output]
    constexpr std::string_view expected = R"(
std::system_error: connect to db:5432: Connection refused

The above exception was the direct cause of the following exception:

ce::transient_error: loading user 42 failed

The above exception was the direct cause of the following exception:

ce::error: GET /users/42 failed
)";
    // [chain-output]
    try {
        shop::handle_get_user(42);
        FAIL("handle_get_user must throw");
    } catch (const std::exception& e) {
        CHECK(ce::format_exception_chain(e) == expected.substr(1));
    }
}

TEST_CASE("a nested exception that holds no cause prints as one entry") {
    // [chain-without-cause]
    try {
        // Outside any handler there is no current exception to nest.
        std::throw_with_nested(ce::internal_error("ledger out of balance"));
    } catch (const ce::internal_error& e) {
        const auto* nested = dynamic_cast<const std::nested_exception*>(&e);
        REQUIRE(nested != nullptr);
        CHECK(nested->nested_ptr() == nullptr);  // std::rethrow_if_nested(e) would terminate
        CHECK(ce::format_exception_chain(e) == "ce::internal_error: ledger out of balance\n");
    }
    // [chain-without-cause]
}

namespace {

// Derives from std::nested_exception itself, which captures whatever is being handled
// when the object is made: here, nothing.
class wrapped_failure : public std::runtime_error, public std::nested_exception {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace

TEST_CASE("a class derived from std::nested_exception made outside a handler has no cause") {
    const wrapped_failure failure("sync failed");
    REQUIRE(failure.nested_ptr() == nullptr);
    const std::string chain = ce::format_exception_chain(failure);
    CHECK(chain.ends_with("wrapped_failure: sync failed\n"));
    CHECK(chain.find("direct cause") == std::string::npos);
}

TEST_CASE("the nested cause can be caught by its own type") {
    // [unwrap-cause]
    try {
        shop::load_user(7);
    } catch (const ce::transient_error& outer) {
        try {
            std::rethrow_if_nested(outer);  // Python: outer.__cause__
        } catch (const std::system_error& cause) {
            CHECK(cause.code() == std::errc::connection_refused);
        }
    }
    // [unwrap-cause]
}

namespace payments {

// [error-category]
// A no-throw boundary (a C API, a hot path, an embedded build) reports errors as
// std::error_code values. A category gives the numbers a name and a meaning.
enum class gateway_errc {  // NOLINT(performance-enum-size): an error_code holds an int
    timed_out = 1,
    refused = 2,
    malformed_reply = 3,
};

class gateway_category_type final : public std::error_category {
public:
    [[nodiscard]] const char* name() const noexcept override { return "gateway"; }

    [[nodiscard]] std::string message(int value) const override {
        switch (static_cast<gateway_errc>(value)) {
            case gateway_errc::timed_out: return "gateway did not answer in time";
            case gateway_errc::refused: return "gateway refused the connection";
            case gateway_errc::malformed_reply: return "gateway sent a malformed reply";
        }
        return "unknown gateway error";
    }

    // Equivalence to the portable std::errc conditions: callers may test
    // `ec == std::errc::timed_out` without knowing this category exists.
    [[nodiscard]] std::error_condition default_error_condition(int value) const noexcept override {
        switch (static_cast<gateway_errc>(value)) {
            case gateway_errc::timed_out: return std::errc::timed_out;
            case gateway_errc::refused: return std::errc::connection_refused;
            case gateway_errc::malformed_reply: return std::errc::bad_message;
        }
        return {value, *this};
    }
};

const std::error_category& gateway_category() noexcept {
    static const gateway_category_type category;  // one instance: categories compare by address
    return category;
}

std::error_code make_error_code(gateway_errc e) noexcept {  // found by ADL
    return {static_cast<int>(e), gateway_category()};
}
// [error-category]

}  // namespace payments

// [error-code-enum]
template <>
struct std::is_error_code_enum<payments::gateway_errc> : std::true_type {};
// [error-code-enum]

namespace payments {

// [no-throw-boundary]
// Exceptions inside, error codes outside: nothing escapes a noexcept boundary.
[[nodiscard]] std::error_code charge(int cents, bool gateway_up) noexcept {
    if (cents <= 0) {
        return std::make_error_code(std::errc::invalid_argument);
    }
    if (!gateway_up) {
        return gateway_errc::timed_out;  // converts: is_error_code_enum says it may
    }
    return {};  // value 0 in the system category: success
}
// [no-throw-boundary]

}  // namespace payments

TEST_CASE("a category's codes compare equal to the portable std::errc conditions") {
    // [errc-equivalence]
    std::error_code ec = payments::charge(500, /*gateway_up=*/false);
    CHECK(ec);  // non-zero: an error
    CHECK(ec == std::errc::timed_out);  // equal through default_error_condition
    CHECK(ec != std::errc::connection_refused);
    CHECK(ec == payments::gateway_errc::timed_out);  // and to its own enumerator
    CHECK(ec.category().name() == std::string_view("gateway"));
    CHECK(ec.message() == "gateway did not answer in time");

    CHECK(payments::charge(-1, true) == std::errc::invalid_argument);
    CHECK_FALSE(payments::charge(500, true));
    // [errc-equivalence]
}

TEST_CASE("a system_error carries an error_code across a throwing boundary") {
    const std::system_error e(payments::gateway_errc::refused, "charging card 4111");
    CHECK(e.code() == std::errc::connection_refused);
    CHECK(std::string_view(e.what()) == "charging card 4111: gateway refused the connection");
}

namespace ledger_example {

// [ledger-entry]
// A test hook: copying an entry throws on the n-th copy, so every possible
// failure point of an operation can be exercised in turn.
struct fault_plan {
    int copies_until_fault = -1;  // -1: never fail
};
thread_local fault_plan faults;

struct entry {
    std::string memo;
    long long cents = 0;

    entry(std::string m, long long c) : memo(std::move(m)), cents(c) {}
    entry(const entry& other) : memo(other.memo), cents(other.cents) {
        if (faults.copies_until_fault == 0) {
            throw ce::transient_error("injected fault while copying an entry");
        }
        if (faults.copies_until_fault > 0) {
            --faults.copies_until_fault;
        }
    }
    entry(entry&&) noexcept = default;
    entry& operator=(const entry&) = default;
    entry& operator=(entry&&) noexcept = default;
    ~entry() = default;
    friend bool operator==(const entry&, const entry&) = default;
};
// [ledger-entry]

// [basic-guarantee]
class naive_ledger {
public:
    void post(std::span<const entry> batch) {
        for (const entry& e : batch) {
            entries_.push_back(e);  // may throw after earlier entries went in
            balance_ += e.cents;
        }
    }
    [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }
    [[nodiscard]] long long balance() const noexcept { return balance_; }

private:
    std::vector<entry> entries_;
    long long balance_ = 0;
};
// [basic-guarantee]

// [strong-guarantee]
class ledger {
public:
    // Strong guarantee: either every entry is posted or the ledger is unchanged.
    void post(std::span<const entry> batch) {
        std::vector<entry> next;
        next.reserve(entries_.size() + batch.size());
        next.insert(next.end(), entries_.begin(), entries_.end());  // all work that
        next.insert(next.end(), batch.begin(), batch.end());        // can throw ...
        const long long total = std::accumulate(
            batch.begin(), batch.end(), balance_,
            [](long long sum, const entry& e) { return sum + e.cents; });
        entries_.swap(next);  // ... happens before the commit, which cannot throw
        balance_ = total;
    }
    [[nodiscard]] const std::vector<entry>& entries() const noexcept { return entries_; }
    [[nodiscard]] long long balance() const noexcept { return balance_; }

private:
    std::vector<entry> entries_;
    long long balance_ = 0;
};
// [strong-guarantee]

}  // namespace ledger_example

TEST_CASE("the naive ledger is left half-posted by a fault") {
    using namespace ledger_example;
    const std::vector<entry> batch{{"rent", -120000}, {"salary", 350000}, {"coffee", -450}};
    // [basic-guarantee-fails]
    naive_ledger books;
    faults.copies_until_fault = 2;  // the third copy throws
    CHECK_THROWS_AS(books.post(batch), ce::transient_error);
    faults.copies_until_fault = -1;
    CHECK(books.size() == 2);  // rent and salary went in, coffee did not:
    CHECK(books.balance() == 230000);  // the books no longer match the bank
    // [basic-guarantee-fails]
}

TEST_CASE("the strong guarantee holds at every injected fault point") {
    using namespace ledger_example;
    ledger books;
    books.post(std::vector<entry>{{"opening balance", 100000}});
    const std::vector<entry> batch{{"rent", -120000}, {"salary", 350000}, {"coffee", -450}};

    // [every-fault-point]
    int fault_points = 0;
    for (int fault_at = 0;; ++fault_at) {
        const std::vector<entry> before = books.entries();
        const long long balance_before = books.balance();
        faults.copies_until_fault = fault_at;
        try {
            books.post(batch);
        } catch (const ce::transient_error&) {
            faults.copies_until_fault = -1;
            ++fault_points;
            CHECK(books.entries() == before);  // unchanged, entry for entry
            CHECK(books.balance() == balance_before);
            continue;
        }
        faults.copies_until_fault = -1;
        break;  // no fault left to inject: the post succeeded
    }
    CHECK(fault_points == 4);  // 1 existing entry + 3 new ones: four copies that can fail
    CHECK(books.entries().size() == 4);
    CHECK(books.balance() == 100000 - 120000 + 350000 - 450);
    // [every-fault-point]
}
