"""What a benchmark written as a script needs to stand in for a Google Benchmark
executable behind tools/bench.py: the flags bench.py passes, and the same JSON (every
repetition, then mean, median, stddev and cv per case) and console lines, so that the
book's ``bench-results`` tables read it like any other benchmark.

    runs = {name: [] for name in cases}          # in registration order
    runs[name].append(repetition(name, index, repetitions, real, cpu, iterations, unit))
    write_report(args, cases, runs)
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import socket
import statistics
import sys


def add_flags(parser: argparse.ArgumentParser) -> None:
    """The Google Benchmark flags tools/bench.py passes."""
    parser.add_argument("--benchmark_repetitions", type=int, default=1)
    parser.add_argument("--benchmark_enable_random_interleaving", choices=["true", "false"], default="false")
    parser.add_argument("--benchmark_display_aggregates_only", choices=["true", "false"], default="false")
    parser.add_argument("--benchmark_format", choices=["console"], default="console")
    parser.add_argument("--benchmark_out_format", choices=["json"], default="json")
    parser.add_argument("--benchmark_out")


def repetition(name: str, index: int, repetitions: int, real: float, cpu: float, iterations: int,
               unit: str, **extra: float) -> dict:
    """One repetition of a case, as Google Benchmark writes it; extra holds counters."""
    return {"name": name, "run_name": name, "run_type": "iteration", "repetitions": repetitions,
            "repetition_index": index, "threads": 1, "iterations": iterations,
            "real_time": real, "cpu_time": cpu, "time_unit": unit, **extra}


def aggregates(singles: list[dict]) -> list[tuple[str, float, float]]:
    real = [r["real_time"] for r in singles]
    cpu = [r["cpu_time"] for r in singles]
    found = [("mean", statistics.fmean(real), statistics.fmean(cpu)),
             ("median", statistics.median(real), statistics.median(cpu))]
    if len(singles) > 1:
        found += [("stddev", statistics.stdev(real), statistics.stdev(cpu)),
                  ("cv", statistics.stdev(real) / statistics.fmean(real), statistics.stdev(cpu) / statistics.fmean(cpu))]
    return found


def write_report(args: argparse.Namespace, cases: list[str], runs: dict[str, list[dict]],
                 load_at_start: list[float], **context: str) -> None:
    """Prints the repetitions and aggregates and writes --benchmark_out. Each case is
    its own family, in the order of `cases`: the first case of a group is its baseline."""
    report = []
    print(f"{'Benchmark':<40} {'Time':>14} {'CPU':>14} {'Iterations':>11}")
    for family, name in enumerate(cases):
        singles = sorted(runs[name], key=lambda r: r["repetition_index"])
        for r in singles:
            r["family_index"] = family
            r["per_family_instance_index"] = 0
        report += singles
        if not singles:
            continue
        unit = singles[0]["time_unit"]
        if args.benchmark_display_aggregates_only != "true":
            for r in singles:
                print(f"{name:<40} {r['real_time']:11.2f} {unit} {r['cpu_time']:11.2f} {unit} {r['iterations']:>11}")
        for aggregate, real, cpu in aggregates(singles):
            report.append({"name": f"{name}_{aggregate}", "family_index": family, "per_family_instance_index": 0,
                           "run_name": name, "run_type": "aggregate",
                           "repetitions": len(singles), "threads": 1, "aggregate_name": aggregate,
                           "aggregate_unit": "percentage" if aggregate == "cv" else "time",
                           "iterations": len(singles), "real_time": real, "cpu_time": cpu, "time_unit": unit})
            shown = " %" if aggregate == "cv" else unit
            scale = 100 if aggregate == "cv" else 1
            print(f"{name + '_' + aggregate:<40} {real * scale:11.2f} {shown:>2} {cpu * scale:11.2f} {shown:>2} "
                  f"{len(singles):>11}")
    if args.benchmark_out:
        info = {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
                "host_name": socket.gethostname(), "executable": os.path.abspath(sys.argv[0]),
                "num_cpus": os.cpu_count(), "python": sys.version.split()[0],
                "load_avg": load_at_start, **context}
        with open(args.benchmark_out, "w", encoding="utf-8") as out:
            json.dump({"context": info, "benchmarks": report}, out, indent=1)
