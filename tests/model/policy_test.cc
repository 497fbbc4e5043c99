// The coding policy: its rules (threshold, margin, sensitive and no-auto codes, partial coding),
// threshold fitting by hand, and its stored form (old files without the newer keys still load).
#include <gtest/gtest.h>

#include "model/decision_policy.h"
#include "model/policy_fitting.h"
#include "model/predictor.h"
#include "test_data.h"

namespace statcoder::model {
namespace {

struct Fixture {
  data::CodeList codes = testing::TestCodeList();
  std::vector<std::string> labels = {"A1", "A2", "B1", "B2"};
  std::vector<int32_t> label_node;
  Fixture() {
    for (const auto& l : labels) label_node.push_back(codes.Find(l));
  }
  // Evidence for a record whose label probabilities are `p` (A1, A2, B1, B2).
  DecisionEvidence Evidence(std::vector<float> p) const {
    std::vector<double> rolled;
    return ExtractEvidence(&codes, label_node, p, {}, &rolled);
  }
  PolicyOutcome Apply(const DecisionPolicy& policy, const DecisionEvidence& e) const {
    const CompiledPolicy compiled(policy, labels, label_node, &codes);
    return ApplyPolicy(compiled, e, 2,
                       [&]() -> const std::vector<LevelCandidate>& { return e.levels; });
  }
};

DecisionPolicy Thresholds(double label, double level1) {
  DecisionPolicy p;
  p.label_threshold = label;
  p.level_thresholds = {level1, kNeverAuto};
  return p;
}

TEST(DecisionPolicy, EvidenceRollsUpTheHierarchy) {
  Fixture f;
  const DecisionEvidence e = f.Evidence({0.5f, 0.3f, 0.15f, 0.05f});
  EXPECT_EQ(e.top_label, 0);
  EXPECT_NEAR(e.top_probability, 0.5, 1e-6);
  EXPECT_NEAR(e.runner_up_probability, 0.3, 1e-6);
  ASSERT_EQ(e.levels.size(), 2u);
  EXPECT_EQ(f.codes.node(e.levels[0].node).code, "A");
  EXPECT_NEAR(e.levels[0].probability, 0.8, 1e-6);
  EXPECT_NEAR(e.levels[0].runner_up, 0.2, 1e-6);
}

TEST(DecisionPolicy, ThresholdThenPartialCodingThenReview) {
  Fixture f;
  const DecisionEvidence e = f.Evidence({0.5f, 0.3f, 0.15f, 0.05f});
  PolicyOutcome o = f.Apply(Thresholds(0.4, kNeverAuto), e);
  EXPECT_TRUE(o.auto_coded);
  EXPECT_EQ(o.node, -1);  // the label itself
  o = f.Apply(Thresholds(0.6, 0.75), e);
  EXPECT_TRUE(o.auto_coded);
  EXPECT_EQ(f.codes.node(o.node).code, "A");
  EXPECT_EQ(o.depth, 1);
  EXPECT_NEAR(o.confidence, 0.8, 1e-6);
  o = f.Apply(Thresholds(0.6, 0.9), e);
  EXPECT_FALSE(o.auto_coded);
  EXPECT_EQ(o.reason, "below_threshold");
}

TEST(DecisionPolicy, MarginRule) {
  Fixture f;
  const DecisionEvidence e = f.Evidence({0.5f, 0.3f, 0.15f, 0.05f});
  DecisionPolicy p = Thresholds(0.4, kNeverAuto);
  p.min_margin = 0.25;  // 0.5 − 0.3 = 0.2 is not enough
  PolicyOutcome o = f.Apply(p, e);
  EXPECT_FALSE(o.auto_coded);
  EXPECT_EQ(o.reason, "margin");
  p.level_thresholds = {0.7, kNeverAuto};  // sector A leads B by 0.6: partial coding allowed
  o = f.Apply(p, e);
  EXPECT_TRUE(o.auto_coded);
  EXPECT_EQ(f.codes.node(o.node).code, "A");
}

TEST(DecisionPolicy, SensitiveCodesAreAlwaysReferred) {
  Fixture f;
  const DecisionEvidence e = f.Evidence({0.97f, 0.01f, 0.01f, 0.01f});
  DecisionPolicy p = Thresholds(0.5, 0.5);
  p.refer_codes = {"A"};  // a sector covers its codes, and blocks partial coding too
  const PolicyOutcome o = f.Apply(p, e);
  EXPECT_FALSE(o.auto_coded);
  EXPECT_EQ(o.reason, "refer_code");
}

TEST(DecisionPolicy, NoAutoCodesFallBackToTheirParent) {
  Fixture f;
  const DecisionEvidence e = f.Evidence({0.97f, 0.01f, 0.01f, 0.01f});
  DecisionPolicy p = Thresholds(0.5, 0.5);
  p.no_auto_codes = {"A1"};
  PolicyOutcome o = f.Apply(p, e);
  EXPECT_TRUE(o.auto_coded);
  EXPECT_EQ(f.codes.node(o.node).code, "A");
  p.no_auto_codes = {"A"};  // the whole sector: neither A1 nor A
  o = f.Apply(p, e);
  EXPECT_FALSE(o.auto_coded);
  EXPECT_EQ(o.reason, "no_auto_code");
}

TEST(DecisionPolicy, ValidateNamesUnknownCodes) {
  Fixture f;
  DecisionPolicy p;
  p.refer_codes = {"Z9"};
  const core::Status s = p.Validate(&f.codes);
  EXPECT_EQ(s.code(), core::StatusCode::kNotFound);
  EXPECT_NE(s.message().find("'Z9'"), std::string::npos);
  p.refer_codes.clear();
  p.min_margin = 1.5;
  EXPECT_EQ(p.Validate(&f.codes).code(), core::StatusCode::kInvalidArgument);
}

TEST(DecisionPolicy, JsonRoundTripAndOldFiles) {
  DecisionPolicy p = Thresholds(0.8, 0.7);
  p.version = 3;
  p.min_margin = 0.1;
  p.refer_codes = {"A"};
  p.no_auto_codes = {"B2"};
  p.by_target["0.95"] = {0.8, {0.7, kNeverAuto}};
  p.chosen_on = "labelled_set";
  p.chosen_on_sha256 = "abc";
  p.previous_model = "0123456789abcdef";
  const auto back = DecisionPolicy::FromJson(p.ToJson());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->ToJson(), p.ToJson());
  EXPECT_EQ(back->ForTarget(0.95)->label_threshold, 0.8);
  EXPECT_EQ(back->ForTarget(0.99).status().code(), core::StatusCode::kNotFound);

