// Drift tests: is a coded batch distributed like the model's held-out reference? One test per
// statistic, each a test of homogeneity between two finite samples (the reference is a sample
// too, so its size counts), Holm's correction across all of them, and an alarm only when the
// adjusted p-value is below alpha AND the effect size is at least a practical minimum (so that
// huge batches do not alarm on trivial shifts).
//
//   DriftReport report = TestDrift(reference, batch_stats, DriftOptions{});
//   if (report.AnyAlarm()) { for (const DriftTest& t : report.tests) if (t.alarm) ... }
//   nlohmann::json j = report.ToJson();
//
//   DriftReport naive = FixedPsiRule(reference, batch_stats, FixedPsiOptions{});  // baseline
//
// Statistics (DriftTest::statistic), in report order:
//   "codes.level<d>"          predicted code distribution at depth d     chi-square 2×k
//   "confidence"              top-1 probability histogram (20 bins)      chi-square 2×k
//   "low_confidence_share"    records with top-1 probability below the   two-proportion z, one-
//                             reference's 20% quantile (bin edge)        sided: batch > reference
//   "low_confidence_by_code"  the same records, per predicted code at     two-proportion z (Fisher
//                             levels 1-2: the code with the largest      if sparse) per code, one-
//                             excess (named in the note)                 sided; Bonferroni over
//                             codes
//   "decisions"               auto / kb / review                         chi-square 2×3
//   "no_known_feature_share"  records with no known feature              two-proportion z, one-
//                                                                        sided (Fisher if sparse)
//   "unseen_feature_share"    mean per-record unseen-feature fraction    Welch z (means), one-
//                             (records with at least one known feature)  sided: batch > reference
//   "text_length"             text length histogram                      chi-square 2×k
//   "categorical.<field>"     value distribution of each field           chi-square 2×k
// One-sided tests are used where only one direction means trouble (more records the model is
// unsure of or knows nothing about); their test names end in "_greater", and a shift the other
// way gives a p-value near 1. Records of codes the model never saw get low confidence, which the
// low-confidence share picks up more directly than the 20-bin histogram test, and the scan per
// code more directly still: such records land in the few codes nearest to them.
// Chi-square tables first pool every cell whose expected count (under homogeneity, in the
// smaller row) is below min_expected into one cell. Effect sizes of distributions: Cohen's w
// computed from the pooled table with sample-size-free proportions (sqrt Σ (p_b-p_r)²/p̄, the
// one the alarm uses), Cramér's V, PSI (on the unpooled categories, with 0.5 added to every
// cell's count on both sides, so that empty cells stay finite) and Jensen–Shannon distance
// (unpooled, unsmoothed: it is finite anyway). docs/monitoring.md has the details.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "monitor/batch_stats.h"
#include "monitor/reference.h"

namespace statcoder::monitor {

struct DriftOptions {
  double alpha = 0.01;                 // family-wise error rate across all tests of a batch (Holm)
  double min_expected = 5;             // pool chi-square cells with smaller expected counts
  double min_cohens_w = 0.1;           // distributions: alarm only if Cohen's w >= this ("small")
  double min_share_difference = 0.02;  // proportions: alarm only if |p_b - p_r| >= this
  double min_mean_difference = 0.02;   // means of fractions: alarm only if |m_b - m_r| >= this
  bool test_categorical = true;        // test each categorical field in both samples
  int64_t min_records = 30;            // fewer batch or reference records: not tested
  // low_confidence_share counts records whose top-1 probability is below the reference's
  // quantile of this order, rounded up to a confidence-histogram bin edge (multiple of 0.05).
  double low_confidence_quantile = 0.2;

