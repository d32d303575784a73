// Copyright onnxedge authors.
#include "ops/common/resize_util.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "ops/common/op_util.h"
#include "runtime/chunk_scratch.h"

namespace onnxedge::ops::resize {

namespace {

// Largest per-axis table (outputs * taps) we are willing to build: far beyond any real image,
// small enough that a hostile scale cannot exhaust memory through the table alone.
constexpr int64_t kMaxTableEntries = int64_t{1} << 28;

// Converts a double to an element type: integers round to nearest and saturate (NaN -> 0).
// The ONNX reference truncates (numpy astype), but truncation turns an interpolated 254.99999
// into 254 where the exact value is 255; rounding is what image pipelines expect.
template <typename T>
T FromDouble(double v) {
  if constexpr (std::is_same_v<T, std::string>) {
    return std::string();
  } else if constexpr (std::is_same_v<T, bool>) {
    return v != 0.0;
  } else if constexpr (std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>) {
    return T(static_cast<float>(v));
  } else if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(v);
  } else {
    if (std::isnan(v)) return T(0);
    constexpr double lo = static_cast<double>(std::numeric_limits<T>::min());
    constexpr double hi = static_cast<double>(std::numeric_limits<T>::max());
    if (v <= lo) return std::numeric_limits<T>::min();
    if (v >= hi) return std::numeric_limits<T>::max();
    return static_cast<T>(std::round(v));
  }
}

// Element -> accumulator and accumulator -> element conversions of the general path.
template <typename Acc, typename T>
Acc LoadAs(T v) {
  return static_cast<Acc>(ToCompute(v));
}
template <typename TOut, typename Acc>
TOut StoreAs(Acc v) {
  if constexpr (std::is_same_v<TOut, Acc>) {
    return v;
  } else {
    return FromDouble<TOut>(static_cast<double>(v));
  }
}

// Keys' cubic convolution kernel with parameter a.
double CubicKernel(double x, double a) {
  x = std::fabs(x);
  if (x <= 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
  if (x < 2.0) return ((a * x - 5.0 * a) * x + 8.0 * a) * x - 4.0 * a;
  return 0.0;
}

// Source coordinate of output coordinate x; sets *outside for tf_crop_and_resize points that
// fall outside the input.
double SourceCoordinate(const Params& p, const AxisSpec& s, int64_t x, bool* outside) {
  const double xr = static_cast<double>(x);
  const double in = static_cast<double>(s.in);
  switch (p.coord) {
    case CoordMode::kHalfPixel:
      return (xr + 0.5) / s.scale - 0.5;
    case CoordMode::kHalfPixelSymmetric: {
      // Centres the (possibly fractional) resized extent on the input.
      const double adjustment = static_cast<double>(s.out) / s.out_float;
      const double offset = in / 2.0 * (1.0 - adjustment);
      return offset + (xr + 0.5) / s.scale - 0.5;
    }
    case CoordMode::kPytorchHalfPixel:
      return s.out > 1 ? (xr + 0.5) / s.scale - 0.5 : 0.0;
    case CoordMode::kAlignCorners:
      // The ONNX test data divides by scale * in - 1, not by the floored length.
      return s.out == 1 ? 0.0 : xr * (in - 1.0) / (s.out_float - 1.0);
    case CoordMode::kAsymmetric:
      return xr / s.scale;
    case CoordMode::kTfHalfPixelForNn:
      return (xr + 0.5) / s.scale;
    case CoordMode::kTfCropAndResize: {
      const double v = s.out == 1 ? 0.5 * (s.roi_start + s.roi_end) * (in - 1.0)
                                  : s.roi_start * (in - 1.0) + xr * (s.roi_end - s.roi_start) *
                                                                   (in - 1.0) / (s.out_float - 1.0);
      if (!(v >= 0.0 && v <= in - 1.0)) *outside = true;
      return v;
    }
  }
  return 0.0;
}

// The identity table of an axis of length n, refilled in place (no allocation once grown).
void FillIdentityTable(int64_t n, AxisTable* t) {
  t->in = t->out = n;
  t->taps = 1;
  t->index.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) t->index[static_cast<size_t>(i)] = i;
  t->weight.assign(static_cast<size_t>(n), 1.0);
  t->outside.assign(static_cast<size_t>(n), 0);
  t->identity = true;
  t->any_outside = false;
}

// ---------------------------------------------------------------------------------------------
// Nearest: N-D gather over output rows (the last resized axis and the unresized axes after it,
// which move as blocks of `inner` elements: channels-last images copy whole pixels).

template <typename T>
void NearestGather(KernelContext& ctx, const Params& p, const Tensor& x,
                   const std::vector<AxisTable>& tables, Tensor* y) {
  const size_t full_rank = x.rank();
  const Shape& out_shape = y->shape();
  Shape in_strides(full_rank, 1);  // Inline: no allocation per run.
  for (size_t i = full_rank; i-- > 1;) in_strides[i - 1] = in_strides[i] * x.shape()[i];
  // The row axis: the last resized one (the caller has at least one); `inner` elements per
  // index of it.
  size_t rank = full_rank;
  while (rank > 1 && tables[rank - 1].identity) --rank;
  const int64_t inner = in_strides[rank - 1];
  const int64_t width = out_shape[rank - 1] * inner;
  const int64_t rows = y->size() / width;
  const AxisTable& tw = tables[rank - 1];
  const T* src = x.data<T>();
  T* dst = y->data<T>();
  const T extrap = FromDouble<T>(p.extrapolation_value);
  const int64_t min_rows = std::max<int64_t>(1, 16384 / width);
  ctx.thread_pool().ParallelFor(rows, min_rows, [&](int64_t begin, int64_t end) {
    int64_t prev_offset = -1;
    bool prev_outside = false;
    for (int64_t r = begin; r < end; ++r) {
      // Decompose the row index into output coordinates of the outer axes.
      int64_t rem = r;
      int64_t offset = 0;
      bool row_outside = false;
      for (size_t a = rank - 1; a-- > 0;) {
        const int64_t c = rem % out_shape[a];
        rem /= out_shape[a];
        const AxisTable& t = tables[a];
        row_outside |= t.outside[static_cast<size_t>(c)] != 0;
        offset += t.index[static_cast<size_t>(c)] * in_strides[a];
      }
      T* out_row = dst + r * width;
      if (r > begin && offset == prev_offset && row_outside == prev_outside) {
        // Upsampling repeats whole rows: copy the previous output row.
        std::copy(out_row - width, out_row, out_row);
        continue;
      }
      prev_offset = offset;
      prev_outside = row_outside;
      if (row_outside) {
        std::fill(out_row, out_row + width, extrap);
        continue;
      }
      const T* in_row = src + offset;
      const int64_t* idx = tw.index.data();
      const int64_t n = out_shape[rank - 1];
      if (inner == 1) {
        for (int64_t i = 0; i < n; ++i) out_row[i] = in_row[idx[i]];
      } else {
        for (int64_t i = 0; i < n; ++i) {
          const T* b = in_row + idx[i] * inner;
          if (i > 0 && idx[i] == idx[i - 1]) b = out_row + (i - 1) * inner;  // still in cache
          std::copy(b, b + inner, out_row + i * inner);
        }
      }
      if (tw.any_outside) {
        for (int64_t i = 0; i < n; ++i) {
          if (tw.outside[static_cast<size_t>(i)]) {
            std::fill(out_row + i * inner, out_row + (i + 1) * inner, extrap);
          }
        }
      }
    }
  });
}

// ---------------------------------------------------------------------------------------------
// float32 with only the two innermost axes resized: separable, per block of output rows. The
// input rows a block needs are resampled horizontally once into a small cache, then each
// output row is a weighted sum of cached rows (contiguous, vectorizable). Tasks are planes
// (N * C) or, when there are few planes, blocks of rows of a plane.

void Resize2DFloat(KernelContext& ctx, const Params& p, const Tensor& x, const AxisTable& th_in,
                   const AxisTable& tw_in, Tensor* y) {
  // Identity axes as full tables, and the weights in float once per call, in buffers of the
  // calling thread refilled in place (no allocation once grown); the chunks read them through
  // the references below. Indices stay 64-bit (a plane may exceed 2^31 elements).
  thread_local AxisTable tls_th, tls_tw;
  thread_local std::vector<float> tls_wy, tls_wx;
  if (th_in.identity) FillIdentityTable(th_in.in, &tls_th);
  if (tw_in.identity) FillIdentityTable(tw_in.in, &tls_tw);
  const AxisTable& th = th_in.identity ? tls_th : th_in;
  const AxisTable& tw = tw_in.identity ? tls_tw : tw_in;
  const int64_t ih = th.in, iw = tw.in, oh = th.out, ow = tw.out;
  const int64_t ty = th.taps, tx = tw.taps;
  const int64_t planes = x.size() / (ih * iw);
  tls_wy.assign(th.weight.begin(), th.weight.end());
  tls_wx.assign(tw.weight.begin(), tw.weight.end());
  const float* const wy = tls_wy.data();
  const float* const wx = tls_wx.data();
  const int64_t* yi = th.index.data();
  const int64_t* xi = tw.index.data();
  const bool w_identity = tw_in.identity;
  const float* src = x.data<float>();
  float* dst = y->data<float>();
  const float extrap = static_cast<float>(p.extrapolation_value);

  // Enough tasks for every thread, and a row cache of about 1 MiB at most.
  const int64_t want_tasks = 4 * static_cast<int64_t>(ctx.thread_pool().num_threads());
  int64_t blocks = planes >= want_tasks ? 1 : (want_tasks + planes - 1) / planes;
  const int64_t max_rows = std::max<int64_t>(4, (int64_t{1} << 18) / std::max<int64_t>(1, ow));
  blocks = std::max(blocks, (oh + max_rows - 1) / max_rows);
  blocks = std::clamp<int64_t>(blocks, 1, oh);
  const int64_t rows_per_block = (oh + blocks - 1) / blocks;

  // Per chunk: the row cache (a block reads at most min(ih, rows * taps) input rows) and the
  // input row -> cache slot map, in scratch grown by the calling thread.
  const int64_t max_used = std::min(ih, rows_per_block * ty);
  const size_t cache_bytes = (static_cast<size_t>(max_used * ow) * sizeof(float) + 63) / 64 * 64;
  thread_local ChunkScratch tls_scratch;
  ChunkScratch& scratch = tls_scratch;
  scratch.Prepare(static_cast<size_t>(ctx.thread_pool().num_threads()),
                  cache_bytes + static_cast<size_t>(ih) * sizeof(int64_t));
  ctx.thread_pool().ParallelFor(planes * blocks, 1, [&](int64_t begin, int64_t end) {
    char* const mem = scratch.Claim();
    float* const cache = reinterpret_cast<float*>(mem);
    int64_t* const slot = reinterpret_cast<int64_t*>(mem + cache_bytes);
    for (int64_t task = begin; task < end; ++task) {
      const int64_t plane = task / blocks;
      const int64_t oy0 = (task % blocks) * rows_per_block;
      const int64_t oy1 = std::min(oh, oy0 + rows_per_block);
      if (oy0 >= oy1) continue;
      const float* in_plane = src + plane * ih * iw;
      float* out_plane = dst + plane * oh * ow;
      // Input rows this block reads.
      int64_t lo = ih, hi = -1;
      for (int64_t oy = oy0; oy < oy1; ++oy) {
        if (th.outside[static_cast<size_t>(oy)]) continue;
        for (int64_t k = 0; k < ty; ++k) {
          lo = std::min(lo, yi[oy * ty + k]);
          hi = std::max(hi, yi[oy * ty + k]);
        }
      }
      int64_t used = 0;
      if (hi >= lo) {
        std::fill(slot, slot + (hi - lo + 1), int64_t{-1});
        for (int64_t oy = oy0; oy < oy1; ++oy) {
          if (th.outside[static_cast<size_t>(oy)]) continue;
          for (int64_t k = 0; k < ty; ++k) {
            int64_t& s = slot[yi[oy * ty + k] - lo];
            if (s < 0) s = used++;
          }
        }
        // Horizontal pass over the needed input rows.
        for (int64_t iy = lo; iy <= hi; ++iy) {
          const int64_t s = slot[iy - lo];
          if (s < 0) continue;
          const float* row = in_plane + iy * iw;
          float* h = cache + s * ow;
          if (w_identity) {
            std::copy(row, row + iw, h);
          } else if (tx == 1) {
            for (int64_t ox = 0; ox < ow; ++ox) h[ox] = wx[static_cast<size_t>(ox)] * row[xi[ox]];
          } else if (tx == 2) {
            for (int64_t ox = 0; ox < ow; ++ox) {
              h[ox] = wx[static_cast<size_t>(2 * ox)] * row[xi[2 * ox]] +
                      wx[static_cast<size_t>(2 * ox + 1)] * row[xi[2 * ox + 1]];
            }
          } else {
            for (int64_t ox = 0; ox < ow; ++ox) {
              float acc = 0.f;
              const size_t base = static_cast<size_t>(ox * tx);
              for (int64_t k = 0; k < tx; ++k) {
                acc += wx[base + static_cast<size_t>(k)] * row[xi[ox * tx + k]];
              }
              h[ox] = acc;
            }
          }
        }
      }
      // Vertical pass.
      for (int64_t oy = oy0; oy < oy1; ++oy) {
        float* out_row = out_plane + oy * ow;
        if (th.outside[static_cast<size_t>(oy)]) {
          std::fill(out_row, out_row + ow, extrap);
          continue;
        }
        auto cached = [&](int64_t k) { return cache + slot[yi[oy * ty + k] - lo] * ow; };
        if (ty == 1) {
          const float a = wy[static_cast<size_t>(oy)];
          const float* r0 = cached(0);
          for (int64_t ox = 0; ox < ow; ++ox) out_row[ox] = a * r0[ox];
        } else if (ty == 2) {
          const float a0 = wy[static_cast<size_t>(2 * oy)];
          const float a1 = wy[static_cast<size_t>(2 * oy + 1)];
          const float* r0 = cached(0);
          const float* r1 = cached(1);
          for (int64_t ox = 0; ox < ow; ++ox) out_row[ox] = a0 * r0[ox] + a1 * r1[ox];
        } else {
          std::fill(out_row, out_row + ow, 0.f);
          for (int64_t k = 0; k < ty; ++k) {
            const float a = wy[static_cast<size_t>(oy * ty + k)];
            const float* r = cached(k);
            for (int64_t ox = 0; ox < ow; ++ox) out_row[ox] += a * r[ox];
          }
        }
        if (tw.any_outside) {
          for (int64_t ox = 0; ox < ow; ++ox) {
            if (tw.outside[static_cast<size_t>(ox)]) out_row[ox] = extrap;
          }
        }
      }
    }
  });
}

// ---------------------------------------------------------------------------------------------
// General path: one pass per resized axis, innermost first. Passes accumulate in float for
// float / 16-bit inputs and in double otherwise (exact for 32-bit integers); the first pass
// reads the input directly and the last one writes the output.

template <typename Acc, typename TIn, typename TOut>
void AxisPass(KernelContext& ctx, const Params& p, const AxisTable& t, const TIn* src, TOut* dst,
              int64_t outer, int64_t inner) {
  const int64_t in_len = t.in, out_len = t.out, taps = t.taps;
  const Acc extrap = static_cast<Acc>(p.extrapolation_value);
  // Weights in Acc in a buffer of the calling thread, and each chunk's accumulator row in
  // scratch grown by it: no allocation once grown.
  thread_local std::vector<Acc> tls_w;
  tls_w.assign(t.weight.begin(), t.weight.end());
  const Acc* const w = tls_w.data();
  thread_local ChunkScratch tls_scratch;
  ChunkScratch& scratch = tls_scratch;
  scratch.Prepare(static_cast<size_t>(ctx.thread_pool().num_threads()),
                  static_cast<size_t>(inner) * sizeof(Acc));
  const int64_t min_rows = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, inner * taps));
  ctx.thread_pool().ParallelFor(outer * out_len, min_rows, [&](int64_t b, int64_t e) {
    Acc* const acc = reinterpret_cast<Acc*>(scratch.Claim());
    for (int64_t q = b; q < e; ++q) {
      const int64_t o = q / out_len, ox = q % out_len;
      TOut* out = dst + q * inner;
      if (t.outside[static_cast<size_t>(ox)]) {
        for (int64_t i = 0; i < inner; ++i) out[i] = StoreAs<TOut>(extrap);
        continue;
      }
      const TIn* base = src + o * in_len * inner;
      const Acc* wk = w + ox * taps;
      const int64_t* ik = t.index.data() + ox * taps;
      if (inner == 1) {
        Acc sum = 0;
        for (int64_t k = 0; k < taps; ++k) sum += wk[k] * LoadAs<Acc>(base[ik[k]]);
        out[0] = StoreAs<TOut>(sum);
        continue;
      }
      std::fill(acc, acc + inner, Acc(0));
      for (int64_t k = 0; k < taps; ++k) {
        const TIn* s = base + ik[k] * inner;
        const Acc wv = wk[k];
        for (int64_t i = 0; i < inner; ++i) acc[i] += wv * LoadAs<Acc>(s[i]);
      }
      for (int64_t i = 0; i < inner; ++i) out[i] = StoreAs<TOut>(acc[i]);
    }
  });
}

