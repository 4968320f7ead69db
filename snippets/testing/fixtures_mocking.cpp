// Fixtures and mocking: the chapter page shows the named regions of this file.
#include <doctest/doctest.h>
// trompeloeil's adapter for doctest: a violated expectation becomes a doctest failure.
#include <doctest/trompeloeil.hpp>

#include <ce_test/child_process.hpp>

#include <chrono>
#include <concepts>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <sys/wait.h>

// Production code: nothing in this namespace knows about the tests below.
namespace shop {

// [domain]
struct line {
    std::string sku;
    int quantity = 0;
};

struct order {
    std::string customer;
    std::vector<line> lines;
};

// The service's three dependencies, as interfaces it owns (Python: typing.Protocol).
class price_list {
public:
    virtual ~price_list() = default;
    [[nodiscard]] virtual std::int64_t price_of(const std::string& sku) const = 0;

protected:  // C.67: nobody copies through an interface
    price_list() = default;
    price_list(const price_list&) = default;
    price_list(price_list&&) = default;
    price_list& operator=(const price_list&) = default;
    price_list& operator=(price_list&&) = default;
};

class payment_gateway {
public:
    virtual ~payment_gateway() = default;
    /// Charges `cents` to `customer`; false if the charge was declined.
    virtual bool charge(const std::string& customer, std::int64_t cents) = 0;

protected:
    payment_gateway() = default;
    payment_gateway(const payment_gateway&) = default;
    payment_gateway(payment_gateway&&) = default;
    payment_gateway& operator=(const payment_gateway&) = default;
    payment_gateway& operator=(payment_gateway&&) = default;
};

class mailer {
public:
    virtual ~mailer() = default;
    virtual void send(const std::string& to, const std::string& body) = 0;

protected:
    mailer() = default;
    mailer(const mailer&) = default;
    mailer(mailer&&) = default;
    mailer& operator=(const mailer&) = default;
    mailer& operator=(mailer&&) = default;
};

enum class outcome : std::uint8_t { paid, declined };

// Prices an order, charges it, and mails a receipt if the charge went through.
class order_service {
public:
    order_service(const price_list& prices, payment_gateway& gateway, mailer& mail)
        : prices_(prices), gateway_(gateway), mail_(mail) {}

    outcome checkout(const order& o) {
        const std::int64_t total = total_of(o);
        if (!gateway_.charge(o.customer, total)) {
            return outcome::declined;
        }
        mail_.send(o.customer, "receipt: " + std::to_string(total) + " cents");
        return outcome::paid;
    }

private:
    [[nodiscard]] std::int64_t total_of(const order& o) const {
        std::int64_t total = 0;
        for (const line& l : o.lines) {  // one price lookup per line
            total += l.quantity * prices_.price_of(l.sku);
        }
        return total;
    }

    const price_list& prices_;
    payment_gateway& gateway_;
    mailer& mail_;
};
// [domain]

}  // namespace shop

namespace {

// [test-doubles]
// A fake: a working gateway that keeps its ledger in memory. Like a real one, it
// declines a charge that would take a customer over their limit.
class fake_gateway final : public shop::payment_gateway {
public:
    explicit fake_gateway(std::int64_t limit_cents) : limit_(limit_cents) {}

    bool charge(const std::string& customer, std::int64_t cents) override {
        if (charged(customer) + cents > limit_) {
            return false;
        }
        ledger_.emplace_back(customer, cents);
        return true;
    }

    [[nodiscard]] std::int64_t charged(const std::string& customer) const {
        std::int64_t sum = 0;
        for (const auto& [who, cents] : ledger_) {
            sum += who == customer ? cents : 0;
        }
        return sum;
    }

    [[nodiscard]] std::size_t charges() const { return ledger_.size(); }

private:
    std::int64_t limit_;
    std::vector<std::pair<std::string, std::int64_t>> ledger_;
};

// A stub: canned answers and no logic. Asking for a price it was not given throws
// (std::out_of_range from map::at), which fails the test that asked.
class stub_prices final : public shop::price_list {
public:
    explicit stub_prices(std::map<std::string, std::int64_t> prices) : prices_(std::move(prices)) {}

    [[nodiscard]] std::int64_t price_of(const std::string& sku) const override {
        return prices_.at(sku);
    }

private:
    std::map<std::string, std::int64_t> prices_;
};

// Another fake: a mailer whose post office is a vector.
class outbox_mailer final : public shop::mailer {
public:
    void send(const std::string& to, const std::string& body) override {
        outbox.emplace_back(to, body);
    }

