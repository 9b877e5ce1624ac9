#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "capture/sessions.hpp"

// Sessions' statements cut into requests (one pool checkout each; docs/capture.md, "How
// requests are cut"): a request starts with the first statement after the connection was
// idle and ends with a ROLLBACK, ABORT or DISCARD ALL outside any other transaction block
// (SQLAlchemy's reset on check-in, or another pool's), or, outside a transaction block,
// when the next statement starts more than `request_gap` after the previous one ended.

namespace poolbench::capture {

/// The default --request-gap: longer than an application's pause between two statements
/// of one checkout on a loaded host, shorter than most idle periods between checkouts.
inline constexpr std::chrono::microseconds k_default_request_gap{5'000};

struct Request {
  std::size_t session = 0;
  std::int64_t start_us = 0;  ///< the first statement's start
  std::int64_t end_us = 0;    ///< the last statement's end
  std::vector<Statement> statements;
};

/// Every session's requests, sorted by start. Sessions are taken apart (statements moved).
std::vector<Request> cut_requests(std::vector<Session>& sessions,
                                  std::chrono::microseconds request_gap);

/// What a statement does to the transaction block (by its first words).
enum class TransactionEffect { none, begin, commit, reset };
TransactionEffect transaction_effect(std::string_view sql);

}  // namespace poolbench::capture
