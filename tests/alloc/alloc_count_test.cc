// Copyright onnxedge authors.
// Counts heap allocations of steady-state runs. This binary replaces malloc and its relatives
// (operator new goes through malloc) with counting wrappers, so it is built without sanitizers.
//
// What "no allocation on the steady-state Run path" means here, precisely: after two runs with
// the same input shapes, a third run
//   - takes every intermediate tensor and scratch buffer from the planned arena: the only tensor
//     buffers it allocates from the heap are the returned outputs (checked through the planner's
//     counters and, independently, by the malloc hook: no heap allocation of 1 KiB or more other
//     than the output buffers);
//   - makes no allocation at all in the runtime itself (input validation, signature lookup,
//     executor, thread pool, arena hand-out): checked with a graph of ops whose kernels allocate
//     nothing but their output tensor's shape vector.
// What is excluded, and why: the returned std::vector<NamedValue> with its name strings and the
// output tensors (the caller owns them), and small metadata that kernels build per call
// (std::vector shapes and strides: Shape is a std::vector in the public API). Their count is
// bounded here per node so that a regression shows.
#include <errno.h>
#include <execinfo.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>

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
  std::vector<size_t> large_sizes;
};

template <typename F>
Counts Count(F&& f) {
  g_count = 0;
  g_large = 0;
  g_num_sizes = 0;
  g_counting = true;
  f();
  g_counting = false;
  Counts c{g_count.load(), g_large.load(), {}};
  for (int i = 0; i < std::min(g_num_sizes.load(), kMaxSizes); ++i) {
    c.large_sizes.push_back(g_sizes[i]);
  }
  return c;
}

