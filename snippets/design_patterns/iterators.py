"""The Python idiom that design_patterns/iterators.cpp replaces, run by the build.

The regions are what the page shows; the asserts make the build fail if the idiom ever
stops behaving as the page says.
"""

import itertools


# [python-send]
def running_total():
    total = 0
    while True:
        amount = yield total  # receives what send() passes
        if amount < 0:
            raise ValueError("a negative amount")
        total += amount


totals = running_total()
assert next(totals) == 0  # run to the first yield
assert totals.send(250) == 250
assert totals.send(100) == 350
try:
    totals.send(-5)
except ValueError:
    pass  # raised by the body, out of send()
try:
    totals.send(10)
except StopIteration:
    pass  # the body is finished
# [python-send]

try:
    running_total().send(1)
    raise AssertionError("sending to a just-started generator must fail")
except TypeError:
    pass

# [python-itertools]
skus, counts = ["tee", "mug", "cap"], [3, 1]
assert [f"{i}:{s}" for i, s in enumerate(skus)] == ["0:tee", "1:mug", "2:cap"]
assert [f"{s}x{n}" for s, n in zip(skus, counts)] == ["teex3", "mugx1"]  # "cap" dropped
assert list(itertools.chain([5, 3], [8, 1, 2])) == [5, 3, 8, 1, 2]
assert list(itertools.islice(itertools.count(10), 2, 5)) == [12, 13, 14]
assert list(itertools.takewhile(lambda x: x != 8, [5, 3, 8, 1])) == [5, 3]
assert list(itertools.dropwhile(lambda x: x != 8, [5, 3, 8, 1])) == [8, 1]
assert list(itertools.islice(itertools.accumulate(itertools.count(1)), 4)) == [1, 3, 6, 10]
# [python-itertools]

# [python-one-shot]
quantities = [1, 2, 3]
even = filter(lambda q: q % 2 == 0, quantities)
assert len(list(even)) == 1
assert len(list(even)) == 0  # an iterator is used up by the first pass
# [python-one-shot]
