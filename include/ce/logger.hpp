#pragma once
/**
 * @file
 * Structured logging: an event is a constant message plus key–value fields, rendered
 * as one JSON object per line (or as logfmt) and handed to a ce::log_sink.
 *
 * Context is bound two ways. logger::bind() returns a child logger that adds fields
 * to every record it writes (structlog's `log.bind(...)`); a ce::log_scope adds
 * fields to every record the *current thread* writes while it lives (structlog's
 * `bound_contextvars`). Use the `CE_LOG_*` macros on hot paths: they test the level
 * before evaluating any argument. Each event becomes one line such as
 * `{"ts":"2026-11-25T20:43:21.123456Z","level":"info","msg":"user logged in",`
 * `"src":"login.cpp:50","user":"ann","attempt":2}`:
 *
 * @snippet foundations/logging.cpp first-event
 *
 * Context bound to a child logger:
 *
 * @snippet foundations/logging.cpp bind
 */

#include <ce/error.hpp>
#include <ce/log_sink.hpp>

#include <fmt/compile.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <source_location>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace ce {

/// Severity of an event, least to most severe; `off` is only a threshold.
enum class log_level : std::uint8_t {
    trace,     ///< Step-by-step detail, usually off in production.
    debug,     ///< Diagnostic detail for developers.
    info,      ///< Normal operation worth recording.
    warn,      ///< Something unexpected that the program handled.
    error,     ///< An operation failed.
    critical,  ///< The program cannot continue as it is.
    off,       ///< As a threshold: log nothing.
};

/// How a record is rendered; both are one line per event.
enum class log_format : std::uint8_t {
    json,    ///< `{"ts":"…","level":"info","msg":"…","key":value}`: one JSON object per line.
    logfmt,  ///< `ts=… level=info msg="…" key=value`: quoted only where needed.
};

/// The clock a logger stamps records with; an empty function means `system_clock::now`.
using log_clock = std::function<std::chrono::system_clock::time_point()>;

/// How a ce::logger is configured; designated initializers read best:
/// `ce::logger log{sink, {.format = ce::log_format::logfmt, .level = ce::log_level::debug}}`.
struct logger_options {
    log_format format = log_format::json;  ///< How records are rendered.
    log_level level = log_level::info;     ///< The threshold: lower levels are discarded.
    log_clock clock = {};                  ///< Injected time source; tests pass a fixed one.
    bool source = true;                    ///< Add `"src":"file.cpp:line"` from the call site.
};

/**
 * An event's message and the place it was logged from. It converts implicitly from a
 * string, capturing the caller's `std::source_location` in a default argument, so
 * `log.info("started")` knows its file and line. It is a view: it lives as long as
 * the call.
 */
struct log_message {
    /// Captures `text` and, by default, the location of the call that converts it.
    template <std::convertible_to<std::string_view> String>
    log_message(const String& message,  // implicit on purpose: log.info("text") must convert
                std::source_location location = std::source_location::current())
        : text(message), where(location) {}

    std::string_view text;       ///< The constant message, without interpolated data.
    std::source_location where;  ///< The call site.
};

