// Tests of the job queue's write-ahead log (wal.hpp): the record format, recovery from
// every kind of damage a crash or a bad disk leaves, failed appends, concurrent
// appends, and a writer killed with SIGKILL. Built with -DCE_FUZZ instead, the same
// file is a libFuzzer target for scan_log (at the end).
//
// This file replaces the global operator new and delete for its test program, to see
// the largest single allocation scan_log makes; not under ThreadSanitizer, whose
// runtime links its own operator new unconditionally (a duplicate definition).
#include "job_service/wal.hpp"

#include <ce/scope_guard.hpp>
#include <ce_test/child_process.hpp>
#include <ce_test/sanitizers.hpp>
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <limits>
#include <new>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__SANITIZE_THREAD__)
#define CE_WAL_PROBE_NEW 0
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define CE_WAL_PROBE_NEW 0
#endif
#endif
#ifndef CE_WAL_PROBE_NEW
#define CE_WAL_PROBE_NEW 1
#endif

namespace {

// ---- the largest allocation while a probe is armed ----

constinit std::atomic<bool> probe_armed{false};
constinit std::atomic<std::size_t> largest_request{0};

// The largest single request made through operator new while `f` runs.
template <typename F>
std::size_t largest_allocation_during(F&& f) {
    largest_request.store(0);
    probe_armed.store(true);
    std::forward<F>(f)();
    probe_armed.store(false);
    return largest_request.load();
}

}  // namespace

#if CE_WAL_PROBE_NEW
namespace {

void* probed_allocate(std::size_t size, std::size_t alignment) {
    if (probe_armed.load(std::memory_order_relaxed)) {
        std::size_t seen = largest_request.load(std::memory_order_relaxed);
        while (size > seen && !largest_request.compare_exchange_weak(seen, size)) {
        }
    }
    const std::size_t request = std::max<std::size_t>(size, 1);
    for (;;) {
        void* p = nullptr;
        if (alignment <= __STDCPP_DEFAULT_NEW_ALIGNMENT__) {
            p = std::malloc(request);
        } else if (::posix_memalign(&p, std::max(alignment, sizeof(void*)), request) != 0) {
            p = nullptr;
        }
        if (p != nullptr) {
            return p;
        }
        const std::new_handler handler = std::get_new_handler();
        if (handler == nullptr) {
            throw std::bad_alloc();
        }
        handler();
    }
}

void* probed_allocate_nothrow(std::size_t size, std::size_t alignment) noexcept {
    try {
        return probed_allocate(size, alignment);
    } catch (const std::bad_alloc&) {
        return nullptr;
    }
}

// Out of line: g++ would otherwise inline it into a delete-expression, see free()
// applied to the result of operator new, and warn (-Wmismatched-new-delete).
[[gnu::noinline]] void probed_free(void* p) noexcept { std::free(p); }

constexpr std::size_t plain = __STDCPP_DEFAULT_NEW_ALIGNMENT__;
std::size_t to_size(std::align_val_t a) { return static_cast<std::size_t>(a); }

}  // namespace

