"""Chapter 8's jobq against two peers serving the same endpoints, under the same load.

    cpp_httplib  bench/job_service_httplib.cpp: cpp-httplib, a thread per connection
    ce_jobq      snippets/examples/job_service: the book's service (ce event loop, one
                 thread for I/O, group commit)
    aiohttp      bench/job_service_aiohttp.py in Debian's /usr/bin/python3

The C++ servers are built by the preset that builds this benchmark (bench-gcc: g++ 12
-O2; bench-clang: clang 19 -O2), cpp-httplib's library is Debian's. Each server runs
with two job workers, a queue of QUEUE jobs and a rate limit it never reaches; it writes
its log to a file. The load generator is wrk (Debian's, one thread, CONNECTIONS
keep-alive connections, DURATION seconds a run, bench/job_service.lua), the same for all.
Two loads, each its own run of wrk:

status  GET /jobs/1, a finished job: HTTP, routing, the token, the rate limit, JSON and
        a log line per request, nothing else.
submit  POST /jobs with the body 1000: also a record in the write-ahead log, on the disk
        (fdatasync) before the answer, then the job (168 primes) on a worker, and its
        done record.

Every run of wrk is one repetition of two cases: <load>/<server> is the wall time per
completed request (the inverse of the throughput at that concurrency), and
<load>_p99/<server> the 99th percentile of the request latencies wrk saw. Repetitions
run in random interleaved order over servers and loads. A run with any error (refused
connection, timeout, a status other than 2xx) fails the benchmark: a fast wrong answer
is not a result.

Run by tools/bench.py through build/<preset>/bench/bench.job_service; takes the Google
Benchmark flags bench.py passes and writes the same JSON (bench/script_benchmark.py).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from script_benchmark import add_flags, repetition, write_report

HERE = Path(__file__).resolve().parent
TOKEN = "bench-token"
CONNECTIONS = 16
DURATION = 2      # seconds a run of wrk
WARM_UP = 1       # seconds of load on each server before the first repetition
QUEUE = 100_000   # never full: a 503 would end the run
SERVERS = ("cpp_httplib", "ce_jobq", "aiohttp")   # the first is each group's baseline
LOADS = {"status": ("GET", "/jobs/1", ""), "submit": ("POST", "/jobs", "1000")}


class Server:
    """One server process, its data folder and log file in a scratch folder."""

    def __init__(self, name: str, command: list[str], scratch: Path) -> None:
        self.name = name
        folder = scratch / name
        folder.mkdir()
        self.log = folder / "log.jsonl"
        command = command + ["--data", str(folder / "data"), "--token", TOKEN, "--port", "0", "--workers", "2",
                             "--queue", str(QUEUE), "--rate", "1e9", "--burst", "1e9"]
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        self.port = self.wait_for_port()

    def wait_for_port(self) -> int:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"bench.job_service: {self.name} exited ({self.process.returncode}):\n"
                                 + self.log.read_text(errors="replace"))
            for line in self.log.read_text(errors="replace").splitlines():
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if entry.get("msg") == "listening":
                    return int(entry["port"])
            time.sleep(0.05)
        raise SystemExit(f"bench.job_service: {self.name} did not say where it listens within 30 s")

    def request(self, method: str, target: str, body: str = "") -> tuple[int, dict]:
        rq = urllib.request.Request(f"http://127.0.0.1:{self.port}{target}", method=method,
                                    data=body.encode() if method == "POST" else None,
                                    headers={"Authorization": f"Bearer {TOKEN}"})
        with urllib.request.urlopen(rq, timeout=10) as answer:
            return answer.status, json.loads(answer.read())

    def first_job_done(self) -> None:
        """Job 1, which the status load reads, submitted and finished; the same answer
        from every server, or the comparison would not be of the same work."""
        status, accepted = self.request("POST", "/jobs", "1000")
        if (status, accepted) != (202, {"id": 1}):
            raise SystemExit(f"bench.job_service: {self.name} answered POST /jobs with {status} {accepted}")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            _, job = self.request("GET", "/jobs/1")
            if job.get("state") == "done":
                if job != {"id": 1, "limit": 1000, "state": "done", "primes": 168}:
                    raise SystemExit(f"bench.job_service: {self.name}'s job 1 is {job}")
                return
            time.sleep(0.02)
        raise SystemExit(f"bench.job_service: {self.name} did not finish job 1 within 10 s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def listen_overflows() -> int:
    """The kernel's count of connections dropped because a listening socket's accept
    queue was full (TcpExt ListenOverflows in /proc/net/netstat), 0 where unreadable."""
    try:
        lines = Path("/proc/net/netstat").read_text().splitlines()
    except OSError:
        return 0
    for names, values in zip(lines[::2], lines[1::2]):
        if names.startswith("TcpExt:"):
            table = dict(zip(names.split()[1:], values.split()[1:]))
            return int(table.get("ListenOverflows", 0))
    return 0


def wrk(server: Server, load: str, seconds: int) -> dict:
    """One run of wrk; its numbers as bench/job_service.lua prints them, and the accept
    queue's overflows during the run (loopback: all of them are this run's)."""
    method, target, body = LOADS[load]
    overflows = listen_overflows()
    env = dict(os.environ, CE_WRK_METHOD=method, CE_WRK_BODY=body, CE_WRK_TOKEN=TOKEN)
    done = subprocess.run(["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "5s",
                           "-s", str(HERE / "job_service.lua"), f"http://127.0.0.1:{server.port}{target}"],
                          env=env, capture_output=True, text=True, timeout=seconds + 30, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"bench.job_service: wrk failed against {server.name}:\n{done.stdout}{done.stderr}")
    result = json.loads(lines[-1])
    result["listen_overflows"] = listen_overflows() - overflows
    errors = {k: result[k] for k in ("connect", "read", "write", "status", "timeout") if result[k]}
    if errors or result["requests"] == 0:
        raise SystemExit(f"bench.job_service: {load} on {server.name}: {result['requests']} requests, "
                         f"errors {errors}; the server's log is {server.log}")
    return result


def submissions_logged(server: Server) -> int:
    wal = server.log.parent / "data" / "jobs.wal"
    data = wal.read_bytes() if wal.exists() else b""
    return data.count(b"submit ")  # jobq's records are framed: count the payloads' words


def check(commands: dict[str, list[str]]) -> int:
    """make test's run of this benchmark, one short run of wrk per server and load, no
    numbers: every server starts, gives job 1 the same answer, serves both loads
    without an error, and has every submission it acknowledged in its log."""
    with tempfile.TemporaryDirectory(prefix="bench-job-service-") as scratch:
        for name in SERVERS:
            server = Server(name, commands[name], Path(scratch))
            try:
                server.first_job_done()
                print(f"{name}: job 1 done, 168 primes")
                for load in LOADS:
                    result = wrk(server, load, 1)
                    print(f"{name}: {load}: no errors, {LOADS[load][0]} {LOADS[load][1]}")
                    if load == "submit":
                        logged = submissions_logged(server)
                        # wrk counts the 202s it read; the log may hold a few more, whose
                        # answers were in flight when wrk stopped.
                        if logged < result["requests"] + 1:
                            raise SystemExit(f"bench.job_service: {name} acknowledged {result['requests']} "
                                             f"submissions and logged {logged - 1}")
                        print(f"{name}: every acknowledged submission is in its log")
            finally:
                server.stop()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobq", required=True, help="the jobq program")
    parser.add_argument("--httplib", required=True, help="bench/job_service_httplib.cpp's program")
    parser.add_argument("--check", action="store_true",
                        help="make test's run: one short run per server and load, checks only")
    add_flags(parser)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("bench.job_service: wrk is not installed (make deps installs it)")
    load_at_start = list(os.getloadavg())
    commands = {"cpp_httplib": [args.httplib, "--threads", str(CONNECTIONS)],
                "ce_jobq": [args.jobq],
                "aiohttp": [sys.executable, str(HERE / "job_service_aiohttp.py")]}
    if args.check:
        return check(commands)
    cases = [f"{load}{kind}/{server}" for load in LOADS for kind in ("", "_p99") for server in SERVERS]
    runs: dict[str, list[dict]] = {case: [] for case in cases}
    repetitions = args.benchmark_repetitions
    order = [(load, server, index) for load in LOADS for server in SERVERS for index in range(repetitions)]
    if args.benchmark_enable_random_interleaving == "true":
        random.shuffle(order)

    with tempfile.TemporaryDirectory(prefix="bench-job-service-") as scratch:
        servers = {}
        try:
            for name in SERVERS:
                servers[name] = Server(name, commands[name], Path(scratch))
                servers[name].first_job_done()
            for server in servers.values():
                for load in LOADS:
                    wrk(server, load, WARM_UP)
            for load, name, index in order:
                result = wrk(servers[name], load, DURATION)
                seconds = result["duration_us"] / 1e6
                per_request = result["duration_us"] / result["requests"]
                counters = {"requests": float(result["requests"]), "p50_us": float(result["p50"]),
                            "p90_us": float(result["p90"]), "max_us": float(result["max"]),
                            "listen_overflows": float(result["listen_overflows"])}
                runs[f"{load}/{name}"].append(
                    repetition(f"{load}/{name}", index, repetitions, per_request, per_request,
                               result["requests"], "us", requests_per_second=result["requests"] / seconds, **counters))
                runs[f"{load}_p99/{name}"].append(
                    repetition(f"{load}_p99/{name}", index, repetitions, float(result["p99"]), float(result["p99"]),
                               result["requests"], "us", **counters))
                print(f"bench.job_service: {load:<6} {name:<11} #{index}: {result['requests'] / seconds:8.0f} requests/s, "
                      f"p50 {result['p50']} us, p99 {result['p99']} us, accept queue overflows "
                      f"{result['listen_overflows']}", flush=True)
            for server in servers.values():
                if server.process.poll() is not None:
                    raise SystemExit(f"bench.job_service: {server.name} died during the run")
        finally:
            for server in servers.values():
                server.stop()
    write_report(args, cases, runs, load_at_start, ce_load=f"wrk -t1 -c{CONNECTIONS} -d{DURATION}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
