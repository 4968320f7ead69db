// The first version of the revenue report against the fix its profile pointed at. The
// benchmark is at the end of snippets/performance/bottlenecks.cpp, compiled into this
// executable with CE_BENCHMARK defined (bench/CMakeLists.txt), so that it times the
// functions the page shows and its tests prove equal.
