// Copyright onnxedge authors.
#include "cli_util.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>

#include "ir/graph.h"
#include "ir/onnx/tensor_proto.h"
#include "npy.h"
#include "runtime/session_impl.h"

namespace onnxedge::cli {

namespace fs = std::filesystem;

namespace {

std::string OneLine(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ", ") + n;
  return s.empty() ? "(none)" : s;
}

}  // namespace

int ReportError(const std::string& verb, const std::string& message) {
  std::cerr << "onnxedge" << (verb.empty() ? "" : " " + verb) << ": error: " << OneLine(message)
            << std::endl;
  return kExitError;
}

int ReportError(const std::string& verb, const Status& status) {
  return ReportError(verb, status.ToString());
}

void Note(const std::string& verb, const std::string& message) {
  std::cerr << "onnxedge" << (verb.empty() ? "" : " " + verb) << ": note: " << OneLine(message)
            << std::endl;
}

// --- ArgParser --------------------------------------------------------------------------------

ArgParser::ArgParser(std::string verb, std::vector<FlagSpec> flags)
    : verb_(std::move(verb)), flags_(std::move(flags)) {}

const FlagSpec* ArgParser::Find(const std::string& name) const {
  for (const auto& f : flags_) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

Status ArgParser::Parse(const std::vector<std::string>& args) {
  bool flags_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (flags_done || a.size() < 2 || a[0] != '-') {
      positionals_.push_back(a);
      continue;
    }
    if (a == "--") {
      flags_done = true;
      continue;
    }
    if (a == "--help" || a == "-h") {
      help_ = true;
      continue;
    }
    std::string name = a;
    std::optional<std::string> value;
    const size_t eq = a.find('=');
    if (a.rfind("--", 0) == 0 && eq != std::string::npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
    }
    const FlagSpec* spec = Find(name);
    if (!spec) {
      return MakeError(StatusCode::kInvalidArgument, "unknown flag '", name, "' (see 'onnxedge ",
                       verb_, " --help')");
    }
    if (!spec->takes_value) {
      if (value) {
        return MakeError(StatusCode::kInvalidArgument, "flag '", name, "' takes no value");
      }
      value = "";
    } else if (!value && spec->optional_value) {
      value = "";
    } else if (!value) {
      if (i + 1 >= args.size() || args[i + 1].rfind("--", 0) == 0) {
        return MakeError(StatusCode::kInvalidArgument, "flag '", name, "' needs a value");
      }
      value = args[++i];
    }
    auto& slot = values_[name];
    if (!slot.empty() && !spec->repeatable) {
      return MakeError(StatusCode::kInvalidArgument, "flag '", name, "' is given more than once");
    }
    slot.push_back(*value);
  }
  return Status::Ok();
}

std::string ArgParser::Get(const std::string& flag, const std::string& def) const {
  auto it = values_.find(flag);
  return it == values_.end() ? def : it->second.back();
}

std::vector<std::string> ArgParser::GetAll(const std::string& flag) const {
  auto it = values_.find(flag);
  return it == values_.end() ? std::vector<std::string>() : it->second;
}

StatusOr<int64_t> ArgParser::GetInt(const std::string& flag, int64_t def, int64_t min,
                                    int64_t max) const {
  if (!Has(flag)) return def;
  const std::string v = Get(flag);
  errno = 0;
  char* end = nullptr;
  const long long x = std::strtoll(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || errno == ERANGE || x < min || x > max) {
    return MakeError(StatusCode::kInvalidArgument, "flag '", flag, "': '", v,
                     "' is not an integer in [", min, ", ", max, "]");
  }
  return static_cast<int64_t>(x);
}

StatusOr<double> ArgParser::GetNonNegative(const std::string& flag, double def) const {
  if (!Has(flag)) return def;
  const std::string v = Get(flag);
  char* end = nullptr;
  const double x = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0' || !std::isfinite(x) || x < 0) {
    return MakeError(StatusCode::kInvalidArgument, "flag '", flag, "': '", v,
                     "' is not a non-negative number");
  }
  return x;
}

// --- JSON -------------------------------------------------------------------------------------

std::string JsonQuote(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(c);
        }
    }
  }
  return out + "\"";
}

std::string FormatNumber(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.9g", v);
  return buf;
}

void JsonWriter::Separate() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!first_.empty()) {
    if (!first_.back()) out_ += ",";
    first_.back() = false;
  }
}

