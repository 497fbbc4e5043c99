// The wire format of POST /v1/code (docs/server.md, "POST /v1/code"), read and written without
// building a JSON document: a batch of 10,000 records parsed into nlohmann objects and answered
// through one object per result spends more time allocating than the model spends coding.
//
//   ASSIGN_OR_RETURN(CodeRequest request, ParseCodeRequest(req.body, options.max_batch_records));
//   ...code request.table...
//   std::string out;
//   CodeResponseWriter w(&out, model_version, kb_version);
//   for (...) w.Result(model, id, prediction, kb_entry, nullptr);
//   w.Finish(queued);
//
// Thread-safety: plain functions and a writer over one string; no shared state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/result.h"
#include "data/dataset.h"
#include "model/model.h"
#include "model/predictor.h"

namespace statcoder::server {

// A request body parsed into columns: one per field name that any record has, each with one
// value per record ("" where a record lacks the field or gives null; numbers in JSON's shortest
// text form).
struct CodeRequest {
  data::Table table;  // name "request", rows named "record <n>"
  int top_k = 5;
  bool explain = false;

  // Record `row` as an object of its non-empty fields (what the review queue keeps of it).
  nlohmann::json RecordJson(size_t row) const;
};

// Reads {"records": [{field: value, ...}, ...]} or {"record": {...}}, with optional "top_k"
// (integer 1..100, default 5) and "explain" (boolean); other top-level keys are ignored.
// Values must be strings, numbers or null. Errors (kInvalidArgument) name the record and
// field: invalid JSON or UTF-8, a record that is not an object, a value of another type, no
// records; kLimitExceeded for more than `max_records` records (parsing stops there).
core::Result<CodeRequest> ParseCodeRequest(std::string_view body, size_t max_records);

// Appends `s` as a JSON string (quotes included). REQUIRES: `s` is valid UTF-8 (it comes from a
// parsed request or from the model), so only quotes, backslashes and control characters need
// escaping.
void AppendJsonString(std::string* out, std::string_view s);
// Appends `v` as JSON writes it (shortest text that reads back the same; integral values with
// ".0", as nlohmann::json does).
void AppendJsonNumber(std::string* out, double v);

// Writes {"kb_version": ..., "model_version": ..., "queued_for_review": n, "results": [...]}.
class CodeResponseWriter {
 public:
  CodeResponseWriter(std::string* out, std::string_view model_version, int64_t kb_version)
      : out_(out), model_version_(model_version), kb_version_(kb_version) {}

  // One coded record, keys in the order nlohmann::json sorts them (so the body reads as a
  // dumped document would); `explanation` may be null, `kb_entry` 0 is written as null.
  void Result(const model::Model& m, std::string_view id, const model::Prediction& p,
              int64_t kb_entry, const nlohmann::json* explanation);
  // Closes the document; the queued count goes before the results, so the results are written
  // to a side buffer until now.
  void Finish(size_t queued_for_review);

 private:
  std::string* out_;
  std::string results_;
  std::string_view model_version_;
  int64_t kb_version_;
  bool first_ = true;
};

}  // namespace statcoder::server
