#include "data/record_reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_files.h"

namespace statcoder::data {
namespace {

using core::StatusCode;
using ::statcoder::data::testing::WriteTestFile;

struct ReadResult {
  core::Status status;  // fatal error from Open or Next
  std::vector<std::string> header;
  std::vector<RawRecord> records;
  uint64_t blank_lines = 0;
};

ReadResult ReadAll(const std::string& path, const ReaderOptions& options = {}) {
  ReadResult result;
  auto reader = RecordReader::Open(path, options);
  if (!reader.ok()) {
    result.status = reader.status();
    return result;
  }
  result.header = (*reader)->header();
  RawRecord rec;
  while (true) {
    auto more = (*reader)->Next(&rec);
    if (!more.ok()) {
      result.status = more.status();
      break;
    }
    if (!*more) break;
    result.records.push_back(rec);
  }
  result.blank_lines = (*reader)->blank_lines();
  return result;
}

using Fields = std::vector<std::string>;

// ---- formats and UTF-8 ----------------------------------------------------------------------

TEST(RecordReaderTest, ParseFileFormatAcceptsKnownNamesInAnyCase) {
  EXPECT_EQ(*ParseFileFormat("tsv"), FileFormat::kTsv);
  EXPECT_EQ(*ParseFileFormat("CSV"), FileFormat::kCsv);
  EXPECT_EQ(*ParseFileFormat("jsonl"), FileFormat::kJsonl);
  EXPECT_EQ(*ParseFileFormat("ndjson"), FileFormat::kJsonl);
  EXPECT_EQ(*ParseFileFormat("json"), FileFormat::kJsonl);
  EXPECT_EQ(*ParseFileFormat("auto"), FileFormat::kAuto);
  auto bad = ParseFileFormat("xml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_CONTAINS(bad.status().message(), "'xml'");
}

TEST(RecordReaderTest, FormatFromPathUsesTheExtension) {
  EXPECT_EQ(FormatFromPath("a/b.csv"), FileFormat::kCsv);
  EXPECT_EQ(FormatFromPath("b.JSONL"), FileFormat::kJsonl);
  EXPECT_EQ(FormatFromPath("b.ndjson"), FileFormat::kJsonl);
  EXPECT_EQ(FormatFromPath("b.json"), FileFormat::kJsonl);
  EXPECT_EQ(FormatFromPath("b.tsv"), FileFormat::kTsv);
  EXPECT_EQ(FormatFromPath("b.txt"), FileFormat::kTsv);
  EXPECT_EQ(FormatFromPath("dir.csv/b"), FileFormat::kTsv);
}

TEST(RecordReaderTest, IsValidUtf8AcceptsWellFormedText) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii text that is longer than eight bytes"));
  EXPECT_TRUE(IsValidUtf8("caf\xC3\xA9 \xE2\x80\x99 \xF0\x9F\x98\x80"));  // é ’ 😀
  EXPECT_TRUE(IsValidUtf8("\xF4\x8F\xBF\xBF"));                           // U+10FFFF
}

TEST(RecordReaderTest, IsValidUtf8RejectsMalformedTextAndGivesTheOffset) {
  size_t at = 99;
  EXPECT_FALSE(IsValidUtf8("abcdefghij\xFFxyz", &at));  // after the 8-byte fast path
  EXPECT_EQ(at, 10u);
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF", &at));  // overlong '/'
  EXPECT_EQ(at, 0u);
  EXPECT_FALSE(IsValidUtf8("a\xE0\x80\xAF", &at));  // overlong, 3 bytes
  EXPECT_EQ(at, 1u);
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80", &at));      // UTF-16 surrogate
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80", &at));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("ab\xC3", &at));            // truncated at the end
  EXPECT_EQ(at, 2u);
  EXPECT_FALSE(IsValidUtf8("\xC3(", &at));  // bad continuation
}

// ---- TSV --------------------------------------------------------------------------------------

TEST(RecordReaderTest, TsvReadsHeaderAndFieldsWithLineNumbers) {
  const std::string path = WriteTestFile("a.tsv",
                                         "id\ttext\tcode\n1\tcorn farm\t111150\n"
                                         "2\t\t\n");
  ReadResult r = ReadAll(path);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.header, (Fields{"id", "text", "code"}));
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0].fields, (Fields{"1", "corn farm", "111150"}));
  EXPECT_EQ(r.records[0].line, 2u);
  EXPECT_EQ(r.records[0].raw, "1\tcorn farm\t111150");
  EXPECT_TRUE(r.records[0].error.ok());
  EXPECT_EQ(r.records[1].fields, (Fields{"2", "", ""}));
  EXPECT_EQ(r.records[1].line, 3u);
}

