// Dataset: the records of one file, read through RecordReader and mapped onto a Schema (which
// columns are id, text, categorical, numeric, label). Bad records are never silently dropped:
// each becomes a Rejection with its line, column and reason, and the caller decides (reject
// share limit) whether the run may go on.
// Records already in memory (a DataFrame handed over by the Python API) come in as a Table
// and are validated the same way (DatasetFromTable).
//
//   Schema schema{.text_fields = {"title"}, .label_field = "code"};
//   ASSIGN_OR_RETURN(Dataset ds, LoadDataset("coded.tsv", schema, {}, &code_list));
//   RETURN_IF_ERROR(CheckRejectShare(ds, 0.0));
//
// Thread-safety: a Dataset is a plain value.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "data/code_list.h"
#include "data/record_reader.h"

namespace statcoder::data {

struct Schema {
  std::string id_field;                  // empty: the 1-based data row number is the id
  std::vector<std::string> text_fields;  // at least one
  std::vector<std::string> categorical_fields;
  std::vector<std::string> numeric_fields;
  std::string label_field;  // empty when coding unlabelled data
  // A column for subgroup quality (region, survey mode...): read as is, never a feature.
  std::string group_field;
  // Columns copied through to the output as they are (`code --keep`), never features; they may
  // be columns with another role too (the text itself, the id).
  std::vector<std::string> kept_fields;

  // kInvalidArgument unless there is at least one text field, no name is empty and no column
  // has two roles.
  core::Status Validate() const;
};

struct Record {
  uint64_t line = 0;  // source line, for messages
  std::string id;
  std::vector<std::string> texts;         // matches Schema::text_fields
  std::vector<std::string> categoricals;  // matches Schema::categorical_fields
  std::vector<double> numerics;           // matches Schema::numeric_fields; NaN = missing
  std::string label;                      // empty when the schema has no label
  std::string group;                      // empty when the schema has no group column
  std::vector<std::string> kept;          // matches Schema::kept_fields
};

struct Rejection {
  uint64_t line = 0;
  std::string column;  // may be empty when the whole record is bad
  std::string reason;  // full message, "file:line: column 'x': ..."
  std::string raw;     // original record text
};

struct Dataset {
  std::string path;
  std::vector<std::string> header;
  std::vector<Record> records;
  std::vector<Rejection> rejections;
  uint64_t blank_lines = 0;
  std::string content_hash;  // SHA-256 of the file's bytes
};

struct LoadOptions {
  ReaderOptions reader;
  // When false, a label that is empty is rejected; when true (evaluation/coding of data that
  // may be partly unlabelled) it is kept as "".
  bool allow_empty_label = false;
};

// Reads and validates. Fatal reader errors, an invalid schema and missing columns (kNotFound,
// naming the file, the column and the columns present) are returned as a Status.
// Record-level problems (reader errors, empty id, empty label, label not in `code_list` when
// given, unparsable number) become Rejections, one per record (its first problem). Numbers are
// read with std::from_chars after trimming spaces (a leading '+' is allowed); an empty field is
// NaN; inf and nan are rejected. Labels and ids are used exactly as written (no trimming).
core::Result<Dataset> LoadDataset(const std::string& path, const Schema& schema,
                                  const LoadOptions& options, const CodeList* code_list);

// Records held in memory instead of a file (the Python API's DataFrames): every column by name,
// and the values of the columns the schema uses, as text. A missing value is "", a number its
// decimal form, exactly as a file would hold them.
struct Table {
  std::string name;                 // names the data in messages and in Dataset::path
  std::vector<std::string> header;  // every column name, in order
  size_t num_rows = 0;
  // values[c][r] = row r of header column c, for the columns the schema names; the others
  // may be left empty.
  std::vector<std::vector<std::string>> values;
  // How messages name row r (0-based), e.g. "index 'a17'"; when empty, "row <r + 1>".
  std::function<std::string(size_t)> row_name;
};

// Maps a Table onto `schema` and validates it as LoadDataset validates a file's records: the
// same rejections (a field over options.reader.max_field_bytes or not valid UTF-8, empty id,
// empty label, label not in `code_list`, unparsable number), with "<name> <row name>" where a
// file's messages have "<path>:<line>". Rejection::line and Record::line are the 1-based row.
// Values are moved out of `table`. Errors: kInvalidArgument (schema), kNotFound (a column the
// schema names is not in the header, or its values are missing), kInvalidInput (a column whose
// length is not num_rows). content_hash is the SHA-256 of the used columns' names and values
// (each length-prefixed, in schema order), so the same data gives the same hash.
core::Result<Dataset> DatasetFromTable(Table table, const Schema& schema,
                                       const LoadOptions& options, const CodeList* code_list);

// A numeric field as data files give it: spaces trimmed, a leading '+' allowed, empty = missing
// (NaN); anything else must be one finite number. On failure *why says what is wrong with it.
bool ParseNumericField(std::string_view text, double* value, std::string* why);

// kFailedPrecondition when rejected / (accepted + rejected) > max_share, with the first
// rejection's message and the count; OK otherwise. Also fails when nothing was accepted.
core::Status CheckRejectShare(const Dataset& dataset, double max_share);

// Writes rejections as TSV with a header line: line, column, reason, raw. In every field a
// backslash, tab, newline and carriage return are written as \\, \t, \n, \r, so the file
// always has four columns and the original text can be restored. Written atomically.
core::Status WriteRejects(const Dataset& dataset, const std::string& path);

}  // namespace statcoder::data
