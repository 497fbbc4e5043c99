#include "monitor/sequential.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/random.h"
#include "simulate.h"

namespace statcoder::monitor {
namespace {

std::vector<double> Series(core::Random& rng, int n, double level, double sd, int step_at = -1,
                           double step = 0) {
  std::vector<double> s;
  for (int i = 0; i < n; ++i) {
    s.push_back(level - (step_at >= 0 && i >= step_at ? step : 0) + sd * testing::Normal(rng));
  }
  return s;
}

TEST(PageHinkleyTest, DetectsAStepDownQuickly) {
  core::Random rng(1);
  int detected = 0;
  for (int rep = 0; rep < 50; ++rep) {
    const std::vector<double> s = Series(rng, 30, 0.90, 0.01, 15, 0.05);
    const ChangePoint cp = PageHinkleyDecrease(s, PageHinkleyOptions{});
    if (!cp.detected) continue;
    ++detected;
    EXPECT_GE(cp.flagged_index, 15);
    EXPECT_LE(cp.flagged_index, 18);
    EXPECT_NEAR(cp.start_index, 15, 2);
    EXPECT_NEAR(cp.magnitude, 0.05, 0.015);
  }
  EXPECT_GE(detected, 49);
}

TEST(PageHinkleyTest, NoiselessStepIsLocatedExactly) {
  std::vector<double> s(10, 0.9);
  s.insert(s.end(), 5, 0.85);
  const ChangePoint cp = PageHinkleyDecrease(s, PageHinkleyOptions{});
  ASSERT_TRUE(cp.detected);
  EXPECT_EQ(cp.start_index, 10);
  EXPECT_EQ(cp.flagged_index, 11);
  EXPECT_NEAR(cp.magnitude, 0.05, 1e-12);
  EXPECT_GT(cp.statistic, 0.05);
}

TEST(PageHinkleyTest, RarelyAlarmsOnAFlatNoisySeries) {
  core::Random rng(2);
  int alarms = 0;
  for (int rep = 0; rep < 400; ++rep) {
    alarms += PageHinkleyDecrease(Series(rng, 40, 0.9, 0.01), PageHinkleyOptions{}).detected;
  }
  EXPECT_LE(alarms, 4);  // <= 1% of 40-batch series (about 0.2% in longer simulations)
}

TEST(PageHinkleyTest, IgnoresIncreases) {
  core::Random rng(3);
  const ChangePoint cp =
      PageHinkleyDecrease(Series(rng, 30, 0.8, 0.005, 10, -0.1), PageHinkleyOptions{});
  EXPECT_FALSE(cp.detected);
  EXPECT_FALSE(cp.warning);
  EXPECT_EQ(cp.start_index, -1);
}

TEST(PageHinkleyTest, BaselineMakesItACusumAgainstAFixedLevel) {
  const std::vector<double> s = {0.86, 0.86, 0.86, 0.86};
  PageHinkleyOptions o;
  o.baseline = 0.9;
  const ChangePoint cp = PageHinkleyDecrease(s, o);
  ASSERT_TRUE(cp.detected);
  EXPECT_EQ(cp.start_index, 0);
  EXPECT_EQ(cp.flagged_index, 2);  // 3 × 0.0325 > 0.05, after min_points
  EXPECT_NEAR(cp.magnitude, 0.04, 1e-12);
  EXPECT_FALSE(PageHinkleyDecrease(s, PageHinkleyOptions{}).detected);  // no change within it
}

TEST(PageHinkleyTest, WarnsBeforeAlarmingAndSkipsMissingPoints) {
  const std::vector<double> s = {0.9, NAN, 0.9, 0.9, 0.9, 0.855};
  const ChangePoint cp = PageHinkleyDecrease(s, PageHinkleyOptions{});
  EXPECT_FALSE(cp.detected);
  EXPECT_TRUE(cp.warning);
  EXPECT_EQ(cp.start_index, 5);
  EXPECT_NEAR(cp.magnitude, 0.045, 1e-12);
  EXPECT_TRUE(cp.ToJson().at("warning").get<bool>());
}

TEST(PageHinkleyTest, OptionsValidate) {
  EXPECT_TRUE(PageHinkleyOptions{}.Validate().ok());
  PageHinkleyOptions o;
  o.lambda = 0;
  EXPECT_FALSE(o.Validate().ok());
  o = PageHinkleyOptions{};
  o.warning_lambda = 0.1;
  EXPECT_EQ(o.Validate().code(), core::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace statcoder::monitor
