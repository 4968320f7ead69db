"""The Python idiom that performance/memory_profiling.cpp replaces, run by the build.

The region is what the page shows; the checks below it make the build fail if the
idiom ever stops behaving as the page says.
"""

import gc
import pathlib
import tracemalloc
import weakref


# [python-idiom]
def build_index(words):
    index = {}
    for word in words:
        index[word] = index.get(word, 0) + 1
    return index


words = [f"word-{n % 5000}" for n in range(200_000)]

tracemalloc.start()
before = tracemalloc.take_snapshot()
index = build_index(words)
after = tracemalloc.take_snapshot()
current, peak = tracemalloc.get_traced_memory()   # bytes now, and the most at once
tracemalloc.stop()

# The allocation sites that grew most between the snapshots, largest first:
# "memory_profiling.py:17: size=... (+...), count=... (+...), average=..."
top = after.compare_to(before, "lineno")[:3]
# [python-idiom]

source = pathlib.Path(__file__).read_text(encoding="utf-8").splitlines()
growth_line = source.index("        index[word] = index.get(word, 0) + 1") + 1

# The site that grew most is the line of build_index that inserts into the dict.
first = top[0]
assert first.traceback[0].filename == __file__, first
assert first.traceback[0].lineno == growth_line, (first, growth_line)
assert first.size_diff > 0 and first.count_diff > 0, first
assert str(first).startswith(f"{__file__}:{growth_line}: size="), str(first)
# The comment in the region names that line.
assert f'"memory_profiling.py:{growth_line}: size=' in "\n".join(source)

# The dict holds 5000 distinct words; the peak is at least what is still alive.
assert len(index) == 5000 and sum(index.values()) == len(words)
assert peak >= current > 0, (current, peak)

# Without tracing, snapshots are refused: tracemalloc costs only while it runs.
try:
    tracemalloc.take_snapshot()
except RuntimeError:
    pass
else:
    raise AssertionError("take_snapshot() works only while tracemalloc traces")


# A reference cycle: reference counting alone never frees it; the cycle collector does,
# which is what C++'s std::shared_ptr does not have.
class Folder:
    def __init__(self, name, parent=None):
        self.name = name
        self.parent = parent
        self.children = []
        if parent is not None:
            parent.children.append(self)


gc.disable()
root = Folder("root")
Folder("docs", root)
alive = weakref.ref(root)
del root
assert alive() is not None          # the child still refers to its parent
assert gc.collect() > 0             # the collector finds the unreachable cycle
assert alive() is None
gc.enable()


# The fix the C++ page uses as well: a child refers to its parent weakly.
class WeakFolder:
    def __init__(self, name, parent=None):
        self.name = name
        self.parent = weakref.ref(parent) if parent is not None else None
        self.children = []
        if parent is not None:
            parent.children.append(self)


gc.disable()
root = WeakFolder("root")
WeakFolder("docs", root)
alive = weakref.ref(root)
del root
assert alive() is None              # reference counting alone freed it
gc.enable()
