"""The Python idiom that ce's package files replace, run by the build.

The region is what the page shows; the checks below it make the build fail if the idiom
ever stops behaving as the page says.
"""

# [python-idiom]
from importlib.metadata import PackageNotFoundError, requires, version

from packaging.requirements import Requirement
from packaging.version import Version

# An installed distribution carries its version and what it needs (its .dist-info
# folder); any program can read both, as pip does before it installs anything.
installed = Version(version("pytest"))
for line in requires("pytest") or []:
    need = Requirement(line)
    if need.marker is None or need.marker.evaluate({"extra": ""}):
        assert version(need.name) in need.specifier, (need, version(need.name))

try:
    version("shop")  # nothing called shop is installed: an error, not a guess
except PackageNotFoundError:
    pass
else:
    raise AssertionError("shop is installed")
# [python-idiom]

assert installed >= Version("7")
# The check above looked at real requirements: pytest needs pluggy, in every environment.
assert any(Requirement(line).name == "pluggy" for line in requires("pytest") or [])
