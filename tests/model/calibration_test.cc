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

TEST(LevelCalibrationTest, RecoversAnOverconfidentMapAndCalibrates) {
  // Records right with probability sigmoid(0.6 * logit(stated) - 0.3): an overconfident level.
  core::Random rng(11);
  const size_t n = 20000;
  std::vector<double> stated(n);
  std::vector<uint8_t> right(n);
  double stated_sum = 0, hits = 0;
  for (size_t i = 0; i < n; ++i) {
    stated[i] = 0.3 + 0.699 * rng.UniformDouble();
    const double z = std::log(stated[i] / (1 - stated[i]));
    const double truth = 1.0 / (1.0 + std::exp(-(0.6 * z - 0.3)));
    right[i] = rng.UniformDouble() < truth;
    stated_sum += stated[i];
    hits += right[i];
  }
  const LevelCalibration c = FitLevelCalibration(stated, right);
  EXPECT_NEAR(c.slope, 0.6, 0.06);
  EXPECT_NEAR(c.offset, -0.3, 0.08);
  double mapped_sum = 0;
  for (const double p : stated) mapped_sum += c.Apply(p);
  EXPECT_GT(stated_sum - hits, 0.05 * n);             // overconfident before
  EXPECT_NEAR(mapped_sum, hits, 0.01 * n);            // honest on average after
  EXPECT_LT(c.Apply(0.9), 0.9);                       // and increasing:
  EXPECT_LT(c.Apply(0.5), c.Apply(0.9));
}

TEST(LevelCalibrationTest, IdentityWithoutEnoughOrMixedEvidence) {
  const std::vector<double> p = {0.9, 0.8, 0.7};
  EXPECT_TRUE(FitLevelCalibration(p, std::vector<uint8_t>{1, 0, 1}).identity());  // too few
  std::vector<double> many(500, 0.9);
  EXPECT_TRUE(FitLevelCalibration(many, std::vector<uint8_t>(500, 1)).identity());  // all right
  EXPECT_TRUE(LevelCalibration{}.identity());
  EXPECT_DOUBLE_EQ(LevelCalibration{}.Apply(0.37), 0.37);
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

TEST(BinomialTailTest, MatchesExactValues) {
  // P(Binomial(10, 0.5) >= 8) = (45 + 10 + 1) / 1024.
  EXPECT_NEAR(std::exp(LogBinomialUpperTail(8, 10, 0.5)), 56.0 / 1024.0, 1e-12);
  // P(Binomial(100, 0.95) >= 100) = 0.95^100.
  EXPECT_NEAR(LogBinomialUpperTail(100, 100, 0.95), 100 * std::log(0.95), 1e-9);
  EXPECT_EQ(LogBinomialUpperTail(0, 7, 0.3), 0.0);
  EXPECT_TRUE(std::isinf(LogBinomialUpperTail(8, 7, 0.3)));
  // Large n stays finite and ordered.
  EXPECT_LT(LogBinomialUpperTail(9800, 10000, 0.95), LogBinomialUpperTail(9600, 10000, 0.95));
}

// Records with confidence c_i are right with probability c_i exactly (perfectly calibrated),
// the confidences between 0.5 and 1, most of them near 1 (as a coding model's are).
void Calibrated(size_t n, uint64_t seed, std::vector<double>* conf, std::vector<uint8_t>* correct) {
  core::Random rng(seed);
  conf->clear();
  correct->clear();
  for (size_t i = 0; i < n; ++i) {
    const double u = rng.UniformDouble();
    const double c = 1.0 - 0.5 * u * u;
    conf->push_back(c);
    correct->push_back(rng.UniformDouble() < c ? 1 : 0);
  }
}

TEST(CertifiedThresholdTest, HoldsThePrecisionAtTheStatedRisk) {
  // 200 calibration sets of 2,000 records. With c = 1 - u^2 / 2 (u uniform) and records right
  // with probability c, the precision of the records above threshold t is exactly
  // 1 - (1 - t) / 3, so the precision each chosen threshold gives new records is known. The
  // share of sets whose threshold gives less than 0.95 must not exceed the risk.
  int below = 0, never = 0;
  const int trials = 200;
  std::vector<double> conf;
  std::vector<uint8_t> correct;
  for (int t = 0; t < trials; ++t) {
    Calibrated(2000, static_cast<uint64_t>(t) + 1, &conf, &correct);
    const double cut = ChooseCertifiedThreshold(conf, correct, 0.95, 0.05, 10);
    if (cut == kNeverAuto) {
      ++never;
      continue;
    }
    below += 1 - (1 - cut) / 3 < 0.95;
  }
  EXPECT_EQ(never, 0);
  EXPECT_LE(below, static_cast<int>(0.05 * trials));
}

TEST(CertifiedThresholdTest, IsMoreCautiousThanThePointEstimate) {
  std::vector<double> conf;
  std::vector<uint8_t> correct;
  Calibrated(2000, 5, &conf, &correct);
  const double certified = ChooseCertifiedThreshold(conf, correct, 0.95, 0.05, 10);
  const double point = ChooseThreshold(conf, correct, 0.95, 10, 0);
  EXPECT_LT(certified, kNeverAuto);
  EXPECT_GE(certified, point);
  // A smaller risk asks for more evidence: a higher threshold.
  EXPECT_GE(ChooseCertifiedThreshold(conf, correct, 0.95, 0.001, 10), certified);
}

TEST(CertifiedThresholdTest, NeverWithoutEnoughEvidence) {
  // 50 records, all right: 0.95^50 = 0.08 > 0.05, so no cut can be certified.
  std::vector<double> conf(50, 0.99);
  std::vector<uint8_t> correct(50, 1);
  EXPECT_EQ(ChooseCertifiedThreshold(conf, correct, 0.95, 0.05, 1), kNeverAuto);
  conf.assign(80, 0.99);
  correct.assign(80, 1);
  EXPECT_EQ(ChooseCertifiedThreshold(conf, correct, 0.95, 0.05, 1), 0.99);
  EXPECT_EQ(ChooseCertifiedThreshold(conf, correct, 1.0, 0.05, 1), kNeverAuto);
}

TEST(CertifiedThresholdTest, AWrongRecordAtTheVeryTopDoesNotEndTheWalk) {
  // The most confident record is wrong; 999 more are right at falling confidence: a walk from
  // the top would stop at once, the certified walk starts past the thin top cuts.
  std::vector<double> conf;
  std::vector<uint8_t> correct;
  for (int i = 0; i < 1000; ++i) {
    conf.push_back(1.0 - i * 1e-4);
    correct.push_back(i == 0 ? 0 : 1);
  }
  EXPECT_LT(ChooseCertifiedThreshold(conf, correct, 0.95, 0.05, 10), 0.95);
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
