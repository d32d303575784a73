// Copyright onnxedge authors.
// A schema registry for libonnx's type and shape inference that skips the nodes libonnx 1.12
// would read out of bounds on. Its inference functions index input dims without checking ranks
// or types (Gemm-6 reads B's second dim of a rank-1 B; the RNNs, STFT, LayerNormalization and
// the convolutions read dims by position; Shape-15 and the ai.onnx.ml ops dereference an input
// type that is not set). Every schema is served as a copy whose inference and data-propagation
// functions first check the node's actual input types and ranks (including ranks inferred for
// earlier nodes) and leave the outputs uninferred when they would be unsafe. Inference is
// advisory in onnxedge (kernels compute exact shapes at run time), so a skipped node costs
// nothing but the shapes it would have inferred, and such a node is invalid anyway.
//
// The rules were derived from tests/fuzz/inference_sweep.cc, which runs every schema libonnx
// registers on one-node models with inputs of every rank; with this registry it must not crash.
#pragma once

namespace onnx {
class ISchemaRegistry;
}

namespace onnxedge::onnx_io {

/// The process-wide guarded registry; thread-safe. Pass it wherever libonnx's InferShapes takes
/// a registry, instead of onnx::OpSchemaRegistry::Instance().
const onnx::ISchemaRegistry* GuardedSchemaRegistry();

}  // namespace onnxedge::onnx_io
