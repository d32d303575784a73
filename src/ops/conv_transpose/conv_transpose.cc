// Copyright onnxedge authors.
// ConvTranspose: the gradient of Conv with respect to its input (opsets 1-21; 1 and 11 share
// semantics). X [N, C, D1..Dn], W [C, M/group, k1..kn], optional B [M] -> Y [N, M, ...].
// Attributes: auto_pad, dilations, group, kernel_shape (inferred from W), output_padding,
// output_shape (spatial dims, or all dims), pads, strides. With output_shape or SAME_*, the
// pads come from total = stride * (in - 1) + output_padding + (k - 1) * dilation + 1 - out:
// SAME_UPPER puts floor(total / 2) at the beginning, otherwise the end gets it (floor division,
// so a negative total extends the end).
// float32: per image and group, col = W_g^T * X_g on the packed GEMM (W_g^T prepacked when W is
// constant), then col2im scatter-add. float64/float16: reference loop. Limits: 1 to 3 spatial
// dims.
#include <algorithm>
#include <array>
#include <memory>

#include "kernels/gemm.h"
#include "ops/common/nn_util.h"
#include "ops/common/op_util.h"
#include "runtime/chunk_scratch.h"
#include "runtime/thread_pool.h"

namespace onnxedge::ops {

namespace {

struct TransposeGeometry {
  std::array<int64_t, 3> in{1, 1, 1}, out{1, 1, 1}, kernel{1, 1, 1}, stride{1, 1, 1},
      dilation{1, 1, 1}, pad_begin{0, 0, 0};
  int spatial_rank = 0;
  int64_t in_size() const { return in[0] * in[1] * in[2]; }
  int64_t out_size() const { return out[0] * out[1] * out[2]; }
  int64_t kernel_size() const { return kernel[0] * kernel[1] * kernel[2]; }
};

int64_t FloorDiv2(int64_t v) { return v >= 0 ? v / 2 : -((-v + 1) / 2); }

// Valid input range [lo, hi) along one dim for kernel tap k: 0 <= i * s - p + k * d < out.
void InputRange(int64_t in, int64_t out, int64_t s, int64_t p, int64_t kd, int64_t* lo,
                int64_t* hi) {
  const int64_t off = kd - p;  // output position of input 0
  int64_t l = off >= 0 ? 0 : (-off + s - 1) / s;
  int64_t h = off >= out ? 0 : (out - 1 - off) / s + 1;
  l = std::min(l, in);
  h = std::max(l, std::min(h, in));
  *lo = l;
  *hi = h;
}

// Scatter-adds one column block col[ksize rows, in_size] into an output plane.
template <typename T, typename Acc>
void Col2ImPlane(const Acc* col, T* plane, const TransposeGeometry& g) {
  const int64_t in_size = g.in_size();
  int64_t r = 0;
  for (int64_t kd = 0; kd < g.kernel[0]; ++kd) {
    int64_t d_lo, d_hi;
    InputRange(g.in[0], g.out[0], g.stride[0], g.pad_begin[0], kd * g.dilation[0], &d_lo, &d_hi);
    for (int64_t kh = 0; kh < g.kernel[1]; ++kh) {
      int64_t h_lo, h_hi;
      InputRange(g.in[1], g.out[1], g.stride[1], g.pad_begin[1], kh * g.dilation[1], &h_lo, &h_hi);
      for (int64_t kw = 0; kw < g.kernel[2]; ++kw, ++r) {
        int64_t w_lo, w_hi;
        InputRange(g.in[2], g.out[2], g.stride[2], g.pad_begin[2], kw * g.dilation[2], &w_lo,
                   &w_hi);
        const Acc* cr = col + r * in_size;
        for (int64_t id = d_lo; id < d_hi; ++id) {
          const int64_t od = id * g.stride[0] - g.pad_begin[0] + kd * g.dilation[0];
          for (int64_t ih = h_lo; ih < h_hi; ++ih) {
            const int64_t oh = ih * g.stride[1] - g.pad_begin[1] + kh * g.dilation[1];
            const Acc* src = cr + (id * g.in[1] + ih) * g.in[2];
            T* dst = plane + (od * g.out[1] + oh) * g.out[2] - g.pad_begin[2] + kw * g.dilation[2];
            const int64_t sw = g.stride[2];
            for (int64_t iw = w_lo; iw < w_hi; ++iw) dst[iw * sw] += src[iw];
          }
        }
      }
    }
  }
}

class ConvTransposeKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<ConvTransposeKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<ConvTransposeKernel>();
    OE_ASSIGN_OR_RETURN(k->attrs_, ParseWindowAttrs(info, false, true));
    OE_ASSIGN_OR_RETURN(k->group_, info.GetInt("group", 1));
    if (k->group_ <= 0) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'group' must be positive, got ",
                        k->group_);
    }
    OE_ASSIGN_OR_RETURN(k->output_padding_, info.GetInts("output_padding", {}));
    for (int64_t v : k->output_padding_) {
      if (v < 0) {
        return info.Error(StatusCode::kInvalidModel, "attribute 'output_padding' has ", v);
      }
    }
    OE_ASSIGN_OR_RETURN(k->output_shape_, info.GetInts("output_shape", {}));
    const Tensor* w = info.ConstantInput(1);
    if (w && w->dtype() == DataType::kFloat && w->rank() >= 3 && w->dim(0) % k->group_ == 0) {
      // A_g = W_g^T: (M/group * ksize) x (C/group), packed once.
      const int64_t cg = w->dim(0) / k->group_;
      const int64_t rows = w->size() / std::max<int64_t>(1, w->dim(0));  // Mg * ksize
      k->packed_.resize(static_cast<size_t>(k->group_));
      for (int64_t g = 0; g < k->group_; ++g) {
        kernels::PackA(w->data<float>() + g * cg * rows, rows, true, rows, cg,
                       &k->packed_[static_cast<size_t>(g)], nullptr);
      }
    }
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(const Tensor* w, ctx.RequiredInput(1));
    const Tensor* b = ctx.Input(2);
    if (x->dtype() != w->dtype() || (b && b->dtype() != x->dtype())) {
      return ctx.Error(StatusCode::kInvalidArgument, "inputs X, W and B must share one type");
    }
    if (x->rank() < 3 || w->rank() != x->rank()) {
      return ctx.Error(StatusCode::kInvalidArgument, "inputs X ", ShapeToString(x->shape()),
                       " and W ", ShapeToString(w->shape()),
                       " must have the same rank, at least 3");
    }
    const int64_t batch = x->dim(0), channels = x->dim(1);
    if (w->dim(0) != channels || channels % group_ != 0) {
      return ctx.Error(StatusCode::kInvalidArgument, "input W has ", w->dim(0),
                       " input channels, X has ", channels, " (group ", group_, ")");
    }
    const int64_t mg = w->dim(1), out_channels = mg * group_, cg = channels / group_;
    if (b && (b->rank() != 1 || b->dim(0) != out_channels)) {
      return ctx.Error(StatusCode::kInvalidArgument, "input B has shape ",
                       ShapeToString(b->shape()), ", expected [", out_channels, "]");
    }
    OE_ASSIGN_OR_RETURN(TransposeGeometry g, Geometry(*x, *w, ctx.Describe()));
    Shape out_shape{batch, out_channels};
    for (int i = 3 - g.spatial_rank; i < 3; ++i) out_shape.push_back(g.out[static_cast<size_t>(i)]);
    // The non-overlapping path writes every element once; the others scatter-add into zeros.
    const bool non_overlapping =
        x->dtype() == DataType::kFloat && !packed_.empty() && NonOverlapping(g);
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, x->dtype(), out_shape,
                                                      non_overlapping ? Fill::kNone : Fill::kZero));
    if (y->size() == 0) return Status::Ok();
    const int64_t in_size = g.in_size(), out_size = g.out_size(), ksize = g.kernel_size();
    ThreadPool* pool = &ctx.thread_pool();
    if (non_overlapping) {
      RunNonOverlapping(*x, b ? b->data<float>() : nullptr, g, mg, cg, y->data<float>(), pool);
      return Status::Ok();
    }
    if (x->dtype() == DataType::kFloat) {
      const int64_t rows = mg * ksize;
      OE_ASSIGN_OR_RETURN(Tensor col, ctx.AllocateTemp(DataType::kFloat, {rows, in_size}));
      std::vector<kernels::PackedA> run_packed;
      const std::vector<kernels::PackedA>* packed = &packed_;
      if (packed_.empty()) {
        run_packed.resize(static_cast<size_t>(group_));
        for (int64_t gi = 0; gi < group_; ++gi) {
          kernels::PackA(w->data<float>() + gi * cg * rows, rows, true, rows, cg,
                         &run_packed[static_cast<size_t>(gi)], pool);
        }
        packed = &run_packed;
      }
      float* py = y->data<float>();
      float* pc = col.data<float>();
      for (int64_t n = 0; n < batch; ++n) {
        for (int64_t gi = 0; gi < group_; ++gi) {
          const float* xg = x->data<float>() + (n * channels + gi * cg) * in_size;
          if (cg == 0) {
            std::fill(pc, pc + rows * in_size, 0.f);
          } else {
            kernels::PackedB pb;
            kernels::PackB(xg, in_size, false, cg, in_size, &pb, pool);
            kernels::GemmPacked((*packed)[static_cast<size_t>(gi)], pb, 1.f, 0.f, pc, in_size,
                                pool);
          }
          float* yg = py + (n * out_channels + gi * mg) * out_size;
          pool->ParallelFor(mg, 1, [&](int64_t m0, int64_t m1) {
            for (int64_t m = m0; m < m1; ++m) {
              Col2ImPlane<float, float>(pc + m * ksize * in_size, yg + m * out_size, g);
            }
          });
        }
      }
      if (b) AddBias(b->data<float>(), py, batch, out_channels, out_size);
      return Status::Ok();
    }
    return Dispatch<TypeList<double, Float16, BFloat16>>(x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      using C = ComputeType<T>;
      const T* px = x->data<T>();
      const T* pw = w->data<T>();
      T* py = y->data<T>();
      pool->ParallelFor(batch * out_channels, 1, [&](int64_t p0, int64_t p1) {
        std::vector<C> acc(static_cast<size_t>(out_size));
        std::vector<C> col(static_cast<size_t>(ksize * in_size));
        for (int64_t p = p0; p < p1; ++p) {
          const int64_t n = p / out_channels, oc = p % out_channels;
          const int64_t gi = oc / mg, m = oc % mg;
          std::fill(acc.begin(), acc.end(), b ? ToCompute(b->data<T>()[oc]) : C(0));
          // col[kk, i] = sum_c W[c, m, kk] * X[c, i] for this output channel.
          std::fill(col.begin(), col.end(), C(0));
          for (int64_t c = 0; c < cg; ++c) {
            const T* xc = px + (n * channels + gi * cg + c) * in_size;
            const T* wc = pw + ((gi * cg + c) * mg + m) * ksize;
            for (int64_t kk = 0; kk < ksize; ++kk) {
              const C wv = ToCompute(wc[kk]);
              C* cr = col.data() + kk * in_size;
              for (int64_t i = 0; i < in_size; ++i) cr[i] += wv * ToCompute(xc[i]);
            }
          }
          Col2ImPlane<C, C>(col.data(), acc.data(), g);
          T* yp = py + p * out_size;
          for (int64_t i = 0; i < out_size; ++i)
            yp[i] = FromCompute<T>(acc[static_cast<size_t>(i)]);
        }
      });
      return Status::Ok();
    });
  }

 private:
  // Windows that tile the output exactly (stride = kernel, no dilation or padding, output =
  // input x stride; 1-D and 2-D): the decoder upsampling layers (2x2, stride 2) of U-Net and
  // DB-style detectors. Every output element then comes from one input pixel and one tap.
  static bool NonOverlapping(const TransposeGeometry& g) {
    if (g.in[0] != 1 || g.out[0] != 1 || g.kernel[0] != 1) return false;
    for (int d = 1; d < 3; ++d) {
      if (g.stride[d] != g.kernel[d] || (g.kernel[d] > 1 && g.dilation[d] != 1) ||
          g.pad_begin[d] != 0 || g.out[d] != g.in[d] * g.stride[d]) {
        return false;
      }
    }
    return true;
  }

  // The non-overlapping case as one product per band of input rows: col = W_g^T X_band (X read
  // in place, no packing of the whole input), then each col row (m, a, b) is written with its
  // bias to output rows i * kh + a, columns j * kw + b. No zero fill, no scatter-add, and the
  // col block (about 256 KiB) stays in cache between the two steps.
  void RunNonOverlapping(const Tensor& x, const float* bias, const TransposeGeometry& g,
                         int64_t mg, int64_t cg, float* y, ThreadPool* pool) const {
    const int64_t batch = x.dim(0), channels = x.dim(1);
    const int64_t h = g.in[1], w = g.in[2], kh = g.kernel[1], kw = g.kernel[2];
    const int64_t ow = w * kw, in_size = h * w, out_size = g.out_size(), ks = kh * kw;
    const int64_t rows = mg * ks, out_channels = mg * group_;
    const int64_t band = std::clamp<int64_t>(65536 / std::max<int64_t>(1, rows * w), 1, h);
    const int64_t bands = (h + band - 1) / band;
    const size_t col_bytes = static_cast<size_t>(rows * band * w) * sizeof(float);
    thread_local ChunkScratch tls_scratch;
    ChunkScratch& scratch = tls_scratch;
    scratch.Prepare(static_cast<size_t>(pool->num_threads()), col_bytes);
    const float* px = x.data<float>();
    pool->ParallelFor(batch * group_ * bands, 1, [&](int64_t t0, int64_t t1) {
      float* const col = reinterpret_cast<float*>(scratch.Claim());
      for (int64_t t = t0; t < t1; ++t) {
        const int64_t bi = t % bands, gi = (t / bands) % group_, n = t / (bands * group_);
        const int64_t i0 = bi * band, nr = std::min(band, h - i0), cols = nr * w;
        const float* xg = px + (n * channels + gi * cg) * in_size + i0 * w;
        kernels::GemmBlockInPlaceB(packed_[static_cast<size_t>(gi)], 0, rows, xg, in_size, cols,
                                   1.f, 0.f, col, cols, {});
        for (int64_t m = 0; m < mg; ++m) {
          const int64_t oc = gi * mg + m;
          const float bv = bias ? bias[oc] : 0.f;
          float* ym = y + (n * out_channels + oc) * out_size;
          for (int64_t a = 0; a < kh; ++a) {
            const float* src = col + (m * ks + a * kw) * cols;
            for (int64_t r = 0; r < nr; ++r) {
              float* dst = ym + ((i0 + r) * kh + a) * ow;
              const float* s0 = src + r * w;
              if (kw == 2) {
                const float* s1 = s0 + cols;
                for (int64_t j = 0; j < w; ++j) {
                  dst[2 * j] = s0[j] + bv;
                  dst[2 * j + 1] = s1[j] + bv;
                }
              } else {
                for (int64_t b = 0; b < kw; ++b) {
                  const float* sb = s0 + b * cols;
                  for (int64_t j = 0; j < w; ++j) dst[j * kw + b] = sb[j] + bv;
                }
              }
            }
          }
        }
      }
    });
  }

  static void AddBias(const float* bias, float* y, int64_t batch, int64_t channels, int64_t plane) {
    for (int64_t n = 0; n < batch; ++n) {
      for (int64_t c = 0; c < channels; ++c) {
        float* p = y + (n * channels + c) * plane;
        const float bv = bias[c];
        for (int64_t i = 0; i < plane; ++i) p[i] += bv;
      }
    }
  }

  StatusOr<TransposeGeometry> Geometry(const Tensor& x, const Tensor& w,
                                       const std::string& where) const {
    const size_t rank = x.rank() - 2;
    if (rank > static_cast<size_t>(kMaxSpatialDims)) {
      return MakeError(StatusCode::kNotImplemented, where, ": ", rank,
                       " spatial dims are not supported (at most ", kMaxSpatialDims, ")");
    }
    auto check_len = [&](const std::vector<int64_t>& v, size_t n, const char* name) -> Status {
      if (!v.empty() && v.size() != n) {
        return MakeError(StatusCode::kInvalidArgument, where, ": attribute '", name, "' has ",
                         v.size(), " values for an input with ", rank, " spatial dims");
      }
      return Status::Ok();
    };
    OE_RETURN_IF_ERROR(check_len(attrs_.kernel_shape, rank, "kernel_shape"));
    OE_RETURN_IF_ERROR(check_len(attrs_.strides, rank, "strides"));
    OE_RETURN_IF_ERROR(check_len(attrs_.dilations, rank, "dilations"));
    OE_RETURN_IF_ERROR(check_len(attrs_.pads, 2 * rank, "pads"));
    OE_RETURN_IF_ERROR(check_len(output_padding_, rank, "output_padding"));
    std::vector<int64_t> out_attr = output_shape_;
    if (out_attr.size() == rank + 2) out_attr.erase(out_attr.begin(), out_attr.begin() + 2);
    OE_RETURN_IF_ERROR(check_len(out_attr, rank, "output_shape"));
    TransposeGeometry g;
    g.spatial_rank = static_cast<int>(rank);
    for (size_t i = 0; i < rank; ++i) {
      const size_t d = 3 - rank + i;
      const int64_t in = x.dim(i + 2), k = w.dim(i + 2);
      if (!attrs_.kernel_shape.empty() && attrs_.kernel_shape[i] != k) {
        return MakeError(StatusCode::kInvalidArgument, where, ": attribute 'kernel_shape' does ",
                         "not match input W of shape ", ShapeToString(w.shape()));
      }
      const int64_t s = attrs_.strides.empty() ? 1 : attrs_.strides[i];
      const int64_t dil = attrs_.dilations.empty() ? 1 : attrs_.dilations[i];
      const int64_t op = output_padding_.empty() ? 0 : output_padding_[i];
      const int64_t full = s * (in - 1) + op + (k - 1) * dil + 1;
      g.in[d] = in;
      g.kernel[d] = k;
      g.stride[d] = s;
      g.dilation[d] = dil;
      int64_t out;
      if (!out_attr.empty() || attrs_.auto_pad == AutoPad::kSameUpper ||
          attrs_.auto_pad == AutoPad::kSameLower) {
        out = !out_attr.empty() ? out_attr[i] : in * s;
        const int64_t total = full - out;
        const int64_t half = FloorDiv2(total);
        g.pad_begin[d] = attrs_.auto_pad == AutoPad::kSameUpper ? half : total - half;
      } else if (attrs_.auto_pad == AutoPad::kValid) {
        out = full;
      } else {
        const int64_t pb = attrs_.pads.empty() ? 0 : attrs_.pads[i];
        const int64_t pe = attrs_.pads.empty() ? 0 : attrs_.pads[rank + i];
        out = full - pb - pe;
        g.pad_begin[d] = pb;
      }
      if (out < 0 || in < 0) {
        return MakeError(StatusCode::kInvalidArgument, where, ": output spatial dim ", i,
                         " would be ", out);
      }
      g.out[d] = out;
    }
    return g;
  }

  WindowAttrs attrs_;
  int64_t group_ = 1;
  std::vector<int64_t> output_padding_;
  std::vector<int64_t> output_shape_;
  std::vector<kernels::PackedA> packed_;
};

}  // namespace

void RegisterOp_conv_transpose(OpRegistry& registry) {
  registry.Register({"", "ConvTranspose", 1, 21, MakeFactory<ConvTransposeKernel>()});
}

}  // namespace onnxedge::ops
