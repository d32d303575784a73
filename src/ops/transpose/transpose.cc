// Copyright onnxedge authors.
// Transpose: permutes dims (output dim i is input dim perm[i]; default perm reverses the dims).
// Opsets 1-21, all element types. Dims that stay adjacent are merged first; when the last axis
// is preserved the copy moves contiguous inner runs, and a 2-D inner transpose (as in attention's
// [B,H,S,D] <-> [B,S,H,D] or a matrix transpose) runs in cache blocks. Size-1 dims moving around
// make the permutation a pure reshape, which shares the input's storage.
#include "ops/common/tensor_util.h"

namespace onnxedge::ops {

namespace {

class TransposeKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<TransposeKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<TransposeKernel>();
    if (info.HasAttribute("perm")) {
      OE_ASSIGN_OR_RETURN(k->perm_, info.GetInts("perm"));
      k->has_perm_ = true;
      std::vector<bool> seen(k->perm_.size(), false);
      for (int64_t p : k->perm_) {
        if (p < 0 || p >= static_cast<int64_t>(k->perm_.size()) || seen[static_cast<size_t>(p)]) {
          return info.Error(StatusCode::kInvalidModel, "attribute 'perm' ", ShapeToString(k->perm_),
                            " is not a permutation");
        }
        seen[static_cast<size_t>(p)] = true;
      }
    }
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    const size_t rank = x->rank();
    // The default (reversed) perm goes to per-thread scratch: no allocation per run.
    thread_local std::vector<int64_t> reversed;
    if (!has_perm_) {
      reversed.resize(rank);
      for (size_t i = 0; i < rank; ++i) reversed[i] = static_cast<int64_t>(rank - 1 - i);
    }
    const std::vector<int64_t>& perm = has_perm_ ? perm_ : reversed;
    if (perm.size() != rank) {
      return ctx.Error(StatusCode::kInvalidArgument, "attribute 'perm' has ", perm.size(),
                       " entries but the input has rank ", rank);
    }
    Shape out_shape(rank);
    for (size_t i = 0; i < rank; ++i) out_shape[i] = x->dim(static_cast<size_t>(perm[i]));
    // If the non-1 dims keep their order, the data layout is unchanged: share the storage.
    bool identity_order = true;
    int64_t last = -1;
    for (size_t i = 0; i < rank && identity_order; ++i) {
      if (out_shape[i] == 1) continue;
      identity_order = perm[i] > last;
      last = perm[i];
    }
    if (identity_order) {
      OE_ASSIGN_OR_RETURN(Tensor y, x->Reshaped(out_shape));
      ctx.SetOutput(0, Value(std::move(y)));
      return Status::Ok();
    }
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, x->dtype(), out_shape, Fill::kNone));
    if (y->size() == 0) return Status::Ok();
    TransposeCopy(x->dtype(), x->raw_data(), x->shape(), perm, y->raw_data(), &ctx.thread_pool());
    return Status::Ok();
  }

 private:
  std::vector<int64_t> perm_;
  bool has_perm_ = false;
};

}  // namespace

void RegisterOp_transpose(OpRegistry& registry) {
  registry.Register({"", "Transpose", 1, 21, MakeFactory<TransposeKernel>()});
}

}  // namespace onnxedge::ops
