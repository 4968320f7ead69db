// The benchmarks of the page "Benchmarking" are the snippet's own
// (snippets/performance/benchmarking.cpp, compiled into this executable by
// bench/CMakeLists.txt), so that the page's listings are the code make bench times.
