#pragma once
/**
 * @file
 * A stack of cleanup actions decided at run time, like Python's `contextlib.ExitStack`:
 * push callbacks and resources as they are acquired, and they are released in reverse
 * order when the stack is closed or destroyed.
 *
 * Use it when the number of resources is not known when the code is written (open every
 * file of a list), or when acquiring several resources must be all-or-nothing: if the
 * third acquisition throws, the first two are released; if all succeed, pop_all()
 * hands them to a longer-lived owner.
 *
 * Opening a list of files all or nothing, then handing them to a longer-lived owner:
 *
 * @snippet design_patterns/context_managers.cpp pop-all
 */

#include <concepts>
#include <cstddef>
#include <exception>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

namespace ce {

namespace detail {

// One cleanup action, type-erased. Heap-allocated so that a resource pushed with
// enter_context() keeps its address while the stack grows.
class exit_entry {
public:
    exit_entry() = default;
    exit_entry(const exit_entry&) = delete;
    exit_entry& operator=(const exit_entry&) = delete;
    exit_entry(exit_entry&&) = delete;
    exit_entry& operator=(exit_entry&&) = delete;
    virtual ~exit_entry() = default;
    virtual void run() = 0;
};

template <typename F>
class callback_entry final : public exit_entry {
public:
    explicit callback_entry(F f) noexcept : f_(std::move(f)) {}
    void run() override { f_(); }

private:
    F f_;
};

template <typename R>
class resource_entry final : public exit_entry {
public:
    explicit resource_entry(R&& resource) : resource_(std::move(resource)) {}
    R& get() noexcept { return resource_; }
    // The resource's destructor is its __exit__: it runs when run_top() destroys this entry.
    void run() override {}

private:
    R resource_;
};

}  // namespace detail

/**
 * A LIFO stack of cleanup actions: callbacks and owned resources.
 *
 * - close() runs every action, last pushed first, and keeps going when one throws.
 *   After all have run it rethrows the *first* exception (the one from the
 *   most recently pushed failing action); later exceptions are discarded. (Python
 *   raises the *last* one instead, chained to the earlier ones through `__context__`;
 *   C++ has no implicit chaining.)
 * - The destructor runs whatever is left in the same way, but it is `noexcept` and
 *   discards every exception: it may run during unwinding, when the exception already
 *   in flight is the first error. Call close() on the success path to learn whether
 *   cleanup failed.
 * - Move-only. Not thread-safe. An action may push further actions while the stack
 *   unwinds; they run next.
 */
class exit_stack {
public:
    /// An empty stack.
    exit_stack() noexcept = default;

    /// Takes over `other`'s actions; `other` becomes empty.
    exit_stack(exit_stack&& other) noexcept : entries_(std::exchange(other.entries_, {})) {}

    /// Runs this stack's remaining actions as the destructor does, then takes over `other`'s.
    exit_stack& operator=(exit_stack&& other) noexcept {
        if (this != &other) {
            unwind_discarding_errors();
            entries_ = std::exchange(other.entries_, {});
        }
        return *this;
    }

    exit_stack(const exit_stack&) = delete;             ///< Actions run once: no copies.
    exit_stack& operator=(const exit_stack&) = delete;  ///< Actions run once: no copies.

    /// Runs the remaining actions, last pushed first, discarding their exceptions.
    ~exit_stack() { unwind_discarding_errors(); }

    /**
     * Pushes a callback, run when the stack unwinds (Python: `stack.callback(fn)`).
     * If storing it throws (`std::bad_alloc`), `callback` is called at once and the
     * exception propagates, so a resource acquired just before the push is still released.
     */
    template <std::invocable F>
    void push(F callback) {
        static_assert(std::is_nothrow_move_constructible_v<F>,
                      "exit_stack::push needs a callback that moves without throwing");
        std::unique_ptr<detail::exit_entry> entry;
        try {
            reserve_one();
            entry = std::make_unique<detail::callback_entry<F>>(std::move(callback));
        } catch (...) {
            callback();  // make_unique failed before it moved from `callback`
            throw;
        }
        entries_.push_back(std::move(entry));  // capacity reserved: cannot throw
    }

    /**
     * Moves `resource` into the stack and returns a reference to it, valid until the
     * stack unwinds, which destroys it (Python: `stack.enter_context(cm)`: in C++ the
     * destructor is the `__exit__`). If storing it throws, `resource` is destroyed
     * before the exception propagates, as a by-value argument is.
     * @tparam R any move-constructible type; the stack never assigns it, so a type with
     *         a reference or `const` member, which cannot be assigned, is accepted.
     */
    template <std::move_constructible R>
    R& enter_context(R resource) {
        reserve_one();
        auto entry = std::make_unique<detail::resource_entry<R>>(std::move(resource));
        R& stored = entry->get();
        entries_.push_back(std::move(entry));  // capacity reserved: cannot throw
        return stored;
    }

    /// Moves every action into a new stack and returns it; this stack becomes empty.
    [[nodiscard]] exit_stack pop_all() noexcept { return exit_stack(std::move(*this)); }

    /**
     * Runs every action now, last pushed first; an action that throws does not stop
     * the others. Afterwards the stack is empty, and the first exception (if any) is
     * rethrown; later ones are discarded.
     */
    void close() {
        std::exception_ptr first_error;
        while (!entries_.empty()) {
            try {
                run_top();
            } catch (...) {
                if (!first_error) {
                    first_error = std::current_exception();
                }
            }
        }
        if (first_error) {
            std::rethrow_exception(first_error);
        }
    }

    /// The number of actions waiting to run.
    [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }

    /// True if no action is waiting to run.
    [[nodiscard]] bool empty() const noexcept { return entries_.empty(); }

private:
    // Pops before running, so an action that pushes new actions (or throws) leaves a
    // consistent stack behind.
    void run_top() {
        std::unique_ptr<detail::exit_entry> top = std::move(entries_.back());
        entries_.pop_back();
        top->run();
    }

    void unwind_discarding_errors() noexcept {
        while (!entries_.empty()) {
            try {
                run_top();
            } catch (...) {  // NOLINT(bugprone-empty-catch): discarded by design, see the class
            }                // comment; close() is the path that reports
        }
    }

    // Grows geometrically, so that the push_back that follows cannot throw.
    void reserve_one() {
        if (entries_.size() == entries_.capacity()) {
            entries_.reserve(entries_.empty() ? 4 : 2 * entries_.size());
        }
    }

    std::vector<std::unique_ptr<detail::exit_entry>> entries_;
};

}  // namespace ce