template <typename T>
Status ResizeGeneralTyped(KernelContext& ctx, const Params& p, const Tensor& x,
                          const std::vector<AxisTable>& tables,
                          const SmallVector<size_t, 8>& active, Tensor* y) {
  using Acc = std::conditional_t<std::is_same_v<ComputeType<T>, float>, float, double>;
  constexpr DataType kAccType = std::is_same_v<Acc, float> ? DataType::kFloat : DataType::kDouble;
  Shape shape = x.shape();
  Tensor cur;  // Intermediate result (Acc), undefined before the first pass.
  for (size_t n = 0; n < active.size(); ++n) {
    const size_t a = active[active.size() - 1 - n];
    const bool first = n == 0, last = n + 1 == active.size();
    const AxisTable& t = tables[a];
    int64_t outer = 1, inner = 1;
    for (size_t d = 0; d < a; ++d) outer *= shape[d];
    for (size_t d = a + 1; d < shape.size(); ++d) inner *= shape[d];
    Shape next_shape = shape;
    next_shape[a] = t.out;
    Tensor next;
    if (!last) {
      OE_ASSIGN_OR_RETURN(next, ctx.AllocateTemp(kAccType, next_shape));
    }
    if (first && last) {
      AxisPass<Acc>(ctx, p, t, x.data<T>(), y->data<T>(), outer, inner);
    } else if (first) {
      AxisPass<Acc>(ctx, p, t, x.data<T>(), next.data<Acc>(), outer, inner);
    } else if (last) {
      AxisPass<Acc>(ctx, p, t, cur.data<Acc>(), y->data<T>(), outer, inner);
    } else {
      AxisPass<Acc>(ctx, p, t, cur.data<Acc>(), next.data<Acc>(), outer, inner);
    }
    cur = std::move(next);
    shape = std::move(next_shape);
  }
  return Status::Ok();
}

