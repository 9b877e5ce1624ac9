#pragma once

#include <stdexcept>
#include <string>

namespace poolbench {

/// Process exit codes (docs/cli.md, Exit status). The CLI maps every poolbench::Error to one of
/// these.
enum class ExitCode : int {
  ok = 0,
  check_failed = 1,     ///< an SLO, threshold, profile check or regression failed
  bad_input = 2,        ///< bad input or usage: nothing was run, no output written
  runtime_failure = 3,  ///< server unreachable, cluster failed to start, ...
  interrupted = 130,    ///< SIGINT; finished results are kept
};

/// Base of every exception poolbench throws at its edges (configuration, I/O, startup).
/// The per-request hot path never throws; it returns outcome values instead.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, ExitCode code = ExitCode::runtime_failure)
      : std::runtime_error(message), m_code(code) {}
  ExitCode exit_code() const noexcept { return m_code; }

 private:
  ExitCode m_code;
};

/// Bad input of any kind (flag, scenario, profile, URL): exit 2. The message names the
/// place (file:line, key, flag) and what is expected.
class InputError : public Error {
 public:
  explicit InputError(const std::string& message) : Error(message, ExitCode::bad_input) {}
};

/// A failure while running (server unreachable, cluster failed to start): exit 3.
class RuntimeFailure : public Error {
 public:
  explicit RuntimeFailure(const std::string& message) : Error(message, ExitCode::runtime_failure) {}
};

}  // namespace poolbench
