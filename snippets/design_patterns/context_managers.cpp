// Context managers → RAII: the chapter page shows the named regions of this file.
#include <ce/exit_stack.hpp>
#include <ce/scope_guard.hpp>

#include <doctest/doctest.h>

#include <concepts>
#include <cstddef>
#include <cstdlib>
#include <exception>
#include <map>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

// [fail-next-allocation]
// A test hook for the one claim that needs an allocation to fail: the next operator new
// after arm() throws std::bad_alloc. Replacing the global operator new is allowed and
// works under the sanitizers (they intercept malloc, which this calls).
namespace {
thread_local bool fail_next_allocation = false;
}  // namespace

void* operator new(std::size_t size) {
    if (fail_next_allocation) {
        fail_next_allocation = false;
        throw std::bad_alloc();
    }
    if (void* p = std::malloc(size == 0 ? 1 : size)) {
        return p;
    }
    throw std::bad_alloc();
}
// Out of line: inlined, g++ -O2 would see operator new's pointer reach free() and warn.
[[gnu::noinline]] void operator delete(void* p) noexcept {
    std::free(p);
}
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
// [fail-next-allocation]

namespace {

// [document]
struct document {
    bool busy = false;
    bool corrupt = false;
};

void layout(const document& doc) {
    if (doc.corrupt) {
        throw std::runtime_error("cannot lay out a corrupt document");
    }
}
// [document]

// [scope-exit]
void render(document& doc) {
    doc.busy = true;
    ce::scope_exit not_busy{[&] { doc.busy = false; }};  // Python: finally: doc.busy = False
    layout(doc);                                         // may throw; not_busy runs either way
}
// [scope-exit]

// [account]
class limit_exceeded : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct account {
    long cents = 0;
    long limit = 1'000'000;

    void withdraw(long amount) { cents -= amount; }
    void deposit(long amount) {
        if (cents + amount > limit) {
            throw limit_exceeded("deposit would exceed the account limit");
        }
        cents += amount;
    }
};
// [account]

// [scope-fail-success]
void transfer(account& from, account& to, long amount, std::vector<std::string>& journal) {
    from.withdraw(amount);
    // Python: except: from.cents += amount; raise   -- an undo that cannot fail
    ce::scope_fail refund{[&] { from.cents += amount; }};
    // Python: else: journal.append(...)             -- only when nothing threw
    ce::scope_success record{[&] { journal.push_back("moved " + std::to_string(amount)); }};
    to.deposit(amount);
}
// [scope-fail-success]

// [disk]
using disk = std::map<std::string, std::string, std::less<>>;
// [disk]

// [release]
// Writes a report, and deletes it again unless every line was valid. Invalid input is
// reported by return value, not by an exception, so scope_fail would miss it: a
// scope_exit released on the one successful path covers every other exit.
bool write_report(disk& files, const std::string& name, const std::vector<std::string>& lines) {
    std::string& body = files[name];
    ce::scope_exit remove_partial{[&] { files.erase(name); }};
    for (const std::string& line : lines) {
        if (line.empty()) {
            return false;  // remove_partial deletes the half-written report
        }
        body += line + '\n';  // may throw std::bad_alloc: deleted as well
    }
    remove_partial.release();  // complete: keep it
    return true;
}
// [release]

// [unwinding-destructor]
// A session flushes its buffer when it is destroyed, and records whether the flush
// worked. Its destructor may run while an exception unwinds the caller's stack.
class session {
public:
    session(std::vector<std::string>& log, bool flush_fails)
        : log_(&log), flush_fails_(flush_fails) {}
    session(const session&) = delete;
    session& operator=(const session&) = delete;
    session(session&&) = delete;
    session& operator=(session&&) = delete;

    ~session() {
        try {
            ce::scope_fail on_fail{[this] { log_->push_back("flush failed"); }};
            ce::scope_success on_success{[this] { log_->push_back("flushed"); }};
            flush();
        } catch (const std::exception&) {  // NOLINT(bugprone-empty-catch): on_fail logged it,
        }                                  // and a destructor must not throw (CCG C.36)
    }

private:
    void flush() const {
        if (flush_fails_) {
            throw std::runtime_error("connection reset");
        }
    }

