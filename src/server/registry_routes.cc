// Models, promotion and monitoring (docs/server.md): the registry through the API.
#include <string>
#include <vector>

#include "registry/model_registry.h"
#include "registry/monitoring.h"
#include "server/route_support.h"
#include "server/routes.h"

namespace statcoder::server {

using json = nlohmann::json;

core::Status ListModels(RouteContext& ctx, HttpResponse& res) {
  ASSIGN_OR_RETURN(std::unique_ptr<workspace::Workspace> ws, ctx.OpenWorkspace(""));
  ASSIGN_OR_RETURN(std::vector<store::ModelRow> models, ws->store().ListModels());
  json list = json::array();
  for (const store::ModelRow& m : models) {
    ASSIGN_OR_RETURN(std::vector<std::string> aliases, registry::AliasesOf(*ws, m.version));
    list.push_back(registry::ModelToJson(m, aliases));
  }
  const std::shared_ptr<const Served> s = ctx.served.Current();
  SendJson(res, {{"models", list}, {"serving", s ? json(s->version) : json(nullptr)}});
  return core::Status::Ok();
}

core::Status PromoteModel(RouteContext& ctx, const HttpRequest& req, HttpResponse& res,
                          const store::UserRow& user) {
  registry::PromoteOptions po;
  if (!req.body.empty()) {
    ASSIGN_OR_RETURN(json body, ParseBody(req.body));
    if (!body.is_object()) return core::InvalidArgument("request body must be a JSON object");
    if ((body.contains("force") && !body["force"].is_boolean()) ||
        (body.contains("reason") && !body["reason"].is_string())) {
      return core::InvalidArgument("'force' must be true or false and 'reason' a string");
    }
    po.force = body.value("force", false);
    po.reason = body.value("reason", std::string());
  }
  // The API user is the actor of the audit entry.
  ASSIGN_OR_RETURN(std::unique_ptr<workspace::Workspace> ws, ctx.OpenWorkspace(user.name));
  ASSIGN_OR_RETURN(registry::PromoteOutcome o, registry::Promote(*ws, req.matches[1], po));
  if (!o.promoted) {
    SendError(res, HttpStatusFor(core::StatusCode::kFailedPrecondition),
              core::StatusCodeName(core::StatusCode::kFailedPrecondition),
              "model " + o.model.version +
                  " did not pass the promotion gates; fix them or send {\"force\": true, "
                  "\"reason\": \"...\"} (audited)",
              {{"gates", o.verdict.ToJson()}});
    return core::Status::Ok();
  }
  // Serve the new model before answering, so the caller's next request uses it.
  RETURN_IF_ERROR(ctx.served.Refresh(*ws));
  SendJson(res, {{"version", o.model.version},
                 {"promoted", o.promoted},
                 {"forced", o.forced},
                 {"previous", o.previous},
                 {"gates", o.verdict.ToJson()}});
  return core::Status::Ok();
}

// GET /v1/monitor[?since=&classification=]: what `statcoder monitor WS --json` prints.
core::Status MonitorStatus(RouteContext& ctx, const HttpRequest& req, HttpResponse& res) {
  ASSIGN_OR_RETURN(std::unique_ptr<workspace::Workspace> ws, ctx.OpenWorkspace(""));
  registry::MonitorOptions o;
  o.since = req.Param("since");
  o.classification = req.Param("classification");
  ASSIGN_OR_RETURN(json status, registry::MonitorStatus(*ws, o));
  SendJson(res, status);
  return core::Status::Ok();
}

}  // namespace statcoder::server
