"""The Python idiom that performance/optimisation.cpp replaces, run by the build.

Three rewrites a profile points to in Python: a set instead of a list for membership,
functools.lru_cache on a pure recursive function, and a built-in (sum over a generator)
instead of a hand-written loop. Each rewrite must return what the original returned, on
the same inputs; the checks below say so. Timings depend on the machine: the page's
C++ benchmarks measure the C++ side, and nothing here asserts a time.
"""

import functools
import random


# [python-idiom]
def has_duplicate_list(ids):        # `in` on a list compares with every element: O(n²)
    seen = []
    for i in ids:
        if i in seen:
            return True
        seen.append(i)
    return False


def has_duplicate_set(ids):         # a set hashes: O(n)
    return len(set(ids)) != len(ids)


def partitions(n, largest):         # ways to write n as a sum of parts <= largest
    if n == 0:
        return 1
    if n < 0 or largest == 0:
        return 0
    return partitions(n - largest, largest) + partitions(n, largest - 1)


@functools.lru_cache(maxsize=None)  # the same function, each (n, largest) computed once
def partitions_cached(n, largest):
    if n == 0:
        return 1
    if n < 0 or largest == 0:
        return 0
    return partitions_cached(n - largest, largest) + partitions_cached(n, largest - 1)


def total_units_loop(quantities):
    total = 0
    for q in quantities:
        total += q
    return total


def total_units_builtin(quantities):  # the loop runs in C, inside sum()
    return sum(q for q in quantities)
# [python-idiom]


rng = random.Random(2024)  # a fixed seed: the same "random" inputs on every run

# Each rewrite equals its original: empty, small, large, with and without duplicates.
for ids in ([], [7], [7, 7], [1, 2, 3, 1], list(range(2000)), list(range(2000)) + [1999]):
    assert has_duplicate_list(ids) == has_duplicate_set(ids), ids
for _ in range(100):
    ids = [rng.randrange(1000) for _ in range(rng.randrange(60))]
    assert has_duplicate_list(ids) == has_duplicate_set(ids), ids

for n in range(0, 41):
    assert partitions(n, n) == partitions_cached(n, n), n
assert partitions_cached(100, 100) == 190_569_292  # p(100), the number of partitions of 100
# The cache answered: far fewer distinct calls than the recursion makes.
info = partitions_cached.cache_info()
assert info.hits > 0 and info.currsize == info.misses, info

for quantities in ([], [5], [rng.randrange(101) for _ in range(100_000)]):
    assert total_units_loop(quantities) == total_units_builtin(quantities)
