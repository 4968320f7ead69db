#pragma once
/**
 * @file
 * jobq's HTTP/1.1 front end on loopback, built from the book's library: a
 * ce::tcp_listener accepts, each connection runs as its own task on a ce::event_loop,
 * a ce::http::request_reader turns its bytes into requests, and a ce::pipeline of
 * coroutine layers turns each request into a response.
 *
 * @code
 * ce::event_loop loop;
 * jobq::http_server server(loop, ce::tcp_listener::bind(loop), jobq::app({log_requests}, route));
 * loop.call_later(1h, [&] { server.stop(); });    // graceful: in-flight requests finish
 * loop.run_until_complete(server.serve());       // returns once the last connection is done
 * @endcode
 *
 * What the server guarantees to a client:
 * - keep-alive by default for HTTP/1.1, `Connection: close` honoured; pipelined
 *   requests are answered one at a time, in order;
 * - a request the reader refuses gets its status (400, 413, 431, 501, 505) and the
 *   connection closes; so does a request that has not fully arrived within
 *   `request_timeout` of its first byte (408); a connection that sends no byte of a
 *   next request within `idle_timeout` is closed without an answer;
 * - an exception from the app is a 500, and the connection stays usable: the request
 *   was read whole, so the byte stream is still in step;
 * - stop() refuses new connections at once, lets the requests in progress finish,
 *   closes idle connections, and serve() completes when the last one is gone, or at
 *   `drain_timeout`, when the connections still busy are cancelled and closed.
 *
 * Not supported: TLS, chunked request bodies (501), `Expect: 100-continue`, HTTP/1.0
 * keep-alive (those connections close after one response), 1xx responses, a `Date`
 * field.
 */

#include <ce/async_semaphore.hpp>
#include <ce/error.hpp>
#include <ce/event_loop.hpp>
#include <ce/http.hpp>
#include <ce/logger.hpp>
#include <ce/pipeline.hpp>
#include <ce/scope_guard.hpp>
#include <ce/task.hpp>
#include <ce/task_group.hpp>
#include <ce/tcp.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <map>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

