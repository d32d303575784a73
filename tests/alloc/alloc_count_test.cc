// Copyright onnxedge authors.
// Counts heap allocations of steady-state runs. This binary replaces malloc and its relatives
// (operator new goes through malloc) with counting wrappers, so it is built without sanitizers.
//
// What "no allocation on the steady-state Run path" means, precisely: once a session has run
// an input shape a few times (the memory planner records the first run of a shape and creates
// the arena on the second; kernels' per-thread scratch reaches its size), a Session::RunInto
// that is handed back the outputs of the previous call makes zero calls to malloc, calloc,
// realloc, memalign, aligned_alloc or posix_memalign (operator new goes through malloc), on
// any thread: the runtime, every kernel and the thread pool's workers included. This is
// asserted exactly (== 0) for graphs built like the benchmark models (ResNet, MobileNetV2, a
// transformer encoder, nn.MultiheadAttention and a masked Hugging Face BERT self-attention fused
// into com.microsoft Attention, a YOLO-style detector), at 1 and 2 threads. Session::Run, which
// returns new output tensors, allocates exactly those (checked through the planner's counters).
// Run with --trace to print a backtrace of every counted allocation.
#include <errno.h>
#include <execinfo.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <string>

#include "test_random.h"
#include "unit/model_builder.h"

extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);
}

namespace {

std::atomic<bool> g_counting{false};
std::atomic<uint64_t> g_count{0};
std::atomic<uint64_t> g_large{0};
constexpr size_t kLarge = 1024;
constexpr int kMaxSizes = 256;
std::atomic<int> g_num_sizes{0};
size_t g_sizes[kMaxSizes];
bool g_trace = false;
thread_local bool tls_in_hook = false;

void Note(size_t n) {
  if (!g_counting.load(std::memory_order_relaxed) || tls_in_hook) return;
  g_count.fetch_add(1, std::memory_order_relaxed);
  if (n >= kLarge) {
    g_large.fetch_add(1, std::memory_order_relaxed);
    const int i = g_num_sizes.fetch_add(1);
    if (i < kMaxSizes) g_sizes[i] = n;
  }
  if (g_trace) {
    tls_in_hook = true;
    void* frames[16];
    int k = backtrace(frames, 16);
    std::fprintf(stderr, "alloc %zu bytes\n", n);
    backtrace_symbols_fd(frames, k, 2);
    tls_in_hook = false;
  }
}

}  // namespace

extern "C" {
void* malloc(size_t n) {
  Note(n);
  return __libc_malloc(n);
}
void* calloc(size_t a, size_t b) {
  Note(a * b);
  return __libc_calloc(a, b);
}
void* realloc(void* p, size_t n) {
  Note(n);
  return __libc_realloc(p, n);
}
void* memalign(size_t al, size_t n) {
  Note(n);
  return __libc_memalign(al, n);
}
void* aligned_alloc(size_t al, size_t n) {
  Note(n);
  return __libc_memalign(al, n);
}
int posix_memalign(void** out, size_t al, size_t n) {
  Note(n);
  void* p = __libc_memalign(al, n);
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}
}

namespace onnxedge {
namespace {

using namespace onnxedge::testing;  // NOLINT

struct Counts {
  uint64_t all = 0, large = 0;
};

template <typename F>
Counts Count(F&& f) {
  g_count = 0;
  g_large = 0;
  g_num_sizes = 0;
  g_counting = true;
  f();
  g_counting = false;
  return Counts{g_count.load(), g_large.load()};
}

std::vector<float> Random(size_t n, uint32_t seed, float scale = 0.5f) {
  return testing::RandomUniform(n, seed, -scale, scale);
}

onnx::AttributeProto Ints(const std::string& name, const std::vector<int64_t>& v) {
  onnx::AttributeProto a;
  a.set_name(name);
  a.set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a.add_ints(x);
  return a;
}
onnx::AttributeProto Int(const std::string& name, int64_t v) {
  onnx::AttributeProto a;
  a.set_name(name);
  a.set_type(onnx::AttributeProto::INT);
  a.set_i(v);
  return a;
}
onnx::AttributeProto Str(const std::string& name, const std::string& v) {
  onnx::AttributeProto a;
  a.set_name(name);
  a.set_type(onnx::AttributeProto::STRING);
  a.set_s(v);
  return a;
}

// Builds graphs shaped like the benchmark models, with seeded random weights.
class Builder {
 public:
  Builder() : m_(NewModel(17)), g_(m_.mutable_graph()) {}
  onnx::ModelProto& model() { return m_; }
  void Input(const std::string& name, DataType type, const std::vector<int64_t>& dims) {
    AddInput(g_, name, type, dims);
  }
  void Output(const std::string& name) { AddOutput(g_, name); }
  std::string Weight(const std::vector<int64_t>& shape, float scale = 0.3f) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return Const(Tensor::FromVector<float>(shape, Random(static_cast<size_t>(n), ++seed_, scale)));
  }
  std::string Const(const Tensor& t) {
    const std::string name = "c" + std::to_string(++count_);
    AddInitializer(g_, name, t);
    return name;
  }
  std::string Ints64(const std::vector<int64_t>& v) {
    return Const(Tensor::FromVector<int64_t>({static_cast<int64_t>(v.size())}, v));
  }
  std::string Scalar(float v) { return Const(Tensor::Scalar<float>(v)); }
  std::vector<std::string> OpN(const std::string& op, const std::vector<std::string>& inputs,
                               size_t outputs,
                               const std::vector<onnx::AttributeProto>& attrs = {}) {
    std::vector<std::string> outs;
    for (size_t i = 0; i < outputs; ++i) outs.push_back("v" + std::to_string(++count_));
    auto* n = AddNode(g_, op, inputs, outs);
    for (const auto& a : attrs) n->add_attribute()->CopyFrom(a);
    return outs;
  }
  std::string Op(const std::string& op, const std::vector<std::string>& inputs,
                 const std::vector<onnx::AttributeProto>& attrs = {}) {
    return OpN(op, inputs, 1, attrs)[0];
  }
  std::string Conv(const std::string& x, int64_t cin, int64_t cout, int64_t k, int64_t stride,
                   int64_t group = 1) {
    const int64_t p = k / 2;
    return Op("Conv", {x, Weight({cout, cin / group, k, k}), Weight({cout}, 0.1f)},
              {Ints("pads", {p, p, p, p}), Ints("strides", {stride, stride}), Int("group", group)});
  }
  std::string BatchNorm(const std::string& x, int64_t c) {
    std::vector<float> var = Random(static_cast<size_t>(c), ++seed_, 0.2f);
    for (float& v : var) v += 1.f;
    return Op("BatchNormalization", {x, Weight({c}), Weight({c}, 0.1f), Weight({c}, 0.1f),
                                     Const(Tensor::FromVector<float>({c}, var))});
  }
  std::string Silu(const std::string& x) { return Op("Mul", {x, Op("Sigmoid", {x})}); }
  std::string LayerNorm(const std::string& x, int64_t d) {
    return Op("LayerNormalization", {x, Weight({d}), Weight({d}, 0.1f)}, {Int("axis", -1)});
  }
  std::string Linear(const std::string& x, int64_t in, int64_t out) {
    return Op("Add", {Op("MatMul", {x, Weight({in, out})}), Weight({out}, 0.1f)});
  }

