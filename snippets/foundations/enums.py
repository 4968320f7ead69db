"""The Python idiom that foundations/enums.cpp replaces, run by the build.

The regions are what the page shows; the asserts make the build fail if the idiom ever
stops behaving as the page says.
"""

import enum
from typing import Literal, assert_never


# [python-enum]
class OrderStatus(enum.Enum):
    PENDING = "pending"
    PAID = "paid"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"


assert OrderStatus("paid") is OrderStatus.PAID  # lookup by value
assert OrderStatus.PAID.value == "paid" and OrderStatus.PAID.name == "PAID"
assert [s.value for s in OrderStatus] == ["pending", "paid", "shipped", "cancelled"]
assert OrderStatus.PAID != "paid"  # an Enum member is not its value
try:
    OrderStatus("lost")
except ValueError:
    pass  # not a member: an exception
# [python-enum]


# [python-exhaustive]
def can_cancel(status: OrderStatus) -> bool:
    match status:
        case OrderStatus.PENDING | OrderStatus.PAID:
            return True
        case OrderStatus.SHIPPED | OrderStatus.CANCELLED:
            return False
        case _:
            assert_never(status)  # mypy reports a member the cases forgot


def sort_numbers(values: list[int], order: Literal["asc", "desc"]) -> list[int]:
    return sorted(values, reverse=(order == "desc"))
# [python-exhaustive]


# [python-intenum]
class LegacyStatus(enum.IntEnum):
    PENDING = 0
    PAID = 1
    SHIPPED = 2


def restock(quantity: int) -> int:
    return quantity


assert restock(LegacyStatus.SHIPPED) == 2  # an IntEnum is an int wherever an int goes
assert sort_numbers([3, 1, 2], "descending") == [1, 2, 3]  # Literal is unchecked at run time
# [python-intenum]

assert can_cancel(OrderStatus.PAID) and not can_cancel(OrderStatus.SHIPPED)
assert sort_numbers([3, 1, 2], "desc") == [3, 2, 1]


# [python-flag]
class Permission(enum.Flag):
    READ = enum.auto()
    WRITE = enum.auto()
    REFUND = enum.auto()


clerk = Permission.READ | Permission.WRITE
assert Permission.WRITE in clerk and Permission.REFUND not in clerk
# [python-flag]