namespace detail {

using log_buffer = fmt::memory_buffer;  // 500 bytes inline: ordinary records never allocate

// Grows `out` by n bytes and returns where they start. A record is many short pieces:
// one capacity check and a memcpy each beats fmt's general-purpose append loop.
inline char* extend(log_buffer& out, std::size_t n) {
    const std::size_t size = out.size();
    out.resize(size + n);
    return out.data() + size;
}

inline void append(log_buffer& out, std::string_view s) {
    if (!s.empty()) {
        std::memcpy(extend(out, s.size()), s.data(), s.size());
    }
}

// Bytes that go into a JSON string as they are: printable ASCII except '"' and '\'.
inline constexpr auto json_plain = [] {
    std::array<bool, 256> plain{};
    for (std::size_t c = 0x20; c < 0x80; ++c) {
        plain[c] = c != '"' && c != '\\';
    }
    return plain;
}();

// Length of the well-formed UTF-8 sequence starting at p (Unicode table 3-7: no
// overlong forms, no surrogates, nothing above U+10FFFF), or 0 if ill-formed.
inline std::size_t utf8_sequence(const unsigned char* p, const unsigned char* end) noexcept {
    const unsigned lead = p[0];
    unsigned low = 0x80;
    unsigned high = 0xBF;
    std::size_t n = 0;
    if (lead >= 0xC2 && lead <= 0xDF) {
        n = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        n = 3;
        low = lead == 0xE0 ? 0xA0 : 0x80;
        high = lead == 0xED ? 0x9F : 0xBF;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        n = 4;
        low = lead == 0xF0 ? 0x90 : 0x80;
        high = lead == 0xF4 ? 0x8F : 0xBF;
    } else {
        return 0;
    }
    if (static_cast<std::size_t>(end - p) < n || p[1] < low || p[1] > high) {
        return 0;
    }
    for (std::size_t i = 2; i < n; ++i) {
        if (p[i] < 0x80 || p[i] > 0xBF) {
            return 0;
        }
    }
    return n;
}

// The inside of a JSON string (RFC 8259): '"', '\' and U+0000..U+001F escaped,
// well-formed UTF-8 copied as is, each ill-formed byte replaced by U+FFFD. Runs of
// plain bytes are copied in one append.
inline void append_escaped(log_buffer& out, std::string_view s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const auto* const end = p + s.size();
    const auto* run = p;
    auto copy_run = [&] {
        append(out, std::string_view(reinterpret_cast<const char*>(run), static_cast<std::size_t>(p - run)));
    };
    while (p != end) {
        const unsigned char c = *p;
        if (json_plain[c]) {
            ++p;
            continue;
        }
        if (c >= 0x80) {
            if (const std::size_t n = utf8_sequence(p, end); n != 0) {
                p += n;
                continue;
            }
        }
        copy_run();
        switch (c) {
            case '"': append(out, "\\\""); break;
            case '\\': append(out, "\\\\"); break;
            case '\n': append(out, "\\n"); break;
            case '\r': append(out, "\\r"); break;
            case '\t': append(out, "\\t"); break;
            case '\b': append(out, "\\b"); break;
            case '\f': append(out, "\\f"); break;
            default:
                if (c >= 0x80) {
                    append(out, "\\ufffd");
                } else {
                    constexpr std::string_view hex = "0123456789abcdef";
                    const char escape[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF]};
                    append(out, std::string_view(escape, sizeof escape));
                }
        }
        run = ++p;
    }
    copy_run();
}

// logfmt has no standard; like go-logfmt, quote a value that is empty or holds a
// space, '=', '"', a control character or ill-formed UTF-8.
inline bool logfmt_needs_quotes(std::string_view s) noexcept {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const auto* const end = p + s.size();
    if (p == end) {
        return true;
    }
    while (p != end) {
        if (*p <= ' ' || *p == '=' || *p == '"' || *p == 0x7F) {
            return true;
        }
        if (*p < 0x80) {
            ++p;
        } else if (const std::size_t n = utf8_sequence(p, end); n != 0) {
            p += n;
        } else {
            return true;
        }
    }
    return false;
}

inline void write_string(log_buffer& out, log_format format, std::string_view s) {
    if (format == log_format::logfmt && !logfmt_needs_quotes(s)) {
        append(out, s);
        return;
    }
    out.push_back('"');
    append_escaped(out, s);
    out.push_back('"');
}

inline void write_key(log_buffer& out, log_format format, std::string_view key) {
    if (format == log_format::json) {
        append(out, ",\"");
        append_escaped(out, key);
        append(out, "\":");
        return;
    }
    out.push_back(' ');
    if (key.empty()) {
        out.push_back('_');
    }
    for (const char c : key) {  // keys are identifiers: anything that would break the pair becomes '_'
        const auto u = static_cast<unsigned char>(c);
        out.push_back(u <= ' ' || u >= 0x7F || c == '=' || c == '"' ? '_' : c);
    }
    out.push_back('=');
}

template <typename T>
inline constexpr bool is_optional_v = false;
template <typename T>
inline constexpr bool is_optional_v<std::optional<T>> = true;

template <typename T>
void write_value(log_buffer& out, log_format format, const T& value) {
    if constexpr (std::is_same_v<T, bool>) {
        append(out, value ? "true" : "false");
    } else if constexpr (std::is_same_v<T, std::nullptr_t>) {
        append(out, "null");
    } else if constexpr (std::is_same_v<T, char>) {
        write_string(out, format, std::string_view(&value, 1));
    } else if constexpr (std::is_integral_v<T>) {
        const fmt::format_int digits(value);
        append(out, std::string_view(digits.data(), digits.size()));
    } else if constexpr (std::is_floating_point_v<T>) {
        if (std::isfinite(value)) {
            if constexpr (sizeof(T) <= sizeof(double)) {  // shortest round-trip form, at most 24 chars
                char digits[32];
                const char* const end = fmt::format_to(digits, FMT_COMPILE("{}"), value);
                append(out, std::string_view(digits, static_cast<std::size_t>(end - digits)));
            } else {
                fmt::format_to(fmt::appender(out), "{}", value);
            }
        } else {
            write_string(out, format, std::isnan(value) ? "nan" : value > 0 ? "inf" : "-inf");
        }
    } else if constexpr (std::is_same_v<T, const char*> || std::is_same_v<T, char*>) {
        if (value == nullptr) {
            append(out, "null");
        } else {
            write_string(out, format, value);
        }
    } else if constexpr (std::is_convertible_v<const T&, std::string_view>) {
        write_string(out, format, std::string_view(value));
    } else if constexpr (is_optional_v<T>) {
        if (value) {
            write_value(out, format, *value);
        } else {
            append(out, "null");
        }
    } else {
        static_assert(fmt::is_formattable<T>::value,
                      "ce::logger cannot render this field value: give its type a fmt::formatter");
        fmt::memory_buffer text;
        fmt::format_to(fmt::appender(text), "{}", value);
        write_string(out, format, std::string_view(text.data(), text.size()));
    }
}

