// Mixins with CRTP, and why C++ multiple inheritance is not Python's MRO: the chapter
// page shows the named regions of this file.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <string>
#include <string_view>
#include <type_traits>

namespace shop {

// [crtp-mixins]
// A mixin is a base class template that takes the class it is mixed into (CRTP: the
// "curiously recurring template pattern"). It reaches the derived class's members
// through static_cast, resolved at compile time: no virtual function, no vtable.
template <typename Derived>
class repr_mixin {
public:
    // Python: def __repr__(self): return f"{type(self).__name__}({self.fields()})"
    [[nodiscard]] std::string repr() const {
        const auto& self = static_cast<const Derived&>(*this);
        return fmt::format("{}({})", Derived::type_name, self.fields());
    }

private:
    // Only Derived can construct the mixin, so a class that names the wrong Derived,
    // `class a : repr_mixin<b>`, cannot be constructed.
    repr_mixin() = default;
    friend Derived;
};

// Counts the live objects of each Derived type separately: every instantiation of
// the template has its own static member.
template <typename Derived>
class instance_counter {
public:
    [[nodiscard]] static int live() noexcept { return live_; }

private:
    instance_counter() noexcept { ++live_; }
    instance_counter(const instance_counter&) noexcept { ++live_; }
    instance_counter(instance_counter&&) noexcept { ++live_; }
    instance_counter& operator=(const instance_counter&) noexcept = default;
    instance_counter& operator=(instance_counter&&) noexcept = default;
    ~instance_counter() { --live_; }
    friend Derived;

    static inline int live_ = 0;
};
// [crtp-mixins]

// [crtp-use]
class order : public repr_mixin<order>, public instance_counter<order> {
public:
    static constexpr std::string_view type_name = "order";
    order(int id, long cents) : id_(id), cents_(cents) {}
    [[nodiscard]] std::string fields() const { return fmt::format("id={}, cents={}", id_, cents_); }

private:
    int id_;
    long cents_;
};

class refund : public repr_mixin<refund>, public instance_counter<refund> {
public:
    static constexpr std::string_view type_name = "refund";
    explicit refund(int order_id) : order_id_(order_id) {}
    [[nodiscard]] std::string fields() const { return fmt::format("order_id={}", order_id_); }

private:
    int order_id_;
};
// [crtp-use]

// [crtp-checks]
// The mixins add no data and no vtable: both are empty bases, which take no space.
static_assert(!std::is_polymorphic_v<order>);
static_assert(sizeof(order) == sizeof(long) * 2);  // just id_ (padded) and cents_

// A copy-paste slip, repr_mixin<order> instead of repr_mixin<mistaken>, is caught:
struct mistaken : repr_mixin<order> {};
static_assert(!std::is_default_constructible_v<mistaken>);
// [crtp-checks]

}  // namespace shop

TEST_CASE("CRTP mixins add members to each class without a virtual call") {
    // [crtp-test]
    const shop::order o(7, 1250);
    CHECK(o.repr() == "order(id=7, cents=1250)");
    CHECK(shop::refund(7).repr() == "refund(order_id=7)");

    CHECK(shop::order::live() == 1);
    {
        const shop::order other(8, 300);
        const shop::refund r(7);
        CHECK(shop::order::live() == 2);   // one counter per class...
        CHECK(shop::refund::live() == 1);  // ...not one shared by all of them
    }
    CHECK(shop::order::live() == 1);
    CHECK(shop::refund::live() == 0);
    // [crtp-test]
}

namespace shop {

// [diamond]
// Without `virtual`, each path to a base class brings its own copy of it: an
// item that is both sellable and rentable has two stock_item subobjects.
struct stock_item {
    int quantity = 0;
    void restock(int n) { quantity += n; }
};

struct sellable : stock_item {
    long price_cents = 0;
};

struct rentable : stock_item {
    long daily_cents = 0;
};

struct rental_shop_item : sellable, rentable {};

static_assert(sizeof(rental_shop_item) >= 2 * sizeof(stock_item) + 2 * sizeof(long));
// [diamond]

}  // namespace shop

TEST_CASE("a diamond without virtual inheritance holds its base twice") {
    // [diamond-test]
    shop::rental_shop_item bike;
    bike.sellable::restock(5);  // a name must say which stock_item it means
    CHECK(bike.sellable::quantity == 5);
    CHECK(bike.rentable::quantity == 0);  // the other copy never heard of it

    auto& as_sellable = static_cast<shop::stock_item&>(static_cast<shop::sellable&>(bike));
    auto& as_rentable = static_cast<shop::stock_item&>(static_cast<shop::rentable&>(bike));
    CHECK(&as_sellable != &as_rentable);  // two objects, two addresses
    // [diamond-test]
}

#ifdef CE_COMPILE_FAIL_AMBIGUOUS_CALL
namespace ambiguous {
// [ambiguous-call]
// The same diamond, reduced: which stock_item's restock() does the call mean?
struct stock_item {
    int quantity = 0;
    void restock(int n) { quantity += n; }
};
struct sellable : stock_item {};
struct rentable : stock_item {};
struct rental_shop_item : sellable, rentable {};

void receive_delivery(rental_shop_item& bike) {
    bike.restock(5);  // two stock_items, two restock()s: C++ refuses to guess
}
// [ambiguous-call]
}  // namespace ambiguous
#endif

namespace fixed {

// [virtual-diamond]
// `virtual` on both paths: one shared stock_item, as a Python object has one __dict__.
struct stock_item {
    int quantity = 0;
    explicit stock_item(int initial = 0) : quantity(initial) {}
    void restock(int n) { quantity += n; }
};

struct sellable : virtual stock_item {
    sellable() : stock_item(100) {}  // ignored unless sellable is the most derived class
};

struct rentable : virtual stock_item {
    rentable() : stock_item(200) {}  // ignored likewise
};

// The most derived class constructs the virtual base, and no one else does.
struct rental_shop_item : sellable, rentable {
    rental_shop_item() : stock_item(3) {}
};

// What it costs: each path holds a pointer (or offset) to the shared base, and an
// object with a virtual base is never trivially copyable.
static_assert(sizeof(sellable) >= sizeof(void*) + sizeof(stock_item));
static_assert(std::is_trivially_copyable_v<shop::rental_shop_item>);
static_assert(!std::is_trivially_copyable_v<rental_shop_item>);
// [virtual-diamond]

}  // namespace fixed

TEST_CASE("virtual inheritance shares one base, built by the most derived class") {
    // [virtual-diamond-test]
    fixed::rental_shop_item bike;
    CHECK(bike.quantity == 3);  // not 100, not 200: only the most derived initialiser ran
    bike.restock(5);            // unambiguous: one stock_item
    CHECK(bike.quantity == 8);
    CHECK(&static_cast<fixed::sellable&>(bike).quantity == &static_cast<fixed::rentable&>(bike).quantity);

    CHECK(fixed::sellable().quantity == 100);  // most derived itself: its initialiser runs
    // [virtual-diamond-test]
}