 private:
  onnx::ModelProto m_;
  onnx::GraphProto* g_;
  uint32_t seed_ = 0;
  int count_ = 0;
};

struct TestModel {
  std::string name;
  onnx::ModelProto proto;
  std::vector<NamedValue> feeds;
};

// ResNet: stem conv (stride 2) + BN + Relu + MaxPool, a basic block, a downsampling block
// (1x1 projection), global average pool, Flatten, Gemm.
TestModel ResNetLike() {
  Builder b;
  b.Input("x", DataType::kFloat, {1, 3, 32, 32});
  std::string x = b.Op("Relu", {b.BatchNorm(b.Conv("x", 3, 16, 3, 2), 16)});
  x = b.Op("MaxPool", {x},
           {Ints("kernel_shape", {3, 3}), Ints("strides", {2, 2}), Ints("pads", {1, 1, 1, 1})});
  std::string y = b.Op("Relu", {b.BatchNorm(b.Conv(x, 16, 16, 3, 1), 16)});
  y = b.BatchNorm(b.Conv(y, 16, 16, 3, 1), 16);
  x = b.Op("Relu", {b.Op("Add", {y, x})});
  y = b.Op("Relu", {b.BatchNorm(b.Conv(x, 16, 32, 3, 2), 32)});
  y = b.BatchNorm(b.Conv(y, 32, 32, 3, 1), 32);
  x = b.Op("Relu", {b.Op("Add", {y, b.BatchNorm(b.Conv(x, 16, 32, 1, 2), 32)})});
  x = b.Op("Flatten", {b.Op("GlobalAveragePool", {x})});
  b.Output(b.Op("Gemm", {x, b.Weight({10, 32}), b.Weight({10}, 0.1f)}, {Int("transB", 1)}));
  return {"resnet",
          b.model(),
          {{"x", Tensor::FromVector<float>({1, 3, 32, 32}, Random(3 * 32 * 32, 100))}}};
}

// MobileNetV2: Conv + BN + Relu6 (Clip), inverted residual blocks (1x1 expand, 3x3 depthwise,
// 1x1 project, residual Add), global average pool, Gemm.
TestModel MobileNetLike() {
  Builder b;
  b.Input("x", DataType::kFloat, {1, 3, 32, 32});
  const std::string lo = b.Scalar(0.f), hi = b.Scalar(6.f);
  auto relu6 = [&](const std::string& v) { return b.Op("Clip", {v, lo, hi}); };
  std::string x = relu6(b.BatchNorm(b.Conv("x", 3, 16, 3, 2), 16));
  auto block = [&](const std::string& in, int64_t cin, int64_t cout, int64_t stride) {
    const int64_t e = cin * 4;
    std::string h = relu6(b.BatchNorm(b.Conv(in, cin, e, 1, 1), e));
    h = relu6(b.BatchNorm(b.Conv(h, e, e, 3, stride, e), e));
    h = b.BatchNorm(b.Conv(h, e, cout, 1, 1), cout);
    return stride == 1 && cin == cout ? b.Op("Add", {h, in}) : h;
  };
  x = block(x, 16, 16, 1);
  x = block(x, 16, 24, 2);
  x = block(x, 24, 24, 1);
  x = b.Op("Flatten", {b.Op("GlobalAveragePool", {x})});
  b.Output(b.Op("Gemm", {x, b.Weight({10, 24}), b.Weight({10}, 0.1f)}, {Int("transB", 1)}));
  return {"mobilenet_v2",
          b.model(),
          {{"x", Tensor::FromVector<float>({1, 3, 32, 32}, Random(3 * 32 * 32, 101))}}};
}

// Transformer encoder layer as PyTorch exports it: embedding Gather + positions, multi-head
// self-attention (MatMul of two activations, Reshape/Transpose per head, scaled Softmax),
// residual Adds, LayerNormalization, a feed-forward block with erf-GELU.
TestModel TransformerLike() {
  constexpr int64_t kSeq = 16, kD = 32, kHeads = 4, kHd = 8, kFf = 64, kVocab = 50;
  Builder b;
  b.Input("ids", DataType::kInt64, {1, kSeq});
  std::string x = b.Op("Gather", {b.Weight({kVocab, kD}), "ids"});
  x = b.Op("Add", {x, b.Weight({1, kSeq, kD})});
  const std::string heads = b.Ints64({1, kSeq, kHeads, kHd});
  auto split_heads = [&](const std::string& v, const std::vector<int64_t>& perm) {
    return b.Op("Transpose", {b.Op("Reshape", {v, heads})}, {Ints("perm", perm)});
  };
  const std::string q = split_heads(b.Linear(x, kD, kD), {0, 2, 1, 3});
  const std::string k = split_heads(b.Linear(x, kD, kD), {0, 2, 3, 1});
  const std::string v = split_heads(b.Linear(x, kD, kD), {0, 2, 1, 3});
  std::string s = b.Op("Div", {b.Op("MatMul", {q, k}), b.Scalar(std::sqrt(float(kHd)))});
  s = b.Op("Softmax", {s}, {Int("axis", -1)});
  std::string ctx = b.Op("Transpose", {b.Op("MatMul", {s, v})}, {Ints("perm", {0, 2, 1, 3})});
  ctx = b.Op("Reshape", {ctx, b.Ints64({1, kSeq, kD})});
  x = b.LayerNorm(b.Op("Add", {x, b.Linear(ctx, kD, kD)}), kD);
  std::string h = b.Linear(x, kD, kFf);
  const std::string erf = b.Op("Erf", {b.Op("Div", {h, b.Scalar(std::sqrt(2.f))})});
  h = b.Op("Mul", {b.Op("Mul", {h, b.Op("Add", {erf, b.Scalar(1.f)})}), b.Scalar(0.5f)});
  x = b.LayerNorm(b.Op("Add", {x, b.Linear(h, kFf, kD)}), kD);
  b.Output(x);
  std::vector<int64_t> ids(kSeq);
  for (int64_t i = 0; i < kSeq; ++i) ids[static_cast<size_t>(i)] = (i * 7 + 3) % kVocab;
  return {"transformer_encoder", b.model(), {{"ids", Tensor::FromVector<int64_t>({1, kSeq}, ids)}}};
}

// nn.MultiheadAttention as PyTorch exports it (sequence-first: Transpose to [S,B,E], Q/K/V
// projections, Reshape to [S, B*heads, d] and per-head Transposes, scaled Softmax), which
// fuse_attention turns into one com.microsoft Attention: its per-head packing runs inside the
// thread pool's chunks. S = 20 and d = 8 leave partial GEMM slivers and panels.
TestModel MultiheadAttentionLike() {
  constexpr int64_t kB = 2, kSeq = 20, kD = 32, kHeads = 4, kHd = 8;
  Builder b;
  b.Input("x", DataType::kFloat, {kB, kSeq, kD});
  const std::string xs = b.Op("Transpose", {"x"}, {Ints("perm", {1, 0, 2})});
  const std::string heads = b.Ints64({kSeq, kB * kHeads, kHd});
  auto split_heads = [&](const std::string& v, const std::vector<int64_t>& perm) {
    return b.Op("Transpose", {b.Op("Reshape", {v, heads})}, {Ints("perm", perm)});
  };
  const std::string q = split_heads(b.Linear(xs, kD, kD), {1, 0, 2});
  const std::string k = split_heads(b.Linear(xs, kD, kD), {1, 2, 0});
  const std::string v = split_heads(b.Linear(xs, kD, kD), {1, 0, 2});
  std::string s = b.Op("Div", {b.Op("MatMul", {q, k}), b.Scalar(std::sqrt(float(kHd)))});
  s = b.Op("Softmax", {s}, {Int("axis", -1)});
  std::string o = b.Op("Transpose", {b.Op("MatMul", {s, v})}, {Ints("perm", {1, 0, 2})});
  o = b.Op("Reshape", {o, b.Ints64({kSeq * kB, kD})});
  b.Output(b.Linear(o, kD, kD));  // out_proj
  return {"multihead_attention",
          b.model(),
          {{"x", Tensor::FromVector<float>({kB, kSeq, kD}, Random(kB * kSeq * kD, 103))}}};
}

// Hugging Face BertSelfAttention (batch-first: Reshape [B, S, n, d], Transpose(0,2,1,3), K by
// (0,2,3,1)), scores / sqrt(d) + the extended mask (1 - Cast(Unsqueeze(attention_mask))) *
// -10000, which fuse_attention turns into Attention with an Expand of the mask as its
// attention_bias; the Unsqueeze and Expand on the mask run every time.
TestModel BertAttentionLike() {
  constexpr int64_t kB = 2, kSeq = 20, kD = 32, kHeads = 4, kHd = 8;
  Builder b;
  b.Input("x", DataType::kFloat, {kB, kSeq, kD});
  b.Input("attention_mask", DataType::kInt64, {kB, kSeq});
  const std::string heads = b.Ints64({kB, kSeq, kHeads, kHd});
  auto split_heads = [&](const std::string& v, const std::vector<int64_t>& perm) {
    return b.Op("Transpose", {b.Op("Reshape", {v, heads})}, {Ints("perm", perm)});
  };
  const std::string q = split_heads(b.Linear("x", kD, kD), {0, 2, 1, 3});
  const std::string k = split_heads(b.Linear("x", kD, kD), {0, 2, 3, 1});
  const std::string v = split_heads(b.Linear("x", kD, kD), {0, 2, 1, 3});
  std::string m = b.Op("Unsqueeze", {"attention_mask", b.Ints64({1, 2})});
  m = b.Op("Cast", {m}, {Int("to", 1)});
  m = b.Op("Mul", {b.Op("Sub", {b.Scalar(1.f), m}), b.Scalar(-10000.f)});
  std::string s = b.Op("Div", {b.Op("MatMul", {q, k}), b.Scalar(std::sqrt(float(kHd)))});
  s = b.Op("Softmax", {b.Op("Add", {s, m})}, {Int("axis", -1)});
  std::string o = b.Op("Transpose", {b.Op("MatMul", {s, v})}, {Ints("perm", {0, 2, 1, 3})});
  o = b.Op("Reshape", {o, b.Ints64({kB, kSeq, kD})});
  b.Output(b.LayerNorm(b.Op("Add", {b.Linear(o, kD, kD), "x"}), kD));  // BertSelfOutput
  std::vector<int64_t> mask(kB * kSeq, 1);
  for (int64_t j = 15; j < kSeq; ++j) mask[static_cast<size_t>(kSeq + j)] = 0;
  return {"bert_attention",
          b.model(),
          {{"x", Tensor::FromVector<float>({kB, kSeq, kD}, Random(kB * kSeq * kD, 104))},
           {"attention_mask", Tensor::FromVector<int64_t>({kB, kSeq}, mask)}}};
}

// YOLO-style detector: Conv + SiLU, a C2f-like block (Split, Concat), SPPF (chained MaxPools),
// nearest 2x Resize and Concat with a skip, two detection heads reshaped and transposed.
TestModel YoloLike() {
  Builder b;
  b.Input("x", DataType::kFloat, {1, 3, 32, 32});
  const std::string p1 = b.Silu(b.Conv("x", 3, 8, 3, 2));  // 8 x 16 x 16
  std::string x = b.Silu(b.Conv(p1, 8, 16, 3, 2));         // 16 x 8 x 8
  auto halves = b.OpN("Split", {x, b.Ints64({8, 8})}, 2, {Int("axis", 1)});
  const std::string c = b.Silu(b.Conv(halves[1], 8, 8, 3, 1));
  x = b.Silu(b.Conv(b.Op("Concat", {halves[0], halves[1], c}, {Int("axis", 1)}), 24, 16, 1, 1));
  const auto pool = std::vector<onnx::AttributeProto>{
      Ints("kernel_shape", {5, 5}), Ints("strides", {1, 1}), Ints("pads", {2, 2, 2, 2})};
  const std::string m1 = b.Op("MaxPool", {x}, pool), m2 = b.Op("MaxPool", {m1}, pool);
  const std::string m3 = b.Op("MaxPool", {m2}, pool);
  x = b.Silu(b.Conv(b.Op("Concat", {x, m1, m2, m3}, {Int("axis", 1)}), 64, 16, 1, 1));
  auto head = [&](const std::string& f, int64_t cin, int64_t hw) {
    std::string h = b.Conv(f, cin, 3 * 7, 1, 1);
    h = b.Op("Reshape", {h, b.Ints64({1, 3, 7, hw})});
    return b.Op("Sigmoid", {b.Op("Transpose", {h}, {Ints("perm", {0, 1, 3, 2})})});
  };
  b.Output(head(x, 16, 64));
  const std::string up =
      b.Op("Resize", {x, "", b.Const(Tensor::FromVector<float>({4}, {1.f, 1.f, 2.f, 2.f}))},
           {Str("mode", "nearest")});
  x = b.Silu(b.Conv(b.Op("Concat", {up, p1}, {Int("axis", 1)}), 24, 8, 3, 1));
  b.Output(head(x, 8, 256));
  return {"yolo",
          b.model(),
          {{"x", Tensor::FromVector<float>({1, 3, 32, 32}, Random(3 * 32 * 32, 102))}}};
}

// Ops outside the models' paths that used to build std::vectors every run: Resize (linear with
// scales, cubic with sizes, linear over three axes), Pad (constant, reflect, edge), Tile, the
// variadic Sum / Max / Min / Mean over 3 broadcast inputs, ConvInteger and QLinearConv with
// constant weights (and DynamicQuantizeLinear before ConvInteger), NonMaxSuppression.
TestModel OtherOpsLike() {
  Builder b;
  b.Input("x", DataType::kFloat, {1, 4, 8, 8});
  const std::string up =
      b.Op("Resize", {"x", "", b.Const(Tensor::FromVector<float>({4}, {1.f, 1.f, 2.f, 2.f}))},
           {Str("mode", "linear")});  // 4 x 16 x 16
  const std::string cubic = b.Op("Resize", {"x", "", "", b.Ints64({1, 4, 12, 12})},
                                 {Str("mode", "cubic")});  // 4 x 12 x 12
  // Resizing the channels too takes the general path (one pass per axis, accumulator rows).
  b.Output(b.Op("Resize",
                {"x", "", b.Const(Tensor::FromVector<float>({4}, {1.f, 2.f, 1.5f, 1.5f}))},
                {Str("mode", "linear")}));  // 8 x 12 x 12
  const std::string pc = b.Op("Pad", {"x", b.Ints64({0, 0, 1, 3, 0, 0, 3, 1}), b.Scalar(0.5f)});
  const std::string pr = b.Op("Pad", {"x", b.Ints64({0, 0, 2, 2, 0, 0, 2, 2})},
                              {Str("mode", "reflect")});  // 4 x 12 x 12
  const std::string pe =
      b.Op("Pad", {"x", b.Ints64({0, 1, 2, 2, 0, 0, 2, 2})}, {Str("mode", "edge")});  // 5 x 12 x 12
  const std::string tile = b.Op("Tile", {"x", b.Ints64({1, 1, 2, 2})});               // 4 x 16 x 16
  b.Output(pc);
  b.Output(tile);
  b.Output(b.Op("Sum", {up, tile, b.Weight({4, 1, 1})}));
  const std::string pe4 = b.Op("Slice", {pe, b.Ints64({1}), b.Ints64({5}), b.Ints64({1})});
  const std::string mx = b.Op("Max", {pr, pe4, b.Weight({12})});
  const std::string mn = b.Op("Min", {cubic, pr, b.Weight({1, 4, 1, 1})});
  b.Output(b.Op("Mean", {mx, mn, b.Weight({1, 1, 12, 1})}));
  // uint8 activations through ConvInteger (int32, cast back) and QLinearConv (dequantized).
  auto u8 = [&](const std::vector<int64_t>& shape, uint32_t seed) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    std::vector<uint8_t> v(static_cast<size_t>(n));
    std::mt19937 rng(seed);
    for (auto& e : v) e = static_cast<uint8_t>(rng() & 0xff);
    return b.Const(Tensor::FromVector<uint8_t>(shape, v));
  };
  const std::string x_scale = b.Scalar(0.02f);
  const std::string x_zp = b.Const(Tensor::Scalar<uint8_t>(128));
  const std::string xq = b.Op("QuantizeLinear", {"x", x_scale, x_zp});
  const std::string ci =
      b.Op("ConvInteger", {xq, u8({8, 4, 3, 3}, 7), x_zp, b.Const(Tensor::Scalar<uint8_t>(120))},
           {Ints("pads", {1, 1, 1, 1})});
  b.Output(b.Op("Cast", {ci}, {Int("to", 1)}));
  // Dynamically quantized ConvInteger as onnxruntime.quantization writes it (ISNet).
  const auto dq = b.OpN("DynamicQuantizeLinear", {"x"}, 3);
  const std::string dci = b.Op(
      "ConvInteger", {dq[0], u8({8, 4, 3, 3}, 9), dq[2], b.Const(Tensor::Scalar<uint8_t>(127))});
  b.Output(b.Op("Cast", {dci}, {Int("to", 1)}));
  b.Output(dq[1]);
  const std::string y_scale = b.Scalar(0.1f);
  const std::string y_zp = b.Const(Tensor::Scalar<uint8_t>(100));
  const std::string qc =
      b.Op("QLinearConv",
           {xq, x_scale, x_zp, u8({8, 4, 3, 3}, 8), b.Scalar(0.01f),
            b.Const(Tensor::Scalar<uint8_t>(130)), y_scale, y_zp,
            b.Const(Tensor::FromVector<int32_t>({8}, {10, -20, 30, -40, 50, -60, 70, -80}))},
           {Ints("pads", {1, 1, 1, 1}), Ints("strides", {2, 2})});
  b.Output(b.Op("DequantizeLinear", {qc, y_scale, y_zp}));
  // NonMaxSuppression over x read as 64 boxes with 4 classes of scores.
  const std::string nms = b.Op(
      "NonMaxSuppression",
      {b.Op("Reshape", {"x", b.Ints64({1, 64, 4})}), b.Op("Reshape", {"x", b.Ints64({1, 4, 64})}),
       b.Const(Tensor::FromVector<int64_t>({1}, {5})), b.Scalar(0.3f), b.Scalar(0.f)});
  b.Output(b.Op("Cast", {nms}, {Int("to", 1)}));
  // A reduction to 2 outputs over runs of 32768 values: each run splits into chunks whose
  // partial sums merge in a fixed order.
  const std::string big =
      b.Op("Reshape", {b.Op("Tile", {"x", b.Ints64({1, 1, 16, 16})}), b.Ints64({2, 32768})});
  b.Output(b.Op("ReduceSum", {big, b.Ints64({1})}, {Int("keepdims", 0)}));
  return {"other_ops",
          b.model(),
          {{"x", Tensor::FromVector<float>({1, 4, 8, 8}, Random(4 * 8 * 8, 105, 1.f))}}};
}

