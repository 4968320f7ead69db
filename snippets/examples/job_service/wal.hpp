#pragma once
/**
 * @file
 * The job queue's write-ahead log: an accepted job is appended as one record and made
 * durable (write, then fdatasync) before the service acknowledges it. After a crash,
 * whether the process was killed or the machine lost power mid-write, reopening the
 * log recovers every acknowledged record exactly once, in order.
 *
 * Two layers:
 *  - jobq::scan_log is pure: bytes in, the valid records and what stopped the scan
 *    out. It never reads outside its input, never throws for bad input, and never
 *    allocates more than the input holds. It is what the fuzzer exercises.
 *  - jobq::write_ahead_log owns the file: open() scans it, cuts off a damaged tail so
 *    that new records follow the last good one, and append() writes and syncs a record.
 *
 * Recovery, then appending new jobs:
 *
 *     auto log = jobq::write_ahead_log::open("/var/lib/jobq/jobs.wal");
 *     for (const jobq::wal_record& r : log.recovered()) requeue(r.sequence, r.payload);
 *     if (log.damage() != jobq::wal_damage::none) warn(jobq::to_string(log.damage()));
 *     std::uint64_t id = log.append(job_bytes);  // durable once it returns
 *
 * Linux only (fdatasync, flock). One process owns a log at a time: open() takes an
 * exclusive flock and fails if another open log holds it.
 */

#include <ce/error.hpp>

#include <array>
#include <cerrno>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace jobq {

// [record-format]
/*
 * One record on disk, every integer little-endian, no padding:
 *
 *   offset  size  field
 *   0       1     magic 0xA5: format version 1. Never 0x00 or 0xFF, so a tail of
 *                 zeros (an extended but unwritten block) or erased flash is no header.
 *   1       4     payload length n, u32, at most max_record_bytes
 *   5       8     sequence number, u64: exactly one more than the previous record's
 *   13      4     CRC-32C (Castagnoli) of the n payload bytes followed by bytes 0..12
 *   17      n     payload, arbitrary bytes
 *
 * The checksum covers the length and the sequence as well as the payload, so a flipped
 * bit anywhere in a record is caught by one comparison. It runs over the payload first
 * so that append() can checksum a large payload before it holds the lock that assigns
 * the sequence number, and finish with the 13 header bytes under the lock.
 */
inline constexpr unsigned char record_magic = 0xA5;
inline constexpr std::size_t record_header_bytes = 17;
/// The default cap on one payload; a length field above the cap is damage, not a record.
inline constexpr std::size_t default_max_record_bytes = std::size_t{1} << 20;
// [record-format]

/// One recovered record.
struct wal_record {
    std::uint64_t sequence = 0;
    std::string payload;
    friend bool operator==(const wal_record&, const wal_record&) = default;
};

/// What ended a scan before the end of its input.
enum class wal_damage {
    none,          ///< every byte belongs to a valid record
    torn_tail,     ///< the last record is cut short: a crash during its write
    bad_magic,     ///< a record does not start with record_magic
    bad_checksum,  ///< the CRC-32C does not match the record's bytes
    bad_sequence,  ///< a sequence number is not one more than the previous one
    too_large,     ///< a length field above max_record_bytes
};

/// A name for logs and test messages.
[[nodiscard]] constexpr std::string_view to_string(wal_damage damage) noexcept {
    switch (damage) {
        case wal_damage::none: return "none";
        case wal_damage::torn_tail: return "torn tail";
        case wal_damage::bad_magic: return "bad magic byte";
        case wal_damage::bad_checksum: return "bad checksum";
        case wal_damage::bad_sequence: return "bad sequence number";
        case wal_damage::too_large: return "length above the record size cap";
    }
    return "unknown";
}

/// What scan_log found: the valid prefix of the input and why it ends where it does.
struct scan_result {
    std::vector<wal_record> records;  ///< in file order, sequence numbers consecutive
    std::size_t valid_bytes = 0;      ///< length of the prefix the records occupy
    wal_damage damage = wal_damage::none;
    /// Where the damaged record starts (always `valid_bytes`); meaningful when
    /// `damage != wal_damage::none`.
    std::size_t damage_offset = 0;
};

