// Copyright onnxedge authors.
// Operator versioning: which definition of an op applies at a given opset.
#pragma once

#include <string>
#include <vector>

namespace onnxedge::onnx_io {

/// Highest default-domain opset onnxedge accepts.
constexpr int kMaxOnnxOpset = 21;
/// Highest default-domain opset whose schemas Debian's libonnx (1.12) knows.
constexpr int kMaxSchemaOpset = 17;

/// The version in which the definition of `op_type` that applies at `opset` was introduced (its
/// "since version"), or -1 when no definition exists at or below `opset`. For opsets above
/// kMaxSchemaOpset this uses onnxedge's table of the changes made in ONNX opsets 18-21.
int ResolveSinceVersion(const std::string& domain, const std::string& op_type, int opset);

/// Versions of `op_type` introduced after kMaxSchemaOpset and up to `opset` (empty if the
/// definition did not change).
std::vector<int> NewerVersions(const std::string& op_type, int opset);

/// True when libonnx knows a schema for this op at this opset (used for function expansion).
bool HasSchema(const std::string& domain, const std::string& op_type, int opset);

}  // namespace onnxedge::onnx_io
