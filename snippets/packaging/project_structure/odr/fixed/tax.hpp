#pragma once
// [inline]
// inline: every file that includes this header may define tax_cents and receipts, the
// definitions are the same tokens, and the program has one of each.
inline int tax_cents(int cents) {
    return cents / 5;
}
inline int receipts = 0;  // an inline variable (C++17): one object for the whole program
// [inline]

// [internal-linkage]
// Internal linkage in a header (C++ Core Guidelines SF.21 says don't): every file that
// includes it gets a receipts_here of its own.
namespace {
int receipts_here = 0;
}  // namespace
// [internal-linkage]
