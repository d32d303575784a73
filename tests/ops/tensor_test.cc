// Copyright onnxedge authors.
// Unit tests for the tensor / shape manipulation ops: edge cases beyond the ONNX conformance data
// (negative axes, empty tensors, every element type through the by-size copy paths, opset
// differences, error reporting). Expected values are written out by hand or computed by naive
// per-element formulas in this file.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "ops/op_test_util.h"

namespace onnxedge {
namespace {

// OpTest destroys its session before returning the outputs, but kernel outputs are allocated by
// the session's Allocator, which their storage still points to (src/runtime/allocator.cc,
// TrackedBlock::owner is a raw pointer): freeing such an output after the session corrupts the
// heap. Op runs through OpTest's model but deep-copies every output that does not share a fed
// input's storage while the session is still alive.
class Op {
 public:
  explicit Op(std::string op_type, int opset = 17, std::string domain = "")
      : test_(std::move(op_type), opset, std::move(domain)) {}
  Op& OmittedOutput() {
    test_.OmittedOutput();
    return *this;
  }
  template <typename V>
  Op& Attr(const std::string& name, const V& v) {
    test_.Attr(name, v);
    return *this;
  }
  Op& Input(const std::string& name, const Tensor& t) {
    test_.Input(name, t);
    feeds_.push_back({name, t});
    return *this;
  }
  Op& Output(const std::string& name) {
    test_.Output(name);
    return *this;
  }
  StatusOr<std::unique_ptr<Session>> Load() const { return test_.Load(); }
  StatusOr<std::vector<NamedValue>> Run(SessionOptions options = {}) const {
    auto session = test_.Load(options);
    if (!session.ok()) return session.status();
    auto result = (*session)->Run(feeds_);
    if (!result.ok()) return result.status();
    std::vector<NamedValue> out;
    for (const NamedValue& nv : *result) {
      Value v = nv.value;
      if (v.is_tensor()) {
        bool fed = false;
        for (const NamedValue& f : feeds_)
          fed |= f.value.tensor().raw_data() == v.tensor().raw_data();
        if (!fed || v.tensor().size() == 0) {
          auto c = v.tensor().Clone();
          if (!c.ok()) return c.status();
          v = Value(std::move(c).value());
        }
      }
      out.push_back({nv.name, std::move(v)});
    }
    return out;
  }

 private:
  testing::OpTest test_;
  std::vector<NamedValue> feeds_;
};

template <typename T>
Tensor Make(Shape shape, std::vector<T> values) {
  return Tensor::FromVector<T>(std::move(shape), values);
}
Tensor I64(Shape shape, std::vector<int64_t> v) { return Make<int64_t>(std::move(shape), v); }
Tensor F32(Shape shape, std::vector<float> v) { return Make<float>(std::move(shape), v); }
Tensor Empty(DataType t, Shape shape) { return *Tensor::Allocate(t, std::move(shape)); }
// 0, 1, 2, ... as T.
template <typename T>
Tensor Iota(Shape shape) {
  const int64_t n = ShapeElementCount(shape);
  std::vector<T> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = static_cast<T>(i);
  return Make<T>(std::move(shape), v);
}

#define ASSERT_OK_RESULT(r) ASSERT_TRUE((r).ok()) << (r).status().ToString()

const Tensor& Out(const StatusOr<std::vector<NamedValue>>& r, size_t i = 0) {
  return (*r)[i].value.tensor();
}

// Asserts failure whose message contains every fragment.
void ExpectError(const StatusOr<std::vector<NamedValue>>& r,
                 std::initializer_list<const char*> fragments) {
  ASSERT_FALSE(r.ok());
  for (const char* f : fragments) {
    EXPECT_NE(r.status().message().find(f), std::string::npos)
        << "missing '" << f << "' in: " << r.status().message();
  }
}

// Row-major multi-index of flat index i.
std::vector<int64_t> Unravel(int64_t i, const Shape& shape) {
  std::vector<int64_t> idx(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    idx[d] = i % shape[d];
    i /= shape[d];
  }
  return idx;
}
int64_t Ravel(const std::vector<int64_t>& idx, const Shape& shape) {
  int64_t f = 0;
  for (size_t d = 0; d < shape.size(); ++d) f = f * shape[d] + idx[d];
  return f;
}

// ---------------------------------------------------------------------------------------------
// Reshape / Flatten / Squeeze / Unsqueeze / Shape / Size

TEST(ReshapeOp, ZeroCopiesDimAndMinusOneInfers) {
  Tensor x = Iota<float>({2, 3, 4});
  auto r = Op("Reshape", 13).Input("x", x).Input("s", I64({2}, {0, -1})).Output("y").Run();
  ASSERT_OK_RESULT(r);
  EXPECT_EQ(Out(r).shape(), (Shape{2, 12}));
  EXPECT_EQ(Out(r).ToVector<float>(), x.ToVector<float>());
  // The output is a view: same storage as the fed input.
  EXPECT_EQ(Out(r).raw_data(), x.raw_data());
}

TEST(ReshapeOp, AllowZeroMakesEmptyDims) {
  auto r = Op("Reshape", 14)
               .Attr("allowzero", int64_t{1})
               .Input("x", Empty(DataType::kFloat, {0, 3}))
               .Input("s", I64({3}, {3, 0, 5}))
               .Output("y")
               .Run();
  ASSERT_OK_RESULT(r);
  EXPECT_EQ(Out(r).shape(), (Shape{3, 0, 5}));
  // Without allowzero the 0 copies input dim 1 (3): [3, 3, 5] has 45 elements, not 0.
  auto bad = Op("Reshape", 14)
                 .Input("x", Empty(DataType::kFloat, {0, 3}))
                 .Input("s", I64({3}, {3, 0, 5}))
                 .Output("y")
                 .Run();
  ExpectError(bad, {"node 'node' (Reshape)", "cannot reshape"});
}

TEST(ReshapeOp, Errors) {
  Tensor x = Iota<float>({2, 3});
  ExpectError(Op("Reshape", 14)
                  .Attr("allowzero", int64_t{1})
                  .Input("x", Empty(DataType::kFloat, {0, 3}))
                  .Input("s", I64({2}, {0, -1}))
                  .Output("y")
                  .Run(),
              {"allowzero"});
  ExpectError(Op("Reshape", 13).Input("x", x).Input("s", I64({2}, {-1, -1})).Output("y").Run(),
              {"more than one -1"});
  ExpectError(Op("Reshape", 13).Input("x", x).Input("s", I64({2}, {4, -1})).Output("y").Run(),
              {"cannot reshape"});
  ExpectError(Op("Reshape", 13).Input("x", x).Input("s", I64({1}, {5})).Output("y").Run(),
              {"cannot reshape"});
  ExpectError(Op("Reshape", 14)
                  .Attr("allowzero", int64_t{2})
                  .Input("x", x)
                  .Input("s", I64({1}, {6}))
                  .Output("y")
                  .Run(),
              {"'allowzero'"});
}

TEST(ReshapeOp, Opset1ShapeAttribute) {
  auto r = Op("Reshape", 4)
               .Attr("shape", std::vector<int64_t>{3, -1})
               .Input("x", Iota<int32_t>({2, 3}))
               .Output("y")
               .Run();
  ASSERT_OK_RESULT(r);
  EXPECT_EQ(Out(r).shape(), (Shape{3, 2}));
  EXPECT_EQ(Out(r).ToVector<int32_t>(), (std::vector<int32_t>{0, 1, 2, 3, 4, 5}));
}

TEST(ShapeOp, StartEndClampAndNegative) {
  Tensor x = Empty(DataType::kFloat, {2, 0, 4, 5});
  auto run = [&](std::optional<int64_t> start, std::optional<int64_t> end) {
    Op t("Shape", 15);
    if (start) t.Attr("start", *start);
    if (end) t.Attr("end", *end);
    auto r = t.Input("x", x).Output("y").Run();
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return Out(r).ToVector<int64_t>();
  };
  EXPECT_EQ(run({}, {}), (std::vector<int64_t>{2, 0, 4, 5}));
  EXPECT_EQ(run(-3, -1), (std::vector<int64_t>{0, 4}));
  EXPECT_EQ(run(-10, 100), (std::vector<int64_t>{2, 0, 4, 5}));
  EXPECT_EQ(run(3, 1), (std::vector<int64_t>{}));
  auto s = Op("Shape", 13).Input("x", Make<std::string>({}, {"a"})).Output("y").Run();
  ASSERT_OK_RESULT(s);
  EXPECT_EQ(Out(s).shape(), (Shape{0}));
}

TEST(SizeOp, CountsElements) {
  auto r = Op("Size", 13).Input("x", Empty(DataType::kBool, {3, 0, 2})).Output("y").Run();
  ASSERT_OK_RESULT(r);
  EXPECT_EQ(Out(r).shape(), Shape{});
  EXPECT_EQ(Out(r).ToVector<int64_t>(), std::vector<int64_t>{0});
  auto s = Op("Size", 13).Input("x", Iota<int8_t>({3, 4})).Output("y").Run();
  ASSERT_OK_RESULT(s);
  EXPECT_EQ(Out(s).ToVector<int64_t>(), std::vector<int64_t>{12});
}

TEST(FlattenOp, AxisRangeAndZeroDims) {
  auto run = [](int64_t axis, Shape shape) {
    return Op("Flatten", 13)
        .Attr("axis", axis)
        .Input("x", Empty(DataType::kFloat, shape))
        .Output("y")
        .Run();
  };
  auto a0 = run(0, {2, 3, 4});
  ASSERT_OK_RESULT(a0);
  EXPECT_EQ(Out(a0).shape(), (Shape{1, 24}));
  auto a3 = run(3, {2, 3, 4});
  ASSERT_OK_RESULT(a3);
  EXPECT_EQ(Out(a3).shape(), (Shape{24, 1}));
  auto neg = run(-1, {2, 0, 4});
  ASSERT_OK_RESULT(neg);
  EXPECT_EQ(Out(neg).shape(), (Shape{0, 4}));
  ExpectError(run(4, {2, 3, 4}), {"'axis'", "out of range"});
}

TEST(SqueezeOp, AllOnesOrGivenAxes) {
  Tensor x = Iota<float>({1, 3, 1, 2});
  auto all = Op("Squeeze", 13).Input("x", x).Output("y").Run();
  ASSERT_OK_RESULT(all);
  EXPECT_EQ(Out(all).shape(), (Shape{3, 2}));
  auto neg = Op("Squeeze", 13).Input("x", x).Input("a", I64({1}, {-2})).Output("y").Run();
  ASSERT_OK_RESULT(neg);
  EXPECT_EQ(Out(neg).shape(), (Shape{1, 3, 2}));
  auto attr =
      Op("Squeeze", 11).Attr("axes", std::vector<int64_t>{0, -2}).Input("x", x).Output("y").Run();
  ASSERT_OK_RESULT(attr);
  EXPECT_EQ(Out(attr).shape(), (Shape{3, 2}));
  EXPECT_EQ(Out(attr).ToVector<float>(), x.ToVector<float>());
  ExpectError(Op("Squeeze", 13).Input("x", x).Input("a", I64({1}, {1})).Output("y").Run(),
              {"cannot squeeze axis 1"});
  ExpectError(Op("Squeeze", 13).Input("x", x).Input("a", I64({1}, {4})).Output("y").Run(),
              {"out of range"});
}

TEST(UnsqueezeOp, AxesRelativeToOutputRank) {
  Tensor x = Iota<float>({3, 2});
  auto r = Op("Unsqueeze", 13).Input("x", x).Input("a", I64({2}, {-1, 0})).Output("y").Run();
  ASSERT_OK_RESULT(r);
  EXPECT_EQ(Out(r).shape(), (Shape{1, 3, 2, 1}));
  auto mid = Op("Unsqueeze", 13).Input("x", x).Input("a", I64({2}, {3, 1})).Output("y").Run();
  ASSERT_OK_RESULT(mid);
  EXPECT_EQ(Out(mid).shape(), (Shape{3, 1, 2, 1}));
  auto v11 =
      Op("Unsqueeze", 11).Attr("axes", std::vector<int64_t>{-3}).Input("x", x).Output("y").Run();
  ASSERT_OK_RESULT(v11);
  EXPECT_EQ(Out(v11).shape(), (Shape{1, 3, 2}));
  ExpectError(Op("Unsqueeze", 13).Input("x", x).Input("a", I64({2}, {0, -4})).Output("y").Run(),
              {"repeated"});
  ExpectError(Op("Unsqueeze", 13).Input("x", x).Input("a", I64({1}, {3})).Output("y").Run(),
              {"out of range"});
  ExpectError(Op("Unsqueeze", 11).Input("x", x).Output("y").Run(), {"axes"});
}

TEST(AxesOps, ScalarInputsRejectAxes) {
  Tensor x = Make<float>({}, {5});
  ExpectError(Op("Squeeze", 13).Input("x", x).Input("a", I64({1}, {0})).Output("y").Run(),
              {"out of range for rank 0"});
  ExpectError(Op("Slice", 13)
                  .Input("x", x)
                  .Input("s", I64({1}, {0}))
                  .Input("e", I64({1}, {1}))
                  .Input("a", I64({1}, {-1}))
                  .Output("y")
                  .Run(),
              {"out of range for rank 0"});
  ExpectError(Op("Pad", 18)
                  .Input("x", x)
                  .Input("p", I64({2}, {1, 1}))
                  .Input("c", Make<float>({}, {0}))
                  .Input("a", I64({1}, {0}))
                  .Output("y")
                  .Run(),
              {"out of range for rank 0"});
  // Without axes a scalar passes through Squeeze and an empty Pad.
  auto sq = Op("Squeeze", 13).Input("x", x).Output("y").Run();
  ASSERT_OK_RESULT(sq);
  EXPECT_EQ(Out(sq).ToVector<float>(), std::vector<float>{5});
  auto pad = Op("Pad", 13).Input("x", x).Input("p", I64({0}, {})).Output("y").Run();
  ASSERT_OK_RESULT(pad);
  EXPECT_EQ(Out(pad).shape(), Shape{});
  EXPECT_EQ(Out(pad).ToVector<float>(), std::vector<float>{5});
}

// ---------------------------------------------------------------------------------------------
// Concat / Split

TEST(ConcatOp, StringsNegativeAxisAndEmptyInputs) {
  auto r = Op("Concat", 13)
               .Attr("axis", int64_t{-1})
               .Input("a", Make<std::string>({2, 1}, {"a", "b"}))
               .Input("b", Make<std::string>({2, 0}, {}))
               .Input("c", Make<std::string>({2, 2}, {"c", "d", "e", "f"}))
               .Output("y")
               .Run();
  ASSERT_OK_RESULT(r);
  EXPECT_EQ(Out(r).shape(), (Shape{2, 3}));
  EXPECT_EQ(Out(r).ToVector<std::string>(),
            (std::vector<std::string>{"a", "c", "d", "b", "e", "f"}));
  auto zero = Op("Concat", 13)
                  .Attr("axis", int64_t{1})
                  .Input("a", Empty(DataType::kFloat, {0, 2}))
                  .Input("b", Empty(DataType::kFloat, {0, 3}))
                  .Output("y")
                  .Run();
  ASSERT_OK_RESULT(zero);
  EXPECT_EQ(Out(zero).shape(), (Shape{0, 5}));
}

TEST(ConcatOp, MiddleAxisMatchesNaive) {
  Tensor a = Iota<int16_t>({2, 2, 3});
  Tensor b = Iota<int16_t>({2, 1, 3});
  auto r = Op("Concat", 13).Attr("axis", int64_t{1}).Input("a", a).Input("b", b).Output("y").Run();
  ASSERT_OK_RESULT(r);
  ASSERT_EQ(Out(r).shape(), (Shape{2, 3, 3}));
  std::vector<int16_t> want;
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 3; ++j) {
      for (int k = 0; k < 3; ++k) {
        want.push_back(j < 2 ? static_cast<int16_t>(i * 6 + j * 3 + k)
                             : static_cast<int16_t>(i * 3 + k));
      }
    }
  }
  EXPECT_EQ(Out(r).ToVector<int16_t>(), want);
}

