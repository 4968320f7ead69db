"""Files that tool runs check (build files, example projects): how their regions parse,
and that the book refuses to show one that no run checked or that changed since."""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
import unittest
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs" / "_ext"))
import regions  # noqa: E402
import snippet  # noqa: E402


class Regions(unittest.TestCase):
    def parse(self, name: str, text: str) -> dict:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / name
            path.write_text(text)
            return regions.parse(path, name)

    def test_cmake_regions_use_hash_markers_and_cmake_highlighting(self) -> None:
        found = self.parse("CMakeLists.txt", "# [target]\nadd_library(shop a.cpp)\n# [target]\n")
        self.assertEqual(found["target"].text(), "add_library(shop a.cpp)\n")
        self.assertEqual(regions.language_of(Path("CMakeLists.txt")), "cmake")
        self.assertEqual(regions.language_of(Path("cmake/ceConfig.cmake.in")), "cmake")
        self.assertEqual(regions.language_of(Path("cmake/ce.pc.in")), "text")

    def test_cmake_bracket_comments_are_not_taken_for_markers(self) -> None:
        found = self.parse("x.cmake", "#[[ a bracket\ncomment ]]\n#[=[\nanother\n]=]\nset(A 1)\n")
        self.assertEqual(found, {})

    def test_a_malformed_hash_marker_fails_naming_the_line(self) -> None:
        with self.assertRaisesRegex(regions.RegionError, r"CMakeLists.txt:2: malformed region marker"):
            self.parse("CMakeLists.txt", "set(A 1)\n# [Target]\n")

    def test_json_has_no_regions(self) -> None:
        self.assertEqual(self.parse("CMakePresets.json", '{"version": 6}\n'), {})
        self.assertIsNone(regions.comment_of(Path("CMakePresets.json")))


class References(unittest.TestCase):
    def test_a_reference_names_a_file_under_snippets_or_from_the_root_and_back(self) -> None:
        for reference, path, shown, status in [
                ("packaging/semantic_versioning.cpp", "snippets/packaging/semantic_versioning.cpp",
                 "snippets/packaging/semantic_versioning.cpp", "packaging/semantic_versioning.cpp.json"),
                ("/cmake/ce.pc.in", "cmake/ce.pc.in", "cmake/ce.pc.in", "_root/cmake/ce.pc.in.json")]:
            self.assertEqual(regions.reference_file(ROOT, reference), (ROOT / path, shown))
            self.assertEqual(regions.reference_of(ROOT, ROOT / path), reference)
            self.assertEqual(regions.status_name(reference), status)
            self.assertEqual(regions.reference_of_status(status), reference)


class Status(unittest.TestCase):
    def setUp(self) -> None:
        self.folder = tempfile.TemporaryDirectory()
        self.verify = Path(self.folder.name)
        self.config = SimpleNamespace(ce_snippet_root=str(ROOT / "snippets"))

    def tearDown(self) -> None:
        self.folder.cleanup()

    def test_files_are_named_under_snippets_or_from_the_root(self) -> None:
        self.assertEqual(snippet.snippet_file(self.config, "/cmake/ce.pc.in"),
                         (ROOT / "cmake/ce.pc.in", "cmake/ce.pc.in"))
        self.assertEqual(snippet.snippet_file(self.config, "packaging/build_configuration/shop/CMakeLists.txt")[1],
                         "snippets/packaging/build_configuration/shop/CMakeLists.txt")
        self.assertEqual(snippet.source_page("/cmake/ce.pc.in"), "_generated/source/_root/cmake/ce.pc-in")
        self.assertTrue(snippet.is_topic_file("packaging/reusable_packages.cpp"))
        self.assertFalse(snippet.is_topic_file("packaging/build_configuration/shop/src/price.cpp"))

    def test_a_file_no_tool_run_checks_cannot_be_shown(self) -> None:
        with self.assertRaisesRegex(snippet.SnippetError, r"no tool run checks it"):
            snippet.load_status(self.verify, "/cmake/CeBook.cmake", ROOT / "cmake/CeBook.cmake")

    def test_a_checked_file_that_changed_after_its_run_is_stale(self) -> None:
        source = ROOT / "cmake/ce.pc.in"
        path = snippet.status_path(self.verify, "/cmake/ce.pc.in")
        path.parent.mkdir(parents=True)
        run = {"label": "g++ 12 · -O2", "passed": True, "tool": "tool.packaging.reusable_packages.pkg-config",
               "sha256": hashlib.sha256(b"an older version").hexdigest()}
        path.write_text(json.dumps({"source": "cmake/ce.pc.in", "runs": {"gcc-release@pkg-config": run},
                                    "compile_fail": {}, "tool_runs": {}}))
        with self.assertRaisesRegex(snippet.SnippetError, r"cmake/ce\.pc\.in changed after its tests ran"):
            snippet.load_status(self.verify, "/cmake/ce.pc.in", source)
        run["sha256"] = hashlib.sha256(source.read_bytes()).hexdigest()
        path.write_text(json.dumps({"source": "cmake/ce.pc.in", "runs": {"gcc-release@pkg-config": run},
                                    "compile_fail": {}, "tool_runs": {}}))
        status = snippet.load_status(self.verify, "/cmake/ce.pc.in", source)
        line = snippet.verification_line(status["runs"], "cmake/ce.pc.in")
        self.assertEqual(line.astext(), "✓ Used in this build by the tool run "
                                        "tool.packaging.reusable_packages.pkg-config (g++ 12 -O2)")

    def test_the_line_groups_the_runs_of_one_topic(self) -> None:
        runs = {f"gcc-release@{name}": {"label": "g++ 12 · -O2", "passed": True, "sha256": "",
                                         "tool": f"tool.packaging.reusable_packages.{name}"}
                for name in ("deb", "consumer")}
        self.assertEqual(snippet.verification_line(runs, "cmake/ce.pc.in").astext(),
                         "✓ Used in this build by the tool runs consumer, deb of "
                         "packaging/reusable_packages (g++ 12 -O2)")
        runs["gcc-release@deb"]["passed"] = False
        with self.assertRaisesRegex(snippet.SnippetError, r"cmake/ce\.pc\.in: failed in gcc-release@deb"):
            snippet.verification_line(runs, "cmake/ce.pc.in")


if __name__ == "__main__":
    unittest.main()
