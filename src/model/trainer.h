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

#include <nlohmann/json.hpp>

#include "core/progress.h"
#include "core/result.h"
#include "data/code_list.h"
#include "data/dataset.h"
#include "model/model.h"

namespace statcoder::model {

struct TrainOptions {
  // Field names must match data::Schema (text, categorical, numeric, in order). Numeric bin
  // edges are learned here; edges given by the caller are ignored.
  text::FeaturizerConfig featurizer;
  int numeric_bins = 10;               // quantile bins per numeric field; 2..100
  int epochs = 20;                     // passes over the data; 1..1000
  double learning_rate = 2.0;          // initial SGD step, decays linearly to 0; (0, 10]
  std::string optimizer = "sgd";       // "sgd" or "adagrad" (per-weight step sizes)
  uint32_t min_feature_count = 1;      // features in fewer records are dropped; >= 1
  // After training, weights are pruned to about this many per feature on average (one global
  // magnitude threshold) and at most max_weights_per_feature in any one feature; 1..65535.
  uint32_t mean_weights_per_feature = 16;
  uint32_t max_weights_per_feature = 256;
  // Calibration and thresholds come from out-of-sample scores of every record by cross-fitting
  // over this many folds (with refit); 0 = from a seeded held-out part of holdout_fraction
  // (also used to choose text-field sharing). 0 or 2..20.
  int calibration_folds = 2;
  double holdout_fraction = 0.1;       // for calibration and thresholds; [0, 0.5]
  double target_precision = 0.95;      // auto-coding precision target; (0, 1]
  // Risk delta of the certified thresholds: for new records exchangeable with the training
  // records, P(precision of the auto-coded records >= target) >= 1 - risk. (0, 0.5]
  double risk = 0.05;
  bool refit = true;                   // retrain on all records after calibration
  // With refit: 0 retrains from scratch with `epochs`; N > 0 continues the calibrated model on
  // all records for N passes (faster, nearly as accurate). 0..1000.
  int refit_epochs = 0;
  // With a code list: a label's score is the sum of outputs for it and each of its ancestors,
  // so codes with few examples share what their group learned.
  bool hierarchical_sharing = true;
  // With a code list: each code's title (at the level the labels are coded at) is one more
  // training record, so codes and wordings the records lack are still learned.
  bool codelist_titles = true;
  // With several text fields and featurizer.share_text_fields false: the trainer chooses
  // share_text_fields itself, comparing both settings in short runs on the held-out part
  // (recorded in the model's metadata, "text_field_sharing"). False keeps the fields apart;
  // share_text_fields = true is always kept.
  bool choose_text_field_sharing = true;
  uint64_t seed = 1;
  bool deterministic = true;
  // Deterministic mode: examples per mini-batch, whose gradients are computed in parallel
  // against the weights at the batch's start; 1 = sequential SGD. 1..4096.
  int minibatch = 4;
  int threads = 1;                     // 1..256; does not affect results when deterministic

  core::Status Validate() const;
  // Every option that affects results (thread count only when not deterministic).
  nlohmann::json ToJson() const;
  // The options ToJson wrote, over `featurizer` (which the model file stores separately);
  // kDataLoss naming the key when one is missing or has the wrong type.
  static core::Result<TrainOptions> FromJson(const nlohmann::json& j,
                                             const text::FeaturizerConfig& featurizer);
};

core::Result<ModelData> Train(const data::Dataset& dataset, const TrainOptions& options,
                              const data::CodeList* code_list,
                              const core::ProgressCallback& progress = nullptr);

}  // namespace statcoder::model
