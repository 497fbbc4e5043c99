// TrainOptions: every option of training, and the one table that says, for each, how the
// model file, statcoder.toml's [training] section, `statcoder train`'s flags and the Python
// keywords name it, which values it takes and what it does.
//
//   TrainOptions options;                       // the recommended defaults
//   const TrainOptionSpec* epochs = FindTrainOption("epochs");
//   RETURN_IF_ERROR(SetTrainOption(*epochs, OptionValue{int64_t{30}}, &options));
//   RETURN_IF_ERROR(options.Validate());         // ranges, and the featurizer's own rules
//
// Validation, the model's `training_options` JSON, the [training] keys (workspace/config.cc),
// the train flags (tools/cli/train_command.cc) and the Python keywords (python/_statcoder.cc)
// all iterate over TrainOptionTable(), so an option added there is known everywhere, with one
// range and one line of documentation. Messages from here name the option by its table name
// (the statcoder.toml key); each interface adds the name its users typed (a flag, a line).
//
// This header has no dependency on the trainer: the workspace configuration and the Python
// keyword list use it without linking training code.
// Thread-safety: the table is immutable; TrainOptions is a plain value.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "core/status.h"
#include "text/featurizer.h"

namespace statcoder::model {

struct TrainOptions {
  // Field names must match data::Schema (text, categorical, numeric, in order). Numeric bin
  // edges are learned here; edges given by the caller are ignored.
  text::FeaturizerConfig featurizer;
  int numeric_bins = 10;               // quantile bins per numeric field
  int epochs = 20;                     // passes over the data
  double learning_rate = 2.0;          // initial SGD step, decays linearly to 0
  std::string optimizer = "sgd";       // "sgd" or "adagrad" (per-weight step sizes)
  uint32_t min_feature_count = 1;      // features in fewer records are dropped
  // After training, weights are pruned to about this many per feature on average (one global
  // magnitude threshold) and at most max_weights_per_feature in any one feature.
  uint32_t mean_weights_per_feature = 32;
  uint32_t max_weights_per_feature = 256;
  // Calibration and thresholds come from out-of-sample scores of every record by cross-fitting
  // over this many folds (with refit); 0 = from a seeded held-out part of holdout_fraction
  // (also used to choose text-field sharing).
  int calibration_folds = 2;
  double holdout_fraction = 0.1;       // for calibration and thresholds
  double target_precision = 0.95;      // auto-coding precision target
  // Risk delta of the certified thresholds: for new records exchangeable with the training
  // records, P(precision of the auto-coded records >= target) >= 1 - risk.
  double risk = 0.05;
  bool refit = true;                   // retrain on all records after calibration
  // With refit: 0 retrains from scratch with `epochs`; N > 0 continues the calibrated model on
  // all records for N passes (faster, nearly as accurate).
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
  // against the weights at the batch's start; 1 = sequential SGD.
  int minibatch = 4;
  int threads = 1;                     // does not affect results when deterministic

  // Every option in its table range, then the featurizer's rules; kInvalidArgument naming the
  // first option that is not.
  core::Status Validate() const;
  // Every option that affects results (thread count only when not deterministic).
  nlohmann::json ToJson() const;
  // The options ToJson wrote, over `featurizer` (which the model file stores separately);
  // kDataLoss naming the key when one is missing or has the wrong type. Keys that older
  // versions did not write take the value those versions trained with.
  static core::Result<TrainOptions> FromJson(const nlohmann::json& j,
                                             const text::FeaturizerConfig& featurizer);
};

enum class OptionType { kBool, kInt, kUnsigned, kDouble, kString };
// A value of an option; the alternative is the one its OptionType names.
using OptionValue = std::variant<bool, int64_t, uint64_t, double, std::string>;

// When the model's JSON holds an option.
enum class InModel { kNever, kAlways, kIfDeterministic, kIfHogwild };

struct TrainOptionSpec {
  // The option's name: its statcoder.toml [training] key and, where `python`, its Python
  // keyword. Messages from this library name it so.
  std::string_view name;
  OptionType type;
  // `statcoder train` flag taking a value ("--lr"), or "" for none.
  std::string_view flag;
  // Switches of a boolean option: the flag that sets it true, the one that sets it false.
  std::string_view flag_true, flag_false;
  bool toml = true;    // a [training] key
  bool python = true;  // a keyword of statcoder.train(options=...)
  // Key in the model's `training_options` and when it is written. Options of the featurizer
  // are stored with the featurizer instead (kNever here).
  std::string_view json_key;
  InModel in_model = InModel::kNever;
  // JSON value for models written before the key existed (they trained with it); nullptr:
  // the key is required.
  const char* json_absent = nullptr;
  // The values it takes, as a message completes "must be ...": "in 1..1000".
  std::string_view rule;
  std::string_view doc;  // one line: --help, statcoder.toml comments
  OptionValue (*get)(const TrainOptions&);
  void (*set)(TrainOptions&, const OptionValue&);  // REQUIRES a value of `type`
  bool (*valid)(const OptionValue&);               // nullptr: every value of `type`
};

// The options, in the order the interfaces list them.
std::span<const TrainOptionSpec> TrainOptionTable();
// By table name; nullptr when there is none.
const TrainOptionSpec* FindTrainOption(std::string_view name);

// Sets the option after checking its rule: kInvalidArgument "must be in 1..1000, got 0" (the
// caller names the option the way its user wrote it) when the value breaks it or is not of
// the option's type. Rules that join two options (char_ngram_min <= char_ngram_max) are
// Validate's.
core::Status SetTrainOption(const TrainOptionSpec& spec, const OptionValue& value,
                            TrainOptions* options);

// Reads an option's value from command-line text by its type ("true"/"false" for booleans);
// kInvalidArgument "must be an integer, got 'x'".
core::Result<OptionValue> ParseOptionValue(const TrainOptionSpec& spec, std::string_view text);

// The value as people write it (and as TOML does, strings without quotes): 20, 0.95, true, sgd.
std::string FormatOptionValue(const OptionValue& value);

}  // namespace statcoder::model
