// Copyright onnxedge authors.
// The direct convolution's register-block kernel (ops/conv/conv_direct_impl.h) built with this
// file's ISA flags.
#include "ops/conv/conv_direct_impl.h"

namespace onnxedge::ops {

void DirectBlockAvx2(const DirectBlockArgs& a) { DirectBlock(a); }

}  // namespace onnxedge::ops
