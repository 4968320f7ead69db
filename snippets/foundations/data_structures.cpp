// Data structures: the chapter page shows the named regions of this file.
#include <ce/error.hpp>
#include <ce/lru_cache.hpp>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <compare>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <memory_resource>
#include <new>
#include <queue>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace {

// [allocation-counter]
// Counts the calls to the global operator new (replaced below) that this thread
// makes while `work` runs. Allocations outside the call are not counted.
thread_local long* allocations_counted = nullptr;

template <std::invocable F>
long count_allocations(F&& work) {
    long count = 0;
    allocations_counted = &count;
    // NOLINTNEXTLINE(cppcoreguidelines-special-member-functions): a local guard, never copied
    struct stop_counting {
        ~stop_counting() { allocations_counted = nullptr; }
    } guard;
    std::forward<F>(work)();
    return count;
}
// [allocation-counter]

}  // namespace

// [replaced-operator-new]
// Replacing the global operator new is legal once per program; every allocation of
// every container (through std::allocator) comes here. The array, sized and nothrow
// forms forward to these two. noinline: inlined, g++ would see a block from operator
// new released by free() and warn (-Wmismatched-new-delete).
[[gnu::noinline]] void* operator new(std::size_t size) {
    if (allocations_counted != nullptr) {
        ++*allocations_counted;
    }
    if (void* p = std::malloc(size == 0 ? 1 : size)) {
        return p;
    }
    throw std::bad_alloc();
}

[[gnu::noinline]] void operator delete(void* p) noexcept {
    std::free(p);
}
// [replaced-operator-new]

