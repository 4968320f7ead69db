#pragma once
/**
 * @file
 * A fixed-capacity map that evicts the least recently used entry: Python's
 * `functools.lru_cache` storage, or an `OrderedDict` with `move_to_end` and
 * `popitem(last=False)`, with O(1) lookups, insertions and evictions.
 *
 * Entries live in a doubly linked list ordered by recency (most recent first); a hash
 * index maps each key to its list node. Both are node-based, so a reference or pointer
 * to a cached value stays valid until that entry is evicted, erased or the cache is
 * destroyed, however many other entries come and go.
 *
 * A memoized lookup, the C++ spelling of the `functools.lru_cache` decorator:
 *
 * @snippet foundations/data_structures.cpp lru-memoize
 *
 * With a transparent `Hash` and `KeyEqual` (both declaring `is_transparent`), lookups
 * accept any key-like type they can hash and compare, such as a `std::string_view` for
 * `std::string` keys, without building a temporary key.
 */

#include <ce/error.hpp>

#include <concepts>
#include <cstddef>
#include <functional>
#include <list>
#include <type_traits>
#include <unordered_map>
#include <utility>

namespace ce {

namespace detail {

template <class T>
concept transparent = requires { typename T::is_transparent; };

// The index is keyed by pointers to the keys inside the list nodes, so each key is
// stored once. Node-based storage makes those pointers as stable as the nodes. Both
// function objects are always transparent towards the index, so a lookup never has to
// build a pointer to a temporary key.
template <class Key, class Hash>
struct key_ptr_hash {
    using is_transparent = void;
    Hash hash;
    std::size_t operator()(const Key* key) const { return hash(*key); }
    template <class K>
    std::size_t operator()(const K& key) const { return hash(key); }
};

// Copying a cache copies its entries and both function objects.
template <class Key, class Value, class Hash, class KeyEqual>
concept lru_copyable = std::copy_constructible<Key> && std::copy_constructible<Value> &&
                       std::copy_constructible<Hash> && std::copy_constructible<KeyEqual>;

template <class Key, class KeyEqual>
struct key_ptr_equal {
    using is_transparent = void;
    KeyEqual equal;
    bool operator()(const Key* a, const Key* b) const { return equal(*a, *b); }
    template <class K>
    bool operator()(const K& a, const Key* b) const { return equal(a, *b); }
    template <class K>
    bool operator()(const Key* a, const K& b) const { return equal(*a, b); }
};

}  // namespace detail

/**
 * A map of at most `capacity()` entries that evicts the least recently used one.
 *
 * `get` and `put` make an entry the most recently used; `peek` and `contains` do not.
 * Every operation is O(1) on average (one hash lookup plus constant list splicing;
 * `put` amortized, as the index grows), except `clear` and destruction, which are
 * O(size()). Nothing is allocated up front; each new entry allocates one list node
 * and one index node, and an eviction frees both.
 *
 * Reference stability: pointers and references returned by `get`, `peek` and `put`
 * stay valid across any other insertion, lookup or eviction, and are invalidated only
 * when their own entry is evicted or erased, or the cache is cleared or destroyed.
 *
 * Copies are deep and independent: a copy has its own entries, in the same recency
 * order, and its own index, and outlives its source. A move takes the entries over
 * without touching them, so references into the moved cache now belong to its new owner.
 *
 * Not thread-safe: even `get` writes (it reorders the recency list), so concurrent
 * use, reads included, needs one external lock around every call.
 *
 * @tparam Key      the key type; stored once, never modified while cached
 * @tparam Value    the cached value type
 * @tparam Hash     hashes keys; transparent hashing enables heterogeneous lookup
 * @tparam KeyEqual compares keys; must agree with `Hash`
 */
template <class Key, class Value, class Hash = std::hash<Key>, class KeyEqual = std::equal_to<Key>>
class lru_cache {
    using node_iterator = typename std::list<std::pair<const Key, Value>>::iterator;
    using index_type = std::unordered_map<const Key*, node_iterator, detail::key_ptr_hash<Key, Hash>,
                                          detail::key_ptr_equal<Key, KeyEqual>>;

public:
    /// An entry as iteration yields it: the key is const, the value is not.
    using value_type = std::pair<const Key, Value>;
    /// Iterates from the most to the least recently used entry.
    using const_iterator = typename std::list<value_type>::const_iterator;

