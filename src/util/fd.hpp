#pragma once

// The one owner of a file descriptor (epoll, eventfd, timerfd, socket, pipe end, file).

#include <utility>

namespace poolbench::util {

/// Owns one file descriptor and closes it when destroyed. Move-only; -1 means none. Not
/// thread-safe: one thread owns it (others may use get() while the owner keeps it open).
class Fd {
 public:
  Fd() noexcept = default;
  /// Takes `fd` (which may be -1: a failed open, checked with valid()).
  explicit Fd(int fd) noexcept : m_fd(fd) {}
  Fd(Fd&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.m_fd, -1));
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }

  int get() const noexcept { return m_fd; }
  bool valid() const noexcept { return m_fd >= 0; }
  /// Closes the descriptor held (if any) and takes `fd`.
  void reset(int fd = -1) noexcept;
  /// Gives the descriptor up without closing it.
  int release() noexcept { return std::exchange(m_fd, -1); }
  /// Closes now and returns close()'s result (0, or -1 with errno set): for a written file,
  /// whose close can report a lost write. Holds nothing afterwards either way.
  int close() noexcept;

 private:
  int m_fd = -1;
};

/// Both ends of a pipe.
struct Pipe {
  Fd read;
  Fd write;
};

/// pipe2(2) with `flags` (O_CLOEXEC, O_NONBLOCK); both ends invalid on failure (errno set).
Pipe make_pipe(int flags) noexcept;

}  // namespace poolbench::util
