#include "server/code_request.h"

#include <charconv>
#include <cmath>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "core/status.h"

namespace statcoder::server {
namespace {

using json = nlohmann::json;

// SAX reader of a /v1/code body. Depth 1 is the top-level object, depth 2 the records array
// (or the single record object), depth 3 a record of the array. Anything deeper, or a value of
// the wrong type, stops the parse with `error` set.
class CodeRequestReader : public nlohmann::json_sax<json> {
 public:
  explicit CodeRequestReader(size_t max_records) : max_records_(max_records) {}

  std::optional<core::Status> error;
  std::map<std::string, std::vector<std::string>> columns;
  size_t records = 0;
  bool saw_records = false;  // "records" or "record" read (a second one is ignored)
  std::optional<int64_t> top_k;
  std::optional<bool> explain;
  bool bad_top_k = false, bad_explain = false;

  // Where the parse is, for messages: "record 3, field 'title': ".
  std::string Where() const {
    if (record_ < 0) return "";
    std::string at = "record " + std::to_string(record_ + 1);
    if (!field_.empty()) at += ", field '" + field_ + "'";
    return at + ": ";
  }

  bool null() override { return Scalar(std::string(), "null"); }
  bool boolean(bool v) override {
    if (depth_ == 1 && key_ == "explain") {
      explain = v;
      return true;
    }
    return Scalar(std::nullopt, "true or false");
  }
  bool number_integer(number_integer_t v) override {
    if (depth_ == 1 && key_ == "top_k") {
      top_k = v;
      return true;
    }
    return Scalar(std::to_string(v), nullptr);
  }
  // The parser reports every non-negative integer here.
  bool number_unsigned(number_unsigned_t v) override {
    if (depth_ == 1 && key_ == "top_k") {
      if (v > 100) {
        bad_top_k = true;
      } else {
        top_k = static_cast<int64_t>(v);
      }
      return true;
    }
    return Scalar(std::to_string(v), nullptr);
  }
  bool number_float(number_float_t v, const string_t&) override {
    if (depth_ == 1 && key_ == "top_k") {
      bad_top_k = true;
      return true;
    }
    return Scalar(json(v).dump(), nullptr);
  }
  bool string(string_t& v) override { return Scalar(std::move(v), nullptr); }
  bool binary(binary_t&) override { return Scalar(std::nullopt, "binary"); }

  bool start_object(std::size_t) override {
    if (skip_ > 0) {
      ++skip_;
      return true;
    }
    if (depth_ == 0) {
      depth_ = 1;
      return true;
    }
    if (depth_ == 1 && key_ == "record" && !saw_records) {
      saw_records = true;
      depth_ = 2;
      single_ = true;
      return StartRecord();
    }
    if (depth_ == 2 && !single_) {
      depth_ = 3;
      return StartRecord();
    }
    if (depth_ == 1) return SkipValue();
    return Fail(Where() + "must be a string, a number or null");
  }
  bool end_object() override {
    if (skip_ > 0) return EndSkip();
    if (depth_ == 3 || (depth_ == 2 && single_)) {
      ++records;
      --depth_;
      field_.clear();
      record_ = -1;
      return true;
    }
    --depth_;
    return true;
  }
  bool start_array(std::size_t) override {
    if (skip_ > 0) {
      ++skip_;
      return true;
    }
    if (depth_ == 1 && key_ == "records" && !saw_records) {
      saw_records = true;
      depth_ = 2;
      single_ = false;
      return true;
    }
    if (depth_ == 0) return Fail("request body must be a JSON object");
    if (depth_ == 1) return SkipValue();
    if (depth_ == 2 && !single_) {
      return Fail("record " + std::to_string(records + 1) + " is not a JSON object");
    }
    return Fail(Where() + "must be a string, a number or null");
  }
  bool end_array() override {
    if (skip_ > 0) return EndSkip();
    --depth_;
    record_ = -1;
    return true;
  }
  bool key(string_t& k) override {
    if (skip_ > 0) return true;
    if (depth_ == 1) {
      key_ = std::move(k);
      return true;
    }
    field_ = std::move(k);
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    if (!error) {
      const bool utf8 = std::string_view(e.what()).find("UTF-8") != std::string_view::npos;
      error = core::InvalidArgument("request body: " + Where() +
                                    (utf8 ? "not valid UTF-8 (" : "not valid JSON (") + e.what() +
                                    ")");
    }
    return false;
  }

 private:
  bool Fail(std::string message) {
    if (!error) error = core::InvalidArgument(std::move(message));
    return false;
  }

  bool StartRecord() {
    if (records >= max_records_) {
      error = core::LimitExceeded("more than " + std::to_string(max_records_) +
                                  " records in one request (--max-batch): split the batch");
      return false;
    }
    record_ = static_cast<int64_t>(records);
    field_.clear();
    return true;
  }

  // A scalar: a record's field value (`value` set; nullopt for a wrong type named by `type`),
  // or a top-level value (ignored unless it is a known key of the wrong type).
  bool Scalar(std::optional<std::string> value, const char* type) {
    if (skip_ > 0) return true;
    if (depth_ == 0) return Fail("request body must be a JSON object");
    if (depth_ == 1) {
      if (key_ == "top_k") bad_top_k = true;
      if (key_ == "explain") bad_explain = true;
      if (key_ == "records" || key_ == "record") {
        return Fail("request body needs \"records\": [{field: value, ...}, ...] or \"record\": "
                    "{...}");
      }
      return true;
    }
    if (depth_ == 2 && !single_) {
      return Fail("record " + std::to_string(records + 1) + " is not a JSON object");
    }
    if (!value) return Fail(Where() + "must be a string, a number or null, not " + type);
    std::vector<std::string>& column = columns[field_];
    if (column.size() <= records) column.resize(records + 1);
    column[records] = std::move(*value);
    return true;
  }

