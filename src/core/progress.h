// Progress reporting from library code, which never prints: long operations take a
// ProgressCallback and the CLI turns it into a progress bar.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

namespace statcoder::core {

// `stage` names the phase ("train", "code"); done <= total; total may be 0 when unknown.
// Called from one thread at a time, at most a few hundred times per stage.
using ProgressCallback = std::function<void(std::string_view stage, uint64_t done, uint64_t total)>;

}  // namespace statcoder::core
