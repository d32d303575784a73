// Copyright onnxedge authors.
// MatMul: numpy matmul semantics (1-D operands are promoted and the added dim removed, batch
// dims broadcast). float32 uses the packed GEMM, with a constant 2-D B packed once at session
// creation; other types use the reference loop.
#include "kernels/gemm.h"
#include "runtime/prepack_cache.h"
#include "ops/common/op_util.h"

namespace onnxedge::ops {

namespace {

struct MatMulShapes {
  Shape out;
  int64_t m = 0, n = 0, k = 0;
  int64_t batch = 1;
  SmallVector<int64_t, 16> a_offsets, b_offsets;  // per batch, in matrices
};

StatusOr<MatMulShapes> ComputeShapes(const Shape& sa, const Shape& sb, const std::string& where) {
  if (sa.empty() || sb.empty()) {
    return MakeError(StatusCode::kInvalidArgument, where, ": MatMul inputs must have rank >= 1");
  }
  Shape a = sa, b = sb;
  const bool a_vec = a.size() == 1, b_vec = b.size() == 1;
  if (a_vec) a.insert(a.begin(), 1);
  if (b_vec) b.push_back(1);
  MatMulShapes r;
  r.m = a[a.size() - 2];
  r.k = a[a.size() - 1];
  r.n = b[b.size() - 1];
  if (b[b.size() - 2] != r.k) {
    return MakeError(StatusCode::kInvalidArgument, where, ": MatMul shapes ", ShapeToString(sa),
                     " and ", ShapeToString(sb), " have mismatched inner dims");
  }
  Shape ba(a.begin(), a.end() - 2), bb(b.begin(), b.end() - 2);
  OE_ASSIGN_OR_RETURN(Shape batch, BroadcastShapes({&ba, &bb}, where));
  r.batch = ShapeElementCount(batch);
  // Offsets of each broadcast batch entry into A and B.
  const size_t rank = batch.size();
  auto strides_for = [&](const Shape& s) {
    Shape st(rank, 0);
    int64_t acc = 1;
    for (int64_t d = static_cast<int64_t>(s.size()) - 1; d >= 0; --d) {
      const size_t od = rank - s.size() + static_cast<size_t>(d);
      st[od] = s[static_cast<size_t>(d)] == 1 ? 0 : acc;
      acc *= s[static_cast<size_t>(d)];
    }
    return st;
  };
  auto sta = strides_for(ba), stb = strides_for(bb);
  r.a_offsets.resize(static_cast<size_t>(r.batch));
  r.b_offsets.resize(static_cast<size_t>(r.batch));
  for (int64_t i = 0; i < r.batch; ++i) {
    int64_t rem = i, oa = 0, ob = 0;
    for (int64_t d = static_cast<int64_t>(rank) - 1; d >= 0; --d) {
      const int64_t idx = rem % batch[static_cast<size_t>(d)];
      rem /= batch[static_cast<size_t>(d)];
      oa += idx * sta[static_cast<size_t>(d)];
      ob += idx * stb[static_cast<size_t>(d)];
    }
    r.a_offsets[static_cast<size_t>(i)] = oa;
    r.b_offsets[static_cast<size_t>(i)] = ob;
  }
  r.out = batch;
  if (!a_vec) r.out.push_back(r.m);
  if (!b_vec) r.out.push_back(r.n);
  return r;
}

class MatMulKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<MatMulKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<MatMulKernel>();
    const Tensor* b = info.ConstantInput(1);
    if (b && b->dtype() == DataType::kFloat && b->rank() == 2) {
      // Shared with other nodes of the session that read the same weight (and with Gemm
      // nodes packing it the same way).
      k->packed_b_ = SharedPrepack<kernels::PackedB>(
          "gemm_b", b->raw_data(), {b->dim(0), b->dim(1), b->dim(1), 0}, [&] {
            auto packed = std::make_shared<kernels::PackedB>();
            kernels::PackB(b->data<float>(), b->dim(1), false, b->dim(0), b->dim(1), packed.get(),
                           nullptr);
            return packed;
          });
    }
    return k;
  }