TEST(RecordReaderTest, TsvAcceptsCrlfLineEndings) {
  ReadResult r = ReadAll(WriteTestFile("a.tsv", "a\tb\r\nx\ty\r\n\r\nz\tw"));
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.header, (Fields{"a", "b"}));
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0].fields, (Fields{"x", "y"}));
  EXPECT_EQ(r.records[0].raw, "x\ty");
  EXPECT_EQ(r.records[1].fields, (Fields{"z", "w"}));
  EXPECT_EQ(r.records[1].line, 4u);
  EXPECT_EQ(r.blank_lines, 1u);
}

TEST(RecordReaderTest, Utf8ByteOrderMarkAtStartIsSkipped) {
  ReadResult r = ReadAll(WriteTestFile("bom.tsv",
                                       "\xEF\xBB\xBF"
                                       "code\ttitle\n11\tFarming\n"));
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.header, (Fields{"code", "title"}));
  ASSERT_EQ(r.records.size(), 1u);
}

TEST(RecordReaderTest, ByteOrderMarkAfterTheStartIsData) {
  ReadResult r = ReadAll(WriteTestFile("bom.tsv",
                                       "code\n\xEF\xBB\xBF"
                                       "11\n"));
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].fields[0],
            "\xEF\xBB\xBF"
            "11");
}

TEST(RecordReaderTest, BlankLinesAreSkippedAndCounted) {
  ReadResult r = ReadAll(WriteTestFile("a.tsv", "\n\na\tb\n\nx\ty\n\n\nz\tw\n\n"));
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.header, (Fields{"a", "b"}));
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0].line, 5u);
  EXPECT_EQ(r.records[1].line, 8u);
  EXPECT_EQ(r.blank_lines, 6u);
}

TEST(RecordReaderTest, EmptyFileIsFatal) {
  const std::string path = WriteTestFile("empty.tsv", "");
  ReadResult r = ReadAll(path);
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidInput);
  EXPECT_EQ(r.status.message(), "file '" + path + "' is empty: a header line is required");
}

TEST(RecordReaderTest, FileOfOnlyBlankLinesOrABomIsEmpty) {
  EXPECT_EQ(ReadAll(WriteTestFile("blank.tsv", "\n\r\n\n")).status.code(),
            StatusCode::kInvalidInput);
  EXPECT_EQ(ReadAll(WriteTestFile("bom.csv", "\xEF\xBB\xBF")).status.code(),
            StatusCode::kInvalidInput);
  EXPECT_EQ(ReadAll(WriteTestFile("blank.jsonl", "  \n\t\n")).status.code(),
            StatusCode::kInvalidInput);
}

TEST(RecordReaderTest, HeaderOnlyFileHasNoRecords) {
  ReadResult r = ReadAll(WriteTestFile("h.tsv", "code\ttitle\n"));
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.header, (Fields{"code", "title"}));
  EXPECT_TRUE(r.records.empty());
}

TEST(RecordReaderTest, MissingFileIsNotFound) {
  ReadResult r = ReadAll(::statcoder::data::testing::TestDir() + "/nope.tsv");
  EXPECT_EQ(r.status.code(), StatusCode::kNotFound);
  EXPECT_CONTAINS(r.status.message(), "nope.tsv");
}

TEST(RecordReaderTest, DuplicateHeaderNameIsFatal) {
  ReadResult r = ReadAll(WriteTestFile("d.tsv", "code\ttext\tcode\n"));
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidInput);
  EXPECT_CONTAINS(r.status.message(),
                  "d.tsv:1: header column name 'code' appears twice "
                  "(columns 1 and 3)");
}

TEST(RecordReaderTest, EmptyHeaderNameIsFatal) {
  ReadResult r = ReadAll(WriteTestFile("e.tsv", "code\t\ttitle\n1\t2\t3\n"));
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidInput);
  EXPECT_CONTAINS(r.status.message(), "e.tsv:1: header column 2 has an empty name");
}

