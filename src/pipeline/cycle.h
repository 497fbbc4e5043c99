// One production cycle (docs/cycle.md): a batch of new records taken from the lake through
// coding, review, monitoring and, when it is due, retraining, comparison and promotion — the
// continuous production workflow of INEGI's ML 2021 workstream, from statcoder.toml's [cycle]
// section alone.
//
//   ingest    the batch file becomes a batch snapshot (content-addressed: the cycle's identity)
//   code      the production model codes it (knowledge base first); the coded file, with the
//             model version on every row, goes to cycles/<id>/coded.tsv; referrals and the audit
//             sample enter the review queue and the batch is remembered for monitoring — all in
//             the transaction that journals the step
//   monitor   the production model's monitoring status and recommendation (ok / watch / retrain)
//   feedback  when retraining may be due: the reviewed records exported as a feedback snapshot
//   train     when due (monitor says retrain, [cycle] retrain_every cycles passed, or at least
//             [cycle] min_new_reviewed reviewed records are not yet learned from): a challenger
//             trained on the production model's training data plus the feedback
//   compare   champion vs challenger on the frozen evaluation snapshot ([cycle]
//             evaluation_snapshot, else the production model's own evaluation snapshot)
//   promote   the challenger becomes production only if the quality gates and the ethics
//             assessment pass and the comparison did not find the champion better
//   final     once coders have decided every queued item: each record's final code (model,
//             coder or supervisor) in cycles/<id>/final.tsv; "pending" until then, and with
//             [cycle] wait_for_review the cycle waits for it (a rerun of a finished cycle
//             whose final codes were pending writes them when they are all decided)
//
// Every step is journaled in the catalog (store::CycleRow::steps) with the hashes of its
// inputs, in the same transaction as what it writes there. A cycle killed at any point resumes
// at its first unfinished step when rerun with the same batch, and its operations are
// idempotent (content-addressed snapshots and models, coded file rewritten with the same bytes),
// so outputs, queue items, batches and models are never duplicated. Rerunning a finished cycle
// is a no-op that says so. One cycle runs at a time in a workspace (a lock on WS/cycle.lock).
//
//   ASSIGN_OR_RETURN(CycleOutcome o, RunCycle(ws, {.batch_file = "wave7.tsv",
//                                                  .period = "2025-07"}));
//   if (o.result == CycleResult::kWaiting) ... o.message says what a person must do
//
// Thread-safety: functions of one Workspace, which is used by one thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/progress.h"
#include "core/result.h"
#include "store/metadata_store.h"
#include "workspace/workspace.h"

namespace statcoder::pipeline {

// The steps, in order; CycleRow::steps journals them by these names.
inline constexpr const char* kCycleSteps[] = {"ingest", "code",    "monitor", "feedback",
                                              "train",  "compare", "promote", "final"};

struct CycleOptions {
  std::string batch_file;  // records to code (TSV, CSV or JSON Lines); required
  std::string period;      // e.g. "2025-07"; empty: the current UTC month
  int threads = 0;         // coding and training threads; 0: [training] threads
  core::ProgressCallback progress;
};

enum class CycleResult {
  kDone,        // every step ran (or was not due); exit 0
  kNothingToDo, // this batch's cycle had finished before: nothing was changed; exit 9
  kWaiting,     // waiting for a person (e.g. an ethics approval); rerun after; exit 10
};
const char* CycleResultName(CycleResult r);  // done, nothing_to_do, waiting

struct CycleOutcome {
  store::CycleRow cycle;
  CycleResult result = CycleResult::kDone;
  std::string message;  // one line for people: what happened, or what a person must do
  nlohmann::json ToJson() const;  // CycleToJson(cycle) + {"result", "message", "output"}
};

// Runs (or resumes) the cycle of `options.batch_file`. Errors (the cycle is journaled as
// failed with the message, and resumes at the failed step when rerun): kFailedPrecondition
// without a production model or when another cycle holds the workspace's lock; errors of
// ingest, coding, training and comparison as those verbs give them.
core::Result<CycleOutcome> RunCycle(workspace::Workspace& ws, const CycleOptions& options);

// A cycle as JSON: {"id", "period", "batch_snapshot", "batch_file", "state", "steps",
// "model_version", "coded_records", "queued_items", "challenger", "promoted", "output",
// "final_output", "created_at", "updated_at", "actor"}.
nlohmann::json CycleToJson(const store::CycleRow& cycle);

// Where a cycle's coded file and its final codes are, relative to the workspace.
std::string CycleOutputPath(int64_t cycle_id);
std::string CycleFinalPath(int64_t cycle_id);

// Is retraining due? Pure, for tests and for `cycle status`: the monitor's status, how many
// cycles ran since the production model was trained, and the reviewed records not yet
// learned from, against [cycle]. Returns the reasons (empty: not due).
std::vector<std::string> RetrainReasons(const workspace::CycleConfig& config,
                                        const std::string& monitor_status,
                                        int64_t cycles_since_training, int64_t new_reviewed);

}  // namespace statcoder::pipeline
