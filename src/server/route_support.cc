#include "server/route_support.h"

#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <map>

#include "model/batch_coder.h"

namespace statcoder::server {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// Names the record and field where a body stopped being valid JSON (e.g. ill-formed UTF-8), so
// the error points at the field as a data file's rejection would.
class ErrorLocator : public nlohmann::json_sax<json> {
 public:
  std::string top_key, field;
  int64_t record = -1;

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool key(string_t& k) override {
    (depth_ == 1 ? top_key : field) = k;
    return true;
  }
  bool start_object(std::size_t) override {
    ++depth_;
    if ((top_key == "records" && depth_ == 3) || (top_key == "record" && depth_ == 2)) {
      ++record;
      field.clear();
    }
    return true;
  }
  bool end_object() override { return --depth_, true; }
  bool start_array(std::size_t) override { return ++depth_, true; }
  bool end_array() override { return --depth_, true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  int depth_ = 0;
};

}  // namespace

int HttpStatusFor(core::StatusCode code) {
  using core::StatusCode;
  switch (code) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kInvalidInput:
      return 400;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kAlreadyExists:
      return 409;
    case StatusCode::kFailedPrecondition:
      return 409;
    case StatusCode::kLimitExceeded:
      return 413;
    case StatusCode::kDataLoss:
      return 500;
    case StatusCode::kUnsupportedVersion:
      return 500;
    case StatusCode::kIoError:
      return 503;  // e.g. another process holds the workspace lock
    case StatusCode::kInternal:
      return 500;
  }
  return 500;
}

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

RequestContext& CurrentRequest() {
  thread_local RequestContext context;
  return context;
}

void BeginRequest(HttpResponse& res) {
  static std::atomic<uint64_t> counter{0};
  static const uint32_t process_tag = randombytes_random();
  char id[32];
  std::snprintf(id, sizeof id, "%08x%08llx", process_tag,
                static_cast<unsigned long long>(counter.fetch_add(1) + 1));
  CurrentRequest() = {.active = true,
               .id = id,
               .route = "unmatched",
               .user = "",
               .records = 0,
               .start = Clock::now()};
  res.SetHeader("X-Request-Id", CurrentRequest().id);
}

void SendError(HttpResponse& res, int http_status, std::string_view code,
               const std::string& message, json extra) {
  res.status = http_status;
  json error = {{"code", code}, {"message", message}, {"request_id", CurrentRequest().id}};
  error.update(extra);
  res.SetContent(Dump({{"error", error}}), "application/json");
}

void SendStatus(HttpResponse& res, const core::Status& s) {
  SendError(res, HttpStatusFor(s.code()), core::StatusCodeName(s.code()), s.message());
}

void SendJson(HttpResponse& res, const json& j) {
  res.status = 200;
  res.SetContent(Dump(j), "application/json");
}

core::Result<json> ParseBody(const std::string& body) {
  try {
    return json::parse(body);
  } catch (const json::exception& e) {
    ErrorLocator where;
    json::sax_parse(body, &where, json::input_format_t::json, false);
    std::string at;
    if (where.record >= 0 && !where.field.empty()) {
      at = "record " + std::to_string(where.record + 1) + ", field '" + where.field + "': ";
    }
    const bool utf8 = std::string_view(e.what()).find("UTF-8") != std::string_view::npos;
    return core::InvalidArgument("request body: " + at +
                                 (utf8 ? "not valid UTF-8 (" + std::string(e.what()) + ")"
                                       : "not valid JSON (" + std::string(e.what()) + ")"));
  }
}

// Records of a parsed body (POST /v1/explain) as a Dataset the model reads.
core::Result<data::Dataset> RecordsToDataset(const json& records, const model::Model& m,
                                             const std::string& id_field, size_t max_field_bytes) {
  data::Table table;
  table.name = "request";
  table.num_rows = records.size();
  table.row_name = [](size_t r) { return "record " + std::to_string(r + 1); };
  std::map<std::string, std::vector<std::string>> columns;
  for (size_t r = 0; r < records.size(); ++r) {
    const json& rec = records[r];
    const std::string where = "record " + std::to_string(r + 1);
    if (!rec.is_object()) return core::InvalidArgument(where + " is not a JSON object");
    for (const auto& [name, value] : rec.items()) {
      std::vector<std::string>& col = columns[name];
      col.resize(records.size());
      if (value.is_string()) {
        col[r] = value.get<std::string>();
      } else if (value.is_number()) {
        col[r] = value.dump();
      } else if (!value.is_null()) {
        return core::InvalidArgument(where + ", field '" + name +
                                     "': must be a string, a number or null");
      }
    }
  }
  for (auto& [name, values] : columns) {
    table.header.push_back(name);
    values.resize(records.size());
    table.values.push_back(std::move(values));
  }
  return TableToDataset(std::move(table), m, id_field, max_field_bytes);
}

core::Result<data::Dataset> TableToDataset(data::Table table, const model::Model& m,
                                           const std::string& id_field, size_t max_field_bytes) {
  // Ids are optional in a request: without the id field, records are numbered from 1.
  const bool has_id =
      std::find(table.header.begin(), table.header.end(), id_field) != table.header.end();
  const data::Schema schema = model::SchemaFor(m, has_id ? id_field : std::string(), "");
  data::LoadOptions load;
  load.reader.max_field_bytes = max_field_bytes;
  auto ds = data::DatasetFromTable(std::move(table), schema, load, nullptr);
  if (!ds.ok()) {
    // A field missing from the request is the client's mistake, not a missing resource.
    if (ds.status().code() == core::StatusCode::kNotFound) {
      return core::InvalidArgument(ds.status().message());
    }
    return ds.status();
  }
  if (!ds->rejections.empty()) {
    std::string more;
    if (ds->rejections.size() > 1) {
      more = " (and " + std::to_string(ds->rejections.size() - 1) + " more rejected records)";
    }
    return core::InvalidInput(ds->rejections.front().reason + more);
  }
  return std::move(ds).value();
}

core::Result<int> IntField(const json& body, const char* name, int def, int lo, int hi) {
  if (!body.contains(name)) return def;
  const json& v = body[name];
  if (!v.is_number_integer() || v.get<int64_t>() < lo || v.get<int64_t>() > hi) {
    return core::InvalidArgument(std::string("'") + name + "' must be an integer in " +
                                 std::to_string(lo) + ".." + std::to_string(hi));
  }
  return static_cast<int>(v.get<int64_t>());
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}


}  // namespace statcoder::server
