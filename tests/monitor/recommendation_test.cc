#include "monitor/recommendation.h"

#include <gtest/gtest.h>

#include "core/random.h"
#include "simulate.h"

namespace statcoder::monitor {
namespace {

class RecommendationTest : public ::testing::Test {
 protected:
  RecommendationTest() : rng_(2026), world_(testing::DefaultWorld()) {
    reference_ = testing::SimulateReference(world_, 5000, rng_);
  }

  void AddBatches(const testing::World& w, int count, int n = 1000) {
    for (int i = 0; i < count; ++i) {
      const std::string id = "b" + std::to_string(history_.size());
      history_.push_back(SummarizeBatch(id, "2026-11-29T00:00:00Z", reference_,
                                        testing::SimulateBatch(w, n, rng_), DriftOptions{}));
    }
  }

  Recommendation Run() const { return Recommend(reference_, history_, RecommendationOptions{}); }

  core::Random rng_;
  testing::World world_;
  Reference reference_;
  std::vector<BatchSummary> history_;
};

TEST_F(RecommendationTest, EmptyAndStableHistoriesAreOk) {
  EXPECT_EQ(Run().status, "ok");
  AddBatches(world_, 12);
  const Recommendation rec = Run();
  EXPECT_EQ(rec.status, "ok") << rec.ToJson().dump(1);
  EXPECT_EQ(rec.since_batch_index, -1);
  EXPECT_TRUE(rec.evidence.empty());
}

TEST_F(RecommendationTest, OneCodeDriftAlarmIsWatchTwoInARowRetrain) {
  AddBatches(world_, 6);
  const testing::World shifted = testing::ShiftCodes(world_, 'F', 0.2);
  AddBatches(shifted, 1);
  Recommendation rec = Run();
  EXPECT_EQ(rec.status, "watch") << rec.ToJson().dump(1);
  EXPECT_EQ(rec.since_batch_index, 6);
  ASSERT_FALSE(rec.evidence.empty());
  EXPECT_EQ(rec.evidence[0].rule, "drift_alarm");

  AddBatches(shifted, 1);
  rec = Run();
  EXPECT_EQ(rec.status, "retrain") << rec.ToJson().dump(1);
  EXPECT_EQ(rec.since_batch_index, 6);
  ASSERT_FALSE(rec.evidence.empty());
  const Evidence& e = rec.evidence[0];
  EXPECT_EQ(e.rule, "code_drift");
  EXPECT_EQ(e.severity, "retrain");
  EXPECT_EQ(e.since_batch_id, "b6");
  EXPECT_EQ(e.effect_name, "cohens_w");
  EXPECT_GT(e.effect, 0.1);
  ASSERT_TRUE(e.adjusted_p.has_value());
  EXPECT_LT(*e.adjusted_p, 0.01);
}

TEST_F(RecommendationTest, FallingConfidenceRecommendsRetrainFromTheChange) {
  AddBatches(world_, 8);
  testing::World worse = world_;
  worse.confidence_drop = 0.08;
  AddBatches(worse, 3);
  const Recommendation rec = Run();
  EXPECT_EQ(rec.status, "retrain") << rec.ToJson().dump(1);
  EXPECT_EQ(rec.since_batch_index, 8);
  bool drop = false, page_hinkley = false;
  for (const Evidence& e : rec.evidence) {
    drop = drop || e.rule == "estimated_accuracy_drop";
    page_hinkley = page_hinkley || e.rule == "page_hinkley";
    if (e.rule == "page_hinkley") {
      EXPECT_EQ(e.since_batch, 8);
      ASSERT_TRUE(e.change_magnitude.has_value());
      EXPECT_NEAR(*e.change_magnitude, 0.08, 0.02);
    }
  }
  EXPECT_TRUE(drop);
  EXPECT_TRUE(page_hinkley);
}

TEST_F(RecommendationTest, MeasuredAccuracyBelowHeldoutRecommendsRetrain) {
  AddBatches(world_, 3);
  history_.back().measured = MeasuredCounts{.correct = 120, .n = 200};  // 0.60 vs 0.80
  const Recommendation rec = Run();
  EXPECT_EQ(rec.status, "retrain") << rec.ToJson().dump(1);
  EXPECT_EQ(rec.evidence[0].rule, "measured_accuracy_drop");
  EXPECT_EQ(rec.since_batch_index, 2);
}

TEST_F(RecommendationTest, LargeUnseenFeatureIncreaseRecommendsRetrain) {
  AddBatches(world_, 3);
  testing::World novel = world_;
  novel.unseen_rate = 0.3;
  AddBatches(novel, 1);
  const Recommendation rec = Run();
  EXPECT_EQ(rec.status, "retrain") << rec.ToJson().dump(1);
  EXPECT_EQ(rec.evidence[0].rule, "unseen_features");
  EXPECT_EQ(rec.since_batch_index, 3);
}

TEST_F(RecommendationTest, JsonCarriesStatusAndEvidence) {
  AddBatches(world_, 2);
  AddBatches(testing::ShiftCodes(world_, 'F', 0.3), 2);
  const nlohmann::json j = Run().ToJson();
  EXPECT_EQ(j.at("status"), "retrain");
  EXPECT_EQ(j.at("since_batch_index"), 2);
  ASSERT_FALSE(j.at("evidence").empty());
  const nlohmann::json& e = j.at("evidence")[0];
  for (const char* key :
       {"rule", "severity", "statistic", "since_batch", "since_batch_id", "effect_name", "effect",
        "p_value", "adjusted_p", "change_magnitude", "message"}) {
    EXPECT_TRUE(e.contains(key)) << key;
  }
  EXPECT_FALSE(e.at("message").get<std::string>().empty());
}

TEST(RecommendationOptionsTest, Validate) {
  EXPECT_TRUE(RecommendationOptions{}.Validate().ok());
  RecommendationOptions o;
  o.consecutive_code_alarms = 0;
  EXPECT_FALSE(o.Validate().ok());
}

}  // namespace
}  // namespace statcoder::monitor
