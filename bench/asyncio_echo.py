"""The asyncio side of bench/async_patterns.cpp's echo case, run by Debian's python3.

    python3 asyncio_echo.py CONNECTIONS MESSAGES SIZE

The benchmark starts this script once and keeps it: each line it writes to our
standard input ("run") asks for one round, and we answer with one line, the round's
time.perf_counter_ns() in nanoseconds, or "error ..." when an echoed message differs
from what was sent. Interpreter start-up and the request over the pipe are not timed.

A round does what the C++ variants do in one iteration: a fresh event loop
(asyncio.run), a server on a free loopback port whose handler echoes whatever it reads,
CONNECTIONS clients that each send MESSAGES messages of SIZE bytes, one at a time,
reading each one back in full before sending the next, all clients at once.
"""

import asyncio
import socket
import sys
import time


def message(client: int, index: int, size: int) -> bytes:
    # The C++ variants' pattern: every message differs, so a mixed-up echo is caught.
    return bytes((client * 31 + index * 7 + k) & 0xFF for k in range(size))


async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        while data := await reader.read(4096):
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()


async def client(port: int, client_id: int, messages: list[bytes]) -> bool:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    ok = True
    for sent in messages:
        writer.write(sent)
        await writer.drain()
        if await reader.readexactly(len(sent)) != sent:
            ok = False
    writer.close()
    await writer.wait_closed()
    return ok


async def one_round(connections: int, outgoing: list[list[bytes]]) -> bool:
    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        results = await asyncio.gather(*(client(port, c, outgoing[c]) for c in range(connections)))
    return all(results)


def main() -> None:
    connections, count, size = (int(arg) for arg in sys.argv[1:4])
    # Built once, outside the timed rounds, as the C++ variants build theirs per client
    # in a few microseconds.
    outgoing = [[message(c, i, size) for i in range(count)] for c in range(connections)]
    for _request in sys.stdin.buffer:
        start = time.perf_counter_ns()
        try:
            ok = asyncio.run(one_round(connections, outgoing))
        except Exception as e:  # reported to the benchmark, which skips with an error
            reason = f"{type(e).__name__}: {e}".replace("\n", " ")
            sys.stdout.write(f"error {reason}\n")
            sys.stdout.flush()
            continue
        elapsed = time.perf_counter_ns() - start
        sys.stdout.write(f"{elapsed}\n" if ok else "error an echoed message differs\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
