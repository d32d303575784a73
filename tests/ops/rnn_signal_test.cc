// Copyright onnxedge authors.
// Tests of the recurrent (RNN, GRU, LSTM), signal (DFT, STFT, MelWeightMatrix, windows), text
// (StringNormalizer, TfIdfVectorizer) and random ops. Expected values come from naive
// reference formulas written here (per-element loops in double, straight from the ONNX
// equations) or from hand computation.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <functional>
#include <map>
#include <random>
#include <set>

#include "ops/op_test_util.h"

namespace onnxedge {
namespace {

using testing::OpTest;

constexpr double kPi = 3.14159265358979323846;

std::vector<float> RandomFloats(size_t n, uint32_t seed, float lo = -1.f, float hi = 1.f) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(gen);
  return v;
}

template <typename T>
std::vector<double> AsDoubles(const Tensor& t) {
  std::vector<double> out;
  for (const T& v : t.ToVector<T>()) out.push_back(static_cast<double>(static_cast<float>(v)));
  return out;
}

std::vector<double> ToDoubles(const Tensor& t) {
  switch (t.dtype()) {
    case DataType::kFloat:
      return AsDoubles<float>(t);
    case DataType::kFloat16:
      return AsDoubles<Float16>(t);
    case DataType::kDouble: {
      auto v = t.ToVector<double>();
      return std::vector<double>(v.begin(), v.end());
    }
    default:
      ADD_FAILURE() << "unexpected type";
      return {};
  }
}

void ExpectNear(const std::vector<double>& got, const std::vector<double>& want, double tol,
                const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_NEAR(got[i], want[i], tol * (1 + std::abs(want[i]))) << what << " element " << i;
  }
}

bool Contains(const Status& s, const std::string& text) {
  return s.message().find(text) != std::string::npos;
}

// =============================================================================================
// Recurrent ops: a naive reference (per batch entry, per step, per unit dot products).

double RefActivation(const std::string& name, double x, double alpha, double beta) {
  if (name == "Sigmoid") return 1.0 / (1.0 + std::exp(-x));
  if (name == "Tanh") return std::tanh(x);
  if (name == "Relu") return std::max(x, 0.0);
  if (name == "Affine") return alpha * x + beta;
  if (name == "LeakyRelu") return x >= 0 ? x : alpha * x;
  if (name == "ThresholdedRelu") return x > alpha ? x : 0.0;
  if (name == "ScaledTanh") return alpha * std::tanh(beta * x);
  if (name == "HardSigmoid") return std::min(std::max(alpha * x + beta, 0.0), 1.0);
  if (name == "Elu") return x >= 0 ? x : alpha * (std::exp(x) - 1);
  if (name == "Softsign") return x / (1 + std::abs(x));
  if (name == "Softplus") return std::log(1 + std::exp(x));
  ADD_FAILURE() << "unknown activation " << name;
  return 0;
}

struct Act {
  std::string name;
  double alpha = 0, beta = 0;
};

struct RecurrentCase {
  std::string op;  // RNN, GRU, LSTM
  int64_t seq = 1, batch = 1, input = 1, hidden = 1;
  std::string direction = "forward";
  std::vector<Act> acts;  // per direction * dirs, with their alpha/beta
  bool set_activations = false;
  float clip = 0;  // 0: no clip
  bool linear_before_reset = false, input_forget = false;
  int64_t layout = 0;
  bool constant_weights = false;
  bool with_b = false, with_lens = false, with_h0 = false, with_c0 = false, with_p = false;
  std::vector<int32_t> lens;
  // Layout-0 data.
  std::vector<float> x, w, r, b, h0, c0, p;

  int dirs() const { return direction == "bidirectional" ? 2 : 1; }
  int gates() const { return op == "LSTM" ? 4 : op == "GRU" ? 3 : 1; }
};

void FillCase(RecurrentCase* c, uint32_t seed) {
  const int64_t d = c->dirs(), g = c->gates(), H = c->hidden;
  c->x = RandomFloats(static_cast<size_t>(c->seq * c->batch * c->input), seed);
  c->w = RandomFloats(static_cast<size_t>(d * g * H * c->input), seed + 1, -0.7f, 0.7f);
  c->r = RandomFloats(static_cast<size_t>(d * g * H * H), seed + 2, -0.7f, 0.7f);
  c->b = RandomFloats(static_cast<size_t>(d * 2 * g * H), seed + 3, -0.5f, 0.5f);
  c->h0 = RandomFloats(static_cast<size_t>(d * c->batch * H), seed + 4);
  c->c0 = RandomFloats(static_cast<size_t>(d * c->batch * H), seed + 5);
  c->p = RandomFloats(static_cast<size_t>(d * 3 * H), seed + 6, -0.5f, 0.5f);
}

struct RecurrentResult {
  std::vector<double> y, y_h, y_c;  // layout 0
};

RecurrentResult Reference(const RecurrentCase& c) {
  const int64_t S = c.seq, B = c.batch, I = c.input, H = c.hidden, D = c.dirs(), G = c.gates();
  std::vector<Act> acts = c.acts;
  if (acts.empty()) {
    std::vector<Act> one;
    if (c.op == "RNN") one = {{"Tanh"}};
    if (c.op == "GRU") one = {{"Sigmoid"}, {"Tanh"}};
    if (c.op == "LSTM") one = {{"Sigmoid"}, {"Tanh"}, {"Tanh"}};
    for (int d = 0; d < D; ++d) acts.insert(acts.end(), one.begin(), one.end());
  }
  const size_t per_dir = acts.size() / static_cast<size_t>(D);
  RecurrentResult res;
  res.y.assign(static_cast<size_t>(S * D * B * H), 0.0);
  res.y_h.assign(static_cast<size_t>(D * B * H), 0.0);
  res.y_c.assign(static_cast<size_t>(D * B * H), 0.0);
  auto clip = [&](double v) {
    return c.clip > 0 ? std::min(std::max(v, -double(c.clip)), double(c.clip)) : v;
  };
  for (int64_t d = 0; d < D; ++d) {
    const bool reverse = c.direction == "reverse" || (c.direction == "bidirectional" && d == 1);
    auto act = [&](int i, double v) {
      const Act& a = acts[static_cast<size_t>(d) * per_dir + static_cast<size_t>(i)];
      return RefActivation(a.name, v, a.alpha, a.beta);
    };
    // Row (gate g, unit j) of W / R, and the biases.
    auto wx = [&](int64_t g, int64_t j, const float* xt) {
      double acc = 0;
      for (int64_t k = 0; k < I; ++k) acc += double(c.w[((d * G + g) * H + j) * I + k]) * xt[k];
      return acc;
    };
    auto rh = [&](int64_t g, int64_t j, const std::vector<double>& h) {
      double acc = 0;
      for (int64_t k = 0; k < H; ++k) acc += double(c.r[((d * G + g) * H + j) * H + k]) * h[k];
      return acc;
    };
    auto wb = [&](int64_t g, int64_t j) {
      return c.with_b ? double(c.b[d * 2 * G * H + g * H + j]) : 0.0;
    };
    auto rb = [&](int64_t g, int64_t j) {
      return c.with_b ? double(c.b[d * 2 * G * H + G * H + g * H + j]) : 0.0;
    };
    for (int64_t bi = 0; bi < B; ++bi) {
      std::vector<double> h(static_cast<size_t>(H), 0.0), cell(static_cast<size_t>(H), 0.0);
      for (int64_t j = 0; j < H; ++j) {
        if (c.with_h0) h[j] = c.h0[(d * B + bi) * H + j];
        if (c.with_c0) cell[j] = c.c0[(d * B + bi) * H + j];
      }
      const int64_t len = c.with_lens ? c.lens[static_cast<size_t>(bi)] : S;
      for (int64_t s = 0; s < len; ++s) {
        const int64_t t = reverse ? len - 1 - s : s;
        const float* xt = c.x.data() + (t * B + bi) * I;
        std::vector<double> nh(static_cast<size_t>(H));
        if (c.op == "RNN") {
          for (int64_t j = 0; j < H; ++j)
            nh[j] = act(0, clip(wx(0, j, xt) + rh(0, j, h) + wb(0, j) + rb(0, j)));
        } else if (c.op == "GRU") {
          std::vector<double> z(H), r(H), rh_vec(H);
          for (int64_t j = 0; j < H; ++j) {
            z[j] = act(0, clip(wx(0, j, xt) + rh(0, j, h) + wb(0, j) + rb(0, j)));
            r[j] = act(0, clip(wx(1, j, xt) + rh(1, j, h) + wb(1, j) + rb(1, j)));
          }
          for (int64_t j = 0; j < H; ++j) rh_vec[j] = r[j] * h[j];
          for (int64_t j = 0; j < H; ++j) {
            double pre;
            if (c.linear_before_reset) {
              pre = wx(2, j, xt) + wb(2, j) + r[j] * (rh(2, j, h) + rb(2, j));
            } else {
              pre = wx(2, j, xt) + rh(2, j, rh_vec) + rb(2, j) + wb(2, j);
            }
            const double hh = act(1, clip(pre));
            nh[j] = (1 - z[j]) * hh + z[j] * h[j];
          }
        } else {
          auto peep = [&](int64_t k, int64_t j) {
            return c.with_p ? double(c.p[d * 3 * H + k * H + j]) : 0.0;
          };
          std::vector<double> nc(H);
          for (int64_t j = 0; j < H; ++j) {
            // Gate rows: i = 0, o = 1, f = 2, c = 3. Peepholes: i = 0, o = 1, f = 2.
            const double i_g = act(
                0, clip(wx(0, j, xt) + rh(0, j, h) + peep(0, j) * cell[j] + wb(0, j) + rb(0, j)));
            double f_g = act(
                0, clip(wx(2, j, xt) + rh(2, j, h) + peep(2, j) * cell[j] + wb(2, j) + rb(2, j)));
            if (c.input_forget) f_g = 1 - i_g;
            const double c_g = act(1, clip(wx(3, j, xt) + rh(3, j, h) + wb(3, j) + rb(3, j)));
            nc[j] = f_g * cell[j] + i_g * c_g;
            const double o_g =
                act(0, clip(wx(1, j, xt) + rh(1, j, h) + peep(1, j) * nc[j] + wb(1, j) + rb(1, j)));
            nh[j] = o_g * act(2, nc[j]);
          }
          cell = nc;
        }
        h = nh;
        for (int64_t j = 0; j < H; ++j) res.y[((t * D + d) * B + bi) * H + j] = h[j];
      }
      if (len > 0) {
        for (int64_t j = 0; j < H; ++j) {
          res.y_h[(d * B + bi) * H + j] = h[j];
          res.y_c[(d * B + bi) * H + j] = cell[j];
        }
      }
    }
  }
  return res;
}

