"""The Python idiom that design_patterns/lifecycle.cpp replaces, run by the build.

The region is what the page shows; the checks below it make the build fail if the
idiom ever stops behaving as the page says. The SIGTERM is real: the script sends it
to its own process with os.kill once the service is up, and waits at most 5 seconds.
"""

import asyncio
import os
import signal
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.testclient import TestClient

events = []


class Database:
    async def __aenter__(self):
        events.append("database open")
        return self

    async def __aexit__(self, *exc):
        events.append("database closed")


class WorkerPool:
    def __init__(self, db):
        self.db = db

    async def __aenter__(self):
        events.append("workers started")
        return self

    async def __aexit__(self, *exc):
        events.append("workers stopped")


# [python-idiom]
@asynccontextmanager
async def lifespan(app):
    async with Database() as db, WorkerPool(db):
        yield                      # the application runs here
    # leaving the block: workers stop first, then the database

app = Starlette(lifespan=lifespan)     # a server such as Uvicorn runs it for you

async def main():                      # without a server, by hand
    stop_event = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop_event.set)
    async with lifespan(app):
        await stop_event.wait()
# [python-idiom]


async def started():
    while events != ["database open", "workers started"]:
        await asyncio.sleep(0)  # yields to main() once per turn; no real time passes


async def run_and_terminate():
    service = asyncio.create_task(main())
    await asyncio.wait_for(started(), timeout=5)
    os.kill(os.getpid(), signal.SIGTERM)  # as an orchestrator would
    await asyncio.wait_for(service, timeout=5)


# Started in order, stopped in reverse, after a real SIGTERM to this process.
asyncio.run(run_and_terminate())
assert events == ["database open", "workers started", "workers stopped", "database closed"], events
# asyncio.run closed its loop, which removed the handler and restored the default action.
assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL

# The application's server side: the same lifespan is its startup and shutdown.
events.clear()
with TestClient(app):
    assert events == ["database open", "workers started"], events
assert events == ["database open", "workers started", "workers stopped", "database closed"], events


# CPython's C-level handler writes the signal number to a wake-up fd only when one was
# installed with signal.set_wakeup_fd; asyncio's add_signal_handler installs one.
async def wakeup_fd_of_add_signal_handler() -> tuple[int, int]:
    loop = asyncio.get_running_loop()
    before = signal.set_wakeup_fd(-1)  # returns the fd installed so far, and clears it
    loop.add_signal_handler(signal.SIGUSR1, lambda: None)
    installed = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(installed)  # put it back for remove_signal_handler to clear
    loop.remove_signal_handler(signal.SIGUSR1)
    return before, installed


before, installed = asyncio.run(wakeup_fd_of_add_signal_handler())
assert before == -1, before
assert installed != -1
assert signal.set_wakeup_fd(-1) == -1  # removing the last handler uninstalled it
