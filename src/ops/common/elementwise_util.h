// Copyright onnxedge authors.
// Shared machinery of the elementwise ops (unary math, binary arithmetic, comparisons, logic,
// activations, variadic Max/Min/Sum/Mean):
//   - broadcast iteration that splits the flat output across threads (so one huge row and many
//     small rows both parallelise), with contiguous / scalar-operand inner loops the compiler
//     vectorises;
//   - generic kernels parameterised by a per-element functor, so each op folder is a few lines;
//   - the pre-opset-7 `broadcast`/`axis` attributes (B broadcast onto A starting at `axis`);
//   - numeric conversions without undefined behaviour (float -> int of NaN / out-of-range
//     values, double -> 16-bit floats without double rounding).
//
// A functor is a struct with a templated call operator taking and returning compute values
// (float for Float16/BFloat16, T otherwise), and, when the op has attributes, a
// `static StatusOr<Fn> Make(const KernelInfo&)` that reads and validates them.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "kernels/vecmath.h"
#include "ops/common/op_util.h"

namespace onnxedge::ops {

// ---------------------------------------------------------------------------------------------
// Type lists and traits

using BoolTypes = TypeList<bool>;
using UnsignedIntTypes = TypeList<uint8_t, uint16_t, uint32_t, uint64_t>;
/// Types Equal accepts (strings since opset 19; accepted at every opset).
using EqualTypes = TypeList<float, double, Float16, BFloat16, int8_t, int16_t, int32_t, int64_t,
                            uint8_t, uint16_t, uint32_t, uint64_t, bool, std::string>;
/// Numeric types plus bool.
using NumericBoolTypes = TypeList<float, double, Float16, BFloat16, int8_t, int16_t, int32_t,
                                  int64_t, uint8_t, uint16_t, uint32_t, uint64_t, bool>;

template <typename T>
inline constexpr bool kIsHalf = std::is_same_v<T, Float16> || std::is_same_v<T, BFloat16>;
template <typename T>
inline constexpr bool kIsFloat = std::is_floating_point_v<T> || kIsHalf<T>;

namespace detail {
template <typename... Ts>
constexpr bool ListHas(DataType type, TypeList<Ts...>) {
  return ((DataTypeOf<Ts>::value == type) || ...);
}
}  // namespace detail

/// True when `type` is one of the types in `List`.
template <typename List>
constexpr bool ListHas(DataType type) {
  return detail::ListHas(type, List{});
}

/// Dispatches on the element type of input `index`; an InvalidArgument error naming the node
/// and the input when the type is not in `List`.
template <typename List, typename F>
Status DispatchInput(const KernelContext& ctx, size_t index, DataType type, F&& f) {
  if (!ListHas<List>(type)) {
    return ctx.Error(StatusCode::kInvalidArgument, "input ", index, " has element type ",
                     DataTypeName(type), ", which this op does not support");
  }
  return Dispatch<List>(type, std::forward<F>(f));
}

/// InvalidArgument error when inputs `i` and `j` have different element types.
Status CheckSameType(const KernelContext& ctx, const Tensor& a, size_t i, const Tensor& b,
                     size_t j);

// ---------------------------------------------------------------------------------------------
// Conversions

/// Rounds a double to float with round-to-odd. A further rounding of the result to a format with
/// at most 22 significand bits (float16, bfloat16) then equals a single correct rounding.
float DoubleToFloatRoundToOdd(double d);

/// float/double -> integer type without undefined behaviour: truncates toward zero; NaN and
/// values outside int64 give INT64_MIN (as x86's cvttsd2si), then wraps to the target width
/// (values in [2^63, 2^64) convert exactly to uint64).
template <typename To>
inline To FloatToInt(double d) {
  if constexpr (std::is_same_v<To, uint64_t>) {
    if (d >= 9223372036854775808.0 && d < 18446744073709551616.0) return static_cast<To>(d);
  }
  int64_t i = std::numeric_limits<int64_t>::min();
  if (d >= -9223372036854775808.0 && d < 9223372036854775808.0) i = static_cast<int64_t>(d);
  return static_cast<To>(i);
}

/// Converts one numeric/bool value as Cast does. Integer narrowing wraps (two's complement).
template <typename To, typename From>
inline To ConvertValue(From v) {
  if constexpr (std::is_same_v<To, From>) {
    return v;
  } else if constexpr (std::is_same_v<To, bool>) {
    if constexpr (kIsHalf<From>) {
      return static_cast<float>(v) != 0.f;
    } else {
      return v != From(0);
    }
  } else if constexpr (std::is_same_v<From, bool>) {
    if constexpr (kIsHalf<To>) {
      return To(v ? 1.f : 0.f);
    } else {
      return static_cast<To>(v ? 1 : 0);
    }
  } else if constexpr (kIsHalf<To>) {
    if constexpr (kIsHalf<From>) {
      return To(static_cast<float>(v));  // float holds either exactly: one rounding.
    } else if constexpr (std::is_same_v<From, float>) {
      return To(v);
    } else {
      return To(DoubleToFloatRoundToOdd(static_cast<double>(v)));
    }
  } else if constexpr (std::is_floating_point_v<To>) {
    if constexpr (kIsHalf<From>) {
      return static_cast<To>(static_cast<float>(v));
    } else {
      return static_cast<To>(v);
    }
  } else if constexpr (std::is_integral_v<From>) {
    return static_cast<To>(v);
  } else {
    return FloatToInt<To>(static_cast<double>(ToCompute(v)));
  }
}

// ---------------------------------------------------------------------------------------------
// Integer arithmetic without undefined behaviour

/// Unsigned type wide enough that arithmetic on it does not promote to (signed) int.
template <typename C>
using WrapType =
    std::conditional_t<(sizeof(C) < sizeof(uint32_t)), uint32_t, std::make_unsigned_t<C>>;

/// a + b, a - b, a * b; integer results wrap (two's complement) instead of overflowing.
template <typename C>
inline C WrapAdd(C a, C b) {
  if constexpr (std::is_integral_v<C>) {
    return static_cast<C>(static_cast<WrapType<C>>(a) + static_cast<WrapType<C>>(b));
  } else {
    return a + b;
  }
}
template <typename C>
inline C WrapSub(C a, C b) {
  if constexpr (std::is_integral_v<C>) {
    return static_cast<C>(static_cast<WrapType<C>>(a) - static_cast<WrapType<C>>(b));
  } else {
    return a - b;
  }
}
template <typename C>
inline C WrapMul(C a, C b) {
  if constexpr (std::is_integral_v<C>) {
    return static_cast<C>(static_cast<WrapType<C>>(a) * static_cast<WrapType<C>>(b));
  } else {
    return a * b;
  }
}

// ---------------------------------------------------------------------------------------------
// Iteration

/// Outputs smaller than this run on the calling thread; larger ones are split in chunks of at
/// least this many elements.
inline constexpr int64_t kElementwiseMinChunk = 16384;

/// Splits the flat output of `plan` across the pool and calls `fn(offsets, out_begin, len)` for
/// each run of `len` consecutive output elements that lies within one inner row; `offsets[i]`
/// is input i's element offset at the run's start (input i then advances with
/// plan.inner_stride(i)). At most 4 inputs.
template <typename F>
void ForEachSpan(ThreadPool& pool, const BroadcastPlan& plan, F&& fn) {
  const int64_t total = plan.output_size();
  if (total <= 0) return;
  const int64_t inner = plan.inner();
  const size_t n = plan.num_inputs();
  pool.ParallelFor(total, kElementwiseMinChunk, [&](int64_t begin, int64_t end) {
    int64_t off[4];
    int64_t o = begin / inner, i = begin % inner;
    while (begin < end) {
      plan.Offsets(o, off);
      const int64_t len = std::min(inner - i, end - begin);
      for (size_t k = 0; k < n; ++k) off[k] += i * plan.inner_stride(k);
      fn(static_cast<const int64_t*>(off), begin, len);
      begin += len;
      ++o;
      i = 0;
    }
  });
}

/// out[i] = f(x[i]) into output 0 of type `out_type`, shaped like x.
template <typename TIn, typename TOut, typename F>
Status UnaryMap(KernelContext& ctx, const Tensor& x, DataType out_type, F f) {
  OE_ASSIGN_OR_RETURN(Tensor * out, ctx.AllocateOutput(0, out_type, x.shape(), Fill::kNone));
  const TIn* px = x.data<TIn>();
  TOut* po = out->data<TOut>();
  if constexpr (std::is_same_v<TIn, TOut>) {
    if (po == px) {  // In place (Kernel::InPlaceInputs): one pointer, no aliasing question.
      ctx.thread_pool().ParallelFor(x.size(), kElementwiseMinChunk,
                                    [&](int64_t begin, int64_t end) {
                                      TOut* __restrict__ o = po;
                                      for (int64_t i = begin; i < end; ++i) o[i] = f(o[i]);
                                    });
      return Status::Ok();
    }
  }
  ctx.thread_pool().ParallelFor(x.size(), kElementwiseMinChunk, [&](int64_t begin, int64_t end) {
    const TIn* __restrict__ in = px;
    TOut* __restrict__ o = po;
    for (int64_t i = begin; i < end; ++i) o[i] = f(in[i]);
  });
  return Status::Ok();
}

/// out = f(a, b) with numpy broadcasting of `a_shape` and `b_shape` (the tensors' own shapes,
/// or reshaped views of them for legacy broadcasting) into output 0.
template <typename TA, typename TB, typename TOut, typename F>
Status BinaryMap(KernelContext& ctx, const Tensor& a, const Shape& a_shape, const Tensor& b,
                 const Shape& b_shape, DataType out_type, F f) {
  OE_ASSIGN_OR_RETURN(BroadcastPlan plan,
                      BroadcastPlan::Make({&a_shape, &b_shape}, ctx.Describe()));
  OE_ASSIGN_OR_RETURN(Tensor * out,
                      ctx.AllocateOutput(0, out_type, plan.output_shape(), Fill::kNone));
  const TA* pa = a.data<TA>();
  const TB* pb = b.data<TB>();
  TOut* po = out->data<TOut>();
  const bool va = plan.inner_stride(0) == 1, vb = plan.inner_stride(1) == 1;
  if constexpr (std::is_same_v<TA, TOut> && std::is_same_v<TB, TOut>) {
    // In place (Kernel::InPlaceInputs): the output is one of the inputs, which then has the
    // output's size and so is not broadcast: element i of the output reads element i of it.
    // The other input may be the same buffer too (x * x), so nothing here is __restrict__.
    if (static_cast<const void*>(po) == static_cast<const void*>(pa) ||
        static_cast<const void*>(po) == static_cast<const void*>(pb)) {
      const bool into_a = static_cast<const void*>(po) == static_cast<const void*>(pa);
      ForEachSpan(ctx.thread_pool(), plan, [&](const int64_t* off, int64_t o, int64_t len) {
        TOut* ro = po + o;
        const TOut* other = into_a ? pb + off[1] : pa + off[0];
        const bool vo = into_a ? vb : va;
        if (into_a) {
          if (vo) {
            for (int64_t i = 0; i < len; ++i) ro[i] = f(ro[i], other[i]);
          } else {
            const TOut y = other[0];
            for (int64_t i = 0; i < len; ++i) ro[i] = f(ro[i], y);
          }
        } else if (vo) {
          for (int64_t i = 0; i < len; ++i) ro[i] = f(other[i], ro[i]);
        } else {
          const TOut x = other[0];
          for (int64_t i = 0; i < len; ++i) ro[i] = f(x, ro[i]);
        }
      });
      return Status::Ok();
    }
  }
  ForEachSpan(ctx.thread_pool(), plan, [&](const int64_t* off, int64_t o, int64_t len) {
    const TA* __restrict__ ra = pa + off[0];
    const TB* __restrict__ rb = pb + off[1];
    TOut* __restrict__ ro = po + o;
    if (va && vb) {
      for (int64_t i = 0; i < len; ++i) ro[i] = f(ra[i], rb[i]);
    } else if (va) {
      const TB y = rb[0];
      for (int64_t i = 0; i < len; ++i) ro[i] = f(ra[i], y);
    } else if (vb) {
      const TA x = ra[0];
      for (int64_t i = 0; i < len; ++i) ro[i] = f(x, rb[i]);
    } else {
      const TOut v = f(ra[0], rb[0]);
      for (int64_t i = 0; i < len; ++i) ro[i] = v;
    }
  });
  return Status::Ok();
}

template <typename TA, typename TB, typename TOut, typename F>
Status BinaryMap(KernelContext& ctx, const Tensor& a, const Tensor& b, DataType out_type, F f) {
  return BinaryMap<TA, TB, TOut>(ctx, a, a.shape(), b, b.shape(), out_type, std::move(f));
}

/// out = f(a, b, c) with three-way numpy broadcasting into output 0.
template <typename TA, typename TB, typename TC, typename TOut, typename F>
Status TernaryMap(KernelContext& ctx, const Tensor& a, const Tensor& b, const Tensor& c,
                  DataType out_type, F f) {
  OE_ASSIGN_OR_RETURN(BroadcastPlan plan,
                      BroadcastPlan::Make({&a.shape(), &b.shape(), &c.shape()}, ctx.Describe()));
  OE_ASSIGN_OR_RETURN(Tensor * out, ctx.AllocateOutput(0, out_type, plan.output_shape()));
  const TA* pa = a.data<TA>();
  const TB* pb = b.data<TB>();
  const TC* pc = c.data<TC>();
  TOut* po = out->data<TOut>();
  const int64_t sa = plan.inner_stride(0), sb = plan.inner_stride(1), sc = plan.inner_stride(2);
  ForEachSpan(ctx.thread_pool(), plan, [&](const int64_t* off, int64_t o, int64_t len) {
    const TA* __restrict__ ra = pa + off[0];
    const TB* __restrict__ rb = pb + off[1];
    const TC* __restrict__ rc = pc + off[2];
    TOut* __restrict__ ro = po + o;
    if (sa == 1 && sb == 1 && sc == 1) {
      for (int64_t i = 0; i < len; ++i) ro[i] = f(ra[i], rb[i], rc[i]);
    } else {
      for (int64_t i = 0; i < len; ++i) ro[i] = f(ra[i * sa], rb[i * sb], rc[i * sc]);
    }
  });
  return Status::Ok();
}

/// acc[i] = f(acc[i], x[j]) where x broadcasts (unidirectionally) onto acc's shape.
template <typename TAcc, typename TX, typename F>
Status FoldInto(KernelContext& ctx, Tensor& acc, const Tensor& x, F f) {
  OE_ASSIGN_OR_RETURN(BroadcastPlan plan,
                      BroadcastPlan::Make({&acc.shape(), &x.shape()}, ctx.Describe()));
  if (plan.output_shape() != acc.shape()) {
    return ctx.Error(StatusCode::kInternal, "FoldInto: accumulator shape does not cover input");
  }
  TAcc* pa = acc.data<TAcc>();
  const TX* px = x.data<TX>();
  const bool vx = plan.inner_stride(1) == 1;
  ForEachSpan(ctx.thread_pool(), plan, [&](const int64_t* off, int64_t o, int64_t len) {
    TAcc* __restrict__ ra = pa + o;
    const TX* __restrict__ rx = px + off[1];
    if (vx) {
      for (int64_t i = 0; i < len; ++i) ra[i] = f(ra[i], rx[i]);
    } else {
      const TX v = rx[0];
      for (int64_t i = 0; i < len; ++i) ra[i] = f(ra[i], v);
    }
  });
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// Legacy broadcasting (opset < 7)

/// The `broadcast` and `axis` attributes of Add/Sub/Mul/Div/Pow/comparisons/logic before opset 7:
/// with broadcast=1, B's shape must match a contiguous run of A's dims starting at `axis`
/// (default: aligned to A's last dims), each B dim equal to A's or 1; with broadcast=0 the shapes
/// must be equal. From opset 7 on, plain numpy broadcasting.
class LegacyBroadcast {
 public:
  static StatusOr<LegacyBroadcast> Read(const KernelInfo& info);
  /// The shape B takes part in broadcasting with (B's own shape from opset 7 on).
  StatusOr<Shape> ShapeOfB(const KernelContext& ctx, const Shape& a, const Shape& b) const;

 private:
  bool legacy_ = false;
  bool broadcast_ = false;
  bool has_axis_ = false;
  int64_t axis_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Generic kernels

/// Builds a functor from the node's attributes (Fn::Make when present, else Fn{}).
template <typename Fn>
StatusOr<Fn> MakeFunctor(const KernelInfo& info) {
  if constexpr (requires(const KernelInfo& i) { Fn::Make(i); }) {
    return Fn::Make(info);
  } else {
    return Fn{};
  }
}

/// Functors may provide a float32 array path, `void ApplyF32(const float* x, float* y,
/// int64_t n) const` (vectorised, kernels/vecmath.h); UnaryKernel then uses it for float inputs.
template <typename Fn>
concept HasApplyF32 = requires(const Fn& fn, const float* x, float* y, int64_t n) {
  fn.ApplyF32(x, y, n);
};

/// Chunk size for the array paths of transcendental functions (a few ns per element).
inline constexpr int64_t kVecMathMinChunk = 4096;

/// Y = fn(X) elementwise, Y of X's type, for X's type in `List`.
template <typename List, typename Fn>
class UnaryKernel final : public Kernel {
 public:
  explicit UnaryKernel(Fn fn) : fn_(std::move(fn)) {}
  static StatusOr<std::unique_ptr<UnaryKernel>> Create(const KernelInfo& info) {
    OE_ASSIGN_OR_RETURN(Fn fn, MakeFunctor<Fn>(info));
    return std::make_unique<UnaryKernel>(std::move(fn));
  }
  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    if constexpr (HasApplyF32<Fn>) {
      if (x->dtype() == DataType::kFloat) {
        // kNone: the array kernels write every element, and y may be x (in place).
        OE_ASSIGN_OR_RETURN(Tensor * out,
                            ctx.AllocateOutput(0, DataType::kFloat, x->shape(), Fill::kNone));
        const float* px = x->data<float>();
        float* py = out->data<float>();
        ctx.thread_pool().ParallelFor(x->size(), kVecMathMinChunk, [&](int64_t b, int64_t e) {
          fn_.ApplyF32(px + b, py + b, e - b);
        });
        return Status::Ok();
      }
    }
    return DispatchInput<List>(ctx, 0, x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      const Fn fn = fn_;
      return UnaryMap<T, T>(ctx, *x, x->dtype(),
                            [fn](T v) { return FromCompute<T>(fn(ToCompute(v))); });
    });
  }
  /// Elementwise: Y may overwrite a dead X (UnaryMap handles out == in).
  uint32_t InPlaceInputs() const override { return 1u; }

 private:
  Fn fn_;
};

/// Functors of float arithmetic may name their array kernel, `static constexpr
/// kernels::BinaryFn kF32 = ...`; BinaryKernel then runs float inputs through it (AVX2 when
/// available) for every broadcast pattern ForEachSpan produces.
template <typename Fn>
concept HasBinaryF32 = requires { Fn::kF32; };

/// out = a fn b for float32 with broadcasting, through kernels::ApplyBinary.
Status BinaryMapF32(KernelContext& ctx, const Tensor& a, const Shape& a_shape, const Tensor& b,
                    const Shape& b_shape, kernels::BinaryFn fn);

/// C = fn(A, B) with broadcasting (legacy attributes before opset 7); A, B, C of one type in
/// `List`.
template <typename List, typename Fn>
class BinaryKernel final : public Kernel {
 public:
  BinaryKernel(Fn fn, LegacyBroadcast bc) : fn_(std::move(fn)), bc_(bc) {}
  static StatusOr<std::unique_ptr<BinaryKernel>> Create(const KernelInfo& info) {
    OE_ASSIGN_OR_RETURN(Fn fn, MakeFunctor<Fn>(info));
    OE_ASSIGN_OR_RETURN(LegacyBroadcast bc, LegacyBroadcast::Read(info));
    return std::make_unique<BinaryKernel>(std::move(fn), bc);
  }
  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* a, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(const Tensor* b, ctx.RequiredInput(1));
    OE_RETURN_IF_ERROR(CheckSameType(ctx, *a, 0, *b, 1));
    OE_ASSIGN_OR_RETURN(Shape b_shape, bc_.ShapeOfB(ctx, a->shape(), b->shape()));
    if constexpr (HasBinaryF32<Fn>) {
      if (a->dtype() == DataType::kFloat) {
        return BinaryMapF32(ctx, *a, a->shape(), *b, b_shape, Fn::kF32);
      }
    }
    return DispatchInput<List>(ctx, 0, a->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      const Fn fn = fn_;
      return BinaryMap<T, T, T>(ctx, *a, a->shape(), *b, b_shape, a->dtype(), [fn](T x, T y) {
        return FromCompute<T>(fn(ToCompute(x), ToCompute(y)));
      });
    });
  }
  /// Elementwise: C may overwrite a dead A or B of C's size (BinaryMap handles out == input).
  uint32_t InPlaceInputs() const override { return 3u; }

 private:
  Fn fn_;
  LegacyBroadcast bc_;
};