// Paths of the PaddleOCR models that used to allocate every run: a BatchNormalization that no
// Conv absorbs (its parameters were read into std::vectors, the error context built eagerly);
// a Sigmoid graph output computed in place over a ConvTranspose result (that block stayed on
// the heap); Squeeze with an axes input (std::vector axes and flags); a Split of short rows
// with a split input (its lengths converted to a std::vector).
TestModel OcrOpsLike() {
  Builder b;
  b.Input("x", DataType::kFloat, {1, 4, 8, 8});
  const std::string bn = b.BatchNorm(b.Op("Relu", {"x"}), 4);
  const std::string ct =
      b.Op("ConvTranspose", {bn, b.Weight({4, 4, 2, 2}), b.Weight({4}, 0.1f)},
           {Ints("strides", {2, 2})});  // 4 x 16 x 16
  b.Output(b.Op("Sigmoid", {ct}));
  const std::string mean = b.Op("ReduceMean", {"x"}, {Ints("axes", {2, 3}), Int("keepdims", 1)});
  b.Output(b.Op("Add", {b.Op("Squeeze", {mean, b.Ints64({2, 3})}), b.Weight({4})}));  // 1 x 4
  const auto pieces =
      b.OpN("Split", {b.Op("Reshape", {bn, b.Ints64({64, 4})}), b.Ints64({1, 3})}, 2,
            {Int("axis", 1)});
  b.Output(b.Op("Mul", {pieces[0], pieces[1]}));  // 64 x 3
  return {"ocr_ops",
          b.model(),
          {{"x", Tensor::FromVector<float>({1, 4, 8, 8}, Random(4 * 8 * 8, 107, 1.f))}}};
}

