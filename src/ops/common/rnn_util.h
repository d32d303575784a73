// Copyright onnxedge authors.
// Shared machinery of the recurrent ops (RNN, GRU, LSTM): attribute parsing (direction,
// activations with alpha/beta, clip, layout), input validation, conversion of inputs to the
// compute type in time-major layout, the X*W^T / H*R^T products, and writing outputs back in
// the requested layout and element type.
//
// Compute types: float32 and float16 compute in float and use the packed GEMM; float64 computes
// in double with plain loops (the reference path).
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/gemm.h"
#include "ops/common/op_util.h"

namespace onnxedge::ops::rnn {

enum class Direction { kForward, kReverse, kBidirectional };

enum class ActivationKind : uint8_t {
  kSigmoid,
  kTanh,
  kRelu,
  kAffine,
  kLeakyRelu,
  kThresholdedRelu,
  kScaledTanh,
  kHardSigmoid,
  kElu,
  kSoftsign,
  kSoftplus,
};

struct Activation {
  ActivationKind kind = ActivationKind::kSigmoid;
  float alpha = 0.f;
  float beta = 0.f;
};

/// tanh for float by a [13/6] rational approximation on [-9, 9] (beyond it tanh rounds to
/// +-1 in float); branch-free so the loops below vectorize. Max error a few ulp. The
/// coefficients are the widely used minimax fit of Eigen / MLAS.
inline float FastTanh(float x) {
  x = std::min(std::max(x, -9.f), 9.f);
  const float x2 = x * x;
  float p = -2.76076847742355e-16f;
  p = p * x2 + 2.00018790482477e-13f;
  p = p * x2 + -8.60467152213735e-11f;
  p = p * x2 + 5.12229709037114e-08f;
  p = p * x2 + 1.48572235717979e-05f;
  p = p * x2 + 6.37261928875436e-04f;
  p = p * x2 + 4.89352455891786e-03f;
  p = p * x;
  float q = 1.19825839466702e-06f;
  q = q * x2 + 1.18534705686654e-04f;
  q = q * x2 + 2.26843463243900e-03f;
  q = q * x2 + 4.89352518554385e-03f;
  return p / q;
}

/// Applies `act` in place to x[0:n]. The switch sits outside the element loop.
template <typename C>
void Activate(const Activation& act, C* x, int64_t n) {
  const C alpha = static_cast<C>(act.alpha), beta = static_cast<C>(act.beta);
  if constexpr (std::is_same_v<C, float>) {
    // The two activations of every default cell: vectorizable float forms.
    if (act.kind == ActivationKind::kTanh) {
      for (int64_t i = 0; i < n; ++i) x[i] = FastTanh(x[i]);
      return;
    }
    if (act.kind == ActivationKind::kSigmoid) {
      // sigmoid(x) = (1 + tanh(x / 2)) / 2
      for (int64_t i = 0; i < n; ++i) x[i] = 0.5f + 0.5f * FastTanh(0.5f * x[i]);
      return;
    }
  }
  switch (act.kind) {
    case ActivationKind::kSigmoid:
      for (int64_t i = 0; i < n; ++i) {
        // Split by sign so exp never overflows.
        const C v = x[i];
        if (v >= 0) {
          x[i] = C(1) / (C(1) + std::exp(-v));
        } else {
          const C e = std::exp(v);
          x[i] = e / (C(1) + e);
        }
      }
      break;
    case ActivationKind::kTanh:
      for (int64_t i = 0; i < n; ++i) x[i] = std::tanh(x[i]);
      break;
    case ActivationKind::kRelu:
      for (int64_t i = 0; i < n; ++i) x[i] = x[i] > 0 ? x[i] : C(0);
      break;
    case ActivationKind::kAffine:
      for (int64_t i = 0; i < n; ++i) x[i] = alpha * x[i] + beta;
      break;
    case ActivationKind::kLeakyRelu:
      for (int64_t i = 0; i < n; ++i) x[i] = x[i] >= 0 ? x[i] : alpha * x[i];
      break;
    case ActivationKind::kThresholdedRelu:
      for (int64_t i = 0; i < n; ++i) x[i] = x[i] > alpha ? x[i] : C(0);
      break;
    case ActivationKind::kScaledTanh:
      for (int64_t i = 0; i < n; ++i) x[i] = alpha * std::tanh(beta * x[i]);
      break;
    case ActivationKind::kHardSigmoid:
      for (int64_t i = 0; i < n; ++i) {
        x[i] = std::min(std::max(alpha * x[i] + beta, C(0)), C(1));
      }
      break;
    case ActivationKind::kElu:
      for (int64_t i = 0; i < n; ++i) x[i] = x[i] >= 0 ? x[i] : alpha * (std::exp(x[i]) - C(1));
      break;
    case ActivationKind::kSoftsign:
      for (int64_t i = 0; i < n; ++i) x[i] = x[i] / (C(1) + std::abs(x[i]));
      break;
    case ActivationKind::kSoftplus:
      // log(1 + e^x) without overflow for large x.
      for (int64_t i = 0; i < n; ++i) {
        const C v = x[i];
        x[i] = v > 0 ? v + std::log1p(std::exp(-v)) : std::log1p(std::exp(v));
      }
      break;
  }
}

/// Clamps x[0:n] to [-limit, limit].
template <typename C>
inline void ClipValues(C* x, int64_t n, C limit) {
  for (int64_t i = 0; i < n; ++i) x[i] = std::min(std::max(x[i], -limit), limit);
}

/// Attributes common to RNN, GRU and LSTM.
struct Attributes {
  int64_t hidden_size = -1;  ///< -1: not given, taken from R's last dim.
  Direction direction = Direction::kForward;
  int num_directions = 1;
  int64_t layout = 0;
  bool has_clip = false;
  float clip = 0.f;
  int per_direction = 1;                ///< Activations per direction (1, 2 or 3).
  std::vector<Activation> activations;  ///< per_direction * num_directions entries.

