// A postgresql.conf excerpt (a --profile .conf file) -> parse_conf: PostgreSQL's
// name = value syntax, quoting, comments. Bad input must be an InputError.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cluster/profile.hpp"
#include "util/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    for (const auto& setting : poolbench::cluster::parse_conf(text, "fuzz.conf")) {
      (void)setting.where();
    }
  } catch (const poolbench::InputError&) {
  }
  return 0;
}
