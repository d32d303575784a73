// Copyright onnxedge authors.
#include "ops/common/tensor_util.h"

#include <algorithm>
#include <cstring>
#include <type_traits>

#if defined(__SSE2__)
#include <emmintrin.h>
#include <xmmintrin.h>
#endif

namespace onnxedge::ops {

namespace {

// Bytes of work below which a parallel chunk is not worth the hand-off to another thread.
constexpr int64_t kGrainBytes = 1 << 16;

// Shapes (inline storage) throughout, so copies allocate nothing per run.
struct Dims {
  Shape n, ss, ds;  // size, source stride, destination stride per dim
  size_t size() const { return n.size(); }
};

// Odometer over a set of dims, tracking source and destination offsets.
class Walker {
 public:
  Walker(const Shape& n, const Shape& ss, const Shape& ds)
      : n_(n), ss_(ss), ds_(ds), idx_(n.size(), 0) {}
  void Seek(int64_t r) {
    so_ = do_ = 0;
    for (size_t d = n_.size(); d-- > 0;) {
      idx_[d] = r % n_[d];
      r /= n_[d];
      so_ += idx_[d] * ss_[d];
      do_ += idx_[d] * ds_[d];
    }
  }
  void Next() {
    for (size_t d = n_.size(); d-- > 0;) {
      ++idx_[d];
      so_ += ss_[d];
      do_ += ds_[d];
      if (idx_[d] < n_[d]) return;
      so_ -= n_[d] * ss_[d];
      do_ -= n_[d] * ds_[d];
      idx_[d] = 0;
    }
  }
  int64_t src() const { return so_; }
  int64_t dst() const { return do_; }

 private:
  const Shape& n_;
  const Shape& ss_;
  const Shape& ds_;
  Shape idx_;
  int64_t so_ = 0, do_ = 0;
};

template <typename F>  // Not std::function: a lambda with many captures would allocate.
void RunParallel(ThreadPool* pool, int64_t n, int64_t min_chunk, F&& fn) {
  if (pool) {
    pool->ParallelFor(n, min_chunk, fn);
  } else if (n > 0) {
    fn(0, n);
  }
}

template <typename U>
inline void CopyRun(const U* s, U* d, int64_t n) {
  if constexpr (std::is_trivially_copyable_v<U>) {
    std::memcpy(d, s, static_cast<size_t>(n) * sizeof(U));
  } else {
    std::copy(s, s + n, d);
  }
}

// Edge of the square tiles a 2-D transpose is cut into: both the tile's source and
// destination rows stay in L1 even when the row strides are powers of two.
constexpr int64_t kTransposeTile = 32;

#if defined(__SSE2__)
// 4x4 transpose of 32-bit elements: source rows s + i * ss -> destination rows d + j * ds.
// Shuffles move bits only, so this serves every 4-byte element type (NaN payloads included).
inline void Transpose4x4(const uint32_t* s, int64_t ss, uint32_t* d, int64_t ds) {
  __m128 r0 = _mm_castsi128_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s)));
  __m128 r1 = _mm_castsi128_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + ss)));
  __m128 r2 = _mm_castsi128_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + 2 * ss)));
  __m128 r3 = _mm_castsi128_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s + 3 * ss)));
  _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(d), _mm_castps_si128(r0));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(d + ds), _mm_castps_si128(r1));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(d + 2 * ds), _mm_castps_si128(r2));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(d + 3 * ds), _mm_castps_si128(r3));
}
// 2x2 transpose of 64-bit elements.
inline void Transpose2x2(const uint64_t* s, int64_t ss, uint64_t* d, int64_t ds) {
  const __m128i r0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s));
  const __m128i r1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + ss));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(d), _mm_unpacklo_epi64(r0, r1));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(d + ds), _mm_unpackhi_epi64(r0, r1));
}
#endif

// d[a * ds + b] = s[a + b * ss] for a < na, b < nb.
template <typename U>
void TransposeDirect(const U* s, int64_t ss, U* d, int64_t ds, int64_t na, int64_t nb) {
  int64_t b = 0;
#if defined(__SSE2__)
  if constexpr (std::is_same_v<U, uint32_t> || std::is_same_v<U, uint64_t>) {
    constexpr int64_t kM = std::is_same_v<U, uint32_t> ? 4 : 2;
    for (; b + kM <= nb; b += kM) {
      int64_t a = 0;
      for (; a + kM <= na; a += kM) {
        if constexpr (kM == 4) {
          Transpose4x4(s + a + b * ss, ss, d + a * ds + b, ds);
        } else {
          Transpose2x2(s + a + b * ss, ss, d + a * ds + b, ds);
        }
      }
      for (; a < na; ++a) {
        for (int64_t j = b; j < b + kM; ++j) d[a * ds + j] = s[a + j * ss];
      }
    }
  }
#endif
  for (int64_t a = 0; a < na; ++a) {
    for (int64_t j = b; j < nb; ++j) d[a * ds + j] = s[a + j * ss];
  }
}

