"""jobq's endpoints served by aiohttp (Debian's python3-aiohttp): the Python peer of
bench/job_service.py, written the way aiohttp's documentation shows.

    job_service_aiohttp.py --data <folder> --token <secret> [--port 0] [--workers 2]
                           [--queue 64] [--rate 1000] [--burst 2000]

The same endpoints, answers and log records as chapter 8's jobq: POST /jobs with a limit
as the body -> 202 {"id":N} once "submit N limit" is in the log and fdatasync'ed; GET
/jobs/N -> the job as JSON; GET /health needs no token. The same layers, as aiohttp
middlewares: one JSON log line per request on standard output (the first line says where
it listens), errors -> 500, bearer token -> 401, a token bucket per client address ->
429; a full queue -> 503 with Retry-After. The log's appends and syncs run on a thread
(run_in_executor, one at a time under a lock: no group commit), so the event loop keeps
serving while a sync waits; jobs run on a pool of --workers threads.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import json
import os
import sys
import threading
import time

from aiohttp import web

MAX_LIMIT = 50_000_000


def parse_job_spec(body: bytes) -> int | None:
    """jobq's parse_job_spec: the limit in decimal, nothing else, 1 to MAX_LIMIT."""
    if not body or not body.isdigit():
        return None
    limit = int(body)
    return limit if 1 <= limit <= MAX_LIMIT else None


def count_primes(limit: int) -> int:
    """The number of primes not above limit, by the sieve of Eratosthenes."""
    if limit < 2:
        return 0
    composite = bytearray(limit + 1)
    for n in range(2, int(limit ** 0.5) + 1):
        if not composite[n]:
            composite[n * n::n] = b"\x01" * len(range(n * n, limit + 1, n))
    return limit - 1 - sum(composite[2:])


class LogFile:
    """Each record on a line of its own, on the disk before append() returns."""

    def __init__(self, path: str) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)
        self.lock = threading.Lock()

    def append(self, record: str) -> None:
        with self.lock:
            os.write(self.fd, (record + "\n").encode())
            os.fdatasync(self.fd)


