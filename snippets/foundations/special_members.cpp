// The rule of zero, the rule of five and move semantics: the chapter page shows the
// named regions of this file.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace shop {

// [rule-of-zero]
// Every member manages itself, so the class declares none of the five special
// members: the compiler writes copy (member by member, deep) and move (member by
// member, stealing) for it, and a destructor that destroys the members.
struct order_line {
    std::string sku;
    int quantity = 0;
};

struct order {
    std::string customer;
    std::vector<order_line> lines;
};
// [rule-of-zero]

// [implicit-members]
// What the compiler wrote for `order`, checked at compile time.
static_assert(std::is_copy_constructible_v<order>);
static_assert(std::is_nothrow_move_constructible_v<order>);
static_assert(std::is_nothrow_move_assignable_v<order>);
static_assert(std::is_nothrow_destructible_v<order>);
// [implicit-members]

}  // namespace shop

TEST_CASE("a rule-of-zero type copies deeply and moves by stealing") {
    // [rule-of-zero-test]
    shop::order original{"ada", {{"book", 1}, {"pen", 3}}};

    shop::order copy = original;  // Python: copy.deepcopy(original)
    copy.lines[0].quantity = 2;
    CHECK(original.lines[0].quantity == 1);  // independent: no shared list

    const auto* first_line = original.lines.data();
    shop::order moved = std::move(original);  // no element is copied...
    CHECK(moved.lines.data() == first_line);  // ...the buffer itself changed owner
    CHECK(moved.customer == "ada");
    // [rule-of-zero-test]
}

namespace shop {

// [rule-of-five]
// A type that owns a raw resource (here a heap array; elsewhere a file descriptor or a
// socket) must say what copying, moving and destroying mean: all five, or none.
class text_buffer {
public:
    text_buffer() = default;
    explicit text_buffer(std::string_view text)
        : data_(text.empty() ? nullptr : new char[text.size()]), size_(text.size()) {
        std::copy(text.begin(), text.end(), data_);
    }

    ~text_buffer() { delete[] data_; }

    // Copy: a deep copy, so the two buffers never share the array.
    text_buffer(const text_buffer& other) : text_buffer(other.view()) {}

    // Copy-and-swap: the copy that can throw happens before `*this` changes, and
    // self-assignment copies, then swaps with an equal value.
    text_buffer& operator=(const text_buffer& other) {
        text_buffer copy(other);
        swap(copy);
        return *this;
    }

    // Move: steal the array and leave the source empty, a valid state.
    text_buffer(text_buffer&& other) noexcept
        : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

    // Moving into a temporary first makes `b = std::move(b)` keep b's text.
    text_buffer& operator=(text_buffer&& other) noexcept {
        text_buffer stolen(std::move(other));
        swap(stolen);
        return *this;
    }

    void swap(text_buffer& other) noexcept {
        std::swap(data_, other.data_);
        std::swap(size_, other.size_);
    }

    [[nodiscard]] std::string_view view() const noexcept { return {data_, size_}; }
    [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
    void upper_first() noexcept {
        if (size_ != 0 && data_[0] >= 'a' && data_[0] <= 'z') {
            data_[0] = static_cast<char>(data_[0] - 'a' + 'A');
        }
    }

private:
    char* data_ = nullptr;
    std::size_t size_ = 0;
};
// [rule-of-five]

}  // namespace shop

TEST_CASE("a rule-of-five type copies deeply, moves by stealing and survives self-assignment") {
    // [rule-of-five-test]
    shop::text_buffer a("receipt");
    shop::text_buffer b = a;  // deep copy
    b.upper_first();
    CHECK(a.view() == "receipt");
    CHECK(b.view() == "Receipt");

    shop::text_buffer c = std::move(b);  // steals b's array
    CHECK(c.view() == "Receipt");

    const shop::text_buffer& alias = a;
    a = alias;  // self-copy-assignment
    CHECK(a.view() == "receipt");
    shop::text_buffer& same = c;
    c = std::move(same);  // self-move-assignment
    CHECK(c.view() == "Receipt");
    // [rule-of-five-test]
}

TEST_CASE("a moved-from object is valid: empty where documented, reusable always") {
    // [moved-from]
    shop::text_buffer source("invoice");
    shop::text_buffer target = std::move(source);
    // text_buffer documents its moved-from state: empty. (clang-tidy flags any use
    // after a move; this check is the one use the class's contract allows.)
    CHECK(source.empty());  // NOLINT(bugprone-use-after-move): the documented state
    source = shop::text_buffer("credit note");  // assigning makes it usable again
    CHECK(source.view() == "credit note");

    // The standard library promises less: a moved-from std::string is "valid but
    // unspecified". Assign to it or clear() it before reading it again.
    std::string name = "a name too long for the small-string buffer";
    std::string taken = std::move(name);
    CHECK(taken.size() == 43);
    name = "reused";
    CHECK(name == "reused");

    // std::unique_ptr is the exception: a moved-from one is guaranteed null.
    auto owner = std::make_unique<int>(42);
    auto new_owner = std::move(owner);
    CHECK(owner == nullptr);  // NOLINT(bugprone-use-after-move): guaranteed null
    CHECK(*new_owner == 42);
    // [moved-from]
}

namespace shop {

// [tracked]
// Counts how often elements are copied and moved. NoexceptMove chooses whether the
// move constructor promises not to throw; nothing else differs.
struct tally {
    int copies = 0;
    int moves = 0;
};

template <bool NoexceptMove>
class tracked {
public:
    explicit tracked(tally& counts) noexcept : counts_(&counts) {}
    tracked(const tracked& other) noexcept : counts_(other.counts_) { ++counts_->copies; }
    tracked(tracked&& other) noexcept(NoexceptMove) : counts_(other.counts_) { ++counts_->moves; }
    // A growing vector only constructs: the assignments are not needed.
    tracked& operator=(const tracked&) = delete;
    tracked& operator=(tracked&&) = delete;
    ~tracked() = default;

private:
    tally* counts_;
};
// [tracked]

// [vector-growth]
// Appends n elements to an empty vector (no reserve) and reports how it relocated them.
template <bool NoexceptMove>
tally grow(int n) {
    tally counts;
    std::vector<tracked<NoexceptMove>> items;
    for (int i = 0; i < n; ++i) {
        // Built in place, so every copy or move counted is a relocation. (clang-tidy
        // asks for a reserve() first, which would avoid them all.)
        items.emplace_back(counts);  // NOLINT(performance-inefficient-vector-operation)
    }
    return counts;
}
// [vector-growth]

}  // namespace shop

TEST_CASE("std::vector relocates by moving only when the move is noexcept") {
    // [vector-growth-test]
    const shop::tally fast = shop::grow<true>(5);
    const shop::tally slow = shop::grow<false>(5);
    CHECK(fast.copies == 0);
    CHECK(slow.moves == 0);
    CHECK(fast.moves == slow.copies);  // the same relocations, by a different operation
    // [vector-growth-test]
    // [vector-growth-output]
    constexpr std::string_view expected = R"(
5 emplace_back calls, no reserve (libstdc++ grows 1, 2, 4, 8):
  noexcept move:  7 moves, 0 copies
  throwing move:  0 moves, 7 copies
)";
    // [vector-growth-output]
    const std::string report = fmt::format(
        "5 emplace_back calls, no reserve (libstdc++ grows 1, 2, 4, 8):\n"
        "  noexcept move:  {} moves, {} copies\n"
        "  throwing move:  {} moves, {} copies\n",
        fast.moves, fast.copies, slow.moves, slow.copies);
    CHECK(report == expected.substr(1));
}

