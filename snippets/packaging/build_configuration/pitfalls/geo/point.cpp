#include <geo/point.hpp>

#include <cmath>

double geo::distance(point a, point b) { return std::hypot(a.x - b.x, a.y - b.y); }