TEST(ConcatOp, Errors) {
  ExpectError(Op("Concat", 13)
                  .Attr("axis", int64_t{0})
                  .Input("a", Iota<float>({2, 3}))
                  .Input("b", Iota<float>({2, 2}))
                  .Output("y")
                  .Run(),
              {"input 1 has shape [2,2]"});
  ExpectError(
      Op("Concat", 13).Attr("axis", int64_t{2}).Input("a", Iota<float>({2, 3})).Output("y").Run(),
      {"out of range"});
  ExpectError(Op("Concat", 13).Input("a", Iota<float>({2, 3})).Output("y").Run(), {"axis"});
}

// Rows of a flat [outer, width] view: element (r, j) of piece i of `widths` is at offset
// r * width_i + j; the naive concat / split / overwrite of such pieces, for the generated cases.
template <typename T>
std::vector<T> RandomValues(size_t n, std::mt19937& rng) {
  std::vector<T> v(n);
  std::uniform_int_distribution<int> d(0, 250);
  for (T& x : v) {
    if constexpr (std::is_same_v<T, std::string>) {
      x = std::to_string(d(rng));
    } else {
      x = static_cast<T>(d(rng));
    }
  }
  return v;
}

// Concat and Split on generated shapes: the short-row one-pass paths (rows up to 256 elements,
// pieces of 1, 2 and more elements, unread Split outputs) and the strided paths above them,
// for 1-, 2-, 4- and 8-byte elements and strings, 1 and 2 threads, against naive loops.
template <typename T>
void ConcatSplitMatchNaive(DataType type) {
  std::mt19937 rng(71);
  struct Case {
    Shape pre;                     // dims before the axis
    std::vector<int64_t> lengths;  // along the axis
    Shape post;                    // dims after the axis
  };
  const std::vector<Case> cases = {
      {{1, 3, 7, 5}, {2, 2, 81}, {}},  // YOLO's head
      {{4, 3}, {1, 2, 3}, {2}},
      {{0, 3}, {1, 2}, {}},
      {{5}, {1}, {}},
      {{1}, {3, 4}, {5}},
      {{9}, {0, 5, 1}, {1}},
      {{3}, {128, 128}, {}},   // 256: the one-pass limit
      {{3}, {128, 129}, {}},   // 257: strided
      {{2, 2}, {3, 1, 2, 5, 1, 1, 2}, {3}},
  };
  for (int threads : {1, 2}) {
    SessionOptions opts;
    opts.intra_op_threads = threads;
    for (const Case& c : cases) {
      int64_t outer = 1, inner = 1, dim = 0;
      for (int64_t d : c.pre) outer *= d;
      for (int64_t d : c.post) inner *= d;
      for (int64_t l : c.lengths) dim += l;
      const int64_t axis = static_cast<int64_t>(c.pre.size());
      auto shape_of = [&](int64_t len) {
        Shape s = c.pre;
        s.push_back(len);
        s.insert(s.end(), c.post.begin(), c.post.end());
        return s;
      };
      std::vector<std::vector<T>> pieces;
      Op concat("Concat", 13);
      concat.Attr("axis", axis);
      for (size_t i = 0; i < c.lengths.size(); ++i) {
        pieces.push_back(RandomValues<T>(static_cast<size_t>(outer * c.lengths[i] * inner), rng));
        concat.Input("p" + std::to_string(i), Make<T>(shape_of(c.lengths[i]), pieces.back()));
      }
      std::vector<T> want;
      for (int64_t r = 0; r < outer; ++r) {
        for (size_t i = 0; i < pieces.size(); ++i) {
          const int64_t w = c.lengths[i] * inner;
          want.insert(want.end(), pieces[i].begin() + r * w, pieces[i].begin() + (r + 1) * w);
        }
      }
      auto cr = concat.Output("y").Run(opts);
      ASSERT_OK_RESULT(cr);
      ASSERT_EQ(Out(cr).shape(), shape_of(dim));
      EXPECT_EQ(Out(cr).ToVector<T>(), want) << DataTypeName(type) << " " << c.lengths.size()
                                               << " pieces, outer " << outer;
      // Split back, leaving the second output unread.
      Op split("Split", 13);
      split.Attr("axis", axis)
          .Input("x", Make<T>(shape_of(dim), want))
          .Input("s", I64({static_cast<int64_t>(c.lengths.size())}, c.lengths));
      for (size_t i = 0; i < c.lengths.size(); ++i) {
        if (i == 1) {
          split.OmittedOutput();
        } else {
          split.Output("o" + std::to_string(i));
        }
      }
      auto sr = split.Run(opts);
      ASSERT_OK_RESULT(sr);
      size_t k = 0;
      for (size_t i = 0; i < c.lengths.size(); ++i) {
        if (i == 1) continue;
        EXPECT_EQ(Out(sr, k).shape(), shape_of(c.lengths[i]));
        EXPECT_EQ(Out(sr, k).ToVector<T>(), pieces[i]) << DataTypeName(type) << " piece " << i;
        ++k;
      }
    }
  }
}

