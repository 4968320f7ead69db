# C++ Core Engineering — the two commands a reader needs:
#   make serve   build the verified book and serve it on http://127.0.0.1:8000
#   make test    every check: all presets, the book lints, Doxygen, Sphinx, book tests
# Every other target is a step of those two.

SHELL := /bin/bash
PY    := /usr/bin/python3
PRESETS := gcc-asan clang-asan gcc-release clang-tsan gcc-coverage
# tools/serve.py's first pass adds -D ce_allow_pending=1 here, and verifies one preset.
SPHINX_EXTRA ?=
# -j auto: Sphinx reads and writes the pages in one process per core (every extension of
# the book declares itself safe for that); a full render takes about half the time.
SPHINX := $(PY) -m sphinx -W --keep-going -n -q -j auto -c . -d build/doctrees $(SPHINX_EXTRA)

# Everything the project needs, from Debian's packages only. The last line is chapter 5's
# tools: profilers, hyperfine, matplotlib for the benchmark plots, and llvm-19, whose
# llvm-symbolizer-19 is what clang 19's sanitizers call to name functions in reports.
# Then chapter 6's: trompeloeil (mocks), RapidCheck and Hypothesis (properties),
# libFuzzer, gcovr (coverage), and the Python idioms they replace: pytest, coverage.py;
# pkgconf, with which tests/test_package.py reads the installed ce.pc; python3-packaging
# for chapter 7's Python idiom (PEP 440 versions); graphviz for chapter 8's diagram,
# python3-aiohttp for its Python idiom and its benchmark's Python peer, cpp-httplib for
# its C++ peer, and wrk, the load generator of that benchmark.
DEB_PACKAGES := cmake ninja-build g++-12 clang-19 libclang-rt-19-dev clang-tidy-22 ccache \
  doctest-dev libfmt-dev nlohmann-json3-dev libspdlog-dev libasio-dev libtbb-dev libbenchmark-dev pybind11-dev python3-dev \
  doxygen python3 python3-sphinx python3-breathe furo \
  python3-structlog python3-tenacity python3-fastapi python3-starlette python3-httpx \
  python3-clang-19 libclang1-19 chromium nodejs \
  linux-perf valgrind heaptrack hyperfine python3-matplotlib llvm-19 \
  libtrompeloeil-cpp-dev librapidcheck-dev libfuzzer-19-dev gcovr python3-hypothesis python3-pytest python3-coverage \
  pkgconf python3-packaging \
  graphviz python3-aiohttp libcpp-httplib-dev wrk
# Every step records its seconds in build/timings.json under this run's name, and make test
# and make book end with the table (tools/timings.py). A make started inside a step (the
# live-rebuild server's make html, make booktests) records nothing: the step around it does.
ifeq ($(origin CE_TIMINGS_RUN),environment)
export CE_TIMINGS_RUN := off
else
export CE_TIMINGS_RUN := $(shell date +%s%N)
endif
# "t0=...; <command> && $(recorded) <step>" adds the command's wall time as <step>.
started := t0=$$(date +%s.%N)
recorded = $(PY) tools/timings.py record
# "<step> || $(failed)": a failing run still ends with the table of what it measured.
failed = { $(PY) tools/timings.py report; exit 1; }

SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: book deps lint verify coverage api html serve test booktests bench edit-time build-profile fresh-check run-example clean
.DEFAULT_GOAL := book

