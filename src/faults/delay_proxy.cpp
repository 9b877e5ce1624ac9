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
#include "util/fd.hpp"

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

/// Connections the kernel queues for accept() before refusing more.
constexpr int k_listen_backlog = 1024;
/// Bytes read from a socket per read() call.
constexpr std::size_t k_read_chunk_bytes = 16384;

/// Owns getaddrinfo()'s list.
struct FreeAddrinfo {
  void operator()(addrinfo* list) const noexcept { ::freeaddrinfo(list); }
};
using AddrinfoList = std::unique_ptr<addrinfo, FreeAddrinfo>;

/// The addresses of `host`:`port` for a TCP connect; null when the name does not resolve
/// (then every proxied connection is closed at once, as when the server is down).
AddrinfoList resolve(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  const std::string service = std::to_string(port);
  if (::getaddrinfo(host.c_str(), service.c_str(), &hints, &list) != 0) return nullptr;
  return AddrinfoList(list);
}

}  // namespace

/// The event loop's state; lives on the proxy thread.
struct DelayProxy::Loop {
  /// Bytes read from one side, to be written to the other at `due`.
  struct Chunk {
    Clock::time_point due;
    std::string bytes;
    std::size_t written = 0;
  };

  /// One direction of a proxied connection (its descriptors are owned by the Pair).
  struct Direction {
    int from = -1;
    int to = -1;
    std::deque<Chunk> queue;
    bool eof = false;      ///< `from` has no more bytes
    bool shut = false;     ///< `to` was shut down for writing after the queue drained
    bool blocked = false;  ///< the last write to `to` would block: wait for EPOLLOUT
  };

  struct Pair {
    util::Fd client;
    util::Fd server;
    Direction up;                  ///< client -> server
    Direction down;                ///< server -> client
    Clock::time_point held_until;  ///< nothing is forwarded before (the connect delay)
    bool dead = false;
  };

  util::Fd epoll_fd{::epoll_create1(EPOLL_CLOEXEC)};
  std::map<int, std::shared_ptr<Pair>> by_fd;

  /// How long epoll may wait: until the first chunk is due, or k_idle_wait_ms.
  int wait_ms() const;
  /// Writes every chunk that is due; closes the pairs that broke or ended.
  void flush_due();

  /// epoll_ctl() for `fd` with `op` EPOLL_CTL_ADD (a new descriptor) or EPOLL_CTL_MOD.
  void watch(int op, int fd, std::uint32_t events) const {
    epoll_event event{};
    event.events = events;
    event.data.fd = fd;
    ::epoll_ctl(epoll_fd.get(), op, fd, &event);
  }

  /// EPOLLIN while the fd still reads, EPOLLOUT while a write to it is blocked.
  void update_interest(const Pair& pair, int fd) const {
    const Direction& reading = pair.up.from == fd ? pair.up : pair.down;
    const Direction& writing = pair.up.to == fd ? pair.up : pair.down;
    std::uint32_t events = 0;
    if (!reading.eof) events |= EPOLLIN;
    if (writing.blocked) events |= EPOLLOUT;
    watch(EPOLL_CTL_MOD, fd, events);
  }

  void close_pair(const std::shared_ptr<Pair>& pair) {
    if (pair->dead) return;
    pair->dead = true;
    for (util::Fd* fd : {&pair->client, &pair->server}) {
      ::epoll_ctl(epoll_fd.get(), EPOLL_CTL_DEL, fd->get(), nullptr);
      by_fd.erase(fd->get());
      fd->reset();
    }
  }

