// Copyright onnxedge authors.
// `onnxedge run MODEL ...`: one inference on file or seeded random inputs; outputs as .npy.
#include <cmath>
#include <filesystem>
#include <iostream>
#include <limits>
#include <set>
#include <sstream>

#include "cli_util.h"
#include "npy.h"
#include "verbs.h"

namespace onnxedge::cli {

const char kRunUsage[] =
    R"(usage: onnxedge run MODEL [--input NAME=FILE ...] [--output-dir DIR] [--shape NAME=DIMS ...]
                         [--threads N] [--seed S]

Runs a model once and prints one line per output: name, element type, shape, and min/max/mean
of numeric tensors. Inputs are read from .npy files or ONNX TensorProto .pb files. Inputs not
given get seeded random data of their declared type and shape (floats uniform in [0, 1),
integers and bools 0 or 1). A symbolic or unknown dim takes its size from --shape, else from
another input with the same symbolic dim, else 1 (with a note on stderr).

options:
  --input NAME=FILE   read input NAME from FILE (.npy or .pb); repeatable. A model with a single
                      input also accepts --input FILE
  --output-dir DIR    write each output to DIR/NAME.npy (DIR is created if missing; '/', '\',
                      ':' and a leading '.' in names become '_'; sequence outputs are written
                      as NAME.0.npy, NAME.1.npy, ...; files appear complete or not at all)
  --shape NAME=DIMS   shape of a random input, e.g. --shape images=1x3x224x224; repeatable
  --level L           graph optimization: disabled, basic, extended, all (default all)
  --threads N         intra-op threads (default 0: every CPU this process may use)
  --seed S            seed of the random inputs (default 42)
  -h, --help          show this help
)";

namespace {

template <typename T>
void Accumulate(const Tensor& t, double* mn, double* mx, double* sum, int64_t* nan) {
  const T* p = t.data<T>();
  for (int64_t i = 0; i < t.size(); ++i) {
    double v;
    if constexpr (std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>) {
      v = static_cast<float>(p[i]);
    } else {
      v = static_cast<double>(p[i]);
    }
    if (std::isnan(v)) {
      ++*nan;
      continue;
    }
    *mn = std::min(*mn, v);
    *mx = std::max(*mx, v);
    *sum += v;
  }
}

// " min=.. max=.. mean=.." for numeric tensors with elements; "" otherwise.
std::string Stats(const Tensor& t) {
  if (t.size() == 0) return "";
  double mn = std::numeric_limits<double>::infinity(), mx = -mn, sum = 0;
  int64_t nan = 0;
  switch (t.dtype()) {
    case DataType::kFloat:
      Accumulate<float>(t, &mn, &mx, &sum, &nan);
      break;
    case DataType::kDouble:
      Accumulate<double>(t, &mn, &mx, &sum, &nan);
      break;
    case DataType::kFloat16:
      Accumulate<Float16>(t, &mn, &mx, &sum, &nan);
      break;
    case DataType::kBfloat16:
      Accumulate<BFloat16>(t, &mn, &mx, &sum, &nan);
      break;
    case DataType::kInt8:
      Accumulate<int8_t>(t, &mn, &mx, &sum, &nan);
      break;
    case DataType::kUint8:
      Accumulate<uint8_t>(t, &mn, &mx, &sum, &nan);
      break;
    case DataType::kInt16:
      Accumulate<int16_t>(t, &mn, &mx, &sum, &nan);
      break;
    case DataType::kUint16:
      Accumulate<uint16_t>(t, &mn, &mx, &sum, &nan);
      break;
    case DataType::kInt32:
      Accumulate<int32_t>(t, &mn, &mx, &sum, &nan);
      break;
    case DataType::kUint32:
      Accumulate<uint32_t>(t, &mn, &mx, &sum, &nan);
      break;
    case DataType::kInt64:
      Accumulate<int64_t>(t, &mn, &mx, &sum, &nan);
      break;
    case DataType::kUint64:
      Accumulate<uint64_t>(t, &mn, &mx, &sum, &nan);
      break;
    case DataType::kBool:
      Accumulate<bool>(t, &mn, &mx, &sum, &nan);
      break;
    default:
      return "";
  }
  std::ostringstream os;
  os.precision(6);
  if (nan < t.size()) {
    os << "  min=" << mn << " max=" << mx << " mean=" << sum / static_cast<double>(t.size() - nan);
  }
  if (nan) os << " nan=" << nan;
  return os.str();
}

}  // namespace

