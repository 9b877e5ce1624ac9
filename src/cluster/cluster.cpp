#include "cluster/cluster.hpp"

#include <algorithm>
#include <condition_variable>
#include <functional>
#include <future>
#include <thread>

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cluster/signals.hpp"
#include "cluster/template_cache.hpp"
#include "pg/masking.hpp"
#include "pg/session.hpp"
#include "util/fd.hpp"

namespace poolbench::cluster {
namespace {

namespace fs = std::filesystem;

constexpr const char* k_profile_conf = "poolbench-profile.conf";
/// How long a fast shutdown (it checkpoints first) and an immediate one may take before the
/// server is killed.
constexpr auto k_fast_stop_timeout = std::chrono::seconds(60);
constexpr auto k_immediate_stop_timeout = std::chrono::seconds(30);
/// How long a reloaded setting may take to show in new sessions, and how often it is read.
constexpr auto k_reload_wait = std::chrono::seconds(5);
constexpr auto k_verify_poll_interval = std::chrono::milliseconds(50);

/// A port the kernel considers free on 127.0.0.1 right now (it may be taken before the
/// server binds it: start_server() retries on PortInUse).
int free_port() {
  const util::Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) throw RuntimeFailure("cannot create a socket to find a free port");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  int port = 0;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  if (port == 0) throw RuntimeFailure("cannot find a free TCP port on 127.0.0.1");
  return port;
}

std::string conf_quote(const std::string& value) {
  std::string quoted = "'";
  for (const char c : value) {
    if (c == '\'')
      quoted += "''";
    else if (c == '\\')
      quoted += "\\\\";
    else
      quoted += c;
  }
  return quoted + "'";
}

bool profile_wants_ssl(const Profile& profile) {
  const ProfileSetting* setting = profile.find("ssl");
  if (setting == nullptr) return false;
  SettingInfo info;
  info.type = VarType::boolean;
  const auto parsed = parse_value(info, setting->value);
  return parsed.value && parsed.value->text == "on";
}

/// Throws ProfileMismatch naming the settings of `profile` that did not take effect.
void throw_on_mismatch(const Profile& profile, const ApplyResult& result) {
  if (result.all_match()) return;
  throw ProfileMismatch(fmt::format("profile '{}' did not take effect on the embedded server:\n{}",
                                    profile.name, mismatch_message(result.checks)),
                        result.checks);
}

}  // namespace

AuthMode parse_auth_mode(std::string_view text) {
  if (text == "trust") return AuthMode::trust;
  if (text == "scram" || text == "scram-sha-256") return AuthMode::scram;
  throw InputError(fmt::format("server.auth: '{}' is not one of: trust, scram", std::string(text)));
}

bool ApplyResult::all_match() const {
  return std::all_of(checks.begin(), checks.end(), [](const auto& c) { return c.matches; });
}

/// Runs tasks on one thread that lives until it is destroyed (see Cluster::m_launcher).
class Launcher {
 public:
  Launcher() : m_thread([this] { loop(); }) {}
  Launcher(const Launcher&) = delete;
  Launcher& operator=(const Launcher&) = delete;
  ~Launcher() {
    {
      std::lock_guard lock(m_mutex);
      m_done = true;
    }
    m_wake.notify_all();
    m_thread.join();
  }

  /// Runs `task` on the launcher's thread and waits for it; rethrows what it threw.
  void run(std::function<void()> task) {
    std::packaged_task<void()> packaged(std::move(task));
    auto result = packaged.get_future();
    {
      std::lock_guard lock(m_mutex);
      m_task = std::move(packaged);
    }
    m_wake.notify_all();
    result.get();
  }

 private:
  void loop() {
    std::unique_lock lock(m_mutex);
    while (true) {
      m_wake.wait(lock, [this] { return m_done || m_task.valid(); });
      if (m_task.valid()) {
        auto task = std::move(m_task);
        lock.unlock();
        task();
        lock.lock();
        continue;
      }
      if (m_done) return;
    }
  }

  std::mutex m_mutex;
  std::condition_variable m_wake;
  std::packaged_task<void()> m_task;  // guarded by m_mutex
  bool m_done = false;                // guarded by m_mutex
  std::thread m_thread;
};