  /// Reads what `dir.from` has, queueing it until now + delay.
  void read_side(Pair& pair, Direction& dir, std::chrono::microseconds delay) {
    char buffer[k_read_chunk_bytes];
    while (true) {
      const ssize_t n = ::read(dir.from, buffer, sizeof buffer);
      if (n > 0) {
        Clock::time_point due = std::max(Clock::now() + delay, pair.held_until);
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

DelayProxy::DelayProxy(std::string host, int port)
    : m_host(std::move(host)),
      m_port(port),
      m_listen_fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)),
      m_wake_fd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (!m_listen_fd.valid() || !m_wake_fd.valid()) {
    throw RuntimeFailure(
        fmt::format("network_delay proxy: cannot create a socket: {}", std::strerror(errno)));
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  if (::bind(m_listen_fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(m_listen_fd.get(), k_listen_backlog) != 0 ||
      ::getsockname(m_listen_fd.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw RuntimeFailure(
        fmt::format("network_delay proxy: cannot listen on 127.0.0.1: {}", std::strerror(errno)));
  }
  set_nonblocking(m_listen_fd.get());
  m_listen_port = ntohs(address.sin_port);
  m_thread = std::thread([this] { run(); });
}

DelayProxy::~DelayProxy() {
  m_stop.store(true);
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto written = ::write(m_wake_fd.get(), &one, sizeof one);
  if (m_thread.joinable()) m_thread.join();
}

namespace {

/// How long the proxy's loop sleeps at most with nothing due (it checks m_stop then).
constexpr int k_idle_wait_ms = 100;
/// Events taken from epoll per loop turn.
constexpr std::size_t k_events_per_turn = 64;

}  // namespace

int DelayProxy::Loop::wait_ms() const {
  // Sleep until the next chunk is due (or an event).
  const auto now = Clock::now();
  std::optional<Clock::time_point> next;
  for (const auto& [fd, pair] : by_fd) {
    for (const Direction* dir : {&pair->up, &pair->down}) {
      if (!dir->queue.empty() && !dir->blocked && (!next || dir->queue.front().due < *next)) {
        next = dir->queue.front().due;
      }
    }
  }
  if (!next) return k_idle_wait_ms;
  const auto wait_us = std::chrono::duration_cast<std::chrono::microseconds>(*next - now).count();
  return wait_us <= 0 ? 0 : static_cast<int>((wait_us + 999) / 1000);
}

void DelayProxy::Loop::flush_due() {
  // Write what is due; drop connections that broke or ended both ways.
  const auto flush_at = Clock::now();
  std::vector<std::shared_ptr<Pair>> pairs;
  for (const auto& [fd, pair] : by_fd) {
    if (fd == pair->up.from) pairs.push_back(pair);
  }
  for (const auto& pair : pairs) {
    const bool ok = flush(*pair, pair->up, flush_at) && flush(*pair, pair->down, flush_at);
    if (!ok || (pair->up.shut && pair->down.shut)) close_pair(pair);
  }
}

void DelayProxy::accept_all(Loop& loop, const addrinfo* upstream) {
  while (true) {
    util::Fd client(::accept4(m_listen_fd.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!client.valid()) return;
    util::Fd server;
    for (const addrinfo* ai = upstream; ai != nullptr && !server.valid(); ai = ai->ai_next) {
      server.reset(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
      if (server.valid() && ::connect(server.get(), ai->ai_addr, ai->ai_addrlen) != 0) {
        server.reset();
      }
    }
    if (!server.valid()) continue;  // the server is down: the client sees the connection close
    ++m_accepted;
    for (const int fd : {client.get(), server.get()}) {
      set_nonblocking(fd);
      set_nodelay(fd);
    }
    auto pair = std::make_shared<Loop::Pair>();
    pair->held_until = Clock::now() + std::chrono::microseconds(m_connect_delay_us.load());
    pair->up.from = pair->down.to = client.get();
    pair->up.to = pair->down.from = server.get();
    pair->client = std::move(client);
    pair->server = std::move(server);
    for (const int fd : {pair->up.from, pair->up.to}) {
      loop.by_fd[fd] = pair;
      loop.watch(EPOLL_CTL_ADD, fd, EPOLLIN);
    }
  }
}

void DelayProxy::run() noexcept {
  Loop loop;
  loop.watch(EPOLL_CTL_ADD, m_listen_fd.get(), EPOLLIN);
  loop.watch(EPOLL_CTL_ADD, m_wake_fd.get(), EPOLLIN);
  const AddrinfoList upstream = resolve(m_host, m_port);

  std::vector<epoll_event> events(k_events_per_turn);
  while (!m_stop.load()) {
    const int count = ::epoll_wait(loop.epoll_fd.get(), events.data(),
                                   static_cast<int>(events.size()), loop.wait_ms());
    const std::chrono::microseconds delay(m_delay_us.load());
    for (int i = 0; i < count; ++i) {
      const int fd = events[static_cast<std::size_t>(i)].data.fd;
      if (fd == m_wake_fd.get()) continue;
      if (fd == m_listen_fd.get()) {
        accept_all(loop, upstream.get());
        continue;
      }
      const auto it = loop.by_fd.find(fd);
      if (it == loop.by_fd.end()) continue;
      const std::shared_ptr<Loop::Pair> pair = it->second;
      const std::uint32_t what = events[static_cast<std::size_t>(i)].events;
      if (what & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        Loop::Direction& dir = pair->up.from == fd ? pair->up : pair->down;
        if (!dir.eof) loop.read_side(*pair, dir, delay);
      }
      // EPOLLOUT: the flush below retries the blocked write and drops the interest.
    }
    loop.flush_due();
  }
  std::vector<std::shared_ptr<Loop::Pair>> pairs;
  for (const auto& [fd, pair] : loop.by_fd) pairs.push_back(pair);
  for (const auto& pair : pairs) loop.close_pair(pair);
}

}  // namespace poolbench::faults
