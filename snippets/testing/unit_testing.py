"""The Python idiom that testing/unit_testing.cpp replaces, run by the build.

The region is what the page shows: a pytest module. The code under it runs pytest on
this very file, in-process, and checks what it reported, so the build fails if the
idiom ever stops behaving as the page says. Nothing is written to the tree: no cache
folder, no bytecode.
"""

import sys

sys.dont_write_bytecode = True  # pytest imports this file; leave no __pycache__ behind

import pytest  # noqa: E402


# [python-idiom]
def parse_cents(text: str) -> int:
    whole, _, fraction = text.partition(".")
    if not whole.isdigit() or len(fraction) > 2 or (fraction and not fraction.isdigit()):
        raise ValueError(f"not a price: {text!r}")
    return int(whole) * 100 + int(fraction.ljust(2, "0") or 0)


def test_whole_euros():                        # found by name, run one by one
    assert parse_cents("12") == 1200           # a plain assert; pytest shows both sides


@pytest.mark.parametrize("text, cents", [("0.5", 50), ("1.05", 105), ("007.10", 710)])
def test_table(text, cents):                   # one test per row, each reported alone
    assert parse_cents(text) == cents


def test_rejects_three_decimals():             # the exception's type and message
    with pytest.raises(ValueError, match="not a price: '1.005'"):
        parse_cents("1.005")


def test_average_is_approximately_right():     # floating point: never ==
    assert (0.1 + 0.2) / 2 == pytest.approx(0.15)
# [python-idiom]


class Collect:
    """A pytest plugin object that records each test's outcome."""

    def __init__(self):
        self.outcomes = {}

    def pytest_runtest_logreport(self, report):
        if report.when == "call":
            self.outcomes[report.nodeid.split("::")[-1]] = report.outcome


if __name__ == "__main__":
    collect = Collect()
    status = pytest.main(["-q", "-p", "no:cacheprovider", __file__],
                         plugins=[collect])
    assert status == 0, status
    # Six results from four test functions: the parametrised one runs once per row.
    assert collect.outcomes == {
        "test_whole_euros": "passed",
        "test_table[0.5-50]": "passed",
        "test_table[1.05-105]": "passed",
        "test_table[007.10-710]": "passed",
        "test_rejects_three_decimals": "passed",
        "test_average_is_approximately_right": "passed",
    }, collect.outcomes
    # The idiom's point: == on floats fails where approx passes.
    assert (0.1 + 0.2) / 2 != 0.15
