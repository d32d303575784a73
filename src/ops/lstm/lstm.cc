// Copyright onnxedge authors.
// LSTM (opset 1-21; 7 dropped output_sequence, which is accepted and ignored; 14 added layout).
// Gates in ONNX order i, o, f, c:
//   it = f(Xt*Wi^T + Ht-1*Ri^T + Pi (.) Ct-1 + Wbi + Rbi)
//   ft = f(Xt*Wf^T + Ht-1*Rf^T + Pf (.) Ct-1 + Wbf + Rbf)      (ft = 1 - it with input_forget)
//   ct = g(Xt*Wc^T + Ht-1*Rc^T + Wbc + Rbc),  Ct = ft (.) Ct-1 + it (.) ct
//   ot = f(Xt*Wo^T + Ht-1*Ro^T + Po (.) Ct + Wbo + Rbo),  Ht = ot (.) h(Ct)
// clip bounds every gate pre-activation (the cell state itself is not clipped). Directions,
// activations with alpha/beta, layout, sequence_lens (Y zero past a sequence's length, Y_h/Y_c
// its last valid step, zero for a zero length), optional B/initial_h/initial_c/P and
// Y/Y_h/Y_c as in rnn_util.h. float32/float16 use the packed GEMM with W and R prepacked when
// constant; float64 uses plain loops.
#include "ops/common/rnn_util.h"

namespace onnxedge::ops {

namespace {

using rnn::Dims;

class LstmKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<LstmKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<LstmKernel>();
    OE_ASSIGN_OR_RETURN(k->attrs_, rnn::ParseAttributes(info, {"Sigmoid", "Tanh", "Tanh"}));
    OE_ASSIGN_OR_RETURN(int64_t input_forget, info.GetInt("input_forget", 0));
    k->input_forget_ = input_forget != 0;
    int64_t hidden = k->attrs_.hidden_size;
    if (hidden < 0 && info.ConstantInput(2) && info.ConstantInput(2)->rank() == 3) {
      hidden = info.ConstantInput(2)->dim(2);
    }
    if (hidden >= 0) {
      const int dirs = k->attrs_.num_directions;
      rnn::PrepackConstant(info, 1, dirs, 4 * hidden, {{0, 4 * hidden}}, &k->w_packed_);
      rnn::PrepackConstant(info, 2, dirs, 4 * hidden, {{0, 4 * hidden}}, &k->r_packed_);
    }
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(Dims d, rnn::CheckInputs(ctx, attrs_, 4, true));
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
    const int64_t H = d.hidden, G = 4 * d.hidden, batch = d.batch;
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
    // Per-run vectors are buffers of the calling thread that keep their capacity: a
    // steady-state run (the same shapes) allocates nothing here.
    // Bound to references: the chunk bodies below run on workers, whose own thread_locals
    // these names would otherwise denote.
    thread_local std::vector<int64_t> tls_lens;
    thread_local std::vector<C> tls_bias, tls_peephole, tls_h, tls_c, tls_rec;
    thread_local kernels::PackedA tls_scratch;
    std::vector<int64_t>& lens = tls_lens;
    std::vector<C>& bias = tls_bias;
    std::vector<C>& peephole = tls_peephole;
    std::vector<C>& h_state = tls_h;
    std::vector<C>& c_state = tls_c;
    std::vector<C>& rec = tls_rec;
    kernels::PackedA& scratch = tls_scratch;
    OE_RETURN_IF_ERROR(rnn::ReadSequenceLengthsInto(ctx, d, &lens));
    rnn::ReadVectorInto<T, C>(ctx.Input(3), d.dirs * 2 * G, &bias);
    const bool has_peephole = ctx.Input(7) != nullptr;
    rnn::ReadVectorInto<T, C>(ctx.Input(7), d.dirs * 3 * H, &peephole);
    rnn::ReadStateInto<T, C>(ctx.Input(5), d, attrs_.layout, &h_state);
    rnn::ReadStateInto<T, C>(ctx.Input(6), d, attrs_.layout, &c_state);
    rnn::SequenceOutput<T, C> y;
    OE_RETURN_IF_ERROR(y.Init(ctx, 0, d, attrs_.layout));

