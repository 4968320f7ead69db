"""The coverage gate, read by tools/coverage.py (which fails make coverage below it) and
by the coverage-summary directive (which refuses to render a passing verdict below it):
one definition of the figures and of what "below" means, so the two cannot drift apart.
The gate file, docs/_data/coverage.json, states the lowest line and branch coverage of
include/ce the book accepts, in percent."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GATE = ROOT / "docs" / "_data" / "coverage.json"


def percent(covered: int, total: int) -> float:
    return 100.0 * covered / total if total else 100.0


def measured(summary: dict) -> dict[str, float]:
    """gcovr's JSON summary as the gate reads it: line and branch coverage in percent."""
    return {"line": percent(summary["line_covered"], summary["line_total"]),
            "branch": percent(summary["branch_covered"], summary["branch_total"])}


def check_gate(summary: dict, gate: dict, gate_name: str = str(GATE.relative_to(ROOT))) -> list[str]:
    """The gate's complaints: an empty list when both figures are met."""
    figures = measured(summary)
    problems = [f"{kind} coverage of include/ce is {figures[kind]:.1f}%, below the "
                f"stated {gate[kind]:g}% ({gate_name})"
                for kind in ("line", "branch") if figures[kind] < gate[kind]]
    if problems:
        worst = sorted(summary["files"], key=lambda f: f["branch_covered"] - f["branch_total"])[:5]
        problems.append("most uncovered branches: " + ", ".join(
            f"{f['filename']} ({f['branch_total'] - f['branch_covered']})" for f in worst))
    return problems
