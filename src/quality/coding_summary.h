// The first thing a reader of a quality report needs, in three plain sentences built from the
// figures (docs/formats/report_v1.md, `summary`): how much the policy codes automatically at its
// target precision, at which levels of the classification, and whether the promised precision
// held on the evaluated records (flagged when it did not, overall or at a level with enough
// records to tell).
//
//   CodingOutcome o = MeasureCodingOutcome(*model, truths, predictions);
//   nlohmann::json summary = CodingSummaryJson(o, SummaryOptions{});
//
// The same per-level figures are the operating points the report page marks on its
// coverage-precision chart. Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "model/decision_policy.h"
#include "model/model.h"
#include "model/predictor.h"

namespace statcoder::quality {

// What the policy did at one level of the hierarchy on the evaluated records.
struct LevelOutcome {
  int depth = 1;
  std::string name;        // the code list's level name ("detailed", "sector", "level 3"...)
  bool full_code = false;  // the labels' own level (auto-coded to the full code)
  double threshold = model::kNeverAuto;  // above 1: never auto-coded at this level
  uint64_t auto_records = 0;             // auto-coded at exactly this level
  uint64_t auto_right = 0;               // of which the decided code is right

  bool never() const { return threshold > 1.0; }
};

struct CodingOutcome {
  double target_precision = 0.95;
  uint64_t records = 0;  // evaluated
  // The order the policy tries them: the full code first, then the coarser levels, deepest
  // first. Without a code list, the full code only.
  std::vector<LevelOutcome> levels;
};

struct SummaryOptions {
  // A level's own precision is checked against the target only from this many records
  // auto-coded there: on fewer, one wrong record moves it by several points. The overall
  // precision is always checked (it is what the policy promises).
  uint64_t min_level_records = 30;
};

// The outcome of `model`'s policy: `predictions` (decided with it, one per record) against the
// true codes. REQUIRES: truths.size() == predictions.size().
CodingOutcome MeasureCodingOutcome(const model::Model& model,
                                   const std::vector<std::string>& truths,
                                   const std::vector<model::Prediction>& predictions);

// The report's `summary` object: the numbers and, under "sentences", the three sentences
// ("coverage", "levels", "precision"), each {"id", "text", "warning"}; "warning" is true for the
// precision sentence when the precision did not hold.
nlohmann::json CodingSummaryJson(const CodingOutcome& outcome, const SummaryOptions& options);

// "never" for a threshold above 1 (model::kNeverAuto: no cut reaches the target), else the
// threshold with `digits` decimals: what every human-readable output prints for a threshold.
std::string ThresholdText(double threshold, int digits = 3);

}  // namespace statcoder::quality
