// Copyright onnxedge authors.
// Scan: iterates `body` over slices of M scan inputs, carrying N state values, and stacks K
// per-iteration scan output elements.
//   Opset 8: inputs [sequence_lens?, states..., scan inputs...]; batch axis 0, scan axis 1;
//     attribute `directions` (per scan input). Sequences shorter than the maximum length leave
//     their scan outputs zero-padded; states and scan outputs carry the batch axis.
//   Opsets 9-21: inputs [states..., scan inputs...]; attributes scan_input_axes,
//     scan_input_directions, scan_output_axes, scan_output_directions (negative axes from 11).
//     Versions 16/19/21 only widen the type lists.
// Slices along axis 0 are passed to the body as zero-copy views; other axes are gathered into
// a scratch tensor. Scan outputs are written straight into the node's output tensor. All types.
#include "ops/common/control_util.h"
#include "ops/common/op_util.h"
#include "runtime/graph_plan.h"

namespace onnxedge::ops {

namespace {

class ScanKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<ScanKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<ScanKernel>();
    k->v8_ = info.since_version() < 9;
    k->negative_axes_ = info.since_version() >= 11;
    OE_ASSIGN_OR_RETURN(k->body_, info.GetSubgraph("body"));
    OE_ASSIGN_OR_RETURN(int64_t m, info.GetInt("num_scan_inputs"));
    const int64_t first = k->v8_ ? 1 : 0;  // Index of the first state input.
    const int64_t avail = static_cast<int64_t>(info.num_inputs()) - first;
    if (m < 1 || m > avail) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'num_scan_inputs' is ", m,
                        " but must be between 1 and the number of state and scan inputs (", avail,
                        ")");
    }
    k->m_ = static_cast<size_t>(m);
    k->n_ = static_cast<size_t>(avail - m);
    if (k->body_->num_inputs() != k->n_ + k->m_) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'body' must have ", k->n_ + k->m_,
                        " inputs (", k->n_, " states and ", k->m_, " scan elements), it has ",
                        k->body_->num_inputs());
    }
    if (k->body_->num_outputs() < k->n_) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'body' must have at least ", k->n_,
                        " outputs (the states), it has ", k->body_->num_outputs());
    }
    k->k_ = k->body_->num_outputs() - k->n_;
    if (info.num_outputs() > k->n_ + k->k_) {
      return info.Error(StatusCode::kInvalidModel, "the node has ", info.num_outputs(),
                        " outputs but its body yields only ", k->n_ + k->k_);
    }
    auto read_list = [&](const char* name, size_t count, bool directions,
                         std::vector<int64_t>* out) -> Status {
      OE_ASSIGN_OR_RETURN(*out, info.GetInts(name, std::vector<int64_t>(count, 0)));
      if (out->size() != count) {
        return info.Error(StatusCode::kInvalidModel, "attribute '", name, "' has ", out->size(),
                          " values but must have ", count);
      }
      for (int64_t v : *out) {
        if (directions && v != 0 && v != 1) {
          return info.Error(StatusCode::kInvalidModel, "attribute '", name,
                            "' values must be 0 (forward) or 1 (reverse), got ", v);
        }
        if (!directions && v < 0 && !k->negative_axes_) {
          return info.Error(StatusCode::kInvalidModel, "attribute '", name, "' has negative axis ",
                            v, " (allowed from opset 11)");
        }
      }
      return Status::Ok();
    };
    if (k->v8_) {
      OE_RETURN_IF_ERROR(read_list("directions", k->m_, true, &k->in_dirs_));
    } else {
      OE_RETURN_IF_ERROR(read_list("scan_input_axes", k->m_, false, &k->in_axes_));
      OE_RETURN_IF_ERROR(read_list("scan_input_directions", k->m_, true, &k->in_dirs_));
      OE_RETURN_IF_ERROR(read_list("scan_output_axes", k->k_, false, &k->out_axes_));
      OE_RETURN_IF_ERROR(read_list("scan_output_directions", k->k_, true, &k->out_dirs_));
    }
    return k;
  }

  Status Run(KernelContext& ctx) const override { return v8_ ? RunV8(ctx) : RunV9(ctx); }
  void CollectPrepacked(std::unordered_map<const void*, uint64_t>* out) const override {
    if (body_) body_->CollectPrepacked(out);
  }

 private:
  Status RunV9(KernelContext& ctx) const {
    std::vector<Value> feeds(n_ + m_);
    for (size_t i = 0; i < n_; ++i) {
      const Value* v = ctx.InputValue(i);
      if (!v) return ctx.Error(StatusCode::kInvalidArgument, "state input ", i, " is missing");
      feeds[i] = *v;
    }
    std::vector<const Tensor*> scan_in(m_);
    std::vector<size_t> axes(m_);
    int64_t length = -1;
    for (size_t j = 0; j < m_; ++j) {
      OE_ASSIGN_OR_RETURN(scan_in[j], ctx.RequiredInput(n_ + j));
      const Tensor& x = *scan_in[j];
      if (x.rank() == 0) {
        return ctx.Error(StatusCode::kInvalidArgument, "scan input ", j, " must have rank >= 1");
      }
      OE_ASSIGN_OR_RETURN(int64_t axis,
                          NormalizeAxis(in_axes_[j], static_cast<int64_t>(x.rank()),
                                        ctx.Describe() + " attribute 'scan_input_axes'"));
      axes[j] = static_cast<size_t>(axis);
      if (length < 0) {
        length = x.dim(axes[j]);
      } else if (x.dim(axes[j]) != length) {
        return ctx.Error(StatusCode::kInvalidArgument, "scan input ", j, " has length ",
                         x.dim(axes[j]), " along its scan axis but scan input 0 has ", length);
      }
    }
    std::vector<Tensor*> outs(k_, nullptr);
    std::vector<size_t> out_axes(k_, 0);
    std::vector<Shape> elem_shapes(k_);
    for (int64_t t = 0; t < length; ++t) {
      OE_RETURN_IF_ERROR(ctx.CheckCancelled());
      for (size_t j = 0; j < m_; ++j) {
        const int64_t idx = in_dirs_[j] ? length - 1 - t : t;
        const Tensor& x = *scan_in[j];
        if (axes[j] == 0) {
          feeds[n_ + j] = Value(control::Axis0View(x, idx));
        } else {
          Shape s = x.shape();
          s.erase(s.begin() + static_cast<std::ptrdiff_t>(axes[j]));
          OE_ASSIGN_OR_RETURN(Tensor slice, ctx.AllocateTemp(x.dtype(), s));
          control::GatherSlice(x, axes[j], idx, &slice);
          feeds[n_ + j] = Value(std::move(slice));
        }
      }
      OE_ASSIGN_OR_RETURN(std::vector<Value> o, RunBody(ctx, feeds, t));
      for (size_t i = 0; i < n_; ++i) feeds[i] = std::move(o[i]);
      for (size_t k = 0; k < k_; ++k) {
        OE_ASSIGN_OR_RETURN(const Tensor* e, ScanElement(ctx, o[n_ + k], k));
        if (!outs[k]) {
          if (n_ + k >= ctx.num_outputs() || !ctx.OutputRequested(n_ + k)) continue;
          OE_ASSIGN_OR_RETURN(int64_t axis,
                              NormalizeAxis(out_axes_[k], static_cast<int64_t>(e->rank()) + 1,
                                            ctx.Describe() + " attribute 'scan_output_axes'"));
          out_axes[k] = static_cast<size_t>(axis);
          Shape s = e->shape();
          s.insert(s.begin() + axis, length);
          OE_ASSIGN_OR_RETURN(outs[k], ctx.AllocateOutput(n_ + k, e->dtype(), s));
          elem_shapes[k] = e->shape();
        } else {
          OE_RETURN_IF_ERROR(CheckSameElement(ctx, outs[k]->dtype(), elem_shapes[k], *e, k, t));
        }
        control::ScatterSlice(*e, out_axes[k], out_dirs_[k] ? length - 1 - t : t, outs[k]);
      }
    }
    if (length == 0) {
      for (size_t k = 0; k < k_; ++k) {
        OE_RETURN_IF_ERROR(EmptyScanOutput(ctx, k, {0}, out_axes_[k]));
      }
    }
    return SetFinalStates(ctx, feeds, scan_in);
  }

  Status RunV8(KernelContext& ctx) const {
    std::vector<const Tensor*> states(n_), scan_in(m_);
    std::vector<Tensor> flat;  // Scan inputs as [batch * max_len, ...].
    flat.reserve(m_);
    int64_t batch = -1, max_len = -1;
    for (size_t j = 0; j < m_; ++j) {
      OE_ASSIGN_OR_RETURN(scan_in[j], ctx.RequiredInput(1 + n_ + j));
      const Tensor& x = *scan_in[j];
      if (x.rank() < 2) {
        return ctx.Error(StatusCode::kInvalidArgument, "scan input ", j,
                         " must have rank >= 2 (batch and sequence axes), got ",
                         ShapeToString(x.shape()));
      }
      if (batch < 0) {
        batch = x.dim(0);
        max_len = x.dim(1);
      } else if (x.dim(0) != batch || x.dim(1) != max_len) {
        return ctx.Error(StatusCode::kInvalidArgument, "scan input ", j, " has shape ",
                         ShapeToString(x.shape()), " but scan input 0 has batch ", batch,
                         " and sequence length ", max_len);
      }
      Shape s(x.shape().begin() + 1, x.shape().end());
      s[0] = batch * max_len;
      OE_ASSIGN_OR_RETURN(Tensor rows, x.Reshaped(s));
      flat.push_back(std::move(rows));
    }
    for (size_t i = 0; i < n_; ++i) {
      OE_ASSIGN_OR_RETURN(states[i], ctx.RequiredInput(1 + i));
      if (states[i]->rank() < 1 || states[i]->dim(0) != batch) {
        return ctx.Error(StatusCode::kInvalidArgument, "state input ", i, " has shape ",
                         ShapeToString(states[i]->shape()), " but its first (batch) dim must be ",
                         batch);
      }
    }
    std::vector<int64_t> lens(static_cast<size_t>(batch), max_len);
    if (const Tensor* sl = ctx.Input(0)) {
      OE_ASSIGN_OR_RETURN(lens, ReadInt64s(*sl, ctx.Describe() + " input 'sequence_lens'"));
      if (static_cast<int64_t>(lens.size()) != batch) {
        return ctx.Error(StatusCode::kInvalidArgument, "input 'sequence_lens' has ", lens.size(),
                         " values but the batch size is ", batch);
      }
      for (int64_t l : lens) {
        if (l < 0 || l > max_len) {
          return ctx.Error(StatusCode::kInvalidArgument, "input 'sequence_lens' value ", l,
                           " is outside [0, ", max_len, "]");
        }
      }
    }

    std::vector<Tensor*> state_out(n_, nullptr), scan_out(k_, nullptr);
    std::vector<Tensor> scan_rows(k_);  // scan_out[k] viewed as [batch * max_len, ...].
    std::vector<Shape> elem_shapes(k_);
    std::vector<Value> feeds(n_ + m_);
    int64_t step = 0;
    for (int64_t b = 0; b < batch; ++b) {
      for (size_t i = 0; i < n_; ++i) feeds[i] = Value(control::Axis0View(*states[i], b));
      const int64_t len = lens[static_cast<size_t>(b)];
      for (int64_t t = 0; t < len; ++t, ++step) {
        OE_RETURN_IF_ERROR(ctx.CheckCancelled());
        for (size_t j = 0; j < m_; ++j) {
          const int64_t idx = in_dirs_[j] ? len - 1 - t : t;
          feeds[n_ + j] = Value(control::Axis0View(flat[j], b * max_len + idx));
        }
        OE_ASSIGN_OR_RETURN(std::vector<Value> o, RunBody(ctx, feeds, step));
        for (size_t i = 0; i < n_; ++i) feeds[i] = std::move(o[i]);
        for (size_t k = 0; k < k_; ++k) {
          OE_ASSIGN_OR_RETURN(const Tensor* e, ScanElement(ctx, o[n_ + k], k));
          if (!scan_out[k]) {
            if (n_ + k >= ctx.num_outputs() || !ctx.OutputRequested(n_ + k)) continue;
            Shape s = e->shape();
            s.insert(s.begin(), {batch, max_len});
            OE_ASSIGN_OR_RETURN(scan_out[k], ctx.AllocateOutput(n_ + k, e->dtype(), s));
            elem_shapes[k] = e->shape();
            Shape rows = e->shape();
            rows.insert(rows.begin(), batch * max_len);
            OE_ASSIGN_OR_RETURN(scan_rows[k], scan_out[k]->Reshaped(rows));
          } else {
            OE_RETURN_IF_ERROR(
                CheckSameElement(ctx, scan_out[k]->dtype(), elem_shapes[k], *e, k, t));
          }
          control::ScatterSlice(*e, 0, b * max_len + t, &scan_rows[k]);
        }
      }
      // Final states of this batch entry go to row b of the stacked state outputs.
      for (size_t i = 0; i < n_ && i < ctx.num_outputs(); ++i) {
        if (!feeds[i].is_tensor()) {
          return ctx.Error(StatusCode::kInvalidArgument, "body state output ", i,
                           " must be a tensor, got a ", control::ValueKindName(feeds[i]));
        }
        const Tensor& st = feeds[i].tensor();
        if (!state_out[i]) {
          Shape s = st.shape();
          s.insert(s.begin(), batch);
          OE_ASSIGN_OR_RETURN(state_out[i], ctx.AllocateOutput(i, st.dtype(), s));
        }
        if (st.dtype() != state_out[i]->dtype() ||
            !std::equal(st.shape().begin(), st.shape().end(), state_out[i]->shape().begin() + 1,
                        state_out[i]->shape().end())) {
          return ctx.Error(StatusCode::kInvalidArgument, "state ", i, " is ",
                           DataTypeName(st.dtype()), ShapeToString(st.shape()), " for batch ", b,
                           " but differs for batch 0");
        }
        control::ScatterSlice(st, 0, b, state_out[i]);
      }
    }
    if (batch == 0) {
      for (size_t i = 0; i < n_ && i < ctx.num_outputs(); ++i) ctx.SetOutput(i, Value(*states[i]));
    }
    for (size_t k = 0; k < k_; ++k) {
      if (!scan_out[k]) OE_RETURN_IF_ERROR(EmptyScanOutput(ctx, k, {batch, max_len}, 0));
    }
    return Status::Ok();
  }

  StatusOr<std::vector<Value>> RunBody(KernelContext& ctx, const std::vector<Value>& feeds,
                                       int64_t iteration) const {
    auto o = ctx.RunSubgraph(*body_, feeds);
    if (!o.ok()) {
      return o.status().WithContext(ctx.Describe() + " body (iteration " +
                                    std::to_string(iteration) + ")");
    }
    return o;
  }

  static StatusOr<const Tensor*> ScanElement(const KernelContext& ctx, const Value& v, size_t k) {
    if (!v.is_tensor() || !v.tensor().defined()) {
      return ctx.Error(StatusCode::kInvalidArgument, "body scan output ", k,
                       " must be a tensor, got a ", control::ValueKindName(v));
    }
    return &v.tensor();
  }

  // Checks that iteration `t` produced an element like the first iteration's.
  static Status CheckSameElement(const KernelContext& ctx, DataType type, const Shape& shape,
                                 const Tensor& e, size_t k, int64_t t) {
    if (e.dtype() != type || e.shape() != shape) {
      return ctx.Error(StatusCode::kInvalidArgument, "scan output ", k, " is ",
                       DataTypeName(e.dtype()), ShapeToString(e.shape()), " in iteration ", t,
                       " but ", DataTypeName(type), ShapeToString(shape),
                       " in the first iteration (all iterations must match)");
    }
    return Status::Ok();
  }

  // Scan output k when the body never ran: `lead` dims inserted at `axis` into the body's
  // declared element shape (or just `lead` when that shape is unknown).
  Status EmptyScanOutput(KernelContext& ctx, size_t k, const Shape& lead, int64_t axis) const {
    const size_t index = n_ + k;
    if (index >= ctx.num_outputs() || !ctx.OutputRequested(index)) return Status::Ok();
    const ir::TypeInfo& declared = body_->graph().outputs[index].type;
    DataType type = control::DeclaredElemType(&declared);
    if (type == DataType::kUndefined) type = DataType::kFloat;
    Shape s;
    if (control::KnownShape(&declared, &s)) {
      const int64_t rank = static_cast<int64_t>(s.size()) + 1;
      if (axis < 0) axis += rank;
      if (axis < 0 || axis >= rank) axis = 0;
      s.insert(s.begin() + axis, lead.begin(), lead.end());
    } else {
      s = lead;
    }
    return ctx.AllocateOutput(index, type, s).status();
  }

  // Final states become outputs; a state that still aliases a scan input view is copied so
  // callers never receive a window into an input (or a session constant).
  Status SetFinalStates(KernelContext& ctx, std::vector<Value>& feeds,
                        const std::vector<const Tensor*>& scan_in) const {
    auto detach = [&](Tensor* t) -> Status {
      for (const Tensor* x : scan_in) {
        if (control::StorageOverlaps(*t, *x)) {
          OE_ASSIGN_OR_RETURN(*t, t->Clone());
          break;
        }
      }
      return Status::Ok();
    };
    for (size_t i = 0; i < n_ && i < ctx.num_outputs(); ++i) {
      Value& v = feeds[i];
      if (v.is_tensor()) {
        OE_RETURN_IF_ERROR(detach(&v.tensor()));
      } else if (v.is_sequence()) {
        std::vector<Tensor> elems = v.sequence();
        for (auto& e : elems) OE_RETURN_IF_ERROR(detach(&e));
        v = Value::Sequence(std::move(elems), v.element_type());
      }
      ctx.SetOutput(i, std::move(v));
    }
    return Status::Ok();
  }

  std::shared_ptr<const GraphPlan> body_;
  bool v8_ = false;
  bool negative_axes_ = false;
  size_t n_ = 0;  // States.
  size_t m_ = 0;  // Scan inputs.
  size_t k_ = 0;  // Scan outputs.
  std::vector<int64_t> in_axes_, in_dirs_, out_axes_, out_dirs_;
};

}  // namespace

void RegisterOp_scan(OpRegistry& registry) {
  registry.Register({"", "Scan", 8, 21, MakeFactory<ScanKernel>()});
}

}  // namespace onnxedge::ops
