// SOLID, each letter with a before and an after: the chapter page shows the named
// regions of this file.
#include <ce/error.hpp>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iomanip>
#include <map>
#include <optional>
#include <ostream>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

// S: single responsibility ------------------------------------------------------------

namespace srp {

// [sale]
struct sale {
    std::string item;
    long long cents = 0;
};
// [sale]

namespace before {

// [srp-before]
// One class, three reasons to change: the arithmetic, the layout, and the destination.
// Testing the total means capturing a stream and parsing the text back.
class sales_report {
public:
    explicit sales_report(std::vector<sale> sales) : sales_(std::move(sales)) {}

    void print(std::ostream& out) const {
        long long total = 0;
        for (const sale& s : sales_) {
            total += s.cents;
        }
        out << "sales: " << sales_.size() << '\n'
            << "total: " << total / 100 << '.' << std::setw(2) << std::setfill('0') << total % 100
            << '\n';
    }

private:
    std::vector<sale> sales_;
};
// [srp-before]

}  // namespace before

// [srp-after]
// One reason to change each, and each testable alone.
struct sales_summary {
    std::size_t count = 0;
    long long total_cents = 0;
    friend bool operator==(const sales_summary&, const sales_summary&) = default;
};

// The arithmetic: no I/O, no formatting.
[[nodiscard]] sales_summary summarize(std::span<const sale> sales) {
    sales_summary summary;
    for (const sale& s : sales) {
        ++summary.count;
        summary.total_cents += s.cents;
    }
    return summary;
}

// The layout: a pure function from a summary to text.
[[nodiscard]] std::string render_text(const sales_summary& summary) {
    return fmt::format("sales: {}\ntotal: {}.{:02}\n", summary.count, summary.total_cents / 100,
                       summary.total_cents % 100);
}

// The destination stays with the caller: out << render_text(summarize(sales));
// [srp-after]

}  // namespace srp

TEST_CASE("the split report computes and renders separately, and prints what the old class did") {
    const std::vector<srp::sale> sales{{"coffee", 450}, {"bagel", 325}, {"juice", 1230}};
    // [srp-test]
    const srp::sales_summary summary = srp::summarize(sales);  // no stream involved
    CHECK(summary == srp::sales_summary{3, 2005});
    CHECK(srp::render_text({0, 0}) == "sales: 0\ntotal: 0.00\n");  // no sales involved

    std::ostringstream printed;  // the old class can only be tested through a stream
    srp::before::sales_report(sales).print(printed);
    CHECK(printed.str() == srp::render_text(summary));
    // [srp-test]
    // [srp-output]
    constexpr std::string_view expected = R"(
sales: 3
total: 20.05
)";
    // [srp-output]
    CHECK(srp::render_text(summary) == expected.substr(1));
}

// O: open/closed ----------------------------------------------------------------------

