// Facts about this build and the machine it runs on, for reproducibility records (quality
// reports, the registry): statcoder version, compiler, build type, OS, CPU architecture and
// count.
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>

namespace statcoder::core {

// {"statcoder_version", "compiler", "build_type"}
nlohmann::json BuildInfo();
// {"os", "arch", "cpus"}; os is the kernel name and release (uname), e.g. "Linux 6.1.0".
nlohmann::json PlatformInfo();

}  // namespace statcoder::core
