#include <shop/price.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace shop {

price line_total(price unit, std::int64_t quantity) {
    std::int64_t cents = 0;
    if (__builtin_mul_overflow(unit.cents, quantity, &cents)) {
        throw std::overflow_error("line_total: the total does not fit in 64 bits");
    }
    return price{cents};
}

std::string to_string(price amount) {
    // Unsigned negation is defined for every value, the most negative one included.
    const auto bits = static_cast<std::uint64_t>(amount.cents);
    const std::uint64_t magnitude = amount.cents < 0 ? 0 - bits : bits;
    std::string cents = std::to_string(magnitude % 100);
    if (cents.size() < 2) {
        cents.insert(0, "0");
    }
    return (amount.cents < 0 ? "-" : "") + std::to_string(magnitude / 100) + "." + cents;
}

}  // namespace shop
