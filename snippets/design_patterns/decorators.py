"""The Python idiom that design_patterns/decorators.cpp replaces, run by the build.

The region is what the page shows; the checks below it make the build fail if the
idiom ever stops behaving as the page says. Nothing sleeps: tenacity's sleep is
replaced by a list that records the waits it asks for.
"""

import functools
import math

from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential


class TransientError(Exception):
    """A failure worth retrying."""


class ProfileStore:
    """Fails with TransientError `failures` times, then answers."""

    def __init__(self):
        self.failures = 0
        self.calls = 0
        self.error = TransientError

    def load(self, user_id):
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error(f"attempt {self.calls} failed")
        return {"id": user_id, "name": "Ada"}


profile_store = ProfileStore()


# [python-idiom]
def counted(f):
    @functools.wraps(f)                  # keep __name__, __doc__, __wrapped__
    def wrapper(*args, **kwargs):
        wrapper.calls += 1
        return f(*args, **kwargs)
    wrapper.calls = 0
    return wrapper

@retry(stop=stop_after_attempt(4), wait=wait_exponential(multiplier=0.1, max=1),
       retry=retry_if_exception_type(TransientError), reraise=True)   # tenacity
def fetch_profile(user_id):
    return profile_store.load(user_id)
# [python-idiom]


# counted: the wrapper counts calls and keeps the wrapped function's metadata.
def area(width, height=1):
    """Width times height."""
    return width * height


counted_area = counted(area)
assert counted_area(3, height=4) == 12 and counted_area(5) == 5
assert counted_area.calls == 2
assert counted_area.__name__ == "area" and counted_area.__doc__ == "Width times height."
assert counted_area.__wrapped__ is area

sleeps = []
fetch_profile.retry.sleep = sleeps.append


def fetch_with(failures, error=TransientError, fetch=fetch_profile):
    profile_store.failures, profile_store.calls, profile_store.error = failures, 0, error
    sleeps.clear()
    return fetch(42)


assert fetch_profile.__name__ == "fetch_profile"  # tenacity uses functools.wraps too


# Two transient failures: the third attempt succeeds after waits of 0.1 s and 0.2 s.
assert fetch_with(failures=2) == {"id": 42, "name": "Ada"}
assert profile_store.calls == 3
assert all(map(math.isclose, sleeps, [0.1, 0.2])) and len(sleeps) == 2, sleeps

# Four attempts, then the last TransientError itself is re-raised (reraise=True).
try:
    fetch_with(failures=10)
except TransientError as e:
    assert str(e) == "attempt 4 failed"
else:
    raise AssertionError("fetch_profile should have given up")
assert profile_store.calls == 4
assert all(map(math.isclose, sleeps, [0.1, 0.2, 0.4])) and len(sleeps) == 3, sleeps

# Any other exception is not retried.
try:
    fetch_with(failures=1, error=PermissionError)
except PermissionError:
    pass
else:
    raise AssertionError("a PermissionError should propagate at once")
assert profile_store.calls == 1 and sleeps == []

# The wait doubles up to max=1 s (checked with more attempts than the shown stop allows).
assert fetch_with(failures=6, fetch=fetch_profile.retry_with(stop=stop_after_attempt(7)))
assert all(map(math.isclose, sleeps, [0.1, 0.2, 0.4, 0.8, 1, 1])) and len(sleeps) == 6, sleeps