Cluster::Cluster(ClusterOptions options) : m_options(std::move(options)) {
  m_binaries = m_options.binaries ? *m_options.binaries : find_server_binaries();
  m_user = server_user();
  ClusterTemplate cluster_template = ensure_template(m_binaries, m_user);
  m_version = cluster_template.version;
  m_catalog = std::move(cluster_template.catalog);
  if (m_options.profile) validate_profile(*m_options.profile, m_catalog);

  const fs::path root = runtime_root();
  remove_stale_clusters(root);
  m_run_dir = std::make_unique<RunDir>(root);
  m_dir = m_run_dir->path();
  std::error_code error;
  fs::copy(cluster_template.data_dir, data_dir(), fs::copy_options::recursive, error);
  if (error) {
    throw RuntimeFailure(fmt::format("cannot copy the template cluster {}: {}",
                                     cluster_template.data_dir.string(), error.message()));
  }
  ::chmod(data_dir().c_str(), 0700);
  if (::mkdir(socket_dir().c_str(), 0700) != 0) {
    throw RuntimeFailure(fmt::format("cannot create {}", socket_dir().string()));
  }
  if (m_options.profile) m_profile = *m_options.profile;
  m_ssl = m_options.ssl || profile_wants_ssl(m_profile);
  prepare_files();
  chown_tree(data_dir(), m_user);
  chown_tree(socket_dir(), m_user);
  m_server = std::make_unique<Postmaster>(m_binaries, data_dir(), log_file(), m_user);
  m_port = m_options.port.value_or(0);
  start_server();
  set_password();
  m_stop_id = StopRegistry::instance().add([this] { stop(); });
  try {
    if (!m_profile.settings.empty()) throw_on_mismatch(m_profile, verify(m_profile));
  } catch (...) {
    // No destructor runs for a throwing constructor: unregister here (members clean up).
    StopRegistry::instance().remove(m_stop_id);
    throw;
  }
}

Cluster::~Cluster() {
  if (m_stop_id != 0) StopRegistry::instance().remove(m_stop_id);
  stop();
  m_launcher.reset();  // after stop(): a server it started is stopped first
}

void Cluster::stop() noexcept {
  std::lock_guard lock(m_mutex);
  if (m_server) m_server->stop_escalating();
  m_server.reset();
  m_run_dir.reset();
}

fs::path Cluster::data_dir() const {
  return m_dir / "data";
}
fs::path Cluster::socket_dir() const {
  return m_dir / "sock";
}
fs::path Cluster::passfile() const {
  return m_dir / "passfile";
}
fs::path Cluster::log_file() const {
  return m_dir / "server.log";
}

pid_t Cluster::postmaster_pid() const noexcept {
  std::lock_guard lock(m_mutex);
  return m_server ? m_server->pid() : -1;
}

bool Cluster::running() noexcept {
  std::lock_guard lock(m_mutex);
  return m_server && m_server->running();
}

std::string Cluster::conninfo() const {
  return fmt::format("host=127.0.0.1 port={} user={} dbname={} passfile={} sslmode={}", m_port,
                     k_cluster_user, k_cluster_database, passfile().string(),
                     m_ssl ? "require" : "disable");
}

std::string Cluster::dsn() const {
  return fmt::format("postgresql://{}@127.0.0.1:{}/{}?passfile={}&sslmode={}", k_cluster_user,
                     m_port, k_cluster_database, passfile().string(),
                     m_ssl ? "require" : "disable");
}

std::string Cluster::masked_dsn() const {
  return pg::mask_dsn(dsn());
}

std::string Cluster::admin_conninfo() const {
  return fmt::format("host={} port={} user={} dbname={}", socket_dir().string(), m_port,
                     k_cluster_user, k_cluster_database);
}

void Cluster::prepare_files() {
  if (m_ssl) ensure_certificate();
  const std::string method = m_options.auth == AuthMode::scram ? "scram-sha-256" : "trust";
  // The socket directory is mode 0700: only the server's user (and root) reach the trusted
  // local connections; every TCP client pays the real authentication.
  write_owned_file(data_dir() / "pg_hba.conf",
                   fmt::format("# Written by poolbench for this embedded cluster.\n"
                               "local all all trust\n"
                               "host all all 127.0.0.1/32 {}\n",
                               method),
                   m_user);
  write_profile_conf(m_profile);
}

