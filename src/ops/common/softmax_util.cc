// Copyright onnxedge authors.
#include "ops/common/softmax_util.h"

#include <atomic>
#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include "core/cpu_features.h"
#include "ops/common/op_util.h"

namespace onnxedge::ops {

namespace {

std::atomic<bool> g_force_generic{false};

// MaxIsa() honours ONNXEDGE_MAX_ISA and ScopedMaxIsa; SoftmaxForceGeneric stays for old tests.
bool UseAvx2() {
#if defined(__x86_64__)
  return MaxIsa() >= Isa::kAvx2 && !g_force_generic.load(std::memory_order_relaxed);
#else
  return false;
#endif
}

template <typename C>
inline bool IsNan(C v) {
  return v != v;
}

// First index of the maximum; NaN counts as the maximum (numpy.argmax).
template <typename C, typename Get>
inline int64_t ArgMaxOf(int64_t n, Get get) {
  int64_t bi = 0;
  C best = get(0);
  for (int64_t i = 1; i < n; ++i) {
    const C v = get(i);
    if (IsNan(best)) break;
    if (v > best || IsNan(v)) {
      best = v;
      bi = i;
    }
  }
  return bi;
}

// One contiguous row in compute type C (float or double); y may alias x.
template <typename C>
void RowGeneric(const C* x, C* y, int64_t n, SoftmaxMode mode) {
  if (n == 0) return;
  if (mode == SoftmaxMode::kHardmax) {
    const int64_t k = ArgMaxOf<C>(n, [&](int64_t i) { return x[i]; });
    for (int64_t i = 0; i < n; ++i) y[i] = i == k ? C(1) : C(0);
    return;
  }
  C m = -std::numeric_limits<C>::infinity();
  for (int64_t i = 0; i < n; ++i) m = x[i] > m ? x[i] : m;
  C sum = 0;
  if (mode == SoftmaxMode::kLogSoftmax) {
    for (int64_t i = 0; i < n; ++i) sum += std::exp(x[i] - m);
    // (x - m) - log(sum): x - m is exact near the maximum, so only the small log term rounds.
    const C l = std::log(sum);
    for (int64_t i = 0; i < n; ++i) y[i] = (x[i] - m) - l;
    return;
  }
  for (int64_t i = 0; i < n; ++i) {
    y[i] = std::exp(x[i] - m);
    sum += y[i];
  }
  const C inv = C(1) / sum;
  for (int64_t i = 0; i < n; ++i) y[i] *= inv;
}

// Rows of any element type: float and double in place, 16-bit floats through a float buffer.
template <typename T>
void Rows(const T* x, T* y, int64_t rows, int64_t n, SoftmaxMode mode) {
  if constexpr (std::is_same_v<T, float>) {
    if (mode != SoftmaxMode::kHardmax) {
      SoftmaxRowsF32(x, y, rows, n, mode == SoftmaxMode::kLogSoftmax);
      return;
    }
  }
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
    for (int64_t r = 0; r < rows; ++r) RowGeneric<T>(x + r * n, y + r * n, n, mode);
  } else {
    std::vector<float> buf(static_cast<size_t>(n));
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t i = 0; i < n; ++i) buf[static_cast<size_t>(i)] = ToCompute(x[r * n + i]);
      RowGeneric<float>(buf.data(), buf.data(), n, mode);
      for (int64_t i = 0; i < n; ++i) y[r * n + i] = FromCompute<T>(buf[static_cast<size_t>(i)]);
    }
  }
}