// An LSTM as Silero VAD runs it (one direction, no sequence lengths, initial states given),
// and a GRU and an RNN the same way: their bias, peephole, states, lengths, recurrent gate rows
// and GEMM packing were new std::vectors every run.
TestModel RecurrentLike() {
  Builder b;
  constexpr int64_t kHidden = 16, kInput = 8;
  b.Input("x", DataType::kFloat, {3, 1, kInput});  // seq, batch, input
  auto layer = [&](const std::string& op, int64_t gates, size_t outputs, bool cell) {
    const std::string w = b.Weight({1, gates * kHidden, kInput});
    const std::string r = b.Weight({1, gates * kHidden, kHidden});
    const std::string bias = b.Weight({1, 2 * gates * kHidden}, 0.1f);
    std::vector<std::string> in = {"x", w, r, bias, "", b.Weight({1, 1, kHidden})};
    if (cell) in.push_back(b.Weight({1, 1, kHidden}));
    for (const auto& o : b.OpN(op, in, outputs, {Int("hidden_size", kHidden)})) b.Output(o);
  };
  layer("LSTM", 4, 3, true);
  layer("GRU", 3, 2, false);
  layer("RNN", 1, 2, false);
  return {"recurrent",
          b.model(),
          {{"x", Tensor::FromVector<float>({3, 1, kInput}, Random(3 * kInput, 109, 1.f))}}};
}

