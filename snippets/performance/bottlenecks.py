"""The Python idiom that performance/bottlenecks.cpp replaces, run by the build.

The region is what the page shows; the checks below it make the build fail if the
idiom ever stops behaving as the page says.
"""

import cProfile
import pstats
from collections import Counter

customers = [(1000 + 7 * i, f"customer {i}") for i in range(300)]
orders = [(1000 + 7 * (i * 31 % 300), i % 997 + 1) for i in range(3000)]


# [python-idiom]
def find_customer(customer_id):
    return next((name for cid, name in customers if cid == customer_id), "(unknown)")


def revenue_by_customer_slow():
    totals = Counter()
    for customer_id, cents in orders:
        totals[find_customer(customer_id)] += cents
    return totals


with cProfile.Profile() as profile:                 # 1. measure and profile
    slow = revenue_by_customer_slow()
hot = max(pstats.Stats(profile).stats.items(), key=lambda item: item[1][3])  # cumtime


def revenue_by_customer():                          # 2. fix what the profile names
    names = dict(customers)
    totals = Counter()
    for customer_id, cents in orders:
        totals[names.get(customer_id, "(unknown)")] += cents
    return totals


assert revenue_by_customer() == slow                # 3. the fix computes the same
# [python-idiom]

# The function with the largest cumulative time, after the whole run, is the slow report
# (find_customer's generator is inside it); the fix agrees on every customer.
assert hot[0][2] in {"revenue_by_customer_slow", "find_customer", "<genexpr>"}, hot[0]
assert sum(slow.values()) == sum(cents for _, cents in orders)
assert len(slow) == 300
