// Copyright onnxedge authors.
// The kernel interface every op implements, and the registry that finds kernels.
//
// Life cycle of a kernel:
//   Create (once per session, from KernelInfo): validate attributes, read constant inputs,
//     prepack weights. All attribute errors surface here, before any run.
//   Run (per call, const, thread-safe): read inputs, compute output shapes, request outputs
//     from the context (AllocateOutput: the hook where the memory planner hands out arena
//     memory), compute. Runs of one kernel may happen concurrently from several threads.
// Outputs and scratch are zero-filled unless the kernel passes Fill::kNone, which it may do only
// when it writes every element (then the memset is saved, and output 0 may reuse a dead input's
// buffer in place). Uninitialized memory is filled with 0xFF bytes when
// ONNXEDGE_POISON_UNINITIALIZED=1, to catch kernels that claim kNone wrongly.
// Output shapes are computed inside Run because many ONNX ops (Reshape, Slice, NonZero, Range,
// ...) derive them from input values; the planner records allocation patterns per input-shape
// signature instead of requiring a separate reshape pass.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "ir/graph.h"
#include "onnxedge/options.h"
#include "onnxedge/status.h"
#include "onnxedge/tensor.h"
#include "onnxedge/value.h"

namespace onnxedge {

class ThreadPool;
class GraphPlan;
class RunMemory;
struct Frame;

/// How AllocateOutput / AllocateTemp initialise the memory they return.
enum class Fill : uint8_t {
  kNone,  ///< Uninitialized: the kernel writes every element.
  kZero,  ///< Zero-filled (string tensors always hold empty strings).
};

/// Construction-time view of a node: attributes, constant inputs, static types, subgraphs.
class KernelInfo {
 public:
  KernelInfo(const ir::Node& node, int since_version,
             std::function<const Tensor*(const std::string&)> find_constant,
             std::function<const ir::TypeInfo*(const std::string&)> find_type,
             std::function<StatusOr<std::shared_ptr<const GraphPlan>>(const ir::Graph&)>
                 compile_subgraph);

  const ir::Node& node() const { return node_; }
  /// "node 'conv1' (Conv)": prefix for error messages.
  std::string Describe() const { return node_.Describe(); }
  /// The opset imported for the node's domain.
  int opset() const { return node_.opset; }
  /// The version of the op's definition in force at opset() (e.g. 13 for Softmax at opset 15).
  int since_version() const { return since_version_; }

  size_t num_inputs() const { return node_.inputs.size(); }
  size_t num_outputs() const { return node_.outputs.size(); }
  /// True when input i exists and is not the empty name.
  bool HasInput(size_t i) const { return i < node_.inputs.size() && !node_.inputs[i].empty(); }
  bool HasOutput(size_t i) const { return i < node_.outputs.size() && !node_.outputs[i].empty(); }
  /// Input i when it is a constant initializer that callers cannot override; else nullptr.
  const Tensor* ConstantInput(size_t i) const;
  /// Static type of input / output i, or nullptr when unknown.
  const ir::TypeInfo* InputType(size_t i) const;
  const ir::TypeInfo* OutputType(size_t i) const;

  bool HasAttribute(const std::string& name) const { return node_.FindAttribute(name) != nullptr; }
  /// Required attributes: error naming node and attribute when missing or of the wrong type.
  StatusOr<int64_t> GetInt(const std::string& name) const;
  StatusOr<float> GetFloat(const std::string& name) const;
  StatusOr<std::string> GetString(const std::string& name) const;
  StatusOr<std::vector<int64_t>> GetInts(const std::string& name) const;
  StatusOr<std::vector<float>> GetFloats(const std::string& name) const;
  StatusOr<std::vector<std::string>> GetStrings(const std::string& name) const;
  StatusOr<Tensor> GetTensor(const std::string& name) const;
  /// Optional attributes: the default when missing, an error when of the wrong type.
  StatusOr<int64_t> GetInt(const std::string& name, int64_t def) const;
  StatusOr<float> GetFloat(const std::string& name, float def) const;
  StatusOr<std::string> GetString(const std::string& name, const std::string& def) const;
  StatusOr<std::vector<int64_t>> GetInts(const std::string& name,
                                         const std::vector<int64_t>& def) const;
  StatusOr<std::vector<float>> GetFloats(const std::string& name,
                                         const std::vector<float>& def) const;
  StatusOr<std::vector<std::string>> GetStrings(const std::string& name,
                                                const std::vector<std::string>& def) const;
  /// Compiles the graph attribute `name` into an executable plan.
  StatusOr<std::shared_ptr<const GraphPlan>> GetSubgraph(const std::string& name) const;