  const Activation& act(int dir, int i) const {
    return activations[static_cast<size_t>(dir * per_direction + i)];
  }
  bool reverse(int dir) const {
    return direction == Direction::kReverse || (direction == Direction::kBidirectional && dir == 1);
  }
};

/// Reads direction, hidden_size, layout, clip, activations/activation_alpha/activation_beta.
/// `defaults` are one direction's default activation names.
StatusOr<Attributes> ParseAttributes(const KernelInfo& info,
                                     const std::vector<std::string>& defaults);

/// Sizes of one run.
struct Dims {
  int64_t seq = 0, batch = 0, input = 0, hidden = 0;
  int dirs = 1;
};

/// Validates X (0), W (1), R (2), B (3), sequence_lens (4), initial_h (5) and, for LSTM,
/// initial_c (6) and P (7). `gates` is the number of gates (1, 3 or 4). Also checks that every
/// float input has X's element type.
StatusOr<Dims> CheckInputs(const KernelContext& ctx, const Attributes& attrs, int gates, bool lstm);

/// Reads sequence_lens (input 4) or fills with seq into `out` (its capacity is reused); errors
/// on values outside [0, seq].
Status ReadSequenceLengthsInto(const KernelContext& ctx, const Dims& d, std::vector<int64_t>* out);

/// Y(rows x n) = X(rows x k) * W^T, where W holds n rows of k values. float: packed GEMM (the
/// packing can happen once, in Create, for constant weights); double: plain loops over W.
template <typename C>
class Linear;

template <>
class Linear<float> {
 public:
  /// Packs W^T. `w` points at n rows of k values, `ldw` apart.
  void Init(const float* w, int64_t n, int64_t k, int64_t ldw, ThreadPool* pool) {
    n_ = n;
    k_ = k;
    kernels::PackB(w, ldw, /*trans=*/true, k, n, &packed_, pool);
  }
  /// y (ld ldy) = x (ld ldx) * W^T, or y += x * W^T when `accumulate`.
  void Apply(const float* x, int64_t rows, int64_t ldx, float* y, int64_t ldy, bool accumulate,
             kernels::PackedA* scratch, ThreadPool* pool) const {
    if (rows == 0 || n_ == 0) return;
    kernels::PackA(x, ldx, false, rows, k_, scratch, pool);
    kernels::GemmPacked(*scratch, packed_, 1.f, accumulate ? 1.f : 0.f, y, ldy, pool);
  }
  int64_t n() const { return n_; }
  int64_t k() const { return k_; }

 private:
  int64_t n_ = 0, k_ = 0;
  kernels::PackedB packed_;
};

template <>
class Linear<double> {
 public:
  /// Keeps a pointer to W; it must outlive every Apply.
  void Init(const double* w, int64_t n, int64_t k, int64_t ldw, ThreadPool*) {
    w_ = w;
    n_ = n;
    k_ = k;
    ldw_ = ldw;
  }
  void Apply(const double* x, int64_t rows, int64_t ldx, double* y, int64_t ldy, bool accumulate,
             kernels::PackedA*, ThreadPool* pool) const {
    if (rows == 0 || n_ == 0) return;
    auto body = [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const double* xr = x + r * ldx;
        double* yr = y + r * ldy;
        for (int64_t j = 0; j < n_; ++j) {
          const double* wj = w_ + j * ldw_;
          double acc = 0;
          for (int64_t q = 0; q < k_; ++q) acc += xr[q] * wj[q];
          yr[j] = accumulate ? yr[j] + acc : acc;
        }
      }
    };
    const int64_t work = std::max<int64_t>(1, n_ * k_);
    pool->ParallelFor(rows, std::max<int64_t>(1, 65536 / work), body);
  }
  int64_t n() const { return n_; }
  int64_t k() const { return k_; }