// Reorders a layout-0 tensor [A, B, ...rest] (given dims) to layout 1 by swapping axes 0 and
// `other` (Y: [S, D, B, H] -> [B, S, D, H]; states: [D, B, H] -> [B, D, H]).
std::vector<double> YToLayout1(const std::vector<double>& y, int64_t S, int64_t D, int64_t B,
                               int64_t H) {
  std::vector<double> out(y.size());
  for (int64_t t = 0; t < S; ++t)
    for (int64_t d = 0; d < D; ++d)
      for (int64_t b = 0; b < B; ++b)
        for (int64_t j = 0; j < H; ++j)
          out[((b * S + t) * D + d) * H + j] = y[((t * D + d) * B + b) * H + j];
  return out;
}
std::vector<double> StateToLayout1(const std::vector<double>& s, int64_t D, int64_t B, int64_t H) {
  std::vector<double> out(s.size());
  for (int64_t d = 0; d < D; ++d)
    for (int64_t b = 0; b < B; ++b)
      for (int64_t j = 0; j < H; ++j) out[(b * D + d) * H + j] = s[(d * B + b) * H + j];
  return out;
}
std::vector<float> XToLayout1(const std::vector<float>& x, int64_t S, int64_t B, int64_t I) {
  std::vector<float> out(x.size());
  for (int64_t t = 0; t < S; ++t)
    for (int64_t b = 0; b < B; ++b)
      for (int64_t k = 0; k < I; ++k) out[(b * S + t) * I + k] = x[(t * B + b) * I + k];
  return out;
}
std::vector<float> StateToLayout1F(const std::vector<float>& s, int64_t D, int64_t B, int64_t H) {
  std::vector<float> out(s.size());
  for (int64_t d = 0; d < D; ++d)
    for (int64_t b = 0; b < B; ++b)
      for (int64_t j = 0; j < H; ++j) out[(b * D + d) * H + j] = s[(d * B + b) * H + j];
  return out;
}

template <typename T>
Tensor Typed(Shape shape, const std::vector<float>& v) {
  std::vector<T> out;
  for (float f : v) {
    if constexpr (std::is_same_v<T, Float16>) {
      out.push_back(Float16(f));
    } else {
      out.push_back(static_cast<T>(f));
    }
  }
  return Tensor::FromVector<T>(std::move(shape), out);
}

OpTest BuildRecurrent(const RecurrentCase& c, DataType type = DataType::kFloat) {
  const int64_t D = c.dirs(), G = c.gates(), H = c.hidden;
  OpTest t(c.op, 14);
  t.Attr("hidden_size", H).Attr("direction", c.direction);
  if (c.layout) t.Attr("layout", c.layout);
  if (c.clip > 0) t.Attr("clip", c.clip);
  if (c.op == "GRU" && c.linear_before_reset) t.Attr("linear_before_reset", int64_t{1});
  if (c.op == "LSTM" && c.input_forget) t.Attr("input_forget", int64_t{1});
  if (c.set_activations) {
    std::vector<std::string> names;
    std::vector<float> alphas, betas;
    for (const Act& a : c.acts) {
      names.push_back(a.name);
      if (a.name == "Affine" || a.name == "LeakyRelu" || a.name == "ThresholdedRelu" ||
          a.name == "ScaledTanh" || a.name == "HardSigmoid" || a.name == "Elu") {
        alphas.push_back(static_cast<float>(a.alpha));
      }
      if (a.name == "Affine" || a.name == "ScaledTanh" || a.name == "HardSigmoid") {
        betas.push_back(static_cast<float>(a.beta));
      }
    }
    t.Attr("activations", names);
    if (!alphas.empty()) t.Attr("activation_alpha", alphas);
    if (!betas.empty()) t.Attr("activation_beta", betas);
  }
  auto make = [&](Shape shape, const std::vector<float>& v) {
    if (type == DataType::kDouble) return Typed<double>(std::move(shape), v);
    if (type == DataType::kFloat16) return Typed<Float16>(std::move(shape), v);
    return Tensor::FromVector<float>(std::move(shape), v);
  };
  const bool l1 = c.layout == 1;
  t.Input("X", l1 ? make({c.batch, c.seq, c.input}, XToLayout1(c.x, c.seq, c.batch, c.input))
                  : make({c.seq, c.batch, c.input}, c.x));
  if (c.constant_weights) {
    t.ConstantInput("W", make({D, G * H, c.input}, c.w));
    t.ConstantInput("R", make({D, G * H, H}, c.r));
  } else {
    t.Input("W", make({D, G * H, c.input}, c.w));
    t.Input("R", make({D, G * H, H}, c.r));
  }
  const Shape state = l1 ? Shape{c.batch, D, H} : Shape{D, c.batch, H};
  std::vector<std::function<void()>> optional;
  optional.push_back([&] {
    c.with_b ? (void)t.Input("B", make({D, 2 * G * H}, c.b)) : (void)t.OmittedInput();
  });
  optional.push_back([&] {
    c.with_lens ? (void)t.Input("lens", Tensor::FromVector<int32_t>({c.batch}, c.lens))
                : (void)t.OmittedInput();
  });
  optional.push_back([&] {
    c.with_h0 ? (void)t.Input("h0", make(state, l1 ? StateToLayout1F(c.h0, D, c.batch, H) : c.h0))
              : (void)t.OmittedInput();
  });
  if (c.op == "LSTM") {
    optional.push_back([&] {
      c.with_c0 ? (void)t.Input("c0", make(state, l1 ? StateToLayout1F(c.c0, D, c.batch, H) : c.c0))
                : (void)t.OmittedInput();
    });
    optional.push_back([&] {
      c.with_p ? (void)t.Input("P", make({D, 3 * H}, c.p)) : (void)t.OmittedInput();
    });
  }
  for (auto& f : optional) f();
  t.Output("Y").Output("Y_h");
  if (c.op == "LSTM") t.Output("Y_c");
  return t;
}