TEST(RecordReaderTest, InvalidUtf8InHeaderIsFatal) {
  ReadResult r = ReadAll(WriteTestFile("u.tsv",
                                       "co\xFF"
                                       "de\ttitle\n"));
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidInput);
  EXPECT_CONTAINS(r.status.message(), "u.tsv:1: the header has invalid UTF-8 at byte 3");
}

TEST(RecordReaderTest, WrongColumnCountRejectsTheRecordAndReadingGoesOn) {
  const std::string path = WriteTestFile("x.tsv", "a\tb\tc\n1\t2\n1\t2\t3\t4\n1\t2\t3\n");
  ReadResult r = ReadAll(path);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.records.size(), 3u);
  EXPECT_EQ(r.records[0].error.code(), StatusCode::kInvalidInput);
  EXPECT_EQ(r.records[0].error.message(), path + ":2: expected 3 columns, found 2");
  EXPECT_EQ(r.records[0].error_column, "");
  EXPECT_EQ(r.records[0].raw, "1\t2");
  EXPECT_EQ(r.records[1].error.message(), path + ":3: expected 3 columns, found 4");
  EXPECT_TRUE(r.records[2].error.ok());
}

TEST(RecordReaderTest, InvalidUtf8RejectsTheRecordNamingColumnAndByte) {
  const std::string path = WriteTestFile("x.tsv",
                                         "id\ttext\n1\tca\xFF"
                                         "fe\n2\tok\n");
  ReadResult r = ReadAll(path);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0].error.code(), StatusCode::kInvalidInput);
  EXPECT_CONTAINS(r.records[0].error.message(),
                  path + ":2: column 'text': invalid UTF-8 at byte 3 (0xff)");
  EXPECT_EQ(r.records[0].error_column, "text");
  EXPECT_TRUE(r.records[1].error.ok());
}

TEST(RecordReaderTest, OverlongFieldRejectsTheRecordNamingColumnAndLimit) {
  ReaderOptions options;
  options.max_field_bytes = 8;
  const std::string path = WriteTestFile("x.tsv", "id\ttext\n1\t123456789\n2\t12345678\n");
  ReadResult r = ReadAll(path, options);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0].error.message(),
            path +
                ":2: column 'text': field is 9 bytes, longer than the limit of 8 "
                "(--max-field-bytes)");
  EXPECT_EQ(r.records[0].error_column, "text");
  EXPECT_TRUE(r.records[1].error.ok());
}

TEST(RecordReaderTest, OverlongLineIsFatal) {
  ReaderOptions options;
  options.max_line_bytes = 10;
  const std::string path = WriteTestFile("x.tsv", "a\tb\n1\t2\n12345\t678901\n");
  ReadResult r = ReadAll(path, options);
  EXPECT_EQ(r.status.code(), StatusCode::kLimitExceeded);
  EXPECT_CONTAINS(r.status.message(), path + ":3: line is longer than 10 bytes");
  EXPECT_EQ(r.records.size(), 1u);
}

TEST(RecordReaderTest, FileWithoutLineBreaksStopsAtTheLineLimit) {
  ReaderOptions options;
  options.max_line_bytes = 1000;
  ReadResult r = ReadAll(WriteTestFile("x.tsv", std::string(2'000'000, 'x')), options);
  EXPECT_EQ(r.status.code(), StatusCode::kLimitExceeded);
  EXPECT_CONTAINS(r.status.message(), "x.tsv:1: line is longer than 1000 bytes");
}

TEST(RecordReaderTest, CrlfLineOfExactlyTheLimitIsAccepted) {
  ReaderOptions options;
  options.max_line_bytes = 4;
  ReadResult r = ReadAll(WriteTestFile("x.tsv", "a\tbb\r\n1\t22\r\n"), options);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].fields, (Fields{"1", "22"}));
}

TEST(RecordReaderTest, MoreThanMaxRecordsIsFatal) {
  ReaderOptions options;
  options.max_records = 2;
  const std::string path = WriteTestFile("x.tsv", "a\n1\n2\n\n3\n");
  ReadResult r = ReadAll(path, options);
  EXPECT_EQ(r.status.code(), StatusCode::kLimitExceeded);
  EXPECT_CONTAINS(r.status.message(), path + ":5: more than 2 records");
  EXPECT_EQ(r.records.size(), 2u);
}

