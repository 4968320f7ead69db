#pragma once
namespace geo {
struct point {
    double x = 0;
    double y = 0;
};
double distance(point a, point b);
}  // namespace geo
