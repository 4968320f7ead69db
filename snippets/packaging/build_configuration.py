"""The Python idiom that packaging/build_configuration.cpp and the shop project replace,
run by the build.

The region is what the page shows; the checks below it make the build fail if the idiom
ever stops behaving as the page says.
"""

# [python-idiom]
import tomllib

from packaging.specifiers import SpecifierSet

pyproject = tomllib.loads("""
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "shop"
version = "1.4.0"
requires-python = ">=3.11"
dependencies = ["babel>=2.10"]

[project.optional-dependencies]
test = ["pytest>=7"]

[tool.pytest.ini_options]
addopts = "-W error"
""")

project = pyproject["project"]
assert (project["name"], project["version"]) == ("shop", "1.4.0")
assert "3.11.2" in SpecifierSet(project["requires-python"])      # the language level
assert project["optional-dependencies"]["test"] == ["pytest>=7"]  # built on request
assert pyproject["tool"]["pytest"]["ini_options"]["addopts"] == "-W error"
# [python-idiom]

# One file holds what the package is, what it needs, and how tools treat it; the C++
# side splits it into CMakeLists.txt (the first two) and CMakePresets.json (the last).
assert set(pyproject) == {"build-system", "project", "tool"}
assert "3.10" not in SpecifierSet(project["requires-python"])
