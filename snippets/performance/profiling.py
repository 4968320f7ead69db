"""The Python idiom that performance/profiling.cpp replaces, run by the build.

The region is what the page shows; the checks below it make the build fail if the
idiom ever stops behaving as the page says.
"""

import cProfile
import io
import pstats
from collections import Counter


def make_log(lines):
    verbs, users = ["GET", "POST", "PUT", "DELETE"], ["ada", "grace", "linus", "guido", "bjarne"]
    state = 12345

    def next_value():
        nonlocal state
        state = (state * 1664525 + 1013904223) % 2**32
        return state

    log = []
    for _ in range(lines):
        verb = verbs[next_value() % 4]
        path = f"/Orders/{next_value() % 500}"
        status = "500" if next_value() % 10 == 0 else "200"
        log.append(f"{verb} {path} {status} user={users[next_value() % 5]} took={next_value() % 90}ms")
    return log


# [python-idiom]
def count_words(log):
    words = Counter()
    for line in log:
        words.update(word.lower() for word in line.split(" "))
    return words


log = make_log(20_000)
with cProfile.Profile() as profile:           # deterministic: every call is counted
    top = count_words(log).most_common(3)

report = io.StringIO()
pstats.Stats(profile, stream=report).sort_stats("tottime").print_stats(5)
# Every call is counted: the generator expression ran 120000 times, str.lower 100000.
# [python-idiom]

text = report.getvalue()
assert top[0][0] == "200", top           # nine lines in ten succeed, as in the C++ workload
assert "count_words" in text and "genexpr" in text, text
# The generator expression runs once per word plus once per line to finish: 5 * 20,000 + 20,000.
stats = pstats.Stats(profile)
genexpr = [calls for (_file, _line, name), (_prim, calls, *_rest) in stats.stats.items()
           if name == "<genexpr>" and _file.endswith("profiling.py") and _line > 30]
assert genexpr == [5 * 20_000 + 20_000] == [120000], genexpr
lower = [calls for (_file, _line, name), (_prim, calls, *_rest) in stats.stats.items()
         if name == "<method 'lower' of 'str' objects>"]
assert lower == [5 * 20_000] == [100000], lower
