// Copyright onnxedge authors.
// Writing files so that readers see either the old file, the complete new file, or nothing:
// never a partial one (a crash, a full disk or a concurrent reader mid-write).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "onnxedge/status.h"

namespace onnxedge {

/// A file being written under a temporary name beside its target ("dir/.NAME.tmp.XXXXXX",
/// created exclusively, so an existing file or symlink of that name is never followed), so the
/// final rename stays within one file system. Write, then Finish (flush to disk, close), then
/// Commit (rename over the target). Until Commit succeeds the target is untouched; destroying an
/// uncommitted AtomicFile removes the temporary file. Several files that belong together (a
/// model and its external data) are all Finished before the first Commit.
class AtomicFile {
 public:
  /// Creates the temporary file for `path`. Fails with a message naming `path`.
  static StatusOr<AtomicFile> Create(const std::string& path);
  AtomicFile(AtomicFile&& other) noexcept;
  AtomicFile& operator=(AtomicFile&&) = delete;
  AtomicFile(const AtomicFile&) = delete;
  ~AtomicFile();

  /// The open descriptor of the temporary file (until Finish), for streaming writers.
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  /// Bytes written through Write/WriteZeros.
  uint64_t size() const { return size_; }
  /// Appends `n` bytes (any size: written in pieces, EINTR retried).
  Status Write(const void* data, size_t n);
  /// Appends `n` zero bytes.
  Status WriteZeros(size_t n);
  /// Flushes the file to disk, gives it the usual permissions (0666 less the umask), closes it.
  Status Finish();
  /// Renames the temporary file over the target (Finish first when not done).
  Status Commit();

 private:
  AtomicFile() = default;
  Status Fail(const std::string& what, int err);
  std::string path_;
  std::string temp_;
  int fd_ = -1;
  uint64_t size_ = 0;
  bool committed_ = false;
};

/// Writes `bytes` to `path` through an AtomicFile. On any error the temporary file is removed
/// and `path` is left as it was.
Status WriteFileAtomically(const std::string& path, std::string_view bytes);

}  // namespace onnxedge
