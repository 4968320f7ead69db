"""The Python idiom that testing/fixtures_mocking.cpp replaces, run by the build.

The region is what the page shows: a pytest fixture that hands every test a fresh
in-memory fake, and unittest.mock objects that check what was called, with which
arguments and in which order. The checks below it run those tests with pytest, in this
process, and make the build fail if the idiom ever stops behaving as the page says.
Nothing is written to the tree: no cache folder, no bytecode.
"""

import sys
from dataclasses import dataclass, field
from unittest.mock import Mock, call

import pytest


@dataclass
class Order:
    customer: str
    lines: list = field(default_factory=list)  # (sku, quantity, cents each)


def checkout(order, gateway, mailer):
    total = sum(quantity * cents for _, quantity, cents in order.lines)
    gateway.charge(order.customer, total)
    mailer.send(order.customer, f"receipt: {total} cents")


# [python-idiom]
class FakeGateway:
    """A fake: a working payment gateway that keeps its ledger in memory."""

    def __init__(self):
        self.charges = []

    def charge(self, customer, cents):
        self.charges.append((customer, cents))


@pytest.fixture
def gateway():
    return FakeGateway()  # a fresh fake for every test that names it


def test_charges_the_total(gateway):
    mailer = Mock()
    checkout(Order("ada", [("apple", 2, 150)]), gateway, mailer)
    assert gateway.charges == [("ada", 300)]  # state, read from the fake
    mailer.send.assert_called_once_with("ada", "receipt: 300 cents")  # an interaction


def test_starts_from_an_empty_ledger(gateway):
    assert gateway.charges == []  # the previous test's charge is not here


def test_charges_before_mailing():
    parent = Mock()  # two mocks attached to one parent record one call order
    checkout(Order("ada", [("pear", 1, 80)]), parent.gateway, parent.mailer)
    assert parent.mock_calls == [
        call.gateway.charge("ada", 80),
        call.mailer.send("ada", "receipt: 80 cents"),
    ]
# [python-idiom]


class Outcomes:
    """A pytest plugin that keeps each test's outcome, by test name."""

    def __init__(self):
        self.by_test = {}

    def pytest_runtest_logreport(self, report):
        if report.when == "call":
            self.by_test[report.nodeid.rpartition("::")[2]] = report.outcome


if __name__ == "__main__":
    sys.dont_write_bytecode = True  # pytest imports this file again, as a test module
    outcomes = Outcomes()
    exit_code = pytest.main(["-q", "-p", "no:cacheprovider", __file__], plugins=[outcomes])
    assert exit_code == pytest.ExitCode.OK, exit_code
    assert outcomes.by_test == {
        "test_charges_the_total": "passed",
        "test_starts_from_an_empty_ledger": "passed",
        "test_charges_before_mailing": "passed",
    }, outcomes.by_test

    # The mock's checks can fail: a second receipt, or the wrong order of calls.
    mailer = Mock()
    mailer.send("ada", "receipt: 300 cents")
    mailer.send("ada", "receipt: 300 cents")
    try:
        mailer.send.assert_called_once_with("ada", "receipt: 300 cents")
    except AssertionError as error:
        assert "Expected 'send' to be called once. Called 2 times." in str(error), error
    else:
        raise AssertionError("assert_called_once_with accepted two calls")
    parent = Mock()
    parent.mailer.send("ada", "receipt: 80 cents")
    parent.gateway.charge("ada", 80)
    assert parent.mock_calls == [call.mailer.send("ada", "receipt: 80 cents"),
                                 call.gateway.charge("ada", 80)]  # recorded as called
    assert parent.mock_calls != [call.gateway.charge("ada", 80),
                                 call.mailer.send("ada", "receipt: 80 cents")]
