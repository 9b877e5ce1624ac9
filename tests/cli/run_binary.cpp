#include "cli/run_binary.hpp"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace poolbench::testing {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

ProcessResult run_process(const std::string& binary, const std::vector<std::string>& args,
                          const std::map<std::string, std::string>& env, const std::string& cwd) {
  char out_path[] = "/tmp/poolbench-test-out-XXXXXX";
  char err_path[] = "/tmp/poolbench-test-err-XXXXXX";
  const int out_fd = mkstemp(out_path);
  const int err_fd = mkstemp(err_path);
  if (out_fd < 0 || err_fd < 0) throw std::runtime_error("mkstemp failed");
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    const int null_fd = open("/dev/null", O_RDONLY);
    dup2(null_fd, STDIN_FILENO);
    dup2(out_fd, STDOUT_FILENO);
    dup2(err_fd, STDERR_FILENO);
    for (const auto& [key, value] : env) {
      if (value.empty()) {
        unsetenv(key.c_str());
      } else {
        setenv(key.c_str(), value.c_str(), 1);
      }
    }
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(binary.c_str()));
    for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  close(out_fd);
  close(err_fd);
  ProcessResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = read_file(out_path);
  result.err = read_file(err_path);
  std::remove(out_path);
  std::remove(err_path);
  return result;
}

ProcessResult validate_results_schema(const std::filesystem::path& results_json) {
  return validate_results_schema_part(results_json, "");
}

ProcessResult validate_results_schema_part(const std::filesystem::path& part_json,
                                           const std::string& definition) {
  // A definition is checked as a schema of its own, the others beside it for its $refs.
  return run_process(
      "/usr/bin/python3",
      {"-c",
       "import json,sys,jsonschema\n"
       "s=json.load(open(sys.argv[2])); part=s\n"
       "if sys.argv[3]:\n"
       "    part=s['definitions']\n"
       "    for key in sys.argv[3].split('/'): part=part[key]\n"
       "    part=dict(part, definitions=s['definitions'], **{'$schema': s['$schema']})\n"
       "jsonschema.validate(json.load(open(sys.argv[1])), part)",
       part_json.string(), std::string(POOLBENCH_SOURCE_DIR) + "/schemas/results.schema.json",
       definition});
}

}  // namespace poolbench::testing
