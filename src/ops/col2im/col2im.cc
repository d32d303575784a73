// Copyright onnxedge authors.
// Col2Im (opset 18-21): the inverse of im2col, summing overlapping blocks.
//   input (N, C * prod(block_shape), L), image_shape [D1..Dr], block_shape [K1..Kr]
//   -> output (N, C, D1..Dr). Attributes dilations, pads ([begins..., ends...]), strides, each
//   defaulting to 1 / 0 / 1 per spatial axis. L must equal the number of block positions
//   prod_i((D_i + pad_begin_i + pad_end_i - dilation_i * (K_i - 1) - 1) / stride_i + 1).
// Element (c * prod(K) + k, l) adds to image position l_i * stride_i - pad_begin_i +
// k_i * dilation_i (k and l unravelled row-major) when that position is inside the image.
// Types: numeric types (16-bit floats accumulated in float).
#include "ops/common/op_util.h"

namespace onnxedge::ops {

namespace {

class Col2ImKernel final : public Kernel {
 public:
  static StatusOr<std::unique_ptr<Col2ImKernel>> Create(const KernelInfo& info) {
    auto k = std::make_unique<Col2ImKernel>();
    OE_ASSIGN_OR_RETURN(k->dilations_, info.GetInts("dilations", {}));
    OE_ASSIGN_OR_RETURN(k->pads_, info.GetInts("pads", {}));
    OE_ASSIGN_OR_RETURN(k->strides_, info.GetInts("strides", {}));
    for (int64_t d : k->dilations_) {
      if (d < 1) return info.Error(StatusCode::kInvalidModel, "attribute 'dilations' has ", d);
    }
    for (int64_t s : k->strides_) {
      if (s < 1) return info.Error(StatusCode::kInvalidModel, "attribute 'strides' has ", s);
    }
    for (int64_t p : k->pads_) {
      if (p < 0) return info.Error(StatusCode::kInvalidModel, "attribute 'pads' has ", p);
    }
    return k;
  }

