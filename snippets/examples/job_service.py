"""The Python idiom that examples/job_service replaces, run by the build.

A job queue over HTTP in aiohttp: POST a job, get 202 and an id, poll until it is done.
The CPU-bound work runs in a process pool, as asyncio code must do to keep its loop
free. The region is what the page shows; the checks below it run the service on
loopback and make the build fail if it ever stops behaving as the page says.
"""

import asyncio
import itertools
import logging
from concurrent.futures import ProcessPoolExecutor

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer


# [python-idiom]
def count_primes(limit: int) -> int:
    sieve = bytearray([1]) * (limit + 1)
    sieve[:2] = b"\0\0"
    for n in range(2, int(limit**0.5) + 1):
        if sieve[n]:
            sieve[n * n :: n] = bytes(len(range(n * n, limit + 1, n)))
    return sum(sieve)


def make_app(pool: ProcessPoolExecutor, capacity: int = 64) -> web.Application:
    jobs: dict[int, dict] = {}
    ids = itertools.count(1)

    async def run(job_id: int, limit: int) -> None:
        loop = asyncio.get_running_loop()
        jobs[job_id]["result"] = await loop.run_in_executor(pool, count_primes, limit)
        jobs[job_id]["state"] = "done"

    async def submit(request: web.Request) -> web.Response:
        if sum(j["state"] != "done" for j in jobs.values()) >= capacity:
            return web.json_response({"error": "busy"}, status=503, headers={"Retry-After": "1"})
        limit = int(await request.text())  # a bad body raises: aiohttp answers 500
        job_id = next(ids)
        jobs[job_id] = {"id": job_id, "state": "queued"}
        request.app["tasks"].add(asyncio.create_task(run(job_id, limit)))
        return web.json_response({"id": job_id}, status=202)

    async def status(request: web.Request) -> web.Response:
        job = jobs.get(int(request.match_info["id"]))
        if job is None:
            raise web.HTTPNotFound()
        return web.json_response(job)

    app = web.Application()
    app["tasks"] = set()
    app.add_routes([web.post("/jobs", submit), web.get("/jobs/{id}", status)])
    return app
# [python-idiom]


async def main() -> None:
    with ProcessPoolExecutor(max_workers=2) as pool:
        async with TestClient(TestServer(make_app(pool, capacity=2))) as client:
            reply = await client.post("/jobs", data="100000")
            assert reply.status == 202
            job_id = (await reply.json())["id"]
            while (job := await (await client.get(f"/jobs/{job_id}")).json())["state"] != "done":
                await asyncio.sleep(0.01)
            assert job == {"id": job_id, "state": "done", "result": 9592}
            assert (await client.get("/jobs/999")).status == 404
            # Backpressure: two unfinished jobs fill the queue; the third is refused.
            first = await client.post("/jobs", data="3000000")
            second = await client.post("/jobs", data="3000000")
            third = await client.post("/jobs", data="10")
            assert (first.status, second.status) == (202, 202)
            assert third.status == 503 and third.headers["Retry-After"] == "1"
            await asyncio.gather(*client.app["tasks"])
            # What nothing here checks: a body that is not a number is a 500, not a 400
            # (aiohttp logs the ValueError's traceback; this run keeps its output quiet).
            logging.getLogger("aiohttp.server").disabled = True
            assert (await client.post("/jobs", data="many")).status == 500


asyncio.run(main())
