#include "data/record_reader.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

namespace statcoder::data {
namespace {

using core::Result;
using core::Status;

// Large enough that fread goes straight to our buffer (glibc bypasses the FILE buffer for
// requests at least its size), small enough to stay in L2.
constexpr size_t kReadBlockBytes = 256 * 1024;

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

std::string HexByte(unsigned char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "0x";
  out += kHex[c >> 4];
  out += kHex[c & 0xF];
  return out;
}

bool IsJsonBlank(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
}

// nlohmann's what() reads "[json.exception.parse_error.101] parse error at line 1, column 7:
// syntax error ...". The line/column refer to the single line we handed it, which would
// contradict our file line, so only the explanation after the position is kept.
std::string JsonErrorDetail(const std::string& what) {
  const size_t p = what.find(": ");
  return p == std::string::npos ? what : what.substr(p + 2);
}

// CSV quote state at the end of a scanned stretch, RFC 4180 section 2.
enum class CsvState {
  kFieldStart,     // just after a comma or at the start of the record
  kUnquoted,       // inside a field that did not start with a quote
  kQuoted,         // inside a quoted field
  kQuoteInQuoted,  // just read a '"' inside a quoted field: closes it unless another follows
  kAfterQuote,     // junk after a closing quote; SplitCsv reports it, we skip to the comma
};

// Advances the state over `s`. Sets *opened when a quoted field starts inside `s` and is
// still open at its end, so the error for an unterminated quote can name that line.
CsvState ScanCsv(std::string_view s, CsvState state, bool* opened) {
  for (const char c : s) {
    switch (state) {
      case CsvState::kFieldStart:
        if (c == '"') {
          state = CsvState::kQuoted;
          *opened = true;
        } else if (c != ',') {
          state = CsvState::kUnquoted;
        }
        break;
      case CsvState::kUnquoted:
      case CsvState::kAfterQuote:
        if (c == ',') state = CsvState::kFieldStart;
        break;
      case CsvState::kQuoted:
        if (c == '"') state = CsvState::kQuoteInQuoted;
        break;
      case CsvState::kQuoteInQuoted:
        if (c == '"') {
          state = CsvState::kQuoted;
        } else if (c == ',') {
          state = CsvState::kFieldStart;
        } else {
          state = CsvState::kAfterQuote;
        }
        break;
    }
    if (state != CsvState::kQuoted && state != CsvState::kQuoteInQuoted) *opened = false;
  }
  return state;
}

// Resizes `fields` to n, keeping the strings' capacity for reuse across records.
void PrepareFields(std::vector<std::string>* fields, size_t n) {
  if (fields->size() < n) fields->resize(n);
  while (fields->size() > n) fields->pop_back();
}

// SAX handler for one JSON line. In header mode it collects the top-level keys (values of
// any shape are allowed, so that the first record's own problems are reported as a per-record
// error rather than a missing header). In record mode it fills fields by column and stops at
// the first problem, recording the message and the column it concerns.
class JsonLineHandler final : public nlohmann::json_sax<nlohmann::json> {
 public:
  using json = nlohmann::json;

  // Header mode.
  explicit JsonLineHandler(std::vector<std::string>* keys) : keys_(keys) {}
  // Record mode.
  JsonLineHandler(const std::unordered_map<std::string, size_t>* column_of,
                  std::vector<std::string>* fields, std::vector<char>* seen)
      : column_of_(column_of), fields_(fields), seen_(seen) {}

  bool null() override { return Scalar(std::string(), "null"); }
  bool boolean(bool val) override { return Scalar(val ? "true" : "false", "boolean"); }
  bool number_integer(number_integer_t val) override {
    return Scalar(std::to_string(val), "number");
  }
  bool number_unsigned(number_unsigned_t val) override {
    return Scalar(std::to_string(val), "number");
  }
  bool number_float(number_float_t /*val*/, const string_t& s) override {
    // The source text, so "1.50" stays "1.50" instead of being re-printed from a double.
    return Scalar(s, "number");
  }
  bool string(string_t& val) override { return Scalar(std::move(val), "string"); }
  bool binary(binary_t& /*val*/) override { return Fail("binary values are not supported"); }