    OE_ASSIGN_OR_RETURN(Tensor xw_t, ctx.AllocateTemp(DataTypeOf<C>::value, {d.seq * batch, G}));
    C* xw = xw_t.data<C>();
    rec.resize(static_cast<size_t>(batch * G));
    const C clip = static_cast<C>(attrs_.clip);
    for (int dir = 0; dir < d.dirs; ++dir) {
      const bool reverse = attrs_.reverse(dir);
      const rnn::Activation& f = attrs_.act(dir, 0);
      const rnn::Activation& g_act = attrs_.act(dir, 1);
      const rnn::Activation& h_act = attrs_.act(dir, 2);
      rnn::Linear<C> w_local, r_local;
      const rnn::Linear<C>* wl =
          rnn::SelectLinear<C>(w_packed_, dir, 0, w, G, 0, G, d.input, &w_local, pool);
      const rnn::Linear<C>* rl =
          rnn::SelectLinear<C>(r_packed_, dir, 0, r, G, 0, G, H, &r_local, pool);
      wl->Apply(x, d.seq * batch, d.input, xw, G, false, &scratch, pool);
      const C* wb = bias.data() + dir * 2 * G;
      const C* rb = wb + G;
      for (int64_t row = 0; row < d.seq * batch; ++row) {
        C* xr = xw + row * G;
        for (int64_t j = 0; j < G; ++j) xr[j] += wb[j] + rb[j];
      }
      const C* p_i = peephole.data() + dir * 3 * H;
      const C* p_o = p_i + H;
      const C* p_f = p_i + 2 * H;
      C* h = h_state.data() + dir * batch * H;
      C* c = c_state.data() + dir * batch * H;
      for (int64_t s = 0; s < d.seq; ++s) {
        if (s % rnn::kCancelCheckInterval == 0) OE_RETURN_IF_ERROR(ctx.CheckCancelled());
        rl->Apply(h, batch, H, rec.data(), G, false, &scratch, pool);
        pool->ParallelFor(batch, rnn::BatchChunk(G), [&](int64_t b0, int64_t b1) {
          for (int64_t b = b0; b < b1; ++b) {
            const int64_t len = lens[static_cast<size_t>(b)];
            if (s >= len) continue;
            const int64_t t = reverse ? len - 1 - s : s;
            C* gates = rec.data() + b * G;
            const C* xr = xw + (t * batch + b) * G;
            for (int64_t j = 0; j < G; ++j) gates[j] += xr[j];
            C* gi = gates;
            C* go = gates + H;
            C* gf = gates + 2 * H;
            C* gc = gates + 3 * H;
            C* cb = c + b * H;
            C* hb = h + b * H;
            if (has_peephole) {
              for (int64_t j = 0; j < H; ++j) {
                gi[j] += p_i[j] * cb[j];
                gf[j] += p_f[j] * cb[j];
              }
            }
            if (attrs_.has_clip) {
              rnn::ClipValues(gi, H, clip);
              rnn::ClipValues(gf, H, clip);
              rnn::ClipValues(gc, H, clip);
            }
            rnn::Activate(f, gi, H);
            if (input_forget_) {
              for (int64_t j = 0; j < H; ++j) gf[j] = C(1) - gi[j];
            } else {
              rnn::Activate(f, gf, H);
            }
            rnn::Activate(g_act, gc, H);
            for (int64_t j = 0; j < H; ++j) cb[j] = gf[j] * cb[j] + gi[j] * gc[j];
            if (has_peephole) {
              for (int64_t j = 0; j < H; ++j) go[j] += p_o[j] * cb[j];
            }
            if (attrs_.has_clip) rnn::ClipValues(go, H, clip);
            rnn::Activate(f, go, H);
            // gc is free now: reuse it for h(Ct).
            std::copy(cb, cb + H, gc);
            rnn::Activate(h_act, gc, H);
            for (int64_t j = 0; j < H; ++j) hb[j] = go[j] * gc[j];
            if (C* yr = y.row(t, dir, b)) std::copy(hb, hb + H, yr);
          }
        });
      }
      for (int64_t b = 0; b < batch; ++b) {
        if (lens[static_cast<size_t>(b)] == 0) {
          std::fill(h + b * H, h + (b + 1) * H, C(0));
          std::fill(c + b * H, c + (b + 1) * H, C(0));
        }
      }
    }
    y.Finish();
    OE_RETURN_IF_ERROR((rnn::WriteState<T, C>(ctx, 1, h_state, d, attrs_.layout)));
    return rnn::WriteState<T, C>(ctx, 2, c_state, d, attrs_.layout);
  }

  rnn::Attributes attrs_;
  bool input_forget_ = false;
  rnn::PrepackedWeights w_packed_, r_packed_;
};

}  // namespace

void RegisterOp_lstm(OpRegistry& registry) {
  registry.Register({"", "LSTM", 1, 21, MakeFactory<LstmKernel>()});
}

}  // namespace onnxedge::ops
