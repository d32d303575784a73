// Copyright onnxedge authors.
// Writing files so that readers see either the old file, the complete new file, or nothing:
// never a partial one (a crash, a full disk or a concurrent reader mid-write).
#pragma once

#include <string>
#include <string_view>

#include "onnxedge/status.h"

namespace onnxedge {

/// Writes `bytes` to a temporary file in the folder of `path` (created exclusively, so an
/// existing file or symlink of that name is never followed), flushes it to disk, and renames it
/// over `path`. On any error the temporary file is removed and `path` is left as it was.
Status WriteFileAtomically(const std::string& path, std::string_view bytes);

}  // namespace onnxedge
