"""The book's checks must bite: each test breaks a copy of the tree in one way and
asserts that the build or the tests fail with a message naming the broken file."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from scratch_tree import ScratchTree  # noqa: E402

PY = "/usr/bin/python3"
# The render of the book, with the Makefile's flags and paths.
SPHINX = [PY, "-m", "sphinx", "-W", "--keep-going", "-n", "-q", "-j", "auto", "-c", ".",
          "-d", "build/doctrees", "-b", "html", "docs", "build/html"]
SNIPPET = "snippets/foundations/exceptions.cpp"
PY_SNIPPET = "snippets/foundations/exceptions.py"
PAGE = "docs/foundations/exceptions.rst"


def copy_tree() -> Path:
    """A copy of the sources as git sees them (tracked and untracked, not ignored)."""
    dest = Path(tempfile.mkdtemp(prefix="ce-bite-"))
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split("\0")
    for name in filter(None, files):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


def edited(text: str, old: str, new: str, count: int = 1) -> tuple[str, int]:
    """``text`` with the first ``count`` occurrences replaced, and the 1-based line of the first."""
    assert old in text, f"{old!r} not in the text"
    return text.replace(old, new, count), text[: text.index(old)].count("\n") + 1


def edit(path: Path, old: str, new: str, count: int = 1) -> int:
    """Replaces the first ``count`` occurrences; returns the 1-based line of the first."""
    text, line = edited(path.read_text(), old, new, count)
    path.write_text(text)
    return line


def run(cmd: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True,
                          env=dict(os.environ, CLICOLOR="0"))


class LintBites(unittest.TestCase):
    def setUp(self) -> None:
        self.tree = copy_tree()

    def tearDown(self) -> None:
        shutil.rmtree(self.tree, ignore_errors=True)

    def lint(self) -> subprocess.CompletedProcess:
        return run([PY, "tools/book_lint.py"], self.tree)

    def assertFailsNaming(self, result: subprocess.CompletedProcess, pattern: str) -> None:
        output = result.stdout + result.stderr
        self.assertNotEqual(result.returncode, 0, f"expected a failure, got:\n{output}")
        self.assertRegex(output, pattern)

    def test_clean_tree_passes_the_lint(self) -> None:
        result = self.lint()
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_a_misspelt_region_marker_fails_naming_the_snippet(self) -> None:
        line = edit(self.tree / SNIPPET, "// [chain]", "// [chian]")
        self.assertFailsNaming(self.lint(), rf"{re.escape(SNIPPET)}:{line}: region \[chian\] is opened here but never closed")

    def test_a_malformed_region_marker_fails_naming_the_snippet(self) -> None:
        line = edit(self.tree / SNIPPET, "// [rethrow]", "// [rethrow")
        self.assertFailsNaming(self.lint(), rf"{re.escape(SNIPPET)}:{line}: malformed region marker")

    def test_a_reference_to_a_missing_region_fails_naming_the_page(self) -> None:
        line = edit(self.tree / PAGE, "exceptions.cpp#chain\n", "exceptions.cpp#chains\n")
        self.assertFailsNaming(self.lint(), rf"{re.escape(PAGE)}:{line}: {re.escape(SNIPPET)} has no region \[chains\]")

    def test_pasted_cxx_fails_naming_the_page(self) -> None:
        page = self.tree / PAGE
        text = page.read_text().splitlines(keepends=True)
        text.insert(10, "\n.. code-block:: cpp\n\n   int main() { return 0; }\n\n")
        page.write_text("".join(text))
        self.assertFailsNaming(self.lint(), rf"{re.escape(PAGE)}:12: code pasted into a page")

    def test_cxx_in_a_literal_block_fails_naming_the_page(self) -> None:
        page = self.tree / PAGE
        page.write_text(page.read_text() + "\nLike this::\n\n   std::vector<int> v;\n")
        self.assertFailsNaming(self.lint(), rf"{re.escape(PAGE)}:\d+: code pasted into a page as a literal block")

    def test_pasted_cmake_fails_naming_the_page(self) -> None:
        page = self.tree / PAGE
        text = page.read_text().splitlines(keepends=True)
        text.insert(10, "\n.. code-block:: text\n\n   add_library(shop src/price.cpp)\n\n")
        page.write_text("".join(text))
        self.assertFailsNaming(self.lint(), rf"{re.escape(PAGE)}:12: code pasted into a page")

    def test_a_misspelt_marker_in_a_shown_build_file_fails_naming_the_file(self) -> None:
        line = edit(self.tree / "cmake/ce.pc.in", "# [pc]", "# [pcc]")
        self.assertFailsNaming(self.lint(), rf"cmake/ce\.pc\.in:{line}: region \[pcc\] is opened here but never closed")

    def test_a_region_of_an_example_project_that_no_page_shows_fails_naming_it(self) -> None:
        project = "snippets/packaging/build_configuration/shop/CMakeLists.txt"
        line = edit(self.tree / project, "# [app]\n", "# [spare]\n# [spare]\n# [app]\n")
        self.assertFailsNaming(self.lint(), rf"{re.escape(project)}:{line}: region \[spare\] is empty")
        edit(self.tree / project, "# [spare]\n# [spare]\n", "# [spare]\nset(SPARE 1)\n# [spare]\n")
        self.assertFailsNaming(self.lint(), rf"{re.escape(project)}:{line}: orphan region \[spare\]")

    def test_a_file_in_an_example_project_no_tool_run_checks_fails_the_configuration(self) -> None:
        stray = self.tree / "snippets/packaging/build_configuration/stray/CMakeLists.txt"
        stray.parent.mkdir()
        stray.write_text("cmake_minimum_required(VERSION 3.25)\nproject(stray CXX)\n")
        configure = run(["cmake", "--preset", "gcc-release", "-B", str(self.tree / "build/bite")], self.tree)
        # CMake wraps the message at 80 columns.
        self.assertFailsNaming(configure, r"snippets/packaging/build_configuration/stray/CMakeLists\.txt: "
                                          r"snippet file\s+is not registered")

    def test_an_orphan_snippet_file_fails_the_lint_and_the_configuration(self) -> None:
        orphan = self.tree / "snippets/foundations/orphan.cpp"
        orphan.write_text("#include <doctest/doctest.h>\n// [unused]\nTEST_CASE(\"x\") {}\n// [unused]\n")
        self.assertFailsNaming(self.lint(), r"snippets/foundations/orphan\.cpp:1: orphan snippet file")
        configure = run(["cmake", "--preset", "gcc-release", "-B", str(self.tree / "build/bite")], self.tree)
        self.assertFailsNaming(configure, r"snippets/foundations/orphan\.cpp: snippet file is not registered")

    def test_a_topic_that_does_not_open_with_its_python_idiom_fails_naming_the_page(self) -> None:
        line = edit(self.tree / PAGE, ".. snippet:: foundations/exceptions.py#python-hierarchy\n",
                    ".. snippet:: foundations/exceptions.cpp#domain-errors\n   :caption: Moved up\n\n"
                    ".. snippet:: foundations/exceptions.py#python-hierarchy\n")
        self.assertFailsNaming(self.lint(), rf"{re.escape(PAGE)}:{line}: the topic's first listing is "
                               r"foundations/exceptions\.cpp#domain-errors; open it with its Python idiom")

    def test_a_topic_without_a_python_idiom_fails_naming_the_page(self) -> None:
        (self.tree / PY_SNIPPET).unlink()
        self.assertFailsNaming(self.lint(), rf"{re.escape(PAGE)}:1: the topic has no Python idiom")

    def test_an_unshown_tool_run_and_an_unknown_tool_output_fail_naming_the_files(self) -> None:
        page = self.tree / "docs/performance/profiling.rst"
        line = edit(page, ".. tool-output:: performance/profiling.cpp@callgrind",
                    ".. tool-output:: performance/profiling.cpp@callgrinds")
        result = self.lint()
        self.assertFailsNaming(result, rf"docs/performance/profiling.rst:{line}: tool-output "
                                       r"performance/profiling.cpp@callgrinds names no tool run")
        self.assertFailsNaming(result, r"snippets/CMakeLists.txt:\d+: orphan tool run "
                                       r"performance/profiling.cpp@callgrind: no page shows it")

    def test_a_tool_run_whose_output_does_not_match_fails_and_keeps_nothing(self) -> None:
        out = self.tree / "result.json"
        result = run([PY, "tools/tool_run.py", "--out", str(out), "--command", "echo 42 instructions",
                      "--shown", "echo", "--expect", r"^43 instructions$"], self.tree)
        self.assertFailsNaming(result, r"tool_run: FAIL: output does not match /\^43 instructions\$/")
        self.assertFalse(out.exists())
        result = run([PY, "tools/tool_run.py", "--out", str(out), "--command", "exit 3",
                      "--shown", "exit 3", "--expect", ".*"], self.tree)
        self.assertFailsNaming(result, r"tool_run: FAIL: exit status 3, expected 0")
        result = run([PY, "tools/tool_run.py", "--out", str(out), "--command", "echo 42",
                      "--shown", "echo 42", "--expect", "^42$"], self.tree)
        self.assertEqual(result.returncode, 0, result.stdout)
        self.assertIn('"output": "42\\n"', out.read_text())

    def test_a_tool_runs_line_placeholder_follows_an_edit_above_it(self) -> None:
        source = self.tree / "snippets/performance/optimisation.cpp"
        out = self.tree / "result.json"

        def resolved() -> str:
            result = run([PY, "tools/tool_run.py", "--out", str(out), "--source", str(source),
                          "--command", "echo @line:sum-float:total +=@", "--shown", "echo",
                          "--expect", "^[0-9]+$"], self.tree)
            self.assertEqual(result.returncode, 0, result.stdout)
            return result.stdout.splitlines()[1]

        before = int(resolved())
        self.assertIn("total +=", source.read_text().splitlines()[before - 1])
        edit(source, "namespace shop {\n", "namespace shop {\n// one line more above every region\n")
        self.assertEqual(int(resolved()), before + 1)
        result = run([PY, "tools/tool_run.py", "--out", str(out), "--source", str(source),
                      "--command", "echo @line:sum-float:no such text@", "--shown", "echo",
                      "--expect", ".*"], self.tree)
        self.assertFailsNaming(result, r"snippets/performance/optimisation\.cpp:\d+: no line of region "
                                       r"\[sum-float\] contains 'no such text'")

    def test_an_orphan_region_fails_naming_the_region(self) -> None:
        line = edit(self.tree / SNIPPET, "namespace shop {\n", "namespace shop {\n// [spare]\nint spare = 0;\n// [spare]\n")
        self.assertFailsNaming(self.lint(), rf"{re.escape(SNIPPET)}:{line + 1}: orphan region \[spare\]")

    def test_failing_assertions_and_a_compiling_must_not_compile_listing_fail_the_tests(self) -> None:
        line = edit(self.tree / SNIPPET, "CHECK(fault_points == 4);", "CHECK(fault_points == 5);")
        py_line = edit(self.tree / PY_SNIPPET, 'assert reaction == "retry later"', 'assert reaction == "fix the request"')
        edit(self.tree / SNIPPET, "    } catch (const ce::error&) {\n        return reaction::report_bug;\n"
             "    } catch (const ce::transient_error&) {  // unreachable",
             "    } catch (const ce::transient_error&) {\n        return reaction::report_bug;\n"
             "    } catch (const ce::error&) {  // unreachable")
        build = self.tree / "build/bite"
        configure = run(["cmake", "--preset", "gcc-asan", "-B", str(build)], self.tree)
        self.assertEqual(configure.returncode, 0, configure.stdout + configure.stderr)
        compiled = run(["cmake", "--build", str(build), "--target", "snippet.foundations.exceptions"], self.tree)
        self.assertEqual(compiled.returncode, 0, compiled.stdout + compiled.stderr)
        tests = run(["ctest", "--test-dir", str(build), "-R", r"foundations\.exceptions", "--output-on-failure"], self.tree)
        self.assertFailsNaming(tests, rf"foundations/exceptions\.cpp:{line}: ERROR: CHECK\( fault_points == 5 \) is NOT correct")
        self.assertRegex(tests.stdout, rf"{re.escape(SNIPPET)}:\d+: FAIL: region \[handler-order\] compiled, but the book says it must not")
        self.assertRegex(tests.stdout, rf'(?s)foundations/exceptions\.py", line {py_line}, in <module>.*?AssertionError')

    def render_in_scratch_tree(self, edits: dict[str, str | None]) -> subprocess.CompletedProcess:
        """The book rendered as make renders it, in a scratch view of the real tree with
        ``edits`` applied: Sphinx starts from the real build's saved state and re-reads
        only the pages the edits touch (a render from nothing took 35 to 50 s here)."""
        with ScratchTree() as scratch:
            return scratch.run(SPHINX, edits)

    def test_a_listing_without_test_results_fails_the_book_naming_the_page(self) -> None:
        result = self.render_in_scratch_tree({"build/verify/status/foundations/exceptions.cpp.json": None})
        self.assertFailsNaming(result, rf"{re.escape(PAGE)}:\d+: ERROR: no test results for {re.escape(SNIPPET)}")

    def test_removing_a_helpers_listing_fails_the_book_naming_the_listing_that_uses_it(self) -> None:
        """decorators#retry-exhausted calls fake_sleeper, which only the fake-time listing
        shows: without that listing the book must not build."""
        page = "docs/design_patterns/decorators.rst"
        text, _ = edited((ROOT / page).read_text(),
                         ".. snippet:: design_patterns/decorators.cpp#fake-time\n"
                         "   :caption: A fake time source: sleeps are recorded, never slept\n", "")
        _, line = edited(text, ".. snippet:: design_patterns/decorators.cpp#retry-exhausted\n", "")
        result = self.render_in_scratch_tree({page: text})
        self.assertFailsNaming(result, rf"docs/design_patterns/decorators\.rst:{line}: ERROR: listing "
                               r"snippets/design_patterns/decorators\.cpp#retry-exhausted \(.*\) uses "
                               r"fake_sleeper(, fake_time)?, declared in .* but shown in no listing")


if __name__ == "__main__":
    unittest.main()
