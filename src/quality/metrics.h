// Accuracy figures for a coded, labelled set: top-1 / top-k accuracy, macro-F1, accuracy at
// each hierarchy level, and the share auto-coded with its precision.
//
//   ASSIGN_OR_RETURN(EvaluationSummary s, Evaluate(*model, truths, predictions));
//
// A true code that the model never saw in training (but that is valid: in the code list, or
// any code without one) is scored as a miss and counted in `unseen_labels`.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/model.h"
#include "model/predictor.h"

namespace statcoder::quality {

struct LevelAccuracy {
  int depth = 0;
  std::string name;
  uint64_t records = 0;  // records whose true and predicted codes both reach this depth
  double accuracy = 0;
  double top_k_accuracy = 0;  // the true code's ancestor is an ancestor of one of the top k
  double macro_f1 = 0;        // over the codes of this level
  uint64_t auto_records = 0;  // records auto-coded at exactly this depth
  double auto_precision = 0;  // of which the decided code is right
};

struct EvaluationSummary {
  uint64_t records = 0;
  int top_k = 0;
  double accuracy = 0;        // top-1 label == true label
  double top_k_accuracy = 0;  // true label among the top k
  double macro_f1 = 0;        // unweighted mean F1 over codes that are true or predicted
  uint64_t unseen_labels = 0; // true codes never seen in training (scored as misses)
  // Levels of the code list down to the deepest trained code; empty without a code list.
  std::vector<LevelAccuracy> levels;
  double auto_rate = 0;       // share of records decided "auto" (at any level)
  double auto_precision = 0;  // share of auto-coded records whose decided code is right
  uint64_t auto_records = 0;

  nlohmann::json ToJson() const;
};

// REQUIRES: truths.size() == predictions.size(); predictions made by `model` with top_k >= 1.
EvaluationSummary Evaluate(const model::Model& model, const std::vector<std::string>& truths,
                           const std::vector<model::Prediction>& predictions);

// F1 averaged over classes, from paired true/predicted class ids (any ints). Classes that are
// neither true nor predicted do not exist; a class with no true and no predicted records
// cannot occur. Returns 0 for empty input.
double MacroF1(const std::vector<int64_t>& truth, const std::vector<int64_t>& predicted);

}  // namespace statcoder::quality
