// Whole-file reads and durable writes. WriteFileAtomic writes to a temporary file beside the
// target, fsyncs it, then renames it over the target, so a reader never sees half a file.
// Thread-safety: functions are thread-safe for distinct paths.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace statcoder::core {

Result<std::string> ReadFile(const std::string& path);
Status WriteFileAtomic(const std::string& path, std::string_view bytes);

}  // namespace statcoder::core
