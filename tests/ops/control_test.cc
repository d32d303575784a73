// Copyright onnxedge authors.
// Control flow (If, Loop, Scan), sequence and optional ops, and the executor features they rely
// on: outer-scope reads several levels up, value lifetimes around subgraphs, cancellation and
// deadlines inside long loops, concurrent runs sharing one plan.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <thread>

#include "ops/op_test_util.h"

namespace onnxedge {
namespace {

// ---------------------------------------------------------------------------------------------
// Building multi-node models (and subgraphs) in memory.

onnx::TypeProto TensorType(DataType t, std::optional<Shape> shape = std::nullopt) {
  onnx::TypeProto tp;
  auto* tt = tp.mutable_tensor_type();
  tt->set_elem_type(static_cast<int>(t));
  if (shape) {
    auto* s = tt->mutable_shape();
    for (int64_t d : *shape) s->add_dim()->set_dim_value(d);
  }
  return tp;
}

onnx::TypeProto SeqType(DataType t) {
  onnx::TypeProto tp;
  *tp.mutable_sequence_type()->mutable_elem_type() = TensorType(t);
  return tp;
}

onnx::TypeProto OptType(const onnx::TypeProto& inner) {
  onnx::TypeProto tp;
  *tp.mutable_optional_type()->mutable_elem_type() = inner;
  return tp;
}

class GraphBuilder {
 public:
  explicit GraphBuilder(const std::string& name) { g_.set_name(name); }

  GraphBuilder& In(const std::string& name, const onnx::TypeProto& type) {
    auto* vi = g_.add_input();
    vi->set_name(name);
    *vi->mutable_type() = type;
    return *this;
  }
  GraphBuilder& Out(const std::string& name, std::optional<onnx::TypeProto> type = std::nullopt) {
    auto* vi = g_.add_output();
    vi->set_name(name);
    if (type) *vi->mutable_type() = *type;
    return *this;
  }
  GraphBuilder& Init(const std::string& name, const Tensor& t) {
    onnx_io::TensorToProto(t, name, g_.add_initializer());
    return *this;
  }
  onnx::NodeProto* Node(const std::string& op, const std::vector<std::string>& ins,
                        const std::vector<std::string>& outs) {
    auto* n = g_.add_node();
    n->set_op_type(op);
    n->set_name(op + "_" + std::to_string(g_.node_size()));
    for (const auto& i : ins) n->add_input(i);
    for (const auto& o : outs) n->add_output(o);
    return n;
  }
  const onnx::GraphProto& graph() const { return g_; }

 private:
  onnx::GraphProto g_;
};

void AttrGraph(onnx::NodeProto* n, const std::string& name, const GraphBuilder& b) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::GRAPH);
  *a->mutable_g() = b.graph();
}
void AttrInt(onnx::NodeProto* n, const std::string& name, int64_t v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}
void AttrInts(onnx::NodeProto* n, const std::string& name, const std::vector<int64_t>& v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}
void AttrType(onnx::NodeProto* n, const std::string& name, const onnx::TypeProto& t) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::TYPE_PROTO);
  *a->mutable_tp() = t;
}

StatusOr<std::unique_ptr<Session>> Load(const GraphBuilder& b, int opset) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  auto* os = m.add_opset_import();
  os->set_domain("");
  os->set_version(opset);
  *m.mutable_graph() = b.graph();
  std::string bytes = m.SerializeAsString();
  SessionOptions options;
  options.intra_op_threads = 2;
  return Session::LoadFromBuffer(bytes.data(), bytes.size(), options);
}

// Sessions created by the helpers below stay alive until the test program exits: output tensors
// return their bytes to the session's allocator when freed, so they must not outlive it (see the
// report on src/runtime/allocator.cc).
std::unique_ptr<Session>* Keep(std::unique_ptr<Session> s) {
  static std::mutex mu;
  static auto* kept = new std::vector<std::unique_ptr<Session>>();
  std::lock_guard<std::mutex> lock(mu);
  kept->push_back(std::move(s));
  return &kept->back();
}

StatusOr<std::vector<NamedValue>> LoadAndRun(const GraphBuilder& b, int opset,
                                             const std::vector<NamedValue>& feeds,
                                             const RunOptions& options = {}) {
  auto s = Load(b, opset);
  if (!s.ok()) return s.status();
  return (*Keep(std::move(s).value()))->Run(feeds, options);
}

// Runs a one-node OpTest model on `feeds` (its own feeds are private).
StatusOr<std::vector<NamedValue>> RunOp(const testing::OpTest& t,
                                        const std::vector<NamedValue>& feeds) {
  auto s = t.Load();
  if (!s.ok()) return s.status();
  return (*Keep(std::move(s).value()))->Run(feeds);
}

bool Contains(const Status& s, const std::string& text) {
  return s.message().find(text) != std::string::npos;
}

Tensor F32(Shape shape, std::vector<float> v) { return Tensor::FromVector<float>(shape, v); }
Tensor I64(Shape shape, std::vector<int64_t> v) { return Tensor::FromVector<int64_t>(shape, v); }
Tensor Bool(bool v) { return Tensor::Scalar<bool>(v); }

const auto kF = DataType::kFloat;
const auto kI64 = DataType::kInt64;
const auto kB = DataType::kBool;

// ---------------------------------------------------------------------------------------------
// If

// then: returns the outer value x unchanged; else: returns the branch's own initializer.
GraphBuilder IfModel() {
  GraphBuilder then_b("then");
  then_b.Out("x");
  GraphBuilder else_b("else");
  else_b.Init("k", F32({2}, {7, 8})).Out("k");
  GraphBuilder g("main");
  g.In("c", TensorType(kB)).In("x", TensorType(kF, Shape{2})).Out("y");
  auto* n = g.Node("If", {"c"}, {"y"});
  AttrGraph(n, "then_branch", then_b);
  AttrGraph(n, "else_branch", else_b);
  return g;
}

TEST(IfOp, BranchesReturnOuterValuesOrTheirOwnInitializers) {
  auto s = Load(IfModel(), 13);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  auto t = (*s)->Run({{"c", Bool(true)}, {"x", F32({2}, {1, 2})}});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ((*t)[0].value.tensor().ToVector<float>(), (std::vector<float>{1, 2}));
  auto e = (*s)->Run({{"c", Bool(false)}, {"x", F32({2}, {1, 2})}});
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ((*e)[0].value.tensor().ToVector<float>(), (std::vector<float>{7, 8}));
  // The branch initializer is the session's; the caller gets a copy it may write to.
  (*e)[0].value.tensor().data<float>()[0] = 100;
  auto e2 = (*s)->Run({{"c", Bool(false)}, {"x", F32({2}, {1, 2})}});
  ASSERT_TRUE(e2.ok());
  EXPECT_EQ((*e2)[0].value.tensor().ToVector<float>(), (std::vector<float>{7, 8}));
}