  /// A packed constant B is what Run multiplies by (its K and N come from B's own shape, so the
  /// packed path is always taken): Run reads only B's type and shape.
  uint32_t PrepackedInputs() const override { return packed_b_ ? 2u : 0u; }
  void CollectPrepacked(std::unordered_map<const void*, uint64_t>* out) const override {
    if (packed_b_) (*out)[packed_b_.get()] = packed_b_->bytes();
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* a, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(const Tensor* b, ctx.RequiredInput(1));
    if (a->dtype() != b->dtype()) {
      return ctx.Error(StatusCode::kInvalidArgument, "input types differ: ",
                       DataTypeName(a->dtype()), " and ", DataTypeName(b->dtype()));
    }
    OE_ASSIGN_OR_RETURN(MatMulShapes s, ComputeShapes(a->shape(), b->shape(), ctx.Describe()));
    // Every element is written below, except with K = 0, where the product is zero.
    OE_ASSIGN_OR_RETURN(Tensor * out, ctx.AllocateOutput(0, a->dtype(), s.out,
                                                         s.k == 0 ? Fill::kZero : Fill::kNone));
    if (out->size() == 0) return Status::Ok();
    const int64_t mk = s.m * s.k, kn = s.k * s.n, mn = s.m * s.n;
    if (a->dtype() == DataType::kFloat) {
      const float* pa = a->data<float>();
      const float* pb = b->data<float>();
      float* po = out->data<float>();
      if (s.k == 0) return Status::Ok();  // Output already zero.
      // Fold batches of A into M when B is shared (common for weights).
      bool b_shared = true;
      for (int64_t off : s.b_offsets) b_shared &= off == 0;
      bool a_contiguous = true;
      for (int64_t i = 0; i < s.batch; ++i) a_contiguous &= s.a_offsets[static_cast<size_t>(i)] == i;
      if (b_shared && a_contiguous) {
        kernels::PackedA& pa_packed = kernels::ThreadPackedA();
        kernels::PackA(pa, s.k, false, s.batch * s.m, s.k, &pa_packed, &ctx.thread_pool());
        if (packed_b_ && packed_b_->K == s.k && packed_b_->N == s.n) {
          kernels::GemmPacked(pa_packed, *packed_b_, 1.f, 0.f, po, s.n, &ctx.thread_pool());
        } else {
          kernels::PackedB& pb_packed = kernels::ThreadPackedB();
          kernels::PackB(pb, s.n, false, s.k, s.n, &pb_packed, &ctx.thread_pool());
          kernels::GemmPacked(pa_packed, pb_packed, 1.f, 0.f, po, s.n, &ctx.thread_pool());
        }
        return Status::Ok();
      }
      for (int64_t i = 0; i < s.batch; ++i) {
        kernels::Gemm(false, false, s.m, s.n, s.k, 1.f,
                      pa + s.a_offsets[static_cast<size_t>(i)] * mk, s.k,
                      pb + s.b_offsets[static_cast<size_t>(i)] * kn, s.n, 0.f, po + i * mn, s.n,
                      &ctx.thread_pool());
      }
      return Status::Ok();
    }
    return Dispatch<NumericTypes>(a->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      using C = ComputeType<T>;
      const T* pa = a->data<T>();
      const T* pb = b->data<T>();
      T* po = out->data<T>();
      ctx.thread_pool().ParallelFor(s.batch * s.m, 1, [&](int64_t r0, int64_t r1) {
        std::vector<C> acc(static_cast<size_t>(s.n));
        for (int64_t r = r0; r < r1; ++r) {
          const int64_t bi = r / s.m, i = r % s.m;
          const T* ar = pa + s.a_offsets[static_cast<size_t>(bi)] * mk + i * s.k;
          const T* bm = pb + s.b_offsets[static_cast<size_t>(bi)] * kn;
          std::fill(acc.begin(), acc.end(), C(0));
          for (int64_t kk = 0; kk < s.k; ++kk) {
            const C av = ToCompute(ar[kk]);
            const T* br = bm + kk * s.n;
            for (int64_t j = 0; j < s.n; ++j) acc[static_cast<size_t>(j)] += av * ToCompute(br[j]);
          }
          T* orow = po + bi * mn + i * s.n;
          for (int64_t j = 0; j < s.n; ++j) orow[j] = FromCompute<T>(acc[static_cast<size_t>(j)]);
        }
      });
      return Status::Ok();
    });
  }

 private:
  std::shared_ptr<kernels::PackedB> packed_b_;
};

}  // namespace

void RegisterOp_mat_mul(OpRegistry& registry) {
  registry.Register({"", "MatMul", 1, 21, MakeFactory<MatMulKernel>()});
}

}  // namespace onnxedge::ops
