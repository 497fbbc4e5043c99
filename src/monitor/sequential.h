// Sequential change detection on a per-batch series (estimated or measured accuracy): the
// Page–Hinkley test for a decrease of the mean.
//
//   std::vector<double> acc = {0.91, 0.90, 0.92, 0.84, 0.85, 0.83};
//   ChangePoint cp = PageHinkleyDecrease(acc, PageHinkleyOptions{});
//   if (cp.detected) { /* started at acc[cp.start_index], flagged at cp.flagged_index */ }
//
// With x̄_t the mean of x_0..x_t (or a fixed baseline, which makes it a one-sided CUSUM):
//   m_t = Σ_{i<=t} (x_i - x̄_i + delta),  M_t = max_{i<=t} m_i,  PH_t = M_t - m_t.
// An alarm is raised at the first t (>= min_points - 1) with PH_t > lambda. The change is taken
// to start at the best single split of the series (largest between-segment sum of squares, the
// later segment lower, the split at or before the alarm); with a baseline, just after the last
// maximum of m before the alarm (the CUSUM estimate).
//
// Defaults suit accuracy series in [0, 1] whose batch-to-batch noise is about 1 point
// (sd 0.01): deviations below delta = 0.0075 per batch are tolerated, and lambda = 0.05 (5
// points of cumulated shortfall) flags a 5-point step within 2 batches (mean delay 0.8 batch
// after the step) while a flat 40-batch series false-alarms in about 0.2% of simulations (the
// CUSUM bound exp(-2·delta·lambda/sd²) = exp(-7.5) holds for a known mean; the running mean
// costs a little). For noisier series (measured accuracy on n reviewed records has
// sd ≈ sqrt(p(1-p)/n)) scale lambda with the variance: lambda ≈ sd² · ln(1/rate) / (2·delta).
//
// Thread-safety: pure function.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <span>

#include "core/status.h"

namespace statcoder::monitor {

struct PageHinkleyOptions {
  double delta = 0.0075;          // tolerated decrease per point (same units as the series)
  double lambda = 0.05;           // alarm threshold on the cumulated shortfall
  double warning_lambda = 0.025;  // warning threshold (< lambda)
  int min_points = 3;             // no alarm before this many points
  // Reference level instead of the running mean (e.g. the held-out accuracy): one-sided CUSUM.
  std::optional<double> baseline;

  // kInvalidArgument: negative delta, lambda <= 0, warning_lambda outside (0, lambda],
  // min_points < 1.
  core::Status Validate() const;
};

struct ChangePoint {
  bool detected = false;
  bool warning = false;    // no alarm, but PH >= warning_lambda at the last point
  int start_index = -1;    // first point of the lower regime (detected or warning)
  int flagged_index = -1;  // point at which the alarm was raised (detected only)
  double magnitude = 0;    // mean before start_index - mean from start_index to the end
  double statistic = 0;    // PH at flagged_index (detected) or at the last point

  nlohmann::json ToJson() const;
};

// REQUIRES: options.Validate().ok(). Non-finite points are skipped (they keep their index).
ChangePoint PageHinkleyDecrease(std::span<const double> series, const PageHinkleyOptions& options);

}  // namespace statcoder::monitor
