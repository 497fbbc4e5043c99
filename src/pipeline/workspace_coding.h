// Coding a batch in a workspace: the one room that `statcoder code WS` and `statcoder cycle`
// share (and POST /v1/code for the shadow challenger, CodeAsShadow), so they cannot drift apart. After the model has coded the records, the knowledge
// base decides what it knows (kb/knowledge_base.h), the shadow challenger (if one is set) codes
// the same records without changing the output, and the batch is remembered for monitoring with
// its referred records and audit sample queued for review (registry/monitoring.h), in one
// transaction. docs/monitoring.md and docs/cycle.md.
//
//   ASSIGN_OR_RETURN(KnowledgeApplied k, ApplyWorkspaceKnowledge(ws, *model, ds, &predictions));
//   ASSIGN_OR_RETURN(RememberedBatch r, RememberBatch(ws, *model, ds, predictions,
//                                                     {.label = "wave7.tsv"}));
//
// Thread-safety: functions of one Workspace, which is used by one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"
#include "data/dataset.h"
#include "kb/knowledge_base.h"
#include "model/model.h"
#include "model/predictor.h"
#include "registry/monitoring.h"
#include "workspace/workspace.h"

namespace statcoder::pipeline {

struct KnowledgeApplied {
  kb::KbApplied applied;   // which records an entry decided, and the conflicts
  int64_t kb_version = 0;  // the knowledge base's version used
};

// Applies the workspace's knowledge base (loaded with the model's schema) to `predictions`.
core::Result<KnowledgeApplied> ApplyWorkspaceKnowledge(workspace::Workspace& ws,
                                                       const model::Model& model,
                                                       const data::Dataset& dataset,
                                                       std::vector<model::Prediction>* predictions);

// kFailedPrecondition when shadow model `challenger` (version `challenger_version`) reads other
// fields than `champion`: it could not code the same records.
core::Status CheckShadowFields(const model::Model& champion, const model::Model& challenger,
                               const std::string& challenger_version);

// The shadow challenger's coding of records that `champion` coded as `champion_predictions`
// (after the knowledge base): the challenger codes them, the same knowledge base (`knowledge`,
// loaded for the champion's schema, which CheckShadowFields made the challenger's) decides
// what it knows, and the two codings are compared. Changes nothing the champion answered.
core::Result<registry::ShadowAgreement> CodeAsShadow(
    const model::Model& champion, const std::shared_ptr<const model::Model>& challenger,
    const kb::KnowledgeBase& knowledge, double disagreement_probability,
    const data::Dataset& dataset, std::span<const model::Prediction> champion_predictions,
    int threads);

struct RememberOptions {
  std::string label;         // the batch's name in monitoring (the data file's name)
  bool queue_review = true;  // referred records and the audit sample enter the review queue
  int threads = 0;           // for the shadow challenger; 0: the machine's cores
};

struct RememberedBatch {
  int64_t monitor_batch = 0;
  size_t queued_for_review = 0;  // referred records queued
  size_t audit_sample = 0;       // auto-coded records queued for blind second coding
  nlohmann::json shadow;         // {"version", "compared", "agree", "agreement"} or null

  // {"monitor_batch", "queued_for_review", "audit_sample", "shadow"}
  nlohmann::json ToJson() const;
};

// Remembers a batch coded by `model` (a registered model of the workspace) as `predictions`
// (after the knowledge base): the shadow challenger codes it too, then its statistics, the
// challenger's agreement and the review items are stored in one transaction (which joins the
// caller's, so a caller can commit its own journal with it). kFailedPrecondition when the
// shadow model reads other fields than `model`.
core::Result<RememberedBatch> RememberBatch(workspace::Workspace& ws, const model::Model& model,
                                            const data::Dataset& dataset,
                                            const std::vector<model::Prediction>& predictions,
                                            const RememberOptions& options);

}  // namespace statcoder::pipeline
