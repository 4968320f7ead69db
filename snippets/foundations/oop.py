"""The Python idiom that foundations/oop.cpp replaces, run by the build.

The region is what the page shows; the checks below it make the build fail if the
idiom ever stops behaving as the page says.
"""

import abc
import copy
import math


# [python-idiom]
class Shape(abc.ABC):              # an interface: a class that cannot be instantiated
    @abc.abstractmethod
    def area(self) -> float: ...


class Circle(Shape):               # an implementation
    def __init__(self, radius: float) -> None:
        self.radius = radius

    def area(self) -> float:
        return math.pi * self.radius**2


class Square:                      # no base class: duck typing accepts it all the same
    def __init__(self, side: float) -> None:
        self.side = side

    def area(self) -> float:
        return self.side**2


class UndoStack(list):             # reuse by inheriting every method of a built-in
    def undo(self):
        return self.pop() if self else None


def total_area(shapes) -> float:
    return sum(s.area() for s in shapes)


shapes = [Circle(1.0), Square(2.0)]
same = shapes[0]                   # a second reference to the circle, not a copy
same.radius = 2.0                  # so the circle in the list changed
snapshot = copy.deepcopy(shapes)   # a copy is something you ask for
# [python-idiom]

assert shapes[0].radius == 2.0
assert math.isclose(total_area(shapes), 4 * math.pi + 4)
snapshot[0].radius = 3.0
assert shapes[0].radius == 2.0     # the deep copy is independent
assert math.isclose(total_area(snapshot), 9 * math.pi + 4)

try:
    Shape()
except TypeError as error:
    assert "abstract" in str(error), error
else:
    raise AssertionError("an abstract class was instantiated")

history = UndoStack([1, 2])
assert history.undo() == 2 and history.undo() == 1 and history.undo() is None
history.insert(0, 7)               # inherited too: nothing guards the stack's order
assert history == [7]