namespace jobq {

// [response]
/// What the app answers. render() adds the framing (Content-Length, Connection), so
/// `headers` must not contain those fields, nor Transfer-Encoding.
struct response {
    int status = 200;                                          ///< 200 to 599
    std::vector<std::pair<std::string, std::string>> headers;  ///< in the order to send
    std::string body;                                          ///< empty for 204 and 304
};
// [response]

/// The reason phrase RFC 9110 gives `status`, or "" for a code it does not name.
[[nodiscard]] constexpr std::string_view reason_phrase(int status) noexcept {
    switch (status) {
        case 200: return "OK";
        case 201: return "Created";
        case 202: return "Accepted";
        case 203: return "Non-Authoritative Information";
        case 204: return "No Content";
        case 205: return "Reset Content";
        case 206: return "Partial Content";
        case 300: return "Multiple Choices";
        case 301: return "Moved Permanently";
        case 302: return "Found";
        case 303: return "See Other";
        case 304: return "Not Modified";
        case 307: return "Temporary Redirect";
        case 308: return "Permanent Redirect";
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 402: return "Payment Required";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 406: return "Not Acceptable";
        case 407: return "Proxy Authentication Required";
        case 408: return "Request Timeout";
        case 409: return "Conflict";
        case 410: return "Gone";
        case 411: return "Length Required";
        case 412: return "Precondition Failed";
        case 413: return "Content Too Large";
        case 414: return "URI Too Long";
        case 415: return "Unsupported Media Type";
        case 416: return "Range Not Satisfiable";
        case 417: return "Expectation Failed";
        case 421: return "Misdirected Request";
        case 422: return "Unprocessable Content";
        case 426: return "Upgrade Required";
        case 428: return "Precondition Required";
        case 429: return "Too Many Requests";
        case 431: return "Request Header Fields Too Large";
        case 500: return "Internal Server Error";
        case 501: return "Not Implemented";
        case 502: return "Bad Gateway";
        case 503: return "Service Unavailable";
        case 504: return "Gateway Timeout";
        case 505: return "HTTP Version Not Supported";
        default: return "";
    }
}

namespace detail {

constexpr bool is_token(std::string_view s) noexcept {
    return !s.empty() && std::ranges::all_of(s, [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
            || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    });
}

// No CR, LF or other control character: a value with a CRLF in it would let whoever
// chose the value add fields or a whole second response (response splitting).
constexpr bool is_field_value(std::string_view s) noexcept {
    return std::ranges::all_of(s, [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u == '\t' || (u >= 0x20 && u != 0x7F);
    });
}

// The status line and fields of `r`, with the blank line; the body goes after it.
inline std::string render_head(const response& r, bool keep_alive) {
    if (r.status < 200 || r.status > 599) {
        throw ce::usage_error("jobq::render: status " + std::to_string(r.status) +
                              " is not a final status (200 to 599)");
    }
    // 204 has no content, and a 304's describes a representation the client already has.
    const bool bodiless = r.status == 204 || r.status == 304;
    if (bodiless && !r.body.empty()) {
        throw ce::usage_error("jobq::render: a " + std::to_string(r.status) + " response has no body");
    }
    std::string out = "HTTP/1.1 " + std::to_string(r.status) + ' ' + std::string(reason_phrase(r.status)) + "\r\n";
    if (!bodiless) {
        out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
    }
    if (!keep_alive) {
        out += "Connection: close\r\n";
    }
    for (const auto& [name, value] : r.headers) {
        if (!is_token(name) || !is_field_value(value)) {
            throw ce::usage_error("jobq::render: the header field \"" + name + "\" is not a token with a printable value");
        }
        // The server owns the framing: a second, different length would desynchronize the client.
        if (ce::http::iequals(name, "content-length") || ce::http::iequals(name, "transfer-encoding")
            || ce::http::iequals(name, "connection")) {
            throw ce::usage_error("jobq::render: the response sets " + name + ", which the server writes itself");
        }
        out += name + ": " + value + "\r\n";
    }
    return out + "\r\n";
}

// Deadlines that tolerate ce::no_timeout (now() + max would overflow).
inline ce::loop_clock::time_point deadline_after(std::chrono::nanoseconds timeout) noexcept {
    return timeout == ce::no_timeout ? ce::loop_clock::time_point::max() : ce::event_loop::now() + timeout;
}
inline std::chrono::nanoseconds remaining(ce::loop_clock::time_point deadline) noexcept {
    if (deadline == ce::loop_clock::time_point::max()) {
        return ce::no_timeout;
    }
    return std::max(std::chrono::nanoseconds::zero(), std::chrono::nanoseconds(deadline - ce::event_loop::now()));
}

// "address:port" of the peer, for logs and request_context::client.
// True when the peer has sent bytes that nobody has read yet (a non-blocking peek).
inline bool has_unread_bytes(int fd) noexcept {
    char byte = 0;
    return ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

inline std::string peer_address(int fd) {
    sockaddr_in addr{};
    socklen_t length = sizeof addr;
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &length) != 0 || addr.sin_family != AF_INET) {
        return "unknown";
    }
    std::array<char, INET_ADDRSTRLEN> text{};
    if (::inet_ntop(AF_INET, &addr.sin_addr, text.data(), static_cast<socklen_t>(text.size())) == nullptr) {
        return "unknown";
    }
    return std::string(text.data()) + ':' + std::to_string(ntohs(addr.sin_port));
}

}  // namespace detail

/**
 * The bytes of `r` on the wire: the status line with its reason phrase, Content-Length
 * (not for 204 and 304), `Connection: close` unless `keep_alive`, the app's fields in
 * order, the blank line, the body.
 * @throws ce::usage_error for a status outside 200..599, a body on a 204 or 304, a
 *         field that is not `token: printable`, or a framing field (Content-Length,
 *         Transfer-Encoding, Connection) among `r.headers`.
 */
