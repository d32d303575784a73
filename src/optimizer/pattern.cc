// Copyright onnxedge authors.
#include "optimizer/pattern.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>

namespace onnxedge::opt {

class PatternNode {
 public:
  enum class Kind { kAny, kConst, kOp, kOneOf };
  Kind kind = Kind::kAny;
  std::string bind;
  ConstPredicate const_pred;
  std::vector<std::string> op_types;
  OpOptions opts;
  std::vector<P> inputs;  ///< Op inputs or OneOf alternatives.
};

namespace {

const std::string kEmpty;

using Cont = std::function<bool()>;

class Matcher {
 public:
  explicit Matcher(const GraphEditor& g) : g_(g) {}

  bool MatchValue(P p, const std::string& v, const Cont& k) {
    if (v.empty()) return false;
    switch (p->kind) {
      case PatternNode::Kind::kAny: return BindValue(p->bind, v, k);
      case PatternNode::Kind::kConst: {
        const Tensor* t = g_.Constant(v);
        if (!t || (p->const_pred && !p->const_pred(*t))) return false;
        return BindValue(p->bind, v, k);
      }
      case PatternNode::Kind::kOneOf:
        for (P alt : p->inputs) {
          const size_t sv = values_.size(), so = ops_.size();
          if (MatchValue(alt, v, k)) return true;
          values_.resize(sv);
          ops_.resize(so);
        }
        return false;
      case PatternNode::Kind::kOp: {
        ir::Node* n = g_.Producer(v);
        if (!n || g_.IsRemoved(n)) return false;
        const size_t out = static_cast<size_t>(p->opts.output);
        if (out >= n->outputs.size() || n->outputs[out] != v) return false;
        return MatchOp(p, n, k);
      }
    }
    return false;
  }

