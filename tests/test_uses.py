"""The listing-uses analysis (docs/_ext/uses.py) on a small snippet written here: what a
region uses from its own file, which #include lines it needs, and the cache."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs" / "_ext"))
import uses  # noqa: E402

SNIPPET = """\
#include <ce/strong.hpp>

#include <chrono>
#include <map>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace demo {

// [helper]
struct tally {
    std::map<std::string, int> counts;
    void add(const std::string& key) { ++counts[key]; }
};
// [helper]

using durations = std::vector<std::chrono::milliseconds>;

#ifdef CE_COMPILE_FAIL_NEEDS_TALLY
// [rejected]
int wrong() { return tally{}.missing(); }
// [rejected]
#endif

}  // namespace demo

int main() {
    demo::tally t;
    // [use]
    t.add("a");
    demo::durations waits{10ms};
    demo::tally fresh;
    fresh.add("b");
    // [use]
    return static_cast<int>(waits.size() + fresh.counts.size());
}
"""


class Analysis(unittest.TestCase):
    def setUp(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="ce-uses-"))
        self.source = self.dir / "snippets" / "demo" / "topic.cpp"
        self.source.parent.mkdir(parents=True)
        self.source.write_text(SNIPPET)
        self.database = self.dir / "compile_commands.json"
        self.database.write_text(json.dumps([{
            "directory": str(self.dir),
            "command": f"/usr/bin/clang++-19 -I{ROOT}/include -std=c++20 -o topic.o -c {self.source}",
            "file": str(self.source)}]))
        self.cache = self.dir / "cache"

    def tearDown(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)

    def analyse(self) -> dict:
        return uses.cached(self.source, "demo/topic.cpp", [self.database], self.cache)

    def test_a_region_uses_what_its_file_declares_elsewhere_and_needs_its_includes(self) -> None:
        found = self.analyse()["regions"]
        self.assertEqual(found["helper"]["shows"], ["tally"])
        self.assertEqual(found["helper"]["uses"], [])
        self.assertEqual(found["helper"]["includes"], ["#include <map>", "#include <string>"])
        # A member's use is its class's; the local `t` declared outside the region is not a helper.
        self.assertEqual(found["use"]["uses"], ["durations", "tally"])
        # 10ms, and what the region constructs without naming: a std::string from "a" and
        # "b", a std::vector through the durations alias.
        self.assertEqual(found["use"]["includes"],
                         ["#include <chrono>", "#include <string>", "#include <vector>"])
        self.assertEqual(found["use"]["usings"], ["using namespace std::chrono_literals;"])
        # A must-not-compile block is read with its macro defined.
        self.assertEqual(found["rejected"]["uses"], ["tally"])

    def test_a_coroutine_uses_its_helpers_not_the_compilers_builtins(self) -> None:
        # co_return and co_await expand to calls of __builtin_coro_* that clang places at
        # the coroutine's own lines: they are nobody's helper.
        self.source.write_text("""\
#include <ce/task.hpp>

// [first]
ce::task<int> one() { co_return 1; }
// [first]

// [second]
ce::task<int> two() { co_return co_await one() + 1; }
// [second]

int main() { return ce::sync_wait(two()); }
""")
        found = self.analyse()["regions"]
        self.assertEqual(found["first"]["uses"], [])
        self.assertEqual(found["second"]["uses"], ["one"])

    def test_an_unchanged_snippet_is_not_parsed_again(self) -> None:
        first = self.analyse()
        stamp = (self.cache / "demo/topic.cpp.json").stat().st_mtime_ns
        started = time.monotonic()
        again = self.analyse()
        self.assertLess(time.monotonic() - started, 1.0)
        self.assertEqual(first["regions"], again["regions"])
        self.assertEqual((self.cache / "demo/topic.cpp.json").stat().st_mtime_ns, stamp)
        self.source.write_text(SNIPPET.replace("    fresh.add(\"b\");\n", ""))
        self.assertNotEqual(self.analyse()["sha256"], first["sha256"])


if __name__ == "__main__":
    unittest.main()