TEST(ConcatOp, ShortRowsAndSplitMatchNaiveEveryElementSize) {
  ConcatSplitMatchNaive<uint8_t>(DataType::kUint8);
  ConcatSplitMatchNaive<int16_t>(DataType::kInt16);
  ConcatSplitMatchNaive<float>(DataType::kFloat);
  ConcatSplitMatchNaive<int64_t>(DataType::kInt64);
  ConcatSplitMatchNaive<std::string>(DataType::kString);
}

// com.onnxedge ConcatInto: X with slices along `axis` overwritten by the updates (later ones win
// where they overlap), on generated shapes and element sizes, against a naive loop; in place
// is covered by the fuse_split_concat test (tests/unit/optimizer_test.cc).
template <typename T>
void ConcatIntoMatchesNaive() {
  std::mt19937 rng(72);
  struct Case {
    Shape x;
    int64_t axis;
    std::vector<std::pair<int64_t, int64_t>> updates;  // (start, length)
  };
  const std::vector<Case> cases = {
      {{1, 3, 4, 5, 85}, 4, {{0, 2}, {2, 2}}},  // YOLO's head
      {{1, 3, 4, 5, 85}, -1, {{83, 2}, {0, 1}}},
      {{6, 7}, 1, {{1, 3}, {2, 4}}},            // overlapping: the second wins
      {{6, 7}, 0, {{5, 1}}},
      {{2, 300}, 1, {{10, 250}}},               // rows above the one-pass limit
      {{0, 4}, 1, {{1, 2}}},
      {{3, 4, 2}, 1, {{4, 0}, {0, 4}}},
      {{2, 5, 3}, 1, {{2, 2}, {4, 1}}},         // inner 3
      {{1}, 0, {{0, 1}}},
  };
  for (int threads : {1, 2}) {
    SessionOptions opts;
    opts.intra_op_threads = threads;
    for (const Case& c : cases) {
      const size_t ax = static_cast<size_t>(c.axis < 0 ? c.axis + static_cast<int64_t>(c.x.size())
                                                       : c.axis);
      std::vector<T> want = RandomValues<T>(static_cast<size_t>(ShapeElementCount(c.x)), rng);
      Op op("ConcatInto", 1, "com.onnxedge");
      std::vector<int64_t> starts;
      for (const auto& u : c.updates) starts.push_back(u.first);
      op.Attr("axis", c.axis).Attr("starts", starts).Input("x", Make<T>(c.x, want));
      int64_t outer = 1, inner = 1;
      for (size_t d = 0; d < ax; ++d) outer *= c.x[d];
      for (size_t d = ax + 1; d < c.x.size(); ++d) inner *= c.x[d];
      const int64_t row = c.x[ax] * inner;
      for (size_t j = 0; j < c.updates.size(); ++j) {
        Shape us = c.x;
        us[ax] = c.updates[j].second;
        std::vector<T> u = RandomValues<T>(static_cast<size_t>(ShapeElementCount(us)), rng);
        op.Input("u" + std::to_string(j), Make<T>(us, u));
        const int64_t w = c.updates[j].second * inner;
        for (int64_t r = 0; r < outer; ++r) {
          for (int64_t e = 0; e < w; ++e) {
            want[static_cast<size_t>(r * row + c.updates[j].first * inner + e)] =
                u[static_cast<size_t>(r * w + e)];
          }
        }
      }
      auto r = op.Output("y").Run(opts);
      ASSERT_OK_RESULT(r);
      EXPECT_EQ(Out(r).shape(), c.x);
      EXPECT_EQ(Out(r).ToVector<T>(), want) << ShapeToString(c.x) << " axis " << c.axis;
    }
  }
}

TEST(ConcatIntoOp, MatchesNaiveEveryElementSize) {
  ConcatIntoMatchesNaive<uint8_t>();
  ConcatIntoMatchesNaive<float>();
  ConcatIntoMatchesNaive<double>();
  ConcatIntoMatchesNaive<std::string>();
}

TEST(ConcatIntoOp, Errors) {
  auto run = [](std::vector<int64_t> starts, Shape u) {
    return Op("ConcatInto", 1, "com.onnxedge")
        .Attr("axis", int64_t{1})
        .Attr("starts", starts)
        .Input("x", Iota<float>({2, 5}))
        .Input("u", Iota<float>(u))
        .Output("y")
        .Run();
  };
  ExpectError(run({4}, {2, 2}), {"does not fit"});
  ExpectError(run({-1}, {2, 1}), {"does not fit"});
  ExpectError(run({0}, {3, 1}), {"does not fit"});
  ExpectError(run({0, 1}, {2, 1}), {"'starts' has 2 entries"});
}

TEST(SplitOp, NumOutputsUnevenLastChunk) {
  auto r = Op("Split", 18)
               .Attr("num_outputs", int64_t{3})
               .Input("x", Iota<float>({7}))
               .Output("a")
               .Output("b")
               .Output("c")
               .Run();
  ASSERT_OK_RESULT(r);
  EXPECT_EQ(Out(r, 0).ToVector<float>(), (std::vector<float>{0, 1, 2}));
  EXPECT_EQ(Out(r, 1).ToVector<float>(), (std::vector<float>{3, 4, 5}));
  EXPECT_EQ(Out(r, 2).ToVector<float>(), (std::vector<float>{6}));
  ExpectError(Op("Split", 18)
                  .Attr("num_outputs", int64_t{2})
                  .Input("x", Iota<float>({7}))
                  .Output("a")
                  .Output("b")
                  .Output("c")
                  .Run(),
              {"'num_outputs'"});
}

TEST(SplitOp, SplitInputAttributeAndErrors) {
  Tensor x = Iota<int32_t>({2, 5});
  auto r = Op("Split", 13)
               .Attr("axis", int64_t{-1})
               .Input("x", x)
               .Input("s", I64({3}, {1, 0, 4}))
               .Output("a")
               .Output("b")
               .Output("c")
               .Run();
  ASSERT_OK_RESULT(r);
  EXPECT_EQ(Out(r, 0).ToVector<int32_t>(), (std::vector<int32_t>{0, 5}));
  EXPECT_EQ(Out(r, 1).shape(), (Shape{2, 0}));
  EXPECT_EQ(Out(r, 2).ToVector<int32_t>(), (std::vector<int32_t>{1, 2, 3, 4, 6, 7, 8, 9}));
  auto v11 = Op("Split", 11)
                 .Attr("axis", int64_t{1})
                 .Attr("split", std::vector<int64_t>{2, 3})
                 .Input("x", x)
                 .Output("a")
                 .Output("b")
                 .Run();
  ASSERT_OK_RESULT(v11);
  EXPECT_EQ(Out(v11, 0).ToVector<int32_t>(), (std::vector<int32_t>{0, 1, 5, 6}));
  ExpectError(Op("Split", 13).Attr("axis", int64_t{1}).Input("x", x).Output("a").Output("b").Run(),
              {"cannot be split evenly"});
  ExpectError(Op("Split", 13)
                  .Attr("axis", int64_t{1})
                  .Input("x", x)
                  .Input("s", I64({2}, {2, 2}))
                  .Output("a")
                  .Output("b")
                  .Run(),
              {"sum to 4"});
  ExpectError(Op("Split", 11)
                  .Attr("split", std::vector<int64_t>{1})
                  .Input("x", x)
                  .Output("a")
                  .Output("b")
                  .Run(),
              {"attribute 'split'"});
}

// ---------------------------------------------------------------------------------------------
// Slice

// Naive 1-D slice following the ONNX spec text: negative starts/ends get n added, then starts
// clamp to [0, n] (step > 0) or [0, n - 1] (step < 0), ends to [0, n] or [-1, n - 1].
std::vector<int64_t> SpecSlice(int64_t n, int64_t start, int64_t end, int64_t step) {
  if (start < 0) start += n;
  if (end < 0) end += n;
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, n);
    end = std::clamp<int64_t>(end, 0, n);
  } else {
    start = std::clamp<int64_t>(start, 0, n - 1);
    end = std::clamp<int64_t>(end, -1, n - 1);
  }
  std::vector<int64_t> out;
  if (step > 0) {
    for (int64_t i = start; i < end; i += step) out.push_back(i);
  } else {
    for (int64_t i = start; i > end; i += step) out.push_back(i);
  }
  return out;
}

TEST(SliceOp, ClampingMatchesSpec) {
  const int64_t kMax = std::numeric_limits<int64_t>::max();
  const int64_t kMin = std::numeric_limits<int64_t>::min();
  struct Case {
    int64_t start, end, step;
  };
  const Case cases[] = {{0, kMax, 1},     {-1, kMin, -1},  {kMax, kMin, -2}, {-100, 100, 3},
                        {5, 2, 1},        {2, 5, -1},      {-3, -1, 1},      {7, 0, -3},
                        {kMin, 3, 2},     {0, -1, 4},      {100, -100, -1},  {3, 3, 1},
                        {-100, kMin, -1}, {kMax, kMax, 1}, {kMin, kMin, -1}};
  Tensor x = Iota<float>({8});
  for (const Case& c : cases) {
    auto r = Op("Slice", 13)
                 .Input("x", x)
                 .Input("s", I64({1}, {c.start}))
                 .Input("e", I64({1}, {c.end}))
                 .Input("a", I64({1}, {0}))
                 .Input("p", I64({1}, {c.step}))
                 .Output("y")
                 .Run();
    ASSERT_OK_RESULT(r);
    std::vector<float> want;
    for (int64_t i : SpecSlice(8, c.start, c.end, c.step)) want.push_back(static_cast<float>(i));
    EXPECT_EQ(Out(r).ToVector<float>(), want) << c.start << ":" << c.end << ":" << c.step;
  }
}

TEST(SliceOp, MultiAxisNegativeStepsOnStringsAndBools) {
  // x[::-1, 1:3] on a [3, 4] string tensor, axes given as negative.
  std::vector<std::string> v;
  for (int i = 0; i < 12; ++i) v.push_back(std::string(1, 's').append(std::to_string(i)));
  auto r = Op("Slice", 13)
               .Input("x", Make<std::string>({3, 4}, v))
               .Input("s", I64({2}, {-1, 1}))
               .Input("e", I64({2}, {std::numeric_limits<int64_t>::min(), 3}))
               .Input("a", I64({2}, {-2, -1}))
               .Input("p", I64({2}, {-1, 1}))
               .Output("y")
               .Run();
  ASSERT_OK_RESULT(r);
  EXPECT_EQ(Out(r).shape(), (Shape{3, 2}));
  EXPECT_EQ(Out(r).ToVector<std::string>(),
            (std::vector<std::string>{"s9", "s10", "s5", "s6", "s1", "s2"}));
  auto b = Op("Slice", 13)
               .Input("x", Make<bool>({5}, {true, false, false, true, true}))
               .Input("s", I64({1}, {0}))
               .Input("e", I64({1}, {5}))
               .Input("a", I64({1}, {0}))
               .Input("p", I64({1}, {2}))
               .Output("y")
               .Run();
  ASSERT_OK_RESULT(b);
  EXPECT_EQ(Out(b).ToVector<bool>(), (std::vector<bool>{true, false, true}));
}