// The other forms must agree with the two above, or a sanitizer reports a block
// allocated by one family and freed by another. The aligned forms stay the library's.
void* operator new[](std::size_t size) {
    return ::operator new(size);
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    try {
        return ::operator new(size);
    } catch (const std::bad_alloc&) {
        return nullptr;
    }
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept {
    return ::operator new(size, tag);
}
void operator delete[](void* p) noexcept {
    ::operator delete(p);
}
void operator delete(void* p, std::size_t) noexcept {
    ::operator delete(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    ::operator delete(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
    ::operator delete(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
    ::operator delete(p);
}

namespace {

// [address-of]
std::uintptr_t address_of(const void* p) {
    return reinterpret_cast<std::uintptr_t>(p);
}
// [address-of]

// [recency]
// Keys in recency order, most recently used first.
template <class Cache>
std::vector<std::string> recency(const Cache& cache) {
    std::vector<std::string> keys;
    for (const auto& entry : cache) {
        keys.push_back(entry.first);
    }
    return keys;
}
// [recency]

}  // namespace

// ---------------------------------------------------------------------------------
// list → std::vector

TEST_CASE("a vector does what a Python list does, in one contiguous block") {
    // [list-to-vector]
    std::vector<int> xs{3, 1, 4, 1, 5};  // xs = [3, 1, 4, 1, 5]
    xs.push_back(9);                     // xs.append(9)
    xs.insert(xs.begin(), 2);            // xs.insert(0, 2)
    std::erase(xs, 1);                   // xs = [x for x in xs if x != 1]
    std::ranges::sort(xs);               // xs.sort()
    CHECK(xs == std::vector{2, 3, 4, 5, 9});
    CHECK(xs.back() == 9);               // xs[-1]
    xs.pop_back();                       // xs.pop(), which returns nothing here
    CHECK(std::ranges::find(xs, 4) != xs.end());  // 4 in xs
    CHECK(std::vector(xs.begin() + 1, xs.end() - 1) == std::vector{3, 4});  // xs[1:-1], a copy
    // [list-to-vector]
}

TEST_CASE("reserve then n push_backs allocates exactly once") {
    constexpr int n = 1'000;
    // [reserve-one-allocation]
    std::vector<int> reserved;
    const long with_reserve = count_allocations([&] {
        reserved.reserve(n);  // Python has no equivalent: the list guesses for you
        for (int i = 0; i < n; ++i) {
            reserved.push_back(i);
        }
    });
    CHECK(with_reserve == 1);

    std::vector<int> grown;
    int growth_steps = 0;
    const long without_reserve = count_allocations([&] {
        for (int i = 0; i < n; ++i) {
            const std::size_t before = grown.capacity();
            grown.push_back(i);
            growth_steps += grown.capacity() != before ? 1 : 0;
        }
    });
    CHECK(without_reserve == growth_steps);  // one allocation (and one move) per growth
    CHECK(growth_steps == 11);               // libstdc++ doubles: 1, 2, 4, ..., 1024
    CHECK(reserved == grown);
    // [reserve-one-allocation]
}

// ---------------------------------------------------------------------------------
// dict → std::unordered_map

TEST_CASE("unordered_map covers dict, but operator[] inserts on a miss") {
    // [dict-to-unordered-map]
    std::unordered_map<std::string, int> stock{{"apple", 3}, {"pear", 0}};
    CHECK(stock.contains("apple"));                    // "apple" in stock
    CHECK(stock.at("apple") == 3);                     // stock["apple"]
    CHECK_THROWS_AS((void)stock.at("kiwi"), std::out_of_range);  // KeyError
    stock.try_emplace("plum", 7);                      // stock.setdefault("plum", 7)
    const auto found = stock.find("fig");              // stock.get("fig", 0)
    CHECK((found == stock.end() ? 0 : found->second) == 0);

    // The pitfall: reading with [] on a missing key inserts a default value, like a
    // defaultdict. A read-only lookup uses find, at or contains.
    CHECK(stock["kiwi"] == 0);
    CHECK(stock.size() == 4);  // apple, pear, plum, and now kiwi
    // [dict-to-unordered-map]
}

// [transparent-hash]
// A hash that accepts anything viewable as a string, and says so with is_transparent.
struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const noexcept {
        return std::hash<std::string_view>{}(text);
    }
};

// std::equal_to<> (no type) is transparent too: it compares a string with a view.
using price_table = std::unordered_map<std::string, int, string_hash, std::equal_to<>>;
// [transparent-hash]

namespace pitfalls {
#ifdef CE_COMPILE_FAIL_PLAIN_MAP_REJECTS_STRING_VIEW
// [plain-map-rejects-string-view]
int price_of(const std::unordered_map<std::string, int>& prices, std::string_view sku) {
    const auto found = prices.find(sku);  // wants a const std::string&: no implicit conversion
    return found == prices.end() ? 0 : found->second;
}
// [plain-map-rejects-string-view]
#endif
}  // namespace pitfalls

TEST_CASE("transparent hashing makes a string_view lookup allocation-free") {
    // [lookup-without-allocation]
    // Longer than the 15 characters libstdc++'s std::string stores inline.
    const std::string_view sku = "SKU-2024-GARDEN-HOSE-25M";

    std::unordered_map<std::string, int> plain{{std::string(sku), 1999}};
    int plain_price = 0;
    const long plain_allocations = count_allocations([&] {
        plain_price = plain.find(std::string(sku))->second;  // a temporary std::string
    });

    price_table transparent{{std::string(sku), 1999}};
    int transparent_price = 0;
    const long transparent_allocations = count_allocations([&] {
        transparent_price = transparent.find(sku)->second;  // hashes and compares the view
    });

    CHECK(plain_price == 1999);
    CHECK(transparent_price == 1999);
    CHECK(plain_allocations == 1);
    CHECK(transparent_allocations == 0);
    // [lookup-without-allocation]
}

// ---------------------------------------------------------------------------------
// Arenas: std::pmr

namespace {

// [counting-resource]
// A memory_resource that forwards to another one and counts what passes through it:
// put it upstream of an arena to see when, and how much, the arena asks for.
class counting_resource final : public std::pmr::memory_resource {
public:
    explicit counting_resource(std::pmr::memory_resource* upstream = std::pmr::new_delete_resource())
        : upstream_(upstream) {}

    [[nodiscard]] long allocations() const { return allocations_; }
    [[nodiscard]] long deallocations() const { return deallocations_; }
    [[nodiscard]] std::size_t bytes_in_use() const { return bytes_in_use_; }

private:
    void* do_allocate(std::size_t bytes, std::size_t alignment) override {
        void* p = upstream_->allocate(bytes, alignment);
        ++allocations_;
        bytes_in_use_ += bytes;
        return p;
    }

    void do_deallocate(void* p, std::size_t bytes, std::size_t alignment) override {
        upstream_->deallocate(p, bytes, alignment);
        ++deallocations_;
        bytes_in_use_ -= bytes;
    }

    // Memory allocated by one counter can only be returned to that same counter.
    [[nodiscard]] bool do_is_equal(
        const std::pmr::memory_resource& other) const noexcept override {
        return this == &other;
    }

    std::pmr::memory_resource* upstream_;
    long allocations_ = 0;
    long deallocations_ = 0;
    std::size_t bytes_in_use_ = 0;
};
// [counting-resource]

// [default-resource-scope]
// Makes a resource the process-wide default (what a pmr object gets when it is not
// given one) until the end of the scope. Tests run one at a time, so nothing else
// sees the swap.
class default_resource_scope {
public:
    explicit default_resource_scope(std::pmr::memory_resource* resource)
        : previous_(std::pmr::set_default_resource(resource)) {}
    ~default_resource_scope() { std::pmr::set_default_resource(previous_); }
    default_resource_scope(const default_resource_scope&) = delete;
    default_resource_scope& operator=(const default_resource_scope&) = delete;
    default_resource_scope(default_resource_scope&&) = delete;
    default_resource_scope& operator=(default_resource_scope&&) = delete;

private:
    std::pmr::memory_resource* previous_;
};
// [default-resource-scope]

// [customer]
// Longer than the 15 characters libstdc++'s strings store inline, so every string
// built from it allocates.
constexpr std::string_view customer = "customer-0042-northwind-traders";
// [customer]

}  // namespace

TEST_CASE("an arena over a stack buffer builds a container without the heap") {
    // [arena-on-the-stack]
    std::array<std::byte, 16'384> buffer;  // 16 KiB on the stack, uninitialized
    // Upstream is where the arena goes when the buffer is used up. null_memory_resource
    // throws std::bad_alloc there, so nothing can quietly spill onto the heap.
    std::pmr::monotonic_buffer_resource arena(buffer.data(), buffer.size(),
                                              std::pmr::null_memory_resource());
    std::pmr::vector<std::pmr::string> names(&arena);  // each string it builds uses the arena too

    const long allocations = count_allocations([&] {
        names.reserve(200);
        for (int i = 0; i < 200; ++i) {
            names.emplace_back(customer);
        }
    });
    CHECK(allocations == 0);  // 201 blocks, not one from the global operator new
    const auto in_buffer = [&](const void* p) {
        return address_of(p) >= address_of(buffer.data()) &&
               address_of(p) < address_of(buffer.data() + buffer.size());
    };
    CHECK(in_buffer(names.data()));
    CHECK(in_buffer(names.back().data()));

    // Keep adding: the buffer runs out, and the arena throws instead of using the heap.
    bool out_of_memory = false;
    const long when_full = count_allocations([&] {
        try {
            for (int more = 0; more < 1'000; ++more) {  // far more than 16 KiB can hold
                names.emplace_back(customer);
            }
        } catch (const std::bad_alloc&) {
            out_of_memory = true;
        }
    });
    CHECK(out_of_memory);
    CHECK(when_full == 0);
    CHECK(names.size() == 200);  // the 201st needed a larger vector block that did not fit;
                                 // emplace_back's strong guarantee kept the 200 intact
    // [arena-on-the-stack]
}

TEST_CASE("a monotonic arena frees nothing until release") {
    // [arena-grows-until-release]
    counting_resource upstream;  // the heap, counted
    std::array<std::byte, 1024> buffer;
    std::pmr::monotonic_buffer_resource arena(buffer.data(), buffer.size(), &upstream);
    {
        // A batch container reused for 100 rounds of 10 strings, as in a request loop.
        std::pmr::vector<std::pmr::string> batch(&arena);
        for (int round = 0; round < 100; ++round) {
            batch.clear();  // destroys 10 strings; deallocating into a monotonic arena does nothing
            for (int i = 0; i < 10; ++i) {
                batch.emplace_back(customer);
            }
        }
        CHECK(batch.size() == 10);  // 10 strings alive ...
    }
    CHECK(upstream.bytes_in_use() > 1'000 * customer.size());  // ... the memory of 1000 held
    CHECK(upstream.deallocations() == 0);
    CHECK(upstream.allocations() <= 10);  // the 1 KiB ran out; each new chunk is larger

    arena.release();  // everything back in one call (the destructor does the same)
    CHECK(upstream.deallocations() == upstream.allocations());
    CHECK(upstream.bytes_in_use() == 0);
    // [arena-grows-until-release]
}

TEST_CASE("a copy of a pmr container leaves the arena for the default resource") {
    std::array<std::byte, 4096> buffer;
    std::pmr::monotonic_buffer_resource arena(buffer.data(), buffer.size(),
                                              std::pmr::null_memory_resource());
    std::pmr::vector<std::pmr::string> names(&arena);
    names.reserve(10);
    for (int i = 0; i < 10; ++i) {
        names.emplace_back(customer);
    }

    // [arena-copy-leaves-arena]
    counting_resource heap;
    const default_resource_scope heap_is_default(&heap);  // counts what the default receives

    // Copy construction does not propagate the resource: the copy and each of its
    // strings allocate from the default resource, the global heap unless you set one.
    {
        // NOLINTNEXTLINE(performance-unnecessary-copy-initialization): the copy is the subject
        const std::pmr::vector<std::pmr::string> snapshot = names;
        CHECK(snapshot.get_allocator().resource() == &heap);
    }
    CHECK(heap.allocations() == 11);  // the vector's block and its 10 strings

    // Name the resource and the copy stays in the arena.
    {
        const std::pmr::vector<std::pmr::string> snapshot(names, &arena);
        CHECK(snapshot.back().get_allocator().resource() == &arena);
    }
    CHECK(heap.allocations() == 11);  // no more

    // A std::string knows nothing of resources: it always takes the global operator new.
    std::string plain;
    const long to_std_string = count_allocations([&] { plain = names.front(); });
    CHECK(to_std_string == 1);
    CHECK(plain == customer);
    std::string_view view;  // what a function that only reads should take
    const long to_view = count_allocations([&] { view = names.front(); });
    CHECK(to_view == 0);
    CHECK(view == customer);
    // [arena-copy-leaves-arena]
}

// ---------------------------------------------------------------------------------
// Counter → unordered_map + partial_sort_copy

// [counter-most-common]
// Python: collections.Counter(words).most_common(n)
std::vector<std::pair<std::string, int>> most_common(const std::vector<std::string>& words, std::size_t n) {
    std::unordered_map<std::string, int> counts;
    for (const std::string& word : words) {
        ++counts[word];  // here inserting 0 on a miss is exactly what we want
    }
    // Sort only the n entries we return. unordered_map has no order, so ties are
    // broken by word; Counter breaks them by first occurrence.
    std::vector<std::pair<std::string, int>> top(std::min(n, counts.size()));
    std::partial_sort_copy(counts.begin(), counts.end(), top.begin(), top.end(),
                           [](const auto& a, const auto& b) {
                               return std::tie(b.second, a.first) < std::tie(a.second, b.first);
                           });
    return top;
}
// [counter-most-common]

TEST_CASE("most_common ranks words like Counter.most_common") {
    const std::vector<std::string> words{"the", "quick", "brown", "fox", "jumps", "over",
                                         "the", "lazy", "dog", "the", "fox"};
    // [most-common-output]
    constexpr std::string_view expected = R"(
the: 3
fox: 2
brown: 1
)";
    // [most-common-output]
    std::string printed;
    for (const auto& [word, count] : most_common(words, 3)) {
        printed += fmt::format("{}: {}\n", word, count);
    }
    CHECK(printed == expected.substr(1));
    CHECK(most_common(words, 100).size() == 8);  // n larger than the distinct words
}

// ---------------------------------------------------------------------------------
// deque, heapq, bisect

// [deque-sliding-window]
// Python: window = deque(maxlen=width); window.append(x); sum(window) / len(window)
class moving_average {
public:
    explicit moving_average(std::size_t width) : width_(width) {}

    double add(double sample) {
        window_.push_back(sample);
        sum_ += sample;
        if (window_.size() > width_) {
            sum_ -= window_.front();
            window_.pop_front();  // O(1) at both ends; vector::erase(begin()) is O(n)
        }
        return sum_ / static_cast<double>(window_.size());
    }

private:
    std::size_t width_;
    std::deque<double> window_;
    double sum_ = 0.0;
};
// [deque-sliding-window]

TEST_CASE("a deque keeps a sliding window like deque(maxlen=n)") {
    moving_average average(3);
    CHECK(average.add(1.0) == doctest::Approx(1.0));
    CHECK(average.add(2.0) == doctest::Approx(1.5));
    CHECK(average.add(3.0) == doctest::Approx(2.0));
    CHECK(average.add(4.0) == doctest::Approx(3.0));  // 1.0 left the window
}

TEST_CASE("heap algorithms on a vector behave like heapq") {
    // [heap-algorithms]
    // Python: heapq.heappush(jobs, (due, name)); heapq.heappop(jobs)
    using job = std::pair<int, std::string>;  // compared like a tuple: due first
    std::vector<job> jobs;
    auto push = [&jobs](job j) {
        jobs.push_back(std::move(j));
        std::ranges::push_heap(jobs, std::greater<>{});  // greater: a min-heap, as heapq
    };
    auto pop = [&jobs] {
        std::ranges::pop_heap(jobs, std::greater<>{});  // moves the smallest to the back
        job next = std::move(jobs.back());
        jobs.pop_back();
        return next;
    };
    push({30, "backup"});
    push({10, "email"});
    push({20, "report"});
    CHECK(jobs.front().second == "email");  // jobs[0] is the smallest, as in heapq
    CHECK(pop().second == "email");
    CHECK(pop().second == "report");
    CHECK(pop().second == "backup");

    // The same heap behind an interface: std::priority_queue (a max-heap by default).
    std::priority_queue<job, std::vector<job>, std::greater<>> queue;
    queue.push({20, "report"});
    queue.push({10, "email"});
    CHECK(queue.top().second == "email");

    // heapq.nsmallest(2, delays)
    const std::vector<int> delays{40, 5, 31, 12, 7};
    std::vector<int> smallest = delays;
    std::ranges::partial_sort(smallest, smallest.begin() + 2);  // sorts only the first 2
    smallest.resize(2);
    CHECK(smallest == std::vector{5, 7});
    // [heap-algorithms]
}

// [bisect]
// Python: "FDCBA"[bisect.bisect([60, 70, 80, 90], score)]
char grade(int score) {
    static constexpr std::array breakpoints{60, 70, 80, 90};
    static constexpr std::string_view grades = "FDCBA";
    const auto above = std::ranges::upper_bound(breakpoints, score);  // bisect_right
    return grades[static_cast<std::size_t>(above - breakpoints.begin())];
}
// [bisect]

TEST_CASE("lower_bound and upper_bound are bisect_left and bisect_right") {
    std::string grades;
    for (int score : {33, 99, 77, 70, 89, 90, 100}) {
        grades += grade(score);
    }
    CHECK(grades == "FACCBAA");  // the example of Python's bisect documentation

    // [insort]
    std::vector<int> sorted{10, 20, 20, 30};
    CHECK(std::ranges::lower_bound(sorted, 20) - sorted.begin() == 1);  // bisect_left
    CHECK(std::ranges::upper_bound(sorted, 20) - sorted.begin() == 3);  // bisect_right
    sorted.insert(std::ranges::upper_bound(sorted, 25), 25);            // bisect.insort
    CHECK(sorted == std::vector{10, 20, 20, 25, 30});
    CHECK(std::ranges::binary_search(sorted, 25));  // O(log n) membership
    // [insort]
}

// ---------------------------------------------------------------------------------
// OrderedDict / functools.lru_cache → ce::lru_cache

TEST_CASE("the least recently used entry is evicted, and get refreshes recency") {
    // [lru-eviction-order]
    ce::lru_cache<std::string, int> cache(3);
    cache.put("a", 1);
    cache.put("b", 2);
    cache.put("c", 3);
    CHECK(recency(cache) == std::vector<std::string>{"c", "b", "a"});

    CHECK(*cache.get("a") == 1);  // a hit makes "a" the most recent: "b" is now oldest
    cache.put("d", 4);            // full: evicts "b"
    CHECK_FALSE(cache.contains("b"));
    CHECK(recency(cache) == std::vector<std::string>{"d", "a", "c"});

    CHECK(*cache.peek("c") == 3);  // peek and contains do not refresh ...
    cache.put("e", 5);             // ... so "c" goes next
    CHECK(recency(cache) == std::vector<std::string>{"e", "d", "a"});

    cache.put("a", 10);  // overwriting refreshes too, and evicts nothing
    CHECK(recency(cache) == std::vector<std::string>{"a", "e", "d"});
    CHECK(cache.size() == 3);
    CHECK(cache.get("zzz") == nullptr);  // a miss
    // [lru-eviction-order]
}

// [lru-memoize]
// Python: @functools.lru_cache(maxsize=1024) on a slow lookup.
class rate_service {
public:
    explicit rate_service(std::function<double(const std::string&)> fetch) : fetch_(std::move(fetch)) {}

    double rate(const std::string& currency) {
        if (const double* cached = rates_.get(currency)) {  // a hit refreshes the entry
            return *cached;
        }
        return rates_.put(currency, fetch_(currency));  // may evict the least recent
    }

private:
    std::function<double(const std::string&)> fetch_;
    ce::lru_cache<std::string, double> rates_{1'024};
};
// [lru-memoize]

TEST_CASE("a memoized lookup fetches each key once while it stays cached") {
    int fetches = 0;
    rate_service service([&fetches](const std::string& currency) {
        ++fetches;
        return currency == "EUR" ? 1.08 : 1.27;
    });
    CHECK(service.rate("EUR") == doctest::Approx(1.08));
    CHECK(service.rate("GBP") == doctest::Approx(1.27));
    CHECK(service.rate("EUR") == doctest::Approx(1.08));
    CHECK(fetches == 2);
}

TEST_CASE("a zero capacity is a usage error") {
    // [lru-capacity-precondition]
    using session_cache = ce::lru_cache<std::string, int>;
    CHECK_THROWS_AS(session_cache(0), ce::usage_error);  // it could never return a hit
    CHECK(session_cache(1).capacity() == 1);
    // [lru-capacity-precondition]
}

TEST_CASE("references to cached values survive other insertions and evictions") {
    // [lru-reference-stability]
    ce::lru_cache<int, std::string> names(100);
    std::string& zero = names.put(0, "zero");
    int moved = 0;
    for (int key = 1; key <= 10'000; ++key) {
        names.put(key, std::to_string(key));  // grows the index, then evicts
        if (names.get(0) != &zero) {          // keeps 0 the most recent entry
            ++moved;
        }
    }
    CHECK(moved == 0);
    zero += "!";  // still the cached object itself
    CHECK(*names.peek(0) == "zero!");
    // [lru-reference-stability]
}

namespace {

// [lru-constant-time]
// Counts the work a hash table does: hash computations and key comparisons.
struct probe_counts {
    long hashes = 0;
    long compares = 0;
};

struct counting_hash {
    probe_counts* counts;
    std::size_t operator()(int key) const {
        ++counts->hashes;
        return std::hash<int>{}(key);
    }
};

struct counting_equal {
    probe_counts* counts;
    bool operator()(int a, int b) const {
        ++counts->compares;
        return a == b;
    }
};

// The probes for one hit, one miss and one evicting put on a full cache.
long probes_per_round(int capacity) {
    probe_counts counts;
    ce::lru_cache<int, int, counting_hash, counting_equal> cache(
        static_cast<std::size_t>(capacity), counting_hash{&counts}, counting_equal{&counts});
    for (int key = 0; key < capacity; ++key) {
        cache.put(key, key);
    }
    counts = {};
    CHECK(cache.get(capacity / 2) != nullptr);
    CHECK(cache.get(-1) == nullptr);
    cache.put(capacity, capacity);
    return counts.hashes + counts.compares;
}
// [lru-constant-time]

}  // namespace

TEST_CASE("get and put cost the same on a cache 100 times larger") {
    // [lru-constant-time-check]
    const long small = probes_per_round(1'000);
    const long large = probes_per_round(100'000);
    CHECK(small == large);  // no scan: the cost does not grow with the size
    CHECK(small <= 8);      // a handful of probes for three operations
    // [lru-constant-time-check]
}

namespace {

// A hash that throws on its n-th call from now (-1: never), to fail put() at every
// point where hashing can fail.
struct flaky_hash {
    int* calls_until_fault;
    std::size_t operator()(const std::string& key) const {
        if (*calls_until_fault == 0) {
            throw ce::transient_error("injected hash failure");
        }
        if (*calls_until_fault > 0) {
            --*calls_until_fault;
        }
        return std::hash<std::string>{}(key);
    }
};

}  // namespace

TEST_CASE("put of a new key leaves the cache unchanged when hashing throws") {
    int calls_until_fault = -1;
    ce::lru_cache<std::string, int, flaky_hash> cache(2, flaky_hash{&calls_until_fault});
    cache.put("a", 1);
    cache.put("b", 2);  // full: the next new key evicts "a"
    int fault_points = 0;
    for (int fault_at = 0;; ++fault_at) {
        calls_until_fault = fault_at;
        try {
            cache.put("c", 3);
        } catch (const ce::transient_error&) {
            calls_until_fault = -1;
            ++fault_points;
            CHECK(recency(cache) == std::vector<std::string>{"b", "a"});
            CHECK(*cache.peek("a") == 1);
            continue;
        }
        calls_until_fault = -1;
        break;
    }
    CHECK(fault_points == 3);  // the lookup, the insertion and the victim's lookup
    CHECK(recency(cache) == std::vector<std::string>{"c", "b"});
}

TEST_CASE("a transparent lru_cache looks up a string_view without allocating") {
    // [lru-heterogeneous-lookup]
    ce::lru_cache<std::string, int, string_hash, std::equal_to<>> sessions(1'000);
    sessions.put("session-7f3a9c1e-4b2d-4e8f-9a61", 42);

    const std::string_view token = "session-7f3a9c1e-4b2d-4e8f-9a61";  // from a request
    int* user = nullptr;
    const long allocations = count_allocations([&] { user = sessions.get(token); });
    CHECK(allocations == 0);
    REQUIRE(user != nullptr);
    CHECK(*user == 42);
    // [lru-heterogeneous-lookup]
}

TEST_CASE("a full lru_cache allocates two nodes per new entry and nothing per hit") {
    ce::lru_cache<int, int> cache(64);
    CHECK(count_allocations([] { ce::lru_cache<int, int> empty(1'000'000); }) == 0);
    for (int key = 0; key < 64; ++key) {
        cache.put(key, key);
    }
    int* hit = nullptr;
    CHECK(count_allocations([&] { hit = cache.get(7); }) == 0);
    CHECK(hit != nullptr);
    CHECK(count_allocations([&] { cache.put(64, 64); }) == 2);  // list node + index node
    CHECK(cache.size() == 64);
    CHECK(cache.erase(64));
    CHECK_FALSE(cache.erase(64));
    cache.clear();
    CHECK(cache.empty());
    CHECK(cache.capacity() == 64);
}

TEST_CASE("a copy of an lru_cache is independent of its source and keeps its recency order") {
    // [lru-copy]
    auto source = std::make_unique<ce::lru_cache<std::string, int>>(3);
    source->put("a", 1);
    source->put("b", 2);
    source->put("c", 3);
    ce::lru_cache<std::string, int> copy = *source;  // copies every entry and its index
    CHECK(*source->get("a") == 1);                   // refreshes "a" in the source only
    CHECK(recency(*source) == std::vector<std::string>{"a", "c", "b"});
    source.reset();  // the copy points into nothing the source owned

    CHECK(recency(copy) == std::vector<std::string>{"c", "b", "a"});
    copy.put("d", 4);  // full: evicts "a", the copy's least recently used entry
    CHECK_FALSE(copy.contains("a"));
    CHECK(*copy.get("b") == 2);
    CHECK(recency(copy) == std::vector<std::string>{"b", "d", "c"});
    // [lru-copy]
}

TEST_CASE("copy and move assignment of an lru_cache take capacity, entries and order") {
    ce::lru_cache<std::string, int> source(2);
    source.put("x", 1);
    source.put("y", 2);
    ce::lru_cache<std::string, int> target(5);
    target.put("old", 0);
    target = source;
    CHECK(target.capacity() == 2);
    CHECK(recency(target) == std::vector<std::string>{"y", "x"});
    source.put("z", 3);  // evicts "x" from the source only
    CHECK(recency(source) == std::vector<std::string>{"z", "y"});
    CHECK(*target.get("x") == 1);
    target.put("w", 4);  // evicts "y" from the target only
    CHECK(recency(target) == std::vector<std::string>{"w", "x"});
    CHECK(recency(source) == std::vector<std::string>{"z", "y"});

    ce::lru_cache<std::string, int> moved(std::move(target));
    CHECK(recency(moved) == std::vector<std::string>{"w", "x"});
    ce::lru_cache<std::string, int> assigned(1);
    assigned = std::move(moved);
    CHECK(assigned.capacity() == 2);
    CHECK(*assigned.get("x") == 1);
    assigned.put("v", 5);  // the moved index still finds and evicts the right node
    CHECK(recency(assigned) == std::vector<std::string>{"v", "x"});
}

TEST_CASE("self-assignment leaves an lru_cache unchanged and usable") {
    ce::lru_cache<std::string, int> cache(2);
    cache.put("a", 1);
    cache.put("b", 2);
    ce::lru_cache<std::string, int>& same = cache;  // as through a pointer or an alias
    SUBCASE("copy") { cache = std::as_const(same); }
    SUBCASE("move") { cache = std::move(same); }
    CHECK(cache.size() == 2);
    CHECK(recency(cache) == std::vector<std::string>{"b", "a"});
    CHECK(*cache.get("a") == 1);
    cache.put("c", 3);  // evicts "b"
    CHECK(recency(cache) == std::vector<std::string>{"c", "a"});
}

// Copying needs copyable entries: with a move-only value the cache is move-only, and
// the traits say so instead of promising a copy that does not compile.
static_assert(std::is_copy_constructible_v<ce::lru_cache<std::string, int>>);
static_assert(std::is_copy_assignable_v<ce::lru_cache<std::string, int>>);
static_assert(!std::is_copy_constructible_v<ce::lru_cache<int, std::unique_ptr<int>>>);
static_assert(!std::is_copy_assignable_v<ce::lru_cache<int, std::unique_ptr<int>>>);
static_assert(std::is_nothrow_move_constructible_v<ce::lru_cache<int, std::unique_ptr<int>>>);

// ---------------------------------------------------------------------------------
// Iterator invalidation

TEST_CASE("push_back beyond capacity moves a vector's elements to new storage") {
    // [vector-reallocation]
    std::vector<int> v{1, 2, 3};
    const std::size_t capacity = v.capacity();
    const std::uintptr_t storage = address_of(v.data());  // an address, not a pointer to keep

    while (v.size() < capacity) {
        v.push_back(0);  // fits: the elements stay where they are
    }
    CHECK(address_of(v.data()) == storage);

    v.push_back(4);  // does not fit: allocate, move every element, free the old block
    CHECK(v.capacity() > capacity);
    CHECK(address_of(v.data()) != storage);
    // Every pointer, reference and iterator into the old block now dangles. Python
    // never shows this: a list holds references to objects, not the objects.
    // [vector-reallocation]
}

TEST_CASE("node-based containers keep elements in place as they grow") {
    // [node-stability]
    std::unordered_map<std::string, int> stock{{"apple", 3}};
    int& apples = stock.at("apple");
    const std::size_t buckets = stock.bucket_count();
    for (int i = 0; i < 1'000; ++i) {
        stock.emplace("item-" + std::to_string(i), i);
    }
    CHECK(stock.bucket_count() > buckets);  // rehashed: every iterator is invalid, but
    CHECK(&stock.at("apple") == &apples);   // each element stayed in its node

    std::list<int> history{1, 2, 3};
    const int& first = history.front();
    history.insert(std::next(history.begin()), 1'000, 0);  // insert in the middle
    CHECK(&history.front() == &first);  // a list invalidates nothing on insertion

    std::deque<int> queue{1, 2, 3};
    const int& head = queue.front();
    for (int i = 0; i < 1'000; ++i) {
        queue.push_back(i);  // at either end: iterators invalid, references valid
    }
    CHECK(&queue.front() == &head);
    // [node-stability]
}

TEST_CASE("erasing while iterating uses the iterator erase returns") {
    // [erase-while-iterating]
    // Python: "dictionary changed size during iteration". C++ does not check: erasing
    // invalidates the erased element's iterator, so continue from the one erase returns.
    std::unordered_map<std::string, int> stock{{"apple", 3}, {"pear", 0}, {"plum", 0}};
    for (auto it = stock.begin(); it != stock.end();) {
        if (it->second == 0) {
            it = stock.erase(it);
        } else {
            ++it;
        }
    }
    CHECK(stock.size() == 1);

    // C++20 says it in one line, for every container that can shrink (not std::array,
    // not the adaptors):
    std::vector<int> readings{5, -1, 7, -1, 9};
    const auto removed = std::erase_if(readings, [](int r) { return r < 0; });
    CHECK(removed == 2);
    CHECK(readings == std::vector{5, 7, 9});
    // [erase-while-iterating]
}

// ---------------------------------------------------------------------------------
// dataclass → aggregate with a defaulted <=>

// [dataclass-aggregate]
// Python:
//   @dataclass(order=True, frozen=True)
//   class Version:
//       major: int
//       minor: int = 0
//       patch: int = 0
struct version {
    int major = 0;
    int minor = 0;
    int patch = 0;

    // Compares member by member in declaration order, like dataclass tuples; also
    // declares a defaulted ==. No constructor: it stays an aggregate.
    friend auto operator<=>(const version&, const version&) = default;
};
// [dataclass-aggregate]

TEST_CASE("an aggregate with a defaulted <=> is a dataclass with order=True") {
    // [dataclass-usage]
    constexpr version stable{.major = 1, .minor = 4};  // Version(major=1, minor=4)
    constexpr version next{.major = 1, .minor = 10, .patch = 2};
    static_assert(stable < next);  // 1 == 1, then 4 < 10: numeric, not "1.10" < "1.4"
    static_assert(stable == version{1, 4, 0});
    static_assert(std::regular<version> && std::totally_ordered<version>);  // CCG C.11

    std::vector<version> releases{{2, 0, 0}, next, stable};
    std::ranges::sort(releases);
    CHECK(releases == std::vector<version>{stable, next, {2, 0, 0}});

    const auto [major, minor, patch] = next;  // dataclasses.astuple(next)
    CHECK(fmt::format("{}.{}.{}", major, minor, patch) == "1.10.2");
    // [dataclass-usage]
}
