#include "cli/background_server.hpp"

#include <chrono>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace poolbench::testing {
namespace {

/// The value after "  <label>:" on its line of `text` (empty when absent).
std::string field(const std::string& text, const std::string& label) {
  const auto start = text.find("  " + label + ":");
  if (start == std::string::npos) return {};
  const auto value = text.find_first_not_of(' ', start + label.size() + 3);
  return text.substr(value, text.find('\n', value) - value);
}

/// "k1=v1 k2=v2" (values without spaces, as the server prints them) as a map.
std::map<std::string, std::string> parse_conninfo(const std::string& conninfo) {
  std::map<std::string, std::string> out;
  std::istringstream words(conninfo);
  std::string word;
  while (words >> word) {
    const auto equals = word.find('=');
    if (equals != std::string::npos) out[word.substr(0, equals)] = word.substr(equals + 1);
  }
  return out;
}

}  // namespace

BackgroundServer::BackgroundServer(const std::string& binary,
                                   const std::vector<std::string>& args) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
  m_pid = ::fork();
  if (m_pid < 0) throw std::runtime_error("fork failed");
  if (m_pid == 0) {
    ::dup2(fds[1], STDOUT_FILENO);
    ::close(fds[0]);
    ::close(fds[1]);
    std::vector<char*> argv{const_cast<char*>(binary.c_str()), const_cast<char*>("server")};
    for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    ::execv(binary.c_str(), argv.data());
    _exit(127);
  }
  ::close(fds[1]);
  m_stdout = fds[0];

  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (out.find("Ctrl-C") == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd ready{m_stdout, POLLIN, 0};
    char buffer[512];
    const ssize_t got = left.count() > 0 && ::poll(&ready, 1, static_cast<int>(left.count())) > 0
                            ? ::read(m_stdout, buffer, sizeof buffer)
                            : 0;
    if (got <= 0) {
      stop();
      throw std::runtime_error("poolbench server did not print its DSN:\n" + out);
    }
    out.append(buffer, static_cast<std::size_t>(got));
  }
  m_dsn = field(out, "DSN");
  m_conninfo = field(out, "conninfo");
  const auto keys = parse_conninfo(m_conninfo);
  m_user = keys.count("user") ? keys.at("user") : "";
  m_database = keys.count("dbname") ? keys.at("dbname") : "";
  m_port = keys.count("port") ? std::stoi(keys.at("port")) : 0;
  m_passfile = keys.count("passfile") ? keys.at("passfile") : "";
  std::ifstream passfile(m_passfile);
  std::string line;
  std::getline(passfile, line);  // host:port:database:user:password
  m_password = line.substr(line.rfind(':') + 1);
  if (m_user.empty() || m_port == 0 || m_password.empty()) {
    stop();
    throw std::runtime_error("cannot read the DSN and password poolbench server printed:\n" + out);
  }
}

BackgroundServer::~BackgroundServer() {
  stop();
}

void BackgroundServer::stop() {
  if (m_pid > 0) {
    ::kill(m_pid, SIGINT);
    int status = 0;
    ::waitpid(m_pid, &status, 0);
    m_pid = -1;
  }
  if (m_stdout >= 0) {
    ::close(m_stdout);
    m_stdout = -1;
  }
}

}  // namespace poolbench::testing
