// The program fetched's CMakeLists.txt builds: it prints the fmt it was compiled against.
#include <fmt/core.h>

int main() {
    fmt::print("formatted by fmt {}.{}.{}\n", FMT_VERSION / 10000, FMT_VERSION / 100 % 100, FMT_VERSION % 100);
}
