#include "cli/cli.hpp"

int main(int argc, char** argv) {
  return poolbench::cli::run(argc, argv);
}