[[nodiscard]] inline std::string render(const response& r, bool keep_alive) {
    return detail::render_head(r, keep_alive) + r.body;
}

// [context]
/// One request on its way through the app. The server fills every member; layers may
/// change them for the layers inside (a request id taken from X-Request-Id, say).
struct request_context {
    ce::http::request request;            ///< head and body, as the reader accepted them
    std::string request_id;               ///< "<connection>-<sequence>", unique per server
    std::string client;                   ///< the peer, "address:port"
    std::uint64_t connection = 0;         ///< 1, 2, ...: the connection's number
    std::size_t sequence = 0;             ///< 0, 1, ...: the request's place on its connection
    ce::loop_clock::time_point received;  ///< when the request's last byte was read
};

/**
 * The application: middleware layers around an endpoint, each a coroutine.
 *
 * A layer is `ce::task<response>(request_context& rq, const app::handler& next)`. Its
 * coroutine frame keeps references, not copies: `rq` lives in the connection's frame
 * until the response is written, and `next` inside the pipeline. A *lambda* coroutine
 * keeps only `this` in its frame, and its captures stay in the lambda object (C++ Core
 * Guidelines CP.51). Here that object lives inside the pipeline, which http_server owns
 * for as long as it serves, so a capture is safe when it refers to something that
 * outlives the server (the loop, a job store) or is owned by the lambda itself. What
 * is unsafe is a capture by reference to something that dies first, such as a local of
 * the function that built the app, and calling a temporary lambda coroutine
 * (`[&] () -> ce::task<response> {...}()`) whose object dies before the task runs.
 * Capture-less lambdas and free functions avoid the question.
 */
using app = ce::pipeline<request_context, ce::task<response>>;
// [context]

// [options]
/// Limits and deadlines. Durations may be ce::no_timeout.
struct server_options {
    /// Head size, field count and body size; over them the reader refuses with 431 or 413.
    ce::http::head_limits limits{};
    /// Connections served at once. Further clients wait in the listener's backlog.
    std::size_t max_connections = 1024;
    /// How long a connection may wait, with no byte of a next request, before it is closed.
    std::chrono::nanoseconds idle_timeout = std::chrono::seconds(30);
    /// How long a request may take from its first byte to its last (head and body): 408 after.
    std::chrono::nanoseconds request_timeout = std::chrono::seconds(10);
    /// How long writing one response may take (a client that does not read): closed after.
    std::chrono::nanoseconds write_timeout = std::chrono::seconds(10);
    /// After a final response, how long to read and discard what the client still sends
    /// before closing, so that the close does not reset the connection under the response.
    std::chrono::nanoseconds linger_timeout = std::chrono::seconds(1);
    /// After stop(), how long requests in progress may take; then they are cancelled.
    std::chrono::nanoseconds drain_timeout = std::chrono::seconds(10);
    /// Where rejections, app failures and accept errors are reported; none: not reported.
    std::optional<ce::logger> log{};
};
// [options]

/// What the server has done, for tests and logs. Read it on the loop's thread.
struct server_stats {
    std::uint64_t accepted = 0;     ///< connections accepted
    std::size_t active = 0;         ///< connections open now
    std::size_t peak_active = 0;    ///< the most connections open at once
    std::uint64_t served = 0;       ///< responses written for requests the app answered (500s included)
    std::uint64_t app_errors = 0;   ///< exceptions from the app (or unrenderable responses), answered 500
    std::uint64_t dropped = 0;      ///< connections the client broke off mid-request or mid-response
    std::uint64_t idle_closed = 0;  ///< idle connections closed at idle_timeout or by stop()
    std::uint64_t accept_errors = 0;         ///< failed accepts (out of descriptors, say), retried
    std::uint64_t connection_errors = 0;     ///< connections ended by an unexpected exception (a bug)
    std::map<int, std::uint64_t> rejected;   ///< answers the server gave itself, by status (400, 408, 413, ...)
};