namespace shop {

// [destructor-suppresses-move]
// Only a destructor was added (to log, say), but a user-declared destructor means the
// compiler declares no move constructor or move assignment: std::move now copies.
struct audited_order {  // NOLINT(cppcoreguidelines-special-member-functions): the pitfall shown
    std::vector<int> quantities;
    tracked<true> probe;
    ~audited_order() {}  // `= default` here would suppress the moves just the same
};

static_assert(std::is_move_constructible_v<audited_order>,
              "still 'move constructible': a const& copy constructor accepts an rvalue");
// [destructor-suppresses-move]

}  // namespace shop

TEST_CASE("declaring a destructor turns every move into a copy") {
    // [destructor-suppresses-move-test]
    shop::tally counts;
    shop::audited_order before{{1, 2, 3}, shop::tracked<true>(counts)};
    // NOLINTNEXTLINE(performance-move-const-arg): clang-tidy sees the move is a copy
    shop::audited_order after = std::move(before);
    CHECK(counts.copies == 1);
    CHECK(counts.moves == 0);
    CHECK(before.quantities.size() == 3);  // NOLINT(bugprone-use-after-move): it was copied
    CHECK(after.quantities.size() == 3);
    // [destructor-suppresses-move-test]
}

namespace shop {

// [move-only]
// Exactly one owner at a time: copying is deleted, moving transfers the ownership.
// (Python has no way to forbid copy.copy(); C++ makes it a compile error.)
class connection {
public:
    explicit connection(int fd) noexcept : fd_(fd) {}
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;
    connection(connection&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    connection& operator=(connection&& other) noexcept {
        connection stolen(std::move(other));
        std::swap(fd_, stolen.fd_);
        return *this;
    }
    ~connection() = default;  // a real one would close(fd_) when fd_ != -1

    [[nodiscard]] int fd() const noexcept { return fd_; }

private:
    int fd_;
};

static_assert(!std::is_copy_constructible_v<connection>);
static_assert(std::is_nothrow_move_constructible_v<connection>);

// A member that is move-only makes the enclosing rule-of-zero type move-only too.
struct session {
    std::string user;
    connection link;
};
static_assert(!std::is_copy_constructible_v<session>);
static_assert(std::is_nothrow_move_constructible_v<session>);
// [move-only]

}  // namespace shop

TEST_CASE("a move-only type transfers its resource and cannot be copied") {
    // [move-only-test]
    shop::session first{"ada", shop::connection(7)};
    shop::session second = std::move(first);
    CHECK(second.link.fd() == 7);
    CHECK(first.link.fd() == -1);  // NOLINT(bugprone-use-after-move): documented state
    std::vector<shop::session> sessions;
    sessions.push_back(std::move(second));  // containers take move-only types by move
    CHECK(sessions.front().user == "ada");
    // [move-only-test]
}

#ifdef CE_COMPILE_FAIL_COPY_MOVE_ONLY
// [copy-move-only]
struct upload {
    std::string name;
    std::unique_ptr<char[]> bytes;  // a move-only member makes upload move-only
};

upload keep_a_copy(const upload& pending) {
    upload copy = pending;  // the copy constructor is deleted: this does not compile
    return copy;
}
// [copy-move-only]
#endif
