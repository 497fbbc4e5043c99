// The clerical review queue (docs/server.md, "Review queue"): records the server referred, and
// auto-coded ones drawn for blind second coding, wait in the catalog (store::ReviewItemRow)
// until a coder decides. This module holds what a decision does to an item, the queue's
// statistics and the export of the decided items as a feedback snapshot for retraining; the
// server (routes, leases) and the CLI (`statcoder review`) are thin layers over it.
//
//   ASSIGN_OR_RETURN(DecisionOutcome o, ApplyDecision(ws->store(), id, request, codes.get()));
//   ASSIGN_OR_RETURN(ExportResult r, ExportFeedback(*ws, {.since = "2026-11-01"}));
//
// Thread-safety: functions of one store or Workspace, which is used by one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "core/result.h"
#include "data/code_list.h"
#include "lake/snapshot.h"
#include "model/model.h"
#include "model/predictor.h"
#include "store/metadata_store.h"
#include "workspace/workspace.h"

namespace statcoder::review {

inline constexpr char kReferred[] = "referred";
inline constexpr char kAuditSample[] = "audit_sample";
// Suggestions shown to a coder of a referred item.
inline constexpr size_t kShownSuggestions = 5;

// An audit sample is coded blind until adjudication: showing the model's code would anchor the
// second coder and the measured accuracy would be biased upwards.
bool IsBlind(const store::ReviewItemRow& item, bool supervisor_view);

// What the coder sees of the model: the top kShownSuggestions [{"code", "probability"}], or []
// for a blind item.
nlohmann::json ShownSuggestions(const store::ReviewItemRow& item, bool supervisor_view);

// What the queue keeps of the model's answer for a record: {"top": [{"code", "probability"}],
// "code", "decision", "reason"} (probabilities rounded to 6 decimals).
nlohmann::json SuggestionsJson(const model::Model& model, const model::Prediction& prediction);

struct DecisionRequest {
  std::string action;  // code, uncodable, skip, escalate, adjudicate
  std::string code;    // required for code and adjudicate
  std::string comment;
  std::string coder;
  bool supervisor = false;  // methodologist or admin: may adjudicate
  std::string time;         // UTC ISO 8601
};

struct DecisionOutcome {
  store::ReviewItemRow item;  // after the decision
  int64_t decision_id = 0;
};

// Records the decision and moves the item, in one transaction:
//   code, uncodable on an open item leased to the coder → decided; on an audit sample whose
//     auto code is neither the code nor above it in `codes` (or uncodable) → adjudication;
//   skip → stays open, lease released; escalate → escalated;
//   adjudicate (supervisor) on an escalated or adjudication item → closed.
// Errors: kInvalidArgument (unknown action, missing code, code not in `codes` when given),
// kNotFound (no such item), kFailedPrecondition (wrong status, leased to someone else, not a
// supervisor).
core::Result<DecisionOutcome> ApplyDecision(store::MetadataStore& store, int64_t item_id,
                                            const DecisionRequest& request,
                                            const data::CodeList* codes);

// How long a coder may undo their own decision (POST /v1/review/{id}/undo).
inline constexpr int kUndoMinutes = 10;

struct ReopenRequest {
  bool undo = true;         // undo: the coder's own last decision; false: a supervisor's reopen
  std::string user;
  bool supervisor = false;  // methodologist or admin: may reopen any decided item
  std::string time;         // UTC ISO 8601, now
  std::string undo_after;   // UTC ISO 8601: decisions before this time can no longer be undone
};

// Reopens an item, in one transaction, as a new append-only decision (action "undo" or
// "reopen") and an audit entry (review_undo, review_reopen); the item is open again and free.
//   undo: the item's last decision (not a skip) must be the user's code, uncodable or escalate,
//     made at or after undo_after and not yet exported (no review_export since);
//   reopen (supervisor): any item that is not open.
// Errors: kNotFound (no such item), kFailedPrecondition (open, too old, exported; and with
// *denied set, another coder's decision or a reopen by a coder: HTTP 403).
core::Result<DecisionOutcome> ReopenItem(workspace::Workspace& ws, int64_t item_id,
                                         const ReopenRequest& request, bool* denied);

// {"queue": [{"kind", "status", "items"}], "decisions_by_coder": {coder: {action: n, "total"}},
//  "user": user, "user_today": decisions by `user` whose time starts with `today` (YYYY-MM-DD)}.
core::Result<nlohmann::json> ReviewStats(store::MetadataStore& store, const std::string& user,
                                         const std::string& today);

// The final code of an item for retraining: the adjudicated code of a closed item, the coded
// one of a decided item; empty when there is none (uncodable, still open).
std::string FinalCode(const store::ReviewItemRow& item,
                      const std::vector<store::ReviewDecisionRow>& decisions);

struct ExportOptions {
  std::string since;  // only items whose final decision is at or after this UTC time; "" all
  // Only items of this kind ("referred" or "audit_sample"); "" every kind. A production cycle
  // trains on referred items and keeps the audit sample, a random draw of what the model
  // auto-coded, out of training to compare champion and challenger on (docs/cycle.md).
  std::string item_kind;
  std::string snapshot_kind = "feedback";  // the lake kind of the snapshot: feedback or audit
};

struct ExportResult {
  lake::IngestResult snapshot;
  size_t items = 0;  // items exported (before validation against the schema)
};

// Writes the items with a final code as a feedback snapshot (kind feedback, transformation
// "review export of items referred by model V (n), ..." naming the models that referred them, data
// source "review decisions", no parents): each item's record with the
// workspace schema's label field set to the final code. Audited as review_export.
// kFailedPrecondition when there is nothing to export.
core::Result<ExportResult> ExportFeedback(workspace::Workspace& ws, const ExportOptions& options);

}  // namespace statcoder::review
