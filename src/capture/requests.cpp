#include "capture/requests.hpp"

#include <algorithm>
#include <cctype>

namespace poolbench::capture {
namespace {

/// The first `count` words of `sql`, lower case, space separated.
std::string first_words(std::string_view sql, int count) {
  std::string out;
  std::size_t at = 0;
  for (int word = 0; word < count; ++word) {
    while (at < sql.size() && std::isspace(static_cast<unsigned char>(sql[at]))) ++at;
    if (at >= sql.size()) break;
    if (!out.empty()) out += ' ';
    while (at < sql.size() && std::isalpha(static_cast<unsigned char>(sql[at]))) {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(sql[at])));
      ++at;
    }
    if (at < sql.size() && !std::isspace(static_cast<unsigned char>(sql[at]))) break;
  }
  return out;
}

}  // namespace

TransactionEffect transaction_effect(std::string_view sql) {
  const std::string words = first_words(sql, 2);
  const std::string first = words.substr(0, words.find(' '));
  const std::string second = words.size() > first.size() ? words.substr(first.size() + 1) : "";
  if (first == "begin" || (first == "start" && second == "transaction")) {
    return TransactionEffect::begin;
  }
  if (first == "discard" && second == "all") return TransactionEffect::reset;
  if (second == "to" || second == "prepared" || sql.find("CHAIN") != std::string_view::npos ||
      sql.find("chain") != std::string_view::npos) {
    return TransactionEffect::none;  // ROLLBACK TO, COMMIT PREPARED, ... AND CHAIN
  }
  if (first == "rollback" || first == "abort") return TransactionEffect::reset;
  if (first == "commit" || first == "end") return TransactionEffect::commit;
  return TransactionEffect::none;
}

std::vector<Request> cut_requests(std::vector<Session>& sessions,
                                  std::chrono::microseconds request_gap) {
  std::vector<Request> out;
  for (std::size_t index = 0; index < sessions.size(); ++index) {
    auto& statements = sessions[index].statements;
    std::stable_sort(statements.begin(), statements.end(),
                     [](const Statement& a, const Statement& b) { return a.end_us < b.end_us; });
    Request current;
    bool in_block = false;
    auto close = [&] {
      if (!current.statements.empty()) out.push_back(std::move(current));
      current = Request{};
      in_block = false;
    };
    for (auto& statement : statements) {
      const bool idle_gap = !current.statements.empty() && !in_block &&
                            statement.start_us - current.end_us > request_gap.count();
      if (idle_gap) close();
      if (current.statements.empty()) {
        current.session = index;
        current.start_us = statement.start_us;
      }
      current.end_us = std::max(current.end_us, statement.end_us);
      const TransactionEffect effect = transaction_effect(statement.text);
      current.statements.push_back(std::move(statement));
      if (effect == TransactionEffect::begin) in_block = true;
      if (effect == TransactionEffect::commit) in_block = false;
      if (effect == TransactionEffect::reset) close();
    }
    close();
    statements.clear();
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Request& a, const Request& b) { return a.start_us < b.start_us; });
  return out;
}

}  // namespace poolbench::capture
