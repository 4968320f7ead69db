// The optimisation strategies of snippets/performance/optimisation.cpp, each variant
// against its baseline. The benchmarks are at the end of the snippet file, compiled
// here with CE_BENCHMARK defined, so the functions measured are the very functions the
// page shows and its tests prove equal. Its test cases are registered
// (doctest_registry.cpp) but never run: Google Benchmark owns main(). Inputs are built
// before the timed loop.
//
// layout/*          revenue over 131072 orders: 8 MiB as structs (beyond the 2 MiB L2
//                   of the machine the book was measured on), 1.5 MiB of the two
//                   columns the sum reads as a struct of arrays
// split/*           1000 CSV lines of 8 fields: strings, views in a fresh vector per
//                   line, views in one reused vector
// duplicates_<n>/*  n distinct ids (the worst case: nobody stops early), n from 8 to
//                   4096: nested loops, sort a copy, hash set
// partitions_50/*   p(50) by plain recursion and memoised with ce::lru_cache (a fresh
//                   cache per call, as a cold start)
// sum/*             16384 quantities (64 KiB): float in order, int32, int32 in blocks of 8
// checked_sum/*     the same int32 quantities, an early return inside the loop against
//                   an OR of all of them checked after it
