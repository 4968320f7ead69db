#pragma once
/**
 * @file
 * Non-blocking TCP over IPv4 as awaitables on a ce::event_loop: asyncio's
 * `open_connection` / `start_server` streams, one level lower.
 *
 * Every operation first tries its system call; only when that would block does the
 * coroutine suspend, and the loop retries the call when epoll reports the socket
 * ready (edge-triggered, registered once per socket). Each wait takes a timeout
 * (ce::timeout_error) and ends with ce::cancelled_error on a stop request.
 *
 * @snippet async_patterns/event_loop.cpp echo
 *
 * A stream or listener must be destroyed before its loop; one read and one write may
 * wait on a stream at a time.
 */

#include <ce/error.hpp>
#include <ce/event_loop.hpp>
#include <ce/task.hpp>

#include <cerrno>
#include <chrono>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

namespace ce {

/// A connection could not be made or broke (refused, reset): retrying may succeed.
class connection_error : public transient_error {
public:
    using transient_error::transient_error;
};

/// The peer closed the connection before a whole message arrived or while writing.
class connection_closed : public connection_error {
public:
    /// `received`: the bytes of the message that did arrive.
    connection_closed(const std::string& what, std::size_t received) : connection_error(what), received_(received) {}
    /// How many bytes of the message arrived before the peer closed.
    [[nodiscard]] std::size_t received() const noexcept { return received_; }

private:
    std::size_t received_;
};

namespace detail {

inline sockaddr_in ipv4_address(std::string_view host, std::uint16_t port) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    const std::string text(host);
    if (::inet_pton(AF_INET, text.c_str(), &addr.sin_addr) != 1) {
        throw usage_error("ce::tcp: not an IPv4 address: \"" + text + "\"");
    }
    return addr;
}

[[noreturn]] inline void throw_socket_error(int err, const std::string& what) {
    if (err == EPIPE || err == ECONNRESET) {
        throw connection_closed(what + ": " + std::strerror(err), 0);
    }
    if (err == ECONNREFUSED || err == ETIMEDOUT || err == EHOSTUNREACH || err == ENETUNREACH) {
        throw connection_error(what + ": " + std::strerror(err));
    }
    throw std::system_error(err, std::generic_category(), what);
}

// An owned descriptor, registered with a loop for awaitables while it is open.
class socket_handle {
public:
    socket_handle() noexcept = default;
    socket_handle(event_loop& loop, int fd) : loop_(&loop), fd_(fd) {
        try {
            loop.watch(fd);
        } catch (...) {
            ::close(fd);
            throw;
        }
    }
    socket_handle(socket_handle&& other) noexcept
        : loop_(std::exchange(other.loop_, nullptr)), fd_(std::exchange(other.fd_, -1)) {}
    socket_handle& operator=(socket_handle&& other) noexcept {
        if (this != &other) {
            close();
            loop_ = std::exchange(other.loop_, nullptr);
            fd_ = std::exchange(other.fd_, -1);
        }
        return *this;
    }
    socket_handle(const socket_handle&) = delete;
    socket_handle& operator=(const socket_handle&) = delete;
    ~socket_handle() { close(); }

    void close() noexcept {
        if (fd_ >= 0) {
            loop_->unwatch(fd_);  // a waiting operation ends with ce::error
            ::close(std::exchange(fd_, -1));
        }
    }
    [[nodiscard]] int fd() const noexcept { return fd_; }
    [[nodiscard]] event_loop& loop() const noexcept { return *loop_; }
    void require_open(const char* what) const {
        if (fd_ < 0) {
            throw usage_error(std::string(what) + ": the socket is closed");
        }
    }

private:
    event_loop* loop_ = nullptr;
    int fd_ = -1;
};

// One non-blocking system call, retried by the loop until it would not block.
// `Op` provides `attempt()`: true when done (result or error recorded).
template <typename Op>
class io_awaiter : public waiter {
    friend Op;  // only the operation itself constructs its base (CRTP)
    io_awaiter(const socket_handle& s, bool write, std::chrono::nanoseconds timeout, const char* what)
        : socket_(&s), write_(write), timeout_(timeout), what_(what) {
        try_complete = [](waiter& w) { return static_cast<Op&>(static_cast<io_awaiter&>(w)).attempt(); };
    }

public:
    io_awaiter(const io_awaiter&) = delete;
    io_awaiter& operator=(const io_awaiter&) = delete;
    io_awaiter(io_awaiter&&) = delete;
    io_awaiter& operator=(io_awaiter&&) = delete;
    ~io_awaiter() = default;

