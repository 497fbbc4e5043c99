// Calibration: fits the softmax temperature that makes predicted probabilities honest on
// held-out records, and chooses auto-coding thresholds for a target precision.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace statcoder::model {

// Temperature T minimising the negative log-likelihood of softmax(logits / T) on `labels`.
// `logits` is row-major, rows = labels.size(), cols = num_labels. Deterministic golden-section
// search on log T in [0.01, 100]. Returns 1 when there are no rows.
double FitTemperature(std::span<const float> logits, size_t num_labels,
                      std::span<const int32_t> labels);

// Mean negative log-likelihood of softmax(logits / T).
double NegativeLogLikelihood(std::span<const float> logits, size_t num_labels,
                             std::span<const int32_t> labels, double temperature);

// The lowest confidence threshold t such that the records with confidence >= t have precision
// >= target_precision, choosing the cut that auto-codes the most records (ties in confidence
// are never split). With z > 0 the precision is the Wilson lower bound at z standard errors
// instead of the point estimate. Returns kNeverAuto (2.0) when no cut reaches the target with
// at least `min_support` records.
double ChooseThreshold(std::span<const double> confidence, std::span<const uint8_t> correct,
                       double target_precision, size_t min_support = 1, double z = 0);

// Wilson score lower bound of the proportion hits / n at z standard errors (the point
// estimate for z <= 0; 0 for n <= 0).
double WilsonLowerBound(double hits, double n, double z);

// In-place softmax of `scores` divided by `temperature`, numerically stable.
void Softmax(std::span<float> scores, double temperature);

}  // namespace statcoder::model