  bool start_object(std::size_t /*elements*/) override {
    if (depth_ == 0) {
      depth_ = 1;
      return true;
    }
    return Nested("object");
  }
  bool end_object() override {
    --depth_;
    return true;
  }
  bool start_array(std::size_t /*elements*/) override {
    if (depth_ == 0)
      return Fail("the line is a JSON array, not an object; write one object per line");
    return Nested("array");
  }
  bool end_array() override {
    --depth_;
    return true;
  }

  bool key(string_t& val) override {
    if (depth_ != 1) return true;  // inside a nested value (header mode only)
    if (keys_ != nullptr) {
      if (std::find(keys_->begin(), keys_->end(), val) != keys_->end()) {
        return Fail("key '" + val + "' appears twice in the first object");
      }
      keys_->push_back(val);
      return true;
    }
    const auto it = column_of_->find(val);
    if (it == column_of_->end()) {
      return Fail("key '" + val +
                  "' is not a column; every line must have the keys of the first object");
    }
    current_ = it->second;
    if ((*seen_)[current_]) {
      error_column_ = val;
      return Fail("key '" + val + "' appears twice");
    }
    (*seen_)[current_] = 1;
    current_key_ = val;
    return true;
  }

  bool parse_error(std::size_t position, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& ex) override {
    error_ = "invalid JSON at byte " + std::to_string(position) + ": " + JsonErrorDetail(ex.what());
    syntax_error_ = true;
    return false;
  }

  const std::string& error() const { return error_; }
  const std::string& error_column() const { return error_column_; }
  bool syntax_error() const { return syntax_error_; }
  // The column whose value was being read when parsing stopped, or "".
  const std::string& current_key() const { return current_key_; }

 private:
  bool Scalar(std::string text, const char* kind) {
    if (depth_ == 0) {
      return Fail(std::string("the line is a JSON ") + kind +
                  ", not an object; write one object per line");
    }
    if (depth_ > 1 || keys_ != nullptr) return true;
    (*fields_)[current_] = std::move(text);
    current_key_.clear();
    return true;
  }
  bool Nested(const char* kind) {
    if (keys_ != nullptr) {  // header mode: skip over it
      ++depth_;
      return true;
    }
    error_column_ = current_key_;
    return Fail(std::string("column '") + current_key_ + "': value is a nested " + kind +
                "; only strings, numbers, booleans and null are allowed");
  }
  bool Fail(std::string message) {
    error_ = std::move(message);
    return false;
  }

