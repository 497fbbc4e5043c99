// DecisionPolicy: when a record is auto-coded and when it is referred to a clerical coder.
// Thresholds are chosen on a held-out part of the training data for a target precision (see
// calibration.h), stored in the model and applied by Predictor:
//  1. the top label is auto-coded when its calibrated probability >= label_threshold;
//  2. else, with a code list, the deepest level d above the label
//     whose best rolled-up probability >= level_thresholds[d-1] is auto-coded at that level
//     (partial coding: "we are sure it is sector 44-45, not which retailer");
//  3. else the record is referred for review, with the top label as suggestion.
// A threshold above 1 means "never auto-code at this level".
// Thread-safety: a plain value.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace statcoder::model {

inline constexpr double kNeverAuto = 2.0;

struct DecisionPolicy {
  double target_precision = 0.95;
  double label_threshold = kNeverAuto;
  std::vector<double> level_thresholds;  // index = depth - 1; empty without a code list
  // Where the thresholds were chosen ("training_holdout"); never the records being evaluated.
  std::string chosen_on = "none";
  uint64_t chosen_on_records = 0;

  nlohmann::json ToJson() const;
  static core::Result<DecisionPolicy> FromJson(const nlohmann::json& j);
};

}  // namespace statcoder::model
