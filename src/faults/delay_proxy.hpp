#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "util/fd.hpp"

// A loopback TCP proxy in front of the server, for the network_delay fault: the pools connect
// to it, and while a delay is set every chunk of bytes is held for that long before it is
// forwarded, in each direction (like `tc netem delay` on lo: a round trip gains 2 x delay).
// Order is kept: a chunk never overtakes an earlier one. One thread, epoll, non-blocking.

struct addrinfo;  // <netdb.h>

namespace poolbench::faults {

class DelayProxy {
 public:
  /// Listens on 127.0.0.1 on a free port and forwards to `host`:`port` (IPv4 or a name).
  /// Throws RuntimeFailure when it cannot listen.
  DelayProxy(std::string host, int port);
  DelayProxy(const DelayProxy&) = delete;
  DelayProxy& operator=(const DelayProxy&) = delete;
  /// Stops the thread and closes every connection.
  ~DelayProxy();

  int port() const noexcept { return m_listen_port; }
  /// From now on, bytes read are held for `delay` (0: forwarded at once). Any thread.
  void set_delay(std::chrono::microseconds delay) noexcept { m_delay_us.store(delay.count()); }
  /// From now on, each new connection forwards nothing until `delay` after it was accepted
  /// (its handshake takes that much longer); connections accepted before are not held.
  /// 0: none. Any thread.
  void set_connect_delay(std::chrono::microseconds delay) noexcept {
    m_connect_delay_us.store(delay.count());
  }
  /// Connections accepted so far.
  long accepted() const noexcept { return m_accepted.load(); }

 private:
  struct Loop;
  void run() noexcept;
  /// Accepts every pending client and connects each to the server.
  void accept_all(Loop& loop, const addrinfo* upstream);

  std::string m_host;
  int m_port;
  util::Fd m_listen_fd;
  util::Fd m_wake_fd;  ///< written by the destructor to wake the thread
  int m_listen_port = 0;
  std::atomic<long long> m_delay_us{0};
  std::atomic<long long> m_connect_delay_us{0};
  std::atomic<long> m_accepted{0};
  std::atomic<bool> m_stop{false};
  std::thread m_thread;
};

}  // namespace poolbench::faults
