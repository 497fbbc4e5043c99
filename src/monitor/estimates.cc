#include "monitor/estimates.h"

#include <algorithm>
#include <cmath>

#include "monitor/json_util.h"

namespace statcoder::monitor {
namespace {

// (mean + gap) ± z·sqrt(sampling_var + se_cal²), clipped to [0, 1].
AccuracyEstimate ConfidenceEstimate(double sum_p, double sum_var, int64_t n, int64_t ref_n,
                                    double ref_measured, double ref_mean_confidence, double z) {
  AccuracyEstimate e;
  e.interval.method = "confidence";
  e.n = n;
  if (n <= 0) return e;
  const double nn = static_cast<double>(n);
  const double mean = std::clamp(sum_p / nn, 0.0, 1.0);
  e.sampling_se = std::sqrt(std::max(0.0, sum_var)) / nn;
  if (ref_n > 0) {
    const double rn = static_cast<double>(ref_n);
    e.calibration_gap = ref_measured - ref_mean_confidence;
    e.calibration_se = std::sqrt(ref_measured * (1 - ref_measured) / rn);
  }
  const double half =
      z * std::sqrt(e.sampling_se * e.sampling_se + e.calibration_se * e.calibration_se);
  const double value = std::clamp(mean + e.calibration_gap, 0.0, 1.0);
  e.interval.value = value;
  e.interval.low = std::max(0.0, value - half);
  e.interval.high = std::min(1.0, value + half);
  return e;
}

}  // namespace

nlohmann::json AccuracyEstimate::ToJson() const {
  nlohmann::json j = interval.ToJson();
  j["n"] = n;
  j["sampling_se"] = sampling_se;
  j["calibration_gap"] = calibration_gap;
  j["calibration_se"] = calibration_se;
  return j;
}

AccuracyEstimate EstimateAccuracy(const Reference& reference, const BatchStats& batch,
                                  const EstimateOptions& options) {
  // The reference's mean confidence over the records whose accuracy was measured.
  const double ref_mean = reference.stats.MeanTop1();
  return ConfidenceEstimate(batch.sum_top1, batch.sum_top1_var, batch.records, reference.heldout_n,
                            reference.HeldoutAccuracy(), ref_mean, options.z);
}

AccuracyEstimate EstimateAutoPrecision(const Reference& reference, const BatchStats& batch,
                                       const EstimateOptions& options) {
  const BatchStats& r = reference.stats;
  const double ref_mean =
      r.auto_records > 0 ? r.sum_auto_confidence / static_cast<double>(r.auto_records) : 0;
  return ConfidenceEstimate(batch.sum_auto_confidence, batch.sum_auto_confidence_var,
                            batch.auto_records, reference.auto_n, reference.AutoPrecision(),
                            ref_mean, options.z);
}

AccuracyEstimate MeasuredAccuracy(uint64_t correct, uint64_t n, const EstimateOptions& options) {
  AccuracyEstimate e;
  e.interval = quality::WilsonInterval(correct, n, options.z);
  e.n = static_cast<int64_t>(n);
  return e;
}

}  // namespace statcoder::monitor
