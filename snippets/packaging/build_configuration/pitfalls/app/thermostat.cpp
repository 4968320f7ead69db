// The application's own code, written without -Wconversion, as its authors chose.
#include "units.hpp"

int setpoint_celsius(int fahrenheit) {
    return celsius_from_fahrenheit(fahrenheit);  // truncates toward zero, as intended
}
