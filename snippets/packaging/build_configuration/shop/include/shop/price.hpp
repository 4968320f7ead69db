// shop: prices in cents and what a receipt line costs.
#pragma once

// [language-check]
// shop::shop requires cxx_std_20 (a PUBLIC compile feature), so every target that links
// it is compiled as C++20; a file compiled some other way fails here, clearly.
static_assert(__cplusplus >= 202002L, "shop needs C++20: link the shop::shop target");
// [language-check]

#include <cstdint>
#include <string>

namespace shop {

struct price {
    std::int64_t cents = 0;
    friend bool operator==(price, price) = default;
};

/// The cost of `quantity` items at `unit`. Throws std::overflow_error when it does not fit.
price line_total(price unit, std::int64_t quantity);

/// "12.34", as a receipt prints it.
std::string to_string(price amount);

}  // namespace shop
