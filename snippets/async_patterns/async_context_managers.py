"""The Python idiom that async_patterns/async_context_managers.cpp replaces, run by the
build. The regions are what the page shows; the assertions make the build fail if the
idiom ever stops behaving as the page says.
"""

import asyncio
import contextlib


# [python-idiom]
class Connection:
    def __init__(self, log: list[str]) -> None:
        self.log = log
        self.buffered: list[str] = []

    async def send(self, message: str) -> None:
        await asyncio.sleep(0.001)
        self.buffered.append(message)

    async def aclose(self) -> None:
        await asyncio.sleep(0.005)                 # flushing takes a wait of its own
        self.log.append(f"flushed {len(self.buffered)}, closed")


@contextlib.asynccontextmanager
async def open_connection(log: list[str]):
    await asyncio.sleep(0.001)
    log.append("opened")
    connection = Connection(log)
    try:
        yield connection
    finally:                                       # success, exception or cancellation
        await connection.aclose()
# [python-idiom]


# [python-guarantee]
async def work(log: list[str], fail: bool) -> None:
    async with open_connection(log) as c:
        await c.send("hello")
        if fail:
            raise ValueError("bad reply")
        await asyncio.sleep(10)                    # long enough to be cancelled


async def three_ways() -> None:
    for fail, cancel in ((True, False), (False, True)):
        log: list[str] = []
        task = asyncio.create_task(work(log, fail))
        if cancel:
            await asyncio.sleep(0.05)
            task.cancel()
        with contextlib.suppress(ValueError, asyncio.CancelledError):
            await task
        assert log == ["opened", "flushed 1, closed"], log

asyncio.run(three_ways())
# [python-guarantee]


# [python-task-group]
async def child(done: list[str], name: str, delay: float, fail: bool = False) -> None:
    try:
        await asyncio.sleep(delay)
        if fail:
            raise ValueError(f"{name} failed")
    finally:
        done.append(name)                          # runs when cancelled, too


async def group() -> None:
    done: list[str] = []
    try:
        async with asyncio.TaskGroup() as tg:
            tg.create_task(child(done, "slow", 10))
            tg.create_task(child(done, "failing", 0.01, fail=True))
    except* ValueError as errors:
        assert [str(e) for e in errors.exceptions] == ["failing failed"]
    assert sorted(done) == ["failing", "slow"]     # both ended before the block did

asyncio.run(group())
# [python-task-group]
