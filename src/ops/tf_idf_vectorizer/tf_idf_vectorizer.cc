// Copyright onnxedge authors.
// TfIdfVectorizer (opset 9-21): counts the n-grams of a pool (pool_int64s for int32/int64
// input, pool_strings for string input) in each row of a [C] or [B, C] input (a scalar counts
// as [1]). n-grams of length min_gram_length..max_gram_length are gathered with every skip
// 0..max_skip_count between items; unigrams are counted once, not once per skip. Counts go to
// coordinate ngram_indexes[k] of the k-th pool n-gram; output [max(ngram_indexes) + 1] or
// [B, that], float32. Modes: TF = counts, IDF = weights[i] where count > 0 (1 without
// weights), TFIDF = counts * weights[i]; weights are indexed by output coordinate, as in the
// ONNX reference and ONNX Runtime (coordinates past the end of `weights` weigh 1).
// The pool is stored as a trie built once in Create.
#include <unordered_map>

#include "ops/common/op_util.h"

namespace onnxedge::ops {

namespace {

enum class Mode { kTf, kIdf, kTfIdf };

// n-gram trie; node 0 is the root. `id` is 1 + the pool n-gram's ordinal, 0 for inner nodes.
template <typename K>
struct Trie {
  struct Node {
    std::unordered_map<K, int32_t> children;
    int64_t id = 0;
  };
  std::vector<Node> nodes = std::vector<Node>(1);