void Cluster::write_harness_conf() const {
  std::string conf = fmt::format(
      "# Written by poolbench: the embedded server's harness settings. Profile settings are\n"
      "# in {} (included last, so they win).\n"
      "listen_addresses = '127.0.0.1'\n"
      "port = {}\n"
      "unix_socket_directories = {}\n"
      "shared_preload_libraries = 'pg_stat_statements'\n"
      "ssl = {}\n"
      "log_line_prefix = '%m [%p] '\n"
      "include_if_exists = '{}'\n",
      k_profile_conf, m_port, conf_quote(socket_dir().string()), m_ssl ? "on" : "off",
      k_profile_conf);
  write_owned_file(data_dir() / "postgresql.conf", conf, m_user);
}

void Cluster::write_profile_conf(const Profile& profile) const {
  std::string conf = fmt::format("# Profile '{}', written by poolbench.\n", profile.name);
  for (const auto& setting : profile.settings) {
    if (is_harness_setting(setting.name)) continue;
    std::string value = setting.value;
    if (setting.name == "shared_preload_libraries" &&
        value.find("pg_stat_statements") == std::string::npos) {
      value = value.empty() ? "pg_stat_statements" : value + ",pg_stat_statements";
    }
    conf += fmt::format("{} = {}    # {}\n", setting.name, conf_quote(value), setting.where());
  }
  write_owned_file(data_dir() / k_profile_conf, conf, m_user);
}

void Cluster::ensure_certificate() {
  const fs::path key = data_dir() / "server.key";
  const fs::path certificate = data_dir() / "server.crt";
  std::error_code error;
  if (fs::exists(key, error) && fs::exists(certificate, error)) return;
  const auto openssl = find_program("openssl");
  if (!openssl) {
    throw RuntimeFailure(
        "TLS (server.ssl: on, or a profile with ssl = on) needs the openssl command to make a "
        "self-signed certificate: apt-get install openssl");
  }
  const auto result =
      run_command({openssl->string(), "req", "-x509", "-newkey", "ec", "-pkeyopt",
                   "ec_paramgen_curve:prime256v1", "-nodes", "-days", "7", "-subj", "/CN=127.0.0.1",
                   "-keyout", key.string(), "-out", certificate.string()},
                  std::nullopt, std::chrono::seconds(60));
  if (result.exit_code != 0) {
    throw RuntimeFailure(fmt::format("openssl could not make a certificate:\n{}", result.output));
  }
  ::chmod(key.c_str(), 0600);
  if (m_user) {
    ::chown(key.c_str(), m_user->uid, m_user->gid);
    ::chown(certificate.c_str(), m_user->uid, m_user->gid);
  }
}

void Cluster::start_server() {
  const bool fixed_port = m_options.port.has_value() || m_port != 0;
  for (int attempt = 0;; ++attempt) {
    if (!fixed_port) m_port = free_port();
    write_harness_conf();
    try {
      m_server->start(m_options.start_timeout);
      return;
    } catch (const PortInUse&) {
      if (fixed_port || attempt >= 5) {
        throw RuntimeFailure(
            fmt::format("cannot start the embedded server: port {} on "
                        "127.0.0.1 is in use",
                        m_port));
      }
    }
  }
}

void Cluster::set_password() {
  m_password = random_token(32);
  auto session = pg::Session::connect(admin_conninfo());
  // Keep the password out of the server log and out of pg_stat_statements (a profile with
  // log_min_duration_statement = 0 logs every statement whatever log_statement says).
  session.exec(
      "SET log_statement = 'none'; SET log_min_duration_statement = -1; "
      "SET pg_stat_statements.track_utility = off");
  session.exec(fmt::format("ALTER ROLE {} PASSWORD '{}'", k_cluster_user, m_password));
  write_owned_file(passfile(),
                   fmt::format("127.0.0.1:{0}:*:{1}:{2}\nlocalhost:{0}:*:{1}:{2}\n", m_port,
                               k_cluster_user, m_password),
                   std::nullopt);
}