void CheckRecurrent(const RecurrentCase& c, DataType type = DataType::kFloat, double tol = 2e-5) {
  SCOPED_TRACE(c.op + " " + c.direction + " layout " + std::to_string(c.layout));
  auto r = BuildRecurrent(c, type).Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const RecurrentResult want = Reference(c);
  const int64_t D = c.dirs();
  const auto& outs = *r;
  ASSERT_EQ(outs[0].value.tensor().dtype(), type);
  if (c.layout == 0) {
    EXPECT_EQ(outs[0].value.tensor().shape(), (Shape{c.seq, D, c.batch, c.hidden}));
    EXPECT_EQ(outs[1].value.tensor().shape(), (Shape{D, c.batch, c.hidden}));
    ExpectNear(ToDoubles(outs[0].value.tensor()), want.y, tol, "Y");
    ExpectNear(ToDoubles(outs[1].value.tensor()), want.y_h, tol, "Y_h");
    if (c.op == "LSTM") ExpectNear(ToDoubles(outs[2].value.tensor()), want.y_c, tol, "Y_c");
  } else {
    EXPECT_EQ(outs[0].value.tensor().shape(), (Shape{c.batch, c.seq, D, c.hidden}));
    EXPECT_EQ(outs[1].value.tensor().shape(), (Shape{c.batch, D, c.hidden}));
    ExpectNear(ToDoubles(outs[0].value.tensor()), YToLayout1(want.y, c.seq, D, c.batch, c.hidden),
               tol, "Y");
    ExpectNear(ToDoubles(outs[1].value.tensor()), StateToLayout1(want.y_h, D, c.batch, c.hidden),
               tol, "Y_h");
    if (c.op == "LSTM") {
      ExpectNear(ToDoubles(outs[2].value.tensor()), StateToLayout1(want.y_c, D, c.batch, c.hidden),
                 tol, "Y_c");
    }
  }
}

RecurrentCase FullCase(const std::string& op, const std::string& direction, uint32_t seed) {
  RecurrentCase c;
  c.op = op;
  c.direction = direction;
  c.seq = 5;
  c.batch = 4;
  c.input = 3;
  c.hidden = 6;
  c.with_b = c.with_h0 = c.with_c0 = c.with_p = c.with_lens = true;
  c.lens = {5, 3, 0, 1};
  FillCase(&c, seed);
  return c;
}

TEST(LstmOp, AllInputsEveryDirectionMatchesReference) {
  for (const char* dir : {"forward", "reverse", "bidirectional"}) {
    for (bool constant : {false, true}) {
      RecurrentCase c = FullCase("LSTM", dir, 11);
      c.constant_weights = constant;
      CheckRecurrent(c);
    }
  }
}

TEST(LstmOp, BatchFirstLayoutClipAndInputForget) {
  RecurrentCase c = FullCase("LSTM", "bidirectional", 21);
  c.layout = 1;
  c.clip = 0.4f;
  c.input_forget = true;
  CheckRecurrent(c);
}

TEST(LstmOp, CustomActivationsWithAlphaBeta) {
  RecurrentCase c = FullCase("LSTM", "bidirectional", 31);
  c.set_activations = true;
  c.acts = {{"HardSigmoid", 0.3, 0.4},
            {"ScaledTanh", 1.5, 0.7},
            {"Affine", 0.5, 0.1},
            {"Sigmoid"},
            {"Softsign"},
            {"Elu", 0.8}};
  CheckRecurrent(c);
}

TEST(LstmOp, TileRemaindersAgainstReference) {
  // Sizes off the GEMM tiles (6 x 16) exercise packing remainders.
  RecurrentCase c;
  c.op = "LSTM";
  c.seq = 4;
  c.batch = 7;
  c.input = 13;
  c.hidden = 17;
  c.with_b = true;
  FillCase(&c, 41);
  c.constant_weights = true;
  CheckRecurrent(c, DataType::kFloat, 5e-5);
}

TEST(LstmOp, DoubleAndFloat16) {
  RecurrentCase c = FullCase("LSTM", "bidirectional", 51);
  CheckRecurrent(c, DataType::kDouble, 1e-12);
  RecurrentCase h = FullCase("LSTM", "forward", 52);
  h.constant_weights = true;
  CheckRecurrent(h, DataType::kFloat16, 2e-2);
}

TEST(GruOp, BothResetModesEveryDirection) {
  for (bool lbr : {false, true}) {
    for (const char* dir : {"forward", "reverse", "bidirectional"}) {
      for (bool constant : {false, true}) {
        RecurrentCase c = FullCase("GRU", dir, 61);
        c.linear_before_reset = lbr;
        c.constant_weights = constant;
        CheckRecurrent(c);
      }
    }
  }
}

TEST(GruOp, LayoutClipActivationsAndDouble) {
  RecurrentCase c = FullCase("GRU", "bidirectional", 71);
  c.layout = 1;
  c.clip = 0.5f;
  c.set_activations = true;
  c.acts = {{"HardSigmoid", 0.25, 0.5}, {"Softplus"}, {"Sigmoid"}, {"LeakyRelu", 0.2}};
  CheckRecurrent(c);
  RecurrentCase d = FullCase("GRU", "reverse", 72);
  d.linear_before_reset = true;
  CheckRecurrent(d, DataType::kDouble, 1e-12);
}

TEST(RnnOp, ActivationsDirectionsAndTypes) {
  for (const char* dir : {"forward", "reverse", "bidirectional"}) {
    RecurrentCase c = FullCase("RNN", dir, 81);
    CheckRecurrent(c);
  }
  RecurrentCase c = FullCase("RNN", "bidirectional", 82);
  c.set_activations = true;
  c.acts = {{"Relu"}, {"ThresholdedRelu", 0.1}};
  c.layout = 1;
  CheckRecurrent(c);
  RecurrentCase e = FullCase("RNN", "forward", 83);
  e.set_activations = true;
  e.acts = {{"Elu", 0.5}};
  e.clip = 0.3f;
  CheckRecurrent(e, DataType::kDouble, 1e-12);
  RecurrentCase h = FullCase("RNN", "forward", 84);
  CheckRecurrent(h, DataType::kFloat16, 2e-2);
}

TEST(RnnOp, DefaultAlphaOfLeakyReluAndOneListForBothDirections) {
  // One direction's activation list applies to both directions; LeakyRelu defaults to 0.01.
  RecurrentCase c = FullCase("RNN", "bidirectional", 91);
  c.set_activations = false;
  auto t = BuildRecurrent(c);
  onnx::AttributeProto a;
  a.set_name("activations");
  a.set_type(onnx::AttributeProto::STRINGS);
  a.add_strings("LeakyRelu");
  t.Attr(a);
  auto r = t.Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  c.acts = {{"LeakyRelu", 0.01}, {"LeakyRelu", 0.01}};
  ExpectNear(ToDoubles((*r)[0].value.tensor()), Reference(c).y, 2e-5, "Y");
}

