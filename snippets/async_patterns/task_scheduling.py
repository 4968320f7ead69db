"""The Python idiom that async_patterns/task_scheduling.cpp replaces, run by the build.

The regions are what the page shows; the assertions make the build fail if the idiom
ever stops behaving as the page says.
"""

import asyncio


# [python-gather]
async def fetch(events: list[str], name: str, delay: float) -> str:
    events.append(f"start {name}")
    await asyncio.sleep(delay)
    events.append(f"end {name}")
    return name.upper()


async def gather_three() -> None:
    events: list[str] = []
    results = await asyncio.gather(fetch(events, "a", 0.03), fetch(events, "b", 0.01),
                                   fetch(events, "c", 0.02))
    assert results == ["A", "B", "C"]                  # in argument order
    assert events[:3] == ["start a", "start b", "start c"]   # all started before any ended
    assert events[3:] == ["end b", "end c", "end a"]   # ended in deadline order

asyncio.run(gather_three())
# [python-gather]


# [python-wait-for]
async def slow_query() -> int:
    await asyncio.sleep(10)
    return 1


async def with_timeout() -> None:
    try:
        await asyncio.wait_for(slow_query(), timeout=0.05)
    except TimeoutError:
        pass
    else:
        raise AssertionError("expected TimeoutError")

asyncio.run(with_timeout())
# [python-wait-for]


# [python-semaphore]
async def limited() -> None:
    sem = asyncio.Semaphore(2)
    running = peak = 0

    async def job() -> None:
        nonlocal running, peak
        async with sem:
            running += 1
            peak = max(peak, running)
            await asyncio.sleep(0.01)
            running -= 1

    await asyncio.gather(*(job() for _ in range(6)))
    assert peak == 2

asyncio.run(limited())
# [python-semaphore]


# [python-queue]
async def pipeline() -> None:
    queue: asyncio.Queue[int | None] = asyncio.Queue(maxsize=4)
    largest = 0

    async def producer() -> None:
        for i in range(100):
            await queue.put(i)                         # waits while the queue is full
        await queue.put(None)                          # end of stream

    async def consumer() -> int:
        nonlocal largest
        total = 0
        while (item := await queue.get()) is not None:
            largest = max(largest, queue.qsize() + 1)
            total += item
            await asyncio.sleep(0)                     # a slow consumer
        return total

    _, total = await asyncio.gather(producer(), consumer())
    assert total == sum(range(100))
    assert largest <= 4                                # backpressure: never more than maxsize

asyncio.run(pipeline())
# [python-queue]