Status ResizeGeneral(KernelContext& ctx, const Params& p, const Tensor& x,
                     const std::vector<AxisTable>& tables, const SmallVector<size_t, 8>& active,
                     Tensor* y) {
  return Dispatch<NumericTypes>(x.dtype(), [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    return ResizeGeneralTyped<T>(ctx, p, x, tables, active, y);
  });
}

}  // namespace

bool ParseMode(const std::string& s, Mode* out) {
  if (s == "nearest") {
    *out = Mode::kNearest;
  } else if (s == "linear") {
    *out = Mode::kLinear;
  } else if (s == "cubic") {
    *out = Mode::kCubic;
  } else {
    return false;
  }
  return true;
}

bool ParseCoordMode(const std::string& s, CoordMode* out) {
  if (s == "half_pixel") {
    *out = CoordMode::kHalfPixel;
  } else if (s == "half_pixel_symmetric") {
    *out = CoordMode::kHalfPixelSymmetric;
  } else if (s == "pytorch_half_pixel") {
    *out = CoordMode::kPytorchHalfPixel;
  } else if (s == "align_corners") {
    *out = CoordMode::kAlignCorners;
  } else if (s == "asymmetric") {
    *out = CoordMode::kAsymmetric;
  } else if (s == "tf_half_pixel_for_nn") {
    *out = CoordMode::kTfHalfPixelForNn;
  } else if (s == "tf_crop_and_resize") {
    *out = CoordMode::kTfCropAndResize;
  } else {
    return false;
  }
  return true;
}

