// Promotion gates judge a quality report (report_v1.md) against statcoder.toml's [gates].
#include "registry/gates.h"

#include <gtest/gtest.h>

#include "kb/knowledge_base.h"

namespace statcoder::registry {
namespace {

nlohmann::json Report(double top1, double auto_rate_95, double ece,
                      nlohmann::json flagged = nlohmann::json::array()) {
  return {{"accuracy", {{"top1", {{"value", top1}, {"low", top1 - 0.01}, {"high", top1 + 0.01}}}}},
          {"coding", {{"auto_rate_at_precision", {{"0.95", {{"auto_rate", auto_rate_95}}}}}}},
          {"calibration", {{"ece", {{"equal_width", {{"before", 0.1}, {"after", ece}}}}}}},
          {"subgroups", {{"field", "mode"}, {"flagged_groups", flagged}}}};
}

const GateCheck* Find(const GateVerdict& v, const std::string& name) {
  for (const auto& c : v.checks) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

TEST(GatesTest, UnsetGatesAreNotCheckedAndFlaggedSubgroupsBlockByDefault) {
  workspace::GateConfig gates;
  GateVerdict v = CheckQualityGates(gates, Report(0.5, 0.1, 0.2));
  EXPECT_TRUE(v.passed);
  EXPECT_EQ(Find(v, "min_accuracy"), nullptr);
  ASSERT_NE(Find(v, "subgroups"), nullptr);
  v = CheckQualityGates(gates, Report(0.5, 0.1, 0.2, {"phone"}));
  EXPECT_FALSE(v.passed);
  EXPECT_FALSE(Find(v, "subgroups")->passed);
  gates.allow_flagged_subgroups = true;
  EXPECT_TRUE(CheckQualityGates(gates, Report(0.5, 0.1, 0.2, {"phone"})).passed);
}

TEST(GatesTest, EachThresholdIsCheckedWithItsValues) {
  workspace::GateConfig gates;
  gates.min_accuracy = 0.8;
  gates.min_auto_rate = 0.5;
  gates.max_ece = 0.03;
  GateVerdict v = CheckQualityGates(gates, Report(0.85, 0.55, 0.02));
  EXPECT_TRUE(v.passed) << v.ToJson().dump(2);
  v = CheckQualityGates(gates, Report(0.79, 0.55, 0.04));
  EXPECT_FALSE(v.passed);
  EXPECT_FALSE(Find(v, "min_accuracy")->passed);
  EXPECT_DOUBLE_EQ(Find(v, "min_accuracy")->actual.get<double>(), 0.79);
  EXPECT_TRUE(Find(v, "min_auto_rate")->passed);
  EXPECT_FALSE(Find(v, "max_ece")->passed);
  // Exactly at the bound passes.
  EXPECT_TRUE(CheckQualityGates(gates, Report(0.8, 0.5, 0.03)).passed);
}

TEST(GatesTest, AFigureMissingFromTheReportFailsItsGate) {
  workspace::GateConfig gates;
  gates.min_auto_rate = 0.1;
  gates.target_precision = 0.99;  // the report only has 0.95
  const GateVerdict v = CheckQualityGates(gates, Report(0.9, 0.5, 0.01));
  EXPECT_FALSE(v.passed);
  EXPECT_TRUE(Find(v, "min_auto_rate")->actual.is_null());
  EXPECT_NE(Find(v, "min_auto_rate")->detail.find("not in the quality report"), std::string::npos);
}

TEST(KnowledgeBaseKeyTest, KeysIgnoreCaseWidthAndSpacing) {
  EXPECT_EQ(*kb::KeyOf({"  Dairy   Department MANAGER "}), "dairy department manager");
  EXPECT_EQ(*kb::KeyOf({"Ｒｅｔａｉｌ", "Straße"}), "retail | strasse");
  EXPECT_FALSE(kb::KeyOf({std::string("bad \xff utf8")}).ok());
}

}  // namespace
}  // namespace statcoder::registry
