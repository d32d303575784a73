// Copyright onnxedge authors.
// com.onnxedge FusedExpandDepthwise (version 1): the expansion 1x1 convolution of an inverted
// residual block and the depthwise convolution after it, in one op, so the expanded tensor
// never goes to memory. Emitted by the optimizer (fuse_expand_depthwise), never by exporters.
//
//   inputs:  X [N, C, H, W], W1 [E, C, 1, 1] (constant), B1 [E] (optional),
//            W2 [E, 1, k, k] (constant), B2 [E] (optional)
//   outputs: Y = act2(DepthwiseConv(act1(Conv1x1(X, W1, B1)), W2, B2))   [N, E, OH, OW]
//   attributes: expand_activation, expand_activation_params (act1) and activation,
//     activation_params (act2), with FusedConv's names and parameters; strides [s, s] and
//     pads [top, left, bottom, right] of the depthwise convolution (each pad below k);
//     kernel_shape (optional, must equal W2's).
//   types: float32 only (the optimizer fuses float32 layers only).
//
// Work: tasks are (image, group of kGroup expanded channels, section of bands). A task walks
// its bands of output rows in order: it multiplies the prepacked W1 rows of its group by the
// input rows the band needs (GEMM B read in place from X, row stride H * W; bias and act1 in the
// GEMM epilogue, as the 1x1 FusedConv does) into a per-thread scratch of kGroup x rows x W
// floats (L2), then runs the direct depthwise kernel (ops/conv/depthwise.h) on the scratch into
// Y, one plane of the band at a time. The k - s input rows two consecutive bands share are kept:
// they move to the top of the scratch and only the new rows are expanded, so the expansion
// costs what the separate 1x1 layer costs. Bands are split into sections (each recomputing one
// halo) only when images x groups would leave threads idle or unevenly loaded. No allocation in
// steady state: the scratch is a ChunkScratch grown by the calling thread.
//
// Y equals FusedConv 1x1 followed by FusedConv depthwise up to float rounding: the depthwise
// step sums an output's taps in the same order as the separate layer (the direct kernels, AVX2
// and AVX-512; a scalar loop without them), but the GEMM tiles split the sum over C into
// accumulator sets by tile shape, and a band's columns fall into other tiles than the whole
// layer's, so the expanded values may differ in the last bit.
#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <vector>

#include "kernels/activation.h"
#include "kernels/gemm.h"
#include "ops/common/nn_util.h"
#include "ops/common/op_util.h"
#include "ops/conv/conv_f32.h"
#include "ops/conv/depthwise.h"
#include "runtime/chunk_scratch.h"
#include "runtime/kernel.h"
#include "runtime/thread_pool.h"

