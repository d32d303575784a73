// Copyright onnxedge authors.
// The reduction engine shared by ReduceSum/Mean/Max/Min/Prod/L1/L2/LogSum/LogSumExp/SumSquare
// and the ArgMax/ArgMin kernels.
//
// A reduction over any set of axes is planned once per input shape: adjacent dims that are all
// reduced or all kept are merged, so the input becomes alternating kept/reduced groups. The
// innermost group decides the loop shape:
//   - kept innermost (e.g. [outer, R, inner]): every output block of `inner` contiguous outputs
//     accumulates whole contiguous input rows (vectorizable, streaming);
//   - reduced innermost (e.g. [outer, R]): every output reduces contiguous runs of input.
// Remaining reduced groups are walked with an odometer, remaining kept groups give the block's
// base offset. Outputs are independent, so blocks run in parallel; a reduction to very few
// outputs over long runs splits each run into fixed-size chunks whose partial results are
// combined in a fixed order (results do not depend on the thread count).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <type_traits>
#include <vector>

#include "kernels/vecmath.h"
#include "ops/common/op_util.h"

namespace onnxedge::ops {

/// Iteration plan for reducing `axes` of a shape (see the file comment).
struct ReducePlan {
  Shape out_shape;                    ///< Output shape (keepdims applied).
  int64_t out_size = 0;               ///< Output element count.
  int64_t reduce_count = 1;           ///< Input elements folded into each output.
  bool inner_kept = false;            ///< Innermost merged group is kept (else reduced).
  int64_t inner = 1;                  ///< Size of the innermost merged group.
  int64_t num_blocks = 0;             ///< out_size / inner when inner_kept, else out_size.
  Shape kept_dims;                    ///< Kept groups other than a kept innermost one, outer first.
  std::vector<int64_t> kept_strides;  ///< Their input strides (elements).
  Shape reduced_dims;                 ///< Reduced groups other than a reduced innermost one.
  std::vector<int64_t> reduced_strides;  ///< Their input strides (elements).