TEST(SliceOp, Opset1AttributesEmptyResultAndErrors) {
  auto r = Op("Slice", 9)
               .Attr("starts", std::vector<int64_t>{1})
               .Attr("ends", std::vector<int64_t>{1000})
               .Attr("axes", std::vector<int64_t>{1})
               .Input("x", Iota<int64_t>({2, 3}))
               .Output("y")
               .Run();
  ASSERT_OK_RESULT(r);
  EXPECT_EQ(Out(r).ToVector<int64_t>(), (std::vector<int64_t>{1, 2, 4, 5}));
  auto empty = Op("Slice", 13)
                   .Input("x", Iota<float>({2, 3}))
                   .Input("s", I64({1}, {2}))
                   .Input("e", I64({1}, {1}))
                   .Output("y")
                   .Run();
  ASSERT_OK_RESULT(empty);
  EXPECT_EQ(Out(empty).shape(), (Shape{0, 3}));
  ExpectError(Op("Slice", 13)
                  .Input("x", Iota<float>({4}))
                  .Input("s", I64({1}, {0}))
                  .Input("e", I64({1}, {4}))
                  .Input("a", I64({1}, {0}))
                  .Input("p", I64({1}, {0}))
                  .Output("y")
                  .Run(),
              {"'steps'"});
  ExpectError(Op("Slice", 13)
                  .Input("x", Iota<float>({4}))
                  .Input("s", I64({2}, {0, 0}))
                  .Input("e", I64({1}, {4}))
                  .Output("y")
                  .Run(),
              {"differ in length"});
  ExpectError(Op("Slice", 9)
                  .Attr("ends", std::vector<int64_t>{1})
                  .Input("x", Iota<float>({4}))
                  .Output("y")
                  .Run(),
              {"starts"});
}

// ---------------------------------------------------------------------------------------------
// Transpose and the strided copy paths

// Naive transpose: out[i] = in[idx] with idx[perm[d]] = out_idx[d].
template <typename T>
std::vector<T> NaiveTranspose(const std::vector<T>& in, const Shape& shape,
                              const std::vector<int64_t>& perm) {
  Shape out_shape(perm.size());
  for (size_t d = 0; d < perm.size(); ++d) out_shape[d] = shape[static_cast<size_t>(perm[d])];
  const int64_t n = ShapeElementCount(shape);
  std::vector<T> out(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    auto oi = Unravel(i, out_shape);
    std::vector<int64_t> ii(shape.size());
    for (size_t d = 0; d < perm.size(); ++d) ii[static_cast<size_t>(perm[d])] = oi[d];
    out[static_cast<size_t>(i)] = in[static_cast<size_t>(Ravel(ii, shape))];
  }
  return out;
}

template <typename T>
void CheckTranspose(const Shape& shape, const std::vector<int64_t>& perm, int threads) {
  Tensor x = Iota<T>(shape);
  SessionOptions opts;
  opts.intra_op_threads = threads;
  auto r = Op("Transpose", 13).Attr("perm", perm).Input("x", x).Output("y").Run(opts);
  ASSERT_OK_RESULT(r);
  EXPECT_EQ(Out(r).ToVector<T>(), NaiveTranspose(x.ToVector<T>(), shape, perm))
      << ShapeToString(shape) << " perm " << ShapeToString(perm);
}

TEST(TransposeOp, MatchesNaiveOnRandomShapesAndPerms) {
  std::mt19937 rng(42);
  for (int iter = 0; iter < 60; ++iter) {
    const size_t rank = 1 + rng() % 5;
    Shape shape(rank);
    for (auto& d : shape) d = 1 + rng() % 5;
    std::vector<int64_t> perm(rank);
    for (size_t i = 0; i < rank; ++i) perm[i] = static_cast<int64_t>(i);
    std::shuffle(perm.begin(), perm.end(), rng);
    switch (iter % 4) {
      case 0:
        CheckTranspose<float>(shape, perm, 1);
        break;
      case 1:
        CheckTranspose<uint8_t>(shape, perm, 2);
        break;
      case 2:
        CheckTranspose<int64_t>(shape, perm, 3);
        break;
      default:
        CheckTranspose<uint16_t>(shape, perm, 1);
        break;
    }
  }
}

TEST(TransposeOp, BlockedAndRunPathsOnLargerTensors) {
  // 2-D transpose with sizes that are not multiples of the cache block, multi-threaded.
  CheckTranspose<float>({67, 131}, {1, 0}, 4);
  CheckTranspose<double>({33, 17}, {1, 0}, 2);
  // Destination rows 1 KiB apart take the buffered tile path (float and 8-byte elements).
  CheckTranspose<float>({256, 37}, {1, 0}, 2);
  CheckTranspose<int64_t>({128, 40}, {1, 0}, 1);
  CheckTranspose<uint16_t>({512, 20}, {1, 0}, 1);
  CheckTranspose<int8_t>({3, 70, 41}, {0, 2, 1}, 3);
  // Attention layouts: [B, S, H, D] <-> [B, H, S, D] keeps the last axis (contiguous runs).
  CheckTranspose<float>({2, 37, 4, 16}, {0, 2, 1, 3}, 4);
  // [B, H, S, D] -> [B, H, D, S]: inner 2-D transpose under batch dims.
  CheckTranspose<float>({2, 3, 19, 40}, {0, 1, 3, 2}, 4);
  // NCHW <-> NHWC.
  CheckTranspose<float>({2, 3, 9, 11}, {0, 2, 3, 1}, 2);
  CheckTranspose<float>({2, 9, 11, 3}, {0, 3, 1, 2}, 2);
}

TEST(TransposeOp, StringsBoolsDefaultPermAndEmpty) {
  auto s = Op("Transpose", 13)
               .Input("x", Make<std::string>({2, 3}, {"a", "b", "c", "d", "e", "f"}))
               .Output("y")
               .Run();
  ASSERT_OK_RESULT(s);
  EXPECT_EQ(Out(s).shape(), (Shape{3, 2}));
  EXPECT_EQ(Out(s).ToVector<std::string>(),
            (std::vector<std::string>{"a", "d", "b", "e", "c", "f"}));
  auto b = Op("Transpose", 13)
               .Attr("perm", std::vector<int64_t>{1, 0})
               .Input("x", Make<bool>({2, 2}, {true, true, false, false}))
               .Output("y")
               .Run();
  ASSERT_OK_RESULT(b);
  EXPECT_EQ(Out(b).ToVector<bool>(), (std::vector<bool>{true, false, true, false}));
  auto e = Op("Transpose", 13)
               .Attr("perm", std::vector<int64_t>{2, 0, 1})
               .Input("x", Empty(DataType::kFloat, {2, 0, 3}))
               .Output("y")
               .Run();
  ASSERT_OK_RESULT(e);
  EXPECT_EQ(Out(e).shape(), (Shape{3, 2, 0}));
  // Moving only size-1 dims keeps the layout: [1, 4, 1, 3] -> [4, 1, 3, 1].
  auto v = Op("Transpose", 13)
               .Attr("perm", std::vector<int64_t>{1, 0, 3, 2})
               .Input("x", Iota<float>({1, 4, 1, 3}))
               .Output("y")
               .Run();
  ASSERT_OK_RESULT(v);
  EXPECT_EQ(Out(v).shape(), (Shape{4, 1, 3, 1}));
  EXPECT_EQ(Out(v).ToVector<float>(), Iota<float>({12}).ToVector<float>());
}

TEST(TransposeOp, BadPerm) {
  auto load = Op("Transpose", 13)
                  .Attr("perm", std::vector<int64_t>{0, 0})
                  .Input("x", Iota<float>({2, 2}))
                  .Output("y")
                  .Load();
  ASSERT_FALSE(load.ok());
  EXPECT_NE(load.status().message().find("'perm'"), std::string::npos);
  ExpectError(Op("Transpose", 13)
                  .Attr("perm", std::vector<int64_t>{1, 0})
                  .Input("x", Iota<float>({2, 2, 2}))
                  .Output("y")
                  .Run(),
              {"'perm'", "rank 3"});
}

// Large enough that the copies split across threads (chunks of 64 KiB).
TEST(DataMovementOps, LargeTensorsAcrossThreads) {
  SessionOptions opts;
  opts.intra_op_threads = 4;
  // One contiguous block, split between threads: x[5:199990].
  Tensor big = Iota<int32_t>({200000});
  auto sl = Op("Slice", 13)
                .Input("x", big)
                .Input("s", I64({1}, {5}))
                .Input("e", I64({1}, {199990}))
                .Output("y")
                .Run(opts);
  ASSERT_OK_RESULT(sl);
  ASSERT_EQ(Out(sl).size(), 199985);
  const int32_t* p = Out(sl).data<int32_t>();
  bool ok = true;
  for (int64_t i = 0; i < 199985; ++i) ok &= p[i] == i + 5;
  EXPECT_TRUE(ok);
  // Gather of 300 rows of 500 floats.
  Tensor table = Iota<float>({400, 500});
  std::vector<int64_t> idx;
  for (int i = 0; i < 300; ++i) idx.push_back((i * 7) % 400);
  auto g = Op("Gather", 13).Input("x", table).Input("i", I64({300}, idx)).Output("y").Run(opts);
  ASSERT_OK_RESULT(g);
  const float* gp = Out(g).data<float>();
  ok = true;
  for (int i = 0; i < 300; ++i)
    for (int j = 0; j < 500; ++j) ok &= gp[i * 500 + j] == static_cast<float>(idx[i] * 500 + j);
  EXPECT_TRUE(ok);
  // Edge-pad every dim of [300, 200] by (1, 2).
  auto pd = Op("Pad", 13)
                .Attr("mode", "edge")
                .Input("x", Iota<float>({300, 200}))
                .Input("p", I64({4}, {1, 2, 1, 2}))
                .Output("y")
                .Run(opts);
  ASSERT_OK_RESULT(pd);
  ASSERT_EQ(Out(pd).shape(), (Shape{302, 204}));
  const float* pp = Out(pd).data<float>();
  ok = true;
  for (int64_t i = 0; i < 302; ++i)
    for (int64_t j = 0; j < 204; ++j) {
      const int64_t si = std::clamp<int64_t>(i - 1, 0, 299),
                    sj = std::clamp<int64_t>(j - 2, 0, 199);
      ok &= pp[i * 204 + j] == static_cast<float>(si * 200 + sj);
    }
  EXPECT_TRUE(ok);
  // Concat along axis 1 of [300, 100] and [300, 150].
  auto c = Op("Concat", 13)
               .Attr("axis", int64_t{1})
               .Input("a", Iota<float>({300, 100}))
               .Input("b", Iota<float>({300, 150}))
               .Output("y")
               .Run(opts);
  ASSERT_OK_RESULT(c);
  const float* cp = Out(c).data<float>();
  ok = true;
  for (int i = 0; i < 300; ++i)
    for (int j = 0; j < 250; ++j)
      ok &= cp[i * 250 + j] == static_cast<float>(j < 100 ? i * 100 + j : i * 150 + j - 100);
  EXPECT_TRUE(ok);
}

