// Memory profiling: the chapter page shows the named regions of this file.
//
// This file replaces the global operator new and operator delete for its whole test
// program, so that the tests can count every allocation made through them.
#include <ce_test/child_process.hpp>
#include <ce_test/sanitizers.hpp>
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <new>
#include <regex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <sys/wait.h>

// [counters]
// Totals since the program started, shared by every thread: atomics, so concurrent
// allocations are counted exactly; relaxed, because no other data is published through
// them. constinit: ready before any static constructor can allocate.
namespace {

constinit std::atomic<std::size_t> allocation_count{0};
constinit std::atomic<std::size_t> deallocation_count{0};
constinit std::atomic<std::size_t> allocated_bytes{0};

// What every replacement operator new does: malloc (or posix_memalign for an
// over-aligned type), count, and on failure call the new-handler or throw, as the
// standard's default operator new does.
void* counted_allocate(std::size_t size, std::size_t alignment) {
    const std::size_t request = std::max<std::size_t>(size, 1);  // new(0) is a unique pointer
    for (;;) {
        void* p = nullptr;
        if (alignment <= __STDCPP_DEFAULT_NEW_ALIGNMENT__) {
            p = std::malloc(request);
        } else if (::posix_memalign(&p, std::max(alignment, sizeof(void*)), request) != 0) {
            p = nullptr;
        }
        if (p != nullptr) {
            allocation_count.fetch_add(1, std::memory_order_relaxed);
            allocated_bytes.fetch_add(size, std::memory_order_relaxed);
            return p;
        }
        const std::new_handler handler = std::get_new_handler();
        if (handler == nullptr) {
            throw std::bad_alloc();
        }
        handler();  // may free memory, throw, or end the program
    }
}

void* counted_allocate_nothrow(std::size_t size, std::size_t alignment) noexcept {
    try {
        return counted_allocate(size, alignment);
    } catch (const std::bad_alloc&) {
        return nullptr;
    }
}

// Both malloc and posix_memalign memory goes back through free().
void counted_free(void* p) noexcept {
    if (p != nullptr) {
        deallocation_count.fetch_add(1, std::memory_order_relaxed);
        std::free(p);
    }
}

constexpr std::size_t plain = __STDCPP_DEFAULT_NEW_ALIGNMENT__;

std::size_t to_size(std::align_val_t alignment) {
    return static_cast<std::size_t>(alignment);
}

}  // namespace
// [counters]

// [replacements]
// Every replaceable form, so that no allocation escapes the count and no block is freed
// by a different allocator than the one that made it. The sized and aligned deletes
// matter: g++ and clang call operator delete(void*, std::size_t) by default, and a
// sanitizer that supplies its own would see its delete free our malloc.
void* operator new(std::size_t size) { return counted_allocate(size, plain); }
void* operator new[](std::size_t size) { return counted_allocate(size, plain); }
void* operator new(std::size_t size, std::align_val_t a) { return counted_allocate(size, to_size(a)); }
void* operator new[](std::size_t size, std::align_val_t a) { return counted_allocate(size, to_size(a)); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    return counted_allocate_nothrow(size, plain);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
    return counted_allocate_nothrow(size, plain);
}
void* operator new(std::size_t size, std::align_val_t a, const std::nothrow_t&) noexcept {
    return counted_allocate_nothrow(size, to_size(a));
}
void* operator new[](std::size_t size, std::align_val_t a, const std::nothrow_t&) noexcept {
    return counted_allocate_nothrow(size, to_size(a));
}