namespace detail {

inline constexpr std::array<std::uint32_t, 256> crc32c_table = [] {
    std::array<std::uint32_t, 256> table{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t crc = i;
        for (int bit = 0; bit < 8; ++bit) {
            crc = (crc & 1U) != 0 ? (crc >> 1) ^ 0x82F63B78U : crc >> 1;  // reflected Castagnoli
        }
        table[i] = crc;
    }
    return table;
}();

inline void put_le(char* out, std::uint64_t value, std::size_t bytes) noexcept {
    for (std::size_t i = 0; i < bytes; ++i) {
        out[i] = static_cast<char>(static_cast<unsigned char>(value >> (8 * i)));
    }
}

inline std::uint64_t get_le(std::string_view in, std::size_t at, std::size_t bytes) noexcept {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < bytes; ++i) {
        value |= std::uint64_t{static_cast<unsigned char>(in[at + i])} << (8 * i);
    }
    return value;
}

}  // namespace detail

/// CRC-32C of `data`; pass the result of a previous call as `crc` to continue it, so
/// that `crc32c(b, crc32c(a)) == crc32c(a + b)`.
[[nodiscard]] inline std::uint32_t crc32c(std::string_view data, std::uint32_t crc = 0) noexcept {
    crc = ~crc;
    for (const char c : data) {
        crc = detail::crc32c_table[(crc ^ static_cast<unsigned char>(c)) & 0xFFU] ^ (crc >> 8);
    }
    return ~crc;
}

namespace detail {

// Fills the 17 header bytes at `out`, given the payload's own CRC-32C.
inline void write_header(char* out, std::uint64_t sequence, std::size_t payload_size,
                         std::uint32_t payload_crc) noexcept {
    out[0] = static_cast<char>(record_magic);
    put_le(out + 1, payload_size, 4);
    put_le(out + 5, sequence, 8);
    const std::uint32_t crc = crc32c(std::string_view(out, 13), payload_crc);
    put_le(out + 13, crc, 4);
}

}  // namespace detail

/// The bytes of one record. Precondition: `payload.size() <= 0xFFFF'FFFF`.
[[nodiscard]] inline std::string encode_record(std::uint64_t sequence, std::string_view payload) {
    std::string record(record_header_bytes + payload.size(), '\0');
    detail::write_header(record.data(), sequence, payload.size(), crc32c(payload));
    payload.copy(record.data() + record_header_bytes, payload.size());
    return record;
}

// [scan-log]
/**
 * The longest prefix of `bytes` made of valid records with consecutive sequence
 * numbers, and what ended it. The first record may carry any sequence number (a log
 * trimmed at the front starts later); each later one must be exactly one more.
 *
 * Total for any input: reads only inside `bytes`, never throws except std::bad_alloc,
 * and allocates only for payloads whose bytes are present, so a corrupt length field
 * cannot ask for 4 GiB. Scanning stops at the first damaged record: when a length
 * field may be wrong, where the next record starts is unknown, and a payload may
 * itself contain bytes that look like a record.
 */
[[nodiscard]] inline scan_result scan_log(std::string_view bytes,
                                          std::size_t max_record_bytes = default_max_record_bytes) {
    scan_result result;
    std::size_t at = 0;
    const auto stop = [&](wal_damage why) {
        result.damage = why;
        result.damage_offset = at;
    };
    while (at < bytes.size()) {
        const std::size_t left = bytes.size() - at;
        if (static_cast<unsigned char>(bytes[at]) != record_magic) {
            stop(wal_damage::bad_magic);
            break;
        }
        if (left < record_header_bytes) {
            stop(wal_damage::torn_tail);
            break;
        }
        const std::uint64_t length = detail::get_le(bytes, at + 1, 4);
        if (length > max_record_bytes) {
            stop(wal_damage::too_large);
            break;
        }
        // Both sides are at most SIZE_MAX: `length` fits in 32 bits.
        if (length > left - record_header_bytes) {
            stop(wal_damage::torn_tail);
            break;
        }
        const auto size = static_cast<std::size_t>(length);
        const std::string_view payload = bytes.substr(at + record_header_bytes, size);
        const std::uint32_t crc = crc32c(bytes.substr(at, 13), crc32c(payload));
        if (crc != detail::get_le(bytes, at + 13, 4)) {
            stop(wal_damage::bad_checksum);
            break;
        }
        const std::uint64_t sequence = detail::get_le(bytes, at + 5, 8);
        if (!result.records.empty() && sequence != result.records.back().sequence + 1) {
            stop(wal_damage::bad_sequence);
            break;
        }
        result.records.push_back({sequence, std::string(payload)});
        at += record_header_bytes + size;
    }
    result.valid_bytes = at;
    return result;
}
// [scan-log]

