#include "data/dataset.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>
#include <string_view>
#include <system_error>
#include <utility>

#include "core/content_hash.h"
#include "core/file_util.h"
#include "data/series_features.h"

namespace statcoder::data {
namespace {

using core::Result;
using core::Status;

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool ParseNumericField(std::string_view text, double* value, std::string* why) {
  std::string_view s = TrimSpaces(text);
  if (s.empty()) {
    *value = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  // from_chars refuses a leading '+', which spreadsheets sometimes write.
  if (s.size() > 1 && s.front() == '+' && s[1] != '-' && s[1] != '+') s.remove_prefix(1);
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *value);
  if (ec == std::errc::result_out_of_range) {
    *why = "'" + std::string(text) + "' is out of the range of a double";
    return false;
  }
  if (ec != std::errc() || end != s.data() + s.size()) {
    *why = "'" + std::string(text) + "' is not a number";
    return false;
  }
  if (!std::isfinite(*value)) {
    *why = "'" + std::string(text) +
           "' is not a finite number; leave the field empty for a missing value";
    return false;
  }
  return true;
}

namespace {

// How users name each schema role (the CLI flags and the Python keyword arguments).
std::string RoleName(std::string_view role) {
  if (role == "id_field") return "the id column, --id";
  if (role == "text_fields") return "a text column, --text";
  if (role == "categorical_fields") return "a categorical column, --categorical";
  if (role == "numeric_fields") return "a numeric column, --numeric";
  if (role == "label_field") return "the label column, --label";
  if (role == "group_field") return "the group column, --group";
  if (role == "kept_fields") return "a column to keep, --keep";
  return std::string(role);
}

Result<size_t> Resolve(const RecordReader& reader, const std::string& name, const char* role) {
  Result<size_t> col = reader.ColumnIndex(name);
  if (!col.ok()) {
    return Status(col.status().code(), col.status().message() + " (wanted as " + RoleName(role) + ")");
  }
  return col;
}

void AppendEscaped(std::string_view s, std::string* out) {
  for (const char c : s) {
    switch (c) {
      case '\\':
        *out += "\\\\";
        break;
      case '\t':
        *out += "\\t";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      default:
        out->push_back(c);
    }
  }
}

std::string Percent(double share) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f%%", 100.0 * share);
  return buf;
}

}  // namespace

Status Schema::Validate() const {
  if (text_fields.empty()) {
    return core::InvalidArgument(
        "at least one text column is required (--text)");
  }
  std::vector<std::pair<std::string, const char*>> named;
  if (!id_field.empty()) named.emplace_back(id_field, "id_field");
  for (const auto& f : text_fields) named.emplace_back(f, "text_fields");
  for (const auto& f : categorical_fields) named.emplace_back(f, "categorical_fields");
  for (const auto& f : numeric_fields) {
    RETURN_IF_ERROR(CheckNumericFieldName(f));
    named.emplace_back(f, "numeric_fields");
  }
  if (!label_field.empty()) named.emplace_back(label_field, "label_field");
  if (!group_field.empty()) named.emplace_back(group_field, "group_field");
  for (size_t i = 0; i < kept_fields.size(); ++i) {
    if (kept_fields[i].empty()) {
      return core::InvalidArgument("empty column name given for " + RoleName("kept_fields"));
    }
    for (size_t j = 0; j < i; ++j) {
      if (kept_fields[j] == kept_fields[i]) {
        return core::InvalidArgument("column '" + kept_fields[i] + "' is kept twice (--keep)");
      }
    }
  }
  for (size_t i = 0; i < named.size(); ++i) {
    if (named[i].first.empty()) {
      return core::InvalidArgument("empty column name given for " + RoleName(named[i].second));
    }
    for (size_t j = 0; j < i; ++j) {
      if (named[j].first == named[i].first) {
        return core::InvalidArgument("schema: column '" + named[i].first + "' is named twice (" +
                                     named[j].second + " and " + named[i].second +
                                     "); give each column one role");
      }
    }
  }
  return Status::Ok();
}

Result<Dataset> LoadDataset(const std::string& path, const Schema& schema,
                            const LoadOptions& options, const CodeList* code_list) {
  RETURN_IF_ERROR(schema.Validate());
  ASSIGN_OR_RETURN(std::unique_ptr<RecordReader> reader, RecordReader::Open(path, options.reader));

  std::optional<size_t> id_col, label_col, group_col;
  std::vector<size_t> text_cols, cat_cols, num_cols, kept_cols;
  if (!schema.id_field.empty()) {
    ASSIGN_OR_RETURN(id_col, Resolve(*reader, schema.id_field, "id_field"));
  }
  for (const auto& f : schema.kept_fields) {
    ASSIGN_OR_RETURN(const size_t c, Resolve(*reader, f, "kept_fields"));
    kept_cols.push_back(c);
  }
  for (const auto& f : schema.text_fields) {
    ASSIGN_OR_RETURN(const size_t c, Resolve(*reader, f, "text_fields"));
    text_cols.push_back(c);
  }
  for (const auto& f : schema.categorical_fields) {
    ASSIGN_OR_RETURN(const size_t c, Resolve(*reader, f, "categorical_fields"));
    cat_cols.push_back(c);
  }
  for (const auto& f : schema.numeric_fields) {
    // A derived field ("values:log_magnitude") is computed from its source column.
    ASSIGN_OR_RETURN(const size_t c, Resolve(*reader, NumericSourceColumn(f), "numeric_fields"));
    num_cols.push_back(c);
  }
  if (!schema.label_field.empty()) {
    ASSIGN_OR_RETURN(label_col, Resolve(*reader, schema.label_field, "label_field"));
  }
  if (!schema.group_field.empty()) {
    ASSIGN_OR_RETURN(group_col, Resolve(*reader, schema.group_field, "group_field"));
  }
  const std::string code_list_name = code_list != nullptr && !code_list->source().empty()
                                         ? "the code list '" + code_list->source() + "'"
                                         : std::string("the code list");

  Dataset ds;
  ds.path = path;
  ds.header = reader->header();
  RawRecord rec;
  uint64_t row = 0;  // 1-based data row, counting rejected rows too, so ids never shift
  std::string why;
  while (true) {
    ASSIGN_OR_RETURN(const bool more, reader->Next(&rec));
    if (!more) break;
    ++row;
    if (!rec.error.ok()) {
      ds.rejections.push_back({rec.line, rec.error_column, rec.error.message(), rec.raw});
      continue;
    }
    const auto reject = [&](const std::string& column, const std::string& message) {
      ds.rejections.push_back(
          {rec.line, column,
           path + ":" + std::to_string(rec.line) + ": column '" + column + "': " + message,
           rec.raw});
    };

    Record r;
    r.line = rec.line;
    if (id_col) {
      if (rec.fields[*id_col].empty()) {
        reject(schema.id_field, "empty id; every record needs one to be matched with its codes");
        continue;
      }
      r.id = rec.fields[*id_col];
    } else {
      r.id = std::to_string(row);
    }

    bool ok = true;
    r.numerics.resize(num_cols.size());
    for (size_t k = 0; k < num_cols.size() && ok; ++k) {
      if (!ParseNumericInput(schema.numeric_fields[k], rec.fields[num_cols[k]], &r.numerics[k],
                             &why)) {
        reject(schema.numeric_fields[k], why);
        ok = false;
      }
    }
    if (!ok) continue;

    if (label_col) {
      const std::string& label = rec.fields[*label_col];
      if (label.empty()) {
        if (!options.allow_empty_label) {
          reject(schema.label_field,
                 "empty label; fill it in or remove the record");
          continue;
        }
      } else if (code_list != nullptr && code_list->Find(label) < 0) {
        reject(schema.label_field, "label '" + label + "' is not in " + code_list_name);
        continue;
      }
      r.label = label;
    }
    if (group_col) r.group = rec.fields[*group_col];
    // Copied before the fields are moved out below: a kept column may also be a text.
    r.kept.reserve(kept_cols.size());
    for (const size_t c : kept_cols) r.kept.push_back(rec.fields[c]);

    // Moved out: the reader reallocates them on the next record either way.
    r.texts.reserve(text_cols.size());
    for (const size_t c : text_cols) r.texts.push_back(std::move(rec.fields[c]));
    r.categoricals.reserve(cat_cols.size());
    for (const size_t c : cat_cols) r.categoricals.push_back(std::move(rec.fields[c]));
    ds.records.push_back(std::move(r));
  }
  ds.blank_lines = reader->blank_lines();
  ASSIGN_OR_RETURN(ds.content_hash, core::Sha256File(path));
  return ds;
}

namespace {

// A table's roles as the Python API names them (its keyword arguments).
std::string TableRoleName(std::string_view role) {
  if (role == "id_field") return "the id column";
  if (role == "text_fields") return "a text column, text=";
  if (role == "categorical_fields") return "a categorical column, categorical=";
  if (role == "numeric_fields") return "a numeric column, numeric=";
  if (role == "label_field") return "the label column, label=";
  if (role == "group_field") return "the group column, group=";
  return std::string(role);
}

}  // namespace

Result<Dataset> DatasetFromTable(Table table, const Schema& schema, const LoadOptions& options,
                                 const CodeList* code_list) {
  RETURN_IF_ERROR(schema.Validate());
  const size_t n = table.num_rows;
  // Resolves a column and checks that its values are there, one per row.
  const auto find = [&](const std::string& name, const char* role) -> Result<size_t> {
    for (size_t c = 0; c < table.header.size(); ++c) {
      if (table.header[c] != name) continue;
      if (c >= table.values.size() || (table.values[c].empty() && n > 0)) {
        return core::NotFound(table.name + ": no values were given for column '" + name + "'");
      }
      if (table.values[c].size() != n) {
        return core::InvalidInput(table.name + ": column '" + name + "' has " +
                                  std::to_string(table.values[c].size()) + " values for " +
                                  std::to_string(n) + " rows");
      }
      return c;
    }
    std::string present;
    for (const std::string& h : table.header) {
      if (!present.empty()) present += ", ";
      present += "'" + h + "'";
    }
    return core::NotFound(table.name + " has no column '" + name + "' (wanted as " +
                          TableRoleName(role) + "); columns present: " + present);
  };
  std::vector<std::pair<size_t, const std::string*>> used;  // column, name: in schema order
  std::optional<size_t> id_col, label_col, group_col;
  std::vector<size_t> text_cols, cat_cols, num_cols;
  const auto add = [&](const std::string& name, const char* role) -> Result<size_t> {
    ASSIGN_OR_RETURN(const size_t c, find(name, role));
    used.emplace_back(c, &name);
    return c;
  };
  if (!schema.id_field.empty()) {
    ASSIGN_OR_RETURN(id_col, add(schema.id_field, "id_field"));
  }
  for (const auto& f : schema.text_fields) {
    ASSIGN_OR_RETURN(const size_t c, add(f, "text_fields"));
    text_cols.push_back(c);
  }
  for (const auto& f : schema.categorical_fields) {
    ASSIGN_OR_RETURN(const size_t c, add(f, "categorical_fields"));
    cat_cols.push_back(c);
  }
  std::vector<std::string> numeric_sources;  // add() keeps a pointer: stable storage
  numeric_sources.reserve(schema.numeric_fields.size());
  for (const auto& f : schema.numeric_fields) numeric_sources.push_back(NumericSourceColumn(f));
  for (const auto& f : numeric_sources) {
    ASSIGN_OR_RETURN(const size_t c, add(f, "numeric_fields"));
    num_cols.push_back(c);
  }
  if (!schema.label_field.empty()) {
    ASSIGN_OR_RETURN(label_col, add(schema.label_field, "label_field"));
  }
  if (!schema.group_field.empty()) {
    ASSIGN_OR_RETURN(group_col, add(schema.group_field, "group_field"));
  }

  // Hashed before the values are moved into records: length-prefixed, so no two different
  // tables serialise alike.
  core::ContentHasher hasher;
  const auto hash_string = [&hasher](std::string_view v) {
    const uint64_t size = v.size();
    char prefix[8];
    for (int i = 0; i < 8; ++i) prefix[i] = static_cast<char>((size >> (8 * i)) & 0xff);
    hasher.Update(std::string_view(prefix, 8));
    hasher.Update(v);
  };
  for (const auto& [c, name] : used) {
    hash_string(*name);
    for (const std::string& v : table.values[c]) hash_string(v);
  }

  const std::string code_list_name = code_list != nullptr && !code_list->source().empty()
                                         ? "the code list '" + code_list->source() + "'"
                                         : std::string("the code list");
  Dataset ds;
  ds.path = table.name;
  ds.header = table.header;
  ds.content_hash = hasher.FinishHex();
  ds.records.reserve(n);
  std::string why;
  for (size_t row = 0; row < n; ++row) {
    const auto value = [&](size_t c) -> std::string& { return table.values[c][row]; };
    const auto reject = [&](const std::string& column, const std::string& message) {
      std::string raw;
      for (const auto& [c, name] : used) {
        if (!raw.empty()) raw.push_back('\t');
        raw += value(c);
      }
      const std::string where =
          table.row_name ? table.row_name(row) : "row " + std::to_string(row + 1);
      ds.rejections.push_back({row + 1, column,
                               table.name + " " + where + ": column '" + column + "': " + message,
                               std::move(raw)});
    };
    // What a reader checks of every field, in the same words.
    bool ok = true;
    for (const auto& [c, name] : used) {
      const std::string& v = value(c);
      size_t bad = 0;
      if (v.size() > options.reader.max_field_bytes) {
        reject(*name, "field is " + std::to_string(v.size()) + " bytes, longer than the limit of " +
                          std::to_string(options.reader.max_field_bytes) + " (max_field_bytes)");
        ok = false;
      } else if (!IsValidUtf8(v, &bad)) {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned char>(v[bad]));
        reject(*name, "invalid UTF-8 at byte " + std::to_string(bad + 1) + " (" + hex + ")");
        ok = false;
      }
      if (!ok) break;
    }
    if (!ok) continue;

    Record r;
    r.line = row + 1;
    if (id_col) {
      if (value(*id_col).empty()) {
        reject(schema.id_field, "empty id; every record needs one to be matched with its codes");
        continue;
      }
      r.id = value(*id_col);
    } else {
      r.id = std::to_string(row + 1);
    }
    r.numerics.resize(num_cols.size());
    for (size_t k = 0; k < num_cols.size() && ok; ++k) {
      if (!ParseNumericInput(schema.numeric_fields[k], value(num_cols[k]), &r.numerics[k],
                             &why)) {
        reject(schema.numeric_fields[k], why);
        ok = false;
      }
    }
    if (!ok) continue;
    if (label_col) {
      const std::string& label = value(*label_col);
      if (label.empty()) {
        if (!options.allow_empty_label) {
          reject(schema.label_field, "empty label; fill it in or remove the record");
          continue;
        }
      } else if (code_list != nullptr && code_list->Find(label) < 0) {
        reject(schema.label_field, "label '" + label + "' is not in " + code_list_name);
        continue;
      }
      r.label = label;
    }
    if (group_col) r.group = value(*group_col);
    r.texts.reserve(text_cols.size());
    for (const size_t c : text_cols) r.texts.push_back(std::move(value(c)));
    r.categoricals.reserve(cat_cols.size());
    for (const size_t c : cat_cols) r.categoricals.push_back(std::move(value(c)));
    ds.records.push_back(std::move(r));
  }
  return ds;
}

