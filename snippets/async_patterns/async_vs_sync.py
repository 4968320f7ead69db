"""The Python idiom that async_patterns/async_vs_sync.cpp replaces, run by the build.

The regions are what the page shows; the assertions make the build fail if the idiom
ever stops behaving as the page says.
"""

import asyncio
import time


# [python-idiom]
async def add(a: int, b: int) -> int:
    return a + b


async def twice_sum(a: int, b: int) -> int:
    once = await add(a, b)             # runs add() to the end, then continues here
    return 2 * once


coroutine = twice_sum(1, 2)            # a coroutine object: nothing has run yet
assert asyncio.run(coroutine) == 6     # a new event loop runs it to the end
# [python-idiom]


# [python-errors]
async def parse_port(text: str) -> int:
    port = int(text)                   # ValueError for "http"
    if not 1 <= port <= 65535:
        raise ValueError(f"port out of range: {text}")
    return port

assert asyncio.run(parse_port("8080")) == 8080
try:
    asyncio.run(parse_port("99999"))
except ValueError as e:                # asyncio.run re-raises what the coroutine raised
    assert str(e) == "port out of range: 99999"
else:
    raise AssertionError("expected ValueError")
# [python-errors]


# [python-blocking]
async def blocking_lookup() -> int:
    time.sleep(0.3)                    # blocks the thread, and with it the whole loop
    return 42


async def offloaded_lookup() -> int:
    await asyncio.to_thread(time.sleep, 0.3)   # blocks a worker thread instead
    return 42


async def ticks_while(lookup) -> int:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)             # let the ticker start
    assert await lookup() == 42
    task.cancel()
    return ticks

assert asyncio.run(ticks_while(blocking_lookup)) == 0   # 30 ticks were due; none ran
assert asyncio.run(ticks_while(offloaded_lookup)) >= 1
# [python-blocking]
