// Copyright onnxedge authors.
// GRU (opset 1-21; 3 added linear_before_reset, 7 dropped output_sequence, which is accepted
// and ignored; 14 added layout). Gates in ONNX order z, r, h:
//   zt = f(Xt*Wz^T + Ht-1*Rz^T + Wbz + Rbz),  rt = f(Xt*Wr^T + Ht-1*Rr^T + Wbr + Rbr)
//   ht = g(Xt*Wh^T + (rt (.) Ht-1)*Rh^T + Rbh + Wbh)          linear_before_reset = 0
//   ht = g(Xt*Wh^T + rt (.) (Ht-1*Rh^T + Rbh) + Wbh)          linear_before_reset != 0
//   Ht = (1 - zt) (.) ht + zt (.) Ht-1
// clip bounds every gate pre-activation. Directions, activations with alpha/beta, layout,
// sequence_lens (Y zero past a sequence's length, Y_h its last valid step, zero for a zero
// length), optional B/initial_h and Y/Y_h as in rnn_util.h. float32/float16 use the packed
// GEMM with W and R ([z r] rows and h rows separately) prepacked when constant; float64 uses
// plain loops.
#include "ops/common/rnn_util.h"

namespace onnxedge::ops {

namespace {

using rnn::Dims;

class GruKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<GruKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<GruKernel>();
    OE_ASSIGN_OR_RETURN(k->attrs_, rnn::ParseAttributes(info, {"Sigmoid", "Tanh"}));
    OE_ASSIGN_OR_RETURN(int64_t lbr, info.GetInt("linear_before_reset", 0));
    k->linear_before_reset_ = lbr != 0;
    int64_t hidden = k->attrs_.hidden_size;
    if (hidden < 0 && info.ConstantInput(2) && info.ConstantInput(2)->rank() == 3) {
      hidden = info.ConstantInput(2)->dim(2);
    }
    if (hidden >= 0) {
      const int dirs = k->attrs_.num_directions;
      rnn::PrepackConstant(info, 1, dirs, 3 * hidden, {{0, 3 * hidden}}, &k->w_packed_);
      rnn::PrepackConstant(info, 2, dirs, 3 * hidden, {{0, 2 * hidden}, {2 * hidden, hidden}},
                           &k->r_packed_);
    }
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(Dims d, rnn::CheckInputs(ctx, attrs_, 3, false));
    const DataType type = ctx.Input(0)->dtype();
    if (type == DataType::kFloat) return RunTyped<float>(ctx, d);
    if (type == DataType::kFloat16) return RunTyped<Float16>(ctx, d);
    if (type == DataType::kDouble) return RunTyped<double>(ctx, d);
    return ctx.Error(StatusCode::kNotImplemented, "element type ", DataTypeName(type),
                     " is not supported (float16, float32, float64 are)");
  }