TEST(RnnOp, HiddenSizeInferredAndOptionalOutputsOmitted) {
  RecurrentCase c = FullCase("RNN", "forward", 92);
  OpTest t("RNN", 14);  // no hidden_size: taken from R
  t.Input("X", Tensor::FromVector<float>({c.seq, c.batch, c.input}, c.x))
      .Input("W", Tensor::FromVector<float>({1, c.hidden, c.input}, c.w))
      .Input("R", Tensor::FromVector<float>({1, c.hidden, c.hidden}, c.r));
  t.model().mutable_graph()->mutable_node(0)->add_output("");  // Y omitted
  t.Output("Y_h");
  auto r = t.Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  RecurrentCase ref = c;
  ref.with_b = ref.with_h0 = ref.with_lens = false;
  ExpectNear(ToDoubles((*r)[0].value.tensor()), Reference(ref).y_h, 2e-5, "Y_h");
}

TEST(RnnOp, ZeroLengthSequenceGivesZeroStateAndEmptyBatchWorks) {
  RecurrentCase c = FullCase("LSTM", "bidirectional", 93);
  c.lens = {0, 0, 2, 5};
  auto r = BuildRecurrent(c).Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto y_h = (*r)[1].value.tensor().ToVector<float>();
  // Batch entries 0 and 1 have length 0: zero state in both directions despite initial_h.
  for (int d = 0; d < 2; ++d) {
    for (int b = 0; b < 2; ++b) {
      for (int j = 0; j < c.hidden; ++j) EXPECT_EQ(y_h[(d * c.batch + b) * c.hidden + j], 0.f);
    }
  }
  CheckRecurrent(c);

  RecurrentCase e;
  e.op = "GRU";
  e.seq = 3;
  e.batch = 0;
  e.input = 2;
  e.hidden = 4;
  FillCase(&e, 94);
  auto re = BuildRecurrent(e).Run();
  ASSERT_TRUE(re.ok()) << re.status().ToString();
  EXPECT_EQ((*re)[0].value.tensor().shape(), (Shape{3, 1, 0, 4}));
  EXPECT_EQ((*re)[1].value.tensor().shape(), (Shape{1, 0, 4}));
}

TEST(RnnOp, BadAttributesFailAtLoad) {
  RecurrentCase c = FullCase("RNN", "forward", 95);
  c.direction = "sideways";
  auto r = BuildRecurrent(c).Load();
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.status(), "direction")) << r.status().ToString();

  RecurrentCase g = FullCase("GRU", "forward", 96);
  g.set_activations = true;
  g.acts = {{"Sigmoid"}, {"Cosine"}};
  auto rg = BuildRecurrent(g).Load();
  ASSERT_FALSE(rg.ok());
  EXPECT_TRUE(Contains(rg.status(), "activations")) << rg.status().ToString();

  RecurrentCase l = FullCase("LSTM", "bidirectional", 97);
  l.set_activations = true;
  l.acts = {{"Sigmoid"}, {"Tanh"}, {"Tanh"}, {"Sigmoid"}};  // neither 3 nor 6
  auto rl = BuildRecurrent(l).Load();
  ASSERT_FALSE(rl.ok());
  EXPECT_TRUE(Contains(rl.status(), "activations")) << rl.status().ToString();
}

TEST(RnnOp, BadInputsFailAtRun) {
  RecurrentCase c = FullCase("LSTM", "forward", 98);
  c.lens = {5, 6, 1, 1};  // 6 > seq_length
  auto r = BuildRecurrent(c).Run();
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.status(), "sequence_lens")) << r.status().ToString();

  RecurrentCase w = FullCase("GRU", "forward", 99);
  OpTest t("GRU", 14);
  t.Attr("hidden_size", w.hidden)
      .Input("X", Tensor::FromVector<float>({w.seq, w.batch, w.input}, w.x))
      .Input("W", Tensor::FromVector<float>({1, 2 * w.hidden, w.input}, w.w))  // 2H rows, not 3H
      .Input("R", Tensor::FromVector<float>({1, 3 * w.hidden, w.hidden}, w.r))
      .Output("Y");
  auto rw = t.Run();
  ASSERT_FALSE(rw.ok());
  EXPECT_TRUE(Contains(rw.status(), "'W'")) << rw.status().ToString();
  EXPECT_EQ(rw.status().code(), StatusCode::kInvalidArgument);
}

// =============================================================================================
// Signal ops.

using Cplx = std::complex<double>;

// Naive DFT of one sequence.
std::vector<Cplx> NaiveDft(const std::vector<Cplx>& x, int64_t n, bool inverse) {
  std::vector<Cplx> out(static_cast<size_t>(n));
  const double sign = inverse ? 1 : -1;
  for (int64_t k = 0; k < n; ++k) {
    Cplx acc = 0;
    for (int64_t j = 0; j < n; ++j) {
      const Cplx v = j < static_cast<int64_t>(x.size()) ? x[j] : Cplx(0);
      acc += v * std::polar(1.0, sign * 2 * kPi * double((j * k) % n) / double(n));
    }
    out[k] = inverse ? acc / double(n) : acc;
  }
  return out;
}

TEST(DftOp, LengthsOfEveryAlgorithmMatchNaiveDft) {
  // 1, 2, 128: radix-2; 5, 12, 63: direct sum; 100, 129: Bluestein.
  for (int64_t n : {1, 2, 5, 12, 63, 100, 128, 129}) {
    SCOPED_TRACE(n);
    const auto re = RandomFloats(static_cast<size_t>(2 * n), 7 + n);
    const auto im = RandomFloats(static_cast<size_t>(2 * n), 8 + n);
    std::vector<float> input;  // [2, n, 2] complex
    for (int64_t i = 0; i < 2 * n; ++i) {
      input.push_back(re[i]);
      input.push_back(im[i]);
    }
    for (bool inverse : {false, true}) {
      auto r = OpTest("DFT", 17)
                   .Attr("axis", int64_t{1})
                   .Attr("inverse", int64_t{inverse})
                   .Input("x", Tensor::FromVector<float>({2, n, 2}, input))
                   .Output("y")
                   .Run();
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      const auto got = (*r)[0].value.tensor().ToVector<float>();
      for (int64_t b = 0; b < 2; ++b) {
        std::vector<Cplx> x;
        for (int64_t j = 0; j < n; ++j) x.emplace_back(re[b * n + j], im[b * n + j]);
        const auto want = NaiveDft(x, n, inverse);
        for (int64_t k = 0; k < n; ++k) {
          EXPECT_NEAR(got[(b * n + k) * 2], want[k].real(), 1e-4 * (1 + std::abs(want[k])));
          EXPECT_NEAR(got[(b * n + k) * 2 + 1], want[k].imag(), 1e-4 * (1 + std::abs(want[k])));
        }
      }
    }
  }
}

TEST(DftOp, RealOnesidedPaddedAndTruncatedAlongInnerAxis) {
  // x: [1, 6, 3, 1] real; DFT along axis 1 (length 6, with inner dim 3) with dft_length 8
  // (zero padding) and 4 (truncation), onesided.
  const auto v = RandomFloats(18, 3);
  for (int64_t n : {8, 4}) {
    auto r = OpTest("DFT", 17)
                 .Attr("axis", int64_t{1})
                 .Attr("onesided", int64_t{1})
                 .Input("x", Tensor::FromVector<float>({1, 6, 3, 1}, v))
                 .Input("n", Tensor::Scalar<int64_t>(n))
                 .Output("y")
                 .Run();
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    const Tensor& y = (*r)[0].value.tensor();
    EXPECT_EQ(y.shape(), (Shape{1, n / 2 + 1, 3, 2}));
    const auto got = y.ToVector<float>();
    for (int64_t col = 0; col < 3; ++col) {
      std::vector<Cplx> x;
      for (int64_t j = 0; j < std::min<int64_t>(n, 6); ++j) x.emplace_back(v[j * 3 + col], 0);
      const auto want = NaiveDft(x, n, false);
      for (int64_t k = 0; k <= n / 2; ++k) {
        EXPECT_NEAR(got[(k * 3 + col) * 2], want[k].real(), 1e-5);
        EXPECT_NEAR(got[(k * 3 + col) * 2 + 1], want[k].imag(), 1e-5);
      }
    }
  }
}

