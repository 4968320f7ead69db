"""The Python idiom that foundations/special_members.cpp replaces, run by the build.

The regions are what the page shows; the asserts make the build fail if the idiom ever
stops behaving as the page says.
"""

import copy
from dataclasses import dataclass, field


# [python-aliasing]
@dataclass
class Order:
    customer: str
    lines: list[tuple[str, int]] = field(default_factory=list)


original = Order("ada", [("book", 1)])
alias = original  # assignment binds a second name to the same object
alias.lines.append(("pen", 3))
assert original.lines == [("book", 1), ("pen", 3)]
assert alias is original  # identity: one object
# [python-aliasing]

# [python-copy]
shallow = copy.copy(original)  # a new Order that shares the lines list
deep = copy.deepcopy(original)  # a new Order with its own lines list
original.lines.append(("ink", 2))
assert shallow == original and shallow is not original  # equal value, other object
assert shallow.lines is original.lines  # the shallow copy sees the new line
assert deep.lines == [("book", 1), ("pen", 3)]  # the deep copy does not
# [python-copy]


# [python-dunder-copy]
class Connection:
    """Owns a socket: a copy would be a second owner, so copying is refused."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def __copy__(self):
        raise TypeError("a Connection has exactly one owner")

    def __deepcopy__(self, memo):
        raise TypeError("a Connection has exactly one owner")


conn = Connection(7)
try:
    copy.copy(conn)
except TypeError as e:
    refused = str(e)
# ...but nothing stops a second *name*: the refusal comes at run time, and only for copy.
second_owner = conn
# [python-dunder-copy]

assert refused == "a Connection has exactly one owner"
assert second_owner is conn
try:
    copy.deepcopy(conn)
    raise AssertionError("deepcopy must refuse too")
except TypeError:
    pass
