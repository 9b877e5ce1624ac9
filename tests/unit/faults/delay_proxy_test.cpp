// The network_delay proxy: bytes pass both ways unchanged, in order, and a delay holds each
// direction for that long.

#include "faults/delay_proxy.hpp"

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace poolbench::faults {
namespace {

using Clock = std::chrono::steady_clock;

/// An echo server on 127.0.0.1: one thread per connection, until the client closes it.
class EchoServer {
 public:
  EchoServer() {
    m_fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    ::bind(m_fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    ::listen(m_fd, 8);
    ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&address), &length);
    m_port = ntohs(address.sin_port);
    m_thread = std::thread([this] {
      while (true) {
        const int client = ::accept(m_fd, nullptr, nullptr);
        if (client < 0) return;
        m_handlers.emplace_back([client] {
          char buffer[4096];
          ssize_t n = 0;
          while ((n = ::read(client, buffer, sizeof buffer)) > 0) {
            if (::write(client, buffer, static_cast<std::size_t>(n)) != n) break;
          }
          ::close(client);
        });
      }
    });
  }
  /// Every client connection must be closed by then (the handlers wait for that).
  ~EchoServer() {
    ::shutdown(m_fd, SHUT_RDWR);
    ::close(m_fd);
    m_thread.join();
    for (std::thread& handler : m_handlers) handler.join();
  }
  int port() const { return m_port; }

 private:
  int m_fd = -1;
  int m_port = 0;
  std::thread m_thread;
  std::vector<std::thread> m_handlers;  // touched by m_thread only until it is joined
};

int connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

/// Sends `text` and reads the same number of bytes back; the round trip's duration.
std::chrono::microseconds round_trip(int fd, const std::string& text, std::string* echoed) {
  const auto start = Clock::now();
  EXPECT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  echoed->clear();
  char buffer[4096];
  while (echoed->size() < text.size()) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) break;
    echoed->append(buffer, static_cast<std::size_t>(n));
  }
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
}

TEST(DelayProxy, ForwardsBothWaysUnchangedAndAddsTheDelayEachWay) {
  EchoServer echo;
  DelayProxy proxy("127.0.0.1", echo.port());
  const int fd = connect_to(proxy.port());
  ASSERT_GE(fd, 0);
  std::string echoed;
  round_trip(fd, "hello", &echoed);
  EXPECT_EQ(echoed, "hello");
  EXPECT_EQ(proxy.accepted(), 1);

  proxy.set_delay(std::chrono::milliseconds(40));
  const auto delayed = round_trip(fd, "slow", &echoed);
  EXPECT_EQ(echoed, "slow");
  EXPECT_GE(delayed, std::chrono::milliseconds(80));  // 40 ms each way

  proxy.set_delay(std::chrono::microseconds(0));
  // A large message arrives in many chunks, in order.
  std::string big;
  for (int i = 0; i < 200000; ++i) big += static_cast<char>('a' + i % 26);
  round_trip(fd, big, &echoed);
  EXPECT_EQ(echoed, big);
  ::close(fd);
}

TEST(DelayProxy, AConnectDelayHoldsOnlyConnectionsAcceptedAfterIt) {
  EchoServer echo;
  DelayProxy proxy("127.0.0.1", echo.port());
  const int before = connect_to(proxy.port());
  ASSERT_GE(before, 0);
  std::string echoed;
  round_trip(before, "first", &echoed);
  EXPECT_EQ(echoed, "first");

  constexpr auto k_hold = std::chrono::milliseconds(1500);
  proxy.set_connect_delay(k_hold);
  const auto accepted_at = Clock::now();
  const int after = connect_to(proxy.port());
  ASSERT_GE(after, 0);
  ASSERT_EQ(::write(after, "late", 4), 4);
  // The connection opened before the delay was set is not held: it answers while the new
  // one's bytes wait (its round trip needs no more than a loop turn of the proxy).
  round_trip(before, "again", &echoed);
  EXPECT_EQ(echoed, "again");
  pollfd pending{after, POLLIN, 0};
  EXPECT_EQ(::poll(&pending, 1, 0), 0) << "the new connection was not held";
  char buffer[4];
  ASSERT_EQ(::read(after, buffer, sizeof buffer), 4);
  EXPECT_EQ(std::string(buffer, 4), "late");
  EXPECT_GE(Clock::now() - accepted_at, k_hold);
  // Held only at its start: the next round trip is not held again.
  round_trip(after, "then", &echoed);
  EXPECT_EQ(echoed, "then");
  ::close(after);
  ::close(before);
}

TEST(DelayProxy, AServerThatIsDownClosesTheClientsConnection) {
  int port = 0;
  {
    EchoServer gone;
    port = gone.port();
  }
  DelayProxy proxy("127.0.0.1", port);
  const int fd = connect_to(proxy.port());
  ASSERT_GE(fd, 0);
  char byte = 0;
  EXPECT_EQ(::read(fd, &byte, 1), 0);  // EOF: the proxy could not reach the server
  ::close(fd);
}

}  // namespace
}  // namespace poolbench::faults
