// Crosswalk: loading and checking correspondence tables, and deriving one from dual-coded
// records.
#include "data/crosswalk.h"

#include <gtest/gtest.h>

#include "test_files.h"

namespace statcoder::data {
namespace {

using testing::WriteTestFile;

CodeList Codes(std::vector<std::string> codes) {
  std::vector<CodeList::Entry> entries;
  for (auto& c : codes) entries.push_back({c, "", "title " + c});
  return CodeList::FromEntries(std::move(entries)).value();
}

TEST(CrosswalkTest, LoadsPairsWithSharesOfEachFromCode) {
  const std::string path = WriteTestFile(
      "x.tsv", "soc2010\tsoc2020\tweight\n1121\t1121\t43\n1121\t1258\t2\n2136\t2134\t5\n");
  const auto x = Crosswalk::Load(path, {}, nullptr, nullptr);
  ASSERT_TRUE(x.ok()) << x.status().message();
  EXPECT_EQ(x->from_name(), "soc2010");
  EXPECT_EQ(x->to_name(), "soc2020");
  EXPECT_TRUE(x->weighted());
  ASSERT_EQ(x->TargetsOf("1121").size(), 2u);
  EXPECT_EQ(x->TargetsOf("1121")[0].code, "1121");
  EXPECT_NEAR(x->TargetsOf("1121")[0].share, 43.0 / 45.0, 1e-12);
  EXPECT_NEAR(x->TargetsOf("1121")[1].share, 2.0 / 45.0, 1e-12);
  EXPECT_EQ(x->TargetsOf("2136")[0].share, 1.0);
  EXPECT_TRUE(x->TargetsOf("9999").empty());
  EXPECT_EQ(x->from_size(), 2u);
  EXPECT_EQ(x->pairs()[1].line, 3u);
}

TEST(CrosswalkTest, WithoutWeightColumnEveryTargetIsEquallyLikely) {
  const std::string path = WriteTestFile("x.tsv", "old\tnew\nA\tX\nA\tY\nB\tY\n");
  const auto x = Crosswalk::Load(path, {}, nullptr, nullptr);
  ASSERT_TRUE(x.ok()) << x.status().message();
  EXPECT_FALSE(x->weighted());
  EXPECT_EQ(x->TargetsOf("A")[0].share, 0.5);
  const nlohmann::json s = x->Summary(nullptr, nullptr);
  EXPECT_EQ(s["pairs"], 3);
  EXPECT_EQ(s["from_codes_one_to_one"], 1);
  EXPECT_EQ(s["from_codes_split"], 1);
  EXPECT_EQ(s["to_codes_merged"], 1);  // Y from A and B
  EXPECT_EQ(s["most_targets_of_one_code"], 2);
}

TEST(CrosswalkTest, ColumnsCanBeNamedAndWeightsMayComeFirst) {
  const std::string path = WriteTestFile("x.csv", "weight,new,old\n2,X,A\n,Y,A\n");
  CrosswalkOptions options;
  options.from_column = "old";
  options.to_column = "new";
  const auto x = Crosswalk::Load(path, options, nullptr, nullptr);
  ASSERT_TRUE(x.ok()) << x.status().message();
  EXPECT_EQ(x->from_name(), "old");
  EXPECT_NEAR(x->TargetsOf("A")[0].share, 2.0 / 3.0, 1e-12);  // empty weight = 1
}

TEST(CrosswalkTest, AWeightColumnFirstIsNotTheFromColumn) {
  const auto x = Crosswalk::Load(WriteTestFile("x.tsv", "weight\told\tnew\n3\tA\tX\n1\tA\tY\n"),
                                 {}, nullptr, nullptr);
  ASSERT_TRUE(x.ok()) << x.status().message();
  EXPECT_EQ(x->from_name(), "old");
  EXPECT_EQ(x->to_name(), "new");
  EXPECT_NEAR(x->TargetsOf("A")[0].share, 0.75, 1e-12);
}

TEST(CrosswalkTest, FileWithoutHeaderIsReadAsPairsWhenItsFirstLineHoldsCodes) {
  const CodeList to = Codes({"X", "Y"});
  const std::string path = WriteTestFile("x.tsv", "A\tX\nA\tY\n");
  const auto x = Crosswalk::Load(path, {}, nullptr, &to);
  ASSERT_TRUE(x.ok()) << x.status().message();
  EXPECT_EQ(x->pairs().size(), 2u);
  EXPECT_EQ(x->from_name(), "from");
  EXPECT_EQ(x->TargetsOf("A").size(), 2u);
}

TEST(CrosswalkTest, BadTablesAreErrorsNamingFileLineAndColumn) {
  const CodeList to = Codes({"X", "Y"});
  struct Case {
    std::string content, wanted;
    const CodeList* to = nullptr;
  };
  const std::vector<Case> cases = {
      {"old\tnew\tweight\nA\tX\t1\nA\tX\t2\n", "x.tsv:3: pair 'A' → 'X' appears twice (lines 2 and 3)"},
      {"old\tnew\tweight\nA\tX\t0\n", "x.tsv:2: column 'weight': weight '0' must be a number > 0"},
      {"old\tnew\tweight\nA\tX\t-1\n", "x.tsv:2: column 'weight'"},
      {"old\tnew\tweight\nA\tX\tmany\n", "x.tsv:2: column 'weight': weight 'many'"},
      {"old\tnew\tweight\nA\tX\tinf\n", "x.tsv:2: column 'weight'"},
      {"old\tnew\nA\t\n", "x.tsv:2: column 'new' is empty"},
      {"old\tnew\nA\tZ\n", "x.tsv:2: column 'new': code 'Z' is not in the code list", &to},
      {"old\tnew\nA\tX\tY\n", "x.tsv:2"},
      {"old\tnew\n", "has no pairs"},
      {"old\n", "needs two code columns"},
  };
  for (const Case& c : cases) {
    const std::string path = WriteTestFile("x.tsv", c.content);
    const auto x = Crosswalk::Load(path, {}, nullptr, c.to);
    ASSERT_FALSE(x.ok()) << c.content;
    EXPECT_EQ(x.status().code(), core::StatusCode::kInvalidInput) << c.content;
    EXPECT_CONTAINS(x.status().message(), c.wanted);
  }
  const std::string path = WriteTestFile("x.tsv", "old\tnew\nA\tX\n");
  CrosswalkOptions options;
  options.from_column = "soc2010";
  EXPECT_EQ(Crosswalk::Load(path, options, nullptr, nullptr).status().code(),
            core::StatusCode::kNotFound);
  const CodeList from = Codes({"B"});
  const auto unknown_from = Crosswalk::Load(path, {}, &from, nullptr);
  EXPECT_CONTAINS(unknown_from.status().message(), "x.tsv:2: column 'old': code 'A' is not in");
}

TEST(CrosswalkTest, FingerprintIsThatOfThePairsNotOfTheFile) {
  const auto tsv = Crosswalk::Load(WriteTestFile("a.tsv", "o\tn\tweight\nA\tX\t2\nA\tY\t1\n"), {},
                                   nullptr, nullptr);
  const auto csv = Crosswalk::Load(WriteTestFile("b.csv", "o,n,weight\nA,X,2\nA,Y,1\n"), {},
                                   nullptr, nullptr);
  const auto other = Crosswalk::Load(WriteTestFile("c.tsv", "o\tn\tweight\nA\tX\t3\nA\tY\t1\n"),
                                     {}, nullptr, nullptr);
  ASSERT_TRUE(tsv.ok() && csv.ok() && other.ok());
  EXPECT_EQ(tsv->Fingerprint(), csv->Fingerprint());
  EXPECT_NE(tsv->Fingerprint(), other->Fingerprint());
  EXPECT_EQ(tsv->Fingerprint().size(), 64u);
}

TEST(CrosswalkTest, WrittenTableLoadsBackTheSame) {
  const auto x = Crosswalk::FromPairs("old", "new", {{"A", "X", 2.5, 0}, {"B", "X", 1, 0}});
  ASSERT_TRUE(x.ok());
  const std::string path = testing::TestDir() + "/w.tsv";
  ASSERT_TRUE(x->Write(path).ok());
  const auto back = Crosswalk::Load(path, {}, nullptr, nullptr);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->Fingerprint(), x->Fingerprint());
}

TEST(CrosswalkTest, CoverageCountsTheCodesOfEachListTheTableReaches) {
  const CodeList from = Codes({"A", "B", "C", "D"});
  const CodeList to = Codes({"X", "Y"});
  const auto x = Crosswalk::FromPairs("old", "new", {{"A", "X", 1, 0}, {"B", "X", 1, 0}});
  ASSERT_TRUE(x.ok());
  const nlohmann::json s = x->Summary(&from, &to);
  EXPECT_EQ(s["from_coverage"]["codes"], 4);
  EXPECT_EQ(s["from_coverage"]["in_table"], 2);
  EXPECT_DOUBLE_EQ(s["from_coverage"]["coverage"].get<double>(), 0.5);
  EXPECT_EQ(s["from_coverage"]["missing_examples"], nlohmann::json::array({"C", "D"}));
  EXPECT_EQ(s["to_coverage"]["in_table"], 1);
}

TEST(CrosswalkTest, DerivedTableCountsPairsAndKeepsBadRowsAside) {
  const CodeList to = Codes({"X", "Y"});
  const std::string path = WriteTestFile(
      "dual.tsv",
      "text\told\tnew\na\tA\tX\nb\tA\tX\nc\tA\tY\nd\tB\tY\ne\t\tX\nf\tB\tZ\ng\tB\n");
  const auto d = DeriveCrosswalk(path, "old", "new", {}, nullptr, &to);
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(d->rows, 7u);
  EXPECT_EQ(d->used, 4u);
  EXPECT_EQ(d->not_dual_coded, 1u);
  ASSERT_EQ(d->rejections.size(), 2u);
  EXPECT_CONTAINS(d->rejections[0].reason, "dual.tsv:7: column 'new': code 'Z' is not in");
  EXPECT_EQ(d->rejections[1].line, 8u);  // wrong column count
  const auto& pairs = d->crosswalk.pairs();
  ASSERT_EQ(pairs.size(), 3u);
  EXPECT_EQ(pairs[0].from, "A");
  EXPECT_EQ(pairs[0].to, "X");
  EXPECT_EQ(pairs[0].weight, 2.0);
  EXPECT_EQ(pairs[1].to, "Y");
  EXPECT_EQ(d->crosswalk.from_name(), "old");
  EXPECT_FALSE(DeriveCrosswalk(path, "old", "old", {}, nullptr, nullptr).ok());
  EXPECT_EQ(DeriveCrosswalk(path, "old", "nope", {}, nullptr, nullptr).status().code(),
            core::StatusCode::kNotFound);
}

}  // namespace
}  // namespace statcoder::data