// An If (as Silero VAD has) whose result feeds the main graph: its branch's results came back
// in a new vector every run, and its condition's error context was built every run. (An If
// whose results are graph outputs still allocates them: docs/performance.md.)
TestModel IfLike() {
  Builder b;
  b.Input("x", DataType::kFloat, {2, 3});
  const std::string sum = b.Op("ReduceSum", {"x"}, {Int("keepdims", 0)});
  const std::string cond = b.Op("Greater", {sum, b.Scalar(-100.f)});  // true for the feeds
  const std::string y = "if_out";
  auto* node = AddNode(b.model().mutable_graph(), "If", {cond}, {y});
  auto branch = [&](const char* name, const char* op) {
    auto* a = node->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::GRAPH);
    auto* g = a->mutable_g();
    g->set_name(name);
    const std::string t = std::string(name) + "_t", out = std::string(name) + "_out";
    AddNode(g, "Add", {"x", "x"}, {t});
    AddNode(g, op, {t}, {out});
    AddOutput(g, out);
  };
  branch("then_branch", "Relu");
  branch("else_branch", "Neg");
  b.Output(b.Op("Mul", {y, b.Scalar(2.f)}));
  return {"if", b.model(), {{"x", Tensor::FromVector<float>({2, 3}, Random(6, 111, 1.f))}}};
}

std::vector<TestModel> Models() {
  return {ResNetLike(),        MobileNetLike(), TransformerLike(), MultiheadAttentionLike(),
          BertAttentionLike(), YoloLike(),      OcrOpsLike(),      RecurrentLike(), IfLike()};
}

void ExpectNear(const std::vector<NamedValue>& got, const std::vector<NamedValue>& want,
                const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].name, want[i].name) << what;
    const Tensor& a = got[i].value.tensor();
    const Tensor& b = want[i].value.tensor();
    ASSERT_EQ(a.shape(), b.shape()) << what << " output " << i;
    ASSERT_EQ(a.dtype(), b.dtype()) << what << " output " << i;
    if (a.dtype() != DataType::kFloat) {
      ASSERT_EQ(a.bytes(), b.bytes()) << what << " output " << i;
      EXPECT_EQ(std::memcmp(a.raw_data(), b.raw_data(), a.bytes()), 0) << what << " output " << i;
      continue;
    }
    const auto va = a.ToVector<float>(), vb = b.ToVector<float>();
    for (size_t j = 0; j < va.size(); ++j) {
      ASSERT_NEAR(va[j], vb[j], 1e-5f + 1e-5f * std::fabs(vb[j])) << what << " output " << i;
    }
  }
}