  Status Run(KernelContext& ctx) const override {
    OE_ASSIGN_OR_RETURN(const Tensor* x, ctx.RequiredInput(0));
    OE_ASSIGN_OR_RETURN(const Tensor* image_t, ctx.RequiredInput(1));
    OE_ASSIGN_OR_RETURN(const Tensor* block_t, ctx.RequiredInput(2));
    OE_ASSIGN_OR_RETURN(std::vector<int64_t> image,
                        ReadInt64s(*image_t, ctx.Describe() + " input 'image_shape'"));
    OE_ASSIGN_OR_RETURN(std::vector<int64_t> block,
                        ReadInt64s(*block_t, ctx.Describe() + " input 'block_shape'"));
    const size_t r = image.size();
    if (r == 0 || block.size() != r) {
      return ctx.Error(StatusCode::kInvalidArgument, "inputs 'image_shape' (", r,
                       " values) and 'block_shape' (", block.size(),
                       " values) must be non-empty and of equal length");
    }
    std::vector<int64_t> dil = dilations_.empty() ? std::vector<int64_t>(r, 1) : dilations_;
    std::vector<int64_t> str = strides_.empty() ? std::vector<int64_t>(r, 1) : strides_;
    std::vector<int64_t> pads = pads_.empty() ? std::vector<int64_t>(2 * r, 0) : pads_;
    if (dil.size() != r || str.size() != r || pads.size() != 2 * r) {
      return ctx.Error(StatusCode::kInvalidArgument, "attributes 'dilations' (", dil.size(),
                       "), 'strides' (", str.size(), ") and 'pads' (", pads.size(),
                       ") do not match ", r, " spatial axes");
    }
    if (x->rank() != 3) {
      return ctx.Error(StatusCode::kInvalidArgument, "input 'input' has shape ",
                       ShapeToString(x->shape()), "; expected (N, C * prod(block_shape), L)");
    }
    int64_t kernel_size = 1, positions = 1, image_size = 1;
    std::vector<int64_t> n_blocks(r);
    for (size_t i = 0; i < r; ++i) {
      if (image[i] < 0 || block[i] < 1) {
        return ctx.Error(StatusCode::kInvalidArgument, "'image_shape' ", image[i],
                         " / 'block_shape' ", block[i], " at axis ", i, " are invalid");
      }
      const int64_t span = dil[i] * (block[i] - 1) + 1;
      const int64_t avail = image[i] + pads[i] + pads[r + i] - span;
      n_blocks[i] = avail < 0 ? 0 : avail / str[i] + 1;
      kernel_size *= block[i];
      positions *= n_blocks[i];
      image_size *= image[i];
    }
    if (x->dim(1) % kernel_size != 0) {
      return ctx.Error(StatusCode::kInvalidArgument, "input dim 1 (", x->dim(1),
                       ") is not a multiple of prod(block_shape) = ", kernel_size);
    }
    if (x->dim(2) != positions || positions == 0) {
      return ctx.Error(StatusCode::kInvalidArgument, "input dim 2 is ", x->dim(2), " but the ",
                       "image, block, pads, dilations and strides give ", positions,
                       " block positions");
    }
    const int64_t batch = x->dim(0), channels = x->dim(1) / kernel_size;
    Shape out_shape = {batch, channels};
    for (int64_t d : image) out_shape.push_back(d);
    OE_ASSIGN_OR_RETURN(Tensor * y, ctx.AllocateOutput(0, x->dtype(), out_shape));
    if (y->size() == 0) return Status::Ok();
    // Image strides.
    std::vector<int64_t> im_stride(r, 1);
    for (size_t i = r - 1; i > 0; --i) im_stride[i - 1] = im_stride[i] * image[i];
    return Dispatch<NumericTypes>(x->dtype(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      using C = ComputeType<T>;
      const T* src = x->data<T>();
      T* dst = y->data<T>();
      ctx.thread_pool().ParallelFor(batch * channels, 1, [&](int64_t begin, int64_t end) {
        std::vector<C> acc(static_cast<size_t>(image_size));
        std::vector<int64_t> k_idx(r), l_idx(r);
        for (int64_t nc = begin; nc < end; ++nc) {
          std::fill(acc.begin(), acc.end(), C(0));
          const T* col = src + nc * kernel_size * positions;
          std::fill(k_idx.begin(), k_idx.end(), 0);
          for (int64_t k = 0; k < kernel_size; ++k) {
            std::fill(l_idx.begin(), l_idx.end(), 0);
            const T* row = col + k * positions;
            for (int64_t l = 0; l < positions; ++l) {
              int64_t off = 0;
              bool inside = true;
              for (size_t i = 0; i < r; ++i) {
                const int64_t p = l_idx[i] * str[i] - pads[i] + k_idx[i] * dil[i];
                if (p < 0 || p >= image[i]) {
                  inside = false;
                  break;
                }
                off += p * im_stride[i];
              }
              if (inside) acc[static_cast<size_t>(off)] += ToCompute(row[l]);
              // Next block position (row-major).
              for (size_t i = r; i-- > 0;) {
                if (++l_idx[i] < n_blocks[i]) break;
                l_idx[i] = 0;
              }
            }
            for (size_t i = r; i-- > 0;) {
              if (++k_idx[i] < block[i]) break;
              k_idx[i] = 0;
            }
          }
          T* out = dst + nc * image_size;
          for (int64_t i = 0; i < image_size; ++i) {
            out[i] = FromCompute<T>(acc[static_cast<size_t>(i)]);
          }
        }
      });
      return Status::Ok();
    });
  }

 private:
  std::vector<int64_t> dilations_, pads_, strides_;
};

}  // namespace

void RegisterOp_col2im(OpRegistry& registry) {
  registry.Register({"", "Col2Im", 18, 21, MakeFactory<Col2ImKernel>()});
}

}  // namespace onnxedge::ops
