#include "matrix/result_store.hpp"

#include <algorithm>

#include <fmt/format.h>
#include <zlib.h>

#include "results/file.hpp"
#include "util/error.hpp"
#include "version.hpp"

namespace poolbench::matrix {

std::string scenario_hash(const scenario::Scenario& scenario) {
  nlohmann::json json = scenario::to_json(scenario);
  json.erase("file");
  const std::string text = json.dump();
  // CRC-32 and Adler-32 of the canonical JSON (nlohmann sorts object keys): 64 bits, plenty
  // to tell two scenarios apart; this is not a security boundary.
  const auto* bytes = reinterpret_cast<const Bytef*>(text.data());
  const auto size = static_cast<uInt>(text.size());
  const uLong crc = crc32(crc32(0L, Z_NULL, 0), bytes, size);
  const uLong adler = adler32(adler32(0L, Z_NULL, 0), bytes, size);
  return fmt::format("{:08x}{:08x}", crc & 0xffffffffUL, adler & 0xffffffffUL);
}

ResultStore::ResultStore(std::filesystem::path file, nlohmann::json document)
    : m_file(std::move(file)), m_document(std::move(document)) {
  m_document["cells"] = nlohmann::json::array();
}

void check_resumable(const nlohmann::json& previous, const std::filesystem::path& file,
                     const std::string& scenario_hash_now) {
  const std::string label = file.string();
  if (!previous.is_object() || !previous.contains("matrix") || !previous.contains("cells") ||
      !previous["cells"].is_array()) {
    throw InputError(fmt::format(
        "{}: --resume: not the results of a poolbench matrix (no \"matrix\" and \"cells\")",
        label));
  }
  const std::string version =
      previous.value(nlohmann::json::json_pointer("/tool/version"), std::string("?"));
  if (version != k_version) {
    throw InputError(fmt::format(
        "{}: --resume: written by poolbench {}, this is {}; results of two versions are not "
        "mixed. Start afresh with --fresh or another --out",
        label, version, k_version));
  }
  const std::string before = previous["matrix"].value("scenario_hash", std::string("?"));
  if (before != scenario_hash_now) {
    throw InputError(fmt::format(
        "{}: --resume: the resolved scenario changed since these results were written "
        "(hash {} then, {} now: the file, a --set, --matrix or --profile differs). Resume "
        "with the same inputs, or start afresh with --fresh or another --out",
        label, before, scenario_hash_now));
  }
  for (const auto& cell : previous["cells"]) {
    if (!cell.is_object() || (cell.contains("id") && !cell["id"].is_string())) {
      throw InputError(
          fmt::format("{}: --resume: a cell that is not an object with a string \"id\"", label));
    }
  }
}

void ResultStore::resume_from(const nlohmann::json& previous) {
  check_resumable(previous, m_file, m_document["matrix"].value("scenario_hash", std::string()));
  for (const auto& cell : previous["cells"]) {
    const std::string status = cell.value("status", std::string());
    if (status == "interrupted" || !cell.contains("id")) continue;
    m_done.insert(cell["id"].get<std::string>());
    m_document["cells"].push_back(cell);
  }
  if (previous.contains("run_id")) m_document["run_id"] = previous["run_id"];
}

void ResultStore::put(const nlohmann::json& cell) {
  auto& cells = m_document["cells"];
  const std::string id = cell.value("id", std::string());
  const auto it = std::find_if(cells.begin(), cells.end(), [&](const nlohmann::json& c) {
    return c.value("id", std::string()) == id;
  });
  if (it != cells.end()) {
    *it = cell;
  } else {
    cells.push_back(cell);
  }
  std::stable_sort(cells.begin(), cells.end(),
                   [](const nlohmann::json& a, const nlohmann::json& b) {
                     return a.value("index", 0) < b.value("index", 0);
                   });
  if (cell.value("status", std::string()) != "interrupted") m_done.insert(id);
  write();
}

const nlohmann::json* ResultStore::find(const std::string& cell_id) const {
  for (const auto& cell : m_document["cells"]) {
    if (cell.value("id", std::string()) == cell_id) return &cell;
  }
  return nullptr;
}

void ResultStore::set_field(const std::string& key, const nlohmann::json& value) {
  m_document[key] = value;
  write();
}

void ResultStore::set_matrix_field(const std::string& key, const nlohmann::json& value) {
  m_document["matrix"][key] = value;
  write();
}

void ResultStore::write() const {
  results::write_results(m_file, m_document);
}

}  // namespace poolbench::matrix
