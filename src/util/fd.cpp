#include "util/fd.hpp"

#include <unistd.h>

namespace poolbench::util {

void Fd::reset(int fd) noexcept {
  if (m_fd >= 0 && m_fd != fd) ::close(m_fd);
  m_fd = fd;
}

int Fd::close() noexcept {
  const int fd = std::exchange(m_fd, -1);
  return fd >= 0 ? ::close(fd) : 0;
}

Pipe make_pipe(int flags) noexcept {
  int ends[2] = {-1, -1};
  if (::pipe2(ends, flags) != 0) return {};
  return {.read = Fd(ends[0]), .write = Fd(ends[1])};
}

}  // namespace poolbench::util