/**
 * An HTTP/1.1 server: serve() accepts on the listener until stop(). Not copyable or
 * movable (its connections point at it). Every member must be called on the loop's
 * thread; from another thread, use `loop.call_soon_threadsafe([&] { server.stop(); })`.
 * The server must outlive the serve() task; destroying that task (or its loop) while
 * it runs destroys the connections' frames too, which closes their sockets.
 */
class http_server {
public:
    /// Serves `application` on `listener` (bound, listening) with `options`.
    http_server(ce::event_loop& loop, ce::tcp_listener listener, app application, server_options options = {})
        : loop_(&loop),
          listener_(std::move(listener)),
          port_(listener_.port()),
          app_(std::move(application)),
          options_(std::move(options)),
          slots_(loop, options_.max_connections) {
        if (options_.max_connections == 0) {
            throw ce::usage_error("jobq::http_server: max_connections must be at least 1");
        }
    }
    http_server(const http_server&) = delete;             ///< Connections point at the server.
    http_server& operator=(const http_server&) = delete;  ///< Connections point at the server.
    http_server(http_server&&) = delete;                  ///< Connections point at the server.
    http_server& operator=(http_server&&) = delete;       ///< Connections point at the server.
    ~http_server() = default;

    /**
     * Accepts and serves connections until stop(), then waits for them (at most
     * `drain_timeout`). A stop request on the task's own stop token is an abort: every
     * connection is cancelled at once, and serve() ends with ce::cancelled_error.
     * @throws ce::usage_error when called a second time; rethrows what broke the listener.
     */
    ce::task<void> serve();

    /**
     * Graceful stop; idempotent. Closes the listener (connecting is refused from now
     * on) and the idle connections; the requests in progress are answered with
     * `Connection: close`, bytes already received for later requests are dropped.
     */
    void stop();

    /// Connections the accept loop takes without letting the event loop run anything
    /// else: a flood of connections delays the loop's other work by at most this many.
    static constexpr std::uint64_t accept_burst = 64;

    /// The port listened on (also after stop()).
    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
    /// True once stop() was called.
    [[nodiscard]] bool stopping() const noexcept { return stopping_; }
    /// The counters.
    [[nodiscard]] const server_stats& stats() const noexcept { return stats_; }

private:
    // One connection's state, in its task's frame; stop() finds the idle ones here.
    struct connection {
        ce::tcp_stream* stream;
        std::string client;
        std::uint64_t id;
        bool idle = false;  // waiting for the first byte of a request
        std::array<std::byte, 8192> buffer{};
    };
    using read_result = std::optional<std::variant<ce::http::request, ce::http::rejection>>;

    ce::task<void> accept_loop(ce::task_group& connections);
    ce::task<void> serve_connection(ce::tcp_stream stream, ce::async_semaphore::permit slot);
    ce::task<void> converse(connection& conn);
    ce::task<read_result> read_request(connection& conn, ce::http::request_reader& reader);
    ce::task<response> call_app(request_context& rq);
    ce::task<bool> send(connection& conn, std::string bytes);
    ce::task<void> linger(connection& conn);
    std::string encode(const response& r, bool keep_alive, bool head_only, const request_context& rq);

    static response error_response(int status) {
        return {status, {{"Content-Type", "text/plain; charset=utf-8"}}, std::string(reason_phrase(status)) + "\n"};
    }
    template <typename... Fields>
    void log(ce::log_level level, ce::log_message message, const Fields&... fields) const {
        if (options_.log) {
            options_.log->log(level, message, fields...);
        }
    }

    ce::event_loop* loop_;
    ce::tcp_listener listener_;
    std::uint16_t port_;
    app app_;
    server_options options_;
    ce::async_semaphore slots_;        // one permit per connection served at once
    std::stop_source accepting_;       // ends the accept loop's wait (for a slot or a connection)
    std::unordered_set<connection*> live_;
    server_stats stats_;
    bool serving_ = false;
    bool stopping_ = false;
};

