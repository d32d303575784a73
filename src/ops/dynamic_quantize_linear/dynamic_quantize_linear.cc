// Copyright onnxedge authors.
// DynamicQuantizeLinear (opset 11): uint8 quantization with parameters from the data.
//   x_min = min(0, min(x)), x_max = max(0, max(x))
//   y_scale = (x_max - x_min) / 255                           (float32)
//   y_zero_point = round_half_even(clip(-x_min / y_scale, 0, 255))
//   y = saturate(round_half_even(x / y_scale) + y_zero_point)
// all in float32 like the ONNX function body. Float input only. Limits: NaN elements are
// ignored by min/max and quantize to the zero point; an all-zero (or empty) input gives
// y_scale 0, zero point 0 and y = 0 instead of dividing by zero.
#include "ops/common/quant_util.h"

namespace onnxedge::ops {

namespace {

class DynamicQuantizeLinearKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<DynamicQuantizeLinearKernel>> Create(const KernelInfo&) {
    return std::make_unique<DynamicQuantizeLinearKernel>();
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    if (x->dtype() != DataType::kFloat) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'x' must be float, got ",
                       DataTypeName(x->dtype()));
    }
    const float* px = x->data<float>();
    const int64_t n = x->size();
    // Min and max over fixed chunks (the result does not depend on the thread count).
    constexpr int64_t kChunk = 32768;
    const int64_t chunks = (n + kChunk - 1) / kChunk;
    // Per-chunk results in buffers of the calling thread that only grow (no allocation per run
    // once grown); the chunks write through the pointers.
    thread_local std::vector<float> tls_mins, tls_maxs;
    if (tls_mins.size() < static_cast<size_t>(chunks)) {
      tls_mins.resize(static_cast<size_t>(chunks));
      tls_maxs.resize(static_cast<size_t>(chunks));
    }
    float* const mins = tls_mins.data();
    float* const maxs = tls_maxs.data();
    ctx.thread_pool().ParallelFor(chunks, 1, [&](int64_t c0, int64_t c1) {
      for (int64_t c = c0; c < c1; ++c) {
        float mn = 0.f, mx = 0.f;  // min(0, .) and max(0, .) folded in
        const int64_t e = std::min(n, (c + 1) * kChunk);
        for (int64_t i = c * kChunk; i < e; ++i) {
          mn = px[i] < mn ? px[i] : mn;
          mx = px[i] > mx ? px[i] : mx;
        }
        mins[c] = mn;
        maxs[c] = mx;
      }
    });
    float x_min = 0.f, x_max = 0.f;
    for (int64_t c = 0; c < chunks; ++c) {
      x_min = std::min(x_min, mins[c]);
      x_max = std::max(x_max, maxs[c]);
    }
    const float scale = (x_max - x_min) / 255.f;
    uint8_t zp = 0;
    if (scale > 0.f) {
      float z = 0.f - x_min / scale;
      z = z < 0.f ? 0.f : (z > 255.f ? 255.f : z);
      zp = static_cast<uint8_t>(std::nearbyint(z));
    }
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, DataType::kUint8, x->shape()));
    if (ctx.OutputRequested(1)) {
      OE_ASSIGN_OR_RETURN(Tensor * ys, ctx.AllocateOutput(1, DataType::kFloat, {}));
      ys->data<float>()[0] = scale;
    }
    if (ctx.OutputRequested(2)) {
      OE_ASSIGN_OR_RETURN(Tensor * yz, ctx.AllocateOutput(2, DataType::kUint8, {}));
      yz->data<uint8_t>()[0] = zp;
    }
    if (scale > 0.f) {
      uint8_t* py = y->data<uint8_t>();
      const float z = zp;
      ctx.thread_pool().ParallelFor(n, 32768, [&](int64_t i0, int64_t i1) {
        for (int64_t i = i0; i < i1; ++i) {
          float q = std::nearbyint(px[i] / scale);
          if (q != q) q = 0.f;
          q += z;  // exact for |q| < 2^24; anything larger saturates anyway
          py[i] = static_cast<uint8_t>(q < 0.f ? 0.f : (q > 255.f ? 255.f : q));
        }
      });
    }
    return Status::Ok();
  }
};

}  // namespace

void RegisterOp_dynamic_quantize_linear(OpRegistry& registry) {
  registry.Register(
      {"", "DynamicQuantizeLinear", 11, 21, MakeFactory<DynamicQuantizeLinearKernel>()});
}

}  // namespace onnxedge::ops
