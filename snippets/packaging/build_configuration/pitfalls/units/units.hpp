#pragma once
double celsius_from_fahrenheit(double fahrenheit);
