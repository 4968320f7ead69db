"""The Python idiom that testing/testable_design.cpp replaces, run by the build.

The region is what the page shows: a property-based test with Hypothesis, which finds
a failing input and shrinks it to the smallest one it can. The checks below it make
the build fail if Hypothesis ever stops finding and shrinking it as the page says.
Nothing is written to the tree: the example database is off (database=None) and the
caches go to a temporary folder.
"""

import atexit
import itertools
import os
import shutil
import tempfile

# Hypothesis caches data (a table of Unicode characters) in ./.hypothesis unless told
# otherwise; a test must leave the tree as it found it.
_storage = tempfile.mkdtemp(prefix="hypothesis-")
atexit.register(shutil.rmtree, _storage, ignore_errors=True)
os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = _storage

from hypothesis import find, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


# [python-idiom]
def rle_encode(text):                 # "aaab" -> "3a1b"
    return "".join(f"{len(list(run))}{char}" for char, run in itertools.groupby(text))


def rle_decode(encoded):              # reads a one-digit count, then the character
    return "".join(int(count) * char for count, char in zip(encoded[::2], encoded[1::2]))


@settings(database=None, derandomize=True, max_examples=1000)
@given(st.text(alphabet="ab"))
def test_decode_undoes_encode(text):  # for every text, not for three chosen ones
    assert rle_decode(rle_encode(text)) == text
# [python-idiom]


def fails(text):
    return rle_decode(rle_encode(text)) != text


if __name__ == "__main__":
    try:
        test_decode_undoes_encode()
    except Exception:  # noqa: BLE001 - AssertionError, or a group of the distinct failures found
        pass
    else:
        raise SystemExit("the property should fail: runs of ten or more need two digits")
    # Shrinking: of all the failing texts, Hypothesis reports a smallest one, ten equal
    # characters (the first run whose count needs two digits).
    smallest = find(st.text(alphabet="ab"), fails,
                    settings=settings(database=None, derandomize=True, max_examples=1000))
    assert len(smallest) == 10 and len(set(smallest)) == 1, smallest
