#include "faults/delay_proxy.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <map>
#include <optional>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/error.hpp"

namespace poolbench::faults {
namespace {

using Clock = std::chrono::steady_clock;

void set_nonblocking(int fd) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

void set_nodelay(int fd) {
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/// Bytes read from one side, to be written to the other at `due`.
struct Chunk {
  Clock::time_point due;
  std::string bytes;
  std::size_t written = 0;
};

/// One direction of a proxied connection.
struct Direction {
  int from = -1;
  int to = -1;
  std::deque<Chunk> queue;
  bool eof = false;      ///< `from` has no more bytes
  bool shut = false;     ///< `to` was shut down for writing after the queue drained
  bool blocked = false;  ///< the last write to `to` would block: wait for EPOLLOUT
};

struct Pair {
  Direction up;    ///< client -> server
  Direction down;  ///< server -> client
  bool dead = false;
};

}  // namespace

/// The event loop's state; lives on the proxy thread.
struct DelayProxy::Loop {
  int epoll_fd = -1;
  std::map<int, std::shared_ptr<Pair>> by_fd;

  void watch(int fd, std::uint32_t events, bool add) const {
    epoll_event event{};
    event.events = events;
    event.data.fd = fd;
    ::epoll_ctl(epoll_fd, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &event);
  }

  /// EPOLLIN while the fd still reads, EPOLLOUT while a write to it is blocked.
  void update_interest(const Pair& pair, int fd) const {
    const Direction& reading = pair.up.from == fd ? pair.up : pair.down;
    const Direction& writing = pair.up.to == fd ? pair.up : pair.down;
    std::uint32_t events = 0;
    if (!reading.eof) events |= EPOLLIN;
    if (writing.blocked) events |= EPOLLOUT;
    watch(fd, events, false);
  }

  void close_pair(const std::shared_ptr<Pair>& pair) {
    if (pair->dead) return;
    pair->dead = true;
    for (const int fd : {pair->up.from, pair->up.to}) {
      ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
      ::close(fd);
      by_fd.erase(fd);
    }
  }

  /// Reads what `dir.from` has, queueing it until now + delay.
  void read_side(Pair& pair, Direction& dir, std::chrono::microseconds delay) {
    char buffer[16384];
    while (true) {
      const ssize_t n = ::read(dir.from, buffer, sizeof buffer);
      if (n > 0) {
        Clock::time_point due = Clock::now() + delay;
        // A chunk never overtakes an earlier one (the delay may have just shrunk).
        if (!dir.queue.empty()) due = std::max(due, dir.queue.back().due);
        dir.queue.push_back({due, std::string(buffer, static_cast<std::size_t>(n)), 0});
        continue;
      }
      if (n == 0) {
        dir.eof = true;
      } else if (errno != EAGAIN && errno != EINTR) {
        dir.eof = true;
      }
      break;
    }
    update_interest(pair, dir.from);
  }

