// Copyright onnxedge authors.
// Einsum (opset 12): Einstein summation over any number of operands.
//
// The equation (spaces ignored) has explicit ("ij,jk->ik") or implicit ("ij,jk": output = the
// labels used once, sorted, after the ellipsis dims) output; "..." stands for broadcast dims,
// right-aligned across operands. A label repeated within an operand takes the diagonal ("ii->i").
// Dims of size 1 broadcast against the label's size elsewhere.
//
// Evaluation: each operand is first remapped (diagonals taken, labels needed nowhere else
// summed out); then operands are contracted left to right, each pair as a batched matrix
// product [batch, left, contracted] x [batch, contracted, right] (float32 through the packed
// GEMM), and the result is permuted into the output order. Intermediates are float for
// float/float16/bfloat16, double for double and 64-bit for integers (narrowed at the end with
// the wrap-around of the element type). Types: every numeric type. Limits: operands are
// contracted in the given order (no contraction-path optimization).
#include <algorithm>
#include <cstring>

#include "kernels/gemm.h"
#include "ops/common/op_util.h"

namespace onnxedge::ops {

namespace {

constexpr int kEllipsisBase = 52;  // label ids: a-z 0-25, A-Z 26-51, ellipsis dims from 52

struct Term {
  std::vector<int> labels;  // -1 marks the ellipsis
  bool has_ellipsis = false;
};

int LabelId(char c) {
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= 'A' && c <= 'Z') return 26 + (c - 'A');
  return -2;
}
// ASCII order for the implicit output (uppercase before lowercase, like numpy).
int LabelOrder(int id) { return id < 26 ? 'a' + id : 'A' + (id - 26); }

StatusOr<Term> ParseTerm(const std::string& s, const std::string& where) {
  Term t;
  for (size_t i = 0; i < s.size();) {
    if (s[i] == '.') {
      if (s.compare(i, 3, "...") != 0 || t.has_ellipsis) {
        return MakeError(StatusCode::kInvalidModel, where, ": attribute 'equation' has a bad '",
                         "...' in term '", s, "'");
      }
      t.has_ellipsis = true;
      t.labels.push_back(-1);
      i += 3;
      continue;
    }
    const int id = LabelId(s[i]);
    if (id < 0) {
      return MakeError(StatusCode::kInvalidModel, where,
                       ": attribute 'equation' has an invalid character '", std::string(1, s[i]),
                       "'");
    }
    t.labels.push_back(id);
    ++i;
  }
  return t;
}

// Contiguous intermediate: unique labels, their dims, row-major data.
template <typename A>
struct Operand {
  std::vector<int> labels;
  Shape dims;
  std::vector<A> data;
};

// out[out_labels] = sum over the other labels of in[in_labels] (repeated input labels walk the
// diagonal; size-1 input dims broadcast to `sizes`).
template <typename In, typename A>
void Remap(const In* in, const std::vector<int>& in_labels, const Shape& in_dims,
           const std::vector<int>& out_labels, const std::vector<int64_t>& sizes, A* out,
           ThreadPool& pool) {
  const size_t r = in_labels.size();
  std::vector<int64_t> in_strides(r, 1);
  for (size_t d = r; d-- > 1;) in_strides[d - 1] = in_strides[d] * in_dims[d];
  std::vector<int> uniq;
  std::vector<int64_t> ustride, usize;
  for (size_t d = 0; d < r; ++d) {
    auto it = std::find(uniq.begin(), uniq.end(), in_labels[d]);
    if (it == uniq.end()) {
      uniq.push_back(in_labels[d]);
      ustride.push_back(in_strides[d]);
      usize.push_back(in_dims[d]);
    } else {
      ustride[static_cast<size_t>(it - uniq.begin())] += in_strides[d];
    }
  }
  Shape odims, sdims;
  std::vector<int64_t> ostr, sstr;
  for (int l : out_labels) {
    const size_t u = static_cast<size_t>(std::find(uniq.begin(), uniq.end(), l) - uniq.begin());
    const int64_t size = sizes[static_cast<size_t>(l)];
    odims.push_back(size);
    ostr.push_back(u < uniq.size() && !(usize[u] == 1 && size != 1) ? ustride[u] : 0);
  }
  for (size_t u = 0; u < uniq.size(); ++u) {
    if (std::find(out_labels.begin(), out_labels.end(), uniq[u]) == out_labels.end()) {
      sdims.push_back(usize[u]);
      sstr.push_back(ustride[u]);
    }
  }
  const int64_t total = ShapeElementCount(odims);
  const int64_t sum_count = ShapeElementCount(sdims);
  if (total == 0) return;
  const size_t no = odims.size(), ns = sdims.size();
  pool.ParallelFor(total, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, sum_count)),
                   [&](int64_t o0, int64_t o1) {
                     std::vector<int64_t> oidx(no, 0), sidx(ns, 0);
                     int64_t base = 0;
                     {
                       int64_t rem = o0;
                       for (size_t d = no; d-- > 0;) {
                         oidx[d] = rem % odims[d];
                         rem /= odims[d];
                         base += oidx[d] * ostr[d];
                       }
                     }
                     for (int64_t o = o0; o < o1; ++o) {
                       A acc = A(0);
                       if (sum_count > 0) {
                         int64_t off = 0;
                         std::fill(sidx.begin(), sidx.end(), 0);
                         for (int64_t s = 0; s < sum_count; ++s) {
                           acc += static_cast<A>(ToCompute(in[base + off]));
                           for (size_t d = ns; d-- > 0;) {
                             if (++sidx[d] < sdims[d]) {
                               off += sstr[d];
                               break;
                             }
                             off -= (sdims[d] - 1) * sstr[d];
                             sidx[d] = 0;
                           }
                         }
                       }
                       out[o] = acc;
                       for (size_t d = no; d-- > 0;) {
                         if (++oidx[d] < odims[d]) {
                           base += ostr[d];
                           break;
                         }
                         base -= (odims[d] - 1) * ostr[d];
                         oidx[d] = 0;
                       }
                     }
                   });
}