TEST(DftOp, Opset20AxisInputNegativeAxisAndDouble) {
  // [2, 3, 4, 1] double; axis -2 (the default of DFT-20) is dim 2 (length 4).
  std::vector<float> vf = RandomFloats(24, 5);
  std::vector<double> v(vf.begin(), vf.end());
  auto check = [&](const StatusOr<std::vector<NamedValue>>& r) {
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    const auto got = (*r)[0].value.tensor().ToVector<double>();
    ASSERT_EQ((*r)[0].value.tensor().shape(), (Shape{2, 3, 4, 2}));
    for (int64_t row = 0; row < 6; ++row) {
      std::vector<Cplx> x;
      for (int64_t j = 0; j < 4; ++j) x.emplace_back(v[row * 4 + j], 0);
      const auto want = NaiveDft(x, 4, false);
      for (int64_t k = 0; k < 4; ++k) {
        EXPECT_NEAR(got[(row * 4 + k) * 2], want[k].real(), 1e-12);
        EXPECT_NEAR(got[(row * 4 + k) * 2 + 1], want[k].imag(), 1e-12);
      }
    }
  };
  check(
      OpTest("DFT", 20).Input("x", Tensor::FromVector<double>({2, 3, 4, 1}, v)).Output("y").Run());
  check(OpTest("DFT", 20)
            .Input("x", Tensor::FromVector<double>({2, 3, 4, 1}, v))
            .OmittedInput()
            .Input("axis", Tensor::Scalar<int64_t>(2))
            .Output("y")
            .Run());
  check(OpTest("DFT", 17)
            .Attr("axis", int64_t{-2})
            .Input("x", Tensor::FromVector<double>({2, 3, 4, 1}, v))
            .Output("y")
            .Run());
}

TEST(DftOp, InverseUndoesForward) {
  const auto v = RandomFloats(2 * 30, 9);
  auto fwd =
      OpTest("DFT", 17).Input("x", Tensor::FromVector<float>({1, 30, 2}, v)).Output("y").Run();
  ASSERT_TRUE(fwd.ok()) << fwd.status().ToString();
  auto inv = OpTest("DFT", 17)
                 .Attr("inverse", int64_t{1})
                 .Input("x", (*fwd)[0].value.tensor())
                 .Output("y")
                 .Run();
  ASSERT_TRUE(inv.ok()) << inv.status().ToString();
  const auto back = (*inv)[0].value.tensor().ToVector<float>();
  for (size_t i = 0; i < v.size(); ++i) EXPECT_NEAR(back[i], v[i], 1e-5);
}

TEST(DftOp, BadInputsAndAttributes) {
  auto bad_last = OpTest("DFT", 17)
                      .Input("x", Tensor::FromVector<float>({1, 4, 3}, std::vector<float>(12)))
                      .Output("y")
                      .Run();
  ASSERT_FALSE(bad_last.ok());
  EXPECT_TRUE(Contains(bad_last.status(), "last dim")) << bad_last.status().ToString();
  auto bad_axis = OpTest("DFT", 17)
                      .Attr("axis", int64_t{2})
                      .Input("x", Tensor::FromVector<float>({1, 4, 1}, std::vector<float>(4)))
                      .Output("y")
                      .Run();
  ASSERT_FALSE(bad_axis.ok());
  EXPECT_TRUE(Contains(bad_axis.status(), "axis")) << bad_axis.status().ToString();
  auto bad_len = OpTest("DFT", 17)
                     .Input("x", Tensor::FromVector<float>({1, 4, 1}, std::vector<float>(4)))
                     .Input("n", Tensor::Scalar<int64_t>(0))
                     .Output("y")
                     .Run();
  ASSERT_FALSE(bad_len.ok());
  EXPECT_TRUE(Contains(bad_len.status(), "dft_length")) << bad_len.status().ToString();
  auto bad_attr = OpTest("DFT", 17)
                      .Attr("onesided", int64_t{2})
                      .Input("x", Tensor::FromVector<float>({1, 4, 1}, std::vector<float>(4)))
                      .Output("y")
                      .Load();
  ASSERT_FALSE(bad_attr.ok());
  EXPECT_TRUE(Contains(bad_attr.status(), "onesided")) << bad_attr.status().ToString();
  // A zero-length axis gives an empty output.
  auto empty = OpTest("DFT", 17)
                   .Input("x", *Tensor::Allocate(DataType::kFloat, {2, 0, 1}))
                   .Output("y")
                   .Run();
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ((*empty)[0].value.tensor().shape(), (Shape{2, 0, 2}));
}

TEST(StftOp, WindowedFramesMatchNaiveDft) {
  // Complex signal [2, 20, 2], frame_step 3, window of 6 (non power of two), two-sided.
  const auto v = RandomFloats(80, 13);
  const auto w = RandomFloats(6, 14, 0.f, 1.f);
  auto r = OpTest("STFT", 17)
               .Attr("onesided", int64_t{0})
               .Input("signal", Tensor::FromVector<float>({2, 20, 2}, v))
               .Input("step", Tensor::Scalar<int64_t>(3))
               .Input("window", Tensor::FromVector<float>({6}, w))
               .Output("y")
               .Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Tensor& y = (*r)[0].value.tensor();
  const int64_t frames = 1 + (20 - 6) / 3;
  ASSERT_EQ(y.shape(), (Shape{2, frames, 6, 2}));
  const auto got = y.ToVector<float>();
  for (int64_t b = 0; b < 2; ++b) {
    for (int64_t f = 0; f < frames; ++f) {
      std::vector<Cplx> x;
      for (int64_t j = 0; j < 6; ++j) {
        const int64_t at = (b * 20 + f * 3 + j) * 2;
        x.emplace_back(v[at] * w[j], v[at + 1] * w[j]);
      }
      const auto want = NaiveDft(x, 6, false);
      for (int64_t k = 0; k < 6; ++k) {
        EXPECT_NEAR(got[((b * frames + f) * 6 + k) * 2], want[k].real(), 1e-5);
        EXPECT_NEAR(got[((b * frames + f) * 6 + k) * 2 + 1], want[k].imag(), 1e-5);
      }
    }
  }
}

TEST(StftOp, FrameLengthWithoutWindowAndErrors) {
  const auto v = RandomFloats(16, 15);
  auto r = OpTest("STFT", 17)
               .Input("signal", Tensor::FromVector<float>({1, 16, 1}, v))
               .Input("step", Tensor::Scalar<int32_t>(4))
               .OmittedInput()
               .Input("len", Tensor::Scalar<int32_t>(8))
               .Output("y")
               .Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ((*r)[0].value.tensor().shape(), (Shape{1, 3, 5, 2}));
  const auto got = (*r)[0].value.tensor().ToVector<float>();
  std::vector<Cplx> x;
  for (int j = 0; j < 8; ++j) x.emplace_back(v[8 + j], 0);  // frame 2 starts at 8
  const auto want = NaiveDft(x, 8, false);
  for (int k = 0; k < 5; ++k) EXPECT_NEAR(got[(2 * 5 + k) * 2], want[k].real(), 1e-5);

  auto mismatch = OpTest("STFT", 17)
                      .Input("signal", Tensor::FromVector<float>({1, 16, 1}, v))
                      .Input("step", Tensor::Scalar<int64_t>(4))
                      .Input("window", Tensor::FromVector<float>({4}, {1, 1, 1, 1}))
                      .Input("len", Tensor::Scalar<int64_t>(8))
                      .Output("y")
                      .Run();
  ASSERT_FALSE(mismatch.ok());
  EXPECT_TRUE(Contains(mismatch.status(), "frame_length")) << mismatch.status().ToString();
  auto zero_step = OpTest("STFT", 17)
                       .Input("signal", Tensor::FromVector<float>({1, 16, 1}, v))
                       .Input("step", Tensor::Scalar<int64_t>(0))
                       .Output("y")
                       .Run();
  ASSERT_FALSE(zero_step.ok());
  EXPECT_TRUE(Contains(zero_step.status(), "frame_step")) << zero_step.status().ToString();
}

