"""The Python idiom that design_patterns/generators.cpp replaces, run by the build.

The region is what the page shows; the checks below it make the build fail if the
idiom ever stops behaving as the page says.
"""

import inspect
import pathlib
from itertools import islice


# [python-idiom]
def fibonacci():
    a, b = 0, 1
    while True:
        yield a
        a, b = b, a + b

first_ten = list(islice(fibonacci(), 10))   # [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]
# [python-idiom]

assert first_ten == [0, 1, 1, 2, 3, 5, 8, 13, 21, 34], first_ten
# The comment in the region is the value the line computed.
assert f"  # {first_ten}\n" in pathlib.Path(__file__).read_text(encoding="utf-8")

# Calling the function runs none of its body: the generator has not started.
numbers = fibonacci()
assert inspect.getgeneratorstate(numbers) == inspect.GEN_CREATED

# islice takes ten values and resumes the body no further: the eleventh is still there.
assert list(islice(numbers, 10)) == first_ten
assert next(numbers) == 55


# Closing a generator early raises GeneratorExit at its yield, so `finally` still runs.
events = []


def lines(source):
    try:
        yield from source
    except GeneratorExit:
        events.append("GeneratorExit")
        raise
    finally:
        events.append("finally")


reader = lines(["a", "b", "c"])
assert next(reader) == "a"
reader.close()
assert events == ["GeneratorExit", "finally"], events
