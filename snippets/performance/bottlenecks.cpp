// Finding bottlenecks: the chapter page shows the named regions of this file. The
// report functions are also compiled into bench/bench.bottlenecks (make bench), and
// the workload test cases are what callgrind counts (tools/instruction_budget.py).
#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace shop {

// [data]
struct customer {
    std::uint32_t id;
    std::string name;
};

struct order {
    std::uint32_t customer_id;
    std::uint32_t cents;
};

// Revenue per customer name, largest first (ties by name); orders of customers that
// are not in the list count under "(unknown)".
using revenue = std::vector<std::pair<std::string, std::uint64_t>>;

// Totals by name, as the report's rows.
revenue sorted(std::unordered_map<std::string, std::uint64_t> totals) {
    revenue rows(std::make_move_iterator(totals.begin()), std::make_move_iterator(totals.end()));
    std::ranges::sort(rows, [](const auto& a, const auto& b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    return rows;
}
// [data]

// [slow]
// The first version: clear, and correct. For each order, find its customer.
[[gnu::noinline]] const customer* find_customer(const std::vector<customer>& customers,
                                                std::uint32_t id) {
    const auto it = std::ranges::find(customers, id, &customer::id);
    return it == customers.end() ? nullptr : &*it;
}

[[gnu::noinline]] revenue revenue_by_customer_slow(const std::vector<customer>& customers,
                                                   const std::vector<order>& orders) {
    std::unordered_map<std::string, std::uint64_t> totals;
    for (const order& o : orders) {
        const customer* c = find_customer(customers, o.customer_id);
        totals[c != nullptr ? c->name : "(unknown)"] += o.cents;
    }
    return sorted(std::move(totals));
}
// [slow]

// [fast]
// The fix the profile points at: index the customers once (O(customers)), then each
// order is one hash lookup, and totals are kept per customer, not per name string.
[[gnu::noinline]] revenue revenue_by_customer(const std::vector<customer>& customers,
                                              const std::vector<order>& orders) {
    std::unordered_map<std::uint32_t, std::size_t> index;  // id -> position
    index.reserve(customers.size());
    for (std::size_t i = 0; i < customers.size(); ++i) {
        index.try_emplace(customers[i].id, i);  // the first customer with an id wins, as find does
    }
    std::vector<std::uint64_t> by_position(customers.size());
    std::vector<bool> ordered(customers.size());  // a customer whose orders total 0 is a row
    std::uint64_t unknown = 0;
    bool any_unknown = false;
    for (const order& o : orders) {
        const auto it = index.find(o.customer_id);
        if (it == index.end()) {
            unknown += o.cents;
            any_unknown = true;
        } else {
            by_position[it->second] += o.cents;
            ordered[it->second] = true;
        }
    }
    std::unordered_map<std::string, std::uint64_t> totals;
    for (std::size_t i = 0; i < customers.size(); ++i) {
        if (ordered[i]) {
            totals[customers[i].name] += by_position[i];
        }
    }
    if (any_unknown) {
        totals["(unknown)"] += unknown;
    }
    return sorted(std::move(totals));
}
// [fast]

// Deterministic test data: `customers` customers, `orders` orders over them, and one
// order in a hundred for a customer id that does not exist.
std::pair<std::vector<customer>, std::vector<order>> make_shop(std::size_t customers, std::size_t orders) {
    // NOLINTNEXTLINE(bugprone-random-generator-seed): the same shop on every run
    std::mt19937 random{2024};
    std::vector<customer> people;
    people.reserve(customers);
    for (std::size_t i = 0; i < customers; ++i) {
        people.push_back({static_cast<std::uint32_t>(1000 + 7 * i), "customer " + std::to_string(i)});
    }
    std::vector<order> bought;
    bought.reserve(orders);
    const auto bound = static_cast<std::uint32_t>(1000 + 7 * customers + 700);
    std::uniform_int_distribution<std::uint32_t> pick(0, static_cast<std::uint32_t>(customers) - 1);
    std::uniform_int_distribution<std::uint32_t> cents(1, 100'000);
    for (std::size_t i = 0; i < orders; ++i) {
        const std::uint32_t id = i % 100 == 99 ? bound : 1000 + 7 * pick(random);
        bought.push_back({id, cents(random)});
    }
    return {std::move(people), std::move(bought)};
}

}  // namespace shop

using shop::make_shop;

TEST_CASE("the fix computes what the first version computes") {
    for (const auto& [customers, orders] : {std::pair{1UL, 1UL}, std::pair{10UL, 1000UL},
                                            std::pair{500UL, 20'000UL}}) {
        const auto [people, bought] = make_shop(customers, orders);
        const shop::revenue expected = shop::revenue_by_customer_slow(people, bought);
        CHECK(shop::revenue_by_customer(people, bought) == expected);
        CHECK_FALSE(expected.empty());
    }
}

TEST_CASE("edge cases agree: no orders, no customers, unknown ids, duplicate ids, names") {
    using shop::customer;
    using shop::order;
    const std::vector<customer> none;
    const std::vector<order> no_orders;
    CHECK(shop::revenue_by_customer(none, no_orders).empty());
    CHECK(shop::revenue_by_customer_slow(none, no_orders).empty());

    const std::vector<order> orphans{{7, 100}, {8, 50}};
    const shop::revenue all_unknown{{"(unknown)", 150}};
    CHECK(shop::revenue_by_customer(none, orphans) == all_unknown);
    CHECK(shop::revenue_by_customer_slow(none, orphans) == all_unknown);

    // Two customers share an id: find() picks the first, and so must the index. Two
    // customers share a name: their revenue is one row. A zero-cent order still counts.
    const std::vector<customer> people{{1, "ada"}, {1, "shadow"}, {2, "grace"}, {3, "ada"}, {4, "linus"}};
    const std::vector<order> bought{{1, 10}, {2, 30}, {3, 5}, {9, 1}, {4, 0}};
    const shop::revenue expected = shop::revenue_by_customer_slow(people, bought);
    CHECK(expected == shop::revenue{{"grace", 30}, {"ada", 15}, {"(unknown)", 1}, {"linus", 0}});
    CHECK(shop::revenue_by_customer(people, bought) == expected);
}

// The programs callgrind counts. CE_ORDERS sets the size (default 2000, so that the
// test suite does not wait for them).
namespace {
std::size_t workload_orders() {
    const char* text = std::getenv("CE_ORDERS");
    return text != nullptr ? static_cast<std::size_t>(std::strtoul(text, nullptr, 10)) : 2000;
}
}  // namespace

TEST_CASE("workload: the first version") {
    const auto [people, bought] = make_shop(1000, workload_orders());
    CHECK(shop::revenue_by_customer_slow(people, bought).front().second > 0);
}

TEST_CASE("workload: the fix") {
    const auto [people, bought] = make_shop(1000, workload_orders());
    CHECK(shop::revenue_by_customer(people, bought).front().second > 0);
}

#ifdef CE_BENCHMARK
// The benchmark behind the page's "Measure" tables (bench/CMakeLists.txt builds this
// file with CE_BENCHMARK defined into bench.bottlenecks): the first version against
// the fix, on 1000 customers and 20,000 orders.
#include <benchmark/benchmark.h>

namespace {

void report_first_version(benchmark::State& state) {
    const auto [customers, orders] = make_shop(1000, 20'000);
    for (auto _ : state) {
        benchmark::DoNotOptimize(shop::revenue_by_customer_slow(customers, orders));
    }
}

void report_fix(benchmark::State& state) {
    const auto [customers, orders] = make_shop(1000, 20'000);
    for (auto _ : state) {
        benchmark::DoNotOptimize(shop::revenue_by_customer(customers, orders));
    }
}

}  // namespace

BENCHMARK(report_first_version)->Name("revenue_report/first_version")->Unit(benchmark::kMicrosecond);
BENCHMARK(report_fix)->Name("revenue_report/indexed")->Unit(benchmark::kMicrosecond);
#endif  // CE_BENCHMARK
