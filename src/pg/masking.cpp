#include "pg/masking.hpp"

#include <algorithm>
#include <cctype>
#include <memory>
#include <utility>

#include <libpq-fe.h>

#include "util/strings.hpp"

namespace poolbench::pg {
namespace {

/// [begin, end) of a secret inside a DSN or message.
using Span = std::pair<std::size_t, std::size_t>;

bool is_space(char c) {
  return std::isspace(static_cast<unsigned char>(c)) != 0;
}

bool is_scheme_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '-' || c == '.';
}

bool is_word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
}

/// Length of a `scheme://` prefix at the start of `text`, 0 if there is none.
std::size_t scheme_prefix_length(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && is_scheme_char(text[i])) ++i;
  if (i == 0 || std::isalpha(static_cast<unsigned char>(text[0])) == 0) return 0;
  return text.substr(i, 3) == "://" ? i + 3 : 0;
}

/// Where `password=` keywords appear: their values are delimited differently.
enum class KeywordSyntax {
  conninfo,   ///< a key=value string: single-quoted (backslash escapes) or up to whitespace
  uri_query,  ///< a URI's query: up to '&' or '#', no spaces around '='
};

/// End of a keyword value starting at `i` (KeywordSyntax says how values end).
std::size_t value_end(std::string_view text, std::size_t i, KeywordSyntax syntax) {
  std::size_t end = i;
  if (syntax == KeywordSyntax::uri_query) {
    while (end < text.size() && text[end] != '&' && text[end] != '#') ++end;
    return end;
  }
  if (i < text.size() && text[i] == '\'') {
    end = i + 1;
    while (end < text.size() && text[end] != '\'') end += text[end] == '\\' ? 2 : 1;
    return end < text.size() ? end + 1 : text.size();
  }
  while (end < text.size() && !is_space(text[end])) end += text[end] == '\\' ? 2 : 1;
  return end < text.size() ? end : text.size();
}

/// Spans of the values of `password=` and `sslpassword=` keywords (case-insensitive), offset
/// by `base`.
void keyword_spans(std::string_view text, KeywordSyntax syntax, std::size_t base,
                   std::vector<Span>& spans) {
  static constexpr std::string_view k_keyword = "password";
  const bool uri_query = syntax == KeywordSyntax::uri_query;
  std::size_t pos = 0;
  while (pos + k_keyword.size() <= text.size()) {
    if (!util::iequals(text.substr(pos, k_keyword.size()), k_keyword)) {
      ++pos;
      continue;
    }
    std::size_t key_start = pos;
    if (key_start >= 3 && util::iequals(text.substr(key_start - 3, 3), "ssl")) key_start -= 3;
    const bool starts_word = key_start == 0 || !is_word_char(text[key_start - 1]);
    std::size_t i = pos + k_keyword.size();
    while (!uri_query && i < text.size() && is_space(text[i])) ++i;
    if (!starts_word || i >= text.size() || text[i] != '=') {
      pos += k_keyword.size();
      continue;
    }
    ++i;
    while (!uri_query && i < text.size() && is_space(text[i])) ++i;
    const std::size_t end = value_end(text, i, syntax);
    if (end > i) spans.emplace_back(base + i, base + end);
    pos = end > i ? end : i;
  }
}

/// Spans of the secrets of a whole URI. The user info ends at the last '@' before the query:
/// over-masking a '@' in a database name is preferred to leaking an unencoded '@' of a
/// password.
void uri_spans(std::string_view uri, std::size_t authority_start, std::size_t base,
               std::vector<Span>& spans) {
  const std::size_t query = uri.find('?', authority_start);
  const std::string_view before_query = uri.substr(0, query);
  const std::size_t at = before_query.rfind('@');
  if (at != std::string_view::npos && at >= authority_start) {
    const std::size_t colon = before_query.find(':', authority_start);
    if (colon != std::string_view::npos && colon + 1 < at) {
      spans.emplace_back(base + colon + 1, base + at);
    }
  }
  if (query != std::string_view::npos)
    keyword_spans(uri.substr(query), KeywordSyntax::uri_query, base + query, spans);
}

std::vector<Span> dsn_spans(std::string_view dsn) {
  std::vector<Span> spans;
  std::size_t start = 0;
  while (start < dsn.size() && is_space(dsn[start])) ++start;
  const std::size_t prefix = scheme_prefix_length(dsn.substr(start));
  if (prefix == 0) {
    keyword_spans(dsn, KeywordSyntax::conninfo, 0, spans);
  } else {
    uri_spans(dsn.substr(start), prefix, start, spans);
  }
  return spans;
}

bool ends_uri_in_text(char c) {
  return is_space(c) || c == '"' || c == '\'' || c == '`';
}

