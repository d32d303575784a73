// Copyright onnxedge authors.
#include "optimizer/graph_editor.h"

#include <algorithm>
#include <functional>

#include "optimizer/pass.h"

namespace onnxedge::opt {

namespace {

const std::vector<Use> kNoUses;

template <typename F>
void ForEachSubgraph(ir::Node& node, F&& f) {
  for (auto& a : node.attributes) {
    if (a.g) f(*a.g);
    for (auto& g : a.graphs) f(*g);
  }
}

template <typename F>
void ForEachSubgraph(const ir::Node& node, F&& f) {
  for (const auto& a : node.attributes) {
    if (a.g) f(*a.g);
    for (const auto& g : a.graphs) f(*g);
  }
}

bool DefinesName(const ir::Graph& g, const std::string& name) {
  for (const auto& in : g.inputs) {
    if (in.name == name) return true;
  }
  if (g.initializers.count(name)) return true;
  for (const auto& n : g.nodes) {
    for (const auto& o : n->outputs) {
      if (o == name) return true;
    }
  }
  return false;
}

}  // namespace

void CollectOuterReads(const ir::Graph& g, std::unordered_set<std::string>* out) {
  std::unordered_set<std::string> defined;
  for (const auto& in : g.inputs) defined.insert(in.name);
  for (const auto& [name, t] : g.initializers) defined.insert(name);
  for (const auto& n : g.nodes) {
    for (const auto& o : n->outputs) defined.insert(o);
  }
  std::unordered_set<std::string> reads;
  for (const auto& n : g.nodes) {
    for (const auto& in : n->inputs) reads.insert(in);
    ForEachSubgraph(*n, [&](const ir::Graph& sub) { CollectOuterReads(sub, &reads); });
  }
  for (const auto& o : g.outputs) reads.insert(o.name);
  for (const auto& r : reads) {
    if (!r.empty() && !defined.count(r)) out->insert(r);
  }
}

void RenameOuterReads(ir::Graph& g, const std::string& from, const std::string& to) {
  if (DefinesName(g, from)) return;  // Shadowed here: reads refer to the local value.
  for (auto& n : g.nodes) {
    for (auto& in : n->inputs) {
      if (in == from) in = to;
    }
    ForEachSubgraph(*n, [&](ir::Graph& sub) { RenameOuterReads(sub, from, to); });
  }
  for (auto& o : g.outputs) {
    if (o.name == from) o.name = to;
  }
}

GraphEditor::GraphEditor(ir::Graph& graph, const PassContext& ctx,
                         std::vector<std::string> outer_scope,
                         std::vector<const ir::Graph*> outer_graphs)
    : graph_(graph),
      ctx_(ctx),
      outer_scope_(std::move(outer_scope)),
      outer_graphs_(std::move(outer_graphs)) {
  Index();
}

void GraphEditor::Index() {
  producer_.clear();
  consumers_.clear();
  implicit_reads_.clear();
  implicit_count_.clear();
  graph_outputs_.clear();
  graph_inputs_.clear();
  for (const auto& o : graph_.outputs) graph_outputs_.insert(o.name);
  for (const auto& i : graph_.inputs) graph_inputs_.insert(i.name);
  for (auto& n : graph_.nodes) AddUses(n.get());
}

void GraphEditor::AddUses(ir::Node* node) {
  for (size_t i = 0; i < node->inputs.size(); ++i) {
    if (!node->inputs[i].empty()) consumers_[node->inputs[i]].push_back({node, i});
  }
  for (size_t i = 0; i < node->outputs.size(); ++i) {
    if (!node->outputs[i].empty()) producer_[node->outputs[i]] = {node, i};
  }
  std::unordered_set<std::string> reads;
  ForEachSubgraph(*node, [&](const ir::Graph& sub) { CollectOuterReads(sub, &reads); });
  if (!reads.empty()) {
    auto& list = implicit_reads_[node];
    for (const auto& r : reads) {
      list.push_back(r);
      ++implicit_count_[r];
    }
  }
}

void GraphEditor::DropUses(ir::Node* node) {
  for (size_t i = 0; i < node->inputs.size(); ++i) {
    const std::string& v = node->inputs[i];
    if (v.empty()) continue;
    auto it = consumers_.find(v);
    if (it == consumers_.end()) continue;
    auto& uses = it->second;
    uses.erase(std::remove_if(uses.begin(), uses.end(),
                              [&](const Use& u) { return u.node == node && u.index == i; }),
               uses.end());
    if (uses.empty()) consumers_.erase(it);
    NoteMaybeUnused(v);
  }
  for (size_t i = 0; i < node->outputs.size(); ++i) {
    auto it = producer_.find(node->outputs[i]);
    if (it != producer_.end() && it->second.first == node) producer_.erase(it);
  }
  auto it = implicit_reads_.find(node);
  if (it != implicit_reads_.end()) {
    for (const auto& r : it->second) {
      if (--implicit_count_[r] <= 0) implicit_count_.erase(r);
      NoteMaybeUnused(r);
    }
    implicit_reads_.erase(it);
  }
}

void GraphEditor::NoteMaybeUnused(const std::string& value) {
  if (graph_.initializers.count(value)) maybe_unused_.insert(value);
}

std::vector<ir::Node*> GraphEditor::Nodes() const {
  std::vector<ir::Node*> out;
  out.reserve(graph_.nodes.size() + added_.size());
  for (const auto& n : graph_.nodes) {
    if (!removed_.count(n.get())) out.push_back(n.get());
  }
  for (const auto& a : added_) {
    if (!removed_.count(a.node.get())) out.push_back(a.node.get());
  }
  return out;
}

size_t GraphEditor::NumLiveNodes() const {
  return graph_.nodes.size() + added_.size() - removed_.size();
}

ir::Node* GraphEditor::Producer(const std::string& value) const {
  if (value.empty()) return nullptr;
  auto it = producer_.find(value);
  return it == producer_.end() ? nullptr : it->second.first;
}

const std::vector<Use>& GraphEditor::Consumers(const std::string& value) const {
  auto it = consumers_.find(value);
  return it == consumers_.end() ? kNoUses : it->second;
}

bool GraphEditor::HasImplicitUses(const std::string& value) const {
  return implicit_count_.count(value) > 0;
}

size_t GraphEditor::NumUses(const std::string& value) const {
  auto it = implicit_count_.find(value);
  return Consumers(value).size() + (it == implicit_count_.end() ? 0 : it->second) +
         (IsGraphOutput(value) ? 1 : 0);
}

bool GraphEditor::HasSingleUse(const std::string& value) const {
  return Consumers(value).size() == 1 && !HasImplicitUses(value) && !IsGraphOutput(value);
}

const Tensor* GraphEditor::Constant(const std::string& value) const {
  if (value.empty() || IsGraphInput(value)) return nullptr;
  auto it = graph_.initializers.find(value);
  if (it != graph_.initializers.end()) return &it->second;
  if (producer_.count(value)) return nullptr;
  // A subgraph reading an enclosing graph's initializer: the nearest definition decides.
  for (auto g = outer_graphs_.rbegin(); g != outer_graphs_.rend(); ++g) {
    for (const auto& in : (*g)->inputs) {
      if (in.name == value) return nullptr;
    }
    auto oi = (*g)->initializers.find(value);
    if (oi != (*g)->initializers.end()) return &oi->second;
    for (const auto& n : (*g)->nodes) {
      for (const auto& o : n->outputs) {
        if (o == value) return nullptr;
      }
    }
  }
  return nullptr;
}

namespace {

std::optional<ir::TypeInfo> TypeIn(const ir::Graph& g, const std::string& value) {
  auto it = g.initializers.find(value);
  if (it != g.initializers.end()) {
    ir::TypeInfo t = ir::TypeInfo::Tensor(it->second.dtype());
    t.has_shape = true;
    for (int64_t d : it->second.shape()) t.dims.push_back(ir::Dim{d, ""});
    return t;
  }
  const ir::TypeInfo* t = g.FindType(value);
  if (!t) return std::nullopt;
  return *t;
}

}  // namespace

std::optional<ir::TypeInfo> GraphEditor::Type(const std::string& value) const {
  if (value.empty()) return std::nullopt;
  if (auto t = TypeIn(graph_, value)) return t;
  // A value this graph does not define comes from the nearest enclosing graph defining it.
  if (producer_.count(value) || IsGraphInput(value)) return std::nullopt;
  for (auto it = outer_graphs_.rbegin(); it != outer_graphs_.rend(); ++it) {
    if (auto t = TypeIn(**it, value)) return t;
  }
  return std::nullopt;
}

DataType GraphEditor::ElemType(const std::string& value) const {
  auto t = Type(value);
  if (!t || t->kind != ir::TypeInfo::Kind::kTensor) return DataType::kUndefined;
  return t->elem_type;
}

int GraphEditor::Rank(const std::string& value) const {
  auto t = Type(value);
  if (!t || t->kind != ir::TypeInfo::Kind::kTensor || !t->has_shape) return -1;
  return static_cast<int>(t->dims.size());
}

std::optional<std::vector<int64_t>> GraphEditor::PartialShape(const std::string& value) const {
  auto t = Type(value);
  if (!t || t->kind != ir::TypeInfo::Kind::kTensor || !t->has_shape) return std::nullopt;
  std::vector<int64_t> dims;
  for (const auto& d : t->dims) dims.push_back(d.known() ? d.value : -1);
  return dims;
}

std::optional<Shape> GraphEditor::StaticShape(const std::string& value) const {
  auto dims = PartialShape(value);
  if (!dims) return std::nullopt;
  for (int64_t d : *dims) {
    if (d < 0) return std::nullopt;
  }
  return *dims;
}

std::string GraphEditor::NewName(const std::string& hint) { return ctx_.names->Fresh(hint); }

std::string GraphEditor::AddConstant(const std::string& hint, Tensor tensor) {
  std::string name = NewName(hint);
  graph_.initializers[name] = std::move(tensor);
  maybe_unused_.insert(name);
  modified_ = true;
  return name;
}

void GraphEditor::SetConstant(const std::string& name, Tensor tensor) {
  graph_.initializers[name] = std::move(tensor);
  graph_.value_info.erase(name);
  modified_ = true;
}

ir::Node* GraphEditor::AddNode(const std::string& op_type, std::vector<std::string> inputs,
                               std::vector<std::string> outputs, const std::string& domain,
                               const ir::Node* anchor, const std::string& name) {
  auto node = std::make_unique<ir::Node>();
  node->op_type = op_type;
  node->domain = domain;
  node->inputs = std::move(inputs);
  node->outputs = std::move(outputs);
  node->name = ctx_.names->Fresh(name.empty() ? op_type : name);
  node->opset = ctx_.Opset(domain);
  if (node->opset <= 0) node->opset = 1;
  ir::Node* raw = node.get();
  AddUses(raw);
  added_.push_back({std::move(node), anchor});
  modified_ = true;
  return raw;
}

void GraphEditor::RemoveNode(ir::Node* node) {
  if (removed_.count(node)) return;
  DropUses(node);
  removed_.insert(node);
  modified_ = true;
}

void GraphEditor::ReplaceAllUses(const std::string& from, const std::string& to) {
  if (from == to) return;
  auto it = consumers_.find(from);
  if (it != consumers_.end()) {
    std::vector<Use> uses = std::move(it->second);
    consumers_.erase(it);
    auto& dst = consumers_[to];
    for (const Use& u : uses) {
      u.node->inputs[u.index] = to;
      dst.push_back(u);
    }
  }
  if (implicit_count_.count(from)) {
    for (auto& [node, reads] : implicit_reads_) {
      if (std::find(reads.begin(), reads.end(), from) == reads.end()) continue;
      ForEachSubgraph(*const_cast<ir::Node*>(node),
                      [&](ir::Graph& sub) { RenameOuterReads(sub, from, to); });
      for (auto& r : reads) {
        if (r == from) r = to;
      }
      ++implicit_count_[to];
    }
    implicit_count_.erase(from);
  }
  NoteMaybeUnused(from);
  modified_ = true;
}

bool GraphEditor::ReplaceValue(const std::string& from, const std::string& to) {
  if (from == to) return true;
  if (!IsGraphOutput(from)) {
    ReplaceAllUses(from, to);
    return true;
  }
  auto it = producer_.find(to);
  if (it == producer_.end() || IsGraphOutput(to) || IsGraphInput(to) ||
      graph_.initializers.count(to) || Producer(from) != nullptr) {
    return false;
  }
  ir::Node* p = it->second.first;
  const size_t idx = it->second.second;
  ReplaceAllUses(to, from);
  SetOutput(p, idx, from);
  auto vi = graph_.value_info.find(to);
  if (vi != graph_.value_info.end()) {
    if (!graph_.FindType(from)) graph_.value_info[from] = vi->second;
    graph_.value_info.erase(vi);
  }
  return true;
}

bool GraphEditor::CanReplaceValue(const std::string& from, const std::string& to) const {
  if (from == to || !IsGraphOutput(from)) return true;
  return producer_.count(to) && !IsGraphOutput(to) && !IsGraphInput(to) &&
         !graph_.initializers.count(to);
}

void GraphEditor::SetInput(ir::Node* node, size_t index, const std::string& value) {
  if (index >= node->inputs.size()) node->inputs.resize(index + 1);
  const std::string old = node->inputs[index];
  if (!old.empty()) {
    auto it = consumers_.find(old);
    if (it != consumers_.end()) {
      auto& uses = it->second;
      uses.erase(std::remove_if(uses.begin(), uses.end(),
                                [&](const Use& u) { return u.node == node && u.index == index; }),
                 uses.end());
      if (uses.empty()) consumers_.erase(it);
    }
    NoteMaybeUnused(old);
  }
  node->inputs[index] = value;
  if (!value.empty()) consumers_[value].push_back({node, index});
  modified_ = true;
}

void GraphEditor::SetOutput(ir::Node* node, size_t index, const std::string& value) {
  if (index >= node->outputs.size()) node->outputs.resize(index + 1);
  auto it = producer_.find(node->outputs[index]);
  if (it != producer_.end() && it->second.first == node) producer_.erase(it);
  node->outputs[index] = value;
  if (!value.empty()) producer_[value] = {node, index};
  modified_ = true;
}

void GraphEditor::SetType(const std::string& value, ir::TypeInfo type) {
  graph_.value_info[value] = std::move(type);
}

Status GraphEditor::Commit() {
  if (!modified_) return Status::Ok();
  // Added nodes go right after their anchors (chains of added nodes keep their order).
  std::unordered_map<const ir::Node*, std::vector<size_t>> after;
  std::vector<size_t> at_end;
  for (size_t i = 0; i < added_.size(); ++i) {
    if (added_[i].anchor) {
      after[added_[i].anchor].push_back(i);
    } else {
      at_end.push_back(i);
    }
  }
  std::vector<std::unique_ptr<ir::Node>> out;
  out.reserve(graph_.nodes.size() + added_.size());
  std::vector<bool> emitted(added_.size(), false);
  std::function<void(const ir::Node*)> emit_after = [&](const ir::Node* anchor) {
    auto it = after.find(anchor);
    if (it == after.end()) return;
    for (size_t i : it->second) {
      if (emitted[i]) continue;
      emitted[i] = true;
      const ir::Node* raw = added_[i].node.get();
      if (!removed_.count(raw)) out.push_back(std::move(added_[i].node));
      emit_after(raw);
    }
  };
  for (auto& n : graph_.nodes) {
    const ir::Node* raw = n.get();
    if (!removed_.count(raw)) out.push_back(std::move(n));
    emit_after(raw);
  }
  for (size_t i : at_end) {
    if (emitted[i]) continue;
    emitted[i] = true;
    const ir::Node* raw = added_[i].node.get();
    if (!removed_.count(raw)) out.push_back(std::move(added_[i].node));
    emit_after(raw);
  }
  for (size_t i = 0; i < added_.size(); ++i) {
    // Anchored to a node that was itself never emitted (cannot happen; keep the node anyway).
    if (!emitted[i] && !removed_.count(added_[i].node.get())) {
      out.push_back(std::move(added_[i].node));
    }
  }
  graph_.nodes = std::move(out);
  added_.clear();
  removed_.clear();
  Index();

  for (const auto& name : maybe_unused_) {
    if (!graph_.initializers.count(name) || IsGraphInput(name)) continue;
    if (NumUses(name) == 0) graph_.initializers.erase(name);
  }
  maybe_unused_.clear();
  for (auto it = graph_.value_info.begin(); it != graph_.value_info.end();) {
    const bool live = producer_.count(it->first) || graph_.initializers.count(it->first) ||
                      graph_inputs_.count(it->first);
    it = live ? std::next(it) : graph_.value_info.erase(it);
  }
  OE_RETURN_IF_ERROR(ir::TopologicalSort(graph_, outer_scope_));
  Index();
  return Status::Ok();
}

}  // namespace onnxedge::opt
