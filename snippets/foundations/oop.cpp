// OOP, composition and inheritance: the chapter page shows the named regions of this file.
#include <ce/error.hpp>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <concepts>
#include <cstddef>
#include <memory>
#include <numbers>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace geo {

// [interface]
// Python: class Shape(abc.ABC) with @abstractmethod methods.
// A pure interface: no data, every function pure virtual (C.121).
class shape {
public:
    virtual ~shape() = default;  // deleting through a shape* runs the derived destructor (C.35)

    [[nodiscard]] virtual std::string name() const = 0;
    [[nodiscard]] virtual double area() const = 0;
    // A copy of the same kind, scaled by factor > 0. Copies of a polymorphic object
    // go through a virtual function, never through a copy constructor (C.130).
    [[nodiscard]] virtual std::unique_ptr<shape> scaled(double factor) const = 0;

protected:
    // Derived classes may copy their (empty) base part; no caller can copy or assign
    // through a shape&, which would slice (C.67).
    shape() = default;
    shape(const shape&) = default;
    shape(shape&&) = default;
    shape& operator=(const shape&) = default;
    shape& operator=(shape&&) = default;
};
// [interface]

// [implementations]
// Leaves are final: nothing derives from them, so copying one cannot slice, and a call
// through a circle& (not a shape&) needs no virtual dispatch.
class circle final : public shape {
public:
    explicit circle(double radius) : radius_(radius) {}

    [[nodiscard]] std::string name() const override { return "circle"; }
    [[nodiscard]] double area() const override { return std::numbers::pi * radius_ * radius_; }
    [[nodiscard]] std::unique_ptr<shape> scaled(double factor) const override {
        return std::make_unique<circle>(radius_ * factor);
    }

private:
    double radius_;
};

class rectangle final : public shape {
public:
    rectangle(double width, double height) : width_(width), height_(height) {}

    [[nodiscard]] std::string name() const override { return "rectangle"; }
    [[nodiscard]] double area() const override { return width_ * height_; }
    [[nodiscard]] std::unique_ptr<shape> scaled(double factor) const override {
        return std::make_unique<rectangle>(width_ * factor, height_ * factor);
    }

private:
    double width_;
    double height_;
};
// [implementations]

// [triangle]
class triangle final : public shape {
public:
    triangle(double base, double height) : base_(base), height_(height) {}

    [[nodiscard]] std::string name() const override { return "triangle"; }
    [[nodiscard]] double area() const override { return base_ * height_ / 2.0; }
    [[nodiscard]] std::unique_ptr<shape> scaled(double factor) const override {
        return std::make_unique<triangle>(base_ * factor, height_ * factor);
    }

private:
    double base_;
    double height_;
};
// [triangle]

}  // namespace geo

namespace {

// [make-sample]
// One sample object per implementation, for the contract suite.
template <class Shape>
Shape make_sample();
template <>
geo::circle make_sample<geo::circle>() { return geo::circle{1.5}; }
template <>
geo::rectangle make_sample<geo::rectangle>() { return geo::rectangle{2.0, 3.0}; }
template <>
geo::triangle make_sample<geo::triangle>() { return geo::triangle{4.0, 2.5}; }
// [make-sample]

}  // namespace

// [contract-suite]
// Python: an abstract test class, or a fixture parametrised over the implementations.
// The suite is written once, against the interface; each type in the list runs it.
TEST_CASE_TEMPLATE("every shape honours the shape contract", Shape,
                   geo::circle, geo::rectangle, geo::triangle) {
    const Shape sample = make_sample<Shape>();
    const geo::shape& s = sample;  // from here on, only the interface is visible

    CHECK_FALSE(s.name().empty());
    CHECK(s.area() > 0.0);

    const std::unique_ptr<geo::shape> tripled = s.scaled(3.0);
    REQUIRE(tripled != nullptr);
    CHECK(tripled->name() == s.name());  // scaling keeps the kind
    CHECK(tripled->area() == doctest::Approx(9.0 * s.area()));  // area grows by 3 squared
    CHECK(s.scaled(1.0)->area() == doctest::Approx(s.area()));
}
// [contract-suite]

TEST_CASE("deleting a shape through a base pointer runs the derived destructor") {
    // [virtual-destructor]
    // A shape that counts its destructions, so the test sees which destructor ran.
    class counted final : public geo::shape {
    public:
        explicit counted(int& destroyed) : destroyed_(&destroyed) {}
        counted(const counted&) = delete;
        counted& operator=(const counted&) = delete;
        counted(counted&&) = delete;
        counted& operator=(counted&&) = delete;
        ~counted() override { ++*destroyed_; }

        [[nodiscard]] std::string name() const override { return "counted"; }
        [[nodiscard]] double area() const override { return 1.0; }
        [[nodiscard]] std::unique_ptr<geo::shape> scaled(double) const override {
            return std::make_unique<counted>(*destroyed_);
        }

    private:
        int* destroyed_;
    };

    static_assert(std::has_virtual_destructor_v<geo::shape>);
    int destroyed = 0;
    {
        const std::unique_ptr<geo::shape> owner = std::make_unique<counted>(destroyed);
        CHECK(destroyed == 0);
    }  // ~unique_ptr<shape> runs `delete` on a shape*: the virtual destructor finds ~counted
    CHECK(destroyed == 1);
    // [virtual-destructor]
}

