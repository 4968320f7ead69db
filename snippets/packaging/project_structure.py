"""The Python idiom that packaging/project_structure.cpp and the example project
snippets/packaging/project_structure/shop/ replace, run by the build.

The region is what the page shows; the checks below it make the build fail if the idiom
ever stops behaving as the page says. The package is written to a temporary folder and
imported from its src/ folder, as an editable install would arrange.
"""

import importlib
import importlib.util
import sys
import tempfile
import textwrap
import tomllib
from pathlib import Path

# [python-idiom]
# A src-layout project: the package under src/, its tests beside it, never inside it.
PROJECT = {
    "pyproject.toml": """
        [build-system]
        requires = ["setuptools>=61"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "shop"
        version = "1.0.0"
        requires-python = ">=3.11"
        """,
    # The public API: what `import shop` gives, listed in __all__.
    "src/shop/__init__.py": """
        from shop._money import percent_of

        __all__ = ["format_price", "with_tax"]

        def format_price(cents: int) -> str:
            return f"{cents // 100}.{cents % 100:02d}"

        def with_tax(cents: int, percent: int) -> int:
            return cents + percent_of(cents, percent)
        """,
    # Private by convention only: the leading underscore.
    "src/shop/_money.py": """
        def percent_of(cents: int, percent: int) -> int:
            return (cents * percent + 50) // 100  # rounds half up
        """,
    "tests/test_shop.py": """
        from shop import format_price, with_tax

        def test_tax_is_rounded_to_the_cent():
            assert format_price(with_tax(999, 5)) == "10.49"
        """,
}

workdir = tempfile.TemporaryDirectory()
root = Path(workdir.name)
for name, text in PROJECT.items():
    (root / name).parent.mkdir(parents=True, exist_ok=True)
    (root / name).write_text(textwrap.dedent(text).lstrip())
sys.path.insert(0, str(root / "src"))  # what `pip install -e .` arranges

shop = importlib.import_module("shop")
assert shop.__all__ == ["format_price", "with_tax"]
# Nothing enforces the convention: the private module and its name are one step away.
assert importlib.import_module("shop._money").percent_of(999, 5) == 50
assert shop.percent_of is shop._money.percent_of
# [python-idiom]

# The metadata is data: name and version are read, not computed.
project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
assert (project["name"], project["version"]) == ("shop", "1.0.0")

# `from shop import *` takes exactly __all__, not the imported helper.
star: dict[str, object] = {}
exec("from shop import *", star)  # noqa: S102 - the statement under test
assert sorted(name for name in star if not name.startswith("__")) == ["format_price", "with_tax"]

# The tests live outside the package: importing shop does not import them, and they run
# against the package as a user imports it.
assert "tests" not in sys.modules and not (root / "src" / "shop" / "tests").exists()
spec = importlib.util.spec_from_file_location("test_shop", root / "tests" / "test_shop.py")
assert spec is not None and spec.loader is not None
tests = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tests)
tests.test_tax_is_rounded_to_the_cent()
assert shop.format_price(1234) == "12.34" and shop.format_price(5) == "0.05"
assert shop.with_tax(1000, 20) == 1200

sys.path.remove(str(root / "src"))
workdir.cleanup()