namespace ocp {

// [rows]
struct row {
    std::string name;
    int quantity = 0;
};

std::string to_csv(std::span<const row> rows) {
    std::string out = "name,qty\n";
    for (const row& r : rows) {
        out += fmt::format("{},{}\n", r.name, r.quantity);
    }
    return out;
}

std::string to_json(std::span<const row> rows) {
    std::string out = "[";
    for (const row& r : rows) {
        out += fmt::format(R"({}{{"name":"{}","qty":{}}})", out.size() > 1 ? "," : "", r.name,
                           r.quantity);
    }
    return out + "]";
}
// [rows]

namespace before {

// [ocp-before]
// Closed for extension: a new format edits the enum, this switch, and every other
// switch over `format` in the program.
enum class format : std::uint8_t { csv, json };

std::string export_rows(format f, std::span<const row> rows) {
    switch (f) {
        case format::csv: return to_csv(rows);
        case format::json: return to_json(rows);
    }
    throw std::invalid_argument("unknown export format");
}
// [ocp-before]

}  // namespace before

// [ocp-registry]
using exporter = std::function<std::string(std::span<const row>)>;

// Name -> exporter. A function-local static is built on first use, so a registrar in
// any file may run first: no static initialisation order fiasco.
std::map<std::string, exporter, std::less<>>& exporters() {
    static std::map<std::string, exporter, std::less<>> registry;
    return registry;
}

// A namespace-scope registrar adds a format while the program starts, like a Python
// decorator that fills a dict at import time. A duplicate name throws during static
// initialisation, which terminates the program before main: found at startup, not in
// production traffic.
struct registrar {
    registrar(std::string name, exporter export_fn) {
        if (!exporters().emplace(std::move(name), std::move(export_fn)).second) {
            throw std::logic_error("an exporter with this name is registered already");
        }
    }
};

// The dispatcher: written once, never edited when a format is added.
std::string export_rows(std::string_view name, std::span<const row> rows) {
    const auto found = exporters().find(name);
    if (found == exporters().end()) {
        throw ce::usage_error(fmt::format("no exporter named '{}'", name));
    }
    return found->second(rows);
}
// [ocp-registry]

// [ocp-shipped]
namespace csv_format {  // stands for csv_format.cpp
// NOLINTNEXTLINE(bugprone-throwing-static-initialization): a duplicate stops the start, on purpose
const registrar registered{"csv", to_csv};
}  // namespace csv_format

namespace json_format {  // stands for json_format.cpp
// NOLINTNEXTLINE(bugprone-throwing-static-initialization): a duplicate stops the start, on purpose
const registrar registered{"json", to_json};
}  // namespace json_format
// [ocp-shipped]

// [ocp-new-format]
// A new format is a new file. The book keeps one file per topic, so this namespace
// stands for tsv_format.cpp: nothing above it changed, and nothing else refers to it.
namespace tsv_format {

std::string to_tsv(std::span<const row> rows) {
    std::string out = "name\tqty\n";
    for (const row& r : rows) {
        out += fmt::format("{}\t{}\n", r.name, r.quantity);
    }
    return out;
}

// NOLINTNEXTLINE(bugprone-throwing-static-initialization): a duplicate stops the start, on purpose
const registrar registered{"tsv", to_tsv};

}  // namespace tsv_format
// [ocp-new-format]

}  // namespace ocp

TEST_CASE("a new exporter is reached through the unchanged dispatcher") {
    const std::vector<ocp::row> rows{{"apple", 3}, {"pear", 5}};
    CHECK(ocp::before::export_rows(ocp::before::format::csv, rows) == "name,qty\napple,3\npear,5\n");
    // [ocp-test]
    CHECK(ocp::export_rows("tsv", rows) == "name\tqty\napple\t3\npear\t5\n");
    CHECK(ocp::export_rows("csv", rows) == "name,qty\napple,3\npear,5\n");
    CHECK(ocp::export_rows("json", rows) == R"([{"name":"apple","qty":3},{"name":"pear","qty":5}])");
    CHECK_THROWS_AS(ocp::export_rows("xml", rows), ce::usage_error);

    std::vector<std::string> names;
    for (const auto& [name, unused] : ocp::exporters()) {
        names.push_back(name);
    }
    CHECK(names == std::vector<std::string>{"csv", "json", "tsv"});
    // [ocp-test]
}

// L: Liskov substitution --------------------------------------------------------------

namespace lsp {
namespace before {

// [lsp-before]
class rectangle {
public:
    rectangle(double width, double height) : width_(width), height_(height) {}
    virtual ~rectangle() = default;

    virtual void set_width(double width) { width_ = width; }
    virtual void set_height(double height) { height_ = height; }
    [[nodiscard]] double width() const noexcept { return width_; }
    [[nodiscard]] double height() const noexcept { return height_; }
    [[nodiscard]] double area() const noexcept { return width_ * height_; }

protected:  // C.67: no slicing copies of a polymorphic class
    rectangle(const rectangle&) = default;
    rectangle(rectangle&&) = default;
    rectangle& operator=(const rectangle&) = default;
    rectangle& operator=(rectangle&&) = default;

private:
    double width_;
    double height_;
};

// "A square is a rectangle", so it keeps its sides equal by overriding both setters.
class square final : public rectangle {
public:
    explicit square(double side) : rectangle(side, side) {}

