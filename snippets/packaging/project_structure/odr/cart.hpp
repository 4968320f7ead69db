#pragma once

/// Charges `cents` plus tax and counts a receipt; defined in cart.cpp.
int checkout(int cents);
