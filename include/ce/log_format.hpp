#pragma once
/**
 * @file
 * The wire format of a ce::logger record: one line per event, either a JSON object
 * (JSON lines) or logfmt. A record starts with `ts`, an RFC 3339 timestamp in UTC with
 * microseconds (`2026-11-25T20:43:21.123456Z`); `level`; `msg`, the constant message;
 * and, unless the logger turns it off, `src`, the call site as `file.cpp:line`. The
 * fields follow in the order they were given. Whatever the values hold, a record stays
 * one line that a parser for its format accepts:
 *
 * - JSON strings are escaped as RFC 8259 requires (double quote, backslash and U+0000
 *   to U+001F); well-formed UTF-8 is copied as is and each byte of ill-formed UTF-8
 *   becomes U+FFFD, so every line is valid JSON in valid UTF-8.
 * - logfmt has no standard. As in go-logfmt, a value is quoted, with JSON's escapes,
 *   only when it is empty or holds a space, an equals sign, a double quote, a control
 *   character or ill-formed UTF-8; in a key, each such byte and each non-ASCII byte
 *   becomes an underscore.
 *
 * The same events as logfmt, where only the values that need quotes have them:
 *
 * @snippet foundations/logging.cpp logfmt
 *
 * A hostile value stays inside its JSON string:
 *
 * @snippet foundations/logging.cpp escaping
 */

#include <fmt/compile.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <source_location>
#include <string_view>
#include <type_traits>

namespace ce {

/// How a record is rendered; both are one line per event.
enum class log_format : std::uint8_t {
    json,    ///< `{"ts":"…","level":"info","msg":"…","key":value}`: one JSON object per line.
    logfmt,  ///< `ts=… level=info msg="…" key=value`: quoted only where needed.
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
            } else if (std::fabs(value) <= static_cast<T>(std::numeric_limits<double>::max())) {
                fmt::format_to(fmt::appender(out), "{}", value);
            } else {
                // A long double beyond double's range: JSON readers hold numbers in
                // doubles, where it is an error or an infinity. As a string its digits survive.
                char digits[64];
                const auto written = fmt::format_to_n(digits, sizeof digits, "{}", value);
                write_string(out, format, std::string_view(digits, std::min(written.size, sizeof digits)));
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

}  // namespace detail

}  // namespace ce
