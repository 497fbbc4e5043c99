// POST /v1/code and POST /v1/explain (docs/server.md): coding exactly as `statcoder code WS`.
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "kb/knowledge_base.h"
#include "model/batch_coder.h"
#include "model/explainer.h"
#include "pipeline/workspace_coding.h"
#include "registry/monitoring.h"
#include "review/review_queue.h"
#include "server/code_request.h"
#include "server/route_support.h"
#include "server/routes.h"

namespace statcoder::server {
namespace {

using json = nlohmann::json;

// Batches of at least this many records are coded on batch_threads threads: one client with
// one large batch then uses the machine, while small requests (most of them) stay on theirs.
constexpr size_t kParallelBatchRecords = 1000;

}  // namespace

// POST /v1/code. The body is read into columns and the answer written into one buffer
// (code_request.h): at batch sizes, JSON documents would cost more than the coding.
core::Status CodeRecords(RouteContext& ctx, const HttpRequest& req, HttpResponse& res) {
  ASSIGN_OR_RETURN(CodeRequest request,
                   ParseCodeRequest(req.body, ctx.options.max_batch_records));
  ASSIGN_OR_RETURN(std::shared_ptr<const Served> s, ctx.Ready());
  const size_t n = request.table.num_rows;
  // A copy goes to the model: the review queue keeps referred records with all their fields,
  // also those the model does not read.
  ASSIGN_OR_RETURN(data::Dataset ds, TableToDataset(request.table, *s->model, ctx.config.id_field,
                                                    ctx.options.max_field_bytes));
  // Large batches are coded on several threads; small ones (most requests) on the request's.
  const int threads = n >= kParallelBatchRecords ? ctx.batch_threads : 1;
  ASSIGN_OR_RETURN(std::vector<model::Prediction> preds,
                   model::PredictBatch(s->model, ds, request.top_k, threads));
  // Exactly as `statcoder code WS`: the knowledge base before the model's decision.
  const kb::KbApplied applied =
      kb::ApplyKnowledgeBase(*s->kb, *s->model, ds, ctx.config.disagreement_probability, &preds);
  std::string body;
  CodeResponseWriter response(&body, s->version, s->kb_version);
  uint64_t counts[3] = {0, 0, 0};
  RecordViews views;
  std::vector<store::ReviewItemRow> queued;
  const std::string now = workspace::UtcNow();
  for (size_t i = 0; i < preds.size(); ++i) {
    const model::Prediction& p = preds[i];
    const bool referred = p.decision == model::Decision::kReview;
    if (referred || (p.decision == model::Decision::kAuto && ctx.DrawAudit())) {
      queued.push_back({.created_at = now,
                        .kind = referred ? review::kReferred : review::kAuditSample,
                        .record = request.RecordJson(i),
                        .record_id = ds.records[i].id,
                        .model_version = s->version,
                        .suggestions = review::SuggestionsJson(*s->model, p),
                        .status = "open",
                        .assigned_to = "",
                        .assigned_at = ""});
    }
    json explanation;
    if (request.explain) {
      model::ExplainOptions eo;
      eo.top_k = request.top_k;
      ASSIGN_OR_RETURN(model::Explanation e,
                       s->explainer->Explain(views.View(ds.records[i]), eo));
      explanation = e.ToJson();
    }
    response.Result(*s->model, ds.records[i].id, p, applied.entry_ids[i],
                  request.explain ? &explanation : nullptr);
    ++counts[static_cast<int>(p.decision)];
  }
  ctx.metrics.CountRecords("auto", counts[static_cast<int>(model::Decision::kAuto)]);
  ctx.metrics.CountRecords("review", counts[static_cast<int>(model::Decision::kReview)]);
  ctx.metrics.CountRecords("kb", counts[static_cast<int>(model::Decision::kKb)]);
  CurrentRequest().records = preds.size();
  const size_t n_queued = queued.size();
  ctx.writer.Queue(std::move(queued));
  // The shadow challenger codes the same records, as in `statcoder code WS`; its answers are
  // only counted, and a failure there never fails the request (it is counted in /metrics).
  std::optional<registry::ShadowAgreement> shadow;
  if (s->shadow) {
    core::Result<registry::ShadowAgreement> theirs =
        pipeline::CodeAsShadow(*s->model, s->shadow, *s->kb, ctx.config.disagreement_probability,
                               ds, preds, threads);
    if (theirs.ok()) {
      shadow = std::move(*theirs);
    } else {
      ctx.metrics.CountShadowFailure();
    }
  }
  ctx.writer.ObserveTraffic(s->version, registry::ObserveBatch(*s->model, ds, preds), now,
                            s->shadow_version, shadow ? &*shadow : nullptr);
  response.Finish(n_queued);
  res.status = 200;
  res.SetContent(std::move(body), "application/json");
  return core::Status::Ok();
}

core::Status ExplainRecord(RouteContext& ctx, const HttpRequest& req, HttpResponse& res) {
  ASSIGN_OR_RETURN(json body, ParseBody(req.body));
  if (!body.is_object() || !body.contains("record") || !body["record"].is_object()) {
    return core::InvalidArgument("request body needs \"record\": {field: value, ...}");
  }
  model::ExplainOptions eo;
  ASSIGN_OR_RETURN(eo.top_k, IntField(body, "top_k", 5, 1, 100));
  if (body.contains("versus")) {
    if (!body["versus"].is_string()) return core::InvalidArgument("'versus' must be a code");
    eo.versus = body["versus"].get<std::string>();
  }
  ASSIGN_OR_RETURN(std::shared_ptr<const Served> s, ctx.Ready());
  ASSIGN_OR_RETURN(data::Dataset ds, RecordsToDataset(json::array({body["record"]}), *s->model,
                                                      ctx.config.id_field, ctx.options.max_field_bytes));
  RecordViews views;
  ASSIGN_OR_RETURN(model::Explanation e, s->explainer->Explain(views.View(ds.records[0]), eo));
  CurrentRequest().records = 1;
  json j = e.ToJson();
  j["id"] = ds.records[0].id;
  SendJson(res, j);
  return core::Status::Ok();
}

}  // namespace statcoder::server