Status CheckRejectShare(const Dataset& dataset, double max_share) {
  if (!(max_share >= 0.0 && max_share <= 1.0)) {
    return core::InvalidArgument("the allowed reject share must be between 0 and 1, got " +
                                 std::to_string(max_share));
  }
  const size_t accepted = dataset.records.size();
  const size_t rejected = dataset.rejections.size();
  if (accepted == 0) {
    if (rejected == 0) {
      return core::FailedPrecondition("file '" + dataset.path +
                                      "' has no records, only a header; nothing to use");
    }
    return core::FailedPrecondition(
        "all " + std::to_string(rejected) + " records of '" + dataset.path +
        "' were rejected; the first: " + dataset.rejections.front().reason);
  }
  const double share = static_cast<double>(rejected) / static_cast<double>(accepted + rejected);
  if (share > max_share) {
    return core::FailedPrecondition(
        std::to_string(rejected) + " of " + std::to_string(accepted + rejected) + " records of '" +
        dataset.path + "' were rejected (" + Percent(share) + "), more than the allowed " +
        Percent(max_share) + "; the first: " + dataset.rejections.front().reason +
        "; fix the records listed in the rejects file or raise the allowed share");
  }
  return Status::Ok();
}

Status WriteRejects(const Dataset& dataset, const std::string& path) {
  std::string out = "line\tcolumn\treason\traw\n";
  for (const Rejection& r : dataset.rejections) {
    out += std::to_string(r.line);
    out += '\t';
    AppendEscaped(r.column, &out);
    out += '\t';
    AppendEscaped(r.reason, &out);
    out += '\t';
    AppendEscaped(r.raw, &out);
    out += '\n';
  }
  return core::WriteFileAtomic(path, out);
}

}  // namespace statcoder::data
