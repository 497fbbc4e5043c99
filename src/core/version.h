// The statcoder version written into models and reports.
#pragma once

namespace statcoder::core {

inline constexpr const char* kStatcoderVersion = "0.2.0";

}  // namespace statcoder::core