    void set_width(double side) override { set_side(side); }
    void set_height(double side) override { set_side(side); }

private:
    void set_side(double side) {
        rectangle::set_width(side);
        rectangle::set_height(side);
    }
};
// [lsp-before]

// [tracked-rectangle]
// A subtype that overrides the setters and keeps every promise: it only counts resizes.
class tracked_rectangle final : public rectangle {
public:
    using rectangle::rectangle;

    void set_width(double width) override {
        ++resizes_;
        rectangle::set_width(width);
    }
    void set_height(double height) override {
        ++resizes_;
        rectangle::set_height(height);
    }
    [[nodiscard]] int resizes() const noexcept { return resizes_; }

private:
    int resizes_ = 0;
};
// [tracked-rectangle]

}  // namespace before

namespace after {

// [lsp-after]
// Two values, no inheritance between them: each keeps its own invariant. A square can
// become a rectangle by conversion, and then owes nothing to squareness.
class rectangle {
public:
    rectangle(double width, double height) : width_(width), height_(height) {}

    void set_width(double width) noexcept { width_ = width; }
    void set_height(double height) noexcept { height_ = height; }
    [[nodiscard]] double width() const noexcept { return width_; }
    [[nodiscard]] double height() const noexcept { return height_; }
    [[nodiscard]] double area() const noexcept { return width_ * height_; }

private:
    double width_;
    double height_;
};

class square {
public:
    explicit square(double side) : side_(side) {}

    void set_side(double side) noexcept { side_ = side; }
    [[nodiscard]] double side() const noexcept { return side_; }
    [[nodiscard]] double area() const noexcept { return side_ * side_; }
    [[nodiscard]] rectangle as_rectangle() const noexcept { return {side_, side_}; }

private:
    double side_;
};
// [lsp-after]

}  // namespace after
}  // namespace lsp

// [lsp-contract]
// What every user of a rectangle relies on, as a function that lists each broken
// promise instead of stopping at the first.
template <class Rectangle>
std::vector<std::string> rectangle_contract_violations(Rectangle& r) {
    std::vector<std::string> violations;
    const double height_before = r.height();
    r.set_width(5.0);
    if (r.width() != 5.0) {
        violations.push_back("set_width(5) did not set the width");
    }
    if (r.height() != height_before) {
        violations.push_back(fmt::format("set_width(5) changed the height from {} to {}",
                                         height_before, r.height()));
    }
    const double width_before = r.width();
    r.set_height(4.0);
    if (r.height() != 4.0) {
        violations.push_back("set_height(4) did not set the height");
    }
    if (r.width() != width_before) {
        violations.push_back(fmt::format("set_height(4) changed the width from {} to {}",
                                         width_before, r.width()));
    }
    if (r.area() != r.width() * r.height()) {
        violations.push_back("area() is not width() * height()");
    }
    return violations;
}

TEST_CASE_TEMPLATE("every rectangle honours the rectangle contract", Rectangle,
                   lsp::before::rectangle, lsp::before::tracked_rectangle, lsp::after::rectangle) {
    Rectangle r{3.0, 2.0};
    CHECK(rectangle_contract_violations(r) == std::vector<std::string>{});
}
// [lsp-contract]

TEST_CASE("the rectangle contract catches a square used as a rectangle") {
    // [lsp-catches-square]
    // Were square in the suite's type list, the suite would fail with exactly these two
    // messages. The test asserts them instead of leaving a red test behind.
    lsp::before::square sq{2.0};
    lsp::before::rectangle& r = sq;  // accepted: square is-a rectangle, says the type system
    CHECK(rectangle_contract_violations(r) == std::vector<std::string>{
              "set_width(5) changed the height from 2 to 5",
              "set_height(4) changed the width from 5 to 4",
          });
    // [lsp-catches-square]
}