    std::vector<std::pair<std::string, std::string>> outbox;  // (to, body)
};

TEST_CASE("a state test: after a checkout, the ledger and the outbox say what happened") {
    fake_gateway gateway{10'000};
    const stub_prices prices{{{"apple", 150}, {"pear", 80}}};
    outbox_mailer mail;
    shop::order_service service{prices, gateway, mail};

    CHECK(service.checkout({"ada", {{"apple", 2}, {"pear", 1}}}) == shop::outcome::paid);
    CHECK(gateway.charged("ada") == 380);
    REQUIRE(mail.outbox.size() == 1);
    CHECK(mail.outbox[0] == std::pair<std::string, std::string>{"ada", "receipt: 380 cents"});
}
// [test-doubles]

// [fixture]
// A fixture is a plain struct: its constructor is the setup, its destructor the
// teardown, its members are what the test case sees. `constructed` counts the
// fixtures built in this process and `serial` numbers each one.
struct checkout_fixture {
    static inline int constructed = 0;
    int serial = ++constructed;

    fake_gateway gateway{10'000};
    const stub_prices prices{{{"apple", 150}, {"pear", 80}}};
    outbox_mailer mail;
    shop::order_service service{prices, gateway, mail};
};

// The test case's body is a member function of a class derived from the fixture.
// doctest runs the body once per leaf SUBCASE, and builds a new fixture every time.
TEST_CASE_FIXTURE(checkout_fixture, "each entry into the test case gets a fresh fixture") {
    static int entries = 0;                  // how many times doctest has run this body
    static const int first_serial = serial;  // the fixture of the first entry
    ++entries;
    CHECK(serial == first_serial + entries - 1);  // a new object on every entry...
    CHECK(gateway.charges() == 0);                // ...so no charge is left over
    CHECK(mail.outbox.empty());

    SUBCASE("a paid order") {
        CHECK(service.checkout({"ada", {{"apple", 2}}}) == shop::outcome::paid);
        CHECK(gateway.charged("ada") == 300);
    }
    SUBCASE("an order over the limit is declined and gets no receipt") {
        CHECK(service.checkout({"ada", {{"pear", 200}}}) == shop::outcome::declined);
        CHECK(gateway.charged("ada") == 0);  // not 300: the first subcase's fixture is gone
        CHECK(mail.outbox.empty());
    }
    SUBCASE("a third entry") {
        CHECK(entries == 3);
        CHECK(serial == first_serial + 2);
    }
}
// [fixture]

// [mocks]
// Mocks: trompeloeil writes each override from its name, signature and specifiers.
// A call that no expectation matches fails the test at the call.
class mock_gateway final : public shop::payment_gateway {
public:
    MAKE_MOCK2(charge, bool(const std::string&, std::int64_t), override);
};

class mock_mailer final : public shop::mailer {
public:
    MAKE_MOCK2(send, void(const std::string&, const std::string&), override);
};

class mock_prices final : public shop::price_list {
public:
    MAKE_CONST_MOCK1(price_of, std::int64_t(const std::string&), override);
};
// [mocks]

// [expectations]
TEST_CASE("mocks: the checkout charges the total and mails one receipt") {
    const stub_prices prices{{{"apple", 150}, {"pear", 80}}};
    mock_gateway gateway;
    mock_mailer mail;
    shop::order_service service{prices, gateway, mail};

    SUBCASE("paid: exactly one charge, exactly one receipt with the total in it") {
        REQUIRE_CALL(gateway, charge("ada", 380)).RETURN(true);
        REQUIRE_CALL(mail, send("ada", trompeloeil::_))
            .WITH(_2.find("380 cents") != std::string::npos);
        CHECK(service.checkout({"ada", {{"apple", 2}, {"pear", 1}}}) == shop::outcome::paid);
    }  // here, at the end of their scope, the expectations check they were met

    SUBCASE("declined: any charge may be attempted, but no receipt may be sent") {
        ALLOW_CALL(gateway, charge(trompeloeil::_, trompeloeil::_)).RETURN(false);
        FORBID_CALL(mail, send(trompeloeil::_, trompeloeil::_));
        CHECK(service.checkout({"ada", {{"apple", 2}}}) == shop::outcome::declined);
    }

    SUBCASE("two orders: two receipts") {
        ALLOW_CALL(gateway, charge("ada", trompeloeil::_)).RETURN(true);
        REQUIRE_CALL(mail, send("ada", trompeloeil::_)).TIMES(2);
        CHECK(service.checkout({"ada", {{"apple", 1}}}) == shop::outcome::paid);
        CHECK(service.checkout({"ada", {{"pear", 1}}}) == shop::outcome::paid);
    }
}
// [expectations]

// [sequence]
TEST_CASE("a sequence: the receipt goes out only after the money came in") {
    const stub_prices prices{{{"apple", 150}}};
    mock_gateway gateway;
    mock_mailer mail;
    shop::order_service service{prices, gateway, mail};

    trompeloeil::sequence money_first;
    REQUIRE_CALL(gateway, charge("ada", 300)).RETURN(true).IN_SEQUENCE(money_first);
    REQUIRE_CALL(mail, send("ada", "receipt: 300 cents")).IN_SEQUENCE(money_first);
    CHECK(service.checkout({"ada", {{"apple", 2}}}) == shop::outcome::paid);
}
// [sequence]

}  // namespace

namespace shop {

// [template-seam]
// A template seam: the dependency is a type parameter. Any type with a suitable
// charge() will do, and the call is bound at compile time: no interface, no virtual call.
template <typename G>
concept charges_payments = requires(G& gateway, const std::string& customer, std::int64_t cents) {
    { gateway.charge(customer, cents) } -> std::convertible_to<bool>;
};

template <charges_payments Gateway>
class retrying_charger {
public:
    retrying_charger(Gateway& gateway, int attempts) : gateway_(gateway), attempts_(attempts) {}

    /// Tries up to `attempts` times; true as soon as one charge goes through.
    bool charge(const std::string& customer, std::int64_t cents) {
        for (int attempt = 0; attempt < attempts_; ++attempt) {
            if (gateway_.charge(customer, cents)) {
                return true;
            }
        }
        return false;
    }

private:
    Gateway& gateway_;
    int attempts_;
};
// [template-seam]

// [link-seam]
// A link seam: declared here, defined in whichever .cpp file the program links. The
// application links a definition that reads the system clock; the tests link one
// they control.
std::chrono::sys_seconds wall_clock_now();

// Delivery is free on orders placed on a Saturday or a Sunday (UTC).
bool free_delivery_now() {
    const std::chrono::weekday today{std::chrono::floor<std::chrono::days>(wall_clock_now())};
    return today == std::chrono::Saturday || today == std::chrono::Sunday;
}
// [link-seam]

}  // namespace shop

namespace {

// [template-seam-test]
// The test's gateway: no base class, no virtual function. It fails `failures` times,
// then succeeds.
struct flaky_gateway {
    int failures = 0;
    int calls = 0;

    bool charge(const std::string& /*customer*/, std::int64_t /*cents*/) {
        ++calls;
        return calls > failures;
    }
};

TEST_CASE("a template seam: the retrying charger against a flaky gateway") {
    static_assert(!std::is_polymorphic_v<flaky_gateway>);
    static_assert(shop::charges_payments<flaky_gateway>);
    static_assert(shop::charges_payments<shop::payment_gateway>);  // production: any real gateway

    flaky_gateway two_failures{.failures = 2};
    CHECK(shop::retrying_charger{two_failures, 3}.charge("ada", 300));
    CHECK(two_failures.calls == 3);

    flaky_gateway down{.failures = 1'000};
    CHECK_FALSE(shop::retrying_charger{down, 3}.charge("ada", 300));
    CHECK(down.calls == 3);
}
// [template-seam-test]

}  // namespace

// [link-seam-test]
// The tests' definition. In a project it is a file of its own (tests/fixed_clock.cpp)
// that the test executable links in place of the application's clock.cpp.
namespace fixed_clock {
// constinit: initialised at compile time, so it cannot throw (the check only sees that
// time_point's constructor is not marked noexcept)
// NOLINTNEXTLINE(bugprone-throwing-static-initialization)
constinit std::chrono::sys_seconds now{};  // what the tests say the time is
}  // namespace fixed_clock

std::chrono::sys_seconds shop::wall_clock_now() { return fixed_clock::now; }

TEST_CASE("a link seam: the tests' wall_clock_now decides what day it is") {
    using namespace std::chrono;
    fixed_clock::now = sys_days{2026y / December / 5} + 18h;  // a Saturday
    CHECK(shop::free_delivery_now());
    fixed_clock::now = sys_days{2026y / December / 7} + 9h;  // a Monday
    CHECK_FALSE(shop::free_delivery_now());
}
// [link-seam-test]

namespace {

// [over-specified]
// Over-specified: the test pins down how the service talks to its price list (which
// SKUs, how often, in which order), which is how it works, not what it does.
template <class Service>
void check_prices_are_looked_up_line_by_line() {
    mock_prices prices;
    fake_gateway gateway{10'000};
    outbox_mailer mail;
    Service service{prices, gateway, mail};

    trompeloeil::sequence lookups;
    REQUIRE_CALL(prices, price_of("apple")).RETURN(150).IN_SEQUENCE(lookups);
    REQUIRE_CALL(prices, price_of("pear")).RETURN(80).IN_SEQUENCE(lookups);
    REQUIRE_CALL(prices, price_of("apple")).RETURN(150).IN_SEQUENCE(lookups);  // the third line

    CHECK(service.checkout({"ada", {{"apple", 2}, {"pear", 1}, {"apple", 1}}}) ==
          shop::outcome::paid);
    CHECK(gateway.charged("ada") == 530);
}

TEST_CASE("the over-specified test passes on the first version") {
    check_prices_are_looked_up_line_by_line<shop::order_service>();
}
// [over-specified]

}  // namespace

namespace shop::refactored {

// [refactor]
// The refactor: the price list may be a remote service now, so each SKU is looked up
// once, however many lines name it. What the service charges and mails is unchanged.
class order_service {
public:
    order_service(const price_list& prices, payment_gateway& gateway, mailer& mail)
        : prices_(prices), gateway_(gateway), mail_(mail) {}

    outcome checkout(const order& o) {  // as before
        const std::int64_t total = total_of(o);
        if (!gateway_.charge(o.customer, total)) {
            return outcome::declined;
        }
        mail_.send(o.customer, "receipt: " + std::to_string(total) + " cents");
        return outcome::paid;
    }

private:
    [[nodiscard]] std::int64_t total_of(const order& o) const {
        std::map<std::string, std::int64_t> quantities;  // by SKU
        for (const line& l : o.lines) {
            quantities[l.sku] += l.quantity;
        }
        std::int64_t total = 0;
        for (const auto& [sku, quantity] : quantities) {  // one lookup per SKU
            total += quantity * prices_.price_of(sku);
        }
        return total;
    }

    const price_list& prices_;
    payment_gateway& gateway_;
    mailer& mail_;
};
// [refactor]

}  // namespace shop::refactored

namespace {

// [state-test-both]
// The state test asks only what happened: what was charged and what was mailed. It
// passes on both versions.
TEST_CASE_TEMPLATE("the state test passes before and after the refactor", Service,
                   shop::order_service, shop::refactored::order_service) {
    fake_gateway gateway{10'000};
    const stub_prices prices{{{"apple", 150}, {"pear", 80}}};
    outbox_mailer mail;
    Service service{prices, gateway, mail};

    CHECK(service.checkout({"ada", {{"apple", 2}, {"pear", 1}, {"apple", 1}}}) ==
          shop::outcome::paid);
    CHECK(gateway.charged("ada") == 530);
    REQUIRE(mail.outbox.size() == 1);
    CHECK(mail.outbox[0].second == "receipt: 530 cents");
}
// [state-test-both]

// [over-specified-child]
// Runs in a child process only: the test below starts this binary again with
// CE_CHILD=over-specified and a filter selecting this case. Otherwise it does nothing,
// so the failure it provokes never fails the normal test run.
TEST_CASE("child process entry: the over-specified test against the refactor") {
    const char* mode = std::getenv("CE_CHILD");
    if (mode != nullptr && std::string_view(mode) == "over-specified") {
        check_prices_are_looked_up_line_by_line<shop::refactored::order_service>();
    }
}
// [over-specified-child]

// [over-specified-report]
TEST_CASE("the over-specified test fails after the refactor, although the charge is right") {
    const auto [status, report] = ce_test::run_to_end({
        .test_case = "child process entry: the over-specified test against the refactor",
        .environment = {"CE_CHILD=over-specified"},
        .captured = ce_test::stream::standard_output,  // where doctest reports
    });
    INFO("the child's output:\n" << report);

    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == EXIT_FAILURE);
    CHECK(report.find("ERROR: Unfulfilled expectation:\n"
                      "Expected prices.price_of(\"apple\") to be called once, actually never called") !=
          std::string::npos);
    // That is the only error: the checks of what was charged passed.
    CHECK(report.find("ERROR:") == report.rfind("ERROR:"));
    CHECK(report.find("is NOT correct!") == std::string::npos);
    CHECK(report.find("test cases: 1 | 0 passed | 1 failed") != std::string::npos);
    // Passed: the two CHECKs, and the two calls that matched (the adapter counts each).
    CHECK(report.find("assertions: 5 | 4 passed | 1 failed") != std::string::npos);
}
// [over-specified-report]

}  // namespace
