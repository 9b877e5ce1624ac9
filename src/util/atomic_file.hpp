#pragma once

#include <filesystem>
#include <string_view>

namespace poolbench::util {

/// Writes `content` to `path` atomically: a temporary file in the same directory, flushed
/// and fsync'ed, then renamed over `path`. Readers see the old file or the new one, never a
/// partial one, and a crash leaves no half-written result. Creates missing parent
/// directories. Throws poolbench::RuntimeFailure naming the path on any I/O error.
void write_file_atomically(const std::filesystem::path& path, std::string_view content);

}  // namespace poolbench::util
