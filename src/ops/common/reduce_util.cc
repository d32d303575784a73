// Copyright onnxedge authors.
#include "ops/common/reduce_util.h"

#include <algorithm>
#include <memory>
#include <mutex>

namespace onnxedge::ops {

ReducePlan MakeReducePlan(const Shape& shape, const std::vector<int64_t>& axes, bool keepdims) {
  ReducePlan p;
  const size_t rank = shape.size();
  std::vector<bool> reduced(rank, false);
  for (int64_t a : axes) {
    if (a >= 0 && static_cast<size_t>(a) < rank) reduced[static_cast<size_t>(a)] = true;
  }
  for (size_t d = 0; d < rank; ++d) {
    if (reduced[d]) {
      p.reduce_count *= shape[d];
      if (keepdims) p.out_shape.push_back(1);
    } else {
      p.out_shape.push_back(shape[d]);
    }
  }
  p.out_size = ShapeElementCount(p.out_shape);
  // Merge adjacent dims of the same kind; dims of size 1 do not affect the iteration.
  struct Group {
    int64_t size;
    bool reduced;
  };
  std::vector<Group> groups;
  for (size_t d = 0; d < rank; ++d) {
    if (shape[d] == 1) continue;
    if (!groups.empty() && groups.back().reduced == reduced[d]) {
      groups.back().size *= shape[d];
    } else {
      groups.push_back({shape[d], reduced[d]});
    }
  }
  if (groups.empty()) {
    p.inner_kept = true;
    p.inner = 1;
    p.num_blocks = p.out_size;
    return p;
  }
  std::vector<int64_t> strides(groups.size(), 1);
  for (size_t g = groups.size() - 1; g > 0; --g) strides[g - 1] = strides[g] * groups[g].size;
  p.inner_kept = !groups.back().reduced;
  p.inner = groups.back().size;
  for (size_t g = 0; g + 1 < groups.size(); ++g) {
    if (groups[g].reduced) {
      p.reduced_dims.push_back(groups[g].size);
      p.reduced_strides.push_back(strides[g]);
    } else {
      p.kept_dims.push_back(groups[g].size);
      p.kept_strides.push_back(strides[g]);
    }
  }
  p.num_blocks = p.inner_kept ? (p.inner == 0 ? 0 : p.out_size / p.inner) : p.out_size;
  return p;
}

namespace {

using NumericAndBoolTypes = TypeList<float, double, Float16, BFloat16, int8_t, int16_t, int32_t,
                                     int64_t, uint8_t, uint16_t, uint32_t, uint64_t, bool>;

const char* KindName(ReduceKind kind) {
  switch (kind) {
    case ReduceKind::kSum:
      return "ReduceSum";
    case ReduceKind::kMean:
      return "ReduceMean";
    case ReduceKind::kMax:
      return "ReduceMax";
    case ReduceKind::kMin:
      return "ReduceMin";
    case ReduceKind::kProd:
      return "ReduceProd";
    case ReduceKind::kL1:
      return "ReduceL1";
    case ReduceKind::kL2:
      return "ReduceL2";
    case ReduceKind::kLogSum:
      return "ReduceLogSum";
    case ReduceKind::kLogSumExp:
      return "ReduceLogSumExp";
    case ReduceKind::kSumSquare:
      return "ReduceSumSquare";
  }
  return "Reduce";
}

class ReduceKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<ReduceKernel>> Create(const KernelInfo& info, ReduceKind kind,
                                                        int axes_input_since) {
    auto k = std::make_unique<ReduceKernel>();
    k->kind_ = kind;
    OE_ASSIGN_OR_RETURN(int64_t keepdims, info.GetInt("keepdims", 1));
    if (keepdims != 0 && keepdims != 1) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'keepdims' must be 0 or 1, got ",
                        keepdims);
    }
    k->keepdims_ = keepdims == 1;
    k->axes_from_input_ = info.since_version() >= axes_input_since;
    if (k->axes_from_input_) {
      if (info.HasAttribute("axes")) {
        return info.Error(StatusCode::kInvalidModel,
                          "attribute 'axes' is not part of this opset's ", KindName(kind),
                          " (the axes are input 1)");
      }
      OE_ASSIGN_OR_RETURN(int64_t noop, info.GetInt("noop_with_empty_axes", 0));
      if (noop != 0 && noop != 1) {
        return info.Error(StatusCode::kInvalidModel,
                          "attribute 'noop_with_empty_axes' must be 0 or 1, got ", noop);
      }
      k->noop_with_empty_axes_ = noop == 1;
    } else {
      OE_ASSIGN_OR_RETURN(k->axes_, info.GetInts("axes", {}));
    }
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    const Tensor* axes_in = axes_from_input_ ? ctx.Input(1) : nullptr;
    if (axes_in && axes_in->rank() > 1) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'axes' must be 1-D, got shape ",
                       ShapeToString(axes_in->shape()));
    }
    if (axes_from_input_ && noop_with_empty_axes_ && (!axes_in || axes_in->size() == 0)) {
      ctx.SetOutput(0, Value(*x));
      return Status::Ok();
    }
    OE_ASSIGN_OR_RETURN(std::shared_ptr<const ReducePlan> plan_ptr, Plan(ctx, *x, axes_in));
    const ReducePlan& plan = *plan_ptr;
    const bool bool_ok = kind_ == ReduceKind::kMax || kind_ == ReduceKind::kMin;
    if (x->dtype() == DataType::kBool && !bool_ok) {
      return ctx.Error(StatusCode::kNotImplemented, KindName(kind_),
                       " does not support element type bool");
    }
    return Dispatch<NumericAndBoolTypes>(x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, x->dtype(), plan.out_shape));
      const T* px = x->data<T>();
      T* py = y->data<T>();
      ThreadPool& pool = ctx.thread_pool();
      if constexpr (std::is_same_v<T, bool>) {
        if (kind_ == ReduceKind::kMax) {
          RunReduction<MaxReducer>(plan, px, py, pool);
        } else {
          RunReduction<MinReducer>(plan, px, py, pool);
        }
      } else {
        switch (kind_) {
          case ReduceKind::kSum:
            RunReduction<SumReducer>(plan, px, py, pool);
            break;
          case ReduceKind::kMean:
            RunReduction<MeanReducer>(plan, px, py, pool);
            break;
          case ReduceKind::kMax:
            RunReduction<MaxReducer>(plan, px, py, pool);
            break;
          case ReduceKind::kMin:
            RunReduction<MinReducer>(plan, px, py, pool);
            break;
          case ReduceKind::kProd:
            RunReduction<ProdReducer>(plan, px, py, pool);
            break;
          case ReduceKind::kL1:
            RunReduction<L1Reducer>(plan, px, py, pool);
            break;
          case ReduceKind::kL2:
            RunReduction<L2Reducer>(plan, px, py, pool);
            break;
          case ReduceKind::kLogSum:
            RunReduction<LogSumReducer>(plan, px, py, pool);
            break;
          case ReduceKind::kLogSumExp:
            RunReduction<LogSumExpReducer>(plan, px, py, pool);
            break;
          case ReduceKind::kSumSquare:
            RunReduction<SumSquareReducer>(plan, px, py, pool);
            break;
        }
      }
      return Status::Ok();
    });
  }

 private:
  ReduceKind kind_ = ReduceKind::kSum;
  bool keepdims_ = true;
  bool axes_from_input_ = false;
  bool noop_with_empty_axes_ = false;
  std::vector<int64_t> axes_;

  // The plan of the last input shape (and axes input), reused while they repeat, so a
  // steady-state run allocates nothing. Runs of one session may overlap: the mutex guards it.
  struct PlanCache {
    std::mutex mu;
    Shape shape;
    std::vector<int64_t> axes;  // the axes input's values (axes_from_input_)
    std::shared_ptr<const ReducePlan> plan;
  };
  mutable PlanCache cache_;

  // Whether `axes_in` (int64 or int32, 1-D) holds exactly `cached`.
  static bool SameAxes(const Tensor* axes_in, const std::vector<int64_t>& cached) {
    const int64_t n = axes_in ? axes_in->size() : 0;
    if (n != static_cast<int64_t>(cached.size())) return false;
    for (int64_t i = 0; i < n; ++i) {
      int64_t v;
      if (axes_in->dtype() == DataType::kInt64) {
        v = axes_in->data<int64_t>()[i];
      } else if (axes_in->dtype() == DataType::kInt32) {
        v = axes_in->data<int32_t>()[i];
      } else {
        return false;
      }
      if (v != cached[static_cast<size_t>(i)]) return false;
    }
    return true;
  }

  StatusOr<std::shared_ptr<const ReducePlan>> Plan(KernelContext& ctx, const Tensor& x,
                                                   const Tensor* axes_in) const {
    {
      std::lock_guard<std::mutex> lock(cache_.mu);
      if (cache_.plan && cache_.shape == x.shape() &&
          (!axes_from_input_ || SameAxes(axes_in, cache_.axes))) {
        return cache_.plan;
      }
    }
    std::vector<int64_t> axes = axes_;
    if (axes_in) {
      OE_ASSIGN_OR_RETURN(axes, ReadInt64s(*axes_in, ctx.Describe() + " input 'axes'"));
    }
    const int64_t rank = static_cast<int64_t>(x.rank());
    std::vector<int64_t> norm;
    if (axes.empty()) {
      for (int64_t d = 0; d < rank; ++d) norm.push_back(d);
    } else {
      OE_ASSIGN_OR_RETURN(norm, NormalizeAxes(axes, rank, ctx.Describe() + " 'axes'"));
    }
    auto plan = std::make_shared<const ReducePlan>(MakeReducePlan(x.shape(), norm, keepdims_));
    std::lock_guard<std::mutex> lock(cache_.mu);
    cache_.shape = x.shape();
    cache_.axes = axes_from_input_ ? axes : std::vector<int64_t>{};
    cache_.plan = plan;
    return std::shared_ptr<const ReducePlan>(plan);
  }
};

