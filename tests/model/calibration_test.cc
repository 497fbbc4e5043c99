#include "model/calibration.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/random.h"
#include "model/decision_policy.h"

namespace statcoder::model {
namespace {

TEST(SoftmaxTest, SumsToOneAndRespectsTemperature) {
  std::vector<float> a = {1, 2, 3}, b = {1, 2, 3};
  Softmax(a, 1.0);
  Softmax(b, 2.0);
  EXPECT_NEAR(a[0] + a[1] + a[2], 1.0, 1e-6);
  EXPECT_NEAR(a[2], std::exp(3.0) / (std::exp(1.0) + std::exp(2.0) + std::exp(3.0)), 1e-6);
  EXPECT_LT(b[2], a[2]);  // a higher temperature flattens
}

TEST(CalibrationTest, FitTemperatureRecoversTheGeneratingTemperature) {
  // Labels drawn from softmax(logits / 2.5): the NLL-optimal temperature is close to 2.5.
  core::Random rng(3);
  const size_t n = 4000, k = 5;
  std::vector<float> logits(n * k);
  std::vector<int32_t> labels(n);
  for (size_t i = 0; i < n; ++i) {
    std::vector<float> p(k);
    for (size_t c = 0; c < k; ++c) {
      logits[i * k + c] = static_cast<float>(rng.UniformDouble() * 8.0);
      p[c] = logits[i * k + c];
    }
    Softmax(p, 2.5);
    double u = rng.UniformDouble(), acc = 0;
    size_t pick = k - 1;
    for (size_t c = 0; c < k; ++c) {
      acc += p[c];
      if (u < acc) {
        pick = c;
        break;
      }
    }
    labels[i] = static_cast<int32_t>(pick);
  }
  const double t = FitTemperature(logits, k, labels);
  EXPECT_NEAR(t, 2.5, 0.25);
  EXPECT_LT(NegativeLogLikelihood(logits, k, labels, t),
            NegativeLogLikelihood(logits, k, labels, 1.0));
}

TEST(CalibrationTest, FitTemperatureWithoutRowsIsOne) {
  EXPECT_EQ(FitTemperature({}, 3, {}), 1.0);
}

TEST(ChooseThresholdTest, PicksTheMostCoveringCutThatMeetsTheTarget) {
  // Sorted by confidence: 0.9 ok, 0.8 ok, 0.7 wrong, 0.6 ok, 0.5 wrong.
  std::vector<double> conf = {0.5, 0.9, 0.7, 0.8, 0.6};
  std::vector<uint8_t> correct = {0, 1, 0, 1, 1};
  // Precision by cut: 1/1, 2/2, 2/3, 3/4, 3/5.
  EXPECT_DOUBLE_EQ(ChooseThreshold(conf, correct, 1.0), 0.8);
  EXPECT_DOUBLE_EQ(ChooseThreshold(conf, correct, 0.75), 0.6);
  EXPECT_DOUBLE_EQ(ChooseThreshold(conf, correct, 0.6), 0.5);
}

TEST(ChooseThresholdTest, NeverSplitsTies) {
  // Two records at 0.9, one right and one wrong: a 100% target cannot be met by taking "half" of
  // the tie.
  std::vector<double> conf = {0.9, 0.9, 0.4};
  std::vector<uint8_t> correct = {1, 0, 0};
  EXPECT_EQ(ChooseThreshold(conf, correct, 1.0), kNeverAuto);
  EXPECT_DOUBLE_EQ(ChooseThreshold(conf, correct, 0.5), 0.9);
}

TEST(ChooseThresholdTest, RequiresSupport) {
  std::vector<double> conf = {0.99, 0.5, 0.4};
  std::vector<uint8_t> correct = {1, 0, 0};
  EXPECT_DOUBLE_EQ(ChooseThreshold(conf, correct, 0.95, 1), 0.99);
  EXPECT_EQ(ChooseThreshold(conf, correct, 0.95, 2), kNeverAuto);
  EXPECT_EQ(ChooseThreshold({}, {}, 0.95), kNeverAuto);
}

TEST(DecisionPolicyTest, JsonRoundTrip) {
  DecisionPolicy p;
  p.target_precision = 0.97;
  p.label_threshold = 0.8125;
  p.level_thresholds = {0.5, kNeverAuto};
  p.chosen_on = "training_holdout";
  p.chosen_on_records = 12;
  auto back = DecisionPolicy::FromJson(p.ToJson());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->ToJson(), p.ToJson());
  EXPECT_FALSE(DecisionPolicy::FromJson(nlohmann::json::object()).ok());
}

}  // namespace
}  // namespace statcoder::model
