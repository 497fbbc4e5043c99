#include "quality/coding_summary.h"

#include <gtest/gtest.h>

#include <string>

namespace statcoder::quality {
namespace {

using nlohmann::json;

LevelOutcome Level(int depth, const std::string& name, double threshold, uint64_t records,
                   uint64_t right, bool full_code = false) {
  LevelOutcome l;
  l.depth = depth;
  l.name = name;
  l.full_code = full_code;
  l.threshold = threshold;
  l.auto_records = records;
  l.auto_right = right;
  return l;
}

// SOC-like: detailed (full code), broad, minor, major; 1,000 records, target 95%.
CodingOutcome Soc(LevelOutcome full, LevelOutcome broad, LevelOutcome minor, LevelOutcome major) {
  CodingOutcome o;
  o.target_precision = 0.95;
  o.records = 1000;
  o.levels = {full, broad, minor, major};
  return o;
}

std::string Sentence(const json& summary, const std::string& id) {
  for (const json& s : summary["sentences"]) {
    if (s["id"] == id) return s["text"];
  }
  ADD_FAILURE() << "no sentence '" << id << "' in " << summary["sentences"];
  return "";
}

bool Warning(const json& summary, const std::string& id) {
  for (const json& s : summary["sentences"]) {
    if (s["id"] == id) return s["warning"];
  }
  return false;
}

bool StartsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

TEST(CodingSummary, NormalCaseSaysHowMuchAtWhichLevelAndThatPrecisionHeld) {
  const CodingOutcome o =
      Soc(Level(4, "detailed", 0.81, 380, 370, true), Level(3, "broad", 0.9, 110, 106),
          Level(2, "minor", 0.93, 100, 97), Level(1, "major", model::kNeverAuto, 0, 0));
  const json s = CodingSummaryJson(o, SummaryOptions{});
  EXPECT_EQ(Sentence(s, "coverage"),
            "At the 95% target precision, 59.0% of the 1,000 evaluated records (590) are coded "
            "automatically, 38.0% (380) to their full code.");
  EXPECT_EQ(Sentence(s, "levels"),
            "By level: 38.0% (380) are coded to the full code (detailed), 21.0% (210) to a "
            "coarser level: 11.0% (110) at the broad level, 10.0% (100) at the minor level "
            "(threshold never at the major level: nothing is coded there); 41.0% (410) go to a "
            "coder.");
  const std::string precision = Sentence(s, "precision");
  EXPECT_TRUE(StartsWith(precision,
                         "The promised precision held on these records: 97.1% of the 590 records "
                         "coded automatically were right (target 95%, 95% interval "))
      << precision;
  EXPECT_NE(precision.find("and it held at each level with at least 30 records"), std::string::npos)
      << precision;
  EXPECT_FALSE(Warning(s, "precision"));

  // The numbers the sentences come from.
  EXPECT_EQ(s["precision_held"], true);
  EXPECT_TRUE(s["shortfalls"].empty());
  EXPECT_EQ(s["auto_records"], 590);
  EXPECT_DOUBLE_EQ(s["auto_rate"].get<double>(), 0.59);
  EXPECT_DOUBLE_EQ(s["full_code_auto_rate"].get<double>(), 0.38);
  EXPECT_EQ(s["coarser_auto_records"], 210);
  EXPECT_EQ(s["referred_records"], 410);
  ASSERT_EQ(s["levels"].size(), 4u);
  const json& full = s["levels"][0];
  EXPECT_EQ(full["full_code"], true);
  EXPECT_EQ(full["depth"], 4);
  EXPECT_DOUBLE_EQ(full["threshold"].get<double>(), 0.81);
  EXPECT_EQ(full["never"], false);
  EXPECT_EQ(full["held"], true);
  // Operating points accumulate in the order the policy tries the levels.
  const json& broad = s["levels"][1];
  EXPECT_EQ(broad["cumulative_auto_records"], 490);
  EXPECT_DOUBLE_EQ(broad["cumulative_auto_rate"].get<double>(), 0.49);
  EXPECT_DOUBLE_EQ(broad["cumulative_precision"].get<double>(), 476.0 / 490.0);
  const json& major = s["levels"][3];
  EXPECT_EQ(major["never"], true);
  EXPECT_DOUBLE_EQ(major["threshold"].get<double>(), model::kNeverAuto);  // numeric, as stored
  EXPECT_TRUE(major["precision"].is_null());
  EXPECT_TRUE(major["held"].is_null());
  EXPECT_EQ(major["checked"], false);
}

TEST(CodingSummary, PrecisionBelowTheTargetIsFlaggedWithByHowMuchAndHowManyRecords) {
  const CodingOutcome o =
      Soc(Level(4, "detailed", 0.7, 400, 360, true), Level(3, "broad", model::kNeverAuto, 0, 0),
          Level(2, "minor", model::kNeverAuto, 0, 0), Level(1, "major", model::kNeverAuto, 0, 0));
  const json s = CodingSummaryJson(o, SummaryOptions{});
  const std::string precision = Sentence(s, "precision");
  EXPECT_TRUE(StartsWith(precision,
                         "Warning: the promised precision did not hold on these records: 90.0% "
                         "of the 400 records coded automatically were right, 5.0 points below "
                         "the 95% target (95% interval "))
      << precision;
  // 360 of 400 is far enough below 95% for the whole interval to be below it.
  EXPECT_NE(precision.find("all below the target"), std::string::npos) << precision;
  EXPECT_TRUE(Warning(s, "precision"));
  EXPECT_EQ(s["precision_held"], false);
  // Every auto-coded record is a full code: the level's shortfall is the overall one, said once.
  ASSERT_EQ(s["shortfalls"].size(), 1u) << s["shortfalls"];
  EXPECT_EQ(s["shortfalls"][0]["scope"], "overall");
  EXPECT_EQ(s["shortfalls"][0]["records"], 400);
  EXPECT_NEAR(s["shortfalls"][0]["shortfall"].get<double>(), 0.05, 1e-12);
  EXPECT_EQ(s["levels"][0]["held"], false);
  EXPECT_EQ(Sentence(s, "levels"),
            "By level: 40.0% (400) are coded to the full code (detailed), none to a coarser level "
            "(threshold never at the broad, minor and major levels: nothing is coded there); "
            "60.0% (600) go to a coder.");
}

TEST(CodingSummary, ALevelBelowTheTargetIsFlaggedEvenWhenTheWholeHeld) {
  SummaryOptions options;
  options.min_level_records = 30;
  // Overall 538 / 560 = 96.1%; the broad level 44 / 50 = 88%; the minor level is worse still
  // but has too few records to tell.
  const CodingOutcome o =
      Soc(Level(4, "detailed", 0.8, 500, 490, true), Level(3, "broad", 0.9, 50, 44),
          Level(2, "minor", 0.9, 10, 4), Level(1, "major", model::kNeverAuto, 0, 0));
  const json s = CodingSummaryJson(o, options);
  const std::string precision = Sentence(s, "precision");
  EXPECT_TRUE(StartsWith(precision,
                         "Warning: the promised precision did not hold on these records: overall "
                         "96.1% of the 560 records coded automatically were right (target 95%), "
                         "but at one level it fell short: 88.0% of the 50 records coded at the "
                         "broad level were right, 7.0 points below the 95% target"))
      << precision;
  EXPECT_EQ(precision.find("minor"), std::string::npos) << precision;
  EXPECT_TRUE(Warning(s, "precision"));
  EXPECT_EQ(s["precision_held"], false);
  ASSERT_EQ(s["shortfalls"].size(), 1u);
  EXPECT_EQ(s["shortfalls"][0]["name"], "broad");
  EXPECT_EQ(s["levels"][1]["held"], false);
  EXPECT_EQ(s["levels"][2]["checked"], false);
  EXPECT_TRUE(s["levels"][2]["held"].is_null());
}

TEST(CodingSummary, FullCodeWithThresholdNeverSaysSo) {
  const CodingOutcome o =
      Soc(Level(4, "detailed", model::kNeverAuto, 0, 0, true), Level(3, "broad", 0.9, 200, 196),
          Level(2, "minor", model::kNeverAuto, 0, 0), Level(1, "major", 0.95, 0, 0));
  const json s = CodingSummaryJson(o, SummaryOptions{});
  EXPECT_EQ(Sentence(s, "coverage"),
            "At the 95% target precision, 20.0% of the 1,000 evaluated records (200) are coded "
            "automatically, none to their full code.");
  EXPECT_EQ(Sentence(s, "levels"),
            "By level: no record is coded to the full code (detailed), whose threshold is never "
            "reached at this target; 20.0% (200) are coded to a coarser level: 20.0% (200) at the "
            "broad level, 0.0% (0) at the major level (threshold never at the minor level: "
            "nothing is coded there); 80.0% (800) go to a coder.");
  EXPECT_EQ(s["levels"][0]["never"], true);
  EXPECT_EQ(s["precision_held"], true);
  EXPECT_FALSE(Warning(s, "precision"));
}

TEST(CodingSummary, NothingAutoCodedAndNoCodeList) {
  CodingOutcome o;
  o.target_precision = 0.99;
  o.records = 861;
  o.levels = {Level(1, "", model::kNeverAuto, 0, 0, true)};
  const json s = CodingSummaryJson(o, SummaryOptions{});
  EXPECT_EQ(Sentence(s, "coverage"),
            "At the 99% target precision, none of the 861 evaluated records is coded "
            "automatically: all go to a coder.");
  EXPECT_EQ(Sentence(s, "levels"),
            "The full code is never coded automatically at this target (threshold never), and "
            "without a code list there is no coarser level to code to; 100.0% (861) of the "
            "records go to a coder.");
  EXPECT_EQ(Sentence(s, "precision"),
            "Nothing was coded automatically, so there is no precision to check against the 99% "
            "target.");
  EXPECT_TRUE(s["precision_held"].is_null());
  EXPECT_TRUE(s["auto_precision"].is_null());
  EXPECT_FALSE(Warning(s, "precision"));

  // An odd target keeps its decimals; a level without a name is "level N".
  o.target_precision = 0.975;
  o.levels = {Level(2, "level 2", 0.5, 100, 90, true), Level(1, "level 1", 0.6, 0, 0)};
  const json t = CodingSummaryJson(o, SummaryOptions{});
  EXPECT_NE(Sentence(t, "coverage").find("97.5% target"), std::string::npos);
  EXPECT_NE(Sentence(t, "levels").find("0.0% (0) at level 1;"), std::string::npos)
      << Sentence(t, "levels");
}

TEST(CodingSummary, ThresholdTextSaysNeverForAThresholdNoCutReaches) {
  EXPECT_EQ(ThresholdText(model::kNeverAuto), "never");
  EXPECT_EQ(ThresholdText(1.5), "never");
  EXPECT_EQ(ThresholdText(1.0), "1.000");
  EXPECT_EQ(ThresholdText(0.81234), "0.812");
  EXPECT_EQ(ThresholdText(0.81234, 4), "0.8123");
}

}  // namespace
}  // namespace statcoder::quality