  /// Input offset of the first element of output block `b`.
  int64_t BlockBase(int64_t b) const {
    int64_t off = 0;
    for (int64_t d = static_cast<int64_t>(kept_dims.size()) - 1; d >= 0; --d) {
      const size_t i = static_cast<size_t>(d);
      off += (b % kept_dims[i]) * kept_strides[i];
      b /= kept_dims[i];
    }
    return off;
  }
  /// Number of reduced-group positions walked by the odometer.
  int64_t NumReducedPositions() const {
    int64_t n = 1;
    for (int64_t d : reduced_dims) n *= d;
    return n;
  }
};

/// Plans the reduction of `axes` (normalized, distinct, any order) of `shape`. An empty `axes`
/// keeps every dim (a copy).
ReducePlan MakeReducePlan(const Shape& shape, const std::vector<int64_t>& axes, bool keepdims);

/// Walks the reduced-group odometer: calls fn(offset) for every position (row-major).
template <typename F>
inline void ForEachReducedOffset(const ReducePlan& p, F&& fn) {
  const size_t nd = p.reduced_dims.size();
  if (nd == 0) {
    fn(int64_t{0});
    return;
  }
  if (nd == 1) {
    for (int64_t i = 0; i < p.reduced_dims[0]; ++i) fn(i * p.reduced_strides[0]);
    return;
  }
  for (int64_t d : p.reduced_dims) {
    if (d == 0) return;
  }
  int64_t small[16] = {0};
  std::vector<int64_t> big;
  int64_t* index = small;
  if (nd > 16) {
    big.assign(nd, 0);
    index = big.data();
  }
  int64_t off = 0;
  while (true) {
    fn(off);
    size_t d = nd;
    while (true) {
      if (d == 0) return;
      --d;
      if (++index[d] < p.reduced_dims[d]) {
        off += p.reduced_strides[d];
        break;
      }
      off -= (p.reduced_dims[d] - 1) * p.reduced_strides[d];
      index[d] = 0;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Reducers. Each defines, over an element type T with compute type C = ComputeType<T>:
//   Acc                 accumulator type
//   kNeedsShift         true when Map needs the per-output maximum (LogSumExp)
//   Identity()          accumulator of the empty set
//   Map(x, shift)       contribution of one element
//   Combine(a, b)       associative merge
//   Finalize(acc, n, shift) -> T   the output value for n folded elements

namespace reduce_detail {

template <typename T>
constexpr bool kIsFloat = std::is_floating_point_v<ComputeType<T>>;

/// Wide accumulator for sums and products: float for 16-bit floats, T for float/double,
/// int64/uint64 for integers (the final narrowing cast wraps like T arithmetic would).
template <typename T>
using SumAcc = std::conditional_t<kIsFloat<T>, ComputeType<T>,
                                  std::conditional_t<std::is_signed_v<T>, int64_t, uint64_t>>;

template <typename T, typename A>
inline T Narrow(A v) {
  if constexpr (std::is_same_v<T, bool>) {
    return v != A(0);
  } else {
    return FromCompute<T>(static_cast<ComputeType<T>>(v));
  }
}

/// Converts a double result (L2, LogSum, ...) back to T; integers saturate and NaN gives 0
/// instead of undefined behaviour.
template <typename T>
inline T FromDouble(double v) {
  if constexpr (kIsFloat<T>) {
    return FromCompute<T>(static_cast<ComputeType<T>>(v));
  } else {
    if (std::isnan(v)) return T(0);
    if (v <= static_cast<double>(std::numeric_limits<T>::lowest())) {
      return std::numeric_limits<T>::lowest();
    }
    if (v >= static_cast<double>(std::numeric_limits<T>::max())) {
      return std::numeric_limits<T>::max();
    }
    return static_cast<T>(v);
  }
}

/// a + b and a * b that wrap (two's complement) for integers instead of overflowing.
template <typename A>
inline A WrapAdd(A a, A b) {
  if constexpr (std::is_integral_v<A>) {
    using U = std::make_unsigned_t<A>;
    return static_cast<A>(static_cast<U>(a) + static_cast<U>(b));
  } else {
    return a + b;
  }
}
template <typename A>
inline A WrapMul(A a, A b) {
  if constexpr (std::is_integral_v<A>) {
    using U = std::make_unsigned_t<A>;
    return static_cast<A>(static_cast<U>(a) * static_cast<U>(b));
  } else {
    return a * b;
  }
}

template <typename C>
inline C LowestOf() {
  if constexpr (std::numeric_limits<C>::has_infinity) {
    return -std::numeric_limits<C>::infinity();
  } else {
    return std::numeric_limits<C>::lowest();
  }
}
template <typename C>
inline C HighestOf() {
  if constexpr (std::numeric_limits<C>::has_infinity) {
    return std::numeric_limits<C>::infinity();
  } else {
    return std::numeric_limits<C>::max();
  }
}

}  // namespace reduce_detail

template <typename T>
struct SumReducer {
  using C = ComputeType<T>;
  using Acc = reduce_detail::SumAcc<T>;
  static constexpr bool kNeedsShift = false;
  static Acc Identity() { return Acc(0); }
  static Acc Map(C x, C) { return static_cast<Acc>(x); }
  static Acc Combine(Acc a, Acc b) { return reduce_detail::WrapAdd(a, b); }
  static T Finalize(Acc a, int64_t, C) { return reduce_detail::Narrow<T>(a); }
};

template <typename T>
struct MeanReducer : SumReducer<T> {
  using C = ComputeType<T>;
  using Acc = reduce_detail::SumAcc<T>;
  static T Finalize(Acc a, int64_t n, C) {
    if constexpr (reduce_detail::kIsFloat<T>) {
      return FromCompute<T>(static_cast<C>(a / static_cast<Acc>(n)));  // 0/0 -> NaN
    } else {
      return n == 0 ? T(0) : reduce_detail::Narrow<T>(a / static_cast<Acc>(n));
    }
  }
};

template <typename T>
struct ProdReducer {
  using C = ComputeType<T>;
  using Acc = reduce_detail::SumAcc<T>;
  static constexpr bool kNeedsShift = false;
  static Acc Identity() { return Acc(1); }
  static Acc Map(C x, C) { return static_cast<Acc>(x); }
  static Acc Combine(Acc a, Acc b) { return reduce_detail::WrapMul(a, b); }
  static T Finalize(Acc a, int64_t, C) { return reduce_detail::Narrow<T>(a); }
};

template <typename T>
struct MaxReducer {
  using C = ComputeType<T>;
  using Acc = C;
  static constexpr bool kNeedsShift = false;
  static Acc Identity() { return reduce_detail::LowestOf<C>(); }
  static Acc Map(C x, C) { return x; }
  // NaN propagates (like numpy.max): once `a` is NaN nothing replaces it.
  static Acc Combine(Acc a, Acc b) { return (b > a || b != b) ? b : a; }
  static T Finalize(Acc a, int64_t, C) { return reduce_detail::Narrow<T>(a); }
};

template <typename T>
struct MinReducer {
  using C = ComputeType<T>;
  using Acc = C;
  static constexpr bool kNeedsShift = false;
  static Acc Identity() { return reduce_detail::HighestOf<C>(); }
  static Acc Map(C x, C) { return x; }
  static Acc Combine(Acc a, Acc b) { return (b < a || b != b) ? b : a; }
  static T Finalize(Acc a, int64_t, C) { return reduce_detail::Narrow<T>(a); }
};

template <typename T>
struct L1Reducer : SumReducer<T> {
  using C = ComputeType<T>;
  using Acc = reduce_detail::SumAcc<T>;
  static Acc Map(C x, C) {
    if constexpr (std::is_unsigned_v<C>) {
      return static_cast<Acc>(x);
    } else {
      return static_cast<Acc>(x < C(0) ? -x : x);
    }
  }
};

template <typename T>
struct SumSquareReducer : SumReducer<T> {
  using C = ComputeType<T>;
  using Acc = reduce_detail::SumAcc<T>;
  static Acc Map(C x, C) {
    return reduce_detail::WrapMul(static_cast<Acc>(x), static_cast<Acc>(x));
  }
};

template <typename T>
struct L2Reducer : SumSquareReducer<T> {
  using C = ComputeType<T>;
  using Acc = reduce_detail::SumAcc<T>;
  static T Finalize(Acc a, int64_t, C) {
    if constexpr (reduce_detail::kIsFloat<T>) {
      return FromCompute<T>(static_cast<C>(std::sqrt(a)));
    } else {
      return reduce_detail::FromDouble<T>(std::sqrt(static_cast<double>(a)));
    }
  }
};

template <typename T>
struct LogSumReducer : SumReducer<T> {
  using C = ComputeType<T>;
  using Acc = reduce_detail::SumAcc<T>;
  static T Finalize(Acc a, int64_t, C) {
    if constexpr (reduce_detail::kIsFloat<T>) {
      return FromCompute<T>(static_cast<C>(std::log(a)));
    } else {
      return reduce_detail::FromDouble<T>(std::log(static_cast<double>(a)));
    }
  }
};

/// log(sum(exp(x))) computed as max + log(sum(exp(x - max))) so large inputs do not overflow.
template <typename T>
struct LogSumExpReducer {
  using C = ComputeType<T>;
  using Acc = std::conditional_t<reduce_detail::kIsFloat<T>, C, double>;
  static constexpr bool kNeedsShift = true;
  static Acc Identity() { return Acc(0); }
  static Acc Map(C x, C shift) {
    if constexpr (reduce_detail::kIsFloat<T>) {
      return std::exp(x - shift);
    } else {
      return std::exp(static_cast<double>(x) - static_cast<double>(shift));
    }
  }
  static Acc Combine(Acc a, Acc b) { return a + b; }
  static T Finalize(Acc a, int64_t n, C shift) {
    if constexpr (reduce_detail::kIsFloat<T>) {
      // Empty set: log(0) = -inf. An infinite or NaN maximum is the answer itself (and would
      // otherwise turn into inf - inf = NaN).
      if (n == 0) return FromCompute<T>(-std::numeric_limits<C>::infinity());
      if (!std::isfinite(shift)) return FromCompute<T>(shift);
      return FromCompute<T>(static_cast<C>(std::log(a) + shift));
    } else {
      if (n == 0) return std::numeric_limits<T>::lowest();
      return reduce_detail::FromDouble<T>(std::log(a) + static_cast<double>(shift));
    }
  }
};

// ---------------------------------------------------------------------------------------------
// The engine.

namespace reduce_detail {

constexpr int64_t kChunk = 16384;     // Elements per parallel task of a split run.
constexpr int64_t kInnerTile = 4096;  // Kept-innermost outputs per task.

/// Reduces `n` contiguous elements into an accumulator (several independent chains so the
/// compiler can keep them in vector registers).
template <typename R, typename T>
inline typename R::Acc ReduceRun(const T* x, int64_t n, ComputeType<T> shift) {
  using Acc = typename R::Acc;
  // float32 Sum/Mean/Max/Min: the vectorised kernels (AVX2 when available; NaN-aware Max/Min
  // lanes that the compiler cannot vectorise from the Combine below).
  if constexpr (std::is_same_v<R, SumReducer<float>> || std::is_same_v<R, MeanReducer<float>>) {
    return kernels::ReduceSumF32(x, n);
  } else if constexpr (std::is_same_v<R, MaxReducer<float>>) {
    return kernels::ReduceMaxF32(x, n);
  } else if constexpr (std::is_same_v<R, MinReducer<float>>) {
    return kernels::ReduceMinF32(x, n);
  }
  constexpr int kLanes = 8;
  int64_t i = 0;
  Acc acc = R::Identity();
  if (n >= 2 * kLanes) {
    Acc lanes[kLanes];
    for (int l = 0; l < kLanes; ++l) lanes[l] = R::Identity();
    for (; i + kLanes <= n; i += kLanes) {
      for (int l = 0; l < kLanes; ++l)
        lanes[l] = R::Combine(lanes[l], R::Map(ToCompute(x[i + l]), shift));
    }
    for (int l = 0; l < kLanes; ++l) acc = R::Combine(acc, lanes[l]);
  }
  for (; i < n; ++i) acc = R::Combine(acc, R::Map(ToCompute(x[i]), shift));
  return acc;
}

/// One pass of reducer R over the plan; store(o, acc) receives each output's accumulator.
/// `shift` (per output, may be null) is passed to Map.
template <typename R, typename T, typename Store>
void ReducePass(const ReducePlan& p, const T* x, const ComputeType<T>* shift, ThreadPool& pool,
                Store store) {
  using Acc = typename R::Acc;
  using C = ComputeType<T>;
  if (p.out_size == 0) return;
  const int64_t inner = p.inner;
  const int64_t min_blocks = std::max<int64_t>(1, 32768 / std::max<int64_t>(1, p.reduce_count));
  if (p.inner_kept) {
    // Tasks are (block, tile of the contiguous kept dim): parallel even for one block, and
    // the accumulators stay small.
    const int64_t tile = std::min<int64_t>(inner, kInnerTile);
    const int64_t tiles = inner == 0 ? 0 : (inner + tile - 1) / tile;
    const int64_t min_tasks =
        std::max<int64_t>(1, 32768 / std::max<int64_t>(1, p.reduce_count * tile));
    pool.ParallelFor(p.num_blocks * tiles, min_tasks, [&](int64_t t0, int64_t t1) {
      // On the stack (at most 32 KiB): a steady-state run allocates nothing (the global pools
      // of channels-last networks run as this reduction). Not std::array<bool>-hostile
      // std::vector: vector<bool> has no data().
      Acc a[kInnerTile];
      for (int64_t t = t0; t < t1; ++t) {
        const int64_t b = t / tiles, i0 = (t % tiles) * tile;
        const int64_t len = std::min(tile, inner - i0);
        const T* base = x + p.BlockBase(b) + i0;
        const C* sh = shift ? shift + b * inner + i0 : nullptr;
        std::fill(a, a + len, R::Identity());
        ForEachReducedOffset(p, [&](int64_t off) {
          const T* row = base + off;
          if (sh) {
            for (int64_t i = 0; i < len; ++i) {
              a[i] = R::Combine(a[i], R::Map(ToCompute(row[i]), sh[i]));
            }
          } else {
            for (int64_t i = 0; i < len; ++i)
              a[i] = R::Combine(a[i], R::Map(ToCompute(row[i]), C(0)));
          }
        });
        for (int64_t i = 0; i < len; ++i) store(b * inner + i0 + i, a[i]);
      }
    });
    return;
  }
  // Reduced innermost: every output folds NumReducedPositions() runs of `inner` elements.
  const int64_t positions = p.NumReducedPositions();
  const int64_t chunks_per_run = positions == 1 ? (inner + kChunk - 1) / kChunk : 1;
  if (chunks_per_run > 1 && p.num_blocks < 4 * pool.num_threads()) {
    // Few outputs, long runs: split each run into fixed chunks, then merge in order. The
    // partial results live in the calling thread's buffer, kept across runs (a steady-state
    // run allocates nothing). Not std::vector: threads write neighbouring elements
    // (vector<bool> packs bits).
    const size_t n_partial = static_cast<size_t>(p.num_blocks * chunks_per_run);
    thread_local std::unique_ptr<Acc[]> partial_buffer;
    thread_local size_t partial_capacity = 0;
    if (partial_capacity < n_partial) {
      partial_buffer.reset(new Acc[n_partial]);
      partial_capacity = n_partial;
    }
    Acc* const partial = partial_buffer.get();
    pool.ParallelFor(p.num_blocks * chunks_per_run, 1, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) {
        const int64_t o = t / chunks_per_run, c = t % chunks_per_run;
        const int64_t begin = c * kChunk, len = std::min(kChunk, inner - begin);
        partial[static_cast<size_t>(t)] =
            ReduceRun<R>(x + p.BlockBase(o) + begin, len, shift ? shift[o] : C(0));
      }
    });
    for (int64_t o = 0; o < p.num_blocks; ++o) {
      Acc acc = R::Identity();
      for (int64_t c = 0; c < chunks_per_run; ++c) {
        acc = R::Combine(acc, partial[static_cast<size_t>(o * chunks_per_run + c)]);
      }
      store(o, acc);
    }
    return;
  }
  pool.ParallelFor(p.num_blocks, min_blocks, [&](int64_t o0, int64_t o1) {
    for (int64_t o = o0; o < o1; ++o) {
      const T* base = x + p.BlockBase(o);
      const C s = shift ? shift[o] : C(0);
      Acc acc = R::Identity();
      ForEachReducedOffset(
          p, [&](int64_t off) { acc = R::Combine(acc, ReduceRun<R>(base + off, inner, s)); });
      store(o, acc);
    }
  });
}

}  // namespace reduce_detail

/// Reduces `x` into `y` (already shaped per the plan) with reducer R.
template <template <typename> class R, typename T>
void RunReduction(const ReducePlan& p, const T* x, T* y, ThreadPool& pool) {
  using Red = R<T>;
  using C = ComputeType<T>;
  const int64_t n = p.reduce_count;
  if constexpr (Red::kNeedsShift) {
    std::vector<C> shift(static_cast<size_t>(p.out_size));
    reduce_detail::ReducePass<MaxReducer<T>>(
        p, x, nullptr, pool, [&](int64_t o, C v) { shift[static_cast<size_t>(o)] = v; });
    const C* sh = shift.data();
    reduce_detail::ReducePass<Red>(
        p, x, sh, pool, [&](int64_t o, typename Red::Acc a) { y[o] = Red::Finalize(a, n, sh[o]); });
  } else {
    reduce_detail::ReducePass<Red>(p, x, nullptr, pool, [&](int64_t o, typename Red::Acc a) {
      y[o] = Red::Finalize(a, n, C(0));
    });
  }
}

// ---------------------------------------------------------------------------------------------
// The Reduce* kernel, shared by every Reduce* op folder.

enum class ReduceKind { kSum, kMean, kMax, kMin, kProd, kL1, kL2, kLogSum, kLogSumExp, kSumSquare };

/// Factory for a Reduce* kernel. `axes_input_since` is the first since-version in which the
/// axes are the optional second input instead of the `axes` attribute (13 for ReduceSum, 18 for
/// the others). Max and Min also accept bool (added at opset 20; accepted at every opset).
KernelFactory MakeReduceFactory(ReduceKind kind, int axes_input_since);

/// Factory for ArgMax (`is_max`) or ArgMin: axis, keepdims, select_last_index (opset 12+).
KernelFactory MakeArgReduceFactory(bool is_max);

}  // namespace onnxedge::ops
