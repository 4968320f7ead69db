#pragma once
/**
 * @file
 * HTTP/1.1 requests read from untrusted bytes (RFC 9112): the request line and the
 * header fields, up to the blank line that ends them, and the body after them. What Python's `http.server` does
 * inside `BaseHTTPRequestHandler.parse_request`, as two pure functions that a server
 * calls on its read buffer, and that tests, property checks and a fuzzer can call on any
 * bytes at all.
 *
 * `head_length()` says whether the buffer holds a whole head yet; `parse_request_head()`
 * either returns the request or says which status to refuse it with: 400 for what is
 * not HTTP, 413 for a body over the limit, 431 for a head over its limits, 501 for a
 * transfer coding, 505 for a version other than 1.0 and 1.1. It never throws for bad
 * input, and it never reads outside the view it was given. `request_reader` does the
 * bookkeeping a server needs around them: bytes from reads of any size in, whole
 * requests (head and body) out.
 *
 * @snippet testing/testable_design.cpp parse-a-head
 *
 * Deliberately strict where RFC 9112 allows a choice: only CRLF ends a line, obsolete
 * line folding is refused, and so are two different Content-Length values. As RFC 9112
 * requires, an HTTP/1.1 request needs exactly one Host field, and a Host field's value
 * must be a host (with an optional port).
 */

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <variant>
#include <vector>

namespace ce::http {

/// One header field: the name as received (compare it with iequals()) and the value
/// without the spaces and tabs around it.
struct header_field {
    std::string name;   ///< a token, in the case the client sent
    std::string value;  ///< visible characters, spaces and tabs; never CR, LF or NUL
    friend bool operator==(const header_field&, const header_field&) = default;  ///< Same name (as sent) and value.
};

/// A request's head, as parse_request_head() accepts it.
struct request_head {
    std::string method;                ///< a token: "GET", "POST", ...
    std::string target;                ///< the request target, visible ASCII, never empty
    int minor_version = 1;             ///< 0 for HTTP/1.0, 1 for HTTP/1.1
    std::vector<header_field> fields;  ///< in the order received
    std::size_t content_length = 0;    ///< the body's length in bytes; 0 without a Content-Length
    bool keep_alive = true;            ///< whether the connection stays open after the response

    /// The value of the first field called `name` (ASCII case-insensitive), or null.
    [[nodiscard]] const std::string* field(std::string_view name) const noexcept;

    /// Every member equal: the same request, field for field.
    friend bool operator==(const request_head&, const request_head&) = default;
};

/// Why a head was refused: the status to answer with and a reason for the log.
struct rejection {
    int status = 400;    ///< 400, 413, 431, 501 or 505
    std::string reason;  ///< what was wrong, in words, for the log (not for the client)
    friend bool operator==(const rejection&, const rejection&) = default;  ///< Same status and reason.
};

/// What a server accepts; a head beyond these is refused, never stored.
struct head_limits {
    std::size_t max_head_bytes = 8192;       ///< request line and fields, with the blank line
    std::size_t max_fields = 64;             ///< header fields
    std::size_t max_body_bytes = 1U << 20U;  ///< the largest Content-Length accepted
};

/// `a` and `b` equal ignoring ASCII case, as header names and connection options compare.
[[nodiscard]] constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [&](char x, char y) {
               return lower(x) == lower(y);
           });
}

inline const std::string* request_head::field(std::string_view name) const noexcept {
    const auto found = std::ranges::find_if(fields, [&](const header_field& f) { return iequals(f.name, name); });
    return found == fields.end() ? nullptr : &found->value;
}

/// The length of the head at the start of `buffer`, blank line included, or 0 while
/// the blank line has not arrived. A server reads until this is non-zero, and refuses
/// with 431 a buffer that passes head_limits::max_head_bytes first.
[[nodiscard]] inline std::size_t head_length(std::string_view buffer) noexcept {
    const auto end = buffer.find("\r\n\r\n");
    return end == std::string_view::npos ? 0 : end + 4;
}

