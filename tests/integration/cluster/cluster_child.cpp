// A child process for the leak tests: starts an embedded cluster, prints
// "<postmaster pid> <data dir>" on one line, then, by mode:
//   exit  - returns normally        (exit 0)
//   throw - throws out of main's try (exit 3)
//   wait  - waits for SIGINT/SIGTERM (exit 130), or for SIGKILL
#include <cstring>
#include <iostream>
#include <thread>

#include <unistd.h>

#include "cluster/cluster.hpp"
#include "cluster/signals.hpp"

int main(int argc, char** argv) {
  using namespace poolbench;
  const std::string mode = argc > 1 ? argv[1] : "wait";
  cluster::InterruptGuard guard;
  try {
    cluster::Cluster server;
    std::cout << server.postmaster_pid() << ' ' << server.data_dir().string() << std::endl;
    if (mode == "throw") throw RuntimeFailure("thrown on purpose");
    if (mode == "wait") {
      while (!guard.interrupted()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
      return 130;
    }
    return 0;
  } catch (const Error& e) {
    std::cerr << e.what() << std::endl;
    return guard.interrupted() ? 130 : 3;
  }
}
