#include "data/dataset.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/content_hash.h"
#include "core/file_util.h"
#include "test_files.h"

namespace statcoder::data {
namespace {

using core::StatusCode;
using ::statcoder::data::testing::TestdataPath;
using ::statcoder::data::testing::TestDir;
using ::statcoder::data::testing::WriteTestFile;

CodeList Naics() {
  auto list = CodeList::Load(TestdataPath("naics2022_structure_excerpt.tsv"), {});
  EXPECT_TRUE(list.ok()) << list.status().ToString();
  return list.ok() ? *std::move(list) : CodeList();
}

Schema TextAndCode() {
  Schema schema;
  schema.text_fields = {"text"};
  schema.label_field = "code";
  return schema;
}

core::Result<Dataset> Load(const std::string& path, const Schema& schema,
                           const CodeList* code_list = nullptr, LoadOptions options = {}) {
  return LoadDataset(path, schema, options, code_list);
}

TEST(DatasetTest, MapsColumnsOntoTheSchema) {
  const std::string path = WriteTestFile("d.tsv",
                                         "id\ttitle\tindustry\tregion\tweight\tcode\n"
                                         "r1\tcorn grower\tfarm\tNE\t1.5\t111150\n"
                                         "r2\tsawmill\t\tW\t\t321113\n");
  Schema schema;
  schema.id_field = "id";
  schema.text_fields = {"title", "industry"};
  schema.categorical_fields = {"region"};
  schema.numeric_fields = {"weight"};
  schema.label_field = "code";
  auto ds = Load(path, schema);
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  EXPECT_EQ(ds->path, path);
  EXPECT_EQ(ds->header.size(), 6u);
  ASSERT_EQ(ds->records.size(), 2u);
  EXPECT_TRUE(ds->rejections.empty());
  const Record& r = ds->records[0];
  EXPECT_EQ(r.line, 2u);
  EXPECT_EQ(r.id, "r1");
  EXPECT_EQ(r.texts, (std::vector<std::string>{"corn grower", "farm"}));
  EXPECT_EQ(r.categoricals, (std::vector<std::string>{"NE"}));
  ASSERT_EQ(r.numerics.size(), 1u);
  EXPECT_EQ(r.numerics[0], 1.5);
  EXPECT_EQ(r.label, "111150");
  EXPECT_TRUE(std::isnan(ds->records[1].numerics[0]));  // empty → missing
  EXPECT_EQ(ds->records[1].texts[1], "");
}

// Kept columns (`code --keep`) come through as they are, also when they have another role.
TEST(DatasetTest, KeptColumnsAreCopiedEvenWhenTheyAreAlsoText) {
  const std::string path = WriteTestFile("k.tsv",
                                         "id\ttitle\tnote\tcode\n"
                                         "r1\tcorn grower\t  as typed \t111150\n");
  Schema schema = TextAndCode();
  schema.text_fields = {"title"};
  schema.kept_fields = {"note", "title", "id"};
  auto ds = Load(path, schema);
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  ASSERT_EQ(ds->records.size(), 1u);
  EXPECT_EQ(ds->records[0].kept,
            (std::vector<std::string>{"  as typed ", "corn grower", "r1"}));
  EXPECT_EQ(ds->records[0].texts, (std::vector<std::string>{"corn grower"}));
  schema.kept_fields = {"missing"};
  auto missing = Load(path, schema);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("--keep"), std::string::npos)
      << missing.status().message();
  schema.kept_fields = {"note", "note"};
  EXPECT_EQ(Load(path, schema).status().code(), StatusCode::kInvalidArgument);
}

TEST(DatasetTest, IdIsTheDataRowNumberCountingRejectedRows) {
  const std::string path =
      WriteTestFile("d.tsv", "text\tcode\ncorn\t111110\nbad row\n\nsaw\t321113\n");
  auto ds = Load(path, TextAndCode());
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  ASSERT_EQ(ds->records.size(), 2u);
  EXPECT_EQ(ds->records[0].id, "1");
  EXPECT_EQ(ds->records[1].id, "3");  // the blank line is not a row; the rejected one is
  EXPECT_EQ(ds->records[1].line, 5u);
  EXPECT_EQ(ds->blank_lines, 1u);
}

TEST(DatasetTest, LoadsARealIndexExcerptAgainstItsCodeList) {
  const CodeList naics = Naics();
  Schema schema;
  schema.id_field = "row_id";
  schema.text_fields = {"text"};
  schema.label_field = "naics2022";
  const std::string path = TestdataPath("naics2022_index_excerpt.tsv");
  auto ds = Load(path, schema, &naics);
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  EXPECT_EQ(ds->records.size(), 12u);
  EXPECT_TRUE(ds->rejections.empty());
  EXPECT_EQ(ds->records[0].id, "1");
  EXPECT_EQ(ds->records[0].texts[0], "Soybean farming, field and seed production");
  EXPECT_EQ(ds->records[0].label, "111110");
  EXPECT_EQ(ds->content_hash, *core::Sha256File(path));
  EXPECT_TRUE(CheckRejectShare(*ds, 0.0).ok());
}

TEST(DatasetTest, LabelNotInTheCodeListIsRejected) {
  const CodeList naics = Naics();
  const std::string path = WriteTestFile("d.tsv", "text\tcode\ncorn\t111110\nmystery\t9999\n");
  auto ds = Load(path, TextAndCode(), &naics);
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  ASSERT_EQ(ds->records.size(), 1u);
  ASSERT_EQ(ds->rejections.size(), 1u);
  const Rejection& r = ds->rejections[0];
  EXPECT_EQ(r.line, 3u);
  EXPECT_EQ(r.column, "code");
  EXPECT_EQ(r.reason, path + ":3: column 'code': label '9999' is not in the code list '" +
                          TestdataPath("naics2022_structure_excerpt.tsv") + "'");
  EXPECT_EQ(r.raw, "mystery\t9999");
}

TEST(DatasetTest, LabelIsNotCheckedWithoutACodeList) {
  auto ds = Load(WriteTestFile("d.tsv", "text\tcode\nmystery\t9999\n"), TextAndCode());
  ASSERT_TRUE(ds.ok());
  EXPECT_EQ(ds->records.size(), 1u);
}

TEST(DatasetTest, EmptyLabelIsRejectedUnlessAllowed) {
  const CodeList naics = Naics();
  const std::string path = WriteTestFile("d.tsv", "text\tcode\ncorn\t111110\nunknown\t\n");
  auto strict = Load(path, TextAndCode(), &naics);
  ASSERT_TRUE(strict.ok());
  ASSERT_EQ(strict->rejections.size(), 1u);
  EXPECT_EQ(strict->rejections[0].column, "code");
  EXPECT_CONTAINS(strict->rejections[0].reason, path + ":3: column 'code': empty label");
  EXPECT_CONTAINS(strict->rejections[0].reason, "empty label; fill it in or remove the record");

  LoadOptions options;
  options.allow_empty_label = true;
  auto lenient = Load(path, TextAndCode(), &naics, options);
  ASSERT_TRUE(lenient.ok());
  EXPECT_TRUE(lenient->rejections.empty());
  ASSERT_EQ(lenient->records.size(), 2u);
  EXPECT_EQ(lenient->records[1].label, "");
}

TEST(DatasetTest, UnparsableNumberIsRejectedNamingTheColumn) {
  Schema schema;
  schema.text_fields = {"text"};
  schema.numeric_fields = {"age"};
  const std::string path = WriteTestFile(
      "d.tsv",
      "text\tage\na\t 42 \nb\t+7\nc\t-1e3\nd\tforty\ne\t12abc\nf\tinf\ng\tnan\nh\t1e999\n");
  auto ds = Load(path, schema);
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  ASSERT_EQ(ds->records.size(), 3u);
  EXPECT_EQ(ds->records[0].numerics[0], 42.0);
  EXPECT_EQ(ds->records[1].numerics[0], 7.0);
  EXPECT_EQ(ds->records[2].numerics[0], -1000.0);
  ASSERT_EQ(ds->rejections.size(), 5u);
  EXPECT_EQ(ds->rejections[0].reason, path + ":5: column 'age': 'forty' is not a number");
  EXPECT_EQ(ds->rejections[0].column, "age");
  EXPECT_EQ(ds->rejections[1].reason, path + ":6: column 'age': '12abc' is not a number");
  EXPECT_CONTAINS(ds->rejections[2].reason, ":7: column 'age': 'inf' is not a finite number");
  EXPECT_CONTAINS(ds->rejections[3].reason, ":8: column 'age': 'nan' is not a finite number");
  EXPECT_CONTAINS(ds->rejections[4].reason, ":9: column 'age': '1e999' is out of the range");
}

TEST(DatasetTest, EmptyIdIsRejected) {
  Schema schema = TextAndCode();
  schema.id_field = "id";
  auto ds = Load(WriteTestFile("d.tsv", "id\ttext\tcode\n\tcorn\t1\n"), schema);
  ASSERT_TRUE(ds.ok());
  ASSERT_EQ(ds->rejections.size(), 1u);
  EXPECT_CONTAINS(ds->rejections[0].reason, "d.tsv:2: column 'id': empty id");
}

TEST(DatasetTest, ReaderProblemsBecomeRejectionsWithTheirColumn) {
  const std::string path = WriteTestFile("d.tsv",
                                         "text\tcode\nca\xFF"
                                         "fe\t111110\nonly one\ncorn\t111110\n");
  auto ds = Load(path, TextAndCode());
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  ASSERT_EQ(ds->records.size(), 1u);
  ASSERT_EQ(ds->rejections.size(), 2u);
  EXPECT_EQ(ds->rejections[0].line, 2u);
  EXPECT_EQ(ds->rejections[0].column, "text");
  EXPECT_CONTAINS(ds->rejections[0].reason, "column 'text': invalid UTF-8 at byte 3");
  EXPECT_EQ(ds->rejections[0].raw,
            "ca\xFF"
            "fe\t111110");
  EXPECT_EQ(ds->rejections[1].column, "");
  EXPECT_EQ(ds->rejections[1].reason, path + ":3: expected 2 columns, found 1");
}

TEST(DatasetTest, MissingColumnIsNotFoundListingTheColumnsPresent) {
  const std::string path = WriteTestFile("d.tsv", "text\tnaics\ncorn\t111110\n");
  auto ds = Load(path, TextAndCode());
  ASSERT_FALSE(ds.ok());
  EXPECT_EQ(ds.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ds.status().message(), "file '" + path +
                                       "' has no column 'code'; columns present: 'text', "
                                       "'naics' (wanted as the label column, --label)");
}

TEST(DatasetTest, InvalidSchemaIsAnInvalidArgument) {
  const std::string path = WriteTestFile("d.tsv", "text\tcode\n");
  Schema none;
  EXPECT_EQ(Load(path, none).status().code(), StatusCode::kInvalidArgument);
  Schema twice = TextAndCode();
  twice.categorical_fields = {"code"};
  auto ds = Load(path, twice);
  EXPECT_EQ(ds.status().code(), StatusCode::kInvalidArgument);
  EXPECT_CONTAINS(ds.status().message(),
                  "column 'code' is named twice (categorical_fields and label_field)");
  Schema empty_name;
  empty_name.text_fields = {""};
  EXPECT_EQ(empty_name.Validate().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(TextAndCode().Validate().ok());
}

TEST(DatasetTest, FatalReaderErrorsAreReturned) {
  const std::string path = WriteTestFile("d.tsv", "");
  EXPECT_EQ(Load(path, TextAndCode()).status().code(), StatusCode::kInvalidInput);
  LoadOptions options;
  options.reader.max_records = 1;
  auto ds =
      Load(WriteTestFile("e.tsv", "text\tcode\na\t1\nb\t2\n"), TextAndCode(), nullptr, options);
  EXPECT_EQ(ds.status().code(), StatusCode::kLimitExceeded);
}

TEST(DatasetTest, ContentHashIsTheSha256OfTheFileBytes) {
  const std::string content = "text\tcode\ncorn\t111110\n";
  auto ds = Load(WriteTestFile("d.tsv", content), TextAndCode());
  ASSERT_TRUE(ds.ok());
  EXPECT_EQ(ds->content_hash, core::Sha256Hex(content));
}

TEST(DatasetTest, ReadsCsvAndJsonLines) {
  auto csv = Load(WriteTestFile("d.csv", "text,code\n\"corn, sweet\",111110\n"), TextAndCode());
  ASSERT_TRUE(csv.ok());
  EXPECT_EQ(csv->records[0].texts[0], "corn, sweet");
  Schema schema = TextAndCode();
  schema.numeric_fields = {"w"};
  auto jsonl =
      Load(WriteTestFile("d.jsonl", "{\"text\":\"corn\",\"code\":111110,\"w\":2.5}\n"), schema);
  ASSERT_TRUE(jsonl.ok()) << jsonl.status().ToString();
  ASSERT_EQ(jsonl->records.size(), 1u);
  EXPECT_EQ(jsonl->records[0].label, "111110");
  EXPECT_EQ(jsonl->records[0].numerics[0], 2.5);
}

TEST(DatasetTest, RejectsFileHasOneEscapedLinePerRejection) {
  Dataset ds;
  ds.rejections.push_back({3, "code", "d.csv:3: column 'code': empty label", "a\tb,"});
  ds.rejections.push_back({5, "", "d.csv:5: expected 2 columns, found 1", "x\\y\r\nz"});
  const std::string path = TestDir() + "/rejects.tsv";
  ASSERT_TRUE(WriteRejects(ds, path).ok());
  auto written = core::ReadFile(path);
  ASSERT_TRUE(written.ok());
  EXPECT_EQ(*written,
            "line\tcolumn\treason\traw\n"
            "3\tcode\td.csv:3: column 'code': empty label\ta\\tb,\n"
            "5\t\td.csv:5: expected 2 columns, found 1\tx\\\\y\\r\\nz\n");
}

TEST(DatasetTest, RejectsFileOfALoadedDataset) {
  const std::string path = WriteTestFile("d.tsv", "text\tcode\ncorn\t\nsaw\t321113\n");
  auto ds = Load(path, TextAndCode());
  ASSERT_TRUE(ds.ok());
  const std::string rejects = TestDir() + "/d.rejects.tsv";
  ASSERT_TRUE(WriteRejects(*ds, rejects).ok());
  EXPECT_EQ(*core::ReadFile(rejects), "line\tcolumn\treason\traw\n2\tcode\t" + path +
                                          ":2: column 'code': empty label; fill it in or "
                                          "remove the record\tcorn\\t\n");
}

TEST(DatasetTest, RejectsFileWithoutRejectionsHasOnlyTheHeader) {
  const std::string path = TestDir() + "/none.tsv";
  ASSERT_TRUE(WriteRejects(Dataset{}, path).ok());
  EXPECT_EQ(*core::ReadFile(path), "line\tcolumn\treason\traw\n");
}

Dataset WithCounts(size_t accepted, size_t rejected) {
  Dataset ds;
  ds.path = "d.tsv";
  ds.records.resize(accepted);
  for (size_t i = 0; i < rejected; ++i) {
    ds.rejections.push_back({i + 2, "code", "d.tsv:" + std::to_string(i + 2) + ": bad", ""});
  }
  return ds;
}

TEST(DatasetTest, RejectShareWithinTheLimitPasses) {
  EXPECT_TRUE(CheckRejectShare(WithCounts(10, 0), 0.0).ok());
  EXPECT_TRUE(CheckRejectShare(WithCounts(9, 1), 0.1).ok());  // exactly at the limit
  EXPECT_TRUE(CheckRejectShare(WithCounts(1, 9), 1.0).ok());
}

TEST(DatasetTest, RejectShareAboveTheLimitFailsWithCountsAndTheFirstReason) {
  const core::Status s = CheckRejectShare(WithCounts(8, 2), 0.1);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_CONTAINS(s.message(),
                  "2 of 10 records of 'd.tsv' were rejected (20.00%), more than "
                  "the allowed 10.00%; the first: d.tsv:2: bad");
}

TEST(DatasetTest, RejectShareCheckFailsWhenNothingWasAccepted) {
  const core::Status all = CheckRejectShare(WithCounts(0, 3), 1.0);
  EXPECT_EQ(all.code(), StatusCode::kFailedPrecondition);
  EXPECT_CONTAINS(all.message(), "all 3 records of 'd.tsv' were rejected");
  const core::Status none = CheckRejectShare(WithCounts(0, 0), 1.0);
  EXPECT_EQ(none.code(), StatusCode::kFailedPrecondition);
  EXPECT_CONTAINS(none.message(), "has no records");
}

TEST(DatasetTest, RejectShareOutsideZeroToOneIsAnInvalidArgument) {
  EXPECT_EQ(CheckRejectShare(WithCounts(1, 0), -0.1).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckRejectShare(WithCounts(1, 0), 1.5).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(CheckRejectShare(WithCounts(1, 0), std::nan("")).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace statcoder::data