inline void write_fields(log_buffer&, log_format) {}

template <typename Key, typename Value, typename... Rest>
void write_fields(log_buffer& out, log_format format, const Key& key, const Value& value, const Rest&... rest) {
    static_assert(std::is_convertible_v<const Key&, std::string_view>,
                  "ce::logger: a field key must be a string; fields come in key, value pairs");
    write_key(out, format, std::string_view(key));
    write_value(out, format, value);
    write_fields(out, format, rest...);
}

inline void put_digits(char* at, std::size_t width, long long value) noexcept {
    for (std::size_t i = width; i-- > 0; value /= 10) {
        at[i] = static_cast<char>('0' + value % 10);
    }
}

// RFC 3339 in UTC with microseconds: 2026-11-25T20:43:21.123456Z (years 0000-9999).
// The calendar part changes once a second, so each thread keeps its last rendering.
inline void write_timestamp(log_buffer& out, std::chrono::system_clock::time_point time) {
    using namespace std::chrono;
    struct cache {
        sys_seconds second = sys_seconds::min();
        char text[20] = {};  // "2026-11-25T20:43:21."
    };
    thread_local cache last;
    const auto us = floor<microseconds>(time);
    const auto second = floor<seconds>(us);
    if (second != last.second) {
        const auto day = floor<days>(second);
        const year_month_day date{day};
        const hh_mm_ss<seconds> clock{second - day};
        std::memcpy(last.text, "0000-00-00T00:00:00.", sizeof last.text);
        put_digits(last.text, 4, std::clamp(static_cast<int>(date.year()), 0, 9999));
        put_digits(last.text + 5, 2, static_cast<unsigned>(date.month()));
        put_digits(last.text + 8, 2, static_cast<unsigned>(date.day()));
        put_digits(last.text + 11, 2, clock.hours().count());
        put_digits(last.text + 14, 2, clock.minutes().count());
        put_digits(last.text + 17, 2, clock.seconds().count());
        last.second = second;
    }
    char* text = extend(out, sizeof last.text + 7);
    std::memcpy(text, last.text, sizeof last.text);
    put_digits(text + sizeof last.text, 6, (us - second).count());
    text[sizeof last.text + 6] = 'Z';
}

inline std::string_view level_name(std::size_t level) noexcept {
    constexpr std::string_view names[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
    return names[level];
}

inline void begin_record(log_buffer& out, log_format format, std::chrono::system_clock::time_point time,
                         std::string_view level, std::string_view message, const std::source_location* where) {
    const bool json = format == log_format::json;
    append(out, json ? R"({"ts":")" : "ts=");
    write_timestamp(out, time);
    append(out, json ? R"(","level":")" : " level=");
    append(out, level);
    append(out, json ? R"(","msg":)" : " msg=");
    write_string(out, format, message);
    if (where != nullptr) {
        std::string_view file = where->file_name();
        file.remove_prefix(file.find_last_of('/') + 1);  // npos + 1 == 0: no directory
        const fmt::format_int line(where->line());
        append(out, json ? R"(,"src":)" : " src=");
        const bool quote = json || logfmt_needs_quotes(file);
        if (quote) {
            out.push_back('"');
            append_escaped(out, file);
        } else {
            append(out, file);
        }
        out.push_back(':');
        append(out, std::string_view(line.data(), line.size()));
        if (quote) {
            out.push_back('"');
        }
    }
}

inline void end_record(log_buffer& out, log_format format) { append(out, format == log_format::json ? "}\n" : "\n"); }

// The fields of the ce::log_scope objects alive on this thread, rendered once in each
// format when the scope opens; a scope's destructor truncates back to its start.
struct scope_context {
    std::string json;
    std::string logfmt;
    [[nodiscard]] std::string_view text(log_format format) const noexcept {
        return format == log_format::json ? json : logfmt;
    }
};

inline scope_context& thread_context() noexcept {
    thread_local scope_context context;
    return context;
}

// What a logger shares with its copies and children.
struct logger_core {
    logger_core(std::shared_ptr<log_sink> s, logger_options options)
        : sink(std::move(s)), clock(std::move(options.clock)), level(options.level),
          format(options.format), source(options.source) {}

    std::shared_ptr<log_sink> sink;
    log_clock clock;
    std::atomic<log_level> level;
    log_format format;
    bool source;
};

}  // namespace detail

