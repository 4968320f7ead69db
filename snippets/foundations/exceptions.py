"""The Python idiom that foundations/exceptions.cpp replaces, run by the build.

The region is what the page shows; the checks below it make the build fail if the
idiom ever stops behaving as the page says.
"""

import io
import sys
import traceback


# [python-hierarchy]
class ShopError(Exception):
    """Root of the shop's exceptions."""


class UsageError(ShopError):
    """The caller's fault: fix the request, do not retry."""


class TransientError(ShopError):
    """A resource was briefly unavailable: a retry may succeed."""


def load_user(user_id: int) -> dict:
    try:
        raise ConnectionRefusedError(111, "Connection refused")
    except OSError as exc:
        raise TransientError(f"loading user {user_id} failed") from exc
# [python-hierarchy]


stderr, sys.stderr = sys.stderr, io.StringIO()  # keep what the region prints

# [python-idiom]
try:
    load_user(42)
except ShopError as e:  # catches every leaf; e keeps its own type
    reaction = "retry later" if isinstance(e, TransientError) else "fix the request"
    cause = e.__cause__  # the ConnectionRefusedError, chained by `from`
    traceback.print_exception(e)  # the cause first, then the exception raised from it
# [python-idiom]

printed, sys.stderr = sys.stderr.getvalue(), stderr

assert reaction == "retry later"
assert isinstance(cause, ConnectionRefusedError)
assert printed.index("ConnectionRefusedError: [Errno 111] Connection refused") < printed.index(
    "The above exception was the direct cause of the following exception:"
) < printed.index("TransientError: loading user 42 failed"), printed
