// Copyright onnxedge authors.
// Opt-in per-node timing for performance work: with the environment variable ONNXEDGE_PROFILE
// set (to anything but "0") when the first run starts, every executed node's wall time is
// accumulated (from each node's second execution on: the first run records and prepacks),
// and at process exit a table (per node, then per op type) goes to stderr. Off by
// default: one relaxed check per node then. Not an API; the numbers are for finding hot spots.
#pragma once

#include <cstdint>
#include <vector>

#include "onnxedge/value.h"

namespace onnxedge::ir {
class Node;
}

namespace onnxedge::runtime {

/// Whether ONNXEDGE_PROFILE is set (read once).
bool ProfilingEnabled();

/// The profile's clock in ns: wall time, or with ONNXEDGE_PROFILE=cpu the calling thread's CPU
/// time (steadier on a loaded machine; counts only the calling thread, so use it with one
/// intra-op thread).
int64_t ProfileClockNs();

/// Adds one execution of `node` taking `ns` nanoseconds; inputs/outputs describe its shapes.
void RecordNodeTime(const ir::Node& node, int64_t ns, const std::vector<const Value*>& inputs,
                    const std::vector<Value>& outputs);

}  // namespace onnxedge::runtime
