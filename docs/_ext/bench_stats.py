"""What the book reads out of a Google Benchmark JSON result, shared by ``make bench``'s
console report (tools/bench.py) and the pages' tables (bench_results.py), so that both
say the same thing about the same file.

Benchmarks are named ``<group>/<variant>[/extra]``; the first variant of a group is its
baseline. A variant's spread is the interquartile range of its single repetitions.
"""

from __future__ import annotations

import statistics

NS_PER = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}

Quartiles = "tuple[float, float] | None"


def split_name(run_name: str) -> tuple[str, str]:
    """'logger_async/ce/real_time' -> ('logger_async', 'ce'): Google Benchmark appends
    options such as /real_time or /threads:2 to the name it was given."""
    parts = run_name.split("/")
    return parts[0], parts[1] if len(parts) > 1 else parts[0]


def registration_order(bench: dict) -> tuple[int, int]:
    """Interleaved runs are reported in the order they finished: registration order
    (family_index) puts each group's baseline first again."""
    return bench.get("family_index", 0), bench.get("per_family_instance_index", 0)


def summaries(data: dict) -> dict[str, tuple[float, Quartiles, str]]:
    """run_name -> (median, (first, third quartile) or None, time unit), in registration
    order. The quartiles come from the single repetitions, which results written before
    they were kept in the file lack."""
    repetitions: dict[str, list[float]] = {}
    found: dict[str, tuple[float, Quartiles, str]] = {}
    for bench in sorted(data["benchmarks"], key=registration_order):
        if bench.get("run_type") == "iteration":
            repetitions.setdefault(bench["run_name"], []).append(bench["real_time"])
        elif bench.get("aggregate_name") == "median":
            times = repetitions.get(bench["run_name"], [])
            quartiles = None
            if len(times) >= 2:
                q1, _, q3 = statistics.quantiles(times, n=4, method="inclusive")
                quartiles = (q1, q3)
            found[bench["run_name"]] = (bench["real_time"], quartiles, bench.get("time_unit", "ns"))
    return found


def overlaps(a: Quartiles, b: Quartiles) -> bool:
    """Whether two interquartile ranges overlap: then the run cannot tell the two
    variants apart, whatever the ratio of their medians says."""
    return a is not None and b is not None and a[0] <= b[1] and b[0] <= a[1]


def nanoseconds(time: float, unit: str) -> float:
    return time * NS_PER.get(unit, 1.0)


def measured_nothing(data: dict) -> list[str]:
    """Variants whose median is under a nanosecond per iteration. No real operation on
    a general-purpose processor is that fast once it is measured in a loop: such a
    result is the loop's overhead, and a page must not show it. A benchmark that shows a
    pitfall on purpose declares its empty variants with
    benchmark::AddCustomContext("ce_measures_nothing", "group/variant,...")."""
    declared = {v.strip() for v in data.get("context", {}).get("ce_measures_nothing", "").split(",")}
    return [run_name for run_name, (t, _quartiles, unit) in summaries(data).items()
            if nanoseconds(t, unit) < 1.0 and "/".join(split_name(run_name)) not in declared]


def per_item(data: dict) -> dict[tuple[str, str], float]:
    """(group, variant) -> nanoseconds per item, from the median's items_per_second, for
    benchmarks that report items (state.SetItemsProcessed)."""
    return {split_name(bench["run_name"]): 1e9 / bench["items_per_second"]
            for bench in data["benchmarks"]
            if bench.get("aggregate_name") == "median" and bench.get("items_per_second")}