  // Skips a nested value of an unknown top-level key (an object or array).
  bool SkipValue() {
    skip_ = 1;
    return true;
  }
  bool EndSkip() {
    --skip_;
    return true;
  }

  size_t max_records_;
  int depth_ = 0;
  int skip_ = 0;  // nesting inside an ignored top-level value
  bool single_ = false;
  int64_t record_ = -1;
  std::string key_, field_;
};

}  // namespace

json CodeRequest::RecordJson(size_t row) const {
  json j = json::object();
  for (size_t c = 0; c < table.header.size(); ++c) {
    const std::string& v = table.values[c][row];
    if (!v.empty()) j[table.header[c]] = v;
  }
  return j;
}

core::Result<CodeRequest> ParseCodeRequest(std::string_view body, size_t max_records) {
  CodeRequestReader reader(max_records);
  const bool ok = json::sax_parse(body, &reader, json::input_format_t::json, true);
  if (reader.error) return *reader.error;
  if (!ok) return core::InvalidArgument("request body: not valid JSON");
  if (reader.records == 0) {
    if (reader.saw_records) return core::InvalidArgument("\"records\" is empty");
    return core::InvalidArgument(
        "request body needs \"records\": [{field: value, ...}, ...] or \"record\": {...}");
  }
  CodeRequest request;
  if (reader.bad_top_k || (reader.top_k && (*reader.top_k < 1 || *reader.top_k > 100))) {
    return core::InvalidArgument("'top_k' must be an integer in 1..100");
  }
  if (reader.bad_explain) return core::InvalidArgument("'explain' must be true or false");
  request.top_k = reader.top_k ? static_cast<int>(*reader.top_k) : 5;
  request.explain = reader.explain.value_or(false);
  data::Table& table = request.table;
  table.name = "request";
  table.num_rows = reader.records;
  table.row_name = [](size_t r) { return "record " + std::to_string(r + 1); };
  for (auto& [name, values] : reader.columns) {
    table.header.push_back(name);
    values.resize(reader.records);
    table.values.push_back(std::move(values));
  }
  return request;
}

void AppendJsonString(std::string* out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t run = 0;  // start of the pending run of characters that need no escape
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      default: {
        const char esc[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out->append(esc, sizeof esc);
      }
    }
  }
  out->append(s.data() + run, s.size() - run);
  out->push_back('"');
}

void AppendJsonNumber(std::string* out, double v) {
  if (!std::isfinite(v)) {
    out->append("null");  // as nlohmann::json dumps NaN and infinities
    return;
  }
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  std::string_view text(buf, static_cast<size_t>(end - buf));
  out->append(text);
  if (text.find_first_of(".eE") == std::string_view::npos) out->append(".0");
}

void CodeResponseWriter::Result(const model::Model& m, std::string_view id,
                                const model::Prediction& p, int64_t kb_entry,
                                const json* explanation) {
  std::string& o = results_;
  o.append(first_ ? "{" : ",{");
  first_ = false;
  o.append("\"code\":");
  AppendJsonString(&o, p.code);
  o.append(",\"confidence\":");
  AppendJsonNumber(&o, std::round(p.confidence * 1e6) / 1e6);
  o.append(",\"decision\":");
  AppendJsonString(&o, model::DecisionName(p.decision));
  if (explanation != nullptr) {
    o.append(",\"explanation\":");
    o.append(explanation->dump(-1, ' ', false, json::error_handler_t::replace));
  }
  o.append(",\"id\":");
  AppendJsonString(&o, id);
  o.append(",\"kb_entry\":");
  if (kb_entry != 0) {
    o.append(std::to_string(kb_entry));
  } else {
    o.append("null");
  }
  o.append(",\"level\":");
  o.append(std::to_string(p.level));
  o.append(",\"level_name\":");
  AppendJsonString(&o, m.code_list() ? m.code_list()->LevelName(p.level) : "code");
  o.append(",\"model_version\":");
  AppendJsonString(&o, model_version_);
  o.append(",\"reason\":");
  AppendJsonString(&o, p.reason);
  o.append(",\"top\":[");
  for (size_t i = 0; i < p.top.size(); ++i) {
    o.append(i == 0 ? "{\"code\":" : ",{\"code\":");
    AppendJsonString(&o, m.label(static_cast<size_t>(p.top[i].label)));
    o.append(",\"probability\":");
    AppendJsonNumber(&o, std::round(p.top[i].probability * 1e6) / 1e6);
    o.push_back('}');
  }
  o.append("]}");
}

void CodeResponseWriter::Finish(size_t queued_for_review) {
  std::string& o = *out_;
  o.reserve(o.size() + results_.size() + 128);
  o.append("{\"kb_version\":");
  o.append(std::to_string(kb_version_));
  o.append(",\"model_version\":");
  AppendJsonString(&o, model_version_);
  o.append(",\"queued_for_review\":");
  o.append(std::to_string(queued_for_review));
  o.append(",\"results\":[");
  o.append(results_);
  o.append("]}");
}

}  // namespace statcoder::server
