// Every metric of the quality report against hand-computed values, including ties, empty
// classes, a single class and empty input.
#include "quality/metrics.h"

#include <gtest/gtest.h>

#include <cmath>

#include "quality/class_metrics.h"
#include "quality/confidence_metrics.h"
#include "quality/intervals.h"
#include "quality/subgroups.h"

namespace statcoder::quality {
namespace {

TEST(CalibrationError, EqualWidthByHand) {
  // Bins of width 1/15: 0.9 → bin 13 (two records, accuracy 0.5), 0.1 → bin 1, 0.5 → bin 7.
  const std::vector<double> conf = {0.9, 0.9, 0.1, 0.5};
  const std::vector<uint8_t> correct = {1, 0, 0, 1};
  // (2 × |0.5 − 0.9| + |0 − 0.1| + |1 − 0.5|) / 4
  EXPECT_NEAR(ExpectedCalibrationError(conf, correct, 15), (0.8 + 0.1 + 0.5) / 4, 1e-12);
}

TEST(CalibrationError, PerfectAndEmpty) {
  EXPECT_EQ(ExpectedCalibrationError({}, {}, 15), 0.0);
  EXPECT_EQ(ExpectedCalibrationErrorEqualMass({}, {}, 15), 0.0);
  const std::vector<double> conf = {1.0, 1.0};
  const std::vector<uint8_t> correct = {1, 1};
  EXPECT_EQ(ExpectedCalibrationError(conf, correct, 15), 0.0);
}

TEST(CalibrationError, NoiseFloorOfAPerfectlyCalibratedModel) {
  // 1,000 records at confidence 0.9 fill one bin; its accuracy is a binomial share, so the
  // expected |accuracy - 0.9| is about sqrt(0.9 × 0.1 / 1000) × sqrt(2 / pi) = 0.0076.
  const std::vector<double> conf(1000, 0.9);
  const double floor = ExpectedCalibrationErrorIfCalibrated(conf, 15, 400, 7);
  EXPECT_NEAR(floor, 0.0076, 0.0015);
  EXPECT_EQ(floor, ExpectedCalibrationErrorIfCalibrated(conf, 15, 400, 7));  // seeded
  // Certain records carry no noise; fewer records carry more.
  EXPECT_EQ(ExpectedCalibrationErrorIfCalibrated(std::vector<double>(50, 1.0)), 0.0);
  EXPECT_GT(ExpectedCalibrationErrorIfCalibrated(std::vector<double>(100, 0.9)), floor);
  EXPECT_EQ(ExpectedCalibrationErrorIfCalibrated({}), 0.0);
}

TEST(CalibrationError, EqualMassByHand) {
  // Sorted: 0.1(0) 0.5(1) | 0.9(1) 0.9(0) → (|1 − 0.6| + |1 − 1.8|) / 4.
  const std::vector<double> conf = {0.9, 0.9, 0.1, 0.5};
  const std::vector<uint8_t> correct = {1, 0, 0, 1};
  EXPECT_NEAR(ExpectedCalibrationErrorEqualMass(conf, correct, 2), (0.4 + 0.8) / 4, 1e-12);
}

TEST(CalibrationError, EqualMassNeverSplitsTies) {
  // All equal: one bin whatever the bin count: |2 − 4 × 0.5| = 0.
  const std::vector<double> conf = {0.5, 0.5, 0.5, 0.5};
  const std::vector<uint8_t> correct = {1, 1, 0, 0};
  EXPECT_NEAR(ExpectedCalibrationErrorEqualMass(conf, correct, 4), 0.0, 1e-12);
}

TEST(ReliabilityDiagram, BinsAndEdges) {
  const std::vector<double> conf = {0.0, 1.0, 0.95, 0.5};
  const std::vector<uint8_t> correct = {0, 1, 0, 1};
  const std::vector<ReliabilityBin> bins = ReliabilityDiagram(conf, correct, 10);
  ASSERT_EQ(bins.size(), 10u);
  EXPECT_EQ(bins[0].records, 1u);
  EXPECT_EQ(bins[9].records, 2u);  // 1.0 falls in the last bin with 0.95
  EXPECT_NEAR(*bins[9].accuracy, 0.5, 1e-12);
  EXPECT_NEAR(*bins[9].mean_confidence, 0.975, 1e-12);
  EXPECT_EQ(bins[5].records, 1u);
  EXPECT_FALSE(bins[3].accuracy.has_value());  // empty bin
  EXPECT_DOUBLE_EQ(bins[3].low, 0.3);
}

TEST(CoverageCurve, CutsBetweenDistinctConfidencesOnly) {
  const std::vector<double> conf = {0.9, 0.8, 0.8, 0.3};
  const std::vector<uint8_t> correct = {1, 1, 0, 0};
  const std::vector<CoveragePoint> curve = CoverageCurve(conf, correct, 100);
  ASSERT_EQ(curve.size(), 3u);  // no cut between the two 0.8s
  EXPECT_DOUBLE_EQ(curve[0].threshold, 0.9);
  EXPECT_DOUBLE_EQ(curve[0].coverage, 0.25);
  EXPECT_DOUBLE_EQ(curve[0].precision, 1.0);
  EXPECT_DOUBLE_EQ(curve[1].coverage, 0.75);
  EXPECT_NEAR(curve[1].precision, 2.0 / 3, 1e-12);
  EXPECT_DOUBLE_EQ(curve[2].coverage, 1.0);
  EXPECT_DOUBLE_EQ(curve[2].precision, 0.5);
  EXPECT_TRUE(CoverageCurve({}, {}, 100).empty());

  const CoverageAt at = CoverageAtThreshold(conf, correct, 0.8);
  EXPECT_DOUBLE_EQ(at.coverage, 0.75);
  EXPECT_NEAR(*at.precision, 2.0 / 3, 1e-12);
  EXPECT_FALSE(CoverageAtThreshold(conf, correct, 0.95).precision.has_value());
}

TEST(PerClassFigures, ByHandWithAClassNeverPredicted) {
  const std::vector<int64_t> truth = {0, 0, 1, 2};
  const std::vector<int64_t> pred = {0, 1, 1, 1};
  const std::vector<ClassFigures> f = PerClassFigures(truth, pred);
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0].cls, 0);  // most support first, then id
  EXPECT_EQ(f[1].cls, 1);
  EXPECT_EQ(f[2].cls, 2);
  EXPECT_DOUBLE_EQ(*f[0].precision, 1.0);
  EXPECT_DOUBLE_EQ(*f[0].recall, 0.5);
  EXPECT_NEAR(f[0].f1, 2.0 / 3, 1e-12);
  EXPECT_NEAR(*f[1].precision, 1.0 / 3, 1e-12);
  EXPECT_DOUBLE_EQ(*f[1].recall, 1.0);
  EXPECT_NEAR(f[1].f1, 0.5, 1e-12);
  EXPECT_FALSE(f[2].precision.has_value());  // never predicted
  EXPECT_DOUBLE_EQ(*f[2].recall, 0.0);
  EXPECT_DOUBLE_EQ(f[2].f1, 0.0);
  // The mean of the per-class F1 is the macro-F1.
  EXPECT_NEAR(MacroF1(truth, pred), (2.0 / 3 + 0.5 + 0.0) / 3, 1e-12);
}

