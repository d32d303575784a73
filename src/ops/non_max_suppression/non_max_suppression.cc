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
#include <algorithm>
#include <cmath>
#include <numeric>

#include "ops/common/op_util.h"

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
      OE_ASSIGN_OR_RETURN(std::vector<int64_t> v,
                          ReadInt64s(*t, ctx.Describe() + " input 'max_output_boxes_per_class'"));
      max_per_class = std::max<int64_t>(v[0], 0);
    }
    float iou_threshold = 0.f;
    if (const Tensor* t = ctx.Input(3); t && t->size() > 0) {
      OE_ASSIGN_OR_RETURN(std::vector<double> v,
                          ReadDoubles(*t, ctx.Describe() + " input 'iou_threshold'"));
      iou_threshold = static_cast<float>(v[0]);
      if (!(iou_threshold >= 0.f && iou_threshold <= 1.f)) {
        return ctx.Error(StatusCode::kInvalidArgument, "input 'iou_threshold' is ", v[0],
                         ", expected a value in [0, 1]");
      }
    }
    bool use_score_threshold = false;
    float score_threshold = 0.f;
    if (const Tensor* t = ctx.Input(4); t && t->size() > 0) {
      OE_ASSIGN_OR_RETURN(std::vector<double> v,
                          ReadDoubles(*t, ctx.Describe() + " input 'score_threshold'"));
      use_score_threshold = true;
      score_threshold = static_cast<float>(v[0]);
    }

    const int64_t num_batches = boxes->dim(0), num_boxes = boxes->dim(1);
    const int64_t num_classes = scores->dim(1);
    const float* box_data = boxes->data<float>();
    const float* score_data = scores->data<float>();
    const int64_t pairs = num_batches * num_classes;
    std::vector<std::vector<int64_t>> selected(static_cast<size_t>(pairs));
    if (max_per_class > 0 && num_boxes > 0) {
      // Normalized boxes per batch, shared by every class.
      std::vector<Box> norm(static_cast<size_t>(num_batches * num_boxes));
      for (int64_t i = 0; i < num_batches * num_boxes; ++i) {
        norm[static_cast<size_t>(i)] = Normalize(box_data + 4 * i);
      }
      ctx.thread_pool().ParallelFor(pairs, 1, [&](int64_t begin, int64_t end) {
        std::vector<int64_t> order;
        std::vector<int64_t> kept;
        for (int64_t pc = begin; pc < end; ++pc) {
          const int64_t b = pc / num_classes;
          const float* sc = score_data + pc * num_boxes;
          const Box* bx = norm.data() + b * num_boxes;
          order.clear();
          for (int64_t i = 0; i < num_boxes; ++i) {
            if (!use_score_threshold || sc[i] > score_threshold) order.push_back(i);
          }
          // Descending score, ties by ascending index; NaN scores go last.
          std::stable_sort(order.begin(), order.end(), [sc](int64_t a, int64_t c) {
            const float sa = sc[a], scc = sc[c];
            if (std::isnan(sa) || std::isnan(scc)) return !std::isnan(sa) && std::isnan(scc);
            return sa > scc;
          });
          kept.clear();
          for (int64_t cand : order) {
            if (static_cast<int64_t>(kept.size()) >= max_per_class) break;
            bool keep = true;
            for (int64_t k : kept) {
              if (Suppresses(bx[cand], bx[k], iou_threshold)) {
                keep = false;
                break;
              }
            }
            if (keep) kept.push_back(cand);
          }
          selected[static_cast<size_t>(pc)] = kept;
        }
      });
    }
    int64_t total = 0;
    for (const auto& s : selected) total += static_cast<int64_t>(s.size());
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, DataType::kInt64, {total, 3}));
    int64_t* out = y->data<int64_t>();
    for (int64_t pc = 0; pc < pairs; ++pc) {
      for (int64_t box : selected[static_cast<size_t>(pc)]) {
        *out++ = pc / num_classes;
        *out++ = pc % num_classes;
        *out++ = box;
      }
    }
    return Status::Ok();
  }

 private:
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