namespace detail {

// RFC 9110 token characters: letters, digits and !#$%&'*+-.^_`|~
constexpr bool is_tchar(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

constexpr bool is_token(std::string_view s) noexcept {
    return !s.empty() && std::ranges::all_of(s, is_tchar);
}

// A field value's characters: visible ASCII, obs-text (0x80-0xFF), space and tab.
constexpr bool is_field_char(char c) noexcept {
    const auto u = static_cast<unsigned char>(c);
    return u == '\t' || (u >= 0x20 && u != 0x7F);
}

constexpr std::string_view trim_ows(std::string_view s) noexcept {
    const auto first = s.find_first_not_of(" \t");
    if (first == std::string_view::npos) {
        return {};
    }
    return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

// A Host value as RFC 3986 allows one: a reg-name (letters, digits, -._~, the
// sub-delims !$&'()*+,;= and %XX escapes) or a bracketed IP literal, then an optional
// ":port". Empty is allowed: a request whose target has no authority sends "Host:".
constexpr bool is_host(std::string_view s) noexcept {
    const auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); };
    const auto unreserved_or_sub_delim = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
            || std::string_view("-._~!$&'()*+,;=").find(c) != std::string_view::npos;
    };
    std::size_t i = 0;
    if (!s.empty() && s.front() == '[') {  // IP-literal: hex digits, '.', ':' and the IPvFuture letters
        const auto close = s.find(']');
        if (close == std::string_view::npos || close == 1) {
            return false;
        }
        for (i = 1; i < close; ++i) {
            if (!unreserved_or_sub_delim(s[i]) && s[i] != ':') {
                return false;
            }
        }
        i = close + 1;
    } else {
        for (; i < s.size() && s[i] != ':'; ++i) {
            if (s[i] == '%') {
                if (i + 2 >= s.size() || !hex(s[i + 1]) || !hex(s[i + 2])) {
                    return false;
                }
                i += 2;
            } else if (!unreserved_or_sub_delim(s[i])) {
                return false;
            }
        }
    }
    if (i == s.size()) {
        return true;
    }
    return s[i] == ':' && std::ranges::all_of(s.substr(i + 1), [](char c) { return c >= '0' && c <= '9'; });
}

// The refusal of a head over limits.max_head_bytes: one wording for the parser and the
// reader, which must agree whether a head arrives at once or in pieces.
inline rejection head_too_large(const head_limits& limits) {
    return {431, "the request head is larger than " + std::to_string(limits.max_head_bytes) + " bytes"};
}

inline bool has_option(std::string_view list, std::string_view option) {
    while (!list.empty()) {
        const auto comma = list.find(',');
        if (iequals(trim_ows(list.substr(0, comma)), option)) {
            return true;
        }
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    }
    return false;
}

}  // namespace detail

/// Parses a request head: `head` is exactly the bytes head_length() measured, ending
/// with the blank line. Returns the request, or the status to refuse it with.
[[nodiscard]] inline std::variant<request_head, rejection> parse_request_head(std::string_view head,
                                                                             const head_limits& limits = {}) {
    const auto refuse = [](int status, std::string reason) { return rejection{status, std::move(reason)}; };
    if (head.size() > limits.max_head_bytes) {
        return detail::head_too_large(limits);
    }
    if (head.size() < 4 || head.substr(head.size() - 4) != "\r\n\r\n") {
        return refuse(400, "the request head does not end with an empty line");
    }
    request_head request;
    std::string_view rest = head.substr(0, head.size() - 2);  // each line keeps its CRLF
    const auto next_line = [&rest]() {
        const auto end = rest.find("\r\n");
        const std::string_view line = rest.substr(0, end);
        rest.remove_prefix(end + 2);
        return line;
    };
    const auto bare_cr_or_lf = [](std::string_view line) {
        return line.find_first_of("\r\n") != std::string_view::npos;
    };

    // request-line = method SP request-target SP HTTP-version
    const std::string_view line = next_line();
    if (bare_cr_or_lf(line)) {
        return refuse(400, "a bare CR or LF in the request line");
    }
    const auto first_space = line.find(' ');
    const auto last_space = line.rfind(' ');
    if (first_space == std::string_view::npos || first_space == last_space) {
        return refuse(400, "the request line is not 'method target version'");
    }
    const std::string_view method = line.substr(0, first_space);
    const std::string_view target = line.substr(first_space + 1, last_space - first_space - 1);
    const std::string_view version = line.substr(last_space + 1);
    if (!detail::is_token(method)) {
        return refuse(400, "the method is not a token");
    }
    if (target.empty() || !std::ranges::all_of(target, [](char c) { return c > 0x20 && c < 0x7F; })) {
        return refuse(400, "the request target is empty or has a character that is not visible ASCII");
    }
    if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.'
        || version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9') {
        return refuse(400, "the version is not HTTP/<digit>.<digit>");
    }
    if (version[5] != '1' || version[7] > '1') {
        return refuse(505, "only HTTP/1.0 and HTTP/1.1 are supported");
    }
    request.method = method;
    request.target = target;
    request.minor_version = version[7] - '0';

    // field-line = field-name ":" OWS field-value OWS
    bool has_length = false;
    std::size_t hosts = 0;
    while (!rest.empty()) {
        const std::string_view field = next_line();
        if (bare_cr_or_lf(field)) {
            return refuse(400, "a bare CR or LF in a header field");
        }
        if (field.empty()) {
            return refuse(400, "an empty line before the end of the head");
        }
        if (field.front() == ' ' || field.front() == '\t') {
            return refuse(400, "obsolete line folding");
        }
        const auto colon = field.find(':');
        const std::string_view name = field.substr(0, colon);
        if (colon == std::string_view::npos || !detail::is_token(name)) {
            return refuse(400, "a header field name is not a token followed by ':'");
        }
        const std::string_view value = detail::trim_ows(field.substr(colon + 1));
        if (!std::ranges::all_of(value, detail::is_field_char)) {
            return refuse(400, "a control character in the value of " + std::string(name));
        }
        if (request.fields.size() == limits.max_fields) {
            return refuse(431, "more than " + std::to_string(limits.max_fields) + " header fields");
        }
        if (iequals(name, "content-length")) {
            std::size_t length = 0;
            const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), length);
            if (value.empty() || end != value.data() + value.size()
                || (error != std::errc{} && error != std::errc::result_out_of_range)) {
                return refuse(400, "Content-Length is not a number");
            }
            if (error == std::errc::result_out_of_range || length > limits.max_body_bytes) {
                return refuse(413, "the body is larger than " + std::to_string(limits.max_body_bytes) + " bytes");
            }
            if (has_length && length != request.content_length) {
                return refuse(400, "two different Content-Length fields");
            }
            has_length = true;
            request.content_length = length;
        } else if (iequals(name, "transfer-encoding")) {
            return refuse(501, "transfer codings are not supported");
        } else if (iequals(name, "host")) {
            if (!detail::is_host(value)) {
                return refuse(400, "the Host field is not a host and port");
            }
            ++hosts;
        }
        request.fields.push_back({std::string(name), std::string(value)});
    }
    if (request.minor_version == 1 && hosts != 1) {
        return refuse(400, "an HTTP/1.1 request needs exactly one Host field");
    }
    const std::string* connection = request.field("connection");
    request.keep_alive = connection != nullptr && detail::has_option(*connection, "close") ? false
                       : request.minor_version == 1 ? true
                       : connection != nullptr && detail::has_option(*connection, "keep-alive");
    return request;
}

