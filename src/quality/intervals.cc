#include "quality/intervals.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "core/random.h"

namespace statcoder::quality {

nlohmann::json Interval::ToJson() const {
  const auto or_null = [](const std::optional<double>& v) -> nlohmann::json {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
  };
  return {{"value", or_null(value)},
          {"low", or_null(low)},
          {"high", or_null(high)},
          {"method", method}};
}

Interval WilsonInterval(uint64_t hits, uint64_t n, double z) {
  Interval out;
  out.method = "wilson";
  if (n == 0) return out;
  const double nn = static_cast<double>(n);
  const double p = static_cast<double>(hits) / nn;
  const double z2 = z * z;
  const double centre = p + z2 / (2 * nn);
  const double spread = z * std::sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn));
  const double denom = 1 + z2 / nn;
  out.value = p;
  out.low = std::max(0.0, (centre - spread) / denom);
  out.high = std::min(1.0, (centre + spread) / denom);
  return out;
}

Interval BootstrapInterval(size_t n, const BootstrapOptions& options,
                           const std::function<double(std::span<const uint32_t>)>& statistic) {
  Interval out;
  out.method = "bootstrap";
  if (n == 0) return out;
  std::vector<uint32_t> sample(n);
  std::iota(sample.begin(), sample.end(), 0u);
  const double value = statistic(sample);
  if (std::isnan(value)) return out;
  out.value = value;
  if (options.replicates <= 0) return out;
  core::Random rng(options.seed);
  std::vector<double> stats;
  stats.reserve(static_cast<size_t>(options.replicates));
  for (int b = 0; b < options.replicates; ++b) {
    for (auto& i : sample) i = static_cast<uint32_t>(rng.Uniform(n));
    const double s = statistic(sample);
    if (!std::isnan(s)) stats.push_back(s);
  }
  if (stats.empty()) return out;
  std::sort(stats.begin(), stats.end());
  // Percentiles by the nearest-rank rule on the sorted replicates.
  const double tail = (1 - options.level) / 2;
  const auto rank = [&](double q) {
    const auto k = static_cast<size_t>(std::ceil(q * static_cast<double>(stats.size())));
    return stats[std::min(stats.size() - 1, k == 0 ? 0 : k - 1)];
  };
  out.low = rank(tail);
  out.high = rank(1 - tail);
  return out;
}

}  // namespace statcoder::quality
