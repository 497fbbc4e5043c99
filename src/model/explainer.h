// Explainer: why the model chose a code for one record, exactly. A label's score (logit) is a
// sum of per-feature terms plus biases (model.h), so the difference between the chosen code A
// and another code B splits exactly into one term per feature of the record:
//
//   logit_A - logit_B = (bias_A - bias_B) + sum over features f of x_f * (W_A(f) - W_B(f))
//
// where x_f is the feature's TF-IDF weight in the record's unit-length vector (Vectorize),
// W_c(f) = sum of weight(f, o) over the outputs o on c's path (its own output and, with
// hierarchical sharing, its ancestors'), and bias_c likewise. Nothing is sampled or
// approximated (unlike LIME or SHAP on a black box): the terms are the model's own arithmetic,
// and they add up to the logit difference up to float rounding. Divided by the temperature, they
// add up to log(p_A / p_B), the log-odds of the calibrated probabilities.
//
//   Explainer explainer(model);
//   ASSIGN_OR_RETURN(Explanation e, explainer.Explain(record_view, ExplainOptions{}));
//   // e.code (A), e.versus (B), e.features (strongest first), e.tokens, e.field_totals ...
//   std::string json = e.ToJson().dump(2);
//
// Thread-safety: immutable after construction; Explain may be called concurrently (each call
// uses its own Predictor and scratch).
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "model/model.h"
#include "model/predictor.h"
#include "text/featurizer.h"
#include "text/normalizer.h"

namespace statcoder::model {

struct ExplainOptions {
  int top_k = 5;          // codes listed with their probabilities; 1..100
  std::string versus{};   // code to compare the top code with; empty = the runner-up
  int title_matches = 3;  // code-list entries whose titles best match the text; 0..20

  // kInvalidArgument when a number is out of range.
  core::Status Validate() const;
};

// A label with its scores. `title` is the code list's title ("" without one).
struct ExplainedCode {
  int32_t label = -1;  // index into Model::labels
  std::string code;
  std::string title;
  double probability = 0;  // calibrated
  double logit = 0;        // uncalibrated score: probability = softmax(logit / temperature)
};

// One distinct feature of the record: one row of its sparse vector. Occurrences of the same
// feature (a repeated word; with --share-text-fields, the same word in two text fields)
// collapse into one row with sublinear tf, so they have one value and one contribution.
struct FeatureContribution {
  uint64_t id = 0;   // hashed feature id (docs/formats/features_v1.md)
  std::string kind;  // "word", "word_ngram", "char_ngram", "categorical", "numeric"
  std::string text;  // as text::NamedFeature::text: "retail sale", "<bic", "bin 2 [5, 9)"
  std::vector<std::string> fields{};  // the fields it occurred in, in the model's field order
  uint32_t count = 0;                 // occurrences in the record
  double value = 0;                   // x_f; 0 for a feature the model does not know
  double contribution = 0;            // x_f * (W_A(f) - W_B(f)): its share of logit_A - logit_B
  double score_contribution = 0;      // x_f * W_A(f): its share of logit_A alone
};

// A sum of contributions over a group of features: a field, a kind or a word.
struct ContributionTotal {
  std::string name;
  uint32_t features = 0;  // distinct known features credited (in part) to the group
  double contribution = 0;
  double score_contribution = 0;
};

// A word of a text field with the contributions of the features built from it: its own word
// feature, the character n-grams inside it, and an equal 1/n share of each word n-gram it is part
// of (a feature seen several times is first split equally among its occurrences). So the word
// totals of a record plus its categorical and numeric features add up to the feature total
// exactly, while each feature's own number stays exact.
struct TokenContribution {
  std::string field;
  uint32_t index = 0;           // position among the field's tokens
  std::string token;            // normalised, as the model saw it
  std::optional<size_t> begin;  // byte offsets [begin, end) into the field's original text;
  std::optional<size_t> end;    // empty when normalisation made them ambiguous (token_locator.h)
  double contribution = 0;
  double score_contribution = 0;
};

// A code-list entry whose title shares words with the record's text.
struct TitleMatch {
  std::string code;
  std::string title;
  int depth = 1;  // level in the code list (1 = top)
  // Overlap of the record's words (all text fields, normalised by the model's Normalizer) with
  // the title's: sum of idf(w) over shared words / sum over words in either, in (0, 1], where
  // idf(w) = ln(1 + titles / (1 + titles containing w)) so that common title words ("and",
  // "workers") count little.
  double score = 0;
  bool trained = false;  // a code the model can predict (else a group or an unseen code)
};

struct Explanation {
  std::string model_version;       // Model::version_id()
  Prediction prediction;           // the decision, exactly as Predictor gives it (top: top_k codes)
  std::string decided_title;       // code-list title of prediction.code
  std::string decided_level_name;  // name of prediction.level ("code" without a code list)
  std::vector<ExplainedCode> top;  // prediction.top with codes, titles and logits
  ExplainedCode code;              // A: the top code
  ExplainedCode versus;            // B: the runner-up, or ExplainOptions::versus
  bool versus_is_runner_up = true;
  double temperature = 1;

  // logit_A - logit_B as the model computes it (ComputeLogits), and the same difference rebuilt
  // from the parts: bias + sum of feature contributions. They agree up to float rounding.
  double logit_difference = 0;
  double bias = 0;              // bias_A - bias_B
  double contribution_sum = 0;  // bias + sum of features[i].contribution
  double score_bias = 0;        // bias_A, the part of logit_A no feature explains

  // Known features, by decreasing |contribution| (ties: feature order of the record).
  std::vector<FeatureContribution> features;
  // Features the model never saw in training: no weight, no contribution, and not counted in
  // the record's length normalisation. In the record's feature order.
  std::vector<FeatureContribution> unknown_features;
  std::vector<ContributionTotal> field_totals;  // every field, in the model's field order
  // Every kind, in the order word, word_ngram, char_ngram, categorical, numeric.
  std::vector<ContributionTotal> kind_totals;
  std::vector<TokenContribution> tokens;  // text fields in order, then token order
  std::vector<TitleMatch> title_matches;  // best first; empty without a code list

  // One JSON object; keys documented in docs/cli.md ("statcoder explain").
  nlohmann::json ToJson() const;
};

class Explainer {
 public:
  explicit Explainer(std::shared_ptr<const Model> model);

  // Explains the model's decision on `record` (fields in the model's order, as for Predictor).
  // Errors: kInvalidArgument for bad options or `versus` naming the top code itself;
  // kNotFound when `versus` is not a code the model was trained on; kFailedPrecondition for a
  // model with a single code (nothing to compare with); kInvalidInput as Featurize.
  core::Result<Explanation> Explain(const text::RecordView& record,
                                    const ExplainOptions& options) const;

  const Model& model() const { return *model_; }

 private:
  // `words`: the record's normalised text words, sorted and unique.
  std::vector<TitleMatch> MatchTitles(const std::vector<std::string>& words, int limit) const;
  double WordIdf(const std::string& word) const;

  std::shared_ptr<const Model> model_;
  text::Normalizer normalizer_;  // the model's, so titles fold case and accents like records
  // The code list's titles as sets of normalised words (sorted, unique) and their summed IDF,
  // by node, and the IDF of each word over the titles; built once, for MatchTitles.
  std::vector<std::vector<std::string>> title_words_;
  std::vector<double> title_weight_;
  std::unordered_map<std::string, double> title_idf_;
  double unseen_word_idf_ = 0;
};

}  // namespace statcoder::model