  // Returns the node reached from `node` by `key`, adding it when missing.
  int32_t Child(int32_t node, const K& key) {
    auto it = nodes[static_cast<size_t>(node)].children.find(key);
    if (it != nodes[static_cast<size_t>(node)].children.end()) return it->second;
    const auto next = static_cast<int32_t>(nodes.size());
    nodes[static_cast<size_t>(node)].children.emplace(key, next);
    nodes.emplace_back();
    return next;
  }
  int32_t Find(int32_t node, const K& key) const {
    const auto& children = nodes[static_cast<size_t>(node)].children;
    auto it = children.find(key);
    return it == children.end() ? -1 : it->second;
  }
};

class TfIdfVectorizerKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<TfIdfVectorizerKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<TfIdfVectorizerKernel>();
    OE_ASSIGN_OR_RETURN(std::string mode, info.GetString("mode"));
    if (mode == "TF") {
      k->mode_ = Mode::kTf;
    } else if (mode == "IDF") {
      k->mode_ = Mode::kIdf;
    } else if (mode == "TFIDF") {
      k->mode_ = Mode::kTfIdf;
    } else {
      return info.Error(StatusCode::kInvalidModel,
                        "attribute 'mode' must be TF, IDF or TFIDF, "
                        "got '",
                        mode, "'");
    }
    OE_ASSIGN_OR_RETURN(k->min_n_, info.GetInt("min_gram_length"));
    OE_ASSIGN_OR_RETURN(k->max_n_, info.GetInt("max_gram_length"));
    OE_ASSIGN_OR_RETURN(k->max_skip_, info.GetInt("max_skip_count"));
    if (k->min_n_ < 1) {
      return info.Error(StatusCode::kInvalidModel,
                        "attribute 'min_gram_length' must be >= 1, "
                        "got ",
                        k->min_n_);
    }
    if (k->max_n_ < k->min_n_) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'max_gram_length' (", k->max_n_,
                        ") must be >= min_gram_length (", k->min_n_, ")");
    }
    if (k->max_skip_ < 0) {
      return info.Error(StatusCode::kInvalidModel,
                        "attribute 'max_skip_count' must be >= 0, "
                        "got ",
                        k->max_skip_);
    }
    OE_ASSIGN_OR_RETURN(std::vector<int64_t> counts, info.GetInts("ngram_counts"));
    OE_ASSIGN_OR_RETURN(k->ngram_indexes_, info.GetInts("ngram_indexes"));
    OE_ASSIGN_OR_RETURN(k->weights_, info.GetFloats("weights", {}));
    const bool has_int = info.HasAttribute("pool_int64s");
    const bool has_str = info.HasAttribute("pool_strings");
    if (has_int == has_str) {
      return info.Error(StatusCode::kInvalidModel,
                        "exactly one of the attributes 'pool_int64s' "
                        "and 'pool_strings' must be set");
    }
    k->string_pool_ = has_str;
    std::vector<int64_t> pool_ints;
    std::vector<std::string> pool_strings;
    if (has_int) {
      OE_ASSIGN_OR_RETURN(pool_ints, info.GetInts("pool_int64s"));
    } else {
      OE_ASSIGN_OR_RETURN(pool_strings, info.GetStrings("pool_strings"));
    }
    const int64_t pool_size =
        static_cast<int64_t>(has_int ? pool_ints.size() : pool_strings.size());
    if (k->ngram_indexes_.empty()) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'ngram_indexes' must not be empty");
    }
    int64_t max_index = 0;
    for (int64_t v : k->ngram_indexes_) {
      if (v < 0) {
        return info.Error(StatusCode::kInvalidModel,
                          "attribute 'ngram_indexes' has negative "
                          "value ",
                          v);
      }
      max_index = std::max(max_index, v);
    }
    k->output_size_ = max_index + 1;

    // Walk the pool level by level (1-grams, 2-grams, ...), numbering every n-gram in order
    // and loading those of the requested lengths into the trie.
    int64_t ngram_id = 0;
    for (size_t level = 0; level < counts.size(); ++level) {
      const int64_t n = static_cast<int64_t>(level) + 1;
      const int64_t begin = counts[level];
      const int64_t end = level + 1 < counts.size() ? counts[level + 1] : pool_size;
      if (begin < 0 || end > pool_size || end < begin) {
        return info.Error(StatusCode::kInvalidModel,
                          "attribute 'ngram_counts' is not a "
                          "non-decreasing list of offsets into a pool of ",
                          pool_size, " items");
      }
      if ((end - begin) % n != 0) {
        return info.Error(StatusCode::kInvalidModel, "attribute 'ngram_counts': the ", n,
                          "-gram section holds ", end - begin, " items, not a multiple of ", n);
      }
      const bool load = n >= k->min_n_ && n <= k->max_n_;
      for (int64_t start = begin; start < end; start += n) {
        ++ngram_id;
        if (ngram_id > static_cast<int64_t>(k->ngram_indexes_.size())) {
          return info.Error(StatusCode::kInvalidModel, "attribute 'ngram_indexes' has ",
                            k->ngram_indexes_.size(), " entries but the pool holds more n-grams");
        }
        if (!load) continue;
        int32_t node = 0;
        for (int64_t j = start; j < start + n; ++j) {
          node = has_int ? k->int_trie_.Child(node, pool_ints[static_cast<size_t>(j)])
                         : k->string_trie_.Child(node, pool_strings[static_cast<size_t>(j)]);
        }
        if (has_int) {
          k->int_trie_.nodes[static_cast<size_t>(node)].id = ngram_id;
        } else {
          k->string_trie_.nodes[static_cast<size_t>(node)].id = ngram_id;
        }
      }
    }
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    const bool is_string = x->dtype() == DataType::kString;
    const bool is_int = x->dtype() == DataType::kInt32 || x->dtype() == DataType::kInt64;
    if ((string_pool_ && !is_string) || (!string_pool_ && !is_int)) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'X' has type ",
                       DataTypeName(x->dtype()), " but the pool holds ",
                       string_pool_ ? "strings" : "integers");
    }
    if (x->rank() > 2) {
      return ctx.Error(StatusCode::kInvalidArgument,
                       "input 'X' must have shape [C] or [B, C], "
                       "got ",
                       ShapeToString(x->shape()));
    }
    const bool batched = x->rank() == 2;
    const int64_t rows = batched ? x->dim(0) : 1;
    const int64_t cols = x->rank() == 0 ? 1 : x->dim(x->rank() - 1);
    OE_ASSIGN_OR_RETURN(
        Tensor * y, ctx.AllocateOutput(0, DataType::kFloat,
                                       batched ? Shape{rows, output_size_} : Shape{output_size_}));
    float* out = y->data<float>();
    if (x->dtype() == DataType::kString) {
      const std::string* p = x->data<std::string>();
      CountRows(
          ctx, rows, cols, [p](int64_t i) -> const std::string& { return p[i]; }, string_trie_,
          out);
    } else if (x->dtype() == DataType::kInt64) {
      const int64_t* p = x->data<int64_t>();
      CountRows(
          ctx, rows, cols, [p](int64_t i) { return p[i]; }, int_trie_, out);
    } else {
      const int32_t* p = x->data<int32_t>();
      CountRows(
          ctx, rows, cols, [p](int64_t i) { return static_cast<int64_t>(p[i]); }, int_trie_, out);
    }
    ApplyWeighting(out, rows);
    return Status::Ok();
  }

 private:
  // Counts every row; item(i) is the i-th element of the flattened input.
  template <typename Item, typename K>
  void CountRows(KernelContext& ctx, int64_t rows, int64_t cols, const Item& item,
                 const Trie<K>& trie, float* out) const {
    ctx.thread_pool().ParallelFor(rows, 1, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        CountRow([&](int64_t i) -> decltype(auto) { return item(r * cols + i); }, cols, trie,
                 out + r * output_size_);
      }
    });
  }

  // Adds the n-gram counts of one row (items item(0..cols-1)) into out[0:output_size_].
  template <typename Item, typename K>
  void CountRow(const Item& item, int64_t cols, const Trie<K>& trie, float* out) const {
    int64_t start_n = min_n_;
    for (int64_t skip = 1; skip <= max_skip_ + 1; ++skip) {
      for (int64_t start = 0; start < cols; ++start) {
        if (start + skip * (start_n - 1) >= cols) break;
        int32_t node = 0;
        int64_t pos = start;
        for (int64_t n = 1; n <= max_n_ && pos < cols; ++n, pos += skip) {
          node = trie.Find(node, item(pos));
          if (node < 0) break;
          const int64_t id = trie.nodes[static_cast<size_t>(node)].id;
          if (n >= start_n && id != 0) out[ngram_indexes_[static_cast<size_t>(id - 1)]] += 1.f;
          if (trie.nodes[static_cast<size_t>(node)].children.empty()) break;
        }
      }
      // Unigrams do not depend on the skip: count them on the first pass only.
      if (start_n == 1) {
        start_n = 2;
        if (start_n > max_n_) break;
      }
    }
  }

  void ApplyWeighting(float* out, int64_t rows) const {
    if (mode_ == Mode::kTf) return;
    for (int64_t r = 0; r < rows; ++r) {
      float* row = out + r * output_size_;
      for (int64_t i = 0; i < output_size_; ++i) {
        const float w =
            static_cast<size_t>(i) < weights_.size() ? weights_[static_cast<size_t>(i)] : 1.f;
        if (mode_ == Mode::kIdf) {
          row[i] = row[i] > 0 ? w : 0.f;
        } else {
          row[i] *= w;
        }
      }
    }
  }

  Mode mode_ = Mode::kTf;
  int64_t min_n_ = 1, max_n_ = 1, max_skip_ = 0;
  int64_t output_size_ = 0;
  std::vector<int64_t> ngram_indexes_;
  std::vector<float> weights_;
  bool string_pool_ = false;
  Trie<int64_t> int_trie_;
  Trie<std::string> string_trie_;
};

}  // namespace

void RegisterOp_tf_idf_vectorizer(OpRegistry& registry) {
  registry.Register({"", "TfIdfVectorizer", 9, 21, MakeFactory<TfIdfVectorizerKernel>()});
}

}  // namespace onnxedge::ops