// One tile of a 2-D transpose (na, nb <= kTransposeTile). When the destination row stride is a
// multiple of 1 KiB, the tile's (16 or more) destination rows share L1 sets and evict each other
// while being written piecemeal; then the tile goes through a contiguous buffer so that every
// destination row is written in one piece (measured: 1024x1024 float 2x faster; other shapes are
// faster without the extra pass).
template <typename U>
void TransposeTile(const U* s, int64_t ss, U* d, int64_t ds, int64_t na, int64_t nb) {
  if constexpr (std::is_trivially_copyable_v<U>) {
    const int64_t elem = static_cast<int64_t>(sizeof(U));
    if ((ds * elem) % 1024 != 0 || na < 16 || nb * elem < 64) {
      TransposeDirect(s, ss, d, ds, na, nb);
      return;
    }
    alignas(64) U buf[kTransposeTile * kTransposeTile];
    TransposeDirect(s, ss, buf, nb, na, nb);
    for (int64_t a = 0; a < na; ++a) {
      std::memcpy(d + a * ds, buf + a * nb, static_cast<size_t>(nb) * sizeof(U));
    }
  } else {
    TransposeDirect(s, ss, d, ds, na, nb);
  }
}

template <typename U>
void StridedCopyT(const U* src, U* dst, const Dims& dims, ThreadPool* pool) {
  const size_t m = dims.size();
  if (m == 0) {
    dst[0] = src[0];
    return;
  }
  const size_t in = m - 1;  // innermost dim
  const int64_t n_in = dims.n[in], ss_in = dims.ss[in], ds_in = dims.ds[in];
  const int64_t elem = static_cast<int64_t>(sizeof(U));

  // The source-contiguous dim, when the innermost destination dim reads with a stride.
  size_t k = m;
  if (ds_in == 1 && ss_in != 1 && ss_in != 0) {
    for (size_t d = 0; d < in; ++d) {
      if (dims.ss[d] == 1) k = d;
    }
  }

  if (k == m) {
    // Rows over the innermost dim.
    const Shape on(dims.n.begin(), dims.n.end() - 1);
    const Shape oss(dims.ss.begin(), dims.ss.end() - 1);
    const Shape ods(dims.ds.begin(), dims.ds.end() - 1);
    int64_t rows = 1;
    for (int64_t v : on) rows *= v;
    if (rows == 1 && ss_in == 1 && ds_in == 1) {
      // One contiguous block: split the block itself.
      RunParallel(pool, n_in, std::max<int64_t>(1, kGrainBytes / elem),
                  [&](int64_t b, int64_t e) { CopyRun(src + b, dst + b, e - b); });
      return;
    }
    auto body = [&](int64_t begin, int64_t end) {
      Walker w(on, oss, ods);
      w.Seek(begin);
      for (int64_t r = begin; r < end; ++r, w.Next()) {
        const U* s = src + w.src();
        U* d = dst + w.dst();
        if (ss_in == 1 && ds_in == 1) {
          CopyRun(s, d, n_in);
        } else if (ss_in == 0 && ds_in == 1) {
          const U v = s[0];
          std::fill(d, d + n_in, v);
        } else {
          for (int64_t i = 0; i < n_in; ++i) d[i * ds_in] = s[i * ss_in];
        }
      }
    };
    RunParallel(pool, rows, std::max<int64_t>(1, kGrainBytes / (n_in * elem)), body);
    return;
  }

  // Blocked 2-D transpose of dims (k, in): source contiguous along k, destination along in.
  const int64_t n_k = dims.n[k], ds_k = dims.ds[k];
  Shape on, oss, ods;
  for (size_t d = 0; d < in; ++d) {
    if (d == k) continue;
    on.push_back(dims.n[d]);
    oss.push_back(dims.ss[d]);
    ods.push_back(dims.ds[d]);
  }
  int64_t rows = 1;
  for (int64_t v : on) rows *= v;
  const int64_t tiles_k = (n_k + kTransposeTile - 1) / kTransposeTile;
  auto body = [&](int64_t begin, int64_t end) {
    Walker w(on, oss, ods);
    int64_t cur_row = -1;
    for (int64_t u = begin; u < end; ++u) {
      const int64_t row = u / tiles_k;
      if (row != cur_row) {
        if (row == cur_row + 1 && cur_row >= 0) {
          w.Next();
        } else {
          w.Seek(row);
        }
        cur_row = row;
      }
      const int64_t a0 = (u % tiles_k) * kTransposeTile;
      const int64_t na = std::min(n_k - a0, kTransposeTile);
      const U* s = src + w.src() + a0;
      U* d = dst + w.dst() + a0 * ds_k;
      for (int64_t b0 = 0; b0 < n_in; b0 += kTransposeTile) {
        TransposeTile(s + b0 * ss_in, ss_in, d + b0, ds_k, na, std::min(n_in - b0, kTransposeTile));
      }
    }
  };
  const int64_t unit_bytes = std::min(n_k, kTransposeTile) * n_in * elem;
  RunParallel(pool, rows * tiles_k,
              std::max<int64_t>(1, kGrainBytes / std::max<int64_t>(1, unit_bytes)), body);
}

}  // namespace