/// Fn on compute values (16-bit floats compared as float, strings by reference).
template <typename Fn, typename T>
inline bool ApplyPredicate(const T& x, const T& y) {
  if constexpr (kIsHalf<T>) {
    return Fn{}(static_cast<float>(x), static_cast<float>(y));
  } else {
    return Fn{}(x, y);
  }
}

/// C = fn(A, B) as bool, with broadcasting (legacy attributes before opset 7); A and B of one
/// type in `List`. Comparisons and logic ops.
template <typename List, typename Fn>
class PredicateKernel final : public Kernel {
 public:
  explicit PredicateKernel(LegacyBroadcast bc) : bc_(bc) {}
  static StatusOr<std::unique_ptr<PredicateKernel>> Create(const KernelInfo& info) {
    OE_ASSIGN_OR_RETURN(LegacyBroadcast bc, LegacyBroadcast::Read(info));
    return std::make_unique<PredicateKernel>(bc);
  }
  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* a, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(const Tensor* b, ctx.RequiredInput(1));
    OE_RETURN_IF_ERROR(CheckSameType(ctx, *a, 0, *b, 1));
    OE_ASSIGN_OR_RETURN(Shape b_shape, bc_.ShapeOfB(ctx, a->shape(), b->shape()));
    return DispatchInput<List>(ctx, 0, a->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      return BinaryMap<T, T, bool>(ctx, *a, a->shape(), *b, b_shape, DataType::kBool,
                                   [](const T& x, const T& y) { return ApplyPredicate<Fn>(x, y); });
    });
  }

 private:
  LegacyBroadcast bc_;
};

