#include "capture/log_record.hpp"

#include <array>
#include <cstring>

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/error.hpp"
#include "util/fd.hpp"

namespace poolbench::capture {
namespace {

/// PostgreSQL 15's csvlog columns (docs/capture.md); the ones read here by index.
constexpr std::size_t k_csv_columns = 26;
enum CsvColumn : std::size_t {
  csv_time = 0,
  csv_user = 1,
  csv_database = 2,
  csv_pid = 3,
  csv_session = 5,
  csv_severity = 11,
  csv_message = 13,
  csv_detail = 14,
};

constexpr const char* k_accepted_prefixes =
    "log_line_prefix must start with '%m [%p] ' (or '%t [%p] '), '%m [%p] %c ' recommended; "
    "or log_destination = 'csvlog'";

bool digits(std::string_view text, std::size_t at, std::size_t count) {
  if (at + count > text.size()) return false;
  for (std::size_t i = at; i < at + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  return true;
}

int number(std::string_view text, std::size_t at, std::size_t count) {
  int value = 0;
  for (std::size_t i = at; i < at + count; ++i) value = value * 10 + (text[i] - '0');
  return value;
}

/// Days since 1970-01-01 of a civil date (H. Hinnant's days_from_civil).
std::int64_t days_from_civil(int year, int month, int day) {
  year -= month <= 2 ? 1 : 0;
  const int era = (year >= 0 ? year : year - 399) / 400;
  const int yoe = year - era * 400;
  const int doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return std::int64_t{era} * 146097 + doe - 719468;
}

/// A zone token's offset from UTC in seconds: "+02", "-05:30", "+0530"; 0 for a name.
std::int64_t zone_offset_s(std::string_view zone) {
  if (zone.size() < 3 || (zone[0] != '+' && zone[0] != '-') || !digits(zone, 1, 2)) return 0;
  std::int64_t offset = number(zone, 1, 2) * 3600;
  const std::size_t minutes_at = zone.size() > 3 && zone[3] == ':' ? 4 : 3;
  if (digits(zone, minutes_at, 2)) offset += number(zone, minutes_at, 2) * 60;
  return zone[0] == '-' ? -offset : offset;
}

/// Splits `text` into lines, refusing NUL bytes and a last line without its newline.
class Lines {
 public:
  Lines(std::string_view text, const std::string& name) : m_text(text) {
    if (const void* nul = std::memchr(text.data(), '\0', text.size())) {
      const std::size_t at = static_cast<std::size_t>(static_cast<const char*>(nul) - text.data());
      throw InputError(
          fmt::format("{}:{}: a NUL byte: binary data, not a PostgreSQL log", name, line_of(at)));
    }
    if (!text.empty() && text.back() != '\n') {
      throw InputError(fmt::format(
          "{}:{}: the last line does not end (a truncated log? copy it again once PostgreSQL "
          "has moved on to the next file)",
          name, line_of(text.size() - 1)));
    }
  }
  std::size_t line_of(std::size_t offset) const {
    return 1 + static_cast<std::size_t>(std::count(
                   m_text.begin(), m_text.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
  }

 private:
  std::string_view m_text;
};

bool is_primary_severity(std::string_view word) {
  static constexpr std::array<std::string_view, 14> k_words = {
      "LOG",    "ERROR",  "FATAL",  "PANIC",  "WARNING", "NOTICE", "INFO",
      "DEBUG1", "DEBUG2", "DEBUG3", "DEBUG4", "DEBUG5",  "DEBUG",  "DETAIL"};
  for (const auto known : k_words) {
    if (word == known) return true;
  }
  return word == "STATEMENT" || word == "HINT" || word == "CONTEXT" || word == "QUERY" ||
         word == "LOCATION";
}

/// The severity and message after a stderr line's prefix: the first "WORD:  " whose word is a
/// severity. False when there is none.
bool split_severity(std::string_view rest, std::string_view& severity, std::string_view& message) {
  for (std::size_t at = rest.find(":  "); at != std::string_view::npos;
       at = rest.find(":  ", at + 1)) {
    const std::size_t space = rest.rfind(' ', at);
    const std::size_t begin = space == std::string_view::npos ? 0 : space + 1;
    const std::string_view word = rest.substr(begin, at - begin);
    if (is_primary_severity(word)) {
      severity = word;
      message = rest.substr(at + 3);
      return true;
    }
  }
  return false;
}

bool is_session_id(std::string_view token) {
  const std::size_t dot = token.find('.');
  if (dot == 0 || dot == std::string_view::npos || dot + 1 == token.size()) return false;
  for (std::size_t i = 0; i < token.size(); ++i) {
    const char c = token[i];
    if (i != dot && !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

/// One stderr line with a prefix: false when the prefix is not one this reader knows.
bool parse_prefixed(std::string_view line, LogRecord& record) {
  const auto [time_us, used] = parse_log_time(line);
  if (used == 0 || used + 3 > line.size() || line[used] != ' ' || line[used + 1] != '[') {
    return false;
  }
  const std::size_t close = line.find("] ", used + 2);
  if (close == std::string_view::npos || close == used + 2 ||
      !digits(line, used + 2, close - used - 2) || close - used - 2 > 10) {
    return false;
  }
  record.time_us = time_us;
  record.pid = std::stoll(std::string(line.substr(used + 2, close - used - 2)));
  std::string_view rest = line.substr(close + 2);
  const std::size_t space = rest.find(' ');
  if (space != std::string_view::npos && is_session_id(rest.substr(0, space))) {
    record.session.assign(rest.substr(0, space));
    rest.remove_prefix(space + 1);
  }
  std::string_view severity;
  std::string_view message;
  if (!split_severity(rest, severity, message)) return false;
  record.severity.assign(severity);
  record.message.assign(message);
  return true;
}

/// Folds secondary lines (DETAIL, STATEMENT, ...) of the same process into the record
/// before them, and hands complete records on.
class Folder {
 public:
  explicit Folder(const std::function<void(LogRecord&&)>& sink) : m_sink(sink) {}
  void add(LogRecord&& record) {
    const bool secondary = record.severity == "DETAIL" || record.severity == "STATEMENT" ||
                           record.severity == "HINT" || record.severity == "CONTEXT" ||
                           record.severity == "QUERY" || record.severity == "LOCATION";
    if (secondary && m_has && record.pid == m_current.pid) {
      m_in_detail = record.severity == "DETAIL";
      if (m_in_detail) m_current.detail = std::move(record.message);
      return;
    }
    flush();
    m_current = std::move(record);
    m_has = true;
    m_in_detail = false;
  }
  void continuation(std::string_view text) {
    if (!m_has) return;
    std::string& target = m_in_detail ? m_current.detail : m_current.message;
    target += '\n';
    target.append(text);
  }
  void flush() {
    if (m_has) m_sink(std::move(m_current));
    m_has = false;
  }

 private:
  const std::function<void(LogRecord&&)>& m_sink;
  LogRecord m_current;
  bool m_has = false;
  bool m_in_detail = false;
};

void read_stderr(std::string_view text, const std::string& name,
                 const std::function<void(LogRecord&&)>& sink) {
  Folder folder(sink);
  std::size_t line_number = 0;
  bool known = false;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t end = text.find('\n', at);
    const std::string_view line = text.substr(at, end - at);
    at = end + 1;
    ++line_number;
    if (line.empty()) continue;
    if (line[0] == '\t') {
      folder.continuation(line.substr(1));
      continue;
    }
    LogRecord record;
    record.line = line_number;
    if (parse_prefixed(line, record)) {
      known = true;
      folder.add(std::move(record));
    } else if (!known) {
      throw InputError(fmt::format("{}:{}: not a PostgreSQL log line this reader knows ({})", name,
                                   line_number, k_accepted_prefixes));
    }
    // else: a line another program wrote into the log (pg_ctl, a crash report): skipped
  }
  folder.flush();
}

/// One csv record from `at` (advanced past it); fields unquoted. False at the end.
bool next_csv_record(std::string_view text, std::size_t& at, std::vector<std::string>& fields,
                     std::size_t& lines) {
  fields.clear();
  if (at >= text.size()) return false;
  std::string field;
  bool quoted = false;
  for (; at < text.size(); ++at) {
    const char c = text[at];
    if (quoted) {
      if (c == '"') {
        if (at + 1 < text.size() && text[at + 1] == '"') {
          field += '"';
          ++at;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++lines;
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.push_back(std::move(field));
      field.clear();
    } else if (c == '\n') {
      ++lines;
      ++at;
      fields.push_back(std::move(field));
      return true;
    } else {
      field += c;
    }
  }
  fields.push_back(std::move(field));
  return !quoted;
}

void read_csv(std::string_view text, const std::string& name,
              const std::function<void(LogRecord&&)>& sink) {
  std::vector<std::string> fields;
  std::size_t at = 0;
  std::size_t line = 1;
  while (at < text.size()) {
    const std::size_t first_line = line;
    if (!next_csv_record(text, at, fields, line)) {
      throw InputError(fmt::format("{}:{}: a quoted field does not end (a truncated csvlog?)", name,
                                   first_line));
    }
    if (fields.size() != k_csv_columns) {
      throw InputError(fmt::format(
          "{}:{}: a csvlog record of {} columns; PostgreSQL 15 writes {} (another PostgreSQL "
          "version's csvlog, or not a csvlog)",
          name, first_line, fields.size(), k_csv_columns));
    }
    LogRecord record;
    record.line = first_line;
    const auto [time_us, used] = parse_log_time(fields[csv_time]);
    if (used == 0 || !digits(fields[csv_pid], 0, fields[csv_pid].size()) ||
        fields[csv_pid].empty() || fields[csv_pid].size() > 10) {
      throw InputError(fmt::format("{}:{}: not a csvlog record (log_time '{}', process_id '{}')",
                                   name, first_line, fields[csv_time].substr(0, 40),
                                   fields[csv_pid].substr(0, 20)));
    }
    record.time_us = time_us;
    record.pid = std::stoll(fields[csv_pid]);
    record.session = std::move(fields[csv_session]);
    record.severity = std::move(fields[csv_severity]);
    record.message = std::move(fields[csv_message]);
    record.detail = std::move(fields[csv_detail]);
    record.user = std::move(fields[csv_user]);
    record.database = std::move(fields[csv_database]);
    sink(std::move(record));
  }
}

/// A read-only mapping of a whole file (RAII).
class MappedFile {
 public:
  explicit MappedFile(const std::filesystem::path& path) {
    const util::Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) {
      throw InputError(fmt::format("{}: cannot read ({})", path.string(), std::strerror(errno)));
    }
    struct stat info {};
    if (::fstat(fd.get(), &info) != 0 || !S_ISREG(info.st_mode)) {
      throw InputError(fmt::format("{}: not a regular file", path.string()));
    }
    m_size = static_cast<std::size_t>(info.st_size);
    if (m_size > 0) {
      m_data = ::mmap(nullptr, m_size, PROT_READ, MAP_PRIVATE, fd.get(), 0);
      if (m_data == MAP_FAILED) m_data = nullptr;
    }
    if (m_size > 0 && m_data == nullptr) {
      throw InputError(fmt::format("{}: cannot map ({})", path.string(), std::strerror(errno)));
    }
  }
  ~MappedFile() {
    if (m_data != nullptr) ::munmap(m_data, m_size);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  std::string_view text() const { return {static_cast<const char*>(m_data), m_size}; }

 private:
  void* m_data = nullptr;
  std::size_t m_size = 0;
};

}  // namespace

std::pair<std::int64_t, std::size_t> parse_log_time(std::string_view text) {
  // YYYY-MM-DD HH:MM:SS[.ffffff] ZONE
  if (!digits(text, 0, 4) || text.size() < 19 || text[4] != '-' || !digits(text, 5, 2) ||
      text[7] != '-' || !digits(text, 8, 2) || text[10] != ' ' || !digits(text, 11, 2) ||
      text[13] != ':' || !digits(text, 14, 2) || text[16] != ':' || !digits(text, 17, 2)) {
    return {0, 0};
  }
  const std::int64_t days =
      days_from_civil(number(text, 0, 4), number(text, 5, 2), number(text, 8, 2));
  std::int64_t seconds =
      days * 86400 + number(text, 11, 2) * 3600 + number(text, 14, 2) * 60 + number(text, 17, 2);
  std::size_t at = 19;
  std::int64_t micros = 0;
  if (at < text.size() && text[at] == '.') {
    std::int64_t scale = 100000;
    for (++at; at < text.size() && text[at] >= '0' && text[at] <= '9'; ++at) {
      micros += (text[at] - '0') * scale;
      scale /= 10;
    }
  }
  if (at < text.size() && text[at] == ' ') {
    const std::size_t end = std::min(text.find_first_of(" ,", at + 1), text.size());
    seconds -= zone_offset_s(text.substr(at + 1, end - at - 1));
    at = end;
  }
  return {seconds * 1'000'000 + micros, at};
}

void read_log_text(std::string_view text, const std::string& name,
                   const std::function<void(LogRecord&&)>& sink) {
  const Lines lines(text, name);
  const std::size_t first_end = std::min(text.find('\n'), text.size());
  const auto [time_us, used] = parse_log_time(text.substr(0, first_end));
  (void)time_us;
  if (used == 0 && first_end > 0 && text[0] != '\t') {
    throw InputError(fmt::format("{}:1: not a PostgreSQL log line this reader knows ({})", name,
                                 k_accepted_prefixes));
  }
  if (used > 0 && used < first_end && text[used] == ',') {
    read_csv(text, name, sink);
  } else {
    read_stderr(text, name, sink);
  }
}

void read_log(const std::filesystem::path& file, const std::function<void(LogRecord&&)>& sink) {
  const MappedFile mapped(file);
  read_log_text(mapped.text(), file.string(), sink);
}

}  // namespace poolbench::capture