// ---------------------------------------------------------------------------------------------
// Gather family

TEST(GatherOp, AxisNegativeIndicesScalarAndStrings) {
  // axis 1 of [2, 3] with indices [[-1, 0]] -> [2, 1, 2].
  auto r = Op("Gather", 13)
               .Attr("axis", int64_t{1})
               .Input("x", Iota<float>({2, 3}))
               .Input("i", I64({1, 2}, {-1, 0}))
               .Output("y")
               .Run();
  ASSERT_OK_RESULT(r);
  EXPECT_EQ(Out(r).shape(), (Shape{2, 1, 2}));
  EXPECT_EQ(Out(r).ToVector<float>(), (std::vector<float>{2, 0, 5, 3}));
  auto s = Op("Gather", 13)
               .Input("x", Make<std::string>({3}, {"x", "y", "z"}))
               .Input("i", Make<int32_t>({}, {1}))
               .Output("y")
               .Run();
  ASSERT_OK_RESULT(s);
  EXPECT_EQ(Out(s).shape(), Shape{});
  EXPECT_EQ(Out(s).ToVector<std::string>(), std::vector<std::string>{"y"});
  auto e =
      Op("Gather", 13).Input("x", Iota<float>({3, 2})).Input("i", I64({0}, {})).Output("y").Run();
  ASSERT_OK_RESULT(e);
  EXPECT_EQ(Out(e).shape(), (Shape{0, 2}));
  ExpectError(
      Op("Gather", 13).Input("x", Iota<float>({3, 2})).Input("i", I64({1}, {3})).Output("y").Run(),
      {"node 'node' (Gather)", "index 3", "out of range"});
}

TEST(GatherElementsOp, AxisOneNegativeIndices) {
  auto r = Op("GatherElements", 13)
               .Attr("axis", int64_t{-1})
               .Input("x", Iota<int32_t>({2, 3}))
               .Input("i", I64({2, 2}, {2, -3, 1, 1}))
               .Output("y")
               .Run();
  ASSERT_OK_RESULT(r);
  EXPECT_EQ(Out(r).ToVector<int32_t>(), (std::vector<int32_t>{2, 0, 4, 4}));
  auto a0 = Op("GatherElements", 13)
                .Input("x", Iota<int32_t>({3, 2}))
                .Input("i", I64({1, 2}, {2, 0}))
                .Output("y")
                .Run();
  ASSERT_OK_RESULT(a0);
  EXPECT_EQ(Out(a0).ToVector<int32_t>(), (std::vector<int32_t>{4, 1}));
  ExpectError(Op("GatherElements", 13)
                  .Input("x", Iota<int32_t>({3, 2}))
                  .Input("i", I64({1, 2}, {3, 0}))
                  .Output("y")
                  .Run(),
              {"out of range"});
  ExpectError(Op("GatherElements", 13)
                  .Input("x", Iota<int32_t>({3, 2}))
                  .Input("i", I64({2}, {0, 0}))
                  .Output("y")
                  .Run(),
              {"rank"});
}

TEST(GatherNDOp, BatchDimsAndNegative) {
  // data [2, 2, 2], batch_dims 1, indices [2, 1] -> data[b, idx[b]] -> [2, 2].
  auto r = Op("GatherND", 13)
               .Attr("batch_dims", int64_t{1})
               .Input("x", Iota<float>({2, 2, 2}))
               .Input("i", I64({2, 1}, {1, -2}))
               .Output("y")
               .Run();
  ASSERT_OK_RESULT(r);
  EXPECT_EQ(Out(r).shape(), (Shape{2, 2}));
  EXPECT_EQ(Out(r).ToVector<float>(), (std::vector<float>{2, 3, 4, 5}));
  // Full coordinates: one element per tuple.
  auto e = Op("GatherND", 13)
               .Input("x", Iota<float>({2, 3}))
               .Input("i", I64({3, 2}, {1, 2, 0, 0, -1, -3}))
               .Output("y")
               .Run();
  ASSERT_OK_RESULT(e);
  EXPECT_EQ(Out(e).ToVector<float>(), (std::vector<float>{5, 0, 3}));
  ExpectError(Op("GatherND", 13)
                  .Input("x", Iota<float>({2, 3}))
                  .Input("i", I64({1, 3}, {0, 0, 0}))
                  .Output("y")
                  .Run(),
              {"last dim of 'indices'"});
}

// ---------------------------------------------------------------------------------------------
// Scatter family

TEST(ScatterElementsOp, ReductionsWithDuplicates) {
  auto run = [](const char* reduction, int opset) {
    return Op("ScatterElements", opset)
        .Attr("axis", int64_t{1})
        .Attr("reduction", reduction)
        .Input("x", F32({1, 4}, {1, 2, 3, 4}))
        .Input("i", I64({1, 3}, {1, 1, -1}))
        .Input("u", F32({1, 3}, {5, 0.5f, 10}))
        .Output("y")
        .Run();
  };
  auto add = run("add", 16);
  ASSERT_OK_RESULT(add);
  EXPECT_EQ(Out(add).ToVector<float>(), (std::vector<float>{1, 7.5f, 3, 14}));
  auto mul = run("mul", 16);
  ASSERT_OK_RESULT(mul);
  EXPECT_EQ(Out(mul).ToVector<float>(), (std::vector<float>{1, 5, 3, 40}));
  auto mx = run("max", 18);
  ASSERT_OK_RESULT(mx);
  EXPECT_EQ(Out(mx).ToVector<float>(), (std::vector<float>{1, 5, 3, 10}));
  auto mn = run("min", 18);
  ASSERT_OK_RESULT(mn);
  EXPECT_EQ(Out(mn).ToVector<float>(), (std::vector<float>{1, 0.5f, 3, 4}));
  auto none = run("none", 16);
  ASSERT_OK_RESULT(none);
  EXPECT_EQ(Out(none).ToVector<float>(), (std::vector<float>{1, 0.5f, 3, 10}));
  ExpectError(run("max", 16), {"'reduction'"});
  ExpectError(run("avg", 18), {"'reduction'"});
}

TEST(ScatterElementsOp, StringsAndDeprecatedScatter) {
  auto s = Op("ScatterElements", 13)
               .Input("x", Make<std::string>({3}, {"a", "b", "c"}))
               .Input("i", I64({1}, {2}))
               .Input("u", Make<std::string>({1}, {"z"}))
               .Output("y")
               .Run();
  ASSERT_OK_RESULT(s);
  EXPECT_EQ(Out(s).ToVector<std::string>(), (std::vector<std::string>{"a", "b", "z"}));
  auto old = Op("Scatter", 10)
                 .Input("x", Iota<float>({2, 2}))
                 .Input("i", I64({1, 2}, {1, 0}))
                 .Input("u", F32({1, 2}, {9, 8}))
                 .Output("y")
                 .Run();
  ASSERT_OK_RESULT(old);
  EXPECT_EQ(Out(old).ToVector<float>(), (std::vector<float>{0, 8, 9, 3}));
  ExpectError(Op("ScatterElements", 13)
                  .Input("x", Iota<float>({3}))
                  .Input("i", I64({1}, {-4}))
                  .Input("u", F32({1}, {1}))
                  .Output("y")
                  .Run(),
              {"out of range"});
  ExpectError(Op("ScatterElements", 13)
                  .Input("x", Iota<float>({3}))
                  .Input("i", I64({1}, {0}))
                  .Input("u", F32({2}, {1, 2}))
                  .Output("y")
                  .Run(),
              {"'updates'"});
}

TEST(ScatterNDOp, SlicesReductionsAndErrors) {
  // Replace row 1 of a [3, 2] int tensor, then multiply row -1 twice.
  auto r = Op("ScatterND", 13)
               .Input("x", Iota<int64_t>({3, 2}))
               .Input("i", I64({1, 1}, {1}))
               .Input("u", I64({1, 2}, {7, 8}))
               .Output("y")
               .Run();
  ASSERT_OK_RESULT(r);
  EXPECT_EQ(Out(r).ToVector<int64_t>(), (std::vector<int64_t>{0, 1, 7, 8, 4, 5}));
  auto m = Op("ScatterND", 16)
               .Attr("reduction", "mul")
               .Input("x", Iota<int64_t>({3, 2}))
               .Input("i", I64({2, 1}, {-1, 2}))
               .Input("u", I64({2, 2}, {2, 3, 10, 10}))
               .Output("y")
               .Run();
  ASSERT_OK_RESULT(m);
  EXPECT_EQ(Out(m).ToVector<int64_t>(), (std::vector<int64_t>{0, 1, 2, 3, 80, 150}));
  ExpectError(Op("ScatterND", 13)
                  .Input("x", Iota<int64_t>({3, 2}))
                  .Input("i", I64({1, 1}, {1}))
                  .Input("u", I64({1, 3}, {7, 8, 9}))
                  .Output("y")
                  .Run(),
              {"'updates'"});
  ExpectError(Op("ScatterND", 13)
                  .Input("x", Iota<int64_t>({3, 2}))
                  .Input("i", I64({1, 1}, {3}))
                  .Input("u", I64({1, 2}, {7, 8}))
                  .Output("y")
                  .Run(),
              {"out of range"});
}

// ---------------------------------------------------------------------------------------------
// Expand / Tile