/**
 * Adds key–value fields to every record the current thread writes while the scope
 * lives, whichever logger writes it; other threads never see them. Scopes nest and
 * must end in reverse order on the thread that made them, which a local variable
 * guarantees, so the type can be neither copied nor moved. Do not keep one across a
 * coroutine suspension: the coroutine may resume on another thread. Here `charge`
 * logs through a logger that knows nothing of the request:
 *
 * @snippet foundations/logging.cpp log-scope
 */
class log_scope {
public:
    /// Pushes `fields` (key, value, key, value, ...) onto this thread's context.
    template <typename... Fields>
    [[nodiscard]] explicit log_scope(const Fields&... fields) {
        static_assert(sizeof...(Fields) > 0 && sizeof...(Fields) % 2 == 0,
                      "ce::log_scope: fields come in key, value pairs");
        detail::log_buffer json;
        detail::log_buffer logfmt;
        detail::write_fields(json, log_format::json, fields...);
        detail::write_fields(logfmt, log_format::logfmt, fields...);
        auto& context = detail::thread_context();
        json_size_ = context.json.size();
        logfmt_size_ = context.logfmt.size();
        context.json.append(json.data(), json.size());
        try {
            context.logfmt.append(logfmt.data(), logfmt.size());
        } catch (...) {
            context.json.resize(json_size_);
            throw;
        }
    }

    /// Pops this scope's fields.
    ~log_scope() {
        auto& context = detail::thread_context();
        context.json.resize(json_size_);
        context.logfmt.resize(logfmt_size_);
    }

    log_scope(const log_scope&) = delete;             ///< Bound to one thread's stack.
    log_scope& operator=(const log_scope&) = delete;  ///< Bound to one thread's stack.

private:
    std::size_t json_size_ = 0;
    std::size_t logfmt_size_ = 0;
};

/**
 * A handle that renders events and writes them to a sink. Copies and children made by
 * bind() share the sink, the options and the level, so set_level() affects them all.
 * A logger is immutable apart from its level: share it between threads freely.
 *
 * Fields are `key, value` pairs after the message. Keys are strings; values may be
 * `bool`, integers, floating point (non-finite values become the strings `"nan"`,
 * `"inf"`, `"-inf"` in JSON), strings, `nullptr`, `std::optional` of those, or any type
 * with a `fmt::formatter` (rendered as a string). Strings are escaped so that every
 * JSON line parses; ill-formed UTF-8 becomes U+FFFD. Fields appear in order: bound,
 * then scoped, then the call's; a repeated key is written again, not merged.
 *
 * Formatting happens on the calling thread into a stack buffer: a record shorter than
 * about 500 bytes allocates nothing. Logging throws only what the sink throws (or
 * `std::bad_alloc`). A moved-from logger may only be assigned to or destroyed.
 */
class logger {
public:
    /// Writes to `sink` as `options` say. @throws ce::usage_error when `sink` is null.
    explicit logger(std::shared_ptr<log_sink> sink, logger_options options = {})
        : core_(std::make_shared<detail::logger_core>(std::move(sink), std::move(options))) {
        if (!core_->sink) {
            throw usage_error("ce::logger needs a sink");
        }
    }

    /// True when a record at `level` would be written. Thread-safe, lock-free.
    [[nodiscard]] bool enabled(log_level level) const noexcept {
        return level != log_level::off && level >= core_->level.load(std::memory_order_relaxed);
    }
    /// The current threshold.
    [[nodiscard]] log_level level() const noexcept { return core_->level.load(std::memory_order_relaxed); }
    /// Changes the threshold of this logger, its copies and children. Thread-safe.
    void set_level(log_level level) noexcept { core_->level.store(level, std::memory_order_relaxed); }

    /// A child logger that adds `fields` (key, value, ...) to every record it writes.
    template <typename... Fields>
    [[nodiscard]] logger bind(const Fields&... fields) const {
        static_assert(sizeof...(Fields) % 2 == 0, "ce::logger::bind: fields come in key, value pairs");
        detail::log_buffer out;
        detail::append(out, context());
        detail::write_fields(out, core_->format, fields...);
        return logger(core_, std::make_shared<const std::string>(out.data(), out.size()));
    }

