// Copyright onnxedge authors.
// GraphPlan: a graph compiled for execution (kernels created, value slots assigned, lifetimes
// known). Plans are immutable; each run executes a plan on its own Frame, so one plan serves
// many concurrent runs. Subgraphs are plans whose frames link to the frame of the enclosing node.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "ir/graph.h"
#include "runtime/kernel.h"

namespace onnxedge {

/// Where a node reads a value from.
struct ValueRef {
  enum class Kind : uint8_t { kOmitted, kLocal, kOuter, kConstant };
  Kind kind = Kind::kOmitted;
  int depth = 0;   ///< For kOuter: how many frames up (1 = the enclosing graph).
  int index = -1;  ///< Slot in that frame (kLocal/kOuter).
  const Value* constant = nullptr;  ///< For kConstant (owned by a plan that outlives users).
};

/// Values of one execution of a plan.
struct Frame {
  std::vector<Value> values;
  const Frame* parent = nullptr;
};

/// Name resolution for compiling nested graphs: each scope knows its plan's names.
struct PlanScope {
  std::unordered_map<std::string, int> slots;  ///< Name -> local slot.
  std::unordered_map<std::string, const Value*> constants;
  std::unordered_map<std::string, const ir::TypeInfo*> types;
  const PlanScope* parent = nullptr;
};

class GraphPlan {
 public:
  /// Called with the name of each initializer of the compiled graph whose data the plan has
  /// just freed (see released_constants()), while compiling continues: the owner of the IR
  /// drops its reference too, so each weight is freed right after its last reader prepacked it
  /// and the session's peak holds one weight twice, not the whole model.
  using ReleaseHook = std::function<void(const std::string& name)>;
  /// Compiles `graph`. `parent` is the enclosing graph's scope for subgraphs (else nullptr).
  static StatusOr<std::shared_ptr<const GraphPlan>> Compile(const ir::Graph& graph,
                                                            const PlanScope* parent,
                                                            const ReleaseHook& on_release = {});

  /// Executes the plan. `inputs` bind to the graph inputs in order (missing trailing inputs
  /// fall back to initializer defaults). Returns the graph outputs in order.
  StatusOr<std::vector<Value>> Execute(const std::vector<Value>& inputs, const RunState& state,
                                       const Frame* parent) const;
  /// The same into `outputs` (assigned in place, so a vector reused across runs allocates
  /// nothing). `bindings`: caller buffers for the graph outputs (top-level graph only).
  Status Execute(const std::vector<Value>& inputs, const RunState& state, const Frame* parent,
                 std::vector<Value>* outputs, const OutputBindings* bindings) const;

  const ir::Graph& graph() const { return *graph_; }
  size_t num_inputs() const { return input_slots_.size(); }
  size_t num_outputs() const { return output_refs_.size(); }
  /// Initializers of this graph whose data was freed after their readers prepacked them
  /// (Kernel::PrepackedInputs); the plan keeps their type and shape only.
  const std::vector<std::string>& released_constants() const { return released_constants_; }
  /// The kernels' prepared weight copies (Kernel::CollectPrepacked), subgraphs included.
  void CollectPrepacked(std::unordered_map<const void*, uint64_t>* out) const;
  /// Their bytes, each shared copy once.
  uint64_t prepacked_bytes() const;

 private:
  struct Step {
    const ir::Node* node = nullptr;
    std::unique_ptr<Kernel> kernel;
    std::vector<ValueRef> inputs;
    std::vector<int> outputs;       ///< Local slots, -1 for omitted outputs.
    std::vector<int> release_after;  ///< Local slots whose last reader is this step.
    std::vector<int> graph_outputs;  ///< Per output: the graph output it is, or -1.
    std::string description;         ///< node->Describe(), built once.
    /// Inputs whose buffer output 0 may take over: the kernel allows it and the input is a
    /// local intermediate (not a graph input or output) whose last reader is this step.
    uint32_t inplace_inputs = 0;
  };

  const ir::Graph* graph_ = nullptr;
  int num_slots_ = 0;
  size_t max_inputs_ = 0;   ///< Largest input count of a step.
  size_t max_outputs_ = 0;  ///< Largest output count of a step.
  std::vector<std::string> released_constants_;
  std::vector<int> input_slots_;
  std::vector<const Value*> input_defaults_;  ///< Initializer default per input, or nullptr.
  std::vector<ValueRef> output_refs_;
  std::vector<Step> steps_;
  /// Initializer values (stable addresses referenced by ValueRef::constant).
  std::vector<std::unique_ptr<Value>> constants_;
  PlanScope scope_;
};

}  // namespace onnxedge
