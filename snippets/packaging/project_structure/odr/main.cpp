// [main]
#include "cart.hpp"
#include "tax.hpp"

#include <iostream>

int main() {
    std::cout << "checkout(1000) = " << checkout(1000) << '\n'
              << "checkout(250) = " << checkout(250) << '\n'
              << "receipts = " << receipts << '\n'             // counted in cart.cpp
              << "receipts_here = " << receipts_here << '\n';  // main.cpp's own: still 0
}
// [main]