/// Variadic op over 1..N inputs of one type in `List` with multidirectional broadcasting:
/// out = fn(...fn(fn(x0, x1), x2)...), then Fn::Finish(out, n) when Fn defines it (Mean).
template <typename List, typename Fn>
class VariadicKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<VariadicKernel>> Create(const KernelInfo& info) {
    if (info.num_inputs() < 1) return info.Error(StatusCode::kInvalidModel, "needs >= 1 input");
    return std::make_unique<VariadicKernel>();
  }
  Status Run(KernelContext& ctx) const override {
    // Inline up to 8 inputs: no allocation per run.
    SmallVector<const Tensor*, 8> ins;
    SmallVector<const Shape*, 8> shapes;
    for (size_t i = 0; i < ctx.num_inputs(); ++i) {
      OE_ASSIGN_OR_RETURN(const Tensor* t, ctx.RequiredInput(i));
      if (!ins.empty()) OE_RETURN_IF_ERROR(CheckSameType(ctx, *ins[0], 0, *t, i));
      ins.push_back(t);
      shapes.push_back(&t->shape());
    }
    if (ins.empty()) return ctx.Error(StatusCode::kInvalidArgument, "needs at least one input");
    return DispatchInput<List>(ctx, 0, ins[0]->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      const DataType type = ins[0]->dtype();
      auto step = [](T x, T y) { return FromCompute<T>(Fn{}(ToCompute(x), ToCompute(y))); };
      constexpr bool kHasFinish = requires { Fn::Finish(ComputeType<T>{}, int64_t{1}); };
      if (ins.size() == 2 && !kHasFinish) {
        return BinaryMap<T, T, T>(ctx, *ins[0], *ins[1], type, step);
      }
      OE_ASSIGN_OR_RETURN(Shape out_shape,
                          BroadcastShapes(ShapeList(shapes.data(), shapes.size()), ctx.Describe()));
      OE_ASSIGN_OR_RETURN(Tensor * out, ctx.AllocateOutput(0, type, out_shape));
      OE_RETURN_IF_ERROR((FoldInto<T, T>(ctx, *out, *ins[0], [](T, T x) { return x; })));
      for (size_t i = 1; i < ins.size(); ++i) {
        OE_RETURN_IF_ERROR((FoldInto<T, T>(ctx, *out, *ins[i], step)));
      }
      if constexpr (kHasFinish) {
        const int64_t n = static_cast<int64_t>(ins.size());
        T* p = out->data<T>();
        ctx.thread_pool().ParallelFor(out->size(), kElementwiseMinChunk,
                                      [&](int64_t begin, int64_t end) {
                                        for (int64_t i = begin; i < end; ++i) {
                                          p[i] = FromCompute<T>(Fn::Finish(ToCompute(p[i]), n));
                                        }
                                      });
      }
      return Status::Ok();
    });
  }
};

}  // namespace onnxedge::ops
