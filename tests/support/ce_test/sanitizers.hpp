/**
 * @file
 * Which sanitizer this build runs under, for snippet tests that commit a bug on purpose
 * and may do so only where a sanitizer stops it. g++ defines `__SANITIZE_ADDRESS__` and
 * `__SANITIZE_THREAD__`; clang 19 answers only through `__has_feature`.
 *
 * Test support for snippets only, not part of the library (hence not under include/ce).
 */
#pragma once

namespace ce_test {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool asan_build = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool asan_build = true;
#else
inline constexpr bool asan_build = false;
#endif
#else
inline constexpr bool asan_build = false;
#endif

#if defined(__SANITIZE_THREAD__)
inline constexpr bool tsan_build = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
inline constexpr bool tsan_build = true;
#else
inline constexpr bool tsan_build = false;
#endif
#else
inline constexpr bool tsan_build = false;
#endif

}  // namespace ce_test
