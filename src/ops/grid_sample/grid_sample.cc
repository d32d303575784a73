// Copyright onnxedge authors.
// GridSample (opset 16-21): samples X (N, C, D1..Dr) at the normalized [-1, 1] locations of
// grid (N, O1..Or, r) into Y (N, C, O1..Or), as PyTorch's grid_sample does. grid[..., 0]
// addresses the innermost axis (x), grid[..., 1] the next (y), and so on.
//   16: 4-D X only; modes bilinear / nearest / bicubic.
//   20: any rank >= 3; modes renamed linear / nearest / cubic (N-linear / N-cubic).
// Both spellings are accepted at every version. padding_mode zeros / border / reflection;
// align_corners. Nearest rounds half to even (std::nearbyint), except for 3 spatial axes where
// it rounds half away from zero (std::round), matching PyTorch and the ONNX reference. Cubic
// uses Keys' kernel with a = -0.75. Out-of-range coordinates are first mapped by the padding
// mode (clamped or reflected), then each tap is padded again, as the ONNX reference does.
// Types: X any numeric type (computed in float, double for double; integer results are rounded
// and saturated);
// grid float16 / bfloat16 / float / double.
#include <cmath>
#include <limits>
#include <type_traits>

#include "ops/common/op_util.h"

namespace onnxedge::ops {

namespace {

enum class SampleMode { kLinear, kNearest, kCubic };
enum class Padding { kZeros, kBorder, kReflection };

constexpr double kCubicA = -0.75;

// Reflects x into [lo, hi] by bouncing off the borders (PyTorch's reflect_coordinates).
template <typename C>
C Reflect(C x, C lo, C hi) {
  const C range = hi - lo;
  if (!(range > C(0))) return lo;
  if (x < lo) {
    const C dx = lo - x;
    const C n = std::floor(dx / range);
    const C r = dx - n * range;
    return std::fmod(n, C(2)) == C(0) ? lo + r : hi - r;
  }
  if (x > hi) {
    const C dx = x - hi;
    const C n = std::floor(dx / range);
    const C r = dx - n * range;
    return std::fmod(n, C(2)) == C(0) ? hi - r : lo + r;
  }
  return x;
}

template <typename C>
void CubicCoeffs(C t, C* c) {
  const C a = static_cast<C>(kCubicA);
  auto near = [a](C x) { return ((a + 2) * x - (a + 3)) * x * x + 1; };
  auto far = [a](C x) { return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a; };
  c[0] = far(t + 1);
  c[1] = near(t);
  c[2] = near(1 - t);
  c[3] = far(2 - t);
}

// Up to 4 (index, weight) taps along one axis; taps outside the input are dropped for zero
// padding.
struct Taps1D {
  int64_t idx[4];
  double w[4];
  int n = 0;
};

class GridSampleKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<GridSampleKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<GridSampleKernel>();
    k->since_ = info.since_version();
    const bool v20 = k->since_ >= 20;
    OE_ASSIGN_OR_RETURN(std::string mode, info.GetString("mode", v20 ? "linear" : "bilinear"));
    if (mode == "bilinear" || mode == "linear") {
      k->mode_ = SampleMode::kLinear;
    } else if (mode == "nearest") {
      k->mode_ = SampleMode::kNearest;
    } else if (mode == "bicubic" || mode == "cubic") {
      k->mode_ = SampleMode::kCubic;
    } else {
      return info.Error(StatusCode::kInvalidModel, "attribute 'mode' is '", mode,
                        "', expected linear (bilinear), nearest or cubic (bicubic)");
    }
    OE_ASSIGN_OR_RETURN(std::string padding, info.GetString("padding_mode", "zeros"));
    if (padding == "zeros") {
      k->padding_ = Padding::kZeros;
    } else if (padding == "border") {
      k->padding_ = Padding::kBorder;
    } else if (padding == "reflection") {
      k->padding_ = Padding::kReflection;
    } else {
      return info.Error(StatusCode::kInvalidModel, "attribute 'padding_mode' is '", padding,
                        "', expected zeros, border or reflection");
    }
    OE_ASSIGN_OR_RETURN(int64_t align, info.GetInt("align_corners", 0));
    if (align != 0 && align != 1) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'align_corners' is ", align,
                        ", expected 0 or 1");
    }
    k->align_corners_ = align == 1;
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(const Tensor* grid, ctx.RequiredInput(1));
    const size_t rank = x->rank();
    if (since_ < 20 ? rank != 4 : rank < 3) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'X' has shape ",
                       ShapeToString(x->shape()), "; expected ",
                       since_ < 20 ? "rank 4 (N, C, H, W)" : "rank >= 3 (N, C, D1, ...)");
    }
    const size_t r = rank - 2;
    const Shape& gs = grid->shape();
    if (grid->rank() != rank || gs[0] != x->dim(0) || gs[rank - 1] != static_cast<int64_t>(r)) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'grid' has shape ", ShapeToString(gs),
                       "; expected (", x->dim(0), ", ...", r, " output dims..., ", r,
                       ") for input 'X' of shape ", ShapeToString(x->shape()));
    }
    Shape out_shape = {x->dim(0), x->dim(1)};
    for (size_t i = 1; i + 1 < rank; ++i) out_shape.push_back(gs[i]);
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, x->dtype(), out_shape));
    if (y->size() == 0) return Status::Ok();
    if (x->size() == 0) {
      return ctx.Error(StatusCode::kInvalidArgument, "cannot sample an empty input 'X' of shape ",
                       ShapeToString(x->shape()));
    }
    if (grid->dtype() == DataType::kDouble) {
      return RunTyped<double>(ctx, *x, *grid, y);
    }
    return RunTyped<float>(ctx, *x, *grid, y);
  }

 private:
  // C: precision of the coordinate arithmetic (that of the grid).
  template <typename C>
  Status RunTyped(KernelContext& ctx, const Tensor& x, const Tensor& grid, Tensor* y) const {
    // The grid is small next to the output (r values per output point); read it once.
    OE_ASSIGN_OR_RETURN(std::vector<double> g, ReadDoubles(grid, ctx.Describe() + " input 'grid'"));
    return Dispatch<NumericTypes>(x.dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      using Acc = std::conditional_t<std::is_same_v<T, double>, double, float>;
      Sample<C, T, Acc>(ctx, x, g, y);
      return Status::Ok();
    });
  }

  // Taps along one spatial axis of length `len` for the normalized coordinate `v`.
  template <typename C>
  Taps1D AxisTaps(C v, int64_t len, size_t num_spatial) const {
    Taps1D t;
    const C d = static_cast<C>(len);
    C pos = align_corners_ ? (v + 1) / 2 * (d - 1) : ((v + 1) * d - 1) / 2;
    const C lo = align_corners_ ? C(0) : C(-0.5);
    const C hi = align_corners_ ? d - 1 : d - C(0.5);
    if (mode_ == SampleMode::kNearest) {
      pos = num_spatial == 3 ? std::round(pos) : std::nearbyint(pos);
    }
    if (!std::isfinite(pos)) pos = C(-2) - d;  // NaN / inf: treat as far outside.
    if (pos < lo || pos > hi) {
      if (padding_ == Padding::kBorder) {
        pos = std::clamp(pos, C(0), d - 1);
      } else if (padding_ == Padding::kReflection) {
        pos = Reflect(pos, lo, hi);
      }
    }
    // Keep the integer conversion defined; such points only ever hit padding.
    pos = std::clamp(pos, C(-4) - d, C(4) + 2 * d);
    auto add = [&](int64_t i, double w) {
      if (i < 0 || i >= len) {
        if (padding_ == Padding::kZeros) return;
        if (padding_ == Padding::kBorder) {
          i = std::clamp<int64_t>(i, 0, len - 1);
        } else {
          i = static_cast<int64_t>(Reflect(static_cast<C>(i), lo, hi));
          i = std::clamp<int64_t>(i, 0, len - 1);
        }
      }
      t.idx[t.n] = i;
      t.w[t.n] = w;
      ++t.n;
    };
    if (mode_ == SampleMode::kNearest) {
      add(static_cast<int64_t>(pos), 1.0);
    } else {
      const C f = std::floor(pos);
      const int64_t i0 = static_cast<int64_t>(f);
      const C frac = pos - f;
      if (mode_ == SampleMode::kLinear) {
        add(i0, static_cast<double>(1 - frac));
        add(i0 + 1, static_cast<double>(frac));
      } else {
        C c[4];
        CubicCoeffs(frac, c);
        for (int k = 0; k < 4; ++k) add(i0 - 1 + k, static_cast<double>(c[k]));
      }
    }
    return t;
  }

  template <typename C, typename T, typename Acc>
  void Sample(KernelContext& ctx, const Tensor& x, const std::vector<double>& g, Tensor* y) const {
    const size_t rank = x.rank();
    const size_t r = rank - 2;
    const int64_t n_batch = x.dim(0), channels = x.dim(1);
    int64_t in_plane = 1;
    for (size_t i = 2; i < rank; ++i) in_plane *= x.dim(i);
    const int64_t out_plane = y->size() / (n_batch * channels);
    // Element offsets of the spatial axes inside one plane.
    std::vector<int64_t> sp_stride(r, 1);
    for (size_t i = r; i-- > 1;) sp_stride[i - 1] = sp_stride[i] * x.dim(i + 2);
    const T* src = x.data<T>();
    T* dst = y->data<T>();
    int64_t max_taps = 1;
    for (size_t i = 0; i < r; ++i) max_taps *= mode_ == SampleMode::kCubic ? 4 : 2;
    const int64_t points = n_batch * out_plane;
    const int64_t min_points = std::max<int64_t>(1, 4096 / std::max<int64_t>(1, channels));
    ctx.thread_pool().ParallelFor(points, min_points, [&](int64_t begin, int64_t end) {
      std::vector<int64_t> offs(static_cast<size_t>(max_taps));
      std::vector<Acc> ws(static_cast<size_t>(max_taps));
      std::vector<Taps1D> axis_taps(r);
      for (int64_t p = begin; p < end; ++p) {
        const int64_t n = p / out_plane, o = p % out_plane;
        const double* gv = g.data() + p * static_cast<int64_t>(r);
        // grid[..., k] addresses spatial axis r - 1 - k.
        for (size_t k = 0; k < r; ++k) {
          const size_t axis = r - 1 - k;
          axis_taps[axis] = AxisTaps<C>(static_cast<C>(gv[k]), x.dim(axis + 2), r);
        }
        // Cartesian product of the per-axis taps.
        int64_t count = 1;
        offs[0] = 0;
        ws[0] = Acc(1);
        for (size_t a = 0; a < r; ++a) {
          const Taps1D& t = axis_taps[a];
          for (int64_t i = count - 1; i >= 0 && t.n > 0; --i) {
            // Expand entry i in place from the back so earlier entries stay intact.
            for (int k = t.n - 1; k >= 0; --k) {
              const int64_t slot = i * t.n + k;
              offs[static_cast<size_t>(slot)] =
                  offs[static_cast<size_t>(i)] + t.idx[k] * sp_stride[a];
              ws[static_cast<size_t>(slot)] = ws[static_cast<size_t>(i)] * static_cast<Acc>(t.w[k]);
            }
          }
          count *= t.n;
        }
        for (int64_t c = 0; c < channels; ++c) {
          const T* plane = src + (n * channels + c) * in_plane;
          Acc acc = 0;
          for (int64_t i = 0; i < count; ++i) {
            acc += ws[static_cast<size_t>(i)] *
                   static_cast<Acc>(ToCompute(plane[offs[static_cast<size_t>(i)]]));
          }
          dst[(n * channels + c) * out_plane + o] = Convert<T, Acc>(acc);
        }
      }
    });
  }

  template <typename T, typename Acc>
  static T Convert(Acc v) {
    if constexpr (std::is_floating_point_v<T>) {
      return static_cast<T>(v);
    } else if constexpr (std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>) {
      return T(static_cast<float>(v));
    } else {
      if (std::isnan(v)) return T(0);
      const double d = static_cast<double>(v);
      if (d <= static_cast<double>(std::numeric_limits<T>::min())) {
        return std::numeric_limits<T>::min();
      }
      if (d >= static_cast<double>(std::numeric_limits<T>::max())) {
        return std::numeric_limits<T>::max();
      }
      return static_cast<T>(std::round(d));
    }
  }

  int since_ = 16;
  SampleMode mode_ = SampleMode::kLinear;
  Padding padding_ = Padding::kZeros;
  bool align_corners_ = false;
};

}  // namespace

void RegisterOp_grid_sample(OpRegistry& registry) {
  registry.Register({"", "GridSample", 16, 21, MakeFactory<GridSampleKernel>()});
}

}  // namespace onnxedge::ops
