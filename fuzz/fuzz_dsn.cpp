// A connection string (--dsn, POOLBENCH_DSN) -> parse_dsn: the seeds' URL forms, the pool
// parameters in the query, libpq's own parser, masking. Bad input must be an InputError.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "pg/dsn.hpp"
#include "util/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const poolbench::pg::ParsedDsn parsed = poolbench::pg::parse_dsn(text, "--dsn");
    (void)parsed.target.masked();
    (void)parsed.target.conninfo();
  } catch (const poolbench::InputError&) {
  }
  return 0;
}