class Service:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.wal = LogFile(os.path.join(args.data, "jobs.wal"))
        self.disk = concurrent.futures.ThreadPoolExecutor(max_workers=4)
        self.cpu = concurrent.futures.ThreadPoolExecutor(max_workers=args.workers)
        self.jobs: dict[int, dict] = {}
        self.unfinished = 0
        self.reserved = 0
        self.next_id = 1
        self.queue: asyncio.Queue[int] = asyncio.Queue()
        self.buckets: dict[str, list[float]] = {}
        self.request_ids = 0

    async def submit(self, request: web.Request) -> web.Response:
        limit = parse_job_spec(await request.read())
        if limit is None:
            return error(400, "the body must be a whole number from 1 to 50000000")
        if self.unfinished + self.reserved >= self.args.queue:
            return error(503, "the queue is full", {"Retry-After": "1"})
        job_id = self.next_id
        self.next_id += 1
        self.reserved += 1
        try:
            await asyncio.get_running_loop().run_in_executor(self.disk, self.wal.append, f"submit {job_id} {limit}")
        finally:
            self.reserved -= 1
        self.jobs[job_id] = {"id": job_id, "limit": limit, "state": "queued"}
        self.unfinished += 1
        self.queue.put_nowait(job_id)
        return json_response(202, f'{{"id":{job_id}}}', {"Location": f"/jobs/{job_id}"})

    async def status(self, request: web.Request) -> web.Response:
        digits = request.match_info["id"]
        job = self.jobs.get(int(digits)) if digits.isdigit() else None
        if job is None:
            return error(404, "no such resource")
        # jobq's to_json: the same members in the same order, no spaces
        return json_response(200, json.dumps(job, separators=(",", ":")))

    async def health(self, _request: web.Request) -> web.Response:
        return json_response(200, f'{{"status":"ok","unfinished":{self.unfinished}}}')

    async def worker(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            job_id = await self.queue.get()
            job = self.jobs[job_id]
            job["state"] = "running"
            primes = await loop.run_in_executor(self.cpu, count_primes, job["limit"])
            job["state"] = "done"
            job["primes"] = primes
            self.unfinished -= 1
            try:
                await loop.run_in_executor(self.disk, self.wal.append, f"done {job_id} {primes}")
            except OSError as e:
                print(f"could not log a finished job: {e}", file=sys.stderr)

    @web.middleware
    async def log_request(self, request: web.Request, handler) -> web.StreamResponse:
        start = time.monotonic_ns()
        self.request_ids += 1
        request_id = self.request_ids
        response = await handler(request)
        peer = request.transport.get_extra_info("peername") if request.transport else None
        line = {"ts": time.time_ns() // 1000, "level": "info", "msg": "request", "id": request_id,
                "client": f"{peer[0]}:{peer[1]}" if peer else "", "method": request.method,
                "target": request.path_qs, "status": response.status,
                "us": (time.monotonic_ns() - start) // 1000}
        sys.stdout.write(json.dumps(line, separators=(",", ":")) + "\n")
        return response

    @web.middleware
    async def map_errors(self, request: web.Request, handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPException as e:  # aiohttp's own answers (404, 405, 413) in jobq's words
            message = {404: "no such resource", 405: "use POST"}.get(e.status, e.reason)
            return error(e.status, message, {k: v for k, v in e.headers.items() if k == "Allow"})
        except OSError:
            return error(503, "the job could not be stored; try again", {"Retry-After": "1"})
        except Exception:  # noqa: BLE001  (any other failure is a 500, as in jobq)
            return error(500, "internal error")

    @web.middleware
    async def authenticate(self, request: web.Request, handler) -> web.StreamResponse:
        if request.path != "/health":
            given = request.headers.get("Authorization", "")
            if not given.startswith("Bearer ") or given[7:] != self.args.token:
                return error(401, "a valid bearer token is needed", {"WWW-Authenticate": "Bearer"})
        return await handler(request)

    @web.middleware
    async def limit_rate(self, request: web.Request, handler) -> web.StreamResponse:
        if request.path != "/health":
            now = time.monotonic()
            bucket = self.buckets.setdefault(request.remote or "", [self.args.burst, now])
            bucket[0] = min(self.args.burst, bucket[0] + (now - bucket[1]) * self.args.rate)
            bucket[1] = now
            if bucket[0] < 1:
                return error(429, "too many requests", {"Retry-After": "1"})
            bucket[0] -= 1
        return await handler(request)


def json_response(status: int, body: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, text=body, content_type="application/json", headers=headers)


def error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return json_response(status, json.dumps({"error": message}, separators=(",", ":")), headers)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--queue", type=int, default=64)
    parser.add_argument("--rate", type=float, default=1000)
    parser.add_argument("--burst", type=float, default=2000)
    args = parser.parse_args()
    os.makedirs(args.data, exist_ok=True)
    service = Service(args)
    app = web.Application(client_max_size=64,
                          middlewares=[service.log_request, service.map_errors, service.authenticate,
                                       service.limit_rate])
    app.router.add_get("/health", service.health)
    app.router.add_post("/jobs", service.submit)
    app.router.add_get("/jobs/{id}", service.status)
    runner = web.AppRunner(app, access_log=None)  # the log_request middleware writes the log
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", args.port)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001  (the port 0 became)
    print(json.dumps({"level": "info", "msg": "listening", "address": "127.0.0.1", "port": port},
                     separators=(",", ":")), flush=True)
    workers = [asyncio.create_task(service.worker()) for _ in range(args.workers)]
    try:
        await asyncio.Event().wait()  # until SIGTERM ends the process
    finally:
        for w in workers:
            w.cancel()
        await runner.cleanup()
    return 0


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)  # a log line reaches the file when written
    sys.exit(asyncio.run(main()))