// ---------------------------------------------------------------------------------------------
// ArgMax / ArgMin

template <typename C>
inline bool IsNan(C v) {
  if constexpr (std::is_floating_point_v<C>) {
    return std::isnan(v);
  } else {
    return false;
  }
}

// True when `v` replaces `best`. NaN counts as the extreme value (numpy semantics): the first
// NaN wins, or the last one with select_last_index.
template <bool kMax, bool kLast, typename C>
inline bool Better(C v, C best) {
  if constexpr (std::is_floating_point_v<C>) {
    if (IsNan(best)) return kLast && IsNan(v);
    if (IsNan(v)) return true;
  }
  if constexpr (kMax) {
    return kLast ? v >= best : v > best;
  } else {
    return kLast ? v <= best : v < best;
  }
}

template <bool kMax, bool kLast, typename T>
void ArgReduce(const T* x, int64_t* y, int64_t outer, int64_t n, int64_t inner, ThreadPool& pool) {
  using C = ComputeType<T>;
  const int64_t min_outer = std::max<int64_t>(1, 32768 / std::max<int64_t>(1, n * inner));
  pool.ParallelFor(outer, min_outer, [&](int64_t o0, int64_t o1) {
    std::vector<C> best(inner > 1 ? static_cast<size_t>(inner) : 0);
    for (int64_t o = o0; o < o1; ++o) {
      const T* base = x + o * n * inner;
      int64_t* out = y + o * inner;
      if (inner == 1) {
        C b = ToCompute(base[0]);
        int64_t bi = 0;
        for (int64_t i = 1; i < n; ++i) {
          const C v = ToCompute(base[i]);
          if (Better<kMax, kLast>(v, b)) {
            b = v;
            bi = i;
          }
        }
        out[0] = bi;
        continue;
      }
      for (int64_t j = 0; j < inner; ++j) {
        best[static_cast<size_t>(j)] = ToCompute(base[j]);
        out[j] = 0;
      }
      for (int64_t i = 1; i < n; ++i) {
        const T* row = base + i * inner;
        for (int64_t j = 0; j < inner; ++j) {
          const C v = ToCompute(row[j]);
          if (Better<kMax, kLast>(v, best[static_cast<size_t>(j)])) {
            best[static_cast<size_t>(j)] = v;
            out[j] = i;
          }
        }
      }
    }
  });
}

class ArgReduceKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<ArgReduceKernel>> Create(const KernelInfo& info, bool is_max) {
    auto k = std::make_unique<ArgReduceKernel>();
    k->is_max_ = is_max;
    OE_ASSIGN_OR_RETURN(k->axis_, info.GetInt("axis", 0));
    OE_ASSIGN_OR_RETURN(int64_t keepdims, info.GetInt("keepdims", 1));
    if (keepdims != 0 && keepdims != 1) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'keepdims' must be 0 or 1, got ",
                        keepdims);
    }
    k->keepdims_ = keepdims == 1;
    OE_ASSIGN_OR_RETURN(int64_t last, info.GetInt("select_last_index", 0));
    if (last != 0 && last != 1) {
      return info.Error(StatusCode::kInvalidModel,
                        "attribute 'select_last_index' must be 0 or 1, got ", last);
    }
    k->select_last_ = last == 1;
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    const int64_t rank = static_cast<int64_t>(x->rank());
    OE_ASSIGN_OR_RETURN(int64_t axis, NormalizeAxis(axis_, rank, ctx.Describe() + " 'axis'"));
    Shape out_shape;
    int64_t outer = 1, n = 1, inner = 1;
    for (int64_t d = 0; d < rank; ++d) {
      const int64_t v = x->dim(static_cast<size_t>(d));
      if (d < axis) {
        outer *= v;
      } else if (d == axis) {
        n = v;
      } else {
        inner *= v;
      }
      if (d != axis) {
        out_shape.push_back(v);
      } else if (keepdims_) {
        out_shape.push_back(1);
      }
    }
    if (n == 0 && outer * inner != 0) {
      return ctx.Error(StatusCode::kInvalidArgument, "cannot take ", is_max_ ? "ArgMax" : "ArgMin",
                       " over axis ", axis, " of size 0 (input shape ", ShapeToString(x->shape()),
                       ")");
    }
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, DataType::kInt64, out_shape));
    if (y->size() == 0) return Status::Ok();
    return Dispatch<NumericTypes>(x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      const T* px = x->data<T>();
      int64_t* py = y->data<int64_t>();
      ThreadPool& pool = ctx.thread_pool();
      if (is_max_) {
        if (select_last_) {
          ArgReduce<true, true>(px, py, outer, n, inner, pool);
        } else {
          ArgReduce<true, false>(px, py, outer, n, inner, pool);
        }
      } else {
        if (select_last_) {
          ArgReduce<false, true>(px, py, outer, n, inner, pool);
        } else {
          ArgReduce<false, false>(px, py, outer, n, inner, pool);
        }
      }
      return Status::Ok();
    });
  }

 private:
  bool is_max_ = true;
  int64_t axis_ = 0;
  bool keepdims_ = true;
  bool select_last_ = false;
};

}  // namespace

KernelFactory MakeReduceFactory(ReduceKind kind, int axes_input_since) {
  return [kind, axes_input_since](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
    auto k = ReduceKernel::Create(info, kind, axes_input_since);
    if (!k.ok()) return k.status();
    return std::unique_ptr<Kernel>(std::move(k).value());
  };
}

KernelFactory MakeArgReduceFactory(bool is_max) {
  return [is_max](const KernelInfo& info) -> StatusOr<std::unique_ptr<Kernel>> {
    auto k = ArgReduceKernel::Create(info, is_max);
    if (!k.ok()) return k.status();
    return std::unique_ptr<Kernel>(std::move(k).value());
  };
}

}  // namespace onnxedge::ops