    /**
     * An empty cache holding at most `capacity` entries.
     * @throws ce::usage_error if `capacity` is 0: such a cache could never return a hit.
     */
    explicit lru_cache(std::size_t capacity, const Hash& hash = Hash(), const KeyEqual& equal = KeyEqual())
        : capacity_(capacity), index_(0, {hash}, {equal}) {
        if (capacity == 0) {
            throw usage_error("lru_cache capacity must be greater than 0");
        }
    }

    /**
     * An independent copy: the same capacity, entries and recency order, with an index
     * of its own. Only when `Key`, `Value`, `Hash` and `KeyEqual` are copyable; otherwise
     * the cache is move-only and `std::is_copy_constructible` says so. O(size()).
     */
    lru_cache(const lru_cache& other)
        requires detail::lru_copyable<Key, Value, Hash, KeyEqual>
        : capacity_(other.capacity_),
          index_(other.index_.bucket_count(), other.index_.hash_function(), other.index_.key_eq()),
          entries_(other.entries_) {
        // The source's index points into the source's nodes: index the copied ones.
        for (auto node = entries_.begin(); node != entries_.end(); ++node) {
            index_.emplace(&node->first, node);
        }
    }

    /// Takes over `other`'s entries; their addresses, and references to their values,
    /// stay valid. `other` is left empty with its capacity, ready for reuse.
    lru_cache(lru_cache&& other) noexcept(std::is_nothrow_copy_constructible_v<Hash> &&
                                          std::is_nothrow_copy_constructible_v<KeyEqual>)
        : capacity_(other.capacity_), index_(std::move(other.index_)), entries_(std::move(other.entries_)) {
        // Moving an unordered_map copies its function objects: noexcept says so in terms
        // of the parameters; this checks the promise against the library's own rule.
        static_assert(!noexcept(lru_cache(std::move(other))) || std::is_nothrow_move_constructible_v<index_type>);
        other.clear();
    }

    /// Replaces this cache with an independent copy of `other` (see the copy
    /// constructor); strong guarantee. Self-assignment leaves the cache unchanged.
    lru_cache& operator=(const lru_cache& other)
        requires detail::lru_copyable<Key, Value, Hash, KeyEqual>
    {
        if (this != &other) {
            lru_cache copy(other);
            swap_with(copy);
        }
        return *this;
    }

    /// Replaces this cache's entries with `other`'s, as the move constructor takes them;
    /// `other` is left empty. Self-assignment leaves the cache unchanged.
    lru_cache& operator=(lru_cache&& other) noexcept(std::is_nothrow_copy_constructible_v<Hash> &&
                                                      std::is_nothrow_copy_constructible_v<KeyEqual> &&
                                                      std::is_nothrow_swappable_v<Hash> &&
                                                      std::is_nothrow_swappable_v<KeyEqual>) {
        static_assert(!noexcept(*this = std::move(other)) || std::is_nothrow_swappable_v<index_type>);
        if (this != &other) {
            lru_cache taken(std::move(other));
            swap_with(taken);
        }
        return *this;
    }

    /// Destroys every entry.
    ~lru_cache() = default;

    /**
     * The value cached for `key`, made the most recently used entry; `nullptr` on a miss.
     * @tparam K any type `Hash` and `KeyEqual` accept when both are transparent (no
     *           temporary `Key` is built); otherwise a type convertible to `Key`.
     */
    template <class K = Key>
    [[nodiscard]] Value* get(const K& key) {
        const auto found = find(key);
        if (found == index_.cend()) {
            return nullptr;
        }
        entries_.splice(entries_.begin(), entries_, found->second);  // relinks; no copy
        return &found->second->second;
    }

    /// The value cached for `key` without refreshing it; `nullptr` on a miss.
    /// @tparam K as for get()
    template <class K = Key>
    [[nodiscard]] const Value* peek(const K& key) const {
        const auto found = find(key);
        return found == index_.cend() ? nullptr : &found->second->second;
    }

