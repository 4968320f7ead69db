"""The Python idiom that async_patterns/event_loop.cpp replaces, run by the build.

The regions are what the page shows; the assertions make the build fail if the idiom
ever stops behaving as the page says. Every wait is bounded by a timeout.
"""

import asyncio
import logging
import threading
import time


# [python-loop-order]
loop = asyncio.new_event_loop()
order: list[str] = []


def soon() -> None:
    order.append("soon")
    loop.call_soon(order.append, "soon, from a callback")
    when = loop.time() + 0.01                          # due in a later iteration
    loop.call_at(when, order.append, "at t, first")   # two equal deadlines: in the
    loop.call_at(when, lambda: (order.append("at t, second"), loop.stop()))  # order scheduled


loop.call_soon(soon)
loop.run_forever()
assert order == ["soon", "soon, from a callback", "at t, first", "at t, second"]
# [python-loop-order]


# [python-ties]
fired: list[int] = []
when = loop.time() + 0.001
for i in range(1000):
    loop.call_at(when, fired.append, i)               # one deadline, a thousand timers
loop.call_at(when + 0.001, loop.stop)
loop.run_forever()
assert sorted(fired) == list(range(1000))
assert fired[:8] == [0, 2, 6, 14, 30, 62, 126, 254]  # heapq is not stable: ties come out
                                                      # in the order of the heap's shape
# [python-ties]


# [python-threadsafe]
def wake_from_another_thread() -> None:
    time.sleep(0.02)                                   # the loop is asleep in epoll_wait
    loop.call_soon_threadsafe(loop.stop)               # writes to the loop's self-pipe

helper = threading.Thread(target=wake_from_another_thread)
helper.start()
loop.run_forever()                                     # returns because the thread woke it
helper.join(timeout=30)
# [python-threadsafe]


# [python-slow-callback]
class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())

records = Records()
logging.getLogger("asyncio").addHandler(records)
loop.set_debug(True)
loop.slow_callback_duration = 0.02                     # the default is 0.1 s
loop.call_soon(time.sleep, 0.05)
loop.call_soon(loop.stop)
loop.run_forever()
assert any("took 0.0" in m for m in records.messages), records.messages
loop.set_debug(False)
loop.close()
# [python-slow-callback]


# [python-streams]
async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(64):
        writer.write(data)
        await writer.drain()
    writer.close()


async def client(port: int) -> bytes:
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 5)
    writer.write(b"hello")
    reply = await asyncio.wait_for(reader.readexactly(5), 5)
    writer.close()
    await writer.wait_closed()
    return reply


async def main() -> None:
    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    assert await client(port) == b"hello"
    server.close()
    await server.wait_closed()

asyncio.run(main())
# [python-streams]


# [python-incomplete]
async def half_message(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.write(b"abc")                               # 3 of the 8 bytes promised
    writer.close()


async def read_eight(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        await asyncio.wait_for(reader.readexactly(8), 5)
    except asyncio.IncompleteReadError as e:
        assert e.partial == b"abc"
    else:
        raise AssertionError("expected IncompleteReadError")
    finally:
        writer.close()


async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        await asyncio.sleep(1)                         # never answers in time
    finally:
        writer.close()


async def read_with_timeout(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        await asyncio.wait_for(reader.read(8), 0.05)
    except TimeoutError:
        pass
    else:
        raise AssertionError("expected TimeoutError")
    finally:
        writer.close()


async def failures() -> None:
    for handler, check in ((half_message, read_eight), (silent, read_with_timeout)):
        server = await asyncio.start_server(handler, "127.0.0.1", 0)
        await check(server.sockets[0].getsockname()[1])
        server.close()
        await server.wait_closed()

asyncio.run(failures())
# [python-incomplete]