namespace {

void StridedCopyImpl(DataType type, const void* src, const int64_t* src_strides, void* dst,
                     const int64_t* dst_strides, const Shape& shape, ThreadPool* pool) {
  // Drop size-1 dims, then merge adjacent dims that are contiguous in both source and destination.
  Dims dims;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 0) return;
    if (shape[i] == 1) continue;
    if (!dims.n.empty() && dims.ss.back() == src_strides[i] * shape[i] &&
        dims.ds.back() == dst_strides[i] * shape[i]) {
      dims.n.back() *= shape[i];
      dims.ss.back() = src_strides[i];
      dims.ds.back() = dst_strides[i];
      continue;
    }
    dims.n.push_back(shape[i]);
    dims.ss.push_back(src_strides[i]);
    dims.ds.push_back(dst_strides[i]);
  }
  (void)DispatchBySize(type, [&](auto tag) -> Status {
    using U = typename decltype(tag)::type;
    StridedCopyT<U>(static_cast<const U*>(src), static_cast<U*>(dst), dims, pool);
    return Status::Ok();
  });
}

}  // namespace

void StridedCopy(DataType type, const void* src, const Shape& src_strides, void* dst,
                 const Shape& dst_strides, const Shape& shape, ThreadPool* pool) {
  StridedCopyImpl(type, src, src_strides.data(), dst, dst_strides.data(), shape, pool);
}

void TransposeCopy(DataType type, const void* src, const Shape& src_shape,
                   const std::vector<int64_t>& perm, void* dst, ThreadPool* pool) {
  const Shape in_strides = InlineStrides(src_shape);
  Shape out_shape(perm.size());
  Shape ss(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) {
    out_shape[i] = src_shape[static_cast<size_t>(perm[i])];
    ss[i] = in_strides[static_cast<size_t>(perm[i])];
  }
  const Shape ds = InlineStrides(out_shape);
  StridedCopyImpl(type, src, ss.data(), dst, ds.data(), out_shape, pool);
}

void FillElements(DataType type, void* dst, const void* value, int64_t n) {
  if (n <= 0) return;
  (void)DispatchBySize(type, [&](auto tag) -> Status {
    using U = typename decltype(tag)::type;
    U v;
    if constexpr (std::is_trivially_copyable_v<U>) {
      std::memcpy(&v, value, sizeof(U));
    } else {
      v = *static_cast<const U*>(value);
    }
    U* d = static_cast<U*>(dst);
    std::fill(d, d + n, v);
    return Status::Ok();
  });
}

StatusOr<int64_t> ReadScalarInt(const Tensor& t, const std::string& what) {
  if (t.size() != 1) {
    return MakeError(StatusCode::kInvalidArgument, what,
                     " must have exactly one element, got shape ", ShapeToString(t.shape()));
  }
  int64_t out = 0;
  Status s = Dispatch<IntTypes>(t.dtype(), [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    out = static_cast<int64_t>(t.data<T>()[0]);
    return Status::Ok();
  });
  if (!s.ok()) {
    return MakeError(StatusCode::kInvalidArgument, what, " must be an integer tensor, got ",
                     DataTypeName(t.dtype()));
  }
  return out;
}

StatusOr<std::vector<int64_t>> NormalizeAxesForRank(const std::vector<int64_t>& axes, int64_t rank,
                                                    const std::string& where) {
  if (rank == 0 && !axes.empty()) {
    return MakeError(StatusCode::kInvalidArgument, where, ": axis ", axes[0],
                     " is out of range for rank 0");
  }
  return NormalizeAxes(axes, rank, where);
}

int64_t DimProduct(const Shape& shape, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end && i < shape.size(); ++i) p *= shape[i];
  return p;
}

}  // namespace onnxedge::ops