TEST_CASE("a square that is not a rectangle keeps both contracts") {
    // [lsp-after-test]
    static_assert(!std::is_convertible_v<lsp::after::square&, lsp::after::rectangle&>);
    lsp::after::square sq{2.0};
    lsp::after::rectangle r = sq.as_rectangle();
    CHECK(rectangle_contract_violations(r).empty());
    CHECK(sq.side() == 2.0);  // the square kept its own invariant
    // [lsp-after-test]
}

// I: interface segregation ------------------------------------------------------------

namespace isp {

// [document]
struct document {
    std::string text;
};
// [document]

namespace before {

// [isp-before]
// One fat interface: every device must implement every operation, even those it lacks.
class office_device {
public:
    virtual ~office_device() = default;
    virtual void print(const document& doc) = 0;
    [[nodiscard]] virtual document scan() = 0;
    virtual void fax(const document& doc, std::string_view number) = 0;

protected:
    office_device() = default;
    office_device(const office_device&) = default;
    office_device(office_device&&) = default;
    office_device& operator=(const office_device&) = default;
    office_device& operator=(office_device&&) = default;
};

class desk_printer final : public office_device {
public:
    void print(const document& doc) override { printed_.push_back(doc.text); }
    [[nodiscard]] document scan() override { throw std::logic_error("desk_printer cannot scan"); }
    void fax(const document&, std::string_view) override {
        throw std::logic_error("desk_printer cannot fax");
    }

private:
    std::vector<std::string> printed_;
};
// [isp-before]

}  // namespace before

namespace after {

// [isp-after]
// Small interfaces, one per role (I.25): a device implements the roles it has, and a
// function asks for the one role it uses.
class printer {
public:
    virtual ~printer() = default;
    virtual void print(const document& doc) = 0;

protected:
    printer() = default;
    printer(const printer&) = default;
    printer(printer&&) = default;
    printer& operator=(const printer&) = default;
    printer& operator=(printer&&) = default;
};

class scanner {
public:
    virtual ~scanner() = default;
    [[nodiscard]] virtual document scan() = 0;

protected:
    scanner() = default;
    scanner(const scanner&) = default;
    scanner(scanner&&) = default;
    scanner& operator=(const scanner&) = default;
    scanner& operator=(scanner&&) = default;
};

class desk_printer final : public printer {
public:
    void print(const document& doc) override { printed_.push_back(doc.text); }
    [[nodiscard]] const std::vector<std::string>& printed() const noexcept { return printed_; }

private:
    std::vector<std::string> printed_;
};

class office_machine final : public printer, public scanner {
public:
    void print(const document& doc) override { last_ = doc; }
    [[nodiscard]] document scan() override { return last_; }

private:
    document last_;
};

void print_all(printer& device, std::span<const document> docs) {
    for (const document& doc : docs) {
        device.print(doc);
    }
}
// [isp-after]

}  // namespace after
}  // namespace isp

TEST_CASE("a fat interface compiles calls that can only fail") {
    // [isp-before-test]
    isp::before::desk_printer printer;
    isp::before::office_device& device = printer;
    device.print({"report"});
    CHECK_THROWS_AS((void)device.scan(), std::logic_error);  // found at run time, if at all
    // [isp-before-test]
}

TEST_CASE("segregated interfaces let the compiler check which roles a device has") {
    using namespace isp::after;
    // [isp-after-test]
    static_assert(!std::is_convertible_v<desk_printer*, scanner*>);  // no scan() to misuse
    static_assert(std::is_convertible_v<office_machine*, scanner*>);

    const std::vector<isp::document> docs{{"invoice"}, {"receipt"}};
    desk_printer desk;
    office_machine machine;
    print_all(desk, docs);  // print_all needs a printer and accepts both
    print_all(machine, docs);
    CHECK(desk.printed() == std::vector<std::string>{"invoice", "receipt"});
    CHECK(machine.scan().text == "receipt");
    // [isp-after-test]
}

// D: dependency inversion -------------------------------------------------------------