namespace onnxedge::ops {

namespace {

constexpr int64_t kNr = kernels::kGemmNr;
// Expanded channels per GEMM + depthwise step: 4 slivers of the 6-row GEMM tile.
constexpr int64_t kGroup = 24;
// Expanded columns (input rows x W) a band aims for: 24 x 4096 floats = 384 KiB of scratch
// (L2). Measured against 1024 and 2048 on MobileNetV2's blocks: fewer, larger bands ran faster.
constexpr int64_t kBandCols = 4096;

// Scalar depthwise of one plane band (no direct kernel for this ISA): out rows [0, oh_n) of
// ow_n columns, input rows [0, ih_n) of iw_n columns, row r of the output reading input row
// r * s - ph + kh.
void DepthwiseBandGeneric(const float* in, int64_t ih_n, int64_t iw_n, int64_t ph, int64_t pw,
                          int64_t k, int64_t s, const float* w, float bias, float* out,
                          int64_t oh_n, int64_t ow_n, const kernels::Activation& act) {
  for (int64_t oh = 0; oh < oh_n; ++oh) {
    float* orow = out + oh * ow_n;
    for (int64_t ow = 0; ow < ow_n; ++ow) {
      float acc = bias;
      for (int64_t kh = 0; kh < k; ++kh) {
        const int64_t ih = oh * s - ph + kh;
        if (ih < 0 || ih >= ih_n) continue;
        for (int64_t kw = 0; kw < k; ++kw) {
          const int64_t iw = ow * s - pw + kw;
          if (iw < 0 || iw >= iw_n) continue;
          acc += in[ih * iw_n + iw] * w[kh * k + kw];
        }
      }
      orow[ow] = acc;
    }
    kernels::ApplyActivation(orow, static_cast<long>(ow_n), act);
  }
}

struct Packed {
  int64_t e = 0, c = 0, k = 0;
  std::vector<kernels::PackedA> groups;  ///< W1 rows [g * kGroup, ...) per group.
  std::vector<float> w2;                 ///< [E][k * k]
  uint64_t bytes() const {
    uint64_t b = w2.size() * sizeof(float);
    for (const auto& g : groups) b += g.bytes();
    return b;
  }
};

class FusedExpandDepthwiseKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<FusedExpandDepthwiseKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<FusedExpandDepthwiseKernel>();
    OE_ASSIGN_OR_RETURN(
        k->act1_, ParseFusedActivation(info, "expand_activation", "expand_activation_params"));
    OE_ASSIGN_OR_RETURN(k->act2_, ParseFusedActivation(info));
    if (info.num_inputs() != 5) {
      return info.Error(StatusCode::kInvalidModel,
                        "expects 5 inputs (X, W1, B1, W2, B2; B1 and B2 may be empty), got ",
                        info.num_inputs());
    }
    const Tensor* w1 = info.ConstantInput(1);
    const Tensor* w2 = info.ConstantInput(3);
    if (!w1 || !w2) {
      return info.Error(StatusCode::kInvalidModel, "inputs W1 and W2 must be constants");
    }
    if (w1->dtype() != DataType::kFloat || w2->dtype() != DataType::kFloat) {
      return info.Error(StatusCode::kNotImplemented, "supports float32 weights only, got ",
                        DataTypeName(w1->dtype()), " and ", DataTypeName(w2->dtype()));
    }
    if (w1->rank() != 4 || w1->dim(2) != 1 || w1->dim(3) != 1 || w1->dim(0) <= 0 ||
        w1->dim(1) <= 0) {
      return info.Error(StatusCode::kInvalidModel, "W1 must be [E, C, 1, 1], got ",
                        ShapeToString(w1->shape()));
    }
    const int64_t e = w1->dim(0);
    if (w2->rank() != 4 || w2->dim(0) != e || w2->dim(1) != 1 || w2->dim(2) != w2->dim(3) ||
        w2->dim(2) < 1) {
      return info.Error(StatusCode::kInvalidModel, "W2 must be [", e, ", 1, k, k], got ",
                        ShapeToString(w2->shape()));
    }
    k->k_ = w2->dim(2);
    OE_ASSIGN_OR_RETURN(std::vector<int64_t> ks, info.GetInts("kernel_shape", {}));
    if (!ks.empty() && ks != std::vector<int64_t>{k->k_, k->k_}) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'kernel_shape' ", ShapeToString(ks),
                        " does not match W2 ", ShapeToString(w2->shape()));
    }
    OE_ASSIGN_OR_RETURN(std::vector<int64_t> strides, info.GetInts("strides", {1, 1}));
    if (strides.size() != 2 || strides[0] != strides[1] || strides[0] < 1) {
      return info.Error(StatusCode::kInvalidModel,
                        "attribute 'strides' must be [s, s] with s >= 1, got ",
                        ShapeToString(strides));
    }
    k->s_ = strides[0];
    OE_ASSIGN_OR_RETURN(std::vector<int64_t> pads, info.GetInts("pads", {0, 0, 0, 0}));
    if (pads.size() != 4) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'pads' must have 4 values, got ",
                        ShapeToString(pads));
    }
    for (int64_t p : pads) {
      if (p < 0 || p >= k->k_) {
        return info.Error(StatusCode::kInvalidModel, "attribute 'pads' ", ShapeToString(pads),
                          " must lie in [0, ", k->k_, ")");
      }
    }
    k->pads_ = pads;
    auto packed = std::make_shared<Packed>();
    packed->e = e;
    packed->c = w1->dim(1);
    packed->k = k->k_;
    const float* w1d = w1->data<float>();
    for (int64_t e0 = 0; e0 < e; e0 += kGroup) {
      const int64_t rows = std::min(kGroup, e - e0);
      packed->groups.emplace_back();
      kernels::PackA(w1d + e0 * packed->c, packed->c, false, rows, packed->c,
                     &packed->groups.back(), nullptr);
    }
    packed->w2.assign(w2->data<float>(), w2->data<float>() + w2->size());
    k->packed_ = std::move(packed);
    return k;
  }

  uint32_t PrepackedInputs() const override { return (1u << 1) | (1u << 3); }
  void CollectPrepacked(std::unordered_map<const void*, uint64_t>* out) const override {
    (*out)[packed_.get()] = packed_->bytes();
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    const Tensor* b1 = ctx.Input(2);
    const Tensor* b2 = ctx.Input(4);
    const Packed& pk = *packed_;
    if (x->dtype() != DataType::kFloat) {
      return ctx.Error(StatusCode::kInvalidArgument, "input X must be float32, got ",
                       DataTypeName(x->dtype()));
    }
    if (x->rank() != 4 || x->dim(1) != pk.c) {
      return ctx.Error(StatusCode::kInvalidArgument, "input X must be [N, ", pk.c, ", H, W], got ",
                       ShapeToString(x->shape()));
    }
    for (const Tensor* b : {b1, b2}) {
      if (b && (b->dtype() != DataType::kFloat || b->rank() != 1 || b->dim(0) != pk.e)) {
        return ctx.Error(StatusCode::kInvalidArgument, "bias inputs must be float32 [", pk.e,
                         "], got ", DataTypeName(b->dtype()), " ", ShapeToString(b->shape()));
      }
    }
    const int64_t n = x->dim(0), h = x->dim(2), w = x->dim(3);
    const int64_t k = k_, s = s_;
    const int64_t pt = pads_[0], pl = pads_[1], pb = pads_[2], pr = pads_[3];
    if (h + pt + pb < k || w + pl + pr < k) {
      return ctx.Error(StatusCode::kInvalidArgument, "input X ", ShapeToString(x->shape()),
                       " is smaller than the ", k, "x", k, " window with pads ",
                       ShapeToString(pads_));
    }
    const int64_t oh_n = (h + pt + pb - k) / s + 1, ow_n = (w + pl + pr - k) / s + 1;
    OE_ASSIGN_OR_RETURN(
        Tensor * y, ctx.AllocateOutput(0, DataType::kFloat, {n, pk.e, oh_n, ow_n}, Fill::kNone));
    if (y->size() == 0) return Status::Ok();
    ThreadPool* pool = &ctx.thread_pool();
    const int64_t threads = pool->num_threads();
    const int64_t groups = static_cast<int64_t>(pk.groups.size());

    // Bands of output rows of about kBandCols expanded columns, run in order inside a task, so
    // the expanded rows two consecutive bands share (k - s at the band boundary) are computed
    // once and moved to the top of the scratch. Tasks are (image, channel group, section of
    // bands); the bands are split into sections only when images x groups alone would leave
    // threads idle or unevenly loaded (each section recomputes one halo).
    const int64_t rows_target = std::max(k, kBandCols / std::max<int64_t>(w, 1));
    int64_t band_rows = std::max<int64_t>(1, (rows_target - k) / s + 1);
    // Whole 4-row steps of the direct kernel (a 1-3 row remainder step reloads the window
    // rows for fewer outputs).
    if (band_rows > 4) band_rows = band_rows / 4 * 4;
    band_rows = std::min(band_rows, oh_n);
    const int64_t bands = (oh_n + band_rows - 1) / band_rows;
    int64_t sections = 1;
    while (sections < bands && (n * groups * sections) % threads != 0 &&
           n * groups * sections < 4 * threads) {
      ++sections;
    }
    const int64_t section_bands = (bands + sections - 1) / sections;
    sections = (bands + section_bands - 1) / section_bands;
    const int64_t max_rows = std::min(h, (band_rows - 1) * s + k);
    const int64_t plane = max_rows * w;  // scratch floats per channel
    const int64_t tail_floats = kNr * pk.c;
    const size_t tail_bytes = (static_cast<size_t>(tail_floats) * sizeof(float) + 63) / 64 * 64;
    const int64_t e_floats = std::min(kGroup, pk.e) * plane;
    thread_local ChunkScratch tls_scratch;
    ChunkScratch& scratch = tls_scratch;
    scratch.Prepare(static_cast<size_t>(threads),
                    tail_bytes + static_cast<size_t>(e_floats) * sizeof(float));

    const DepthwiseDirectFn direct = SelectDepthwiseDirect(k, k, s, s);
    const float* xd = x->data<float>();
    const float* b1d = b1 ? b1->data<float>() : nullptr;
    const float* b2d = b2 ? b2->data<float>() : nullptr;
    float* yd = y->data<float>();
    const int64_t in_size = h * w;
    std::atomic<bool> failed{false};
    auto body = [&](int64_t t0, int64_t t1) {
      char* mem = scratch.Claim();
      if (!mem) {
        failed.store(true, std::memory_order_relaxed);
        return;
      }
      float* tail = reinterpret_cast<float*>(mem);
      float* ebuf = reinterpret_cast<float*>(mem + tail_bytes);
      for (int64_t t = t0; t < t1; ++t) {
        const int64_t section = t % sections;
        const int64_t gi = (t / sections) % groups;
        const int64_t img = t / (sections * groups);
        const kernels::PackedA& wa = pk.groups[static_cast<size_t>(gi)];
        const int64_t e0 = gi * kGroup, ge = wa.M;
        const float* ximg = xd + img * pk.c * in_size;
        kernels::GemmEpilogue ep;
        ep.row_bias = b1d ? b1d + e0 : nullptr;
        ep.activation = act1_;
        // Scratch row r holds input row have_lo + r, for rows [have_lo, have_hi).
        int64_t have_lo = 0, have_hi = 0;
        const int64_t band_end = std::min(bands, (section + 1) * section_bands);
        for (int64_t band = section * section_bands; band < band_end; ++band) {
          const int64_t oh0 = band * band_rows, oh1 = std::min(oh_n, oh0 + band_rows);
          const int64_t ih_lo = std::max<int64_t>(0, oh0 * s - pt);
          const int64_t ih_hi = std::max(ih_lo, std::min(h, (oh1 - 1) * s - pt + k));
          // Keep the rows this band shares with the previous one.
          int64_t new_lo = ih_lo;
          if (have_hi > ih_lo && have_lo <= ih_lo) {
            const int64_t keep = have_hi - ih_lo;
            if (ih_lo > have_lo) {
              for (int64_t i = 0; i < ge; ++i) {
                float* p = ebuf + i * plane;
                std::memmove(p, p + (ih_lo - have_lo) * w,
                             sizeof(float) * static_cast<size_t>(keep * w));
              }
            }
            new_lo = have_hi;
          }
          // Expand input rows [new_lo, ih_hi) into scratch rows from new_lo - ih_lo: B is read
          // in place (rows of X, row stride H * W) in whole 16-column panels; the partial last
          // panel is packed.
          const int64_t cols = (ih_hi - new_lo) * w;
          if (cols > 0) {
            float* c0 = ebuf + (new_lo - ih_lo) * w;
            const int64_t main_cols = cols / kNr * kNr;
            if (main_cols > 0) {
              kernels::GemmBlockInPlaceB(wa, 0, ge, ximg + new_lo * w, in_size, main_cols, 1.f, 0.f,
                                         c0, plane, ep);
            }
            if (cols > main_cols) {
              PackRowsPanels(ximg, in_size, pk.c, new_lo * w + main_cols, cols - main_cols, tail);
              kernels::GemmPackedBlock(wa, 0, ge, tail, cols - main_cols, 1.f, 0.f, c0 + main_cols,
                                       plane, ep);
            }
          }
          have_lo = ih_lo;
          have_hi = ih_hi;
          const int64_t rows = ih_hi - ih_lo;
          // Band row 0 is output row oh0; its window starts at scratch row oh0 * s - pt - ih_lo.
          const int64_t ph = pt + ih_lo - oh0 * s;
          for (int64_t i = 0; i < ge; ++i) {
            const int64_t ch = e0 + i;
            float* out = yd + ((img * pk.e + ch) * oh_n + oh0) * ow_n;
            const float* wk = pk.w2.data() + ch * k * k;
            if (direct) {
              DepthwiseDirectArgs d;
              d.x = ebuf + i * plane;
              d.in_channels = 1;
              d.ih_n = rows;
              d.iw_n = w;
              d.ph = ph;
              d.pw = pl;
              d.oh_n = oh1 - oh0;
              d.ow_n = ow_n;
              d.w = wk;
              d.kernel_size = k * k;
              d.bias = b2d ? b2d + ch : nullptr;
              d.y = out;
              d.m_total = 1;
              d.mult = 1;
              d.bands = 1;
              d.band_rows = oh1 - oh0;
              d.activation = &act2_;
              direct(d, 0, 1);
            } else {
              DepthwiseBandGeneric(ebuf + i * plane, rows, w, ph, pl, k, s, wk, b2d ? b2d[ch] : 0.f,
                                   out, oh1 - oh0, ow_n, act2_);
            }
          }
        }
      }
    };
    pool->ParallelFor(n * groups * sections, 1, body);
    if (failed.load()) return ctx.Error(StatusCode::kOutOfMemory, "out of memory for scratch");
    return Status::Ok();
  }

 private:
  kernels::Activation act1_, act2_;
  int64_t k_ = 3, s_ = 1;
  std::vector<int64_t> pads_;
  std::shared_ptr<const Packed> packed_;
};

}  // namespace

void RegisterOp_fused_expand_depthwise(OpRegistry& registry) {
  registry.Register(
      {"com.onnxedge", "FusedExpandDepthwise", 1, 1, MakeFactory<FusedExpandDepthwiseKernel>()});
}

}  // namespace onnxedge::ops
