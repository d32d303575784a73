// Copyright onnxedge authors.
// constant_folding: evaluates nodes whose inputs are all constant, and shape computations whose
// answer the static types already know.
//
//   initializers -> Op -> y                        =>  y (an initializer, computed by Op's kernel)
//   x[2,3,224,224] -> Shape -> s                   =>  s = [2,3,224,224]
//   x[N,3,224,224] -> Shape -> Gather(idx=1) -> c  =>  c = 3        (only the gathered dims known)
//   x[2,3] -> Size -> n                            =>  n = 6
//
// Folding a Shape makes the usual exporter chain Shape -> Gather -> Unsqueeze -> Concat ->
// Reshape collapse into a constant Reshape target, node by node, in one sweep (nodes are
// visited in topological order and each fold makes its consumers' inputs constant).
// Conditions: every input is an initializer no graph input can override; the op is
// deterministic (no Random*, Bernoulli, Multinomial, Dropout) and has no subgraph; ops whose
// work grows faster than their inputs (MatMul, Conv, RNNs, ...) and non-ONNX ops have at most
// max_folded_elements / 16 input elements (loading has no deadline); a kernel
// exists and runs without error; no output is a graph output; every output is a tensor; the
// outputs hold at most PassContext::max_folded_elements elements unless they are no larger
// than the inputs (so ConstantOfShape/Expand/Tile do not inflate the model).
#include <set>

#include "optimizer/const_util.h"
#include "optimizer/graph_editor.h"
#include "optimizer/pattern.h"
#include "optimizer/pipelines.h"
#include "runtime/allocator.h"
#include "runtime/graph_plan.h"
#include "runtime/memory_planner.h"

namespace onnxedge::opt {

namespace {

bool Foldable(const ir::Node& n, const GraphEditor& g, const PassContext& ctx) {
  static const std::set<std::string> kNondeterministic = {
      "RandomNormal", "RandomNormalLike", "RandomUniform", "RandomUniformLike",
      "Bernoulli",    "Multinomial",      "Dropout"};
  // Ops whose work grows faster than their inputs: folded only for small inputs, so that a
  // model cannot make loading (which has no deadline, unlike Run) compute for hours.
  static const std::set<std::string> kHeavy = {
      "MatMul", "Gemm",  "Conv", "ConvTranspose", "Einsum", "MatMulInteger", "ConvInteger",
      "QLinearConv", "QLinearMatMul", "DFT", "STFT", "NonMaxSuppression", "MaxUnpool",
      "LSTM", "GRU", "RNN", "Det", "TfIdfVectorizer"};
  if (n.domain.empty() && kNondeterministic.count(n.op_type)) return false;
  for (const auto& a : n.attributes) {
    if (a.g || !a.graphs.empty()) return false;
  }
  if (!n.domain.empty() || kHeavy.count(n.op_type)) {
    int64_t elements = 0;
    for (const auto& in : n.inputs) {
      if (!in.empty()) elements += g.Constant(in)->size();
    }
    if (elements > ctx.max_folded_elements / 16) return false;
  }
  return true;
}

// Shape's [start, end) range (opset 15+) clamped to the rank.
void ShapeRange(const ir::Node& n, int64_t rank, int64_t* start, int64_t* end) {
  auto clamp = [&](int64_t v) {
    if (v < 0) v += rank;
    return std::clamp<int64_t>(v, 0, rank);
  };
  *start = clamp(AttrInt(n, "start", 0));
  *end = n.FindAttribute("end") ? clamp(AttrInt(n, "end", rank)) : rank;
}

class ConstantFoldingPass final : public Pass {
 public:
  const char* name() const override { return "constant_folding"; }

  StatusOr<int> Run(GraphEditor& g, const PassContext& ctx) const override {
    int count = 0;
    for (ir::Node* n : g.Nodes()) {
      if (g.IsRemoved(n) || n->outputs.empty()) continue;
      bool is_output = false;
      for (const auto& o : n->outputs) is_output |= !o.empty() && g.IsGraphOutput(o);
      if (is_output) continue;
      if (n->domain.empty() && FoldShape(g, n)) {
        ++count;
        continue;
      }
      bool all_const = !n->inputs.empty();
      for (const auto& in : n->inputs) all_const &= in.empty() || g.Constant(in) != nullptr;
      if (!all_const || !Foldable(*n, g, ctx)) continue;
      if (Evaluate(g, n, ctx)) ++count;
    }
    return count;
  }

 private:
  static void Replace(GraphEditor& g, ir::Node* n, const std::vector<Tensor>& values) {
    g.RemoveNode(n);
    for (size_t i = 0; i < n->outputs.size(); ++i) {
      if (n->outputs[i].empty()) continue;
      g.graph().value_info.erase(n->outputs[i]);
      g.SetConstant(n->outputs[i], values[i]);
    }
  }