// Every replaceable form, so that no block is freed by an allocator other than the
// one that made it (a sanitizer supplies its own forms for those we leave out).
void* operator new(std::size_t n) { return probed_allocate(n, plain); }
void* operator new[](std::size_t n) { return probed_allocate(n, plain); }
void* operator new(std::size_t n, std::align_val_t a) { return probed_allocate(n, to_size(a)); }
void* operator new[](std::size_t n, std::align_val_t a) { return probed_allocate(n, to_size(a)); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    return probed_allocate_nothrow(n, plain);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
    return probed_allocate_nothrow(n, plain);
}
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
    return probed_allocate_nothrow(n, to_size(a));
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
    return probed_allocate_nothrow(n, to_size(a));
}
void operator delete(void* p) noexcept { probed_free(p); }
void operator delete[](void* p) noexcept { probed_free(p); }
void operator delete(void* p, std::size_t) noexcept { probed_free(p); }
void operator delete[](void* p, std::size_t) noexcept { probed_free(p); }
void operator delete(void* p, std::align_val_t) noexcept { probed_free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { probed_free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { probed_free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { probed_free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { probed_free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { probed_free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { probed_free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { probed_free(p); }
#endif

namespace {

using jobq::scan_log;
using jobq::wal_damage;
using jobq::wal_record;
using jobq::write_ahead_log;

// A fresh directory under /tmp, removed with everything in it at scope exit.
class temp_dir {
public:
    temp_dir() {
        std::string name = "/tmp/jobq-wal-XXXXXX";
        if (::mkdtemp(name.data()) == nullptr) {
            throw std::system_error(errno, std::system_category(), "mkdtemp");
        }
        path_ = name;
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    temp_dir(temp_dir&&) = delete;
    temp_dir& operator=(temp_dir&&) = delete;
    ~temp_dir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
    [[nodiscard]] std::filesystem::path log() const { return path_ / "jobs.wal"; }

private:
    std::filesystem::path path_;
};

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const std::filesystem::path& path, std::string_view bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// A payload that differs for every sequence number and holds \0 and \xff.
std::string payload_for(std::uint64_t n) {
    std::string p = "job " + std::to_string(n) + '\0';
    p.append(n % 37, '\xff');
    return p;
}

// The log `records` with these payloads, sequence numbers from 1, as append() writes it.
std::string encode_log(const std::vector<std::string>& payloads, std::uint64_t first = 1) {
    std::string bytes;
    for (const std::string& p : payloads) {
        bytes += jobq::encode_record(first++, p);
    }
    return bytes;
}

std::vector<wal_record> records_of(const std::vector<std::string>& payloads) {
    std::vector<wal_record> records;
    records.reserve(payloads.size());
    for (const std::string& p : payloads) {
        records.push_back({records.size() + 1, p});
    }
    return records;
}

// Returns once the file at `path` is at least `size` bytes long. inotify wakes it at
// each write to the file, so it waits for the event instead of sleeping; after 10
// seconds it fails the test.
void wait_for_size(const std::filesystem::path& path, std::uintmax_t size) {
    const int fd = ::inotify_init1(IN_CLOEXEC);
    REQUIRE(fd >= 0);
    const ce::scope_exit close_fd([fd]() noexcept { ::close(fd); });
    REQUIRE(::inotify_add_watch(fd, path.c_str(), IN_MODIFY) >= 0);  // before the first look
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::filesystem::file_size(path) < size) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        REQUIRE(left.count() > 0);
        ::pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) > 0) {
            char events[4096];
            (void)!::read(fd, events, sizeof events);
        }
    }
}

}  // namespace

TEST_CASE("crc32c gives the published check value and continues across calls") {
    CHECK(jobq::crc32c("") == 0U);
    CHECK(jobq::crc32c("123456789") == 0xE3069283U);  // the CRC-32C check value (RFC 3720)
    CHECK(jobq::crc32c("6789", jobq::crc32c("12345")) == 0xE3069283U);
}

TEST_CASE("a record is laid out byte for byte as the format comment says") {
    const std::string record = jobq::encode_record(0x0102030405060708U, std::string("h\0", 2));
    const std::string header = record.substr(0, 13);
    // Computed independently of write_header: CRC-32C of the payload, then bytes 0..12.
    const std::uint32_t crc = jobq::crc32c(header, jobq::crc32c(std::string("h\0", 2)));
    const std::string expected = std::string{
        '\xA5',                                          // magic, format version 1
        '\x02', '\x00', '\x00', '\x00',                  // payload length 2, little-endian
        '\x08', '\x07', '\x06', '\x05', '\x04', '\x03', '\x02', '\x01',  // sequence
        static_cast<char>(crc & 0xFF), static_cast<char>((crc >> 8) & 0xFF),
        static_cast<char>((crc >> 16) & 0xFF), static_cast<char>(crc >> 24),
        'h', '\0'};
    CHECK(record == expected);
    CHECK(crc == 0x1A8994D7U);  // pinned (and checked by a separate implementation): a change is a change of format
    CHECK(jobq::encode_record(1, "").size() == jobq::record_header_bytes);
}

TEST_CASE("records round-trip through the file: empty, 1 MiB and binary payloads") {
    std::string every_byte;
    for (int b = 0; b < 256; ++b) {
        every_byte += static_cast<char>(b);
    }
    std::string one_mib(jobq::default_max_record_bytes, '\0');
    for (std::size_t i = 0; i < one_mib.size(); ++i) {
        one_mib[i] = static_cast<char>((i * 31) % 251);
    }
    const std::vector<std::string> payloads{"", "a", std::string("\0\xff\0", 3), every_byte,
                                            one_mib, "", std::string(1000, '\xff')};
    temp_dir dir;
    {
        auto log = write_ahead_log::open(dir.log());
        CHECK(log.recovered().empty());
        CHECK(log.damage() == wal_damage::none);
        for (std::size_t i = 0; i < payloads.size(); ++i) {
            CHECK(log.append(payloads[i]) == i + 1);
        }
    }
    CHECK(read_file(dir.log()) == encode_log(payloads));
    const auto log = write_ahead_log::open(dir.log());
    CHECK(log.recovered() == records_of(payloads));
    CHECK(log.damage() == wal_damage::none);
    CHECK(log.discarded_bytes() == 0);
}

TEST_CASE("reopening a log continues its sequence after the last record") {
    temp_dir dir;
    {
        auto log = write_ahead_log::open(dir.log());
        CHECK(log.append("first") == 1);
        CHECK(log.append("second") == 2);
    }
    {
        auto log = write_ahead_log::open(dir.log());
        CHECK(log.recovered().size() == 2);
        CHECK(log.append("third") == 3);
    }
    const auto log = write_ahead_log::open(dir.log());
    CHECK(log.recovered() == records_of({"first", "second", "third"}));
}

TEST_CASE("a log that starts at a later sequence number continues from its last record") {
    temp_dir dir;
    write_file(dir.log(), encode_log({"a", "b"}, 41));
    auto log = write_ahead_log::open(dir.log());
    CHECK(log.recovered() == std::vector<wal_record>{{41, "a"}, {42, "b"}});
    CHECK(log.append("c") == 43);
}

// A crash while writing the last record leaves any prefix of it. Every one of them must
// recover the records before it, and the cut-back must make the next append land
// where the torn record started, not after the fragment.
TEST_CASE("a torn last record recovers the prefix at every cut point, and the next append follows it") {
    const std::vector<std::string> payloads{"alpha", payload_for(2), payload_for(40)};
    const std::string whole = encode_log(payloads);
    const std::size_t last_start = whole.size() - jobq::encode_record(3, payloads[2]).size();
    const std::vector<wal_record> before_last = records_of({payloads[0], payloads[1]});
    for (std::size_t cut = last_start; cut < whole.size(); ++cut) {
        CAPTURE(cut);
        const std::string torn = whole.substr(0, cut);
        const jobq::scan_result scan = scan_log(torn);
        CHECK(scan.records == before_last);
        CHECK(scan.valid_bytes == last_start);
        CHECK(scan.damage == (cut == last_start ? wal_damage::none : wal_damage::torn_tail));

        temp_dir dir;
        write_file(dir.log(), torn);
        {
            auto log = write_ahead_log::open(dir.log());
            CHECK(log.recovered() == before_last);
            CHECK(log.discarded_bytes() == cut - last_start);
            CHECK(std::filesystem::file_size(dir.log()) == last_start);
            CHECK(log.append("after the tear") == 3);
        }
        const auto log = write_ahead_log::open(dir.log());
        CHECK(log.recovered() == records_of({payloads[0], payloads[1], "after the tear"}));
        CHECK(log.damage() == wal_damage::none);
    }
}

TEST_CASE("a flipped bit anywhere in the last record is detected") {
    const std::vector<std::string> payloads{"alpha", "beta", payload_for(40)};
    const std::string whole = encode_log(payloads);
    const std::size_t last_start = whole.size() - jobq::encode_record(3, payloads[2]).size();
    const std::vector<wal_record> before_last = records_of({payloads[0], payloads[1]});
    for (std::size_t bit = last_start * 8; bit < whole.size() * 8; ++bit) {
        CAPTURE(bit);
        std::string damaged = whole;
        damaged[bit / 8] = static_cast<char>(damaged[bit / 8] ^ (1 << (bit % 8)));
        const jobq::scan_result scan = scan_log(damaged);
        CHECK(scan.records == before_last);
        CHECK(scan.valid_bytes == last_start);
        CHECK(scan.damage != wal_damage::none);
        CHECK(scan.damage_offset == last_start);
    }
    // And open() acts on it: one flip in each field of the header and in the payload.
    for (const std::size_t byte : {0U, 2U, 9U, 14U, 20U}) {
        CAPTURE(byte);
        std::string damaged = whole;
        damaged[last_start + byte] = static_cast<char>(damaged[last_start + byte] ^ 0x10);
        temp_dir dir;
        write_file(dir.log(), damaged);
        auto log = write_ahead_log::open(dir.log());
        CHECK(log.recovered() == before_last);
        CHECK(log.damage() != wal_damage::none);
        CHECK(log.append("replacement") == 3);
    }
}

// The policy: recovery ends at the first damaged record and open() cuts off everything
// after it, even records that look valid. Past a damaged record nothing is trustworthy:
// if its length field is what broke, where the next record starts is unknown, and a
// payload may hold bytes that form a valid-looking record (a job that carries a log).
// Damage that a crash causes is confined to data written after the last successful
// fdatasync, which was never acknowledged; damage before it means the storage lost
// acknowledged data, which no log format can undo; damage() reports it for the operator.
TEST_CASE("a flipped bit in a middle record ends recovery there and drops the records after it") {
    const std::vector<std::string> payloads{"one", "two", "three", "four", "five"};
    const std::string whole = encode_log(payloads);
    const std::size_t third_start =
        encode_log({payloads[0], payloads[1]}).size();

    SUBCASE("in the payload") {
        std::string damaged = whole;
        damaged[third_start + jobq::record_header_bytes + 2] ^= 0x01;
        temp_dir dir;
        write_file(dir.log(), damaged);
        {
            auto log = write_ahead_log::open(dir.log());
            CHECK(log.recovered() == records_of({"one", "two"}));
            CHECK(log.damage() == wal_damage::bad_checksum);
            CHECK(log.discarded_bytes() == whole.size() - third_start);
            CHECK(log.append("three again") == 3);
        }
        CHECK(write_ahead_log::open(dir.log()).recovered() ==
              records_of({"one", "two", "three again"}));
    }
    SUBCASE("in the length field, so the next record's start is lost") {
        std::string damaged = whole;
        damaged[third_start + 1] ^= 0x04;  // length 5 becomes 1
        const jobq::scan_result scan = scan_log(damaged);
        CHECK(scan.records == records_of({"one", "two"}));
        CHECK(scan.damage == wal_damage::bad_checksum);
    }
}

TEST_CASE("a length field claiming 4 GiB is rejected without allocating it"
          * doctest::skip(ce_test::tsan_build)
          * doctest::description("needs the operator new probe, which ThreadSanitizer's "
                                 "runtime rules out; the AddressSanitizer builds run it")) {
    std::string bytes = encode_log({"ok"});
    const std::size_t second_start = bytes.size();
    bytes += jobq::encode_record(2, "tail bytes");
    bytes.replace(second_start + 1, 4, "\xff\xff\xff\xff");  // length 4 GiB - 1

    jobq::scan_result scan;
    SUBCASE("under the default cap: too large") {
        const std::size_t largest = largest_allocation_during([&] { scan = scan_log(bytes); });
        CHECK(scan.damage == wal_damage::too_large);
        CHECK(largest < 1024);
    }
    SUBCASE("with no cap at all: the bytes are not there, so it is a torn tail") {
        const std::size_t largest = largest_allocation_during(
            [&] { scan = scan_log(bytes, std::numeric_limits<std::size_t>::max()); });
        CHECK(scan.damage == wal_damage::torn_tail);
        CHECK(largest < 1024);
    }
    CHECK(scan.records == records_of({"ok"}));
    CHECK(scan.valid_bytes == second_start);
}

TEST_CASE("a length above the cap is damage even when that many bytes follow") {
    const std::string bytes = encode_log({"short", "eleven byte"});
    const jobq::scan_result scan = scan_log(bytes, 10);
    CHECK(scan.records == records_of({"short"}));
    CHECK(scan.damage == wal_damage::too_large);
}

TEST_CASE("a sequence gap or a repeated sequence number ends the valid prefix") {
    const std::string two = encode_log({"a", "b"});
    SUBCASE("gap") {
        temp_dir dir;
        write_file(dir.log(), two + jobq::encode_record(4, "d") + jobq::encode_record(5, "e"));
        auto log = write_ahead_log::open(dir.log());
        CHECK(log.recovered() == records_of({"a", "b"}));
        CHECK(log.damage() == wal_damage::bad_sequence);
        CHECK(log.append("c") == 3);
    }
    SUBCASE("repeat") {
        const jobq::scan_result scan = scan_log(two + jobq::encode_record(2, "b"));
        CHECK(scan.records == records_of({"a", "b"}));
        CHECK(scan.damage == wal_damage::bad_sequence);
        CHECK(scan.damage_offset == two.size());
    }
    SUBCASE("going back") {
        const jobq::scan_result scan = scan_log(two + jobq::encode_record(1, "a"));
        CHECK(scan.records.size() == 2);
        CHECK(scan.damage == wal_damage::bad_sequence);
    }
}

// ext4 with data=writeback, among others, can persist a larger file size without the
// data: the tail reads as zeros. The magic byte is never 0 for that reason.
TEST_CASE("zeros after the last record, as a crash can leave them, are cut off") {
    temp_dir dir;
    write_file(dir.log(), encode_log({"a", "b"}) + std::string(4096, '\0'));
    auto log = write_ahead_log::open(dir.log());
    CHECK(log.recovered() == records_of({"a", "b"}));
    CHECK(log.damage() == wal_damage::bad_magic);
    CHECK(log.discarded_bytes() == 4096);
    CHECK(log.append("c") == 3);
}

TEST_CASE("an append above max_record_bytes is refused before the file changes") {
    temp_dir dir;
    auto log = write_ahead_log::open(dir.log(), {.max_record_bytes = 8});
    CHECK(log.append("12345678") == 1);
    const auto size = std::filesystem::file_size(dir.log());
    CHECK_THROWS_AS(log.append("123456789"), ce::usage_error);
    CHECK(std::filesystem::file_size(dir.log()) == size);
    CHECK(log.append("next") == 2);
    // The length field has 32 bits: a cap that it cannot express is refused.
    temp_dir other;
    CHECK_THROWS_AS((void)write_ahead_log::open(other.log(), {.max_record_bytes = std::size_t{1} << 32}),
                    ce::usage_error);
}

TEST_CASE("a second open of the same log fails while the first one holds it") {
    temp_dir dir;
    {
        auto first = write_ahead_log::open(dir.log());
        try {
            auto second = write_ahead_log::open(dir.log());
            FAIL("the second open succeeded");
        } catch (const std::system_error& e) {
            CHECK(e.code() == std::errc::operation_would_block);
        }
    }
    CHECK_NOTHROW((void)write_ahead_log::open(dir.log()));  // released with the first
}

TEST_CASE("a moved log keeps its recovered records and its place in the sequence") {
    temp_dir dir;
    write_file(dir.log(), encode_log({"a"}));
    auto log = write_ahead_log::open(dir.log());
    write_ahead_log moved = std::move(log);
    CHECK(moved.recovered() == records_of({"a"}));
    CHECK(moved.append("b") == 2);
    temp_dir other;
    moved = write_ahead_log::open(other.log());  // closes the first file, releasing its lock
    CHECK(moved.append("x") == 1);
    CHECK(write_ahead_log::open(dir.log()).recovered() == records_of({"a", "b"}));
}

// The first append's sync is held open until two more appends have written their
// records behind it. It covers only the first; the second sync, run by whichever of
// the other two wakes first, covers both, and the other returns without a sync.
TEST_CASE("appends written during a sync share the next one: 3 appends, 2 syncs") {
    temp_dir dir;
    std::atomic<int> syncs{0};
    std::promise<void> first_started;
    std::promise<void> release_first;
    std::future<void> started = first_started.get_future();
    std::shared_future<void> released = release_first.get_future().share();
    jobq::wal_options options;
    options.sync_data = [&](int fd) {
        if (syncs.fetch_add(1) == 0) {
            first_started.set_value();
            released.wait();
        }
        return jobq::detail::sync_data(fd);
    };
    auto log = write_ahead_log::open(dir.log(), std::move(options));
    const std::uintmax_t record_size = jobq::encode_record(1, "a").size();

    std::uint64_t a = 0;
    std::uint64_t b = 0;
    std::uint64_t c = 0;
    {
        std::jthread first([&] { a = log.append("a"); });
        started.wait();
        std::jthread second([&] { b = log.append("b"); });
        std::jthread third([&] { c = log.append("c"); });
        // Declared after the threads, so destroyed before they are joined, even when a
        // failed REQUIRE leaves this scope early.
        const ce::scope_exit release([&]() noexcept { release_first.set_value(); });
        wait_for_size(dir.log(), 3 * record_size);
    }
    CHECK(a == 1);
    CHECK(((b == 2 && c == 3) || (b == 3 && c == 2)));
    CHECK(syncs.load() == 2);
    CHECK(scan_log(read_file(dir.log())).records.size() == 3);
}

// A failed fdatasync leaves the synced range in doubt (Linux may already have dropped
// the dirty pages), so every append still waiting fails, the ones written behind the
// failed sync included, and the file is cut back to the last durable record.
TEST_CASE("a failed sync fails every waiting append and cuts their records from the file") {
    temp_dir dir;
    std::atomic<int> syncs{0};
    std::promise<void> failing_started;
    std::promise<void> release_failing;
    std::future<void> started = failing_started.get_future();
    std::shared_future<void> released = release_failing.get_future().share();
    jobq::wal_options options;
    options.sync_data = [&](int fd) {
        if (syncs.fetch_add(1) == 2) {  // the third sync: after the two kept records
            failing_started.set_value();
            released.wait();
            return EIO;
        }
        return jobq::detail::sync_data(fd);
    };
    auto log = write_ahead_log::open(dir.log(), std::move(options));
    REQUIRE(log.append("kept 1") == 1);
    REQUIRE(log.append("kept 2") == 2);
    const std::uintmax_t durable_size = std::filesystem::file_size(dir.log());

    std::atomic<int> failed_with_eio{0};
    const auto doomed_append = [&](std::string_view payload) {
        try {
            (void)log.append(payload);
        } catch (const std::system_error& e) {
            failed_with_eio += e.code() == std::errc::io_error ? 1 : 0;
        }
    };
    {
        std::jthread first(doomed_append, "lost 3");
        started.wait();
        std::jthread second(doomed_append, "lost 4");
        std::jthread third(doomed_append, "lost 5");
        const ce::scope_exit release([&]() noexcept { release_failing.set_value(); });
        wait_for_size(dir.log(), durable_size + 3 * jobq::encode_record(3, "lost 3").size());
    }
    CHECK(failed_with_eio.load() == 3);
    CHECK(std::filesystem::file_size(dir.log()) == durable_size);
    CHECK(log.append("after") == 3);  // still usable; the failed appends used no numbers
    const jobq::scan_result on_disk = scan_log(read_file(dir.log()));
    CHECK(on_disk.records == records_of({"kept 1", "kept 2", "after"}));
    CHECK(on_disk.damage == wal_damage::none);
}

// ---- child processes: a file size limit, and death by SIGKILL ----

namespace {

constexpr const char* child_case = "child process entry: runs a log scenario when JOBQ_WAL_CHILD is set";

ce_test::child_options child_for(const char* mode, const temp_dir& dir) {
    return {.test_case = child_case,
            .environment = {std::string("JOBQ_WAL_CHILD=") + mode,
                            "JOBQ_WAL_DIR=" + dir.path().string()}};
}

// The log holds 3 records. Lower the file size limit to 20 bytes past its end and
// append a 100-byte payload: the first write stops short at the limit, the next one
// fails with EFBIG (SIGXFSZ ignored, as a service would, or it would kill us).
void run_efbig_child(const std::filesystem::path& path) {
    auto log = write_ahead_log::open(path);
    const auto size = std::filesystem::file_size(path);
    ::rlimit limit{};
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &limit) == 0);
    limit.rlim_cur = size + 20;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &limit) == 0);
    const bool ignored = ::signal(SIGXFSZ, SIG_IGN) != SIG_ERR;
    REQUIRE(ignored);
    try {
        (void)log.append(std::string(100, 'x'));
        std::printf("appended\n");
    } catch (const std::system_error& e) {
        std::printf("error %s\n", e.code() == std::errc::file_too_large ? "EFBIG" : e.what());
    }
    std::printf("size %llu of %llu\n",
                static_cast<unsigned long long>(std::filesystem::file_size(path)),
                static_cast<unsigned long long>(size));
    std::fflush(stdout);
}

// Appends until killed, printing each sequence number after append() returns it: a
// printed number is an acknowledged job.
void run_appending_child(const std::filesystem::path& path) {
    auto log = write_ahead_log::open(path);
    for (std::uint64_t n = 1; n <= 1'000'000; ++n) {
        const std::uint64_t sequence = log.append(payload_for(n));
        std::printf("ack %llu\n", static_cast<unsigned long long>(sequence));
        std::fflush(stdout);
    }
}

}  // namespace

