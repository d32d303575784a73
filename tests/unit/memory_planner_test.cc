// Copyright onnxedge authors.
// Memory planner tests: arena layout from lifetimes, the occupancy check, record / replay through
// a session, in-place reuse, signatures, poisoning of uninitialized memory.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <thread>

#include "runtime/memory_planner.h"
#include "runtime/session_impl.h"
#include "unit/model_builder.h"

namespace onnxedge {
namespace {

using namespace onnxedge::testing;  // NOLINT

// Checks that blocks with overlapping lifetimes have disjoint, aligned byte ranges inside the
// arena, and that heap records stay on the heap.
void ExpectValidLayout(const std::vector<AllocationRecord>& r, const ArenaLayout& l) {
  ASSERT_EQ(l.offsets.size(), r.size());
  for (size_t i = 0; i < r.size(); ++i) {
    if (r[i].heap || r[i].bytes == 0) {
      EXPECT_EQ(l.offsets[i], ArenaLayout::kHeap) << i;
      continue;
    }
    ASSERT_NE(l.offsets[i], ArenaLayout::kHeap) << i;
    EXPECT_EQ(l.offsets[i] % kArenaAlignment, 0u);
    EXPECT_GE(l.bytes[i], r[i].bytes);
    EXPECT_LE(l.offsets[i] + l.bytes[i], l.arena_bytes);
    for (size_t j = 0; j < i; ++j) {
      if (r[j].heap || r[j].bytes == 0) continue;
      const bool live_together = r[i].begin <= r[j].end && r[j].begin <= r[i].end;
      const bool share_memory = l.offsets[i] < l.offsets[j] + l.bytes[j] &&
                                l.offsets[j] < l.offsets[i] + l.bytes[i];
      EXPECT_FALSE(live_together && share_memory) << "blocks " << i << " and " << j;
    }
  }
}

TEST(PlanArena, ChainReusesDeadBlocks) {
  // a = f(x); b = g(a); free a; c = h(b); free b; d = k(c) (an output, alive at the end).
  std::vector<AllocationRecord> r = {
      {4096, 0, 2, false},  // a
      {4096, 1, 4, false},  // b
      {4096, 3, 6, false},  // c
      {4096, 5, 99, true},  // d: output
  };
  ArenaLayout l = PlanArena(r);
  ExpectValidLayout(r, l);
  EXPECT_EQ(l.arena_bytes, 2 * 4096u) << "a and c must share memory";
  EXPECT_EQ(l.offsets[0], l.offsets[2]);
  EXPECT_EQ(l.arena_blocks, 3u);
}

TEST(PlanArena, RandomLifetimesNeverOverlapAndStayNearTheLowerBound) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 50; ++trial) {
    const int n = 1 + static_cast<int>(rng() % 120);
    std::vector<AllocationRecord> r(static_cast<size_t>(n));
    uint64_t clock = 0;
    for (auto& rec : r) {
      rec.bytes = rng() % 5 == 0 ? 0 : 1 + rng() % 100000;
      rec.begin = clock++;
      rec.end = rec.begin + 1 + rng() % 20;
      rec.heap = rng() % 10 == 0;
    }
    ArenaLayout l = PlanArena(r);
    ExpectValidLayout(r, l);
    // Lower bound: the most bytes alive at one instant. Greedy layouts stay close to it.
    uint64_t peak = 0, total = 0;
    for (uint64_t t = 0; t < clock + 25; ++t) {
      uint64_t live = 0;
      for (size_t i = 0; i < r.size(); ++i) {
        if (!r[i].heap && r[i].bytes && r[i].begin <= t && t <= r[i].end) live += l.bytes[i];
      }
      peak = std::max(peak, live);
    }
    for (size_t i = 0; i < r.size(); ++i) total += r[i].heap ? 0 : l.bytes[i];
    EXPECT_GE(l.arena_bytes, peak);
    EXPECT_LE(l.arena_bytes, total);
    EXPECT_LE(l.arena_bytes, peak * 2) << "trial " << trial;
  }
}