    std::vector<std::string>* log_;
    bool flush_fails_;
};
// [unwinding-destructor]

// [naive-guard]
// The guard many codebases write first: "fail if any exception is in flight".
template <typename F>
class naive_scope_fail {
public:
    explicit naive_scope_fail(F f) : f_(std::move(f)) {}
    naive_scope_fail(const naive_scope_fail&) = delete;
    naive_scope_fail& operator=(const naive_scope_fail&) = delete;
    naive_scope_fail(naive_scope_fail&&) = delete;
    naive_scope_fail& operator=(naive_scope_fail&&) = delete;
    ~naive_scope_fail() {
        if (std::uncaught_exceptions() > 0) {  // wrong question: whose exception?
            f_();
        }
    }

private:
    F f_;
};

class naive_session {
public:
    explicit naive_session(std::vector<std::string>& log) : log_(&log) {}
    naive_session(const naive_session&) = delete;
    naive_session& operator=(const naive_session&) = delete;
    naive_session(naive_session&&) = delete;
    naive_session& operator=(naive_session&&) = delete;
    ~naive_session() {
        naive_scope_fail on_fail{[this] { log_->push_back("flush failed"); }};
        // flush() succeeds here ...
    }

private:
    std::vector<std::string>* log_;
};
// [naive-guard]

// [handle]
// A file-like resource that records its lifetime: its destructor is its __exit__.
class handle {
public:
    handle(std::string name, std::vector<std::string>& log) : name_(std::move(name)), log_(&log) {
        if (name_.starts_with("missing")) {
            throw std::runtime_error("cannot open " + name_);
        }
        log_->push_back("open " + name_);
    }
    handle(const handle&) = delete;  // one handle closes the resource, once
    handle& operator=(const handle&) = delete;
    handle(handle&& other) noexcept
        : name_(std::move(other.name_)), log_(std::exchange(other.log_, nullptr)) {}
    handle& operator=(handle&& other) noexcept {
        std::swap(name_, other.name_);
        std::swap(log_, other.log_);
        return *this;
    }
    ~handle() {
        if (log_ != nullptr) {
            log_->push_back("close " + name_);
        }
    }

    [[nodiscard]] const std::string& name() const noexcept { return name_; }

private:
    std::string name_;
    std::vector<std::string>* log_;
};
// [handle]

// [enter-context]
// Python:  with ExitStack() as stack:
//              files = [stack.enter_context(open(n)) for n in names]
//              process(files)
void process_all(const std::vector<std::string>& names, std::vector<std::string>& log) {
    ce::exit_stack stack;
    std::vector<const handle*> files;
    files.reserve(names.size());
    for (const std::string& name : names) {
        files.push_back(&stack.enter_context(handle(name, log)));
    }
    log.push_back("process " + std::to_string(files.size()) + " files");
    stack.close();  // the end of the with-block: report a failed cleanup
}
// [enter-context]

// [pop-all]
class archive {
public:
    // All or nothing: if one file fails to open, those already open are closed in
    // reverse order and the exception propagates; if all open, the archive owns them.
    void open(const std::vector<std::string>& names, std::vector<std::string>& log) {
        ce::exit_stack opening;
        for (const std::string& name : names) {
            (void)opening.enter_context(handle(name, log));
        }
        files_ = opening.pop_all();  // Python: self._files = stack.pop_all()
    }
    void close() { files_.close(); }
    [[nodiscard]] std::size_t open_files() const noexcept { return files_.size(); }

private:
    ce::exit_stack files_;
};
// [pop-all]

#ifdef CE_COMPILE_FAIL_DISCARDED_GUARD
// [discarded-guard]
void render_badly(document& doc) {
    doc.busy = true;
    ce::scope_exit{[&] { doc.busy = false; }};  // a temporary: runs at the semicolon
    layout(doc);
}
// [discarded-guard]
#endif

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const std::string& line : lines) {
        out += line;
        out += '\n';
    }
    return out;
}

}  // namespace

TEST_CASE("scope_exit runs on both the normal and the exceptional path") {
    // [scope-exit-test]
    document doc;
    render(doc);
    CHECK_FALSE(doc.busy);

    doc.corrupt = true;
    CHECK_THROWS_AS(render(doc), std::runtime_error);
    CHECK_FALSE(doc.busy);  // reset on the way out of the exception too
    // [scope-exit-test]
}