// Runs in a child process only: the tests below start this binary again with
// JOBQ_WAL_CHILD set and a filter selecting this case. Otherwise it does nothing.
TEST_CASE("child process entry: runs a log scenario when JOBQ_WAL_CHILD is set") {
    const char* mode = std::getenv("JOBQ_WAL_CHILD");
    const char* dir = std::getenv("JOBQ_WAL_DIR");
    if (mode == nullptr || dir == nullptr) {
        return;
    }
    const std::filesystem::path path = std::filesystem::path(dir) / "jobs.wal";
    if (std::string_view(mode) == "efbig") {
        run_efbig_child(path);
    } else if (std::string_view(mode) == "append-until-killed") {
        run_appending_child(path);
    }
}

TEST_CASE("a failed append throws EFBIG and leaves the file with exactly the earlier records") {
    temp_dir dir;
    {
        auto log = write_ahead_log::open(dir.log());
        for (std::uint64_t n = 1; n <= 3; ++n) {
            REQUIRE(log.append(payload_for(n)) == n);
        }
    }
    const auto size = std::filesystem::file_size(dir.log());

    const auto [status, output] = ce_test::run_to_end(child_for("efbig", dir));
    INFO("the child's output:\n" << output);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(output.find("error EFBIG\n") != std::string::npos);
    CHECK(output.find("size " + std::to_string(size) + " of " + std::to_string(size) + "\n") !=
          std::string::npos);  // cut back to where the record started

    auto log = write_ahead_log::open(dir.log());
    CHECK(log.recovered() == records_of({payload_for(1), payload_for(2), payload_for(3)}));
    CHECK(log.damage() == wal_damage::none);  // cut back, not left as a torn tail
    CHECK(log.append("retry") == 4);          // the failed append used no sequence number
}