namespace sliced {

// [slicing-bug]
// A concrete base with a public copy constructor. Python cannot slice: a Python
// variable is always a reference to the whole object. A C++ variable is the object.
class plan {  // NOLINT(cppcoreguidelines-special-member-functions): the implicit copy is the bug
public:
    virtual ~plan() = default;
    [[nodiscard]] virtual int monthly_cents() const { return 999; }
};

class family_plan : public plan {
public:
    [[nodiscard]] int monthly_cents() const override { return 1499; }
};

int invoice_cents(const plan& p) {
    // NOLINTNEXTLINE(performance-unnecessary-copy-initialization): this copy is the bug shown
    plan billed = p;  // copies only the plan part of a family_plan: it is sliced off
    return billed.monthly_cents();
}
// [slicing-bug]

}  // namespace sliced

TEST_CASE("copying a polymorphic object through a base reference slices it") {
    // [slicing-bug-result]
    const sliced::family_plan family;
    CHECK(family.monthly_cents() == 1499);
    CHECK(sliced::invoice_cents(family) == 999);  // billed as the cheaper base plan
    // [slicing-bug-result]
}

#ifdef CE_COMPILE_FAIL_SLICING_COPY
namespace guarded {
// [slicing-copy]
class plan {
public:
    plan() = default;
    virtual ~plan() = default;
    [[nodiscard]] virtual int monthly_cents() const { return 999; }

protected:  // C.67: only a derived class may copy a plan's base part
    plan(const plan&) = default;
    plan& operator=(const plan&) = default;
};

int invoice_cents(const plan& p) {
    plan billed = p;  // the slicing copy no longer compiles
    return billed.monthly_cents();
}
// [slicing-copy]
}  // namespace guarded
#endif

TEST_CASE("a polymorphic base is neither copyable nor assignable; its final leaves are") {
    // [not-copyable]
    // An abstract class cannot be copied into a variable at all. The slicing route left
    // open is assignment through references, *a = *b, and the protected operator= closes it.
    static_assert(!std::is_copy_constructible_v<geo::shape>);
    static_assert(!std::is_copy_assignable_v<geo::shape>);
    static_assert(!std::is_move_assignable_v<geo::shape>);

    // A final leaf has nothing below it to slice off: it is an ordinary value again.
    static_assert(std::is_final_v<geo::circle>);
    static_assert(std::is_copy_constructible_v<geo::circle>);
    static_assert(std::is_copy_assignable_v<geo::circle>);

    const geo::circle unit{1.0};
    // NOLINTNEXTLINE(performance-unnecessary-copy-initialization): the copy is what this shows
    geo::circle copy = unit;
    CHECK(copy.area() == doctest::Approx(std::numbers::pi));
    // [not-copyable]
}

namespace inherits {

// [composition-before]
// Python: class UndoStack(list). Inheriting for reuse brings the base's whole interface:
// insert, erase, operator[] ... every one of them can break "last in, first out".
class undo_stack : public std::vector<std::string> {
public:
    void push(std::string action) { push_back(std::move(action)); }

    // Precondition: not empty.
    [[nodiscard]] std::string pop() {
        std::string last = std::move(back());
        pop_back();
        return last;
    }
};
// [composition-before]

}  // namespace inherits

TEST_CASE("inheriting from a container exposes operations that break its invariant") {
    // [composition-leak]
    inherits::undo_stack history;
    history.push("type 'a'");
    history.push("type 'b'");
    history.push("bold");
    history.erase(history.begin());    // compiles: vector's interface came along
    history[0] = "delete everything";  // so does rewriting history
    CHECK(history.pop() == "bold");
    CHECK(history.pop() == "delete everything");  // undoing what never happened
    // [composition-leak]
}

namespace composes {

// [composition-after]
// Has-a, not is-a: the vector is a private detail and only the stack's own operations
// exist. Changing it to a std::deque later touches no caller.
class undo_stack {
public:
    void push(std::string action) { actions_.push_back(std::move(action)); }

    [[nodiscard]] std::optional<std::string> pop() {
        if (actions_.empty()) {
            return std::nullopt;
        }
        std::string last = std::move(actions_.back());
        actions_.pop_back();
        return last;
    }

