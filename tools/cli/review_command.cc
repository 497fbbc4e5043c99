// statcoder review export|stats: the clerical review queue's decisions as a feedback snapshot
// for retraining, and the queue's statistics (review/review_queue.h, docs/cli.md).
#include <cstdio>

#include "cli_common.h"
#include "commands.h"
#include "review/review_queue.h"
#include "workspace_args.h"

namespace statcoder::cli {
namespace {

struct ReviewFlags {
  WorkspaceArgs export_args, stats;
  std::string since, kind;
};

core::Status RunExport(ReviewFlags& f) {
  ASSIGN_OR_RETURN(std::unique_ptr<workspace::Workspace> ws, f.export_args.Open(0, false, nullptr));
  // The audit sample is exported as an audit snapshot: kept apart from training data.
  ASSIGN_OR_RETURN(review::ExportResult r,
                   review::ExportFeedback(
                       *ws, {.since = f.since,
                             .item_kind = f.kind,
                             .snapshot_kind = f.kind == "audit_sample" ? "audit" : "feedback"}));
  if (f.export_args.json) {
    nlohmann::json j = lake::SnapshotToJson(r.snapshot.row);
    j["created"] = r.snapshot.created;
    j["items"] = r.items;
    PrintJson(j);
  } else {
    std::printf("%s %s snapshot %s: %llu records from %zu decided review items\n",
                r.snapshot.created ? "created" : "already had", r.snapshot.row.kind.c_str(),
                r.snapshot.row.id.c_str(),
                static_cast<unsigned long long>(r.snapshot.row.rows), r.items);
  }
  return core::Status::Ok();
}

core::Status RunStats(ReviewFlags& f) {
  ASSIGN_OR_RETURN(std::unique_ptr<workspace::Workspace> ws, f.stats.Open(0, false, nullptr));
  ASSIGN_OR_RETURN(nlohmann::json stats, review::ReviewStats(ws->store(), ws->actor(),
                                                             workspace::UtcNow().substr(0, 10)));
  if (f.stats.json) {
    PrintJson(stats);
    return core::Status::Ok();
  }
  std::printf("%-14s %-14s %s\n", "kind", "status", "items");
  for (const auto& q : stats["queue"]) {
    std::printf("%-14s %-14s %lld\n", q["kind"].get<std::string>().c_str(),
                q["status"].get<std::string>().c_str(),
                static_cast<long long>(q["items"].get<int64_t>()));
  }
  std::printf("\n%-24s %s\n", "coder", "decisions");
  for (const auto& [coder, actions] : stats["decisions_by_coder"].items()) {
    std::printf("%-24s %s\n", coder.c_str(), actions.dump().c_str());
  }
  return core::Status::Ok();
}

}  // namespace

Command AddReviewCommand(CLI::App& app) {
  auto f = std::make_shared<ReviewFlags>();
  CLI::App* sub = app.add_subcommand("review", "The clerical review queue: export, statistics");
  sub->require_subcommand(1);
  CLI::App* exp = sub->add_subcommand(
      "export", "Decided review items with their final code as a feedback snapshot");
  f->export_args.AddTo(exp, "");
  exp->add_option("--since", f->since,
                  "Only items decided at or after this UTC time (e.g. 2026-11-01)");
  exp->add_option("--kind", f->kind,
                  "Only items of this kind: referred, or audit_sample (exported as an audit "
                  "snapshot, to evaluate on rather than train with)")
      ->check(CLI::IsMember({"referred", "audit_sample"}));
  CLI::App* stats = sub->add_subcommand("stats", "Queue depth by kind and status, decisions");
  f->stats.AddTo(stats, "");
  return {sub, [=] {
            return RunSubverbs("review",
                               {{exp, [f] { return RunExport(*f); }, &f->export_args.json},
                                {stats, [f] { return RunStats(*f); }, &f->stats.json}});
          }};
}

}  // namespace statcoder::cli