TEST(Arena, RefusesRangesStillInUseAndCountsLiveTensors) {
  // Blocks 0 and 1 share memory in the layout (disjoint lifetimes).
  auto layout = std::make_shared<ArenaLayout>(
      PlanArena({{1024, 0, 1, false}, {1024, 2, 3, false}, {64, 0, 3, false}}));
  ASSERT_EQ(layout->offsets[0], layout->offsets[1]);
  auto heap = std::make_shared<Allocator>(0, 0);
  auto arena = Arena::Create(layout, heap.get());
  ASSERT_TRUE(arena);
  EXPECT_EQ(heap->arena_bytes(), layout->arena_bytes);
  {
    Tensor a = arena->TryTake(0, DataType::kFloat, {256}, 1024);
    ASSERT_TRUE(a.defined());
    EXPECT_TRUE(arena->Contains(a.raw_data()));
    EXPECT_TRUE(arena->busy());
    // Block 1 overlaps block 0, which is still alive (a shifted pattern): refused.
    EXPECT_FALSE(arena->TryTake(1, DataType::kFloat, {256}, 1024).defined());
    // Larger than recorded, or past the end of the layout: refused.
    EXPECT_FALSE(arena->TryTake(2, DataType::kFloat, {32}, 128).defined());
    EXPECT_FALSE(arena->TryTake(3, DataType::kFloat, {1}, 4).defined());
    Tensor view = a;  // A second holder keeps the block occupied.
    a = Tensor();
    EXPECT_FALSE(arena->TryTake(1, DataType::kFloat, {256}, 1024).defined());
  }
  EXPECT_FALSE(arena->busy());
  Tensor b = arena->TryTake(1, DataType::kFloat, {100}, 400);  // Smaller than recorded: fine.
  ASSERT_TRUE(b.defined());
  b = Tensor();
  EXPECT_FALSE(arena->busy());
  arena.reset();
  EXPECT_EQ(heap->arena_bytes(), 0u);
  EXPECT_EQ(heap->live_bytes(), 0u);
}

std::vector<float> Iota(size_t n, float scale) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = scale * static_cast<float>(static_cast<int>(i % 17) - 8);
  return v;
}

// The graph exactly as built: at the default level the optimizer fuses ChainModel into nodes
// whose every buffer ends up in an output (in place), leaving nothing for the arena to plan.
SessionOptions Unoptimized() {
  SessionOptions o;
  o.optimization_level = OptimizationLevel::kDisabled;
  return o;
}

// x[n,64] -> MatMul -> Add -> Relu -> MatMul -> Sigmoid -> Mul(., x2) ... a chain with in-place
// candidates, a value read twice, and two outputs.
onnx::ModelProto ChainModel() {
  auto m = NewModel();
  auto* g = m.mutable_graph();
  AddInput(g, "x", DataType::kFloat, {-1, 64}, {"n", ""});
  AddInitializer(g, "w1", Tensor::FromVector<float>({64, 64}, Iota(64 * 64, 0.01f)));
  AddInitializer(g, "b1", Tensor::FromVector<float>({64}, Iota(64, 0.1f)));
  AddInitializer(g, "w2", Tensor::FromVector<float>({64, 32}, Iota(64 * 32, 0.02f)));
  AddNode(g, "MatMul", {"x", "w1"}, {"h"});
  AddNode(g, "Add", {"h", "b1"}, {"hb"});
  AddNode(g, "Relu", {"hb"}, {"a"});
  AddNode(g, "MatMul", {"a", "w2"}, {"p"});
  AddNode(g, "Sigmoid", {"p"}, {"s"});
  AddNode(g, "Mul", {"s", "p"}, {"sp"});  // p is read twice: by Sigmoid and here.
  AddNode(g, "Neg", {"sp"}, {"y"});
  AddNode(g, "Relu", {"a"}, {"z"});  // a is read again late: Relu(a) above can't reuse hb... a.
  AddOutput(g, "y");
  AddOutput(g, "z");
  return m;
}

Tensor Input(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.f, 1.f);
  std::vector<float> v(static_cast<size_t>(n * 64));
  for (auto& x : v) x = d(rng);
  return Tensor::FromVector<float>({n, 64}, v);
}

