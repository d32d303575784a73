// Copyright onnxedge authors.
// RNN: simple recurrent layer, Ht = f(Xt*Wi^T + Ht-1*Ri^T + Wbi + Rbi) (opset 1-21; 7 dropped
// output_sequence, which is accepted and ignored; 14 added layout). Directions forward, reverse
// and bidirectional; every activation of the spec with activation_alpha/beta; clip;
// sequence_lens (steps past a sequence's length leave Y zero and Y_h holds its last valid
// step; a zero length gives zero Y_h); optional B, initial_h and outputs Y, Y_h.
// Types: float32 and float16 use the packed GEMM (X*W^T for all steps in one product, then
// H*R^T per step; constant W and R are packed at session creation); float64 uses plain loops.
#include "ops/common/rnn_util.h"

namespace onnxedge::ops {

namespace {

using rnn::Dims;

class RnnKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<RnnKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<RnnKernel>();
    OE_ASSIGN_OR_RETURN(k->attrs_, rnn::ParseAttributes(info, {"Tanh"}));
    int64_t hidden = k->attrs_.hidden_size;
    if (hidden < 0 && info.ConstantInput(2) && info.ConstantInput(2)->rank() == 3) {
      hidden = info.ConstantInput(2)->dim(2);
    }
    if (hidden >= 0) {
      const int dirs = k->attrs_.num_directions;
      rnn::PrepackConstant(info, 1, dirs, hidden, {{0, hidden}}, &k->w_packed_);
      rnn::PrepackConstant(info, 2, dirs, hidden, {{0, hidden}}, &k->r_packed_);
    }
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(Dims d, rnn::CheckInputs(ctx, attrs_, 1, false));
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
    const int64_t H = d.hidden, batch = d.batch;
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
    thread_local std::vector<C> tls_bias, tls_state, tls_rec;
    thread_local kernels::PackedA tls_scratch;
    std::vector<int64_t>& lens = tls_lens;
    std::vector<C>& bias = tls_bias;
    std::vector<C>& state = tls_state;
    std::vector<C>& rec = tls_rec;
    kernels::PackedA& scratch = tls_scratch;
    OE_RETURN_IF_ERROR(rnn::ReadSequenceLengthsInto(ctx, d, &lens));
    rnn::ReadVectorInto<T, C>(ctx.Input(3), d.dirs * 2 * H, &bias);
    rnn::ReadStateInto<T, C>(ctx.Input(5), d, attrs_.layout, &state);
    rnn::SequenceOutput<T, C> y;
    OE_RETURN_IF_ERROR(y.Init(ctx, 0, d, attrs_.layout));

    OE_ASSIGN_OR_RETURN(Tensor xw_t, ctx.AllocateTemp(DataTypeOf<C>::value, {d.seq * batch, H}));
    C* xw = xw_t.data<C>();
    rec.resize(static_cast<size_t>(batch * H));
    for (int dir = 0; dir < d.dirs; ++dir) {
      const bool reverse = attrs_.reverse(dir);
      const rnn::Activation& act = attrs_.act(dir, 0);
      rnn::Linear<C> w_local, r_local;
      const rnn::Linear<C>* wl =
          rnn::SelectLinear<C>(w_packed_, dir, 0, w, H, 0, H, d.input, &w_local, pool);
      const rnn::Linear<C>* rl =
          rnn::SelectLinear<C>(r_packed_, dir, 0, r, H, 0, H, H, &r_local, pool);
      // All input projections at once, with both biases folded in.
      wl->Apply(x, d.seq * batch, d.input, xw, H, false, &scratch, pool);
      const C* wb = bias.data() + dir * 2 * H;
      const C* rb = wb + H;
      for (int64_t row = 0; row < d.seq * batch; ++row) {
        C* xr = xw + row * H;
        for (int64_t j = 0; j < H; ++j) xr[j] += wb[j] + rb[j];
      }
      C* h = state.data() + dir * batch * H;
      for (int64_t s = 0; s < d.seq; ++s) {
        if (s % rnn::kCancelCheckInterval == 0) OE_RETURN_IF_ERROR(ctx.CheckCancelled());
        rl->Apply(h, batch, H, rec.data(), H, false, &scratch, pool);
        pool->ParallelFor(batch, rnn::BatchChunk(H), [&](int64_t b0, int64_t b1) {
          for (int64_t b = b0; b < b1; ++b) {
            const int64_t len = lens[static_cast<size_t>(b)];
            if (s >= len) continue;
            const int64_t t = reverse ? len - 1 - s : s;
            C* g = rec.data() + b * H;
            const C* xr = xw + (t * batch + b) * H;
            for (int64_t j = 0; j < H; ++j) g[j] += xr[j];
            if (attrs_.has_clip) rnn::ClipValues(g, H, static_cast<C>(attrs_.clip));
            rnn::Activate(act, g, H);
            std::copy(g, g + H, h + b * H);
            if (C* yr = y.row(t, dir, b)) std::copy(g, g + H, yr);
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
  rnn::PrepackedWeights w_packed_, r_packed_;
};

}  // namespace

void RegisterOp_rnn(OpRegistry& registry) {
  registry.Register({"", "RNN", 1, 21, MakeFactory<RnnKernel>()});
}

}  // namespace onnxedge::ops
