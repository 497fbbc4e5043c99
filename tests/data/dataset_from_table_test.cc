// DatasetFromTable: records held in memory (the Python API's DataFrames) are mapped and
// validated as LoadDataset maps and validates a file's records.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "test_files.h"

namespace statcoder::data {
namespace {

using core::StatusCode;
using ::statcoder::data::testing::TestdataPath;
using ::statcoder::data::testing::WriteTestFile;

CodeList Naics() {
  auto list = CodeList::Load(TestdataPath("naics2022_structure_excerpt.tsv"), {});
  EXPECT_TRUE(list.ok()) << list.status().ToString();
  return list.ok() ? *std::move(list) : CodeList();
}

// A table with columns id (not used by the schemas below), text, region, size, code.
Table Sample(std::vector<std::vector<std::string>> rows) {
  Table t;
  t.name = "DataFrame";
  t.header = {"id", "text", "region", "size", "code"};
  t.num_rows = rows.size();
  t.values.resize(t.header.size());
  for (const auto& row : rows) {
    for (size_t c = 1; c < t.header.size(); ++c) t.values[c].push_back(row[c - 1]);
  }
  return t;
}

Schema FullSchema() {
  Schema s;
  s.text_fields = {"text"};
  s.categorical_fields = {"region"};
  s.numeric_fields = {"size"};
  s.label_field = "code";
  return s;
}

TEST(DatasetFromTableTest, MapsColumnsOntoTheSchemaInRowOrder) {
  auto ds = DatasetFromTable(
      Sample({{"corn grower", "NE", "1.5", "111150"}, {"sawmill", "", "", "321113"}}), FullSchema(),
      {}, nullptr);
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  EXPECT_EQ(ds->path, "DataFrame");
  ASSERT_EQ(ds->records.size(), 2u);
  const Record& r = ds->records[0];
  EXPECT_EQ(r.line, 1u);
  EXPECT_EQ(r.id, "1");
  EXPECT_EQ(r.texts, (std::vector<std::string>{"corn grower"}));
  EXPECT_EQ(r.categoricals, (std::vector<std::string>{"NE"}));
  EXPECT_EQ(r.numerics, (std::vector<double>{1.5}));
  EXPECT_EQ(r.label, "111150");
  EXPECT_EQ(ds->records[1].id, "2");
  EXPECT_TRUE(std::isnan(ds->records[1].numerics[0]));  // empty → missing
}

TEST(DatasetFromTableTest, RejectsWhatAFileWouldRejectWithTheSameReasons) {
  const CodeList naics = Naics();
  const std::vector<std::vector<std::string>> rows = {
      {"corn", "NE", "1", "111110"},      // fine
      {"mystery", "NE", "1", "9999"},     // label not in the code list
      {"blank", "NE", "1", ""},           // empty label
      {"big", "NE", "twelve", "111110"},  // not a number
      {"bad \xff", "NE", "1", "111110"},  // invalid UTF-8
  };
  std::string file = "text\tregion\tsize\tcode\n";
  for (const auto& row : rows) {
    file += row[0] + "\t" + row[1] + "\t" + row[2] + "\t" + row[3] + "\n";
  }
  const std::string path = WriteTestFile("d.tsv", file);
  auto from_file = LoadDataset(path, FullSchema(), {}, &naics);
  auto from_table = DatasetFromTable(Sample(rows), FullSchema(), {}, &naics);
  ASSERT_TRUE(from_file.ok()) << from_file.status().ToString();
  ASSERT_TRUE(from_table.ok()) << from_table.status().ToString();
  ASSERT_EQ(from_table->records.size(), 1u);
  EXPECT_EQ(from_table->records[0].texts, from_file->records[0].texts);
  ASSERT_EQ(from_table->rejections.size(), 4u);
  ASSERT_EQ(from_file->rejections.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    const Rejection& t = from_table->rejections[i];
    const Rejection& f = from_file->rejections[i];
    EXPECT_EQ(t.column, f.column);
    EXPECT_EQ(t.line + 1, f.line);  // a file's first record is on line 2
    // "DataFrame row N: column 'x': why" where the file says "path:line: column 'x': why".
    const std::string where = "DataFrame row " + std::to_string(t.line) + ": ";
    ASSERT_EQ(t.reason.rfind(where, 0), 0u) << t.reason;
    const std::string why = t.reason.substr(where.size());
    EXPECT_NE(f.reason.find(why.substr(0, why.find(" (0x"))), std::string::npos)
        << f.reason << " vs " << t.reason;
  }
  EXPECT_EQ(from_table->rejections[0].reason,
            "DataFrame row 2: column 'code': label '9999' is not in the code list '" +
                TestdataPath("naics2022_structure_excerpt.tsv") + "'");
  EXPECT_EQ(from_table->rejections[0].raw, "mystery\tNE\t1\t9999");
}

TEST(DatasetFromTableTest, RowNamesAreTheCallersAndLongFieldsAreRejected) {
  Table t = Sample({{"ok", "NE", "1", "111110"}, {std::string(100, 'x'), "NE", "1", "111110"}});
  t.row_name = [](size_t row) { return "row " + std::to_string(row + 1) + " (index 'r7')"; };
  LoadOptions options;
  options.reader.max_field_bytes = 50;
  auto ds = DatasetFromTable(std::move(t), FullSchema(), options, nullptr);
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  ASSERT_EQ(ds->rejections.size(), 1u);
  EXPECT_EQ(ds->rejections[0].reason,
            "DataFrame row 2 (index 'r7'): column 'text': field is 100 bytes, longer than the "
            "limit of 50 (max_field_bytes)");
}

TEST(DatasetFromTableTest, EmptyLabelIsKeptWhenAllowed) {
  LoadOptions options;
  options.allow_empty_label = true;
  auto ds = DatasetFromTable(Sample({{"blank", "NE", "1", ""}}), FullSchema(), options, nullptr);
  ASSERT_TRUE(ds.ok());
  ASSERT_EQ(ds->records.size(), 1u);
  EXPECT_EQ(ds->records[0].label, "");
}

TEST(DatasetFromTableTest, MissingColumnIsNotFoundListingTheColumns) {
  Schema schema = FullSchema();
  schema.text_fields = {"title"};
  auto ds = DatasetFromTable(Sample({}), schema, {}, nullptr);
  ASSERT_FALSE(ds.ok());
  EXPECT_EQ(ds.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ds.status().message(),
            "DataFrame has no column 'title' (wanted as a text column, text=); columns present: "
            "'id', 'text', 'region', 'size', 'code'");
}

TEST(DatasetFromTableTest, ColumnsWithoutValuesOrOfTheWrongLengthAreErrors) {
  Schema schema = FullSchema();
  schema.id_field = "id";  // in the header, but Sample gives it no values
  auto no_values = DatasetFromTable(Sample({{"a", "b", "1", "c"}}), schema, {}, nullptr);
  EXPECT_EQ(no_values.status().code(), StatusCode::kNotFound);

  Table t = Sample({{"a", "b", "1", "c"}});
  t.values[1].push_back("extra");
  auto wrong = DatasetFromTable(std::move(t), FullSchema(), {}, nullptr);
  EXPECT_EQ(wrong.status().code(), StatusCode::kInvalidInput);
  EXPECT_NE(wrong.status().message().find("column 'text' has 2 values for 1 rows"),
            std::string::npos);

  schema = FullSchema();
  schema.label_field = "text";  // two roles
  EXPECT_EQ(DatasetFromTable(Sample({}), schema, {}, nullptr).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(DatasetFromTableTest, ContentHashIsOfTheUsedValues) {
  const auto hash = [](Table t) {
    auto ds = DatasetFromTable(std::move(t), FullSchema(), {}, nullptr);
    EXPECT_TRUE(ds.ok());
    return ds.ok() ? ds->content_hash : std::string();
  };
  const std::vector<std::vector<std::string>> rows = {{"corn", "NE", "1", "111110"},
                                                      {"saw", "", "", "321113"}};
  const std::string h = hash(Sample(rows));
  EXPECT_EQ(h.size(), 64u);
  EXPECT_EQ(hash(Sample(rows)), h);
  Table with_unused = Sample(rows);
  with_unused.values[0] = {"x", "y"};  // the id column, not in the schema
  EXPECT_EQ(hash(std::move(with_unused)), h);
  // Moving a character from one field to the next changes the hash (lengths are hashed).
  EXPECT_NE(hash(Sample({{"cor", "nNE", "1", "111110"}, {"saw", "", "", "321113"}})), h);
}

}  // namespace
}  // namespace statcoder::data