bool ParseNearestMode(const std::string& s, NearestMode* out) {
  if (s == "round_prefer_floor") {
    *out = NearestMode::kRoundPreferFloor;
  } else if (s == "round_prefer_ceil") {
    *out = NearestMode::kRoundPreferCeil;
  } else if (s == "floor") {
    *out = NearestMode::kFloor;
  } else if (s == "ceil") {
    *out = NearestMode::kCeil;
  } else {
    return false;
  }
  return true;
}

bool ParseAspectPolicy(const std::string& s, AspectPolicy* out) {
  if (s == "stretch") {
    *out = AspectPolicy::kStretch;
  } else if (s == "not_larger") {
    *out = AspectPolicy::kNotLarger;
  } else if (s == "not_smaller") {
    *out = AspectPolicy::kNotSmaller;
  } else {
    return false;
  }
  return true;
}

StatusOr<AxisTable> BuildAxisTable(const Params& p, const AxisSpec& spec,
                                   const std::string& where) {
  AxisTable t;
  OE_RETURN_IF_ERROR(BuildAxisTable(p, spec, where, &t));
  return t;
}

Status BuildAxisTable(const Params& p, const AxisSpec& spec, const std::string& where,
                      AxisTable* table) {
  AxisTable& t = *table;  // Rebuilt in place: its vectors keep their capacity.
  t.in = spec.in;
  t.out = spec.out;
  t.taps = 1;
  t.index.clear();
  t.weight.clear();
  t.identity = false;
  t.any_outside = false;
  const size_t out = static_cast<size_t>(spec.out);
  t.outside.assign(out, 0);
  if (spec.out == 0) return Status::Ok();

  // Window size and coefficient generator.
  int64_t taps = 1;
  int64_t first_offset = 0;  // Offset of the first tap from i0 (see below).
  const double aa_scale = std::min(spec.scale, 1.0);
  if (p.mode == Mode::kLinear) {
    if (p.antialias) {
      first_offset = static_cast<int64_t>(std::floor(-1.0 / aa_scale)) + 1;
      taps = 2 - 2 * first_offset;
    } else {
      taps = 2;
    }
  } else if (p.mode == Mode::kCubic) {
    if (p.antialias) {
      first_offset = static_cast<int64_t>(std::floor(-2.0 / aa_scale)) + 1;
      taps = 2 - 2 * first_offset;
    } else {
      first_offset = -1;
      taps = 4;
    }
  }
  if (taps <= 0 || taps > kMaxTableEntries / spec.out) {
    return MakeError(StatusCode::kInvalidArgument, where, ": resize window of ", taps,
                     " taps over ", spec.out, " outputs is too large (scale ", spec.scale, ")");
  }
  t.taps = taps;
  t.index.resize(out * static_cast<size_t>(taps));
  t.weight.resize(out * static_cast<size_t>(taps));
  SmallVector<double, 16> coeffs(static_cast<size_t>(taps), 0.0);
  const int64_t last = spec.in - 1;

  for (int64_t x = 0; x < spec.out; ++x) {
    bool outside = false;
    double xo = SourceCoordinate(p, spec, x, &outside);
    if (!std::isfinite(xo)) {
      xo = 0.0;
      outside = p.coord == CoordMode::kTfCropAndResize;
    }
    // Keep the floor representable; positions this far out all clamp to an edge anyway.
    xo = std::clamp(xo, -1e15, 1e15);
    t.outside[static_cast<size_t>(x)] = outside ? 1 : 0;
    t.any_outside |= outside;
    const size_t base = static_cast<size_t>(x) * static_cast<size_t>(taps);
    const double fl = std::floor(xo);
    const bool is_int = fl == xo;

    if (p.mode == Mode::kNearest) {
      double pick;
      switch (p.nearest) {
        case NearestMode::kRoundPreferFloor:
          pick = is_int ? xo : (xo - fl <= 0.5 ? fl : fl + 1.0);
          break;
        case NearestMode::kRoundPreferCeil:
          pick = is_int ? xo : (xo - fl < 0.5 ? fl : fl + 1.0);
          break;
        case NearestMode::kFloor:
          pick = fl;
          break;
        case NearestMode::kCeil:
          pick = std::ceil(xo);
          break;
        case NearestMode::kSimple:
        default:
          pick = spec.scale < 1.0 ? std::ceil(xo) : fl;
          break;
      }
      t.index[base] = std::clamp(static_cast<int64_t>(pick), int64_t{0}, last);
      t.weight[base] = 1.0;
      continue;
    }

    // Interpolating modes (ONNX reference): i0 is the input index left of xo, with the ratio
    // xo - i0 in (0, 1] (an integer xo is the right point of its window).
    const int64_t i0 = static_cast<int64_t>(fl) - (is_int ? 1 : 0);
    const double ratio = xo - static_cast<double>(i0);
    double sum = 0.0;
    for (int64_t k = 0; k < taps; ++k) {
      double c;
      const double d = static_cast<double>(first_offset + k) - ratio;  // tap minus xo
      if (p.mode == Mode::kLinear) {
        c = p.antialias ? std::clamp(1.0 - std::fabs(d * aa_scale), 0.0, 1.0) : 1.0 - std::fabs(d);
      } else {
        c = CubicKernel(p.antialias ? d * aa_scale : d, p.cubic_a);
      }
      coeffs[static_cast<size_t>(k)] = c;
      sum += c;
    }
    if (p.antialias && sum != 0.0) {
      for (double& c : coeffs) c /= sum;
    }
    // The window is the `taps` nearest points of the edge-padded input (padding taps/2 + 1);
    // for far-out coordinates it stops at the padding's end as the reference does.
    const int64_t pad = (taps + 1) / 2;
    int64_t first = i0 + first_offset;
    first = std::max(first, -pad);
    first = std::min(first, last + pad - taps + 1);
    if (p.exclude_outside) {
      double kept = 0.0;
      for (int64_t k = 0; k < taps; ++k) {
        const int64_t pos = first + k;
        if (pos < 0 || pos > last) coeffs[static_cast<size_t>(k)] = 0.0;
        kept += coeffs[static_cast<size_t>(k)];
      }
      if (kept != 0.0) {
        for (double& c : coeffs) c /= kept;
      }
    }
    for (int64_t k = 0; k < taps; ++k) {
      t.index[base + static_cast<size_t>(k)] = std::clamp(first + k, int64_t{0}, last);
      t.weight[base + static_cast<size_t>(k)] = coeffs[static_cast<size_t>(k)];
    }
  }

  // Identity: every output reads its own input point with weight exactly 1.
  if (spec.in == spec.out && !t.any_outside) {
    bool id = true;
    for (int64_t x = 0; x < spec.out && id; ++x) {
      for (int64_t k = 0; k < taps; ++k) {
        const size_t i = static_cast<size_t>(x * taps + k);
        const double want = t.index[i] == x ? 1.0 : 0.0;
        // Several clamped taps may share index x; only one of them may carry the weight.
        if (t.weight[i] != want && t.weight[i] != 0.0) id = false;
      }
      double on = 0.0;
      for (int64_t k = 0; k < taps; ++k) {
        const size_t i = static_cast<size_t>(x * taps + k);
        if (t.index[i] == x) on += t.weight[i];
      }
      if (on != 1.0) id = false;
    }
    t.identity = id;
  }
  return Status::Ok();
}

