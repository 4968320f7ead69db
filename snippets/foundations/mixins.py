"""The Python idiom that foundations/mixins.cpp replaces, run by the build.

The regions are what the page shows; the asserts make the build fail if the idiom ever
stops behaving as the page says.
"""


# [python-mixins]
class ReprMixin:
    def __repr__(self):
        return f"{type(self).__name__}({self.fields()})"


class InstanceCounter:
    live = 0  # one class attribute, shared by every subclass that does not shadow it

    def __init__(self):
        type(self).live += 1  # writes a new attribute on the subclass at first use


class Order(ReprMixin, InstanceCounter):
    def __init__(self, id: int, cents: int) -> None:
        super().__init__()
        self.id, self.cents = id, cents

    def fields(self):
        return f"id={self.id}, cents={self.cents}"


o = Order(7, 1250)
assert repr(o) == "Order(id=7, cents=1250)"
assert Order.live == 1 and InstanceCounter.live == 0
# [python-mixins]


# [python-mro]
class StockItem:
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.quantity = 0

    def restock(self, n):
        self.quantity += n


class Sellable(StockItem):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)  # calls the *next class in the MRO*, not StockItem
        self.price_cents = 0


class Rentable(StockItem):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.daily_cents = 0


class RentalShopItem(Sellable, Rentable):
    pass


# C3 linearisation: each class once, children before parents, left before right.
assert [c.__name__ for c in RentalShopItem.__mro__] == [
    "RentalShopItem", "Sellable", "Rentable", "StockItem", "object"]
bike = RentalShopItem()
bike.restock(5)  # one object, one quantity: there is only ever one StockItem "part"
assert bike.quantity == 5
# [python-mro]

# [python-bad-mro]
try:
    class Confused(StockItem, Sellable):  # a parent listed before its own child
        pass
except TypeError as e:
    message = str(e)
# [python-bad-mro]

assert " ".join(message.split()).startswith("Cannot create a consistent method resolution order"), message
