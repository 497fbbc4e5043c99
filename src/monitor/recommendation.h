// Recommendation: from the reference and the ordered history of coded batches since the
// production model was deployed, say "ok", "watch" or "retrain", with the evidence.
//
//   std::vector<BatchSummary> history = ...;   // oldest first
//   for (...) history.push_back(SummarizeBatch(id, time, reference, stats, DriftOptions{}));
//   Recommendation rec = Recommend(reference, history, RecommendationOptions{});
//   // rec.status == "retrain"; rec.since_batch_index = first batch of the changed regime
//   nlohmann::json j = rec.ToJson();
//
// Rules (evaluated on the whole history; docs/monitoring.md):
//  retrain when any of
//   R1 "estimated_accuracy_drop": the latest batch's label-free accuracy interval lies entirely
//      below the held-out accuracy minus accuracy_tolerance;
//   R2 "measured_accuracy_drop": the latest measured accuracy's Wilson interval lies entirely
//      below it (only where measured accuracy is given);
//   R3 "page_hinkley": Page–Hinkley detects a decrease of the estimated (or measured) accuracy
//      series;
//   R4 "code_drift": a drift alarm on a code distribution (any level) in at least
//      consecutive_code_alarms consecutive batches ending with the latest;
//   R5 "unseen_features": a drift alarm on the unseen-feature share in the latest batch with an
//      increase of at least large_unseen_increase;
//   R6 "new_codes": coders gave reviewed records of a batch codes the model has no training
//      records for (new_codes.h), in any batch of the history (since = the first such batch),
//      or in a batch an earlier model coded (`reviewed_earlier`: since = the first batch).
//  watch when no retrain rule fires and any of
//   W1 "drift_alarm": any drift alarm in the latest batch;
//   W2 "page_hinkley_warning": a Page–Hinkley warning on either series.
//   (An estimated interval that merely overlaps the held-out accuracy is not a rule: with the
//   calibration term it nearly always does; a shift of the confidences is the "confidence"
//   drift test.)
//  ok otherwise.
// since_batch_index: the earliest start among the evidence of the status given (the first
// batch of the changed regime, where a training window would begin); -1 for "ok".
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "monitor/batch_stats.h"
#include "monitor/drift.h"
#include "monitor/estimates.h"
#include "monitor/new_codes.h"
#include "monitor/reference.h"
#include "monitor/sequential.h"

namespace statcoder::monitor {

// Reviewed records of a batch with a known right code, for measured accuracy. They must be a
// random (audit) sample of the batch, not the referred records only, to compare with the
// held-out accuracy.
struct MeasuredCounts {
  uint64_t correct = 0;
  uint64_t n = 0;
};

struct BatchSummary {
  std::string id;    // caller's batch id
  std::string time;  // caller's timestamp (ISO 8601 UTC), only echoed
  BatchStats stats;
  DriftReport drift;
  AccuracyEstimate estimated_accuracy;
  std::optional<MeasuredCounts> measured;
  // The final codes of the batch's reviewed records, sorted into known and new to the model
  // (new_codes.h); absent when the caller has no reviews to give.
  std::optional<ReviewedCodes> reviewed_codes;
};

// Computes drift and the accuracy estimate of one batch.
BatchSummary SummarizeBatch(std::string id, std::string time, const Reference& reference,
                            BatchStats stats, const DriftOptions& drift_options,
                            const EstimateOptions& estimate_options = {});

struct RecommendationOptions {
  double accuracy_tolerance = 0.0;      // R1/R2: drop (points, 0-1) below held-out accuracy
  int consecutive_code_alarms = 2;      // R4
  double large_unseen_increase = 0.10;  // R5: mean unseen-feature fraction increase
  NewCodeOptions new_codes;             // R6
  PageHinkleyOptions page_hinkley;      // R3/W2 on the estimated accuracy series
  // R3/W2 on the measured accuracy series (noisier: larger lambda by default).
  PageHinkleyOptions measured_page_hinkley{.delta = 0.0075,
                                           .lambda = 0.15,
                                           .warning_lambda = 0.075,
                                           .min_points = 3,
                                           .baseline = std::nullopt};

  core::Status Validate() const;  // kInvalidArgument
};

struct Evidence {
  std::string rule;       // "estimated_accuracy_drop", "code_drift", ... (see above)
  std::string severity;   // "retrain" or "watch"
  std::string statistic;  // "estimated_accuracy", "measured_accuracy", "codes.level1", ...
  int since_batch = -1;   // index into the history of the first batch of the change
  std::string since_batch_id;
  std::string effect_name;  // "cohens_w", "share_difference", "accuracy_difference", ...
  double effect = 0;
  std::optional<double> p_value, adjusted_p;  // drift tests
  std::optional<double> change_magnitude;     // Page–Hinkley
  std::string message;                        // one sentence for people

  nlohmann::json ToJson() const;
};

struct Recommendation {
  std::string status = "ok";       // "ok", "watch" or "retrain"
  int since_batch_index = -1;      // first batch of the changed regime; -1 when "ok"
  std::vector<Evidence> evidence;  // retrain evidence first, then watch; in rule order

  nlohmann::json ToJson() const;
};

// REQUIRES: options.Validate().ok(). An empty history is "ok". `reviewed_earlier` (optional):
// the final codes of the reviewed records of a batch an earlier model coded (the coders'
// decisions are about the records, so they tell whether this model knows their codes too).
Recommendation Recommend(const Reference& reference, std::span<const BatchSummary> history,
                         const RecommendationOptions& options,
                         const ReviewedCodes* reviewed_earlier = nullptr);

}  // namespace statcoder::monitor
