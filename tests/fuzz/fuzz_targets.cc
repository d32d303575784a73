// Copyright onnxedge authors.
#include "fuzz/fuzz_targets.h"

#include "ir/onnx/loader.h"
#include "runtime/kernel.h"
#include "runtime/session_impl.h"

namespace onnxedge::fuzz {

namespace {

// Tight limits keep every run small: a fuzzer input that asks for more must be refused, and
// libFuzzer's own -rss_limit_mb / -malloc_limit_mb catch any allocation that slips past them.
constexpr int64_t kMaxElements = int64_t{1} << 22;
constexpr uint64_t kMemoryLimit = uint64_t{64} << 20;

onnx_io::LoadOptions Options() {
  onnx_io::LoadOptions lo;
  lo.max_tensor_elements = kMaxElements;
  lo.memory_limit_bytes = kMemoryLimit;
  // An input under 8 KB that expands to 65,536 nodes spends over 10 s in the optimizer under
  // ASan (found as a libFuzzer timeout): a legitimate cost for a model that size, not a hang,
  // so the fuzz targets cap expansion well below the default 2^20.
  lo.max_expanded_nodes = 4096;
  lo.log_level = LogLevel::kFatal;
  // No base folder: external data is refused (the fuzzer must not read arbitrary files).
  return lo;
}

}  // namespace

void LoadModelBytes(const uint8_t* data, size_t size) {
  onnx_io::LoadOptions lo = Options();
  lo.infer_shapes = false;
  lo.has_kernel = [](const std::string& domain, const std::string& op, int opset) {
    return OpRegistry::Get().Find(domain, op, opset) != nullptr;
  };
  auto model = onnx_io::LoadModelFromBuffer(data, size, lo);
  (void)model;
}

void InferAndCreateSession(const uint8_t* data, size_t size) {
  onnx_io::LoadOptions lo = Options();
  lo.infer_shapes = true;
  lo.has_kernel = [](const std::string& domain, const std::string& op, int opset) {
    return OpRegistry::Get().Find(domain, op, opset) != nullptr;
  };
  auto model = onnx_io::LoadModelFromBuffer(data, size, lo);
  if (!model.ok()) return;
  SessionOptions so;
  so.intra_op_threads = 1;
  so.memory_limit_bytes = kMemoryLimit;
  so.max_tensor_elements = kMaxElements;
  so.log_level = LogLevel::kFatal;
  auto session = SessionImpl::Create(std::move(model).value(), so);
  (void)session;
}

}  // namespace onnxedge::fuzz
