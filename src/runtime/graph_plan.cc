// Copyright onnxedge authors.
#include "runtime/graph_plan.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include "ir/onnx/opset.h"
#include "runtime/memory_planner.h"
#include "runtime/prepack_cache.h"
#include "runtime/profiler.h"
#include "runtime/thread_pool.h"

namespace onnxedge {

namespace {

Status CheckCancelled(const RunState& state) {
  const RunOptions* opt = state.options;
  if (!opt) return Status::Ok();
  if (opt->cancel_flag && opt->cancel_flag->load(std::memory_order_relaxed)) {
    return MakeError(StatusCode::kCancelled, "the run was cancelled");
  }
  if (opt->deadline && std::chrono::steady_clock::now() > *opt->deadline) {
    return MakeError(StatusCode::kCancelled, "the run passed its deadline");
  }
  return Status::Ok();
}

// Resolves `name` through the scope chain.
bool Resolve(const PlanScope& scope, const std::string& name, ValueRef* ref) {
  int depth = 0;
  for (const PlanScope* s = &scope; s; s = s->parent, ++depth) {
    auto c = s->constants.find(name);
    if (c != s->constants.end()) {
      ref->kind = ValueRef::Kind::kConstant;
      ref->constant = c->second;
      return true;
    }
    auto it = s->slots.find(name);
    if (it != s->slots.end()) {
      ref->kind = depth == 0 ? ValueRef::Kind::kLocal : ValueRef::Kind::kOuter;
      ref->depth = depth;
      ref->index = it->second;
      return true;
    }
  }
  return false;
}

const ir::TypeInfo* FindType(const PlanScope& scope, const std::string& name) {
  for (const PlanScope* s = &scope; s; s = s->parent) {
    auto it = s->types.find(name);
    if (it != s->types.end()) return it->second;
  }
  return nullptr;
}

const Value* Fetch(const ValueRef& ref, const Frame& frame) {
  switch (ref.kind) {
    case ValueRef::Kind::kOmitted: return nullptr;
    case ValueRef::Kind::kConstant: return ref.constant;
    case ValueRef::Kind::kLocal: return &frame.values[static_cast<size_t>(ref.index)];
    case ValueRef::Kind::kOuter: {
      const Frame* f = &frame;
      for (int d = 0; d < ref.depth && f; ++d) f = f->parent;
      return f ? &f->values[static_cast<size_t>(ref.index)] : nullptr;
    }
  }
  return nullptr;
}

}  // namespace

StatusOr<std::shared_ptr<const GraphPlan>> GraphPlan::Compile(const ir::Graph& graph,
                                                              const PlanScope* parent,
                                                              const ReleaseHook& on_release) {
  // Kernels of this compile (subgraphs included) share prepacked forms of the same constant.
  PrepackCache::Scope prepack_scope;
  auto plan = std::shared_ptr<GraphPlan>(new GraphPlan());
  plan->graph_ = &graph;
  PlanScope& scope = plan->scope_;
  scope.parent = parent;

  for (const auto& vi : graph.inputs) scope.types[vi.name] = &vi.type;
  for (const auto& [name, t] : graph.value_info) scope.types[name] = &t;
  for (const auto& vi : graph.outputs) {
    if (vi.type.kind != ir::TypeInfo::Kind::kUnknown) scope.types[vi.name] = &vi.type;
  }

  std::unordered_map<std::string, const Value*> defaults;
  for (const auto& [name, tensor] : graph.initializers) {
    plan->constants_.push_back(std::make_unique<Value>(tensor));
    bool is_input = false;
    for (const auto& vi : graph.inputs) is_input |= vi.name == name;
    if (is_input) {
      defaults[name] = plan->constants_.back().get();
    } else {
      scope.constants[name] = plan->constants_.back().get();
    }
  }
  for (const auto& vi : graph.inputs) {
    const int slot = plan->num_slots_++;
    scope.slots[vi.name] = slot;
    plan->input_slots_.push_back(slot);
    auto d = defaults.find(vi.name);
    plan->input_defaults_.push_back(d == defaults.end() ? nullptr : d->second);
  }

  // Weights a kernel prepacked are freed as soon as the last reader's kernel exists: when every
  // reader of this graph declared the input in Kernel::PrepackedInputs(), no subgraph names it
  // (it may read the data) and it is not a graph output. Outer-scope constants belong to the
  // enclosing plan and are left alone.
  struct ConstantUse {
    std::string name;
    int readers_left = 0;
    bool prepacked_by_all = true;
  };
  std::unordered_map<const Value*, ConstantUse> constant_use;
  {
    std::unordered_set<std::string> named_in_subgraphs;
    std::vector<const ir::Graph*> stack;
    for (const auto& n : graph.nodes) {
      for (const auto& a : n->attributes) {
        if (a.g) stack.push_back(a.g.get());
        for (const auto& g : a.graphs) stack.push_back(g.get());
      }
    }
    while (!stack.empty()) {
      const ir::Graph* g = stack.back();
      stack.pop_back();
      for (const auto& n : g->nodes) {
        for (const auto& in : n->inputs) named_in_subgraphs.insert(in);
        for (const auto& a : n->attributes) {
          if (a.g) stack.push_back(a.g.get());
          for (const auto& sg : a.graphs) stack.push_back(sg.get());
        }
      }
    }
    for (const auto& vi : graph.outputs) named_in_subgraphs.insert(vi.name);
    for (const auto& n : graph.nodes) {
      for (const auto& in : n->inputs) {
        auto it = scope.constants.find(in);
        if (it == scope.constants.end() || named_in_subgraphs.count(in)) continue;
        ConstantUse& use = constant_use[it->second];
        use.name = in;
        ++use.readers_left;
      }
    }
  }
  auto count_reader = [&](const Step& step) {
    const uint32_t prepacked = step.kernel->PrepackedInputs();
    for (size_t k = 0; k < step.inputs.size(); ++k) {
      const ValueRef& ref = step.inputs[k];
      if (ref.kind != ValueRef::Kind::kConstant) continue;
      auto it = constant_use.find(ref.constant);
      if (it == constant_use.end()) continue;  // outer scope, or named by a subgraph
      ConstantUse& use = it->second;
      use.prepacked_by_all = use.prepacked_by_all && k < 32 && (prepacked >> k & 1u);
      if (--use.readers_left > 0 || !use.prepacked_by_all) continue;
      const Value* value = it->first;
      if (!value->is_tensor() || value->tensor().raw_data() == nullptr) continue;
      const Tensor& t = value->tensor();
      // The Value object stays where it is: kernels may hold pointers to it.
      *const_cast<Value*>(value) =
          Value(Tensor::FromShared(t.dtype(), t.shape(), nullptr, nullptr));
      plan->released_constants_.push_back(use.name);
      if (on_release) on_release(use.name);
    }
  };

  const auto& registry = OpRegistry::Get();
  for (const auto& node_ptr : graph.nodes) {
    const ir::Node& node = *node_ptr;
    Step step;
    step.node = &node;
    step.description = node.Describe();
    for (const auto& in : node.inputs) {
      ValueRef ref;
      if (!in.empty() && !Resolve(scope, in, &ref)) {
        return MakeError(StatusCode::kInvalidModel, node.Describe(), " reads '", in,
                         "' which is not defined before it");
      }
      step.inputs.push_back(ref);
    }
    const int since = onnx_io::ResolveSinceVersion(node.domain, node.op_type, node.opset);
    const KernelDef* def = registry.Find(node.domain, node.op_type, node.opset);
    const std::string domain_name = node.domain.empty() ? "ai.onnx" : node.domain;
    if (!def) {
      if (registry.Knows(node.domain, node.op_type)) {
        return MakeError(StatusCode::kNotImplemented, node.Describe(), ": op ", node.op_type,
                         " of domain ", domain_name, " is not supported at opset ", node.opset,
                         " (its definition changed in version ", since, ")");
      }
      return MakeError(StatusCode::kNotImplemented, node.Describe(), ": op ", node.op_type,
                       " of domain ", domain_name, " (opset ", node.opset,
                       ") is not supported by onnxedge");
    }
    PlanScope* scope_ptr = &scope;
    KernelInfo info(
        node, since,
        [scope_ptr](const std::string& name) -> const Tensor* {
          ValueRef ref;
          if (Resolve(*scope_ptr, name, &ref) && ref.kind == ValueRef::Kind::kConstant &&
              ref.constant->is_tensor()) {
            return &ref.constant->tensor();
          }
          return nullptr;
        },
        [scope_ptr](const std::string& name) { return FindType(*scope_ptr, name); },
        [scope_ptr](const ir::Graph& sub) { return GraphPlan::Compile(sub, scope_ptr); });
    auto kernel = def->factory(info);
    if (!kernel.ok()) {
      const std::string desc = node.Describe();
      const std::string& msg = kernel.status().message();
      if (msg.rfind(desc, 0) == 0) return kernel.status();
      return kernel.status().WithContext(desc);
    }
    step.kernel = std::move(kernel).value();
    for (const auto& out : node.outputs) {
      if (out.empty()) {
        step.outputs.push_back(-1);
        continue;
      }
      const int slot = plan->num_slots_++;
      scope.slots[out] = slot;
      step.outputs.push_back(slot);
    }
    count_reader(step);
    plan->steps_.push_back(std::move(step));
  }

  for (const auto& vi : graph.outputs) {
    ValueRef ref;
    if (!Resolve(scope, vi.name, &ref)) {
      return MakeError(StatusCode::kInvalidModel, "graph output '", vi.name,
                       "' is not produced by any node");
    }
    plan->output_refs_.push_back(ref);
  }

  // Graph outputs produced by steps: where RunInto's caller buffers may be used directly.
  for (Step& step : plan->steps_) step.graph_outputs.assign(step.outputs.size(), -1);
  for (size_t g = 0; g < plan->output_refs_.size(); ++g) {
    const ValueRef& ref = plan->output_refs_[g];
    if (ref.kind != ValueRef::Kind::kLocal) continue;
    for (Step& step : plan->steps_) {
      for (size_t o = 0; o < step.outputs.size(); ++o) {
        if (step.outputs[o] == ref.index && step.graph_outputs[o] < 0) {
          step.graph_outputs[o] = static_cast<int>(g);
        }
      }
    }
  }

  // Lifetimes: free a local value right after its last reader (never graph outputs).
  std::vector<int> last_use(static_cast<size_t>(plan->num_slots_), -1);
  std::vector<bool> pinned(static_cast<size_t>(plan->num_slots_), false);
  for (const auto& ref : plan->output_refs_) {
    if (ref.kind == ValueRef::Kind::kLocal) pinned[static_cast<size_t>(ref.index)] = true;
  }
  for (size_t s = 0; s < plan->steps_.size(); ++s) {
    for (const auto& ref : plan->steps_[s].inputs) {
      if (ref.kind == ValueRef::Kind::kLocal) last_use[static_cast<size_t>(ref.index)] =
          static_cast<int>(s);
    }
    for (int out : plan->steps_[s].outputs) {
      if (out >= 0 && last_use[static_cast<size_t>(out)] < 0) {
        last_use[static_cast<size_t>(out)] = static_cast<int>(s);
      }
    }
  }
  // Subgraphs read outer values through their frames, only while the node that owns them runs
  // (kernels execute subgraphs inside Run). So a value named anywhere inside a node's subgraphs
  // (at any depth) counts as read by that node's step. Names shadowed inside a subgraph only
  // make this conservative.
  for (size_t s = 0; s < graph.nodes.size(); ++s) {
    std::vector<const ir::Graph*> stack;
    for (const auto& a : graph.nodes[s]->attributes) {
      if (a.g) stack.push_back(a.g.get());
      for (const auto& g : a.graphs) stack.push_back(g.get());
    }
    auto touch = [&](const std::string& name) {
      auto it = scope.slots.find(name);
      if (it == scope.slots.end()) return;
      int& last = last_use[static_cast<size_t>(it->second)];
      last = std::max(last, static_cast<int>(s));
    };
    while (!stack.empty()) {
      const ir::Graph* g = stack.back();
      stack.pop_back();
      for (const auto& n : g->nodes) {
        for (const auto& in : n->inputs) touch(in);
        for (const auto& sa : n->attributes) {
          if (sa.g) stack.push_back(sa.g.get());
          for (const auto& sg : sa.graphs) stack.push_back(sg.get());
        }
      }
      for (const auto& out : g->outputs) touch(out.name);
    }
  }
  for (size_t slot = 0; slot < last_use.size(); ++slot) {
    if (pinned[slot] || last_use[slot] < 0) continue;
    plan->steps_[static_cast<size_t>(last_use[slot])].release_after.push_back(
        static_cast<int>(slot));
  }
  // In-place candidates: inputs the kernel may overwrite that die at this step. Graph inputs
  // belong to the caller (or are initializer defaults), so they are never candidates.
  std::vector<bool> is_input(static_cast<size_t>(plan->num_slots_), false);
  for (int slot : plan->input_slots_) is_input[static_cast<size_t>(slot)] = true;
  for (Step& step : plan->steps_) {
    plan->max_inputs_ = std::max(plan->max_inputs_, step.inputs.size());
    plan->max_outputs_ = std::max(plan->max_outputs_, step.outputs.size());
    const uint32_t allowed = step.kernel->InPlaceInputs();
    if (!allowed || step.outputs.empty() || step.outputs[0] < 0) continue;
    for (size_t k = 0; k < step.inputs.size() && k < 32; ++k) {
      const ValueRef& ref = step.inputs[k];
      if (!(allowed >> k & 1u) || ref.kind != ValueRef::Kind::kLocal) continue;
      const int slot = ref.index;
      if (is_input[static_cast<size_t>(slot)]) continue;
      if (std::find(step.release_after.begin(), step.release_after.end(), slot) ==
          step.release_after.end()) {
        continue;
      }
      step.inplace_inputs |= 1u << k;
    }
  }
  return std::shared_ptr<const GraphPlan>(std::move(plan));
}

namespace {

// Frames and step scratch reused per thread and nesting depth (If/Loop/Scan bodies execute nested
// on the same thread), so a steady-state run allocates no executor storage. Entries are cleared
// (every value released) when their Execute returns.
struct ExecScratch {
  Frame frame;
  std::vector<const Value*> in_ptrs;
  std::vector<Value> outs;
};
struct ExecStack {
  std::vector<std::unique_ptr<ExecScratch>> entries;
  size_t depth = 0;
};
thread_local ExecStack tls_exec;

}  // namespace

StatusOr<std::vector<Value>> GraphPlan::Execute(const std::vector<Value>& inputs,
                                                const RunState& state,
                                                const Frame* parent) const {
  std::vector<Value> result;
  OE_RETURN_IF_ERROR(Execute(inputs, state, parent, &result, nullptr));
  return result;
}

Status GraphPlan::Execute(const std::vector<Value>& inputs, const RunState& state,
                          const Frame* parent, std::vector<Value>* result,
                          const OutputBindings* bindings) const {
  if (tls_exec.entries.size() <= tls_exec.depth) {
    tls_exec.entries.push_back(std::make_unique<ExecScratch>());
  }
  ExecScratch& scratch = *tls_exec.entries[tls_exec.depth++];
  struct Pop {
    ExecScratch& s;
    ~Pop() {
      s.frame.values.clear();  // Releases every value; the capacity stays for the next run.
      s.outs.clear();
      s.in_ptrs.clear();
      --tls_exec.depth;
    }
  } pop{scratch};
  Frame& frame = scratch.frame;
  frame.values.clear();
  frame.values.resize(static_cast<size_t>(num_slots_));
  frame.parent = parent;
  for (size_t i = 0; i < input_slots_.size(); ++i) {
    if (i < inputs.size()) {
      frame.values[static_cast<size_t>(input_slots_[i])] = inputs[i];
    } else if (input_defaults_[i]) {
      frame.values[static_cast<size_t>(input_slots_[i])] = *input_defaults_[i];
    }
  }
  std::vector<const Value*>& in_ptrs = scratch.in_ptrs;
  std::vector<Value>& outs = scratch.outs;
  for (const Step& step : steps_) {
    OE_RETURN_IF_ERROR(CheckCancelled(state));
    in_ptrs.clear();
    for (const auto& ref : step.inputs) in_ptrs.push_back(Fetch(ref, frame));
    outs.assign(step.outputs.size(), Value());
    KernelContext ctx(*step.node, in_ptrs, &outs, state, &frame, step.inplace_inputs,
                      step.graph_outputs.data(), bindings, &step.description);
    const bool profile = state.profile && runtime::ProfilingEnabled();
    const int64_t t0 = profile ? runtime::ProfileClockNs() : 0;
    Status s = step.kernel->Run(ctx);
    if (profile && s.ok()) {
      runtime::RecordNodeTime(*step.node, runtime::ProfileClockNs() - t0, in_ptrs, outs);
    }
    if (!s.ok()) {
      const std::string& desc = step.description;
      if (s.message().find(desc) == std::string::npos) return s.WithContext(desc);
      return s;
    }
    for (size_t o = 0; o < step.outputs.size(); ++o) {
      if (step.outputs[o] >= 0) frame.values[static_cast<size_t>(step.outputs[o])] =
          std::move(outs[o]);
    }
    for (int slot : step.release_after) frame.values[static_cast<size_t>(slot)] = Value();
  }
  result->resize(output_refs_.size());
  for (size_t g = 0; g < output_refs_.size(); ++g) {
    const Value* v = Fetch(output_refs_[g], frame);
    (*result)[g] = v ? *v : Value();
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// KernelContext pieces that need the executor.

Status KernelContext::CheckCancelled() const { return ::onnxedge::CheckCancelled(state_); }

StatusOr<std::vector<Value>> KernelContext::RunSubgraph(const GraphPlan& plan,
                                                        const std::vector<Value>& inputs) const {
  return plan.Execute(inputs, state_, frame_);
}

Status KernelContext::RunSubgraphInto(const GraphPlan& plan, const std::vector<Value>& inputs,
                                      std::vector<Value>* outputs) const {
  return plan.Execute(inputs, state_, frame_, outputs, nullptr);
}

StatusOr<const Tensor*> KernelContext::RequiredInput(size_t i) const {
  const Tensor* t = Input(i);
  if (!t) {
    return MakeError(StatusCode::kInvalidArgument, Describe(), ": required input ", i,
                     i < node_.inputs.size() && !node_.inputs[i].empty()
                         ? " ('" + node_.inputs[i] + "') is not a tensor"
                         : std::string(" is missing"));
  }
  return t;
}

StatusOr<Tensor*> KernelContext::AllocateOutput(size_t i, DataType type, const Shape& shape,
                                                Fill fill) {
  if (i >= outputs_->size()) {
    return MakeError(StatusCode::kInvalidModel, Describe(), ": output ", i,
                     " does not exist (the node has ", outputs_->size(), ")");
  }
  Value& out = (*outputs_)[i];
  // In place: output 0 may take over a dead input's buffer (Kernel::InPlaceInputs). Not for a
  // graph output: its buffer outlives the run, so the planner would have to keep the input's
  // block on the heap (the recording run sees it alive at the end) and every later run would
  // allocate it there, even a RunInto that computes the output into the caller's buffer.
  const Tensor* inplace = nullptr;
  const bool graph_output = graph_outputs_ && graph_outputs_[i] >= 0;
  if (i == 0 && inplace_inputs_ != 0 && fill == Fill::kNone && type != DataType::kString &&
      !graph_output) {
    const int64_t n = ShapeElementCount(shape);
    for (size_t k = 0; k < inputs_.size() && k < 32 && !inplace; ++k) {
      if (!(inplace_inputs_ >> k & 1u) || !inputs_[k] || !inputs_[k]->is_tensor()) continue;
      const Tensor& in = inputs_[k]->tensor();
      // Only the frame's slot may hold the storage: any other holder (a view, a sequence, the
      // caller) would see the write.
      if (in.dtype() != type || in.size() != n || n <= 0 || in.storage_use_count() != 1) {
        continue;
      }
      if (in.shape() != shape && !in.Reshaped(shape).ok()) continue;
      inplace = &in;
    }
  }
  // A graph output with a caller buffer of this type and shape (Session::RunInto) is written
  // there directly. The planner's allocation counter advances exactly as it would have without
  // the buffer (by one), so the recorded pattern stays aligned whether or not a buffer is bound.
  if (bindings_ && bindings_->targets && graph_output) {
    Tensor* target = (*bindings_->targets)[static_cast<size_t>(graph_outputs_[i])];
    if (target && target->dtype() == type && type != DataType::kString && target->size() > 0 &&
        target->shape() == shape) {
      state_.memory->SkipAllocation();
      if (fill == Fill::kZero) {
        std::memset(target->raw_data(), 0, target->bytes());
      } else if (PoisonUninitialized()) {
        std::memset(target->raw_data(), 0xFF, target->bytes());
      }
      out = Value(*target);
      return &out.tensor();
    }
  }
  if (inplace) {
    if (inplace->shape() == shape) {
      out = Value(*inplace);  // Shares the storage; one copy of the shape instead of two.
    } else {
      out = Value(inplace->Reshaped(shape).value());
    }
    return &out.tensor();
  }
  auto t = state_.memory->Allocate(type, shape, fill == Fill::kZero, &node_, false);
  if (!t.ok()) return t.status();
  out = Value(std::move(t).value());
  return &out.tensor();
}

void KernelContext::SetOutput(size_t i, Value value) {
  if (i < outputs_->size()) (*outputs_)[i] = std::move(value);
}

StatusOr<Tensor> KernelContext::AllocateTemp(DataType type, const Shape& shape, Fill fill) {
  return state_.memory->Allocate(type, shape, fill == Fill::kZero, &node_, true);
}

void GraphPlan::CollectPrepacked(std::unordered_map<const void*, uint64_t>* out) const {
  for (const Step& step : steps_) step.kernel->CollectPrepacked(out);
}

uint64_t GraphPlan::prepacked_bytes() const {
  std::unordered_map<const void*, uint64_t> copies;
  CollectPrepacked(&copies);
  uint64_t total = 0;
  for (const auto& [copy, bytes] : copies) total += bytes;
  return total;
}

}  // namespace onnxedge
