// The statistics of champion-vs-challenger comparisons (registry/comparison.h): McNemar's exact
// test and the largest coverage at a target precision.
#include "registry/comparison.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

namespace statcoder::registry {
namespace {

// Reference values: 2 · sum_{i ≤ min(b,c)} C(b+c, i) / 2^(b+c), capped at 1, computed with
// exact integer arithmetic (Python fractions).
TEST(McNemarExactPTest, MatchesTheExactBinomialTailOnKnownValues) {
  EXPECT_DOUBLE_EQ(McNemarExactP(0, 5), 0.0625);
  EXPECT_DOUBLE_EQ(McNemarExactP(5, 0), 0.0625);
  EXPECT_NEAR(McNemarExactP(1, 9), 0.021484375, 1e-12);
  EXPECT_NEAR(McNemarExactP(2, 8), 0.109375, 1e-12);
  EXPECT_NEAR(McNemarExactP(10, 25), 0.01667384780012071, 1e-12);
  EXPECT_NEAR(McNemarExactP(400, 500), 0.0009564441369189461, 1e-14);
  EXPECT_NEAR(McNemarExactP(1000, 1100), 0.030720707864242296, 1e-12);
  EXPECT_NEAR(McNemarExactP(0, 60) / 1.734723475976807e-18, 1.0, 1e-9);
}

TEST(McNemarExactPTest, IsOneWithoutEvidenceAgainstEquality) {
  EXPECT_EQ(McNemarExactP(0, 0), 1.0);
  EXPECT_EQ(McNemarExactP(5, 5), 1.0);
  EXPECT_EQ(McNemarExactP(3, 4), 1.0);
  EXPECT_EQ(McNemarExactP(0, 1), 1.0);
}

TEST(McNemarExactPTest, StaysFiniteForMillionsOfPairs) {
  const double p = McNemarExactP(1'000'000, 1'000'000);
  EXPECT_EQ(p, 1.0);
  const double q = McNemarExactP(1'000'000, 1'010'000);
  EXPECT_TRUE(std::isfinite(q));
  EXPECT_GT(q, 0.0);
  EXPECT_LT(q, 1e-6);  // a 0.5% imbalance over two million pairs is about 7 standard errors
}

std::vector<uint32_t> AllOf(size_t n) {
  std::vector<uint32_t> all(n);
  for (size_t i = 0; i < n; ++i) all[i] = static_cast<uint32_t>(i);
  return all;
}

TEST(MaxCoverageAtPrecisionTest, TakesRecordsByConfidenceWhileThePrecisionHolds) {
  // By decreasing confidence: right, right, right, wrong, right, wrong.
  const std::vector<double> confidence = {0.9, 0.5, 0.8, 0.6, 0.7, 0.4};
  const std::vector<uint8_t> right = {1, 1, 1, 1, 0, 0};
  double threshold = 0;
  // 4 of 5 right (0.8) at 0.5; 3 of 3 at 0.8.
  EXPECT_DOUBLE_EQ(MaxCoverageAtPrecision(confidence, right, AllOf(6), 0.8, &threshold), 5.0 / 6);
  EXPECT_DOUBLE_EQ(threshold, 0.5);
  EXPECT_DOUBLE_EQ(MaxCoverageAtPrecision(confidence, right, AllOf(6), 0.9, &threshold), 2.0 / 6);
  EXPECT_DOUBLE_EQ(threshold, 0.8);
  EXPECT_DOUBLE_EQ(MaxCoverageAtPrecision(confidence, right, AllOf(6), 0.5), 1.0);
}

TEST(MaxCoverageAtPrecisionTest, TakesTiesWholeAndCountsRepeatedIndices) {
  const std::vector<double> confidence = {0.9, 0.9, 0.5};
  const std::vector<uint8_t> right = {1, 0, 1};
  double threshold = 0;
  // The tie at 0.9 is half right: nothing reaches 0.9 precision.
  EXPECT_DOUBLE_EQ(MaxCoverageAtPrecision(confidence, right, AllOf(3), 0.9, &threshold), 0.0);
  EXPECT_TRUE(std::isnan(threshold));
  // A bootstrap sample that repeats the right record: 2 of 3 at 0.9, then 3 of 4.
  const std::vector<uint32_t> sample = {0, 0, 1, 2};
  EXPECT_DOUBLE_EQ(MaxCoverageAtPrecision(confidence, right, sample, 0.75), 1.0);
  EXPECT_DOUBLE_EQ(MaxCoverageAtPrecision(confidence, right, sample, 0.8), 0.0);
  EXPECT_TRUE(std::isnan(MaxCoverageAtPrecision(confidence, right, {}, 0.9)));
}

TEST(CompareOptionsTest, ValidateNamesTheBadOption) {
  CompareOptions o;
  o.challenger = "candidate";
  o.snapshot = "3f2a9c";
  EXPECT_TRUE(o.Validate().ok());
  CompareOptions no_challenger = o;
  no_challenger.challenger.clear();
  EXPECT_NE(no_challenger.Validate().message().find("--challenger"), std::string::npos);
  CompareOptions bad_target = o;
  bad_target.target_precision = 1.5;
  EXPECT_NE(bad_target.Validate().message().find("--target-precision"), std::string::npos);
  CompareOptions bad_replicates = o;
  bad_replicates.replicates = -1;
  EXPECT_EQ(bad_replicates.Validate().code(), core::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace statcoder::registry
