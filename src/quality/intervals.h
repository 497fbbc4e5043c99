// Confidence intervals for the figures of a quality report: Wilson score intervals for a
// proportion, and percentile bootstrap intervals for any statistic of the records.
//
//   Interval a = WilsonInterval(912, 1000);                 // 0.912 (0.893–0.928)
//   Interval f = BootstrapInterval(n, {.replicates = 1000, .seed = 1},
//       [&](std::span<const uint32_t> sample) { return MacroF1Of(sample); });
//
// Thread-safety: pure functions (the bootstrap statistic is called on the calling thread).
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>

namespace statcoder::quality {

struct Interval {
  std::optional<double> value, low, high;  // empty when there is nothing to measure
  std::string method;                      // "wilson" or "bootstrap"

  // {"value", "low", "high", "method"} with null for empty figures (docs/formats/report_v1.md).
  nlohmann::json ToJson() const;
};

// 95% Wilson score interval of hits / n (z = 1.96); empty when n == 0.
Interval WilsonInterval(uint64_t hits, uint64_t n, double z = 1.959963984540054);

struct BootstrapOptions {
  int replicates = 1000;  // 0 disables: the interval then has the value only
  uint64_t seed = 1;
  double level = 0.95;
};

// Percentile bootstrap: `statistic` is called once on the identity sample (the value) and once
// per replicate on n indices drawn with replacement (seeded, so the interval is reproducible).
// A statistic may return NaN for a sample where it is undefined; such replicates are skipped.
// Empty when n == 0 or the value is NaN.
Interval BootstrapInterval(size_t n, const BootstrapOptions& options,
                           const std::function<double(std::span<const uint32_t>)>& statistic);

}  // namespace statcoder::quality
