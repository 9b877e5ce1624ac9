#include "pg/statement_connection.hpp"

#include <atomic>

namespace poolbench::pg {
namespace {

/// The next serial. An identity source, not shared state anyone reads: relaxed suffices.
std::uint64_t next_serial() noexcept {
  static std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

StatementConnection::StatementConnection() noexcept : m_serial(next_serial()) {}

}  // namespace poolbench::pg