    [[nodiscard]] std::size_t size() const noexcept { return actions_.size(); }

private:
    std::vector<std::string> actions_;
};
// [composition-after]

}  // namespace composes

// [composition-test]
template <class Stack>
concept exposes_vector = requires(Stack& s) {
    s.erase(s.begin());
    s[0];
};

TEST_CASE("a composed stack offers only its own operations") {
    static_assert(exposes_vector<inherits::undo_stack>);
    static_assert(!exposes_vector<composes::undo_stack>);

    composes::undo_stack history;
    history.push("type 'a'");
    history.push("bold");
    CHECK(history.pop() == "bold");
    CHECK(history.pop() == "type 'a'");
    CHECK(history.pop() == std::nullopt);  // an empty pop is a value, not undefined behaviour
}
// [composition-test]

namespace logs {

// [nvi]
// Non-virtual interface: the public function is not virtual, so every sink gets the same
// checks and bookkeeping; a derived class customises only the private step.
class sink {
public:
    virtual ~sink() = default;
    sink(const sink&) = delete;  // a sink is an identity, not a value (C.67)
    sink& operator=(const sink&) = delete;
    sink(sink&&) = delete;
    sink& operator=(sink&&) = delete;

    void write(std::string_view line) {
        if (line.find('\n') != std::string_view::npos) {
            throw ce::usage_error("a log line must not contain a newline");
        }
        do_write(line);
        ++lines_;  // counted once the derived write succeeded
    }

    [[nodiscard]] std::size_t lines() const noexcept { return lines_; }

protected:
    sink() = default;

private:
    virtual void do_write(std::string_view line) = 0;  // the customisation point
    std::size_t lines_ = 0;  // private, not protected: no derived class can corrupt it (C.133)
};

class memory_sink final : public sink {
public:
    [[nodiscard]] const std::vector<std::string>& contents() const noexcept { return stored_; }

private:
    void do_write(std::string_view line) override { stored_.emplace_back(line); }
    std::vector<std::string> stored_;
};
// [nvi]

}  // namespace logs

TEST_CASE("the non-virtual interface enforces its checks for every override") {
    // [nvi-test]
    logs::memory_sink memory;
    logs::sink& out = memory;
    out.write("service started");
    CHECK_THROWS_AS(out.write("two\nlines"), ce::usage_error);
    CHECK(memory.contents() == std::vector<std::string>{"service started"});  // never saw it
    CHECK(out.lines() == 1);
    // [nvi-test]
}

namespace drawing {

// [duck-types]
// Plain values: no base class, no virtual functions. As with Python's duck typing, what
// makes them shapes is the operations they support, here free functions.
struct disc {
    double radius;
};

struct square {
    double side;
};

double area(const disc& d) { return std::numbers::pi * d.radius * d.radius; }
double area(const square& s) { return s.side * s.side; }
void scale(disc& d, double factor) { d.radius *= factor; }
void scale(square& s, double factor) { s.side *= factor; }
std::string describe(const disc& d) { return fmt::format("disc r={}", d.radius); }
std::string describe(const square& s) { return fmt::format("square side={}", s.side); }

// The duck test, written down: a concept plays the part of a typing.Protocol.
template <class T>
concept shape_like = std::copyable<T> && requires(T& s, const T& cs, double factor) {
    { area(cs) } -> std::convertible_to<double>;
    { describe(cs) } -> std::convertible_to<std::string>;
    scale(s, factor);
};
// [duck-types]

// [type-erasure]
// A value that holds any shape_like type and copies deeply. The inheritance is hidden
// inside it; the types it holds need no base class (Sean Parent's "concept/model").
class any_shape {
public:
    // Implicit on purpose, like std::function: any_shape s = disc{1.0};
    // The same_as test comes first so that copying an any_shape never asks whether
    // any_shape itself is shape_like (a recursive constraint).
    template <class T>
        requires(!std::same_as<T, any_shape> && shape_like<T>)
    any_shape(T value) : self_(std::make_unique<model<T>>(std::move(value))) {}

    any_shape(const any_shape& other) : self_(other.self_->clone()) {}
    // NOLINTNEXTLINE(bugprone-unhandled-self-assignment): clone, then replace, is safe for s = s
    any_shape& operator=(const any_shape& other) {
        self_ = other.self_->clone();  // clone first: if it throws, *this is unchanged
        return *this;
    }
    // A moved-from any_shape may only be assigned to or destroyed.
    any_shape(any_shape&&) noexcept = default;
    any_shape& operator=(any_shape&&) noexcept = default;
    ~any_shape() = default;