// C[b] = A[b] (m x k) * B[b] (k x n) for every batch b.
template <typename A>
void BatchedGemm(const A* a, const A* b, A* c, int64_t batch, int64_t m, int64_t k, int64_t n,
                 ThreadPool& pool) {
  if constexpr (std::is_same_v<A, float>) {
    if (k == 0) {
      std::fill(c, c + batch * m * n, 0.f);
      return;
    }
    for (int64_t i = 0; i < batch; ++i) {
      kernels::Gemm(false, false, m, n, k, 1.f, a + i * m * k, k, b + i * k * n, n, 0.f,
                    c + i * m * n, n, &pool);
    }
  } else {
    pool.ParallelFor(batch * m, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, k * n)),
                     [&](int64_t r0, int64_t r1) {
                       for (int64_t r = r0; r < r1; ++r) {
                         const int64_t bi = r / m;
                         A* cr = c + r * n;
                         std::fill(cr, cr + n, A(0));
                         const A* ar = a + r * k;
                         const A* bm = b + bi * k * n;
                         for (int64_t kk = 0; kk < k; ++kk) {
                           const A av = ar[kk];
                           const A* br = bm + kk * n;
                           for (int64_t j = 0; j < n; ++j) cr[j] += av * br[j];
                         }
                       }
                     });
  }
}

template <typename T>
using AccOf = std::conditional_t<std::is_floating_point_v<ComputeType<T>>, ComputeType<T>,
                                 std::conditional_t<std::is_signed_v<T>, int64_t, uint64_t>>;

class EinsumKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<EinsumKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<EinsumKernel>();
    OE_ASSIGN_OR_RETURN(std::string eq, info.GetString("equation"));
    eq.erase(std::remove_if(eq.begin(), eq.end(), [](char c) { return c == ' '; }), eq.end());
    const size_t arrow = eq.find("->");
    const std::string lhs = eq.substr(0, arrow);
    size_t start = 0;
    while (true) {
      const size_t comma = lhs.find(',', start);
      OE_ASSIGN_OR_RETURN(Term t, ParseTerm(lhs.substr(start, comma - start), info.Describe()));
      k->inputs_.push_back(std::move(t));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    if (k->inputs_.size() != info.num_inputs()) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'equation' has ", k->inputs_.size(),
                        " operand terms but the node has ", info.num_inputs(), " inputs");
    }
    k->explicit_ = arrow != std::string::npos;
    if (k->explicit_) {
      OE_ASSIGN_OR_RETURN(k->output_, ParseTerm(eq.substr(arrow + 2), info.Describe()));
      std::vector<int> seen;
      for (int l : k->output_.labels) {
        if (l >= 0 && std::find(seen.begin(), seen.end(), l) != seen.end()) {
          return info.Error(StatusCode::kInvalidModel,
                            "attribute 'equation' repeats a label in the output");
        }
        seen.push_back(l);
        bool found = l < 0;
        for (const Term& t : k->inputs_) {
          found |= std::find(t.labels.begin(), t.labels.end(), l) != t.labels.end();
        }
        if (!found) {
          return info.Error(StatusCode::kInvalidModel,
                            "attribute 'equation' has an output "
                            "label (or '...') that no input uses");
        }
      }
    }
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    const size_t n_in = inputs_.size();
    std::vector<const Tensor*> xs(n_in);
    for (size_t i = 0; i < n_in; ++i) {
      OE_ASSIGN_OR_RETURN(xs[i], ctx.RequiredInput(i));
      if (xs[i]->dtype() != xs[0]->dtype()) {
        return ctx.Error(StatusCode::kInvalidArgument,
                         "inputs have different types: ", DataTypeName(xs[0]->dtype()), " and ",
                         DataTypeName(xs[i]->dtype()));
      }
    }
    // Expand ellipses into right-aligned broadcast labels; collect label sizes.
    int64_t ell_rank = 0;
    for (size_t i = 0; i < n_in; ++i) {
      const int64_t named =
          static_cast<int64_t>(inputs_[i].labels.size()) - (inputs_[i].has_ellipsis ? 1 : 0);
      const int64_t rank = static_cast<int64_t>(xs[i]->rank());
      if (inputs_[i].has_ellipsis ? rank < named : rank != named) {
        return ctx.Error(StatusCode::kInvalidArgument, "input ", i, " has rank ", rank,
                         " but its equation term has ", named, " labels",
                         inputs_[i].has_ellipsis ? " plus '...'" : "");
      }
      if (inputs_[i].has_ellipsis) ell_rank = std::max(ell_rank, rank - named);
    }
    std::vector<std::vector<int>> labels(n_in);
    std::vector<int64_t> sizes(static_cast<size_t>(kEllipsisBase + ell_rank), -1);
    for (size_t i = 0; i < n_in; ++i) {
      const int64_t rank = static_cast<int64_t>(xs[i]->rank());
      const int64_t e = rank - (static_cast<int64_t>(inputs_[i].labels.size()) -
                                (inputs_[i].has_ellipsis ? 1 : 0));
      for (int l : inputs_[i].labels) {
        if (l >= 0) {
          labels[i].push_back(l);
          continue;
        }
        for (int64_t j = 0; j < e; ++j) {
          labels[i].push_back(kEllipsisBase + static_cast<int>(ell_rank - e + j));
        }
      }
      for (size_t d = 0; d < labels[i].size(); ++d) {
        int64_t& s = sizes[static_cast<size_t>(labels[i][d])];
        const int64_t v = xs[i]->dim(d);
        if (s == -1 || s == 1) {
          s = v;
        } else if (v != s && v != 1) {
          return ctx.Error(StatusCode::kInvalidArgument, "input ", i, " dim ", d, " has size ", v,
                           " but the same label has size ", s, " elsewhere");
        }
      }
    }
    // Output labels.
    std::vector<int> out;
    if (explicit_) {
      for (int l : output_.labels) {
        if (l >= 0) {
          out.push_back(l);
        } else {
          for (int64_t j = 0; j < ell_rank; ++j) out.push_back(kEllipsisBase + static_cast<int>(j));
        }
      }
    } else {
      for (int64_t j = 0; j < ell_rank; ++j) out.push_back(kEllipsisBase + static_cast<int>(j));
      std::vector<int> once;
      for (int l = 0; l < kEllipsisBase; ++l) {
        int count = 0;
        for (const auto& ls : labels)
          count += static_cast<int>(std::count(ls.begin(), ls.end(), l));
        if (count == 1) once.push_back(l);
      }
      std::sort(once.begin(), once.end(),
                [](int a, int b) { return LabelOrder(a) < LabelOrder(b); });
      out.insert(out.end(), once.begin(), once.end());
    }
    Shape out_shape;
    for (int l : out) out_shape.push_back(sizes[static_cast<size_t>(l)]);
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, xs[0]->dtype(), out_shape));
    return Dispatch<NumericTypes>(xs[0]->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      return Compute<T>(ctx, xs, labels, sizes, out, y);
    });
  }

 private:
  template <typename T>
  Status Compute(KernelContext& ctx, const std::vector<const Tensor*>& xs,
                 const std::vector<std::vector<int>>& labels, const std::vector<int64_t>& sizes,
                 const std::vector<int>& out, Tensor* y) const {
    using A = AccOf<T>;
    ThreadPool& pool = ctx.thread_pool();
    const size_t n_in = xs.size();
    auto in_later = [&](int l, size_t after) {
      if (std::find(out.begin(), out.end(), l) != out.end()) return true;
      for (size_t j = after; j < n_in; ++j) {
        if (std::find(labels[j].begin(), labels[j].end(), l) != labels[j].end()) return true;
      }
      return false;
    };
    auto dims_of = [&](const std::vector<int>& ls) {
      Shape d;
      for (int l : ls) d.push_back(sizes[static_cast<size_t>(l)]);
      return d;
    };
    // Operand i with diagonals taken and labels used nowhere else summed out.
    auto load = [&](size_t i) {
      Operand<A> op;
      for (int l : labels[i]) {
        if (std::find(op.labels.begin(), op.labels.end(), l) != op.labels.end()) continue;
        bool needed = std::find(out.begin(), out.end(), l) != out.end();
        for (size_t j = 0; j < n_in && !needed; ++j) {
          needed = j != i && std::find(labels[j].begin(), labels[j].end(), l) != labels[j].end();
        }
        if (needed) op.labels.push_back(l);
      }
      // Size-1 dims are materialized at the label's broadcast size (sizes[]).
      op.dims = dims_of(op.labels);
      op.data.resize(static_cast<size_t>(ShapeElementCount(op.dims)));
      Remap(xs[i]->data<T>(), labels[i], xs[i]->shape(), op.labels, sizes, op.data.data(), pool);
      return op;
    };
    Operand<A> acc = load(0);
    for (size_t i = 1; i < n_in; ++i) {
      Operand<A> rhs = load(i);
      std::vector<int> batch, left, contr, right;
      for (int l : acc.labels) {
        const bool in_rhs = std::find(rhs.labels.begin(), rhs.labels.end(), l) != rhs.labels.end();
        if (!in_rhs) {
          left.push_back(l);
        } else if (in_later(l, i + 1)) {
          batch.push_back(l);
        } else {
          contr.push_back(l);
        }
      }
      for (int l : rhs.labels) {
        if (std::find(acc.labels.begin(), acc.labels.end(), l) == acc.labels.end()) {
          right.push_back(l);
        }
      }
      auto prod = [&](const std::vector<int>& ls) { return ShapeElementCount(dims_of(ls)); };
      const int64_t nb = prod(batch), m = prod(left), k = prod(contr), n = prod(right);
      std::vector<int> la = batch, lb = batch, lc = batch;
      la.insert(la.end(), left.begin(), left.end());
      la.insert(la.end(), contr.begin(), contr.end());
      lb.insert(lb.end(), contr.begin(), contr.end());
      lb.insert(lb.end(), right.begin(), right.end());
      lc.insert(lc.end(), left.begin(), left.end());
      lc.insert(lc.end(), right.begin(), right.end());
      std::vector<A> a2(static_cast<size_t>(nb * m * k)), b2(static_cast<size_t>(nb * k * n));
      Remap(acc.data.data(), acc.labels, acc.dims, la, sizes, a2.data(), pool);
      Remap(rhs.data.data(), rhs.labels, rhs.dims, lb, sizes, b2.data(), pool);
      Operand<A> res;
      res.labels = lc;
      res.dims = dims_of(lc);
      res.data.resize(static_cast<size_t>(nb * m * n));
      if (!res.data.empty()) BatchedGemm(a2.data(), b2.data(), res.data.data(), nb, m, k, n, pool);
      acc = std::move(res);
    }
    std::vector<A> final_data(static_cast<size_t>(y->size()));
    Remap(acc.data.data(), acc.labels, acc.dims, out, sizes, final_data.data(), pool);
    T* py = y->data<T>();
    for (size_t i = 0; i < final_data.size(); ++i) {
      if constexpr (std::is_integral_v<T>) {
        py[i] = static_cast<T>(final_data[i]);  // wraps like T arithmetic (C++20 conversion)
      } else {
        py[i] = FromCompute<T>(static_cast<ComputeType<T>>(final_data[i]));
      }
    }
    return Status::Ok();
  }

  std::vector<Term> inputs_;
  Term output_;
  bool explicit_ = false;
};

}  // namespace

void RegisterOp_einsum(OpRegistry& registry) {
  registry.Register({"", "Einsum", 12, 21, MakeFactory<EinsumKernel>()});
}

}  // namespace onnxedge::ops
