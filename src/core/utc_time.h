// Times as the workspace, the reports and the server write them: UTC ISO 8601 with seconds
// ("2026-11-29T10:15:02Z").
// Thread-safety: pure functions (gmtime_r).
#pragma once

#include <chrono>
#include <ctime>
#include <string>

namespace statcoder::core {

inline std::string UtcTime(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

inline std::string UtcNow() { return UtcTime(std::chrono::system_clock::now()); }

}  // namespace statcoder::core