    /// A child logger with the calling thread's ce::log_scope fields bound, to hand to
    /// another thread, where the scope itself is invisible.
    [[nodiscard]] logger bind_scope() const {
        std::string bound(context());
        bound += detail::thread_context().text(core_->format);
        return logger(core_, std::make_shared<const std::string>(std::move(bound)));
    }

    /**
     * Writes one record when `level` is enabled. Being a function call, it evaluates
     * every argument even when the level is disabled; CE_LOG() does not.
     */
    template <typename... Fields>
    void log(log_level level, log_message message, const Fields&... fields) const {
        static_assert(sizeof...(Fields) % 2 == 0, "ce::logger: fields come in key, value pairs");
        if (!enabled(level)) {
            return;
        }
        const detail::logger_core& core = *core_;
        detail::log_buffer out;  // inline storage: no allocation for an ordinary record
        detail::begin_record(out, core.format, core.clock ? core.clock() : std::chrono::system_clock::now(),
                             detail::level_name(static_cast<std::size_t>(level)), message.text,
                             core.source ? &message.where : nullptr);
        detail::append(out, context());
        detail::append(out, detail::thread_context().text(core.format));
        detail::write_fields(out, core.format, fields...);
        detail::end_record(out, core.format);
        core.sink->write(std::string_view(out.data(), out.size()));
    }

    /// log() at log_level::trace.
    template <typename... Fields>
    void trace(log_message message, const Fields&... fields) const { log(log_level::trace, message, fields...); }
    /// log() at log_level::debug.
    template <typename... Fields>
    void debug(log_message message, const Fields&... fields) const { log(log_level::debug, message, fields...); }
    /// log() at log_level::info.
    template <typename... Fields>
    void info(log_message message, const Fields&... fields) const { log(log_level::info, message, fields...); }
    /// log() at log_level::warn.
    template <typename... Fields>
    void warn(log_message message, const Fields&... fields) const { log(log_level::warn, message, fields...); }
    /// log() at log_level::error.
    template <typename... Fields>
    void error(log_message message, const Fields&... fields) const { log(log_level::error, message, fields...); }
    /// log() at log_level::critical.
    template <typename... Fields>
    void critical(log_message message, const Fields&... fields) const { log(log_level::critical, message, fields...); }

    /// Flushes the sink (for a ce::async_sink: waits until the queue is written).
    void flush() const { core_->sink->flush(); }

private:
    logger(std::shared_ptr<detail::logger_core> core, std::shared_ptr<const std::string> context) noexcept
        : core_(std::move(core)), context_(std::move(context)) {}

    [[nodiscard]] std::string_view context() const noexcept {
        return context_ ? std::string_view(*context_) : std::string_view();
    }

    std::shared_ptr<detail::logger_core> core_;
    std::shared_ptr<const std::string> context_;  // bound fields, already rendered
};

}  // namespace ce

/// Logs at `level` only if `logger_expr` has it enabled; otherwise no argument is
/// evaluated: `CE_LOG(log, ce::log_level::warn, "disk low", "free_mb", free_mb())`.
#define CE_LOG(logger_expr, level, ...)                                                   \
    do {                                                                                  \
        if (const ::ce::logger& ce_log_logger_ = (logger_expr); ce_log_logger_.enabled(level)) { \
            ce_log_logger_.log(level, __VA_ARGS__);                                       \
        }                                                                                 \
    } while (false)

#define CE_LOG_TRACE(logger_expr, ...) CE_LOG(logger_expr, ::ce::log_level::trace, __VA_ARGS__)        ///< CE_LOG at trace.
#define CE_LOG_DEBUG(logger_expr, ...) CE_LOG(logger_expr, ::ce::log_level::debug, __VA_ARGS__)        ///< CE_LOG at debug.
#define CE_LOG_INFO(logger_expr, ...) CE_LOG(logger_expr, ::ce::log_level::info, __VA_ARGS__)          ///< CE_LOG at info.
#define CE_LOG_WARN(logger_expr, ...) CE_LOG(logger_expr, ::ce::log_level::warn, __VA_ARGS__)          ///< CE_LOG at warn.
#define CE_LOG_ERROR(logger_expr, ...) CE_LOG(logger_expr, ::ce::log_level::error, __VA_ARGS__)        ///< CE_LOG at error.
#define CE_LOG_CRITICAL(logger_expr, ...) CE_LOG(logger_expr, ::ce::log_level::critical, __VA_ARGS__)  ///< CE_LOG at critical.