StatusOr<std::vector<AxisSpec>> ComputeAxisSpecs(const Shape& in_shape, const SizeRequest& req,
                                                 const std::string& where) {
  std::vector<AxisSpec> specs;
  OE_RETURN_IF_ERROR(ComputeAxisSpecs(in_shape, req, where, &specs));
  return specs;
}

Status ComputeAxisSpecs(const Shape& in_shape, const SizeRequest& req, const std::string& where,
                        std::vector<AxisSpec>* specs_out) {
  const size_t rank = in_shape.size();
  Shape axes(req.axes.begin(), req.axes.end());
  if (axes.empty()) {
    for (size_t i = 0; i < rank; ++i) axes.push_back(static_cast<int64_t>(i));
  }
  const size_t n = axes.size();
  std::vector<AxisSpec>& specs = *specs_out;
  specs.assign(rank, AxisSpec());
  for (size_t i = 0; i < rank; ++i) {
    specs[i].in = specs[i].out = in_shape[i];
    specs[i].out_float = static_cast<double>(in_shape[i]);
  }
  if (!req.scales.empty()) {
    if (req.scales.size() != n) {
      return MakeError(StatusCode::kInvalidArgument, where, ": input 'scales' has ",
                       req.scales.size(), " values, expected ", n);
    }
    for (size_t j = 0; j < n; ++j) {
      AxisSpec& s = specs[static_cast<size_t>(axes[j])];
      const double scale = req.scales[j];
      if (!(scale > 0.0) || !std::isfinite(scale)) {
        return MakeError(StatusCode::kInvalidArgument, where, ": input 'scales' value ", scale,
                         " must be a finite number > 0");
      }
      // float32 product, as ONNX shape inference and ONNX Runtime compute the output length.
      const double prod = static_cast<double>(static_cast<float>(s.in) * static_cast<float>(scale));
      if (!(prod < 9.0e15)) {
        return MakeError(StatusCode::kInvalidArgument, where, ": input 'scales' value ", scale,
                         " makes the output too large");
      }
      s.scale = scale;
      s.out = static_cast<int64_t>(std::floor(prod));
      s.out_float = scale * static_cast<double>(s.in);
    }
  } else {
    if (req.sizes.size() != n) {
      return MakeError(StatusCode::kInvalidArgument, where, ": input 'sizes' has ",
                       req.sizes.size(), " values, expected ", n);
    }
    for (size_t j = 0; j < n; ++j) {
      const int64_t in = in_shape[static_cast<size_t>(axes[j])];
      if (req.sizes[j] < 0) {
        return MakeError(StatusCode::kInvalidArgument, where, ": input 'sizes' value ",
                         req.sizes[j], " is negative");
      }
      if (in == 0 && req.sizes[j] != 0) {
        return MakeError(StatusCode::kInvalidArgument, where, ": input 'sizes' asks for ",
                         req.sizes[j], " elements along an axis of length 0");
      }
    }
    if (req.policy == AspectPolicy::kStretch) {
      for (size_t j = 0; j < n; ++j) {
        AxisSpec& s = specs[static_cast<size_t>(axes[j])];
        s.out = req.sizes[j];
        s.scale = s.in == 0 ? 1.0 : static_cast<double>(s.out) / static_cast<double>(s.in);
        s.out_float = static_cast<double>(s.out);
      }
    } else {
      // One scale for all listed axes, the smallest (not_larger) or largest (not_smaller).
      double scale =
          req.policy == AspectPolicy::kNotLarger ? std::numeric_limits<double>::infinity() : 0.0;
      for (size_t j = 0; j < n; ++j) {
        const int64_t in = in_shape[static_cast<size_t>(axes[j])];
        if (in == 0) continue;
        const double r = static_cast<double>(req.sizes[j]) / static_cast<double>(in);
        scale = req.policy == AspectPolicy::kNotLarger ? std::min(scale, r) : std::max(scale, r);
      }
      if (!std::isfinite(scale)) scale = 1.0;  // Every listed axis is empty.
      if (!(scale > 0.0)) {
        return MakeError(StatusCode::kInvalidArgument, where,
                         ": input 'sizes' gives a zero scale under keep_aspect_ratio_policy");
      }
      for (size_t j = 0; j < n; ++j) {
        AxisSpec& s = specs[static_cast<size_t>(axes[j])];
        const double len = scale * static_cast<double>(s.in);
        if (!(len < 9.0e15)) {
          return MakeError(StatusCode::kInvalidArgument, where,
                           ": input 'sizes' makes the output too large");
        }
        s.scale = scale;
        s.out = static_cast<int64_t>(std::floor(len + 0.5));  // round half up
        s.out_float = len;
      }
    }
  }
  if (!req.roi.empty()) {
    if (req.roi.size() != 2 * n) {
      return MakeError(StatusCode::kInvalidArgument, where, ": input 'roi' has ", req.roi.size(),
                       " values, expected ", 2 * n);
    }
    for (size_t j = 0; j < n; ++j) {
      AxisSpec& s = specs[static_cast<size_t>(axes[j])];
      s.roi_start = req.roi[j];
      s.roi_end = req.roi[n + j];
    }
  }
  return Status::Ok();
}