namespace detail {

// The one owner of a file descriptor.
class unique_fd {
public:
    unique_fd() noexcept = default;
    explicit unique_fd(int fd) noexcept : fd_(fd) {}
    unique_fd(unique_fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    unique_fd& operator=(unique_fd&& other) noexcept {
        unique_fd(std::move(other)).swap(*this);
        return *this;
    }
    ~unique_fd() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    void swap(unique_fd& other) noexcept { std::swap(fd_, other.fd_); }
    [[nodiscard]] int get() const noexcept { return fd_; }

private:
    int fd_ = -1;
};

[[noreturn]] inline void throw_errno(int error, const std::string& what) {
    throw std::system_error(error, std::system_category(), what);
}

// fdatasync, retried on EINTR only: after any other error the kernel may already have
// dropped the dirty pages and cleared the error, so a retry that succeeds proves nothing.
inline int sync_data(int fd) noexcept {
    while (::fdatasync(fd) != 0) {
        if (errno != EINTR) {
            return errno;
        }
    }
    return 0;
}

// Writes all of `data` at `offset`, looping over short writes and EINTR; 0 or an errno.
inline int write_all_at(int fd, std::string_view data, std::uint64_t offset) noexcept {
    while (!data.empty()) {
        const ::ssize_t n = ::pwrite(fd, data.data(), data.size(), static_cast<::off_t>(offset));
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno;
        }
        if (n == 0) {
            return EIO;  // a regular file never accepts zero bytes of a non-empty write
        }
        data.remove_prefix(static_cast<std::size_t>(n));
        offset += static_cast<std::uint64_t>(n);
    }
    return 0;
}

inline std::string read_whole_file(int fd, const std::string& name) {
    struct ::stat st {};
    if (::fstat(fd, &st) != 0) {
        throw_errno(errno, "fstat " + name);
    }
    std::string bytes(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ::ssize_t n = ::pread(fd, bytes.data() + done, bytes.size() - done,
                                    static_cast<::off_t>(done));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            throw_errno(errno, "read " + name);
        }
        if (n == 0) {
            break;  // the file shrank since fstat; we hold the flock, so nobody should
        }
        done += static_cast<std::size_t>(n);
    }
    bytes.resize(done);
    return bytes;
}

// [sync-directory]
// A file's data can be durable while the directory entry that names it is not: after
// a power loss the log would be gone, records and all. Syncing the parent directory
// makes the name durable. open() does it every time, not only when it created the
// file: a previous run may have created the file and died before its own directory
// sync, and this run cannot tell.
inline void sync_parent_directory(const std::filesystem::path& file) {
    std::filesystem::path dir = file.parent_path();
    if (dir.empty()) {
        dir = ".";
    }
    const unique_fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0) {
        throw_errno(errno, "open directory " + dir.string());
    }
    if (::fsync(fd.get()) != 0) {
        throw_errno(errno, "fsync directory " + dir.string());
    }
}
// [sync-directory]

}  // namespace detail

/// How a write_ahead_log treats its file.
struct wal_options {
    /// The largest payload append() accepts and open() recognises, at most 2^32 - 1.
    /// Never lower it for an existing log: a record above the cap reads as damage, and open() cuts it off.
    std::size_t max_record_bytes = default_max_record_bytes;
    /// What append() calls to make the written records durable: returns 0 or an errno.
    /// Runs without the log's lock, on the appending thread that leads a group commit.
    /// Only tests replace it, to hold a sync open or to make one fail.
    std::function<int(int fd)> sync_data = detail::sync_data;
};

/**
 * An append-only log file of records in the format above.
 *
 * append() is thread-safe: concurrent callers get consecutive sequence numbers in the
 * order their records reach the file, and share fdatasync calls (group commit). Every
 * other member, moving and destruction must not overlap an append(). Move-only; the
 * destructor closes the file without syncing (every acknowledged record is synced).
 */
class write_ahead_log {
public:
    /**
     * Opens the log at `path`, creating it if absent, and recovers it: scans the
     * records, cuts the file back to the valid prefix (ftruncate, then fdatasync) and
     * syncs the parent directory. Whatever follows the first damage is discarded, valid
     * or not (see scan_log for why); damage() says what it was.
     *
     * Throws std::system_error when a system call fails, including when another open
     * log holds the file (EWOULDBLOCK), and ce::usage_error for a max_record_bytes
     * of 0 or above 2^32 - 1, or an empty sync_data.
     */
    [[nodiscard]] static write_ahead_log open(const std::filesystem::path& path,
                                              wal_options options = {});