/// The head as a client would send it: the request line, each field as
/// `name: value`, and the blank line. parse_request_head() reads it back as `request`.
[[nodiscard]] inline std::string to_string(const request_head& request) {
    std::string out = request.method + ' ' + request.target + " HTTP/1." + std::to_string(request.minor_version) + "\r\n";
    for (const header_field& f : request.fields) {
        out += f.name + ": " + f.value + "\r\n";
    }
    return out + "\r\n";
}

/// A whole request: its head and its body (Content-Length bytes).
struct request {
    request_head head;  ///< the request line and fields
    std::string body;   ///< exactly head.content_length bytes
    friend bool operator==(const request&, const request&) = default;  ///< Same head and body.
};

/**
 * The requests in a connection's bytes, as they arrive in reads of any size: feed()
 * each read, then call next() until it returns nothing. Pipelined requests come out in
 * order. A head that grows past head_limits::max_head_bytes is refused (431) as soon
 * as the buffer passes the limit, without waiting for its end; after a rejection the
 * reader returns nothing more, since the connection must be closed.
 */
class request_reader {
public:
    /// A reader that applies `limits` to every request.
    explicit request_reader(head_limits limits = {}) : limits_(limits) {}

    /// Appends bytes read from the connection.
    void feed(std::string_view bytes) { buffer_.append(bytes); }

    /// The next request, or the rejection that ends the connection, or nothing until
    /// more bytes arrive.
    [[nodiscard]] std::optional<std::variant<request, rejection>> next() {
        if (failed_) {
            return std::nullopt;
        }
        if (head_end_ == 0) {
            const std::size_t from = scanned_ < 3 ? 0 : scanned_ - 3;  // a CRLFCRLF may straddle two reads
            const auto end = buffer_.find("\r\n\r\n", from);
            if (end == std::string::npos) {
                scanned_ = buffer_.size();
                if (buffer_.size() > limits_.max_head_bytes) {
                    return fail(detail::head_too_large(limits_));
                }
                return std::nullopt;
            }
            head_end_ = end + 4;
            auto parsed = parse_request_head(std::string_view(buffer_).substr(0, head_end_), limits_);
            if (auto* refused = std::get_if<rejection>(&parsed)) {
                return fail(std::move(*refused));
            }
            head_ = std::get<request_head>(std::move(parsed));
        }
        if (buffer_.size() - head_end_ < head_.content_length) {
            return std::nullopt;
        }
        request complete{std::move(head_), buffer_.substr(head_end_, head_.content_length)};
        buffer_.erase(0, head_end_ + complete.head.content_length);
        head_end_ = 0;
        scanned_ = 0;
        return complete;
    }

    /// Bytes received and not yet returned as part of a request.
    [[nodiscard]] std::size_t buffered() const noexcept { return buffer_.size(); }

private:
    std::optional<std::variant<request, rejection>> fail(rejection why) {
        failed_ = true;
        return std::variant<request, rejection>(std::move(why));
    }

    head_limits limits_;
    std::string buffer_;
    std::size_t scanned_ = 0;   // bytes of buffer_ searched for the end of the head
    std::size_t head_end_ = 0;  // the parsed head's length, 0 while it is incomplete
    request_head head_;
    bool failed_ = false;
};

}  // namespace ce::http