  /// An error status prefixed with this node's description.
  template <typename... Args>
  Status Error(StatusCode code, Args&&... args) const {
    return MakeError(code, Describe(), ": ", std::forward<Args>(args)...);
  }

 private:
  StatusOr<const ir::Attribute*> Find(const std::string& name, ir::Attribute::Type type,
                                      bool required) const;
  const ir::Node& node_;
  int since_version_;
  std::function<const Tensor*(const std::string&)> find_constant_;
  std::function<const ir::TypeInfo*(const std::string&)> find_type_;
  std::function<StatusOr<std::shared_ptr<const GraphPlan>>(const ir::Graph&)> compile_subgraph_;
};

/// Caller-provided buffers for the top-level graph's outputs (Session::RunInto). A node output
/// that is graph output g is allocated into targets[g] when it is set and has the requested
/// element type and shape, so the result needs no copy.
struct OutputBindings {
  const std::vector<Tensor*>* targets = nullptr;  ///< Per graph output; nullptr: none.
};

/// Per-run state shared by all nodes of one Session::Run call.
struct RunState {
  const RunOptions* options = nullptr;
  ThreadPool* pool = nullptr;
  RunMemory* memory = nullptr;
  /// Record node times for the ONNXEDGE_PROFILE table (when it is on). Off for the optimizer's
  /// one-node evaluations: their temporary nodes are freed, and a later node allocated at the
  /// same address would inherit their profile entry.
  bool profile = true;
};

/// Run-time view of one node execution.
class KernelContext {
 public:
  /// `inplace_inputs`: bit k set when output 0 may take over input k's buffer (the kernel
  /// allows it and the plan found input k dead after this node).
  /// `graph_outputs` (may be null): per node output, the graph output it is (-1: none), used
  /// with `bindings` to allocate graph outputs into the caller's buffers.
  KernelContext(const ir::Node& node, const std::vector<const Value*>& inputs,
                std::vector<Value>* outputs, const RunState& state, const Frame* frame,
                uint32_t inplace_inputs = 0, const int* graph_outputs = nullptr,
                const OutputBindings* bindings = nullptr,
                const std::string* description = nullptr)
      : node_(node),
        inputs_(inputs),
        outputs_(outputs),
        state_(state),
        frame_(frame),
        inplace_inputs_(inplace_inputs),
        graph_outputs_(graph_outputs),
        bindings_(bindings),
        description_(description) {}

  size_t num_inputs() const { return inputs_.size(); }
  size_t num_outputs() const { return outputs_->size(); }
  /// Input i as a value; nullptr when omitted (empty name or beyond the node's inputs).
  const Value* InputValue(size_t i) const { return i < inputs_.size() ? inputs_[i] : nullptr; }
  /// Input i as a tensor; nullptr when omitted, none, or not a tensor.
  const Tensor* Input(size_t i) const {
    const Value* v = InputValue(i);
    return v && v->is_tensor() ? &v->tensor() : nullptr;
  }
  /// Input i as a tensor, or an error naming the input when it is missing.
  StatusOr<const Tensor*> RequiredInput(size_t i) const;
  /// True when the node's output i has a name (someone may read it).
  bool OutputRequested(size_t i) const {
    return i < node_.outputs.size() && !node_.outputs[i].empty();
  }
  /// Allocates output i, zero-filled unless `fill` is Fill::kNone. The returned pointer stays
  /// valid for this Run call. With Fill::kNone, output 0 may share the buffer of an input the
  /// kernel declared in Kernel::InPlaceInputs(), when that input is dead after this node.
  StatusOr<Tensor*> AllocateOutput(size_t i, DataType type, const Shape& shape,
                                   Fill fill = Fill::kZero);
  /// Sets output i to an existing value (sequence outputs, or sharing an input's storage).
  void SetOutput(size_t i, Value value);
  /// Allocates a scratch tensor (zero-filled unless Fill::kNone) counted against the memory
  /// limit and planned like outputs: it lives until the kernel drops it.
  StatusOr<Tensor> AllocateTemp(DataType type, const Shape& shape, Fill fill = Fill::kZero);

