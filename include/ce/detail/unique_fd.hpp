// ce::detail::unique_fd: one owned POSIX file descriptor, closed exactly once. Shared
// by the components that hold descriptors (ce/subprocess.hpp, ce/lifecycle.hpp): one
// definition, because two classes of one name in one namespace break the
// one-definition rule in any program that includes both headers in different files.
#pragma once

#include <utility>

#include <unistd.h>

namespace ce::detail {

// Owns one file descriptor; -1 is "none". Movable, not copyable.
class unique_fd {
public:
    unique_fd() = default;
    explicit unique_fd(int fd) noexcept : fd_(fd) {}
    unique_fd(unique_fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
    unique_fd& operator=(unique_fd&& other) noexcept {
        if (this != &other) {
            reset();
            fd_ = std::exchange(other.fd_, -1);
        }
        return *this;
    }
    unique_fd(const unique_fd&) = delete;
    unique_fd& operator=(const unique_fd&) = delete;
    ~unique_fd() { reset(); }

    [[nodiscard]] int get() const noexcept { return fd_; }
    void reset() noexcept {
        if (fd_ >= 0) {
            ::close(fd_);
            fd_ = -1;
        }
    }

private:
    int fd_ = -1;
};

}  // namespace ce::detail