// Vectors strided by `inner`: columns [j0, j1) of one (n, inner) slab. Loops run along the
// contiguous inner dim.
template <typename T>
void Columns(const T* x, T* y, int64_t n, int64_t inner, int64_t j0, int64_t j1, SoftmaxMode mode,
             ComputeType<T>* m, ComputeType<T>* s) {
  using C = ComputeType<T>;
  const int64_t w = j1 - j0;
  if (mode == SoftmaxMode::kHardmax) {
    for (int64_t j = 0; j < w; ++j) {
      const int64_t k = ArgMaxOf<C>(n, [&](int64_t i) { return ToCompute(x[i * inner + j0 + j]); });
      for (int64_t i = 0; i < n; ++i) {
        y[i * inner + j0 + j] = FromCompute<T>(i == k ? C(1) : C(0));
      }
    }
    return;
  }
  for (int64_t j = 0; j < w; ++j) {
    m[j] = -std::numeric_limits<C>::infinity();
    s[j] = 0;
  }
  for (int64_t i = 0; i < n; ++i) {
    const T* row = x + i * inner + j0;
    for (int64_t j = 0; j < w; ++j) {
      const C v = ToCompute(row[j]);
      m[j] = v > m[j] ? v : m[j];
    }
  }
  if (mode == SoftmaxMode::kLogSoftmax) {
    for (int64_t i = 0; i < n; ++i) {
      const T* row = x + i * inner + j0;
      if constexpr (std::is_same_v<T, float>) {
        ExpShiftAccumulateF32(row, m, nullptr, s, w);
      } else {
        for (int64_t j = 0; j < w; ++j) s[j] += std::exp(ToCompute(row[j]) - m[j]);
      }
    }
    for (int64_t j = 0; j < w; ++j) s[j] = std::log(s[j]);
    for (int64_t i = 0; i < n; ++i) {
      const T* row = x + i * inner + j0;
      T* out = y + i * inner + j0;
      for (int64_t j = 0; j < w; ++j) out[j] = FromCompute<T>((ToCompute(row[j]) - m[j]) - s[j]);
    }
    return;
  }
  // Softmax: exponentials are kept in the output (as T) only when T is the compute type;
  // otherwise they are recomputed, so 16-bit outputs are rounded once.
  for (int64_t i = 0; i < n; ++i) {
    const T* row = x + i * inner + j0;
    T* out = y + i * inner + j0;
    if constexpr (std::is_same_v<T, float>) {
      ExpShiftAccumulateF32(row, m, out, s, w);
    } else {
      for (int64_t j = 0; j < w; ++j) {
        const C e = std::exp(ToCompute(row[j]) - m[j]);
        s[j] += e;
        if constexpr (std::is_same_v<T, C>) out[j] = e;
      }
    }
  }
  for (int64_t j = 0; j < w; ++j) s[j] = C(1) / s[j];
  for (int64_t i = 0; i < n; ++i) {
    const T* row = x + i * inner + j0;
    T* out = y + i * inner + j0;
    if constexpr (std::is_same_v<T, C>) {
      for (int64_t j = 0; j < w; ++j) out[j] *= s[j];
    } else {
      for (int64_t j = 0; j < w; ++j)
        out[j] = FromCompute<T>(std::exp(ToCompute(row[j]) - m[j]) * s[j]);
    }
  }
}

class SoftmaxKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<SoftmaxKernel>> Create(const KernelInfo& info, SoftmaxMode mode) {
    auto k = std::make_unique<SoftmaxKernel>();
    k->mode_ = mode;
    k->coerce_2d_ = info.since_version() < 13;
    OE_ASSIGN_OR_RETURN(k->axis_, info.GetInt("axis", k->coerce_2d_ ? 1 : -1));
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    const Shape& shape = x->shape();
    const int64_t rank = static_cast<int64_t>(shape.size());
    int64_t outer = 1, n = 1, inner = 1;
    if (coerce_2d_) {
      // The 2-D coercion allows axis == rank (rows of one element).
      if (axis_ < -rank || axis_ > rank) {
        return ctx.Error(StatusCode::kInvalidArgument, "attribute 'axis' (", axis_,
                         ") is out of range for an input of rank ", rank);
      }
      const int64_t axis = axis_ < 0 ? axis_ + rank : axis_;
      for (int64_t d = 0; d < rank; ++d) (d < axis ? outer : n) *= shape[static_cast<size_t>(d)];
    } else if (rank > 0) {
      if (axis_ < -rank || axis_ >= rank) {  // The message is built on the error path only.
        return NormalizeAxis(axis_, rank, ctx.Describe() + " attribute 'axis'").status();
      }
      const int64_t axis = axis_ < 0 ? axis_ + rank : axis_;
      for (int64_t d = 0; d < rank; ++d) {
        const int64_t v = shape[static_cast<size_t>(d)];
        if (d < axis) {
          outer *= v;
        } else if (d == axis) {
          n = v;
        } else {
          inner *= v;
        }
      }
    }
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, x->dtype(), shape, Fill::kNone));
    if (y->size() == 0) return Status::Ok();
    return Dispatch<FloatTypes>(x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      using C = ComputeType<T>;
      const T* px = x->data<T>();
      T* py = y->data<T>();
      ThreadPool& pool = ctx.thread_pool();
      if (inner == 1) {
        const int64_t min_rows = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, n));
        pool.ParallelFor(outer, min_rows, [&](int64_t r0, int64_t r1) {
          Rows<T>(px + r0 * n, py + r0 * n, r1 - r0, n, mode_);
        });
        return Status::Ok();
      }
      constexpr int64_t kCols = 256;
      const int64_t col_chunks = (inner + kCols - 1) / kCols;
      const int64_t min_tasks =
          std::max<int64_t>(1, 16384 / std::max<int64_t>(1, n * std::min(inner, kCols)));
      pool.ParallelFor(outer * col_chunks, min_tasks, [&](int64_t t0, int64_t t1) {
        C m[kCols], s[kCols];
        for (int64_t t = t0; t < t1; ++t) {
          const int64_t o = t / col_chunks, c = t % col_chunks;
          const int64_t j0 = c * kCols, j1 = std::min(inner, j0 + kCols);
          Columns<T>(px + o * n * inner, py + o * n * inner, n, inner, j0, j1, mode_, m, s);
        }
      });
      return Status::Ok();
    });
  }

 private:
  SoftmaxMode mode_ = SoftmaxMode::kSoftmax;
  bool coerce_2d_ = false;
  int64_t axis_ = -1;
};

}  // namespace

void SoftmaxRowsF32Generic(const float* x, float* y, int64_t rows, int64_t n, bool log) {
  const SoftmaxMode mode = log ? SoftmaxMode::kLogSoftmax : SoftmaxMode::kSoftmax;
  for (int64_t r = 0; r < rows; ++r) RowGeneric<float>(x + r * n, y + r * n, n, mode);
}

void SoftmaxRowsF32(const float* x, float* y, int64_t rows, int64_t n, bool log) {
#if defined(__x86_64__)
  if (UseAvx2() && n > 0) {
    if (MaxIsa() >= Isa::kAvx512) {
      SoftmaxRowsF32Avx512(x, y, rows, n, log);
    } else {
      SoftmaxRowsF32Avx2(x, y, rows, n, log);
    }
    return;
  }
#endif
  SoftmaxRowsF32Generic(x, y, rows, n, log);
}

void ExpShiftAccumulateF32(const float* x, const float* m, float* e, float* s, int64_t w) {
#if defined(__x86_64__)
  if (UseAvx2()) {
    ExpShiftAccumulateF32Avx2(x, m, e, s, w);
    return;
  }
#endif
  for (int64_t j = 0; j < w; ++j) {
    const float v = std::exp(x[j] - m[j]);
    s[j] += v;
    if (e) e[j] = v;
  }
}

void SoftmaxForceGeneric(bool force) { g_force_generic.store(force, std::memory_order_relaxed); }

KernelFactory MakeSoftmaxFactory(SoftmaxMode mode) {
  return [mode](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
    auto k = SoftmaxKernel::Create(info, mode);
    if (!k.ok()) return k.status();
    return std::unique_ptr<Kernel>(std::move(k).value());
  };
}

}  // namespace onnxedge::ops
