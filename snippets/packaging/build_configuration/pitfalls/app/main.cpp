#include <geo/point.hpp>

#include <cstdio>

int main() { std::printf("%g\n", geo::distance({0, 0}, {3, 4})); }
