// Copyright onnxedge authors.
#include "ir/onnx/opset.h"

#include <algorithm>
#include <map>

#include "onnx/defs/schema.h"

namespace onnxedge::onnx_io {

namespace {

// Default-domain operators whose definition changed (or that were added) in opsets 18-21, from
// the ONNX changelog (ONNX 1.13-1.16). Debian's libonnx 1.12 stops at opset 17, so without this
// table a model at opset 21 could silently get the opset-17 meaning of an op.
const std::map<std::string, std::vector<int>>& PostSchemaChanges() {
  static const auto* table = new std::map<std::string, std::vector<int>>{
      {"AffineGrid", {20}},
      {"AveragePool", {19}},
      {"BitwiseAnd", {18}},
      {"BitwiseNot", {18}},
      {"BitwiseOr", {18}},
      {"BitwiseXor", {18}},
      {"Cast", {19, 21}},
      {"CastLike", {19, 21}},
      {"CenterCropPad", {18}},
      {"Col2Im", {18}},
      {"Constant", {19, 21}},
      {"ConstantOfShape", {20, 21}},
      {"DFT", {20}},
      {"DeformConv", {19}},
      {"DequantizeLinear", {19, 21}},
      {"Equal", {19}},
      {"Flatten", {21}},
      {"Gelu", {20}},
      {"GridSample", {20}},
      {"GroupNormalization", {18, 21}},
      {"Identity", {19, 21}},
      {"If", {19, 21}},
      {"ImageDecoder", {20}},
      {"IsInf", {20}},
      {"IsNaN", {20}},
      {"Loop", {19, 21}},
      {"LpPool", {18}},
      {"Mish", {18}},
      {"OptionalGetElement", {18}},
      {"OptionalHasElement", {18}},
      {"Pad", {18, 19, 21}},
      {"QLinearMatMul", {21}},
      {"QuantizeLinear", {19, 21}},
      {"ReduceL1", {18}},
      {"ReduceL2", {18}},
      {"ReduceLogSum", {18}},
      {"ReduceLogSumExp", {18}},
      {"ReduceMax", {18, 20}},
      {"ReduceMean", {18}},
      {"ReduceMin", {18, 20}},
      {"ReduceProd", {18}},
      {"ReduceSumSquare", {18}},
      {"RegexFullMatch", {20}},
      {"Reshape", {19, 21}},
      {"Resize", {18, 19}},
      {"Scan", {19, 21}},
      {"ScatterElements", {18}},
      {"ScatterND", {18}},
      {"Shape", {19, 21}},
      {"Size", {19, 21}},
      {"Split", {18}},
      {"Squeeze", {21}},
      {"StringConcat", {20}},
      {"StringSplit", {20}},
      {"Transpose", {21}},
      {"Unsqueeze", {21}},
  };
  return *table;
}

}  // namespace

std::vector<int> NewerVersions(const std::string& op_type, int opset) {
  std::vector<int> out;
  const auto& table = PostSchemaChanges();
  auto it = table.find(op_type);
  if (it == table.end()) return out;
  for (int v : it->second) {
    if (v > kMaxSchemaOpset && v <= opset) out.push_back(v);
  }
  return out;
}

int ResolveSinceVersion(const std::string& domain, const std::string& op_type, int opset) {
  if (domain.empty() || domain == "ai.onnx") {
    auto newer = NewerVersions(op_type, opset);
    if (!newer.empty()) return newer.back();
  }
  const auto* schema = ::onnx::OpSchemaRegistry::Schema(
      op_type, std::min(opset, domain.empty() ? kMaxSchemaOpset : opset), domain);
  if (schema == nullptr) return -1;
  return schema->since_version();
}

bool HasSchema(const std::string& domain, const std::string& op_type, int opset) {
  return ::onnx::OpSchemaRegistry::Schema(op_type, opset, domain) != nullptr;
}

}  // namespace onnxedge::onnx_io
