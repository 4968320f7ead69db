#pragma once
// [non-inline]
// Definitions in a header, without inline: each .cpp file that includes this one
// defines tax_cents and receipts again, and the linker finds two of each.
int tax_cents(int cents) {
    return cents / 5;
}
int receipts = 0;
// [non-inline]

namespace {
int receipts_here = 0;  // as in fixed/tax.hpp
}  // namespace
