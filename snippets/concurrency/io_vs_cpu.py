"""The Python idiom that concurrency/io_vs_cpu.cpp replaces, run by the build.

Threads for waiting, processes for computing: the GIL lets a blocked thread give way,
but lets only one thread at a time run Python code. The assertions check results and
structure; the times are printed, not asserted, because they depend on the machine.
"""

import os
import socket
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

# [python-jobs]
def cpu_job(seed: int, rounds: int = 400_000) -> int:
    """CPU-bound: FNV-1a in pure Python, which holds the GIL all the time."""
    h = 14695981039346656037 ^ seed
    for _ in range(rounds):
        h = ((h ^ 0x2A) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h


def serve(sock: socket.socket, latency: float) -> None:
    """The stand-in for a database: every request answered after `latency` seconds."""
    while sock.recv(1):
        time.sleep(latency)
        sock.sendall(bytes(4096))


def io_job(sock: socket.socket) -> int:
    """I/O-bound: send a request, block until the 4 KiB reply is complete."""
    sock.sendall(b"*")
    reply = b""
    while len(reply) < 4096:
        reply += sock.recv(4096 - len(reply))
    return len(reply)
# [python-jobs]


def timed(run):
    start = time.perf_counter()
    result = run()
    return result, time.perf_counter() - start


# [python-io-threads]
pairs = [socket.socketpair() for _ in range(8)]
servers = [threading.Thread(target=serve, args=(server_end, 0.05)) for _, server_end in pairs]
for s in servers:
    s.start()
clients = [client for client, _ in pairs]

sequential, t_seq = timed(lambda: [io_job(c) for c in clients])      # 8 waits in a row
with ThreadPoolExecutor(max_workers=8) as pool:
    threaded, t_pool = timed(lambda: list(pool.map(io_job, clients)))  # 8 waits at once
assert sequential == threaded == [4096] * 8
print(f"I/O-bound, 8 jobs of 50 ms: sequential {t_seq:.2f} s, 8 threads {t_pool:.2f} s")

for c in clients:
    c.close()                          # the servers see end of file and return ...
for s in servers:
    s.join(timeout=30)                 # ... so that no thread is left when we fork
    assert not s.is_alive()
# [python-io-threads]

# [python-cpu-processes]
if __name__ == "__main__":
    seeds = range(8)
    expected, t_seq = timed(lambda: [cpu_job(s) for s in seeds])
    with ThreadPoolExecutor(max_workers=2) as pool:                   # the GIL: no faster
        threaded, t_threads = timed(lambda: list(pool.map(cpu_job, seeds)))
    with ProcessPoolExecutor(max_workers=2) as pool:                  # two interpreters
        in_processes, t_procs = timed(lambda: list(pool.map(cpu_job, seeds)))
    assert expected == threaded == in_processes
    print(f"CPU-bound, 8 jobs: sequential {t_seq:.2f} s, 2 threads {t_threads:.2f} s, "
          f"2 processes {t_procs:.2f} s")
    print(f"os.cpu_count() = {os.cpu_count()}, "
          f"len(os.sched_getaffinity(0)) = {len(os.sched_getaffinity(0))}")
# [python-cpu-processes]