TEST(PerClassFigures, ClassOnlyPredictedAndSingleClassAndEmpty) {
  const std::vector<ClassFigures> f = PerClassFigures({0, 0}, {0, 7});
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[1].cls, 7);
  EXPECT_EQ(f[1].support, 0u);
  EXPECT_FALSE(f[1].recall.has_value());  // never true
  EXPECT_DOUBLE_EQ(*f[1].precision, 0.0);

  const std::vector<ClassFigures> one = PerClassFigures({5, 5}, {5, 5});
  ASSERT_EQ(one.size(), 1u);
  EXPECT_DOUBLE_EQ(one[0].f1, 1.0);
  EXPECT_DOUBLE_EQ(MacroF1({5, 5}, {5, 5}), 1.0);

  EXPECT_TRUE(PerClassFigures({}, {}).empty());
  EXPECT_EQ(MacroF1({}, {}), 0.0);
}

TEST(TopConfusions, CountThenIds) {
  const std::vector<Confusion> c = TopConfusions({0, 0, 0, 1, 2}, {1, 1, 2, 0, 2}, 2);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].truth, 0);
  EXPECT_EQ(c[0].predicted, 1);
  EXPECT_EQ(c[0].count, 2u);
  EXPECT_NEAR(c[0].share_of_truth, 2.0 / 3, 1e-12);
  EXPECT_EQ(c[1].truth, 0);  // (0,2) before (1,0): same count, ids ascending
  EXPECT_EQ(c[1].predicted, 2);
  EXPECT_TRUE(TopConfusions({3, 3}, {3, 3}).empty());
}

TEST(AggregateDistributionError, TotalVariationByHand) {
  // True shares 0.5 / 0.5, published 0.75 / 0.25: half the L1 distance is 0.25.
  const AggregateError e = AggregateDistributionError({0, 0, 1, 1}, {0, 0, 0, 1});
  EXPECT_NEAR(e.total_variation, 0.25, 1e-12);
  ASSERT_EQ(e.classes.size(), 2u);
  EXPECT_NEAR(std::fabs(e.classes[0].error()), 0.25, 1e-12);
  // Errors cancel in a perfect table even when single records are wrong.
  EXPECT_NEAR(AggregateDistributionError({0, 1}, {1, 0}).total_variation, 0.0, 1e-12);
  EXPECT_EQ(AggregateDistributionError({}, {}).total_variation, 0.0);
}

