// Copyright onnxedge authors.
// libFuzzer target: untrusted bytes -> model loader (no ONNX shape inference).
#include "fuzz/fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  onnxedge::fuzz::LoadModelBytes(data, size);
  return 0;
}
