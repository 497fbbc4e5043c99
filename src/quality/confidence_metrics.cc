#include "quality/confidence_metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/random.h"

namespace statcoder::quality {
namespace {

size_t BinOf(double confidence, int bins) {
  const auto b = static_cast<int>(std::floor(confidence * bins));
  return static_cast<size_t>(std::clamp(b, 0, bins - 1));
}

std::vector<size_t> ByConfidenceDescending(std::span<const double> confidence) {
  std::vector<size_t> order(confidence.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return confidence[a] > confidence[b]; });
  return order;
}

}  // namespace

std::vector<ReliabilityBin> ReliabilityDiagram(std::span<const double> confidence,
                                               std::span<const uint8_t> correct, int bins) {
  std::vector<ReliabilityBin> out(static_cast<size_t>(bins));
  std::vector<double> conf_sum(out.size(), 0.0), hit_sum(out.size(), 0.0);
  for (size_t i = 0; i < confidence.size(); ++i) {
    const size_t b = BinOf(confidence[i], bins);
    ++out[b].records;
    conf_sum[b] += confidence[i];
    hit_sum[b] += correct[i] ? 1.0 : 0.0;
  }
  for (size_t b = 0; b < out.size(); ++b) {
    out[b].low = static_cast<double>(b) / bins;
    out[b].high = static_cast<double>(b + 1) / bins;
    if (out[b].records == 0) continue;
    const auto n = static_cast<double>(out[b].records);
    out[b].mean_confidence = conf_sum[b] / n;
    out[b].accuracy = hit_sum[b] / n;
  }
  return out;
}

double ExpectedCalibrationError(std::span<const double> confidence,
                                std::span<const uint8_t> correct, int bins) {
  if (confidence.empty()) return 0;
  double ece = 0;
  for (const ReliabilityBin& b : ReliabilityDiagram(confidence, correct, bins)) {
    if (b.records == 0) continue;
    ece += static_cast<double>(b.records) * std::fabs(*b.accuracy - *b.mean_confidence);
  }
  return ece / static_cast<double>(confidence.size());
}

double ExpectedCalibrationErrorIfCalibrated(std::span<const double> confidence, int bins,
                                            int replicates, uint64_t seed) {
  if (confidence.empty() || replicates <= 0) return 0;
  core::Random rng(seed);
  std::vector<uint8_t> coin(confidence.size());
  double sum = 0;
  for (int r = 0; r < replicates; ++r) {
    for (size_t i = 0; i < confidence.size(); ++i) {
      // 53 random bits as a uniform double in [0, 1).
      const double u = static_cast<double>(rng.Next() >> 11) * 0x1.0p-53;
      coin[i] = u < confidence[i];
    }
    sum += ExpectedCalibrationError(confidence, coin, bins);
  }
  return sum / replicates;
}

double ExpectedCalibrationErrorEqualMass(std::span<const double> confidence,
                                         std::span<const uint8_t> correct, int bins) {
  const size_t n = confidence.size();
  if (n == 0) return 0;
  std::vector<size_t> order = ByConfidenceDescending(confidence);
  std::reverse(order.begin(), order.end());
  double ece = 0;
  size_t begin = 0;
  for (int b = 1; b <= bins && begin < n; ++b) {
    size_t end = b == bins ? n : (n * static_cast<size_t>(b)) / static_cast<size_t>(bins);
    end = std::max(end, begin + 1);
    // Extend over ties so equal confidences share a bin.
    while (end < n && confidence[order[end]] == confidence[order[end - 1]]) ++end;
    double conf = 0, hits = 0;
    for (size_t k = begin; k < end; ++k) {
      conf += confidence[order[k]];
      hits += correct[order[k]] ? 1.0 : 0.0;
    }
    ece += std::fabs(hits - conf);  // = size × |accuracy − mean confidence|
    begin = end;
  }
  return ece / static_cast<double>(n);
}

std::vector<CoveragePoint> CoverageCurve(std::span<const double> confidence,
                                         std::span<const uint8_t> correct, int points) {
  const size_t n = confidence.size();
  std::vector<CoveragePoint> out;
  if (n == 0 || points < 1) return out;
  const std::vector<size_t> order = ByConfidenceDescending(confidence);
  const size_t step = std::max<size_t>(1, n / static_cast<size_t>(points));
  size_t hits = 0, next = 0;
  for (size_t k = 0; k < n; ++k) {
    hits += correct[order[k]] ? 1 : 0;
    const bool cut_here = k + 1 == n || confidence[order[k + 1]] < confidence[order[k]];
    if (!cut_here || (k < next && k + 1 != n)) continue;
    const double covered = static_cast<double>(k + 1);
    out.push_back({confidence[order[k]], covered / static_cast<double>(n),
                   static_cast<double>(hits) / covered});
    next = k + step;
  }
  return out;
}

CoverageAt CoverageAtThreshold(std::span<const double> confidence, std::span<const uint8_t> correct,
                               double threshold) {
  CoverageAt out;
  uint64_t covered = 0, hits = 0;
  for (size_t i = 0; i < confidence.size(); ++i) {
    if (confidence[i] < threshold) continue;
    ++covered;
    hits += correct[i] ? 1 : 0;
  }
  if (confidence.empty()) return out;
  out.coverage = static_cast<double>(covered) / static_cast<double>(confidence.size());
  if (covered > 0) out.precision = static_cast<double>(hits) / static_cast<double>(covered);
  return out;
}

}  // namespace statcoder::quality