TEST(ExpandOp, BidirectionalBroadcast) {
  // Input [3, 1] with shape [2, 1, 4]: the 1 in shape keeps 3 -> [2, 3, 4].
  auto r = Op("Expand", 13)
               .Input("x", Iota<int32_t>({3, 1}))
               .Input("s", I64({3}, {2, 1, 4}))
               .Output("y")
               .Run();
  ASSERT_OK_RESULT(r);
  EXPECT_EQ(Out(r).shape(), (Shape{2, 3, 4}));
  std::vector<int32_t> want;
  for (int b = 0; b < 2; ++b)
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 4; ++j) want.push_back(i);
  EXPECT_EQ(Out(r).ToVector<int32_t>(), want);
  auto s = Op("Expand", 13)
               .Input("x", Make<std::string>({2}, {"p", "q"}))
               .Input("s", I64({2}, {2, 1}))
               .Output("y")
               .Run();
  ASSERT_OK_RESULT(s);
  EXPECT_EQ(Out(s).ToVector<std::string>(), (std::vector<std::string>{"p", "q", "p", "q"}));
  auto e = Op("Expand", 13)
               .Input("x", Iota<float>({1, 3}))
               .Input("s", I64({2}, {0, 1}))
               .Output("y")
               .Run();
  ASSERT_OK_RESULT(e);
  EXPECT_EQ(Out(e).shape(), (Shape{0, 3}));
  ExpectError(
      Op("Expand", 13).Input("x", Iota<float>({3})).Input("s", I64({1}, {2})).Output("y").Run(),
      {"cannot be broadcast"});
}

TEST(TileOp, RepeatsZeroStringsAndErrors) {
  auto r =
      Op("Tile", 13).Input("x", Iota<float>({2, 2})).Input("r", I64({2}, {2, 3})).Output("y").Run();
  ASSERT_OK_RESULT(r);
  ASSERT_EQ(Out(r).shape(), (Shape{4, 6}));
  std::vector<float> want;
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 6; ++j) want.push_back(static_cast<float>((i % 2) * 2 + j % 2));
  EXPECT_EQ(Out(r).ToVector<float>(), want);
  auto s = Op("Tile", 13)
               .Input("x", Make<std::string>({2}, {"a", "b"}))
               .Input("r", I64({1}, {2}))
               .Output("y")
               .Run();
  ASSERT_OK_RESULT(s);
  EXPECT_EQ(Out(s).ToVector<std::string>(), (std::vector<std::string>{"a", "b", "a", "b"}));
  auto z =
      Op("Tile", 13).Input("x", Iota<float>({2, 2})).Input("r", I64({2}, {0, 3})).Output("y").Run();
  ASSERT_OK_RESULT(z);
  EXPECT_EQ(Out(z).shape(), (Shape{0, 6}));
  ExpectError(
      Op("Tile", 13).Input("x", Iota<float>({2, 2})).Input("r", I64({1}, {2})).Output("y").Run(),
      {"'repeats'"});
  ExpectError(
      Op("Tile", 13).Input("x", Iota<float>({2})).Input("r", I64({1}, {-1})).Output("y").Run(),
      {"negative"});
}

// ---------------------------------------------------------------------------------------------
// Pad

// Naive pad of a 1-D row [1, 2, 3] by (pb, pe) in each mode.
TEST(PadOp, ModesOn1D) {
  auto run = [](const char* mode, int64_t pb, int64_t pe, int opset = 19) {
    auto r = Op("Pad", opset)
                 .Attr("mode", mode)
                 .Input("x", F32({3}, {1, 2, 3}))
                 .Input("p", I64({2}, {pb, pe}))
                 .Output("y")
                 .Run();
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? Out(r).ToVector<float>() : std::vector<float>{};
  };
  EXPECT_EQ(run("constant", 2, 1), (std::vector<float>{0, 0, 1, 2, 3, 0}));
  EXPECT_EQ(run("edge", 2, 2), (std::vector<float>{1, 1, 1, 2, 3, 3, 3}));
  EXPECT_EQ(run("reflect", 2, 2), (std::vector<float>{3, 2, 1, 2, 3, 2, 1}));
  // Longer than the dim: numpy's reflect repeats the mirror periodically.
  EXPECT_EQ(run("reflect", 5, 0), (std::vector<float>{2, 1, 2, 3, 2, 1, 2, 3}));
  EXPECT_EQ(run("wrap", 4, 2), (std::vector<float>{3, 1, 2, 3, 1, 2, 3, 1, 2}));
  // Negative pads crop.
  EXPECT_EQ(run("constant", -1, 1), (std::vector<float>{2, 3, 0}));
  EXPECT_EQ(run("edge", -2, 1), (std::vector<float>{3, 3}));
}

TEST(PadOp, ConstantValueAxesAnd2D) {
  // [2, 2] padded on axis -1 only (opset 18 axes input) with 9.
  auto r = Op("Pad", 18)
               .Input("x", Iota<int32_t>({2, 2}))
               .Input("p", I64({2}, {1, 2}))
               .Input("c", Make<int32_t>({}, {9}))
               .Input("a", I64({1}, {-1}))
               .Output("y")
               .Run();
  ASSERT_OK_RESULT(r);
  EXPECT_EQ(Out(r).shape(), (Shape{2, 5}));
  EXPECT_EQ(Out(r).ToVector<int32_t>(), (std::vector<int32_t>{9, 0, 1, 9, 9, 9, 2, 3, 9, 9}));
  // Reflect on both dims of [2, 3] by 1: naive index mirror per dim.
  auto refl = Op("Pad", 13)
                  .Attr("mode", "reflect")
                  .Input("x", Iota<float>({2, 3}))
                  .Input("p", I64({4}, {1, 1, 1, 1}))
                  .Output("y")
                  .Run();
  ASSERT_OK_RESULT(refl);
  ASSERT_EQ(Out(refl).shape(), (Shape{4, 5}));
  auto mirror = [](int64_t c, int64_t n) { return c < 0 ? -c : (c >= n ? 2 * (n - 1) - c : c); };
  std::vector<float> want;
  for (int64_t i = 0; i < 4; ++i)
    for (int64_t j = 0; j < 5; ++j)
      want.push_back(static_cast<float>(mirror(i - 1, 2) * 3 + mirror(j - 1, 3)));
  EXPECT_EQ(Out(refl).ToVector<float>(), want);
}

TEST(PadOp, OldAttributesStringsAndErrors) {
  auto v2 = Op("Pad", 2)
                .Attr("pads", std::vector<int64_t>{0, 1, 0, 0})
                .Attr("value", 1.5f)
                .Input("x", Iota<float>({1, 2}))
                .Output("y")
                .Run();
  ASSERT_OK_RESULT(v2);
  EXPECT_EQ(Out(v2).ToVector<float>(), (std::vector<float>{1.5f, 0, 1}));
  auto v1 = Op("Pad", 1)
                .Attr("paddings", std::vector<int64_t>{1, 0})
                .Attr("value", 2.0f)
                .Input("x", Make<double>({1}, {5}))
                .Output("y")
                .Run();
  ASSERT_OK_RESULT(v1);
  EXPECT_EQ(Out(v1).ToVector<double>(), (std::vector<double>{2, 5}));
  auto s = Op("Pad", 13)
               .Attr("mode", "edge")
               .Input("x", Make<std::string>({2}, {"l", "r"}))
               .Input("p", I64({2}, {1, 1}))
               .Output("y")
               .Run();
  ASSERT_OK_RESULT(s);
  EXPECT_EQ(Out(s).ToVector<std::string>(), (std::vector<std::string>{"l", "l", "r", "r"}));
  auto empty = Op("Pad", 13)
                   .Input("x", Empty(DataType::kFloat, {0, 2}))
                   .Input("p", I64({4}, {1, 0, 0, 0}))
                   .Output("y")
                   .Run();
  ASSERT_OK_RESULT(empty);
  EXPECT_EQ(Out(empty).ToVector<float>(), (std::vector<float>{0, 0}));

  auto wrap18 = Op("Pad", 18)
                    .Attr("mode", "wrap")
                    .Input("x", Iota<float>({2}))
                    .Input("p", I64({2}, {1, 1}))
                    .Output("y")
                    .Load();
  ASSERT_FALSE(wrap18.ok());
  EXPECT_NE(wrap18.status().message().find("'mode'"), std::string::npos);
  ExpectError(Op("Pad", 13)
                  .Attr("mode", "reflect")
                  .Input("x", Empty(DataType::kFloat, {0}))
                  .Input("p", I64({2}, {1, 1}))
                  .Output("y")
                  .Run(),
              {"empty dim"});
  ExpectError(
      Op("Pad", 13).Input("x", Iota<float>({2, 2})).Input("p", I64({2}, {1, 1})).Output("y").Run(),
      {"must have 4 entries"});
  ExpectError(
      Op("Pad", 13).Input("x", Iota<float>({2})).Input("p", I64({2}, {-2, -1})).Output("y").Run(),
      {"crop more"});
}

// ---------------------------------------------------------------------------------------------
// DepthToSpace / SpaceToDepth / CenterCropPad

TEST(DepthToSpaceOp, DcrCrdAndInverse) {
  // [1, 4, 1, 1] with blocksize 2: DCR puts channel (bh*2+bw) at (bh, bw).
  auto dcr = Op("DepthToSpace", 13)
                 .Attr("blocksize", int64_t{2})
                 .Input("x", Iota<float>({1, 8, 1, 1}))
                 .Output("y")
                 .Run();
  ASSERT_OK_RESULT(dcr);
  EXPECT_EQ(Out(dcr).shape(), (Shape{1, 2, 2, 2}));
  // Output channel c at (bh, bw) = input channel (bh*2+bw)*2 + c.
  EXPECT_EQ(Out(dcr).ToVector<float>(), (std::vector<float>{0, 2, 4, 6, 1, 3, 5, 7}));
  auto crd = Op("DepthToSpace", 13)
                 .Attr("blocksize", int64_t{2})
                 .Attr("mode", "CRD")
                 .Input("x", Iota<float>({1, 8, 1, 1}))
                 .Output("y")
                 .Run();
  ASSERT_OK_RESULT(crd);
  // CRD: input channel c*4 + bh*2 + bw.
  EXPECT_EQ(Out(crd).ToVector<float>(), (std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7}));
  // SpaceToDepth undoes DCR DepthToSpace.
  Tensor x = Iota<int16_t>({2, 3, 4, 6});
  auto s2d = Op("SpaceToDepth", 13).Attr("blocksize", int64_t{2}).Input("x", x).Output("y").Run();
  ASSERT_OK_RESULT(s2d);
  EXPECT_EQ(Out(s2d).shape(), (Shape{2, 12, 2, 3}));
  auto back =
      Op("DepthToSpace", 13).Attr("blocksize", int64_t{2}).Input("x", Out(s2d)).Output("y").Run();
  ASSERT_OK_RESULT(back);
  EXPECT_EQ(Out(back).ToVector<int16_t>(), x.ToVector<int16_t>());
  ExpectError(Op("DepthToSpace", 13)
                  .Attr("blocksize", int64_t{2})
                  .Input("x", Iota<float>({1, 6, 1, 1}))
                  .Output("y")
                  .Run(),
              {"not divisible"});
  auto bad = Op("DepthToSpace", 13)
                 .Attr("blocksize", int64_t{2})
                 .Attr("mode", "XYZ")
                 .Input("x", Iota<float>({1, 4, 1, 1}))
                 .Output("y")
                 .Load();
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'mode'"), std::string::npos);
}

