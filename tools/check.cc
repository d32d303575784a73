// Copyright onnxedge authors.
// `onnxedge check`: runs a model on stored inputs and compares with expected outputs. Prints one
// JSON line; exit 0 when everything matches, 1 on a mismatch, 2 on any error.
#include <algorithm>
#include <filesystem>
#include <iostream>

#include "cli_util.h"
#include "core/compare.h"
#include "verbs.h"

namespace onnxedge::cli {

const char kCheckUsage[] =
    R"(usage: onnxedge check DIR [--rtol R] [--atol A] [--threads N]
       onnxedge check MODEL --inputs DIR --expected DIR [--rtol R] [--atol A] [--threads N]

Runs a model on stored inputs and compares its outputs with expected values. Prints one JSON
line: {"match":true|false,"outputs":[{"name":..,"max_abs_error":..,"max_rel_error":..,
"match":..,...}],...}. Floats match when |got - expected| <= atol + rtol * |expected| (NaN
matches NaN); other types, shapes and element types must be equal.

The first form takes a folder in ONNX backend test layout: DIR/model.onnx and one or more
DIR/test_data_set_*/ holding input_<i>.pb and output_<i>.pb (the i-th model input / output;
.npy files are accepted too). In the second form each model input is read from --inputs DIR as
NAME.npy or NAME.pb (named as 'onnxedge run --output-dir' names files), else input_<i>.npy or
input_<i>.pb; expected outputs likewise from --expected DIR (NAME.* or output_<i>.*). Outputs
without an expected file are skipped; at least one must be compared.

options:
  --inputs DIR     folder of input files (second form)
  --expected DIR   folder of expected output files (second form)
  --rtol R         relative tolerance (default 1e-3)
  --atol A         absolute tolerance (default 1e-5)
  --level L           graph optimization: disabled, basic, extended, all (default all)
  --threads N      intra-op threads (default 0: every CPU this process may use)
  -h, --help       show this help

exit status: 0 all compared outputs match, 1 some output differs, 2 usage or input error.
)";

namespace {

namespace fs = std::filesystem;

// The first existing file among DIR/<stem>.npy, DIR/<stem>.pb for each stem; "" when none.
std::string FindFile(const fs::path& dir, const std::vector<std::string>& stems) {
  for (const auto& stem : stems) {
    for (const char* ext : {".npy", ".pb"}) {
      std::error_code ec;
      const fs::path p = dir / (stem + ext);
      if (fs::is_regular_file(p, ec)) return p.string();
    }
  }
  return "";
}

StatusOr<Value> ReadForIo(const std::string& path, const IoInfo& io, const char* role) {
  auto v = ReadValueFile(path, io.kind);
  if (!v.ok()) return v.status();
  if (v->is_tensor() && io.kind == "tensor" && io.dtype != DataType::kUndefined &&
      v->tensor().dtype() != io.dtype) {
    return MakeError(StatusCode::kInvalidArgument, "'", path, "': ", role, " '", io.name, "' is ",
                     DataTypeName(io.dtype), " but the file holds ",
                     DataTypeName(v->tensor().dtype()));
  }
  return v;
}

struct DataSet {
  std::string label;  // "test_data_set_0", or "" in the --inputs/--expected form.
  std::vector<NamedValue> feeds;
  std::vector<std::pair<size_t, Value>> expected;  // Output index -> value.
};

}  // namespace

