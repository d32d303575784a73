// Copyright onnxedge authors.
// Unique: the distinct elements of the flattened input, or the distinct slices along `axis`.
// Outputs Y (sorted ascending when sorted=1, else in order of first occurrence), and the
// optional int64 outputs indices (first occurrence of each Y entry in the input),
// inverse_indices (for every input element / slice, its position in Y) and counts.
// Opset 11-21, every element type. Floats order NaN after everything else and treat all NaNs
// as equal (as numpy.unique with equal_nan); -0.0 equals 0.0.
#include <cmath>

#include "ops/common/tensor_util.h"

namespace onnxedge::ops {

namespace {

// Strict weak order on elements: NaN is greater than every number and equal to other NaNs.
template <typename T>
inline bool ElemLess(const T& a, const T& b) {
  if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, bool> ||
                std::is_integral_v<T>) {
    return a < b;
  } else {
    const auto x = ToCompute(a), y = ToCompute(b);
    if (std::isnan(y)) return !std::isnan(x);
    if (std::isnan(x)) return false;
    return x < y;
  }
}

class UniqueKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<UniqueKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<UniqueKernel>();
    OE_ASSIGN_OR_RETURN(int64_t sorted, info.GetInt("sorted", 1));
    k->sorted_ = sorted != 0;
    if (info.HasAttribute("axis")) {
      OE_ASSIGN_OR_RETURN(k->axis_, info.GetInt("axis"));
      k->has_axis_ = true;
    }
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    // Items: the flattened elements, or the slices along the axis moved to the front.
    Tensor items = *x;
    int64_t n = x->size(), width = 1;
    size_t ax = 0;
    std::vector<int64_t> perm;
    Shape front_shape;  // x's shape with the axis moved to the front
    if (has_axis_) {
      if (x->rank() == 0)
        return ctx.Error(StatusCode::kInvalidArgument, "input must have rank >= 1");
      OE_ASSIGN_OR_RETURN(int64_t a,
                          NormalizeAxis(axis_, static_cast<int64_t>(x->rank()), ctx.Describe()));
      ax = static_cast<size_t>(a);
      n = x->dim(ax);
      width = n == 0 ? 0 : x->size() / n;
      perm.push_back(a);
      for (size_t d = 0; d < x->rank(); ++d) {
        if (d != ax) perm.push_back(static_cast<int64_t>(d));
      }
      for (int64_t p : perm) front_shape.push_back(x->dim(static_cast<size_t>(p)));
      if (ax != 0) {
        OE_ASSIGN_OR_RETURN(items, ctx.AllocateTemp(x->dtype(), front_shape));
        TransposeCopy(x->dtype(), x->raw_data(), x->shape(), perm, items.raw_data(),
                      &ctx.thread_pool());
      }
    }
    return Dispatch<AllTypes>(x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      const T* p = items.data<T>();
      auto item_less = [&](int64_t i, int64_t j) {
        const T* a = p + i * width;
        const T* b = p + j * width;
        for (int64_t e = 0; e < width; ++e) {
          if (ElemLess(a[e], b[e])) return true;
          if (ElemLess(b[e], a[e])) return false;
        }
        return false;
      };
      std::vector<int64_t> order(static_cast<size_t>(n));
      for (int64_t i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
      std::stable_sort(order.begin(), order.end(), item_less);
      // Groups of equal items, in sorted order; each group's first entry is its first occurrence.
      std::vector<int64_t> first, counts;
      std::vector<int64_t> group_of(static_cast<size_t>(n));
      for (size_t s = 0; s < order.size(); ++s) {
        if (s == 0 || item_less(order[s - 1], order[s])) {
          first.push_back(order[s]);
          counts.push_back(0);
        }
        counts.back()++;
        group_of[static_cast<size_t>(order[s])] = static_cast<int64_t>(first.size()) - 1;
      }
      const int64_t u = static_cast<int64_t>(first.size());
      // Output position of each group.
      std::vector<int64_t> rank_of(static_cast<size_t>(u));
      std::vector<int64_t> groups(static_cast<size_t>(u));  // groups in output order
      for (int64_t g = 0; g < u; ++g) groups[static_cast<size_t>(g)] = g;
      if (!sorted_) {
        std::sort(groups.begin(), groups.end(), [&](int64_t a, int64_t b) {
          return first[static_cast<size_t>(a)] < first[static_cast<size_t>(b)];
        });
      }
      for (int64_t r = 0; r < u; ++r)
        rank_of[static_cast<size_t>(groups[static_cast<size_t>(r)])] = r;

      // Y, built with the axis in front, then moved back.
      Shape y_front = has_axis_ ? front_shape : Shape{u};
      if (has_axis_) y_front[0] = u;
      Shape y_shape = y_front;
      if (has_axis_) {
        for (size_t i = 0; i < perm.size(); ++i) y_shape[static_cast<size_t>(perm[i])] = y_front[i];
      }
      OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, x->dtype(), y_shape));
      Tensor yf = *y;
      const bool moved = has_axis_ && ax != 0;
      if (moved) {
        OE_ASSIGN_OR_RETURN(yf, ctx.AllocateTemp(x->dtype(), y_front));
      }
      T* yp = yf.data<T>();
      for (int64_t r = 0; r < u; ++r) {
        const T* src = p + first[static_cast<size_t>(groups[static_cast<size_t>(r)])] * width;
        std::copy(src, src + width, yp + r * width);
      }
      if (moved) {
        // Inverse permutation: front layout -> original axis order.
        std::vector<int64_t> inv(perm.size());
        for (size_t i = 0; i < perm.size(); ++i) {
          inv[static_cast<size_t>(perm[i])] = static_cast<int64_t>(i);
        }
        TransposeCopy(x->dtype(), yf.raw_data(), y_front, inv, y->raw_data(), &ctx.thread_pool());
      }
      if (ctx.OutputRequested(1)) {
        OE_ASSIGN_OR_RETURN(Tensor * t, ctx.AllocateOutput(1, DataType::kInt64, {u}));
        for (int64_t r = 0; r < u; ++r) {
          t->data<int64_t>()[r] = first[static_cast<size_t>(groups[static_cast<size_t>(r)])];
        }
      }
      if (ctx.OutputRequested(2)) {
        OE_ASSIGN_OR_RETURN(Tensor * t, ctx.AllocateOutput(2, DataType::kInt64, {n}));
        for (int64_t i = 0; i < n; ++i) {
          t->data<int64_t>()[i] = rank_of[static_cast<size_t>(group_of[static_cast<size_t>(i)])];
        }
      }
      if (ctx.OutputRequested(3)) {
        OE_ASSIGN_OR_RETURN(Tensor * t, ctx.AllocateOutput(3, DataType::kInt64, {u}));
        for (int64_t r = 0; r < u; ++r) {
          t->data<int64_t>()[r] = counts[static_cast<size_t>(groups[static_cast<size_t>(r)])];
        }
      }
      return Status::Ok();
    });
  }

 private:
  bool sorted_ = true;
  bool has_axis_ = false;
  int64_t axis_ = 0;
};

}  // namespace

void RegisterOp_unique(OpRegistry& registry) {
  registry.Register({"", "Unique", 11, 21, MakeFactory<UniqueKernel>()});
}

}  // namespace onnxedge::ops
