// A training run in a workspace: train on lake snapshots with the options of statcoder.toml,
// measure the model's quality report on records it did not learn from, and register the model
// with its lineage as the new `candidate`. Same snapshots, configuration and seed give the same
// model file, byte for byte ([training] deterministic = true, the workspace default).
//
//   ASSIGN_OR_RETURN(TrainingRun run, TrainAndRegister(ws, {.snapshots = {"3f2a9c"}}));
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

namespace statcoder::registry {

struct TrainingRunOptions {
  std::vector<std::string> snapshots;  // ids or prefixes; training or feedback snapshots
  // Where the quality report is measured; empty: a seeded [training] test_fraction of the
  // training snapshots' records is held out for it (and not learned from).
  std::vector<std::string> evaluation_snapshots;
  int threads = 0;  // 0: [training] threads
  core::ProgressCallback progress;
};

struct TrainingRun {
  store::ModelRow model;
  bool created = false;       // false: this exact model was registered before
  nlohmann::json report;      // its quality report
  double training_seconds = 0;
  uint64_t training_records = 0, evaluation_records = 0;
};

// Errors: kNotFound/kInvalidArgument for snapshot ids, kInvalidArgument for a batch snapshot
// (no codes) or one whose schema lacks a field the configuration trains on.
core::Result<TrainingRun> TrainAndRegister(workspace::Workspace& ws,
                                           const TrainingRunOptions& options);

}  // namespace statcoder::registry