  // Shape, Size, and Gather over a Shape, from static types.
  static bool FoldShape(GraphEditor& g, ir::Node* n) {
    if (n->inputs.empty() || n->inputs[0].empty() || n->outputs[0].empty()) return false;
    if (n->op_type == "Shape") {
      auto dims = g.PartialShape(n->inputs[0]);
      if (!dims) return false;
      int64_t start, end;
      ShapeRange(*n, static_cast<int64_t>(dims->size()), &start, &end);
      std::vector<int64_t> out;
      for (int64_t i = start; i < end; ++i) {
        if ((*dims)[static_cast<size_t>(i)] < 0) return false;
        out.push_back((*dims)[static_cast<size_t>(i)]);
      }
      Replace(g, n, {MakeInt64Tensor(out)});
      return true;
    }
    if (n->op_type == "Size") {
      auto shape = g.StaticShape(n->inputs[0]);
      if (!shape) return false;
      Replace(g, n, {Tensor::Scalar<int64_t>(ShapeElementCount(*shape))});
      return true;
    }
    if (n->op_type == "Gather" && n->inputs.size() == 2 && AttrInt(*n, "axis", 0) == 0) {
      ir::Node* shape = g.Producer(n->inputs[0]);
      const Tensor* idx_t = g.Constant(n->inputs[1]);
      if (!shape || !idx_t || shape->op_type != "Shape" || !shape->domain.empty()) return false;
      auto dims = g.PartialShape(shape->inputs[0]);
      auto idx = ReadInts(*idx_t);
      if (!dims || !idx) return false;
      int64_t start, end;
      ShapeRange(*shape, static_cast<int64_t>(dims->size()), &start, &end);
      std::vector<int64_t> out;
      for (int64_t i : *idx) {
        if (i < 0) i += end - start;
        if (i < 0 || i >= end - start) return false;
        const int64_t d = (*dims)[static_cast<size_t>(start + i)];
        if (d < 0) return false;
        out.push_back(d);
      }
      auto r = Tensor::Allocate(DataType::kInt64, idx_t->shape());
      if (!r.ok()) return false;
      Tensor t = std::move(r).value();
      for (size_t i = 0; i < out.size(); ++i) t.data<int64_t>()[i] = out[i];
      Replace(g, n, {t});
      return true;
    }
    return false;
  }

  // Runs the node's kernel on its constant inputs.
  static bool Evaluate(GraphEditor& g, ir::Node* n, const PassContext& ctx) {
    ir::Graph tmp;
    tmp.name = "constant_folding";
    int64_t in_elements = 0;
    size_t in_bytes = 0;
    for (const auto& in : n->inputs) {
      if (in.empty() || tmp.initializers.count(in)) continue;
      const Tensor* t = g.Constant(in);
      tmp.initializers[in] = *t;
      in_elements += t->size();
      in_bytes += t->bytes();
    }
    for (const auto& o : n->outputs) {
      if (!o.empty()) tmp.outputs.push_back({o, ir::TypeInfo(), ""});
    }
    tmp.nodes.push_back(std::make_unique<ir::Node>(*n));
    auto plan = GraphPlan::Compile(tmp, nullptr);
    if (!plan.ok()) return false;
    // Bounded, so a hostile constant (ConstantOfShape of a huge shape) fails to fold instead
    // of exhausting memory while the model loads: a legitimate fold produces at most
    // max_folded_elements or no more than its inputs, plus kernel scratch.
    const uint64_t limit =
        (uint64_t{64} << 20) + 2 * static_cast<uint64_t>(in_bytes) +
        static_cast<uint64_t>(ctx.max_folded_elements) * 8;
    auto allocator = std::make_shared<Allocator>(limit, 0);
    // A disabled planner: every tensor comes from the bounded heap allocator.
    MemoryPlanner planner(allocator, /*enabled=*/false);
    RunMemory memory;
    planner.Begin({}, &memory);
    RunState state;
    state.pool = ctx.pool;
    state.memory = &memory;
    state.profile = false;
    auto values = (*plan)->Execute({}, state, nullptr);
    planner.End(&memory, values.ok());
    if (!values.ok()) return false;
    std::vector<Tensor> results(n->outputs.size());
    int64_t out_elements = 0;
    size_t k = 0;
    for (size_t i = 0; i < n->outputs.size(); ++i) {
      if (n->outputs[i].empty()) continue;
      const Value& v = (*values)[k++];
      if (!v.is_tensor() || !v.tensor().defined()) return false;
      results[i] = v.tensor();
      out_elements += v.tensor().size();
    }
    if (out_elements > ctx.max_folded_elements && out_elements > in_elements) return false;
    Replace(g, n, results);
    return true;
  }
};

}  // namespace

std::unique_ptr<Pass> MakeConstantFoldingPass() { return std::make_unique<ConstantFoldingPass>(); }

}  // namespace onnxedge::opt