double CosineWindow(double a0, double a1, double a2, int64_t n, int64_t denom) {
  return a0 - a1 * std::cos(2 * kPi * n / denom) + a2 * std::cos(4 * kPi * n / denom);
}

TEST(WindowOps, PeriodicSymmetricAndOutputTypes) {
  struct W {
    const char* op;
    double a0, a1, a2;
  };
  for (const W& w : {W{"HannWindow", 0.5, 0.5, 0}, W{"HammingWindow", 25.0 / 46, 21.0 / 46, 0},
                     W{"BlackmanWindow", 0.42, 0.5, 0.08}}) {
    SCOPED_TRACE(w.op);
    for (int64_t periodic : {0, 1}) {
      auto r = OpTest(w.op, 17)
                   .Attr("periodic", periodic)
                   .Attr("output_datatype", int64_t{11})
                   .Input("size", Tensor::Scalar<int64_t>(7))
                   .Output("y")
                   .Run();
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      const auto got = (*r)[0].value.tensor().ToVector<double>();
      ASSERT_EQ(got.size(), 7u);
      for (int64_t n = 0; n < 7; ++n) {
        EXPECT_NEAR(got[n], CosineWindow(w.a0, w.a1, w.a2, n, periodic ? 7 : 6), 1e-12);
      }
    }
    auto empty = OpTest(w.op, 17).Input("size", Tensor::Scalar<int32_t>(0)).Output("y").Run();
    ASSERT_TRUE(empty.ok()) << empty.status().ToString();
    EXPECT_EQ((*empty)[0].value.tensor().shape(), Shape{0});
    EXPECT_EQ((*empty)[0].value.tensor().dtype(), DataType::kFloat);
    auto one = OpTest(w.op, 17)
                   .Attr("periodic", int64_t{0})
                   .Input("size", Tensor::Scalar<int32_t>(1))
                   .Output("y")
                   .Run();
    ASSERT_TRUE(one.ok()) << one.status().ToString();
    EXPECT_EQ((*one)[0].value.tensor().ToVector<float>(), std::vector<float>{1.f});
    auto neg = OpTest(w.op, 17).Input("size", Tensor::Scalar<int64_t>(-1)).Output("y").Run();
    ASSERT_FALSE(neg.ok());
    EXPECT_TRUE(Contains(neg.status(), "size")) << neg.status().ToString();
  }
  // Integer output truncates: Hann(4) periodic = [0, 0.5, 1, 0.5] -> int32 [0, 0, 1, 0].
  auto ints = OpTest("HannWindow", 17)
                  .Attr("output_datatype", int64_t{6})
                  .Input("size", Tensor::Scalar<int64_t>(4))
                  .Output("y")
                  .Run();
  ASSERT_TRUE(ints.ok()) << ints.status().ToString();
  EXPECT_EQ((*ints)[0].value.tensor().ToVector<int32_t>(), (std::vector<int32_t>{0, 0, 1, 0}));
  auto bad = OpTest("HannWindow", 17)
                 .Attr("output_datatype", int64_t{8})
                 .Input("size", Tensor::Scalar<int64_t>(4))
                 .Output("y")
                 .Load();
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(Contains(bad.status(), "output_datatype")) << bad.status().ToString();
}

TEST(MelWeightMatrixOp, TrianglesPeakAtOneAndMatchFormula) {
  // 3 mel bins over [0, 4000] Hz, dft_length 32, sample rate 8000.
  const int64_t mel = 3, dft = 32, sr = 8000;
  auto r = OpTest("MelWeightMatrix", 17)
               .Input("m", Tensor::Scalar<int64_t>(mel))
               .Input("d", Tensor::Scalar<int64_t>(dft))
               .Input("s", Tensor::Scalar<int64_t>(sr))
               .Input("lo", Tensor::Scalar<float>(0.f))
               .Input("hi", Tensor::Scalar<float>(4000.f))
               .Output("y")
               .Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Tensor& y = (*r)[0].value.tensor();
  ASSERT_EQ(y.shape(), (Shape{17, 3}));
  const auto got = y.ToVector<float>();
  // Edges by the spec's formula, computed independently: hz(i) for i in 0..4 on the mel scale.
  const double top = 2595 * std::log10(1 + 4000.0 / 700);
  std::vector<int> edge;
  for (int i = 0; i < mel + 2; ++i) {
    const double hz = 700 * (std::pow(10, i * top / (mel + 2) / 2595) - 1);
    edge.push_back(static_cast<int>(std::floor((dft + 1) * hz / sr)));
  }
  for (int m = 0; m < mel; ++m) {
    for (int row = 0; row < 17; ++row) {
      double want = 0;
      if (row >= edge[m] && row <= edge[m + 1] && edge[m + 1] > edge[m]) {
        want = double(row - edge[m]) / (edge[m + 1] - edge[m]);
      }
      if (row >= edge[m + 1] && row < edge[m + 2]) {
        want = double(edge[m + 2] - row) / (edge[m + 2] - edge[m + 1]);
      }
      EXPECT_NEAR(got[row * mel + m], want, 1e-6) << "row " << row << " mel " << m;
    }
    EXPECT_FLOAT_EQ(got[edge[m + 1] * mel + m], 1.f);
  }
  auto bad = OpTest("MelWeightMatrix", 17)
                 .Input("m", Tensor::Scalar<int64_t>(3))
                 .Input("d", Tensor::Scalar<int64_t>(0))
                 .Input("s", Tensor::Scalar<int64_t>(sr))
                 .Input("lo", Tensor::Scalar<float>(0.f))
                 .Input("hi", Tensor::Scalar<float>(4000.f))
                 .Output("y")
                 .Run();
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(Contains(bad.status(), "dft_length")) << bad.status().ToString();
}

// =============================================================================================
// Text ops.

Tensor Strings(Shape shape, std::vector<std::string> v) {
  return Tensor::FromVector<std::string>(std::move(shape), v);
}

TEST(StringNormalizerOp, CaseInsensitiveUtf8StopwordsAndCaseChange) {
  auto r = OpTest("StringNormalizer", 10)
               .Attr("stopwords", std::vector<std::string>{"été", "THE"})
               .Attr("case_change_action", "UPPER")
               .Input("x", Strings({5}, {"ÉTÉ", "the", "Straße", "Привет ΣΑΣ", "çà"}))
               .Output("y")
               .Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].value.tensor().shape(), Shape{3});
  EXPECT_EQ((*r)[0].value.tensor().ToVector<std::string>(),
            (std::vector<std::string>{"STRAßE", "ПРИВЕТ ΣΑΣ", "ÇÀ"}));
  auto low = OpTest("StringNormalizer", 10)
                 .Attr("case_change_action", "LOWER")
                 .Input("x", Strings({1, 3}, {"ÀÉÎ", "ΣΑΣ Ŷ", std::string("A\xff\xc3", 3)}))
                 .Output("y")
                 .Run();
  ASSERT_TRUE(low.ok()) << low.status().ToString();
  EXPECT_EQ((*low)[0].value.tensor().shape(), (Shape{1, 3}));
  // Invalid UTF-8 bytes pass through unchanged.
  EXPECT_EQ((*low)[0].value.tensor().ToVector<std::string>(),
            (std::vector<std::string>{"àéî", "σασ ŷ", std::string("a\xff\xc3", 3)}));
}