// [serve]
inline ce::task<void> http_server::serve() {
    if (serving_) {
        throw ce::usage_error("jobq::http_server::serve: called a second time");
    }
    serving_ = true;
    const std::stop_token outer = co_await ce::get_stop_token();
    // Stopping the serve task aborts: the accept loop ends here, and every connection
    // through the group, whose stop source follows `outer`.
    const std::stop_callback abort(outer, [this]() noexcept { accepting_.request_stop(); });
    ce::task_group connections(outer);
    std::exception_ptr listener_failure;
    try {
        co_await accept_loop(connections).with_stop_token(accepting_.get_token());
    } catch (...) {
        if (!stopping_ && !outer.stop_requested()) {
            listener_failure = std::current_exception();  // drain the connections first, then report it
        }
    }
    stop();
    // The drain deadline cancels whatever is still running; the timer must not outlive
    // this frame, which the group lives in.
    ce::timer_handle deadline;
    if (options_.drain_timeout != ce::no_timeout) {
        deadline = loop_->call_later(options_.drain_timeout, [&connections] { connections.cancel(); });
    }
    const ce::scope_exit disarm([this, deadline]() noexcept { loop_->cancel(deadline); });
    co_await connections.join();
    if (listener_failure) {
        std::rethrow_exception(listener_failure);
    }
    if (outer.stop_requested()) {
        throw ce::cancelled_error("jobq::http_server::serve: cancelled");
    }
}

inline void http_server::stop() {
    if (stopping_) {
        return;
    }
    stopping_ = true;
    accepting_.request_stop();
    listener_.close();  // a connect() now gets ECONNREFUSED, and queued connections a reset
    for (connection* c : live_) {
        // Idle means no byte of a next request has been read; one may have arrived all
        // the same, before the stop. Such a connection is a request in progress: it is
        // read and answered like the others, with Connection: close.
        if (c->idle && !detail::has_unread_bytes(c->stream->native_handle())) {
            c->stream->close();  // its pending read ends with ce::error; read_request sees the close
        }
    }
}
// [serve]

// [accept-loop]
// A connection is accepted only once a slot is free: over max_connections, clients
// wait in the kernel's backlog, where a waiting connection costs the server nothing.
// Answering them 503 instead would mean closing with their request unread, and that
// close resets the connection, which may destroy the 503 before the client reads it.
inline ce::task<void> http_server::accept_loop(ce::task_group& connections) {
    std::chrono::milliseconds backoff(5);
    while (!stopping_) {
        ce::async_semaphore::permit slot = co_await slots_.acquire();
        if (stopping_) {
            break;  // a slot came free in the same iteration as stop()
        }
        std::optional<ce::tcp_stream> stream;
        try {
            stream.emplace(co_await listener_.accept());
            backoff = std::chrono::milliseconds(5);
        } catch (const std::system_error& e) {
            // Out of descriptors or memory: what closing connections gives back. Retry
            // after a growing pause instead of spinning on a queue that stays readable.
            ++stats_.accept_errors;
            log(ce::log_level::error, "accept failed", "error", e.what(), "retry_ms", backoff.count());
        }
        if (!stream) {
            co_await loop_->sleep(backoff);
            backoff = std::min(backoff * 2, std::chrono::milliseconds(1000));
            continue;
        }
        ++stats_.accepted;
        connections.spawn(serve_connection(std::move(*stream), std::move(slot)));
        // accept() completes without suspending while a connection is queued, so a
        // steady flood of connections would keep this loop running and the event loop
        // would never run anything else, a stop() posted from another thread included.
        // A trip through the ready queue every accept_burst connections lets the rest
        // run. Not after each one: the connections queued before a stop would then wait
        // for it, and closing the listener resets a queued connection, request and all.
        if (stats_.accepted % accept_burst == 0) {
            co_await loop_->schedule();
        }
    }
}
// [accept-loop]