// The steady state: RunInto with the previous call's outputs allocates nothing at all, and
// its results are Run's.
// `known_allocations` (models with control flow, see RealModelsAllocateNothing): the count is
// printed, not asserted, and neither are the planner's counters.
void ExpectSessionSteadyAllocatesNothing(const Session& s, const std::vector<NamedValue>& feeds,
                                         const std::string& name, int threads,
                                         bool known_allocations = false) {
  SCOPED_TRACE(name + " at " + std::to_string(threads) + " threads");
  auto expected = s.Run(feeds);
  ASSERT_TRUE(expected.ok()) << expected.status().ToString();
  std::vector<NamedValue> outputs;
  for (int i = 0; i < 3; ++i) {
    Status st = s.RunInto(feeds, &outputs);
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  const void* data0 = outputs[0].value.tensor().raw_data();
  const MemoryInfo before = s.memory_info();
  Status st = Status::Ok();
  const Counts c = Count([&] {
    for (int i = 0; i < 3 && st.ok(); ++i) st = s.RunInto(feeds, &outputs);
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  const MemoryInfo after = s.memory_info();
  std::printf("%s, %d threads: %llu heap allocations in 3 steady-state RunInto calls\n",
              name.c_str(), threads, static_cast<unsigned long long>(c.all));
  if (!known_allocations) {
    EXPECT_EQ(c.all, 0u) << "run with --trace to see where they come from";
    // Every tensor came from the arena or the caller's buffers, none from the heap.
    EXPECT_EQ(after.heap_allocations, before.heap_allocations);
    EXPECT_EQ(after.pattern_misses, 0u);
    EXPECT_GT(after.arena_allocations, before.arena_allocations);
  }
  // The outputs were computed into the same buffers, with Run's values.
  EXPECT_EQ(outputs[0].value.tensor().raw_data(), data0);
  ExpectNear(outputs, *expected, name);
}

void ExpectSteadyRunIntoAllocatesNothing(const TestModel& model, int threads) {
  SessionOptions o;
  o.intra_op_threads = threads;
  auto s = LoadProto(model.proto, o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ExpectSessionSteadyAllocatesNothing(**s, model.feeds, model.name, threads);
}

class SteadyState : public ::testing::TestWithParam<int> {};

TEST_P(SteadyState, RunIntoAllocatesNothing) {
  for (const auto& model : Models()) ExpectSteadyRunIntoAllocatesNothing(model, GetParam());
}

TEST_P(SteadyState, OtherOpsAllocateNothing) {
  const TestModel model = OtherOpsLike();
  ExpectSteadyRunIntoAllocatesNothing(model, GetParam());
  // Spot checks of the values against the input: constant Pad and Tile; NonMaxSuppression
  // selects some boxes, at most 5 for each of the 4 classes.
  auto s = LoadProto(model.proto);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  auto r = (*s)->Run(model.feeds);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto x = model.feeds[0].value.tensor().ToVector<float>();
  ASSERT_EQ((*r)[0].value.tensor().shape(), (Shape{1, 8, 12, 12}));
  const auto pad = (*r)[1].value.tensor().ToVector<float>();
  const auto tile = (*r)[2].value.tensor().ToVector<float>();
  ASSERT_EQ((*r)[1].value.tensor().shape(), (Shape{1, 4, 12, 12}));
  ASSERT_EQ((*r)[2].value.tensor().shape(), (Shape{1, 4, 16, 16}));
  const Shape& nms = (*r)[9].value.tensor().shape();
  ASSERT_EQ(nms.size(), 2u);
  EXPECT_EQ(nms[1], 3);
  EXPECT_GT(nms[0], 4);
  EXPECT_LE(nms[0], 20);
  for (int64_t c = 0; c < 4; ++c) {
    for (int64_t h = 0; h < 12; ++h) {
      for (int64_t w = 0; w < 12; ++w) {
        const bool inside = h >= 1 && h < 9 && w >= 3 && w < 11;
        const float want = inside ? x[static_cast<size_t>((c * 8 + h - 1) * 8 + w - 3)] : 0.5f;
        ASSERT_EQ(pad[static_cast<size_t>((c * 12 + h) * 12 + w)], want);
      }
    }
    for (int64_t h = 0; h < 16; ++h) {
      for (int64_t w = 0; w < 16; ++w) {
        ASSERT_EQ(tile[static_cast<size_t>((c * 16 + h) * 16 + w)],
                  x[static_cast<size_t>((c * 8 + h % 8) * 8 + w % 8)]);
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Threads, SteadyState, ::testing::Values(1, 2));

// ---- Model files ------------------------------------------------------------------------------
// The real trained models of tests/real_models (scripts/fetch_models.sh puts them in
// $ONNXEDGE_MODEL_CACHE, else ~/.cache/onnxedge/models) and the models the `models` test
// exports (build/models, or $ONNXEDGE_EXPORTED_MODELS), each run where its file is present.
// Any other file: ONNXEDGE_ALLOC_MODEL=PATH [ONNXEDGE_ALLOC_INPUTS=SPEC], test
// SteadyStateAllocations.ModelFromEnvironment.
//
// Inputs: the declared shape (unknown dims 1) unless SPEC gives one, "name:1x3x640x640";
// floats uniform in [-1, 1] (seeded), integers 1 unless SPEC gives a value, "name=16000";
// entries separated by commas.
struct ModelFile {
  std::string name;
  std::string path;    // Relative to its folder.
  std::string inputs;  // SPEC
  bool known_allocations = false;  // Counted and printed, not asserted.
};

std::string ModelCache() {
  if (const char* c = std::getenv("ONNXEDGE_MODEL_CACHE"); c && *c) return c;
  const char* home = std::getenv("HOME");
  return std::string(home ? home : "") + "/.cache/onnxedge/models";
}

std::string ExportedModels() {
  if (const char* c = std::getenv("ONNXEDGE_EXPORTED_MODELS"); c && *c) return c;
  return ONNXEDGE_EXPORTED_MODELS_DIR;
}

bool FileExists(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  std::fclose(f);
  return true;
}

// Parses SPEC into shapes and integer values; false when it is malformed.
bool ParseInputSpec(const std::string& spec, std::map<std::string, Shape>* shapes,
                    std::map<std::string, int64_t>* values) {
  size_t pos = 0;
  while (pos < spec.size()) {
    size_t end = spec.find(',', pos);
    if (end == std::string::npos) end = spec.size();
    const std::string item = spec.substr(pos, end - pos);
    pos = end + 1;
    if (item.empty()) continue;
    const size_t colon = item.find(':'), eq = item.find('=');
    if (colon != std::string::npos) {
      Shape shape;
      std::string dims = item.substr(colon + 1);
      size_t d = 0;
      while (d <= dims.size()) {
        size_t x = dims.find('x', d);
        if (x == std::string::npos) x = dims.size();
        const std::string v = dims.substr(d, x - d);
        if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos) return false;
        shape.push_back(std::stoll(v));
        d = x + 1;
      }
      (*shapes)[item.substr(0, colon)] = shape;
    } else if (eq != std::string::npos) {
      const std::string v = item.substr(eq + 1);
      if (v.empty() || v.find_first_not_of("-0123456789") != std::string::npos) return false;
      (*values)[item.substr(0, eq)] = std::stoll(v);
    } else {
      return false;
    }
  }
  return true;
}

template <typename T>
void FillInt(Tensor& t, int64_t v) {
  T* p = t.data<T>();
  for (int64_t i = 0; i < t.size(); ++i) p[i] = static_cast<T>(v);
}

// Feeds for a session's inputs (see above); false when an input's type is not handled.
bool MakeFeeds(const Session& s, const std::string& spec, std::vector<NamedValue>* feeds,
               std::string* error) {
  std::map<std::string, Shape> shapes;
  std::map<std::string, int64_t> values;
  if (!ParseInputSpec(spec, &shapes, &values)) {
    *error = "bad input spec '" + spec + "'";
    return false;
  }
  uint32_t seed = 11;
  for (const IoInfo& in : s.inputs()) {
    Shape shape;
    if (auto it = shapes.find(in.name); it != shapes.end()) {
      shape = it->second;
    } else {
      for (const DimInfo& d : in.dims) shape.push_back(d.value > 0 ? d.value : 1);
    }
    auto t = Tensor::Allocate(in.dtype, shape);
    if (!t.ok()) {
      *error = in.name + ": " + t.status().ToString();
      return false;
    }
    const int64_t v = values.count(in.name) ? values[in.name] : 1;
    switch (in.dtype) {
      case DataType::kFloat: {
        const auto r = Random(static_cast<size_t>(t->size()), ++seed, 1.f);
        std::copy(r.begin(), r.end(), t->data<float>());
        break;
      }
      case DataType::kInt64: FillInt<int64_t>(*t, v); break;
      case DataType::kInt32: FillInt<int32_t>(*t, v); break;
      case DataType::kUint8: FillInt<uint8_t>(*t, v); break;
      case DataType::kInt8: FillInt<int8_t>(*t, v); break;
      case DataType::kBool: FillInt<bool>(*t, v != 0); break;
      default:
        *error = in.name + ": input type not handled by this test";
        return false;
    }
    feeds->push_back({in.name, *t});
  }
  return true;
}

void ExpectModelFileAllocatesNothing(const std::string& path, const std::string& spec,
                                     const std::string& name, int threads,
                                     bool known_allocations = false) {
  SessionOptions o;
  o.intra_op_threads = threads;
  auto s = Session::Load(path, o);
  ASSERT_TRUE(s.ok()) << path << ": " << s.status().ToString();
  std::vector<NamedValue> feeds;
  std::string error;
  ASSERT_TRUE(MakeFeeds(**s, spec, &feeds, &error)) << path << ": " << error;
  ExpectSessionSteadyAllocatesNothing(**s, feeds, name, threads, known_allocations);
}

// Runs those of `models` whose file is in `dir`; skips when none is.
void RunModelFiles(const std::string& dir, const std::vector<ModelFile>& models, int threads) {
  int ran = 0;
  for (const ModelFile& m : models) {
    const std::string path = dir + "/" + m.path;
    if (!FileExists(path)) {
      std::printf("%s: not found, skipped (%s)\n", m.name.c_str(), path.c_str());
      continue;
    }
    ExpectModelFileAllocatesNothing(path, m.inputs, m.name, threads, m.known_allocations);
    ++ran;
  }
  if (ran == 0) GTEST_SKIP() << "no model file in " << dir;
}

// The real models, with the input shapes of tests/real_models.
TEST_P(SteadyState, RealModelsAllocateNothing) {
  RunModelFiles(ModelCache(),
                {{"PP-OCRv4 detector", "paddleocr/ch_PP-OCRv4_det_infer.onnx", "x:1x3x640x640"},
                 {"PP-OCRv4 recognizer", "paddleocr/ch_PP-OCRv4_rec_infer.onnx", "x:1x3x48x320"},
                 {"PP-OCR direction classifier", "paddleocr/ch_ppocr_mobile_v2.0_cls_infer.onnx",
                  "x:2x3x48x192"},
                 {"YOLOX-nano", "yolox_nano/yolox_nano.onnx", ""},
                 {"ISNet", "isnet/isnet_small.onnx", ""},
                 // Its If subgraphs still allocate (docs/performance.md): counted, not asserted.
                 {"Silero VAD", "silero_vad/silero_vad_v5.onnx",
                  "input:1x576,state:2x1x128,sr=16000", true}},
                GetParam());
}

// The models scripts/export_models.py writes for the `models` test.
TEST_P(SteadyState, ExportedModelsAllocateNothing) {
  RunModelFiles(ExportedModels(),
                {{"ResNet-18", "resnet18/model.onnx", ""},
                 {"MobileNetV2", "mobilenet_v2/model.onnx", ""},
                 {"transformer encoder", "transformer_encoder/model.onnx", ""},
                 {"YOLO-style", "yolo_tiny/model.onnx", ""},
                 {"BERT-tiny (Hugging Face)", "bert_tiny_hf/model.onnx", ""},
                 {"BERT-base encoder", "bert_base_encoder/model.onnx", ""}},
                GetParam());
}


// Session::Run returns new tensors: in the steady state its only heap tensors are the outputs.
// ONNXEDGE_ALLOC_MODEL=PATH, ONNXEDGE_ALLOC_INPUTS=SPEC (see ModelFile above),
// ONNXEDGE_ALLOC_THREADS=N (default: 1 and 2).
TEST(SteadyStateAllocations, ModelFromEnvironment) {
  const char* path = std::getenv("ONNXEDGE_ALLOC_MODEL");
  if (!path || !*path) GTEST_SKIP() << "ONNXEDGE_ALLOC_MODEL not set";
  const char* spec = std::getenv("ONNXEDGE_ALLOC_INPUTS");
  const char* threads = std::getenv("ONNXEDGE_ALLOC_THREADS");
  for (int t : {1, 2}) {
    if (threads && *threads && std::atoi(threads) != t) continue;
    ExpectModelFileAllocatesNothing(path, spec ? spec : "", path, t);
  }
  if (threads && *threads && std::atoi(threads) > 2) {
    ExpectModelFileAllocatesNothing(path, spec ? spec : "", path, std::atoi(threads));
  }
}

TEST(SteadyStateAllocations, RunAllocatesOnlyItsOutputs) {
  TestModel model = YoloLike();
  SessionOptions o;
  o.intra_op_threads = 2;
  auto s = LoadProto(model.proto, o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE((*s)->Run(model.feeds).ok());
  const MemoryInfo before = (*s)->memory_info();
  auto r = (*s)->Run(model.feeds);
  ASSERT_TRUE(r.ok());
  const MemoryInfo after = (*s)->memory_info();
  EXPECT_EQ(after.heap_allocations - before.heap_allocations, 2u);  // The two heads.
  EXPECT_EQ(after.pattern_misses, 0u);
  EXPECT_GT(after.arena_allocations - before.arena_allocations, 10u);
}

// Run and RunInto share one plan per input shape: whichever records it, the other follows it
// without misses or re-recording.
TEST(SteadyStateAllocations, RunAndRunIntoShareThePlan) {
  for (bool into_first : {true, false}) {
    TestModel model = ResNetLike();
    auto s = LoadProto(model.proto);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    // A caller buffer from the start: the recording run writes the output into it directly.
    std::vector<float> buffer(10);
    std::vector<NamedValue> outputs = {
        {"y", *Tensor::Borrow(DataType::kFloat, {1, 10}, buffer.data(), buffer.size() * 4)}};
    for (int round = 0; round < 2; ++round) {
      const bool into = (round == 0) == into_first;
      for (int i = 0; i < 3; ++i) {
        if (into) {
          ASSERT_TRUE((*s)->RunInto(model.feeds, &outputs).ok());
        } else {
          ASSERT_TRUE((*s)->Run(model.feeds).ok());
        }
      }
    }
    const MemoryInfo m = (*s)->memory_info();
    EXPECT_EQ(m.recorded_runs, 1u) << "RunInto first: " << into_first;
    EXPECT_EQ(m.pattern_misses, 0u) << "RunInto first: " << into_first;
  }
}

// A graph output computed in place over a dead intermediate allocates nothing when recorded;
// computing it into the caller's buffer must not shift the allocations after it (every later
// allocation would then miss its block). Found on ISNet (348 misses per run).
TEST(SteadyStateAllocations, InPlaceGraphOutputKeepsThePattern) {
  Builder b;
  b.Input("x", DataType::kFloat, {64, 64});
  const std::string y = b.Op("Relu", {b.Op("Neg", {"x"})});  // In place over Neg's output.
  b.Output(y);
  b.Output(b.Op("Sigmoid", {b.Op("Mul", {y, b.Scalar(2.f)})}));
  auto s = LoadProto(b.model());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  std::vector<NamedValue> feeds = {{"x", Tensor::FromVector<float>({64, 64}, Random(64 * 64, 3))}};
  std::vector<NamedValue> outputs;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE((*s)->RunInto(feeds, &outputs).ok());
  const MemoryInfo m = (*s)->memory_info();
  EXPECT_EQ(m.recorded_runs, 1u);
  EXPECT_EQ(m.pattern_misses, 0u);
  const auto x = feeds[0].value.tensor().ToVector<float>();
  const auto y0 = outputs[0].value.tensor().ToVector<float>();
  const auto y1 = outputs[1].value.tensor().ToVector<float>();
  for (size_t i = 0; i < x.size(); ++i) {
    ASSERT_EQ(y0[i], std::max(-x[i], 0.f));
    ASSERT_NEAR(y1[i], 1.f / (1.f + std::exp(-2.f * y0[i])), 1e-6f);
  }
}

// RunInto stays correct when the caller's output buffers cannot be reused: a tensor shared
// with another holder is replaced (the holder keeps the old values), and an output fed back
// as an input is not overwritten while the run reads it.
TEST(SteadyStateAllocations, RunIntoReplacesSharedAndFedBackOutputs) {
  Builder b;
  b.Input("x", DataType::kFloat, {2, 3});
  b.Output(b.Op("Add", {b.Op("Relu", {"x"}), b.Scalar(1.f)}));
  auto s = LoadProto(b.model());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  std::vector<NamedValue> feeds = {
      {"x", Tensor::FromVector<float>({2, 3}, {-1.f, 0.f, 1.f, 2.f, -3.f, 4.f})}};
  std::vector<NamedValue> out;
  ASSERT_TRUE((*s)->RunInto(feeds, &out).ok());
  EXPECT_EQ(out[0].value.tensor().ToVector<float>(),
            (std::vector<float>{1.f, 1.f, 2.f, 3.f, 1.f, 5.f}));
  // Shared: the copy must keep its values.
  Tensor kept = out[0].value.tensor();
  feeds[0].value = Tensor::FromVector<float>({2, 3}, {1.f, 1.f, 1.f, 1.f, 1.f, 1.f});
  ASSERT_TRUE((*s)->RunInto(feeds, &out).ok());
  EXPECT_EQ(kept.ToVector<float>(), (std::vector<float>{1.f, 1.f, 2.f, 3.f, 1.f, 5.f}));
  EXPECT_EQ(out[0].value.tensor().ToVector<float>(), std::vector<float>(6, 2.f));
  EXPECT_NE(out[0].value.tensor().raw_data(), kept.raw_data());
  // Fed back: x = previous y, run a few times; each must read the previous values.
  for (int i = 0; i < 4; ++i) {
    feeds[0].value = out[0].value;
    ASSERT_TRUE((*s)->RunInto(feeds, &out).ok());
    EXPECT_EQ(out[0].value.tensor().ToVector<float>(), std::vector<float>(6, 3.f + i));
  }
  // A borrowed buffer of the right shape receives the result in place.
  std::vector<float> mine(6, -7.f);
  auto borrowed = Tensor::Borrow(DataType::kFloat, {2, 3}, mine.data(), mine.size() * 4);
  ASSERT_TRUE(borrowed.ok());
  out = {{"whatever", *borrowed}};
  feeds[0].value = Tensor::FromVector<float>({2, 3}, {0.f, 1.f, 2.f, 3.f, 4.f, 5.f});
  ASSERT_TRUE((*s)->RunInto(feeds, &out).ok());
  EXPECT_EQ(mine, (std::vector<float>{1.f, 2.f, 3.f, 4.f, 5.f, 6.f}));
  EXPECT_EQ(out[0].value.tensor().raw_data(), mine.data());
  EXPECT_NE(out[0].name, "whatever");
  // A buffer of the wrong shape is replaced, and the borrowed one is left alone.
  std::vector<float> small(2, -7.f);
  out = {{"y", *Tensor::Borrow(DataType::kFloat, {2}, small.data(), 8)}};
  ASSERT_TRUE((*s)->RunInto(feeds, &out).ok());
  EXPECT_EQ(out[0].value.tensor().shape(), (Shape{2, 3}));
  EXPECT_EQ(small, std::vector<float>(2, -7.f));
}

}  // namespace
}  // namespace onnxedge

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  for (int i = 1; i < argc; ++i) g_trace |= std::strcmp(argv[i], "--trace") == 0;
  return RUN_ALL_TESTS();
}
