// The statcoder version written into models and reports.
#pragma once

namespace statcoder::core {

inline constexpr const char* kStatcoderVersion = "0.1.0";

}  // namespace statcoder::core