TEST(StringNormalizerOp, CaseSensitiveAllDroppedAndErrors) {
  auto r = OpTest("StringNormalizer", 10)
               .Attr("stopwords", std::vector<std::string>{"a", "B"})
               .Attr("is_case_sensitive", int64_t{1})
               .Input("x", Strings({1, 3}, {"a", "B", "a"}))
               .Output("y")
               .Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].value.tensor().shape(), (Shape{1, 1}));
  EXPECT_EQ((*r)[0].value.tensor().ToVector<std::string>(), std::vector<std::string>{""});
  auto kept = OpTest("StringNormalizer", 10)
                  .Attr("stopwords", std::vector<std::string>{"a"})
                  .Attr("is_case_sensitive", int64_t{1})
                  .Input("x", Strings({2}, {"A", "a"}))
                  .Output("y")
                  .Run();
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ((*kept)[0].value.tensor().ToVector<std::string>(), std::vector<std::string>{"A"});
  auto rank =
      OpTest("StringNormalizer", 10).Input("x", Strings({2, 1}, {"a", "b"})).Output("y").Run();
  ASSERT_FALSE(rank.ok());
  EXPECT_TRUE(Contains(rank.status(), "'X'")) << rank.status().ToString();
  auto bad = OpTest("StringNormalizer", 10)
                 .Attr("case_change_action", "TITLE")
                 .Input("x", Strings({1}, {"a"}))
                 .Output("y")
                 .Load();
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(Contains(bad.status(), "case_change_action")) << bad.status().ToString();
}

TEST(TfIdfVectorizerOp, StringPoolWithSkipsAndTfIdfWeights) {
  // Pool: unigrams {a, b}, bigrams {(a, b), (b, c)}; output coordinates 3, 0, 1, 2.
  // Row "a b c a x b": unigram a x2, b x2. Bigrams with skips 0..1:
  //   (a,b): (0,1) skip 0, (3,5) skip 1 -> 2; (b,c): (1,2) skip 0 -> 1.
  auto make = [](const char* mode, bool weights) {
    OpTest t("TfIdfVectorizer", 9);
    t.Attr("mode", mode)
        .Attr("min_gram_length", int64_t{1})
        .Attr("max_gram_length", int64_t{2})
        .Attr("max_skip_count", int64_t{1})
        .Attr("ngram_counts", std::vector<int64_t>{0, 2})
        .Attr("ngram_indexes", std::vector<int64_t>{3, 0, 1, 2})
        .Attr("pool_strings", std::vector<std::string>{"a", "b", "a", "b", "b", "c"});
    if (weights) t.Attr("weights", std::vector<float>{0.5f, 2.f, 3.f, 4.f});
    t.Input("x", Strings({2, 6}, {"a", "b", "c", "a", "x", "b", "c", "c", "c", "c", "c", "b"}))
        .Output("y");
    return t;
  };
  // Row 1 ("c c c c c b"): unigram b x1 only.
  auto tf = make("TF", false).Run();
  ASSERT_TRUE(tf.ok()) << tf.status().ToString();
  EXPECT_EQ((*tf)[0].value.tensor().shape(), (Shape{2, 4}));
  EXPECT_EQ((*tf)[0].value.tensor().ToVector<float>(),
            (std::vector<float>{2, 2, 1, 2, 1, 0, 0, 0}));
  auto idf = make("IDF", true).Run();
  ASSERT_TRUE(idf.ok());
  EXPECT_EQ((*idf)[0].value.tensor().ToVector<float>(),
            (std::vector<float>{0.5f, 2, 3, 4, 0.5f, 0, 0, 0}));
  auto tfidf = make("TFIDF", true).Run();
  ASSERT_TRUE(tfidf.ok());
  EXPECT_EQ((*tfidf)[0].value.tensor().ToVector<float>(),
            (std::vector<float>{1, 4, 3, 8, 0.5f, 0, 0, 0}));
}

TEST(TfIdfVectorizerOp, IntPoolTrigramsOnlyAndEmptyInput) {
  // Only 3-grams (min = max = 3) with skip up to 1 over int64 input: pool (1,2,3) -> coord 0.
  // In [1, 2, 3, 1, 9, 2, 7, 3]: skip 0 at 0; skip 1 at 0? (1,3,9) no; at 3: (1,2,3) via 3,5,7.
  auto make = [](Tensor x) {
    OpTest t("TfIdfVectorizer", 9);
    t.Attr("mode", "TF")
        .Attr("min_gram_length", int64_t{3})
        .Attr("max_gram_length", int64_t{3})
        .Attr("max_skip_count", int64_t{1})
        .Attr("ngram_counts", std::vector<int64_t>{0, 1, 1})
        .Attr("ngram_indexes", std::vector<int64_t>{1, 0})
        .Attr("pool_int64s", std::vector<int64_t>{4, 1, 2, 3})
        .Input("x", x)
        .Output("y");
    return t;
  };
  auto r = make(Tensor::FromVector<int64_t>({8}, {1, 2, 3, 1, 9, 2, 7, 3})).Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].value.tensor().ToVector<float>(), (std::vector<float>{2, 0}));
  auto e = make(*Tensor::Allocate(DataType::kInt32, {0})).Run();
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ((*e)[0].value.tensor().ToVector<float>(), (std::vector<float>{0, 0}));
  auto wrong = make(Strings({1}, {"1"})).Run();
  ASSERT_FALSE(wrong.ok());
  EXPECT_TRUE(Contains(wrong.status(), "'X'")) << wrong.status().ToString();
}

TEST(TfIdfVectorizerOp, BadAttributesFailAtLoad) {
  auto both = OpTest("TfIdfVectorizer", 9)
                  .Attr("mode", "TF")
                  .Attr("min_gram_length", int64_t{1})
                  .Attr("max_gram_length", int64_t{1})
                  .Attr("max_skip_count", int64_t{0})
                  .Attr("ngram_counts", std::vector<int64_t>{0})
                  .Attr("ngram_indexes", std::vector<int64_t>{0})
                  .Attr("pool_int64s", std::vector<int64_t>{1})
                  .Attr("pool_strings", std::vector<std::string>{"a"})
                  .Input("x", Tensor::FromVector<int64_t>({1}, {1}))
                  .Output("y")
                  .Load();
  ASSERT_FALSE(both.ok());
  EXPECT_TRUE(Contains(both.status(), "pool_int64s")) << both.status().ToString();
  auto counts = OpTest("TfIdfVectorizer", 9)
                    .Attr("mode", "TF")
                    .Attr("min_gram_length", int64_t{1})
                    .Attr("max_gram_length", int64_t{2})
                    .Attr("max_skip_count", int64_t{0})
                    .Attr("ngram_counts", std::vector<int64_t>{0, 1})
                    .Attr("ngram_indexes", std::vector<int64_t>{0, 1})
                    .Attr("pool_int64s", std::vector<int64_t>{1, 2, 3, 4})  // 3 items for 2-grams
                    .Input("x", Tensor::FromVector<int64_t>({1}, {1}))
                    .Output("y")
                    .Load();
  ASSERT_FALSE(counts.ok());
  EXPECT_TRUE(Contains(counts.status(), "ngram_counts")) << counts.status().ToString();
  auto mode = OpTest("TfIdfVectorizer", 9)
                  .Attr("mode", "BM25")
                  .Attr("min_gram_length", int64_t{1})
                  .Attr("max_gram_length", int64_t{1})
                  .Attr("max_skip_count", int64_t{0})
                  .Attr("ngram_counts", std::vector<int64_t>{0})
                  .Attr("ngram_indexes", std::vector<int64_t>{0})
                  .Attr("pool_int64s", std::vector<int64_t>{1})
                  .Input("x", Tensor::FromVector<int64_t>({1}, {1}))
                  .Output("y")
                  .Load();
  ASSERT_FALSE(mode.ok());
  EXPECT_TRUE(Contains(mode.status(), "mode")) << mode.status().ToString();
}

// =============================================================================================
// Random ops.

std::vector<NamedValue> RunTwice(const OpTest& t, const std::vector<NamedValue>& feeds,
                                 std::vector<NamedValue>* second) {
  auto s = t.Load();
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  auto a = (*s)->Run(feeds);
  auto b = (*s)->Run(feeds);
  EXPECT_TRUE(a.ok() && b.ok());
  *second = std::move(b).value();
  return std::move(a).value();
}

