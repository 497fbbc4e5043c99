#include "monitor/estimates.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/random.h"
#include "simulate.h"

namespace statcoder::monitor {
namespace {

// Share of batches whose realised accuracy lies inside the label-free interval.
double Coverage(const testing::World& w, uint64_t seed, int batches, double* mean_width) {
  core::Random rng(seed);
  const Reference ref = testing::SimulateReference(w, 5000, rng);
  int covered = 0;
  double width = 0;
  for (int i = 0; i < batches; ++i) {
    int64_t correct = 0;
    const BatchStats batch = testing::SimulateBatch(w, 1000, rng, &correct);
    const AccuracyEstimate e = EstimateAccuracy(ref, batch);
    const double realised = static_cast<double>(correct) / 1000;
    covered += *e.interval.low <= realised && realised <= *e.interval.high;
    width += *e.interval.high - *e.interval.low;
  }
  *mean_width = width / batches;
  return static_cast<double>(covered) / batches;
}

TEST(EstimatesTest, LabelFreeIntervalCoversRealisedAccuracyWhenCalibrated) {
  double width = 0;
  const double coverage = Coverage(testing::DefaultWorld(), 1, 300, &width);
  EXPECT_GE(coverage, 0.93);
  EXPECT_LT(width, 0.12);  // useful, not vacuous
}

TEST(EstimatesTest, CalibrationGapMeasuredOnReferenceCorrectsTheEstimate) {
  testing::World w = testing::DefaultWorld();
  w.miscalibration = 0.05;  // overconfident by 5 points, on the reference and in production
  double width = 0;
  const double coverage = Coverage(w, 2, 300, &width);
  EXPECT_GE(coverage, 0.93);
  core::Random rng(3);
  const Reference ref = testing::SimulateReference(w, 5000, rng);
  const BatchStats batch = testing::SimulateBatch(w, 1000, rng);
  const AccuracyEstimate e = EstimateAccuracy(ref, batch);
  EXPECT_NEAR(e.calibration_gap, -0.05, 0.02);
  // Mean confidence shifted by the gap; the gap's uncertainty widens the interval.
  EXPECT_NEAR(*e.interval.value, batch.MeanTop1() + e.calibration_gap, 1e-12);
  EXPECT_NEAR(*e.interval.high - *e.interval.low,
              2 * 1.959963984540054 *
                  std::sqrt(e.sampling_se * e.sampling_se + e.calibration_se * e.calibration_se),
              1e-12);
  EXPECT_GT(e.calibration_se, 0);
  EXPECT_EQ(e.interval.method, "confidence");
  EXPECT_EQ(e.n, 1000);
}

TEST(EstimatesTest, AutoPrecisionUsesAutoCodedRecordsOnly) {
  core::Random rng(4);
  const testing::World w = testing::DefaultWorld();
  const Reference ref = testing::SimulateReference(w, 5000, rng);
  const BatchStats batch = testing::SimulateBatch(w, 1000, rng);
  const AccuracyEstimate e = EstimateAutoPrecision(ref, batch);
  EXPECT_EQ(e.n, batch.auto_records);
  // Mean decided confidence of the auto-coded records, corrected by the reference's gap.
  EXPECT_NEAR(*e.interval.value,
              batch.sum_auto_confidence / static_cast<double>(e.n) + e.calibration_gap, 1e-12);
  EXPECT_GT(*e.interval.value, 0.85);
  EXPECT_LE(*e.interval.low, *e.interval.value);
  EXPECT_GE(*e.interval.high, *e.interval.value);
}

TEST(EstimatesTest, EmptyBatchHasEmptyInterval) {
  const AccuracyEstimate e = EstimateAccuracy(Reference{}, BatchStats{});
  EXPECT_FALSE(e.interval.value.has_value());
  EXPECT_TRUE(e.ToJson().at("value").is_null());
}

TEST(EstimatesTest, WithoutHeldoutLabelsOnlySamplingVarianceCounts) {
  BatchStats batch;
  batch.records = 100;
  batch.sum_top1 = 90;
  batch.sum_top1_var = 9;  // Σp(1-p) = 100 · 0.09
  const AccuracyEstimate e = EstimateAccuracy(Reference{}, batch);
  EXPECT_DOUBLE_EQ(*e.interval.value, 0.9);
  EXPECT_NEAR(e.sampling_se, 0.03, 1e-12);
  EXPECT_NEAR(*e.interval.low, 0.9 - 1.959963984540054 * 0.03, 1e-12);
  EXPECT_EQ(e.calibration_gap, 0);
}

TEST(EstimatesTest, MeasuredAccuracyIsWilson) {
  const AccuracyEstimate e = MeasuredAccuracy(183, 200);
  EXPECT_EQ(e.interval.method, "wilson");
  EXPECT_EQ(e.n, 200);
  EXPECT_DOUBLE_EQ(*e.interval.value, 0.915);
  EXPECT_NEAR(*e.interval.low, 0.8682, 1e-3);
  EXPECT_NEAR(*e.interval.high, 0.9463, 1e-3);
  const nlohmann::json j = e.ToJson();
  EXPECT_EQ(j.at("n"), 200);
}

}  // namespace
}  // namespace statcoder::monitor
