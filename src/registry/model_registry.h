// The model registry of a workspace: versions with their lineage, the aliases `candidate` and
// `production` (one production model per classification), gated promotion, rollback and
// archiving. Every state change is audited in the same transaction as the change.
//
//   ASSIGN_OR_RETURN(store::ModelRow m, ResolveModel(ws, "production"));
//   ASSIGN_OR_RETURN(PromoteOutcome o, Promote(ws, "3f2a9c", {}));
//   if (!o.promoted) ... o.verdict says which gate refused
//
// Thread-safety: functions of one Workspace, which is used by one thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/result.h"
#include "registry/gates.h"
#include "store/metadata_store.h"
#include "workspace/workspace.h"

namespace statcoder::registry {

inline constexpr char kCandidate[] = "candidate";
inline constexpr char kProduction[] = "production";

// A model by alias ("production", "candidate"), version id, or unique version prefix (at least
// 6 hex digits). Archived versions resolve too (so they can be shown or restored).
// kNotFound with the way out ('statcoder models list'); kInvalidArgument for an ambiguous or
// too short prefix.
core::Result<store::ModelRow> ResolveModel(workspace::Workspace& ws, const std::string& ref);

// The model's quality report (report.json), checked against its catalogued hash.
core::Result<nlohmann::json> LoadModelReport(const workspace::Workspace& ws,
                                             const store::ModelRow& model);

struct PromoteOptions {
  bool force = false;   // promote despite failed gates
  std::string reason;   // required with force; audited
};

struct PromoteOutcome {
  store::ModelRow model;
  GateVerdict verdict;   // quality gates and the ethics gate
  bool promoted = false;
  bool forced = false;
  std::string previous;  // the production version it replaced; empty when none
};

// Checks the gates ([gates] in statcoder.toml and an approved ethics assessment) and, when they
// pass or `force` is set, makes the model production (and clears `candidate` if it held it).
// A refusal is an outcome (promoted = false), not an error. Errors: kInvalidArgument (force
// without a reason, archived model), kNotFound.
core::Result<PromoteOutcome> Promote(workspace::Workspace& ws, const std::string& ref,
                                     const PromoteOptions& options);

// Restores the production model that the current one replaced. kFailedPrecondition when there
// is no earlier production model. Returns the restored model.
core::Result<store::ModelRow> Rollback(workspace::Workspace& ws);

// Hides a version from `models list` (its files stay). The production model cannot be
// archived (kFailedPrecondition); `unarchive` = false brings a version back.
core::Status Archive(workspace::Workspace& ws, const std::string& ref, bool archive = true);

// The catalog row as JSON, with the aliases it holds.
nlohmann::json ModelToJson(const store::ModelRow& model, const std::vector<std::string>& aliases);

// Aliases held by each version.
core::Result<std::vector<std::string>> AliasesOf(workspace::Workspace& ws,
                                                 const std::string& version);

}  // namespace statcoder::registry
