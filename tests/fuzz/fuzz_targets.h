// Copyright onnxedge authors.
// Entry points shared by the libFuzzer targets and the unit test that replays the committed
// regression inputs (tests/fuzz/regressions/<target>/), so a crash found once stays fixed in
// every build, not only in the clang fuzz build.
#pragma once

#include <cstddef>
#include <cstdint>

namespace onnxedge::fuzz {

/// Parses and converts untrusted bytes as a model: header, tensors, external data refusals,
/// topological sort, function expansion, schema checks. No ONNX shape inference.
void LoadModelBytes(const uint8_t* data, size_t size);

/// Loads like a session does (ONNX type and shape inference on the loaded graph, function
/// expansion), then creates the session (kernels validate attributes and constant inputs).
void InferAndCreateSession(const uint8_t* data, size_t size);

}  // namespace onnxedge::fuzz