 private:
  const double* w_ = nullptr;
  int64_t n_ = 0, k_ = 0, ldw_ = 0;
};

/// Compute type of the recurrent ops: double for float64, float otherwise.
template <typename T>
using RnnCompute = std::conditional_t<std::is_same_v<T, double>, double, float>;

/// Returns t's elements as C: t's own buffer when T == C, else a converted scratch copy held
/// by *storage.
template <typename T, typename C>
StatusOr<const C*> AsCompute(KernelContext& ctx, const Tensor& t, Tensor* storage) {
  if constexpr (std::is_same_v<T, C>) {
    return t.data<C>();
  } else {
    OE_ASSIGN_OR_RETURN(*storage, ctx.AllocateTemp(DataTypeOf<C>::value, t.shape()));
    const T* src = t.data<T>();
    C* dst = storage->data<C>();
    for (int64_t i = 0; i < t.size(); ++i) dst[i] = static_cast<C>(ToCompute(src[i]));
    return static_cast<const C*>(dst);
  }
}

/// X as a time-major [seq, batch, input] buffer of C (transposing layout 1 inputs).
template <typename T, typename C>
StatusOr<const C*> TimeMajorInput(KernelContext& ctx, const Tensor& x, const Dims& d,
                                  int64_t layout, Tensor* storage) {
  if (layout == 0) return AsCompute<T, C>(ctx, x, storage);
  OE_ASSIGN_OR_RETURN(*storage, ctx.AllocateTemp(DataTypeOf<C>::value, {d.seq, d.batch, d.input}));
  const T* src = x.data<T>();
  C* dst = storage->data<C>();
  for (int64_t b = 0; b < d.batch; ++b) {
    for (int64_t t = 0; t < d.seq; ++t) {
      const T* s = src + (b * d.seq + t) * d.input;
      C* o = dst + (t * d.batch + b) * d.input;
      for (int64_t i = 0; i < d.input; ++i) o[i] = static_cast<C>(ToCompute(s[i]));
    }
  }
  return static_cast<const C*>(dst);
}

/// A state input (initial_h / initial_c) as [dirs, batch, hidden] of C into `out` (its
/// capacity is reused: a caller's buffer that only grows allocates nothing once large enough);
/// zeros when absent.
template <typename T, typename C>
void ReadStateInto(const Tensor* t, const Dims& d, int64_t layout, std::vector<C>* out) {
  out->assign(static_cast<size_t>(d.dirs * d.batch * d.hidden), C(0));
  if (!t) return;
  const T* src = t->data<T>();
  for (int64_t dir = 0; dir < d.dirs; ++dir) {
    for (int64_t b = 0; b < d.batch; ++b) {
      const T* s =
          layout == 0 ? src + (dir * d.batch + b) * d.hidden : src + (b * d.dirs + dir) * d.hidden;
      C* o = out->data() + (dir * d.batch + b) * d.hidden;
      for (int64_t i = 0; i < d.hidden; ++i) o[i] = static_cast<C>(ToCompute(s[i]));
    }
  }
}

/// A per-direction vector input (B or P) as C values into `out` (capacity reused); zeros when
/// absent.
template <typename T, typename C>
void ReadVectorInto(const Tensor* t, int64_t size, std::vector<C>* out) {
  out->assign(static_cast<size_t>(size), C(0));
  if (!t) return;
  const T* src = t->data<T>();
  for (int64_t i = 0; i < size; ++i)
    (*out)[static_cast<size_t>(i)] = static_cast<C>(ToCompute(src[i]));
}