inline ce::task<void> http_server::serve_connection(ce::tcp_stream stream,
                                                     [[maybe_unused]] ce::async_semaphore::permit slot) {
    connection conn{&stream, detail::peer_address(stream.native_handle()), stats_.accepted};
    live_.insert(&conn);
    stats_.peak_active = std::max(stats_.peak_active, ++stats_.active);
    const ce::scope_exit leave([this, &conn]() noexcept {
        live_.erase(&conn);
        --stats_.active;
    });
    try {
        co_await converse(conn);
    } catch (const ce::cancelled_error&) {  // NOLINT(bugprone-empty-catch)
        // The drain deadline passed, or serve() was aborted: close without an answer.
    } catch (const std::exception& e) {
        // A task_group child that fails cancels its siblings: one broken connection must
        // not take the others down, so nothing escapes.
        ++stats_.connection_errors;
        log(ce::log_level::error, "connection failed", "client", conn.client, "error", e.what());
    }
}  // the stream closes, then the slot goes back to the accept loop

inline ce::task<void> http_server::converse(connection& conn) {
    ce::http::request_reader reader(options_.limits);
    for (std::size_t sequence = 0;; ++sequence) {
        read_result next = co_await read_request(conn, reader);
        if (!next) {
            co_return;  // the client left, or the connection was idle too long
        }
        if (const auto* refused = std::get_if<ce::http::rejection>(&*next)) {
            ++stats_.rejected[refused->status];
            log(ce::log_level::info, "request refused", "client", conn.client, "status", refused->status, "reason",
                refused->reason);
            // Named, never `if (co_await ...)`: g++ 12 miscompiles a co_await in a condition.
            const bool sent = co_await send(conn, render(error_response(refused->status), false));
            if (sent) {
                co_await linger(conn);
            }
            co_return;
        }
        request_context rq{std::get<ce::http::request>(std::move(*next)),
                           std::to_string(conn.id) + '-' + std::to_string(sequence + 1),
                           conn.client,
                           conn.id,
                           sequence,
                           ce::event_loop::now()};
        response answer = co_await call_app(rq);
        // HTTP/1.0 keep-alive would need "Connection: keep-alive" in the answer: those
        // clients get one response per connection instead.
        const bool keep_alive = rq.request.head.keep_alive && rq.request.head.minor_version == 1 && !stopping_;
        const bool head_only = rq.request.head.method == "HEAD";
        const bool sent = co_await send(conn, encode(answer, keep_alive, head_only, rq));
        if (!sent) {
            co_return;
        }
        ++stats_.served;
        if (!keep_alive) {
            co_await linger(conn);
            co_return;
        }
        // A client that pipelines without end would otherwise be read and answered
        // without a suspension: let the other connections have their turn.
        co_await loop_->schedule();
    }
}

// [read-request]
inline ce::task<http_server::read_result> http_server::read_request(connection& conn,
                                                                     ce::http::request_reader& reader) {
    bool started = reader.buffered() > 0;  // pipelined bytes: the next request has begun
    ce::loop_clock::time_point deadline =
        detail::deadline_after(started ? options_.request_timeout : options_.idle_timeout);
    for (;;) {
        if (read_result next = reader.next()) {
            co_return next;
        }
        if (!started && stopping_) {
            ++stats_.idle_closed;
            co_return std::nullopt;  // stopped while answering: no next request
        }
        conn.idle = !started;
        const ce::scope_exit busy([&conn]() noexcept { conn.idle = false; });
        std::size_t n = 0;
        try {
            n = co_await conn.stream->read_some(conn.buffer, detail::remaining(deadline));
        } catch (const ce::cancelled_error&) {
            throw;
        } catch (const ce::timeout_error&) {
            if (!started) {
                ++stats_.idle_closed;
                co_return std::nullopt;
            }
            co_return ce::http::rejection{408, "the request did not arrive within request_timeout"};
        } catch (const ce::connection_error&) {  // reset by the client
            if (started) {
                ++stats_.dropped;
            }
            co_return std::nullopt;
        } catch (const ce::error&) {
            if (conn.stream->is_open()) {
                throw;
            }
            ++stats_.idle_closed;  // stop() closed it while it waited
            co_return std::nullopt;
        }
        if (!conn.stream->is_open()) {  // stop() closed it after the bytes arrived: drop them
            ++stats_.idle_closed;
            co_return std::nullopt;
        }
        if (n == 0) {
            if (started) {
                ++stats_.dropped;  // the client closed mid-request: nobody to answer
                log(ce::log_level::debug, "client left mid-request", "client", conn.client);
            }
            co_return std::nullopt;
        }
        if (!started) {
            started = true;
            deadline = detail::deadline_after(options_.request_timeout);
        }
        reader.feed(std::string_view(reinterpret_cast<const char*>(conn.buffer.data()), n));  // NOLINT
    }
}
// [read-request]

