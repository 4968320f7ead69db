"""The Python idioms that foundations/type_hints.cpp replaces, run by the build.

The region is what the page shows; the checks below it make the build fail if the
idioms ever stop behaving as the page says.
"""

from typing import Generic, NewType, Optional, Protocol, TypeVar, Union


# [python-idiom]
class Closeable(Protocol):         # structural: any class with close() conforms
    def close(self) -> None: ...


def close_all(resources: list[Closeable]) -> int:
    for resource in resources:
        resource.close()
    return len(resources)


T = TypeVar("T")


class Box(Generic[T]):             # one class, checked per type argument
    def __init__(self, item: T) -> None:
        self.item = item


UserId = NewType("UserId", int)    # distinct for the checker, a plain int at run time
OrderId = NewType("OrderId", int)


def find_user(user_id: UserId) -> Optional[str]:    # absence is in the signature
    return {UserId(36): "ada"}.get(user_id)


def parse(text: str) -> Union[int, ValueError]:     # so is failure
    try:
        return int(text)
    except ValueError as error:
        return error


wrong_id = find_user(OrderId(36))  # a type checker rejects this; Python runs it
# [python-idiom]


class Connection:                  # conforms to Closeable without naming it
    def __init__(self) -> None:
        self.closed = False

    def close(self) -> None:
        self.closed = True


connection = Connection()
assert close_all([connection]) == 1 and connection.closed
assert Box[int](5).item == 5
assert type(UserId(36)) is int and UserId(36) == OrderId(36)
assert wrong_id == "ada"           # the hints did not stop the call
assert find_user(UserId(1)) is None
assert parse("42") == 42 and isinstance(parse("x"), ValueError)