TEST_CASE("4 threads appending 500 records each recover as 2000 distinct consecutive records") {
    constexpr int threads = 4;
    constexpr int per_thread = 500;
    temp_dir dir;
    std::vector<std::vector<std::uint64_t>> returned(threads);
    {
        auto log = write_ahead_log::open(dir.log());
        std::vector<std::thread> workers;
        workers.reserve(static_cast<std::size_t>(threads));
        for (int t = 0; t < threads; ++t) {
            workers.emplace_back([&log, &returned, t] {
                for (int i = 0; i < per_thread; ++i) {
                    returned[static_cast<std::size_t>(t)].push_back(
                        log.append("thread " + std::to_string(t) + " record " + std::to_string(i)));
                }
            });
        }
        for (std::thread& w : workers) {
            w.join();
        }
    }
    const auto log = write_ahead_log::open(dir.log());
    const std::vector<wal_record>& records = log.recovered();
    REQUIRE(records.size() == threads * per_thread);
    std::set<std::uint64_t> all;
    for (int t = 0; t < threads; ++t) {
        const std::vector<std::uint64_t>& mine = returned[static_cast<std::size_t>(t)];
        CHECK(std::is_sorted(mine.begin(), mine.end()));  // a thread's appends are ordered
        for (int i = 0; i < per_thread; ++i) {
            const std::uint64_t sequence = mine[static_cast<std::size_t>(i)];
            all.insert(sequence);
            // The record with the number append() returned holds that append's payload.
            REQUIRE((sequence >= 1 && sequence <= records.size()));
            CHECK(records[sequence - 1].payload ==
                  "thread " + std::to_string(t) + " record " + std::to_string(i));
        }
    }
    CHECK(all.size() == threads * per_thread);  // distinct
    CHECK(*all.begin() == 1);
    CHECK(*all.rbegin() == threads * per_thread);  // hence 1..2000 without a gap
    for (std::size_t i = 0; i < records.size(); ++i) {
        CHECK(records[i].sequence == i + 1);
    }
}

