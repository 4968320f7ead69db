"""``.. bench-results:: <name>`` — a benchmark's medians and ratios, as ``make bench``
measured them.

The table comes from ``build/bench/results/<name>.json`` (written by tools/bench.py on
the reader's machine) when it exists, and otherwise from the copy committed in
``docs/_data/bench/<name>.json``, labelled with the machine and date it was measured on.
Benchmarks are named ``<group>/<variant>``; the first variant of a group is the baseline.
Each row shows the median of the repetitions, their interquartile range (the spread of
the middle half of the repetitions, from the single repetitions in the file), and the
ratio of the medians to the baseline. Where the middle halves of a variant's and the
baseline's repetitions overlap, the ratio is shown as "no measurable difference": the
run cannot tell the two apart, whatever the medians say. A median under a nanosecond
per iteration is an error: such a loop measured nothing, and no page may show it.

Under the table, the same results are drawn as a chart (median bar, interquartile
whiskers), written by matplotlib as two SVG files, one for the light theme and one for
the dark, into docs/_generated/bench/.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
from pathlib import Path

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

from bench_stats import NS_PER, nanoseconds, overlaps, per_item, split_name, summaries
from book import new_table


def group_scale(variants: list) -> tuple[float, str]:
    """One unit for a whole group, so its rows compare at a glance: the largest that keeps
    the group's largest median at or above 1 (ns, µs, ms, s)."""
    largest = max(nanoseconds(v[1], v[3]) for v in variants)
    for unit in ("s", "ms", "us"):
        if largest >= 10 * NS_PER[unit]:
            return NS_PER[unit], unit
    return 1.0, "ns"


def unit_text(unit: str) -> str:
    return "µs" if unit == "us" else unit


Row = tuple[str, float, "tuple[float, float] | None", str]


def medians(data: dict) -> dict[str, list[Row]]:
    """group -> [(variant, median, (first, third quartile) or None, unit)], each group's
    baseline first."""
    groups: dict[str, list[Row]] = {}
    for run_name, (time, quartiles, unit) in summaries(data).items():
        group, variant = split_name(run_name)
        groups.setdefault(group, []).append((variant, time, quartiles, unit))
    return groups


def plot(groups: dict[str, list[Row]], title: str, out: Path) -> list[Path]:
    """The table as a chart, light and dark: one panel per group, a bar per variant at its
    median with whiskers over its interquartile range. Files are rewritten only when
    their content changes, so an unchanged chart leaves the page up to date.

    Drawing both costs matplotlib most of a second, and make test re-reads every page;
    so the charts are drawn again only when what they are drawn from changed: the
    results and title, this module's code, and matplotlib's version. The key of what
    the two files show is kept beside them (``<name>.key``)."""
    targets = [out.with_name(f"{out.name}-{theme}.svg") for theme in ("light", "dark")]
    key_file = out.with_name(f"{out.name}.key")
    key = hashlib.sha256(json.dumps([groups, title, Path(__file__).read_text(),
                                     importlib.metadata.version("matplotlib")]).encode()).hexdigest()
    if all(t.exists() for t in targets) and key_file.exists() and key_file.read_text() == key:
        return targets
    written = _draw(groups, title, out)
    key_file.write_text(key)
    return written


