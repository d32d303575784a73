// Copyright onnxedge authors.
// Writing the IR back as an ONNX model file (protobuf), with the weights inline or in an
// external data file.
#pragma once

#include <cstdint>
#include <string>

#include "ir/graph.h"
#include "onnxedge/status.h"

namespace onnxedge::onnx_io {

/// How SaveModel stores the initializers.
///
/// External data follows ONNX's convention: the TensorProto has data_location = EXTERNAL and
/// external_data entries `location` (the data file, relative to the model's folder), `offset`
/// and `length` (bytes). Every initializer goes into one data file, in graph order (main graph,
/// then subgraphs as the nodes reach them). Offsets of tensors of 4096 bytes or more are
/// multiples of 4096 (a page: such a tensor can be mmapped on its own, and is aligned for any
/// SIMD load); smaller tensors start on 64-byte boundaries; the gaps are zeros. Tensors in node
/// attributes, string tensors and empty tensors stay inline.
struct SaveOptions {
  /// Write initializers of at least `external_data_threshold` bytes to the data file.
  bool external_data = false;
  /// The data file, relative to the model's folder (a name, or a path into an existing
  /// subfolder; no absolute path, no '..'). Empty: the model's file name + ".data".
  std::string external_data_file;
  /// Smallest initializer (in bytes) written to the data file.
  uint64_t external_data_threshold = 1024;
  /// When the model would exceed protobuf's 2 GiB limit inline, write external data (with the
  /// file and threshold above) even though `external_data` is false; SaveReport::automatic
  /// says so. When false, such a model is refused.
  bool automatic_external_data = true;
  /// The size above which a model counts as too large inline: protobuf's limit, 2 GiB - 1
  /// (larger values are lowered to it). Tests lower it to exercise the automatic case.
  uint64_t inline_limit_bytes = (uint64_t{1} << 31) - 1;
};

/// What SaveModel wrote.
struct SaveReport {
  bool external_data = false;  ///< A data file was written.
  bool automatic = false;      ///< ... because the model would exceed 2 GiB inline.
  uint64_t inline_bytes = 0;   ///< The size the model file has (or would have) inline.
  std::string data_path;       ///< The data file written (model folder / location).
  int64_t external_tensors = 0;
  uint64_t data_bytes = 0;   ///< Size of the data file.
  uint64_t model_bytes = 0;  ///< Size of the model file.
};

/// Serializes `model` as an ONNX ModelProto. Opset imports are completed from the nodes: a
/// domain a node uses but the model does not import is imported at that node's opset, and when
/// a default-domain node needs a newer opset than the model imports (a fused
/// LayerNormalization needs 17), the import is raised if every other node keeps its meaning
/// (ir/onnx/opset_upgrade.h), else this fails naming the node in the way. The IR version is
/// raised to the one that introduced the final default opset when it is lower. Initializers are
/// written inline (raw_data); models above 2 GiB are refused (SaveModel writes external data).
StatusOr<std::string> SerializeModel(const ir::Model& model);

/// The path of the data file SaveModel writes for a model saved at `model_path` (the model's
/// folder / the location), or an error naming a bad location (absolute, '..', not a file name).
StatusOr<std::string> ExternalDataPath(const std::string& model_path, const SaveOptions& options);

/// Serializes `model` like SerializeModel and writes it to `path`, with the initializers inline
/// or in an external data file (`options`). Both files are written under temporary names in
/// their folders, flushed to disk, then renamed (data file first), so readers never see a
/// partial file and a failure leaves no new file and any existing file untouched (should the
/// model's rename fail after the data file's, a data file that did not exist before is removed).
/// Weights are streamed from the tensors (which may view mmapped external data of the input model)
/// to the data file: no second copy of them is made in memory. The data file may not replace the
/// model file or an external data file `model` was loaded from (Model::external_data_files).
Status SaveModel(const ir::Model& model, const std::string& path, const SaveOptions& options = {},
                 SaveReport* report = nullptr);

}  // namespace onnxedge::onnx_io
