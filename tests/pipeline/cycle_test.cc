// When a cycle retrains ([cycle] in statcoder.toml, docs/cycle.md) and how its results are named.
#include "pipeline/cycle.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace statcoder::pipeline {
namespace {

workspace::CycleConfig Config(const std::string& retrain, int64_t every, int64_t min_reviewed) {
  workspace::CycleConfig c;
  c.retrain = retrain;
  c.retrain_every = every;
  c.min_new_reviewed = min_reviewed;
  return c;
}

TEST(RetrainReasonsTest, AutoRetrainsOnTheMonitorTheScheduleOrEnoughReviews) {
  const workspace::CycleConfig defaults;
  EXPECT_EQ(defaults.retrain, "auto");
  EXPECT_TRUE(RetrainReasons(defaults, "ok", 1, 0).empty());
  EXPECT_TRUE(RetrainReasons(defaults, "watch", 50, defaults.min_new_reviewed - 1).empty());
  ASSERT_EQ(RetrainReasons(defaults, "retrain", 1, 0).size(), 1u);
  EXPECT_NE(RetrainReasons(defaults, "retrain", 1, 0)[0].find("monitor"), std::string::npos);
  const std::vector<std::string> reviews =
      RetrainReasons(defaults, "ok", 1, defaults.min_new_reviewed);
  ASSERT_EQ(reviews.size(), 1u);
  EXPECT_NE(reviews[0].find("min_new_reviewed"), std::string::npos) << reviews[0];

  const workspace::CycleConfig monthly = Config("auto", 12, 0);  // yearly retraining, no reviews
  EXPECT_TRUE(RetrainReasons(monthly, "ok", 11, 1'000'000).empty());
  ASSERT_EQ(RetrainReasons(monthly, "ok", 12, 0).size(), 1u);
  EXPECT_NE(RetrainReasons(monthly, "ok", 12, 0)[0].find("retrain_every = 12"), std::string::npos);
  // Every reason that holds is given, for the journal.
  EXPECT_EQ(RetrainReasons(Config("auto", 2, 10), "retrain", 2, 10).size(), 3u);
}

TEST(RetrainReasonsTest, AlwaysAndNeverOverrideTheRules) {
  EXPECT_EQ(RetrainReasons(Config("always", 0, 0), "ok", 0, 0).size(), 1u);
  EXPECT_TRUE(RetrainReasons(Config("never", 1, 1), "retrain", 100, 100).empty());
}

TEST(CycleNamesTest, ResultsAndOutputPathsAreStable) {
  EXPECT_STREQ(CycleResultName(CycleResult::kDone), "done");
  EXPECT_STREQ(CycleResultName(CycleResult::kNothingToDo), "nothing_to_do");
  EXPECT_STREQ(CycleResultName(CycleResult::kWaiting), "waiting");
  EXPECT_EQ(CycleOutputPath(7), "cycles/7/coded.tsv");
}

}  // namespace
}  // namespace statcoder::pipeline
