// bench/logger.cpp built again, with spdlog compiled into the benchmark from its
// headers (CMake target spdlog::spdlog_header_only) instead of called in Debian's
// shared library: the same compiler, flags and inlining as ce::logger gets.
#include "logger.cpp"

#if !defined(SPDLOG_HEADER_ONLY) || defined(SPDLOG_COMPILED_LIB)
#error "bench.logger_header_only must build spdlog header-only"
#endif
