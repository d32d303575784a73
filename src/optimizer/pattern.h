// Copyright onnxedge authors.
// A small declarative pattern matcher for graph rewrites.
//
// A pattern is a tree (or DAG) of pattern nodes built with a Pattern object:
//
//   Pattern p;
//   auto x = p.Any("x");
//   auto mm = p.Op("MatMul", {x, p.Const("w")}, Opts().Bind("matmul"));
//   p.SetRoot(p.Op("Add", {mm, p.Const("b")}, Opts().Bind("add").Commutative()));
//   p.ForEachMatch(editor, [&](const Match& m) { ...; return true; });
//
// Matching starts at a candidate root node and walks *up* through inputs. Named leaves (Any,
// Const) bind values; binding one name twice requires the same value (so `x` may appear in
// several places). A pattern node object reused in two places must match the same graph node
// (so diamonds like LayerNorm's shared Sub are expressed by reusing the handle). OneOf tries
// alternatives, and commutative ops try both input orders, with full backtracking.
//
// By default every matched node except the root must have all its outputs read only by other
// matched nodes (so the match can be replaced as a whole); OpOptions::external_uses lifts
// that for one node.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "optimizer/graph_editor.h"

namespace onnxedge::opt {

struct Match;
class PatternNode;
using P = const PatternNode*;
using ConstPredicate = std::function<bool(const Tensor&)>;
using NodePredicate = std::function<bool(const ir::Node&, const GraphEditor&)>;

/// Options of an op pattern node, set fluently: `Opts().Bind("add").Commutative()`.
struct OpOptions {
  std::string bind;            ///< Name of the matched node in Match::ops.
  bool commutative = false;    ///< A two-input op whose inputs may come in either order.
  bool external_uses = false;  ///< The node's outputs may also be read outside the pattern.
  std::string domain;          ///< "" = the default ONNX domain.
  int output = 0;              ///< Which output of the node feeds the parent pattern node.
  bool extra_inputs = false;   ///< The node may have more inputs than the pattern lists.
  NodePredicate pred;          ///< Extra condition on the node (attributes, types).

  OpOptions& Bind(std::string name) {
    bind = std::move(name);
    return *this;
  }
  OpOptions& Commutative() {
    commutative = true;
    return *this;
  }
  OpOptions& ExternalUses() {
    external_uses = true;
    return *this;
  }
  OpOptions& Domain(std::string d) {
    domain = std::move(d);
    return *this;
  }
  OpOptions& Output(int index) {
    output = index;
    return *this;
  }
  OpOptions& ExtraInputs() {
    extra_inputs = true;
    return *this;
  }
  OpOptions& Where(NodePredicate p) {
    pred = std::move(p);
    return *this;
  }
};
inline OpOptions Opts() { return OpOptions(); }

/// Result of a successful match.
struct Match {
  ir::Node* root = nullptr;
  std::vector<ir::Node*> nodes;  ///< Every matched node (the root first).
  std::map<std::string, std::string> values;
  std::map<std::string, ir::Node*> ops;
  /// Value bound by an Any/Const leaf (empty string when not bound).
  const std::string& V(const std::string& bind) const;
  /// Node bound by OpOptions::bind (nullptr when not bound).
  ir::Node* N(const std::string& bind) const;
  bool HasNode(const std::string& bind) const { return N(bind) != nullptr; }
};

class Pattern {
 public:
  Pattern();
  ~Pattern();
  Pattern(const Pattern&) = delete;
  Pattern& operator=(const Pattern&) = delete;

  /// Any non-omitted value.
  P Any(std::string bind = "");
  /// An initializer that graph inputs cannot override, optionally satisfying `pred`.
  P Const(std::string bind = "", ConstPredicate pred = {});
  /// A constant with exactly one element equal to `value` within `tol` (relative to
  /// max(1, |value|)).
  P Scalar(double value, double tol = 1e-6, std::string bind = "");
  /// A node whose op type is one of `op_types` ("Add" or "Add|Sub") with these inputs.
  P Op(const std::string& op_types, std::vector<P> inputs, OpOptions options = {});
  /// The first alternative that matches (with backtracking into later alternatives).
  P OneOf(std::vector<P> alternatives);

  void SetRoot(P root) { root_ = root; }
  /// An extra condition checked on every complete match.
  void Where(std::function<bool(const Match&, const GraphEditor&)> check) {
    check_ = std::move(check);
  }

  /// Tries to match with `node` as the root.
  bool MatchAt(const GraphEditor& editor, ir::Node* node, Match* match) const;
  /// Calls `apply` for every match in the live nodes (in graph order, skipping nodes removed
  /// meanwhile); `apply` returns true when it rewrote the graph. Returns the number of rewrites.
  int ForEachMatch(GraphEditor& editor, const std::function<bool(const Match&)>& apply) const;

 private:
  std::vector<std::unique_ptr<PatternNode>> nodes_;
  P root_ = nullptr;
  std::function<bool(const Match&, const GraphEditor&)> check_;
};

// --- Helpers for predicates -------------------------------------------------------------------

/// The single element of a numeric tensor as double (false when it has != 1 element or is not
/// numeric).
bool ScalarValue(const Tensor& t, double* value);
/// A one-input elementwise op that commutes with transposes and reshapes (Relu, Sigmoid, Tanh,
/// Erf, Exp, Log, Sqrt, Neg, Abs, Reciprocal, Softplus, Elu, Cast, LeakyRelu, HardSigmoid,
/// HardSwish, Gelu, and Clip with constant bounds).
bool IsUnaryElementwise(const ir::Node& n, const GraphEditor& g);
/// Integer attribute or default.
int64_t AttrInt(const ir::Node& node, const std::string& name, int64_t def);
float AttrFloat(const ir::Node& node, const std::string& name, float def);
std::string AttrString(const ir::Node& node, const std::string& name, const std::string& def);
/// Ints attribute; nullopt when absent.
std::optional<std::vector<int64_t>> AttrInts(const ir::Node& node, const std::string& name);
/// A default-domain Transpose node with one input and one output (null: false).
bool IsTranspose(const ir::Node* n);
/// A Transpose node's permutation: its `perm`, or the reversed dims when absent (then the
/// input's rank must be known). nullopt when unknown or when `perm` is not a permutation of
/// 0 .. n-1 of the input's rank (when known): rules index shapes with it, and a malformed model
/// must not make them read out of bounds.
std::optional<std::vector<int64_t>> TransposePerm(const ir::Node& t, const GraphEditor& g);
/// Sets (adds or overwrites) an attribute.
void SetAttrInt(ir::Node& node, const std::string& name, int64_t value);
void SetAttrFloat(ir::Node& node, const std::string& name, float value);
void SetAttrString(ir::Node& node, const std::string& name, const std::string& value);
void SetAttrInts(ir::Node& node, const std::string& name, const std::vector<int64_t>& value);
void SetAttrFloats(ir::Node& node, const std::string& name, const std::vector<float>& value);
void RemoveAttr(ir::Node& node, const std::string& name);

}  // namespace onnxedge::opt