void operator delete(void* p) noexcept { counted_free(p); }
void operator delete[](void* p) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t) noexcept { counted_free(p); }
void operator delete(void* p, std::align_val_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { counted_free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { counted_free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { counted_free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { counted_free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { counted_free(p); }
// [replacements]

namespace {

// [allocation-counter]
struct allocation_totals {
    std::size_t allocations = 0;
    std::size_t deallocations = 0;
    std::size_t bytes = 0;  // requested by the allocations, whether freed since or not
};

allocation_totals totals_now() noexcept {
    return {allocation_count.load(std::memory_order_relaxed),
            deallocation_count.load(std::memory_order_relaxed),
            allocated_bytes.load(std::memory_order_relaxed)};
}

/**
 * The allocations made through operator new between its construction and a call to
 * since_start(): tracemalloc's two snapshots and compare_to, for the C++ heap.
 * Counts every thread's allocations, not only the constructing thread's; allocates
 * nothing itself.
 */
class allocation_counter {
public:
    allocation_counter() noexcept : start_(totals_now()) {}

    [[nodiscard]] allocation_totals since_start() const noexcept {
        const allocation_totals now = totals_now();
        return {now.allocations - start_.allocations,
                now.deallocations - start_.deallocations, now.bytes - start_.bytes};
    }

private:
    allocation_totals start_;
};
// [allocation-counter]

// [template-callable]
// The template takes the callable's own type: no type erasure, nothing to allocate.
template <typename F>
double apply_to_all(const F& f, const std::vector<double>& xs) {
    double sum = 0;
    for (const double x : xs) {
        sum += f(x);
    }
    return sum;
}

// std::function erases the type: a callable too big for its small buffer goes on the heap.
double apply_to_all_erased(const std::function<double(double)>& f, const std::vector<double>& xs) {
    double sum = 0;
    for (const double x : xs) {
        sum += f(x);
    }
    return sum;
}
// [template-callable]

// [word-index]
// Python: index = {}; for word in text.split(): index[word] = index.get(word, 0) + 1
// std::less<> lets find() and lower_bound() compare a std::string_view with the keys.
using word_index = std::map<std::string, std::size_t, std::less<>>;

template <typename F>
void for_each_word(std::string_view text, F&& f) {
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t end = std::min(text.find(' ', start), text.size());
        if (end > start) {
            f(text.substr(start, end - start));
        }
        start = end + 1;
    }
}

// One node per distinct word, plus the key's own buffer when the word is too long to
// fit in the std::string object.
[[gnu::noinline]] word_index build_index(std::string_view text) {
    word_index index;
    for_each_word(text, [&index](std::string_view word) {
        const auto it = index.lower_bound(word);
        if (it != index.end() && it->first == word) {
            ++it->second;
        } else {
            index.emplace_hint(it, word, 1);
        }
    });
    return index;
}
// [word-index]

// [lookup]
// Takes the key as the map stores it, so a caller holding a std::string_view must
// build a std::string first: an allocation for every long word, freed at once.
[[gnu::noinline]] std::size_t frequency_of(const word_index& index, const std::string& word) {
    const auto it = index.find(word);
    return it == index.end() ? 0 : it->second;
}

[[gnu::noinline]] std::size_t total_frequency(const word_index& index, std::string_view queries) {
    std::size_t total = 0;
    for_each_word(queries, [&](std::string_view word) {
        total += frequency_of(index, std::string(word));  // a temporary std::string
    });
    return total;
}

// The fix: look up the view itself (heterogeneous lookup through std::less<>).
std::size_t frequency_of_view(const word_index& index, std::string_view word) {
    const auto it = index.find(word);
    return it == index.end() ? 0 : it->second;
}

[[gnu::noinline]] std::size_t total_frequency_of_views(const word_index& index,
                                                       std::string_view queries) {
    std::size_t total = 0;
    for_each_word(queries, [&](std::string_view word) { total += frequency_of_view(index, word); });
    return total;
}
// [lookup]

// [corpus]
// A made-up vocabulary of `distinct` words of 3 to 19 letters (a three-letter stem
// unique to each word, then 0 to 16 more letters), and `count` of them drawn by a fixed
// pseudo-random sequence, separated by spaces. The same arguments give the same text.
[[gnu::noinline]] std::string make_corpus(std::size_t count, std::size_t distinct,
                                          std::uint32_t seed) {
    std::string text;
    std::uint32_t state = seed;
    auto next = [&state] {
        state = state * 1664525U + 1013904223U;  // a linear congruential generator
        return state >> 8U;
    };
    for (std::size_t i = 0; i < count; ++i) {
        const std::uint32_t n = next() % static_cast<std::uint32_t>(distinct);
        text += static_cast<char>('a' + n % 26);
        text += static_cast<char>('a' + n / 26 % 26);
        text += static_cast<char>('a' + n / 676 % 26);
        const std::uint32_t extra = n * 2654435761U >> 28U;  // 0..15, fixed per word
        text.append(extra + (n % 3 == 0 ? 1 : 0), static_cast<char>('a' + n % 7));
        text += ' ';
    }
    return text;
}

// Keys too long for the small-string buffer: each of them allocated once.
std::size_t long_words_in(const word_index& index) {
    return static_cast<std::size_t>(std::count_if(index.begin(), index.end(), [](const auto& entry) {
        return entry.first.size() > std::string().capacity();
    }));
}
// [corpus]

// [folder-cycle]
// Python: class Folder: parent, children -- a child refers to its parent.
struct folder {
    std::string name;
    std::shared_ptr<folder> parent;  // owning: the child keeps its parent alive
    std::vector<std::shared_ptr<folder>> children;
};

// Returns the root of a two-folder tree. Root and child own each other.
[[gnu::noinline]] std::shared_ptr<folder> make_tree_with_cycle() {
    auto root = std::make_shared<folder>(folder{"root", nullptr, {}});
    root->children.push_back(std::make_shared<folder>(folder{"docs", root, {}}));
    return root;
}
// [folder-cycle]

// [folder-weak]
// The fix: the parent owns its children; a child only observes its parent.
struct weak_folder {
    std::string name;
    std::weak_ptr<weak_folder> parent;  // lock() it to use it; expired once the parent is gone
    std::vector<std::shared_ptr<weak_folder>> children;
};

[[gnu::noinline]] std::shared_ptr<weak_folder> make_tree() {
    auto root = std::make_shared<weak_folder>(weak_folder{"root", {}, {}});
    root->children.push_back(std::make_shared<weak_folder>(weak_folder{"docs", root, {}}));
    return root;
}
// [folder-weak]

// [forgotten-delete]
struct order {
    std::int64_t id = 0;
    std::int64_t quantity = 0;
    std::array<char, 32> sku{};
};

// Returns an owning raw pointer: the caller must delete it, and nothing says so.
[[gnu::noinline]] order* parse_order(std::int64_t id, std::int64_t quantity) {
    return new order{id, quantity, {}};
}

[[gnu::noinline]] std::int64_t quantity_of_order(std::int64_t id) {
    const order* o = parse_order(id, 3);
    return o->quantity;  // the only pointer to the order dies here: a leak
}
// [forgotten-delete]

}  // namespace

TEST_CASE("the counter sees every form of new and delete, and allocates nothing itself") {
    // [counter-use]
    const allocation_counter counter;
    auto* one = new int(7);
    auto* many = new int[10]{};
    delete one;
    delete[] many;
    const allocation_totals seen = counter.since_start();
    CHECK(seen.allocations == 2);
    CHECK(seen.deallocations == 2);
    CHECK(seen.bytes == sizeof(int) * 11);
    CHECK(counter.since_start().allocations == 2);  // reading it allocated nothing
    // [counter-use]
}

TEST_CASE("over-aligned, nothrow and zero-size allocations are counted and freed correctly") {
    struct alignas(64) cache_line {
        std::array<std::byte, 64> bytes{};
    };
    const allocation_counter counter;
    auto* line = new cache_line;
    CHECK(reinterpret_cast<std::uintptr_t>(line) % 64 == 0);
    delete line;  // operator delete(void*, std::size_t, std::align_val_t)
    auto* lines = new cache_line[3];
    CHECK(reinterpret_cast<std::uintptr_t>(lines) % 64 == 0);
    delete[] lines;
    auto* maybe = new (std::nothrow) int(1);
    REQUIRE(maybe != nullptr);
    delete maybe;
    void* a = ::operator new(0);
    void* b = ::operator new(0);
    const bool distinct = a != b;  // every new(0) returns a new pointer
    ::operator delete(a);
    ::operator delete(b);
    const allocation_totals seen = counter.since_start();
    CHECK(distinct);
    CHECK(seen.allocations == 5);
    CHECK(seen.deallocations == 5);
    CHECK(seen.bytes == sizeof(cache_line) * 4 + sizeof(int));
}

TEST_CASE("the counter counts the allocations of every thread") {
    const allocation_counter counter;
    std::size_t length = 0;
    std::thread worker([&length] { length = std::string(100, 'x').size(); });
    worker.join();
    const allocation_totals seen = counter.since_start();
    CHECK(seen.allocations >= 2);  // the thread's state, the string; the library may add more
    CHECK(seen.allocations == seen.deallocations);
    CHECK(length == 100);
}

TEST_CASE("push_back reallocates as the vector doubles; reserve allocates once") {
    // [vector-growth]
    std::vector<int> grown;
    std::array<std::size_t, 16> capacities{};  // each new capacity, in a buffer that needs no heap
    std::size_t changes = 0;
    const allocation_counter growing;
    for (int i = 0; i < 1000; ++i) {
        grown.push_back(i);
        if (changes == 0 || grown.capacity() != capacities.at(changes - 1)) {
            capacities.at(changes++) = grown.capacity();
        }
    }
    const allocation_totals by_push_back = growing.since_start();

    std::vector<int> reserved;
    const allocation_counter reserving;
    reserved.reserve(1000);
    for (int i = 0; i < 1000; ++i) {
        reserved.push_back(i);
    }
    const allocation_totals by_reserve = reserving.since_start();

    // libstdc++ doubles the capacity: 1, 2, 4, ..., 512, 1024. The factor is
    // implementation-defined; the standard asks only for amortised constant time.
    CHECK(capacities == std::array<std::size_t, 16>{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024});
    CHECK(by_push_back.allocations == 11);
    CHECK(by_push_back.deallocations == 10);  // each old buffer, after its elements moved
    CHECK(by_push_back.bytes == sizeof(int) * 2047);  // 1 + 2 + ... + 1024 elements
    CHECK(by_reserve.allocations == 1);
    CHECK(by_reserve.bytes == sizeof(int) * 1000);
    // [vector-growth]
    CHECK(grown == reserved);
}

TEST_CASE("a short string lives inside the std::string object; a long one allocates once") {
    // [small-string]
    const allocation_counter short_one;
    const std::string fifteen(15, 'x');  // fits libstdc++'s buffer of 15 characters
    const allocation_totals by_short = short_one.since_start();

    const allocation_counter long_one;
    const std::string sixteen(16, 'x');  // one too many: the characters go on the heap
    const allocation_totals by_long = long_one.since_start();

    CHECK(std::string().capacity() == 15);  // libstdc++'s choice; libc++ keeps 22
    CHECK(by_short.allocations == 0);
    CHECK(by_long.allocations == 1);
    CHECK(by_long.bytes == 17);  // sixteen characters and the terminating '\0'
    // [small-string]
    CHECK(fifteen.size() + sixteen.size() == 31);
}

TEST_CASE("std::function allocates for a large callable; a template parameter never does") {
    // [function-vs-template]
    const std::vector<double> xs{1.0, 2.0, 3.0};
    const double a = 1.5;
    const double b = -2.0;
    const double c = 0.5;
    auto polynomial = [a, b, c](double x) { return (a * x + b) * x + c; };
    static_assert(sizeof(polynomial) == 3 * sizeof(double));  // three captured doubles

    const allocation_counter direct;
    const double by_template = apply_to_all(polynomial, xs);
    const allocation_totals templated = direct.since_start();

    const allocation_counter erased;
    const double by_function = apply_to_all_erased(polynomial, xs);  // a std::function temporary
    const allocation_totals wrapped = erased.since_start();

    double* coefficient = nullptr;
    const allocation_counter small;
    const std::function<double(double)> scale = [coefficient](double x) { return coefficient != nullptr ? *coefficient * x : x; };
    const allocation_totals small_wrapped = small.since_start();

    CHECK(by_function == by_template);
    CHECK(templated.allocations == 0);
    CHECK(wrapped.allocations == 1);  // 24 bytes of captures: more than libstdc++ keeps inline
    CHECK(wrapped.bytes == sizeof(polynomial));
    CHECK(small_wrapped.allocations == 0);  // one pointer fits in std::function itself
    // [function-vs-template]
    CHECK(scale(2.0) == 2.0);
    CHECK(coefficient == nullptr);
}

TEST_CASE("std::map allocates one node per element; make_shared one block, not two") {
    // [node-per-insert]
    std::map<int, int> squares;
    const allocation_counter inserting;
    for (int i = 0; i < 100; ++i) {
        squares.emplace(i, i * i);
    }
    const allocation_totals by_map = inserting.since_start();

    const allocation_counter separately;
    const std::shared_ptr<int> two_blocks(new int(1));  // the int, then a control block
    const allocation_totals by_new = separately.since_start();

    const allocation_counter together;
    const auto one_block = std::make_shared<int>(1);  // the int inside its control block
    const allocation_totals by_make_shared = together.since_start();

    CHECK(by_map.allocations == 100);
    CHECK(by_new.allocations == 2);
    CHECK(by_make_shared.allocations == 1);
    // [node-per-insert]
    CHECK(squares.at(9) == 81);
    CHECK(*two_blocks + *one_block == 2);
}

TEST_CASE("the index allocates a node per distinct word; string keys make a temporary per long word") {
    // [index-counts]
    const std::string corpus = make_corpus(20'000, 2'000, 1);
    const allocation_counter building;
    const word_index index = build_index(corpus);
    const allocation_totals built = building.since_start();
    const std::size_t long_keys = long_words_in(index);

    const allocation_counter querying;
    const std::size_t by_string = total_frequency(index, corpus);
    const allocation_totals with_strings = querying.since_start();

    const allocation_counter viewing;
    const std::size_t by_view = total_frequency_of_views(index, corpus);
    const allocation_totals with_views = viewing.since_start();

    std::size_t long_tokens = 0;
    for_each_word(corpus, [&](std::string_view w) { long_tokens += w.size() > 15 ? 1 : 0; });

    CHECK(index.size() == 2'000);
    CHECK(built.allocations == index.size() + long_keys);  // a node each, a buffer for long keys
    CHECK(by_view == by_string);
    CHECK(with_strings.allocations == long_tokens);  // each freed straight away: temporaries
    CHECK(with_strings.deallocations == long_tokens);
    CHECK(with_views.allocations == 0);
    // [index-counts]
    CHECK(long_keys > 0);
    CHECK(long_tokens > 1'000);
}

// [workload]
// The workload the profilers below run: build a word-frequency index of a corpus of
// 200 000 words drawn from 10 000, then look every word up again.
TEST_CASE("workload: build and query a word-frequency index") {
    const std::string corpus = make_corpus(200'000, 10'000, 42);
    const word_index index = build_index(corpus);
    const std::size_t total = total_frequency(index, corpus);
    CHECK(index.size() == 10'000);
    CHECK(total == total_frequency_of_views(index, corpus));
}
// [workload]

TEST_CASE("a shared_ptr cycle outlives its last outside owner") {
    // [cycle-outlives]
    std::weak_ptr<folder> observer;
    {
        const std::shared_ptr<folder> root = make_tree_with_cycle();
        observer = root;
        CHECK(root.use_count() == 2);  // this scope, and the child's parent pointer
    }
    CHECK_FALSE(observer.expired());  // nothing outside owns the tree, yet it is alive
    // [cycle-outlives]
    // Break the cycle by hand, so that this process does not leak.
    if (const auto root = observer.lock()) {
        root->children.clear();
    }
    CHECK(observer.expired());
}

TEST_CASE("a weak_ptr to the parent breaks the cycle: everything allocated is freed") {
    // [weak-fix]
    std::weak_ptr<weak_folder> observer;
    const allocation_counter counter;
    {
        const std::shared_ptr<weak_folder> root = make_tree();
        observer = root;
        CHECK(root.use_count() == 1);
        CHECK(root->children.front()->parent.lock() == root);
    }
    CHECK(observer.expired());  // the tree is destroyed...
    const allocation_totals while_observed = counter.since_start();
    observer.reset();
    const allocation_totals after_reset = counter.since_start();

    CHECK(while_observed.allocations == 3);  // two folders in their control blocks, one vector buffer
    CHECK(while_observed.deallocations == 2);  // ...but the root's block outlives it
    CHECK(after_reset.deallocations == 3);  // freed with the last weak_ptr
    // [weak-fix]
}

namespace {

// [run-leak-child]
constexpr const char* leak_child_case = "child process entry: leaks on purpose when CE_CHILD is set";

// This binary again, running only the child entry case below: its waitpid() status
// and everything it wrote to stderr, where LeakSanitizer reports.
ce_test::child_result run_leak_child(const char* mode) {
    return ce_test::run_to_end({
        .test_case = leak_child_case,
        .environment = {std::string("CE_CHILD=") + mode},
        .captured = ce_test::stream::standard_error,
    });
}

// A stack frame of the report in `function`: g++'s runtime prints "in parse_order",
// clang's "in (anonymous namespace)::parse_order(long, long)".
bool has_frame(const std::string& report, const std::string& function) {
    return std::regex_search(
        report, std::regex(R"(#\d+ 0x[0-9a-f]+ in (\(anonymous namespace\)::)?)" + function + R"(\b)"));
}
// [run-leak-child]

}  // namespace

// [leak-child]
// Runs in a child process only: the tests below start this binary again with CE_CHILD
// set and a filter selecting this case. Otherwise it does nothing. The leak happens in
// a thread of its own: LeakSanitizer scans memory for anything that looks like a
// pointer, and a stale copy left on this thread's stack could keep a block "reachable".
TEST_CASE("child process entry: leaks on purpose when CE_CHILD is set"
          * doctest::skip(!ce_test::asan_build)
          * doctest::description("only LeakSanitizer, part of AddressSanitizer, reports leaks")) {
    const char* mode = std::getenv("CE_CHILD");
    if (mode != nullptr && std::string_view(mode) == "shared-cycle") {
        std::thread([] { CHECK(make_tree_with_cycle()->name == "root"); }).join();
    } else if (mode != nullptr && std::string_view(mode) == "forgotten-delete") {
        std::thread([] { CHECK(quantity_of_order(17) == 3); }).join();
    }
}
// [leak-child]

TEST_CASE("LeakSanitizer reports an order that nobody deleted as a direct leak"
          * doctest::skip(!ce_test::asan_build)
          * doctest::description("only LeakSanitizer, part of AddressSanitizer, reports leaks")) {
    // [forgotten-delete-report]
    const auto [status, report] = run_leak_child("forgotten-delete");
    INFO("the child's stderr:\n" << report);

    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 1);  // AddressSanitizer's exit code: the tests passed, yet it fails
    CHECK(report.find("ERROR: LeakSanitizer: detected memory leaks") != std::string::npos);
    // No pointer to it remains anywhere: direct. The stack names who allocated it.
    CHECK(report.find("Direct leak of 48 byte(s) in 1 object(s)") != std::string::npos);
    CHECK(has_frame(report, "parse_order"));
    CHECK(has_frame(report, "quantity_of_order"));
    // [forgotten-delete-report]
    static_assert(sizeof(order) == 48);
}

TEST_CASE("LeakSanitizer reports a shared_ptr cycle as indirect leaks"
          * doctest::skip(!ce_test::asan_build)
          * doctest::description("only LeakSanitizer, part of AddressSanitizer, reports leaks")) {
    // [cycle-report]
    const auto [status, report] = run_leak_child("shared-cycle");
    INFO("the child's stderr:\n" << report);

    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 1);
    CHECK(report.find("ERROR: LeakSanitizer: detected memory leaks") != std::string::npos);
    // Each block of a cycle is pointed to by another leaked block: all of them are
    // "indirect", none "direct". Two folders in their control blocks, and the root's
    // vector of children.
    CHECK(report.find("Direct leak") == std::string::npos);
    CHECK(report.find("Indirect leak of 88 byte(s) in 1 object(s)") != std::string::npos);
    CHECK(report.find("Indirect leak of 16 byte(s) in 1 object(s)") != std::string::npos);
    CHECK(has_frame(report, "make_tree_with_cycle"));
    CHECK(report.find("SUMMARY: AddressSanitizer: 192 byte(s) leaked in 3 allocation(s).") !=
          std::string::npos);
    // [cycle-report]
}
