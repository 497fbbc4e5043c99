// What every route handler of the server shares (http_server.h, routes.h): the request's
// context for the access log and metrics, the JSON error and answer shapes (docs/server.md,
// "Errors"), and reading request bodies and records as a data file's records are read.
//
//   ASSIGN_OR_RETURN(json body, ParseBody(req.body));
//   ASSIGN_OR_RETURN(data::Dataset ds, RecordsToDataset(body["records"], model, "id", 65536));
//   CurrentRequest().records = ds.records.size();
//   SendJson(res, {{"coded", ds.records.size()}});
//
// Thread-safety: CurrentRequest() is per thread; the rest are plain functions.
#pragma once

#include <chrono>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "data/dataset.h"
#include "model/model.h"
#include "server/http_message.h"
#include "text/featurizer.h"

namespace statcoder::server {

// The one table from a Status code to an HTTP status (docs/server.md, "Errors").
int HttpStatusFor(core::StatusCode code);

// Response bodies may quote user input: never fail on invalid UTF-8 while writing them.
std::string Dump(const nlohmann::json& j);

// What the access log and metrics need of a request. It travels with the exchange between the
// engine's calls, which run on different threads; while one runs, CurrentRequest() holds it, so
// handlers deep down can add to it (records, user).
struct RequestContext {
  bool active = false;
  std::string id, route, user;
  size_t records = 0;
  std::chrono::steady_clock::time_point start;
};
RequestContext& CurrentRequest();

// Starts a request's context (a new request id, also set as X-Request-Id).
void BeginRequest(HttpResponse& res);

// {"error": {"code", "message", "request_id", ...extra}} with `http_status`.
void SendError(HttpResponse& res, int http_status, std::string_view code,
               const std::string& message, nlohmann::json extra = nlohmann::json::object());
// The error of a Status, its HTTP status from HttpStatusFor.
void SendStatus(HttpResponse& res, const core::Status& s);
void SendJson(HttpResponse& res, const nlohmann::json& j);

// A JSON request body; kInvalidArgument naming the record and field where it stops being JSON
// or UTF-8.
core::Result<nlohmann::json> ParseBody(const std::string& body);

// The request's records as a data::Table, validated by DatasetFromTable exactly as records of a
// data file are: every value a string, number or null (missing), fields by name.
core::Result<data::Dataset> TableToDataset(data::Table table, const model::Model& m,
                                           const std::string& id_field, size_t max_field_bytes);
// Records of a parsed body (a JSON array of objects) as a Dataset the model reads.
core::Result<data::Dataset> RecordsToDataset(const nlohmann::json& records, const model::Model& m,
                                             const std::string& id_field, size_t max_field_bytes);

// A record's fields as the model's Predictor and Explainer read them.
struct RecordViews {
  std::vector<std::string_view> texts, categoricals;
  text::RecordView View(const data::Record& r) {
    texts.assign(r.texts.begin(), r.texts.end());
    categoricals.assign(r.categoricals.begin(), r.categoricals.end());
    return {texts, categoricals, r.numerics};
  }
};

// body[name] as an integer in lo..hi, `def` when absent; kInvalidArgument otherwise.
core::Result<int> IntField(const nlohmann::json& body, const char* name, int def, int lo, int hi);

std::string Lower(std::string s);

}  // namespace statcoder::server