void Cluster::restart(Shutdown mode) {
  std::lock_guard lock(m_mutex);
  if (!m_server) throw RuntimeFailure("the embedded server was stopped");
  const bool stopped = mode == Shutdown::immediate
                           ? m_server->stop_immediate(k_immediate_stop_timeout)
                           : m_server->stop_fast(k_fast_stop_timeout);
  if (!stopped) m_server->stop_escalating();
  if (std::this_thread::get_id() == m_owner) {
    start_server();
    return;
  }
  if (!m_launcher) m_launcher = std::make_unique<Launcher>();
  m_launcher->run([this] { start_server(); });
}

void Cluster::reload() {
  std::lock_guard lock(m_mutex);
  if (!m_server) throw RuntimeFailure("the embedded server was stopped");
  m_server->reload();
}

bool Cluster::needs_restart(const Profile& from, const Profile& to) const {
  std::vector<std::string> names;
  for (const auto& setting : from.settings) names.push_back(setting.name);
  for (const auto& setting : to.settings) names.push_back(setting.name);
  for (const auto& name : names) {
    const SettingInfo* info = m_catalog.find(name);
    if (info == nullptr || info->context != "postmaster" || is_harness_setting(name)) continue;
    const ProfileSetting* before = from.find(name);
    const ProfileSetting* after = to.find(name);
    if (before == nullptr || after == nullptr) return true;
    const auto a = parse_value(*info, before->value);
    const auto b = parse_value(*info, after->value);
    if (!a.value || !b.value || !same_value(*info, *a.value, *b.value)) return true;
  }
  return false;
}

ApplyResult Cluster::apply_profile(const Profile& profile, OnMismatch on_mismatch) {
  validate_profile(profile, m_catalog);
  bool restarted = false;
  {
    std::lock_guard lock(m_mutex);
    if (!m_server) throw RuntimeFailure("the embedded server was stopped");
    const bool ssl = m_options.ssl || profile_wants_ssl(profile);
    if (ssl) ensure_certificate();
    const bool ssl_changed = ssl != m_ssl;
    m_ssl = ssl;
    write_profile_conf(profile);
    if (ssl_changed) write_harness_conf();
    if (needs_restart(m_profile, profile)) {
      if (!m_server->stop_fast(k_fast_stop_timeout)) m_server->stop_escalating();
      start_server();
      restarted = true;
    } else {
      m_server->reload();
    }
    m_profile = profile;
  }
  ApplyResult result = verify(profile);
  result.restarted = restarted;
  const bool pending = std::any_of(result.checks.begin(), result.checks.end(),
                                   [](const auto& c) { return c.note == "pending restart"; });
  if (pending && !restarted) {
    restart();
    result = verify(profile);
    result.restarted = true;
  }
  if (on_mismatch == OnMismatch::fail) throw_on_mismatch(profile, result);
  return result;
}

ApplyResult Cluster::verify(const Profile& profile) {
  // A reload is asynchronous: poll (new sessions see the postmaster's reloaded values) for a
  // bounded time before calling a difference a mismatch.
  const auto deadline = std::chrono::steady_clock::now() + k_reload_wait;
  ApplyResult result;
  for (;;) {
    auto session = pg::Session::connect(admin_conninfo());
    const auto errors = session.query(
        "SELECT coalesce(sourcefile, ''), coalesce(sourceline, 0), coalesce(name, ''), error "
        "FROM pg_file_settings WHERE error IS NOT NULL");
    if (!errors.rows.empty()) {
      const auto& row = errors.rows.front();
      throw RuntimeFailure(fmt::format("the server rejected its configuration: {}:{}: {} ({})",
                                       row[0].value_or(""), row[1].value_or(""),
                                       row[2].value_or(""), row[3].value_or("")));
    }
    result.checks = compare_settings(session, profile, m_catalog, ServerKind::embedded);
    if (result.all_match() || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(k_verify_poll_interval);
  }
  return result;
}

}  // namespace poolbench::cluster
