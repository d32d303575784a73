// Copyright onnxedge authors.
// Conv: N-D convolution Y = conv(X, W) + B (opsets 1-21; definitions 1 and 11 share semantics).
//
// X [N, C, D1..Dn], W [M, C/group, k1..kn], optional B [M]. Attributes auto_pad (NOTSET,
// SAME_UPPER, SAME_LOWER, VALID), dilations, group (incl. depthwise), kernel_shape (inferred
// from W when absent), pads, strides. Types: float32 (fast path: packed multi-threaded GEMM,
// weights prepacked at session creation when W is constant; direct depthwise loop), float16
// and bfloat16 (widened to float32 for the same fast path), float64 (reference loop).
// Limits: 1 to 3 spatial dims.
//
// The same kernel serves com.onnxedge FusedConv (src/ops/fused_conv/): Conv's inputs and
// attributes plus an optional input Z (same shape as Y) and a fused activation,
// Y = activation(conv(X, W) + B + Z), computed in one pass over Y.
#include "ops/conv/conv.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "ops/common/nn_util.h"
#include "ops/common/op_util.h"
#include "ops/conv/conv_f32.h"
#include "ops/conv/conv_nhwc.h"
#include "runtime/thread_pool.h"

namespace onnxedge::ops {

namespace {

// Naive direct convolution over the 3-D normalized geometry: the oracle for the fast paths and
// the kernel for non-float32 types.
template <typename T>
void ConvReference(const T* x, const T* w, const T* b, T* y, int64_t batch, int64_t channels,
                   int64_t out_channels, int64_t group, const WindowGeometry& g, ThreadPool* pool) {
  using C = ComputeType<T>;
  const int64_t cg = channels / group, mg = out_channels / group;
  const int64_t in_size = g.in_size(), out_size = g.out_size(), ksize = g.kernel_size();
  pool->ParallelFor(batch * out_channels, 1, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const int64_t n = p / out_channels, m = p % out_channels;
      const int64_t gi = m / mg;
      T* yp = y + p * out_size;
      for (int64_t od = 0; od < g.out[0]; ++od) {
        for (int64_t oh = 0; oh < g.out[1]; ++oh) {
          for (int64_t ow = 0; ow < g.out[2]; ++ow) {
            C acc = b ? ToCompute(b[m]) : C(0);
            for (int64_t c = 0; c < cg; ++c) {
              const T* xc = x + (n * channels + gi * cg + c) * in_size;
              const T* wc = w + (m * cg + c) * ksize;
              for (int64_t kd = 0; kd < g.kernel[0]; ++kd) {
                const int64_t id = od * g.stride[0] - g.pad_begin[0] + kd * g.dilation[0];
                if (id < 0 || id >= g.in[0]) continue;
                for (int64_t kh = 0; kh < g.kernel[1]; ++kh) {
                  const int64_t ih = oh * g.stride[1] - g.pad_begin[1] + kh * g.dilation[1];
                  if (ih < 0 || ih >= g.in[1]) continue;
                  for (int64_t kw = 0; kw < g.kernel[2]; ++kw) {
                    const int64_t iw = ow * g.stride[2] - g.pad_begin[2] + kw * g.dilation[2];
                    if (iw < 0 || iw >= g.in[2]) continue;
                    acc += ToCompute(xc[(id * g.in[1] + ih) * g.in[2] + iw]) *
                           ToCompute(wc[(kd * g.kernel[1] + kh) * g.kernel[2] + kw]);
                  }
                }
              }
            }
            yp[(od * g.out[1] + oh) * g.out[2] + ow] = FromCompute<T>(acc);
          }
        }
      }
    }
  });
}

// float32 and the 16-bit floats run on the float32 engine (16-bit values are widened).
bool UsesF32Engine(DataType t) {
  return t == DataType::kFloat || t == DataType::kFloat16 || t == DataType::kBfloat16;
}

