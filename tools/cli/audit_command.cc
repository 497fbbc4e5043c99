// statcoder audit list|verify: the workspace's append-only, hash-chained audit trail.
#include <cstdio>

#include "cli_common.h"
#include "commands.h"
#include "store/audit_chain.h"
#include "workspace_args.h"

namespace statcoder::cli {
namespace {

struct AuditFlags {
  WorkspaceArgs list, verify;
  size_t last = 0;
  std::string action;
};

core::Status RunList(AuditFlags& f) {
  ASSIGN_OR_RETURN(std::unique_ptr<workspace::Workspace> ws, f.list.Open(0, false, nullptr));
  ASSIGN_OR_RETURN(std::vector<store::AuditEntry> entries, ws->store().ListAudit());
  std::vector<const store::AuditEntry*> shown;
  for (const auto& e : entries) {
    if (f.action.empty() || e.action == f.action) shown.push_back(&e);
  }
  if (f.last > 0 && shown.size() > f.last) shown.erase(shown.begin(), shown.end() - static_cast<ptrdiff_t>(f.last));
  if (f.list.json) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto* e : shown) {
      j.push_back({{"seq", e->seq}, {"time", e->time}, {"actor", e->actor},
                   {"action", e->action}, {"details", e->details}, {"prev_hash", e->prev_hash},
                   {"hash", e->hash}});
    }
    PrintJson({{"entries", j}});
    return core::Status::Ok();
  }
  for (const auto* e : shown) {
    std::printf("%5lld  %s  %-12s %-16s %s\n", static_cast<long long>(e->seq), e->time.c_str(),
                e->actor.c_str(), e->action.c_str(), e->details.dump().c_str());
  }
  return core::Status::Ok();
}

core::Status RunVerify(AuditFlags& f) {
  ASSIGN_OR_RETURN(std::unique_ptr<workspace::Workspace> ws, f.verify.Open(0, false, nullptr));
  // The storage engine's own check first: a damaged page can hide rows from the chain check.
  const core::Status integrity = ws->store().CheckIntegrity();
  if (!integrity.ok()) {
    if (integrity.code() != core::StatusCode::kDataLoss) return integrity;
    if (f.verify.json) {
      PrintJson({{"ok", false},
                 {"integrity", integrity.message()},
                 {"entries", nullptr},
                 {"first_bad_seq", nullptr},
                 {"problem", integrity.message()},
                 {"head_hash", nullptr}});
    }
    return integrity;
  }
  ASSIGN_OR_RETURN(std::vector<store::AuditEntry> entries, ws->store().ListAudit());
  const store::AuditVerification v = store::VerifyAuditChain(entries);
  if (f.verify.json) {
    PrintJson({{"ok", v.ok},
               {"integrity", "ok"},
               {"entries", v.entries},
               {"first_bad_seq", v.first_bad_seq},
               {"problem", v.problem},
               {"head_hash", v.head_hash}});
  } else if (v.ok) {
    std::printf("audit trail intact: %llu entries, head %s\n  (keep the head elsewhere to detect "
                "a trail cut short later)\n",
                static_cast<unsigned long long>(v.entries), v.head_hash.c_str());
  }
  if (!v.ok) return core::DataLoss("audit trail broken: " + v.problem);
  return core::Status::Ok();
}

}  // namespace

Command AddAuditCommand(CLI::App& app) {
  auto f = std::make_shared<AuditFlags>();
  CLI::App* sub = app.add_subcommand("audit", "The audit trail: every change, who and when");
  sub->require_subcommand(1);
  CLI::App* list = sub->add_subcommand("list", "Audit entries, oldest first");
  f->list.AddTo(list, "");
  list->add_option("--last", f->last, "Only the newest N entries");
  list->add_option("--action", f->action, "Only entries of this action (ingest, promote...)");
  CLI::App* verify = sub->add_subcommand(
      "verify", "Check the catalog (SQLite integrity check) and the hash chain: fails (exit 6) if the "
      "catalog is damaged or any entry was edited or deleted");
  f->verify.AddTo(verify, "");
  return {sub, [=] {
            return RunSubverbs("audit", {{list, [f] { return RunList(*f); }, &f->list.json},
                                         {verify, [f] { return RunVerify(*f); }, &f->verify.json}});
          }};
}

}  // namespace statcoder::cli
