// Copyright onnxedge authors.
#include "runtime/profiler.h"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

#include "ir/graph.h"

namespace onnxedge::runtime {

namespace {

bool UseCpuClock();

struct Entry {
  std::string op, label;
  int64_t ns = 0, calls = 0;
  double flops = 0;  // Per call (Conv/FusedConv only), 0 when unknown.
};

struct Profile {
  std::mutex mu;
  std::unordered_map<const ir::Node*, Entry> nodes;
  std::vector<const ir::Node*> order;  // First-execution order.
};

Profile& TheProfile() {
  static Profile* p = new Profile();  // Leaked: read by the atexit printer.
  return *p;
}

std::string Dims(const Shape& s) {
  std::string r;
  for (size_t i = 0; i < s.size(); ++i) r += (i ? "x" : "") + std::to_string(s[i]);
  return r;
}

std::string IntsAttr(const ir::Node& n, const char* name) {
  const ir::Attribute* a = n.FindAttribute(name);
  if (!a) return "";
  if (a->type == ir::Attribute::Type::kInt) return std::string(" ") + name + "=" +
                                                    std::to_string(a->i);
  if (a->type == ir::Attribute::Type::kString) return std::string(" ") + name + "=" + a->s;
  std::string r = std::string(" ") + name + "=";
  for (size_t i = 0; i < a->ints.size(); ++i) r += (i ? "," : "") + std::to_string(a->ints[i]);
  return r;
}

void PrintProfile() {
  Profile& p = TheProfile();
  std::lock_guard<std::mutex> lock(p.mu);
  if (p.nodes.empty()) return;
  int64_t total = 0;
  for (const auto& [n, e] : p.nodes) total += e.ns;
  std::vector<const Entry*> sorted;
  for (const ir::Node* n : p.order) {
    if (p.nodes[n].calls > 0) sorted.push_back(&p.nodes[n]);
  }
  if (sorted.empty()) return;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const Entry* a, const Entry* b) { return a->ns > b->ns; });
  std::fprintf(stderr, "\nONNXEDGE_PROFILE (%s time): %zu nodes, %.3f ms per run on average\n",
               UseCpuClock() ? "thread CPU" : "wall",
               sorted.size(),
               total / 1e6 / static_cast<double>(std::max<int64_t>(1, sorted[0]->calls)));
  std::fprintf(stderr, "%10s %6s %7s  %s\n", "us/call", "%", "GFLOP/s", "node");
  for (const Entry* e : sorted) {
    const double us = e->ns / 1e3 / static_cast<double>(e->calls);
    const double gflops = e->flops > 0 ? e->flops / (us * 1e3) : 0;
    std::fprintf(stderr, "%10.1f %6.2f %7.1f  %s\n", us, 100.0 * e->ns / total, gflops,
                 e->label.c_str());
  }
  std::map<std::string, std::pair<int64_t, int64_t>> by_op;
  for (const auto& [n, e] : p.nodes) {
    by_op[e.op].first += e.ns;
    by_op[e.op].second += 1;
  }
  std::vector<std::pair<std::string, std::pair<int64_t, int64_t>>> ops(by_op.begin(), by_op.end());
  std::sort(ops.begin(), ops.end(),
            [](const auto& a, const auto& b) { return a.second.first > b.second.first; });
  std::fprintf(stderr, "\nper op type (share of node time, nodes):\n");
  for (const auto& [op, v] : ops) {
    std::fprintf(stderr, "%6.2f %%  %4lld  %s\n", 100.0 * v.first / total,
                 static_cast<long long>(v.second), op.c_str());
  }
}

}  // namespace

namespace {
bool UseCpuClock() {
  static const bool cpu = [] {
    const char* v = std::getenv("ONNXEDGE_PROFILE");
    return v && std::string(v) == "cpu";
  }();
  return cpu;
}
}  // namespace

int64_t ProfileClockNs() {
  if (UseCpuClock()) {
    timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec;
  }
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool ProfilingEnabled() {
  static const bool enabled = [] {
    const char* v = std::getenv("ONNXEDGE_PROFILE");
    const bool on = v && *v && std::string(v) != "0";
    if (on) std::atexit(PrintProfile);
    return on;
  }();
  return enabled;
}

void RecordNodeTime(const ir::Node& node, int64_t ns, const std::vector<const Value*>& inputs,
                    const std::vector<Value>& outputs) {
  Profile& p = TheProfile();
  std::lock_guard<std::mutex> lock(p.mu);
  auto [it, inserted] = p.nodes.try_emplace(&node);
  Entry& e = it->second;
  if (inserted) {
    p.order.push_back(&node);
    e.op = node.op_type;
    e.label = node.op_type + " '" + node.name + "'";
    for (const Value* v : inputs) {
      if (v && v->is_tensor()) e.label += " " + Dims(v->tensor().shape());
    }
    if (!outputs.empty() && outputs[0].is_tensor()) {
      e.label += " -> " + Dims(outputs[0].tensor().shape());
    }
    for (const char* a : {"group", "strides", "activation"}) e.label += IntsAttr(node, a);
    if ((node.op_type == "Conv" || node.op_type == "FusedConv") && inputs.size() > 1 &&
        inputs[1] && inputs[1]->is_tensor() && !outputs.empty() && outputs[0].is_tensor()) {
      const Shape& ws = inputs[1]->tensor().shape();
      double per_out = 2.0;
      for (size_t i = 1; i < ws.size(); ++i) per_out *= static_cast<double>(ws[i]);
      e.flops = per_out * static_cast<double>(outputs[0].tensor().size());
      if (node.op_type == "FusedConv") e.op = "FusedConv";
    }
  }
  if (inserted) return;  // The first run records, plans and prepacks: not steady state.
  e.ns += ns;
  e.calls += 1;
}

}  // namespace onnxedge::runtime