int RunMain(const std::vector<std::string>& args) {
  const std::string verb = "run";
  ArgParser p(verb, {{"--input", true, true},
                     {"--output-dir", true},
                     {"--shape", true, true},
                     {"--threads", true},
                     {"--level", true},
                     {"--seed", true}});
  if (Status st = p.Parse(args); !st.ok()) return ReportError(verb, st.message());
  if (p.help()) {
    std::cout << kRunUsage;
    return kExitOk;
  }
  if (p.positionals().size() != 1) {
    return ReportError(verb, "expected exactly one MODEL argument (see 'onnxedge run --help')");
  }
  const std::string path = p.positionals()[0];
  auto threads = p.GetInt("--threads", 0, 0, 4096);
  if (!threads.ok()) return ReportError(verb, threads.status().message());
  auto seed = p.GetInt("--seed", 42, 0, std::numeric_limits<int64_t>::max());
  if (!seed.ok()) return ReportError(verb, seed.status().message());
  const std::string out_dir = p.Get("--output-dir");
  if (p.Has("--output-dir") && out_dir.empty()) {
    return ReportError(verb, "flag '--output-dir' needs a folder name");
  }

  auto level = GetLevelFlag(p);
  if (!level.ok()) return ReportError(verb, level.status().message());
  auto session = LoadSession(path, static_cast<int>(*threads), nullptr, *level);
  if (!session.ok()) return ReportError(verb, session.status());
  InputOptions io;
  io.input_flags = p.GetAll("--input");
  io.shape_flags = p.GetAll("--shape");
  io.seed = static_cast<uint64_t>(*seed);
  auto feeds = PrepareInputs(**session, io, verb);
  if (!feeds.ok()) return ReportError(verb, feeds.status());
  auto outputs = (*session)->Run(*feeds);
  if (!outputs.ok()) return ReportError(verb, outputs.status().WithContext("'" + path + "'"));

  namespace fs = std::filesystem;
  if (!out_dir.empty()) {
    std::error_code ec;
    fs::create_directories(out_dir, ec);
    if (ec || !fs::is_directory(out_dir)) {
      return ReportError(
          verb, "cannot create output folder '" + out_dir + "'" + (ec ? ": " + ec.message() : ""));
    }
  }
  std::set<std::string> used;
  for (const auto& nv : *outputs) {
    std::string line = nv.name + "  " + DescribeValue(nv.value);
    if (nv.value.is_tensor()) line += Stats(nv.value.tensor());
    if (!out_dir.empty() && !nv.value.is_none()) {
      // Distinct outputs may sanitize to the same stem: keep every file.
      std::string stem = SanitizeName(nv.name);
      for (int k = 2; used.count(stem); ++k) stem = SanitizeName(nv.name) + "_" + std::to_string(k);
      used.insert(stem);
      std::vector<std::pair<std::string, const Tensor*>> files;
      if (nv.value.is_tensor()) {
        files.push_back({stem + ".npy", &nv.value.tensor()});
      } else {
        for (size_t i = 0; i < nv.value.sequence().size(); ++i) {
          files.push_back({stem + "." + std::to_string(i) + ".npy", &nv.value.sequence()[i]});
        }
      }
      for (const auto& [name, tensor] : files) {
        const std::string file = (fs::path(out_dir) / name).string();
        if (Status st = npy::Write(file, *tensor); !st.ok()) {
          return ReportError(verb, st.WithContext("output '" + nv.name + "'"));
        }
        if (tensor->dtype() == DataType::kBfloat16) {
          Note(verb, "output '" + nv.name + "' is bfloat16; '" + file + "' holds it as float32");
        }
      }
      line +=
          "  -> " +
          (fs::path(out_dir) / (nv.value.is_tensor() ? stem + ".npy" : stem + ".*.npy")).string();
    }
    std::cout << line << "\n";
  }
  std::cout.flush();
  return kExitOk;
}

}  // namespace onnxedge::cli
