// Copyright onnxedge authors.
// AffineGrid (opset 20-21): the sampling grid of an affine transform, for GridSample.
//   theta (N, 2, 3) with size = [N, C, H, W] -> grid (N, H, W, 2), or
//   theta (N, 3, 4) with size = [N, C, D, H, W] -> grid (N, D, H, W, 3).
// grid[n, ..., k] = theta[n, k, :] . [x, y, (z,) 1], where x runs along W, y along H, z along D
// over [-1, 1]: -1 + 2 i / (L - 1) with align_corners, -1 + (2 i + 1) / L without; an axis of
// length 1 sits at 0 (PyTorch's affine_grid). Types: float16 / bfloat16 / float / double
// (16-bit computed in float); size int64.
#include "ops/common/op_util.h"

namespace onnxedge::ops {

namespace {

class AffineGridKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<AffineGridKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<AffineGridKernel>();
    OE_ASSIGN_OR_RETURN(int64_t align, info.GetInt("align_corners", 0));
    if (align != 0 && align != 1) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'align_corners' is ", align,
                        ", expected 0 or 1");
    }
    k->align_corners_ = align == 1;
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* theta, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(const Tensor* size_t_in, ctx.RequiredInput(1));
    OE_ASSIGN_OR_RETURN(std::vector<int64_t> size,
                        ReadInt64s(*size_t_in, ctx.Describe() + " input 'size'"));
    if (size.size() != 4 && size.size() != 5) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'size' has ", size.size(),
                       " values; expected [N, C, H, W] or [N, C, D, H, W]");
    }
    for (int64_t v : size) {
      if (v < 0) {
        return ctx.Error(StatusCode::kInvalidArgument, "input 'size' has a negative value ", v);
      }
    }
    const int64_t nd = static_cast<int64_t>(size.size()) - 2;  // 2 or 3 spatial axes
    if (theta->rank() != 3 || theta->dim(0) != size[0] || theta->dim(1) != nd ||
        theta->dim(2) != nd + 1) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'theta' has shape ",
                       ShapeToString(theta->shape()), "; expected (", size[0], ", ", nd, ", ",
                       nd + 1, ") for size of ", size.size(), " values");
    }
    Shape out_shape = {size[0]};
    for (int64_t i = 2; i < static_cast<int64_t>(size.size()); ++i) {
      out_shape.push_back(size[static_cast<size_t>(i)]);
    }
    out_shape.push_back(nd);
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, theta->dtype(), out_shape));
    if (y->size() == 0) return Status::Ok();
    return Dispatch<FloatTypes>(theta->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      using C = ComputeType<T>;
      // Base coordinates per spatial axis, innermost (x) first.
      std::vector<std::vector<C>> base(static_cast<size_t>(nd));
      for (int64_t k = 0; k < nd; ++k) {
        const int64_t len = size[static_cast<size_t>(1 + nd - k)];
        auto& b = base[static_cast<size_t>(k)];
        b.resize(static_cast<size_t>(len));
        for (int64_t i = 0; i < len; ++i) {
          C v = 0;
          if (len > 1) {
            v = align_corners_ ? C(-1) + C(2) * static_cast<C>(i) / static_cast<C>(len - 1)
                               : C(-1) + (C(2) * static_cast<C>(i) + C(1)) / static_cast<C>(len);
          }
          b[static_cast<size_t>(i)] = v;
        }
      }
      const int64_t w_len = size.back();
      const int64_t h_len = size[size.size() - 2];
      const int64_t d_len = nd == 3 ? size[2] : 1;
      const int64_t points = d_len * h_len * w_len;
      const T* th = theta->data<T>();
      T* out = y->data<T>();
      const int64_t rows = size[0] * d_len * h_len;
      ctx.thread_pool().ParallelFor(
          rows, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, w_len)),
          [&](int64_t begin, int64_t end) {
            for (int64_t row = begin; row < end; ++row) {
              const int64_t n = row / (d_len * h_len);
              const int64_t h = row % h_len;
              const int64_t d = (row / h_len) % d_len;
              const T* t = th + n * nd * (nd + 1);
              T* o = out + (n * points + (row % (d_len * h_len)) * w_len) * nd;
              const C yv = base[1][static_cast<size_t>(h)];
              const C zv = nd == 3 ? base[2][static_cast<size_t>(d)] : C(0);
              for (int64_t w = 0; w < w_len; ++w) {
                const C xv = base[0][static_cast<size_t>(w)];
                for (int64_t k = 0; k < nd; ++k) {
                  const T* tr = t + k * (nd + 1);
                  C v = ToCompute(tr[0]) * xv + ToCompute(tr[1]) * yv;
                  if (nd == 3) v += ToCompute(tr[2]) * zv;
                  v += ToCompute(tr[nd]);
                  o[w * nd + k] = FromCompute<T>(v);
                }
              }
            }
          });
      return Status::Ok();
    });
  }

 private:
  bool align_corners_ = false;
};

}  // namespace

void RegisterOp_affine_grid(OpRegistry& registry) {
  registry.Register({"", "AffineGrid", 20, 21, MakeFactory<AffineGridKernel>()});
}

}  // namespace onnxedge::ops
