// Copyright onnxedge authors.
// Entry points of the CLI verbs, one file each (tools/<verb>.cc). Each takes the arguments after
// the verb and returns the process exit code (see cli_util.h).
#pragma once

#include <string>
#include <vector>

namespace onnxedge::cli {

int InspectMain(const std::vector<std::string>& args);
int RunMain(const std::vector<std::string>& args);
int CheckMain(const std::vector<std::string>& args);
int BenchMain(const std::vector<std::string>& args);
int OptimizeMain(const std::vector<std::string>& args);

/// Usage text of each verb (printed by `onnxedge <verb> --help`).
extern const char kInspectUsage[];
extern const char kRunUsage[];
extern const char kCheckUsage[];
extern const char kBenchUsage[];
extern const char kOptimizeUsage[];

}  // namespace onnxedge::cli