    [[nodiscard]] bool await_ready() {
        socket_->require_open(what_);
        return static_cast<Op&>(*this).attempt();
    }
    template <typename Promise>
    void await_suspend(std::coroutine_handle<Promise> h) {
        event_loop& l = socket_->loop();
        const int fd = socket_->fd();
        l.suspend(*this, h, timeout_, write_ ? &l.writers(fd) : &l.readers(fd));
        suspended_ = true;
    }

protected:
    // From await_resume: the wait's outcome, then the system call's.
    void finish() {
        if (suspended_) {
            socket_->loop().finish_or_throw(*this, what_);
        }
        if (error_ != 0) {
            throw_socket_error(error_, what_);
        }
    }
    [[nodiscard]] int fd() const noexcept { return socket_->fd(); }
    // Runs a transfer call (recv, send), again after EINTR: true when it moved bytes
    // (their count in transferred()) or failed, false when it would block.
    template <typename Call>
    bool transfer(Call call) noexcept {
        for (;;) {
            const ssize_t n = call();
            if (n >= 0) {
                transferred_ = static_cast<std::size_t>(n);
                return true;
            }
            if (errno != EINTR) {
                return failed(errno);
            }
        }
    }
    [[nodiscard]] std::size_t transferred() const noexcept { return transferred_; }
    // Records a failed call; false when it would block (keep waiting).
    bool failed(int err) noexcept {
        if (err == EAGAIN || err == EWOULDBLOCK || err == EINPROGRESS) {
            return false;
        }
        error_ = err;
        return true;
    }

private:
    const socket_handle* socket_;
    bool write_;
    std::chrono::nanoseconds timeout_;
    const char* what_;
    bool suspended_ = false;
    int error_ = 0;
    std::size_t transferred_ = 0;
};

}  // namespace detail

/**
 * A connected TCP stream. Move-only; closing (or destroying) it ends a wait on it
 * with ce::error. Obtain one from connect() or tcp_listener::accept().
 */
class tcp_stream {
public:
    /// Takes ownership of a connected non-blocking socket and registers it with `loop`.
    tcp_stream(event_loop& loop, int fd) : socket_(loop, fd) {
        const int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // small messages go out at once
    }

    /**
     * Connects to `host` (dotted IPv4) and `port`. @throws ce::connection_error when
     * refused, ce::timeout_error after `timeout`, ce::usage_error for a bad address.
     */
    static task<tcp_stream> connect(event_loop& loop, std::string_view host, std::uint16_t port,
                                    std::chrono::nanoseconds timeout = no_timeout) {
        const sockaddr_in addr = detail::ipv4_address(host, port);
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw std::system_error(errno, std::generic_category(), "ce::tcp_stream::connect: socket");
        }
        tcp_stream stream(loop, fd);
        // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
        if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
            if (errno != EINPROGRESS) {
                detail::throw_socket_error(errno, "ce::tcp_stream::connect");
            }
            co_await connect_awaiter(stream.socket_, timeout);
        }
        co_return stream;
    }

    class read_awaiter;   ///< Awaitable returned by read_some(); `co_await` yields the byte count.
    class write_awaiter;  ///< Awaitable returned by write_some(); `co_await` yields the byte count.

    /// `co_await s.read_some(buf)`: at least one byte into `buf`, or 0 at end of stream.
    [[nodiscard]] read_awaiter read_some(std::span<std::byte> buf, std::chrono::nanoseconds timeout = no_timeout);
    /// `co_await s.write_some(data)`: how many bytes of `data` were sent (at least one).
    [[nodiscard]] write_awaiter write_some(std::span<const std::byte> data,
                                           std::chrono::nanoseconds timeout = no_timeout);

    /**
     * Fills `buf` completely. @throws ce::connection_closed (with the bytes received)
     * when the peer closes first; ce::timeout_error when the whole read takes longer
     * than `timeout`.
     */
    task<void> read_exactly(std::span<std::byte> buf, std::chrono::nanoseconds timeout = no_timeout);
    /// Sends all of `data`, waiting as often as needed; `timeout` bounds the whole write.
    task<void> write_all(std::span<const std::byte> data, std::chrono::nanoseconds timeout = no_timeout);

    /// Sends end-of-stream (the peer's read returns 0); reading stays possible.
    void shutdown_write() {
        socket_.require_open("ce::tcp_stream::shutdown_write");
        ::shutdown(socket_.fd(), SHUT_WR);
    }
    /// Closes the connection; idempotent.
    void close() noexcept { socket_.close(); }
    /// True until close().
    [[nodiscard]] bool is_open() const noexcept { return socket_.fd() >= 0; }
    /// The descriptor, for socket options.
    [[nodiscard]] int native_handle() const noexcept { return socket_.fd(); }

