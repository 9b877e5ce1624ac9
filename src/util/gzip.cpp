#include "util/gzip.hpp"

#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <unistd.h>
#include <zlib.h>

#include "util/error.hpp"

namespace poolbench::util {
namespace {

gzFile handle(void* file) {
  return static_cast<gzFile>(file);
}

/// zlib's description of the stream's error, or empty when there is none.
std::string stream_error(void* file) {
  int code = Z_OK;
  const char* text = gzerror(handle(file), &code);
  if (code == Z_OK || code == Z_STREAM_END) return {};
  if (code == Z_ERRNO) return std::strerror(errno);
  return text != nullptr ? text : "zlib error";
}

}  // namespace

GzWriter::GzWriter(std::filesystem::path path)
    : m_path(std::move(path)),
      m_temporary(m_path.parent_path() /
                  fmt::format(".{}.tmp-{}", m_path.filename().string(), ::getpid())) {
  m_file = gzopen(m_temporary.c_str(), "wb6");
  if (m_file == nullptr) {
    throw RuntimeFailure(
        fmt::format("{}: cannot write ({})", m_temporary.string(), std::strerror(errno)));
  }
}

GzWriter::~GzWriter() {
  if (m_file == nullptr) return;
  gzclose(handle(m_file));
  std::error_code ignored;
  std::filesystem::remove(m_temporary, ignored);
}

void GzWriter::write_line(std::string_view text) {
  const auto size = static_cast<unsigned>(text.size());
  if ((size > 0 && gzwrite(handle(m_file), text.data(), size) != static_cast<int>(size)) ||
      gzputc(handle(m_file), '\n') != '\n') {
    throw RuntimeFailure(
        fmt::format("{}: cannot write ({})", m_temporary.string(), stream_error(m_file)));
  }
}

void GzWriter::finish() {
  const int closed = gzclose(handle(m_file));
  m_file = nullptr;
  std::error_code error;
  if (closed != Z_OK) {
    std::filesystem::remove(m_temporary, error);
    throw RuntimeFailure(fmt::format("{}: cannot write (zlib error {})", m_path.string(), closed));
  }
  std::filesystem::rename(m_temporary, m_path, error);
  if (error) {
    std::filesystem::remove(m_temporary, error);
    throw RuntimeFailure(fmt::format("{}: cannot write ({})", m_path.string(), error.message()));
  }
}

GzLineReader::GzLineReader(const std::filesystem::path& path) : m_path(path.string()) {
  m_file = gzopen(path.c_str(), "rb");
  if (m_file == nullptr) {
    throw InputError(fmt::format("{}: cannot read ({})", m_path, std::strerror(errno)));
  }
  gzbuffer(handle(m_file), 1 << 17);
}

GzLineReader::~GzLineReader() {
  if (m_file != nullptr) gzclose(handle(m_file));
}

bool GzLineReader::next(std::string& line) {
  line.clear();
  char buffer[8192];
  bool any = false;
  while (gzgets(handle(m_file), buffer, sizeof buffer) != nullptr) {
    any = true;
    const std::size_t length = std::strlen(buffer);
    if (length > 0 && buffer[length - 1] == '\n') {
      line.append(buffer, length - 1);
      ++m_line;
      return true;
    }
    line.append(buffer, length);
  }
  if (const std::string error = stream_error(m_file); !error.empty()) {
    throw InputError(
        fmt::format("{}:{}: {} (a damaged or truncated gzip file)", m_path, m_line + 1, error));
  }
  if (any) ++m_line;
  return any;
}

}  // namespace poolbench::util
