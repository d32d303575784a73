// Copyright onnxedge authors.
#include "core/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace onnxedge {

namespace fs = std::filesystem;

Status WriteFileAtomically(const std::string& path, std::string_view bytes) {
  const fs::path target(path);
  if (target.filename().empty()) {
    return MakeError(StatusCode::kInvalidArgument, "cannot write '", path, "': not a file name");
  }
  // "dir/.name.tmp.XXXXXX" beside the target, so the rename stays within one file system.
  std::string tmpl = (target.parent_path() / ("." + target.filename().string() + ".tmp.XXXXXX"))
                         .string();
  int fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
  if (fd < 0) {
    return MakeError(StatusCode::kIoError, "cannot create a temporary file for '", path,
                     "': ", std::strerror(errno));
  }
  auto fail = [&](const std::string& what) {
    const int err = errno;
    ::close(fd);
    ::unlink(tmpl.c_str());
    return MakeError(StatusCode::kIoError, what, " '", path, "': ", std::strerror(err));
  };
  size_t off = 0;
  while (off < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + off, bytes.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fail("error writing");
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return fail("error flushing");
  // mkostemp creates 0600; give the file the usual permissions (subject to the umask).
  const mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd, 0666 & ~mask);
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmpl.c_str());
    return MakeError(StatusCode::kIoError, "error closing '", path, "': ", std::strerror(err));
  }
  if (::rename(tmpl.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmpl.c_str());
    return MakeError(StatusCode::kIoError, "cannot rename the temporary file to '", path,
                     "': ", std::strerror(err));
  }
  return Status::Ok();
}

}  // namespace onnxedge
