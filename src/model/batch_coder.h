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

// The dataset must have been loaded with SchemaFor(model) (fields in the model's order).
core::Result<std::vector<Prediction>> PredictBatch(const std::shared_ptr<const Model>& model,
                                                   const data::Dataset& dataset, int top_k,
                                                   int threads,
                                                   const core::ProgressCallback& progress = nullptr);

// The schema a model reads: its text, categorical and numeric fields, plus the given id and
// label columns (either may be empty).
data::Schema SchemaFor(const Model& model, std::string id_field, std::string label_field);

}  // namespace statcoder::model
