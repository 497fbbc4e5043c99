#include "data/code_list.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_files.h"

namespace statcoder::data {
namespace {

using core::StatusCode;
using ::statcoder::data::testing::TestdataPath;
using ::statcoder::data::testing::WriteTestFile;

// The code of `code`'s parent, "" for a top-level code, "?" when `code` is unknown.
std::string ParentOf(const CodeList& list, const std::string& code) {
  const int32_t i = list.Find(code);
  if (i < 0) return "?";
  const int32_t p = list.node(i).parent;
  return p < 0 ? "" : list.node(p).code;
}

int DepthOf(const CodeList& list, const std::string& code) {
  const int32_t i = list.Find(code);
  return i < 0 ? -1 : list.node(i).depth;
}

CodeList LoadOrDie(const std::string& path, const CodeListOptions& options = {}) {
  auto list = CodeList::Load(path, options);
  EXPECT_TRUE(list.ok()) << list.status().ToString();
  return list.ok() ? *std::move(list) : CodeList();
}

TEST(CodeListTest, NaicsParentsComeFromPrefixesAndSectorRanges) {
  const CodeList naics = LoadOrDie(TestdataPath("naics2022_structure_excerpt.tsv"));
  EXPECT_EQ(naics.size(), 34u);
  EXPECT_EQ(ParentOf(naics, "11"), "");
  EXPECT_EQ(ParentOf(naics, "111"), "11");
  EXPECT_EQ(ParentOf(naics, "111110"), "11111");
  EXPECT_EQ(ParentOf(naics, "31-33"), "");
  EXPECT_EQ(ParentOf(naics, "311"), "31-33");
  EXPECT_EQ(ParentOf(naics, "321"), "31-33");
  EXPECT_EQ(ParentOf(naics, "441"), "44-45");
  EXPECT_EQ(ParentOf(naics, "455"), "44-45");
  EXPECT_EQ(ParentOf(naics, "481"), "48-49");
  EXPECT_EQ(naics.node(naics.Find("311")).title, "Food Manufacturing");
  EXPECT_EQ(naics.max_depth(), 5);
  EXPECT_EQ(DepthOf(naics, "31-33"), 1);
  EXPECT_EQ(DepthOf(naics, "311111"), 5);
}

TEST(CodeListTest, RangeDoesNotCaptureACodeThatSpellsItsDigits) {
  // "3133" reads like "31-33" without the dash, but is a 4-digit industry group under "313".
  const CodeList naics = LoadOrDie(TestdataPath("naics2022_structure_excerpt.tsv"));
  EXPECT_EQ(ParentOf(naics, "3133"), "313");
  EXPECT_EQ(ParentOf(naics, "31331"), "3133");
  EXPECT_EQ(DepthOf(naics, "313310"), 5);
}

TEST(CodeListTest, ChildrenAreInFileOrder) {
  const CodeList naics = LoadOrDie(TestdataPath("naics2022_structure_excerpt.tsv"));
  std::vector<std::string> children;
  for (const int32_t c : naics.node(naics.Find("31-33")).children) {
    children.push_back(naics.node(c).code);
  }
  EXPECT_EQ(children, (std::vector<std::string>{"311", "313", "321"}));
}

TEST(CodeListTest, NumericLevelColumnGivesNumberedLevelNames) {
  const CodeList naics = LoadOrDie(TestdataPath("naics2022_structure_excerpt.tsv"));
  EXPECT_EQ(naics.LevelName(1), "level 1");
  EXPECT_EQ(naics.LevelName(5), "level 5");
  EXPECT_EQ(naics.LevelName(9), "level 9");
}

TEST(CodeListTest, SocExtendedCodesHangUnderTheirUnitGroupAndLevelsAreNamed) {
  const CodeList soc = LoadOrDie(TestdataPath("soc2020_structure_excerpt.tsv"));
  EXPECT_EQ(soc.size(), 14u);
  EXPECT_EQ(ParentOf(soc, "1111/01"), "1111");
  EXPECT_EQ(ParentOf(soc, "2111/02"), "2111");
  EXPECT_EQ(ParentOf(soc, "11"), "1");
  EXPECT_EQ(ParentOf(soc, "1"), "");
  EXPECT_EQ(soc.max_depth(), 5);
  EXPECT_EQ(DepthOf(soc, "1111/01"), 5);
  EXPECT_EQ(soc.level_names(),
            (std::vector<std::string>{"major", "sub_major", "minor", "unit", "sub_unit_ext"}));
  EXPECT_EQ(soc.LevelName(4), "unit");
}

TEST(CodeListTest, ExplicitParentColumnMayNameAParentThatComesLater) {
  CodeListOptions options;
  options.parent_column = "parent";
  const CodeList sic = LoadOrDie(TestdataPath("uksic2007_parents_excerpt.csv"), options);
  EXPECT_EQ(sic.size(), 7u);
  EXPECT_EQ(ParentOf(sic, "01.11"), "01.1");
  EXPECT_EQ(ParentOf(sic, "01"), "A");
  EXPECT_EQ(ParentOf(sic, "A"), "");
  EXPECT_EQ(DepthOf(sic, "01.11"), 4);
  EXPECT_EQ(sic.node(sic.Find("A")).title, "AGRICULTURE, FORESTRY AND FISHING");
  EXPECT_EQ(sic.max_depth(), 4);
}

TEST(CodeListTest, AColumnNamedParentIsUsedWithoutBeingNamed) {
  // SOC 2018 style: "11-1010" is the parent of "11-1011" but not a prefix of it.
  const CodeList list = LoadOrDie(
      WriteTestFile("soc.tsv", "code\tparent\ttitle\n11-0000\t\tManagement\n"
                               "11-1010\t11-0000\tChief executives\n11-1011\t11-1010\tCEO\n"));
  EXPECT_EQ(ParentOf(list, "11-1011"), "11-1010");
  EXPECT_EQ(ParentOf(list, "11-1010"), "11-0000");
  EXPECT_EQ(DepthOf(list, "11-1011"), 3);
}

TEST(CodeListTest, PrefixesCompareOnlyLettersAndDigits) {
  const CodeList list =
      LoadOrDie(WriteTestFile("p.tsv", "code\n01\n01.1\n01.11\n11-1000\n11-1011\n11-101\nA\nA1\n"));
  EXPECT_EQ(ParentOf(list, "01.1"), "01");
  EXPECT_EQ(ParentOf(list, "01.11"), "01.1");
  EXPECT_EQ(ParentOf(list, "11-1011"), "11-101");
  EXPECT_EQ(ParentOf(list, "11-1000"), "");  // "111000": no code spells "11100", "1110", ...
  EXPECT_EQ(ParentOf(list, "A1"), "A");
}

TEST(CodeListTest, AWideDashedCodeIsNotARange) {
  const CodeList list = LoadOrDie(WriteTestFile("w.tsv", "code\n100\n100-300\n"));
  EXPECT_EQ(ParentOf(list, "100-300"), "100");
}

TEST(CodeListTest, AmbiguousPrefixWithoutLevelsIsAnError) {
  auto list = CodeList::Load(WriteTestFile("a.tsv", "code\n31-33\n31\n311\n"), {});
  ASSERT_FALSE(list.ok());
  EXPECT_EQ(list.status().code(), StatusCode::kInvalidInput);
  EXPECT_CONTAINS(list.status().message(),
                  "a.tsv:4: the parent of code '311' is ambiguous: '31-33' (");
  EXPECT_CONTAINS(list.status().message(), "level column");
}

TEST(CodeListTest, LevelColumnResolvesAnAmbiguousPrefix) {
  const CodeList list =
      LoadOrDie(WriteTestFile("a.tsv", "code\tdigits\n31-33\t1\n31\t2\n311\t3\n32\t2\n321\t3\n"));
  EXPECT_EQ(ParentOf(list, "31"), "");
  EXPECT_EQ(ParentOf(list, "311"), "31");
  EXPECT_EQ(ParentOf(list, "321"), "32");  // only one candidate: the level is not needed
}

TEST(CodeListTest, MissingParentIsAnErrorNamingFileAndLine) {
  CodeListOptions options;
  options.parent_column = "parent";
  auto list = CodeList::Load(WriteTestFile("m.tsv", "code\tparent\n1\t\n11\t1\n12\t9\n"), options);
  ASSERT_FALSE(list.ok());
  EXPECT_EQ(list.status().code(), StatusCode::kInvalidInput);
  EXPECT_CONTAINS(list.status().message(),
                  "m.tsv:4: parent '9' of code '12' is not in the code list");
}

TEST(CodeListTest, DuplicateCodeIsAnErrorNamingBothLines) {
  auto list = CodeList::Load(WriteTestFile("d.tsv", "code\ttitle\n1\ta\n11\tb\n1\tc\n"), {});
  ASSERT_FALSE(list.ok());
  EXPECT_EQ(list.status().code(), StatusCode::kInvalidInput);
  EXPECT_CONTAINS(list.status().message(), "d.tsv:4: code '1' appears twice (lines 2 and 4)");
}

TEST(CodeListTest, CycleIsAnErrorNamingTheChain) {
  CodeListOptions options;
  options.parent_column = "parent";
  auto list =
      CodeList::Load(WriteTestFile("c.tsv", "code\tparent\nT\t\na\tc\nb\ta\nc\tb\n"), options);
  ASSERT_FALSE(list.ok());
  EXPECT_EQ(list.status().code(), StatusCode::kInvalidInput);
  EXPECT_CONTAINS(list.status().message(),
                  "c.tsv:3: code 'a' is its own ancestor (a -> c -> b -> a)");
}

TEST(CodeListTest, CodeThatIsItsOwnParentIsACycle) {
  CodeListOptions options;
  options.parent_column = "parent";
  auto list = CodeList::Load(WriteTestFile("c.tsv", "code\tparent\nx\tx\n"), options);
  ASSERT_FALSE(list.ok());
  EXPECT_CONTAINS(list.status().message(), "code 'x' is its own ancestor (x -> x)");
}

TEST(CodeListTest, EmptyCodeIsAnError) {
  auto list = CodeList::Load(WriteTestFile("e.tsv", "code\ttitle\n1\ta\n\tb\n"), {});
  ASSERT_FALSE(list.ok());
  EXPECT_EQ(list.status().code(), StatusCode::kInvalidInput);
  EXPECT_CONTAINS(list.status().message(), "e.tsv:3: column 'code' is empty");
}

TEST(CodeListTest, CodeWithSurroundingSpacesIsAnError) {
  auto list = CodeList::Load(WriteTestFile("s.tsv", "code\n1\n11 \n"), {});
  ASSERT_FALSE(list.ok());
  EXPECT_CONTAINS(list.status().message(), "s.tsv:3: code '11 ' has leading or trailing spaces");
}

TEST(CodeListTest, CodeWithoutLettersOrDigitsCannotHaveAnInferredParent) {
  auto list = CodeList::Load(WriteTestFile("s.tsv", "code\n1\n--\n"), {});
  ASSERT_FALSE(list.ok());
  EXPECT_CONTAINS(list.status().message(), "s.tsv:3: code '--' has no letters or digits");
}

TEST(CodeListTest, MissingCodeColumnIsNotFound) {
  CodeListOptions options;
  options.code_column = "naics";
  auto list = CodeList::Load(TestdataPath("naics2022_structure_excerpt.tsv"), options);
  ASSERT_FALSE(list.ok());
  EXPECT_EQ(list.status().code(), StatusCode::kNotFound);
  EXPECT_CONTAINS(list.status().message(), "has no column 'naics'; columns present: 'code'");
}

TEST(CodeListTest, NamedParentOrLevelColumnThatIsMissingIsNotFound) {
  CodeListOptions options;
  options.parent_column = "parent";
  EXPECT_EQ(
      CodeList::Load(TestdataPath("naics2022_structure_excerpt.tsv"), options).status().code(),
      StatusCode::kNotFound);
  options = {};
  options.level_column = "rank";
  EXPECT_EQ(
      CodeList::Load(TestdataPath("naics2022_structure_excerpt.tsv"), options).status().code(),
      StatusCode::kNotFound);
}

TEST(CodeListTest, MissingTitleColumnMeansNoTitles) {
  const CodeList list = LoadOrDie(WriteTestFile("t.tsv", "code\n1\n11\n"));
  EXPECT_EQ(list.size(), 2u);
  EXPECT_EQ(list.node(1).title, "");
}

TEST(CodeListTest, BadRecordInACodeListIsFatal) {
  auto list = CodeList::Load(WriteTestFile("b.tsv", "code\ttitle\n1\ta\n11\n"), {});
  ASSERT_FALSE(list.ok());
  EXPECT_EQ(list.status().code(), StatusCode::kInvalidInput);
  EXPECT_CONTAINS(list.status().message(), "b.tsv:3: expected 2 columns, found 1");
}

TEST(CodeListTest, HeaderOnlyCodeListIsAnError) {
  auto list = CodeList::Load(WriteTestFile("h.tsv", "code\ttitle\n"), {});
  ASSERT_FALSE(list.ok());
  EXPECT_CONTAINS(list.status().message(), "has a header but no codes");
}

TEST(CodeListTest, LoadsJsonLines) {
  const CodeList list = LoadOrDie(WriteTestFile(
      "l.jsonl", "{\"code\":\"1\",\"title\":\"One\"}\n{\"code\":\"11\",\"title\":\"Eleven\"}\n"));
  EXPECT_EQ(ParentOf(list, "11"), "1");
  EXPECT_EQ(list.node(list.Find("11")).title, "Eleven");
}

TEST(CodeListTest, FindReturnsMinusOneForAnUnknownCode) {
  const CodeList naics = LoadOrDie(TestdataPath("naics2022_structure_excerpt.tsv"));
  EXPECT_GE(naics.Find("111110"), 0);
  EXPECT_EQ(naics.Find("999999"), -1);
  EXPECT_EQ(naics.Find(""), -1);
}

TEST(CodeListTest, AncestorAtDepthWalksUpTheTree) {
  const CodeList naics = LoadOrDie(TestdataPath("naics2022_structure_excerpt.tsv"));
  const int32_t soy = naics.Find("111110");
  EXPECT_EQ(naics.node(naics.AncestorAtDepth(soy, 1)).code, "11");
  EXPECT_EQ(naics.node(naics.AncestorAtDepth(soy, 3)).code, "1111");
  EXPECT_EQ(naics.AncestorAtDepth(soy, 5), soy);
  EXPECT_EQ(naics.AncestorAtDepth(soy, 6), -1);
  EXPECT_EQ(naics.AncestorAtDepth(soy, 0), -1);
  EXPECT_EQ(naics.AncestorAtDepth(-1, 1), -1);
  EXPECT_EQ(naics.node(naics.AncestorAtDepth(naics.Find("311111"), 1)).code, "31-33");
  EXPECT_EQ(naics.AncestorAtDepth(naics.Find("311"), 3), -1);
}

TEST(CodeListTest, FingerprintIsPinned) {
  // A change here changes every model's recorded classification: only on purpose.
  auto list = CodeList::FromEntries({{"1", "", "Managers"}, {"11", "1", "Chief executives"}});
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->Fingerprint(),
            "f2c862cedeeefbfe3ac8e5d77941382cb78ce2fc8f91beb9ce95e2fb3fd61c43");
}

TEST(CodeListTest, FingerprintDependsOnContentNotOnFileShape) {
  const CodeList tsv = LoadOrDie(WriteTestFile("f.tsv", "title\tcode\nOne\t1\nEleven\t11\n"));
  const CodeList csv = LoadOrDie(WriteTestFile("f.csv", "code,title\n1,One\n11,\"Eleven\"\n"));
  EXPECT_EQ(tsv.Fingerprint(), csv.Fingerprint());
  EXPECT_EQ(tsv.Fingerprint().size(), 64u);
  const CodeList retitled = LoadOrDie(WriteTestFile("g.tsv", "code\ttitle\n1\tOne\n11\tTen\n"));
  EXPECT_NE(tsv.Fingerprint(), retitled.Fingerprint());
  auto flat = CodeList::FromEntries({{"1", "", "One"}, {"11", "", "Eleven"}});
  ASSERT_TRUE(flat.ok());
  EXPECT_NE(tsv.Fingerprint(), flat->Fingerprint());
  // Moving text between fields must not collide.
  auto a = CodeList::FromEntries({{"1", "", "ab"}});
  auto b = CodeList::FromEntries({{"1a", "", "b"}});
  EXPECT_NE(a->Fingerprint(), b->Fingerprint());
}

TEST(CodeListTest, ToEntriesRoundTripsThroughFromEntries) {
  const CodeList soc = LoadOrDie(TestdataPath("soc2020_structure_excerpt.tsv"));
  auto copy = CodeList::FromEntries(soc.ToEntries());
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  EXPECT_EQ(copy->Fingerprint(), soc.Fingerprint());
  EXPECT_EQ(copy->size(), soc.size());
  EXPECT_EQ(copy->max_depth(), 5);
  EXPECT_EQ(ParentOf(*copy, "1111/01"), "1111");
  EXPECT_EQ(copy->source(), "");
  EXPECT_EQ(soc.source(), TestdataPath("soc2020_structure_excerpt.tsv"));
}

TEST(CodeListTest, FromEntriesRestoresLevelNames) {
  const CodeList soc = LoadOrDie(TestdataPath("soc2020_structure_excerpt.tsv"));
  auto copy = CodeList::FromEntries(soc.ToEntries(), soc.level_names());
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  EXPECT_EQ(copy->level_names(), soc.level_names());
  EXPECT_EQ(copy->LevelName(4), "unit");
  auto partial = CodeList::FromEntries(soc.ToEntries(), {"major", ""});
  ASSERT_TRUE(partial.ok());
  EXPECT_EQ(partial->LevelName(1), "major");
  EXPECT_EQ(partial->LevelName(2), "level 2");
  EXPECT_EQ(partial->LevelName(3), "level 3");
  auto too_many = CodeList::FromEntries({{"1", "", ""}}, {"a", "b"});
  EXPECT_EQ(too_many.status().code(), core::StatusCode::kInvalidInput);
}

TEST(CodeListTest, FromEntriesErrorsNameTheEntry) {
  auto missing = CodeList::FromEntries({{"1", "", ""}, {"11", "2", ""}});
  ASSERT_FALSE(missing.ok());
  EXPECT_CONTAINS(missing.status().message(), "code list entry 2: parent '2' of code '11'");
  auto dup = CodeList::FromEntries({{"1", "", ""}, {"1", "", ""}});
  ASSERT_FALSE(dup.ok());
  EXPECT_CONTAINS(dup.status().message(),
                  "code list entry 2: code '1' appears twice (also at code list entry 1)");
  auto empty = CodeList::FromEntries({{"", "", ""}});
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidInput);
}

}  // namespace
}  // namespace statcoder::data