TEST(RandomOps, SeededUniformIsDeterministicInRangeAndUniform) {
  OpTest t("RandomUniform", 17);
  t.Attr("shape", std::vector<int64_t>{100, 100})
      .Attr("low", -2.f)
      .Attr("high", 3.f)
      .Attr("seed", 7.f)
      .Output("y");
  std::vector<NamedValue> second;
  auto first = RunTwice(t, {}, &second);
  const Tensor& y = first[0].value.tensor();
  EXPECT_EQ(y.shape(), (Shape{100, 100}));
  EXPECT_EQ(y.dtype(), DataType::kFloat);
  const auto v = y.ToVector<float>();
  EXPECT_EQ(v, second[0].value.tensor().ToVector<float>());
  double sum = 0;
  for (float x : v) {
    ASSERT_GE(x, -2.f);
    ASSERT_LE(x, 3.f);
    sum += x;
  }
  // Mean 0.5, std of the mean 5 / sqrt(12 * 10000) = 0.0144: 6 sigma bound.
  EXPECT_NEAR(sum / v.size(), 0.5, 0.09);
  // Another session with the same seed gives the same values; another seed does not.
  auto again = t.Run();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)[0].value.tensor().ToVector<float>(), v);
  OpTest other("RandomUniform", 17);
  other.Attr("shape", std::vector<int64_t>{100, 100}).Attr("seed", 8.f).Output("y");
  auto o = other.Run();
  ASSERT_TRUE(o.ok());
  EXPECT_NE((*o)[0].value.tensor().ToVector<float>(), v);
}

TEST(RandomOps, NormalMomentsAndDtypes) {
  auto r = OpTest("RandomNormal", 17)
               .Attr("shape", std::vector<int64_t>{20000})
               .Attr("mean", 1.5f)
               .Attr("scale", 2.f)
               .Attr("dtype", int64_t{11})
               .Attr("seed", 3.f)
               .Output("y")
               .Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ((*r)[0].value.tensor().dtype(), DataType::kDouble);
  const auto v = (*r)[0].value.tensor().ToVector<double>();
  double sum = 0, sq = 0;
  for (double x : v) sum += x;
  const double mean = sum / v.size();
  for (double x : v) sq += (x - mean) * (x - mean);
  EXPECT_NEAR(mean, 1.5, 0.1);                      // std of mean 0.014
  EXPECT_NEAR(std::sqrt(sq / v.size()), 2.0, 0.1);  // std of std ~0.01
  auto like = OpTest("RandomNormalLike", 17)
                  .Attr("dtype", int64_t{10})
                  .Input("x", Tensor::FromVector<int32_t>({2, 3}, {1, 2, 3, 4, 5, 6}))
                  .Output("y")
                  .Run();
  ASSERT_TRUE(like.ok()) << like.status().ToString();
  EXPECT_EQ((*like)[0].value.tensor().dtype(), DataType::kFloat16);
  EXPECT_EQ((*like)[0].value.tensor().shape(), (Shape{2, 3}));
  auto bad = OpTest("RandomNormal", 17)
                 .Attr("shape", std::vector<int64_t>{2})
                 .Attr("dtype", int64_t{6})
                 .Output("y")
                 .Load();
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(Contains(bad.status(), "dtype")) << bad.status().ToString();
}

TEST(RandomOps, UniformLikeTakesInputTypeOrNeedsDtype) {
  auto r = OpTest("RandomUniformLike", 17)
               .Input("x", Tensor::FromVector<double>({0, 4}, {}))
               .Output("y")
               .Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].value.tensor().dtype(), DataType::kDouble);
  EXPECT_EQ((*r)[0].value.tensor().shape(), (Shape{0, 4}));
  auto i = OpTest("RandomUniformLike", 17)
               .Input("x", Tensor::FromVector<int64_t>({2}, {1, 2}))
               .Output("y")
               .Run();
  ASSERT_FALSE(i.ok());
  EXPECT_TRUE(Contains(i.status(), "dtype")) << i.status().ToString();
  // Unseeded runs draw fresh values.
  OpTest u("RandomUniform", 17);
  u.Attr("shape", std::vector<int64_t>{64}).Output("y");
  std::vector<NamedValue> second;
  auto first = RunTwice(u, {}, &second);
  EXPECT_NE(first[0].value.tensor().ToVector<float>(), second[0].value.tensor().ToVector<float>());
}

TEST(RandomOps, BernoulliExtremesFrequencyAndErrors) {
  std::vector<float> p(4000);
  for (size_t i = 0; i < p.size(); ++i) p[i] = i % 4 == 0 ? 0.f : i % 4 == 1 ? 1.f : 0.3f;
  auto r = OpTest("Bernoulli", 15)
               .Attr("seed", 1.f)
               .Attr("dtype", int64_t{9})
               .Input("p", Tensor::FromVector<float>({4000}, p))
               .Output("y")
               .Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Tensor& y = (*r)[0].value.tensor();
  ASSERT_EQ(y.dtype(), DataType::kBool);
  const bool* b = y.data<bool>();
  int ones = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    if (i % 4 == 0) {
      ASSERT_FALSE(b[i]);
    }
    if (i % 4 == 1) {
      ASSERT_TRUE(b[i]);
    }
    if (i % 4 >= 2) ones += b[i];
  }
  EXPECT_NEAR(ones / 2000.0, 0.3, 0.05);  // std 0.01
  auto same =
      OpTest("Bernoulli", 15).Input("p", Tensor::FromVector<double>({2}, {0, 1})).Output("y").Run();
  ASSERT_TRUE(same.ok());
  EXPECT_EQ((*same)[0].value.tensor().dtype(), DataType::kDouble);
  EXPECT_EQ((*same)[0].value.tensor().ToVector<double>(), (std::vector<double>{0, 1}));
  auto bad = OpTest("Bernoulli", 15)
                 .Input("p", Tensor::FromVector<float>({2}, {0.5f, 1.5f}))
                 .Output("y")
                 .Run();
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(Contains(bad.status(), "probability")) << bad.status().ToString();
}

TEST(RandomOps, MultinomialRespectsProbabilities) {
  // Row 0: classes 1 and 3 impossible (-inf); class 2 has 3x the weight of class 0.
  // Row 1: only class 3.
  const float ninf = -INFINITY;
  const float l3 = std::log(3.f);
  auto r =
      OpTest("Multinomial", 7)
          .Attr("sample_size", int64_t{4000})
          .Attr("dtype", int64_t{7})
          .Attr("seed", 5.f)
          .Input("x", Tensor::FromVector<float>({2, 4}, {0, ninf, l3, ninf, ninf, ninf, ninf, 2}))
          .Output("y")
          .Run();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Tensor& y = (*r)[0].value.tensor();
  ASSERT_EQ(y.dtype(), DataType::kInt64);
  ASSERT_EQ(y.shape(), (Shape{2, 4000}));
  const auto v = y.ToVector<int64_t>();
  int twos = 0;
  for (int s = 0; s < 4000; ++s) {
    ASSERT_TRUE(v[s] == 0 || v[s] == 2) << v[s];
    twos += v[s] == 2;
    ASSERT_EQ(v[4000 + s], 3);
  }
  EXPECT_NEAR(twos / 4000.0, 0.75, 0.04);  // std 0.007
  auto nan = OpTest("Multinomial", 7)
                 .Input("x", Tensor::FromVector<float>({1, 2}, {0, NAN}))
                 .Output("y")
                 .Run();
  ASSERT_FALSE(nan.ok());
  EXPECT_TRUE(Contains(nan.status(), "input")) << nan.status().ToString();
  auto none = OpTest("Multinomial", 7)
                  .Attr("sample_size", int64_t{0})
                  .Input("x", Tensor::FromVector<float>({3, 2}, std::vector<float>(6)))
                  .Output("y")
                  .Run();
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ((*none)[0].value.tensor().shape(), (Shape{3, 0}));
  EXPECT_EQ((*none)[0].value.tensor().dtype(), DataType::kInt32);
}

}  // namespace
}  // namespace onnxedge