std::vector<float> ToFloats(const Tensor& t) {
  std::vector<float> out(static_cast<size_t>(t.size()));
  if (t.dtype() == DataType::kFloat) {
    std::copy(t.data<float>(), t.data<float>() + t.size(), out.begin());
  } else if (t.dtype() == DataType::kFloat16) {
    for (int64_t i = 0; i < t.size(); ++i)
      out[static_cast<size_t>(i)] = static_cast<float>(t.data<Float16>()[i]);
  } else {
    for (int64_t i = 0; i < t.size(); ++i)
      out[static_cast<size_t>(i)] = static_cast<float>(t.data<BFloat16>()[i]);
  }
  return out;
}

void WidenInto(const Tensor& t, float* out, ThreadPool* pool) {
  pool->ParallelFor(t.size(), 65536, [&](int64_t i0, int64_t i1) {
    if (t.dtype() == DataType::kFloat16) {
      for (int64_t i = i0; i < i1; ++i) out[i] = static_cast<float>(t.data<Float16>()[i]);
    } else {
      for (int64_t i = i0; i < i1; ++i) out[i] = static_cast<float>(t.data<BFloat16>()[i]);
    }
  });
}

void NarrowInto(const float* in, Tensor* t, ThreadPool* pool) {
  pool->ParallelFor(t->size(), 65536, [&](int64_t i0, int64_t i1) {
    if (t->dtype() == DataType::kFloat16) {
      for (int64_t i = i0; i < i1; ++i) t->data<Float16>()[i] = Float16(in[i]);
    } else {
      for (int64_t i = i0; i < i1; ++i) t->data<BFloat16>()[i] = BFloat16(in[i]);
    }
  });
}

std::shared_ptr<const ConvF32Weights> Prepare(const Tensor& w, int64_t group, ThreadPool* pool,
                                              const ConvF32Hints* hints = nullptr) {
  auto prepared = std::make_shared<ConvF32Weights>();
  if (w.dtype() == DataType::kFloat) {
    PrepareConvF32Weights(w.data<float>(), w.shape(), group, prepared.get(), pool, hints);
  } else {
    const std::vector<float> wf = ToFloats(w);
    PrepareConvF32Weights(wf.data(), w.shape(), group, prepared.get(), pool, hints);
  }
  return prepared;
}

bool AllOnes(const std::vector<int64_t>& v) {
  return std::all_of(v.begin(), v.end(), [](int64_t d) { return d == 1; });
}

// What the attributes and X's static type say about the layer (for the Winograd choice).
// X is [N, H, W, C] when `channels_last`.
ConvF32Hints MakeHints(const KernelInfo& info, const WindowAttrs& attrs, const Shape& w_shape,
                       bool channels_last) {
  ConvF32Hints h;
  h.unit_stride_dilation = AllOnes(attrs.strides) && AllOnes(attrs.dilations);
  if (w_shape.size() == 4 && AllOnes(attrs.dilations) &&
      (attrs.strides.empty() || attrs.strides.size() == 2)) {
    h.stride_h = attrs.strides.empty() ? 1 : attrs.strides[0];
    h.stride_w = attrs.strides.empty() ? 1 : attrs.strides[1];
  }
  const ir::TypeInfo* xt = info.InputType(0);
  if (!xt || !xt->has_shape || xt->dims.size() != 4 || w_shape.size() != 4) return h;
  const size_t d0 = channels_last ? 1 : 2;
  if (!xt->dims[d0].known() || !xt->dims[d0 + 1].known()) return h;
  const Shape in_spatial{xt->dims[d0].value, xt->dims[d0 + 1].value};
  const Shape kernel(w_shape.begin() + 2, w_shape.end());
  StatusOr<WindowGeometry> g = ComputeWindowGeometry(attrs, in_spatial, kernel, false, "");
  if (g.ok()) {
    h.out_h = g->out[1];
    h.out_w = g->out[2];
  }
  return h;
}

// Y += Z, then the activation, over n values (the non-float32 reference path).
template <typename T>
void FinishReference(T* y, const T* z, int64_t n, const kernels::Activation& act) {
  using C = ComputeType<T>;
  for (int64_t i = 0; i < n; ++i) {
    C v = ToCompute(y[i]);
    if (z) v += ToCompute(z[i]);
    y[i] = FromCompute<T>(static_cast<C>(kernels::ApplyActivation(static_cast<float>(v), act)));
  }
}

class ConvKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<ConvKernel>> Create(const KernelInfo& info, bool fused) {
    auto k = std::make_unique<ConvKernel>();
    k->fused_ = fused;
    if (fused) {
      OE_ASSIGN_OR_RETURN(k->activation_, ParseFusedActivation(info));
      OE_ASSIGN_OR_RETURN(int64_t cl, info.GetInt("channels_last", 0));
      if (cl != 0 && cl != 1) {
        return info.Error(StatusCode::kInvalidModel, "attribute 'channels_last' must be 0 or 1, got ",
                          cl);
      }
      k->channels_last_ = cl == 1;
    }
    OE_ASSIGN_OR_RETURN(k->attrs_, ParseWindowAttrs(info, /*kernel_required=*/false,
                                                    /*has_dilations=*/true));
    OE_ASSIGN_OR_RETURN(k->group_, info.GetInt("group", 1));
    if (k->group_ <= 0) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'group' must be positive, got ",
                        k->group_);
    }
    const Tensor* w = info.ConstantInput(1);
    if (k->channels_last_) {
      if (w) {
        OE_RETURN_IF_ERROR(k->CheckWeights(w->shape(), info.Describe()));
        const ConvF32Hints hints = MakeHints(info, k->attrs_, w->shape(), /*channels_last=*/true);
        if (w->dtype() == DataType::kFloat) k->nhwc_ = k->PrepareNhwc(*w, nullptr, &hints);
      }
    } else if (w && UsesF32Engine(w->dtype())) {
      OE_RETURN_IF_ERROR(k->CheckWeights(w->shape(), info.Describe()));
      const ConvF32Hints hints = MakeHints(info, k->attrs_, w->shape(), /*channels_last=*/false);
      k->weights_ = Prepare(*w, k->group_, nullptr, &hints);
    }
    if (k->channels_last_ && w && !k->nhwc_) {
      return info.Error(StatusCode::kNotImplemented, "channels_last = 1 supports float32 2-D ",
                        "convolutions with group 1 or depthwise (multiplier 1), got W ",
                        ShapeToString(w->shape()), " of type ", DataTypeName(w->dtype()),
                        " with group ", k->group_);
    }
    return k;
  }

  /// With prepared float weights, Run reads only W's type and shape (the engine uses weights_).
  uint32_t PrepackedInputs() const override { return weights_ || nhwc_ ? 2u : 0u; }
  void CollectPrepacked(std::unordered_map<const void*, uint64_t>* out) const override {
    if (weights_) (*out)[weights_.get()] = weights_->bytes();
    if (nhwc_) (*out)[nhwc_.get()] = nhwc_->bytes();
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(const Tensor* w, ctx.RequiredInput(1));
    const Tensor* b = ctx.Input(2);
    const Tensor* z = fused_ ? ctx.Input(3) : nullptr;
    const std::string& where = ctx.Describe();
    if (z && z->dtype() != x->dtype()) {
      return ctx.Error(StatusCode::kInvalidArgument, "input Z has type ", DataTypeName(z->dtype()),
                       " but X has ", DataTypeName(x->dtype()));
    }
    if (x->dtype() != w->dtype() || (b && b->dtype() != x->dtype())) {
      return ctx.Error(StatusCode::kInvalidArgument, "inputs X, W and B must share one type, got ",
                       DataTypeName(x->dtype()), ", ", DataTypeName(w->dtype()),
                       b ? std::string(", ") + DataTypeName(b->dtype()) : std::string());
    }
    if (x->rank() < 3) {
      return ctx.Error(StatusCode::kInvalidArgument, "input X must have rank >= 3, got shape ",
                       ShapeToString(x->shape()));
    }
    OE_RETURN_IF_ERROR(CheckWeights(w->shape(), where));
    if (w->rank() != x->rank()) {
      return ctx.Error(StatusCode::kInvalidArgument, "input W has shape ",
                       ShapeToString(w->shape()), " but X has rank ", x->rank());
    }
    // channels_last: X [N, H, W, C], Y [N, OH, OW, M].
    const bool cl = channels_last_;
    if (cl && x->rank() != 4) {
      return ctx.Error(StatusCode::kInvalidArgument,
                       "channels_last = 1 needs a 4-D input X [N, H, W, C], got shape ",
                       ShapeToString(x->shape()));
    }
    const int64_t batch = x->dim(0), channels = x->dim(cl ? 3 : 1), out_channels = w->dim(0);
    if (channels != w->dim(1) * group_) {
      return ctx.Error(StatusCode::kInvalidArgument, "input X has ", channels,
                       " channels but W expects ", w->dim(1), " x group ", group_);
    }
    if (b && (b->rank() != 1 || b->dim(0) != out_channels)) {
      return ctx.Error(StatusCode::kInvalidArgument, "input B has shape ",
                       ShapeToString(b->shape()), ", expected [", out_channels, "]");
    }
    const Shape in_spatial = cl ? Shape{x->dim(1), x->dim(2)}
                                : Shape(x->shape().begin() + 2, x->shape().end());
    const Shape kernel(w->shape().begin() + 2, w->shape().end());
    OE_ASSIGN_OR_RETURN(WindowGeometry g,
                        ComputeWindowGeometry(attrs_, in_spatial, kernel, false, where));
    Shape out_shape{batch};
    if (!cl) out_shape.push_back(out_channels);
    for (int64_t d : g.OutDims()) out_shape.push_back(d);
    if (cl) out_shape.push_back(out_channels);
    if (z && z->shape() != out_shape) {
      return ctx.Error(StatusCode::kInvalidArgument, "input Z has shape ",
                       ShapeToString(z->shape()), " but the output has ", ShapeToString(out_shape));
    }
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, x->dtype(), out_shape, Fill::kNone));
    if (y->size() == 0) return Status::Ok();
    ThreadPool* pool = &ctx.thread_pool();
    if (cl) {
      std::shared_ptr<const ConvNhwcWeights> weights = nhwc_;
      if (!weights) {
        weights = PrepareNhwc(*w, pool);
        if (!weights) {
          return ctx.Error(StatusCode::kNotImplemented, "channels_last = 1 supports float32 2-D ",
                           "convolutions with group 1 or depthwise (multiplier 1), got W ",
                           ShapeToString(w->shape()), " of type ", DataTypeName(w->dtype()),
                           " with group ", group_);
        }
      }
      ConvNhwcArgs args;
      args.batch = batch;
      args.h = g.in[1];
      args.w = g.in[2];
      args.c = channels;
      args.m = out_channels;
      args.stride_h = g.stride[1];
      args.stride_w = g.stride[2];
      args.dilation_h = g.dilation[1];
      args.dilation_w = g.dilation[2];
      args.pad_top = g.pad_begin[1];
      args.pad_left = g.pad_begin[2];
      args.oh = g.out[1];
      args.ow = g.out[2];
      args.x = x->data<float>();
      args.bias = b ? b->data<float>() : nullptr;
      args.residual = z ? z->data<float>() : nullptr;
      args.activation = activation_;
      args.y = y->data<float>();
      RunConvNhwc(*weights, args, pool);
      return Status::Ok();
    }
    if (UsesF32Engine(x->dtype())) {
      std::shared_ptr<const ConvF32Weights> weights = weights_;
      if (!weights) weights = Prepare(*w, group_, pool);
      ConvF32Args args;
      args.geometry = &g;
      args.batch = batch;
      args.in_channels = channels;
      args.activation = activation_;
      if (x->dtype() == DataType::kFloat) {
        args.x = x->data<float>();
        args.bias = b ? b->data<float>() : nullptr;
        args.residual = z ? z->data<float>() : nullptr;
        args.y = y->data<float>();
        RunConvF32(*weights, args, pool);
        return Status::Ok();
      }
      // 16-bit floats: widen to float32, run the fast engine, narrow the result.
      OE_ASSIGN_OR_RETURN(Tensor xf, ctx.AllocateTemp(DataType::kFloat, x->shape()));
      OE_ASSIGN_OR_RETURN(Tensor yf, ctx.AllocateTemp(DataType::kFloat, y->shape()));
      std::vector<float> bf;
      if (b) bf = ToFloats(*b);
      WidenInto(*x, xf.data<float>(), pool);
      Tensor zf;
      if (z) {
        OE_ASSIGN_OR_RETURN(zf, ctx.AllocateTemp(DataType::kFloat, z->shape()));
        WidenInto(*z, zf.data<float>(), pool);
        args.residual = zf.data<float>();
      }
      args.x = xf.data<float>();
      args.bias = b ? bf.data() : nullptr;
      args.y = yf.data<float>();
      RunConvF32(*weights, args, pool);
      NarrowInto(yf.data<float>(), y, pool);
      return Status::Ok();
    }
    return Dispatch<TypeList<double>>(x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      ConvReference<T>(x->data<T>(), w->data<T>(), b ? b->data<T>() : nullptr, y->data<T>(), batch,
                       channels, out_channels, group_, g, pool);
      if (z || !activation_.is_none()) {
        FinishReference<T>(y->data<T>(), z ? z->data<T>() : nullptr, y->size(), activation_);
      }
      return Status::Ok();
    });
  }

 private:
  Status CheckWeights(const Shape& ws, const std::string& where) const {
    if (ws.size() < 3) {
      return MakeError(StatusCode::kInvalidArgument, where, ": input W must have rank >= 3, got ",
                       ShapeToString(ws));
    }
    if (ws[0] % group_ != 0) {
      return MakeError(StatusCode::kInvalidArgument, where, ": input W has ", ws[0],
                       " output channels, not divisible by group ", group_);
    }
    if (!attrs_.kernel_shape.empty() &&
        !std::equal(attrs_.kernel_shape.begin(), attrs_.kernel_shape.end(), ws.begin() + 2,
                    ws.end())) {
      return MakeError(StatusCode::kInvalidArgument, where, ": attribute 'kernel_shape' does not ",
                       "match input W of shape ", ShapeToString(ws));
    }
    if (ws.size() - 2 > static_cast<size_t>(kMaxSpatialDims)) {
      return MakeError(StatusCode::kNotImplemented, where, ": ", ws.size() - 2,
                       " spatial dims are not supported (at most ", kMaxSpatialDims, ")");
    }
    return Status::Ok();
  }

  // Channels-last weights, or null when W is not a float32 2-D tensor of a supported grouping.
  // `hints` (static shapes) may choose Winograd; without them (W not constant) never.
  std::shared_ptr<const ConvNhwcWeights> PrepareNhwc(const Tensor& w, ThreadPool* pool,
                                                     const ConvF32Hints* hints = nullptr) const {
    if (w.dtype() != DataType::kFloat || !ConvNhwcSupports(w.shape(), group_)) return nullptr;
    auto prepared = std::make_shared<ConvNhwcWeights>();
    PrepareConvNhwcWeights(w.data<float>(), w.shape(), group_, prepared.get(), pool, hints);
    return prepared;
  }

  WindowAttrs attrs_;
  int64_t group_ = 1;
  bool fused_ = false;
  bool channels_last_ = false;
  std::shared_ptr<const ConvNhwcWeights> nhwc_;
  kernels::Activation activation_;
  std::shared_ptr<const ConvF32Weights> weights_;
};

}  // namespace

StatusOr<std::unique_ptr<Kernel>> CreateConvKernel(const KernelInfo& info, bool fused) {
  auto k = ConvKernel::Create(info, fused);
  if (!k.ok()) return k.status();
  return std::unique_ptr<Kernel>(std::move(k).value());
}

void RegisterOp_conv(OpRegistry& registry) {
  registry.Register({"", "Conv", 1, 21, [](const KernelInfo& info) {
                       return CreateConvKernel(info, /*fused=*/false);
                     }});
}

}  // namespace onnxedge::ops