    friend double area(const any_shape& s) { return s.self_->area_of(); }
    friend std::string describe(const any_shape& s) { return s.self_->describe_of(); }
    friend void scale(any_shape& s, double factor) { s.self_->scale_by(factor); }

private:
    struct concept_t {  // the interface, private: only any_shape ever sees it
        concept_t() = default;
        concept_t(const concept_t&) = delete;  // copies go through clone() (C.130)
        concept_t& operator=(const concept_t&) = delete;
        concept_t(concept_t&&) = delete;
        concept_t& operator=(concept_t&&) = delete;
        virtual ~concept_t() = default;
        [[nodiscard]] virtual std::unique_ptr<concept_t> clone() const = 0;
        [[nodiscard]] virtual double area_of() const = 0;
        [[nodiscard]] virtual std::string describe_of() const = 0;
        virtual void scale_by(double factor) = 0;
    };

    template <class T>
    struct model final : concept_t {  // one implementation per held type, made by the compiler
        explicit model(T v) : value(std::move(v)) {}
        [[nodiscard]] std::unique_ptr<concept_t> clone() const override {
            return std::make_unique<model>(value);  // copies the held value itself
        }
        [[nodiscard]] double area_of() const override { return area(value); }
        [[nodiscard]] std::string describe_of() const override { return describe(value); }
        void scale_by(double factor) override { scale(value, factor); }
        T value;
    };

    std::unique_ptr<concept_t> self_;
};
// [type-erasure]

// [variant]
// A closed set: every alternative is listed here, so the compiler can check that each
// operation handles all of them. Adding a type means editing this line.
using figure = std::variant<disc, square>;

double area(const figure& f) {
    return std::visit([](const auto& s) { return area(s); }, f);
}

struct perimeter_of {  // one overload per alternative, no catch-all
    double operator()(const disc& d) const { return 2.0 * std::numbers::pi * d.radius; }
    double operator()(const square& s) const { return 4.0 * s.side; }
};

double perimeter(const figure& f) { return std::visit(perimeter_of{}, f); }
// [variant]

}  // namespace drawing

TEST_CASE("a type-erased shape copies deeply") {
    using drawing::any_shape;
    // [deep-copy]
    static_assert(!std::is_polymorphic_v<drawing::disc>);  // no vtable in the held types

    const any_shape original = drawing::disc{1.0};
    any_shape copy = original;
    scale(copy, 2.0);
    CHECK(area(copy) == doctest::Approx(4.0 * std::numbers::pi));
    CHECK(area(original) == doctest::Approx(std::numbers::pi));  // untouched
    CHECK(describe(original) == "disc r=1");

    // A vector of values copies deeply too; a vector<unique_ptr<shape>> does not copy.
    std::vector<any_shape> picture{drawing::disc{1.0}, drawing::square{2.0}};
    const std::vector<any_shape> backup = picture;
    for (any_shape& s : picture) {
        scale(s, 10.0);
    }
    CHECK(area(picture[1]) == doctest::Approx(400.0));
    CHECK(area(backup[1]) == doctest::Approx(4.0));
    // [deep-copy]
}

TEST_CASE("a type-erased shape survives assignment to itself and from a temporary") {
    drawing::any_shape s = drawing::square{3.0};
    const drawing::any_shape& same = s;  // through a reference, as a generic swap would
    s = same;                            // clones, then replaces: ASan checks no use-after-free
    CHECK(describe(s) == "square side=3");
    s = drawing::any_shape{drawing::disc{2.0}};  // move-assigned from a temporary
    CHECK(area(s) == doctest::Approx(4.0 * std::numbers::pi));
}

TEST_CASE("a vector of any_shape describes each shape through one interface") {
    using drawing::any_shape;
    std::vector<any_shape> picture{drawing::disc{1.0}, drawing::square{2.0}};
    any_shape big = picture.front();
    scale(big, 10.0);
    picture.push_back(big);

    std::string printed;
    for (const any_shape& s : picture) {
        printed += fmt::format("{}: area {:.2f}\n", describe(s), area(s));
    }
    // [any-shape-output]
    constexpr std::string_view expected = R"(
disc r=1: area 3.14
square side=2: area 4.00
disc r=10: area 314.16
)";
    // [any-shape-output]
    CHECK(printed == expected.substr(1));
}

TEST_CASE("a variant handles a closed set of shapes by value") {
    using drawing::figure;
    // [variant-test]
    std::vector<figure> figures{drawing::disc{1.0}, drawing::square{2.0}};
    double total = 0.0;
    for (const figure& f : figures) {
        total += area(f);
    }
    CHECK(total == doctest::Approx(std::numbers::pi + 4.0));
    CHECK(perimeter(figures[1]) == doctest::Approx(8.0));

    std::vector<figure> edited = figures;  // values all the way down: no clone() needed
    std::get<drawing::square>(edited[1]).side = 3.0;
    CHECK(std::get<drawing::square>(figures[1]).side == 2.0);
    // [variant-test]
}
