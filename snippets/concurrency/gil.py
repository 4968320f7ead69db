"""Python threads calling the ce_gil extension module, built by the book's CMake.

The build runs this script with CE_PYTHON_MODULE_DIR set to the folder holding the
module (compiled without sanitizers, so the plain interpreter can load it). The timings
are printed, not asserted: they depend on the machine and its load. The assertions
check the results and that the measurement really ran.
"""

import os
import sys
import threading
import time

# [python-switch-interval]
assert sys.getswitchinterval() == 0.005   # a waiting thread asks for the GIL after 5 ms
# [python-switch-interval]

# [python-import]
sys.path.insert(0, os.environ["CE_PYTHON_MODULE_DIR"])   # where the build put ce_gil
import ce_gil  # noqa: E402  (the module built from gil.cpp)
# [python-import]


# [python-threads]
def timed_in_threads(work, threads: int) -> float:
    """Seconds for `threads` Python threads to each call work() once."""
    workers = [threading.Thread(target=work) for _ in range(threads)]
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=300)
        assert not w.is_alive()
    return time.perf_counter() - start

ROUNDS = 20_000_000
expected = ce_gil.mix_holding_gil(1, ROUNDS)
assert ce_gil.mix_releasing_gil(1, ROUNDS) == expected   # the same C++ function

results = []
def holding():
    results.append(ce_gil.mix_holding_gil(1, ROUNDS))
def releasing():
    results.append(ce_gil.mix_releasing_gil(1, ROUNDS))

one = timed_in_threads(holding, 1)
two_holding = timed_in_threads(holding, 2)
two_releasing = timed_in_threads(releasing, 2)
assert results == [expected] * 5
print(f"1 thread: {one:.3f} s; 2 threads holding the GIL: {two_holding:.3f} s; "
      f"2 threads releasing it: {two_releasing:.3f} s on {os.cpu_count()} CPUs")
# [python-threads]
