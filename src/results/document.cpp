#include "results/document.hpp"

#include <thread>

#include <fmt/format.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "version.hpp"

namespace poolbench::results {

nlohmann::json run_document(const scenario::Scenario& scenario, const RunIdentity& run) {
  return {{"schema", k_schema},   {"dsn", run.masked_dsn},
          {"tool", tool_json()},  {"host", host_json()},
          {"server", run.server}, {"scenario", scenario::to_json(scenario)},
          {"run_id", run.run_id}, {"seed", run.seed}};
}

nlohmann::json analysis_document(const scenario::Scenario& scenario, nlohmann::json cells) {
  return {{"schema", k_schema},
          {"host", host_json()},
          {"scenario", scenario::to_json(scenario)},
          {"cells", std::move(cells)}};
}

nlohmann::json tool_json() {
  nlohmann::json tool = {{"name", "poolbench"},
                         {"version", k_version},
                         {"git", k_git_commit},
                         {"build_type", k_build_type}};
  if (const auto warning = build_warning()) tool["build_warning"] = *warning;
  return tool;
}

std::optional<std::string> build_warning(std::string_view build_type, std::string_view sanitizers) {
  const bool optimized =
      build_type == "Release" || build_type == "RelWithDebInfo" || build_type == "MinSizeRel";
  std::string reasons;
  if (!optimized) reasons = fmt::format("a {} build (not optimized)", build_type);
  if (!sanitizers.empty()) {
    reasons += fmt::format("{}built with -fsanitize={}", reasons.empty() ? "" : ", ", sanitizers);
  }
  if (reasons.empty()) return std::nullopt;
  return fmt::format(
      "this poolbench is {}: its own overhead is larger than a release build's, so the "
      "latencies and throughput it measures are not comparable with a release build's",
      reasons);
}

std::optional<std::string> build_warning() {
  return build_warning(k_build_type, k_sanitizers);
}

nlohmann::json host_json() {
  utsname uts{};
  uname(&uts);
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGE_SIZE);
  return {{"hostname", uts.nodename},
          {"kernel", std::string(uts.sysname) + " " + uts.release},
          {"cores", std::thread::hardware_concurrency()},
          {"memory_bytes", static_cast<double>(pages) * static_cast<double>(page_size)}};
}

}  // namespace poolbench::results
