// Copyright onnxedge authors.
// Pad: pads (or, with negative pads, crops) every dim. Opsets 1-21:
//   - opset 1: `paddings` attribute; 2-10: `pads` attribute; both with a float `value`;
//   - 11+: int64 input `pads` and optional scalar input `constant_value` (default 0 / "");
//   - 18+: optional input `axes` choosing which dims `pads` refers to;
//   - modes constant, reflect (mirror without repeating the edge, periodic when the pad is
//     longer than the dim, as numpy), edge, and wrap (opset 19+).
// Pads are [x1_begin, x2_begin, ..., x1_end, x2_end, ...]. Every element type. Each output row
// copies its in-range middle as one contiguous run and fills only the borders per element.
#include <cstring>

#include "ops/common/tensor_util.h"

namespace onnxedge::ops {

namespace {

enum class PadMode { kConstant, kReflect, kEdge, kWrap };

class PadKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<PadKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<PadKernel>();
    const int v = info.since_version();
    OE_ASSIGN_OR_RETURN(std::string mode, info.GetString("mode", "constant"));
    if (mode == "constant") {
      k->mode_ = PadMode::kConstant;
    } else if (mode == "reflect") {
      k->mode_ = PadMode::kReflect;
    } else if (mode == "edge") {
      k->mode_ = PadMode::kEdge;
    } else if (mode == "wrap" && v >= 19) {
      k->mode_ = PadMode::kWrap;
    } else {
      return info.Error(StatusCode::kInvalidModel, "attribute 'mode' has unsupported value '", mode,
                        "'");
    }
    if (v < 11) {
      k->from_attrs_ = true;
      OE_ASSIGN_OR_RETURN(k->pads_, info.GetInts(v < 2 ? "paddings" : "pads"));
      OE_ASSIGN_OR_RETURN(k->value_, info.GetFloat("value", 0.0f));
      if (k->pads_.size() % 2 != 0) {
        return info.Error(StatusCode::kInvalidModel, "attribute '", v < 2 ? "paddings" : "pads",
                          "' must have an even length, got ", k->pads_.size());
      }
    }
    k->axes_input_ = v >= 18;
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    const size_t rank = x->rank();
    // Pads, axes and per-dim bounds are Shapes (inline storage): no allocation per run.
    Shape pads = pads_;
    const Tensor* cv = nullptr;
    Shape axes;
    if (!from_attrs_) {
      OE_ASSIGN_OR_RETURN(const Tensor* p, ctx.RequiredInput(1));
      OE_RETURN_IF_ERROR(ReadInt64sInto(*p, ctx.Describe(), "pads", &pads));
      cv = ctx.Input(2);
      if (cv && cv->size() == 0) cv = nullptr;  // an empty tensor means "not given"
      if (cv && (cv->size() != 1 || cv->dtype() != x->dtype())) {
        return ctx.Error(StatusCode::kInvalidArgument,
                         "input 'constant_value' must be one element of the data's type, got ",
                         DataTypeName(cv->dtype()), ShapeToString(cv->shape()));
      }
      if (axes_input_ && ctx.Input(3)) {
        Shape a;
        OE_RETURN_IF_ERROR(ReadInt64sInto(*ctx.Input(3), ctx.Describe(), "axes", &a));
        OE_RETURN_IF_ERROR(NormalizeAxesInto(a, static_cast<int64_t>(rank), ctx.Describe(), &axes));
      }
    }
    if (axes.empty() && !(axes_input_ && ctx.Input(3))) {
      for (size_t i = 0; i < rank; ++i) axes.push_back(static_cast<int64_t>(i));
    }
    if (pads.size() != 2 * axes.size()) {
      return ctx.Error(StatusCode::kInvalidArgument, "pads ", ShapeToString(pads), " must have ",
                       2 * axes.size(), " entries for input rank ", rank,
                       axes_input_ ? " / the given axes" : "");
    }
    Shape begin(rank, 0), end(rank, 0);
    for (size_t i = 0; i < axes.size(); ++i) {
      begin[static_cast<size_t>(axes[i])] = pads[i];
      end[static_cast<size_t>(axes[i])] = pads[i + axes.size()];
    }
    Shape out_shape(rank);
    for (size_t d = 0; d < rank; ++d) {
      const int64_t n = x->dim(d);
      if (__builtin_add_overflow(n, begin[d], &out_shape[d]) ||
          __builtin_add_overflow(out_shape[d], end[d], &out_shape[d])) {
        return ctx.Error(StatusCode::kInvalidArgument, "pads ", ShapeToString(pads),
                         " overflow dim ", d);
      }
      if (out_shape[d] < 0) {
        return ctx.Error(StatusCode::kInvalidArgument, "pads ", ShapeToString(pads),
                         " crop more than the size ", n, " of dim ", d);
      }
      if (mode_ != PadMode::kConstant && n == 0 && out_shape[d] > 0) {
        return ctx.Error(StatusCode::kInvalidArgument, "cannot pad the empty dim ", d,
                         " in this mode");
      }
    }
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, x->dtype(), out_shape, Fill::kNone));
    if (y->size() == 0) return Status::Ok();
    if (rank == 0) {
      CopyElements(x->dtype(), x->raw_data(), y->raw_data(), 1);
      return Status::Ok();
    }

    // Per dim: output coordinate -> input coordinate, or -1 for the constant. The maps of all
    // dims lie in one buffer of the calling thread that only grows (map d starts at
    // map_begin[d]); the chunks only read it.
    thread_local std::vector<int64_t> tls_maps;
    Shape map_begin(rank + 1, 0);
    for (size_t d = 0; d < rank; ++d) map_begin[d + 1] = map_begin[d] + out_shape[d];
    if (tls_maps.size() < static_cast<size_t>(map_begin[rank])) {
      tls_maps.resize(static_cast<size_t>(map_begin[rank]));
    }
    int64_t* const map_data = tls_maps.data();
    auto map = [&](size_t d) { return map_data + map_begin[d]; };
    for (size_t d = 0; d < rank; ++d) {
      const int64_t n = x->dim(d);
      int64_t* md = map(d);
      for (int64_t o = 0; o < out_shape[d]; ++o) {
        const int64_t c = o - begin[d];
        int64_t src = c;
        if (c < 0 || c >= n) {
          switch (mode_) {
            case PadMode::kConstant:
              src = -1;
              break;
            case PadMode::kEdge:
              src = std::clamp<int64_t>(c, 0, n - 1);
              break;
            case PadMode::kWrap:
              src = ((c % n) + n) % n;
              break;
            case PadMode::kReflect:
              if (n == 1) {
                src = 0;
              } else {
                const int64_t period = 2 * (n - 1);
                src = ((c % period) + period) % period;
                if (src >= n) src = period - src;
              }
              break;
          }
        }
        md[o] = src;
      }
    }
    const Shape in_strides = InlineStrides(x->shape());
    const size_t last = rank - 1;
    const int64_t out_row = out_shape[last];
    // The contiguous middle of a row: output [lo, hi) reads input [lo - begin, hi - begin).
    const int64_t lo = std::clamp<int64_t>(begin[last], 0, out_row);
    const int64_t hi = std::clamp<int64_t>(begin[last] + x->dim(last), 0, out_row);
    const int64_t rows = y->size() / out_row;

    return DispatchBySize(x->dtype(), [&](auto tag) -> Status {
      using U = typename decltype(tag)::type;
      U pad_value{};
      if (cv) {
        pad_value = cv->data<U>()[0];
      } else if (from_attrs_ && value_ != 0.0f) {
        OE_RETURN_IF_ERROR(ConvertValue(x->dtype(), &pad_value));
      }
      const U* src = x->data<U>();
      U* dst = y->data<U>();
      const int64_t* lmap = map(last);
      auto body = [&](int64_t rb, int64_t re) {
        Shape pos(last, 0);
        int64_t r = rb;
        for (size_t d = last; d-- > 0;) {
          pos[d] = r % out_shape[d];
          r /= out_shape[d];
        }
        for (int64_t row = rb; row < re; ++row) {
          int64_t off = 0;
          bool constant_row = false;
          for (size_t d = 0; d < last; ++d) {
            const int64_t m = map(d)[pos[d]];
            if (m < 0) {
              constant_row = true;
              break;
            }
            off += m * in_strides[d];
          }
          U* drow = dst + row * out_row;
          if (constant_row) {
            std::fill(drow, drow + out_row, pad_value);
          } else {
            const U* srow = src + off;
            for (int64_t o = 0; o < lo; ++o) {
              const int64_t m = lmap[o];
              drow[o] = m < 0 ? pad_value : srow[m];
            }
            if (hi > lo) std::copy(srow + (lo - begin[last]), srow + (hi - begin[last]), drow + lo);
            for (int64_t o = std::max(hi, lo); o < out_row; ++o) {
              const int64_t m = lmap[o];
              drow[o] = m < 0 ? pad_value : srow[m];
            }
          }
          for (size_t d = last; d-- > 0;) {
            if (++pos[d] < out_shape[d]) break;
            pos[d] = 0;
          }
        }
      };
      ctx.thread_pool().ParallelFor(
          rows, std::max<int64_t>(1, (1 << 16) / std::max<int64_t>(1, out_row * sizeof(U))), body);
      return Status::Ok();
    });
  }

 private:
  // Converts the float `value` attribute to the data's element type, stored in `out`'s bytes.
  template <typename U>
  Status ConvertValue(DataType type, U* out) const {
    if constexpr (std::is_same_v<U, std::string>) {
      return Status::Ok();
    } else {
      if (type == DataType::kBool) {
        const bool b = value_ != 0.0f;
        std::memcpy(out, &b, sizeof(b));
        return Status::Ok();
      }
      return Dispatch<NumericTypes>(type, [&](auto tag) -> Status {
        using T = typename decltype(tag)::type;
        static_assert(sizeof(T) <= 8);
        if constexpr (sizeof(T) == sizeof(U)) {
          const T v = FromCompute<T>(static_cast<ComputeType<T>>(value_));
          std::memcpy(out, &v, sizeof(T));
        }
        return Status::Ok();
      });
    }
  }

  PadMode mode_ = PadMode::kConstant;
  bool from_attrs_ = false;
  bool axes_input_ = false;
  std::vector<int64_t> pads_;
  float value_ = 0;
};

}  // namespace

void RegisterOp_pad(OpRegistry& registry) {
  registry.Register({"", "Pad", 1, 21, MakeFactory<PadKernel>()});
}

}  // namespace onnxedge::ops