TEST(RecordReaderTest, ZeroLimitsAreInvalidArguments) {
  ReaderOptions options;
  options.max_field_bytes = 0;
  EXPECT_EQ(ReadAll(WriteTestFile("x.tsv", "a\n"), options).status.code(),
            StatusCode::kInvalidArgument);
}

TEST(RecordReaderTest, FieldsOfAShortRecordDoNotKeepValuesOfTheLastOne) {
  ReadResult r = ReadAll(WriteTestFile("x.tsv", "a\tb\tc\nlong1\tlong2\tlong3\nx\n"));
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[1].fields, (Fields{"x"}));
}

TEST(RecordReaderTest, LinesSpanningReadBlocksAreReadWhole) {
  std::string content = "id\ttext\n";
  for (int i = 0; i < 40'000; ++i) {
    content +=
        std::to_string(i) + "\tsome text of moderate length for record " + std::to_string(i) + "\n";
  }
  ReadResult r = ReadAll(WriteTestFile("big.tsv", content));
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.records.size(), 40'000u);
  for (size_t i = 0; i < r.records.size(); ++i) {
    ASSERT_TRUE(r.records[i].error.ok()) << i;
    ASSERT_EQ(r.records[i].fields[0], std::to_string(i));
    ASSERT_EQ(r.records[i].fields[1],
              "some text of moderate length for record " + std::to_string(i));
  }
}

TEST(RecordReaderTest, ColumnIndexNamesTheFileAndListsTheColumns) {
  const std::string path = WriteTestFile("x.tsv", "id\ttext\n");
  auto reader = RecordReader::Open(path, {});
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ(*(*reader)->ColumnIndex("text"), 1u);
  auto missing = (*reader)->ColumnIndex("code");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(),
            "file '" + path + "' has no column 'code'; columns present: 'id', 'text'");
}

TEST(RecordReaderTest, FormatOptionOverridesTheExtension) {
  ReaderOptions options;
  options.format = FileFormat::kCsv;
  auto reader = RecordReader::Open(WriteTestFile("x.txt", "a,b\n1,2\n"), options);
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ((*reader)->format(), FileFormat::kCsv);
  EXPECT_EQ((*reader)->header(), (Fields{"a", "b"}));
}

// ---- CSV --------------------------------------------------------------------------------------

TEST(RecordReaderTest, CsvQuotedFieldsMayHoldCommasAndDoubledQuotes) {
  ReadResult r = ReadAll(WriteTestFile(
      "x.csv", "id,text,code\n1,\"Pipes, 5\"\" steel\",332\n2,\"\",\n3,plain,\"x\"\n"));
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.records.size(), 3u);
  EXPECT_EQ(r.records[0].fields, (Fields{"1", "Pipes, 5\" steel", "332"}));
  EXPECT_EQ(r.records[1].fields, (Fields{"2", "", ""}));
  EXPECT_EQ(r.records[2].fields, (Fields{"3", "plain", "x"}));
}

TEST(RecordReaderTest, CsvQuotedFieldMaySpanLines) {
  const std::string text = "id,text\n1,\"first line\nsecond, line\n\nfourth\"\n2,next\n";
  ReadResult r = ReadAll(WriteTestFile("x.csv", text));
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0].line, 2u);  // the record's first line
  EXPECT_EQ(r.records[0].fields, (Fields{"1", "first line\nsecond, line\n\nfourth"}));
  EXPECT_EQ(r.records[0].raw, "1,\"first line\nsecond, line\n\nfourth\"");
  EXPECT_EQ(r.records[1].line, 6u);
  EXPECT_EQ(r.blank_lines, 0u);  // the empty line was inside the quotes
}

TEST(RecordReaderTest, CsvLineBreakInsideQuotesIsReadAsNewlineInCrlfFiles) {
  ReadResult r = ReadAll(WriteTestFile("x.csv", "a,b\r\n\"x\r\ny\",z\r\n"));
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].fields, (Fields{"x\ny", "z"}));
}

