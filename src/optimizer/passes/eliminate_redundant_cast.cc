// Copyright onnxedge authors.
// eliminate_redundant_cast: removes casts that cannot change a value.
//
//   x:T -> Cast(to=T) -> y                         =>  x
//   x:A -> Cast(to=B) -> Cast(to=C) -> y           =>  x -> Cast(to=C) -> y   (x when C == A)
//
// The second rule requires B to represent every value of A exactly (float -> double,
// int32 -> int64, uint8 -> float16, bool -> anything numeric, ...): then casting the B value
// to C equals casting the A value to C. The first Cast stays if something else reads it.
// The element type of x must be known.
#include <set>
#include <utility>

#include "optimizer/graph_editor.h"
#include "optimizer/pattern.h"
#include "optimizer/pipelines.h"

namespace onnxedge::opt {

namespace {

// True when every value of `from` is exactly representable in `to`.
bool Lossless(DataType from, DataType to) {
  using D = DataType;
  if (from == to) return true;
  static const std::set<std::pair<D, D>> kWidening = {
      {D::kInt8, D::kInt16},      {D::kInt8, D::kInt32},      {D::kInt8, D::kInt64},
      {D::kInt8, D::kFloat},      {D::kInt8, D::kDouble},     {D::kInt8, D::kFloat16},
      {D::kInt8, D::kBfloat16},   {D::kUint8, D::kInt16},     {D::kUint8, D::kUint16},
      {D::kUint8, D::kInt32},     {D::kUint8, D::kUint32},    {D::kUint8, D::kInt64},
      {D::kUint8, D::kUint64},    {D::kUint8, D::kFloat},     {D::kUint8, D::kDouble},
      {D::kUint8, D::kFloat16},   {D::kUint8, D::kBfloat16},  {D::kInt16, D::kInt32},
      {D::kInt16, D::kInt64},     {D::kInt16, D::kFloat},     {D::kInt16, D::kDouble},
      {D::kUint16, D::kInt32},    {D::kUint16, D::kUint32},   {D::kUint16, D::kInt64},
      {D::kUint16, D::kUint64},   {D::kUint16, D::kFloat},    {D::kUint16, D::kDouble},
      {D::kInt32, D::kInt64},     {D::kInt32, D::kDouble},    {D::kUint32, D::kInt64},
      {D::kUint32, D::kUint64},   {D::kUint32, D::kDouble},   {D::kFloat16, D::kFloat},
      {D::kFloat16, D::kDouble},  {D::kBfloat16, D::kFloat},  {D::kBfloat16, D::kDouble},
      {D::kFloat, D::kDouble},
  };
  if (from == D::kBool) {
    return to != D::kString && to != D::kUndefined;
  }
  return kWidening.count({from, to}) > 0;
}

bool IsCast(const ir::Node* n) {
  return n && n->op_type == "Cast" && n->domain.empty() && n->FindAttribute("to") &&
         n->inputs.size() == 1 && n->outputs.size() == 1;
}

class EliminateRedundantCastPass final : public Pass {
 public:
  const char* name() const override { return "eliminate_redundant_cast"; }

  StatusOr<int> Run(GraphEditor& g, const PassContext& ctx) const override {
    int count = 0;
    for (ir::Node* n : g.Nodes()) {
      if (g.IsRemoved(n) || !IsCast(n)) continue;
      const auto to = static_cast<DataType>(AttrInt(*n, "to", 0));
      const std::string& x = n->inputs[0];
      const DataType from = g.ElemType(x);
      if (from == to && from != DataType::kUndefined) {
        if (!g.CanReplaceValue(n->outputs[0], x)) continue;
        const std::string y = n->outputs[0];
        g.RemoveNode(n);
        g.ReplaceValue(y, x);
        ++count;
        continue;
      }
      ir::Node* first = g.Producer(x);
      if (!IsCast(first)) continue;
      const std::string& src = first->inputs[0];
      const DataType a = g.ElemType(src);
      const auto b = static_cast<DataType>(AttrInt(*first, "to", 0));
      if (a == DataType::kUndefined || !Lossless(a, b)) continue;
      if (a == to && g.CanReplaceValue(n->outputs[0], src)) {
        const std::string y = n->outputs[0];
        g.RemoveNode(n);
        g.ReplaceValue(y, src);
      } else {
        g.SetInput(n, 0, src);
      }
      ++count;
    }
    return count;
  }
};

}  // namespace

std::unique_ptr<Pass> MakeEliminateRedundantCastPass() {
  return std::make_unique<EliminateRedundantCastPass>();
}

}  // namespace onnxedge::opt
