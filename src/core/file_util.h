// Whole-file reads and durable writes. WriteFileAtomic writes to a temporary file beside the
// target, fsyncs it, then renames it over the target, so a reader never sees half a file.
// Thread-safety: functions are thread-safe for distinct paths.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace statcoder::core {

// Reads a whole regular file. Anything else (a device such as /dev/zero, a FIFO, a folder) is
// refused before a byte is read (kInvalidArgument), and so is a file larger than `max_bytes`
// (kLimitExceeded), judged by its size on disk, so a huge or endless file is never read.
inline constexpr uint64_t kNoSizeLimit = ~uint64_t{0};
Result<std::string> ReadFile(const std::string& path, uint64_t max_bytes = kNoSizeLimit);

// A regular file opened for reading, with its size: for readers that check a header before they
// read the rest (model_io.cc). Closed on destruction.
class RegularFile {
 public:
  // kNotFound when missing; kInvalidArgument when not a regular file; kIoError otherwise.
  static Result<RegularFile> Open(const std::string& path);
  RegularFile(RegularFile&& other) noexcept;
  RegularFile& operator=(RegularFile&& other) noexcept;
  RegularFile(const RegularFile&) = delete;
  RegularFile& operator=(const RegularFile&) = delete;
  ~RegularFile();

  uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }
  // Reads exactly `n` bytes at `offset` into `out` (resized); kDataLoss naming the file when it
  // ends first (it shrank), kIoError when the read fails.
  Status ReadAt(uint64_t offset, size_t n, std::string* out) const;
  // The whole file, as large as it was at Open (a file that grew since is read to that size).
  Result<std::string> ReadAll() const;

 private:
  RegularFile(int fd, uint64_t size, std::string path)
      : fd_(fd), size_(size), path_(std::move(path)) {}
  int fd_ = -1;
  uint64_t size_ = 0;
  std::string path_;
};
// With `temp_dir`, the temporary file is made there (same file system as `path`), so a crash
// never leaves a partial file beside the target. The parent folder is fsynced after the rename,
// so the new name survives a power loss.
Status WriteFileAtomic(const std::string& path, std::string_view bytes,
                       const std::string& temp_dir = "");
// Renames `from` over `to` (same file system) and fsyncs the target's folder.
Status RenameDurably(const std::string& from, const std::string& to);
// Renames `from` (a file or a folder) to `to` unless `to` exists, then fsyncs the target's
// folder. Returns false, leaving both as they were, when `to` exists: for content-addressed
// places, where what is there already must never be replaced.
Result<bool> RenameIfAbsent(const std::string& from, const std::string& to);
// fsyncs a folder, making renames and creations in it durable.
Status SyncDirectory(const std::string& dir);

}  // namespace statcoder::core