std::vector<std::vector<float>> RunAll(const Session& s, const Tensor& x) {
  auto r = s.Run({{"x", x}});
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  std::vector<std::vector<float>> out;
  if (!r.ok()) return out;
  for (auto& nv : *r) out.push_back(nv.value.tensor().ToVector<float>());
  return out;
}

TEST(MemoryPattern, PlannedRunsMatchHeapRunsAndAllocateNoTensorsFromTheHeap) {
  SetPoisonUninitializedForTesting(true);
  SessionOptions heap_only = Unoptimized();
  heap_only.enable_memory_pattern = false;
  auto ref = LoadProto(ChainModel(), heap_only);
  auto s = LoadProto(ChainModel(), Unoptimized());
  ASSERT_TRUE(ref.ok() && s.ok());
  const Tensor x = Input(5, 1);
  const auto expected = RunAll(**ref, x);
  EXPECT_EQ((*ref)->memory_info().planned_runs, 0u);
  EXPECT_EQ((*ref)->memory_info().arena_bytes, 0u);

  EXPECT_EQ(RunAll(**s, x), expected);  // Records.
  MemoryInfo m1 = (*s)->memory_info();
  EXPECT_EQ(m1.recorded_runs, 1u);
  EXPECT_GT(m1.planned_arena_bytes, 0u);
  EXPECT_EQ(m1.arena_bytes, 0u) << "no arena exists before the first planned run";
  for (int i = 0; i < 3; ++i) EXPECT_EQ(RunAll(**s, x), expected) << "planned run " << i;
  MemoryInfo m = (*s)->memory_info();
  EXPECT_EQ(m.planned_runs, 3u);
  EXPECT_EQ(m.pattern_misses, 0u);
  EXPECT_EQ(m.signatures, 1u);
  EXPECT_EQ(m.arena_bytes, m.planned_arena_bytes);
  // Planned runs take only their two outputs from the heap.
  EXPECT_EQ(m.heap_allocations - m1.heap_allocations, 3u * 2u);
  EXPECT_GT(m.arena_allocations, 0u);
  // Both MatMul weights are held only packed (N = 64 and 32 fill whole 16-column panels, so the
  // packed copies are as large as the originals); b1 stays as it is.
  EXPECT_EQ(m.weight_bytes, (64 * 64 + 64 + 64 * 32) * 4u);
  EXPECT_EQ(m.prepacked_weight_bytes, (64 * 64 + 64 * 32) * 4u);
  SetPoisonUninitializedForTesting(false);
}

TEST(MemoryPattern, OutputsDoNotAliasTheArenaOfLaterRuns) {
  auto s = LoadProto(ChainModel(), Unoptimized());
  ASSERT_TRUE(s.ok());
  const Tensor x1 = Input(3, 1), x2 = Input(3, 2);
  (void)RunAll(**s, x1);
  auto first = (*s)->Run({{"x", x1}});  // Planned.
  ASSERT_TRUE(first.ok());
  const auto keep = (*first)[0].value.tensor().ToVector<float>();
  for (int i = 0; i < 3; ++i) (void)RunAll(**s, x2);
  EXPECT_EQ((*first)[0].value.tensor().ToVector<float>(), keep);
}

TEST(MemoryPattern, NewShapesRecordAgainAndOldShapesKeepTheirPlan) {
  auto s = LoadProto(ChainModel(), Unoptimized());
  ASSERT_TRUE(s.ok());
  const Tensor a = Input(2, 1), b = Input(9, 2);
  const auto ra = RunAll(**s, a), rb = RunAll(**s, b);
  EXPECT_EQ((*s)->memory_info().recorded_runs, 2u);
  const uint64_t arena_b = (*s)->memory_info().planned_arena_bytes;
  EXPECT_EQ(RunAll(**s, a), ra);
  const uint64_t arena_a = (*s)->memory_info().planned_arena_bytes;
  EXPECT_LT(arena_a, arena_b) << "batch 2 needs less than batch 9";
  EXPECT_EQ(RunAll(**s, b), rb);
  MemoryInfo m = (*s)->memory_info();
  EXPECT_EQ(m.recorded_runs, 2u);
  EXPECT_EQ(m.planned_runs, 2u);
  EXPECT_EQ(m.signatures, 2u);
  EXPECT_EQ(m.pattern_misses, 0u);
  EXPECT_EQ(m.arena_bytes, arena_a + arena_b);
}

