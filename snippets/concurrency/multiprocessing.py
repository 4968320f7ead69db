"""The Python idiom that concurrency/multiprocessing.cpp replaces, run by the build.

The regions are what the page shows; the assertions make the build fail if the idiom
ever stops behaving as the page says. Every child is bounded by a timeout.
"""

import multiprocessing
import subprocess
import tempfile
from multiprocessing import shared_memory
from pathlib import Path

# [python-run]
done = subprocess.run(["sh", "-c", "echo out; echo err >&2; exit 3"],
                      capture_output=True, text=True, timeout=60)
assert (done.returncode, done.stdout, done.stderr) == (3, "out\n", "err\n")

try:
    subprocess.run(["sleep", "30"], timeout=0.2)   # killed, reaped, then raised
    raise AssertionError("expected TimeoutExpired")
except subprocess.TimeoutExpired:
    pass
# [python-run]

# [python-shell-injection]
with tempfile.TemporaryDirectory() as scratch:
    victim = Path(scratch, "precious.txt")
    victim.write_text("keep me")
    filename = f"report.txt; rm {victim}"            # a "file name" from a user

    # shell=True hands one string to /bin/sh, which reads the ';' as a second command.
    subprocess.run(f"ls -l {filename}", shell=True, capture_output=True, timeout=60)
    assert not victim.exists()                        # the shell ran the rm

    victim.write_text("keep me")
    # An argv list: the whole string is one argument to ls, a file that does not exist.
    done = subprocess.run(["ls", "-l", filename], capture_output=True, timeout=60)
    assert done.returncode != 0 and victim.exists()
# [python-shell-injection]


# [python-pool]
def square(n: int) -> int:
    return n * n

def main() -> None:
    with multiprocessing.get_context("spawn").Pool(processes=2) as pool:
        assert pool.map(square, range(10), chunksize=2) == [n * n for n in range(10)]

    block = shared_memory.SharedMemory(create=True, size=8)   # /dev/shm, then mmap
    try:
        block.buf[:5] = b"hello"
        other = shared_memory.SharedMemory(name=block.name)     # what a child would do
        assert bytes(other.buf[:5]) == b"hello"
        other.close()
    finally:
        block.close()
        block.unlink()

if __name__ == "__main__":    # spawned workers import this file; they must not recurse
    main()
# [python-pool]
