// Copyright onnxedge authors.
// Sliding-window pooling shared by MaxPool, AveragePool and LpPool, and plane reductions shared
// by the global pools. Geometry comes from nn_util.h (3-D normalized).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "ops/common/nn_util.h"
#include "ops/common/op_util.h"
#include "runtime/chunk_scratch.h"
#include "runtime/thread_pool.h"

namespace onnxedge::ops {

enum class PoolKind { kMax, kAverage, kLp };

struct PoolOptions {
  bool count_include_pad = false;  ///< AveragePool: padded positions count in the divisor.
  double p = 2;                    ///< LpPool exponent.
  int64_t storage_order = 0;       ///< MaxPool Indices: 0 row-major, 1 column-major.
};

/// Parses the pool attributes common to MaxPool/AveragePool/LpPool: the window attributes with
/// a required kernel_shape, and ceil_mode where the op version has it.
inline StatusOr<WindowAttrs> ParsePoolAttrs(const KernelInfo& info, bool* ceil_mode) {
  OE_ASSIGN_OR_RETURN(WindowAttrs a, ParseWindowAttrs(info, /*kernel_required=*/true,
                                                      /*has_dilations=*/true));
  OE_ASSIGN_OR_RETURN(int64_t ceil, info.GetInt("ceil_mode", 0));
  if (ceil != 0 && ceil != 1) {
    return info.Error(StatusCode::kInvalidModel, "attribute 'ceil_mode' must be 0 or 1, got ",
                      ceil);
  }
  *ceil_mode = ceil == 1;
  return a;
}

/// Geometry of a pool over input X ([N, C, spatial...]); errors name the node.
inline StatusOr<WindowGeometry> PoolGeometry(const WindowAttrs& attrs, bool ceil_mode,
                                             const Tensor& x, const std::string& where) {
  if (x.rank() < 3) {
    return MakeError(StatusCode::kInvalidArgument, where, ": input X must have rank >= 3, got ",
                     ShapeToString(x.shape()));
  }
  if (x.rank() - 2 != attrs.kernel_shape.size()) {
    return MakeError(StatusCode::kInvalidArgument, where, ": input X has ", x.rank() - 2,
                     " spatial dims but attribute 'kernel_shape' has ", attrs.kernel_shape.size());
  }
  const Shape in_spatial(x.shape().begin() + 2, x.shape().end());
  return ComputeWindowGeometry(attrs, in_spatial, attrs.kernel_shape, ceil_mode, where);
}

/// Pools `planes` planes of x (each g.in_size() elements) into y (each g.out_size()). For
/// kMax, `indices` (optional) receives the flattened input index of each maximum.
template <PoolKind kKind, typename T>
void PoolPlanes(const T* x, T* y, int64_t* indices, int64_t planes, const WindowGeometry& g,
                const PoolOptions& opt, ThreadPool* pool) {
  using C = ComputeType<T>;
  // Per-thread tables reused across runs (no allocation once grown). Bound to references: the
  // workers below must read the calling thread's tables.
  thread_local std::array<std::vector<TapRange>, 3> tls_taps, tls_pad_taps;
  auto& taps = tls_taps;
  auto& pad_taps = tls_pad_taps;
  for (int d = 0; d < 3; ++d) {
    ComputeTapRanges(g.in[d], g.out[d], g.kernel[d], g.stride[d], g.dilation[d], g.pad_begin[d],
                     &taps[d]);
    // Taps inside the padded extent [-pad_begin, in + pad_end) (count_include_pad divisor).
    ComputeTapRanges(g.in[d] + g.pad_begin[d] + g.pad_end[d], g.out[d], g.kernel[d],
                     g.stride[d], g.dilation[d], 0, &pad_taps[d]);
  }
  const int64_t in_size = g.in_size(), out_size = g.out_size();
  const int64_t i0 = g.in[0], i1 = g.in[1], i2 = g.in[2];
  const double inv_p = 1.0 / opt.p;
  const int64_t work = std::max<int64_t>(1, out_size * g.kernel_size());
  pool->ParallelFor(planes, std::max<int64_t>(1, 16384 / work), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const T* xp = x + p * in_size;
      T* yp = y + p * out_size;
      int64_t* ip = indices ? indices + p * out_size : nullptr;
      int64_t o = 0;
      for (int64_t od = 0; od < g.out[0]; ++od) {
        const TapRange td = taps[0][static_cast<size_t>(od)];
        const int64_t bd = od * g.stride[0] - g.pad_begin[0];
        for (int64_t oh = 0; oh < g.out[1]; ++oh) {
          const TapRange th = taps[1][static_cast<size_t>(oh)];
          const int64_t bh = oh * g.stride[1] - g.pad_begin[1];
          for (int64_t ow = 0; ow < g.out[2]; ++ow, ++o) {
            const TapRange tw = taps[2][static_cast<size_t>(ow)];
            const int64_t bw = ow * g.stride[2] - g.pad_begin[2];
            if constexpr (kKind == PoolKind::kMax) {
              C best = std::numeric_limits<C>::has_infinity ? -std::numeric_limits<C>::infinity()
                                                            : std::numeric_limits<C>::lowest();
              int64_t best_idx = -1;
              for (int64_t kd = td.lo; kd < td.hi; ++kd) {
                const int64_t id = bd + kd * g.dilation[0];
                for (int64_t kh = th.lo; kh < th.hi; ++kh) {
                  const int64_t ih = bh + kh * g.dilation[1];
                  const T* row = xp + (id * i1 + ih) * i2;
                  for (int64_t kw = tw.lo; kw < tw.hi; ++kw) {
                    const int64_t iw = bw + kw * g.dilation[2];
                    const C v = ToCompute(row[iw]);
                    // A NaN in the window wins and stays (numpy max semantics).
                    if (v > best || best_idx < 0 || (v != v && best == best)) {
                      best = v;
                      best_idx = (id * i1 + ih) * i2 + iw;
                      if (ip && opt.storage_order == 1) best_idx = id + ih * i0 + iw * i0 * i1;
                    }
                  }
                }
              }
              yp[o] = FromCompute<T>(best);
              if (ip) ip[o] = best_idx < 0 ? -1 : p * in_size + best_idx;
            } else {
              C acc = C(0);
              for (int64_t kd = td.lo; kd < td.hi; ++kd) {
                const int64_t id = bd + kd * g.dilation[0];
                for (int64_t kh = th.lo; kh < th.hi; ++kh) {
                  const int64_t ih = bh + kh * g.dilation[1];
                  const T* row = xp + (id * i1 + ih) * i2;
                  for (int64_t kw = tw.lo; kw < tw.hi; ++kw) {
                    const C v = ToCompute(row[bw + kw * g.dilation[2]]);
                    if constexpr (kKind == PoolKind::kAverage) {
                      acc += v;
                    } else {
                      acc += static_cast<C>(std::pow(std::abs(static_cast<double>(v)), opt.p));
                    }
                  }
                }
              }
              if constexpr (kKind == PoolKind::kAverage) {
                int64_t count;
                if (opt.count_include_pad) {
                  const TapRange pd = pad_taps[0][static_cast<size_t>(od)];
                  const TapRange ph = pad_taps[1][static_cast<size_t>(oh)];
                  const TapRange pw = pad_taps[2][static_cast<size_t>(ow)];
                  count = int64_t{pd.hi - pd.lo} * (ph.hi - ph.lo) * (pw.hi - pw.lo);
                } else {
                  count = int64_t{td.hi - td.lo} * (th.hi - th.lo) * (tw.hi - tw.lo);
                }
                yp[o] = FromCompute<T>(count > 0 ? acc / static_cast<C>(count) : C(0));
              } else {
                yp[o] = FromCompute<T>(static_cast<C>(std::pow(static_cast<double>(acc), inv_p)));
              }
            }
          }
        }
      }
    }
  });
}