TEST(RecordReaderTest, CsvTrailingCommaMeansAnEmptyLastField) {
  ReadResult r = ReadAll(WriteTestFile("x.csv", "a,b,c\n1,,\n"));
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].fields, (Fields{"1", "", ""}));
  EXPECT_TRUE(r.records[0].error.ok());
}

TEST(RecordReaderTest, CsvQuoteInsideAnUnquotedFieldIsALiteral) {
  ReadResult r = ReadAll(WriteTestFile("x.csv", "a,b\n5\" pipe,x\n"));
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].fields, (Fields{"5\" pipe", "x"}));
}

TEST(RecordReaderTest, CsvTextAfterAClosingQuoteRejectsTheRecord) {
  const std::string path = WriteTestFile("x.csv", "a,b\n\"x\"y,z\n1,2\n");
  ReadResult r = ReadAll(path);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_CONTAINS(r.records[0].error.message(),
                  path + ":2: column 'a': unexpected 'y' after the closing quote");
  EXPECT_EQ(r.records[0].error_column, "a");
  EXPECT_TRUE(r.records[1].error.ok());
}

TEST(RecordReaderTest, CsvUnterminatedQuoteAtEndOfFileIsFatal) {
  const std::string path = WriteTestFile("x.csv", "a,b\n1,2\n3,\"open\nmore\n");
  ReadResult r = ReadAll(path);
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidInput);
  EXPECT_CONTAINS(r.status.message(),
                  path +
                      ":3: the quoted field that starts on line 3 is not closed at "
                      "end of file");
  EXPECT_EQ(r.records.size(), 1u);
}

TEST(RecordReaderTest, CsvRecordSpreadOverLinesCountsAgainstTheLineLimit) {
  ReaderOptions options;
  options.max_line_bytes = 12;
  ReadResult r = ReadAll(WriteTestFile("x.csv", "a\n\"12345\n12345\n12345\"\n"), options);
  EXPECT_EQ(r.status.code(), StatusCode::kLimitExceeded);
  EXPECT_CONTAINS(r.status.message(), "x.csv:2: record is longer than 12 bytes");
}

TEST(RecordReaderTest, CsvHeaderMayBeQuoted) {
  ReadResult r = ReadAll(WriteTestFile("x.csv", "\"id\",\"free, text\"\n1,a\n"));
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.header, (Fields{"id", "free, text"}));
}

TEST(RecordReaderTest, CsvAndJsonlSkipTheByteOrderMarkToo) {
  ReadResult csv = ReadAll(WriteTestFile("b.csv", "\xEF\xBB\xBF\"id\",text\n1,a\n"));
  ASSERT_TRUE(csv.status.ok()) << csv.status.ToString();
  EXPECT_EQ(csv.header, (Fields{"id", "text"}));
  ReadResult jsonl = ReadAll(WriteTestFile("b.jsonl", "\xEF\xBB\xBF{\"id\":1}\n"));
  ASSERT_TRUE(jsonl.status.ok()) << jsonl.status.ToString();
  EXPECT_EQ(jsonl.header, (Fields{"id"}));
}

TEST(RecordReaderTest, CsvHeaderWithTextAfterAClosingQuoteIsFatal) {
  ReadResult r = ReadAll(WriteTestFile("x.csv", "\"id\"x,text\n"));
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidInput);
  EXPECT_CONTAINS(r.status.message(), "x.csv:1: column 1: unexpected 'x' after the closing quote");
  EXPECT_CONTAINS(r.status.message(), "(in the header)");
}

TEST(RecordReaderTest, CsvWrongColumnCountRejectsTheRecord) {
  const std::string path = WriteTestFile("x.csv", "a,b\n1,2,3\n");
  ReadResult r = ReadAll(path);
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].error.message(), path + ":2: expected 2 columns, found 3");
}

TEST(RecordReaderTest, CsvInvalidUtf8InAQuotedFieldNamesTheColumn) {
  ReadResult r = ReadAll(WriteTestFile("x.csv", "a,b\n1,\"x\xC3(\"\n"));
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_CONTAINS(r.records[0].error.message(), "column 'b': invalid UTF-8 at byte 2");
}

// ---- JSON Lines -------------------------------------------------------------------------------

