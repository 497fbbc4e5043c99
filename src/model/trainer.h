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
#include <utility>
#include <vector>

#include "core/progress.h"
#include "core/result.h"
#include "data/code_list.h"
#include "data/dataset.h"
#include "model/model.h"
#include "model/train_options.h"  // TrainOptions: every option, one table

namespace statcoder::model {

// Soft labels: for records whose code is not known for certain (old-version records reached
// through a many-to-many crosswalk), the probability of each code the record may have. The
// trainer fits the model to that distribution (cross-entropy against it), so a record whose
// text does not settle the code leaves the model unsure between the codes, and the policy
// refers such records. by_record[i] applies to dataset.records[i]; an empty entry (or a
// shorter vector) means the record's own label, with certainty. A record with soft labels must
// still carry one of its codes in Record::label. Calibration and thresholds are fitted on the
// records whose code is certain only: their truth is known.
//
// With `em`, a record's entries are instead the codes it is allowed to have with a likelihood
// weight each (how likely a record of each code is to carry the old code it has), and the
// trainer maximises the record's marginal likelihood: at every step the record's target is
// the model's current probabilities restricted to the allowed codes and multiplied by the
// weights (the E step of EM, done online), so what other records teach the model decides
// between the allowed codes. The weights need not sum to 1.
struct SoftLabels {
  std::vector<std::vector<std::pair<std::string, double>>> by_record;
  bool em = false;
};

core::Result<ModelData> Train(const data::Dataset& dataset, const TrainOptions& options,
                              const data::CodeList* code_list,
                              const core::ProgressCallback& progress = nullptr,
                              const SoftLabels* soft_labels = nullptr);

}  // namespace statcoder::model
