// Accuracy of a coded batch: estimated without labels from the calibrated confidences
// (confidence-based performance estimation), and measured from reviewed records where there
// are some.
//
//   AccuracyEstimate est = EstimateAccuracy(reference, batch_stats);        // all records
//   AccuracyEstimate pre = EstimateAutoPrecision(reference, batch_stats);   // auto-coded part
//   AccuracyEstimate got = MeasuredAccuracy(/*correct=*/183, /*n=*/200);    // Wilson
//   // est.interval.value / .low / .high
//
// The estimand is the batch's realised accuracy (share of its records whose top-1 code is
// right). Estimate: mean top-1 probability p̄ corrected by the calibration error measured on the
// reference, gap = held-out accuracy - held-out mean confidence; its 95% interval is
//   (p̄ + gap) ± z·sqrt(Σp(1-p)/n² + se_cal²),
// where Σp(1-p)/n² is the Poisson-binomial sampling variance of the realised accuracy given
// the probabilities and se_cal = sqrt(acc(1-acc)/n_heldout) bounds the standard error of the gap.
// The correction assumes the calibration error transfers to the batch, which holds without
// concept drift (bench/monitor_bench: mean absolute error 2.1 → 1.2 points on drift-free batches
// of 1,000); under concept drift (new codes) the estimate is optimistic, which is why drift tests
// and measured accuracy stand beside it. Clipped to [0, 1]. The auto-coded precision is the same
// over auto-coded records with the decided code's confidence and the reference's measured auto
// precision.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

#include "monitor/batch_stats.h"
#include "monitor/reference.h"
#include "quality/intervals.h"

namespace statcoder::monitor {

struct EstimateOptions {
  double z = 1.959963984540054;  // two-sided 95%
};

struct AccuracyEstimate {
  quality::Interval interval;  // method "confidence" (label-free) or "wilson" (measured)
  int64_t n = 0;               // records the figure is about
  // Components of a label-free interval (0 for measured ones).
  double sampling_se = 0;      // sqrt(Σp(1-p)) / n
  double calibration_gap = 0;  // signed: held-out accuracy - held-out mean confidence
  double calibration_se = 0;

  // {"value","low","high","method","n","sampling_se","calibration_gap","calibration_se"},
  // null figures when n == 0.
  nlohmann::json ToJson() const;
};

// Label-free estimate of the batch's top-1 accuracy. Empty interval when the batch is empty.
// Without held-out labels (reference.heldout_n == 0) only the sampling term is used.
AccuracyEstimate EstimateAccuracy(const Reference& reference, const BatchStats& batch,
                                  const EstimateOptions& options = {});

// Label-free estimate of the precision of the batch's auto-coded records.
AccuracyEstimate EstimateAutoPrecision(const Reference& reference, const BatchStats& batch,
                                       const EstimateOptions& options = {});

// Measured accuracy from `n` reviewed records of which `correct` were right: Wilson interval.
// REQUIRES correct <= n.
AccuracyEstimate MeasuredAccuracy(uint64_t correct, uint64_t n,
                                  const EstimateOptions& options = {});

}  // namespace statcoder::monitor