TEST(MemoryPattern, ConcurrentRunsUseSeparateArenas) {
  auto s = LoadProto(ChainModel(), Unoptimized());
  ASSERT_TRUE(s.ok());
  const Tensor x = Input(4, 3);
  const auto expected = RunAll(**s, x);
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const Tensor other = Input(4, 100 + t);
      const auto other_expected = RunAll(**s, other);
      for (int i = 0; i < 50; ++i) {
        if (RunAll(**s, i % 2 ? x : other) != (i % 2 ? expected : other_expected)) ++bad;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(bad.load(), 0);
  MemoryInfo m = (*s)->memory_info();
  EXPECT_EQ(m.pattern_misses, 0u);
  EXPECT_GE(m.arena_bytes, m.planned_arena_bytes);
  EXPECT_LE(m.arena_bytes, 4 * m.planned_arena_bytes) << "at most one arena per concurrent run";
}

TEST(MemoryPattern, AFailedRecordingRunIsDiscarded) {
  auto s = LoadProto(ChainModel(), Unoptimized());
  ASSERT_TRUE(s.ok());
  const Tensor x = Input(4, 5);
  std::atomic<bool> cancel{true};
  RunOptions ro;
  ro.cancel_flag = &cancel;
  auto cancelled = (*s)->Run({{"x", x}}, ro);  // Stops before the first node.
  ASSERT_FALSE(cancelled.ok());
  EXPECT_EQ(cancelled.status().code(), StatusCode::kCancelled);
  const auto expected = RunAll(**s, x);  // Records (the cancelled run's record was dropped).
  EXPECT_EQ(RunAll(**s, x), expected);   // Planned.
  MemoryInfo m = (*s)->memory_info();
  EXPECT_EQ(m.planned_runs, 1u);
  EXPECT_EQ(m.pattern_misses, 0u) << "an empty record from the cancelled run was used";
  EXPECT_GT(m.planned_arena_bytes, 0u);
}

TEST(MemoryPattern, MemoryLimitCountsArenas) {
  SessionOptions o = Unoptimized();
  o.memory_limit_bytes = (64 * 64 + 64 + 64 * 32) * 4 + 64 * 1024;
  auto s = LoadProto(ChainModel(), o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const Tensor x = Input(4, 1);
  const auto expected = RunAll(**s, x);
  EXPECT_EQ(RunAll(**s, x), expected);
  EXPECT_LE((*s)->memory_info().peak_bytes, o.memory_limit_bytes);
  auto big = (*s)->Run({{"x", Input(4096, 1)}});  // 4096 x 64 floats = 1 MiB per tensor.
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().code(), StatusCode::kOutOfMemory);
}

// y = Neg(Sigmoid(Relu(Mul(x, x)))): with in-place reuse the intermediates share one buffer;
// without it each would take its own.
TEST(InPlace, ElementwiseChainsReuseDeadInputs) {
  auto m = NewModel();
  auto* g = m.mutable_graph();
  AddInput(g, "x", DataType::kFloat, {2, 3});
  AddNode(g, "Mul", {"x", "x"}, {"a"});
  AddNode(g, "Relu", {"a"}, {"b"});
  AddNode(g, "Sigmoid", {"b"}, {"c"});
  AddNode(g, "Neg", {"c"}, {"y"});
  AddOutput(g, "y");
  auto s = LoadProto(m);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  std::vector<float> xv = {1, -2, 3, -4, 5, 0};
  const std::vector<float> x_copy = xv;
  Tensor x = *Tensor::Borrow(DataType::kFloat, {2, 3}, xv.data(), xv.size() * 4);
  for (int run = 0; run < 3; ++run) {
    auto r = (*s)->Run({{"x", x}});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    auto y = (*r)[0].value.tensor().ToVector<float>();
    for (size_t i = 0; i < xv.size(); ++i) {
      EXPECT_FLOAT_EQ(y[i], -1.f / (1.f + std::exp(-x_copy[i] * x_copy[i])));
    }
  }
  EXPECT_EQ(xv, x_copy) << "graph inputs are never overwritten";
  MemoryInfo info = (*s)->memory_info();
  // Mul allocates (x is the caller's); Relu and Sigmoid reuse that buffer. Neg's output is the
  // graph output, which never takes over an intermediate (the intermediate would have to stay
  // on the heap), so each run makes two allocations: the intermediate's (from the heap in the
  // recording run, then from the arena) and the output's, from the heap.
  EXPECT_EQ(info.arena_allocations, 2u);
  EXPECT_EQ(info.heap_allocations, 4u);
}

TEST(InPlace, ValuesReadLaterOrSharedByViewsAreNotOverwritten) {
  auto m = NewModel();
  auto* g = m.mutable_graph();
  AddInput(g, "x", DataType::kFloat, {2, 3});
  AddInitializer(g, "shape", Tensor::FromVector<int64_t>({1}, {6}));
  AddNode(g, "Neg", {"x"}, {"a"});
  AddNode(g, "Reshape", {"a", "shape"}, {"v"});  // v shares a's storage.
  AddNode(g, "Relu", {"a"}, {"b"});              // a's last reader, but v still holds it.
  AddNode(g, "Neg", {"b"}, {"c"});
  AddNode(g, "Reshape", {"c", "shape"}, {"cv"});
  AddNode(g, "Add", {"v", "cv"}, {"d"});         // Reads v (= a) after Relu ran.
  AddNode(g, "Exp", {"d"}, {"e"});
  AddNode(g, "Add", {"e", "d"}, {"y"});  // d read twice: Exp must not overwrite it.
  AddOutput(g, "y");
  auto s = LoadProto(m);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const std::vector<float> xv = {1, -2, 3, -4, 5, 0};
  for (int run = 0; run < 3; ++run) {
    auto r = (*s)->Run({{"x", Tensor::FromVector<float>({2, 3}, xv)}});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    auto y = (*r)[0].value.tensor().ToVector<float>();
    ASSERT_EQ(y.size(), 6u);
    for (size_t i = 0; i < 6; ++i) {
      const float a = -xv[i], c = -std::max(a, 0.f), d = a + c;
      EXPECT_FLOAT_EQ(y[i], std::exp(d) + d) << i;
    }
  }
}

// y = MatMul(x, w1) (w1 prepacked by MatMul only: its data is freed), z = MatMul(x, w2) and
// w2 also a graph output through Identity (not freed: Identity reads the data).
TEST(PrepackedWeights, AreHeldOnceUnlessAnotherReaderNeedsTheData) {
  auto m = NewModel();
  auto* g = m.mutable_graph();
  AddInput(g, "x", DataType::kFloat, {2, 3});
  AddInitializer(g, "w1", Tensor::FromVector<float>({3, 2}, {1, 2, 3, 4, 5, 6}));
  AddInitializer(g, "w2", Tensor::FromVector<float>({3, 2}, {1, 0, 0, 1, 1, 1}));
  AddNode(g, "MatMul", {"x", "w1"}, {"y"});
  AddNode(g, "MatMul", {"x", "w2"}, {"z"});
  AddNode(g, "Identity", {"w2"}, {"w2_out"});
  AddOutput(g, "y");
  AddOutput(g, "z");
  AddOutput(g, "w2_out");
  auto s = LoadProto(m);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const auto& inits = (*s)->impl().model().graph->initializers;
  EXPECT_EQ(inits.at("w1").raw_data(), nullptr) << "prepacked by its only reader";
  EXPECT_EQ(inits.at("w1").shape(), (Shape{3, 2}));
  EXPECT_NE(inits.at("w2").raw_data(), nullptr) << "Identity reads the data";
  // Each MatMul holds its B as one 16-column GEMM panel of K = 3 rows (kernels::PackedB);
  // w2's own 6 floats stay for Identity, w1's are gone.
  const MemoryInfo mem = (*s)->memory_info();
  EXPECT_EQ(mem.prepacked_weight_bytes, 2u * 3 * 16 * sizeof(float));
  EXPECT_EQ(mem.weight_bytes, mem.prepacked_weight_bytes + 6 * sizeof(float));
  for (int run = 0; run < 2; ++run) {
    auto r = (*s)->Run({{"x", Tensor::FromVector<float>({2, 3}, {1, 0, 2, 0, 1, -1})}});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ((*r)[0].value.tensor().ToVector<float>(), (std::vector<float>{11, 14, -2, -2}));
    EXPECT_EQ((*r)[1].value.tensor().ToVector<float>(), (std::vector<float>{3, 2, -1, 0}));
    EXPECT_EQ((*r)[2].value.tensor().ToVector<float>(), (std::vector<float>{1, 0, 0, 1, 1, 1}));
  }
}

// Two MatMuls reading one weight share its packed copy (PrepackCache): it counts once.
TEST(PrepackedWeights, ASharedPackedCopyCountsOnce) {
  auto m = NewModel();
  auto* g = m.mutable_graph();
  AddInput(g, "x", DataType::kFloat, {2, 3});
  AddInitializer(g, "w", Tensor::FromVector<float>({3, 2}, {1, 2, 3, 4, 5, 6}));
  AddNode(g, "MatMul", {"x", "w"}, {"y"});
  AddNode(g, "MatMul", {"x", "w"}, {"z"});
  AddOutput(g, "y");
  AddOutput(g, "z");
  auto s = LoadProto(m, Unoptimized());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const MemoryInfo mem = (*s)->memory_info();
  EXPECT_EQ(mem.prepacked_weight_bytes, 3u * 16 * sizeof(float));
  EXPECT_EQ(mem.weight_bytes, mem.prepacked_weight_bytes);
}

// A 3x3 convolution with 64 input and 32 output channels runs as Winograd F(4x4, 3x3): its
// weights are held only transformed, 36 points x C x M (M in 16-column panels), 4x the raw
// 9 x C x M.
TEST(PrepackedWeights, CountTheWinogradTransformedConvolutionWeights) {
  auto m = NewModel();
  auto* g = m.mutable_graph();
  AddInput(g, "x", DataType::kFloat, {1, 64, 8, 8});
  AddInitializer(g, "w", Tensor::FromVector<float>({32, 64, 3, 3}, Iota(32 * 64 * 9, 0.001f)));
  AddNode(g, "Conv", {"x", "w"}, {"y"});
  AddOutput(g, "y");
  auto s = LoadProto(m, Unoptimized());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const MemoryInfo mem = (*s)->memory_info();
  EXPECT_EQ(mem.prepacked_weight_bytes, 36u * 64 * 32 * sizeof(float));
  EXPECT_EQ(mem.weight_bytes, mem.prepacked_weight_bytes) << "W itself is released";
}

TEST(Poison, UninitializedAllocationsAreFilledOnlyWhenAsked) {
  auto heap = std::make_shared<Allocator>(0, 0);
  MemoryPlanner planner(heap, true);
  RunMemory mem;
  planner.Begin({}, &mem);
  SetPoisonUninitializedForTesting(true);
  auto a = mem.Allocate(DataType::kInt32, {4}, false, nullptr, false);
  auto z = mem.Allocate(DataType::kInt32, {4}, true, nullptr, false);
  SetPoisonUninitializedForTesting(false);
  ASSERT_TRUE(a.ok() && z.ok());
  EXPECT_EQ(a->ToVector<int32_t>(), std::vector<int32_t>(4, -1));
  EXPECT_EQ(z->ToVector<int32_t>(), std::vector<int32_t>(4, 0));
  auto e = mem.Allocate(DataType::kFloat, {0, 3}, false, nullptr, false);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->size(), 0);
  auto bad = mem.Allocate(DataType::kFloat, {-1}, false, nullptr, false);
  EXPECT_FALSE(bad.ok());
  *a = Tensor();
  *z = Tensor();
  planner.End(&mem);
}

}  // namespace
}  // namespace onnxedge
