// Copyright onnxedge authors.
// NonMaxSuppression (opset 10-21): greedy per-class box selection.
//   boxes (B, N, 4) float: [y1, x1, y2, x2] (any diagonal corner pair; center_point_box 0) or
//     [x_center, y_center, width, height] (center_point_box 1).
//   scores (B, C, N) float.
//   max_output_boxes_per_class (int64, optional, default 0 = select nothing),
//   iou_threshold (float in [0, 1], optional, default 0), score_threshold (float, optional: when
//   given, only boxes with score > threshold are candidates).
// For each batch and class, candidates are taken by descending score (ties: lower box index
// first) and kept unless their IoU with an already kept box of that class exceeds
// iou_threshold. Output selected_indices (num_selected, 3) int64 [batch, class, box], ordered by
// batch, then class, then selection order, which is what the ONNX test data and ONNX Runtime
// produce. IoU is computed in float as the reference does; boxes with zero area never suppress.
// No heap allocation per run once grown: normalized boxes and the selections (at most
// min(max_output_boxes_per_class, boxes) per batch and class) live in buffers of the calling
// thread, each chunk's candidate order in ChunkScratch.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "ops/common/op_util.h"
#include "runtime/chunk_scratch.h"

namespace onnxedge::ops {

namespace {

struct Box {
  float x_min, y_min, x_max, y_max, area;
};

class NonMaxSuppressionKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<NonMaxSuppressionKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<NonMaxSuppressionKernel>();
    OE_ASSIGN_OR_RETURN(k->center_point_box_, info.GetInt("center_point_box", 0));
    if (k->center_point_box_ != 0 && k->center_point_box_ != 1) {
      return info.Error(StatusCode::kInvalidModel, "attribute 'center_point_box' is ",
                        k->center_point_box_, ", expected 0 or 1");
    }
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* boxes, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(const Tensor* scores, ctx.RequiredInput(1));
    if (boxes->dtype() != DataType::kFloat || scores->dtype() != DataType::kFloat) {
      return ctx.Error(StatusCode::kInvalidArgument, "inputs 'boxes' and 'scores' must be float32");
    }
    if (boxes->rank() != 3 || boxes->dim(2) != 4) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'boxes' has shape ",
                       ShapeToString(boxes->shape()), "; expected (batches, boxes, 4)");
    }
    if (scores->rank() != 3 || scores->dim(0) != boxes->dim(0) || scores->dim(2) != boxes->dim(1)) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'scores' has shape ",
                       ShapeToString(scores->shape()), "; expected (", boxes->dim(0), ", classes, ",
                       boxes->dim(1), ") to match 'boxes'");
    }
    int64_t max_per_class = 0;
    if (const Tensor* t = ctx.Input(2); t && t->size() > 0) {
      Shape v;
      OE_RETURN_IF_ERROR(ReadInt64sInto(*t, ctx.Describe(), "max_output_boxes_per_class", &v));
      max_per_class = std::max<int64_t>(v[0], 0);
    }
    float iou_threshold = 0.f;
    if (const Tensor* t = ctx.Input(3); t && t->size() > 0) {
      OE_ASSIGN_OR_RETURN(const double v, ReadScalar(ctx, *t, "iou_threshold"));
      iou_threshold = static_cast<float>(v);
      if (!(iou_threshold >= 0.f && iou_threshold <= 1.f)) {
        return ctx.Error(StatusCode::kInvalidArgument, "input 'iou_threshold' is ", v,
                         ", expected a value in [0, 1]");
      }
    }
    bool use_score_threshold = false;
    float score_threshold = 0.f;
    if (const Tensor* t = ctx.Input(4); t && t->size() > 0) {
      OE_ASSIGN_OR_RETURN(const double v, ReadScalar(ctx, *t, "score_threshold"));
      use_score_threshold = true;
      score_threshold = static_cast<float>(v);
    }

    const int64_t num_batches = boxes->dim(0), num_boxes = boxes->dim(1);
    const int64_t num_classes = scores->dim(1);
    const float* box_data = boxes->data<float>();
    const float* score_data = scores->data<float>();
    const int64_t pairs = num_batches * num_classes;
    // Pair pc keeps counts[pc] boxes at kept + pc * cap. Buffers of the calling thread that
    // only grow; the chunks write through the pointers below.
    const int64_t cap = std::min(max_per_class, num_boxes);
    thread_local std::vector<int64_t> tls_kept, tls_counts;
    thread_local std::vector<Box> tls_norm;
    if (tls_counts.size() < static_cast<size_t>(pairs)) {
      tls_counts.resize(static_cast<size_t>(pairs));
    }
    int64_t* const counts = tls_counts.data();
    std::fill(counts, counts + pairs, int64_t{0});
    if (cap > 0) {
      if (tls_kept.size() < static_cast<size_t>(pairs * cap)) {
        tls_kept.resize(static_cast<size_t>(pairs * cap));
      }
      if (tls_norm.size() < static_cast<size_t>(num_batches * num_boxes)) {
        tls_norm.resize(static_cast<size_t>(num_batches * num_boxes));
      }
      int64_t* const kept_all = tls_kept.data();
      // Normalized boxes per batch, shared by every class.
      Box* const norm = tls_norm.data();
      for (int64_t i = 0; i < num_batches * num_boxes; ++i) norm[i] = Normalize(box_data + 4 * i);
      thread_local ChunkScratch tls_scratch;
      ChunkScratch& scratch = tls_scratch;
      scratch.Prepare(static_cast<size_t>(ctx.thread_pool().num_threads()),
                      static_cast<size_t>(num_boxes) * sizeof(int64_t));
      ctx.thread_pool().ParallelFor(pairs, 1, [&](int64_t begin, int64_t end) {
        int64_t* const order = reinterpret_cast<int64_t*>(scratch.Claim());
        for (int64_t pc = begin; pc < end; ++pc) {
          const int64_t b = pc / num_classes;
          const float* sc = score_data + pc * num_boxes;
          const Box* bx = norm + b * num_boxes;
          int64_t candidates = 0;
          for (int64_t i = 0; i < num_boxes; ++i) {
            if (!use_score_threshold || sc[i] > score_threshold) order[candidates++] = i;
          }
          // Descending score, ties by ascending index; NaN scores go last. A total order, so
          // std::sort (which needs no buffer, unlike std::stable_sort) gives the stable result.
          std::sort(order, order + candidates, [sc](int64_t a, int64_t c) {
            const float sa = sc[a], scc = sc[c];
            const bool na = std::isnan(sa), nc = std::isnan(scc);
            if (na != nc) return nc;
            if (!na && sa != scc) return sa > scc;
            return a < c;
          });
          int64_t* const kept = kept_all + pc * cap;
          int64_t n = 0;
          for (int64_t j = 0; j < candidates && n < cap; ++j) {
            const int64_t cand = order[j];
            bool keep = true;
            for (int64_t q = 0; q < n; ++q) {
              if (Suppresses(bx[cand], bx[kept[q]], iou_threshold)) {
                keep = false;
                break;
              }
            }
            if (keep) kept[n++] = cand;
          }
          counts[pc] = n;
        }
      });
    }
    int64_t total = 0;
    for (int64_t pc = 0; pc < pairs; ++pc) total += counts[pc];
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, DataType::kInt64, {total, 3}));
    int64_t* out = y->data<int64_t>();
    const int64_t* const kept_all = tls_kept.data();
    for (int64_t pc = 0; pc < pairs; ++pc) {
      for (int64_t j = 0; j < counts[pc]; ++j) {
        const int64_t box = kept_all[pc * cap + j];
        *out++ = pc / num_classes;
        *out++ = pc % num_classes;
        *out++ = box;
      }
    }
    return Status::Ok();
  }

 private:
  // The first value of a threshold input (float and double read in place, without a vector).
  static StatusOr<double> ReadScalar(KernelContext& ctx, const Tensor& t, const char* name) {
    if (t.dtype() == DataType::kFloat) return static_cast<double>(t.data<float>()[0]);
    if (t.dtype() == DataType::kDouble) return t.data<double>()[0];
    OE_ASSIGN_OR_RETURN(std::vector<double> v,
                        ReadDoubles(t, ctx.Describe() + " input '" + name + "'"));
    return v[0];
  }

  Box Normalize(const float* b) const {
    Box r;
    if (center_point_box_ == 0) {
      r.y_min = std::min(b[0], b[2]);
      r.y_max = std::max(b[0], b[2]);
      r.x_min = std::min(b[1], b[3]);
      r.x_max = std::max(b[1], b[3]);
    } else {
      const float hw = b[2] / 2.f, hh = b[3] / 2.f;
      r.x_min = b[0] - hw;
      r.x_max = b[0] + hw;
      r.y_min = b[1] - hh;
      r.y_max = b[1] + hh;
    }
    r.area = (r.x_max - r.x_min) * (r.y_max - r.y_min);
    return r;
  }

  static bool Suppresses(const Box& a, const Box& b, float threshold) {
    const float ix_min = std::max(a.x_min, b.x_min), ix_max = std::min(a.x_max, b.x_max);
    if (!(ix_max > ix_min)) return false;
    const float iy_min = std::max(a.y_min, b.y_min), iy_max = std::min(a.y_max, b.y_max);
    if (!(iy_max > iy_min)) return false;
    const float inter = (ix_max - ix_min) * (iy_max - iy_min);
    if (!(inter > 0.f)) return false;
    const float uni = a.area + b.area - inter;
    if (!(a.area > 0.f) || !(b.area > 0.f) || !(uni > 0.f)) return false;
    return inter / uni > threshold;
  }

  int64_t center_point_box_ = 0;
};

}  // namespace

void RegisterOp_non_max_suppression(OpRegistry& registry) {
  registry.Register({"", "NonMaxSuppression", 10, 21, MakeFactory<NonMaxSuppressionKernel>()});
}

}  // namespace onnxedge::ops
