// RecordReader: streams records from a UTF-8 TSV, CSV (RFC 4180 quoting) or JSON Lines file
// with a header (for JSON Lines, the keys of the first object in order), columns chosen by name.
//
//   ASSIGN_OR_RETURN(auto reader, RecordReader::Open("coded.tsv", {}));
//   ASSIGN_OR_RETURN(size_t text_col, reader->ColumnIndex("text"));
//   RawRecord rec;  // reused: its strings keep their capacity from record to record
//   while (true) {
//     ASSIGN_OR_RETURN(bool more, reader->Next(&rec));
//     if (!more) break;
//     if (!rec.error.ok()) { /* reject: rec.error says line and column */ continue; }
//     use(rec.fields[text_col]);
//   }
//
// Two kinds of failure:
//  - fatal (a Status from Open/Next): file missing or unreadable, empty file, header names
//    that are empty, repeated or not UTF-8, a line longer than max_line_bytes, too many rows,
//    an unterminated CSV quote at end of file, a first JSON line that is not an object;
//  - per record (RawRecord::error, reading continues): wrong column count, invalid UTF-8,
//    a field longer than max_field_bytes, a JSON line that is not an object of scalars with
//    exactly the header's keys, a CSV quoted field followed by something other than a comma.
// Every message names the file, the 1-based line and, where there is one, the column:
//   "coded.tsv:12: column 'code': invalid UTF-8 at byte 5 (0xff)" (byte 1-based in the field).
// Blank lines are skipped (and counted as skipped, never silently lost: see blank_lines()); in
// TSV and CSV a blank line is an empty one, in JSON Lines one of only whitespace. Blank lines
// before the header are skipped too: the header is the first non-blank line.
//
// Dialects. TSV: fields split on every tab, no quoting. CSV (RFC 4180): comma separated; a
// field that starts with '"' is quoted and may hold commas, line breaks (read as "\n") and
// doubled quotes; a '"' inside an unquoted field is kept as a literal character. JSON Lines:
// one object per line; numbers keep their source text ("1.50"), booleans become "true" /
// "false", null becomes "". All formats: "\r\n" line ends are accepted and a UTF-8 byte order
// mark at the start of the file is skipped.
// Thread-safety: not thread-safe; one reader per thread.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"

namespace statcoder::data {

enum class FileFormat { kAuto, kTsv, kCsv, kJsonl };

// Parses "tsv", "csv", "jsonl"/"ndjson"/"json", "auto".
core::Result<FileFormat> ParseFileFormat(std::string_view name);
// kAuto resolved from the extension: .csv → CSV, .jsonl/.ndjson/.json → JSON Lines, else TSV.
FileFormat FormatFromPath(std::string_view path);

struct ReaderOptions {
  FileFormat format = FileFormat::kAuto;
  size_t max_field_bytes = 64 * 1024;        // a longer field rejects its record
  size_t max_line_bytes = 16 * 1024 * 1024;  // a longer physical record is a fatal error
  uint64_t max_records = 100'000'000;        // more records is a fatal error
};

struct RawRecord {
  uint64_t line = 0;                // 1-based line where the record starts (header is line 1)
  std::vector<std::string> fields;  // one per header column when error is OK
  std::string raw;                  // the record's original text, for rejects files
  core::Status error;               // per-record problem; fields may then be incomplete
  std::string error_column;         // the column `error` is about; empty when about the record
};

class RecordReader {
 public:
  static core::Result<std::unique_ptr<RecordReader>> Open(const std::string& path,
                                                          const ReaderOptions& options);
  ~RecordReader();

  const std::vector<std::string>& header() const { return header_; }
  const std::string& path() const { return path_; }
  FileFormat format() const { return format_; }

  // Index of the named column, or kNotFound naming the file and listing the columns present.
  core::Result<size_t> ColumnIndex(std::string_view name) const;

  // Reads the next record into *out. Returns false at end of file.
  core::Result<bool> Next(RawRecord* out);

  uint64_t blank_lines() const { return blank_lines_; }

 private:
  RecordReader() = default;
  RecordReader(const RecordReader&) = delete;
  RecordReader& operator=(const RecordReader&) = delete;

  core::Status ReadHeader();
  core::Status ValidateHeader(uint64_t line);
  // Reads one physical line without its "\n" / "\r\n" into *line; false at end of file.
  core::Result<bool> ReadPhysicalLine(std::string* line);
  // Reads physical lines until every CSV quote is closed; they are joined with "\n".
  core::Result<bool> ReadCsvRecord(std::string* record, uint64_t* lines_used);
  void SplitTsv(RawRecord* out) const;
  void SplitCsv(RawRecord* out) const;
  void ParseJsonLine(RawRecord* out);
  void CheckFields(RawRecord* out) const;
  void SetError(RawRecord* out, size_t column, std::string message) const;
  std::string ColumnLabel(size_t column) const;
  std::string Where(uint64_t line) const;  // "path:line"

  std::string path_;
  ReaderOptions options_;
  FileFormat format_ = FileFormat::kTsv;
  FILE* file_ = nullptr;
  std::vector<std::string> header_;
  std::unordered_map<std::string, size_t> column_of_;  // header name → index
  uint64_t line_ = 0;                                  // lines consumed so far
  uint64_t records_ = 0;
  uint64_t blank_lines_ = 0;

  // Our own buffer over file_ (fread in large blocks + memchr) instead of getline, so that a
  // file without line breaks stops at max_line_bytes instead of being read whole into memory.
  std::vector<char> buffer_;
  size_t buffer_pos_ = 0;
  size_t buffer_end_ = 0;
  bool at_eof_ = false;
  std::string scratch_;          // continuation lines of CSV records
  std::vector<char> json_seen_;  // per column: key seen in the current JSON line

  // JSON Lines: the first object is both the header and the first record.
  bool pending_first_ = false;
  std::string pending_raw_;
  uint64_t pending_line_ = 0;
};

// Checks that `s` is valid UTF-8 (no overlong forms, surrogates or code points above
// U+10FFFF); on failure *bad_offset is the 0-based offset of the first byte of the first
// invalid sequence.
bool IsValidUtf8(std::string_view s, size_t* bad_offset = nullptr);

}  // namespace statcoder::data