TEST(RecordReaderTest, JsonlHeaderIsTheKeysOfTheFirstObjectInOrder) {
  ReadResult r = ReadAll(WriteTestFile("x.jsonl", "{\"z\": \"1\", \"a\": \"2\", \"m\": \"3\"}\n"));
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.header, (Fields{"z", "a", "m"}));
  ASSERT_EQ(r.records.size(), 1u);  // the first object is also a record
  EXPECT_EQ(r.records[0].fields, (Fields{"1", "2", "3"}));
  EXPECT_EQ(r.records[0].line, 1u);
  EXPECT_EQ(r.records[0].raw, "{\"z\": \"1\", \"a\": \"2\", \"m\": \"3\"}");
}

TEST(RecordReaderTest, JsonlScalarsBecomeTheirText) {
  ReadResult r = ReadAll(
      WriteTestFile("x.jsonl",
                    "{\"s\":\"caf\\u00e9\\t\",\"f\":1.50,\"i\":-3,\"u\":18446744073709551615,"
                    "\"e\":1e3,\"t\":true,\"b\":false,\"n\":null}\n"));
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].fields, (Fields{"caf\xC3\xA9\t", "1.50", "-3", "18446744073709551615",
                                         "1e3", "true", "false", ""}));
}

TEST(RecordReaderTest, JsonlKeysMayComeInAnyOrder) {
  ReadResult r = ReadAll(WriteTestFile("x.jsonl",
                                       "{\"a\":\"1\",\"b\":\"2\"}\n"
                                       "{\"b\":\"4\",\"a\":\"3\"}\n"));
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[1].fields, (Fields{"3", "4"}));
  EXPECT_TRUE(r.records[1].error.ok());
}

TEST(RecordReaderTest, JsonlMissingKeyRejectsTheRecordNamingTheColumn) {
  const std::string path = WriteTestFile("x.jsonl",
                                         "{\"a\":\"1\",\"code\":\"2\"}\n"
                                         "{\"a\":\"3\"}\n");
  ReadResult r = ReadAll(path);
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[1].error.code(), StatusCode::kInvalidInput);
  EXPECT_CONTAINS(r.records[1].error.message(), path + ":2: column 'code' is missing");
  EXPECT_EQ(r.records[1].error_column, "code");
}

TEST(RecordReaderTest, JsonlExtraKeyRejectsTheRecord) {
  const std::string path = WriteTestFile("x.jsonl", "{\"a\":\"1\"}\n{\"a\":\"3\",\"zz\":1}\n");
  ReadResult r = ReadAll(path);
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_CONTAINS(r.records[1].error.message(), path + ":2: key 'zz' is not a column");
}

TEST(RecordReaderTest, JsonlRepeatedKeyRejectsTheRecord) {
  ReadResult r = ReadAll(WriteTestFile("x.jsonl", "{\"a\":\"1\"}\n{\"a\":\"3\",\"a\":\"4\"}\n"));
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_CONTAINS(r.records[1].error.message(), "key 'a' appears twice");
}

TEST(RecordReaderTest, JsonlNestedValueRejectsTheRecord) {
  const std::string path = WriteTestFile(
      "x.jsonl",
      "{\"a\":\"1\",\"b\":\"2\"}\n{\"a\":{\"x\":1},\"b\":\"2\"}\n{\"a\":\"1\",\"b\":[1]}\n");
  ReadResult r = ReadAll(path);
  ASSERT_EQ(r.records.size(), 3u);
  EXPECT_CONTAINS(r.records[1].error.message(), path + ":2: column 'a': value is a nested object");
  EXPECT_EQ(r.records[1].error_column, "a");
  EXPECT_CONTAINS(r.records[2].error.message(), path + ":3: column 'b': value is a nested array");
}

TEST(RecordReaderTest, JsonlLineThatIsNotAnObjectRejectsTheRecord) {
  const std::string path = WriteTestFile("x.jsonl", "{\"a\":\"1\"}\n[1,2]\n42\n\"text\"\n");
  ReadResult r = ReadAll(path);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.records.size(), 4u);
  EXPECT_CONTAINS(r.records[1].error.message(), path + ":2: the line is a JSON array");
  EXPECT_CONTAINS(r.records[2].error.message(), path + ":3: the line is a JSON number");
  EXPECT_CONTAINS(r.records[3].error.message(), path + ":4: the line is a JSON string");
}