inline ce::task<response> http_server::call_app(request_context& rq) {
    const std::stop_token token = co_await ce::get_stop_token();
    try {
        co_return co_await app_(rq);
    } catch (const ce::cancelled_error& e) {
        if (token.stop_requested()) {
            throw;  // the drain deadline: the connection closes unanswered
        }
        log(ce::log_level::error, "the app failed", "request_id", rq.request_id, "error", e.what());
    } catch (const std::exception& e) {
        log(ce::log_level::error, "the app failed", "request_id", rq.request_id, "error", e.what());
    } catch (...) {
        log(ce::log_level::error, "the app failed", "request_id", rq.request_id, "error",
            "an exception not derived from std::exception");
    }
    ++stats_.app_errors;
    co_return error_response(500);
}

inline std::string http_server::encode(const response& r, bool keep_alive, bool head_only,
                                       const request_context& rq) {
    try {
        // HEAD: the fields GET would send, Content-Length included, and no body.
        return head_only ? detail::render_head(r, keep_alive) : render(r, keep_alive);
    } catch (const ce::usage_error& e) {
        ++stats_.app_errors;
        log(ce::log_level::error, "the app's response cannot be sent", "request_id", rq.request_id, "error",
            e.what());
        const response failed = error_response(500);
        return head_only ? detail::render_head(failed, keep_alive) : render(failed, keep_alive);
    }
}

// True when the whole response went out. A client that resets the connection or stops
// reading for write_timeout is dropped: no one is left to tell.
inline ce::task<bool> http_server::send(connection& conn, std::string bytes) {
    try {
        co_await conn.stream->write_all(std::as_bytes(std::span(bytes)), options_.write_timeout);
        co_return true;
    } catch (const ce::cancelled_error&) {
        throw;
    } catch (const ce::transient_error&) {  // connection_closed, timeout_error
        ++stats_.dropped;
        co_return false;
    }
}

// [linger]
// Closing a socket that still has unread input makes the kernel answer with a reset,
// and a reset can destroy the response before the client has read it (RFC 9112 §9.6):
// so send FIN first, then read and discard until the client closes too, within bounds.
inline ce::task<void> http_server::linger(connection& conn) {
    const ce::loop_clock::time_point deadline = detail::deadline_after(options_.linger_timeout);
    std::size_t discarded = 0;
    const std::size_t at_most = options_.limits.max_head_bytes + options_.limits.max_body_bytes;
    try {
        conn.stream->shutdown_write();
        while (discarded <= at_most) {
            const std::size_t n = co_await conn.stream->read_some(conn.buffer, detail::remaining(deadline));
            if (n == 0) {
                break;
            }
            discarded += n;
        }
    } catch (const ce::cancelled_error&) {
        throw;
    } catch (const ce::error&) {  // NOLINT(bugprone-empty-catch): timed out or reset: close anyway
    }
}
// [linger]

}  // namespace jobq
