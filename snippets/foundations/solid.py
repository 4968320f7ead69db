"""The Python idioms that foundations/solid.cpp replaces, run by the build.

The region is what the page shows; the checks below it make the build fail if the
idioms ever stop behaving as the page says.
"""

from typing import Callable, Protocol


# [python-idiom]
EXPORTERS: dict[str, Callable[[list[int]], str]] = {}


def exporter(name: str):           # open/closed: a format registers itself
    def register(f):
        EXPORTERS[name] = f
        return f
    return register


@exporter("csv")
def to_csv(values: list[int]) -> str:
    return ",".join(map(str, values))


def export(name: str, values: list[int]) -> str:   # never edited for a new format
    return EXPORTERS[name](values)


class OrderStore(Protocol):        # interface segregation: only what the service uses
    def save(self, order_id: int) -> None: ...


class Checkout:                    # dependency inversion: the store is passed in
    def __init__(self, store: OrderStore) -> None:
        self.store = store

    def place(self, order_id: int) -> None:
        self.store.save(order_id)


class MemoryStore:                 # conforms by having save(), with no base class
    def __init__(self) -> None:
        self.saved: list[int] = []

    def save(self, order_id: int) -> None:
        self.saved.append(order_id)


memory = MemoryStore()
Checkout(memory).place(7)
unchecked = Checkout(object())     # accepted: nothing checks a Protocol at run time
# [python-idiom]

assert export("csv", [1, 2, 3]) == "1,2,3"


@exporter("tsv")                   # a new format: one function, export() untouched
def to_tsv(values: list[int]) -> str:
    return "\t".join(map(str, values))


assert export("tsv", [1, 2]) == "1\t2"
assert memory.saved == [7]

# The broken promise shows up only when the missing method is called.
try:
    unchecked.place(8)
except AttributeError as error:
    assert "save" in str(error), error
else:
    raise AssertionError("a store without save() saved an order")