    write_ahead_log(const write_ahead_log&) = delete;
    write_ahead_log& operator=(const write_ahead_log&) = delete;
    write_ahead_log(write_ahead_log&&) noexcept = default;
    write_ahead_log& operator=(write_ahead_log&&) noexcept = default;
    ~write_ahead_log() = default;

    /**
     * Appends one record holding `payload` and returns its sequence number once the
     * record is durable: written in full and covered by an fdatasync that succeeded.
     *
     * On failure it throws std::system_error (EIO, ENOSPC, EFBIG, ...) and the record
     * is not in the file: the file is cut back to where the record started, so it can
     * never be recovered later, and its sequence number goes to the next append. If a
     * shared fdatasync fails, every append waiting on it fails the same way. If cutting
     * back fails as well, the log is unusable and every later append throws; reopen it.
     * Throws ce::usage_error, before touching the file, when `payload` is larger than
     * max_record_bytes.
     */
    std::uint64_t append(std::string_view payload);

    // The accessors below must not be called on a moved-from log.

    /// The records found by open(), in order.
    [[nodiscard]] const std::vector<wal_record>& recovered() const noexcept {
        return state_->recovered;
    }
    /// What open() found after the last valid record; none for a clean file.
    [[nodiscard]] wal_damage damage() const noexcept { return state_->damage; }
    /// Bytes open() cut off after the last valid record.
    [[nodiscard]] std::uint64_t discarded_bytes() const noexcept { return state_->discarded; }

private:
    // An append that has written its record and waits for a sync to cover it.
    struct pending {
        std::uint64_t sequence = 0;
        int error = 0;
        bool done = false;
    };

    // Behind a pointer so that the log can move although a mutex cannot.
    struct state {
        detail::unique_fd fd;
        wal_options options;
        std::vector<wal_record> recovered;
        wal_damage damage = wal_damage::none;
        std::uint64_t discarded = 0;

        std::mutex mutex;
        std::condition_variable synced;
        std::uint64_t end = 0;              // file size: where the next record goes
        std::uint64_t next_sequence = 1;    // the next record's sequence number
        std::uint64_t durable_end = 0;      // bytes covered by a successful fdatasync
        std::uint64_t durable_sequence = 0; // last record covered by one
        bool syncing = false;               // an append is in fdatasync, lock released
        int unusable = 0;                   // errno of a failed cut-back; 0 if usable
        std::vector<pending*> waiting;      // in sequence order

        void wait_until_durable(std::unique_lock<std::mutex>& lock, pending& self);
        void finish_waiting(std::uint64_t up_to_sequence, int error);
    };

    explicit write_ahead_log(std::unique_ptr<state> s) noexcept : state_(std::move(s)) {}

    std::unique_ptr<state> state_;
};

// [open]
inline write_ahead_log write_ahead_log::open(const std::filesystem::path& path,
                                             wal_options options) {
    // The length field has 32 bits; a larger cap would let append() write a length
    // that wraps around.
    if (options.max_record_bytes == 0 || options.max_record_bytes > 0xFFFF'FFFFU ||
        !options.sync_data) {
        throw ce::usage_error("wal_options: max_record_bytes must be in [1, 2^32 - 1] "
                              "and sync_data set");
    }
    const std::string name = path.string();
    auto s = std::make_unique<state>();
    s->options = std::move(options);
    // Explicit offsets (pwrite), not O_APPEND: after a failed write the record's start
    // is known exactly, and the file is cut back to it.
    s->fd = detail::unique_fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (s->fd.get() < 0) {
        detail::throw_errno(errno, "open " + name);
    }
    // Two writers would interleave records and both would believe their sequence
    // numbers; the lock belongs to this open file and goes with it on close or death.
    if (::flock(s->fd.get(), LOCK_EX | LOCK_NB) != 0) {
        detail::throw_errno(errno, "flock " + name + " (is the log open elsewhere?)");
    }
    const std::string bytes = detail::read_whole_file(s->fd.get(), name);
    scan_result scan = scan_log(bytes, s->options.max_record_bytes);
    if (scan.valid_bytes < bytes.size()) {
        // Cut the damage off now and make the cut durable, so that a new record is
        // never written after garbage, where the next recovery would not reach it.
        if (::ftruncate(s->fd.get(), static_cast<::off_t>(scan.valid_bytes)) != 0) {
            detail::throw_errno(errno, "ftruncate " + name);
        }
        if (const int error = detail::sync_data(s->fd.get()); error != 0) {
            detail::throw_errno(error, "fdatasync " + name);
        }
    }
    detail::sync_parent_directory(path);

    s->damage = scan.damage;
    s->discarded = bytes.size() - scan.valid_bytes;
    s->end = s->durable_end = scan.valid_bytes;
    if (!scan.records.empty()) {
        s->durable_sequence = scan.records.back().sequence;
        s->next_sequence = s->durable_sequence + 1;
    }
    s->recovered = std::move(scan.records);
    return write_ahead_log(std::move(s));
}
// [open]

