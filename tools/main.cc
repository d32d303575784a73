// Copyright onnxedge authors.
// onnxedge command-line tool: dispatches to one verb per file (inspect, run, check, bench,
// optimize).
// Every failure ends as one line on stderr and exit code 2; nothing escapes as a crash.
#include <exception>
#include <iostream>
#include <new>
#include <string>
#include <vector>

#include "cli_util.h"
#include "onnxedge/session.h"
#include "verbs.h"

namespace {

const char kUsage[] =
    R"(usage: onnxedge <command> [options]
       onnxedge --version | --help

commands:
  inspect MODEL [--json]
        IR version, opsets, producer, inputs/outputs, op histogram, parameters, unsupported ops
  run MODEL [--input NAME=FILE ...] [--output-dir DIR] [--shape NAME=DIMS ...] [--threads N]
            [--seed S]
        run once on .npy/.pb inputs or seeded random data; write outputs as DIR/NAME.npy
  check DIR | check MODEL --inputs DIR --expected DIR [--rtol R] [--atol A] [--threads N]
        run on stored inputs and compare with expected outputs; prints one JSON line
  bench MODEL [--iterations K] [--warmup W] [--threads N] [--shape NAME=DIMS ...] [--json]
        load time, first run, latency percentiles, throughput, peak memory
  optimize IN OUT [--level L] [--disable-pass NAME ...] [--enable-pass NAME ...]
                  [--dump-after PASS] [--json] [--external-data[=FILE]]
                  [--external-data-threshold BYTES]
        optimize a model offline and save it as ONNX; prints statistics per pass

Run 'onnxedge <command> --help' for the details of a command.

exit status:
  0  success
  1  check: some output does not match the expected values
  2  usage error (unknown command or flag, missing value), or a bad model, input file or run
)";

int Dispatch(int argc, char** argv) {
  using namespace onnxedge::cli;
  if (argc < 2) {
    std::cerr << kUsage;
    return kExitError;
  }
  const std::string cmd = argv[1];
  const std::vector<std::string> args(argv + 2, argv + argc);
  if (cmd == "--version" || cmd == "version") {
    std::cout << "onnxedge " << onnxedge::Version() << "\n";
    return kExitOk;
  }
  if (cmd == "--help" || cmd == "-h" || cmd == "help") {
    if (cmd == "help" && !args.empty()) {
      // `onnxedge help run` == `onnxedge run --help`.
      const std::vector<std::string> help_args = {"--help"};
      if (args[0] == "inspect") return InspectMain(help_args);
      if (args[0] == "run") return RunMain(help_args);
      if (args[0] == "check") return CheckMain(help_args);
      if (args[0] == "bench") return BenchMain(help_args);
      if (args[0] == "optimize") return OptimizeMain(help_args);
      return ReportError("", "unknown command '" + args[0] + "' (see 'onnxedge --help')");
    }
    std::cout << kUsage;
    return kExitOk;
  }
  if (cmd == "inspect") return InspectMain(args);
  if (cmd == "run") return RunMain(args);
  if (cmd == "check") return CheckMain(args);
  if (cmd == "bench") return BenchMain(args);
  if (cmd == "optimize") return OptimizeMain(args);
  if (!cmd.empty() && cmd[0] == '-') {
    return ReportError("", "unknown flag '" + cmd + "' (see 'onnxedge --help')");
  }
  return ReportError("", "unknown command '" + cmd + "' (see 'onnxedge --help')");
}

}  // namespace

int main(int argc, char** argv) {
  // The library reports errors as Status; this is a last line of defence so that even an
  // unexpected exception ends as one line and exit code 2, never as a terminate() trace.
  try {
    return Dispatch(argc, argv);
  } catch (const std::bad_alloc&) {
    return onnxedge::cli::ReportError("", "out of memory");
  } catch (const std::exception& e) {
    return onnxedge::cli::ReportError("", std::string("internal error: ") + e.what());
  } catch (...) {
    return onnxedge::cli::ReportError("", "internal error: unknown exception");
  }
}