std::vector<float> Random(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-0.5f, 0.5f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

// A small CNN + attention-like block touching the common op families: Conv, BatchNorm, Relu,
// MaxPool, Add, Mul, Sigmoid, Reshape, Transpose, Softmax, Concat, ReduceMean, GlobalAveragePool,
// Flatten, Gemm. Two outputs: logits and a feature map (big enough to be a "large" allocation).
onnx::ModelProto Model() {
  auto m = NewModel();
  auto* g = m.mutable_graph();
  AddInput(g, "x", DataType::kFloat, {1, 3, 32, 32});
  AddInitializer(g, "w1", Tensor::FromVector<float>({16, 3, 3, 3}, Random(16 * 27, 1)));
  AddInitializer(g, "b1", Tensor::FromVector<float>({16}, Random(16, 2)));
  AddInitializer(g, "scale", Tensor::FromVector<float>({16}, Random(16, 3)));
  AddInitializer(g, "bias", Tensor::FromVector<float>({16}, Random(16, 4)));
  AddInitializer(g, "mean", Tensor::FromVector<float>({16}, Random(16, 5)));
  AddInitializer(g, "var", Tensor::FromVector<float>({16}, std::vector<float>(16, 1.f)));
  AddInitializer(g, "w2", Tensor::FromVector<float>({16, 16, 3, 3}, Random(16 * 144, 6)));
  AddInitializer(g, "shape", Tensor::FromVector<int64_t>({3}, {1, 16, 256}));
  AddInitializer(g, "wq", Tensor::FromVector<float>({16}, Random(16, 7)));
  AddInitializer(g, "wg", Tensor::FromVector<float>({32, 10}, Random(320, 8)));
  AddInitializer(g, "bg", Tensor::FromVector<float>({10}, Random(10, 9)));
  AddNode(g, "Conv", {"x", "w1", "b1"}, {"c1"})->add_attribute()->CopyFrom([] {
    onnx::AttributeProto a;
    a.set_name("pads");
    a.set_type(onnx::AttributeProto::INTS);
    for (int i = 0; i < 4; ++i) a.add_ints(1);
    return a;
  }());
  AddNode(g, "BatchNormalization", {"c1", "scale", "bias", "mean", "var"}, {"bn"});
  AddNode(g, "Relu", {"bn"}, {"r1"});
  auto* mp = AddNode(g, "MaxPool", {"r1"}, {"p1"});
  auto* ks = mp->add_attribute();
  ks->set_name("kernel_shape");
  ks->set_type(onnx::AttributeProto::INTS);
  ks->add_ints(2);
  ks->add_ints(2);
  auto* st = mp->add_attribute();
  st->set_name("strides");
  st->set_type(onnx::AttributeProto::INTS);
  st->add_ints(2);
  st->add_ints(2);
  auto* c2 = AddNode(g, "Conv", {"p1", "w2"}, {"c2"});
  auto* pads = c2->add_attribute();
  pads->set_name("pads");
  pads->set_type(onnx::AttributeProto::INTS);
  for (int i = 0; i < 4; ++i) pads->add_ints(1);
  AddNode(g, "Sigmoid", {"c2"}, {"s2"});
  AddNode(g, "Mul", {"c2", "s2"}, {"swish"});
  AddNode(g, "Add", {"swish", "p1"}, {"res"});
  AddNode(g, "Reshape", {"res", "shape"}, {"seq"});        // [1,16,256]
  auto* tr = AddNode(g, "Transpose", {"seq"}, {"seq_t"});  // [1,256,16]
  auto* perm = tr->add_attribute();
  perm->set_name("perm");
  perm->set_type(onnx::AttributeProto::INTS);
  for (int p : {0, 2, 1}) perm->add_ints(p);
  // No MatMul of two activations here: the shared GEMM packs such operands into its own
  // per-call buffers (src/kernels), which this test would count (a known gap, see
  // docs/performance.md). Elementwise ops stand in for the attention block.
  AddNode(g, "Mul", {"seq_t", "wq"}, {"q"});     // [1,256,16]
  AddNode(g, "Softmax", {"q"}, {"attn"});
  AddNode(g, "Mul", {"attn", "seq_t"}, {"ctx"});  // [1,256,16]
  AddNode(g, "Concat", {"ctx", "q"}, {"cat"})->add_attribute()->CopyFrom([] {
    onnx::AttributeProto a;
    a.set_name("axis");
    a.set_type(onnx::AttributeProto::INT);
    a.set_i(2);
    return a;
  }());                                                  // [1,256,32]
  AddNode(g, "ReduceMean", {"cat"}, {"pooled"})->add_attribute()->CopyFrom([] {
    onnx::AttributeProto a;
    a.set_name("axes");
    a.set_type(onnx::AttributeProto::INTS);
    a.add_ints(1);
    return a;
  }());                                                  // [1,1,32]
  AddNode(g, "Flatten", {"pooled"}, {"flat"});           // [1,32]
  AddNode(g, "Gemm", {"flat", "wg", "bg"}, {"logits"});  // [1,10]
  AddNode(g, "GlobalAveragePool", {"res"}, {"gap"});
  AddOutput(g, "logits");
  AddOutput(g, "res");
  AddOutput(g, "gap");
  return m;
}

TEST(SteadyStateAllocations, OnlyOutputsComeFromTheHeap) {
  SessionOptions o;
  o.intra_op_threads = 2;
  auto s = LoadProto(Model(), o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  std::vector<NamedValue> feeds = {
      {"x", Tensor::FromVector<float>({1, 3, 32, 32}, Random(3 * 32 * 32, 10))}};
  std::vector<NamedValue> first;
  for (int i = 0; i < 2; ++i) {
    auto r = (*s)->Run(feeds);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    first = std::move(r).value();
  }
  const MemoryInfo before = (*s)->memory_info();
  StatusOr<std::vector<NamedValue>> third = std::vector<NamedValue>{};
  const Counts c = Count([&] { third = (*s)->Run(feeds); });
  ASSERT_TRUE(third.ok()) << third.status().ToString();
  const MemoryInfo after = (*s)->memory_info();
  for (size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ((*third)[i].value.tensor().ToVector<float>(),
              first[i].value.tensor().ToVector<float>());
  }
  // The planner: three outputs from the heap, everything else from the arena.
  EXPECT_EQ(after.heap_allocations - before.heap_allocations, 3u);
  EXPECT_EQ(after.pattern_misses, 0u);
  EXPECT_GT(after.arena_allocations - before.arena_allocations, 5u);
  // The malloc hook: the only allocation of 1 KiB or more is the 16 KiB 'res' output.
  EXPECT_EQ(c.large, 1u);
  for (size_t n : c.large_sizes) EXPECT_EQ(n, 16u * 16 * 16 * 4) << "unexpected heap block";
  // Everything else is small metadata (shape vectors of tensor copies, kernels' broadcast plans
  // and stride vectors); ~22 nodes, measured 211 when this bound was set.
  std::printf("steady-state run: %llu heap allocations in total, %llu of >= 1 KiB\n",
              static_cast<unsigned long long>(c.all), static_cast<unsigned long long>(c.large));
  EXPECT_LE(c.all, 22u * 10u);
}

TEST(SteadyStateAllocations, RuntimeItselfAllocatesNothing) {
  // Identity-like graph whose kernels allocate nothing: Relu in place over a dead intermediate
  // and Reshape views. The only allocations are the output tensor's (buffer + shape vector +
  // holder) and the returned vector with its name string.
  auto m = NewModel();
  auto* g = m.mutable_graph();
  AddInput(g, "x", DataType::kFloat, {4, 8});
  AddNode(g, "Neg", {"x"}, {"a"});
  AddNode(g, "Relu", {"a"}, {"b"});
  AddNode(g, "Neg", {"b"}, {"y"});
  AddOutput(g, "y");
  SessionOptions o;
  o.intra_op_threads = 2;
  auto s = LoadProto(m, o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  std::vector<NamedValue> feeds = {{"x", Tensor::FromVector<float>({4, 8}, Random(32, 1))}};
  for (int i = 0; i < 2; ++i) ASSERT_TRUE((*s)->Run(feeds).ok());
  StatusOr<std::vector<NamedValue>> r = std::vector<NamedValue>{};
  const Counts c = Count([&] { r = (*s)->Run(feeds); });
  ASSERT_TRUE(r.ok());
  // What remains, all small (measured 13): the output's data block, holder and shape vector (3);
  // the returned vector (1); and shape-vector copies, since every Tensor copy copies its
  // std::vector Shape: the bound input, the frame's input slot, the two in-place aliases, the
  // executor's result (vector + 2), the returned Value and the detached output (9). Frames, step
  // scratch, signature lookup and arena hand-out allocate nothing.
  std::printf("3-node run: %llu heap allocations\n", static_cast<unsigned long long>(c.all));
  EXPECT_LE(c.all, 13u);
}

}  // namespace
}  // namespace onnxedge

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  for (int i = 1; i < argc; ++i) g_trace |= std::strcmp(argv[i], "--trace") == 0;
  return RUN_ALL_TESTS();
}
