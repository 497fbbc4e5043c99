// The clerical review queue (docs/server.md, "Review queue"): the next item, decisions, stats.
#include <charconv>
#include <chrono>
#include <string>
#include <vector>

#include "core/utc_time.h"
#include "review/review_queue.h"
#include "server/auth.h"
#include "server/route_support.h"
#include "server/routes.h"

namespace statcoder::server {
namespace {

using json = nlohmann::json;

bool IsSupervisor(const store::UserRow& user) {
  const core::Result<Role> role = ParseRole(user.role);
  return role.ok() && *role >= Role::kMethodologist;
}

json ItemJson(const store::ReviewItemRow& item, bool supervisor_view,
              const std::string& lease_expires_at) {
  json j = {{"id", item.id},
            {"kind", item.kind},
            {"status", item.status},
            {"record", item.record},
            {"record_id", item.record_id},
            {"model_version", item.model_version},
            {"blind", review::IsBlind(item, supervisor_view)},
            {"suggestions", review::ShownSuggestions(item, supervisor_view)},
            {"lease_expires_at", lease_expires_at}};
  if (supervisor_view) {
    j["model"] = item.suggestions;
  }
  // Why the model referred it (below_threshold, margin, refer_code, kb_conflict, ...); never for
  // a blind audit sample, whose coder must not learn what the model thought.
  j["reason"] = j["blind"].get<bool>() ? "" : item.suggestions.value("reason", "");
  return j;
}

}  // namespace

// ?queue=open (default) for coders; ?queue=supervisor: escalated items and audit samples
// awaiting adjudication, for methodologists and admins, with the model's code and the
// decisions so far.
core::Status NextReviewItem(RouteContext& ctx, const HttpRequest& req, HttpResponse& res,
                           const store::UserRow& user) {
  const std::string queue = req.HasParam("queue") ? req.Param("queue") : "open";
  if (queue != "open" && queue != "supervisor") {
    return core::InvalidArgument("queue must be 'open' or 'supervisor', not '" + queue + "'");
  }
  const bool supervisor_view = queue == "supervisor";
  if (supervisor_view && !IsSupervisor(user)) {
    SendError(res, 403, "permission_denied",
              "user " + user.name + " (role " + user.role +
                  ") may not take the supervisor queue; it needs role methodologist or above");
    return core::Status::Ok();
  }
  const auto now = std::chrono::system_clock::now();
  const auto lease = std::chrono::minutes(ctx.options.review_lease_minutes);
  ASSIGN_OR_RETURN(std::unique_ptr<workspace::Workspace> ws, ctx.OpenWorkspace(user.name));
  const std::vector<std::string> statuses =
      supervisor_view ? std::vector<std::string>{"escalated", "adjudication"}
                      : std::vector<std::string>{"open"};
  ASSIGN_OR_RETURN(
      std::optional<store::ReviewItemRow> item,
      ws->store().LeaseReviewItem(statuses, user.name, core::UtcTime(now),
                                  core::UtcTime(now - lease)));
  if (!item) {
    SendJson(res, {{"item", nullptr}});
    return core::Status::Ok();
  }
  json j = ItemJson(*item, supervisor_view, core::UtcTime(now + lease));
  if (supervisor_view) {
    ASSIGN_OR_RETURN(std::vector<store::ReviewDecisionRow> decisions,
                     ws->store().ListReviewDecisions(item->id));
    json list = json::array();
    for (const auto& d : decisions) {
      list.push_back({{"coder", d.coder},
                      {"time", d.time},
                      {"action", d.action},
                      {"code", d.code},
                      {"comment", d.comment}});
    }
    j["decisions"] = list;
  }
  CurrentRequest().records = 1;
  SendJson(res, {{"item", j}});
  return core::Status::Ok();
}

core::Status DecideReviewItem(RouteContext& ctx, const HttpRequest& req, HttpResponse& res,
                             const store::UserRow& user) {
  int64_t id = 0;
  const std::string id_text = req.matches[1];
  const auto parsed = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
  if (parsed.ec != std::errc() || parsed.ptr != id_text.data() + id_text.size()) {
    return core::NotFound("review item '" + id_text + "' does not exist");
  }
  ASSIGN_OR_RETURN(json body, ParseBody(req.body));
  if (!body.is_object() || !body.contains("action") || !body["action"].is_string()) {
    return core::InvalidArgument(
        "request body needs \"action\": code, uncodable, skip, escalate or adjudicate");
  }
  for (const char* key : {"code", "comment"}) {
    if (body.contains(key) && !body[key].is_string()) {
      return core::InvalidArgument(std::string("'") + key + "' must be a string");
    }
  }
  review::DecisionRequest d{.action = body["action"].get<std::string>(),
                            .code = body.value("code", std::string()),
                            .comment = body.value("comment", std::string()),
                            .coder = user.name,
                            .supervisor = IsSupervisor(user),
                            .time = workspace::UtcNow()};
  if (d.action == "adjudicate" && !d.supervisor) {
    SendError(res, 403, "permission_denied",
              "user " + user.name + " (role " + user.role +
                  ") may not adjudicate; it needs role methodologist or above");
    return core::Status::Ok();
  }
  ASSIGN_OR_RETURN(std::unique_ptr<workspace::Workspace> ws, ctx.OpenWorkspace(user.name));
  ASSIGN_OR_RETURN(review::DecisionOutcome o,
                   review::ApplyDecision(ws->store(), id, d, ctx.codes.get()));
  CurrentRequest().records = 1;
  SendJson(res, {{"id", o.item.id}, {"status", o.item.status}, {"decision_id", o.decision_id}});
  return core::Status::Ok();
}

// POST /v1/review/{id}/undo (the coder's own last decision, within review::kUndoMinutes and
// before an export) and /v1/review/{id}/reopen (methodologist or admin: any item); matches[2]
// is "undo" or "reopen".
core::Status ReopenReviewItem(RouteContext& ctx, const HttpRequest& req, HttpResponse& res,
                              const store::UserRow& user) {
  int64_t id = 0;
  const std::string id_text = req.matches[1];
  const auto parsed = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
  if (parsed.ec != std::errc() || parsed.ptr != id_text.data() + id_text.size()) {
    return core::NotFound("review item '" + id_text + "' does not exist");
  }
  const auto now = std::chrono::system_clock::now();
  review::ReopenRequest r{
      .undo = req.matches[2] == "undo",
      .user = user.name,
      .supervisor = IsSupervisor(user),
      .time = workspace::UtcNow(),
      .undo_after = core::UtcTime(now - std::chrono::minutes(review::kUndoMinutes))};
  ASSIGN_OR_RETURN(std::unique_ptr<workspace::Workspace> ws, ctx.OpenWorkspace(user.name));
  bool denied = false;
  core::Result<review::DecisionOutcome> o = review::ReopenItem(*ws, id, r, &denied);
  if (!o.ok() && denied) {
    SendError(res, 403, "permission_denied",
              "user " + user.name + " (role " + user.role + "): " + o.status().message());
    return core::Status::Ok();
  }
  if (!o.ok()) return o.status();
  CurrentRequest().records = 1;
  SendJson(res, {{"id", o->item.id}, {"status", o->item.status}, {"decision_id", o->decision_id}});
  return core::Status::Ok();
}

core::Status ReviewStatsRoute(RouteContext& ctx, HttpResponse& res, const store::UserRow& user) {
  ASSIGN_OR_RETURN(std::unique_ptr<workspace::Workspace> ws, ctx.OpenWorkspace(user.name));
  ASSIGN_OR_RETURN(
      json stats, review::ReviewStats(ws->store(), user.name, workspace::UtcNow().substr(0, 10)));
  SendJson(res, stats);
  return core::Status::Ok();
}

}  // namespace statcoder::server
