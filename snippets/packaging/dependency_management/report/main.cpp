// The program report's CMakeLists.txt builds: an order summary formatted with fmt.
#include <fmt/core.h>

#include <string_view>

int main() {
    // [use-fmt]
    struct line {
        std::string_view item;
        int cents;
    };
    constexpr line order[]{{"apples", 300}, {"pears", 250}};
    for (const auto& [item, cents] : order) {
        fmt::print("{:<8}{:>4}.{:02} EUR\n", item, cents / 100, cents % 100);
    }
    // FMT_VERSION is the version of the headers this file was compiled against.
    fmt::print("formatted by fmt {}.{}.{}\n", FMT_VERSION / 10000, FMT_VERSION / 100 % 100, FMT_VERSION % 100);
    // [use-fmt]
}
