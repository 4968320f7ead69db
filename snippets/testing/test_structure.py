"""The Python idiom that testing/test_structure.cpp replaces, run by the build.

The region is what the page shows: pytest tests with a marker for the slow one, and a
fixture that gives every test its own cache in its own temporary folder. Below it, the
script runs pytest on this very file twice, once with -m "not slow" and once with
-m slow, and asserts which tests each run selected; it writes nothing into the tree
(no cache folder, no bytecode, the temporary folders under a mkdtemp folder).
"""

import sys

sys.dont_write_bytecode = True  # before pytest imports this file as a test module

import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402


class WordCache:
    """Remembers the words it has seen, in memory and in a file."""

    def __init__(self, path: Path):
        self.path = path
        self.words: set[str] = set()

    def lookup(self, word: str) -> bool:
        """True when the word was seen before (a hit); remembers it otherwise."""
        hit = word in self.words
        if not hit:
            self.words.add(word)
            with self.path.open("a") as f:
                f.write(word + "\n")
        return hit


# [python-idiom]
@pytest.fixture
def cache(tmp_path):  # a new cache in a new folder for every test: nothing shared
    return WordCache(tmp_path / "words.txt")


def test_a_new_word_is_a_miss(cache):
    assert cache.lookup("apple") is False


def test_a_repeated_word_is_a_hit(cache):  # passes alone, first, last or twice
    cache.lookup("apple")
    assert cache.lookup("apple") is True
    assert cache.path.read_text() == "apple\n"


@pytest.mark.slow
def test_a_hundred_thousand_words(cache):
    hits = [cache.lookup(f"w{i % 1000}") for i in range(100_000)]
    assert hits.count(False) == 1000


def run(*options, plugins=()):  # run("-m", "not slow") is `pytest -m "not slow"`
    return pytest.main([__file__, "-q", "-p", "no:cacheprovider", *options,
                        "-o", "markers=slow: takes seconds; deselect with -m 'not slow'",
                        "--strict-markers"], plugins=list(plugins))
# [python-idiom]


class Ran:
    """A pytest plugin that records the outcome of every test that ran."""

    def __init__(self):
        self.outcomes: dict[str, str] = {}

    def pytest_runtest_logreport(self, report):
        if report.when == "call":
            self.outcomes[report.nodeid.rpartition("::")[2]] = report.outcome


def run_and_record(basetemp: Path, *selection) -> tuple[int, dict[str, str]]:
    ran = Ran()
    code = run(*selection, f"--basetemp={basetemp}", f"--rootdir={basetemp.parent}", plugins=[ran])
    return int(code), ran.outcomes


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="ce-pytest-") as folder:
        code, outcomes = run_and_record(Path(folder) / "fast", "-m", "not slow")
        assert code == pytest.ExitCode.OK, code
        assert outcomes == {"test_a_new_word_is_a_miss": "passed",
                            "test_a_repeated_word_is_a_hit": "passed"}, outcomes

        code, outcomes = run_and_record(Path(folder) / "slow", "-m", "slow")
        assert code == pytest.ExitCode.OK, code
        assert outcomes == {"test_a_hundred_thousand_words": "passed"}, outcomes

        # The isolated fixture: the "hit" test passes on its own as well.
        code, outcomes = run_and_record(Path(folder) / "alone", "-k", "repeated")
        assert code == pytest.ExitCode.OK and outcomes == {"test_a_repeated_word_is_a_hit": "passed"}
