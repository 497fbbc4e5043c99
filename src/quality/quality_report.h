// The QF4SA quality report of a model on labelled records (docs/formats/report_v1.md):
// accuracy (per level, per class, confusions, aggregate distribution), coding (auto-coding rate
// at each target precision with thresholds chosen on the training side, the coverage–precision
// curve), calibration, explainability, reproducibility, timeliness, cost-effectiveness and
// subgroup quality, with 95% intervals on the headline figures.
//
//   ReportInputs in{model, dataset, predictions, evidence};   // PredictBatch(..., &evidence)
//   in.coding_seconds = ...;
//   ASSIGN_OR_RETURN(nlohmann::json report, BuildQualityReport(in, ReportOptions{}));
//
// Thread-safety: pure functions of their inputs.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/result.h"
#include "data/dataset.h"
#include "model/batch_coder.h"
#include "model/model.h"
#include "quality/coding_summary.h"
#include "quality/intervals.h"
#include "quality/subgroups.h"

namespace statcoder::quality {

struct LatencyStats {
  double p50_ms = 0, p99_ms = 0;
  uint64_t records = 0;
};

// Scores up to `max_records` records one at a time on one thread (featurisation included) and
// returns the latency percentiles.
core::Result<LatencyStats> MeasureLatency(const std::shared_ptr<const model::Model>& model,
                                          const data::Dataset& dataset, size_t max_records);

struct ReportInputs {
  std::shared_ptr<const model::Model> model;
  const data::Dataset* dataset = nullptr;  // labelled; with groups when group_field is set
  const std::vector<model::Prediction>* predictions = nullptr;
  const model::BatchEvidence* evidence = nullptr;
  std::string label_field, group_field;
  double coding_seconds = 0;
  int threads = 1;
  LatencyStats latency;
  // The `train` command's log beside the model (<model>.train.json), or null.
  nlohmann::json training_log;
  std::string model_path;  // for the reproduce command shown in the report
};

struct ReportOptions {
  bool show_examples = false;           // record texts in the report (confidential!)
  double coder_records_per_hour = 100;  // clerical coding speed for cost-effectiveness
  BootstrapOptions bootstrap;
  SubgroupOptions subgroups;
  SummaryOptions summary;  // the first-screen sentences (coding_summary.h)
};

// kInvalidArgument for a group column with fewer than two values; otherwise the report.
core::Result<nlohmann::json> BuildQualityReport(const ReportInputs& in,
                                                const ReportOptions& options);

// Whether an auto-coded `code` at `level` is right for the true code `truth`: the same code, or
// (partial coding) an ancestor of it in the model's code list.
bool DecidedCodeIsRight(const model::Model& model, const std::string& truth,
                        const std::string& code);

// The `auto_rate_at_precision` object (report_v1.md): for each standard target, the model's
// thresholds for it applied to the evidence. Keys whose thresholds the model lacks map to null.
nlohmann::json AutoRateAtPrecision(const model::Model& model,
                                   const std::vector<std::string>& truths,
                                   const std::vector<model::DecisionEvidence>& evidence);

// Calibration at every level of the model's code list (report_v1.md `calibration.by_level`):
// per depth, the best code's rolled-up probability against whether the true code lies at or
// under it, as equal-width ECE over `bins` bins beside the ECE a perfectly calibrated model
// would show on the same confidences (ExpectedCalibrationErrorIfCalibrated). Records whose
// true code is unknown to the code list, or that have no code at a depth, are left out of it.
// An empty array without a code list.
nlohmann::json CalibrationByLevel(const model::Model& model,
                                  const std::vector<std::string>& truths,
                                  const std::vector<model::DecisionEvidence>& evidence,
                                  int bins);

// Warnings a reader must see first: thresholds chosen on the evaluated records, evaluation on
// the training data.
std::vector<std::string> EvaluationWarnings(const model::Model& model,
                                            const std::string& data_sha256);

}  // namespace statcoder::quality
