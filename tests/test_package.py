"""ce is a package other projects use: installed with `cmake --install` into a scratch
prefix, and packed by cpack as a .deb unpacked into a scratch root, a separate project
(examples/consumer) finds it with find_package(ce 0.1), builds and runs; it refuses a
version it did not ask for; and the pkg-config file describes the same install.
Everything happens in a temporary folder: the tree and build/ are left as they were."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONSUMER = ROOT / "examples" / "consumer"


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, **kwargs)


class Package(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.scratch = Path(tempfile.mkdtemp(prefix="ce-package-"))
        build = cls.scratch / "build"
        # The library alone, as a packager configures it: no snippets, no tests.
        configured = run(["cmake", "-S", str(ROOT), "-B", str(build), "-G", "Ninja", "-DCE_BUILD_BOOK=OFF"])
        assert configured.returncode == 0, configured.stdout + configured.stderr
        cls.prefix = cls.scratch / "prefix"
        installed = run(["cmake", "--install", str(build), "--prefix", str(cls.prefix)])
        assert installed.returncode == 0, installed.stdout + installed.stderr
        cls.build = build

    @classmethod
    def tearDownClass(cls) -> None:
        shutil.rmtree(cls.scratch, ignore_errors=True)

    def consumer(self, prefix: Path, version: str, name: str) -> subprocess.CompletedProcess:
        """Configures and builds examples/consumer against ``prefix``, asking for ``version``."""
        out = self.scratch / name
        configured = run(["cmake", "-S", str(CONSUMER), "-B", str(out), "-G", "Ninja",
                          "-DCMAKE_CXX_COMPILER=g++-12", f"-DCMAKE_PREFIX_PATH={prefix}", f"-DCE_VERSION={version}"])
        if configured.returncode != 0:
            return configured
        return run(["cmake", "--build", str(out)])

    def test_the_install_has_the_headers_the_package_and_the_pkg_config_file(self) -> None:
        for name in ("include/ce/lru_cache.hpp", "include/ce/http.hpp", "share/cmake/ce/ceConfig.cmake",
                     "share/cmake/ce/ceConfigVersion.cmake", "share/cmake/ce/ceTargets.cmake",
                     "share/pkgconfig/ce.pc"):
            self.assertTrue((self.prefix / name).is_file(), name)
        # Every header, those in ce/detail/ that the public ones include among them.
        source = ROOT / "include" / "ce"
        installed = self.prefix / "include" / "ce"
        headers = sorted(p.relative_to(source).as_posix() for p in source.rglob("*.hpp"))
        self.assertIn("detail/unique_fd.hpp", headers)
        self.assertEqual(sorted(p.relative_to(installed).as_posix() for p in installed.rglob("*.hpp")), headers)

    def test_a_separate_project_finds_builds_and_runs_with_the_installed_ce(self) -> None:
        built = self.consumer(self.prefix, "0.1", "consumer")
        self.assertEqual(built.returncode, 0, built.stdout + built.stderr)
        ran = run([str(self.scratch / "consumer" / "consumer")])
        self.assertEqual(ran.returncode, 0, ran.stderr)
        self.assertEqual(ran.stdout, "ce works: 2 cached, GET /jobs/7\n")

    def test_a_version_the_package_is_not_compatible_with_is_refused(self) -> None:
        # Before 1.0.0 a minor release may break the API: 0.1.x satisfies 0.1 only.
        for version in ("0.2", "1.0"):
            refused = self.consumer(self.prefix, version, f"refused-{version}")
            self.assertNotEqual(refused.returncode, 0, version)
            self.assertIn(f'compatible\n  with requested version "{version}"', refused.stderr)
            self.assertIn("ceConfig.cmake, version: 0.1.0", refused.stderr)

    def test_pkg_config_describes_the_install(self) -> None:
        env = dict(os.environ, PKG_CONFIG_PATH=str(self.prefix / "share" / "pkgconfig"))
        self.assertEqual(run(["pkg-config", "--modversion", "ce"], env=env).stdout.strip(), "0.1.0")
        cflags = run(["pkg-config", "--cflags", "ce"], env=env).stdout.split()
        self.assertIn("-std=c++20", cflags)
        include = next(Path(f[2:]) for f in cflags if f.startswith("-I"))
        self.assertEqual(include.resolve(), (self.prefix / "include").resolve())

    def test_the_deb_from_cpack_installs_a_ce_the_consumer_uses(self) -> None:
        packed = run(["cpack", "--config", str(self.build / "CPackConfig.cmake"), "-B", str(self.scratch / "deb")])
        self.assertEqual(packed.returncode, 0, packed.stdout + packed.stderr)
        (deb,) = (self.scratch / "deb").glob("libce-dev_0.1.0_all.deb")
        info = run(["dpkg-deb", "--field", str(deb), "Package", "Version", "Architecture", "Depends"]).stdout
        self.assertEqual(info.splitlines(), ["Package: libce-dev", "Version: 0.1.0", "Architecture: all",
                                             "Depends: libfmt-dev (>= 9.1)"])
        root = self.scratch / "root"
        self.assertEqual(run(["dpkg-deb", "-x", str(deb), str(root)]).returncode, 0)
        built = self.consumer(root / "usr", "0.1", "consumer-deb")
        self.assertEqual(built.returncode, 0, built.stdout + built.stderr)
        ran = run([str(self.scratch / "consumer-deb" / "consumer")])
        self.assertEqual(ran.stdout, "ce works: 2 cached, GET /jobs/7\n")


if __name__ == "__main__":
    unittest.main()
