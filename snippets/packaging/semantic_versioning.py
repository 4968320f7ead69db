"""The Python idiom that packaging/semantic_versioning.cpp replaces, run by the build.

The region is what the page shows; the checks below it make the build fail if the
idiom ever stops behaving as the page says. packaging implements PEP 440, not SemVer:
the checks record where the two disagree.
"""

# [python-idiom]
from packaging.version import InvalidVersion, Version

assert Version("1.10.0") > Version("1.9.0")          # numbers, not strings
assert Version("1.0.0-rc.1") < Version("1.0.0")      # a pre-release comes first

# PEP 440 is not SemVer. It normalises, and accepts what SemVer rejects:
assert str(Version("1.0.0-alpha")) == "1.0.0a0"
assert Version("v01.2") == Version("1.2.0")
# It orders by build metadata, which SemVer ignores:
assert Version("1.0.0+build.2") > Version("1.0.0+build.1")
# And it rejects valid SemVer pre-releases:
for semver in ["1.0.0-alpha.beta", "1.0.0-x.7.z.92", "1.0.0-0.3.7"]:
    try:
        Version(semver)
    except InvalidVersion:
        pass
    else:
        raise AssertionError(semver)
# [python-idiom]

# The string comparison that the first assert avoids would be wrong:
assert "1.10.0" < "1.9.0"
# Tuples of ints order releases correctly, but have no place for a pre-release:
assert tuple(int(part) for part in "1.10.0".split(".")) > (1, 9, 0)
try:
    tuple(int(part) for part in "1.0.0-rc.1".split("."))
except ValueError:
    pass
else:
    raise AssertionError("a pre-release does not split into integers")
# More of PEP 440's leniency: surrounding spaces, fewer or more components.
assert Version(" 1.2.3 ") == Version("1.2.3")
assert Version("1.2") == Version("1.2.0")
assert Version("1.2.3.4") > Version("1.2.3")
# Two SemVer versions of equal precedence are unequal under PEP 440.
assert Version("1.0.0+20130313144700") != Version("1.0.0")
