// Copyright onnxedge authors.
#include "ops/common/quant_util.h"

#include <algorithm>
#include <atomic>

#include "runtime/chunk_scratch.h"

namespace onnxedge::ops {

namespace {

bool IsQuant8(DataType t) { return t == DataType::kUint8 || t == DataType::kInt8; }

std::string ShapeStr(const Tensor& t) { return ShapeToString(t.shape()); }

}  // namespace

// ---------------------------------------------------------------------------------------------
// Parameter layout

StatusOr<QuantParamLayout> MakeQuantParamLayout(const Shape& x_shape, const Tensor& scale,
                                                const Tensor* zero_point, int64_t axis,
                                                int64_t block_size, const std::string& where,
                                                const char* scale_name, const char* zp_name) {
  if (zero_point && zero_point->shape() != scale.shape()) {
    return MakeError(StatusCode::kInvalidArgument, where, ": input '", zp_name, "' (shape ",
                     ShapeStr(*zero_point), ") must have the shape of '", scale_name, "' (",
                     ShapeStr(scale), ")");
  }
  QuantParamLayout l;
  const int64_t rank = static_cast<int64_t>(x_shape.size());
  const int64_t total = ShapeElementCount(x_shape);
  if (scale.size() == 1 && scale.rank() <= 1) {
    l.outer = total;
    return l;
  }
  if (scale.size() == 0 && total == 0) {
    l.outer = 0;
    return l;
  }
  l.per_tensor = false;
  if (rank == 0) {
    return MakeError(StatusCode::kInvalidArgument, where, ": input '", scale_name, "' (shape ",
                     ShapeStr(scale), ") must be a scalar for a scalar input");
  }
  OE_ASSIGN_OR_RETURN(int64_t ax, NormalizeAxis(axis, rank, where + " attribute 'axis'"));
  l.axis_len = x_shape[static_cast<size_t>(ax)];
  l.outer = 1;
  l.inner = 1;
  for (int64_t d = 0; d < ax; ++d) l.outer *= x_shape[static_cast<size_t>(d)];
  for (int64_t d = ax + 1; d < rank; ++d) l.inner *= x_shape[static_cast<size_t>(d)];
  if (block_size <= 0) {
    if (scale.rank() != 1 || scale.size() != l.axis_len) {
      return MakeError(StatusCode::kInvalidArgument, where, ": input '", scale_name, "' (shape ",
                       ShapeStr(scale), ") must be a scalar or a 1-D tensor of ", l.axis_len,
                       " elements (dim ", ax, " of input shape ", ShapeToString(x_shape), ")");
    }
    l.block = 1;
    l.axis_params = l.axis_len;
    return l;
  }
  // Blocked: same rank as x, dim `axis` = ceil(D / block_size), the other dims equal.
  bool ok = static_cast<int64_t>(scale.rank()) == rank;
  for (int64_t d = 0; ok && d < rank; ++d) {
    const int64_t want =
        d == ax ? (l.axis_len + block_size - 1) / block_size : x_shape[static_cast<size_t>(d)];
    ok = scale.dim(static_cast<size_t>(d)) == want;
  }
  if (!ok) {
    return MakeError(StatusCode::kInvalidArgument, where, ": input '", scale_name, "' (shape ",
                     ShapeStr(scale), ") does not fit blocked quantization of shape ",
                     ShapeToString(x_shape), " with block_size ", block_size, " along axis ", ax);
  }
  l.block = block_size;
  l.axis_params = scale.dim(static_cast<size_t>(ax));
  l.outer_mul = 1;
  l.inner_params = l.inner;
  l.inner_mul = 1;
  return l;
}

void ReadInt32sInto(const Tensor& t, std::vector<int32_t>* out) {
  out->assign(static_cast<size_t>(t.size()), 0);
  int32_t* o = out->data();
  (void)Dispatch<IntTypes>(t.dtype(), [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    const T* p = t.data<T>();
    for (int64_t i = 0; i < t.size(); ++i) o[i] = static_cast<int32_t>(p[i]);
    return Status::Ok();
  });
}

std::vector<int32_t> ReadInt32s(const Tensor& t) {
  std::vector<int32_t> out;
  ReadInt32sInto(t, &out);
  return out;
}

int32_t ReadInt32At(const Tensor& t, int64_t i) {
  int32_t v = 0;
  (void)Dispatch<IntTypes>(t.dtype(), [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    v = static_cast<int32_t>(t.data<T>()[i]);
    return Status::Ok();
  });
  return v;
}

float ReadFloatAt(const Tensor& t, int64_t i) {
  float v = 0.f;
  (void)Dispatch<NumericTypes>(t.dtype(), [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    v = static_cast<float>(ToCompute(t.data<T>()[i]));
    return Status::Ok();
  });
  return v;
}

void ReadFloatsInto(const Tensor& t, std::vector<float>* out) {
  out->assign(static_cast<size_t>(t.size()), 0.f);
  float* o = out->data();
  (void)Dispatch<NumericTypes>(t.dtype(), [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    const T* p = t.data<T>();
    for (int64_t i = 0; i < t.size(); ++i) o[i] = static_cast<float>(ToCompute(p[i]));
    return Status::Ok();
  });
}

std::vector<float> ReadFloats(const Tensor& t) {
  std::vector<float> out(static_cast<size_t>(t.size()));
  (void)Dispatch<NumericTypes>(t.dtype(), [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    const T* p = t.data<T>();
    for (int64_t i = 0; i < t.size(); ++i) {
      out[static_cast<size_t>(i)] = static_cast<float>(ToCompute(p[i]));
    }
    return Status::Ok();
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Convolution

StatusOr<ConvAttrs> ReadConvAttrs(const KernelInfo& info) {
  ConvAttrs a;
  OE_ASSIGN_OR_RETURN(a.auto_pad, info.GetString("auto_pad", "NOTSET"));
  if (a.auto_pad != "NOTSET" && a.auto_pad != "SAME_UPPER" && a.auto_pad != "SAME_LOWER" &&
      a.auto_pad != "VALID") {
    return info.Error(StatusCode::kInvalidModel, "attribute 'auto_pad' has unknown value '",
                      a.auto_pad, "'");
  }
  OE_ASSIGN_OR_RETURN(a.group, info.GetInt("group", 1));
  if (a.group < 1) {
    return info.Error(StatusCode::kInvalidModel, "attribute 'group' must be >= 1, got ", a.group);
  }
  OE_ASSIGN_OR_RETURN(a.dilations, info.GetInts("dilations", {}));
  OE_ASSIGN_OR_RETURN(a.kernel_shape, info.GetInts("kernel_shape", {}));
  OE_ASSIGN_OR_RETURN(a.pads, info.GetInts("pads", {}));
  OE_ASSIGN_OR_RETURN(a.strides, info.GetInts("strides", {}));
  for (int64_t v : a.dilations) {
    if (v < 1) return info.Error(StatusCode::kInvalidModel, "attribute 'dilations' must be >= 1");
  }
  for (int64_t v : a.strides) {
    if (v < 1) return info.Error(StatusCode::kInvalidModel, "attribute 'strides' must be >= 1");
  }
  for (int64_t v : a.kernel_shape) {
    if (v < 1) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'kernel_shape' must be >= 1");
    }
  }
  for (int64_t v : a.pads) {
    if (v < 0) return info.Error(StatusCode::kInvalidModel, "attribute 'pads' must be >= 0");
  }
  if (a.pads.size() % 2 != 0) {
    return info.Error(StatusCode::kInvalidModel, "attribute 'pads' must have an even length");
  }
  return a;
}

StatusOr<ConvGeometry> MakeConvGeometry(const ConvAttrs& attrs, const Shape& x, const Shape& w,
                                        const std::string& where) {
  if (x.size() < 3) {
    return MakeError(StatusCode::kInvalidArgument, where, ": input 'x' must have rank >= 3, got ",
                     ShapeToString(x));
  }
  if (w.size() != x.size()) {
    return MakeError(StatusCode::kInvalidArgument, where, ": input 'w' (shape ", ShapeToString(w),
                     ") must have the rank of input 'x' (shape ", ShapeToString(x), ")");
  }
  const size_t k = x.size() - 2;
  ConvGeometry g;
  g.n = x[0];
  g.c = x[1];
  g.m = w[0];
  g.group = attrs.group;
  if (g.c != w[1] * g.group || g.m % g.group != 0) {
    return MakeError(StatusCode::kInvalidArgument, where, ": input 'x' (shape ", ShapeToString(x),
                     ") and 'w' (shape ", ShapeToString(w), ") do not fit group ", g.group);
  }
  g.kernel.assign(w.begin() + 2, w.end());
  if (!attrs.kernel_shape.empty() && attrs.kernel_shape != g.kernel) {
    return MakeError(StatusCode::kInvalidArgument, where, ": attribute 'kernel_shape' ",
                     ShapeToString(attrs.kernel_shape), " does not match input 'w' (shape ",
                     ShapeToString(w), ")");
  }
  auto check_len = [&](const std::vector<int64_t>& v, size_t want, const char* name) -> Status {
    if (!v.empty() && v.size() != want) {
      return MakeError(StatusCode::kInvalidArgument, where, ": attribute '", name, "' has ",
                       v.size(), " values; a ", k, "-D convolution needs ", want);
    }
    return Status::Ok();
  };
  OE_RETURN_IF_ERROR(check_len(attrs.strides, k, "strides"));
  OE_RETURN_IF_ERROR(check_len(attrs.dilations, k, "dilations"));
  OE_RETURN_IF_ERROR(check_len(attrs.pads, 2 * k, "pads"));
  if (attrs.strides.empty()) {
    g.strides.assign(k, 1);
  } else {
    g.strides = attrs.strides;
  }
  if (attrs.dilations.empty()) {
    g.dilations.assign(k, 1);
  } else {
    g.dilations = attrs.dilations;
  }
  g.in_spatial.assign(x.begin() + 2, x.end());
  g.pad_begin.assign(k, 0);
  g.out_shape = {g.n, g.m};
  for (size_t d = 0; d < k; ++d) {
    const int64_t in = g.in_spatial[d], s = g.strides[d];
    const int64_t ext = g.dilations[d] * (g.kernel[d] - 1) + 1;
    int64_t out = 0;
    if (attrs.auto_pad == "SAME_UPPER" || attrs.auto_pad == "SAME_LOWER") {
      out = (in + s - 1) / s;
      const int64_t total = std::max<int64_t>(0, (out - 1) * s + ext - in);
      g.pad_begin[d] = attrs.auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
    } else if (attrs.auto_pad == "VALID") {
      out = in >= ext ? (in - ext) / s + 1 : 0;
    } else {
      const int64_t pb = attrs.pads.empty() ? 0 : attrs.pads[d];
      const int64_t pe = attrs.pads.empty() ? 0 : attrs.pads[d + k];
      g.pad_begin[d] = pb;
      const int64_t span = in + pb + pe;
      out = span >= ext ? (span - ext) / s + 1 : 0;
    }
    if (out == 0 && in > 0) {
      return MakeError(StatusCode::kInvalidArgument, where, ": input 'x' (shape ", ShapeToString(x),
                       ") is smaller than the dilated kernel along dim ", d + 2);
    }
    g.out_spatial.push_back(out);
    g.out_shape.push_back(out);
  }
  g.kernel_size = ShapeElementCount(g.kernel);
  g.in_size = ShapeElementCount(g.in_spatial);
  g.out_size = ShapeElementCount(g.out_spatial);
  return g;
}

StatusOr<IntWeights> PackIntWeights(const Tensor& w, const Tensor* w_zp, const std::string& where,
                                    const char* zp_name) {
  if (!IsQuant8(w.dtype())) {
    return MakeError(StatusCode::kInvalidArgument, where, ": input 'w' must be uint8 or int8, got ",
                     DataTypeName(w.dtype()));
  }
  IntWeights p;
  p.m = w.rank() > 0 ? w.dim(0) : 1;
  p.k = p.m > 0 ? w.size() / p.m : 0;
  std::vector<int32_t> zp(1, 0);
  if (w_zp) {
    if (w_zp->dtype() != w.dtype()) {
      return MakeError(StatusCode::kInvalidArgument, where, ": input '", zp_name, "' (",
                       DataTypeName(w_zp->dtype()), ") must have the type of 'w' (",
                       DataTypeName(w.dtype()), ")");
    }
    if (w_zp->size() != 1 && !(w_zp->rank() == 1 && w_zp->size() == p.m)) {
      return MakeError(StatusCode::kInvalidArgument, where, ": input '", zp_name, "' (shape ",
                       ShapeStr(*w_zp), ") must be a scalar or hold one value per output channel (",
                       p.m, ")");
    }
    zp = ReadInt32s(*w_zp);
  }
  p.kp = (p.k + 1) / 2;
  p.pairs.assign(static_cast<size_t>(p.m * p.kp), 0);
  auto fill = [&](auto* src) {
    for (int64_t m = 0; m < p.m; ++m) {
      const int32_t z = zp[zp.size() == 1 ? 0 : static_cast<size_t>(m)];
      for (int64_t i = 0; i < p.k; i += 2) {
        const int16_t lo = static_cast<int16_t>(src[m * p.k + i] - z);
        const int16_t hi = i + 1 < p.k ? static_cast<int16_t>(src[m * p.k + i + 1] - z) : 0;
        p.pairs[static_cast<size_t>(m * p.kp + i / 2)] = PackPair(lo, hi);
      }
    }
  };
  if (w.dtype() == DataType::kUint8) {
    fill(w.data<uint8_t>());
  } else {
    fill(w.data<int8_t>());
  }
  return p;
}

namespace {

template <typename XT>
void ConvInt32Impl(const XT* x, int32_t x_zp, const IntWeights& w, const ConvGeometry& g,
                   int32_t* acc, ThreadPool& pool) {
  const int64_t cg = g.c / g.group, mg = g.m / g.group;
  const int64_t kg = cg * g.kernel_size;  // == w.k
  const int64_t kp = w.kp;
  const int64_t S = g.out_size;
  const size_t k = g.kernel.size();
  constexpr int64_t kTile = 128;
  const int64_t tiles = (S + kTile - 1) / kTile;
  const int64_t tasks = g.n * g.group * tiles;
  // Each chunk's column tile lives in scratch grown by the calling thread (no allocation once
  // grown); coordinates are Shapes (inline).
  thread_local ChunkScratch tls_scratch;
  ChunkScratch& scratch = tls_scratch;
  scratch.Prepare(static_cast<size_t>(pool.num_threads()),
                  static_cast<size_t>(kp * kTile * 2) * sizeof(int16_t));
  pool.ParallelFor(tasks, 1, [&](int64_t t0, int64_t t1) {
    // Column tile in pair layout: element (r, s) at col[((r / 2) * sc + s) * 2 + r % 2].
    int16_t* const col = reinterpret_cast<int16_t*>(scratch.Claim());
    Shape o0(k), o(k), kpos(k);
    const size_t last = k - 1;
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t n = t / (g.group * tiles);
      const int64_t gi = (t / tiles) % g.group;
      const int64_t s0 = (t % tiles) * kTile;
      const int64_t sc = std::min(kTile, S - s0);
      {  // Output coordinates of the tile's first column.
        int64_t rem = s0;
        for (size_t d = k; d-- > 0;) {
          o0[d] = rem % g.out_spatial[d];
          rem /= g.out_spatial[d];
        }
      }
      // Row r = (channel, kernel position): x - x_zp, or 0 in the padding. Columns are walked
      // in runs along the innermost output dim, where the input position advances by the stride.
      for (int64_t r = 0; r < kg; ++r) {
        const int64_t c = r / g.kernel_size;
        int64_t rem = r % g.kernel_size;
        for (size_t d = k; d-- > 0;) {
          kpos[d] = rem % g.kernel[d];
          rem /= g.kernel[d];
        }
        const XT* xc = x + ((n * g.c) + gi * cg + c) * g.in_size;
        int16_t* out = col + (r / 2) * sc * 2 + (r & 1);
        o = o0;
        for (int64_t s = 0; s < sc;) {
          const int64_t len = std::min(sc - s, g.out_spatial[last] - o[last]);
          int64_t base = 0;
          bool inside = true;
          for (size_t d = 0; d < last; ++d) {
            const int64_t p = o[d] * g.strides[d] - g.pad_begin[d] + kpos[d] * g.dilations[d];
            inside = inside && p >= 0 && p < g.in_spatial[d];
            base = base * g.in_spatial[d] + p;
          }
          if (!inside) {
            for (int64_t j = 0; j < len; ++j) out[(s + j) * 2] = 0;
          } else {
            const XT* row = xc + base * g.in_spatial[last];
            const int64_t st = g.strides[last], w = g.in_spatial[last];
            int64_t p = o[last] * st - g.pad_begin[last] + kpos[last] * g.dilations[last];
            for (int64_t j = 0; j < len; ++j, p += st) {
              out[(s + j) * 2] = (p >= 0 && p < w)
                                     ? static_cast<int16_t>(static_cast<int32_t>(row[p]) - x_zp)
                                     : int16_t{0};
            }
          }
          s += len;
          o[last] += len;
          for (size_t d = last; d > 0 && o[d] == g.out_spatial[d]; --d) {
            o[d] = 0;
            ++o[d - 1];
          }
        }
      }
      if (kg % 2 == 1) {  // the pair partner of the last row
        int16_t* out = col + (kg / 2) * sc * 2 + 1;
        for (int64_t s = 0; s < sc; ++s) out[s * 2] = 0;
      }
      IntGemmPairs(w.pairs.data() + gi * mg * kp, mg, kp, col, sc, sc,
                   acc + (n * g.m + gi * mg) * S + s0, S);
    }
  });
}

}  // namespace

void ConvInt32(const Tensor& x, int32_t x_zp, const IntWeights& w, const ConvGeometry& g,
               int32_t* acc, ThreadPool& pool) {
  if (g.n * g.m * g.out_size == 0) return;
  if (x.dtype() == DataType::kUint8) {
    ConvInt32Impl(x.data<uint8_t>(), x_zp, w, g, acc, pool);
  } else {
    ConvInt32Impl(x.data<int8_t>(), x_zp, w, g, acc, pool);
  }
}

// ---------------------------------------------------------------------------------------------
// Matrix multiplication

StatusOr<IntMatMulShapes> MakeIntMatMulShapes(const Shape& sa, const Shape& sb,
                                              const std::string& where) {
  if (sa.empty() || sb.empty()) {
    return MakeError(StatusCode::kInvalidArgument, where, ": matmul inputs must have rank >= 1");
  }
  Shape a = sa, b = sb;
  const bool a_vec = a.size() == 1, b_vec = b.size() == 1;
  if (a_vec) a.insert(a.begin(), 1);
  if (b_vec) b.push_back(1);
  IntMatMulShapes r;
  r.m = a[a.size() - 2];
  r.k = a[a.size() - 1];
  r.n = b[b.size() - 1];
  if (b[b.size() - 2] != r.k) {
    return MakeError(StatusCode::kInvalidArgument, where, ": shapes ", ShapeToString(sa), " and ",
                     ShapeToString(sb), " have mismatched inner dims");
  }
  Shape ba(a.begin(), a.end() - 2), bb(b.begin(), b.end() - 2);
  OE_ASSIGN_OR_RETURN(Shape batch, BroadcastShapes({&ba, &bb}, where));
  r.batch = ShapeElementCount(batch);
  r.a_batches = ShapeElementCount(ba);
  r.b_batches = ShapeElementCount(bb);
  const size_t rank = batch.size();
  auto strides_for = [&](const Shape& s) {
    std::vector<int64_t> st(rank, 0);
    int64_t acc = 1;
    for (size_t i = s.size(); i-- > 0;) {
      st[rank - s.size() + i] = s[i] == 1 ? 0 : acc;
      acc *= s[i];
    }
    return st;
  };
  const auto sta = strides_for(ba), stb = strides_for(bb);
  r.a_index.resize(static_cast<size_t>(r.batch));
  r.b_index.resize(static_cast<size_t>(r.batch));
  for (int64_t i = 0; i < r.batch; ++i) {
    int64_t rem = i, oa = 0, ob = 0;
    for (size_t d = rank; d-- > 0;) {
      const int64_t idx = rem % batch[d];
      rem /= batch[d];
      oa += idx * sta[d];
      ob += idx * stb[d];
    }
    r.a_index[static_cast<size_t>(i)] = oa;
    r.b_index[static_cast<size_t>(i)] = ob;
  }
  r.out = batch;
  if (!a_vec) r.out.push_back(r.m);
  if (!b_vec) r.out.push_back(r.n);
  return r;
}

StatusOr<MatMulParamIndex> MakeMatMulParamIndex(const Tensor& t, const Shape& operand,
                                                const IntMatMulShapes& s, bool is_a,
                                                const std::string& where, const char* name) {
  MatMulParamIndex idx;
  const int64_t lines = is_a ? s.m : s.n;
  if (t.size() == 1) return idx;
  if (t.rank() == 1 && t.size() == lines) {
    idx.per_line = true;
    return idx;
  }
  // One value per matrix and line: the operand's shape with K replaced by 1.
  Shape want = operand;
  if (want.size() >= 2) want[is_a ? want.size() - 1 : want.size() - 2] = 1;
  if (operand.size() >= 2 && t.shape() == want) {
    idx.per_line = true;
    idx.per_matrix = lines;
    return idx;
  }
  return MakeError(StatusCode::kInvalidArgument, where, ": input '", name, "' (shape ", ShapeStr(t),
                   ") must be a scalar, a 1-D tensor of ", lines, " elements, or of shape ",
                   ShapeToString(want));
}

StatusOr<ZeroPoints> ReadMatMulZeroPoints(const Tensor* zp, const Shape& operand,
                                          const IntMatMulShapes& s, bool is_a,
                                          const std::string& where, const char* name) {
  ZeroPoints z;
  if (!zp) return z;
  if (!IsQuant8(zp->dtype())) {
    return MakeError(StatusCode::kInvalidArgument, where, ": input '", name,
                     "' must be uint8 or int8, got ", DataTypeName(zp->dtype()));
  }
  OE_ASSIGN_OR_RETURN(z.index, MakeMatMulParamIndex(*zp, operand, s, is_a, where, name));
  z.values = ReadInt32s(*zp);
  return z;
}

namespace {

template <typename AT, typename BT>
void MatMulInt32Impl(const AT* a, const ZeroPoints& a_zp, const BT* b, const ZeroPoints& b_zp,
                     const IntMatMulShapes& s, int32_t* acc, ThreadPool& pool) {
  const int64_t M = s.m, N = s.n, K = s.k, KP = (K + 1) / 2;
  // B minus its zero points in pair layout, once per distinct matrix of B:
  // element (k, j) of matrix bm at bp[((bm * KP + k / 2) * N + j) * 2 + k % 2].
  std::vector<int16_t> bp(static_cast<size_t>(s.b_batches * KP * N * 2), 0);
  pool.ParallelFor(s.b_batches * K, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, N)),
                   [&](int64_t r0, int64_t r1) {
                     for (int64_t r = r0; r < r1; ++r) {
                       const int64_t mat = r / K, kk = r % K;
                       const BT* src = b + r * N;
                       int16_t* dst = bp.data() + ((mat * KP + kk / 2) * N) * 2 + (kk & 1);
                       for (int64_t j = 0; j < N; ++j) {
                         dst[j * 2] =
                             static_cast<int16_t>(static_cast<int32_t>(src[j]) - b_zp.At(mat, j));
                       }
                     }
                   });
  constexpr int64_t kRows = 16, kCols = 256;
  const int64_t row_blocks = (M + kRows - 1) / kRows;
  const int64_t col_tiles = (N + kCols - 1) / kCols;
  const int64_t tasks = s.batch * row_blocks * col_tiles;
  const int64_t work = std::max<int64_t>(1, kRows * K * std::min(N, kCols));
  pool.ParallelFor(tasks, std::max<int64_t>(1, 65536 / work), [&](int64_t t0, int64_t t1) {
    std::vector<int32_t> ap(static_cast<size_t>(kRows * KP));
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t bi = t / (row_blocks * col_tiles);
      const int64_t i0 = ((t / col_tiles) % row_blocks) * kRows;
      const int64_t j0 = (t % col_tiles) * kCols;
      const int64_t rows = std::min(kRows, M - i0), nc = std::min(kCols, N - j0);
      const int64_t am = s.a_index[static_cast<size_t>(bi)];
      const int64_t bm = s.b_index[static_cast<size_t>(bi)];
      for (int64_t i = 0; i < rows; ++i) {
        const AT* arow = a + (am * M + i0 + i) * K;
        const int32_t az = a_zp.At(am, i0 + i);
        for (int64_t kk = 0; kk < K; kk += 2) {
          const int16_t lo = static_cast<int16_t>(static_cast<int32_t>(arow[kk]) - az);
          const int16_t hi =
              kk + 1 < K ? static_cast<int16_t>(static_cast<int32_t>(arow[kk + 1]) - az) : 0;
          ap[static_cast<size_t>(i * KP + kk / 2)] = PackPair(lo, hi);
        }
      }
      IntGemmPairs(ap.data(), rows, KP, bp.data() + (bm * KP * N + j0) * 2, N, nc,
                   acc + (bi * M + i0) * N + j0, N);
    }
  });
}

}  // namespace