TEST(CenterCropPadOp, CropPadAndAxes) {
  // [5, 2] -> [2, 5]: rows 1..2 (crop start (5-2)/2 = 1), columns padded by (5-2)/2 = 1 before.
  auto r = Op("CenterCropPad", 18)
               .Input("x", Iota<float>({5, 2}))
               .Input("s", I64({2}, {2, 5}))
               .Output("y")
               .Run();
  ASSERT_OK_RESULT(r);
  EXPECT_EQ(Out(r).shape(), (Shape{2, 5}));
  EXPECT_EQ(Out(r).ToVector<float>(), (std::vector<float>{0, 2, 3, 0, 0, 0, 4, 5, 0, 0}));
  auto ax = Op("CenterCropPad", 18)
                .Attr("axes", std::vector<int64_t>{-1})
                .Input("x", Iota<int32_t>({2, 4}))
                .Input("s", I64({1}, {1}))
                .Output("y")
                .Run();
  ASSERT_OK_RESULT(ax);
  EXPECT_EQ(Out(ax).ToVector<int32_t>(), (std::vector<int32_t>{1, 5}));
  ExpectError(Op("CenterCropPad", 18)
                  .Input("x", Iota<float>({5, 2}))
                  .Input("s", I64({1}, {2}))
                  .Output("y")
                  .Run(),
              {"'shape'"});
}

// ---------------------------------------------------------------------------------------------
// Compress / OneHot / Range / Trilu / EyeLike / NonZero / ReverseSequence / ConstantOfShape

TEST(CompressOp, AxisShortConditionAndFlattened) {
  auto r = Op("Compress", 11)
               .Attr("axis", int64_t{-1})
               .Input("x", Iota<float>({2, 3}))
               .Input("c", Make<bool>({2}, {false, true}))
               .Output("y")
               .Run();
  ASSERT_OK_RESULT(r);
  EXPECT_EQ(Out(r).shape(), (Shape{2, 1}));
  EXPECT_EQ(Out(r).ToVector<float>(), (std::vector<float>{1, 4}));
  auto flat = Op("Compress", 11)
                  .Input("x", Make<std::string>({2, 2}, {"a", "b", "c", "d"}))
                  .Input("c", Make<bool>({4}, {true, false, false, true}))
                  .Output("y")
                  .Run();
  ASSERT_OK_RESULT(flat);
  EXPECT_EQ(Out(flat).ToVector<std::string>(), (std::vector<std::string>{"a", "d"}));
  ExpectError(Op("Compress", 11)
                  .Attr("axis", int64_t{0})
                  .Input("x", Iota<float>({2, 3}))
                  .Input("c", Make<bool>({3}, {false, false, true}))
                  .Output("y")
                  .Run(),
              {"'condition'", "index 2"});
}

TEST(OneHotOp, AxisNegativeAndOutOfRangeIndices) {
  // indices [1, -1, 5] depth 3 on axis 0 -> [3, 3]; 5 is out of range (all off).
  auto r = Op("OneHot", 11)
               .Attr("axis", int64_t{0})
               .Input("i", I64({3}, {1, -1, 5}))
               .Input("d", Make<float>({}, {3}))
               .Input("v", F32({2}, {-1, 7}))
               .Output("y")
               .Run();
  ASSERT_OK_RESULT(r);
  EXPECT_EQ(Out(r).shape(), (Shape{3, 3}));
  // out[j][i] = (j == norm(idx[i])) ? 7 : -1.
  EXPECT_EQ(Out(r).ToVector<float>(), (std::vector<float>{-1, -1, -1, 7, -1, -1, -1, 7, -1}));
  auto last = Op("OneHot", 11)
                  .Input("i", F32({2}, {0.0f, 2.7f}))
                  .Input("d", I64({1}, {3}))
                  .Input("v", I64({2}, {0, 1}))
                  .Output("y")
                  .Run();
  ASSERT_OK_RESULT(last);
  EXPECT_EQ(Out(last).ToVector<int64_t>(), (std::vector<int64_t>{1, 0, 0, 0, 0, 1}));
  ExpectError(Op("OneHot", 11)
                  .Input("i", I64({1}, {0}))
                  .Input("d", I64({}, {0}))
                  .Input("v", I64({2}, {0, 1}))
                  .Output("y")
                  .Run(),
              {"'depth'"});
}

TEST(RangeOp, FloatIntEmptyAndZeroDelta) {
  auto f = Op("Range", 11)
               .Input("s", Make<float>({}, {1}))
               .Input("l", Make<float>({}, {-1}))
               .Input("d", Make<float>({}, {-0.5f}))
               .Output("y")
               .Run();
  ASSERT_OK_RESULT(f);
  EXPECT_EQ(Out(f).ToVector<float>(), (std::vector<float>{1, 0.5f, 0, -0.5f}));
  auto i = Op("Range", 11)
               .Input("s", Make<int32_t>({}, {0}))
               .Input("l", Make<int32_t>({}, {10}))
               .Input("d", Make<int32_t>({}, {3}))
               .Output("y")
               .Run();
  ASSERT_OK_RESULT(i);
  EXPECT_EQ(Out(i).ToVector<int32_t>(), (std::vector<int32_t>{0, 3, 6, 9}));
  auto e = Op("Range", 11)
               .Input("s", Make<int64_t>({}, {5}))
               .Input("l", Make<int64_t>({}, {1}))
               .Input("d", Make<int64_t>({}, {1}))
               .Output("y")
               .Run();
  ASSERT_OK_RESULT(e);
  EXPECT_EQ(Out(e).shape(), (Shape{0}));
  ExpectError(Op("Range", 11)
                  .Input("s", Make<int64_t>({}, {0}))
                  .Input("l", Make<int64_t>({}, {1}))
                  .Input("d", Make<int64_t>({}, {0}))
                  .Output("y")
                  .Run(),
              {"'delta'"});
}

TEST(TriluOp, UpperLowerWithKAndBatch) {
  Tensor x = Iota<int32_t>({2, 3, 4});
  auto check = [&](int64_t upper, int64_t k) {
    auto r = Op("Trilu", 14)
                 .Attr("upper", upper)
                 .Input("x", x)
                 .Input("k", I64({}, {k}))
                 .Output("y")
                 .Run();
    ASSERT_OK_RESULT(r);
    std::vector<int32_t> want;
    for (int b = 0; b < 2; ++b)
      for (int64_t i = 0; i < 3; ++i)
        for (int64_t j = 0; j < 4; ++j) {
          const bool keep = upper ? j - i >= k : j - i <= k;
          want.push_back(keep ? static_cast<int32_t>(b * 12 + i * 4 + j) : 0);
        }
    EXPECT_EQ(Out(r).ToVector<int32_t>(), want) << "upper " << upper << " k " << k;
  };
  for (int64_t k : {-4, -1, 0, 2, 5}) {
    check(1, k);
    check(0, k);
  }
  auto extreme = Op("Trilu", 14)
                     .Input("x", x)
                     .Input("k", I64({}, {std::numeric_limits<int64_t>::max()}))
                     .Output("y")
                     .Run();
  ASSERT_OK_RESULT(extreme);
  EXPECT_EQ(Out(extreme).ToVector<int32_t>(), std::vector<int32_t>(24, 0));
}

TEST(EyeLikeOp, OffDiagonalAndDtype) {
  auto r = Op("EyeLike", 9)
               .Attr("k", int64_t{1})
               .Attr("dtype", int64_t{7})  // int64
               .Input("x", Iota<float>({2, 3}))
               .Output("y")
               .Run();
  ASSERT_OK_RESULT(r);
  EXPECT_EQ(Out(r).dtype(), DataType::kInt64);
  EXPECT_EQ(Out(r).ToVector<int64_t>(), (std::vector<int64_t>{0, 1, 0, 0, 0, 1}));
  auto b =
      Op("EyeLike", 9).Attr("k", int64_t{-1}).Input("x", Make<bool>({3, 2}, {})).Output("y").Run();
  ASSERT_OK_RESULT(b);
  EXPECT_EQ(Out(b).ToVector<bool>(), (std::vector<bool>{false, false, true, false, false, true}));
  ExpectError(Op("EyeLike", 9).Input("x", Iota<float>({3})).Output("y").Run(), {"2-D"});
}

TEST(NonZeroOp, CoordinatesInRowMajorOrder) {
  auto r = Op("NonZero", 13).Input("x", F32({2, 3}, {0, 1, 0, -2, 0, 3})).Output("y").Run();
  ASSERT_OK_RESULT(r);
  EXPECT_EQ(Out(r).shape(), (Shape{2, 3}));
  EXPECT_EQ(Out(r).ToVector<int64_t>(), (std::vector<int64_t>{0, 1, 1, 1, 0, 2}));
  auto none = Op("NonZero", 13).Input("x", Empty(DataType::kInt32, {2, 2})).Output("y").Run();
  ASSERT_OK_RESULT(none);
  EXPECT_EQ(Out(none).shape(), (Shape{2, 0}));
  auto s = Op("NonZero", 13).Input("x", Make<std::string>({3}, {"", "a", ""})).Output("y").Run();
  ASSERT_OK_RESULT(s);
  EXPECT_EQ(Out(s).ToVector<int64_t>(), std::vector<int64_t>{1});
}

TEST(ReverseSequenceOp, BatchMajorAndErrors) {
  // batch_axis 0, time_axis 1: [2 batches, 4 steps, 1].
  auto r = Op("ReverseSequence", 10)
               .Attr("batch_axis", int64_t{0})
               .Attr("time_axis", int64_t{1})
               .Input("x", Iota<float>({2, 4, 1}))
               .Input("l", I64({2}, {3, 0}))
               .Output("y")
               .Run();
  ASSERT_OK_RESULT(r);
  EXPECT_EQ(Out(r).ToVector<float>(), (std::vector<float>{2, 1, 0, 3, 4, 5, 6, 7}));
  // Default time-major: [3 steps, 2 batches].
  auto t = Op("ReverseSequence", 10)
               .Input("x", Iota<int64_t>({3, 2}))
               .Input("l", I64({2}, {2, 3}))
               .Output("y")
               .Run();
  ASSERT_OK_RESULT(t);
  EXPECT_EQ(Out(t).ToVector<int64_t>(), (std::vector<int64_t>{2, 5, 0, 3, 4, 1}));
  ExpectError(Op("ReverseSequence", 10)
                  .Input("x", Iota<int64_t>({3, 2}))
                  .Input("l", I64({2}, {4, 1}))
                  .Output("y")
                  .Run(),
              {"sequence length 4"});
  auto bad = Op("ReverseSequence", 10)
                 .Attr("batch_axis", int64_t{0})
                 .Input("x", Iota<int64_t>({3, 2}))
                 .Input("l", I64({2}, {1, 1}))
                 .Output("y")
                 .Load();
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'batch_axis'"), std::string::npos);
}