  ThreadPool& thread_pool() const { return *state_.pool; }
  /// Kernels with long loops (Loop, Scan, RNNs) call this between iterations.
  Status CheckCancelled() const;
  /// Runs a compiled subgraph whose outer scope is this node's graph. `inputs` bind to the
  /// subgraph's declared inputs in order.
  StatusOr<std::vector<Value>> RunSubgraph(const GraphPlan& plan,
                                           const std::vector<Value>& inputs) const;
  /// The same into `outputs` (resized to the subgraph's outputs; its capacity is reused, so a
  /// caller that keeps the vector allocates nothing for it in steady-state runs).
  Status RunSubgraphInto(const GraphPlan& plan, const std::vector<Value>& inputs,
                         std::vector<Value>* outputs) const;

  const ir::Node& node() const { return node_; }
  /// "node 'conv1' (Conv)". The plan builds it once, so kernels may pass it around on every
  /// run without allocating (a copy or a concatenation still allocates: do those on error paths).
  const std::string& Describe() const {
    if (description_) return *description_;
    if (description_fallback_.empty()) description_fallback_ = node_.Describe();
    return description_fallback_;
  }
  template <typename... Args>
  Status Error(StatusCode code, Args&&... args) const {
    return MakeError(code, Describe(), ": ", std::forward<Args>(args)...);
  }
  const RunState& state() const { return state_; }

 private:
  const ir::Node& node_;
  const std::vector<const Value*>& inputs_;
  std::vector<Value>* outputs_;
  const RunState& state_;
  const Frame* frame_;
  uint32_t inplace_inputs_;
  const int* graph_outputs_;
  const OutputBindings* bindings_;
  const std::string* description_;
  mutable std::string description_fallback_;
};

/// A prepared op. Subclasses are created by a KernelFactory and must keep Run thread-safe.
class Kernel {
 public:
  virtual ~Kernel() = default;
  virtual Status Run(KernelContext& ctx) const = 0;
  /// In-place fact: bit k set means output 0 may be written into input k's buffer. The planner
  /// applies it only when input k is an intermediate that no later node reads, no other tensor
  /// shares its storage, and it has output 0's element type and size. The kernel must then
  /// compute correctly with output == input k, element i read before element i is written
  /// (elementwise maps do). Bits of inputs beyond 31 are ignored.
  virtual uint32_t InPlaceInputs() const { return 0; }
  /// Constant inputs this kernel copied into its own (prepacked) form at creation and whose
  /// data Run never reads again (it may still read their type and shape). Bit k = input k. When
  /// every reader of an initializer says so, the plan frees the initializer's data and keeps a
  /// tensor with its type and shape and no data, so the session holds the weight once.
  virtual uint32_t PrepackedInputs() const { return 0; }
  /// Adds the kernel's own prepared copies of constant inputs (packed GEMM panels, transformed
  /// convolution weights) to `out`, keyed by the copy's address, so a copy that several kernels
  /// share (PrepackCache) counts once. Counted as weights in Session::memory_info().
  virtual void CollectPrepacked(std::unordered_map<const void*, uint64_t>* out) const {}
};

using KernelFactory = std::function<StatusOr<std::unique_ptr<Kernel>>(const KernelInfo&)>;

/// One registration: an op (domain + type) over a range of opsets.
struct KernelDef {
  std::string domain;  ///< "" for the default ONNX domain.
  std::string op_type;
  int min_opset = 1;   ///< Lowest model opset this kernel implements.
  int max_opset = 21;  ///< Highest model opset this kernel implements.
  KernelFactory factory;
};

/// All kernels known to the runtime. Filled once by RegisterAllOps().
class OpRegistry {
 public:
  /// The process-wide registry, with every op registered.
  static const OpRegistry& Get();

  void Register(KernelDef def);
  /// The kernel for this op at this opset, or nullptr.
  const KernelDef* Find(const std::string& domain, const std::string& op_type, int opset) const;
  /// True if any opset of this op is registered.
  bool Knows(const std::string& domain, const std::string& op_type) const;
  /// Every registration, sorted by domain and op.
  std::vector<const KernelDef*> All() const;

 private:
  std::map<std::pair<std::string, std::string>, std::vector<KernelDef>> defs_;
};

/// Helper for the common case of a kernel class constructed by a static Create.
template <typename K>
KernelFactory MakeFactory() {
  return [](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
    auto k = K::Create(info);
    if (!k.ok()) return k.status();
    return std::unique_ptr<Kernel>(std::move(k).value());
  };
}

}  // namespace onnxedge