## deps: install every Debian package the project needs (a no-op when all are present)
deps:
	@missing=$$(for p in $(DEB_PACKAGES); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed$$' || echo $$p; \
	  done); \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing" $$missing; \
	  $(SUDO) apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@# perf profiles the reader's own programs (chapter 5's tool runs). Debian's kernel sets
	@# kernel.perf_event_paranoid to 3, which forbids that to ordinary users; 2, the
	@# upstream kernel's default, allows it for user space only. Until the next reboot.
	@if [ "$$(cat /proc/sys/kernel/perf_event_paranoid 2>/dev/null || echo 2)" -gt 2 ]; then \
	  echo "make deps: perf needs kernel.perf_event_paranoid <= 2 to profile your own programs; setting 2 until the next reboot"; \
	  $(SUDO) sysctl -q -w kernel.perf_event_paranoid=2; \
	fi
	@# npm ships inside nodejs where Node comes from NodeSource, as a Debian package elsewhere.
	@command -v npm >/dev/null || $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm
	@# The browser tests' one npm package (playwright-core, driving Debian's chromium).
	@[ tests/browser/node_modules/.package-lock.json -nt tests/browser/package-lock.json ] || \
	  npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error

## lint: the book's lints (pasted code, regions, orphans, API pages)
lint: deps
	@$(started); $(PY) tools/book_lint.py && $(recorded) "book lints" $$t0

## verify: build every preset and run the tests whose inputs changed
verify: deps lint
	@$(PY) tools/verify.py $(PRESETS) || $(failed)

## coverage: line and branch coverage of include/ce from the snippets' tests (the
## gcc-coverage preset), as build/coverage/site/coverage/index.html; fails below the
## figures in docs/_data/coverage.json
coverage: deps verify
	@$(started); $(PY) tools/coverage.py && $(recorded) "coverage (gcovr)" $$t0 || $(failed)

## api: Doxygen XML for Breathe (warnings are errors)
api: deps
	@$(started); $(PY) tools/api_docs.py && $(recorded) Doxygen $$t0 || $(failed)

## html: render the book. An incremental build can trip over its own saved state (an
## entity moved between pages); on failure, rebuild once from a clean environment, which
## also keeps an old warning from hiding behind an up-to-date page.
html: deps verify coverage api
	@$(started); $(SPHINX) -b html docs build/html || { echo "html: rebuilding from a clean environment"; \
	  rm -rf build/doctrees; $(SPHINX) -E -b html docs build/html || { rm -rf build/doctrees; $(failed); }; }; \
	  $(recorded) Sphinx $$t0
	@echo "book: build/html/index.html"

## book: verify every snippet, then render the book into build/html
book: html
	@$(PY) tools/check_rendered.py || $(failed)
	@$(PY) tools/timings.py report

## serve: the book on http://127.0.0.1:8000, rebuilt when a snippet, header or page changes
serve: book
	@$(PY) tools/serve.py --port 8000

## test: every check, from scratch for the tests and the pages
test: deps lint
	@$(PY) tools/tree_snapshot.py save
	@$(PY) tools/verify.py --all $(PRESETS) || $(failed)
	@$(started); $(PY) tools/coverage.py && $(recorded) "coverage (gcovr)" $$t0 || $(failed)
	@$(started); $(PY) tools/api_docs.py && $(recorded) Doxygen $$t0 || $(failed)
	@$(started); $(SPHINX) -E -b html docs build/html || { rm -f build/doctrees/environment.pickle; $(failed); }; \
	  $(recorded) Sphinx $$t0
	@$(started); $(MAKE) --no-print-directory booktests && $(recorded) "book tests (browser, live rebuild, lints)" $$t0 \
	  || $(failed)
	@$(PY) tools/check_rendered.py || $(failed)
	@$(PY) tools/tree_snapshot.py check || $(failed)
	@$(PY) tools/timings.py report

## booktests: the tests of the book itself (tests/)
booktests: deps
	@$(PY) -m unittest discover -s tests -p 'test_*.py'

## bench: build and run the benchmarks (not part of make test); BENCH="job_service gil"
## runs only those
BENCH ?=
bench: deps
	@for p in bench-gcc bench-clang; do cmake --preset $$p >/dev/null && cmake --build --preset $$p || exit 1; done
	@$(PY) tools/bench.py $(addprefix --only ,$(BENCH)) bench-gcc bench-clang

## fresh-check: make test in a bare Debian 12 root (debootstrap), as a reader's stock
## machine would run it; slow (an hour or more), run before a release (README)
fresh-check:
	@tools/fresh_debian.sh

## edit-time: measure the time from saving a snippet to its re-verified page
edit-time: book
	@$(PY) tools/edit_time.py

## build-profile: the marginal cost of a topic, from clean verifies of a synthetic book
## (copies of the real topics in a scratch tree under build/profile, ccache off)
build-profile: deps
	@$(PY) tools/timings.py profile $(PROFILE_TOPICS)

## run-example: chapter 8's service, jobq, on 127.0.0.1:8080 with the token "demo"
## (data in build/jobq-data; Ctrl-C stops it gracefully)
run-example: deps
	@cmake --preset gcc-release >/dev/null && cmake --build --preset gcc-release --target program.examples.job_service
	@echo "jobq: try  curl -H 'Authorization: Bearer demo' -d 100000 http://127.0.0.1:8080/jobs"
	@build/gcc-release/snippets/jobq --data build/jobq-data --token demo --port 8080

clean:
	rm -rf build docs/_generated
