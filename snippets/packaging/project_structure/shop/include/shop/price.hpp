// shop/price.hpp: prices in whole cents. Everything under include/shop/ is the public
// interface: it is installed, and users include it as <shop/price.hpp>.
// [public-header]
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace shop {

/// An amount of money in cents.
struct price {
    std::int64_t cents = 0;
    friend bool operator==(price, price) = default;
};

/// Reads "12.34" as 1234 cents; throws std::invalid_argument on anything else.
/// Declared here, compiled once in src/price.cpp.
[[nodiscard]] price parse_price(std::string_view text);

/// Writes 1234 cents as "12.34"; the amount must not be negative. Compiled in src/price.cpp.
[[nodiscard]] std::string format_price(price amount);

namespace detail {
// Not part of the API: the inline function below needs it, so it must be in the
// header, and the namespace's name is all that keeps users away.
[[nodiscard]] constexpr std::int64_t percent_of(std::int64_t cents, std::int64_t percent) noexcept {
    return (cents * percent + 50) / 100;  // rounds half up
}
}  // namespace detail

/// The price plus a tax of `percent` percent, rounded to the nearest cent. Defined in
/// the header, so inline: every file that includes it compiles the same definition.
[[nodiscard]] inline price with_tax(price amount, std::int64_t percent) noexcept {
    return {amount.cents + detail::percent_of(amount.cents, percent)};
}

}  // namespace shop
// [public-header]
