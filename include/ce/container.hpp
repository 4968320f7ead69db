#pragma once
/**
 * @file
 * A small dependency-injection container for the wiring a composition root cannot fix
 * at compile time: implementations chosen by configuration, plugins, and test overrides
 * (FastAPI's `Depends` and `app.dependency_overrides`).
 *
 * Each type is registered with a factory and a lifetime: a *singleton* is made on first
 * use and shared afterwards, a *transient* is made anew on every resolve. Factories
 * resolve their own dependencies from the container; a dependency cycle is reported as
 * a ce::usage_error naming the whole cycle instead of recursing forever.
 *
 * @snippet design_patterns/dependency_injection.cpp container-wiring
 *
 * Prefer plain constructor injection in a composition root; reach for the container
 * when the graph really is decided at run time.
 */

#include <ce/error.hpp>
#include <ce/type_name.hpp>

#include <algorithm>
#include <concepts>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <typeindex>
#include <typeinfo>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ce {

/**
 * Maps types to factories with a lifetime, and builds object graphs on request.
 *
 * Not thread-safe: register and resolve from one thread, typically at start-up, then
 * hand the resolved objects to the rest of the program. Not copyable (singletons have
 * one owner). Singletons are destroyed in the reverse order of their creation.
 */
class container final {
public:
    container() = default;                              ///< An empty container.
    container(const container&) = delete;              ///< Not copyable: singletons have one owner.
    container& operator=(const container&) = delete;    ///< Not copyable.
    container(container&&) noexcept = default;          ///< Takes every registration and singleton.
    container& operator=(container&&) = delete;         ///< Not assignable: see the destructor.

    /// Destroys the singletons, the most recently created first.
    ~container() {
        for (auto key = created_.rbegin(); key != created_.rend(); ++key) {
            entries_.at(*key).instance.reset();
        }
    }

    /**
     * Registers `make` as the factory of the one shared `T`, made on first resolve.
     * Registering `T` again replaces the earlier registration and its instance (the way
     * a test overrides one dependency); a factory must not register anything itself.
     * @tparam T the type callers resolve, often an interface.
     * @tparam F copyable, callable with `container&`, returning something convertible to
     *         `std::shared_ptr<T>` (a `shared_ptr` or `unique_ptr` to `T` or a derived type),
     *         never null: resolve() reports a null result as a ce::usage_error.
     * @param make the factory.
     */
    template <class T, std::invocable<container&> F>
    void singleton(F make) {
        add<T>(lifetime::singleton, std::move(make));
    }

    /**
     * Registers `make` as the factory of `T`, called anew on every resolve.
     * Registering `T` again replaces the earlier registration.
     * @tparam T the type callers resolve, often an interface.
     * @tparam F copyable, callable with `container&`, returning something convertible to
     *         `std::shared_ptr<T>`, never null.
     * @param make the factory.
     */
    template <class T, std::invocable<container&> F>
    void transient(F make) {
        add<T>(lifetime::transient, std::move(make));
    }

    /**
     * Returns the `T` its registration describes: the shared singleton, or a new transient.
     * Never null.
     * @tparam T a registered type.
     * @throws ce::usage_error if `T` is not registered; if making it needs `T` again
     *         (directly or through other registrations): the message lists the cycle,
     *         e.g. `dependency cycle: a -> b -> a`; or if its factory returns null (nothing
     *         is cached, so a singleton's factory runs again on the next resolve).
     *         Exceptions from factories propagate.
     */
    template <class T>
    [[nodiscard]] std::shared_ptr<T> resolve() {
        const std::type_index key(typeid(T));
        const auto found = entries_.find(key);
        if (found == entries_.end()) {
            throw usage_error("ce::container: nothing registered for " +
                              demangle(typeid(T).name()));
        }
        entry& wanted = found->second;  // map nodes stay put while factories register more
        if (wanted.instance) {
            return std::static_pointer_cast<T>(wanted.instance);
        }
        if (std::find(resolving_.begin(), resolving_.end(), key) != resolving_.end()) {
            throw usage_error("ce::container: " + describe_cycle(key));
        }
        resolving_.push_back(key);
        const pop_on_exit done{resolving_};
        std::shared_ptr<void> made = wanted.make(*this);
        if (!made) {  // not cached: a singleton's factory would otherwise rerun on every resolve
            throw usage_error("ce::container: the factory for " + demangle(typeid(T).name()) +
                              " returned null");
        }
        if (wanted.life == lifetime::singleton) {
            wanted.instance = made;
            created_.push_back(key);
        }
        return std::static_pointer_cast<T>(std::move(made));
    }

private:
    enum class lifetime : std::uint8_t { singleton, transient };

    struct entry {
        lifetime life;
        std::function<std::shared_ptr<void>(container&)> make;
        std::shared_ptr<void> instance;  // the singleton, once made
    };

    // Keeps the resolving stack right when a factory throws.
    class pop_on_exit {
    public:
        explicit pop_on_exit(std::vector<std::type_index>& stack) noexcept : stack_(stack) {}
        pop_on_exit(const pop_on_exit&) = delete;
        pop_on_exit& operator=(const pop_on_exit&) = delete;
        pop_on_exit(pop_on_exit&&) = delete;
        pop_on_exit& operator=(pop_on_exit&&) = delete;
        ~pop_on_exit() { stack_.pop_back(); }

    private:
        std::vector<std::type_index>& stack_;
    };

    template <class T, class F>
    void add(lifetime life, F make) {
        using made = std::invoke_result_t<F&, container&>;
        static_assert(std::is_convertible_v<made, std::shared_ptr<T>>,
                      "ce::container: the factory must return a shared_ptr or unique_ptr to T");
        const std::type_index key(typeid(T));
        std::erase(created_, key);
        entries_.insert_or_assign(key, entry{life,
            [make = std::move(make)](container& c) mutable -> std::shared_ptr<void> {
                return std::shared_ptr<T>(std::invoke(make, c));
            },
            nullptr});
    }

    [[nodiscard]] std::string describe_cycle(std::type_index repeated) const {
        std::string text = "dependency cycle: ";
        const auto first = std::find(resolving_.begin(), resolving_.end(), repeated);
        for (auto it = first; it != resolving_.end(); ++it) {
            text += demangle(it->name()) + " -> ";
        }
        return text + demangle(repeated.name());
    }

    std::unordered_map<std::type_index, entry> entries_;
    std::vector<std::type_index> resolving_;  // the factories running now, outermost first
    std::vector<std::type_index> created_;    // singletons in creation order
};

}  // namespace ce