// [append]
inline std::uint64_t write_ahead_log::append(std::string_view payload) {
    state& s = *state_;
    if (payload.size() > s.options.max_record_bytes) {
        throw ce::usage_error("write_ahead_log::append: payload of " +
                              std::to_string(payload.size()) + " bytes is above the cap of " +
                              std::to_string(s.options.max_record_bytes));
    }
    // Copy and checksum the payload before taking the lock; only the header, which
    // holds the sequence number, is filled in under it.
    std::string record(record_header_bytes + payload.size(), '\0');
    payload.copy(record.data() + record_header_bytes, payload.size());
    const std::uint32_t payload_crc = crc32c(payload);

    std::unique_lock lock(s.mutex);
    if (s.unusable != 0) {
        detail::throw_errno(s.unusable, "write_ahead_log::append: unusable since a failed "
                                        "cut-back; reopen the log");
    }
    pending self{s.next_sequence};
    detail::write_header(record.data(), self.sequence, payload.size(), payload_crc);
    if (const int error = detail::write_all_at(s.fd.get(), record, s.end); error != 0) {
        // Part of the record may be in the file. Cut it off so that the next record
        // starts where this one did. No sync needed: until the next record is synced,
        // a leftover fragment could only be a torn tail, which recovery discards.
        if (::ftruncate(s.fd.get(), static_cast<::off_t>(s.end)) != 0) {
            s.unusable = errno;
        }
        detail::throw_errno(error, "write_ahead_log::append: write");
    }
    s.end += record.size();
    ++s.next_sequence;
    s.waiting.push_back(&self);
    s.wait_until_durable(lock, self);
    if (self.error != 0) {
        detail::throw_errno(self.error, "write_ahead_log::append: fdatasync");
    }
    return self.sequence;
}

// Group commit. The append that finds no sync running becomes the syncer: it notes how
// far the file has been written, syncs without the lock (other appends keep writing
// meanwhile) and then completes every waiting append that the sync covered. The others
// sleep; an append whose record a sync covered returns without a sync of its own.
inline void write_ahead_log::state::wait_until_durable(std::unique_lock<std::mutex>& lock,
                                                       pending& self) {
    while (!self.done) {
        if (syncing) {
            synced.wait(lock);
            continue;
        }
        syncing = true;
        const std::uint64_t target_end = end;
        const std::uint64_t target_sequence = next_sequence - 1;
        lock.unlock();
        const int error = options.sync_data(fd.get());
        lock.lock();
        syncing = false;
        if (error == 0) {
            durable_end = target_end;
            durable_sequence = target_sequence;
            finish_waiting(target_sequence, 0);
        } else {
            // The synced range is in doubt, and so is everything written since. Fail
            // every waiting append and cut the file back to the last durable record,
            // durably: a caller told "failed" must not find its record after a crash.
            if (::ftruncate(fd.get(), static_cast<::off_t>(durable_end)) != 0) {
                unusable = errno;
            } else if (const int sync_error = options.sync_data(fd.get()); sync_error != 0) {
                unusable = sync_error;
            }
            end = durable_end;
            next_sequence = durable_sequence + 1;
            finish_waiting(std::numeric_limits<std::uint64_t>::max(), error);
        }
        synced.notify_all();
    }
}
// [append]

// Completes, with `error`, the waiting appends up to `up_to_sequence`: a prefix of
// `waiting`, which is in sequence order because records are written under the lock.
inline void write_ahead_log::state::finish_waiting(std::uint64_t up_to_sequence, int error) {
    std::size_t n = 0;
    while (n < waiting.size() && waiting[n]->sequence <= up_to_sequence) {
        waiting[n]->error = error;
        waiting[n]->done = true;
        ++n;
    }
    waiting.erase(waiting.begin(), waiting.begin() + static_cast<std::ptrdiff_t>(n));
}

}  // namespace jobq
