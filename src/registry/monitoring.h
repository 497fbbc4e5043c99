// Monitoring in a workspace (docs/monitoring.md): every coded batch leaves its statistics in the
// catalog (store::MonitorBatchRow; never record text), each model keeps the same statistics of
// its held-out records as its reference (reports/<version>/reference.json), and `statcoder
// monitor` turns the production model's history into ok / watch / retrain with the evidence and
// a proposed training window. The statistics and tests themselves live in src/monitor/; this
// module connects them to models, the review queue and the lake.
//
//   ASSIGN_OR_RETURN(monitor::BatchStats stats, ObserveBatch(*model, dataset, predictions));
//   ASSIGN_OR_RETURN(int64_t id, ws.store().InsertMonitorBatch(row));      // row.stats = ...
//   ASSIGN_OR_RETURN(nlohmann::json status, MonitorStatus(ws, {.since = "2025-01"}));
//
// Thread-safety: functions of one Workspace, which is used by one thread; ObserveBatch and
// BuildReference are pure.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>

#include "core/result.h"
#include "data/dataset.h"
#include "model/model.h"
#include "model/predictor.h"
#include "monitor/batch_stats.h"
#include "monitor/reference.h"
#include "store/metadata_store.h"
#include "workspace/workspace.h"

namespace statcoder::registry {

// Where a model's reference lives, relative to the workspace.
std::string ReferencePath(const std::string& version);

// The monitoring statistics of `dataset` (in the model's schema: SchemaFor) coded as
// `predictions` (same order): codes, confidences, decisions, unseen features, text lengths in
// characters, and the model's categorical fields.
monitor::BatchStats ObserveBatch(const model::Model& model, const data::Dataset& dataset,
                                 std::span<const model::Prediction> predictions);

// The reference of a model: ObserveBatch of its labelled held-out records, plus how many of them
// it coded right (top-1 code = label) and how precise its auto-coded decisions were (the decided
// code is the label or one of its ancestors), and the codes of its training records (with how
// many held-out records have a code outside them), against which coders' decisions are checked
// for codes new to the model (monitor/new_codes.h).
monitor::Reference BuildReference(const model::Model& model, const data::Dataset& heldout,
                                  std::span<const model::Prediction> predictions,
                                  const data::Dataset& training);

// The model's stored reference; empty for a model trained before references were kept.
core::Result<std::optional<monitor::Reference>> LoadReference(const workspace::Workspace& ws,
                                                              const std::string& version);

// A challenger coding the same records as the production model (shadow mode): its statistics
// and how often the two agree, as stored in MonitorBatchRow::shadow.
struct ShadowAgreement {
  monitor::BatchStats stats;  // the challenger's
  int64_t compared = 0;       // records both coded
  int64_t agree = 0;          // same decided code
  int64_t agree_top1 = 0;     // same top-1 code
  int64_t both_auto = 0;      // auto-coded by both
  int64_t agree_auto = 0;     // ... with the same code

  nlohmann::json ToJson() const;  // {"stats", "compared", "agree", "agree_top1", ...}
  // Adds another batch's agreement (the server's requests of one traffic window).
  void Merge(const ShadowAgreement& other);
};
ShadowAgreement CompareShadow(const model::Model& champion, const model::Model& challenger,
                              const data::Dataset& dataset,
                              std::span<const model::Prediction> champion_predictions,
                              std::span<const model::Prediction> challenger_predictions);

// The workspace's shadow challenger of `classification`: the model holding the "shadow" alias,
// or empty when shadow mode is off.
core::Result<std::optional<store::ModelRow>> ShadowModel(workspace::Workspace& ws,
                                                         const std::string& classification);

// A batch just coded in the workspace (`statcoder code WS`), to be remembered.
struct CodedBatchInput {
  const model::Model* model = nullptr;  // the model that coded it
  const data::Dataset* dataset = nullptr;
  std::span<const model::Prediction> predictions;  // after the knowledge base
  std::string label;                    // the data file's name
  bool queue_review = true;             // referred records and the audit sample enter the queue
  const ShadowAgreement* shadow = nullptr;  // the shadow challenger's coding, if any
  std::string shadow_version;
};

struct RecordedBatch {
  int64_t batch_id = 0;
  size_t referred = 0;      // records queued for review
  size_t audit_sample = 0;  // auto-coded records queued for blind second coding
};

// Stores the batch's statistics (store::MonitorBatchRow, source "cli") and, with queue_review,
// its referred records and an audit sample of its auto-coded ones ([review] audit_rate; the
// draw is seeded by [review] audit_seed and the batch id) in the review queue, in one
// transaction. The queued records keep the fields the model reads and the id.
core::Result<RecordedBatch> RecordCodedBatch(workspace::Workspace& ws, const CodedBatchInput& in);

struct MonitorOptions {
  std::string since;           // only batches stored at or after this UTC time prefix; "" all
  std::string classification;  // "" the workspace's
};

// The production model's monitoring status (docs/monitoring.md, "statcoder monitor"):
// {"classification", "model_version", "reference": {...}, "status": ok|watch|retrain|no_data,
//  "recommendation": {...}, "training_window": {...} | null, "batches": [...]}.
// Batches coded by other models are left out: the reference belongs to the production model.
// kFailedPrecondition without a production model.
core::Result<nlohmann::json> MonitorStatus(workspace::Workspace& ws,
                                           const MonitorOptions& options);

}  // namespace statcoder::registry