  // statcoder 0.1.0 wrote only these keys.
  const nlohmann::json old = {{"target_precision", 0.95},
                              {"label_threshold", 0.9},
                              {"level_thresholds", {0.8}},
                              {"chosen_on", "training_holdout"},
                              {"chosen_on_records", 100}};
  const auto loaded = DecisionPolicy::FromJson(old);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->version, 1u);
  EXPECT_EQ(loaded->min_margin, 0.0);
  EXPECT_TRUE(loaded->by_target.empty());
  EXPECT_EQ(TargetKey(0.9), "0.90");
  EXPECT_EQ(TargetKey(0.975), "0.975");
}

TEST(FitThresholds, LabelLevelByHand) {
  Fixture f;
  // Ten records, confidence falling; the 7th and 9th are wrong. Precision of the top k:
  // k=1..6: 1.0, k=7: 6/7, k=8: 7/8, k=9: 7/9, k=10: 8/10.
  std::vector<DecisionEvidence> evidence;
  std::vector<int32_t> truths;
  for (int i = 0; i < 10; ++i) {
    const float p = 0.95f - 0.05f * static_cast<float>(i);
    evidence.push_back(f.Evidence({p, (1 - p) / 3, (1 - p) / 3, (1 - p) / 3}));
    truths.push_back(i == 6 || i == 8 ? 1 : 0);
  }
  const CompiledPolicy rules(DecisionPolicy{}, f.labels, f.label_node, nullptr);
  FitOptions fit;
  fit.min_support = 1;
  fit.z = 0;  // point estimate
  // 0.85: the most-covering cut is k=8 (7/8 = 0.875), threshold = 8th confidence = 0.60.
  PolicyThresholds t = FitThresholds(rules, nullptr, {}, evidence, truths, 0.85, fit);
  EXPECT_NEAR(t.label_threshold, 0.60, 1e-6);
  // 0.9: only k <= 6 reaches it.
  t = FitThresholds(rules, nullptr, {}, evidence, truths, 0.9, fit);
  EXPECT_NEAR(t.label_threshold, 0.70, 1e-6);
  // Needing 7 records at 1.0: impossible.
  fit.min_support = 7;
  t = FitThresholds(rules, nullptr, {}, evidence, truths, 1.0, fit);
  EXPECT_EQ(t.label_threshold, kNeverAuto);
  // A lower confidence bound is stricter than the point estimate.
  fit.min_support = 1;
  fit.z = 1.0;
  t = FitThresholds(rules, nullptr, {}, evidence, truths, 0.85, fit);
  EXPECT_GT(t.label_threshold, 0.60);
}

TEST(FitThresholds, CoarserLevelOnRecordsStillReferred) {
  Fixture f;
  // Every record is split between A1 and A2 (never sure of the code), but always sector A.
  std::vector<DecisionEvidence> evidence;
  std::vector<int32_t> truths;
  for (int i = 0; i < 20; ++i) {
    evidence.push_back(f.Evidence({0.48f, 0.47f, 0.03f, 0.02f}));
    truths.push_back(i % 2);
  }
  const CompiledPolicy rules(DecisionPolicy{}, f.labels, f.label_node, &f.codes);
  FitOptions fit;
  fit.z = 0;
  const PolicyThresholds t =
      FitThresholds(rules, &f.codes, f.label_node, evidence, truths, 0.95, fit);
  EXPECT_EQ(t.label_threshold, kNeverAuto);  // half right at the label level
  ASSERT_EQ(t.level_thresholds.size(), 2u);
  EXPECT_NEAR(t.level_thresholds[0], 0.95, 1e-6);  // sector A: always right

  // FitPolicy fills every standard target and keeps the rules.
  DecisionPolicy base;
  base.min_margin = 0.0;
  base.target_precision = 0.95;
  const DecisionPolicy p = FitPolicy(base, f.labels, &f.codes, f.label_node, evidence, truths, fit);
  for (const char* key : {"0.90", "0.95", "0.97", "0.99"}) EXPECT_TRUE(p.by_target.count(key));
  EXPECT_EQ(p.label_threshold, p.by_target.at("0.95").label_threshold);
}

}  // namespace
}  // namespace statcoder::model
