// Copyright onnxedge authors.
// libFuzzer target: untrusted bytes -> loader with ONNX type/shape inference and function
// expansion -> session creation (kernel attribute checks).
#include "fuzz/fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  onnxedge::fuzz::InferAndCreateSession(data, size);
  return 0;
}