JsonWriter& JsonWriter::BeginObject() {
  Separate();
  out_ += "{";
  first_.push_back(true);
  return *this;
}
JsonWriter& JsonWriter::EndObject() {
  out_ += "}";
  first_.pop_back();
  return *this;
}
JsonWriter& JsonWriter::BeginArray() {
  Separate();
  out_ += "[";
  first_.push_back(true);
  return *this;
}
JsonWriter& JsonWriter::EndArray() {
  out_ += "]";
  first_.pop_back();
  return *this;
}
JsonWriter& JsonWriter::Key(const std::string& key) {
  Separate();
  out_ += JsonQuote(key) + ":";
  after_key_ = true;
  return *this;
}
JsonWriter& JsonWriter::String(const std::string& v) {
  Separate();
  out_ += JsonQuote(v);
  return *this;
}
JsonWriter& JsonWriter::Number(double v) {
  Separate();
  out_ += FormatNumber(v);
  return *this;
}
JsonWriter& JsonWriter::Int(int64_t v) {
  Separate();
  out_ += std::to_string(v);
  return *this;
}
JsonWriter& JsonWriter::Bool(bool v) {
  Separate();
  out_ += v ? "true" : "false";
  return *this;
}
JsonWriter& JsonWriter::Null() {
  Separate();
  out_ += "null";
  return *this;
}

// --- Small helpers ----------------------------------------------------------------------------

StatusOr<Shape> ParseShape(const std::string& text, const std::string& what) {
  Shape shape;
  if (text.empty()) return shape;
  size_t start = 0;
  while (true) {
    const size_t x = text.find('x', start);
    const std::string part = text.substr(start, x == std::string::npos ? x : x - start);
    bool ok = !part.empty() && part.size() <= 15;
    for (char c : part) ok = ok && c >= '0' && c <= '9';
    if (!ok) {
      return MakeError(StatusCode::kInvalidArgument, what, ": '", text,
                       "' is not a shape like 1x3x224x224");
    }
    shape.push_back(std::stoll(part));
    if (x == std::string::npos) break;
    start = x + 1;
  }
  return shape;
}

std::string SanitizeName(const std::string& name) {
  std::string s = name;
  for (char& c : s) {
    if (c == '/' || c == '\\' || c == ':') c = '_';
  }
  if (s.empty() || s[0] == '.') s = "_" + s.substr(s.empty() ? 0 : 1);
  return s;
}

double PeakRssMiB() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) {
      const long long kib = std::atoll(line.c_str() + 6);
      return static_cast<double>(kib) / 1024.0;
    }
  }
  return -1;
}

StatusOr<Value> ReadValueFile(const std::string& path, const std::string& kind) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    return MakeError(StatusCode::kNotFound, "'", path, "' does not exist");
  }
  if (fs::is_directory(path, ec)) {
    return MakeError(StatusCode::kInvalidArgument, "'", path, "' is a folder, not a file");
  }
  const std::string ext = fs::path(path).extension().string();
  bool is_npy = ext == ".npy";
  if (ext != ".npy" && ext != ".pb") {
    std::ifstream in(path, std::ios::binary);
    char magic[6] = {};
    in.read(magic, sizeof(magic));
    is_npy = in.gcount() == 6 && std::memcmp(magic, "\x93NUMPY", 6) == 0;
  }
  if (is_npy) {
    if (kind == "sequence") {
      return MakeError(StatusCode::kInvalidArgument, "'", path,
                       "': a .npy file holds a tensor but a sequence is expected (use a "
                       "SequenceProto .pb file)");
    }
    OE_ASSIGN_OR_RETURN(Tensor t, npy::Read(path));
    return Value(std::move(t));
  }
  return onnx_io::ValueFromProtoFile(path, kind == "optional" || kind == "sequence" ? kind : "");
}

std::string DescribeValue(const Value& v) {
  if (v.is_none()) return "none";
  if (v.is_sequence()) {
    return "seq(" + std::string(DataTypeName(v.element_type())) + ")[" +
           std::to_string(v.sequence().size()) + "]";
  }
  const Tensor& t = v.tensor();
  return std::string(DataTypeName(t.dtype())) + ShapeToString(t.shape());
}

