"""The Python idiom that foundations/operators.cpp replaces, run by the build.

The regions are what the page shows; the asserts make the build fail if the idiom ever
stops behaving as the page says.
"""

import functools


# [python-dunders]
@functools.total_ordering  # derives <=, > and >= from __eq__ and __lt__
class Price:
    def __init__(self, cents: int) -> None:
        self.cents = cents

    def __eq__(self, other):
        return isinstance(other, Price) and self.cents == other.cents

    def __lt__(self, other):
        return self.cents < other.cents

    def __hash__(self):  # defining __eq__ set __hash__ to None: give it back
        return hash(self.cents)

    def __add__(self, other):
        return Price(self.cents + other.cents)

    def __mul__(self, n: int):
        return Price(self.cents * n)

    __rmul__ = __mul__  # 3 * price

    def __str__(self):
        sign = "-" if self.cents < 0 else ""
        return f"{sign}{abs(self.cents) // 100}.{abs(self.cents) % 100:02}"

    def __repr__(self):
        return f"Price({self.cents})"
# [python-dunders]


# [python-container]
class Cart:
    def __init__(self) -> None:
        self._lines: list[tuple[str, Price]] = []

    def add(self, sku: str, each: Price) -> None:
        self._lines.append((sku, each))

    def __len__(self):
        return len(self._lines)

    def __getitem__(self, i):
        return self._lines[i]

    def __iter__(self):
        return iter(self._lines)

    def __contains__(self, sku):
        return any(s == sku for s, _ in self._lines)

    def __bool__(self):
        return bool(self._lines)
# [python-container]


# [python-use]
assert Price(250) + Price(50) == Price(300) and 3 * Price(120) == Price(360)
assert sorted([Price(500), Price(120)])[0] == Price(120) and Price(100) >= Price(100)
assert f"{Price(1250)}" == "12.50" and f"{Price(1250)!r}" == "Price(1250)"
assert str([Price(150)]) == "[Price(150)]"  # a list shows its elements' repr
assert len({Price(1), Price(1)}) == 1  # equal prices hash equal

cart = Cart()
assert not cart
cart.add("tee", Price(1500))
cart.add("mug", Price(800))
assert cart and len(cart) == 2 and cart[1][0] == "mug" and "tee" in cart
assert sum((each for _, each in cart), Price(0)) == Price(2300)
# [python-use]


# [python-pitfalls]
class Sku:
    def __init__(self, code: str) -> None:
        self.code = code

    def __lt__(self, other):
        return self.code.lower() < other.code.lower()


assert not (Sku("tee") == Sku("tee"))  # no __eq__: == falls back to identity
assert (True + True) == 2  # bool is an int: truthiness leaks into arithmetic
# [python-pitfalls]

try:
    hash(type("NoHash", (), {"__eq__": lambda self, other: True})())
    raise AssertionError("a class that defines __eq__ alone must be unhashable")
except TypeError:
    pass
