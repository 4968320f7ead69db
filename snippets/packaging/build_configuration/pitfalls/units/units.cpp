#include "units.hpp"

double celsius_from_fahrenheit(double fahrenheit) { return (fahrenheit - 32.0) * 5.0 / 9.0; }