    /// Whether `key` is cached; does not refresh it.
    /// @tparam K as for get()
    template <class K = Key>
    [[nodiscard]] bool contains(const K& key) const {
        return find(key) != index_.cend();
    }

    /**
     * Caches `value` under `key` as the most recently used entry and returns a reference
     * to the stored value. An existing entry is overwritten in place; a new entry that
     * brings the size over capacity() evicts the least recently used one.
     *
     * Strong guarantee for a new key: if allocation, `Hash` or `KeyEqual` throws, the
     * cache is unchanged. Overwriting gives the guarantee of `Value`'s move assignment.
     */
    Value& put(Key key, Value value) {
        if (const auto found = find(key); found != index_.cend()) {
            found->second->second = std::move(value);
            entries_.splice(entries_.begin(), entries_, found->second);
            return found->second->second;
        }
        // Every step that can throw (allocating, hashing, comparing) comes before the
        // commit, and a failure undoes the steps before it.
        std::list<value_type> fresh;
        fresh.emplace_back(std::move(key), std::move(value));
        const auto inserted = index_.emplace(&fresh.front().first, fresh.begin()).first;
        auto victim = index_.cend();
        if (entries_.size() == capacity_) {
            try {
                victim = index_.find(&entries_.back().first);
            } catch (...) {
                index_.erase(inserted);
                throw;
            }
        }
        // Commit: splicing keeps the node's address, and erasing by iterator never throws.
        entries_.splice(entries_.begin(), fresh);
        if (victim != index_.cend()) {
            index_.erase(victim);  // unindex before the key is destroyed
            entries_.pop_back();
        }
        return entries_.front().second;
    }

    /// Removes `key`'s entry; returns whether there was one.
    /// @tparam K as for get()
    template <class K = Key>
    bool erase(const K& key) {
        const auto found = find(key);
        if (found == index_.cend()) {
            return false;
        }
        const auto node = found->second;
        index_.erase(found);
        entries_.erase(node);
        return true;
    }

    /// Removes every entry; capacity() is unchanged.
    void clear() noexcept {
        index_.clear();
        entries_.clear();
    }

    /// The number of cached entries, at most capacity().
    [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }
    /// The maximum number of entries, fixed at construction.
    [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
    /// Whether the cache holds no entry.
    [[nodiscard]] bool empty() const noexcept { return entries_.empty(); }

    /// The most recently used entry; iteration does not refresh entries.
    [[nodiscard]] const_iterator begin() const noexcept { return entries_.begin(); }
    /// The end of the recency order, past the least recently used entry.
    [[nodiscard]] const_iterator end() const noexcept { return entries_.end(); }

private:
    // Swapping both containers keeps every node where it is, so each index entry still
    // points into the list it now shares an object with.
    void swap_with(lru_cache& other) noexcept(std::is_nothrow_swappable_v<index_type>) {
        std::swap(capacity_, other.capacity_);
        entries_.swap(other.entries_);
        index_.swap(other.index_);
    }

    // One lookup for every member: a const_iterator of the index still holds a mutable
    // node_iterator, which is all get() and put() need to relink or overwrite the entry.
    template <class K>
    typename index_type::const_iterator find(const K& key) const {
        constexpr bool heterogeneous = detail::transparent<Hash> && detail::transparent<KeyEqual>;
        static_assert(heterogeneous || std::is_same_v<K, Key> || std::is_convertible_v<const K&, Key>,
                      "lru_cache lookup: the key must convert to Key, or Hash and KeyEqual "
                      "must both be transparent (declare is_transparent)");
        if constexpr (heterogeneous || std::is_same_v<K, Key>) {
            return index_.find(key);
        } else {
            return index_.find(Key(key));  // like std::unordered_map: a temporary Key
        }
    }

    std::size_t capacity_;
    // The index comes first so that a move constructor whose index move throws (copying
    // a throwing Hash) fails before the entries leave `other`.
    index_type index_;
    std::list<value_type> entries_;  // most recently used first
};

}  // namespace ce
