// Copyright onnxedge authors.
// PrepackCache: lets the kernels of one session share the prepacked form of a constant they
// all read (for example one weight used by several layers, which exporters deduplicate into a
// single initializer), so the session holds it once instead of once per node.
//
// A cache is active on a thread while GraphPlan::Compile builds a session's kernels (a Scope
// installed by the outermost Compile). Entries are keyed by the constant's data pointer and
// the packing parameters; the pointer is only a valid identity within one compile (constants
// stay alive until it ends; released originals may be reused afterwards), so the cache is
// dropped when the outermost Compile returns. Kernels created outside a compile (no cache)
// pack their own copy.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <utility>

namespace onnxedge {

class PrepackCache {
 public:
  /// The cache of the compile running on this thread, or nullptr.
  static PrepackCache* Current() { return current_; }

  /// Installs a cache for its lifetime when none is active on this thread (nested compiles of
  /// subgraphs share the outer one).
  class Scope;

  using Params = std::array<int64_t, 4>;

  /// The shared prepacked form of `data` with `params` under `kind` (what packing), made by
  /// `make()` the first time.
  template <typename T, typename Make>
  std::shared_ptr<T> GetOrMake(const std::string& kind, const void* data, const Params& params,
                               Make&& make) {
    const Key key{kind, data, params};
    auto it = entries_.find(key);
    if (it != entries_.end()) return std::static_pointer_cast<T>(it->second);
    std::shared_ptr<T> v = make();
    entries_.emplace(key, v);
    return v;
  }

 private:
  using Key = std::tuple<std::string, const void*, Params>;
  std::map<Key, std::shared_ptr<void>> entries_;
  static inline thread_local PrepackCache* current_ = nullptr;
};

class PrepackCache::Scope {
 public:
  Scope() {
    if (current_ == nullptr) {
      cache_ = std::make_unique<PrepackCache>();
      current_ = cache_.get();
    }
  }
  ~Scope() {
    if (cache_) current_ = nullptr;
  }
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  std::unique_ptr<PrepackCache> cache_;  // Set when this scope installed the cache.
};

/// `make()` shared through the current compile's cache when one is active, else `make()`.
template <typename T, typename Make>
std::shared_ptr<T> SharedPrepack(const std::string& kind, const void* data,
                                 const PrepackCache::Params& params, Make&& make) {
  PrepackCache* cache = PrepackCache::Current();
  if (!cache) return make();
  return cache->GetOrMake<T>(kind, data, params, std::forward<Make>(make));
}

}  // namespace onnxedge
