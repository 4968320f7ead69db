// doctest's implementation without its main(), for a benchmark that includes a snippet
// file: the snippet's test cases compile exactly as in the test build and register
// themselves, and Google Benchmark's main() never runs them.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
