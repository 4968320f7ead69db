"""``.. bench-results:: <name>`` — a benchmark's medians and ratios, as ``make bench``
measured them.

The table comes from ``build/bench/results/<name>.json`` (written by tools/bench.py on
the reader's machine) when it exists, and otherwise from the copy committed in
``docs/_data/bench/<name>.json``, labelled with the machine and date it was measured on.
Benchmarks are named ``<group>/<variant>``; the first variant of a group is the baseline.
"""

from __future__ import annotations

import json
from pathlib import Path

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

from book import new_table


def medians(data: dict) -> dict[str, list[tuple[str, float, str]]]:
    groups: dict[str, list[tuple[str, float, str]]] = {}
    for bench in data["benchmarks"]:
        if bench.get("aggregate_name") != "median":
            continue
        parts = bench["run_name"].split("/")  # group/variant[/real_time, /threads:N, ...]
        group, variant = parts[0], parts[1] if len(parts) > 1 else parts[0]
        groups.setdefault(group, []).append((variant, bench["real_time"], bench.get("time_unit", "ns")))
    return groups


def state(path: Path):
    return path.stat().st_mtime_ns if path.exists() else None


def outdated_pages(app, env, added, changed, removed) -> list[str]:
    """Pages whose reader's results appeared, changed or went away since they were read."""
    watch = getattr(env, "ce_bench_watch", {})
    return [doc for doc, files in watch.items()
            if doc in env.found_docs and any(state(Path(f)) != seen for f, seen in files.items())]


def forget_page(app, env, docname: str) -> None:
    getattr(env, "ce_bench_watch", {}).pop(docname, None)


def merge_pages(app, env, docnames, other) -> None:
    env.ce_bench_watch = getattr(env, "ce_bench_watch", {})
    for doc in docnames:
        if doc in getattr(other, "ce_bench_watch", {}):
            env.ce_bench_watch[doc] = other.ce_bench_watch[doc]


class BenchResults(SphinxDirective):
    required_arguments = 1
    option_spec = {"caption": lambda text: text}

    def run(self) -> list[nodes.Node]:
        name = self.arguments[0]
        local = Path(self.config.ce_bench_results) / f"{name}.json"
        committed = Path(self.env.srcdir) / "_data" / "bench" / f"{name}.json"
        # Sphinx re-reads a page whose dependency is missing on every build, so the
        # reader's results, which may not exist yet, are watched by outdated_pages().
        if not hasattr(self.env, "ce_bench_watch"):
            self.env.ce_bench_watch = {}
        self.env.ce_bench_watch.setdefault(self.env.docname, {})[str(local)] = state(local)
        self.env.note_dependency(str(committed))
        source = local if local.exists() else committed
        if not source.exists():
            raise self.error(f"no results for benchmark '{name}': neither {local} nor {committed} exists "
                             "(run `make bench`)")
        data = json.loads(source.read_text())
        meta = data.get("ce", {})
        groups = medians(data)
        if not groups:
            raise self.error(f"{source}: no median aggregates (run with --benchmark_repetitions)")

        table, body = new_table(["ce-bench"], [("Benchmark", 20), ("Variant", 20),
                                               ("Median time", 14), ("Ratio", 10)])
        for group, variants in groups.items():
            baseline = variants[0][1]
            for i, (variant, time, unit) in enumerate(variants):
                row = nodes.row()
                row += nodes.entry("", nodes.paragraph(text=group if i == 0 else ""))
                row += nodes.entry("", nodes.paragraph(text=variant + (" (baseline)" if i == 0 else "")))
                row += nodes.entry("", nodes.paragraph(text=f"{time:,.1f} {unit}"))
                row += nodes.entry("", nodes.paragraph(text=f"{time / baseline:.2f}×"))
                body += row

        where = f"{meta.get('processor', '?')}, {data.get('context', {}).get('num_cpus', '?')} CPUs"
        if source == local:
            label = f"Measured by make bench on this machine ({where}) on {meta.get('date', '?')}."
        else:
            label = (f"Measured on {meta.get('machine', 'an unnamed machine')} ({where}) on "
                     f"{meta.get('date', '?')}; run make bench to measure on yours.")
        caption = self.options.get("caption", f"Benchmark {name}: median of repeated runs")
        title = nodes.title(caption, caption)
        table.insert(0, title)
        note = nodes.paragraph(text=label, classes=["ce-bench-source"])
        return [table, note]


def setup(app) -> dict:
    app.add_config_value("ce_bench_results", "", "env")
    app.add_directive("bench-results", BenchResults)
    app.connect("env-get-outdated", outdated_pages)
    app.connect("env-purge-doc", forget_page)
    app.connect("env-merge-info", merge_pages)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
