"""The Python idiom that packaging/dependency_management.cpp and its example projects
replace, run by the build.

The region is what the page shows; the checks below it make the build fail if the
idiom ever stops behaving as the page says. A requirement is a range of versions; a
lock file is one exact version and the hash of its archive.
"""

# [python-idiom]
import hashlib

from packaging.requirements import Requirement
from packaging.version import Version

# pyproject.toml states a range: the versions the code is known to work with.
wanted = Requirement("fmt>=9.1,<10")
assert wanted.specifier.contains("9.1.0")
assert not wanted.specifier.contains("10.0.0")    # a new MAJOR may break the API
assert not wanted.specifier.contains("9.2.0rc1")  # no pre-release unless asked for


def resolve(index: list[str]) -> str:
    """What an installer picks: the newest version in the range."""
    return max(wanted.specifier.filter(index), key=Version)


# So the answer depends on what the index holds on the day it is asked:
assert resolve(["8.1.1", "9.1.0", "10.2.1"]) == "9.1.0"
assert resolve(["8.1.1", "9.1.0", "9.1.1", "10.2.1"]) == "9.1.1"

# A lock file records one answer: an exact version and the hash of its archive.
archive = b"the bytes of fmt-9.1.0.tar.gz"
locked = f"fmt==9.1.0 --hash=sha256:{hashlib.sha256(archive).hexdigest()}"
pin, _, digest = locked.partition(" --hash=sha256:")
assert str(Requirement(pin).specifier) == "==9.1.0"
assert hashlib.sha256(archive).hexdigest() == digest         # the same bytes install
assert hashlib.sha256(archive + b"!").hexdigest() != digest  # other bytes do not
# [python-idiom]

# The range is the one CMake spells `find_package(fmt 9.1...<10)`: lower bound
# included, upper bound excluded. `~=9.1` is pip's shorthand for the same range.
from packaging.specifiers import SpecifierSet  # noqa: E402

for version in ["9.0.9", "9.1.0", "9.1.1", "9.9", "10.0.0", "10.2.1"]:
    assert wanted.specifier.contains(version) == SpecifierSet("~=9.1").contains(version), version
# A pre-release is in the range once asked for:
assert wanted.specifier.contains("9.2.0rc1", prereleases=True)
# Normalisation: the lock's "9.1.0" equals a requirement's "9.1".
assert Version("9.1") == Version("9.1.0")
# Nothing in the range: the resolver has no answer, which pip reports as an error.
try:
    resolve(["8.1.1", "10.2.1"])
except ValueError:
    pass
else:
    raise AssertionError("an empty range resolved")