TEST(IfOp, ConditionMustBeOneBool) {
  auto s = Load(IfModel(), 13);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  // A one-element bool of shape [1] is accepted.
  auto r = (*s)->Run({{"c", Tensor::FromVector<bool>({1}, {false})}, {"x", F32({2}, {1, 2})}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].value.tensor().ToVector<float>(), (std::vector<float>{7, 8}));
  auto bad =
      (*s)->Run({{"c", Tensor::FromVector<bool>({2}, {true, false})}, {"x", F32({2}, {1, 2})}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(bad.status(), "cond")) << bad.status().message();
}

TEST(IfOp, BranchOutputCountMismatchIsALoadError) {
  GraphBuilder then_b("then");
  then_b.Out("x").Out("x");
  GraphBuilder else_b("else");
  else_b.Out("x");
  GraphBuilder g("main");
  g.In("c", TensorType(kB)).In("x", TensorType(kF)).Out("y");
  auto* n = g.Node("If", {"c"}, {"y"});
  AttrGraph(n, "then_branch", then_b);
  AttrGraph(n, "else_branch", else_b);
  auto s = Load(g, 13);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(Contains(s.status(), "then_branch")) << s.status().message();
}

TEST(IfOp, SequenceAndOptionalOutputs) {
  // then: Optional(SequenceConstruct(x, x)); else: an empty optional sequence.
  GraphBuilder then_b("then");
  then_b.Node("SequenceConstruct", {"x", "x"}, {"s"});
  then_b.Node("Optional", {"s"}, {"o"});
  then_b.Out("o");
  GraphBuilder else_b("else");
  AttrType(else_b.Node("Optional", {}, {"none"}), "type", SeqType(kF));
  else_b.Out("none");
  GraphBuilder g("main");
  g.In("c", TensorType(kB)).In("x", TensorType(kF)).Out("o").Out("has");
  auto* n = g.Node("If", {"c"}, {"o"});
  AttrGraph(n, "then_branch", then_b);
  AttrGraph(n, "else_branch", else_b);
  g.Node("OptionalHasElement", {"o"}, {"has"});
  auto s = Load(g, 16);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  auto t = (*s)->Run({{"c", Bool(true)}, {"x", F32({1}, {3})}});
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_TRUE((*t)[0].value.is_sequence());
  EXPECT_EQ((*t)[0].value.sequence().size(), 2u);
  EXPECT_TRUE((*t)[1].value.tensor().ToVector<bool>()[0]);
  auto e = (*s)->Run({{"c", Bool(false)}, {"x", F32({1}, {3})}});
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_TRUE((*e)[0].value.is_none());
  EXPECT_FALSE((*e)[1].value.tensor().ToVector<bool>()[0]);
}

// ---------------------------------------------------------------------------------------------
// Loop

// for i in [0, M): v = v + x; scans: v (after the update) and i.
GraphBuilder ForLoopModel() {
  GraphBuilder body("body");
  body.In("i", TensorType(kI64, Shape{}))
      .In("c_in", TensorType(kB, Shape{}))
      .In("v_in", TensorType(kF, Shape{2}));
  body.Node("Identity", {"c_in"}, {"c_out"});
  body.Node("Add", {"v_in", "x"}, {"v_out"});
  body.Node("Identity", {"v_out"}, {"scan_v"});
  body.Node("Identity", {"i"}, {"scan_i"});
  body.Out("c_out", TensorType(kB, Shape{}))
      .Out("v_out", TensorType(kF, Shape{2}))
      .Out("scan_v", TensorType(kF, Shape{2}))
      .Out("scan_i", TensorType(kI64, Shape{}));
  GraphBuilder g("main");
  g.In("m", TensorType(kI64, Shape{})).In("v0", TensorType(kF, Shape{2}));
  g.In("x", TensorType(kF, Shape{2}));
  g.Out("v").Out("vs").Out("is");
  auto* n = g.Node("Loop", {"m", "", "v0"}, {"v", "vs", "is"});
  AttrGraph(n, "body", body);
  return g;
}

TEST(LoopOp, ForLoopCarriesValuesAndStacksScanOutputs) {
  auto r = LoadAndRun(ForLoopModel(), 13,
                      {{"m", I64({}, {3})}, {"v0", F32({2}, {1, 2})}, {"x", F32({2}, {10, 20})}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].value.tensor().ToVector<float>(), (std::vector<float>{31, 62}));
  EXPECT_EQ((*r)[1].value.tensor().shape(), (Shape{3, 2}));
  EXPECT_EQ((*r)[1].value.tensor().ToVector<float>(), (std::vector<float>{11, 22, 21, 42, 31, 62}));
  EXPECT_EQ((*r)[2].value.tensor().shape(), (Shape{3}));
  EXPECT_EQ((*r)[2].value.tensor().ToVector<int64_t>(), (std::vector<int64_t>{0, 1, 2}));
}

TEST(LoopOp, ZeroIterationsReturnInitialValuesAndEmptyScans) {
  for (int64_t m : {0, -5}) {
    auto r = LoadAndRun(ForLoopModel(), 13,
                        {{"m", I64({}, {m})}, {"v0", F32({2}, {1, 2})}, {"x", F32({2}, {1, 1})}});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ((*r)[0].value.tensor().ToVector<float>(), (std::vector<float>{1, 2}));
    EXPECT_EQ((*r)[1].value.tensor().shape(), (Shape{0, 2}));
    EXPECT_EQ((*r)[1].value.tensor().dtype(), kF);
    EXPECT_EQ((*r)[2].value.tensor().shape(), (Shape{0}));
    EXPECT_EQ((*r)[2].value.tensor().dtype(), kI64);
  }
}

TEST(LoopOp, TripCountMustBeOneInt64) {
  GraphBuilder body("body");
  body.In("i", TensorType(kI64, Shape{})).In("c_in", TensorType(kB, Shape{}));
  body.In("v_in", TensorType(kF));
  body.Out("c_in").Out("v_in");
  GraphBuilder g("main");
  // "c" is declared without element type so a wrong one reaches the kernel.
  g.In("m", TensorType(kI64))
      .In("c", TensorType(DataType::kUndefined))
      .Init("v0", F32({1}, {0}))
      .Out("v");
  AttrGraph(g.Node("Loop", {"m", "c", "v0"}, {"v"}), "body", body);
  auto s = Load(g, 13);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  auto r = (*s)->Run({{"m", I64({2}, {1, 2})}, {"c", Bool(true)}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(r.status(), "'M'")) << r.status().message();
  auto c = (*s)->Run({{"m", I64({}, {1})}, {"c", I64({}, {1})}});
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(Contains(c.status(), "'cond'")) << c.status().message();
}

TEST(LoopOp, NewestOpsetsUseTheSameKernels) {
  // Opsets 19 and 21 only widened the type lists of If, Loop and Scan.
  for (int opset : {19, 21}) {
    auto r = LoadAndRun(ForLoopModel(), opset,
                        {{"m", I64({}, {2})}, {"v0", F32({2}, {0, 0})}, {"x", F32({2}, {1, 2})}});
    ASSERT_TRUE(r.ok()) << opset << ": " << r.status().ToString();
    EXPECT_EQ((*r)[0].value.tensor().ToVector<float>(), (std::vector<float>{2, 4}));
    auto i = LoadAndRun(IfModel(), opset, {{"c", Bool(false)}, {"x", F32({2}, {1, 2})}});
    ASSERT_TRUE(i.ok()) << opset << ": " << i.status().ToString();
    EXPECT_EQ((*i)[0].value.tensor().ToVector<float>(), (std::vector<float>{7, 8}));
  }
}

// while (cond): cond comes from an outer sequence of bools indexed by the iteration number;
// the counter adds an outer initializer. M is omitted.
GraphBuilder WhileModel() {
  GraphBuilder body("body");
  body.In("i", TensorType(kI64, Shape{})).In("c_in", TensorType(kB, Shape{}));
  body.In("n_in", TensorType(kF, Shape{}));
  body.Node("SequenceAt", {"flags", "i"}, {"c_out"});
  body.Node("Add", {"n_in", "one"}, {"n_out"});
  body.Out("c_out").Out("n_out");
  GraphBuilder g("main");
  g.In("flags", SeqType(kB)).In("c", TensorType(kB, Shape{}));
  g.Init("one", Tensor::Scalar<float>(1)).Init("zero", Tensor::Scalar<float>(0));
  g.Out("n");
  AttrGraph(g.Node("Loop", {"", "c", "zero"}, {"n"}), "body", body);
  return g;
}

TEST(LoopOp, WhileLoopStopsWhenTheBodyConditionTurnsFalse) {
  auto s = Load(WhileModel(), 13);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  std::vector<Tensor> flags = {Bool(true), Bool(true), Bool(false), Bool(true)};
  auto r = (*s)->Run({{"flags", Value::Sequence(flags, kB)}, {"c", Bool(true)}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // Iterations 0, 1 and 2 run; iteration 2 yields false.
  EXPECT_EQ((*r)[0].value.tensor().ToVector<float>(), (std::vector<float>{3}));
  auto none = (*s)->Run({{"flags", Value::Sequence(flags, kB)}, {"c", Bool(false)}});
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ((*none)[0].value.tensor().ToVector<float>(), (std::vector<float>{0}));
  // A body error names the Loop and the iteration.
  std::vector<Tensor> short_flags = {Bool(true), Bool(true)};
  auto err = (*s)->Run({{"flags", Value::Sequence(short_flags, kB)}, {"c", Bool(true)}});
  ASSERT_FALSE(err.ok());
  EXPECT_TRUE(Contains(err.status(), "iteration 2")) << err.status().message();
  EXPECT_TRUE(Contains(err.status(), "(Loop)")) << err.status().message();
}

TEST(LoopOp, SequenceLoopCarriedValue) {
  GraphBuilder body("body");
  body.In("i", TensorType(kI64, Shape{})).In("c_in", TensorType(kB, Shape{}));
  body.In("s_in", SeqType(kI64));
  body.Node("Identity", {"c_in"}, {"c_out"});
  body.Node("SequenceInsert", {"s_in", "i"}, {"s_out"});
  body.Out("c_out").Out("s_out");
  GraphBuilder g("main");
  g.In("m", TensorType(kI64, Shape{})).Out("s").Out("len");
  AttrInt(g.Node("SequenceEmpty", {}, {"s0"}), "dtype", static_cast<int64_t>(kI64));
  AttrGraph(g.Node("Loop", {"m", "", "s0"}, {"s"}), "body", body);
  g.Node("SequenceLength", {"s"}, {"len"});
  auto r = LoadAndRun(g, 13, {{"m", I64({}, {4})}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE((*r)[0].value.is_sequence());
  const auto& seq = (*r)[0].value.sequence();
  ASSERT_EQ(seq.size(), 4u);
  for (int64_t i = 0; i < 4; ++i) {
    EXPECT_EQ(seq[static_cast<size_t>(i)].ToVector<int64_t>(), (std::vector<int64_t>{i}));
  }
  EXPECT_EQ((*r)[1].value.tensor().ToVector<int64_t>(), (std::vector<int64_t>{4}));
}

TEST(LoopOp, BodyWithWrongInputCountIsALoadError) {
  GraphBuilder body("body");
  body.In("i", TensorType(kI64, Shape{})).In("c_in", TensorType(kB, Shape{}));
  body.Out("c_in");
  GraphBuilder g("main");
  g.In("m", TensorType(kI64, Shape{})).In("v0", TensorType(kF)).Out("v");
  AttrGraph(g.Node("Loop", {"m", "", "v0"}, {"v"}), "body", body);
  auto s = Load(g, 13);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(Contains(s.status(), "'body'")) << s.status().message();
}

// Loop (M=3) whose body holds an If whose then-branch reads v_in (one level up), xx (a value of
// the main graph, two levels up, read nowhere else so its lifetime must cover the Loop) and w
// (a main graph initializer, two levels up). After the Loop, x is read again.
TEST(Executor, SubgraphsReadOuterValuesTwoLevelsUp) {
  GraphBuilder then_b("then");
  then_b.Node("Add", {"v_in", "xx"}, {"a"});
  then_b.Node("Add", {"a", "w"}, {"b"});
  then_b.Out("b");
  GraphBuilder else_b("else");
  else_b.Out("v_in");
  GraphBuilder body("body");
  body.In("i", TensorType(kI64, Shape{})).In("c_in", TensorType(kB, Shape{}));
  body.In("v_in", TensorType(kF, Shape{2}));
  body.Node("Identity", {"c_in"}, {"c_out"});
  auto* iff = body.Node("If", {"c_in"}, {"v_out"});
  AttrGraph(iff, "then_branch", then_b);
  AttrGraph(iff, "else_branch", else_b);
  body.Out("c_out").Out("v_out");
  GraphBuilder g("main");
  g.In("x", TensorType(kF, Shape{2})).In("c", TensorType(kB, Shape{}));
  g.Init("w", F32({2}, {10, 20})).Init("z", F32({2}, {0, 0})).Init("m", I64({}, {3}));
  g.Out("v").Out("after");
  g.Node("Identity", {"x"}, {"xx"});
  AttrGraph(g.Node("Loop", {"m", "c", "z"}, {"v"}), "body", body);
  g.Node("Add", {"v", "x"}, {"after"});
  auto s = Load(g, 13);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  auto r = (*s)->Run({{"x", F32({2}, {1, 2})}, {"c", Bool(true)}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // v = 3 * (x + w); after = v + x.
  EXPECT_EQ((*r)[0].value.tensor().ToVector<float>(), (std::vector<float>{33, 66}));
  EXPECT_EQ((*r)[1].value.tensor().ToVector<float>(), (std::vector<float>{34, 68}));
  auto f = (*s)->Run({{"x", F32({2}, {1, 2})}, {"c", Bool(false)}});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ((*f)[0].value.tensor().ToVector<float>(), (std::vector<float>{0, 0}));
  EXPECT_EQ((*f)[1].value.tensor().ToVector<float>(), (std::vector<float>{1, 2}));
}

// Loop (M=2) whose body runs a Scan over the outer input X [3,2] starting from the carried
// accumulator; the Scan's final state is carried, its cumulative rows become a Loop scan output.
TEST(Executor, LoopBodyRunsAScan) {
  GraphBuilder scan_body("scan_body");
  scan_body.In("s_in", TensorType(kF, Shape{2})).In("row", TensorType(kF, Shape{2}));
  scan_body.Node("Add", {"s_in", "row"}, {"s_out"});
  scan_body.Node("Identity", {"s_out"}, {"cum"});
  scan_body.Out("s_out").Out("cum");
  GraphBuilder body("body");
  body.In("i", TensorType(kI64, Shape{})).In("c_in", TensorType(kB, Shape{}));
  body.In("acc_in", TensorType(kF, Shape{2}));
  body.Node("Identity", {"c_in"}, {"c_out"});
  auto* scan = body.Node("Scan", {"acc_in", "X"}, {"acc_out", "rows"});
  AttrGraph(scan, "body", scan_body);
  AttrInt(scan, "num_scan_inputs", 1);
  body.Out("c_out").Out("acc_out").Out("rows");
  GraphBuilder g("main");
  g.In("X", TensorType(kF, Shape{3, 2}));
  g.Init("m", I64({}, {2})).Init("z", F32({2}, {0, 0}));
  g.Out("acc").Out("all_rows");
  AttrGraph(g.Node("Loop", {"m", "", "z"}, {"acc", "all_rows"}), "body", body);
  const std::vector<float> x = {1, 2, 3, 4, 5, 6};
  auto r = LoadAndRun(g, 13, {{"X", F32({3, 2}, x)}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // Naive reference.
  std::vector<float> acc = {0, 0}, rows;
  for (int it = 0; it < 2; ++it) {
    for (int t = 0; t < 3; ++t) {
      for (int j = 0; j < 2; ++j) acc[j] += x[t * 2 + j];
      rows.insert(rows.end(), acc.begin(), acc.end());
    }
  }
  EXPECT_EQ((*r)[0].value.tensor().ToVector<float>(), acc);
  EXPECT_EQ((*r)[1].value.tensor().shape(), (Shape{2, 3, 2}));
  EXPECT_EQ((*r)[1].value.tensor().ToVector<float>(), rows);
}

// A loop that never ends by itself: M is huge and the body has no nodes (so only the Loop's own
// per-iteration check can stop it).
GraphBuilder EndlessLoopModel() {
  GraphBuilder body("body");
  body.In("i", TensorType(kI64, Shape{})).In("c_in", TensorType(kB, Shape{}));
  body.In("v_in", TensorType(kF, Shape{1}));
  body.Out("c_in").Out("v_in");
  GraphBuilder g("main");
  g.In("v0", TensorType(kF, Shape{1}));
  g.Init("m", I64({}, {int64_t{10} * 1000 * 1000})).Out("v");
  AttrGraph(g.Node("Loop", {"m", "", "v0"}, {"v"}), "body", body);
  return g;
}

TEST(Executor, CancelFlagStopsALongLoop) {
  auto s = Load(EndlessLoopModel(), 13);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  std::atomic<bool> cancel{false};
  RunOptions options;
  options.cancel_flag = &cancel;
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    cancel.store(true);
  });
  auto r = (*s)->Run({{"v0", F32({1}, {1})}}, options);
  canceller.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled) << r.status().ToString();
}

TEST(Executor, DeadlineStopsALongLoop) {
  auto s = Load(EndlessLoopModel(), 13);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  RunOptions past;
  past.deadline = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  auto r = (*s)->Run({{"v0", F32({1}, {1})}}, past);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
  RunOptions soon;
  soon.deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(20);
  auto r2 = (*s)->Run({{"v0", F32({1}, {1})}}, soon);
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.status().code(), StatusCode::kCancelled) << r2.status().ToString();
}

TEST(Executor, ConcurrentRunsShareOnePlan) {
  auto s = Load(ForLoopModel(), 13);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int rep = 0; rep < 20; ++rep) {
        const int64_t m = 1 + (t + rep) % 5;
        const float base = static_cast<float>(t);
        auto r = (*s)->Run(
            {{"m", I64({}, {m})}, {"v0", F32({2}, {base, -base})}, {"x", F32({2}, {1, 2})}});
        const float fm = static_cast<float>(m);
        if (!r.ok() ||
            (*r)[0].value.tensor().ToVector<float>() !=
                std::vector<float>{base + fm, -base + 2 * fm} ||
            (*r)[1].value.tensor().shape() != Shape{m, 2}) {
          failures++;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

// ---------------------------------------------------------------------------------------------
// Scan

// Body: s_out = s_in + x_t; y_t = s_out.
GraphBuilder SumBody(const onnx::TypeProto& state, const onnx::TypeProto& elem) {
  GraphBuilder body("body");
  body.In("s_in", state).In("x_t", elem);
  body.Node("Add", {"s_in", "x_t"}, {"s_out"});
  body.Node("Identity", {"s_out"}, {"y_t"});
  body.Out("s_out").Out("y_t");
  return body;
}

TEST(ScanOp, Opset9AxesAndDirections) {
  // X [2,3] scanned along axis 1 backwards; the output stacks along its last axis, backwards.
  GraphBuilder g("main");
  g.In("s0", TensorType(kF, Shape{2})).In("X", TensorType(kF, Shape{2, 3}));
  g.Out("s").Out("Y");
  auto* n = g.Node("Scan", {"s0", "X"}, {"s", "Y"});
  AttrGraph(n, "body", SumBody(TensorType(kF, Shape{2}), TensorType(kF, Shape{2})));
  AttrInt(n, "num_scan_inputs", 1);
  AttrInts(n, "scan_input_axes", {1});
  AttrInts(n, "scan_input_directions", {1});
  AttrInts(n, "scan_output_axes", {-1});
  AttrInts(n, "scan_output_directions", {1});
  const std::vector<float> x = {1, 2, 3, 4, 5, 6};
  auto r = LoadAndRun(g, 16, {{"s0", F32({2}, {100, 200})}, {"X", F32({2, 3}, x)}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto r21 = LoadAndRun(g, 21, {{"s0", F32({2}, {100, 200})}, {"X", F32({2, 3}, x)}});
  ASSERT_TRUE(r21.ok()) << r21.status().ToString();
  // Negative axes are only valid from opset 11.
  auto r10 = Load(g, 10);
  ASSERT_FALSE(r10.ok());
  EXPECT_TRUE(Contains(r10.status(), "scan_output_axes")) << r10.status().message();
  std::vector<float> s = {100, 200}, y(6);
  for (int t = 0; t < 3; ++t) {
    const int idx = 2 - t, pos = 2 - t;
    for (int b = 0; b < 2; ++b) {
      s[b] += x[b * 3 + idx];
      y[b * 3 + pos] = s[b];
    }
  }
  EXPECT_EQ((*r)[0].value.tensor().ToVector<float>(), s);
  EXPECT_EQ((*r)[1].value.tensor().shape(), (Shape{2, 3}));
  EXPECT_EQ((*r)[1].value.tensor().ToVector<float>(), y);
  EXPECT_EQ((*r21)[1].value.tensor().ToVector<float>(), y);
}

TEST(ScanOp, FinalStateNeverAliasesAnInput) {
  // Body passes the scan element through as the new state: the final state is the last row of
  // X, which must come back as its own copy (not a window into the caller's buffer).
  GraphBuilder body("body");
  body.In("s_in", TensorType(kF, Shape{2})).In("x_t", TensorType(kF, Shape{2}));
  body.Out("x_t");
  GraphBuilder g("main");
  g.In("s0", TensorType(kF, Shape{2})).In("X", TensorType(kF, Shape{2, 2})).Out("s");
  auto* n = g.Node("Scan", {"s0", "X"}, {"s"});
  AttrGraph(n, "body", body);
  AttrInt(n, "num_scan_inputs", 1);
  std::vector<float> buf = {1, 2, 3, 4};
  auto x = Tensor::Borrow(kF, {2, 2}, buf.data(), buf.size() * sizeof(float));
  ASSERT_TRUE(x.ok());
  auto r = LoadAndRun(g, 11, {{"s0", F32({2}, {0, 0})}, {"X", *x}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Tensor& s = (*r)[0].value.tensor();
  EXPECT_EQ(s.ToVector<float>(), (std::vector<float>{3, 4}));
  EXPECT_NE(s.raw_data(), static_cast<const void*>(buf.data() + 2));
}

TEST(ScanOp, Opset8BatchSequenceLensAndReverse) {
  // X [2 batch, 3 steps, 1]; batch 1 has length 2; scanned in reverse.
  GraphBuilder g("main");
  g.In("lens", TensorType(kI64, Shape{2})).In("s0", TensorType(kF, Shape{2, 1}));
  g.In("X", TensorType(kF, Shape{2, 3, 1}));
  g.Out("s").Out("Y");
  auto* n = g.Node("Scan", {"lens", "s0", "X"}, {"s", "Y"});
  AttrGraph(n, "body", SumBody(TensorType(kF, Shape{1}), TensorType(kF, Shape{1})));
  AttrInt(n, "num_scan_inputs", 1);
  AttrInts(n, "directions", {1});
  const std::vector<float> x = {1, 2, 3, 10, 20, 30};
  const std::vector<int64_t> lens = {3, 2};
  auto r = LoadAndRun(
      g, 8, {{"lens", I64({2}, lens)}, {"s0", F32({2, 1}, {0, 100})}, {"X", F32({2, 3, 1}, x)}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  std::vector<float> s = {0, 100}, y(6, 0.0f);
  for (int b = 0; b < 2; ++b) {
    const int len = static_cast<int>(lens[b]);
    for (int t = 0; t < len; ++t) {
      s[b] += x[b * 3 + (len - 1 - t)];
      y[b * 3 + t] = s[b];
    }
  }
  EXPECT_EQ((*r)[0].value.tensor().shape(), (Shape{2, 1}));
  EXPECT_EQ((*r)[0].value.tensor().ToVector<float>(), s);
  EXPECT_EQ((*r)[1].value.tensor().shape(), (Shape{2, 3, 1}));
  EXPECT_EQ((*r)[1].value.tensor().ToVector<float>(), y);
  auto bad = LoadAndRun(
      g, 8, {{"lens", I64({2}, {4, 1})}, {"s0", F32({2, 1}, {0, 0})}, {"X", F32({2, 3, 1}, x)}});
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(Contains(bad.status(), "sequence_lens")) << bad.status().message();
}

TEST(ScanOp, ZeroLengthAndMismatchedLengths) {
  GraphBuilder g("main");
  g.In("s0", TensorType(kF, Shape{2})).In("X", TensorType(kF)).In("Z", TensorType(kF));
  g.Out("s").Out("Y1").Out("Y2");
  GraphBuilder body("body");
  body.In("s_in", TensorType(kF, Shape{2})).In("x_t", TensorType(kF, Shape{2}));
  body.In("z_t", TensorType(kF, Shape{2}));
  body.Node("Add", {"s_in", "x_t"}, {"s_out"});
  body.Node("Identity", {"z_t"}, {"y1"});
  body.Node("Identity", {"x_t"}, {"y2"});
  body.Out("s_out").Out("y1", TensorType(kF, Shape{2})).Out("y2", TensorType(kF, Shape{2}));
  auto* n = g.Node("Scan", {"s0", "X", "Z"}, {"s", "Y1", "Y2"});
  AttrGraph(n, "body", body);
  AttrInt(n, "num_scan_inputs", 2);
  AttrInts(n, "scan_output_axes", {0, 1});
  auto s = Load(g, 11);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  auto empty = (*s)->Run({{"s0", F32({2}, {1, 2})},
                          {"X", *Tensor::Allocate(kF, {0, 2})},
                          {"Z", *Tensor::Allocate(kF, {0, 2})}});
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ((*empty)[0].value.tensor().ToVector<float>(), (std::vector<float>{1, 2}));
  EXPECT_EQ((*empty)[1].value.tensor().shape(), (Shape{0, 2}));
  EXPECT_EQ((*empty)[2].value.tensor().shape(), (Shape{2, 0}));
  auto bad = (*s)->Run(
      {{"s0", F32({2}, {1, 2})}, {"X", F32({1, 2}, {1, 1})}, {"Z", F32({2, 2}, {1, 1, 1, 1})}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(bad.status(), "scan input 1")) << bad.status().message();
}

TEST(ScanOp, BadAttributesAreLoadErrors) {
  for (int variant = 0; variant < 3; ++variant) {
    GraphBuilder g("main");
    g.In("s0", TensorType(kF, Shape{2})).In("X", TensorType(kF, Shape{3, 2}));
    g.Out("s").Out("Y");
    auto* n = g.Node("Scan", {"s0", "X"}, {"s", "Y"});
    AttrGraph(n, "body", SumBody(TensorType(kF, Shape{2}), TensorType(kF, Shape{2})));
    std::string expect;
    if (variant == 0) {
      AttrInt(n, "num_scan_inputs", 0);
      expect = "num_scan_inputs";
    } else if (variant == 1) {
      AttrInt(n, "num_scan_inputs", 1);
      AttrInts(n, "scan_input_directions", {2});
      expect = "scan_input_directions";
    } else {
      AttrInt(n, "num_scan_inputs", 1);
      AttrInts(n, "scan_output_axes", {0, 1});
      expect = "scan_output_axes";
    }
    auto s = Load(g, 11);
    ASSERT_FALSE(s.ok()) << variant;
    EXPECT_TRUE(Contains(s.status(), expect)) << s.status().message();
  }
}

// ---------------------------------------------------------------------------------------------
// Sequence ops

TEST(SequenceOps, ConstructInsertAtEraseLength) {
  GraphBuilder g("main");
  g.In("a", TensorType(kF)).In("b", TensorType(kF)).In("c", TensorType(kF));
  g.Init("neg1", Tensor::Scalar<int32_t>(-1)).Init("zero", Tensor::Scalar<int64_t>(0));
  g.Node("SequenceConstruct", {"a", "b"}, {"s"});
  g.Node("SequenceInsert", {"s", "c", "neg1"}, {"s2"});  // [a, c, b]
  g.Node("SequenceAt", {"s2", "neg1"}, {"last"});        // b
  g.Node("SequenceErase", {"s2", "zero"}, {"s3"});       // [c, b]
  g.Node("SequenceLength", {"s3"}, {"len"});
  g.Node("SequenceErase", {"s3"}, {"s4"});        // [c]
  g.Node("SequenceInsert", {"s4", "a"}, {"s5"});  // [c, a]
  g.Out("s2").Out("last").Out("s3").Out("len").Out("s4").Out("s5");
  Tensor a = F32({1}, {1}), b = F32({2}, {2, 2}), c = F32({}, {3});
  auto r = LoadAndRun(g, 11, {{"a", a}, {"b", b}, {"c", c}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto shapes = [](const Value& v) {
    std::vector<Shape> out;
    for (const auto& t : v.sequence()) out.push_back(t.shape());
    return out;
  };
  EXPECT_EQ(shapes((*r)[0].value), (std::vector<Shape>{{1}, {}, {2}}));
  EXPECT_EQ((*r)[1].value.tensor().ToVector<float>(), (std::vector<float>{2, 2}));
  EXPECT_EQ(shapes((*r)[2].value), (std::vector<Shape>{{}, {2}}));
  EXPECT_EQ((*r)[3].value.tensor().ToVector<int64_t>(), (std::vector<int64_t>{2}));
  EXPECT_EQ(shapes((*r)[4].value), (std::vector<Shape>{{}}));
  EXPECT_EQ(shapes((*r)[5].value), (std::vector<Shape>{{}, {1}}));
  EXPECT_EQ((*r)[5].value.sequence()[1].ToVector<float>(), (std::vector<float>{1}));
}

TEST(SequenceOps, PositionsOutOfRangeAndTypeMismatchesAreRunErrors) {
  struct Case {
    std::string op;
    int64_t pos;
    std::string expect;
  };
  for (const Case& cs :
       {Case{"SequenceAt", 2, "position"}, Case{"SequenceAt", -3, "position"},
        Case{"SequenceInsert", 3, "position"}, Case{"SequenceInsert", -3, "position"},
        Case{"SequenceErase", 2, "position"}}) {
    GraphBuilder g("main");
    g.In("a", TensorType(kF)).In("p", TensorType(kI64, Shape{}));
    g.Node("SequenceConstruct", {"a", "a"}, {"s"});
    if (cs.op == "SequenceInsert") {
      g.Node(cs.op, {"s", "a", "p"}, {"y"});
    } else {
      g.Node(cs.op, {"s", "p"}, {"y"});
    }
    g.Out("y");
    auto r = LoadAndRun(g, 11, {{"a", F32({1}, {1})}, {"p", I64({}, {cs.pos})}});
    ASSERT_FALSE(r.ok()) << cs.op << " " << cs.pos;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(Contains(r.status(), cs.expect)) << r.status().message();
  }
  // Inserting an int64 tensor into a float sequence.
  GraphBuilder g("main");
  g.In("a", TensorType(kF)).In("i", TensorType(kI64));
  g.Node("SequenceConstruct", {"a"}, {"s"});
  g.Node("SequenceInsert", {"s", "i"}, {"y"});
  g.Out("y");
  auto r = LoadAndRun(g, 11, {{"a", F32({1}, {1})}, {"i", I64({1}, {1})}});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.status(), "'tensor'")) << r.status().message();
  // Erasing from an empty sequence.
  GraphBuilder e("main");
  e.Node("SequenceEmpty", {}, {"s"});
  e.Node("SequenceErase", {"s"}, {"y"});
  e.Out("y");
  auto re = LoadAndRun(e, 11, {});
  ASSERT_FALSE(re.ok());
  EXPECT_TRUE(Contains(re.status(), "position")) << re.status().message();
}

TEST(SequenceOps, EmptyKeepsItsElementType) {
  GraphBuilder g("main");
  AttrInt(g.Node("SequenceEmpty", {}, {"s"}), "dtype", static_cast<int64_t>(DataType::kInt32));
  g.Node("SequenceLength", {"s"}, {"n"});
  g.Out("s").Out("n");
  auto r = LoadAndRun(g, 11, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE((*r)[0].value.is_sequence());
  EXPECT_EQ((*r)[0].value.sequence().size(), 0u);
  EXPECT_EQ((*r)[0].value.element_type(), DataType::kInt32);
  EXPECT_EQ((*r)[1].value.tensor().ToVector<int64_t>(), (std::vector<int64_t>{0}));
  GraphBuilder bad("main");
  AttrInt(bad.Node("SequenceEmpty", {}, {"s"}), "dtype", 99);
  bad.Out("s");
  auto b = Load(bad, 11);
  ASSERT_FALSE(b.ok());
  EXPECT_TRUE(Contains(b.status(), "dtype")) << b.status().message();
}

std::vector<std::pair<Shape, std::vector<int32_t>>> Parts(const Value& v) {
  std::vector<std::pair<Shape, std::vector<int32_t>>> out;
  for (const auto& t : v.sequence()) out.push_back({t.shape(), t.ToVector<int32_t>()});
  return out;
}

TEST(SplitToSequenceOp, ScalarAndListSplits) {
  std::vector<int32_t> x(10);
  for (int i = 0; i < 10; ++i) x[static_cast<size_t>(i)] = i;
  const Tensor xt = Tensor::FromVector<int32_t>({2, 5}, x);
  // Scalar split 2 along axis 1: chunks of 2, 2, 1.
  auto r = RunOp(testing::OpTest("SplitToSequence", 11)
                     .Attr("axis", int64_t{1})
                     .Input("x", xt)
                     .ConstantInput("split", Tensor::Scalar<int64_t>(2))
                     .Output("s"),
                 {{"x", xt}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  using P = std::vector<std::pair<Shape, std::vector<int32_t>>>;
  EXPECT_EQ(Parts((*r)[0].value),
            (P{{{2, 2}, {0, 1, 5, 6}}, {{2, 2}, {2, 3, 7, 8}}, {{2, 1}, {4, 9}}}));
  // List split [1, 4] along axis -1.
  auto l = RunOp(testing::OpTest("SplitToSequence", 11)
                     .Attr("axis", int64_t{-1})
                     .Input("x", xt)
                     .ConstantInput("split", Tensor::FromVector<int32_t>({2}, {1, 4}))
                     .Output("s"),
                 {{"x", xt}});
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  EXPECT_EQ(Parts((*l)[0].value), (P{{{2, 1}, {0, 5}}, {{2, 4}, {1, 2, 3, 4, 6, 7, 8, 9}}}));
  // Sum mismatch.
  auto bad = RunOp(testing::OpTest("SplitToSequence", 11)
                       .Attr("axis", int64_t{1})
                       .Input("x", xt)
                       .ConstantInput("split", Tensor::FromVector<int64_t>({2}, {1, 1}))
                       .Output("s"),
                   {{"x", xt}});
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(Contains(bad.status(), "split")) << bad.status().message();
  auto zero = RunOp(testing::OpTest("SplitToSequence", 11)
                        .Input("x", xt)
                        .ConstantInput("split", Tensor::Scalar<int64_t>(0))
                        .Output("s"),
                    {{"x", xt}});
  ASSERT_FALSE(zero.ok());
}

TEST(SplitToSequenceOp, DefaultSplitKeepdimsAndEmpty) {
  const Tensor xt = Tensor::FromVector<int32_t>({2, 3}, {1, 2, 3, 4, 5, 6});
  using P = std::vector<std::pair<Shape, std::vector<int32_t>>>;
  auto keep = RunOp(testing::OpTest("SplitToSequence", 11).Input("x", xt).Output("s"), {{"x", xt}});
  ASSERT_TRUE(keep.ok()) << keep.status().ToString();
  EXPECT_EQ(Parts((*keep)[0].value), (P{{{1, 3}, {1, 2, 3}}, {{1, 3}, {4, 5, 6}}}));
  auto drop = RunOp(testing::OpTest("SplitToSequence", 11)
                        .Attr("axis", int64_t{1})
                        .Attr("keepdims", int64_t{0})
                        .Input("x", xt)
                        .Output("s"),
                    {{"x", xt}});
  ASSERT_TRUE(drop.ok()) << drop.status().ToString();
  EXPECT_EQ(Parts((*drop)[0].value), (P{{{2}, {1, 4}}, {{2}, {2, 5}}, {{2}, {3, 6}}}));
  // Zero-length split axis: an empty sequence that still knows its element type.
  auto empty = RunOp(testing::OpTest("SplitToSequence", 11)
                         .Input("x", *Tensor::Allocate(DataType::kInt32, {0, 3}))
                         .Output("s"),
                     {{"x", *Tensor::Allocate(DataType::kInt32, {0, 3})}});
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ((*empty)[0].value.sequence().size(), 0u);
  EXPECT_EQ((*empty)[0].value.element_type(), DataType::kInt32);
  // Zero-size other dim: three [0,1] parts.
  auto thin = RunOp(testing::OpTest("SplitToSequence", 11)
                        .Attr("axis", int64_t{1})
                        .Input("x", *Tensor::Allocate(DataType::kInt32, {0, 3}))
                        .Output("s"),
                    {{"x", *Tensor::Allocate(DataType::kInt32, {0, 3})}});
  ASSERT_TRUE(thin.ok()) << thin.status().ToString();
  EXPECT_EQ(Parts((*thin)[0].value), (P{{{0, 1}, {}}, {{0, 1}, {}}, {{0, 1}, {}}}));
  auto bad_axis = RunOp(
      testing::OpTest("SplitToSequence", 11).Attr("axis", int64_t{2}).Input("x", xt).Output("s"),
      {{"x", xt}});
  ASSERT_FALSE(bad_axis.ok());
  EXPECT_TRUE(Contains(bad_axis.status(), "axis")) << bad_axis.status().message();
}

GraphBuilder ConcatModel(int64_t axis, int64_t new_axis) {
  GraphBuilder g("main");
  g.In("a", TensorType(DataType::kInt32)).In("b", TensorType(DataType::kInt32));
  g.Node("SequenceConstruct", {"a", "b"}, {"s"});
  auto* n = g.Node("ConcatFromSequence", {"s"}, {"y"});
  AttrInt(n, "axis", axis);
  AttrInt(n, "new_axis", new_axis);
  g.Out("y");
  return g;
}

TEST(ConcatFromSequenceOp, ConcatAndStack) {
  const Tensor a = Tensor::FromVector<int32_t>({2, 1}, {1, 2});
  const Tensor b = Tensor::FromVector<int32_t>({2, 2}, {3, 4, 5, 6});
  auto c = LoadAndRun(ConcatModel(-1, 0), 11, {{"a", a}, {"b", b}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ((*c)[0].value.tensor().shape(), (Shape{2, 3}));
  EXPECT_EQ((*c)[0].value.tensor().ToVector<int32_t>(), (std::vector<int32_t>{1, 3, 4, 2, 5, 6}));
  // Stacking along a new last axis (axis = rank is allowed with new_axis).
  const Tensor d = Tensor::FromVector<int32_t>({2, 1}, {7, 8});
  auto s = LoadAndRun(ConcatModel(2, 1), 11, {{"a", a}, {"b", d}});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ((*s)[0].value.tensor().shape(), (Shape{2, 1, 2}));
  EXPECT_EQ((*s)[0].value.tensor().ToVector<int32_t>(), (std::vector<int32_t>{1, 7, 2, 8}));
  auto s0 = LoadAndRun(ConcatModel(0, 1), 11, {{"a", a}, {"b", d}});
  ASSERT_TRUE(s0.ok()) << s0.status().ToString();
  EXPECT_EQ((*s0)[0].value.tensor().shape(), (Shape{2, 2, 1}));
  EXPECT_EQ((*s0)[0].value.tensor().ToVector<int32_t>(), (std::vector<int32_t>{1, 2, 7, 8}));
  // Stacking needs equal shapes; concatenation needs equal non-axis dims.
  auto bad = LoadAndRun(ConcatModel(0, 1), 11, {{"a", a}, {"b", b}});
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(Contains(bad.status(), "element 1")) << bad.status().message();
  auto bad2 = LoadAndRun(ConcatModel(0, 0), 11, {{"a", a}, {"b", b}});
  ASSERT_FALSE(bad2.ok());
  auto bad_axis = LoadAndRun(ConcatModel(2, 0), 11, {{"a", a}, {"b", b}});
  ASSERT_FALSE(bad_axis.ok());
  EXPECT_TRUE(Contains(bad_axis.status(), "axis")) << bad_axis.status().message();
}

TEST(ConcatFromSequenceOp, EmptySequenceIsAnError) {
  GraphBuilder g("main");
  g.Node("SequenceEmpty", {}, {"s"});
  AttrInt(g.Node("ConcatFromSequence", {"s"}, {"y"}), "axis", 0);
  g.Out("y");
  auto r = LoadAndRun(g, 11, {});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.status(), "empty")) << r.status().message();
}

// ---------------------------------------------------------------------------------------------
// Optional ops

TEST(OptionalOps, WrapQueryAndUnwrap) {
  GraphBuilder g("main");
  g.In("x", TensorType(kF));
  g.Node("Optional", {"x"}, {"ox"});
  AttrType(g.Node("Optional", {}, {"none"}), "type", TensorType(kF));
  g.Node("OptionalHasElement", {"ox"}, {"has_x"});
  g.Node("OptionalHasElement", {"none"}, {"has_none"});
  g.Node("OptionalGetElement", {"ox"}, {"x2"});
  g.Out("has_x").Out("has_none").Out("x2").Out("none");
  auto r = LoadAndRun(g, 15, {{"x", F32({2}, {4, 5})}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE((*r)[0].value.tensor().ToVector<bool>()[0]);
  EXPECT_FALSE((*r)[1].value.tensor().ToVector<bool>()[0]);
  EXPECT_EQ((*r)[2].value.tensor().ToVector<float>(), (std::vector<float>{4, 5}));
  EXPECT_TRUE((*r)[3].value.is_none());
}

TEST(OptionalOps, GetElementOfEmptyOptionalIsARunError) {
  GraphBuilder g("main");
  g.In("o", OptType(SeqType(kF)));
  g.Node("OptionalGetElement", {"o"}, {"s"});
  g.Out("s");
  auto s = Load(g, 15);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  auto r = (*s)->Run({{"o", Value::None(true, kF)}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(r.status(), "empty optional")) << r.status().message();
  auto ok = (*s)->Run({{"o", Value::Sequence({F32({1}, {1})}, kF)}});
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ((*ok)[0].value.sequence().size(), 1u);
}

TEST(OptionalOps, Opset18AcceptsPlainValuesAndOmittedInput) {
  GraphBuilder g("main");
  g.In("x", TensorType(kF));
  g.Node("OptionalHasElement", {"x"}, {"has_x"});
  g.Node("OptionalHasElement", {""}, {"has_nothing"});
  g.Node("OptionalGetElement", {"x"}, {"x2"});
  g.Out("has_x").Out("has_nothing").Out("x2");
  auto r = LoadAndRun(g, 18, {{"x", F32({1}, {9})}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE((*r)[0].value.tensor().ToVector<bool>()[0]);
  EXPECT_FALSE((*r)[1].value.tensor().ToVector<bool>()[0]);
  EXPECT_EQ((*r)[2].value.tensor().ToVector<float>(), (std::vector<float>{9}));
}

TEST(OptionalOps, OptionalWithoutInputNeedsType) {
  GraphBuilder g("main");
  g.Node("Optional", {}, {"o"});
  g.Out("o");
  auto s = Load(g, 15);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(Contains(s.status(), "'type'")) << s.status().message();
}

// ---------------------------------------------------------------------------------------------
// SequenceMap

GraphBuilder SequenceMapModel() {
  GraphBuilder body("body");
  body.In("e", TensorType(kF)).In("k", TensorType(kF));
  body.Node("Add", {"e", "k"}, {"y"});
  body.Node("Identity", {"e"}, {"z"});
  body.Out("y").Out("z");
  GraphBuilder g("main");
  g.In("s", SeqType(kF)).In("k", TensorType(kF));
  g.Out("ys").Out("zs");
  AttrGraph(g.Node("SequenceMap", {"s", "k"}, {"ys", "zs"}), "body", body);
  return g;
}

TEST(SequenceMapOp, MapsEachElementWithASharedTensor) {
  auto r = LoadAndRun(
      SequenceMapModel(), 17,
      {{"s", Value::Sequence({F32({2}, {1, 2}), F32({3}, {3, 4, 5})}, kF)}, {"k", F32({1}, {10})}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto& ys = (*r)[0].value.sequence();
  ASSERT_EQ(ys.size(), 2u);
  EXPECT_EQ(ys[0].ToVector<float>(), (std::vector<float>{11, 12}));
  EXPECT_EQ(ys[1].ToVector<float>(), (std::vector<float>{13, 14, 15}));
  EXPECT_EQ((*r)[1].value.sequence()[1].ToVector<float>(), (std::vector<float>{3, 4, 5}));
  auto empty =
      LoadAndRun(SequenceMapModel(), 17, {{"s", Value::Sequence({}, kF)}, {"k", F32({1}, {10})}});
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ((*empty)[0].value.sequence().size(), 0u);
}

TEST(SequenceMapOp, SequencesOfDifferentLengthsAreARunError) {
  GraphBuilder body("body");
  body.In("a", TensorType(kF)).In("b", TensorType(kF));
  body.Node("Add", {"a", "b"}, {"y"});
  body.Out("y");
  GraphBuilder g("main");
  g.In("s", SeqType(kF)).In("t", SeqType(kF)).Out("ys");
  AttrGraph(g.Node("SequenceMap", {"s", "t"}, {"ys"}), "body", body);
  auto r = LoadAndRun(g, 17,
                      {{"s", Value::Sequence({F32({1}, {1}), F32({1}, {2})}, kF)},
                       {"t", Value::Sequence({F32({1}, {1})}, kF)}});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.status(), "length")) << r.status().message();
}

}  // namespace
}  // namespace onnxedge
