"""The coverage gate must bite: tools/coverage.py fails, naming the figure and the gate
file, when the measured coverage of include/ce is below the stated figure; and it
passes at exactly the figure."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = "/usr/bin/python3"
sys.path.insert(0, str(ROOT / "docs" / "_ext"))
import coverage_gate  # noqa: E402

SUMMARY = {"line_covered": 90, "line_total": 100, "branch_covered": 60, "branch_total": 100,
           "files": [{"filename": "include/ce/a.hpp", "branch_covered": 10, "branch_total": 40},
                     {"filename": "include/ce/b.hpp", "branch_covered": 50, "branch_total": 60}]}


class CoverageGate(unittest.TestCase):
    def test_a_figure_below_the_gate_fails_naming_it_and_the_worst_headers(self) -> None:
        problems = coverage_gate.check_gate(SUMMARY, {"line": 90, "branch": 61})
        self.assertEqual(len(problems), 2, problems)
        self.assertIn("branch coverage of include/ce is 60.0%, below the stated 61%", problems[0])
        self.assertIn("docs/_data/coverage.json", problems[0])
        self.assertIn("include/ce/a.hpp (30), include/ce/b.hpp (10)", problems[1])

    def test_exactly_the_stated_figures_pass(self) -> None:
        self.assertEqual(coverage_gate.check_gate(SUMMARY, {"line": 90, "branch": 60}), [])

    def test_the_gate_fails_make_coverage_on_this_builds_data(self) -> None:
        """A gate of 100% against the gcc-coverage tree's real counts (make test runs the
        tests and make coverage before the book's tests): exit 1, the figure named. The
        report goes to a temporary folder, so build/coverage is left as it was."""
        build = ROOT / "build" / "gcc-coverage"
        self.assertTrue(any(build.rglob("*.gcda")),
                        f"no coverage data in {build}: run make coverage (make test does) first")
        with tempfile.TemporaryDirectory() as scratch:
            gate = Path(scratch) / "gate.json"
            gate.write_text(json.dumps({"line": 100, "branch": 100}))
            result = subprocess.run([PY, str(ROOT / "tools" / "coverage.py"), "--gate", str(gate),
                                     "--out", str(Path(scratch) / "report")],
                                    capture_output=True, text=True)
            self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
            self.assertRegex(result.stderr, r"coverage: gate failed: branch coverage of include/ce is "
                                            r"[0-9.]+%, below the stated 100% \(" + str(gate) + r"\)")
            self.assertTrue((Path(scratch) / "report" / "site" / "coverage" / "index.html").exists())


if __name__ == "__main__":
    unittest.main()