void MatMulInt32(const Tensor& a, const ZeroPoints& a_zp, const Tensor& b, const ZeroPoints& b_zp,
                 const IntMatMulShapes& s, int32_t* acc, ThreadPool& pool) {
  if (s.batch * s.m * s.n == 0) return;
  const bool au = a.dtype() == DataType::kUint8, bu = b.dtype() == DataType::kUint8;
  if (au && bu) {
    MatMulInt32Impl(a.data<uint8_t>(), a_zp, b.data<uint8_t>(), b_zp, s, acc, pool);
  } else if (au) {
    MatMulInt32Impl(a.data<uint8_t>(), a_zp, b.data<int8_t>(), b_zp, s, acc, pool);
  } else if (bu) {
    MatMulInt32Impl(a.data<int8_t>(), a_zp, b.data<uint8_t>(), b_zp, s, acc, pool);
  } else {
    MatMulInt32Impl(a.data<int8_t>(), a_zp, b.data<int8_t>(), b_zp, s, acc, pool);
  }
}

// ---------------------------------------------------------------------------------------------
// Pair GEMM

namespace {

std::atomic<bool> g_int_gemm_force_generic{false};

}  // namespace

void IntGemmPairsGeneric(const int32_t* wp, int64_t m, int64_t kp, const int16_t* xp, int64_t ldx,
                         int64_t s, int32_t* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) {
    int32_t* cr = c + i * ldc;
    std::fill(cr, cr + s, 0);
    for (int64_t p = 0; p < kp; ++p) {
      const uint32_t word = static_cast<uint32_t>(wp[i * kp + p]);
      const int32_t w0 = static_cast<int16_t>(word & 0xffffu);
      const int32_t w1 = static_cast<int16_t>(word >> 16);
      if (w0 == 0 && w1 == 0) continue;
      const int16_t* xr = xp + p * ldx * 2;
      for (int64_t j = 0; j < s; ++j) {
        // Each product and their sum are exact (< 2^17); the running sum wraps.
        const int32_t v = w0 * xr[j * 2] + w1 * xr[j * 2 + 1];
        cr[j] = static_cast<int32_t>(static_cast<uint32_t>(cr[j]) + static_cast<uint32_t>(v));
      }
    }
  }
}

void IntGemmPairs(const int32_t* wp, int64_t m, int64_t kp, const int16_t* xp, int64_t ldx,
                  int64_t s, int32_t* c, int64_t ldc) {
#if defined(__x86_64__)
  static const bool has_avx2 = __builtin_cpu_supports("avx2");
  if (has_avx2 && !g_int_gemm_force_generic.load(std::memory_order_relaxed)) {
    IntGemmPairsAvx2(wp, m, kp, xp, ldx, s, c, ldc);
    return;
  }
#endif
  IntGemmPairsGeneric(wp, m, kp, xp, ldx, s, c, ldc);
}

void IntGemmForceGeneric(bool force) {
  g_int_gemm_force_generic.store(force, std::memory_order_relaxed);
}

}  // namespace onnxedge::ops
