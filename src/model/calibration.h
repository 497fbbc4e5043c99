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

// Learn-then-Test (Angelopoulos et al. 2021) for the precision of auto-coding: the lowest
// threshold t such that, for new records exchangeable with these, P(precision of the records
// with confidence >= t is at least target_precision) >= 1 - delta. Each candidate cut (the
// distinct confidences) is a null hypothesis "precision < target", tested with the exact
// binomial tail p = P(Binomial(covered, target) >= hits) (Clopper-Pearson). The cuts are tested
// in a fixed order and the walk stops at the first one not rejected at level delta
// (fixed-sequence testing: no multiplicity penalty, family-wise error <= delta). The order
// depends on the number of records only, never on which are right: from the highest threshold
// down, starting at the first cut that covers at least min_support records and four times the
// records an error-free cut needs to be rejected (at most a tenth of the records, at least that
// many), so a few thin top cuts cannot end the walk early. Returns kNeverAuto
// when not even the first cut is rejected. REQUIRES 0 < delta < 1.
double ChooseCertifiedThreshold(std::span<const double> confidence,
                                std::span<const uint8_t> correct, double target_precision,
                                double delta, size_t min_support = 1);

// log P(Binomial(n, p) >= k), exact (log-space sum of the upper tail); 0 for k <= 0.
double LogBinomialUpperTail(uint64_t k, uint64_t n, double p);

// Wilson score lower bound of the proportion hits / n at z standard errors (the point
// estimate for z <= 0; 0 for n <= 0).
double WilsonLowerBound(double hits, double n, double z);

// The calibration of one coarse level of a code list: the rolled-up probability of a node
// (the sum of its codes' calibrated probabilities) is mapped to
// sigmoid(slope * logit(p) + offset). One temperature calibrates the full code, but the sums
// above it are overconfident (measured on SOC 2020: major level 0.85 stated for 0.76 right),
// so each level above the codes gets its own monotone map, fitted out of fold. The identity
// (slope 1, offset 0) is what models trained before it carry.
struct LevelCalibration {
  double slope = 1.0;
  double offset = 0.0;
  bool identity() const { return slope == 1.0 && offset == 0.0; }
  double Apply(double probability) const;
};

// The map minimising the Bernoulli negative log-likelihood of `correct` given the mapped
// `confidence` (Newton's method on (slope, offset), deterministic). Returns the identity when
// there are fewer than `min_records` records, all are right or all wrong, or the fit does
// not converge to a slope in [0.05, 20].
LevelCalibration FitLevelCalibration(std::span<const double> confidence,
                                     std::span<const uint8_t> correct, size_t min_records = 200);

// In-place softmax of `scores` divided by `temperature`, numerically stable.
void Softmax(std::span<float> scores, double temperature);

}  // namespace statcoder::model