TEST_CASE("scope_fail undoes on an exception and scope_success records only success") {
    // [scope-fail-success-test]
    std::vector<std::string> journal;
    account checking{.cents = 5'000};
    account savings{.cents = 0, .limit = 3'000};

    transfer(checking, savings, 2'000, journal);
    CHECK(checking.cents == 3'000);
    CHECK(savings.cents == 2'000);
    CHECK(journal == std::vector<std::string>{"moved 2000"});

    CHECK_THROWS_AS(transfer(checking, savings, 2'000, journal), limit_exceeded);
    CHECK(checking.cents == 3'000);  // refunded by scope_fail
    CHECK(savings.cents == 2'000);
    CHECK(journal.size() == 1);  // scope_success stayed quiet
    // [scope-fail-success-test]
}

TEST_CASE("release() cancels a guard on a path it cannot recognise as success") {
    // [release-test]
    disk files;
    CHECK(write_report(files, "q1.txt", {"revenue 10", "costs 7"}));
    CHECK(files == disk{{"q1.txt", "revenue 10\ncosts 7\n"}});

    CHECK_FALSE(write_report(files, "q2.txt", {"revenue 12", ""}));
    CHECK(files == disk{{"q1.txt", "revenue 10\ncosts 7\n"}});  // no half-written q2.txt
    // [release-test]
}

TEST_CASE("a guard in a destructor that runs during unwinding judges its own scope") {
    // [unwinding-destructor-test]
    std::vector<std::string> log;
    try {
        session s{log, /*flush_fails=*/false};
        throw std::invalid_argument("bad request");  // ~session runs during unwinding
    } catch (const std::invalid_argument&) {  // NOLINT(bugprone-empty-catch): only the log matters
    }
    CHECK(log == std::vector<std::string>{"flushed"});  // scope_fail silent, scope_success ran

    log.clear();
    try {
        session s{log, /*flush_fails=*/true};
        throw std::invalid_argument("bad request");
    } catch (const std::invalid_argument&) {  // NOLINT(bugprone-empty-catch): as above
    }
    CHECK(log == std::vector<std::string>{"flush failed"});  // its own failure is seen
    // [unwinding-destructor-test]
}

TEST_CASE("a guard that asks whether any exception is in flight fires wrongly") {
    // [naive-guard-test]
    std::vector<std::string> log;
    try {
        naive_session s{log};
        throw std::invalid_argument("bad request");
    } catch (const std::invalid_argument&) {  // NOLINT(bugprone-empty-catch): only the log matters
    }
    CHECK(log == std::vector<std::string>{"flush failed"});  // but the flush succeeded
    // [naive-guard-test]
}

TEST_CASE("scope_success lets its callback's exception propagate; the others do not fire") {
    auto commit_fails = [] {
        ce::scope_success commit{[] { throw std::runtime_error("commit failed"); }};
    };
    CHECK_THROWS_AS(commit_fails(), std::runtime_error);
    static_assert(!std::is_nothrow_destructible_v<ce::scope_success<void (*)()>>);
    static_assert(std::is_nothrow_destructible_v<ce::scope_exit<void (*)()>>);
    static_assert(!std::is_copy_constructible_v<ce::scope_exit<void (*)()>>);
    static_assert(!std::is_move_constructible_v<ce::scope_fail<void (*)()>>);
}

TEST_CASE("an exit stack releases what it entered in reverse order") {
    // [enter-context-output]
    constexpr std::string_view expected = R"(
open a.txt
open b.txt
open c.txt
process 3 files
close c.txt
close b.txt
close a.txt
)";
    // [enter-context-output]
    std::vector<std::string> log;
    process_all({"a.txt", "b.txt", "c.txt"}, log);
    CHECK(joined(log) == expected.substr(1));
}

namespace {

// [loan]
// An RAII loan bound to its ledger for life: the reference member makes it
// move-constructible but not assignable, as a handle bound to its parent often is.
class loan {
public:
    loan(std::vector<std::string>& ledger, std::string item) : ledger_(ledger), item_(std::move(item)) {
        ledger_.push_back("lend " + item_);
    }
    loan(loan&& other) noexcept
        : ledger_(other.ledger_), item_(std::move(other.item_)), active_(std::exchange(other.active_, false)) {}
    loan(const loan&) = delete;
    loan& operator=(const loan&) = delete;
    loan& operator=(loan&&) = delete;
    ~loan() {
        if (active_) {
            ledger_.push_back("return " + item_);
        }
    }
    [[nodiscard]] const std::string& item() const noexcept { return item_; }

private:
    std::vector<std::string>& ledger_;
    std::string item_;
    bool active_ = true;
};
// [loan]

}  // namespace

TEST_CASE("enter_context accepts a resource that moves but cannot be assigned") {
    // [enter-context-move-constructible]
    static_assert(std::move_constructible<loan> && !std::is_move_assignable_v<loan>);
    std::vector<std::string> ledger;
    {
        ce::exit_stack stack;
        const loan& first = stack.enter_context(loan(ledger, "drill"));
        (void)stack.enter_context(loan(ledger, "ladder"));
        CHECK(first.item() == "drill");
    }  // returned in reverse order, each exactly once
    CHECK(ledger == std::vector<std::string>{"lend drill", "lend ladder", "return ladder", "return drill"});
    // [enter-context-move-constructible]
}

TEST_CASE("close() runs every callback after one throws and rethrows the first error") {
    // [close-keeps-going]
    std::vector<std::string> ran;
    ce::exit_stack stack;
    stack.push([&] { ran.push_back("release lock"); });
    stack.push([&] {
        ran.push_back("flush log");
        throw std::runtime_error("disk full");  // second error: discarded
    });
    stack.push([&] {
        ran.push_back("close socket");
        throw std::runtime_error("connection reset");  // first error: rethrown
    });
    stack.push([&] { ran.push_back("delete temp file"); });

    CHECK_THROWS_WITH_AS(stack.close(), "connection reset", std::runtime_error);
    CHECK(ran == std::vector<std::string>{"delete temp file", "close socket", "flush log",
                                          "release lock"});
    CHECK(stack.empty());
    // [close-keeps-going]
}

TEST_CASE("an exit stack destroyed by unwinding runs every callback; the original error wins") {
    // [unwinding-stack]
    std::vector<std::string> ran;
    try {
        ce::exit_stack stack;
        stack.push([&] { ran.push_back("first"); });
        stack.push([&] {
            ran.push_back("second");
            throw std::runtime_error("cleanup failed");  // discarded by the destructor
        });
        throw std::invalid_argument("bad request");
    } catch (const std::invalid_argument& e) {  // the request's error arrives ...
        CHECK(std::string_view(e.what()) == "bad request");
    }
    CHECK(ran == std::vector<std::string>{"second", "first"});  // ... after all cleanup ran
    // [unwinding-stack]
}

TEST_CASE("pop_all transfers acquired resources or releases them all on failure") {
    // [pop-all-test]
    std::vector<std::string> log;
    archive failed;
    CHECK_THROWS_AS(failed.open({"a.txt", "b.txt", "missing.txt", "d.txt"}, log),
                    std::runtime_error);
    CHECK(log ==
          std::vector<std::string>{"open a.txt", "open b.txt", "close b.txt", "close a.txt"});
    CHECK(failed.open_files() == 0);

    log.clear();
    archive opened;
    opened.open({"a.txt", "b.txt"}, log);
    CHECK(opened.open_files() == 2);  // pop_all moved both handles into the archive
    CHECK(log == std::vector<std::string>{"open a.txt", "open b.txt"});
    opened.close();
    CHECK(log.back() == "close a.txt");
    // [pop-all-test]
}

TEST_CASE("a callback whose push fails runs at once, so nothing leaks") {
    // [push-failure]
    int open_descriptors = 1;
    ce::exit_stack stack;
    bool threw = false;
    fail_next_allocation = true;  // test hook: the next operator new throws
    try {
        stack.push([&] { --open_descriptors; });
    } catch (const std::bad_alloc&) {
        threw = true;
    }
    CHECK(threw);
    CHECK(open_descriptors == 0);  // released although the stack could not store it
    CHECK(stack.empty());
    // [push-failure]
}

TEST_CASE("moving an exit stack moves its actions; assignment unwinds the old ones first") {
    std::vector<std::string> ran;
    ce::exit_stack a;
    a.push([&] { ran.push_back("a"); });
    ce::exit_stack b = std::move(a);
    CHECK(a.empty());  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
    CHECK(b.size() == 1);
    ce::exit_stack c;
    c.push([&] { ran.push_back("c"); });
    c = std::move(b);
    CHECK(ran == std::vector<std::string>{"c"});
    c.close();
    CHECK(ran == std::vector<std::string>{"c", "a"});
}

TEST_CASE("an action pushed while the stack unwinds runs next") {
    std::vector<std::string> ran;
    ce::exit_stack stack;
    stack.push([&] { ran.push_back("outer"); });
    stack.push([&] {
        ran.push_back("inner");
        stack.push([&] { ran.push_back("pushed while closing"); });
    });
    stack.close();
    CHECK(ran == std::vector<std::string>{"inner", "pushed while closing", "outer"});
}
