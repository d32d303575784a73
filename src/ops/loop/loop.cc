// Copyright onnxedge authors.
// Loop: runs `body` while (M omitted or i < M) and cond. Inputs: M (optional int64 scalar),
// cond (optional bool scalar), then N loop-carried initial values (tensors, sequences or
// optionals). Body inputs: [iteration_num (int64 scalar), cond, carried...]; body outputs:
// [cond, carried..., scan...]. Node outputs: final carried values, then each scan output stacked
// along a new axis 0.
// Opsets 1-21 (13 added sequences, 16 optionals, 19/21 only widen the type lists).
// As in ONNX Runtime and the ONNX reference implementation, the body's cond output controls the
// next iteration even when the cond input is omitted (the spec calls it "ignored" there).
// Carried values are passed between iterations without copying. With zero iterations, scan
// outputs have shape [0] followed by the body's declared output shape when fully known.
#include <limits>

#include "ops/common/control_util.h"
#include "ops/common/op_util.h"
#include "runtime/graph_plan.h"

namespace onnxedge::ops {

namespace {

class LoopKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<LoopKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<LoopKernel>();
    OE_ASSIGN_OR_RETURN(k->body_, info.GetSubgraph("body"));
    const size_t n = info.num_inputs() >= 2 ? info.num_inputs() - 2 : 0;
    if (k->body_->num_inputs() != n + 2) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'body' must have ", n + 2,
                        " inputs (iteration number, condition and ", n,
                        " loop-carried values), it has ", k->body_->num_inputs());
    }
    if (k->body_->num_outputs() < n + 1) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'body' must have at least ", n + 1,
                        " outputs (condition and ", n, " loop-carried values), it has ",
                        k->body_->num_outputs());
    }
    const size_t scans = k->body_->num_outputs() - 1 - n;
    if (info.num_outputs() > n + scans) {
      return info.Error(StatusCode::kInvalidModel, "the node has ", info.num_outputs(),
                        " outputs but its body yields only ", n, " loop-carried values and ", scans,
                        " scan outputs");
    }
    k->num_carried_ = n;
    k->num_scans_ = scans;
    return k;
  }

  void CollectPrepacked(std::unordered_map<const void*, uint64_t>* out) const override {
    if (body_) body_->CollectPrepacked(out);
  }

  Status Run(KernelContext& ctx) const override {
    int64_t max_trips = std::numeric_limits<int64_t>::max();
    if (const Value* m = ctx.InputValue(0)) {
      if (!m->is_tensor()) {
        return ctx.Error(StatusCode::kInvalidArgument, "input 'M' must be a tensor");
      }
      if (m->tensor().dtype() != DataType::kInt64 || m->tensor().size() != 1) {
        return ctx.Error(StatusCode::kInvalidArgument,
                         "input 'M' must be an int64 tensor with one element, got ",
                         DataTypeName(m->tensor().dtype()), ShapeToString(m->tensor().shape()));
      }
      max_trips = *m->tensor().data<int64_t>();
    }
    bool cond = true;
    Value cond_value(Tensor::Scalar<bool>(true));
    if (const Value* c = ctx.InputValue(1)) {
      if (!c->is_tensor()) {
        return ctx.Error(StatusCode::kInvalidArgument, "input 'cond' must be a tensor");
      }
      OE_ASSIGN_OR_RETURN(cond,
                          control::ReadBoolScalar(c->tensor(), ctx.Describe() + ": input 'cond'"));
      cond_value = *c;
    }

    // Body inputs: [iteration_num, cond, carried...]; reused across iterations.
    std::vector<Value> feeds(num_carried_ + 2);
    feeds[1] = cond_value;
    for (size_t i = 0; i < num_carried_; ++i) {
      const Value* v = ctx.InputValue(i + 2);
      feeds[i + 2] = v ? *v : Value();
    }
    std::vector<std::vector<Tensor>> scans(num_scans_);
    int64_t iter = 0;
    for (; iter < max_trips && cond; ++iter) {
      OE_RETURN_IF_ERROR(ctx.CheckCancelled());
      feeds[0] = Value(Tensor::Scalar<int64_t>(iter));
      auto outs = ctx.RunSubgraph(*body_, feeds);
      if (!outs.ok()) {
        return outs.status().WithContext(ctx.Describe() + " body (iteration " +
                                         std::to_string(iter) + ")");
      }
      std::vector<Value>& o = *outs;
      if (!o[0].is_tensor()) {
        return ctx.Error(StatusCode::kInvalidArgument,
                         "body output 0 (condition) must be a bool tensor, got a ",
                         control::ValueKindName(o[0]));
      }
      OE_ASSIGN_OR_RETURN(cond, control::ReadBoolScalar(
                                    o[0].tensor(), ctx.Describe() + ": body output 0 (condition)"));
      feeds[1] = std::move(o[0]);
      for (size_t i = 0; i < num_carried_; ++i) feeds[i + 2] = std::move(o[i + 1]);
      for (size_t s = 0; s < num_scans_; ++s) {
        Value& v = o[1 + num_carried_ + s];
        if (!v.is_tensor() || !v.tensor().defined()) {
          return ctx.Error(StatusCode::kInvalidArgument, "scan output ", s,
                           " of the body must be a tensor, got a ", control::ValueKindName(v));
        }
        if (!scans[s].empty()) {
          const Tensor& first = scans[s].front();
          if (v.tensor().dtype() != first.dtype() || v.tensor().shape() != first.shape()) {
            return ctx.Error(StatusCode::kInvalidArgument, "scan output ", s, " is ",
                             DataTypeName(v.tensor().dtype()), ShapeToString(v.tensor().shape()),
                             " in iteration ", iter, " but ", DataTypeName(first.dtype()),
                             ShapeToString(first.shape()), " in iteration 0");
          }
        }
        // Unrequested scan outputs are validated but not kept.
        if (num_carried_ + s < ctx.num_outputs() && ctx.OutputRequested(num_carried_ + s)) {
          scans[s].push_back(std::move(v.tensor()));
        } else if (scans[s].empty()) {
          scans[s].push_back(std::move(v.tensor()));  // Kept as the shape reference only.
        }
      }
    }

    for (size_t i = 0; i < num_carried_ && i < ctx.num_outputs(); ++i) {
      ctx.SetOutput(i, std::move(feeds[i + 2]));
    }
    for (size_t s = 0; s < num_scans_ && num_carried_ + s < ctx.num_outputs(); ++s) {
      const size_t out_index = num_carried_ + s;
      if (!ctx.OutputRequested(out_index)) continue;
      OE_RETURN_IF_ERROR(Stack(ctx, s, scans[s], out_index));
    }
    return Status::Ok();
  }

 private:
  // Stacks per-iteration tensors along a new axis 0 into output `out_index`.
  Status Stack(KernelContext& ctx, size_t s, const std::vector<Tensor>& parts,
               size_t out_index) const {
    Shape shape;
    DataType type;
    if (parts.empty()) {
      const ir::TypeInfo& declared = body_->graph().outputs[1 + num_carried_ + s].type;
      type = control::DeclaredElemType(&declared);
      if (type == DataType::kUndefined) type = DataType::kFloat;
      if (!control::KnownShape(&declared, &shape)) shape.clear();
    } else {
      type = parts.front().dtype();
      shape = parts.front().shape();
    }
    shape.insert(shape.begin(), static_cast<int64_t>(parts.size()));
    OE_ASSIGN_OR_RETURN(Tensor * out, ctx.AllocateOutput(out_index, type, shape));
    if (parts.empty()) return Status::Ok();
    const int64_t n = parts.front().size();
    const size_t bytes = static_cast<size_t>(n) * DataTypeSize(type);
    char* dst = static_cast<char*>(out->raw_data());
    for (size_t i = 0; i < parts.size(); ++i) {
      CopyElements(type, parts[i].raw_data(), dst + i * bytes, n);
    }
    return Status::Ok();
  }

  std::shared_ptr<const GraphPlan> body_;
  size_t num_carried_ = 0;
  size_t num_scans_ = 0;
};

}  // namespace

void RegisterOp_loop(OpRegistry& registry) {
  registry.Register({"", "Loop", 1, 21, MakeFactory<LoopKernel>()});
}

}  // namespace onnxedge::ops
