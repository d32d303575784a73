// Copyright onnxedge authors.
// A pre-parse pass over protobuf wire format, driven by the message descriptors. It runs before
// protobuf parses untrusted bytes so that a broken file gets an error naming what is wrong and
// where, instead of protobuf's bare "parse failed", and so that a file whose parsed form would be
// far larger than the file itself (millions of empty messages) is refused before parsing.
//
// It is iterative (no recursion, whatever the nesting) and allocates only its stack of open
// messages, which is bounded by the nesting limit.
#pragma once

#include <cstddef>
#include <cstdint>

#include "onnxedge/status.h"

namespace google::protobuf {
class Descriptor;
}  // namespace google::protobuf

namespace onnxedge::onnx_io {

/// Protobuf's default recursion limit, which our parse keeps.
constexpr int kMaxMessageNesting = 100;

struct WireCheckResult {
  /// Rough upper bound of the heap bytes protobuf will use for the parsed message: tensor
  /// payloads (TensorProto raw_data and typed data fields) ...
  uint64_t payload_bytes = 0;
  /// ... and everything else (messages, names, attribute lists), which the loader copies
  /// several times (protobuf, IR, schema checks, shape inference, kernels).
  uint64_t structure_bytes = 0;
};

/// Checks that `data` is well-formed wire format for `root`: every tag and varint is valid,
/// every length stays inside its enclosing message, every known field has a wire type its
/// declared type allows, enum values are known, groups are absent and messages nest at most
/// kMaxMessageNesting deep. Fields unknown to the descriptor (from newer ONNX versions) are
/// skipped like protobuf skips them. Errors are kInvalidModel with one-line messages naming the
/// field path and byte offset.
StatusOr<WireCheckResult> CheckWireFormat(const uint8_t* data, size_t size,
                                          const google::protobuf::Descriptor* root);

}  // namespace onnxedge::onnx_io