// SIGKILL ends the writer at an arbitrary instruction, possibly inside append(). What
// it had written is in the page cache and survives a process crash, so every
// acknowledged record must come back. At most one more may: the record being appended
// when the kill came may be complete (written, not yet acknowledged), torn (cut off as
// damage) or absent. Power loss is the other crash; SIGKILL cannot simulate it, which
// is why append() syncs before returning and the torn-tail tests cover its leftovers.
TEST_CASE("a writer killed by SIGKILL loses no acknowledged record and duplicates none") {
    temp_dir dir;
    std::uint64_t acknowledged = 0;
    const auto take_ack = [&](std::string_view line) {
        if (line.starts_with("ack ")) {
            CHECK(line.substr(4) == std::to_string(acknowledged + 1));
            ++acknowledged;
        }
    };
    {
        ce_test::child_process child(child_for("append-until-killed", dir));
        while (acknowledged < 300) {
            const std::optional<std::string> line = child.read_line();
            REQUIRE(line.has_value());
            take_ack(line.value_or(""));
        }
        REQUIRE(::kill(child.pid(), SIGKILL) == 0);
        // Acknowledgements already in the pipe count too; a line without its newline
        // was cut off by the kill and does not.
        std::string rest = child.read_all();
        for (std::size_t nl = rest.find('\n'); nl != std::string::npos; nl = rest.find('\n')) {
            take_ack(std::string_view(rest).substr(0, nl));
            rest.erase(0, nl + 1);
        }
        const int status = child.wait();
        CHECK(WIFSIGNALED(status));
        CHECK(WTERMSIG(status) == SIGKILL);
    }

    const auto log = write_ahead_log::open(dir.log());
    const std::vector<wal_record>& records = log.recovered();
    CHECK(records.size() >= acknowledged);
    CHECK(records.size() <= acknowledged + 1);
    for (std::size_t i = 0; i < records.size(); ++i) {
        CHECK(records[i] == wal_record{i + 1, payload_for(i + 1)});
    }
    CHECK((log.damage() == wal_damage::none || log.damage() == wal_damage::torn_tail));
}

