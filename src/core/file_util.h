// Whole-file reads and durable writes. WriteFileAtomic writes to a temporary file beside the
// target, fsyncs it, then renames it over the target, so a reader never sees half a file.
// Thread-safety: functions are thread-safe for distinct paths.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace statcoder::core {

Result<std::string> ReadFile(const std::string& path);
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
