// Copyright onnxedge authors.
// Session: a loaded, immutable model that can be run from many threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "onnxedge/options.h"
#include "onnxedge/status.h"
#include "onnxedge/tensor.h"
#include "onnxedge/value.h"

namespace onnxedge {

/// One dimension of a declared input or output: a fixed size, a symbol such as "batch", or
/// unknown (value -1 and empty symbol).
struct DimInfo {
  int64_t value = -1;
  std::string symbol;
};

/// The declared type of a graph input or output.
struct IoInfo {
  std::string name;
  /// "tensor", "sequence", "optional" or "unknown".
  std::string kind = "tensor";
  DataType dtype = DataType::kUndefined;
  /// False when the model declares no shape (any rank is accepted).
  bool has_shape = false;
  std::vector<DimInfo> dims;
};

/// Memory use of a session. See docs/architecture.md (Memory).
struct MemoryInfo {
  /// Bytes of the model's weights as the session holds them: the initializers and Constant
  /// nodes it keeps, plus the kernels' prepared copies (packed GEMM panels, Winograd-transformed
  /// convolution weights, which can be larger than the original). An initializer whose every
  /// reader prepacked it is held only in its prepared form.
  uint64_t weight_bytes = 0;
  /// The prepared copies' part of weight_bytes.
  uint64_t prepacked_weight_bytes = 0;
  /// Size of the arena planned for the input shapes of the last run (0 before the first run):
  /// every intermediate tensor and scratch buffer of such a run lives in it.
  uint64_t planned_arena_bytes = 0;
  /// Bytes of all arenas held now (one per input-shape signature and concurrent run).
  uint64_t arena_bytes = 0;
  /// Highest weights + arenas + heap tensors seen at once.
  uint64_t peak_bytes = 0;
  /// Input-shape signatures with a plan.
  uint64_t signatures = 0;
  /// Runs that recorded a plan (first run per signature) and runs that followed one.
  uint64_t recorded_runs = 0;
  uint64_t planned_runs = 0;
  /// Tensors allocated from arenas and from the heap (outputs, recording runs, misses).
  uint64_t arena_allocations = 0;
  uint64_t heap_allocations = 0;
  /// Allocations of planned runs that did not match the plan and went to the heap.
  uint64_t pattern_misses = 0;
};

class SessionImpl;

/// A model ready to run. Create with Session::Load; `Run` is thread-safe.
///
/// ```
/// auto session = onnxedge::Session::Load("model.onnx");
/// if (!session.ok()) { std::cerr << session.status().ToString() << "\n"; return 1; }
/// auto input = onnxedge::Tensor::Borrow(DataType::kFloat, {1, 3, 224, 224}, buf, bytes);
/// auto outputs = (*session)->Run({{"input", *input}});
/// ```
class Session {
 public:
  /// Loads a model from a file. External data is resolved relative to the file's folder.
  static StatusOr<std::unique_ptr<Session>> Load(const std::string& path,
                                                 const SessionOptions& options = {});
  /// Loads a model from serialized bytes. `base_dir` is where external data lives (empty: the
  /// model may not use external data).
  static StatusOr<std::unique_ptr<Session>> LoadFromBuffer(const void* data, size_t size,
                                                           const SessionOptions& options = {},
                                                           const std::string& base_dir = "");
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  /// Runs the model. `inputs` are matched to graph inputs by name; tensors are used in place
  /// (not copied) and must stay alive and unchanged until Run returns. Returns every graph output
  /// in declaration order, or only those in `output_names` when it is not empty.
  StatusOr<std::vector<NamedValue>> Run(const std::vector<NamedValue>& inputs,
                                        const RunOptions& run_options = {},
                                        const std::vector<std::string>& output_names = {}) const;

  /// Runs the model into `outputs`, reusing their storage: the allocation-free form of Run for
  /// callers that run the same input shapes repeatedly. On return `outputs` holds the graph
  /// outputs as Run returns them (declaration order, or `output_names`). On entry, element k
  /// is reused when its tensor has output k's element type and shape and either is a Borrow()ed
  /// buffer or owns its storage alone (no other tensor shares it, so nobody else sees the
  /// write): the result is computed into it, or copied there. Other elements are replaced by
  /// new tensors. Passing back the vector of the previous call, a steady-state run (same input
  /// shapes, after the memory planner's first two runs of them) performs no heap allocation.
  /// On error the contents of `outputs` are unspecified.
  Status RunInto(const std::vector<NamedValue>& inputs, std::vector<NamedValue>* outputs,
                 const RunOptions& run_options = {},
                 const std::vector<std::string>& output_names = {}) const;

  /// Graph inputs the caller must feed (initializers that are also inputs are excluded).
  const std::vector<IoInfo>& inputs() const;
  /// Graph outputs.
  const std::vector<IoInfo>& outputs() const;
  /// Threads used for intra-op parallelism.
  int intra_op_threads() const;
  /// Memory use: weights, planned arena, counters of the memory planner.
  MemoryInfo memory_info() const;
  /// Internal implementation (for tools inside this repository).
  const SessionImpl& impl() const { return *impl_; }

 private:
  explicit Session(std::unique_ptr<SessionImpl> impl);
  std::unique_ptr<SessionImpl> impl_;
};

/// The onnxedge version string, such as "0.1.0".
const char* Version();

/// Number of CPUs this process may use: the affinity mask, limited by a cgroup CPU quota.
int AvailableCpuCount();

}  // namespace onnxedge
