// Copyright onnxedge authors.
// onnxedge command-line entry point (placeholder until the CLI lands).
#include <iostream>

#include "onnxedge/session.h"

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "--version") {
    std::cout << "onnxedge " << onnxedge::Version() << "\n";
    return 0;
  }
  std::cerr << "usage: onnxedge --version\n";
  return 2;
}
