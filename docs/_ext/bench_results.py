"""``.. bench-results:: <name>`` — a benchmark's medians and ratios, as ``make bench``
measured them.

The table comes from ``build/bench/results/<name>.json`` (written by tools/bench.py on
the reader's machine) when it exists, and otherwise from the copy committed in
``docs/_data/bench/<name>.json``, labelled with the machine and date it was measured on.
Benchmarks are named ``<group>/<variant>``; the first variant of a group is the baseline.
Each row shows the median of the repetitions, their interquartile range (the spread of
the middle half of the repetitions, from the single repetitions in the file), and the
ratio of the medians to the baseline.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

from book import new_table


def unit_text(unit: str) -> str:
    return "µs" if unit == "us" else unit


def medians(data: dict) -> dict[str, list[tuple[str, float, float | None, str]]]:
    """group -> [(variant, median, interquartile range or None, unit)]. The range needs
    the single repetitions, which results written before they were kept lack."""
    repetitions: dict[str, list[float]] = {}
    groups: dict[str, list[tuple[str, float, float | None, str]]] = {}
    # Interleaved runs are reported in the order they finished: registration order
    # (family_index) puts each group's baseline first again.
    for bench in sorted(data["benchmarks"], key=registration_order):
        if bench.get("run_type") == "iteration":
            repetitions.setdefault(bench["run_name"], []).append(bench["real_time"])
            continue
        if bench.get("aggregate_name") != "median":
            continue
        times = repetitions.get(bench["run_name"], [])
        spread = None
        if len(times) >= 2:
            q1, _, q3 = statistics.quantiles(times, n=4, method="inclusive")
            spread = q3 - q1
        parts = bench["run_name"].split("/")  # group/variant[/real_time, /threads:N, ...]
        group, variant = parts[0], parts[1] if len(parts) > 1 else parts[0]
        groups.setdefault(group, []).append((variant, bench["real_time"], spread, bench.get("time_unit", "ns")))
    return groups


def registration_order(bench: dict) -> tuple[int, int]:
    return bench.get("family_index", 0), bench.get("per_family_instance_index", 0)


def repetitions_of(data: dict) -> int | None:
    counts = {b.get("repetitions") for b in data["benchmarks"] if b.get("aggregate_name") == "median"}
    return counts.pop() if len(counts) == 1 else None


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

        table, body = new_table(["ce-bench"], [("Benchmark", 18), ("Variant", 20), ("Median time", 13),
                                               ("Spread (IQR)", 17), ("Ratio", 8)])
        for group, variants in groups.items():
            baseline = variants[0][1]
            for i, (variant, time, spread, unit) in enumerate(variants):
                row = nodes.row()
                row += nodes.entry("", nodes.paragraph(text=group if i == 0 else ""))
                row += nodes.entry("", nodes.paragraph(text=variant + (" (baseline)" if i == 0 else "")))
                row += nodes.entry("", nodes.paragraph(text=f"{time:,.1f} {unit_text(unit)}"))
                iqr = "—" if spread is None else f"{spread:,.1f} {unit_text(unit)} ({100 * spread / time:.1f}%)"
                row += nodes.entry("", nodes.paragraph(text=iqr))
                row += nodes.entry("", nodes.paragraph(text=f"{time / baseline:.2f}×"))
                body += row

        count = repetitions_of(data)
        interleaved = "interleaved" in meta.get("method", "")
        has_spread = any(v[2] is not None for vs in groups.values() for v in vs)
        method = (f"Median of {count or 'several'} {'randomly interleaved ' if interleaved else ''}repetitions"
                  + (", with their interquartile range (the middle half of the repetitions lies within it; "
                     "in % of the median)" if has_spread else " (the single repetitions were not kept: no spread)")
                  + "; ratio: median against the group's baseline. ")
        context = data.get("context", {})
        where = f"{meta.get('processor', '?')}, {context.get('num_cpus', '?')} CPUs"
        if context.get("load_avg"):
            where += f", load average {context['load_avg'][0]:.1f} at the start"
        if source == local:
            label = method + f"Measured by make bench on this machine ({where}) on {meta.get('date', '?')}."
        else:
            label = method + (f"Measured on {meta.get('machine', 'an unnamed machine')} ({where}) on "
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