  /// Writes the chunks that are due; shuts the other side down once `from` ended and all
  /// was written. False when the connection broke.
  bool flush(Pair& pair, Direction& dir, Clock::time_point now) {
    const bool was_blocked = dir.blocked;
    dir.blocked = false;
    while (!dir.queue.empty() && dir.queue.front().due <= now) {
      Chunk& chunk = dir.queue.front();
      const ssize_t n = ::send(dir.to, chunk.bytes.data() + chunk.written,
                               chunk.bytes.size() - chunk.written, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) {
          dir.blocked = true;
          break;
        }
        return false;
      }
      chunk.written += static_cast<std::size_t>(n);
      if (chunk.written == chunk.bytes.size()) dir.queue.pop_front();
    }
    if (was_blocked != dir.blocked) update_interest(pair, dir.to);
    if (dir.eof && dir.queue.empty() && !dir.shut) {
      ::shutdown(dir.to, SHUT_WR);
      dir.shut = true;
    }
    return true;
  }
};

DelayProxy::DelayProxy(std::string host, int port) : m_host(std::move(host)), m_port(port) {
  m_listen_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (m_listen_fd < 0) throw RuntimeFailure("network_delay proxy: socket() failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (::bind(m_listen_fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(m_listen_fd, 1024) != 0 ||
      ::getsockname(m_listen_fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(m_listen_fd);
    throw RuntimeFailure(
        fmt::format("network_delay proxy: cannot listen on 127.0.0.1: {}", std::strerror(errno)));
  }
  set_nonblocking(m_listen_fd);
  m_listen_port = ntohs(address.sin_port);
  m_wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  m_thread = std::thread([this] { run(); });
}

DelayProxy::~DelayProxy() {
  m_stop.store(true);
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto written = ::write(m_wake_fd, &one, sizeof one);
  if (m_thread.joinable()) m_thread.join();
  ::close(m_wake_fd);
  ::close(m_listen_fd);
}

void DelayProxy::run() noexcept {
  Loop loop;
  loop.epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  loop.watch(m_listen_fd, EPOLLIN, true);
  loop.watch(m_wake_fd, EPOLLIN, true);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* upstream = nullptr;
  const std::string service = std::to_string(m_port);
  ::getaddrinfo(m_host.c_str(), service.c_str(), &hints, &upstream);

  std::vector<epoll_event> events(64);
  while (!m_stop.load()) {
    // Sleep until the next chunk is due (or an event).
    const auto now = Clock::now();
    std::optional<Clock::time_point> next;
    for (const auto& [fd, pair] : loop.by_fd) {
      for (const Direction* dir : {&pair->up, &pair->down}) {
        if (!dir->queue.empty() && !dir->blocked && (!next || dir->queue.front().due < *next)) {
          next = dir->queue.front().due;
        }
      }
    }
    int timeout_ms = 100;
    if (next) {
      const auto wait_us =
          std::chrono::duration_cast<std::chrono::microseconds>(*next - now).count();
      timeout_ms = wait_us <= 0 ? 0 : static_cast<int>((wait_us + 999) / 1000);
    }
    const int count =
        ::epoll_wait(loop.epoll_fd, events.data(), static_cast<int>(events.size()), timeout_ms);
    const std::chrono::microseconds delay(m_delay_us.load());
    for (int i = 0; i < count; ++i) {
      const int fd = events[static_cast<std::size_t>(i)].data.fd;
      if (fd == m_wake_fd) continue;
      if (fd == m_listen_fd) {
        while (true) {
          const int client = ::accept4(m_listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
          if (client < 0) break;
          int server = -1;
          for (addrinfo* ai = upstream; ai != nullptr && server < 0; ai = ai->ai_next) {
            server = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
            if (server >= 0 && ::connect(server, ai->ai_addr, ai->ai_addrlen) != 0) {
              ::close(server);
              server = -1;
            }
          }
          if (server < 0) {  // the server is down: the client sees the connection close
            ::close(client);
            continue;
          }
          ++m_accepted;
          set_nonblocking(client);
          set_nonblocking(server);
          set_nodelay(client);
          set_nodelay(server);
          auto pair = std::make_shared<Pair>();
          pair->up.from = pair->down.to = client;
          pair->up.to = pair->down.from = server;
          loop.by_fd[client] = pair;
          loop.by_fd[server] = pair;
          loop.watch(client, EPOLLIN, true);
          loop.watch(server, EPOLLIN, true);
        }
        continue;
      }
      const auto it = loop.by_fd.find(fd);
      if (it == loop.by_fd.end()) continue;
      const std::shared_ptr<Pair> pair = it->second;
      const std::uint32_t what = events[static_cast<std::size_t>(i)].events;
      if (what & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        Direction& dir = pair->up.from == fd ? pair->up : pair->down;
        if (!dir.eof) loop.read_side(*pair, dir, delay);
      }
      // EPOLLOUT: the flush below retries the blocked write and drops the interest.
    }
    // Write what is due; drop connections that broke or ended both ways.
    const auto flush_at = Clock::now();
    std::vector<std::shared_ptr<Pair>> pairs;
    for (const auto& [fd, pair] : loop.by_fd) {
      if (fd == pair->up.from) pairs.push_back(pair);
    }
    for (const auto& pair : pairs) {
      const bool ok =
          loop.flush(*pair, pair->up, flush_at) && loop.flush(*pair, pair->down, flush_at);
      if (!ok || (pair->up.shut && pair->down.shut)) loop.close_pair(pair);
    }
  }
  std::vector<std::shared_ptr<Pair>> pairs;
  for (const auto& [fd, pair] : loop.by_fd) pairs.push_back(pair);
  for (const auto& pair : pairs) loop.close_pair(pair);
  if (upstream != nullptr) ::freeaddrinfo(upstream);
  ::close(loop.epoll_fd);
}

}  // namespace poolbench::faults