TEST(RecordReaderTest, JsonlInvalidJsonRejectsTheRecordWithItsLine) {
  const std::string path = WriteTestFile(
      "x.jsonl", "{\"a\":\"1\"}\n{\"a\": x}\n{\"a\":\"2\"} trailing\n{\"a\":\"3\"}\n");
  ReadResult r = ReadAll(path);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.records.size(), 4u);
  EXPECT_EQ(r.records[1].error.code(), StatusCode::kInvalidInput);
  EXPECT_CONTAINS(r.records[1].error.message(), path + ":2: invalid JSON at byte");
  EXPECT_EQ(r.records[1].error.message().find("json.exception"), std::string::npos);
  EXPECT_CONTAINS(r.records[2].error.message(), path + ":3: invalid JSON");
  EXPECT_TRUE(r.records[3].error.ok());
}

TEST(RecordReaderTest, JsonlInvalidUtf8NamesTheColumn) {
  const std::string path = WriteTestFile("x.jsonl",
                                         "{\"a\":\"1\",\"b\":\"2\"}\n"
                                         "{\"a\":\"1\",\"b\":\"x\xFF\"}\n");
  ReadResult r = ReadAll(path);
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_CONTAINS(r.records[1].error.message(),
                  path + ":2: column 'b': invalid UTF-8 at byte 16 of the line (0xff)");
  EXPECT_EQ(r.records[1].error_column, "b");
}

TEST(RecordReaderTest, JsonlWhitespaceOnlyLinesAreBlank) {
  ReadResult r = ReadAll(WriteTestFile("x.jsonl", "\n{\"a\":\"1\"}\n  \r\n\t\n{\"a\":\"2\"}\r\n"));
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0].line, 2u);
  EXPECT_EQ(r.records[1].line, 5u);
  EXPECT_EQ(r.blank_lines, 3u);
}

TEST(RecordReaderTest, JsonlFirstLineThatIsNotAnObjectIsFatal) {
  ReadResult r = ReadAll(WriteTestFile("x.jsonl", "[\"a\",\"b\"]\n"));
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidInput);
  EXPECT_CONTAINS(r.status.message(),
                  "x.jsonl:1: cannot take the columns from the first "
                  "line: the line is a JSON array");
}

TEST(RecordReaderTest, JsonlFirstLineThatIsNotJsonIsFatal) {
  ReadResult r = ReadAll(WriteTestFile("x.jsonl", "code\ttitle\n"));
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidInput);
  EXPECT_CONTAINS(r.status.message(), "x.jsonl:1: cannot take the columns");
}

TEST(RecordReaderTest, JsonlFirstObjectWithARepeatedKeyIsFatal) {
  ReadResult r = ReadAll(WriteTestFile("x.jsonl", "{\"a\":1,\"a\":2}\n"));
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidInput);
  EXPECT_CONTAINS(r.status.message(), "key 'a' appears twice in the first object");
}

TEST(RecordReaderTest, JsonlFirstObjectWithoutKeysIsFatal) {
  ReadResult r = ReadAll(WriteTestFile("x.jsonl", "{}\n"));
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidInput);
  EXPECT_CONTAINS(r.status.message(), "no keys");
}

TEST(RecordReaderTest, JsonlFirstObjectWithANestedValueGivesTheHeaderAndARejectedRecord) {
  ReadResult r = ReadAll(WriteTestFile("x.jsonl", "{\"a\":{\"k\":[1]},\"b\":\"2\"}\n"));
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.header, (Fields{"a", "b"}));
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_CONTAINS(r.records[0].error.message(), "column 'a': value is a nested object");
}

TEST(RecordReaderTest, JsonlOverlongValueRejectsTheRecord) {
  ReaderOptions options;
  options.max_field_bytes = 3;
  ReadResult r = ReadAll(WriteTestFile("x.jsonl", "{\"a\":\"123\"}\n{\"a\":\"1234\"}\n"), options);
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_TRUE(r.records[0].error.ok());
  EXPECT_CONTAINS(r.records[1].error.message(), "column 'a': field is 4 bytes");
}

}  // namespace
}  // namespace statcoder::data
