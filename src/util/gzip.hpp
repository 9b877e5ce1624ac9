#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

// gzip files through zlib's gzFile API, one RAII owner per handle: the trace that
// `poolbench capture --log` writes and the scenario loader checks (docs/capture.md).

namespace poolbench::util {

/// Writes a gzip file line by line. The file appears complete or not at all: it is written to
/// a temporary name in the same directory and renamed into place by finish(); a writer
/// destroyed without finish() removes its temporary file. Throws RuntimeFailure naming the
/// path on any I/O error.
class GzWriter {
 public:
  explicit GzWriter(std::filesystem::path path);
  GzWriter(const GzWriter&) = delete;
  GzWriter& operator=(const GzWriter&) = delete;
  ~GzWriter();

  /// Appends `text` and a newline.
  void write_line(std::string_view text);
  /// Closes the stream (checking zlib's result) and renames the file into place.
  void finish();

 private:
  std::filesystem::path m_path;
  std::filesystem::path m_temporary;
  void* m_file = nullptr;  ///< gzFile
};

/// Reads a gzip (or, as zlib does, a plain) file line by line, without loading it whole.
class GzLineReader {
 public:
  /// Throws InputError naming the path when it cannot be opened.
  explicit GzLineReader(const std::filesystem::path& path);
  GzLineReader(const GzLineReader&) = delete;
  GzLineReader& operator=(const GzLineReader&) = delete;
  ~GzLineReader();

  /// The next line without its newline; false at the end. `line_number()` is then the line's
  /// 1-based number. A corrupt or truncated stream throws InputError naming path:line.
  bool next(std::string& line);
  std::size_t line_number() const noexcept { return m_line; }

 private:
  std::string m_path;
  void* m_file = nullptr;  ///< gzFile
  std::size_t m_line = 0;
};

}  // namespace poolbench::util
