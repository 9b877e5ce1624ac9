// A server log (poolbench capture --log) -> read_log_text (csvlog or stderr), the session
// builder and the request cutter, then redaction of every statement. Bad input must be an
// InputError naming the place.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "capture/log_record.hpp"
#include "capture/redact.hpp"
#include "capture/requests.hpp"
#include "capture/sessions.hpp"
#include "capture/sql_refs.hpp"
#include "util/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  poolbench::capture::SessionBuilder builder;
  try {
    poolbench::capture::read_log_text(
        text, "fuzz.log", [&](poolbench::capture::LogRecord&& r) { builder.add(std::move(r)); });
  } catch (const poolbench::InputError&) {
    return 0;
  }
  auto sessions = builder.take_sessions();
  const auto requests = poolbench::capture::cut_requests(sessions, std::chrono::milliseconds(5));
  for (const auto& request : requests) {
    for (const auto& statement : request.statements) {
      (void)poolbench::capture::redact_sql_literals(statement.text);
      (void)poolbench::capture::analyze_sql(statement.text);
      for (const auto& param : statement.params) {
        if (param) (void)poolbench::capture::placeholder_for(*param);
      }
    }
  }
  return 0;
}