  bool MatchOp(P p, ir::Node* n, const Cont& k) {
    for (const auto& [bp, bn] : ops_) {
      if (bp == p) return bn == n && k();  // Reused handle: must be the same node.
      if (bn == n) return false;           // One node cannot play two roles.
    }
    if (n->domain != p->opts.domain) return false;
    if (std::find(p->op_types.begin(), p->op_types.end(), n->op_type) == p->op_types.end()) {
      return false;
    }
    size_t n_inputs = n->inputs.size();
    while (n_inputs > 0 && n->inputs[n_inputs - 1].empty()) --n_inputs;
    if (p->opts.extra_inputs ? n_inputs < p->inputs.size() : n_inputs != p->inputs.size()) {
      return false;
    }
    if (p->opts.pred && !p->opts.pred(*n, g_)) return false;
    ops_.push_back({p, n});
    std::vector<size_t> order(p->inputs.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    if (MatchInputs(p, n, order, 0, k)) return true;
    if (p->opts.commutative && order.size() == 2) {
      std::swap(order[0], order[1]);
      if (MatchInputs(p, n, order, 0, k)) return true;
    }
    ops_.pop_back();
    return false;
  }

  bool MatchInputs(P p, ir::Node* n, const std::vector<size_t>& order, size_t i, const Cont& k) {
    if (i == order.size()) return k();
    const size_t sv = values_.size(), so = ops_.size();
    if (MatchValue(p->inputs[i], n->inputs[order[i]],
                   [&] { return MatchInputs(p, n, order, i + 1, k); })) {
      return true;
    }
    values_.resize(sv);
    ops_.resize(so);
    return false;
  }

  bool BindValue(const std::string& bind, const std::string& v, const Cont& k) {
    if (!bind.empty()) {
      for (const auto& [b, val] : values_) {
        if (b == bind) return val == v && k();
      }
      values_.push_back({bind, v});
      if (k()) return true;
      values_.pop_back();
      return false;
    }
    return k();
  }

  /// Every matched node but the root must be read only inside the match.
  bool Contained(const ir::Node* root) const {
    for (const auto& [p, n] : ops_) {
      if (n == root || p->opts.external_uses) continue;
      for (const auto& o : n->outputs) {
        if (o.empty()) continue;
        if (g_.IsGraphOutput(o) || g_.HasImplicitUses(o)) return false;
        for (const Use& u : g_.Consumers(o)) {
          bool inside = false;
          for (const auto& [p2, n2] : ops_) inside |= n2 == u.node;
          if (!inside) return false;
        }
      }
    }
    return true;
  }

  void Fill(ir::Node* root, Match* m) const {
    m->root = root;
    m->nodes.clear();
    m->values.clear();
    m->ops.clear();
    for (const auto& [p, n] : ops_) {
      m->nodes.push_back(n);
      if (!p->opts.bind.empty()) m->ops[p->opts.bind] = n;
    }
    for (const auto& [b, v] : values_) m->values[b] = v;
  }

 private:
  const GraphEditor& g_;
  std::vector<std::pair<std::string, std::string>> values_;
  std::vector<std::pair<P, ir::Node*>> ops_;
};

std::vector<std::string> SplitTypes(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t bar = s.find('|', start);
    if (bar == std::string::npos) bar = s.size();
    if (bar > start) out.push_back(s.substr(start, bar - start));
    start = bar + 1;
  }
  return out;
}

}  // namespace

const std::string& Match::V(const std::string& bind) const {
  auto it = values.find(bind);
  return it == values.end() ? kEmpty : it->second;
}

ir::Node* Match::N(const std::string& bind) const {
  auto it = ops.find(bind);
  return it == ops.end() ? nullptr : it->second;
}

Pattern::Pattern() = default;
Pattern::~Pattern() = default;

P Pattern::Any(std::string bind) {
  auto n = std::make_unique<PatternNode>();
  n->kind = PatternNode::Kind::kAny;
  n->bind = std::move(bind);
  nodes_.push_back(std::move(n));
  return nodes_.back().get();
}

P Pattern::Const(std::string bind, ConstPredicate pred) {
  auto n = std::make_unique<PatternNode>();
  n->kind = PatternNode::Kind::kConst;
  n->bind = std::move(bind);
  n->const_pred = std::move(pred);
  nodes_.push_back(std::move(n));
  return nodes_.back().get();
}

P Pattern::Scalar(double value, double tol, std::string bind) {
  return Const(std::move(bind), [value, tol](const Tensor& t) {
    double v = 0;
    return ScalarValue(t, &v) && std::fabs(v - value) <= tol * std::max(1.0, std::fabs(value));
  });
}

P Pattern::Op(const std::string& op_types, std::vector<P> inputs, OpOptions options) {
  auto n = std::make_unique<PatternNode>();
  n->kind = PatternNode::Kind::kOp;
  n->op_types = SplitTypes(op_types);
  n->inputs = std::move(inputs);
  n->opts = std::move(options);
  nodes_.push_back(std::move(n));
  return nodes_.back().get();
}

P Pattern::OneOf(std::vector<P> alternatives) {
  auto n = std::make_unique<PatternNode>();
  n->kind = PatternNode::Kind::kOneOf;
  n->inputs = std::move(alternatives);
  nodes_.push_back(std::move(n));
  return nodes_.back().get();
}

bool Pattern::MatchAt(const GraphEditor& editor, ir::Node* node, Match* match) const {
  if (!root_ || editor.IsRemoved(node)) return false;
  Matcher m(editor);
  auto try_root = [&](P root) {
    return m.MatchOp(root, node, [&] {
      if (!m.Contained(node)) return false;
      m.Fill(node, match);
      return !check_ || check_(*match, editor);
    });
  };
  if (root_->kind == PatternNode::Kind::kOneOf) {
    for (P alt : root_->inputs) {
      if (alt->kind == PatternNode::Kind::kOp && try_root(alt)) return true;
    }
    return false;
  }
  return root_->kind == PatternNode::Kind::kOp && try_root(root_);
}

int Pattern::ForEachMatch(GraphEditor& editor,
                          const std::function<bool(const Match&)>& apply) const {
  int count = 0;
  for (ir::Node* n : editor.Nodes()) {
    if (editor.IsRemoved(n)) continue;
    Match m;
    if (MatchAt(editor, n, &m) && apply(m)) ++count;
  }
  return count;
}

// --- Helpers ------------------------------------------------------------------------------------

bool ScalarValue(const Tensor& t, double* value) {
  if (t.size() != 1 || !t.raw_data()) return false;
  switch (t.dtype()) {
    case DataType::kFloat: *value = t.data<float>()[0]; return true;
    case DataType::kDouble: *value = t.data<double>()[0]; return true;
    case DataType::kFloat16: *value = static_cast<float>(t.data<Float16>()[0]); return true;
    case DataType::kBfloat16: *value = static_cast<float>(t.data<BFloat16>()[0]); return true;
    case DataType::kInt8: *value = t.data<int8_t>()[0]; return true;
    case DataType::kInt16: *value = t.data<int16_t>()[0]; return true;
    case DataType::kInt32: *value = t.data<int32_t>()[0]; return true;
    case DataType::kInt64: *value = static_cast<double>(t.data<int64_t>()[0]); return true;
    case DataType::kUint8: *value = t.data<uint8_t>()[0]; return true;
    case DataType::kUint16: *value = t.data<uint16_t>()[0]; return true;
    case DataType::kUint32: *value = t.data<uint32_t>()[0]; return true;
    case DataType::kUint64: *value = static_cast<double>(t.data<uint64_t>()[0]); return true;
    default: return false;
  }
}

int64_t AttrInt(const ir::Node& node, const std::string& name, int64_t def) {
  const ir::Attribute* a = node.FindAttribute(name);
  return a && a->type == ir::Attribute::Type::kInt ? a->i : def;
}

float AttrFloat(const ir::Node& node, const std::string& name, float def) {
  const ir::Attribute* a = node.FindAttribute(name);
  return a && a->type == ir::Attribute::Type::kFloat ? a->f : def;
}

std::string AttrString(const ir::Node& node, const std::string& name, const std::string& def) {
  const ir::Attribute* a = node.FindAttribute(name);
  return a && a->type == ir::Attribute::Type::kString ? a->s : def;
}

std::optional<std::vector<int64_t>> AttrInts(const ir::Node& node, const std::string& name) {
  const ir::Attribute* a = node.FindAttribute(name);
  if (!a || a->type != ir::Attribute::Type::kInts) return std::nullopt;
  return a->ints;
}

bool IsTranspose(const ir::Node* n) {
  return n && n->op_type == "Transpose" && n->domain.empty() && n->inputs.size() == 1 &&
         n->outputs.size() == 1;
}

std::optional<std::vector<int64_t>> TransposePerm(const ir::Node& t, const GraphEditor& g) {
  const int rank = t.inputs.empty() ? -1 : g.Rank(t.inputs[0]);
  auto perm = AttrInts(t, "perm");
  if (!perm) {
    if (rank < 0) return std::nullopt;
    std::vector<int64_t> p(static_cast<size_t>(rank));
    for (int i = 0; i < rank; ++i) p[static_cast<size_t>(i)] = rank - 1 - i;
    return p;
  }
  const int64_t n = static_cast<int64_t>(perm->size());
  if (rank >= 0 && n != rank) return std::nullopt;
  std::vector<bool> seen(perm->size(), false);
  for (int64_t v : *perm) {
    if (v < 0 || v >= n || seen[static_cast<size_t>(v)]) return std::nullopt;
    seen[static_cast<size_t>(v)] = true;
  }
  return perm;
}

namespace {
ir::Attribute& Slot(ir::Node& node, const std::string& name, ir::Attribute::Type type) {
  ir::Attribute* a = node.FindAttribute(name);
  if (!a) {
    node.attributes.emplace_back();
    a = &node.attributes.back();
  }
  *a = ir::Attribute();
  a->name = name;
  a->type = type;
  return *a;
}
}  // namespace

void SetAttrInt(ir::Node& node, const std::string& name, int64_t value) {
  Slot(node, name, ir::Attribute::Type::kInt).i = value;
}
void SetAttrFloat(ir::Node& node, const std::string& name, float value) {
  Slot(node, name, ir::Attribute::Type::kFloat).f = value;
}
void SetAttrString(ir::Node& node, const std::string& name, const std::string& value) {
  Slot(node, name, ir::Attribute::Type::kString).s = value;
}
void SetAttrInts(ir::Node& node, const std::string& name, const std::vector<int64_t>& value) {
  Slot(node, name, ir::Attribute::Type::kInts).ints = value;
}
void SetAttrFloats(ir::Node& node, const std::string& name, const std::vector<float>& value) {
  Slot(node, name, ir::Attribute::Type::kFloats).floats = value;
}
void RemoveAttr(ir::Node& node, const std::string& name) {
  node.attributes.erase(std::remove_if(node.attributes.begin(), node.attributes.end(),
                                       [&](const ir::Attribute& a) { return a.name == name; }),
                        node.attributes.end());
}

bool IsUnaryElementwise(const ir::Node& n, const GraphEditor& g) {
  static const std::set<std::string> kOps = {
      "Relu", "Sigmoid", "Tanh",        "Erf",         "Exp",       "Log",  "Sqrt",
      "Neg",  "Abs",     "Reciprocal",  "Softplus",    "Elu",       "Cast", "LeakyRelu",
      "HardSigmoid", "HardSwish", "Gelu"};
  if (!n.domain.empty() || n.outputs.size() != 1) return false;
  if (n.op_type == "Clip") {
    for (size_t i = 1; i < n.inputs.size(); ++i) {
      if (!n.inputs[i].empty() && !g.Constant(n.inputs[i])) return false;
    }
    return !n.inputs.empty();
  }
  return kOps.count(n.op_type) && n.inputs.size() == 1;
}

}  // namespace onnxedge::opt
