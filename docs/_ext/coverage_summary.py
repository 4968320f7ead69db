"""The coverage-summary directive: this build's line and branch coverage of include/ce,
from the report tools/coverage.py wrote (make coverage), beside the gate it enforces.

    .. coverage-summary::

A table with a row per header and a total, then the gate's figures, read from
docs/_data/coverage.json: the same file the gate reads, so the page cannot state one
figure while the build enforces another. The page is re-read when either file changes.
Without a report the directive is an error, except in the live server's first pass
(ce_allow_pending), which renders a note instead.
"""

from __future__ import annotations

import json
from pathlib import Path

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

from coverage_gate import check_gate, measured


def _percent(covered: int, total: int) -> str:
    return f"{100.0 * covered / total:.1f}%" if total else "n/a"


class CoverageSummary(SphinxDirective):
    has_content = False

    def run(self) -> list[nodes.Node]:
        summary_path = Path(self.config.ce_coverage_summary)
        gate_path = Path(self.config.ce_coverage_gate)
        self.env.note_dependency(str(gate_path))
        self.env.note_dependency(str(summary_path))
        if not summary_path.exists():
            if self.config.ce_allow_pending:
                return [nodes.note("", nodes.paragraph(text="The coverage report is still being made."))]
            raise self.error(f"coverage-summary: {summary_path} does not exist: run make coverage "
                             "(make book and make test run it)")
        summary = json.loads(summary_path.read_text())
        gate = json.loads(gate_path.read_text())

        table = nodes.table(classes=["ce-coverage"])
        group = nodes.tgroup(cols=5)
        table += group
        for width in (40, 15, 15, 15, 15):
            group += nodes.colspec(colwidth=width)

        def row(cells: list[str], strong: bool = False) -> nodes.row:
            r = nodes.row()
            for cell in cells:
                entry = nodes.entry()
                paragraph = nodes.paragraph()
                paragraph += nodes.strong(text=cell) if strong else nodes.Text(cell)
                entry += paragraph
                r += entry
            return r

        head = nodes.thead()
        head += row(["header", "lines", "line coverage", "branches", "branch coverage"])
        group += head
        body = nodes.tbody()
        for f in sorted(summary["files"], key=lambda f: f["filename"]):
            body += row([f["filename"].removeprefix("include/"),
                         f"{f['line_covered']} / {f['line_total']}", _percent(f["line_covered"], f["line_total"]),
                         f"{f['branch_covered']} / {f['branch_total']}",
                         _percent(f["branch_covered"], f["branch_total"])])
        body += row(["all of ce", f"{summary['line_covered']} / {summary['line_total']}",
                     _percent(summary["line_covered"], summary["line_total"]),
                     f"{summary['branch_covered']} / {summary['branch_total']}",
                     _percent(summary["branch_covered"], summary["branch_total"])], strong=True)
        group += body
        caption = nodes.caption(text="Coverage of include/ce by the book's tests, measured by this build")
        table.insert(0, caption)

        problems = check_gate(summary, gate)
        if problems:
            raise self.error("coverage-summary: the report is below the gate, which tools/coverage.py "
                             "enforces: " + "; ".join(problems))
        figures = measured(summary)
        verdict = nodes.paragraph()
        verdict += nodes.Text(
            f"The gate (docs/_data/coverage.json) requires at least {gate['line']:g}% of lines and "
            f"{gate['branch']:g}% of branches; this build measured {figures['line']:.1f}% and "
            f"{figures['branch']:.1f}%, "
            "so it passed (a build below either figure stops before the book is rendered). "
            "The full report, line by line: ")
        verdict += nodes.reference("", "coverage/index.html", refuri=self._report_uri())
        verdict += nodes.Text(".")
        return [table, verdict]

    def _report_uri(self) -> str:
        depth = self.env.docname.count("/")
        return "../" * depth + "coverage/index.html"


def setup(app):
    app.add_config_value("ce_coverage_summary", "", "env")
    app.add_config_value("ce_coverage_gate", "", "env")
    app.add_directive("coverage-summary", CoverageSummary)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
