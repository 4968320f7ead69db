"""The Python idiom that performance/benchmarking.cpp replaces, run by the build.

The region is what the page shows; the checks below it make the build fail if the
idiom ever stops behaving as the page says.
"""

import statistics
import timeit


def sum_of_squares(values):
    return sum(v * v for v in values)


# [python-idiom]
values = list(range(1, 4097))
times = timeit.repeat(lambda: sum_of_squares(values), number=100, repeat=7)
per_call = [t / 100 for t in times]                 # seconds per call, 7 repetitions
median = statistics.median(per_call)
q1, _, q3 = statistics.quantiles(per_call, n=4)     # the spread of the middle half
# timeit's own advice is min(times); a median with its spread says how far to trust it.
# [python-idiom]

assert sum_of_squares(values) == 4096 * 4097 * 8193 // 6
assert len(per_call) == 7 and all(t > 0 for t in per_call)
assert min(per_call) <= q1 <= median <= q3 <= max(per_call)

# The pitfall C++ has and Python does not: CPython never deletes a call whose result is
# unused, so this loop still does the work (its time is not zero).
unused = timeit.timeit(lambda: sum_of_squares(values) and None, number=10)
assert unused > 0