/// Where Y is computed: time-major [seq, dirs, batch, hidden] in C. Points straight into the
/// output when it already has that layout and type; otherwise into scratch that Finish copies.
template <typename T, typename C>
class SequenceOutput {
 public:
  Status Init(KernelContext& ctx, size_t index, const Dims& d, int64_t layout) {
    if (!ctx.OutputRequested(index)) return Status::Ok();
    dims_ = d;
    layout_ = layout;
    const Shape shape = layout == 0 ? Shape{d.seq, d.dirs, d.batch, d.hidden}
                                    : Shape{d.batch, d.seq, d.dirs, d.hidden};
    OE_ASSIGN_OR_RETURN(out_, ctx.AllocateOutput(index, DataTypeOf<T>::value, shape));
    if constexpr (std::is_same_v<T, C>) {
      if (layout == 0) {
        data_ = out_->data<C>();
        return Status::Ok();
      }
    }
    OE_ASSIGN_OR_RETURN(scratch_,
                        ctx.AllocateTemp(DataTypeOf<C>::value, {d.seq, d.dirs, d.batch, d.hidden}));
    data_ = scratch_.data<C>();
    return Status::Ok();
  }
  /// Row for (t, dir, b), or nullptr when Y is not requested.
  C* row(int64_t t, int64_t dir, int64_t b) const {
    if (!data_) return nullptr;
    return data_ + ((t * dims_.dirs + dir) * dims_.batch + b) * dims_.hidden;
  }
  /// Copies scratch into the output (layout and type conversion).
  void Finish() const {
    if (!out_ || data_ == static_cast<const void*>(out_->raw_data())) return;
    T* dst = out_->data<T>();
    const Dims& d = dims_;
    for (int64_t t = 0; t < d.seq; ++t) {
      for (int64_t dir = 0; dir < d.dirs; ++dir) {
        for (int64_t b = 0; b < d.batch; ++b) {
          const C* s = row(t, dir, b);
          T* o = layout_ == 0 ? dst + ((t * d.dirs + dir) * d.batch + b) * d.hidden
                              : dst + ((b * d.seq + t) * d.dirs + dir) * d.hidden;
          for (int64_t i = 0; i < d.hidden; ++i) o[i] = FromCompute<T>(s[i]);
        }
      }
    }
  }

 private:
  Dims dims_;
  int64_t layout_ = 0;
  Tensor* out_ = nullptr;
  Tensor scratch_;
  C* data_ = nullptr;
};

/// Writes a final state [dirs, batch, hidden] of C to output `index` (Y_h / Y_c) in `layout`.
template <typename T, typename C>
Status WriteState(KernelContext& ctx, size_t index, const std::vector<C>& state, const Dims& d,
                  int64_t layout) {
  if (!ctx.OutputRequested(index)) return Status::Ok();
  const Shape shape =
      layout == 0 ? Shape{d.dirs, d.batch, d.hidden} : Shape{d.batch, d.dirs, d.hidden};
  OE_ASSIGN_OR_RETURN(Tensor * out, ctx.AllocateOutput(index, DataTypeOf<T>::value, shape));
  T* dst = out->data<T>();
  for (int64_t dir = 0; dir < d.dirs; ++dir) {
    for (int64_t b = 0; b < d.batch; ++b) {
      const C* s = state.data() + (dir * d.batch + b) * d.hidden;
      T* o =
          layout == 0 ? dst + (dir * d.batch + b) * d.hidden : dst + (b * d.dirs + dir) * d.hidden;
      for (int64_t i = 0; i < d.hidden; ++i) o[i] = FromCompute<T>(s[i]);
    }
  }
  return Status::Ok();
}

/// Weights packed at session creation when W or R is a constant float/float16 initializer:
/// one Linear per direction and row block (e.g. GRU splits R into [z r] and [h] rows).
struct PrepackedWeights {
  std::vector<Linear<float>> blocks;  ///< dirs * num_blocks entries, direction-major.
  int num_blocks = 0;
  bool empty() const { return blocks.empty(); }
  const Linear<float>& get(int dir, int block) const {
    return blocks[static_cast<size_t>(dir * num_blocks + block)];
  }
};

/// Packs constant input `index` ([dirs, rows, cols], float or float16) into row blocks given as
/// (first_row, row_count). Leaves `out` empty when the input is not a constant of that shape.
void PrepackConstant(const KernelInfo& info, size_t index, int dirs, int64_t rows,
                     const std::vector<std::pair<int64_t, int64_t>>& row_blocks,
                     PrepackedWeights* out);

/// The Linear for rows [first_row, first_row + n) of direction `dir` of a weight input: the
/// prepacked block `block` when there is one (float only), else `local` built over `w` (the
/// whole input as C, [dirs, rows, k]; may be null only when prepacked).
template <typename C>
const Linear<C>* SelectLinear(const PrepackedWeights& pre, int dir, int block, const C* w,
                              int64_t rows, int64_t first_row, int64_t n, int64_t k,
                              Linear<C>* local, ThreadPool* pool) {
  if constexpr (std::is_same_v<C, float>) {
    if (!pre.empty()) return &pre.get(dir, block);
  }
  local->Init(w + (dir * rows + first_row) * k, n, k, k, pool);
  return local;
}

/// Minimum batch rows per parallel chunk for per-step elementwise work of `width` per row.
inline int64_t BatchChunk(int64_t width) {
  return std::max<int64_t>(1, 16384 / std::max<int64_t>(1, width));
}

/// Steps between cancellation checks.
constexpr int64_t kCancelCheckInterval = 8;

}  // namespace onnxedge::ops::rnn