TEST(ConstantOfShapeOp, ScalarTypedValueAndZeroDims) {
  auto sc = Op("ConstantOfShape", 9).Input("s", I64({0}, {})).Output("y").Run();
  ASSERT_OK_RESULT(sc);
  EXPECT_EQ(Out(sc).shape(), Shape{});
  EXPECT_EQ(Out(sc).dtype(), DataType::kFloat);
  EXPECT_EQ(Out(sc).ToVector<float>(), std::vector<float>{0});
  auto iv = Op("ConstantOfShape", 9)
                .Attr("value", Make<int64_t>({1}, {-3}))
                .Input("s", I64({2}, {2, 2}))
                .Output("y")
                .Run();
  ASSERT_OK_RESULT(iv);
  EXPECT_EQ(Out(iv).ToVector<int64_t>(), std::vector<int64_t>(4, -3));
  auto z = Op("ConstantOfShape", 9).Input("s", I64({2}, {3, 0})).Output("y").Run();
  ASSERT_OK_RESULT(z);
  EXPECT_EQ(Out(z).shape(), (Shape{3, 0}));
  ExpectError(Op("ConstantOfShape", 9).Input("s", I64({1}, {-1})).Output("y").Run(), {"negative"});
}

// ---------------------------------------------------------------------------------------------
// Unique / TopK / CumSum / Dropout

TEST(UniqueOp, UnsortedAllOutputs) {
  auto r = Op("Unique", 11)
               .Attr("sorted", int64_t{0})
               .Input("x", F32({6}, {2, 1, 1, 3, 4, 3}))
               .Output("y")
               .Output("i")
               .Output("inv")
               .Output("c")
               .Run();
  ASSERT_OK_RESULT(r);
  EXPECT_EQ(Out(r, 0).ToVector<float>(), (std::vector<float>{2, 1, 3, 4}));
  EXPECT_EQ(Out(r, 1).ToVector<int64_t>(), (std::vector<int64_t>{0, 1, 3, 4}));
  EXPECT_EQ(Out(r, 2).ToVector<int64_t>(), (std::vector<int64_t>{0, 1, 1, 2, 3, 2}));
  EXPECT_EQ(Out(r, 3).ToVector<int64_t>(), (std::vector<int64_t>{1, 2, 2, 1}));
}

TEST(UniqueOp, SortedAxisOneAndStrings) {
  // Columns of [[1, 0, 1], [2, 5, 2]]: (1,2) twice and (0,5) once; sorted -> (0,5), (1,2).
  auto r = Op("Unique", 11)
               .Attr("axis", int64_t{-1})
               .Input("x", Make<int32_t>({2, 3}, {1, 0, 1, 2, 5, 2}))
               .Output("y")
               .Output("i")
               .Output("inv")
               .Output("c")
               .Run();
  ASSERT_OK_RESULT(r);
  EXPECT_EQ(Out(r, 0).shape(), (Shape{2, 2}));
  EXPECT_EQ(Out(r, 0).ToVector<int32_t>(), (std::vector<int32_t>{0, 1, 5, 2}));
  EXPECT_EQ(Out(r, 1).ToVector<int64_t>(), (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(Out(r, 2).ToVector<int64_t>(), (std::vector<int64_t>{1, 0, 1}));
  EXPECT_EQ(Out(r, 3).ToVector<int64_t>(), (std::vector<int64_t>{1, 2}));
  auto s =
      Op("Unique", 11).Input("x", Make<std::string>({4}, {"b", "a", "b", "c"})).Output("y").Run();
  ASSERT_OK_RESULT(s);
  EXPECT_EQ(Out(s).ToVector<std::string>(), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(TopKOp, TiesKeepLowerIndexFirst) {
  auto run = [](int64_t largest) {
    return Op("TopK", 11)
        .Attr("largest", largest)
        .Input("x", F32({6}, {1, 3, 3, 0, 1, 3}))
        .Input("k", I64({1}, {4}))
        .Output("v")
        .Output("i")
        .Run();
  };
  auto big = run(1);
  ASSERT_OK_RESULT(big);
  EXPECT_EQ(Out(big, 0).ToVector<float>(), (std::vector<float>{3, 3, 3, 1}));
  EXPECT_EQ(Out(big, 1).ToVector<int64_t>(), (std::vector<int64_t>{1, 2, 5, 0}));
  auto small = run(0);
  ASSERT_OK_RESULT(small);
  EXPECT_EQ(Out(small, 0).ToVector<float>(), (std::vector<float>{0, 1, 1, 3}));
  EXPECT_EQ(Out(small, 1).ToVector<int64_t>(), (std::vector<int64_t>{3, 0, 4, 1}));
}

TEST(TopKOp, AxisZeroOpset1KZeroAndErrors) {
  // [3, 2] along axis 0, k=2: column 0 = {0, 2, 4}, column 1 = {1, 3, 5} (as int32).
  auto r = Op("TopK", 1)
               .Attr("k", int64_t{2})
               .Attr("axis", int64_t{0})
               .Input("x", Iota<int32_t>({3, 2}))
               .Output("v")
               .Output("i")
               .Run();
  ASSERT_OK_RESULT(r);
  EXPECT_EQ(Out(r, 0).ToVector<int32_t>(), (std::vector<int32_t>{4, 5, 2, 3}));
  EXPECT_EQ(Out(r, 1).ToVector<int64_t>(), (std::vector<int64_t>{2, 2, 1, 1}));
  auto z = Op("TopK", 11)
               .Input("x", Iota<float>({2, 3}))
               .Input("k", I64({1}, {0}))
               .Output("v")
               .Output("i")
               .Run();
  ASSERT_OK_RESULT(z);
  EXPECT_EQ(Out(z, 0).shape(), (Shape{2, 0}));
  ExpectError(Op("TopK", 11)
                  .Input("x", Iota<float>({2, 3}))
                  .Input("k", I64({1}, {4}))
                  .Output("v")
                  .Output("i")
                  .Run(),
              {"k = 4"});
}

TEST(TopKOp, NaNIsLargest) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  auto r = Op("TopK", 11)
               .Input("x", F32({4}, {1, nan, 5, 2}))
               .Input("k", I64({1}, {2}))
               .Output("v")
               .Output("i")
               .Run();
  ASSERT_OK_RESULT(r);
  EXPECT_EQ(Out(r, 1).ToVector<int64_t>(), (std::vector<int64_t>{1, 2}));
}

TEST(CumSumOp, ExclusiveReverseAxes) {
  Tensor x = F32({2, 3}, {1, 2, 3, 4, 5, 6});
  auto run = [&](int64_t axis, int64_t exclusive, int64_t reverse) {
    auto r = Op("CumSum", 14)
                 .Attr("exclusive", exclusive)
                 .Attr("reverse", reverse)
                 .Input("x", x)
                 .Input("a", Make<int32_t>({}, {static_cast<int32_t>(axis)}))
                 .Output("y")
                 .Run();
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? Out(r).ToVector<float>() : std::vector<float>{};
  };
  EXPECT_EQ(run(1, 0, 0), (std::vector<float>{1, 3, 6, 4, 9, 15}));
  EXPECT_EQ(run(-1, 1, 0), (std::vector<float>{0, 1, 3, 0, 4, 9}));
  EXPECT_EQ(run(1, 0, 1), (std::vector<float>{6, 5, 3, 15, 11, 6}));
  EXPECT_EQ(run(1, 1, 1), (std::vector<float>{5, 3, 0, 11, 6, 0}));
  EXPECT_EQ(run(0, 0, 0), (std::vector<float>{1, 2, 3, 5, 7, 9}));
  EXPECT_EQ(run(-2, 1, 1), (std::vector<float>{4, 5, 6, 0, 0, 0}));
  ExpectError(Op("CumSum", 14).Input("x", x).Input("a", I64({}, {2})).Output("y").Run(),
              {"out of range"});
}

TEST(DropoutOp, InferenceSharesInputAndMaskIsTrue) {
  Tensor x = F32({2, 2}, {1, -2, 3, -4});
  auto r = Op("Dropout", 13).Input("x", x).Output("y").Output("m").Run();
  ASSERT_OK_RESULT(r);
  EXPECT_EQ(Out(r, 0).raw_data(), x.raw_data());
  EXPECT_EQ(Out(r, 1).ToVector<bool>(), std::vector<bool>(4, true));
  // Training with ratio 0 is the identity too.
  auto z = Op("Dropout", 13)
               .Input("x", x)
               .Input("r", Make<float>({}, {0}))
               .Input("t", Make<bool>({}, {true}))
               .Output("y")
               .Output("m")
               .Run();
  ASSERT_OK_RESULT(z);
  EXPECT_EQ(Out(z, 0).ToVector<float>(), x.ToVector<float>());
  EXPECT_EQ(Out(z, 1).ToVector<bool>(), std::vector<bool>(4, true));
  // Opset 7: the mask has the data's type.
  auto old = Op("Dropout", 7).Input("x", x).Output("y").Output("m").Run();
  ASSERT_OK_RESULT(old);
  EXPECT_EQ(Out(old, 1).ToVector<float>(), std::vector<float>(4, 1));
}

TEST(DropoutOp, SeededTrainingMatchesNumpy) {
  // numpy: np.random.seed(0); np.random.uniform(size=5) =
  //   [0.5488135, 0.71518937, 0.60276338, 0.54488318, 0.4236548]; keep where >= 0.5.
  auto r = Op("Dropout", 13)
               .Attr("seed", int64_t{0})
               .Input("x", F32({5}, {1, 1, 1, 1, 1}))
               .Input("r", Make<float>({}, {0.5f}))
               .Input("t", Make<bool>({}, {true}))
               .Output("y")
               .Output("m")
               .Run();
  ASSERT_OK_RESULT(r);
  EXPECT_EQ(Out(r, 0).ToVector<float>(), (std::vector<float>{2, 2, 2, 2, 0}));
  EXPECT_EQ(Out(r, 1).ToVector<bool>(), (std::vector<bool>{true, true, true, true, false}));
  ExpectError(Op("Dropout", 13)
                  .Input("x", F32({1}, {1}))
                  .Input("r", Make<float>({}, {1.0f}))
                  .Input("t", Make<bool>({}, {true}))
                  .Output("y")
                  .Run(),
              {"'ratio'"});
}

}  // namespace
}  // namespace onnxedge
