// Copyright onnxedge authors.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "ir/graph.h"
#include "onnxedge/session.h"
#include "runtime/allocator.h"
#include "runtime/graph_plan.h"
#include "runtime/memory_planner.h"
#include "runtime/thread_pool.h"

namespace onnxedge {

/// The implementation behind Session (also used directly by tools in this repository).
class SessionImpl {
 public:
  static StatusOr<std::unique_ptr<SessionImpl>> Create(ir::Model model,
                                                       const SessionOptions& options);

  StatusOr<std::vector<NamedValue>> Run(const std::vector<NamedValue>& inputs,
                                        const RunOptions& run_options,
                                        const std::vector<std::string>& output_names) const;

  Status RunInto(const std::vector<NamedValue>& inputs, std::vector<NamedValue>* outputs,
                 const RunOptions& run_options,
                 const std::vector<std::string>& output_names) const;

  const ir::Model& model() const { return model_; }
  const std::vector<IoInfo>& inputs() const { return inputs_; }
  const std::vector<IoInfo>& outputs() const { return outputs_; }
  const SessionOptions& options() const { return options_; }
  int intra_op_threads() const { return pool_->num_threads(); }
  const Allocator& allocator() const { return *allocator_; }
  MemoryInfo memory_info() const;

 private:
  SessionImpl() = default;
  Status ValidateInputs(const std::vector<NamedValue>& inputs, std::vector<Value>* bound) const;
  Status RunImpl(const std::vector<NamedValue>& inputs, const RunOptions& run_options,
                 const std::vector<std::string>& output_names, std::vector<NamedValue>* out,
                 bool reuse) const;
  /// Runs with `memory` and stores the requested outputs in `out` (reusing its elements' storage
  /// where they fit, see RunInto; `reuse` false: always fresh tensors, as Run returns them).
  Status RunWithMemory(const std::vector<Value>& bound, const RunOptions& run_options,
                       const std::vector<std::string>& output_names, RunMemory* memory,
                       std::vector<NamedValue>* out, bool reuse) const;
  /// Graph output index of each requested output (all outputs when `output_names` is empty).
  Status ResolveOutputs(const std::vector<std::string>& output_names,
                        std::vector<size_t>* indices) const;

  ir::Model model_;
  SessionOptions options_;
  std::shared_ptr<const GraphPlan> plan_;
  std::unique_ptr<ThreadPool> pool_;
  std::shared_ptr<Allocator> allocator_;
  std::unique_ptr<MemoryPlanner> planner_;
  uint64_t weight_bytes_ = 0;     ///< Held constants + prepacked copies (memory_info()).
  uint64_t prepacked_bytes_ = 0;
  std::unordered_map<std::string, size_t> input_index_;  ///< Graph input name -> index.
  std::vector<IoInfo> inputs_;   ///< Inputs the caller must or may feed.
  std::vector<IoInfo> outputs_;
  std::vector<bool> input_has_default_;  ///< Parallel to graph().inputs.
  /// Data pointers of every constant tensor: outputs aliasing them are copied before they are
  /// returned, so callers can never write into the session's weights.
  std::unordered_set<const void*> constant_data_;
};

/// Converts IR type information into the public IoInfo.
IoInfo MakeIoInfo(const ir::ValueInfo& vi);

}  // namespace onnxedge
