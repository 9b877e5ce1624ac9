#include "pool/settings.hpp"

#include <fmt/format.h>

namespace poolbench::pool {

std::string_view to_string(Fairness fairness) noexcept {
  return fairness == Fairness::fifo ? "fifo" : "sqlalchemy";
}

bool parse_fairness(std::string_view text, Fairness& out) noexcept {
  if (text == "sqlalchemy") {
    out = Fairness::sqlalchemy;
  } else if (text == "fifo") {
    out = Fairness::fifo;
  } else {
    return false;
  }
  return true;
}

std::string PoolSettings::validation_error() const {
  if (pool_size < 0) return fmt::format("pool_size must be >= 0 (0 = no limit), got {}", pool_size);
  if (max_overflow < -1) {
    return fmt::format("max_overflow must be >= -1 (-1 = unlimited), got {}", max_overflow);
  }
  if (pool_timeout.count() < 0) return "pool_timeout must be >= 0";
  return {};
}

std::string timeout_message(int pool_size, int overflow, std::chrono::microseconds timeout) {
  const double seconds = std::chrono::duration<double>(timeout).count();
  return fmt::format(
      "QueuePool limit of size {} overflow {} reached, connection timed out, timeout {:.2f}",
      pool_size, overflow, seconds);
}

}  // namespace poolbench::pool