/// Spans of secrets in free text: URIs (bounded by whitespace or quotes) and keywords.
std::vector<Span> text_spans(std::string_view text) {
  std::vector<Span> spans;
  std::size_t scanned = 0;
  std::size_t pos = 0;
  while ((pos = text.find("://", pos)) != std::string_view::npos) {
    std::size_t start = pos;
    while (start > scanned && is_scheme_char(text[start - 1])) --start;
    if (start == pos) {
      pos += 3;
      continue;
    }
    std::size_t end = pos + 3;
    while (end < text.size() && !ends_uri_in_text(text[end])) ++end;
    keyword_spans(text.substr(scanned, start - scanned), KeywordSyntax::conninfo, scanned, spans);
    uri_spans(text.substr(start, end - start), pos + 3 - start, start, spans);
    scanned = end;
    pos = end;
  }
  keyword_spans(text.substr(scanned), KeywordSyntax::conninfo, scanned, spans);
  return spans;
}

/// `text` with the (sorted, disjoint) spans replaced by the mask.
std::string replace_spans(std::string_view text, const std::vector<Span>& spans) {
  std::string out;
  out.reserve(text.size());
  std::size_t copied = 0;
  for (const auto& [begin, end] : spans) {
    if (begin < copied) continue;
    out.append(text.substr(copied, begin - copied));
    out.append(k_mask);
    copied = end;
  }
  out.append(text.substr(copied));
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
        hex_value(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

namespace {

/// A quoted key=value value without its quotes and escapes.
std::string unquote(std::string_view value) {
  if (value.size() < 2 || value.front() != '\'') return std::string(value);
  std::string out;
  for (std::size_t i = 1; i + 1 < value.size(); ++i) {
    if (value[i] == '\\' && i + 2 < value.size()) ++i;
    out.push_back(value[i]);
  }
  return out;
}

}  // namespace

std::string mask_dsn(std::string_view dsn) {
  return replace_spans(dsn, dsn_spans(dsn));
}

std::vector<std::string> secrets_in_dsn(std::string_view dsn) {
  std::vector<std::string> secrets;
  for (const auto& [begin, end] : dsn_spans(dsn)) {
    const std::string raw = unquote(dsn.substr(begin, end - begin));
    std::string decoded = percent_decode(raw);
    secrets.push_back(raw);
    if (decoded != raw) secrets.push_back(std::move(decoded));
  }
  return secrets;
}

std::string percent_encode(std::string_view text) {
  static constexpr std::string_view k_hex = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(k_hex[byte >> 4]);
      out.push_back(k_hex[byte & 0xF]);
    }
  }
  return out;
}

namespace {

/// Every occurrence of any of `secrets` (and of its percent-encoded form) in `text` replaced
/// by the mask, in one pass: the mask is never searched again, so a secret that is part of
/// the mask ("*", "**") cannot make the text grow with each secret (it grew 4x per secret).
/// At each position the longest matching secret wins.
std::string mask_all(std::string_view text, const std::vector<std::string>& secrets) {
  std::vector<std::string> needles;
  for (const std::string& secret : secrets) {
    if (secret.empty()) continue;
    needles.push_back(secret);
    needles.push_back(percent_encode(secret));
  }
  std::sort(needles.begin(), needles.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  needles.erase(std::unique(needles.begin(), needles.end()), needles.end());
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto match = std::find_if(needles.begin(), needles.end(), [&](const std::string& n) {
      return text.substr(i, n.size()) == n;
    });
    if (match == needles.end()) {
      out.push_back(text[i++]);
    } else {
      out.append(k_mask);
      i += match->size();
    }
  }
  return out;
}

}  // namespace

std::string mask_secret(std::string_view text, std::string_view secret) {
  return mask_all(text, {std::string(secret)});
}

std::optional<std::string> password_of(const std::string& conninfo) {
  char* raw_error = nullptr;
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(
      PQconninfoParse(conninfo.c_str(), &raw_error), &PQconninfoFree);
  if (raw_error != nullptr) PQfreemem(raw_error);
  if (!options) return std::nullopt;
  for (const PQconninfoOption* option = options.get(); option->keyword != nullptr; ++option) {
    if (std::string_view(option->keyword) == "password" && option->val != nullptr &&
        option->val[0] != '\0') {
      return std::string(option->val);
    }
  }
  return std::nullopt;
}

std::string mask_message(std::string_view message, const std::string& conninfo) {
  std::vector<std::string> secrets = secrets_in_dsn(conninfo);
  if (std::optional<std::string> password = password_of(conninfo)) {
    secrets.push_back(std::move(*password));
  }
  return mask_all(replace_spans(message, text_spans(message)), secrets);
}

}  // namespace poolbench::pg
