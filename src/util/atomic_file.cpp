#include "util/atomic_file.hpp"

#include <cerrno>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/error.hpp"
#include "util/fd.hpp"

namespace poolbench::util {
namespace {

/// rw-r--r--: what a file written by a umask-022 process gets (mkstemp creates it 0600).
constexpr mode_t k_file_mode = 0644;

/// Owns the temporary file: its descriptor, and its name until it is renamed.
class TempFile {
 public:
  explicit TempFile(const std::filesystem::path& target) {
    m_path = target.string() + ".tmp-XXXXXX";
    m_fd.reset(mkstemp(m_path.data()));
    if (!m_fd.valid()) fail("cannot create a temporary file next to", target);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    if (!m_renamed) ::unlink(m_path.c_str());
  }

  void write_all(std::string_view content, const std::filesystem::path& target) {
    while (!content.empty()) {
      const ssize_t written = ::write(m_fd.get(), content.data(), content.size());
      if (written < 0) {
        if (errno == EINTR) continue;
        fail("cannot write", target);
      }
      content.remove_prefix(static_cast<std::size_t>(written));
    }
    if (::fchmod(m_fd.get(), k_file_mode) != 0 || ::fsync(m_fd.get()) != 0) {
      fail("cannot flush", target);
    }
    if (m_fd.close() != 0) fail("cannot close", target);
  }

  void rename_to(const std::filesystem::path& target) {
    if (std::rename(m_path.c_str(), target.c_str()) != 0) fail("cannot rename into", target);
    m_renamed = true;
  }

 private:
  [[noreturn]] static void fail(const char* what, const std::filesystem::path& target) {
    throw RuntimeFailure(fmt::format("{} {}: {}", what, target.string(), std::strerror(errno)));
  }

  std::string m_path;
  Fd m_fd;
  bool m_renamed = false;
};

}  // namespace

void write_file_atomically(const std::filesystem::path& path, std::string_view content) {
  if (path.has_parent_path()) {
    std::error_code error;
    std::filesystem::create_directories(path.parent_path(), error);
    if (error) {
      throw RuntimeFailure(fmt::format("cannot create directory {}: {}",
                                       path.parent_path().string(), error.message()));
    }
  }
  TempFile temp(path);
  temp.write_all(content, path);
  temp.rename_to(path);
}

}  // namespace poolbench::util