StatusOr<OptimizationLevel> GetLevelFlag(const ArgParser& parser) {
  const std::string v = parser.Get("--level", "all");
  if (v == "disabled") return OptimizationLevel::kDisabled;
  if (v == "basic") return OptimizationLevel::kBasic;
  if (v == "extended") return OptimizationLevel::kExtended;
  if (v == "all") return OptimizationLevel::kAll;
  return MakeError(StatusCode::kInvalidArgument, "--level must be disabled, basic, extended or ",
                   "all, got '", v, "'");
}

StatusOr<std::unique_ptr<Session>> LoadSession(const std::string& path, int threads,
                                               double* load_ms, OptimizationLevel level) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return MakeError(StatusCode::kNotFound, "'", path, "' does not exist");
  if (fs::is_directory(path, ec)) {
    return MakeError(StatusCode::kInvalidArgument, "'", path, "' is a folder, not a model file");
  }
  SessionOptions so;
  so.intra_op_threads = threads;
  so.optimization_level = level;
  const auto start = std::chrono::steady_clock::now();
  auto s = Session::Load(path, so);
  if (load_ms) {
    *load_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  }
  return s;
}

// --- Random inputs ------------------------------------------------------------------------------

namespace {

// SplitMix64: tiny, fast, and identical on every platform (unlike std:: distributions).
struct SplitMix64 {
  uint64_t state;
  uint64_t Next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  float NextFloat() { return static_cast<float>(Next() >> 40) * (1.0f / 16777216.0f); }
  double NextDouble() { return static_cast<double>(Next() >> 11) * (1.0 / 9007199254740992.0); }
};

template <typename T>
void FillBits(Tensor& t, SplitMix64& rng) {
  T* p = t.data<T>();
  for (int64_t i = 0; i < t.size(); ++i) p[i] = static_cast<T>(rng.Next() & 1);
}

}  // namespace

StatusOr<Tensor> RandomTensor(DataType type, const Shape& shape, uint64_t seed) {
  if (!IsSupportedDataType(type)) {
    return MakeError(StatusCode::kNotImplemented, "cannot generate random data of type ",
                     DataTypeName(type));
  }
  OE_ASSIGN_OR_RETURN(Tensor t, Tensor::Allocate(type, shape));
  SplitMix64 rng{seed};
  const int64_t n = t.size();
  switch (type) {
    case DataType::kFloat: {
      float* p = t.data<float>();
      for (int64_t i = 0; i < n; ++i) p[i] = rng.NextFloat();
      break;
    }
    case DataType::kDouble: {
      double* p = t.data<double>();
      for (int64_t i = 0; i < n; ++i) p[i] = rng.NextDouble();
      break;
    }
    case DataType::kFloat16: {
      Float16* p = t.data<Float16>();
      for (int64_t i = 0; i < n; ++i) p[i] = Float16(rng.NextFloat());
      break;
    }
    case DataType::kBfloat16: {
      BFloat16* p = t.data<BFloat16>();
      for (int64_t i = 0; i < n; ++i) p[i] = BFloat16(rng.NextFloat());
      break;
    }
    case DataType::kBool:
      FillBits<bool>(t, rng);
      break;
    case DataType::kInt8:
      FillBits<int8_t>(t, rng);
      break;
    case DataType::kUint8:
      FillBits<uint8_t>(t, rng);
      break;
    case DataType::kInt16:
      FillBits<int16_t>(t, rng);
      break;
    case DataType::kUint16:
      FillBits<uint16_t>(t, rng);
      break;
    case DataType::kInt32:
      FillBits<int32_t>(t, rng);
      break;
    case DataType::kUint32:
      FillBits<uint32_t>(t, rng);
      break;
    case DataType::kInt64:
      FillBits<int64_t>(t, rng);
      break;
    case DataType::kUint64:
      FillBits<uint64_t>(t, rng);
      break;
    default:
      break;  // Strings stay empty.
  }
  return t;
}

namespace {

// Splits "NAME=REST" where NAME must be one of `names`; tries every '=' so names and paths may
// both contain '='. Returns false when no prefix is a known name.
bool SplitNamed(const std::string& arg, const std::set<std::string>& names, std::string* name,
                std::string* rest) {
  for (size_t pos = arg.find('='); pos != std::string::npos; pos = arg.find('=', pos + 1)) {
    if (names.count(arg.substr(0, pos))) {
      *name = arg.substr(0, pos);
      *rest = arg.substr(pos + 1);
      return true;
    }
  }
  return false;
}

// {1,3,224} -> "1x3x224", the --shape syntax.
std::string DimsText(const Shape& shape) {
  std::string s;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += 'x';
    s += std::to_string(shape[i]);
  }
  return s;
}

