"""The Python idiom that design_patterns/context_managers.cpp replaces, run by the build.

The region is what the page shows; the checks below it make the build fail if the
idiom ever stops behaving as the page says: every file closed, in reverse order, also
when process() raises.
"""

import pathlib
import tempfile
from contextlib import ExitStack


def process_all(names, process):
    # [python-idiom]
    with ExitStack() as stack:
        files = [stack.enter_context(open(name)) for name in names]
        process(files)
    # every file is closed here, in reverse order, even if process() raised
    # [python-idiom]


class Recorder:
    """A process() that reads the files and records the order they are closed in."""

    def __init__(self, fail=False):
        self.fail, self.seen, self.files, self.closed = fail, [], [], []

    def __call__(self, files):
        self.files = files
        for f in files:
            self.seen.append(f.read().strip())
            self.record_close(f)
        if self.fail:
            raise ValueError("bad record")

    def record_close(self, f):
        """Wrap the file's own close(), which its __exit__ calls, to record the order."""
        close = f.close

        def recording_close():
            self.closed.append(f.name)
            close()  # return None: IOBase.__exit__ returns what close() returns, and a
            # true value would suppress the exception

        f.close = recording_close


with tempfile.TemporaryDirectory() as tmp:
    names = []
    for n in ("a", "b", "c"):
        path = pathlib.Path(tmp, f"{n}.txt")
        path.write_text(f"contents of {n}\n", encoding="utf-8")
        names.append(str(path))

    ok = Recorder()
    process_all(names, ok)
    assert ok.seen == ["contents of a", "contents of b", "contents of c"]
    assert all(f.closed for f in ok.files)
    assert ok.closed == names[::-1], ok.closed

    failing = Recorder(fail=True)
    try:
        process_all(names, failing)
    except ValueError as e:
        assert str(e) == "bad record"  # the exception propagates unchanged
    else:
        raise AssertionError("process_all should have raised")
    assert all(f.closed for f in failing.files)
    assert failing.closed == names[::-1], failing.closed
