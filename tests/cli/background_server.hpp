#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <sys/types.h>

namespace poolbench::testing {

/// `poolbench server` running in the background, for tests that need a --dsn server with
/// SCRAM password authentication: a random password the tests can read, in the passfile
/// the server prints. Works as root (the cluster then runs as an unprivileged user) and as
/// any other user. Not copyable; stopped with SIGINT (which removes its data) on
/// destruction.
class BackgroundServer {
 public:
  /// Starts `binary server args...` and waits (up to 60 s) until it printed its DSN.
  /// Throws std::runtime_error, with what it printed, when it exits or stalls first.
  explicit BackgroundServer(const std::string& binary, const std::vector<std::string>& args = {});
  ~BackgroundServer();
  BackgroundServer(const BackgroundServer&) = delete;
  BackgroundServer& operator=(const BackgroundServer&) = delete;

  /// The printed URL: postgresql://poolbench@127.0.0.1:<port>/poolbench?passfile=...
  const std::string& dsn() const { return m_dsn; }
  /// The printed key=value conninfo (host, port, user, dbname, passfile, sslmode).
  const std::string& conninfo() const { return m_conninfo; }
  const std::string& user() const { return m_user; }
  const std::string& database() const { return m_database; }
  int port() const { return m_port; }
  const std::filesystem::path& passfile() const { return m_passfile; }
  /// The password, read from the passfile (its last field).
  const std::string& password() const { return m_password; }

 private:
  /// SIGINT, wait for the exit, close the pipe; idempotent.
  void stop();

  pid_t m_pid = -1;
  int m_stdout = -1;  ///< read end of the server's stdout
  std::string m_dsn;
  std::string m_conninfo;
  std::string m_user;
  std::string m_database;
  int m_port = 0;
  std::filesystem::path m_passfile;
  std::string m_password;
};

}  // namespace poolbench::testing