TEST(Intervals, WilsonByHand) {
  const Interval i = WilsonInterval(8, 10);
  EXPECT_DOUBLE_EQ(*i.value, 0.8);
  EXPECT_NEAR(*i.low, 0.4901624715366418, 1e-12);
  EXPECT_NEAR(*i.high, 0.9433178485456247, 1e-12);
  const Interval zero = WilsonInterval(0, 10);
  EXPECT_DOUBLE_EQ(*zero.low, 0.0);
  EXPECT_NEAR(*zero.high, 0.2775327998628892, 1e-12);
  EXPECT_FALSE(WilsonInterval(0, 0).value.has_value());
  EXPECT_TRUE(WilsonInterval(0, 0).ToJson()["value"].is_null());
}

TEST(Intervals, BootstrapIsSeededAndBracketsTheValue) {
  std::vector<double> x(200);
  for (size_t i = 0; i < x.size(); ++i) x[i] = i % 4 == 0 ? 1.0 : 0.0;  // mean 0.25
  const auto mean = [&](std::span<const uint32_t> s) {
    double sum = 0;
    for (const uint32_t i : s) sum += x[i];
    return sum / static_cast<double>(s.size());
  };
  const Interval a = BootstrapInterval(x.size(), {500, 7, 0.95}, mean);
  const Interval b = BootstrapInterval(x.size(), {500, 7, 0.95}, mean);
  EXPECT_DOUBLE_EQ(*a.value, 0.25);
  EXPECT_EQ(*a.low, *b.low);
  EXPECT_EQ(*a.high, *b.high);
  EXPECT_LT(*a.low, 0.25);
  EXPECT_GT(*a.high, 0.25);
  // About ±1.96 × sqrt(0.25 × 0.75 / 200) = ±0.06.
  EXPECT_NEAR(*a.high - *a.low, 0.12, 0.03);
  const Interval none = BootstrapInterval(x.size(), {0, 7, 0.95}, mean);
  EXPECT_TRUE(none.value.has_value());
  EXPECT_FALSE(none.low.has_value());
  EXPECT_FALSE(BootstrapInterval(0, {}, mean).value.has_value());
}

TEST(Subgroups, OneValueIsAnError) {
  const auto r = SubgroupQuality({"north", "north"}, {{}, {}}, "region");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("only one value ('north')"), std::string::npos);
  EXPECT_NE(r.status().message().find("'region'"), std::string::npos);
}

TEST(Subgroups, SmallGroupsSuppressedAndWorseGroupFlagged) {
  std::vector<std::string> values;
  std::vector<GroupOutcome> outcomes;
  for (int i = 0; i < 200; ++i) {
    values.push_back("a");
    outcomes.push_back({i % 20 != 0, true, i % 20 != 0});  // 95% right
  }
  for (int i = 0; i < 200; ++i) {
    values.push_back("b");
    outcomes.push_back({i % 2 == 0, true, i % 2 == 0});  // 50% right
  }
  for (int i = 0; i < 2; ++i) {
    values.push_back("tiny");  // 2 records: never shown
    outcomes.push_back({false, false, false});
  }
  const auto r = SubgroupQuality(values, outcomes, "region");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->groups.size(), 2u);
  EXPECT_EQ(r->suppressed_groups, 1u);
  EXPECT_EQ(r->suppressed_records, 2u);
  for (const GroupQuality& g : r->groups) {
    EXPECT_NE(g.value, "tiny");
    EXPECT_EQ(g.flagged, g.value == "b") << g.value;
  }
  const GroupQuality& b = r->groups[0].value == "b" ? r->groups[0] : r->groups[1];
  EXPECT_EQ(b.reasons.size(), 2u);  // accuracy and auto-coding precision
  EXPECT_DOUBLE_EQ(*b.accuracy.value, 0.5);
}

TEST(Subgroups, SmallDifferencesAreNotFlagged) {
  std::vector<std::string> values;
  std::vector<GroupOutcome> outcomes;
  for (int i = 0; i < 40; ++i) {
    values.push_back(i < 20 ? "a" : "b");
    // a: 18/20, b: 16/20 — 10 points apart but not significant on 20 records.
    const bool right = i < 20 ? i % 10 != 0 : i % 5 != 0;
    outcomes.push_back({right, false, false});
  }
  const auto r = SubgroupQuality(values, outcomes, "mode");
  ASSERT_TRUE(r.ok());
  for (const GroupQuality& g : r->groups) EXPECT_FALSE(g.flagged) << g.value;
}

TEST(Subgroups, ProportionTest) {
  EXPECT_LT(ProportionBelowPValue(50, 100, 90, 100), 1e-6);
  EXPECT_GT(ProportionBelowPValue(90, 100, 50, 100), 0.999);
  EXPECT_EQ(ProportionBelowPValue(0, 0, 5, 10), 1.0);
  EXPECT_NEAR(ProportionBelowPValue(5, 10, 5, 10), 0.5, 1e-12);
}

}  // namespace
}  // namespace statcoder::quality