/// Max that propagates NaN from either side (numpy semantics), written to vectorize.
template <typename C>
inline C NanMax(C a, C b) {
  return (a != a || a > b) ? a : b;
}

/// Separable fast path for max and average pooling: per output row, the valid input rows are
/// first reduced column-wise into a scratch row (contiguous, vectorizes), then each output
/// reduces its kernel columns of that row. Same results as PoolPlanes (no Indices).
template <PoolKind kKind, typename T>
void PoolPlanesSeparable(const T* x, T* y, int64_t planes, const WindowGeometry& g,
                         const PoolOptions& opt, ThreadPool* pool) {
  static_assert(kKind != PoolKind::kLp, "LpPool uses PoolPlanes");
  using C = ComputeType<T>;
  // Per-thread tables reused across runs, bound to references for the workers (see PoolPlanes).
  thread_local std::array<std::vector<TapRange>, 3> tls_taps, tls_pad_taps;
  auto& taps = tls_taps;
  auto& pad_taps = tls_pad_taps;
  for (int d = 0; d < 3; ++d) {
    ComputeTapRanges(g.in[d], g.out[d], g.kernel[d], g.stride[d], g.dilation[d], g.pad_begin[d],
                     &taps[d]);
    ComputeTapRanges(g.in[d] + g.pad_begin[d] + g.pad_end[d], g.out[d], g.kernel[d],
                     g.stride[d], g.dilation[d], 0, &pad_taps[d]);
  }
  const int64_t in_size = g.in_size(), out_size = g.out_size();
  const int64_t i1 = g.in[1], i2 = g.in[2];
  const int64_t work = std::max<int64_t>(1, in_size + out_size * g.kernel[2]);
  // Chunk scratch (row, win) grown by this thread before the parallel region
  // (runtime/chunk_scratch.h): no chunk allocates, whichever thread runs it.
  // (win also holds a max row's out[2] results.)
  const size_t row_bytes =
      (static_cast<size_t>(std::max(i2, g.out[2])) * sizeof(C) + 63) / 64 * 64;
  thread_local ChunkScratch tls_scratch;
  ChunkScratch& scratch = tls_scratch;
  scratch.Prepare(static_cast<size_t>(pool->num_threads()), 2 * row_bytes);
  pool->ParallelFor(planes, std::max<int64_t>(1, 32768 / work), [&](int64_t p0, int64_t p1) {
    char* mem = scratch.Claim();
    C* const row = reinterpret_cast<C*>(mem);
    C* const win = reinterpret_cast<C*>(mem + row_bytes);
    std::fill(row, row + i2, C(0));
    std::fill(win, win + i2, C(0));
    // win[i] = the window starting at column i reduced (for i < win_n): computed over whole
    // contiguous rows (vectorizes), then read by the outputs whose window is all inside.
    const int64_t kw_n = g.kernel[2], dil_w = g.dilation[2];
    const int64_t win_n = std::max<int64_t>(0, i2 - (kw_n - 1) * dil_w);
    for (int64_t p = p0; p < p1; ++p) {
      const T* xp = x + p * in_size;
      T* yp = y + p * out_size;
      for (int64_t od = 0; od < g.out[0]; ++od) {
        const TapRange td = taps[0][static_cast<size_t>(od)];
        for (int64_t oh = 0; oh < g.out[1]; ++oh) {
          const TapRange th = taps[1][static_cast<size_t>(oh)];
          T* yr = yp + (od * g.out[1] + oh) * g.out[2];
          const int64_t rows = int64_t{td.hi - td.lo} * (th.hi - th.lo);
          // Column-wise reduction of the valid input rows.
          bool first = true;
          for (int64_t kd = td.lo; kd < td.hi; ++kd) {
            const int64_t id = od * g.stride[0] - g.pad_begin[0] + kd * g.dilation[0];
            for (int64_t kh = th.lo; kh < th.hi; ++kh) {
              const int64_t ih = oh * g.stride[1] - g.pad_begin[1] + kh * g.dilation[1];
              const T* src = xp + (id * i1 + ih) * i2;
              C* r = row;
              if (first) {
                for (int64_t i = 0; i < i2; ++i) r[i] = ToCompute(src[i]);
                first = false;
              } else if constexpr (kKind == PoolKind::kMax) {
                for (int64_t i = 0; i < i2; ++i) r[i] = NanMax(r[i], ToCompute(src[i]));
              } else {
                for (int64_t i = 0; i < i2; ++i) r[i] += ToCompute(src[i]);
              }
            }
          }
          if constexpr (kKind == PoolKind::kMax) {
            // Per tap, the outputs whose window column falls inside the row form one range:
            // one loop per tap over it (contiguous for stride 1, so it vectorizes), no
            // per-output bounds. Outputs no tap reaches stay at the lowest value (-inf).
            C* acc = win;
            std::fill(acc, acc + g.out[2],
                      std::numeric_limits<C>::has_infinity ? -std::numeric_limits<C>::infinity()
                                                           : std::numeric_limits<C>::lowest());
            const int64_t sw = g.stride[2];
            for (int64_t kw = 0; kw < kw_n && rows > 0; ++kw) {
              const int64_t off = kw * dil_w - g.pad_begin[2];  // column = ow * sw + off
              const int64_t lo = off >= 0 ? 0 : (-off + sw - 1) / sw;
              const int64_t hi = std::min(g.out[2], i2 - off <= 0 ? 0 : (i2 - off + sw - 1) / sw);
              if (sw == 1) {
                for (int64_t ow = lo; ow < hi; ++ow) acc[ow] = NanMax(acc[ow], row[ow + off]);
              } else {
                for (int64_t ow = lo; ow < hi; ++ow) acc[ow] = NanMax(acc[ow], row[ow * sw + off]);
              }
            }
            for (int64_t ow = 0; ow < g.out[2]; ++ow) yr[ow] = FromCompute<T>(acc[ow]);
            continue;
          }
          if (rows > 0 && win_n > 0) {
            C* w = win;
            const C* r = row;
            // C(0) + first, like the per-output sum below (the same additions in order).
            for (int64_t i = 0; i < win_n; ++i) w[i] = C(0) + r[i];
            for (int64_t kw = 1; kw < kw_n; ++kw) {
              const C* rk = r + kw * dil_w;
              for (int64_t i = 0; i < win_n; ++i) w[i] += rk[i];
            }
          }
          const int64_t pad_rows =
              int64_t{pad_taps[0][static_cast<size_t>(od)].hi -
                      pad_taps[0][static_cast<size_t>(od)].lo} *
              (pad_taps[1][static_cast<size_t>(oh)].hi - pad_taps[1][static_cast<size_t>(oh)].lo);
          for (int64_t ow = 0; ow < g.out[2]; ++ow) {
            const TapRange tw = taps[2][static_cast<size_t>(ow)];
            const int64_t base = ow * g.stride[2] - g.pad_begin[2];
            const bool full = rows > 0 && tw.lo == 0 && tw.hi == kw_n;  // base < win_n then
            C acc = C(0);
            if (full) {
              acc = win[static_cast<size_t>(base)];
            } else if (rows > 0) {
              for (int64_t kw = tw.lo; kw < tw.hi; ++kw) {
                acc += row[static_cast<size_t>(base + kw * g.dilation[2])];
              }
            }
            const TapRange pw = pad_taps[2][static_cast<size_t>(ow)];
            const int64_t count =
                opt.count_include_pad ? pad_rows * (pw.hi - pw.lo) : rows * (tw.hi - tw.lo);
            yr[ow] = FromCompute<T>(count > 0 ? acc / static_cast<C>(count) : C(0));
          }
        }
      }
    }
  });
}

/// Output shape [N, C, 1, ..., 1] of a global pool (rank 2 [N, C] maps to itself).
inline StatusOr<Shape> GlobalPoolShape(const Tensor& x, const std::string& where) {
  if (x.rank() < 2) {
    return MakeError(StatusCode::kInvalidArgument, where, ": input X must have rank >= 2, got ",
                     ShapeToString(x.shape()));
  }
  Shape out(x.rank(), 1);
  out[0] = x.dim(0);
  out[1] = x.dim(1);
  return out;
}

/// out[p] = finish(reduce over plane p of x), for planes of `plane` elements.
template <typename T, typename Reduce>
void ReducePlanes(const T* x, T* y, int64_t planes, int64_t plane, ThreadPool* pool,
                  Reduce reduce) {
  pool->ParallelFor(planes, std::max<int64_t>(1, 32768 / std::max<int64_t>(1, plane)),
                    [&](int64_t p0, int64_t p1) {
                      for (int64_t p = p0; p < p1; ++p) y[p] = reduce(x + p * plane, plane);
                    });
}

}  // namespace onnxedge::ops
