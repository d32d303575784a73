// Copyright onnxedge authors.
#include <algorithm>
#include <cstring>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "core/denormals.h"
#include "core/logging.h"
#include "ir/onnx/loader.h"
#include "ir/onnx/tensor_proto.h"
#include "optimizer/pass_manager.h"
#include "runtime/session_impl.h"

namespace onnxedge {

const char* Version() { return "0.1.0"; }

IoInfo MakeIoInfo(const ir::ValueInfo& vi) {
  IoInfo info;
  info.name = vi.name;
  const ir::TypeInfo* t = &vi.type;
  switch (t->kind) {
    case ir::TypeInfo::Kind::kTensor: info.kind = "tensor"; break;
    case ir::TypeInfo::Kind::kSparseTensor: info.kind = "sparse_tensor"; break;
    case ir::TypeInfo::Kind::kSequence: info.kind = "sequence"; break;
    case ir::TypeInfo::Kind::kOptional: info.kind = "optional"; break;
    case ir::TypeInfo::Kind::kMap: info.kind = "map"; break;
    case ir::TypeInfo::Kind::kUnknown: info.kind = "unknown"; break;
  }
  while ((t->kind == ir::TypeInfo::Kind::kSequence || t->kind == ir::TypeInfo::Kind::kOptional) &&
         t->elem) {
    t = t->elem.get();
  }
  info.dtype = t->elem_type;
  info.has_shape = t->has_shape;
  for (const auto& d : t->dims) info.dims.push_back(DimInfo{d.value, d.symbol});
  return info;
}

namespace {

// Bytes of the constants (initializers, Constant-node tensors) that still hold data, subgraphs
// included; strings count 0 as in Graph::CountParameters.
uint64_t HeldConstantBytes(const ir::Graph& g) {
  auto held = [](const Tensor& t) -> uint64_t {
    return t.raw_data() && t.dtype() != DataType::kString ? t.bytes() : 0;
  };
  uint64_t total = 0;
  for (const auto& [name, t] : g.initializers) total += held(t);
  for (const auto& n : g.nodes) {
    for (const auto& a : n->attributes) {
      if (a.type == ir::Attribute::Type::kTensor) total += held(a.t);
      if (a.g) total += HeldConstantBytes(*a.g);
      for (const auto& sg : a.graphs) total += HeldConstantBytes(*sg);
    }
  }
  return total;
}

void CollectConstantData(const ir::Graph& g, std::unordered_set<const void*>* out) {
  for (const auto& [name, t] : g.initializers) {
    if (t.raw_data()) out->insert(t.raw_data());
  }
  for (const auto& n : g.nodes) {
    for (const auto& a : n->attributes) {
      if (a.t.raw_data()) out->insert(a.t.raw_data());
      if (a.g) CollectConstantData(*a.g, out);
      for (const auto& sg : a.graphs) CollectConstantData(*sg, out);
    }
  }
}

// Returns a tensor the caller may own and modify: copies borrowed buffers (the caller's own
// inputs passed through), the session's constants, and tensors in the run's arena (which the
// next run reuses).
StatusOr<Tensor> Detach(const Tensor& t, const std::unordered_set<const void*>& constants,
                        const RunMemory& memory) {
  if (!t.defined()) return t;
  if (t.owns_storage() && !constants.count(t.raw_data()) && !memory.InArena(t.raw_data())) {
    return t;
  }
  return t.Clone();
}

}  // namespace

StatusOr<std::unique_ptr<SessionImpl>> SessionImpl::Create(ir::Model model,
                                                           const SessionOptions& options) {
  if (options.intra_op_threads < 0) {
    return MakeError(StatusCode::kInvalidArgument, "intra_op_threads must be >= 0, got ",
                     options.intra_op_threads);
  }
  std::unique_ptr<SessionImpl> s(new SessionImpl());
  s->model_ = std::move(model);
  s->options_ = options;
  // The graph optimizer runs between loading and planning (docs/optimizer.md).
  OE_RETURN_IF_ERROR(opt::OptimizeForSession(s->model_, options));
  int64_t params = 0, param_bytes = 0;
  s->model_.graph->CountParameters(&params, &param_bytes);
  s->allocator_ = std::make_shared<Allocator>(options.memory_limit_bytes,
                                               static_cast<uint64_t>(param_bytes));
  s->planner_ = std::make_unique<MemoryPlanner>(s->allocator_, options.enable_memory_pattern);
  // As the plan frees the data of each weight its kernels prepacked, drop the IR's copy too
  // (keeping type and shape: tools read them), so each weight is held once and creating the
  // session never holds the whole model twice.
  // glibc keeps freed blocks mapped (its mmap threshold adapts upwards after the loader's large
  // frees), so every 8 MiB released is handed back before more packed copies are made.
  ir::Graph& graph = *s->model_.graph;
  uint64_t released_bytes = 0;
  auto plan = GraphPlan::Compile(graph, nullptr, [&](const std::string& name) {
    auto it = graph.initializers.find(name);
    if (it == graph.initializers.end()) return;
    const Tensor& t = it->second;
    released_bytes += t.bytes();
    // An external-data weight is a view of the mapped data file, which stays mapped while
    // other weights use it: drop the pages this one's prepacking touched.
    onnx_io::DropFileMappedPages(t.raw_data(), t.bytes());
    it->second = Tensor::FromShared(t.dtype(), t.shape(), nullptr, nullptr);
#if defined(__GLIBC__)
    if (released_bytes >= (uint64_t{8} << 20)) {
      malloc_trim(0);
      released_bytes = 0;
    }
#endif
  });
  if (!plan.ok()) return plan.status();
  s->plan_ = std::move(plan).value();
  s->prepacked_bytes_ = s->plan_->prepacked_bytes();
  s->weight_bytes_ = HeldConstantBytes(graph) + s->prepacked_bytes_;
  // A view of the process-wide pool: sessions share its workers.
  const int threads = options.intra_op_threads > 0 ? options.intra_op_threads
                                                   : AvailableCpuCount();
  s->pool_ = std::make_unique<ThreadPool>(threads);

  const ir::Graph& g = *s->model_.graph;
  for (const auto& vi : g.inputs) {
    const bool has_default = g.initializers.count(vi.name) > 0;
    s->input_has_default_.push_back(has_default);
    if (!has_default) s->inputs_.push_back(MakeIoInfo(vi));
  }
  for (const auto& vi : g.outputs) s->outputs_.push_back(MakeIoInfo(vi));
  for (size_t i = 0; i < g.inputs.size(); ++i) s->input_index_[g.inputs[i].name] = i;
  CollectConstantData(g, &s->constant_data_);
  // Loading parsed the file, decoded tensors and ran shape inference on copies; glibc keeps that
  // freed memory mapped. Return it, so the session's footprint is weights + arenas.
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
  return s;
}

MemoryInfo SessionImpl::memory_info() const {
  const PlannerStats p = planner_->stats();
  MemoryInfo m;
  m.weight_bytes = weight_bytes_;
  m.prepacked_weight_bytes = prepacked_bytes_;
  m.planned_arena_bytes = p.planned_arena_bytes;
  m.arena_bytes = p.arena_bytes_held;
  m.peak_bytes = allocator_->peak_bytes();
  m.signatures = p.signatures;
  m.recorded_runs = p.recorded_runs;
  m.planned_runs = p.planned_runs;
  m.arena_allocations = p.arena_allocations;
  m.heap_allocations = p.heap_allocations;
  m.pattern_misses = p.misses;
  return m;
}

Status SessionImpl::ValidateInputs(const std::vector<NamedValue>& inputs,
                                   std::vector<Value>* bound) const {
  const ir::Graph& g = *model_.graph;
  // Scratch reused per thread: validating allocates nothing in the steady state.
  thread_local std::vector<const Value*> fed;
  thread_local std::vector<std::pair<const std::string*, int64_t>> symbols;
  fed.assign(g.inputs.size(), nullptr);
  symbols.clear();
  for (const auto& nv : inputs) {
    auto it = input_index_.find(nv.name);
    if (it == input_index_.end()) {
      std::string names;
      for (const auto& io : inputs_) names += (names.empty() ? "" : ", ") + io.name;
      return MakeError(StatusCode::kInvalidArgument, "unknown input '", nv.name,
                       "' (the model's inputs are: ", names, ")");
    }
    if (fed[it->second]) {
      return MakeError(StatusCode::kInvalidArgument, "input '", nv.name, "' is given twice");
    }
    fed[it->second] = &nv.value;
  }
  bound->assign(g.inputs.size(), Value());
  for (size_t i = 0; i < g.inputs.size(); ++i) {
    const ir::ValueInfo& vi = g.inputs[i];
    const Value* v = fed[i];
    if (!v) {
      if (input_has_default_[i]) {
        (*bound)[i] = Value(g.initializers.at(vi.name));
        continue;
      }
      if (vi.type.kind == ir::TypeInfo::Kind::kOptional) {
        (*bound)[i] = Value::None();
        continue;
      }
      return MakeError(StatusCode::kInvalidArgument, "missing input '", vi.name, "' (",
                       vi.type.ToString(), ")");
    }
    const ir::TypeInfo* t = &vi.type;
    if (t->kind == ir::TypeInfo::Kind::kOptional) {
      if (v->is_none()) {
        (*bound)[i] = *v;
        continue;
      }
      if (t->elem) t = t->elem.get();
    }
    if (t->kind == ir::TypeInfo::Kind::kSequence) {
      if (!v->is_sequence()) {
        return MakeError(StatusCode::kInvalidArgument, "input '", vi.name,
                         "' must be a sequence (", vi.type.ToString(), ")");
      }
      (*bound)[i] = *v;
      continue;
    }
    if (t->kind == ir::TypeInfo::Kind::kTensor) {
      if (!v->is_tensor() || !v->tensor().defined()) {
        return MakeError(StatusCode::kInvalidArgument, "input '", vi.name,
                         "' must be a tensor (", vi.type.ToString(), ")");
      }
      const Tensor& tensor = v->tensor();
      if (t->elem_type != DataType::kUndefined && tensor.dtype() != t->elem_type) {
        return MakeError(StatusCode::kInvalidArgument, "input '", vi.name, "' has element type ",
                         DataTypeName(tensor.dtype()), " but the model expects ",
                         DataTypeName(t->elem_type));
      }
      if (tensor.size() > 0 && tensor.raw_data() == nullptr) {
        return MakeError(StatusCode::kInvalidArgument, "input '", vi.name,
                         "' has a null data buffer");
      }
      if (t->has_shape) {
        if (tensor.rank() != t->dims.size()) {
          return MakeError(StatusCode::kInvalidArgument, "input '", vi.name, "' has shape ",
                           ShapeToString(tensor.shape()), " (rank ", tensor.rank(),
                           ") but the model expects rank ", t->dims.size(), " (",
                           vi.type.ToString(), ")");
        }
        for (size_t d = 0; d < t->dims.size(); ++d) {
          const ir::Dim& dim = t->dims[d];
          const int64_t got = tensor.dim(d);
          if (dim.known() && got != dim.value) {
            return MakeError(StatusCode::kInvalidArgument, "input '", vi.name, "' has shape ",
                             ShapeToString(tensor.shape()), " but dim ", d, " must be ",
                             dim.value, " (", vi.type.ToString(), ")");
          }
          if (!dim.known() && !dim.symbol.empty()) {
            auto it = std::find_if(symbols.begin(), symbols.end(),
                                   [&](const auto& e) { return *e.first == dim.symbol; });
            if (it == symbols.end()) {
              symbols.emplace_back(&dim.symbol, got);
            } else if (it->second != got) {
              return MakeError(StatusCode::kInvalidArgument, "input '", vi.name, "' dim ", d,
                               " ('", dim.symbol, "') is ", got, " but another input set '",
                               dim.symbol, "' to ", it->second);
            }
          }
        }
      }
    }
    (*bound)[i] = *v;
  }
  return Status::Ok();
}

StatusOr<std::vector<NamedValue>> SessionImpl::Run(
    const std::vector<NamedValue>& inputs, const RunOptions& run_options,
    const std::vector<std::string>& output_names) const {
  std::vector<NamedValue> out;
  OE_RETURN_IF_ERROR(RunImpl(inputs, run_options, output_names, &out, false));
  return out;
}

Status SessionImpl::RunInto(const std::vector<NamedValue>& inputs,
                            std::vector<NamedValue>* outputs, const RunOptions& run_options,
                            const std::vector<std::string>& output_names) const {
  if (!outputs) return MakeError(StatusCode::kInvalidArgument, "RunInto: outputs is null");
  return RunImpl(inputs, run_options, output_names, outputs, true);
}

Status SessionImpl::RunImpl(const std::vector<NamedValue>& inputs, const RunOptions& run_options,
                            const std::vector<std::string>& output_names,
                            std::vector<NamedValue>* out, bool reuse) const {
  // Bound inputs reuse per-thread storage (cleared before returning: it must not keep the
  // caller's tensors alive).
  thread_local std::vector<Value> bound;
  struct ClearBound {
    ~ClearBound() { bound.clear(); }
  } clear_bound;
  OE_RETURN_IF_ERROR(ValidateInputs(inputs, &bound));
  // This thread works for the whole run: the shared pool's workers count it.
  ThreadPool::BusyScope busy(*pool_);
  // Subnormal floats flushed to zero on this thread for the run (core/denormals.h).
  ScopedFlushDenormals flush_denormals;
  RunMemory memory;
  planner_->Begin(bound, &memory);
  // Every tensor of the run except the returned (heap or copied) outputs is released when
  // RunWithMemory returns; only then may the arena go back to the planner.
  Status s = RunWithMemory(bound, run_options, output_names, &memory, out, reuse);
  planner_->End(&memory, s.ok());
  return s;
}

Status SessionImpl::ResolveOutputs(const std::vector<std::string>& output_names,
                                   std::vector<size_t>* indices) const {
  const ir::Graph& g = *model_.graph;
  indices->clear();
  if (output_names.empty()) {
    for (size_t i = 0; i < g.outputs.size(); ++i) indices->push_back(i);
    return Status::Ok();
  }
  for (const auto& name : output_names) {
    size_t i = 0;
    while (i < g.outputs.size() && g.outputs[i].name != name) ++i;
    if (i == g.outputs.size()) {
      return MakeError(StatusCode::kInvalidArgument, "unknown output '", name, "'");
    }
    indices->push_back(i);
  }
  return Status::Ok();
}

namespace {

// True when RunInto may write an output into `v`'s tensor: a non-empty numeric tensor that is
// borrowed or owned by `v` alone, and whose storage no bound input overlaps (a caller feeding
// last run's output back in must not see it overwritten while the run reads it).
bool Writable(const Value& v, const std::vector<Value>& bound) {
  if (!v.is_tensor()) return false;
  const Tensor& t = v.tensor();
  if (!t.defined() || t.size() <= 0 || t.dtype() == DataType::kString || !t.raw_data()) {
    return false;
  }
  if (t.owns_storage() && t.storage_use_count() != 1) return false;
  const char* a = static_cast<const char*>(t.raw_data());
  const char* a_end = a + t.bytes();
  for (const Value& in : bound) {
    if (!in.is_tensor() || !in.tensor().raw_data()) continue;
    const char* b = static_cast<const char*>(in.tensor().raw_data());
    if (a < b + in.tensor().bytes() && b < a_end) return false;
  }
  return true;
}

}  // namespace

Status SessionImpl::RunWithMemory(const std::vector<Value>& bound, const RunOptions& run_options,
                                  const std::vector<std::string>& output_names,
                                  RunMemory* memory, std::vector<NamedValue>* out,
                                  bool reuse) const {
  const ir::Graph& g = *model_.graph;
  // Per-thread scratch, so a steady-state RunInto allocates nothing. Cleared on return: the
  // values hold arena tensors, which must be released before the planner takes the arena back.
  thread_local std::vector<size_t> indices;
  thread_local std::vector<Tensor*> targets;
  thread_local std::vector<Tensor*> targets_by_output;
  thread_local std::vector<Value> values;
  struct Clear {
    ~Clear() {
      values.clear();
      targets.clear();
      targets_by_output.clear();
    }
  } clear;
  OE_RETURN_IF_ERROR(ResolveOutputs(output_names, &indices));
  const size_t count = indices.size();
  if (reuse) {
    out->resize(count);
  } else {
    out->clear();
    out->reserve(count);
  }
  // targets[k]: the caller tensor requested output k goes to; targets_by_output[i]: the buffer
  // graph output i is computed into (the first request of it).
  targets.assign(count, nullptr);
  targets_by_output.assign(g.outputs.size(), nullptr);
  for (size_t k = 0; reuse && k < count; ++k) {
    Value& v = (*out)[k].value;
    if (!Writable(v, bound)) continue;
    targets[k] = &v.tensor();
    if (!targets_by_output[indices[k]]) targets_by_output[indices[k]] = targets[k];
  }
  RunState state;
  state.options = &run_options;
  state.pool = pool_.get();
  state.memory = memory;
  OutputBindings bindings;
  bindings.targets = &targets_by_output;
  OE_RETURN_IF_ERROR(plan_->Execute(bound, state, nullptr, &values, reuse ? &bindings : nullptr));
  for (size_t k = 0; k < count; ++k) {
    const size_t i = indices[k];
    const Value& v = values[i];
    if (!reuse) out->push_back({g.outputs[i].name, Value()});
    NamedValue& dst = (*out)[k];
    if (dst.name != g.outputs[i].name) dst.name = g.outputs[i].name;
    Tensor* target = targets[k];
    if (v.is_tensor() && target) {
      const Tensor& r = v.tensor();
      if (r.dtype() == target->dtype() && r.shape() == target->shape()) {
        // Computed in place (the kernel allocated into the caller's buffer), else copied.
        if (r.raw_data() != target->raw_data()) {
          std::memcpy(target->raw_data(), r.raw_data(), r.bytes());
        }
        continue;
      }
    }
    if (v.is_tensor()) {
      OE_ASSIGN_OR_RETURN(Tensor t, Detach(v.tensor(), constant_data_, *memory));
      dst.value = Value(std::move(t));
    } else if (v.is_sequence()) {
      std::vector<Tensor> elems;
      for (const auto& e : v.sequence()) {
        OE_ASSIGN_OR_RETURN(Tensor t, Detach(e, constant_data_, *memory));
        elems.push_back(std::move(t));
      }
      dst.value = Value::Sequence(std::move(elems), v.element_type());
    } else {
      dst.value = v;
    }
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// Session

namespace {

onnx_io::LoadOptions MakeLoadOptions(const SessionOptions& options) {
  onnx_io::LoadOptions lo;
  lo.max_tensor_elements = options.max_tensor_elements;
  lo.memory_limit_bytes = options.memory_limit_bytes;
  lo.log_level = options.log_level;
  lo.has_kernel = [](const std::string& domain, const std::string& op, int opset) {
    return OpRegistry::Get().Find(domain, op, opset) != nullptr;
  };
  return lo;
}

}  // namespace

Session::Session(std::unique_ptr<SessionImpl> impl) : impl_(std::move(impl)) {}
Session::~Session() = default;

StatusOr<std::unique_ptr<Session>> Session::Load(const std::string& path,
                                                 const SessionOptions& options) {
  auto model = onnx_io::LoadModel(path, MakeLoadOptions(options));
  if (!model.ok()) return model.status();
  auto impl = SessionImpl::Create(std::move(model).value(), options);
  if (!impl.ok()) return impl.status().WithContext("'" + path + "'");
  return std::unique_ptr<Session>(new Session(std::move(impl).value()));
}

StatusOr<std::unique_ptr<Session>> Session::LoadFromBuffer(const void* data, size_t size,
                                                           const SessionOptions& options,
                                                           const std::string& base_dir) {
  auto lo = MakeLoadOptions(options);
  lo.base_dir = base_dir;
  auto model = onnx_io::LoadModelFromBuffer(data, size, lo);
  if (!model.ok()) return model.status();
  auto impl = SessionImpl::Create(std::move(model).value(), options);
  if (!impl.ok()) return impl.status().WithContext("model buffer");
  return std::unique_ptr<Session>(new Session(std::move(impl).value()));
}

StatusOr<std::vector<NamedValue>> Session::Run(const std::vector<NamedValue>& inputs,
                                               const RunOptions& run_options,
                                               const std::vector<std::string>& output_names) const {
  return impl_->Run(inputs, run_options, output_names);
}

Status Session::RunInto(const std::vector<NamedValue>& inputs, std::vector<NamedValue>* outputs,
                        const RunOptions& run_options,
                        const std::vector<std::string>& output_names) const {
  return impl_->RunInto(inputs, outputs, run_options, output_names);
}

const std::vector<IoInfo>& Session::inputs() const { return impl_->inputs(); }
const std::vector<IoInfo>& Session::outputs() const { return impl_->outputs(); }
int Session::intra_op_threads() const { return impl_->intra_op_threads(); }
MemoryInfo Session::memory_info() const { return impl_->memory_info(); }

}  // namespace onnxedge
