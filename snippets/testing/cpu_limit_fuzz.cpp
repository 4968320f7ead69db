// The second fuzz target of testing/testable_design: the text of a cgroup v2 cpu.max
// file, parsed by ce::parse_cpu_max and turned into a thread count by ce::usable_cpus.
// Built as a libFuzzer executable in the clang trees (CE_FUZZ, ce_add_fuzz_target);
// every test build replays the committed corpus, which keeps the input that found a
// defect in ce::usable_cpus.
#include <doctest/doctest.h>

#include <ce/cpus.hpp>
#include <ce/error.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>

namespace {

// [cpu-max-property]
/// What must hold for any text of a cpu.max file and any affinity mask's CPU count:
/// parse_cpu_max refuses it with ce::usage_error, or reads a limit that usable_cpus
/// turns into the affinity capped by the limit rounded up, and at least 1. The expected
/// count is computed in double, where every limit the parser can read is exact enough,
/// and converted to unsigned only below the affinity, where it fits.
std::optional<std::string> check_cpu_max(std::string_view text, unsigned affinity) {
    std::optional<double> limit;
    try {
        limit = ce::parse_cpu_max(text);
    } catch (const ce::usage_error&) {
        return std::nullopt;  // refused: a documented outcome
    }
    if (limit && !(*limit > 0)) {
        return "parse_cpu_max read a limit that is not a positive number";
    }
    unsigned expected = affinity == 0 ? 1 : affinity;
    if (limit && std::ceil(*limit) < static_cast<double>(expected)) {
        expected = static_cast<unsigned>(std::ceil(*limit));
    }
    const unsigned got = ce::usable_cpus(affinity, limit);
    if (got != expected) {
        return "usable_cpus(" + std::to_string(affinity) + ", " + (limit ? std::to_string(*limit) : "none") +
               ") is " + std::to_string(got) + ", expected " + std::to_string(expected);
    }
    return std::nullopt;
}
// [cpu-max-property]

}  // namespace

// [cpu-max-fuzz-target]
namespace {
/// The fuzzer's bytes as a case: the first four are the affinity's CPU count (little
/// endian), the rest is the file's text.
std::optional<std::string> check_bytes(std::string_view bytes) {
    unsigned affinity = 0;
    for (std::size_t i = 0; i < 4 && i < bytes.size(); ++i) {
        affinity |= static_cast<unsigned>(static_cast<unsigned char>(bytes[i])) << (8U * i);
    }
    return check_cpu_max(bytes.size() > 4 ? bytes.substr(4) : std::string_view{}, affinity);
}
}  // namespace

#ifdef CE_FUZZ
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (const auto problem = check_bytes({reinterpret_cast<const char*>(data), size})) {
        std::fprintf(stderr, "check_cpu_max: %s\n", problem->c_str());
        std::abort();
    }
    return 0;
}
#endif
// [cpu-max-fuzz-target]

// [before-fix]
// ce::usable_cpus as it was before the fuzzer's find: the conversion comes first.
unsigned usable_cpus_before_fix(unsigned affinity, std::optional<double> limit) {
    if (!limit) {
        return std::max(1U, affinity);
    }
    const auto quota_cpus = static_cast<unsigned>(std::ceil(*limit));
    return std::max(1U, std::min(affinity, quota_cpus));
}

// The fuzzer's input on that code, in a child process: UBSan stops it.
TEST_CASE("child process entry: the fuzzer's input on the code before the fix") {
    const char* mode = std::getenv("CE_CHILD");
    if (mode == nullptr || std::string_view(mode) != "before-fix") {
        return;
    }
    CHECK(usable_cpus_before_fix(59, ce::parse_cpu_max("60440040404 4")) == 59);
}
// [before-fix]

// [cpu-max-regression]
// The input the fuzzer found, kept in the corpus (crash-*) and spelt out here: Linux
// accepts a quota of up to 2^44 - 1 microseconds over a period of 1 ms, a limit of
// about 1.8e10 CPUs, "no limit" in effect. usable_cpus converted the rounded limit to
// unsigned before comparing it with the affinity: undefined behaviour at 2^32 CPUs and
// above, and in practice a count of 1 or a truncated one instead of the affinity's.
TEST_CASE("a cpu.max limit of 2^32 CPUs or more leaves the affinity's count") {
    CHECK(ce::usable_cpus(8, ce::parse_cpu_max("4294967296000 1000")) == 8);   // 2^32 CPUs
    CHECK(ce::usable_cpus(8, ce::parse_cpu_max("8589934592000 1000")) == 8);   // 2^33
    CHECK(ce::usable_cpus(8, ce::parse_cpu_max("17592186044415 1000")) == 8);  // Linux's largest quota
    CHECK(ce::usable_cpus(8, 1e300) == 8);
    CHECK(check_cpu_max("17592186044415 1000", 8) == std::nullopt);
}

TEST_CASE("usable_cpus: a limit that is not a number is a usage error") {
    CHECK_THROWS_AS(static_cast<void>(ce::usable_cpus(8, std::nan(""))), ce::usage_error);
    CHECK(ce::usable_cpus(8, 0.0) == 1);  // at least 1, as documented
    CHECK(ce::usable_cpus(8, -3.0) == 1);
    CHECK(ce::usable_cpus(0, std::nullopt) == 1);
}

TEST_CASE("the committed cpu.max corpus passes the fuzz target's checks") {
    const std::filesystem::path corpus = std::filesystem::path(CE_SNIPPETS_DIR) / "testing/fuzz/cpu_max";
    std::size_t inputs = 0;
    bool kept_crash = false;
    for (const auto& entry : std::filesystem::directory_iterator(corpus)) {
        std::ifstream in(entry.path(), std::ios::binary);
        const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
        INFO(entry.path().filename().string());
        CHECK(check_bytes(bytes) == std::nullopt);
        kept_crash = kept_crash || entry.path().filename().string().starts_with("crash-");
        ++inputs;
    }
    CHECK(inputs >= 5);
    CHECK(kept_crash);  // the input that found the defect stays in the corpus
}
// [cpu-max-regression]