def _draw(groups: dict[str, list[Row]], title: str, out: Path) -> list[Path]:
    import matplotlib
    matplotlib.use("svg")
    import matplotlib.pyplot as plt

    written = []
    for theme, ink, grid, base, other in (("light", "#222222", "#d0d0d0", "#9e9e9e", "#2f6db5"),
                                          ("dark", "#e0e0e0", "#4a4a4a", "#8a8a8a", "#6ea8ff")):
        plt.rcParams.update({"svg.hashsalt": "ce", "font.size": 9, "text.color": ink,
                             "axes.labelcolor": ink, "xtick.color": ink, "ytick.color": ink,
                             "axes.edgecolor": grid})
        heights = [0.45 + 0.32 * len(v) for v in groups.values()]
        fig, axes = plt.subplots(len(groups), 1, figsize=(7.2, sum(heights) + 0.5),
                                 gridspec_kw={"height_ratios": heights}, squeeze=False)
        for ax, (group, variants) in zip(axes[:, 0], groups.items()):
            per, unit = group_scale(variants)
            # ns per row unit, divided by ns per shown unit
            k = [NS_PER.get(v[3], 1.0) / per for v in variants]
            names = [v[0] + (" (baseline)" if i == 0 else "") for i, v in enumerate(variants)][::-1]
            values = [v[1] * f for v, f in zip(variants, k)][::-1]
            low = [(v[1] - v[2][0]) * f if v[2] else 0 for v, f in zip(variants, k)][::-1]
            high = [(v[2][1] - v[1]) * f if v[2] else 0 for v, f in zip(variants, k)][::-1]
            colours = [other] * (len(variants) - 1) + [base]
            ax.barh(names, values, xerr=[low, high], color=colours, height=0.6,
                    error_kw={"ecolor": ink, "elinewidth": 1, "capsize": 3})
            ax.set_title(group, loc="left", fontsize=9, color=ink)
            ax.set_xlabel(f"median time ({unit_text(unit)}), whiskers: interquartile range")
            ax.grid(axis="x", color=grid, linewidth=0.6)
            ax.set_axisbelow(True)
            ax.set_facecolor("none")
            for side in ("top", "right"):
                ax.spines[side].set_visible(False)
        fig.patch.set_alpha(0)
        fig.tight_layout()
        target = out.with_name(f"{out.name}-{theme}.svg")
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".svg.tmp")
        fig.savefig(tmp, format="svg", metadata={"Date": None, "Title": title})
        plt.close(fig)
        if target.exists() and target.read_bytes() == tmp.read_bytes():
            tmp.unlink()
        else:
            tmp.replace(target)
        written.append(target)
    return written


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
    # :measures-nothing: group/variant, ... — the variants a page shows *because* they
    # measure nothing (a pitfall running). They must be under a nanosecond, or the
    # pitfall did not happen and the page would say something false.
    option_spec = {"caption": lambda text: text, "measures-nothing": lambda text: text}

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

        items = per_item(data)
        columns = [("Benchmark", 18), ("Variant", 20), ("Median time", 13), ("Spread (IQR)", 17), ("Ratio", 8)]
        if items:
            columns.insert(3, ("Per item", 10))
        table, body = new_table(["ce-bench"], columns)
        pitfalls = {v.strip() for v in self.options.get("measures-nothing", "").split(",") if v.strip()}
        for group, variants in groups.items():
            baseline, base_quartiles = variants[0][1], variants[0][2]
            per, shown_unit = group_scale(variants)
            for i, (variant, time, quartiles, unit) in enumerate(variants):
                nothing = nanoseconds(time, unit) < 1.0
                if f"{group}/{variant}" in pitfalls:
                    pitfalls.discard(f"{group}/{variant}")
                    if not nothing:
                        raise self.error(f"{source}: {group}/{variant} is listed under :measures-nothing: "
                                         f"but takes {time:.2f} {unit} per iteration: the pitfall did not "
                                         "happen in this run, and the page would say it did")
                elif nothing:
                    raise self.error(f"{source}: {group}/{variant} takes {time:.2f} {unit} per iteration: "
                                     "under a nanosecond, the loop measured nothing; fix the benchmark "
                                     "(bench/), then run make bench")
                row = nodes.row()
                row += nodes.entry("", nodes.paragraph(text=group if i == 0 else ""))
                row += nodes.entry("", nodes.paragraph(text=variant + (" (baseline)" if i == 0 else "")))
                factor = NS_PER.get(unit, 1.0) / per
                row += nodes.entry("", nodes.paragraph(text=f"{time * factor:,.1f} {unit_text(shown_unit)}"))
                if items:
                    each = items.get((group, variant))
                    row += nodes.entry("", nodes.paragraph(text="—" if each is None else f"{each:,.2f} ns"))
                spread = None if quartiles is None else quartiles[1] - quartiles[0]
                iqr = ("—" if spread is None else
                       f"{spread * factor:,.1f} {unit_text(shown_unit)} ({100 * spread / time:.1f}%)")
                row += nodes.entry("", nodes.paragraph(text=iqr))
                ratio = f"{time / baseline:.2f}×"
                if nothing:
                    ratio = "measured nothing (under 1 ns)"
                elif i and overlaps(quartiles, base_quartiles):
                    ratio += " (no measurable difference)"
                row += nodes.entry("", nodes.paragraph(text=ratio))
                body += row

        if pitfalls:
            raise self.error(f"{source}: no benchmark named {', '.join(sorted(pitfalls))} (:measures-nothing:)")
        count = repetitions_of(data)
        interleaved = "interleaved" in meta.get("method", "")
        has_spread = any(v[2] is not None for vs in groups.values() for v in vs)
        # "no measurable difference" appears where the middle halves overlap (overlaps()).
        method = (f"Median of {count or 'several'} {'randomly interleaved ' if interleaved else ''}repetitions"
                  + (", with their interquartile range (the middle half of the repetitions lies within it; "
                     "in % of the median)" if has_spread else " (the single repetitions were not kept: no spread)")
                  + "; ratio: median against the group's baseline, \"no measurable difference\" where the "
                  "middle halves of the two sets of repetitions overlap. ")
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
        charts = plot(groups, caption, Path(self.env.srcdir) / "_generated" / "bench" / name)
        figure = nodes.container(classes=["ce-bench-chart"])
        for chart in charts:
            theme = chart.stem.rsplit("-", 1)[1]
            self.env.note_dependency(str(chart))
            figure += nodes.image(uri="/" + chart.relative_to(self.env.srcdir).as_posix(),
                                  alt=f"Chart of the table above: {caption}", classes=[f"only-{theme}"])
        return [table, figure, note]


def setup(app) -> dict:
    app.add_config_value("ce_bench_results", "", "env")
    app.add_directive("bench-results", BenchResults)
    app.connect("env-get-outdated", outdated_pages)
    app.connect("env-purge-doc", forget_page)
    app.connect("env-merge-info", merge_pages)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
