"""Python threads calling the ce_gil extension module (snippets/concurrency/gil.cpp): the
same C++ loop, once holding the GIL for the whole call and once releasing it.

holding_gil/*    ce_gil.mix_holding_gil
releasing_gil/*  ce_gil.mix_releasing_gil

Every variant does the same total work, WORK rounds of the loop, split evenly over 1 or
2 Python threads that start together; its time is the wall time until the last thread
is done. With the GIL released, 2 threads can use 2 cores and take about half the time
of 1; holding it, they run one after the other and take as long as 1, or longer.

Run by tools/bench.py through build/<preset>/bench/bench.gil, which passes the module's
folder. It takes the Google Benchmark flags bench.py passes and writes the same JSON
(every repetition, then mean, median, stddev and cv), so that the book's
``bench-results`` tables read it like any other benchmark. Repetitions run in random
interleaved order, as --benchmark_enable_random_interleaving does.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import socket
import statistics
import sys
import threading
import time

WORK = 40_000_000   # rounds of the loop per iteration, about 50 ms on one core
MIN_TIME = 0.5      # seconds per repetition, Google Benchmark's default


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module-dir", required=True)
    parser.add_argument("--benchmark_repetitions", type=int, default=1)
    parser.add_argument("--benchmark_enable_random_interleaving", choices=["true", "false"], default="false")
    parser.add_argument("--benchmark_display_aggregates_only", choices=["true", "false"], default="false")
    parser.add_argument("--benchmark_format", choices=["console"], default="console")
    parser.add_argument("--benchmark_out_format", choices=["json"], default="json")
    parser.add_argument("--benchmark_out")
    return parser.parse_args()


def in_threads(function, threads: int) -> float:
    """Seconds for `threads` threads, started together, to share WORK rounds."""
    share = WORK // threads
    results: list[int] = []
    ready = threading.Barrier(threads + 1)

    def work() -> None:
        ready.wait()
        results.append(function(1, share))

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for w in workers:
        w.start()
    ready.wait()
    start = time.perf_counter()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - start
    assert len(results) == threads and len(set(results)) == 1
    return elapsed


def main() -> int:
    args = parse_args()
    load_at_start = list(os.getloadavg())   # as Google Benchmark reports it
    sys.path.insert(0, args.module_dir)
    import ce_gil  # noqa: E402  (built by this preset from snippets/concurrency/gil.cpp)

    assert ce_gil.mix_holding_gil(1, 1000) == ce_gil.mix_releasing_gil(1, 1000)
    cases = [(f"{group}/{threads}_thread{'s' if threads > 1 else ''}/real_time", function, threads)
             for group, function in (("holding_gil", ce_gil.mix_holding_gil),
                                     ("releasing_gil", ce_gil.mix_releasing_gil))
             for threads in (1, 2)]
    # Like Google Benchmark: enough iterations per repetition to fill MIN_TIME.
    iterations = {name: max(1, round(MIN_TIME / in_threads(function, threads))) for name, function, threads in cases}

    repetitions = args.benchmark_repetitions
    order = [(case, index) for case in cases for index in range(repetitions)]
    if args.benchmark_enable_random_interleaving == "true":
        random.shuffle(order)
    runs: dict[str, list[dict]] = {name: [] for name, _, _ in cases}
    for (name, function, threads), index in order:
        n = iterations[name]
        cpu_start = time.process_time()
        wall = sum(in_threads(function, threads) for _ in range(n))
        cpu = time.process_time() - cpu_start
        runs[name].append({"name": name, "run_name": name, "run_type": "iteration",
                           "repetitions": repetitions, "repetition_index": index, "threads": 1,
                           "iterations": n, "real_time": wall / n * 1e3, "cpu_time": cpu / n * 1e3,
                           "time_unit": "ms"})

    report = []
    print(f"{'Benchmark':<40} {'Time':>12} {'CPU':>12} {'Iterations':>11}")
    for family, (name, _, _) in enumerate(cases):
        for r in runs[name]:
            r["family_index"] = family
            r["per_family_instance_index"] = 0
        singles = sorted(runs[name], key=lambda r: r["repetition_index"])
        report += singles
        if args.benchmark_display_aggregates_only != "true":
            for r in singles:
                print(f"{name:<40} {r['real_time']:9.2f} ms {r['cpu_time']:9.2f} ms {r['iterations']:>11}")
        for aggregate, real, cpu in aggregates(singles):
            report.append({"name": f"{name}_{aggregate}", "family_index": family, "per_family_instance_index": 0,
                           "run_name": name, "run_type": "aggregate",
                           "repetitions": repetitions, "threads": 1, "aggregate_name": aggregate,
                           "aggregate_unit": "percentage" if aggregate == "cv" else "time",
                           "iterations": repetitions, "real_time": real, "cpu_time": cpu, "time_unit": "ms"})
            unit = " %" if aggregate == "cv" else "ms"
            scale = 100 if aggregate == "cv" else 1
            print(f"{name + '_' + aggregate:<40} {real * scale:9.2f} {unit} {cpu * scale:9.2f} {unit} {repetitions:>11}")

    if args.benchmark_out:
        context = {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
                   "host_name": socket.gethostname(), "executable": os.path.abspath(__file__),
                   "num_cpus": os.cpu_count(), "python": sys.version.split()[0],
                   "load_avg": load_at_start}
        with open(args.benchmark_out, "w", encoding="utf-8") as out:
            json.dump({"context": context, "benchmarks": report}, out, indent=1)
    return 0


def aggregates(singles: list[dict]) -> list[tuple[str, float, float]]:
    real = [r["real_time"] for r in singles]
    cpu = [r["cpu_time"] for r in singles]
    found = [("mean", statistics.fmean(real), statistics.fmean(cpu)),
             ("median", statistics.median(real), statistics.median(cpu))]
    if len(singles) > 1:
        found += [("stddev", statistics.stdev(real), statistics.stdev(cpu)),
                  ("cv", statistics.stdev(real) / statistics.fmean(real), statistics.stdev(cpu) / statistics.fmean(cpu))]
    return found


if __name__ == "__main__":
    sys.exit(main())