 private:
  template <typename T>
  Status RunTyped(KernelContext& ctx, const Dims& d) const {
    using C = rnn::RnnCompute<T>;
    const int64_t H = d.hidden, G = 3 * d.hidden, batch = d.batch;
    ThreadPool* pool = &ctx.thread_pool();
    Tensor x_store, w_store, r_store;
    OE_ASSIGN_OR_RETURN(
        const C* x, (rnn::TimeMajorInput<T, C>(ctx, *ctx.Input(0), d, attrs_.layout, &x_store)));
    const C* w = nullptr;
    const C* r = nullptr;
    if (!std::is_same_v<C, float> || w_packed_.empty()) {
      OE_ASSIGN_OR_RETURN(w, (rnn::AsCompute<T, C>(ctx, *ctx.Input(1), &w_store)));
    }
    if (!std::is_same_v<C, float> || r_packed_.empty()) {
      OE_ASSIGN_OR_RETURN(r, (rnn::AsCompute<T, C>(ctx, *ctx.Input(2), &r_store)));
    }
    // Per-run vectors are buffers of the calling thread that keep their capacity (no allocation
    // in steady-state runs), bound to references: the chunk bodies below run on workers, whose
    // own thread_locals these names would otherwise denote.
    thread_local std::vector<int64_t> tls_lens;
    thread_local std::vector<C> tls_bias, tls_state, tls_rec, tls_reset_h;
    thread_local kernels::PackedA tls_scratch;
    std::vector<int64_t>& lens = tls_lens;
    std::vector<C>& bias = tls_bias;
    std::vector<C>& state = tls_state;
    std::vector<C>& rec = tls_rec;
    std::vector<C>& reset_h = tls_reset_h;  // rt (.) Ht-1
    kernels::PackedA& scratch = tls_scratch;
    OE_RETURN_IF_ERROR(rnn::ReadSequenceLengthsInto(ctx, d, &lens));
    rnn::ReadVectorInto<T, C>(ctx.Input(3), d.dirs * 2 * G, &bias);
    rnn::ReadStateInto<T, C>(ctx.Input(5), d, attrs_.layout, &state);
    rnn::SequenceOutput<T, C> y;
    OE_RETURN_IF_ERROR(y.Init(ctx, 0, d, attrs_.layout));

    OE_ASSIGN_OR_RETURN(Tensor xw_t, ctx.AllocateTemp(DataTypeOf<C>::value, {d.seq * batch, G}));
    C* xw = xw_t.data<C>();
    rec.resize(static_cast<size_t>(batch * G));
    reset_h.assign(static_cast<size_t>(batch * H), C(0));
    const C clip = static_cast<C>(attrs_.clip);
    const bool lbr = linear_before_reset_;
    for (int dir = 0; dir < d.dirs; ++dir) {
      const bool reverse = attrs_.reverse(dir);
      const rnn::Activation& f = attrs_.act(dir, 0);
      const rnn::Activation& g_act = attrs_.act(dir, 1);
      rnn::Linear<C> w_local, rzr_local, rh_local;
      const rnn::Linear<C>* wl =
          rnn::SelectLinear<C>(w_packed_, dir, 0, w, G, 0, G, d.input, &w_local, pool);
      const rnn::Linear<C>* rzr =
          rnn::SelectLinear<C>(r_packed_, dir, 0, r, G, 0, 2 * H, H, &rzr_local, pool);
      const rnn::Linear<C>* rh =
          rnn::SelectLinear<C>(r_packed_, dir, 1, r, G, 2 * H, H, H, &rh_local, pool);
      wl->Apply(x, d.seq * batch, d.input, xw, G, false, &scratch, pool);
      const C* wb = bias.data() + dir * 2 * G;
      const C* rb = wb + G;
      // Fold biases into the input projection; Rbh stays outside when it is reset-gated.
      for (int64_t row = 0; row < d.seq * batch; ++row) {
        C* xr = xw + row * G;
        for (int64_t j = 0; j < 2 * H; ++j) xr[j] += wb[j] + rb[j];
        for (int64_t j = 2 * H; j < G; ++j) xr[j] += wb[j] + (lbr ? C(0) : rb[j]);
      }
      const C* rbh = rb + 2 * H;
      C* h = state.data() + dir * batch * H;
      auto active_time = [&](int64_t b, int64_t s) -> int64_t {
        const int64_t len = lens[static_cast<size_t>(b)];
        if (s >= len) return -1;
        return reverse ? len - 1 - s : s;
      };
      // An empty batch has no steps to run (and rec.data() + 2 * H would offset a null pointer).
      for (int64_t s = 0; s < d.seq && batch > 0; ++s) {
        if (s % rnn::kCancelCheckInterval == 0) OE_RETURN_IF_ERROR(ctx.CheckCancelled());
        rzr->Apply(h, batch, H, rec.data(), G, false, &scratch, pool);
        if (lbr) rh->Apply(h, batch, H, rec.data() + 2 * H, G, false, &scratch, pool);
        // Update and reset gates.
        pool->ParallelFor(batch, rnn::BatchChunk(G), [&](int64_t b0, int64_t b1) {
          for (int64_t b = b0; b < b1; ++b) {
            const int64_t t = active_time(b, s);
            if (t < 0) continue;
            C* gates = rec.data() + b * G;
            const C* xr = xw + (t * batch + b) * G;
            for (int64_t j = 0; j < 2 * H; ++j) gates[j] += xr[j];
            if (attrs_.has_clip) rnn::ClipValues(gates, 2 * H, clip);
            rnn::Activate(f, gates, 2 * H);
            if (!lbr) {
              const C* gr = gates + H;
              const C* hb = h + b * H;
              C* rhb = reset_h.data() + b * H;
              for (int64_t j = 0; j < H; ++j) rhb[j] = gr[j] * hb[j];
            }
          }
        });
        if (!lbr) rh->Apply(reset_h.data(), batch, H, rec.data() + 2 * H, G, false, &scratch, pool);
        // Hidden gate and new state.
        pool->ParallelFor(batch, rnn::BatchChunk(G), [&](int64_t b0, int64_t b1) {
          for (int64_t b = b0; b < b1; ++b) {
            const int64_t t = active_time(b, s);
            if (t < 0) continue;
            C* gates = rec.data() + b * G;
            const C* gz = gates;
            const C* gr = gates + H;
            C* gh = gates + 2 * H;
            const C* xh = xw + (t * batch + b) * G + 2 * H;
            if (lbr) {
              for (int64_t j = 0; j < H; ++j) gh[j] = xh[j] + gr[j] * (gh[j] + rbh[j]);
            } else {
              for (int64_t j = 0; j < H; ++j) gh[j] += xh[j];
            }
            if (attrs_.has_clip) rnn::ClipValues(gh, H, clip);
            rnn::Activate(g_act, gh, H);
            C* hb = h + b * H;
            for (int64_t j = 0; j < H; ++j) hb[j] = (C(1) - gz[j]) * gh[j] + gz[j] * hb[j];
            if (C* yr = y.row(t, dir, b)) std::copy(hb, hb + H, yr);
          }
        });
      }
      for (int64_t b = 0; b < batch; ++b) {
        if (lens[static_cast<size_t>(b)] == 0) std::fill(h + b * H, h + (b + 1) * H, C(0));
      }
    }
    y.Finish();
    return rnn::WriteState<T, C>(ctx, 1, state, d, attrs_.layout);
  }

  rnn::Attributes attrs_;
  bool linear_before_reset_ = false;
  rnn::PrepackedWeights w_packed_, r_packed_;
};

}  // namespace

void RegisterOp_gru(OpRegistry& registry) {
  registry.Register({"", "GRU", 1, 21, MakeFactory<GruKernel>()});
}

}  // namespace onnxedge::ops
