"""The Python idiom that concurrency/threading.cpp replaces, run by the build.

The regions are what the page shows; the assertions make the build fail if the idiom
ever stops behaving as the page says. Every wait is bounded by a timeout.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

# [python-thread-event]
def poll(stop: threading.Event, ticks: list[int]) -> None:
    while not stop.is_set():           # cooperative: the thread checks, nobody kills it
        ticks.append(1)
        stop.wait(0.001)

stop = threading.Event()
ticks: list[int] = []
worker = threading.Thread(target=poll, args=(stop, ticks))
worker.start()
stop.set()                             # ask the thread to finish ...
worker.join(timeout=30)                # ... and wait until it has
assert not worker.is_alive()
# [python-thread-event]

# [python-lock]
class Counter:
    def __init__(self) -> None:
        self.lock = threading.Lock()   # lives beside the data; nothing ties them together
        self.value = 0

    def add(self, n: int) -> None:
        for _ in range(n):
            with self.lock:            # every caller must remember this
                self.value += 1

counter = Counter()
threads = [threading.Thread(target=counter.add, args=(10_000,)) for _ in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join(timeout=60)
assert counter.value == 40_000
# [python-lock]

# [python-executor]
def parse(text: str) -> int:
    return int(text)                   # raises ValueError on bad input

with ThreadPoolExecutor(max_workers=4) as pool:
    good = pool.submit(parse, "42")
    bad = pool.submit(parse, "forty-two")
    assert good.result(timeout=30) == 42
    try:
        bad.result(timeout=30)         # the worker's exception, re-raised here
        raise AssertionError("expected ValueError")
    except ValueError as e:
        assert "forty-two" in str(e)

ran = []
with ThreadPoolExecutor(max_workers=2) as pool:   # leaving the block drains the queue
    for i in range(100):
        pool.submit(ran.append, i)
assert sorted(ran) == list(range(100))             # 100 submitted, 100 ran
# [python-executor]
