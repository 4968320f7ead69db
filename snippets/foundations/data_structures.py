"""The Python idioms that foundations/data_structures.cpp replaces, run by the build.

The region is what the page shows; the checks below it make the build fail if the
idioms ever stop behaving as the page says.
"""

import heapq
import sys
from bisect import bisect_left, insort
from collections import Counter, OrderedDict, deque
from dataclasses import dataclass


# [python-idiom]
readings = [5, -1, 7]              # list: a growable array of references
stock = {"apple": 3, "pear": 0}    # dict: a hash table that keeps insertion order
window = deque([1, 2, 3], maxlen=3)
window.append(4)                   # a full deque drops from the other end: 2, 3, 4
words = Counter("the cat saw the dog".split())
top = words.most_common(1)         # the most frequent word and its count
queue = [5, 1, 4]
heapq.heapify(queue)               # a list arranged as a min-heap: queue[0] is smallest
ids = [10, 20, 30]
insort(ids, 25)                    # insert in order: 10, 20, 25, 30
where = bisect_left(ids, 25)       # binary search: index 2
recent = OrderedDict(a=1, b=2)
recent.move_to_end("a")            # order of use, as an LRU cache keeps it: b, a

@dataclass(frozen=True, order=True)
class Version:                     # __init__, __eq__ and __lt__ written for you
    major: int
    minor: int
# [python-idiom]


assert list(window) == [2, 3, 4]
assert top == [("the", 2)], top
assert queue[0] == 1 and heapq.heappop(queue) == 1
assert ids == [10, 20, 25, 30] and where == 2
assert list(recent) == ["b", "a"]
assert Version(1, 2) < Version(1, 10) and Version(1, 2) == Version(1, 2)
assert sorted([Version(2, 0), Version(1, 9)]) == [Version(1, 9), Version(2, 0)]

# Every element is a reference to a separate object: a list grows by copying references,
# never the objects, so an object found through the list stays where it is.
first = readings[0]
readings.extend(range(1000))
assert readings[0] is first
# Python's dict checks what C++ leaves to the programmer: changing a dict's size while
# iterating over it is an error.
try:
    for name in stock:
        del stock[name]
except RuntimeError as error:
    assert "dictionary changed size during iteration" in str(error)
else:
    sys.exit("a dict changed size during iteration without an error")
