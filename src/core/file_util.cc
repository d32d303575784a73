// Copyright onnxedge authors.
#include "core/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace onnxedge {

namespace fs = std::filesystem;

StatusOr<AtomicFile> AtomicFile::Create(const std::string& path) {
  const fs::path target(path);
  if (target.filename().empty()) {
    return MakeError(StatusCode::kInvalidArgument, "cannot write '", path, "': not a file name");
  }
  AtomicFile f;
  f.path_ = path;
  f.temp_ = (target.parent_path() / ("." + target.filename().string() + ".tmp.XXXXXX")).string();
  f.fd_ = ::mkostemp(f.temp_.data(), O_CLOEXEC);
  if (f.fd_ < 0) {
    return MakeError(StatusCode::kIoError, "cannot create a temporary file for '", path,
                     "': ", std::strerror(errno));
  }
  return f;
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : path_(std::move(other.path_)),
      temp_(std::move(other.temp_)),
      fd_(other.fd_),
      size_(other.size_),
      committed_(other.committed_) {
  other.fd_ = -1;
  other.temp_.clear();
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_ && !temp_.empty()) ::unlink(temp_.c_str());
}

Status AtomicFile::Fail(const std::string& what, int err) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!temp_.empty()) ::unlink(temp_.c_str());
  temp_.clear();
  return MakeError(StatusCode::kIoError, what, " '", path_, "': ", std::strerror(err));
}

Status AtomicFile::Write(const void* data, size_t n) {
  if (fd_ < 0) return MakeError(StatusCode::kInternal, "'", path_, "' is not open for writing");
  const auto* p = static_cast<const char*>(data);
  // Pieces of at most 1 GiB: Linux writes at most ~2 GiB per call anyway.
  constexpr size_t kPiece = size_t{1} << 30;
  size_t off = 0;
  while (off < n) {
    const ssize_t w = ::write(fd_, p + off, std::min(n - off, kPiece));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return Fail("error writing", w == 0 ? EIO : errno);
    off += static_cast<size_t>(w);
  }
  size_ += n;
  return Status::Ok();
}

Status AtomicFile::WriteZeros(size_t n) {
  static const char kZeros[4096] = {};
  while (n > 0) {
    const size_t k = std::min(n, sizeof(kZeros));
    OE_RETURN_IF_ERROR(Write(kZeros, k));
    n -= k;
  }
  return Status::Ok();
}

Status AtomicFile::Finish() {
  if (fd_ < 0) {
    if (temp_.empty()) return MakeError(StatusCode::kInternal, "'", path_, "' was discarded");
    return Status::Ok();  // already finished
  }
  if (::fsync(fd_) != 0) return Fail("error flushing", errno);
  // mkostemp creates 0600; give the file the usual permissions (subject to the umask).
  const mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd_, 0666 & ~mask);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) return Fail("error closing", errno);
  return Status::Ok();
}

Status AtomicFile::Commit() {
  OE_RETURN_IF_ERROR(Finish());
  if (::rename(temp_.c_str(), path_.c_str()) != 0) {
    return Fail("cannot rename the temporary file to", errno);
  }
  committed_ = true;
  return Status::Ok();
}

Status WriteFileAtomically(const std::string& path, std::string_view bytes) {
  OE_ASSIGN_OR_RETURN(AtomicFile f, AtomicFile::Create(path));
  OE_RETURN_IF_ERROR(f.Write(bytes.data(), bytes.size()));
  return f.Commit();
}

}  // namespace onnxedge
