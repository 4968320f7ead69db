// [implementation]
// The library's own header first: if it did not include what it uses, this file, the
// first to be compiled, would fail to compile.
#include <shop/price.hpp>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace shop {

namespace {
// Internal linkage: no other file of the program can call this, whatever it declares.
// The compiled counterpart of a Python module's _private helper.
[[noreturn]] void reject(std::string_view text) {
    throw std::invalid_argument("not a price: \"" + std::string(text) + '"');
}
}  // namespace

price parse_price(std::string_view text) {
    // Units, a point, two decimals; at most 18 digits, which always fit std::int64_t.
    const auto dot = text.find('.');
    if (dot == std::string_view::npos || dot == 0 || text.size() - dot != 3 || text.size() > 19) {
        reject(text);
    }
    std::int64_t cents = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (i == dot) {
            continue;
        }
        if (text[i] < '0' || text[i] > '9') {
            reject(text);
        }
        cents = cents * 10 + (text[i] - '0');
    }
    return {cents};
}

std::string format_price(price amount) {
    const auto rest = amount.cents % 100;
    return std::to_string(amount.cents / 100) + (rest < 10 ? ".0" : ".") + std::to_string(rest);
}

}  // namespace shop
// [implementation]
