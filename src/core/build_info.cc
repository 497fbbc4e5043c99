#include "core/build_info.h"

#include <sys/utsname.h>

#include <string>
#include <thread>

#include "core/version.h"

#ifndef STATCODER_BUILD_TYPE
#define STATCODER_BUILD_TYPE "unknown"
#endif

namespace statcoder::core {

nlohmann::json BuildInfo() {
#if defined(__clang__)
  const std::string compiler = std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
  const std::string compiler = std::string("gcc ") + __VERSION__;
#else
  const std::string compiler = "unknown";
#endif
  return {{"statcoder_version", kStatcoderVersion},
          {"compiler", compiler},
          {"build_type", STATCODER_BUILD_TYPE}};
}

nlohmann::json PlatformInfo() {
  utsname u{};
  std::string os = "unknown", arch = "unknown";
  if (uname(&u) == 0) {
    os = std::string(u.sysname) + " " + u.release;
    arch = u.machine;
  }
  return {{"os", os}, {"arch", arch}, {"cpus", std::thread::hardware_concurrency()}};
}

}  // namespace statcoder::core
