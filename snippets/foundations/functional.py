"""The Python idioms that foundations/functional.cpp replaces, run by the build.

The region is what the page shows; the checks below it make the build fail if the
idioms ever stop behaving as the page says.
"""

import dataclasses
import operator
from dataclasses import dataclass, replace
from functools import cache, partial, reduce


# [python-idiom]
users = [("ada", 36), ("linus", 28)]
youngest_first = sorted(users, key=lambda user: user[1])   # a function as an argument


def at_least(limit):               # a function that returns a function
    return lambda age: age >= limit


adults = [name for name, age in users if at_least(30)(age)]
late = [lambda: i for i in range(3)]  # each closure looks i up when it is called
with_tax = partial(operator.mul, 1.25)       # functools.partial fixes an argument
total = reduce(operator.add, [1, 2, 3], 0)   # a fold with an initial value


@cache                             # remembers each argument's result
def fibonacci(n: int) -> int:
    return n if n < 2 else fibonacci(n - 1) + fibonacci(n - 2)


@dataclass(frozen=True)
class Order:
    id: int
    total: int


paid = Order(1, 100)
refunded = replace(paid, total=0)  # a changed copy; paid stays as it was


def describe(order: Order) -> str:
    match order:                   # takes a value apart by type and fields
        case Order(total=0):
            return "refunded"
        case Order():
            return "paid"
    return "unknown"
# [python-idiom]

assert youngest_first == [("linus", 28), ("ada", 36)]
assert adults == ["ada"]
assert [f() for f in late] == [2, 2, 2]   # late binding: all three see the last i
assert with_tax(80) == 100.0
assert total == 6
assert fibonacci(90) == 2_880_067_194_370_816_120
assert fibonacci.cache_info().misses == 91   # one evaluation per distinct argument
assert paid.total == 100 and refunded.total == 0
assert (describe(paid), describe(refunded)) == ("paid", "refunded")
try:
    paid.total = 0
except dataclasses.FrozenInstanceError:
    pass
else:
    raise AssertionError("a frozen dataclass accepted an assignment")