  // kInvalidArgument on alpha outside (0, 1), negative minimums, min_expected <= 0,
  // low_confidence_quantile outside (0, 1).
  core::Status Validate() const;
};

struct DriftTest {
  std::string statistic;  // see the table above
  // "chi_square", "two_proportion_z", "fisher_exact", "welch_z", "psi" (FixedPsiRule); one-sided
  // versions (alternative: batch > reference) end in "_greater".
  std::string test;
  int64_t batch_n = 0, reference_n = 0;
  bool tested = false;  // false: too few records or fewer than 2 cells; p-values are 1
  // Why not tested; for a tested low_confidence_share its cutoff ("top-1 probability below
  // 0.30"); otherwise "".
  std::string note;
  double test_statistic = 0;  // chi-square value, or z
  int df = 0;                 // chi-square degrees of freedom (cells after pooling - 1)
  int cells = 0;              // cells after pooling (distributions)
  double p_value = 1;
  double adjusted_p = 1;  // Holm-adjusted across the report's tested statistics
  // The effect size the alarm rule uses: "cohens_w", "share_difference" (signed, batch -
  // reference) or "mean_difference" (signed); for FixedPsiRule "psi".
  std::string effect_name;
  double effect = 0;
  // Distributions only.
  std::optional<double> cramers_v, psi, js_distance;
  // Proportions and means: the two values compared.
  std::optional<double> batch_value, reference_value;
  bool alarm = false;

  nlohmann::json ToJson() const;
};

struct DriftReport {
  double alpha = 0;
  std::vector<DriftTest> tests;

  bool AnyAlarm() const;
  const DriftTest* Find(std::string_view statistic) const;  // nullptr if absent
  nlohmann::json ToJson() const;  // {"alpha": a, "any_alarm": b, "tests": [...]}
  // Errors: kInvalidInput.
  static core::Result<DriftReport> FromJson(const nlohmann::json& j);
};

// REQUIRES: options.Validate().ok().
DriftReport TestDrift(const Reference& reference, const BatchStats& batch,
                      const DriftOptions& options);

struct FixedPsiOptions {
  double threshold = 0.1;          // the usual "PSI >= 0.1: some shift" rule of thumb
  bool level1_codes_only = false;  // true: only "codes.level1"; false: every distribution
};

// Baseline for comparison: the same distribution statistics, alarm when PSI >= threshold, no
// test (p-values left at 1). Ignores both sample sizes, hence its false alarms on small batches.
DriftReport FixedPsiRule(const Reference& reference, const BatchStats& batch,
                         const FixedPsiOptions& options);

// ---- Building blocks (exposed for tests and benchmarks) ----

// Regularized upper incomplete gamma Q(a, x) = Γ(a, x) / Γ(a). REQUIRES a > 0, x >= 0.
double RegularizedGammaQ(double a, double x);
// P(X >= x) for X ~ chi-square(df). REQUIRES df >= 1.
double ChiSquareSurvival(double x, int df);
// Two-sided normal p-value of z, and the upper tail P(Z >= z).
double NormalTwoSidedP(double z);
double NormalUpperP(double z);
// Fisher's exact test (two-sided: the total probability of the tables with the same margins
// that are no more probable than the observed one) of xb/nb against xr/nr.
// REQUIRES 0 <= xb <= nb, 0 <= xr <= nr.
double FisherExactTwoSided(int64_t xb, int64_t nb, int64_t xr, int64_t nr);
// One-sided Fisher's exact test against xb/nb > xr/nr: the hypergeometric P(X >= xb).
// REQUIRES 0 <= xb <= nb, 0 <= xr <= nr.
double FisherExactGreater(int64_t xb, int64_t nb, int64_t xr, int64_t nr);

// Holm step-down adjustment: adjusted[i] for p[i], monotone, capped at 1.
std::vector<double> HolmAdjust(std::span<const double> p);

struct HomogeneityResult {
  bool tested = false;
  double chi_square = 0;
  int df = 0;
  int cells = 0;  // after pooling
  double p_value = 1;
  double cohens_w = 0;   // sqrt(chi_square * (n_b + n_r) / (n_b * n_r))
  double cramers_v = 0;  // sqrt(chi_square / (n_b + n_r))
};
// Pearson chi-square test of homogeneity of two count vectors over the same categories, after
// pooling sparse cells (see above). Not tested when either total is 0 or < 2 cells remain.
HomogeneityResult TestHomogeneity(std::span<const int64_t> batch,
                                  std::span<const int64_t> reference, double min_expected);

// PSI = Σ (p_b - p_r) ln(p_b / p_r) with 0.5 added to every count; the Jensen–Shannon
// distance (sqrt of the base-2 divergence, in [0, 1]) without smoothing. 0 when a side is empty.
double PopulationStabilityIndex(std::span<const int64_t> batch, std::span<const int64_t> reference);
double JensenShannonDistance(std::span<const int64_t> batch, std::span<const int64_t> reference);

}  // namespace statcoder::monitor
