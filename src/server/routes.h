// The route handlers of `statcoder serve` (docs/server.md, "Routes"), one file per area, as plain
// functions over a RouteContext and an HttpRequest/HttpResponse (http_message.h): they can be
// called without sockets. http_server.cc routes, authenticates and logs around them.
//
//   RouteContext ctx{options, root, config, codes, served, writer, metrics, batch_threads};
//   HttpRequest req;  req.body = R"({"records": [{"title": "clerk"}]})";
//   HttpResponse res;
//   RETURN_IF_ERROR(CodeRecords(ctx, req, res));   // res.status 200, res.body the answer
//
// A handler returns a Status for failures the Status → HTTP table maps (SendStatus); it writes
// other answers (403 for a view a role may not take, 409 with the gates) itself.
// Thread-safety: handlers may run concurrently on one context.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "core/result.h"
#include "data/code_list.h"
#include "server/http_message.h"
#include "server/http_server.h"
#include "server/metrics.h"
#include "server/review_writer.h"
#include "server/served_model.h"
#include "store/metadata_store.h"
#include "workspace/workspace.h"

namespace statcoder::server {

// What requests need of statcoder.toml, read once at startup.
struct WorkspaceConfigView {
  std::string id_field;
  double disagreement_probability = 0;
  double audit_rate = 0;
  uint64_t audit_seed = 0;
  std::string classification;
  int64_t window_records = 1000;  // [monitor]: an API traffic window closes at this many records
  int64_t window_minutes = 60;    // ... or this long after it opened
};

struct RouteContext {
  const ServerOptions& options;
  std::string root;  // the workspace folder
  WorkspaceConfigView config;
  std::shared_ptr<const data::CodeList> codes;  // null: the workspace has none
  ServedModel& served;
  ReviewWriter& writer;
  Metrics& metrics;
  int batch_threads = 1;  // threads for one large batch
  std::atomic<uint64_t> audit_draws{0};  // position in the audit sample's stream

  // The model in service; kFailedPrecondition (409) when none is loaded.
  core::Result<std::shared_ptr<const Served>> Ready() const;
  // Handlers that need the store open their own connection: a store object is single-threaded.
  core::Result<std::unique_ptr<workspace::Workspace>> OpenWorkspace(const std::string& actor) const;
  // Whether the next auto-coded record is drawn for blind second coding: the n-th auto-coded
  // record of this process draws core::DeriveSeed(audit_seed, n) (SplitMix64 mixer) as a
  // uniform in [0, 1), so the draw is seeded and needs no lock.
  bool DrawAudit();
};

// coding_routes.cc
core::Status CodeRecords(RouteContext& ctx, const HttpRequest& req, HttpResponse& res);
core::Status ExplainRecord(RouteContext& ctx, const HttpRequest& req, HttpResponse& res);

// codelist_routes.cc; GetCode and CodeChildren read the code from req.matches[1].
core::Status SearchCodes(const RouteContext& ctx, const HttpRequest& req, HttpResponse& res);
core::Status GetCode(const RouteContext& ctx, const HttpRequest& req, HttpResponse& res);
core::Status CodeListTop(const RouteContext& ctx, HttpResponse& res);
core::Status CodeChildren(const RouteContext& ctx, const HttpRequest& req, HttpResponse& res);

// registry_routes.cc; PromoteModel reads the version from req.matches[1].
core::Status ListModels(RouteContext& ctx, HttpResponse& res);
core::Status PromoteModel(RouteContext& ctx, const HttpRequest& req, HttpResponse& res,
                          const store::UserRow& user);
core::Status MonitorStatus(RouteContext& ctx, const HttpRequest& req, HttpResponse& res);

// review_routes.cc; DecideReviewItem reads the item id from req.matches[1].
core::Status NextReviewItem(RouteContext& ctx, const HttpRequest& req, HttpResponse& res,
                            const store::UserRow& user);
core::Status DecideReviewItem(RouteContext& ctx, const HttpRequest& req, HttpResponse& res,
                              const store::UserRow& user);
// matches[1] the item id, matches[2] "undo" or "reopen".
core::Status ReopenReviewItem(RouteContext& ctx, const HttpRequest& req, HttpResponse& res,
                              const store::UserRow& user);
core::Status ReviewStatsRoute(RouteContext& ctx, HttpResponse& res, const store::UserRow& user);

}  // namespace statcoder::server
