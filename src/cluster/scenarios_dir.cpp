#include "cluster/scenarios_dir.hpp"

#include <cstdlib>

#ifndef POOLBENCH_SOURCE_SCENARIOS_DIR
#define POOLBENCH_SOURCE_SCENARIOS_DIR "scenarios"
#endif

namespace poolbench::cluster {
namespace fs = std::filesystem;

fs::path scenarios_dir(const std::function<std::optional<std::string>(const std::string&)>& getenv,
                       const std::optional<fs::path>& exe_path) {
  std::optional<std::string> override_dir;
  if (getenv) {
    override_dir = getenv("POOLBENCH_SCENARIOS_DIR");
  } else if (const char* value = std::getenv("POOLBENCH_SCENARIOS_DIR");
             value != nullptr && *value != '\0') {
    override_dir = value;
  }
  if (override_dir && !override_dir->empty()) return *override_dir;

  std::error_code error;
  fs::path exe = exe_path ? *exe_path : fs::read_symlink("/proc/self/exe", error);
  if (!exe.empty()) {
    const fs::path dir = exe.parent_path();
    for (const fs::path& candidate :
         {dir / ".." / "scenarios", dir / ".." / "share" / "poolbench" / "scenarios"}) {
      if (fs::is_directory(candidate, error)) return candidate.lexically_normal();
    }
  }
  return POOLBENCH_SOURCE_SCENARIOS_DIR;
}

fs::path profiles_dir() {
  return scenarios_dir() / "profiles";
}

}  // namespace poolbench::cluster
