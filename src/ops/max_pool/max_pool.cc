// Copyright onnxedge authors.
// MaxPool: max over sliding windows (opsets 1-21; Indices output and storage_order from 8,
// ceil_mode and dilations from 10, int8/uint8 from 12). Padded positions never win. Indices
// are flattened over the whole input tensor (row-major, or column-major over the spatial dims
// when storage_order = 1). A NaN in a window propagates to its output.
// Types: float32, float64, float16 (and bfloat16), int8, uint8. Limits: 1 to 3 spatial dims.
//
// com.onnxedge MaxPool (version 1), emitted by the layout_nhwc pass: the same window
// attributes on channels-last data, X [N, H, W, C] -> Y [N, OH, OW, C]; attribute
// `channels_last` must be 1; 2-D, float32, no Indices output. Separable (per output row: the
// valid input rows reduced into one row, then each pixel's valid columns), vectorized over the
// contiguous channels.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <type_traits>

#include "core/cpu_features.h"
#include "ops/common/pool_util.h"
#include "ops/max_pool/max_pool_rows.h"
#include "runtime/chunk_scratch.h"
#include "runtime/thread_pool.h"

namespace onnxedge::ops {

MaxPoolRowFn SelectMaxPoolRow(int64_t sw) {
#if defined(__x86_64__)
  if (MaxIsa() >= Isa::kAvx512) return SelectMaxPoolRowAvx512(sw);
  if (MaxIsa() >= Isa::kAvx2) return SelectMaxPoolRowAvx2(sw);
#endif
  (void)sw;
  return nullptr;
}

MaxIntoFn SelectMaxInto() {
#if defined(__x86_64__)
  if (MaxIsa() >= Isa::kAvx512) return MaxIntoAvx512();
  if (MaxIsa() >= Isa::kAvx2) return MaxIntoAvx2();
#endif
  return nullptr;
}

namespace {

// NaN-propagating acc[i] = max(acc[i], in[i]): the vector kernel, or the portable loop.
void MaxInto(MaxIntoFn fn, float* acc, const float* in, int64_t n) {
  if (fn) {
    fn(acc, in, n);
    return;
  }
  for (int64_t i = 0; i < n; ++i) acc[i] = NanMax(acc[i], in[i]);
}

// Tallest window the vector rows take (its row pointers live on the stack).
constexpr int64_t kMaxVectorWindowRows = 64;

// The vector row function for a float MaxPool without Indices, or null: 2-D, dilation 1, a
// column stride the ISA has rows for, and at most kMaxVectorWindowRows window rows.
MaxPoolRowFn VectorRowsFor(const WindowGeometry& g) {
  if (g.spatial_rank != 2 || g.in[0] != 1 || g.out[0] != 1 || g.dilation[1] != 1 ||
      g.dilation[2] != 1 || g.kernel[1] > kMaxVectorWindowRows) {
    return nullptr;
  }
  return SelectMaxPoolRow(g.stride[2]);
}

// 2-D float MaxPool through the vector rows: tasks are (plane, output row); each row's valid
// window rows go to the row function with a per-thread padded scratch row.
void MaxPoolVectorRows(MaxPoolRowFn fn, const float* x, float* y, int64_t planes,
                       const WindowGeometry& g, ThreadPool* pool) {
  const int64_t ih_n = g.in[1], iw_n = g.in[2], oh_n = g.out[1], ow_n = g.out[2];
  // The calling thread's table, bound to a reference for the workers.
  thread_local std::vector<TapRange> tls_rows;
  std::vector<TapRange>& taps = tls_rows;
  ComputeTapRanges(ih_n, oh_n, g.kernel[1], g.stride[1], 1, g.pad_begin[1], &taps);
  const size_t scratch_bytes =
      static_cast<size_t>(MaxPoolRowScratchFloats(g.kernel[2], g.stride[2], ow_n)) * sizeof(float);
  thread_local ChunkScratch tls_scratch;
  ChunkScratch& scratch = tls_scratch;
  scratch.Prepare(static_cast<size_t>(pool->num_threads()), scratch_bytes);
  const int64_t per_row = std::max<int64_t>(1, ow_n * g.kernel[1] * g.kernel[2]);
  pool->ParallelFor(
      planes * oh_n, std::max<int64_t>(1, 16384 / per_row), [&](int64_t t0, int64_t t1) {
        float* const buf = reinterpret_cast<float*>(scratch.Claim());
        const float* rows[kMaxVectorWindowRows];
        for (int64_t t = t0; t < t1; ++t) {
          const int64_t p = t / oh_n, oh = t % oh_n;
          const TapRange th = taps[static_cast<size_t>(oh)];
          float* const yr = y + p * oh_n * ow_n + oh * ow_n;
          int64_t n = 0;
          for (int64_t kh = th.lo; kh < th.hi; ++kh) {
            rows[n++] = x + p * ih_n * iw_n + (oh * g.stride[1] - g.pad_begin[1] + kh) * iw_n;
          }
          if (n == 0) {  // a window entirely in the padding (ceil_mode): nothing wins
            std::fill(yr, yr + ow_n, -std::numeric_limits<float>::infinity());
            continue;
          }
          fn(rows, n, iw_n, g.kernel[2], g.stride[2], g.pad_begin[2], ow_n, buf, yr);
        }
      });
}

class MaxPoolKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<MaxPoolKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<MaxPoolKernel>();
    OE_ASSIGN_OR_RETURN(k->attrs_, ParsePoolAttrs(info, &k->ceil_mode_));
    OE_ASSIGN_OR_RETURN(k->opt_.storage_order, info.GetInt("storage_order", 0));
    if (k->opt_.storage_order != 0 && k->opt_.storage_order != 1) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'storage_order' must be 0 or 1, got ",
                        k->opt_.storage_order);
    }
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(WindowGeometry g, PoolGeometry(attrs_, ceil_mode_, *x, ctx.Describe()));
    Shape out_shape{x->dim(0), x->dim(1)};
    for (int64_t d : g.OutDims()) out_shape.push_back(d);
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, x->dtype(), out_shape, Fill::kNone));
    int64_t* indices = nullptr;
    if (ctx.OutputRequested(1)) {
      OE_ASSIGN_OR_RETURN(Tensor * idx, ctx.AllocateOutput(1, DataType::kInt64, out_shape));
      indices = idx->data<int64_t>();
    }
    if (y->size() == 0) return Status::Ok();
    const int64_t planes = x->dim(0) * x->dim(1);
    return Dispatch<TypeList<float, double, Float16, BFloat16, int8_t, uint8_t>>(
        x->dtype(), [&](auto tag) -> Status {
          using T = typename decltype(tag)::type;
          if (indices) {
            PoolPlanes<PoolKind::kMax, T>(x->data<T>(), y->data<T>(), indices, planes, g, opt_,
                                          &ctx.thread_pool());
          } else if (MaxPoolRowFn fn;
                     std::is_same_v<T, float> && (fn = VectorRowsFor(g)) != nullptr) {
            MaxPoolVectorRows(fn, x->data<float>(), y->data<float>(), planes, g,
                              &ctx.thread_pool());
          } else {
            PoolPlanesSeparable<PoolKind::kMax, T>(x->data<T>(), y->data<T>(), planes, g, opt_,
                                                   &ctx.thread_pool());
          }
          return Status::Ok();
        });
  }

 private:
  WindowAttrs attrs_;
  bool ceil_mode_ = false;
  PoolOptions opt_;
};

class MaxPoolNhwcKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<MaxPoolNhwcKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<MaxPoolNhwcKernel>();
    OE_ASSIGN_OR_RETURN(k->attrs_, ParsePoolAttrs(info, &k->ceil_mode_));
    OE_ASSIGN_OR_RETURN(int64_t cl, info.GetInt("channels_last", 0));
    if (cl != 1 || k->attrs_.kernel_shape.size() != 2) {
      return info.Error(StatusCode::kInvalidModel, "com.onnxedge MaxPool needs channels_last = 1 ",
                        "and a 2-D kernel_shape");
    }
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    if (x->rank() != 4 || x->dtype() != DataType::kFloat) {
      return ctx.Error(StatusCode::kInvalidArgument, "input X must be a float32 [N, H, W, C] ",
                       "tensor (channels_last), got ", DataTypeName(x->dtype()), " ",
                       ShapeToString(x->shape()));
    }
    const int64_t n_n = x->dim(0), h = x->dim(1), w = x->dim(2), c = x->dim(3);
    OE_ASSIGN_OR_RETURN(WindowGeometry g,
                        ComputeWindowGeometry(attrs_, Shape{h, w}, attrs_.kernel_shape, ceil_mode_,
                                              ctx.Describe()));
    const int64_t oh = g.out[1], ow = g.out[2];
    OE_ASSIGN_OR_RETURN(Tensor * y,
                        ctx.AllocateOutput(0, DataType::kFloat, {n_n, oh, ow, c}, Fill::kNone));
    if (y->size() == 0) return Status::Ok();
    const float* xd = x->data<float>();
    float* yd = y->data<float>();
    // Separable: per output row, the valid input rows are first reduced into a row of W pixels
    // (W x C contiguous floats: one long vector loop per input row), then each output pixel
    // takes the max of its valid columns of that row (C contiguous floats per tap). The SPP
    // blocks' 13x13 windows cost 2 x 13 instead of 169 taps per output.
    const size_t row_bytes = static_cast<size_t>(w * c) * sizeof(float);
    thread_local ChunkScratch tls_scratch;
    ChunkScratch& scratch = tls_scratch;
    ThreadPool& pool = ctx.thread_pool();
    scratch.Prepare(static_cast<size_t>(pool.num_threads()), row_bytes);
    const int64_t row_work = std::max<int64_t>(1, (g.kernel[1] * w + g.kernel[2] * ow) * c);
    const MaxIntoFn max_into = SelectMaxInto();
    pool.ParallelFor(n_n * oh, std::max<int64_t>(1, 32768 / row_work), [&](int64_t r0, int64_t r1) {
      float* const rowbuf = reinterpret_cast<float*>(scratch.Claim());
      for (int64_t r = r0; r < r1; ++r) {
        const int64_t img = r / oh, oy = r % oh;
        const float* xi = xd + img * h * w * c;
        bool any_row = false;
        for (int64_t ky = 0; ky < g.kernel[1]; ++ky) {
          const int64_t iy = oy * g.stride[1] - g.pad_begin[1] + ky * g.dilation[1];
          if (iy < 0 || iy >= h) continue;
          const float* in = xi + iy * w * c;
          if (!any_row) {
            std::memcpy(rowbuf, in, row_bytes);
            any_row = true;
            continue;
          }
          MaxInto(max_into, rowbuf, in, w * c);
        }
        for (int64_t ox = 0; ox < ow; ++ox) {
          float* out = yd + (r * ow + ox) * c;
          bool first = true;
          for (int64_t kx = 0; kx < g.kernel[2] && any_row; ++kx) {
            const int64_t ix = ox * g.stride[2] - g.pad_begin[2] + kx * g.dilation[2];
            if (ix < 0 || ix >= w) continue;
            const float* in = rowbuf + ix * c;
            if (first) {
              std::memcpy(out, in, sizeof(float) * static_cast<size_t>(c));
              first = false;
              continue;
            }
            // A NaN in the window propagates (NanMax keeps a NaN from either side).
            MaxInto(max_into, out, in, c);
          }
          if (first) {  // a window entirely in the padding (ceil_mode edge): ONNX gives -inf
            for (int64_t ch = 0; ch < c; ++ch) out[ch] = -INFINITY;
          }
        }
      }
    });
    return Status::Ok();
  }

 private:
  WindowAttrs attrs_;
  bool ceil_mode_ = false;
};

}  // namespace

void RegisterOp_max_pool(OpRegistry& registry) {
  registry.Register({"", "MaxPool", 1, 21, MakeFactory<MaxPoolKernel>()});
  registry.Register({"com.onnxedge", "MaxPool", 1, 1, MakeFactory<MaxPoolNhwcKernel>()});
}

}  // namespace onnxedge::ops
