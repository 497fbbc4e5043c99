// PredictBatch: codes every record of a Dataset with one shared Model on several threads.
// Results are stored by record index, so the output order (and content) never depends on the
// thread count.
// Thread-safety: thread-safe; the Model is shared read-only.
#pragma once

#include <memory>
#include <vector>

#include "core/progress.h"
#include "core/result.h"
#include "data/dataset.h"
#include "model/predictor.h"

namespace statcoder::model {

// What evaluation needs beyond the predictions, per record (same order).
struct BatchEvidence {
  std::vector<DecisionEvidence> evidence;  // to apply other policies to the same scores
  // Top-1 probability before calibration (softmax at temperature 1), for calibration reports.
  std::vector<double> uncalibrated_confidence;
};

// The dataset must have been loaded with SchemaFor(model) (fields in the model's order).
// With `evidence`, it is filled too (slower: the hierarchy roll-up runs for every record).
core::Result<std::vector<Prediction>> PredictBatch(const std::shared_ptr<const Model>& model,
                                                   const data::Dataset& dataset, int top_k,
                                                   int threads,
                                                   const core::ProgressCallback& progress = nullptr,
                                                   BatchEvidence* evidence = nullptr);

// Top-1 probability at temperature 1 from probabilities calibrated at `temperature`:
// softmax(z/T) = p  ⇒  softmax(z) ∝ p^T.
double UncalibratedTopProbability(std::span<const float> probabilities, int32_t top_label,
                                  double temperature);

// The schema a model reads: its text, categorical and numeric fields, plus the given id and
// label columns (either may be empty).
data::Schema SchemaFor(const Model& model, std::string id_field, std::string label_field);

}  // namespace statcoder::model