#ifdef CE_FUZZ
// [fuzz-entry]
// libFuzzer entry: scan_log on arbitrary bytes, with the default cap and a small one
// (so that short inputs reach the too_large branch), checking what must hold for any
// input. A failed check aborts, which libFuzzer reports with the input.
namespace {
void require(bool condition, const char* what) {
    if (!condition) {
        std::fprintf(stderr, "invariant broken: %s\n", what);
        std::abort();
    }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    for (const std::size_t cap : {jobq::default_max_record_bytes, std::size_t{64}}) {
        const jobq::scan_result scan = scan_log(bytes, cap);
        require(scan.valid_bytes <= size, "valid_bytes <= size");
        require((scan.damage == wal_damage::none) == (scan.valid_bytes == size),
                "damage is reported exactly when bytes are left over");
        require(scan.damage == wal_damage::none || scan.damage_offset == scan.valid_bytes,
                "damage_offset is where the valid prefix ends");
        std::string reencoded;
        for (std::size_t i = 0; i < scan.records.size(); ++i) {
            const wal_record& r = scan.records[i];
            require(r.payload.size() <= cap, "payload within the cap");
            require(i == 0 || r.sequence == scan.records[i - 1].sequence + 1,
                    "consecutive sequence numbers");
            reencoded += jobq::encode_record(r.sequence, r.payload);
        }
        require(reencoded == bytes.substr(0, scan.valid_bytes),
                "the records re-encode to the valid prefix");
        const jobq::scan_result again = scan_log(bytes.substr(0, scan.valid_bytes), cap);
        require(again.records == scan.records, "the prefix scans to the same records");
        require(again.damage == wal_damage::none && again.valid_bytes == scan.valid_bytes,
                "the prefix is clean");
    }
    return 0;
}
// [fuzz-entry]
#endif
