// Copyright onnxedge authors.
// Helpers shared by the verbs of the onnxedge CLI: flag parsing, one-line error reporting,
// JSON output, reading tensors from .npy / .pb files, seeded random inputs and writing outputs.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "onnxedge/session.h"
#include "onnxedge/status.h"
#include "onnxedge/tensor.h"
#include "onnxedge/value.h"

namespace onnxedge::cli {

/// Exit codes of every verb (documented in `onnxedge --help`).
constexpr int kExitOk = 0;
constexpr int kExitMismatch = 1;  ///< `check`: outputs differ from the expected values.
constexpr int kExitError = 2;     ///< Usage error, bad model or input file, failed run.

/// Prints "onnxedge <verb>: error: <message>" as one line on stderr (newlines in the message
/// are flattened) and returns kExitError.
int ReportError(const std::string& verb, const std::string& message);
int ReportError(const std::string& verb, const Status& status);
/// Prints "onnxedge <verb>: note: <message>" on stderr.
void Note(const std::string& verb, const std::string& message);

/// A flag a verb accepts.
struct FlagSpec {
  std::string name;  ///< With the dashes: "--threads".
  bool takes_value = false;
  bool repeatable = false;
  /// With takes_value: the value may be omitted; only "--flag=value" gives one, a bare "--flag"
  /// has the value "" and never takes the next argument.
  bool optional_value = false;
};

/// Parses "--flag value", "--flag=value", positionals and "--" (end of flags). `--help` / `-h`
/// set help(). Errors (unknown flag, missing value, flag given twice) name the argument.
class ArgParser {
 public:
  ArgParser(std::string verb, std::vector<FlagSpec> flags);

  Status Parse(const std::vector<std::string>& args);

  bool help() const { return help_; }
  const std::vector<std::string>& positionals() const { return positionals_; }
  bool Has(const std::string& flag) const { return values_.count(flag) > 0; }
  /// The flag's (last) value, or `def` when absent.
  std::string Get(const std::string& flag, const std::string& def = "") const;
  /// Every value of a repeatable flag, in order.
  std::vector<std::string> GetAll(const std::string& flag) const;
  /// Integer flag in [min, max]; the error names the flag and the bad value.
  StatusOr<int64_t> GetInt(const std::string& flag, int64_t def, int64_t min, int64_t max) const;
  /// Non-negative finite number.
  StatusOr<double> GetNonNegative(const std::string& flag, double def) const;

 private:
  const FlagSpec* Find(const std::string& name) const;
  std::string verb_;
  std::vector<FlagSpec> flags_;
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positionals_;
  bool help_ = false;
};

/// Builds compact one-line JSON. Keys keep insertion order; non-finite numbers become null.
class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(const std::string& key);
  JsonWriter& String(const std::string& v);
  JsonWriter& Number(double v);
  JsonWriter& Int(int64_t v);
  JsonWriter& Bool(bool v);
  JsonWriter& Null();
  const std::string& str() const { return out_; }

 private:
  void Separate();
  std::string out_;
  std::vector<bool> first_;  ///< Per open container: no element written yet.
  bool after_key_ = false;
};

/// JSON string literal with escapes.
std::string JsonQuote(const std::string& s);
/// Shortest round-trippable-enough text for a double ("%.9g"); "null" if not finite.
std::string FormatNumber(double v);

/// "1x3x224x224" -> {1,3,224,224}; "" -> {} (a scalar). Error names `what`.
StatusOr<Shape> ParseShape(const std::string& text, const std::string& what);
/// Output name -> file name stem: '/', '\\' and ':' become '_'; a leading '.' is replaced too so
/// no name can escape the folder or create a hidden file.
std::string SanitizeName(const std::string& name);
/// Peak resident set size of this process in MiB (VmHWM), or -1 when unknown.
double PeakRssMiB();

/// Reads one value from a .npy file or an ONNX TensorProto / SequenceProto / OptionalProto .pb
/// file (chosen by extension; other extensions are sniffed). `kind` is the model's declared kind
/// ("tensor", "sequence", "optional") used for .pb files.
StatusOr<Value> ReadValueFile(const std::string& path, const std::string& kind);

/// Options for building the inputs of one run.
struct InputOptions {
  std::vector<std::string> input_flags;  ///< "--input" values: NAME=FILE or FILE.
  std::vector<std::string> shape_flags;  ///< "--shape" values: NAME=1x3x224x224.
  uint64_t seed = 42;
};

/// Builds the feeds of `session`: files named by --input, seeded random data for the rest.
/// Dims of random inputs come from --shape, else the declared dims; symbolic dims take the size
/// that another input already fixed for the same symbol, else 1 (with a note on stderr).
StatusOr<std::vector<NamedValue>> PrepareInputs(const Session& session, const InputOptions& opts,
                                                const std::string& verb);

/// Seeded random tensor: floats uniform in [0, 1), integers 0 or 1 (valid as indices and
/// masks), bools random, strings empty. Deterministic for a given seed on every platform.
StatusOr<Tensor> RandomTensor(DataType type, const Shape& shape, uint64_t seed);

/// "float32[1,3]", "seq(float32)[2]", "none".
std::string DescribeValue(const Value& v);

/// Loads a model as a Session with the given thread count, timing the load. Errors name the file.
StatusOr<std::unique_ptr<Session>> LoadSession(
    const std::string& path, int threads, double* load_ms = nullptr,
    OptimizationLevel level = OptimizationLevel::kAll);

/// The value of `--level` (disabled, basic, extended, all; default all).
StatusOr<OptimizationLevel> GetLevelFlag(const ArgParser& parser);

}  // namespace onnxedge::cli
