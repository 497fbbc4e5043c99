// Train: fits a Model from labelled records.
//
//   TrainOptions options;
//   options.featurizer.text_fields = {"title"};   // must match the dataset's schema, in order
//   options.threads = 2;
//   ASSIGN_OR_RETURN(ModelData data, Train(dataset, options, &code_list, progress));
//
// The model is a multinomial logistic regression (softmax) over TF-IDF-weighted hashed features
// (word n-grams, character n-grams, categorical and numeric-bin tokens, each prefixed by its
// field), trained by SGD with a linearly decaying learning rate, then pruned to the strongest
// weights per feature and quantised to int8 (docs/formats/model_v1.md). A linear model on good
// features is what beats fastText's low-rank embedding bag on short official index texts.
//
// Calibration: a seeded random `holdout_fraction` of the records is held out; a model trained on
// the rest scores it; the softmax temperature and the auto-coding thresholds (for
// target_precision, per hierarchy level) are fitted on those scores. With `refit`, the final
// model is then retrained on all records with the same options and carries that calibration.
//
// Reproducibility: by default (`deterministic`) SGD runs data-parallel in fixed mini-batches
// with the updates applied in a fixed order, so the same data, options and seed give a
// byte-identical model file at any thread count. `deterministic = false` runs Hogwild-style
// (threads update shared weights without locks), which is not bit-exact.
// Thread-safety: Train may be called concurrently on different inputs.
#pragma once

#include <cstdint>
#include <string>

#include "core/progress.h"
#include "core/result.h"
#include "data/code_list.h"
#include "data/dataset.h"
#include "model/model.h"
#include "model/train_options.h"  // TrainOptions: every option, one table

namespace statcoder::model {

core::Result<ModelData> Train(const data::Dataset& dataset, const TrainOptions& options,
                              const data::CodeList* code_list,
                              const core::ProgressCallback& progress = nullptr);

}  // namespace statcoder::model
