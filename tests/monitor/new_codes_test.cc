#include "monitor/new_codes.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/random.h"
#include "monitor/recommendation.h"
#include "simulate.h"

namespace statcoder::monitor {
namespace {

// A reference whose model learned A1..A3 and B1 from training records; 2 of its 1,000 held-out
// records had a code outside them (a rare code that missed training).
Reference TrainedReference() {
  Reference ref;
  ref.heldout_n = 1000;
  ref.heldout_untrained = 2;
  ref.trained_codes = {"A1", "A2", "A3", "B1"};
  return ref;
}

data::CodeList TwoLevelCodes() {
  const std::string path =
      (std::filesystem::temp_directory_path() / "statcoder_new_codes_test.tsv").string();
  {
    std::ofstream out(path);
    out << "code\ttitle\tparent\nA\tGroup A\t\nB\tGroup B\t\nA1\ta1\tA\nA2\ta2\tA\nA3\ta3\tA\n"
           "B1\tb1\tB\nB2\tb2\tB\nB3\tb3\tB\n";
  }
  data::CodeListOptions options;
  options.parent_column = "parent";
  auto list = data::CodeList::Load(path, options);
  std::filesystem::remove(path);
  EXPECT_TRUE(list.ok()) << list.status().ToString();
  return std::move(list).value();
}

TEST(TrainedCodesTest, KnowsTrainedCodesAndTheirAncestors) {
  const data::CodeList codes = TwoLevelCodes();
  const TrainedCodes known(TrainedReference(), &codes);
  EXPECT_TRUE(known.recorded());
  EXPECT_TRUE(known.Knows("A2"));
  EXPECT_TRUE(known.Knows("A"));  // coded at a higher level: not a new code
  EXPECT_TRUE(known.Knows("B"));
  EXPECT_FALSE(known.Knows("B2"));  // in the code list, never in training
  EXPECT_FALSE(known.Knows("Z9"));
  const TrainedCodes no_list(TrainedReference(), nullptr);
  EXPECT_FALSE(no_list.Knows("A"));
  EXPECT_FALSE(TrainedCodes(Reference{}, &codes).recorded());
}

TEST(TrainedCodesTest, ReferenceJsonKeepsThemAndOlderReferencesRead) {
  core::Random rng(3);
  Reference ref = testing::SimulateReference(testing::DefaultWorld(), 100, rng);
  ref.trained_codes = {"A1", "B2"};
  ref.heldout_untrained = 3;
  const nlohmann::json j = ref.ToJson();
  core::Result<Reference> back = Reference::FromJson(j);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, ref);
  nlohmann::json old = j;
  old.erase("trained_codes");
  old.erase("heldout_untrained");
  back = Reference::FromJson(old);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(back->trained_codes.empty());
  for (const nlohmann::json& bad :
       {nlohmann::json::array({"B2", "A1"}), nlohmann::json::array({"A1", "A1"}),
        nlohmann::json::array({"A1", 7}), nlohmann::json("A1")}) {
    nlohmann::json k = j;
    k["trained_codes"] = bad;
    EXPECT_EQ(Reference::FromJson(k).status().code(), core::StatusCode::kInvalidInput) << bad;
  }
  nlohmann::json k = j;
  k["heldout_untrained"] = 101;
  EXPECT_EQ(Reference::FromJson(k).status().code(), core::StatusCode::kInvalidInput);
}

TEST(NewCodesTest, AlarmsOnEnoughReviewedRecordsWithUntrainedCodes) {
  const data::CodeList codes = TwoLevelCodes();
  const Reference ref = TrainedReference();
  const TrainedCodes known(ref, &codes);
  ReviewedCodes seen;
  for (int i = 0; i < 200; ++i) seen.Add("A1", !known.Knows("A1"));
  for (int i = 0; i < 4; ++i) seen.Add("B2", !known.Knows("B2"));
  NewCodeFinding f = TestNewCodes(ref, seen, NewCodeOptions{});
  EXPECT_TRUE(f.tested);
  EXPECT_FALSE(f.alarm) << "4 records are fewer than min_records 5";
  EXPECT_EQ(f.untrained, 4);
  for (int i = 0; i < 2; ++i) seen.Add("B3", !known.Knows("B3"));
  seen.Add("B", !known.Knows("B"));
  f = TestNewCodes(ref, seen, NewCodeOptions{});
  EXPECT_TRUE(f.alarm) << f.ToJson().dump(1);
  EXPECT_EQ(f.reviewed, 207);
  EXPECT_EQ(f.untrained, 6);
  EXPECT_NEAR(f.reference_share, 0.002, 1e-12);
  ASSERT_EQ(f.top_codes.size(), 2u);
  EXPECT_EQ(f.top_codes[0].first, "B2");
  EXPECT_EQ(f.top_codes[0].second, 4);
  EXPECT_NE(f.message.find("6 of 207 reviewed records"), std::string::npos) << f.message;
  EXPECT_NE(f.message.find("B2 (4), B3 (2)"), std::string::npos) << f.message;
  const nlohmann::json j = f.ToJson();
  EXPECT_EQ(j["codes"][0]["code"], "B2");
  EXPECT_EQ(j["alarm"], true);
}

TEST(NewCodesTest, ShareMustExceedTheReferenceRate) {
  Reference ref = TrainedReference();
  ref.heldout_untrained = 50;  // 5% of held-out records have codes that missed training
  ReviewedCodes seen;
  for (int i = 0; i < 94; ++i) seen.Add("A1", false);
  for (int i = 0; i < 6; ++i) seen.Add("Q1", true);  // 6%: only 1 point above the reference
  NewCodeOptions options;
  options.min_share = 0.02;
  EXPECT_FALSE(TestNewCodes(ref, seen, options).alarm);
  options.min_share = 0.005;
  EXPECT_TRUE(TestNewCodes(ref, seen, options).alarm);
}

TEST(NewCodesTest, NotTestedWithoutTrainedCodesOrReviews) {
  ReviewedCodes seen;
  seen.Add("B2", true);
  const NewCodeFinding old = TestNewCodes(Reference{}, seen, NewCodeOptions{});
  EXPECT_FALSE(old.tested);
  EXPECT_NE(old.note.find("trained before"), std::string::npos);
  const NewCodeFinding none = TestNewCodes(TrainedReference(), ReviewedCodes{}, NewCodeOptions{});
  EXPECT_FALSE(none.tested);
  EXPECT_NE(none.note.find("no reviewed record"), std::string::npos);
  NewCodeOptions bad;
  bad.min_records = 0;
  EXPECT_FALSE(bad.Validate().ok());
  bad = NewCodeOptions{};
  bad.min_share = 1;
  EXPECT_FALSE(bad.Validate().ok());
}

TEST(NewCodesTest, RecommendSaysRetrainFromTheFirstBatchWithNewCodes) {
  core::Random rng(11);
  const testing::World w = testing::DefaultWorld();
  Reference ref = testing::SimulateReference(w, 5000, rng);
  ref.trained_codes = w.codes;
  std::sort(ref.trained_codes.begin(), ref.trained_codes.end());
  ref.trained_codes.erase(std::remove(ref.trained_codes.begin(), ref.trained_codes.end(), "F5"),
                          ref.trained_codes.end());
  std::vector<BatchSummary> history;
  for (int b = 0; b < 5; ++b) {
    BatchSummary s = SummarizeBatch("b" + std::to_string(b), "2026-12-03T00:00:00Z", ref,
                                    testing::SimulateBatch(w, 1000, rng), DriftOptions{});
    s.reviewed_codes = ReviewedCodes{};
    for (int i = 0; i < 300; ++i) s.reviewed_codes->Add("A1", false);
    if (b >= 3) {
      for (int i = 0; i < 20; ++i) s.reviewed_codes->Add("F5", true);
    }
    history.push_back(std::move(s));
  }
  const Recommendation rec = Recommend(ref, history, RecommendationOptions{});
  EXPECT_EQ(rec.status, "retrain") << rec.ToJson().dump(1);
  EXPECT_EQ(rec.since_batch_index, 3);
  const auto e = std::find_if(rec.evidence.begin(), rec.evidence.end(),
                              [](const Evidence& x) { return x.rule == "new_codes"; });
  ASSERT_NE(e, rec.evidence.end());
  EXPECT_EQ(e->severity, "retrain");
  EXPECT_EQ(e->statistic, "reviewed_codes");
  EXPECT_EQ(e->since_batch_id, "b3");
  EXPECT_NE(e->message.find("F5 (20)"), std::string::npos) << e->message;
  EXPECT_NE(e->message.find("batch 'b4'"), std::string::npos) << e->message;
  // The same history without the coders' decisions: no new-code evidence.
  for (BatchSummary& s : history) s.reviewed_codes.reset();
  const Recommendation blind = Recommend(ref, history, RecommendationOptions{});
  for (const Evidence& x : blind.evidence) EXPECT_NE(x.rule, "new_codes");
  // ... unless batches an earlier model coded had them: since = this model's first batch.
  ReviewedCodes earlier;
  for (int i = 0; i < 100; ++i) earlier.Add("A1", false);
  for (int i = 0; i < 6; ++i) earlier.Add("F5", true);
  const Recommendation before = Recommend(ref, history, RecommendationOptions{}, &earlier);
  EXPECT_EQ(before.status, "retrain") << before.ToJson().dump(1);
  EXPECT_EQ(before.since_batch_index, 0);
  ASSERT_FALSE(before.evidence.empty());
  EXPECT_EQ(before.evidence[0].rule, "new_codes");
  EXPECT_NE(before.evidence[0].message.find("a batch coded by an earlier model"),
            std::string::npos)
      << before.evidence[0].message;
}

}  // namespace
}  // namespace statcoder::monitor