int CheckMain(const std::vector<std::string>& args) {
  const std::string verb = "check";
  ArgParser p(verb, {{"--inputs", true},
                     {"--expected", true},
                     {"--rtol", true},
                     {"--atol", true},
                     {"--threads", true},
                     {"--level", true}});
  if (Status st = p.Parse(args); !st.ok()) return ReportError(verb, st.message());
  if (p.help()) {
    std::cout << kCheckUsage;
    return kExitOk;
  }
  if (p.positionals().size() != 1) {
    return ReportError(verb, "expected one DIR or MODEL argument (see 'onnxedge check --help')");
  }
  auto rtol = p.GetNonNegative("--rtol", 1e-3);
  if (!rtol.ok()) return ReportError(verb, rtol.status().message());
  auto atol = p.GetNonNegative("--atol", 1e-5);
  if (!atol.ok()) return ReportError(verb, atol.status().message());
  auto threads = p.GetInt("--threads", 0, 0, 4096);
  if (!threads.ok()) return ReportError(verb, threads.status().message());

  const std::string arg = p.positionals()[0];
  std::error_code ec;
  const bool case_dir = fs::is_directory(arg, ec);
  std::string model_path = arg;
  if (case_dir) {
    if (p.Has("--inputs") || p.Has("--expected")) {
      return ReportError(verb, "'" + arg +
                                   "' is a test-case folder; --inputs and --expected "
                                   "are only for the MODEL form");
    }
    model_path = (fs::path(arg) / "model.onnx").string();
    if (!fs::is_regular_file(model_path, ec)) {
      return ReportError(verb, "'" + arg + "' has no model.onnx (expected ONNX test-case layout)");
    }
  } else if (!p.Has("--inputs") || !p.Has("--expected")) {
    return ReportError(verb, "'" + arg +
                                 "' is not a folder; checking a model file needs "
                                 "--inputs DIR and --expected DIR");
  }

  auto level = GetLevelFlag(p);
  if (!level.ok()) return ReportError(verb, level.status().message());
  auto session = LoadSession(model_path, static_cast<int>(*threads), nullptr, *level);
  if (!session.ok()) return ReportError(verb, session.status());
  const auto& ins = (*session)->inputs();
  const auto& outs = (*session)->outputs();

  std::vector<DataSet> sets;
  if (case_dir) {
    std::vector<fs::path> dirs;
    for (const auto& e : fs::directory_iterator(arg, ec)) {
      if (e.is_directory() && e.path().filename().string().rfind("test_data_set_", 0) == 0) {
        dirs.push_back(e.path());
      }
    }
    std::sort(dirs.begin(), dirs.end());
    if (dirs.empty()) return ReportError(verb, "'" + arg + "' has no test_data_set_* folders");
    for (const auto& dir : dirs) {
      DataSet ds;
      ds.label = dir.filename().string();
      // Inputs are positional: input_<i> is the i-th input the caller must feed.
      for (size_t i = 0;; ++i) {
        const std::string f = FindFile(dir, {"input_" + std::to_string(i)});
        if (f.empty()) break;
        if (i >= ins.size()) {
          return ReportError(
              verb, "'" + f + "': the model has only " + std::to_string(ins.size()) + " inputs");
        }
        auto v = ReadForIo(f, ins[i], "input");
        if (!v.ok()) return ReportError(verb, v.status());
        ds.feeds.push_back({ins[i].name, std::move(v).value()});
      }
      for (size_t i = 0; i < outs.size(); ++i) {
        const std::string f = FindFile(dir, {"output_" + std::to_string(i)});
        if (f.empty()) continue;
        auto v = ReadForIo(f, outs[i], "output");
        if (!v.ok()) return ReportError(verb, v.status());
        ds.expected.push_back({i, std::move(v).value()});
      }
      sets.push_back(std::move(ds));
    }
  } else {
    const fs::path in_dir = p.Get("--inputs"), exp_dir = p.Get("--expected");
    for (const auto& d : {in_dir, exp_dir}) {
      if (!fs::is_directory(d, ec))
        return ReportError(verb, "'" + d.string() + "' is not a folder");
    }
    DataSet ds;
    for (size_t i = 0; i < ins.size(); ++i) {
      const std::string f =
          FindFile(in_dir, {SanitizeName(ins[i].name), "input_" + std::to_string(i)});
      if (f.empty()) {
        return ReportError(verb, "no file for input '" + ins[i].name + "' in '" + in_dir.string() +
                                     "' (looked for " + SanitizeName(ins[i].name) +
                                     ".npy/.pb and input_" + std::to_string(i) + ".npy/.pb)");
      }
      auto v = ReadForIo(f, ins[i], "input");
      if (!v.ok()) return ReportError(verb, v.status());
      ds.feeds.push_back({ins[i].name, std::move(v).value()});
    }
    for (size_t i = 0; i < outs.size(); ++i) {
      const std::string f =
          FindFile(exp_dir, {SanitizeName(outs[i].name), "output_" + std::to_string(i)});
      if (f.empty()) continue;
      auto v = ReadForIo(f, outs[i], "output");
      if (!v.ok()) return ReportError(verb, v.status());
      ds.expected.push_back({i, std::move(v).value()});
    }
    sets.push_back(std::move(ds));
  }

  size_t compared = 0;
  for (const auto& ds : sets) compared += ds.expected.size();
  if (compared == 0) return ReportError(verb, "no expected output files found");

  struct Entry {
    std::string name, label;
    CompareResult result;
  };
  std::vector<Entry> entries;
  bool all_match = true;
  for (const auto& ds : sets) {
    auto got = (*session)->Run(ds.feeds);
    if (!got.ok()) {
      return ReportError(verb,
                         got.status().WithContext("'" + model_path + "'" +
                                                  (ds.label.empty() ? "" : " (" + ds.label + ")")));
    }
    for (const auto& [i, expected] : ds.expected) {
      entries.push_back(
          {outs[i].name, ds.label, CompareValues((*got)[i].value, expected, *rtol, *atol)});
      all_match = all_match && entries.back().result.match;
    }
  }

  JsonWriter w;
  w.BeginObject().Key("match").Bool(all_match);
  w.Key("outputs").BeginArray();
  for (const auto& e : entries) {
    w.BeginObject().Key("name").String(e.name);
    if (!e.label.empty()) w.Key("data_set").String(e.label);
    w.Key("max_abs_error").Number(e.result.max_abs_error);
    w.Key("max_rel_error").Number(e.result.max_rel_error);
    w.Key("match").Bool(e.result.match);
    w.Key("mismatches").Int(e.result.mismatches);
    if (!e.result.match) w.Key("message").String(e.result.message);
    w.EndObject();
  }
  w.EndArray();
  w.Key("model").String(model_path);
  w.Key("data_sets").Int(static_cast<int64_t>(sets.size()));
  w.Key("rtol").Number(*rtol);
  w.Key("atol").Number(*atol);
  w.EndObject();
  std::cout << w.str() << std::endl;
  return all_match ? kExitOk : kExitMismatch;
}

}  // namespace onnxedge::cli
