#include "matrix/statement_match.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <variant>

#include "script/script_scanner.hpp"
#include "util/sql_lexer.hpp"
#include "util/strings.hpp"

namespace poolbench::matrix {
namespace {

bool is_digit(char c) {
  return std::isdigit(static_cast<unsigned char>(c)) != 0;
}

std::size_t number_end(std::string_view sql, std::size_t i) {
  while (i < sql.size() && (is_digit(sql[i]) || sql[i] == '.' || sql[i] == '_')) ++i;
  if (i < sql.size() && (sql[i] == 'e' || sql[i] == 'E')) {
    std::size_t j = i + 1;
    if (j < sql.size() && (sql[j] == '+' || sql[j] == '-')) ++j;
    if (j < sql.size() && is_digit(sql[j])) {
      i = j;
      while (i < sql.size() && is_digit(sql[i])) ++i;
    }
  }
  return i;
}

/// After a `:` at `i`: the end of a pgbench variable reference (:name, :'name',
/// :"name"), or `i` when there is none.
std::size_t variable_end(std::string_view sql, std::size_t i) {
  if (i + 1 >= sql.size()) return i;
  const char next = sql[i + 1];
  if (next == '\'' || next == '"') return util::quoted_end(sql, i + 1, next).end;
  if (!script::is_variable_start(next)) return i;
  std::size_t end = i + 1;
  while (end < sql.size() && script::is_variable_char(sql[end])) ++end;
  return end;
}

class Tokenizer {
 public:
  explicit Tokenizer(std::string_view sql) : m_sql(sql) {}

  std::vector<std::string> run() {
    while (m_i < m_sql.size()) step();
    return std::move(m_out);
  }

 private:
  void placeholder(std::size_t end) {
    if (!m_out.empty() && m_out.back() == "-") m_out.pop_back();
    m_out.emplace_back(k_placeholder);
    m_i = end;
  }

  void word() {
    std::size_t end = m_i;
    while (end < m_sql.size() && util::is_identifier_char(m_sql[end])) ++end;
    const std::string lower = util::to_lower(m_sql.substr(m_i, end - m_i));
    // E'...', B'...', X'...', N'...': one string constant.
    if (end < m_sql.size() && m_sql[end] == '\'' && lower.size() == 1 &&
        std::string_view("ebxn").find(lower[0]) != std::string_view::npos) {
      return placeholder(
          util::quoted_end(m_sql, end, '\'',
                           lower == "e" ? util::Backslash::escapes : util::Backslash::literal)
              .end);
    }
    if (lower == "true" || lower == "false" || lower == "null") return placeholder(end);
    m_out.push_back(lower);
    m_i = end;
  }

  void step() {
    const char c = m_sql[m_i];
    const char next = m_i + 1 < m_sql.size() ? m_sql[m_i + 1] : '\0';
    if (std::isspace(static_cast<unsigned char>(c)) != 0 || c == '\\') {
      ++m_i;
    } else if (c == '-' && next == '-') {
      m_i = util::line_comment_end(m_sql, m_i);
    } else if (c == '/' && next == '*') {
      m_i = util::block_comment_end(m_sql, m_i).end;
    } else if (c == '\'') {
      placeholder(util::quoted_end(m_sql, m_i, '\'').end);
    } else if (c == '"') {
      const std::size_t end = util::quoted_end(m_sql, m_i, '"').end;
      m_out.emplace_back(m_sql.substr(m_i, end - m_i));
      m_i = end;
    } else if (c == '$' && is_digit(next)) {
      std::size_t end = m_i + 1;
      while (end < m_sql.size() && is_digit(m_sql[end])) ++end;
      placeholder(end);
    } else if (const auto quote = c == '$' ? util::dollar_quote_end(m_sql, m_i) : std::nullopt) {
      placeholder(quote->end);
    } else if (c == ':' && next == ':') {
      m_out.emplace_back("::");
      m_i += 2;
    } else if (c == ':' && variable_end(m_sql, m_i) != m_i) {
      placeholder(variable_end(m_sql, m_i));
    } else if (is_digit(c) || (c == '.' && is_digit(next))) {
      placeholder(number_end(m_sql, m_i));
    } else if (util::is_identifier_start(c)) {
      word();
    } else {
      m_out.emplace_back(1, c);
      ++m_i;
    }
  }

  std::string_view m_sql;
  std::size_t m_i = 0;
  std::vector<std::string> m_out;
};

void drop_trailing_semicolons(std::vector<std::string>& tokens) {
  while (!tokens.empty() && tokens.back() == ";") tokens.pop_back();
}

bool tokens_match(std::vector<std::string> query, const std::vector<std::string>& script,
                  bool truncated) {
  if (!truncated) {
    drop_trailing_semicolons(query);
    return !query.empty() && query == script;
  }
  if (!query.empty()) query.pop_back();  // perhaps cut in the middle
  return !query.empty() && query.size() <= script.size() &&
         std::equal(query.begin(), query.end(), script.begin());
}

/// A script statement's tokens, a compound one's (`\;`) cut into its
/// statements.
struct ScriptCandidate {
  const std::string* transaction;
  int line;
  std::vector<std::string> tokens;
};

std::vector<ScriptCandidate> script_candidates(
    const std::vector<workload::CompiledTransaction>& transactions) {
  std::vector<ScriptCandidate> out;
  for (const auto& transaction : transactions) {
    for (const auto& command : transaction.script.commands()) {
      const auto* sql = std::get_if<script::SqlCommand>(&command);
      if (sql == nullptr) continue;
      ScriptCandidate part{&transaction.name, sql->line, {}};
      for (auto& token : sql_tokens(sql->text)) {
        if (token != ";") {
          part.tokens.push_back(std::move(token));
        } else if (!part.tokens.empty()) {
          out.push_back(part);
          part.tokens.clear();
        }
      }
      if (!part.tokens.empty()) out.push_back(std::move(part));
    }
  }
  return out;
}

std::size_t utf8_chars(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

}  // namespace

std::vector<std::string> sql_tokens(std::string_view sql) {
  return Tokenizer(sql).run();
}

bool same_statement(std::string_view query, std::string_view script_sql, bool truncated) {
  auto script = sql_tokens(script_sql);
  drop_trailing_semicolons(script);
  return tokens_match(sql_tokens(query), script, truncated);
}

void match_statements(nlohmann::json& statements,
                      const std::vector<workload::CompiledTransaction>& transactions,
                      std::size_t query_chars) {
  if (!statements.is_array()) return;
  const std::vector<ScriptCandidate> known = script_candidates(transactions);
  for (auto& entry : statements) {
    const std::string query = entry.value("query", std::string());
    const auto tokens = sql_tokens(query);
    const bool truncated = utf8_chars(query) >= query_chars;
    const auto it = std::find_if(known.begin(), known.end(), [&](const ScriptCandidate& c) {
      return tokens_match(tokens, c.tokens, truncated);
    });
    entry["transaction"] = it == known.end() ? nlohmann::json() : nlohmann::json(*it->transaction);
    entry["line"] = it == known.end() ? nlohmann::json() : nlohmann::json(it->line);
  }
}

}  // namespace poolbench::matrix