  std::vector<std::string>* keys_ = nullptr;
  const std::unordered_map<std::string, size_t>* column_of_ = nullptr;
  std::vector<std::string>* fields_ = nullptr;
  std::vector<char>* seen_ = nullptr;
  int depth_ = 0;
  size_t current_ = 0;
  std::string current_key_;
  std::string error_;
  std::string error_column_;
  bool syntax_error_ = false;
};

// Runs the handler over `text`. Returns false with handler->error() set on any failure,
// including a nlohmann exception (turned into a message, never let out of the adapter).
bool RunJsonSax(std::string_view text, JsonLineHandler* handler, std::string* exception_text) {
  try {
    return nlohmann::json::sax_parse(text.begin(), text.end(), handler);
  } catch (const nlohmann::json::exception& e) {
    *exception_text = JsonErrorDetail(e.what());
    return false;
  }
}

}  // namespace

Result<FileFormat> ParseFileFormat(std::string_view name) {
  const std::string n = Lower(name);
  if (n == "tsv") return FileFormat::kTsv;
  if (n == "csv") return FileFormat::kCsv;
  if (n == "jsonl" || n == "ndjson" || n == "json") return FileFormat::kJsonl;
  if (n == "auto") return FileFormat::kAuto;
  return core::InvalidArgument("unknown file format '" + std::string(name) +
                               "'; use tsv, csv, jsonl or auto");
}

FileFormat FormatFromPath(std::string_view path) {
  const size_t slash = path.find_last_of('/');
  const std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  const size_t dot = base.find_last_of('.');
  if (dot == std::string_view::npos) return FileFormat::kTsv;
  const std::string ext = Lower(base.substr(dot + 1));
  if (ext == "csv") return FileFormat::kCsv;
  if (ext == "jsonl" || ext == "ndjson" || ext == "json") return FileFormat::kJsonl;
  return FileFormat::kTsv;
}

bool IsValidUtf8(std::string_view s, size_t* bad_offset) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    // ASCII fast path, eight bytes at a time: most statistical text is plain ASCII.
    if (i + 8 <= n) {
      uint64_t word;
      std::memcpy(&word, p + i, sizeof word);
      if ((word & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;  // overlong
      if (c == 0xED) hi = 0x9F;  // UTF-16 surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;  // overlong
      if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
    }
    bool ok = len != 0 && i + len <= n;
    if (ok && (p[i + 1] < lo || p[i + 1] > hi)) ok = false;
    for (size_t k = 2; ok && k < len; ++k) {
      if (p[i + k] < 0x80 || p[i + k] > 0xBF) ok = false;
    }
    if (!ok) {
      if (bad_offset != nullptr) *bad_offset = i;
      return false;
    }
    i += len;
  }
  return true;
}

RecordReader::~RecordReader() {
  if (file_ != nullptr) std::fclose(file_);
}

Result<std::unique_ptr<RecordReader>> RecordReader::Open(const std::string& path,
                                                         const ReaderOptions& options) {
  if (options.max_field_bytes == 0 || options.max_line_bytes == 0) {
    return core::InvalidArgument(
        "ReaderOptions: max_field_bytes and max_line_bytes must be positive");
  }
  std::unique_ptr<RecordReader> reader(new RecordReader());
  reader->path_ = path;
  reader->options_ = options;
  reader->format_ = options.format == FileFormat::kAuto ? FormatFromPath(path) : options.format;
  reader->file_ = std::fopen(path.c_str(), "rb");
  if (reader->file_ == nullptr) {
    if (errno == ENOENT) return core::NotFound("file '" + path + "' does not exist");
    return core::IoError("cannot open '" + path + "': " + std::strerror(errno));
  }
  // A small regular file gets a buffer of its size (+1, to see the end in one read): most code
  // lists and many batches are far below the block size, and the buffer is allocated per file.
  size_t block = kReadBlockBytes;
  struct stat st {};
  if (::fstat(::fileno(reader->file_), &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 0 &&
      static_cast<uint64_t>(st.st_size) < kReadBlockBytes) {
    block = static_cast<size_t>(st.st_size) + 1;
  }
  reader->buffer_.resize(block);
  RETURN_IF_ERROR(reader->ReadHeader());
  return reader;
}

std::string RecordReader::Where(uint64_t line) const { return path_ + ":" + std::to_string(line); }

std::string RecordReader::ColumnLabel(size_t column) const {
  if (column < header_.size()) return "column '" + header_[column] + "'";
  return "column " + std::to_string(column + 1);
}

Status RecordReader::ReadHeader() {
  const std::string empty_message = "file '" + path_ + "' is empty: a header line is required";
  std::string& text = pending_raw_;
  uint64_t header_line = 0;
  while (true) {
    bool got = false;
    if (format_ == FileFormat::kCsv) {
      uint64_t lines_used = 0;
      ASSIGN_OR_RETURN(got, ReadCsvRecord(&text, &lines_used));
      header_line = line_ - lines_used + 1;
    } else {
      ASSIGN_OR_RETURN(got, ReadPhysicalLine(&text));
      header_line = line_;
    }
    if (!got) return core::InvalidInput(empty_message);
    const bool blank = format_ == FileFormat::kJsonl ? IsJsonBlank(text) : text.empty();
    if (!blank) break;
    ++blank_lines_;
  }

  size_t bad = 0;
  if (!IsValidUtf8(text, &bad)) {
    return core::InvalidInput(
        Where(header_line) + ": the header has invalid UTF-8 at byte " + std::to_string(bad + 1) +
        " (" + HexByte(static_cast<unsigned char>(text[bad])) + "); save the file as UTF-8");
  }

  RawRecord header;
  header.line = header_line;
  header.raw = std::move(text);
  switch (format_) {
    case FileFormat::kTsv:
      SplitTsv(&header);
      break;
    case FileFormat::kCsv:
      SplitCsv(&header);
      break;
    case FileFormat::kJsonl:
    case FileFormat::kAuto: {
      JsonLineHandler handler(&header.fields);
      std::string exception_text;
      if (!RunJsonSax(header.raw, &handler, &exception_text)) {
        const std::string& why = exception_text.empty() ? handler.error() : exception_text;
        return core::InvalidInput(Where(header_line) +
                                  ": cannot take the columns from the first line: " + why +
                                  "; a JSON Lines file needs one JSON object per line");
      }
      break;
    }
  }
  if (!header.error.ok()) {
    return core::InvalidInput(header.error.message() + " (in the header)");
  }
  header_ = std::move(header.fields);
  RETURN_IF_ERROR(ValidateHeader(header_line));
  if (format_ == FileFormat::kJsonl) {
    pending_first_ = true;
    pending_raw_ = std::move(header.raw);
    pending_line_ = header_line;
  } else {
    pending_raw_.clear();
  }
  return Status::Ok();
}

Status RecordReader::ValidateHeader(uint64_t line) {
  if (header_.empty()) {
    return core::InvalidInput(Where(line) +
                              ": the first object has no keys, so there are no "
                              "columns");
  }
  column_of_.clear();
  column_of_.reserve(header_.size());
  for (size_t i = 0; i < header_.size(); ++i) {
    if (header_[i].empty()) {
      return core::InvalidInput(Where(line) + ": header column " + std::to_string(i + 1) +
                                " has an empty name; give every column a name");
    }
    const auto [it, inserted] = column_of_.emplace(header_[i], i);
    if (!inserted) {
      return core::InvalidInput(Where(line) + ": header column name '" + header_[i] +
                                "' appears twice (columns " + std::to_string(it->second + 1) +
                                " and " + std::to_string(i + 1) + "); rename one of them");
    }
  }
  return Status::Ok();
}

Result<size_t> RecordReader::ColumnIndex(std::string_view name) const {
  const auto it = column_of_.find(std::string(name));
  if (it != column_of_.end()) return it->second;
  std::string present;
  for (const std::string& h : header_) {
    if (!present.empty()) present += ", ";
    present += "'" + h + "'";
  }
  return core::NotFound("file '" + path_ + "' has no column '" + std::string(name) +
                        "'; columns present: " + present);
}

Result<bool> RecordReader::ReadPhysicalLine(std::string* line) {
  line->clear();
  bool got_any = false;
  // One more byte than the limit is tolerated while reading: it may be the '\r' of "\r\n".
  const size_t hard_limit = options_.max_line_bytes + 1;
  while (true) {
    if (buffer_pos_ == buffer_end_) {
      if (at_eof_) break;
      const size_t n = std::fread(buffer_.data(), 1, buffer_.size(), file_);
      if (n == 0) {
        if (std::ferror(file_)) {
          return core::IoError("read error on '" + path_ + "' after line " + std::to_string(line_) +
                               ": " + std::strerror(errno));
        }
        at_eof_ = true;
        break;
      }
      buffer_pos_ = 0;
      buffer_end_ = n;
    }
    const char* start = buffer_.data() + buffer_pos_;
    const size_t avail = buffer_end_ - buffer_pos_;
    const auto* newline = static_cast<const char*>(std::memchr(start, '\n', avail));
    const size_t take = newline != nullptr ? static_cast<size_t>(newline - start) : avail;
    got_any = true;
    if (line->size() + take > hard_limit) {
      return core::LimitExceeded(
          Where(line_ + 1) + ": line is longer than " + std::to_string(options_.max_line_bytes) +
          " bytes (limit max_line_bytes); check the file format and line endings, or "
          "raise the limit");
    }
    line->append(start, take);
    if (newline != nullptr) {
      buffer_pos_ += take + 1;
      break;
    }
    buffer_pos_ = buffer_end_;
  }
  if (!got_any) return false;
  ++line_;
  if (!line->empty() && line->back() == '\r') line->pop_back();
  if (line->size() > options_.max_line_bytes) {
    return core::LimitExceeded(Where(line_) + ": line is longer than " +
                               std::to_string(options_.max_line_bytes) +
                               " bytes (limit max_line_bytes); check the file format "
                               "and line endings, or raise the limit");
  }
  if (line_ == 1 && std::string_view(*line).substr(0, kUtf8Bom.size()) == kUtf8Bom) {
    line->erase(0, kUtf8Bom.size());
  }
  return true;
}

Result<bool> RecordReader::ReadCsvRecord(std::string* record, uint64_t* lines_used) {
  *lines_used = 0;
  ASSIGN_OR_RETURN(bool got, ReadPhysicalLine(record));
  if (!got) return false;
  *lines_used = 1;
  bool opened = false;
  uint64_t open_line = line_;
  CsvState state = ScanCsv(*record, CsvState::kFieldStart, &opened);
  while (state == CsvState::kQuoted) {
    if (opened) open_line = line_;
    ASSIGN_OR_RETURN(got, ReadPhysicalLine(&scratch_));
    if (!got) {
      return core::InvalidInput(
          Where(line_ - *lines_used + 1) + ": the quoted field that starts on line " +
          std::to_string(open_line) +
          " is not closed at end of file; close it with '\"' and double any '\"' inside it");
    }
    ++*lines_used;
    // A record spread over lines counts against the same limit as one long line.
    if (record->size() + 1 + scratch_.size() > options_.max_line_bytes) {
      return core::LimitExceeded(
          Where(line_ - *lines_used + 1) + ": record is longer than " +
          std::to_string(options_.max_line_bytes) +
          " bytes (limit max_line_bytes); is a quote left open? Otherwise raise the "
          "limit");
    }
    record->push_back('\n');
    record->append(scratch_);
    opened = false;
    state = ScanCsv(scratch_, state, &opened);
  }
  return true;
}

void RecordReader::SetError(RawRecord* out, size_t column, std::string message) const {
  if (!out->error.ok()) return;  // the first problem is the one reported
  if (column < header_.size()) out->error_column = header_[column];
  out->error =
      core::InvalidInput(Where(out->line) + ": " + ColumnLabel(column) + ": " + std::move(message));
}

void RecordReader::SplitTsv(RawRecord* out) const {
  const std::string& raw = out->raw;
  const size_t n = static_cast<size_t>(std::count(raw.begin(), raw.end(), '\t')) + 1;
  PrepareFields(&out->fields, n);
  size_t begin = 0;
  for (size_t i = 0; i < n; ++i) {
    size_t end = raw.find('\t', begin);
    if (end == std::string::npos) end = raw.size();
    out->fields[i].assign(raw, begin, end - begin);
    begin = end + 1;
  }
}

void RecordReader::SplitCsv(RawRecord* out) const {
  const std::string& raw = out->raw;
  const size_t n = raw.size();
  size_t count = 0;
  size_t i = 0;
  while (true) {
    if (out->fields.size() <= count) out->fields.emplace_back();
    std::string& field = out->fields[count];
    field.clear();
    const size_t column = count++;
    if (i < n && raw[i] == '"') {
      ++i;
      while (true) {
        // ReadCsvRecord guarantees the closing quote exists; npos only for a hand-made raw.
        size_t q = raw.find('"', i);
        if (q == std::string::npos) q = n;
        field.append(raw, i, q - i);
        i = q + 1;
        if (i < n && raw[i] == '"') {
          field.push_back('"');
          ++i;
          continue;
        }
        break;
      }
      if (i < n && raw[i] != ',') {
        std::string shown(1, raw[i]);
        if (raw[i] == '\n') shown = "\\n";
        SetError(out, column,
                 "unexpected '" + shown +
                     "' after the closing quote of a quoted field; a '\"' inside a quoted "
                     "field must be doubled (\"\")");
        i = raw.find(',', i);
        if (i == std::string::npos) i = n;
      }
    } else {
      size_t comma = raw.find(',', i);
      if (comma == std::string::npos) comma = n;
      field.append(raw, i, comma - i);
      i = comma;
    }
    if (i >= n) break;
    ++i;  // the comma
  }
  PrepareFields(&out->fields, count);
}

void RecordReader::ParseJsonLine(RawRecord* out) {
  std::vector<char>& seen = json_seen_;
  seen.assign(header_.size(), 0);
  PrepareFields(&out->fields, header_.size());
  for (std::string& f : out->fields) f.clear();
  JsonLineHandler handler(&column_of_, &out->fields, &seen);
  std::string exception_text;
  if (!RunJsonSax(out->raw, &handler, &exception_text)) {
    std::string why = exception_text.empty() ? handler.error() : exception_text;
    std::string column = handler.error_column();
    size_t bad = 0;
    if (handler.syntax_error() && !IsValidUtf8(out->raw, &bad)) {
      // nlohmann says "ill-formed UTF-8 byte"; say where, and in which column's value.
      column = handler.current_key();
      why = "invalid UTF-8 at byte " + std::to_string(bad + 1) + " of the line (" +
            HexByte(static_cast<unsigned char>(out->raw[bad])) + ")";
      if (!column.empty()) why = "column '" + column + "': " + why;
    }
    out->error_column = column;
    out->error = core::InvalidInput(Where(out->line) + ": " + why);
    return;
  }
  for (size_t i = 0; i < header_.size(); ++i) {
    if (!seen[i]) {
      out->error_column = header_[i];
      out->error = core::InvalidInput(Where(out->line) + ": column '" + header_[i] +
                                      "' is missing; every line must have the keys of the "
                                      "first object");
      return;
    }
  }
}

void RecordReader::CheckFields(RawRecord* out) const {
  for (size_t i = 0; i < out->fields.size(); ++i) {
    const size_t size = out->fields[i].size();
    if (size > options_.max_field_bytes) {
      SetError(out, i,
               "field is " + std::to_string(size) + " bytes, longer than the limit of " +
                   std::to_string(options_.max_field_bytes) + " (--max-field-bytes)");
      return;
    }
  }
  // Separators are ASCII, so a valid line has valid fields: check the line once and look for
  // the column only when it fails. JSON values were validated by the parser.
  if (format_ == FileFormat::kJsonl || IsValidUtf8(out->raw)) return;
  for (size_t i = 0; i < out->fields.size(); ++i) {
    size_t bad = 0;
    if (!IsValidUtf8(out->fields[i], &bad)) {
      SetError(out, i,
               "invalid UTF-8 at byte " + std::to_string(bad + 1) + " (" +
                   HexByte(static_cast<unsigned char>(out->fields[i][bad])) +
                   "); save the file as UTF-8");
      return;
    }
  }
}

Result<bool> RecordReader::Next(RawRecord* out) {
  out->error = Status::Ok();
  out->error_column.clear();
  while (true) {
    bool got = false;
    if (pending_first_) {
      pending_first_ = false;
      out->raw = std::move(pending_raw_);
      out->line = pending_line_;
      got = true;
    } else if (format_ == FileFormat::kCsv) {
      uint64_t lines_used = 0;
      ASSIGN_OR_RETURN(got, ReadCsvRecord(&out->raw, &lines_used));
      out->line = line_ - lines_used + 1;
    } else {
      ASSIGN_OR_RETURN(got, ReadPhysicalLine(&out->raw));
      out->line = line_;
    }
    if (!got) return false;
    const bool blank = format_ == FileFormat::kJsonl ? IsJsonBlank(out->raw) : out->raw.empty();
    if (!blank) break;
    ++blank_lines_;
  }
  if (++records_ > options_.max_records) {
    return core::LimitExceeded(Where(out->line) + ": more than " +
                               std::to_string(options_.max_records) +
                               " records (limit max_records); split the file or raise "
                               "the limit");
  }
  switch (format_) {
    case FileFormat::kTsv:
      SplitTsv(out);
      break;
    case FileFormat::kCsv:
      SplitCsv(out);
      break;
    case FileFormat::kJsonl:
    case FileFormat::kAuto:
      ParseJsonLine(out);
      break;
  }
  if (!out->error.ok()) return true;
  if (out->fields.size() != header_.size()) {
    out->error =
        core::InvalidInput(Where(out->line) + ": expected " + std::to_string(header_.size()) +
                           " columns, found " + std::to_string(out->fields.size()));
    return true;
  }
  CheckFields(out);
  return true;
}

}  // namespace statcoder::data