namespace dip {

// [order]
struct order {
    int id = 0;
    long long cents = 0;
    friend bool operator==(const order&, const order&) = default;
};
// [order]

namespace before {

// [dip-before]
// A database client; this one stands in for a real one and has no database to reach.
class postgres_orders {
public:
    void save(const order& o) {
        throw ce::transient_error(fmt::format("saving order {}: connection to db:5432 refused", o.id));
    }
};

// The policy builds its own client: it depends on a detail, and cannot run without one.
class order_service {
public:
    int place(long long cents) {
        const order o{next_id_++, cents};
        database_.save(o);
        return o.id;
    }

private:
    postgres_orders database_;
    int next_id_ = 1;
};
// [dip-before]

}  // namespace before

// [dip-after]
// The policy owns the abstraction it needs; the database adapts to it, not the reverse.
class order_repository {
public:
    virtual ~order_repository() = default;
    virtual void save(const order& o) = 0;
    [[nodiscard]] virtual std::optional<order> find(int id) const = 0;

protected:
    order_repository() = default;
    order_repository(const order_repository&) = default;
    order_repository(order_repository&&) = default;
    order_repository& operator=(const order_repository&) = default;
    order_repository& operator=(order_repository&&) = default;
};

class order_service {
public:
    explicit order_service(order_repository& orders) : orders_(&orders) {}

    int place(long long cents) {
        if (cents <= 0) {
            throw ce::usage_error("an order must cost something");
        }
        const order o{next_id_++, cents};
        orders_->save(o);
        return o.id;
    }

private:
    order_repository* orders_;  // never null: set from a reference; the caller owns it
    int next_id_ = 1;
};

// The detail implements the policy's interface, at the edge of the program.
class postgres_orders final : public order_repository {
public:
    void save(const order& o) override {
        throw ce::transient_error(fmt::format("saving order {}: connection to db:5432 refused", o.id));
    }
    [[nodiscard]] std::optional<order> find(int) const override { return std::nullopt; }
};
// [dip-after]

}  // namespace dip

TEST_CASE("a service that builds its own database cannot be tested without one") {
    // [dip-before-test]
    dip::before::order_service service;
    CHECK_THROWS_AS(service.place(1999), ce::transient_error);
    // [dip-before-test]
}

TEST_CASE("an injected fake replaces the database with no change to the service") {
    // [dip-after-test]
    class memory_orders final : public dip::order_repository {
    public:
        void save(const dip::order& o) override { orders_[o.id] = o; }
        [[nodiscard]] std::optional<dip::order> find(int id) const override {
            const auto found = orders_.find(id);
            return found == orders_.end() ? std::nullopt : std::optional(found->second);
        }

    private:
        std::map<int, dip::order> orders_;
    };

    memory_orders orders;
    dip::order_service service{orders};
    const int id = service.place(1999);
    CHECK(orders.find(id) == dip::order{id, 1999});
    CHECK_THROWS_AS(service.place(0), ce::usage_error);
    // [dip-after-test]

    dip::postgres_orders production;
    dip::order_service wired{production};  // the composition root wires the real one
    CHECK_THROWS_AS(wired.place(1999), ce::transient_error);
}

#ifdef CE_COMPILE_FAIL_MISSING_OPERATION
namespace dip::static_injection {
// [missing-operation]
// Static injection: a concept names every operation the policy uses (T.10), and the
// compiler checks a type against it where the type is used.
template <class Store>
concept order_store = requires(Store& store, const order& o, int id) {
    store.save(o);
    { store.find(id) } -> std::same_as<std::optional<order>>;
};

template <order_store Store>
int place_order(Store& store, const order& o) {
    if (!store.find(o.id)) {  // placing the same order twice saves it once
        store.save(o);
    }
    return o.id;
}

struct append_only_log {  // can save, cannot find: one operation short
    void save(const order&) {}
};

void checkout(append_only_log& log) {
    place_order(log, order{7, 1999});
}
// [missing-operation]
}  // namespace dip::static_injection
#endif
