// Optimisation strategies: the chapter page shows the named regions of this file.
//
// Each strategy comes as a baseline and a faster variant. The tests prove that every
// variant returns what its baseline returns, on the same inputs; bench/optimisation.cpp
// compiles this file as a unit of its own and measures the gains. The functions have
// external linkage for that reason.
#include <ce/lru_cache.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

namespace shop {

// 1. Data layout

// [order-aos]
// An array of structs: every field of an order side by side, 64 bytes per order.
struct order {
    std::uint64_t id = 0;
    std::uint64_t customer = 0;
    std::int64_t placed_at = 0;  // seconds since the epoch
    std::int64_t price_cents = 0;
    std::int32_t quantity = 0;
    std::int32_t warehouse = 0;
    std::array<char, 24> sku{};
};
static_assert(sizeof(order) == 64);

std::int64_t revenue(std::span<const order> orders) {
    std::int64_t total = 0;
    for (const order& o : orders) {  // reads 64 bytes per order to use 12 of them
        total += o.price_cents * o.quantity;
    }
    return total;
}
// [order-aos]

// [order-soa]
// A struct of arrays: one vector per field, the layout of a column store or a
// DataFrame. A pass over two fields reads those two arrays and nothing else.
struct order_table {
    std::vector<std::uint64_t> id;
    std::vector<std::uint64_t> customer;
    std::vector<std::int64_t> placed_at;
    std::vector<std::int64_t> price_cents;
    std::vector<std::int32_t> quantity;
    std::vector<std::int32_t> warehouse;
    std::vector<std::array<char, 24>> sku;
};

std::int64_t revenue(const order_table& orders) {
    std::int64_t total = 0;
    for (std::size_t i = 0; i < orders.quantity.size(); ++i) {  // 12 bytes per order
        total += orders.price_cents[i] * orders.quantity[i];
    }
    return total;
}
// [order-soa]

// [to-table]
order_table to_table(std::span<const order> orders) {
    order_table table;
    for (const order& o : orders) {
        table.id.push_back(o.id);
        table.customer.push_back(o.customer);
        table.placed_at.push_back(o.placed_at);
        table.price_cents.push_back(o.price_cents);
        table.quantity.push_back(o.quantity);
        table.warehouse.push_back(o.warehouse);
        table.sku.push_back(o.sku);
    }
    return table;
}
// [to-table]

// [random-orders]
// Test and benchmark input: the same "random" orders for the same seed, every run.
std::vector<order> make_orders(std::size_t count, std::uint32_t seed) {
    std::mt19937 random{seed};
    std::uniform_int_distribution<std::int64_t> price(1, 100'000);  // up to 1000.00
    std::uniform_int_distribution<std::int32_t> quantity(1, 100);
    std::vector<order> orders(count);
    for (std::size_t i = 0; i < count; ++i) {
        orders[i].id = i + 1;
        orders[i].customer = random() % 5'000;
        orders[i].placed_at = 1'700'000'000 + static_cast<std::int64_t>(i);
        orders[i].price_cents = price(random);
        orders[i].quantity = quantity(random);
        orders[i].warehouse = quantity(random) % 8;
    }
    return orders;
}
// [random-orders]

// 2. Allocation avoidance

// [split-strings]
// Python: line.split(","): a new string object per field, in a new list.
std::vector<std::string> split(std::string_view line, char separator) {
    std::vector<std::string> fields;
    std::size_t start = 0;
    for (;;) {
        const std::size_t end = line.find(separator, start);
        if (end == std::string_view::npos) {
            fields.emplace_back(line.substr(start));
            return fields;
        }
        fields.emplace_back(line.substr(start, end - start));  // allocates past 15 chars
        start = end + 1;
    }
}
// [split-strings]

// [split-views]
// Views into the caller's line: no copy of any character. The line must outlive them.
std::vector<std::string_view> split_views(std::string_view line, char separator) {
    std::vector<std::string_view> fields;
    std::size_t start = 0;
    for (;;) {
        const std::size_t end = line.find(separator, start);
        if (end == std::string_view::npos) {
            fields.push_back(line.substr(start));
            return fields;
        }
        fields.push_back(line.substr(start, end - start));
        start = end + 1;
    }
}
// [split-views]

// [split-into]
// The caller owns the vector and passes it to every call: clear() keeps its capacity,
// so after the first few lines no call allocates at all.
void split_into(std::string_view line, char separator, std::vector<std::string_view>& fields) {
    fields.clear();
    std::size_t start = 0;
    for (;;) {
        const std::size_t end = line.find(separator, start);
        if (end == std::string_view::npos) {
            fields.push_back(line.substr(start));
            return;
        }
        fields.push_back(line.substr(start, end - start));
        start = end + 1;
    }
}
// [split-into]

// [random-lines]
// CSV order lines: id, customer, SKU, quantity, price, warehouse, timestamp, channel.
// The customer, the SKU and the timestamp are longer than std::string's 15-character
// small-string buffer, so each of them costs split() an allocation.
std::vector<std::string> make_lines(std::size_t count, std::uint32_t seed) {
    static constexpr std::array<std::string_view, 4> customers{
        "Ada Lovelace-Byron", "Grace Brewster Hopper", "Edsger Wybe Dijkstra", "Barbara Jane Liskov"};
    static constexpr std::array<std::string_view, 3> channels{"web", "phone", ""};
    std::mt19937 random{seed};
    std::vector<std::string> lines;
    for (std::size_t i = 0; i < count; ++i) {
        std::string line = std::to_string(100'000 + i);
        line += ',';
        line += customers.at(random() % customers.size());
        line += ",SKU-" + std::to_string(100'000'000'000 + random() % 900'000'000'000) + ',';
        line += std::to_string(random() % 100) + ',' + std::to_string(random() % 100'000) + ",DUB-2,";
        line += "2024-05-01T12:" + std::to_string(10 + random() % 50) + ":00Z,";
        line += channels.at(random() % channels.size());  // may be empty: the line ends in ','
        lines.push_back(std::move(line));
    }
    return lines;
}
// [random-lines]

// 3. Algorithm

// [duplicates-nested]
// Python: `if i in seen` on a list. n(n-1)/2 comparisons when all ids differ.
bool has_duplicate_nested(std::span<const std::uint64_t> ids) {
    for (std::size_t i = 0; i < ids.size(); ++i) {
        for (std::size_t j = i + 1; j < ids.size(); ++j) {
            if (ids[i] == ids[j]) {
                return true;
            }
        }
    }
    return false;
}
// [duplicates-nested]

// [duplicates-sorted]
// Sort a copy (the caller's order stays), then equal ids are neighbours: O(n log n).
bool has_duplicate_sorted(std::span<const std::uint64_t> ids) {
    std::vector<std::uint64_t> sorted(ids.begin(), ids.end());
    std::ranges::sort(sorted);
    return std::ranges::adjacent_find(sorted) != sorted.end();
}
// [duplicates-sorted]

// [duplicates-hashed]
// Python: len(set(ids)) != len(ids), stopping at the first repeat: O(n) on average.
bool has_duplicate_hashed(std::span<const std::uint64_t> ids) {
    std::unordered_set<std::uint64_t> seen;
    seen.reserve(ids.size());  // one bucket array up front; still one node per id
    for (const std::uint64_t id : ids) {
        if (!seen.insert(id).second) {
            return true;
        }
    }
    return false;
}
// [duplicates-hashed]

// [distinct-ids]
// Test and benchmark input, the worst case for all three: every id differs, so nobody
// stops early. The low 32 bits are the index, which makes them distinct; the random
// high bits put them in a different order for every seed.
std::vector<std::uint64_t> distinct_ids(std::size_t count, std::uint32_t seed) {
    std::mt19937 random{seed};
    std::vector<std::uint64_t> ids(count);
    for (std::size_t i = 0; i < count; ++i) {
        ids[i] = std::uint64_t{random()} << 32U | i;
    }
    return ids;
}
// [distinct-ids]

// 4. Memoisation

// [partitions-naive]
// The number of ways to write n as a sum of parts no larger than `largest`:
// either the sum uses `largest` at least once, or it does not.
std::uint64_t partitions(int n, int largest) {
    if (n == 0) {
        return 1;
    }
    if (n < 0 || largest == 0) {
        return 0;
    }
    return partitions(n - largest, largest) + partitions(n, largest - 1);
}
// [partitions-naive]

// [partitions-memo]
// Python: @functools.lru_cache on the same function. The recursion is unchanged; each
// (n, largest) pair is computed once while it stays in the cache.
class partition_counter {
public:
    explicit partition_counter(std::size_t capacity) : cache_(capacity) {}

    std::uint64_t operator()(int n, int largest) {
        if (n == 0) {
            return 1;
        }
        if (n < 0 || largest == 0) {
            return 0;
        }
        const std::uint64_t key = static_cast<std::uint64_t>(n) << 32U | static_cast<std::uint32_t>(largest);
        if (const std::uint64_t* cached = cache_.get(key)) {
            ++hits_;
            return *cached;
        }
        ++misses_;
        const std::uint64_t count = (*this)(n - largest, largest) + (*this)(n, largest - 1);
        return cache_.put(key, count);
    }

    [[nodiscard]] std::uint64_t hits() const noexcept { return hits_; }
    [[nodiscard]] std::uint64_t misses() const noexcept { return misses_; }

private:
    ce::lru_cache<std::uint64_t, std::uint64_t> cache_;
    std::uint64_t hits_ = 0;
    std::uint64_t misses_ = 0;
};

// p(n), with a cache large enough for every pair the recursion meets (n >= 0).
std::uint64_t count_partitions(int n) {
    const auto pairs = static_cast<std::size_t>(n) * static_cast<std::size_t>(n);
    partition_counter counter(pairs + 1);
    return counter(n, n);
}
// [partitions-memo]

// 5. Vectorisation

// [sum-float]
// Quantities kept as float. Exact while every partial sum stays below 2^24.
float total_units(std::span<const float> quantities) {
    float total = 0;
    for (const float q : quantities) {
        total += q;  // each addition waits for the previous one: IEEE order
    }
    return total;
}
// [sum-float]

// [sum-int]
// The same sum over integers, whose addition may be regrouped freely.
std::int64_t total_units(std::span<const std::int32_t> quantities) {
    std::int64_t total = 0;
    for (const std::int32_t q : quantities) {
        total += q;
    }
    return total;
}
// [sum-int]

// [sum-blocks]
// The same sum, written for g++ 12 at -O2: an inner loop of exactly eight elements,
// which its cheapest cost model vectorises, and a scalar loop for the rest.
std::int64_t total_units_blocked(std::span<const std::int32_t> quantities) {
    constexpr std::size_t block = 8;
    const std::size_t whole = quantities.size() - quantities.size() % block;
    std::int64_t total = 0;
    for (std::size_t i = 0; i < whole; i += block) {
        for (std::size_t j = 0; j < block; ++j) {
            total += quantities[i + j];
        }
    }
    for (std::size_t i = whole; i < quantities.size(); ++i) {
        total += quantities[i];
    }
    return total;
}
// [sum-blocks]

// [checked-early-return]
// A negative quantity means a corrupt file: no total at all.
std::optional<std::int64_t> checked_total(std::span<const std::int32_t> quantities) {
    std::int64_t total = 0;
    for (const std::int32_t q : quantities) {
        if (q < 0) {
            return std::nullopt;  // a second way out of the loop
        }
        total += q;
    }
    return total;
}
// [checked-early-return]

// [checked-branch-free]
// The same answer with one way out: a second reduction, an OR that keeps the sign bit
// of any negative quantity, replaces the branch; the check moves after the loop.
std::optional<std::int64_t> checked_total_branch_free(std::span<const std::int32_t> quantities) {
    std::int64_t total = 0;
    std::int32_t signs = 0;
    for (const std::int32_t q : quantities) {
        total += q;
        signs |= q;
    }
    if (signs < 0) {
        return std::nullopt;
    }
    return total;
}
// [checked-branch-free]

// [random-quantities]
// Test and benchmark input: whole quantities from 0 to 100, as integers and as floats.
std::vector<std::int32_t> make_quantities(std::size_t count, std::uint32_t seed) {
    std::mt19937 random{seed};
    std::uniform_int_distribution<std::int32_t> quantity(0, 100);
    std::vector<std::int32_t> quantities(count);
    for (std::int32_t& q : quantities) {
        q = quantity(random);
    }
    return quantities;
}

std::vector<float> as_floats(std::span<const std::int32_t> quantities) {
    return {quantities.begin(), quantities.end()};  // exact for whole numbers below 2^24
}
// [random-quantities]

}  // namespace shop

// 1. Data layout

TEST_CASE("the struct of arrays sums the same revenue as the array of structs") {
    // [layout-equal]
    for (const std::size_t count : std::array<std::size_t, 4>{0, 1, 7, 100'000}) {
        const std::vector<shop::order> orders = shop::make_orders(count, 42);
        const shop::order_table table = shop::to_table(orders);
        CHECK(table.quantity.size() == count);
        CHECK(shop::revenue(table) == shop::revenue(orders));
    }
    // [layout-equal]
    const std::vector<shop::order> one = shop::make_orders(1, 7);
    CHECK(shop::revenue(one) == one[0].price_cents * one[0].quantity);
}

// 2. Allocation avoidance

TEST_CASE("the three splitters return the same fields, as Python's str.split does") {
    // [split-equal]
    using fields = std::vector<std::string>;
    const auto as_strings = [](const std::vector<std::string_view>& views) {
        return fields(views.begin(), views.end());
    };
    // Edge cases with Python's answers: "".split(",") == [""], "a,,b".split(",") == ["a", "", "b"]
    const std::vector<std::pair<std::string, fields>> cases{
        {"", {""}},           {",", {"", ""}},      {"a", {"a"}},
        {"a,b", {"a", "b"}},  {",a,", {"", "a", ""}}, {"a,,b", {"a", "", "b"}},
    };
    std::vector<std::string_view> reused;
    for (const auto& [line, expected] : cases) {
        CHECK(shop::split(line, ',') == expected);
        CHECK(as_strings(shop::split_views(line, ',')) == expected);
        shop::split_into(line, ',', reused);
        CHECK(as_strings(reused) == expected);
    }
    for (const std::string& line : shop::make_lines(1'000, 7)) {
        const fields expected = shop::split(line, ',');
        CHECK(expected.size() == 8);
        CHECK(std::ranges::count_if(expected, [](const std::string& f) { return f.size() > 15; }) == 3);
        CHECK(as_strings(shop::split_views(line, ',')) == expected);
        shop::split_into(line, ',', reused);
        CHECK(as_strings(reused) == expected);
    }
    // [split-equal]
}

TEST_CASE("split_into reuses the caller's buffer instead of allocating a new one") {
    // [split-into-reuses]
    std::vector<std::string_view> fields;
    shop::split_into("1,Ada,SKU-1,3", ',', fields);
    const std::string_view* storage = fields.data();
    shop::split_into("2,Grace", ',', fields);
    CHECK(fields == std::vector<std::string_view>{"2", "Grace"});  // the old fields are gone
    CHECK(fields.data() == storage);                               // the storage is not
    // [split-into-reuses]
}

// 3. Algorithm

TEST_CASE("nested loops, sorting and hashing find the same duplicates") {
    // [duplicates-equal]
    const auto all_agree = [](const std::vector<std::uint64_t>& ids) {
        const bool expected = shop::has_duplicate_nested(ids);
        return shop::has_duplicate_sorted(ids) == expected && shop::has_duplicate_hashed(ids) == expected;
    };
    CHECK_FALSE(shop::has_duplicate_nested({}));
    CHECK(all_agree({}));
    CHECK(all_agree({7}));
    CHECK(all_agree({7, 7}));
    CHECK(all_agree({1, 2, 3, 1}));  // the first and the last

    // NOLINTNEXTLINE(bugprone-random-generator-seed): the same inputs on every run
    std::mt19937 random{2024};
    for (int round = 0; round < 200; ++round) {  // small ids, so some lists repeat one
        std::vector<std::uint64_t> ids(random() % 60);
        for (std::uint64_t& id : ids) {
            id = random() % 1'000;
        }
        CHECK(all_agree(ids));
    }
    std::vector<std::uint64_t> large = shop::distinct_ids(3'000, 11);
    CHECK_FALSE(shop::has_duplicate_hashed(large));
    CHECK(all_agree(large));
    const std::size_t from = random() % large.size();
    const std::size_t to = (from + 1 + random() % (large.size() - 1)) % large.size();
    large[to] = large[from];  // one repeat, anywhere
    CHECK(shop::has_duplicate_hashed(large));
    CHECK(all_agree(large));
    // [duplicates-equal]
}

// 4. Memoisation

TEST_CASE("memoised partitions equal the plain recursion, and the cache answers") {
    // [memo-equal]
    for (int n = 0; n <= 40; ++n) {
        CHECK(shop::count_partitions(n) == shop::partitions(n, n));
    }
    CHECK(shop::count_partitions(100) == 190'569'292);  // p(100)

    shop::partition_counter counter(10'000);
    CHECK(counter(100, 100) == 190'569'292);
    CHECK(counter.misses() == 5'050);  // each (n, largest) pair the recursion meets, once
    CHECK(counter.hits() == 2'450);    // the pairs it met again came from the cache
    CHECK(counter(100, 100) == 190'569'292);
    CHECK(counter.hits() == 2'451);  // asked again: one hit, nothing recomputed
    CHECK(counter.misses() == 5'050);
    // [memo-equal]
}

TEST_CASE("a cache too small to hold every pair still gives the same answers, later") {
    // [memo-small]
    shop::partition_counter large(10'000);
    shop::partition_counter small(16);  // evicts all the time
    for (int n = 0; n <= 40; ++n) {
        CHECK(small(n, n) == large(n, n));
    }
    CHECK(small.misses() > large.misses());  // evicted pairs were computed again
    // [memo-small]
}

// 5. Vectorisation

TEST_CASE("adding floats in another order gives another sum") {
    // [float-order]
    const float big = 1e8F;  // a float has 24 bits of mantissa: big + 1 rounds to big
    const float in_order = ((big + 1.0F) + -big) + 1.0F;  // one add after another: 1
    const float in_lanes = (big + -big) + (1.0F + 1.0F);  // two lanes, then combined: 2
    CHECK(in_order == 1.0F);
    CHECK(in_lanes == 2.0F);
    // [float-order]
}

TEST_CASE("the vectorisable sums equal the float sum on whole quantities") {
    // [sums-equal]
    for (const std::size_t count : std::array<std::size_t, 6>{0, 1, 7, 8, 9, 100'000}) {
        const std::vector<std::int32_t> quantities = shop::make_quantities(count, 9);
        const std::int64_t expected = shop::total_units(quantities);
        // 100'000 quantities of at most 100: every partial sum is exact in a float.
        CHECK(static_cast<std::int64_t>(shop::total_units(shop::as_floats(quantities))) == expected);
        CHECK(shop::total_units_blocked(quantities) == expected);
        CHECK(shop::checked_total(quantities) == expected);
        CHECK(shop::checked_total_branch_free(quantities) == expected);
    }
    // [sums-equal]
}

TEST_CASE("both checked totals refuse a negative quantity wherever it is") {
    // [checked-equal]
    std::vector<std::int32_t> quantities = shop::make_quantities(10'000, 3);
    // NOLINTNEXTLINE(bugprone-random-generator-seed): the same inputs on every run
    std::mt19937 random{5};
    for (int round = 0; round < 50; ++round) {
        std::vector<std::int32_t> corrupt = quantities;
        corrupt[random() % corrupt.size()] = -1;
        CHECK(shop::checked_total(corrupt) == std::nullopt);
        CHECK(shop::checked_total_branch_free(corrupt) == std::nullopt);
    }
    quantities.front() = -5;
    CHECK(shop::checked_total_branch_free(quantities) == std::nullopt);
    quantities.front() = 0;
    quantities.back() = -5;
    CHECK(shop::checked_total_branch_free(quantities) == std::nullopt);
    CHECK(shop::checked_total(std::span<const std::int32_t>{}) == 0);
    // [checked-equal]
}

#ifdef CE_BENCHMARK
// The benchmarks behind the page's tables (bench/CMakeLists.txt builds this file with
// CE_BENCHMARK defined into bench.optimisation): the functions timed are the ones the
// tests above prove equal, from the same translation unit.
#include <benchmark/benchmark.h>
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace {

// 1. Data layout

constexpr std::size_t order_count = 131'072;

void layout_array_of_structs(benchmark::State& state) {
    const std::vector<shop::order> orders = shop::make_orders(order_count, 1);
    for (auto _ : state) {
        benchmark::DoNotOptimize(shop::revenue(orders));
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(order_count));
}

void layout_struct_of_arrays(benchmark::State& state) {
    const shop::order_table table = shop::to_table(shop::make_orders(order_count, 1));
    for (auto _ : state) {
        benchmark::DoNotOptimize(shop::revenue(table));
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(order_count));
}

// 2. Allocation avoidance

constexpr std::size_t line_count = 1'000;

void split_strings(benchmark::State& state) {
    const std::vector<std::string> lines = shop::make_lines(line_count, 1);
    for (auto _ : state) {
        for (const std::string& line : lines) {
            std::vector<std::string> fields = shop::split(line, ',');
            benchmark::DoNotOptimize(fields.data());
            benchmark::ClobberMemory();  // the fields were written: they must exist
        }
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(line_count));
}

void split_views_fresh_vector(benchmark::State& state) {
    const std::vector<std::string> lines = shop::make_lines(line_count, 1);
    for (auto _ : state) {
        for (const std::string& line : lines) {
            std::vector<std::string_view> fields = shop::split_views(line, ',');
            benchmark::DoNotOptimize(fields.data());
            benchmark::ClobberMemory();
        }
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(line_count));
}

void split_views_reused_vector(benchmark::State& state) {
    const std::vector<std::string> lines = shop::make_lines(line_count, 1);
    std::vector<std::string_view> fields;  // lives across lines and iterations
    for (auto _ : state) {
        for (const std::string& line : lines) {
            shop::split_into(line, ',', fields);
            benchmark::DoNotOptimize(fields.data());
            benchmark::ClobberMemory();
        }
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(line_count));
}

// 3. Algorithm: the size is the benchmark's argument

// Each iteration searches the next of many id lists, all in L2 together (1 MiB). With
// one list searched over and over, the branch predictor learns the comparisons a small
// sort makes and std::sort looks several times faster than it is on new data.
template <bool (*HasDuplicate)(std::span<const std::uint64_t>)>
void duplicates(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    std::vector<std::vector<std::uint64_t>> lists;
    for (std::size_t seed = 0; seed < std::max<std::size_t>(2, 131'072 / n); ++seed) {
        lists.push_back(shop::distinct_ids(n, static_cast<std::uint32_t>(seed)));
    }
    std::size_t next = 0;
    for (auto _ : state) {
        const std::vector<std::uint64_t>& ids = lists[next];
        next = next + 1 == lists.size() ? 0 : next + 1;
        benchmark::DoNotOptimize(ids.data());
        benchmark::DoNotOptimize(HasDuplicate(ids));
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
}

// 4. Memoisation

void partitions_recursive(benchmark::State& state) {
    for (auto _ : state) {
        int n = 50;
        benchmark::DoNotOptimize(n);  // not a constant the compiler could fold
        benchmark::DoNotOptimize(shop::partitions(n, n));
    }
}

void partitions_lru_cache(benchmark::State& state) {
    for (auto _ : state) {
        int n = 50;
        benchmark::DoNotOptimize(n);
        benchmark::DoNotOptimize(shop::count_partitions(n));
    }
}

// 5. Vectorisation

constexpr std::size_t quantity_count = 16'384;

void sum_float_in_order(benchmark::State& state) {
    const std::vector<std::int32_t> quantities = shop::make_quantities(quantity_count, 1);
    const std::vector<float> as_float(quantities.begin(), quantities.end());
    for (auto _ : state) {
        benchmark::DoNotOptimize(as_float.data());
        benchmark::DoNotOptimize(shop::total_units(as_float));
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(quantity_count));
}

template <typename Sum>
void sum_ints(benchmark::State& state, Sum sum) {
    const std::vector<std::int32_t> quantities = shop::make_quantities(quantity_count, 1);
    for (auto _ : state) {
        benchmark::DoNotOptimize(quantities.data());
        benchmark::DoNotOptimize(sum(std::span<const std::int32_t>(quantities)));
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(quantity_count));
}

void sum_int32(benchmark::State& state) {
    sum_ints(state, [](std::span<const std::int32_t> q) { return shop::total_units(q); });
}

void sum_int32_blocks(benchmark::State& state) {
    sum_ints(state, [](std::span<const std::int32_t> q) { return shop::total_units_blocked(q); });
}

void checked_early_return(benchmark::State& state) {
    sum_ints(state, [](std::span<const std::int32_t> q) { return shop::checked_total(q); });
}

void checked_branch_free(benchmark::State& state) {
    sum_ints(state, [](std::span<const std::int32_t> q) { return shop::checked_total_branch_free(q); });
}

}  // namespace

// Baseline first: tools/bench.py divides every variant by the group's first one.
BENCHMARK(layout_array_of_structs)->Name("layout/array_of_structs");
BENCHMARK(layout_struct_of_arrays)->Name("layout/struct_of_arrays");
BENCHMARK(split_strings)->Name("split/strings");
BENCHMARK(split_views_fresh_vector)->Name("split/views_new_vector");
BENCHMARK(split_views_reused_vector)->Name("split/views_reused_vector");

namespace {

// One group per size, duplicates_<n>, so that each size has its own baseline.
const bool duplicates_registered = [] {
    for (const int n : {8, 16, 64, 256, 1024, 4096}) {
        const std::string group = "duplicates_" + std::to_string(n);
        benchmark::RegisterBenchmark((group + "/nested_loops").c_str(), duplicates<shop::has_duplicate_nested>)->Arg(n);
        benchmark::RegisterBenchmark((group + "/sort_copy").c_str(), duplicates<shop::has_duplicate_sorted>)->Arg(n);
        benchmark::RegisterBenchmark((group + "/hash_set").c_str(), duplicates<shop::has_duplicate_hashed>)->Arg(n);
    }
    return true;
}();

}  // namespace

BENCHMARK(partitions_recursive)->Name("partitions_50/recursive")->Unit(benchmark::kMicrosecond);
BENCHMARK(partitions_lru_cache)->Name("partitions_50/lru_cache")->Unit(benchmark::kMicrosecond);
BENCHMARK(sum_float_in_order)->Name("sum/float_in_order");
BENCHMARK(sum_int32)->Name("sum/int32");
BENCHMARK(sum_int32_blocks)->Name("sum/int32_blocks_of_8");
BENCHMARK(checked_early_return)->Name("checked_sum/early_return");
BENCHMARK(checked_branch_free)->Name("checked_sum/check_after_loop");
#endif  // CE_BENCHMARK