const ir::TypeInfo* TensorTypeOf(const ir::TypeInfo& t) {
  const ir::TypeInfo* p = &t;
  if (p->kind == ir::TypeInfo::Kind::kOptional && p->elem) p = p->elem.get();
  return p->kind == ir::TypeInfo::Kind::kTensor ? p : nullptr;
}

}  // namespace

StatusOr<std::vector<NamedValue>> PrepareInputs(const Session& session, const InputOptions& opts,
                                                const std::string& verb) {
  const ir::Graph& graph = *session.impl().model().graph;
  std::set<std::string> all_names;  // Every graph input, including those with defaults.
  std::vector<std::string> required_names;
  for (const auto& vi : graph.inputs) all_names.insert(vi.name);
  for (const auto& io : session.inputs()) required_names.push_back(io.name);
  auto find_vi = [&](const std::string& name) -> const ir::ValueInfo* {
    for (const auto& vi : graph.inputs) {
      if (vi.name == name) return &vi;
    }
    return nullptr;
  };

  // --input NAME=FILE (or FILE alone for a single-input model).
  std::map<std::string, std::string> files;
  for (const auto& arg : opts.input_flags) {
    std::string name, path;
    if (!SplitNamed(arg, all_names, &name, &path)) {
      if (required_names.size() == 1 && arg.find('=') == std::string::npos) {
        name = required_names[0];
        path = arg;
      } else {
        return MakeError(StatusCode::kInvalidArgument, "--input '", arg,
                         "': expected NAME=FILE with NAME one of the model's inputs: ",
                         JoinNames(required_names));
      }
    }
    if (path.empty()) {
      return MakeError(StatusCode::kInvalidArgument, "--input '", arg, "': missing file name");
    }
    if (!files.emplace(name, path).second) {
      return MakeError(StatusCode::kInvalidArgument, "--input: input '", name,
                       "' is given more than once");
    }
  }
  // --shape NAME=DIMS.
  std::map<std::string, Shape> shapes;
  for (const auto& arg : opts.shape_flags) {
    std::string name, dims;
    if (!SplitNamed(arg, all_names, &name, &dims)) {
      return MakeError(StatusCode::kInvalidArgument, "--shape '", arg,
                       "': expected NAME=DIMS (e.g. 1x3x224x224) with NAME one of the model's "
                       "inputs: ",
                       JoinNames(required_names));
    }
    if (files.count(name)) {
      return MakeError(StatusCode::kInvalidArgument, "--shape '", arg, "': input '", name,
                       "' is read from a file by --input");
    }
    OE_ASSIGN_OR_RETURN(Shape s, ParseShape(dims, "--shape '" + arg + "'"));
    const ir::TypeInfo* t = TensorTypeOf(find_vi(name)->type);
    if (!t) {
      return MakeError(StatusCode::kInvalidArgument, "--shape '", arg, "': input '", name,
                       "' is not a tensor");
    }
    if (t->has_shape) {
      if (s.size() != t->dims.size()) {
        return MakeError(StatusCode::kInvalidArgument, "--shape '", arg, "': input '", name,
                         "' has rank ", t->dims.size(), " (", t->ToString(), ")");
      }
      for (size_t d = 0; d < s.size(); ++d) {
        if (t->dims[d].known() && t->dims[d].value != s[d]) {
          return MakeError(StatusCode::kInvalidArgument, "--shape '", arg, "': dim ", d,
                           " of input '", name, "' is fixed to ", t->dims[d].value, " (",
                           t->ToString(), ")");
        }
      }
    }
    if (!shapes.emplace(name, std::move(s)).second) {
      return MakeError(StatusCode::kInvalidArgument, "--shape: input '", name,
                       "' is given more than once");
    }
  }

  // Symbolic dims fixed by files and --shape, so random inputs sharing a symbol agree.
  std::map<std::string, int64_t> symbols;
  auto record_symbols = [&](const ir::TypeInfo* t, const Shape& s) {
    if (!t || !t->has_shape || t->dims.size() != s.size()) return;
    for (size_t d = 0; d < s.size(); ++d) {
      if (!t->dims[d].known() && !t->dims[d].symbol.empty())
        symbols.emplace(t->dims[d].symbol, s[d]);
    }
  };

  std::map<std::string, Value> values;
  for (const auto& vi : graph.inputs) {
    auto it = files.find(vi.name);
    if (it == files.end()) continue;
    std::string kind = "tensor";
    if (vi.type.kind == ir::TypeInfo::Kind::kSequence) kind = "sequence";
    if (vi.type.kind == ir::TypeInfo::Kind::kOptional) kind = "optional";
    auto v = ReadValueFile(it->second, kind);
    if (!v.ok()) return v.status();
    const ir::TypeInfo* t = TensorTypeOf(vi.type);
    if (t && v->is_tensor()) {
      const DataType got = v->tensor().dtype();
      if (t->elem_type != DataType::kUndefined && got != t->elem_type) {
        return MakeError(StatusCode::kInvalidArgument, "'", it->second, "': input '", vi.name,
                         "' expects ", DataTypeName(t->elem_type), " but the file holds ",
                         DataTypeName(got), ShapeToString(v->tensor().shape()));
      }
      const Shape& s = v->tensor().shape();
      if (t->has_shape) {
        bool fits = s.size() == t->dims.size();
        for (size_t d = 0; fits && d < s.size(); ++d) {
          fits = !t->dims[d].known() || t->dims[d].value == s[d];
        }
        if (!fits) {
          return MakeError(StatusCode::kInvalidArgument, "'", it->second, "': input '", vi.name,
                           "' expects ", t->ToString(), " but the file holds ", DataTypeName(got),
                           ShapeToString(s));
        }
      }
      record_symbols(t, s);
    }
    values[vi.name] = std::move(v).value();
  }
  for (const auto& [name, s] : shapes) record_symbols(TensorTypeOf(find_vi(name)->type), s);

  std::vector<NamedValue> feeds;
  uint64_t index = 0;
  for (const auto& vi : graph.inputs) {
    ++index;
    if (values.count(vi.name)) {
      feeds.push_back({vi.name, std::move(values[vi.name])});
      continue;
    }
    if (graph.initializers.count(vi.name)) continue;  // Has a default value.
    const ir::TypeInfo* t = TensorTypeOf(vi.type);
    if (!t) {
      return MakeError(StatusCode::kInvalidArgument, "input '", vi.name, "' is ",
                       vi.type.ToString(),
                       "; random data can only be made for tensors (give it "
                       "with --input ",
                       vi.name, "=FILE.pb)");
    }
    if (t->elem_type == DataType::kUndefined) {
      return MakeError(StatusCode::kInvalidArgument, "input '", vi.name,
                       "' declares no element type; give it with --input ", vi.name, "=FILE");
    }
    Shape shape;
    auto sit = shapes.find(vi.name);
    if (sit != shapes.end()) {
      shape = sit->second;
    } else if (!t->has_shape) {
      shape = {1};
      Note(verb, "input '" + vi.name + "' declares no shape; using [1] (set it with --shape " +
                     vi.name + "=DIMS)");
    } else {
      std::vector<std::string> defaulted;
      for (const auto& d : t->dims) {
        if (d.known()) {
          shape.push_back(d.value);
          continue;
        }
        auto sym = d.symbol.empty() ? symbols.end() : symbols.find(d.symbol);
        if (sym != symbols.end()) {
          shape.push_back(sym->second);
          continue;
        }
        shape.push_back(1);
        defaulted.push_back(d.symbol.empty() ? "?" : d.symbol);
        if (!d.symbol.empty()) symbols.emplace(d.symbol, 1);
      }
      if (!defaulted.empty()) {
        Note(verb, "input '" + vi.name + "' (" + t->ToString() + "): dim" +
                       (defaulted.size() > 1 ? "s " : " ") + JoinNames(defaulted) +
                       " not fixed; using 1 (set with --shape " + vi.name + "=" + DimsText(shape) +
                       ")");
      }
    }
    auto r = RandomTensor(t->elem_type, shape, opts.seed ^ (index * 0x9e3779b97f4a7c15ull));
    if (!r.ok()) return r.status().WithContext("input '" + vi.name + "'");
    feeds.push_back({vi.name, Value(std::move(r).value())});
  }
  return feeds;
}

}  // namespace onnxedge::cli