private:
    class connect_awaiter : public detail::io_awaiter<connect_awaiter> {
    public:
        connect_awaiter(const detail::socket_handle& s, std::chrono::nanoseconds timeout)
            : io_awaiter(s, true, timeout, "ce::tcp_stream::connect") {}
        [[nodiscard]] bool await_ready() const noexcept { return false; }  // connect() said EINPROGRESS
        bool attempt() noexcept {
            int err = 0;
            socklen_t len = sizeof err;
            if (::getsockopt(fd(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
                err = errno;
            }
            return err == 0 || failed(err);
        }
        void await_resume() { finish(); }
    };

    detail::socket_handle socket_;
};

/// @cond CE_AWAITER_INTERNALS
class tcp_stream::read_awaiter : public detail::io_awaiter<read_awaiter> {
public:
    read_awaiter(const detail::socket_handle& s, std::span<std::byte> buf, std::chrono::nanoseconds timeout)
        : io_awaiter(s, false, timeout, "ce::tcp_stream::read_some"), buf_(buf) {}
    bool attempt() noexcept {
        return transfer([this] { return ::recv(fd(), buf_.data(), buf_.size(), 0); });
    }
    std::size_t await_resume() {
        finish();
        return transferred();
    }

private:
    std::span<std::byte> buf_;
};
/// @endcond

/// @cond CE_AWAITER_INTERNALS
class tcp_stream::write_awaiter : public detail::io_awaiter<write_awaiter> {
public:
    write_awaiter(const detail::socket_handle& s, std::span<const std::byte> data, std::chrono::nanoseconds timeout)
        : io_awaiter(s, true, timeout, "ce::tcp_stream::write_some"), data_(data) {}
    bool attempt() noexcept {
        // MSG_NOSIGNAL: a closed peer is an EPIPE error here, not a SIGPIPE that kills the process.
        return transfer([this] { return ::send(fd(), data_.data(), data_.size(), MSG_NOSIGNAL); });
    }
    std::size_t await_resume() {
        finish();
        return transferred();
    }

private:
    std::span<const std::byte> data_;
};
/// @endcond

inline tcp_stream::read_awaiter tcp_stream::read_some(std::span<std::byte> buf, std::chrono::nanoseconds timeout) {
    return {socket_, buf, timeout};
}
inline tcp_stream::write_awaiter tcp_stream::write_some(std::span<const std::byte> data,
                                                        std::chrono::nanoseconds timeout) {
    return {socket_, data, timeout};
}

namespace detail {
inline std::chrono::nanoseconds remaining(loop_clock::time_point deadline, std::chrono::nanoseconds timeout) {
    if (timeout == no_timeout) {
        return no_timeout;
    }
    return std::max(std::chrono::nanoseconds::zero(), deadline - loop_clock::now());
}
inline loop_clock::time_point deadline_after(std::chrono::nanoseconds timeout) {
    return timeout == no_timeout ? loop_clock::time_point::max() : loop_clock::now() + timeout;
}
}  // namespace detail

inline task<void> tcp_stream::read_exactly(std::span<std::byte> buf, std::chrono::nanoseconds timeout) {
    const loop_clock::time_point deadline = detail::deadline_after(timeout);
    std::size_t got = 0;
    while (got < buf.size()) {
        const std::size_t n = co_await read_some(buf.subspan(got), detail::remaining(deadline, timeout));
        if (n == 0) {
            throw connection_closed("ce::tcp_stream::read_exactly: the peer closed the connection after " +
                                        std::to_string(got) + " of " + std::to_string(buf.size()) + " bytes",
                                    got);
        }
        got += n;
    }
}

inline task<void> tcp_stream::write_all(std::span<const std::byte> data, std::chrono::nanoseconds timeout) {
    const loop_clock::time_point deadline = detail::deadline_after(timeout);
    while (!data.empty()) {
        data = data.subspan(co_await write_some(data, detail::remaining(deadline, timeout)));
    }
}

/**
 * A listening TCP socket. Move-only. `co_await accept()` returns the next connection.
 */
class tcp_listener {
public:
    /// Connections the kernel queues before accept(): glibc's `SOMAXCONN` (the kernel
    /// caps it at `net.core.somaxconn`).
    static constexpr int default_backlog = 4096;
    static_assert(default_backlog == SOMAXCONN);

    /**
     * Listens on `host` (dotted IPv4) and `port`; port 0 picks a free one (see port()).
     * @throws std::system_error when the address is taken.
     */
    static tcp_listener bind(event_loop& loop, std::string_view host = "127.0.0.1", std::uint16_t port = 0,
                             int backlog = default_backlog) {
        const sockaddr_in addr = detail::ipv4_address(host, port);
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw std::system_error(errno, std::generic_category(), "ce::tcp_listener: socket");
        }
        tcp_listener listener(detail::socket_handle(loop, fd));
        const int one = 1;
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
        if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, backlog) != 0) {
            throw std::system_error(errno, std::generic_category(), "ce::tcp_listener: bind/listen");
        }
        return listener;
    }

    /// The port listened on.
    [[nodiscard]] std::uint16_t port() const {
        sockaddr_in addr{};
        socklen_t len = sizeof addr;
        // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
        if (::getsockname(socket_.fd(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
            throw std::system_error(errno, std::generic_category(), "ce::tcp_listener::port");
        }
        return ntohs(addr.sin_port);
    }

    /// @cond CE_AWAITER_INTERNALS
    class accept_awaiter : public detail::io_awaiter<accept_awaiter> {
    public:
        accept_awaiter(const detail::socket_handle& s, std::chrono::nanoseconds timeout)
            : io_awaiter(s, false, timeout, "ce::tcp_listener::accept"), loop_(&s.loop()) {}
        accept_awaiter(const accept_awaiter&) = delete;
        accept_awaiter& operator=(const accept_awaiter&) = delete;
        accept_awaiter(accept_awaiter&&) = delete;
        accept_awaiter& operator=(accept_awaiter&&) = delete;
        ~accept_awaiter() {
            if (accepted_ >= 0) {
                ::close(accepted_);
            }
        }
        bool attempt() noexcept {
            for (;;) {
                accepted_ = ::accept4(fd(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (accepted_ >= 0) {
                    return true;
                }
                // A connection that was reset while queued: take the next one.
                if (errno != EINTR && errno != ECONNABORTED) {
                    return failed(errno);
                }
            }
        }
        tcp_stream await_resume() {
            finish();
            return tcp_stream(*loop_, std::exchange(accepted_, -1));
        }

    private:
        event_loop* loop_;
        int accepted_ = -1;
    };
    /// @endcond

    /// `co_await l.accept()`: the next connection, as a ce::tcp_stream.
    [[nodiscard]] accept_awaiter accept(std::chrono::nanoseconds timeout = no_timeout) { return {socket_, timeout}; }
    /// Stops listening; idempotent.
    void close() noexcept { socket_.close(); }

private:
    explicit tcp_listener(detail::socket_handle s) noexcept : socket_(std::move(s)) {}
    detail::socket_handle socket_;
};

}  // namespace ce