Status Run(KernelContext& ctx, const Params& p, const Tensor& x,
           const std::vector<AxisSpec>& specs) {
  const size_t rank = x.rank();
  Shape out_shape(rank);
  for (size_t i = 0; i < rank; ++i) out_shape[i] = specs[i].out;
  OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, x.dtype(), out_shape, Fill::kNone));
  if (y->size() == 0) return Status::Ok();
  if (x.size() == 0) {
    return ctx.Error(StatusCode::kInvalidArgument, "cannot resize an empty input ",
                     ShapeToString(x.shape()), " to a non-empty output");
  }
  // Per-thread tables rebuilt in place (no allocation once grown); the workers read the
  // caller's through the reference passed down.
  thread_local std::vector<AxisTable> tls_tables;
  std::vector<AxisTable>& tables = tls_tables;
  if (tables.size() < rank) tables.resize(rank);
  for (size_t i = 0; i < rank; ++i) {
    OE_RETURN_IF_ERROR(BuildAxisTable(p, specs[i], ctx.Describe(), &tables[i]));
  }
  SmallVector<size_t, 8> active;
  for (size_t i = 0; i < rank; ++i) {
    if (!tables[i].identity) active.push_back(i);
  }
  if (active.empty()) {
    CopyElements(x.dtype(), x.raw_data(), y->raw_data(), x.size());
    return Status::Ok();
  }
  if (p.mode == Mode::kNearest) {
    return Dispatch<AllTypes>(x.dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      NearestGather<T>(ctx, p, x, tables, y);
      return Status::Ok();
    });
  }
  if (x.dtype() == DataType::kFloat && active[0] + 2 >= rank) {
    if (rank == 1) {
      AxisTable one;  // Identity of length 1 (Resize2DFloat fills its vectors).
      one.in = one.out = 1;
      one.identity = true;
      Resize2DFloat(ctx, p, x, one, tables[0], y);
    } else {
      Resize2DFloat(ctx, p, x, tables[rank - 2], tables[rank - 1], y);
    }
    return Status::Ok();
  }
  return ResizeGeneral(ctx, p, x, tables, active, y);
}

}  // namespace onnxedge::ops::resize
