// A tool built on shop: it names no include folder and no language level of its own;
// linking shop::shop brought both.
#include <shop/price.hpp>

#include <cstdio>

int main() {
    const shop::price total = shop::line_total(shop::price{1999}, 3);
    std::printf("3 x 19.99 = %s\n", shop::to_string(total).c_str());
}
