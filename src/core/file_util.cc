#include "core/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>

namespace statcoder::core {

Result<RegularFile> RegularFile::Open(const std::string& path) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; cleared again below.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) return NotFound("file '" + path + "' does not exist");
    return IoError("cannot open '" + path + "': " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const std::string err = std::strerror(errno);
    ::close(fd);
    return IoError("cannot stat '" + path + "': " + err);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    const char* what = S_ISDIR(st.st_mode)   ? "a folder"
                       : S_ISCHR(st.st_mode) ? "a character device"
                       : S_ISBLK(st.st_mode) ? "a block device"
                       : S_ISFIFO(st.st_mode) ? "a pipe"
                       : S_ISSOCK(st.st_mode) ? "a socket"
                                               : "not a regular file";
    return InvalidArgument("'" + path + "' is " + what + ", not a regular file; give a file");
  }
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  return RegularFile(fd, static_cast<uint64_t>(st.st_size), path);
}

RegularFile::RegularFile(RegularFile&& other) noexcept
    : fd_(other.fd_), size_(other.size_), path_(std::move(other.path_)) {
  other.fd_ = -1;
}

RegularFile& RegularFile::operator=(RegularFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    size_ = other.size_;
    path_ = std::move(other.path_);
    other.fd_ = -1;
  }
  return *this;
}

RegularFile::~RegularFile() {
  if (fd_ >= 0) ::close(fd_);
}

Status RegularFile::ReadAt(uint64_t offset, size_t n, std::string* out) const {
  out->resize(n);
  size_t done = 0;
  while (done < n) {
    const ssize_t r = ::pread(fd_, out->data() + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0) {
      if (errno == EINTR) continue;
      return IoError("read error on '" + path_ + "': " + std::strerror(errno));
    }
    if (r == 0) {
      return DataLoss("'" + path_ + "' ended at byte " + std::to_string(offset + done) +
                      " while being read (was it truncated meanwhile?)");
    }
    done += static_cast<size_t>(r);
  }
  return Status::Ok();
}

Result<std::string> RegularFile::ReadAll() const {
  if (size_ > static_cast<uint64_t>(SIZE_MAX / 2)) {
    return LimitExceeded("'" + path_ + "' is too large to read (" + std::to_string(size_) +
                         " bytes)");
  }
  std::string out;
  RETURN_IF_ERROR(ReadAt(0, static_cast<size_t>(size_), &out));
  return out;
}

Result<std::string> ReadFile(const std::string& path, uint64_t max_bytes) {
  ASSIGN_OR_RETURN(RegularFile file, RegularFile::Open(path));
  if (file.size() > max_bytes) {
    return LimitExceeded("'" + path + "' is " + std::to_string(file.size()) +
                         " bytes, more than the " + std::to_string(max_bytes) +
                         " bytes accepted for it");
  }
  return file.ReadAll();
}

namespace {

std::string ParentOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string BaseName(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

Status SyncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoError("cannot open folder '" + dir + "': " + std::strerror(errno));
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return IoError("cannot flush folder '" + dir + "' to disk");
  return Status::Ok();
}

Status RenameDurably(const std::string& from, const std::string& to) {
  if (std::rename(from.c_str(), to.c_str()) != 0) {
    return IoError("cannot rename '" + from + "' to '" + to + "': " + std::strerror(errno));
  }
  return SyncDirectory(ParentOf(to));
}

Result<bool> RenameIfAbsent(const std::string& from, const std::string& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) != 0) {
    if (errno == EEXIST) return false;
    return IoError("cannot rename '" + from + "' to '" + to + "': " + std::strerror(errno));
  }
  RETURN_IF_ERROR(SyncDirectory(ParentOf(to)));
  return true;
}

Status WriteFileAtomic(const std::string& path, std::string_view bytes,
                       const std::string& temp_dir) {
  const std::string tmp = (temp_dir.empty() ? path : temp_dir + "/" + BaseName(path)) + ".tmp." +
                          std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return IoError("cannot create '" + tmp + "': " + std::strerror(errno));
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t w = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      const std::string err = std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return IoError("cannot write '" + tmp + "': " + err);
    }
    done += static_cast<size_t>(w);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return IoError("cannot flush '" + tmp + "' to disk");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string err = std::strerror(errno);
    ::unlink(tmp.c_str());
    return IoError("cannot rename '" + tmp + "' to '" + path + "': " + err);
  }
  return SyncDirectory(ParentOf(path));
}

}  // namespace statcoder::core
