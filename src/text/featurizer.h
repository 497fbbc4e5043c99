// Featurizer: turns one record (several text fields, categorical fields, numeric fields) into
// hashed feature ids. This is the contract between training and coding: the same record and
// FeaturizerConfig give the same ids on every machine, forever (pinned by golden tests).
//
//   FeaturizerConfig config;                 // word 1–2-grams, char 3–4-grams
//   config.text_fields = {"title", "qualifier"};
//   ASSIGN_OR_RETURN(Featurizer f, Featurizer::Create(config));
//   std::vector<uint64_t> ids;
//   RETURN_IF_ERROR(f.Featurize(record_view, &ids));
//
// Feature strings and their ids (docs/formats/features_v1.md):
//   word n-gram   "w<n>\x1f<field>\x1f<tok1> <tok2> ..."        (n = 1..word_ngrams)
//   char n-gram   "c\x1f<field>\x1f<n-gram of '<' token '>'>"   (n = char_ngram_min..max)
//   categorical   "k\x1f<field>\x1f<normalised value>"
//   numeric bin   "n\x1f<field>\x1f<bin index>" or "n\x1f<field>\x1fmissing"
// id = FNV-1a 64 (core/stable_hash.h) of the feature string's UTF-8 bytes. The field name
// prefix makes the same word in two fields two different features. In detail:
//   - Text fields are normalised (Normalizer with config.normalizer) and tokenised (Tokenize).
//     Word n-grams join n consecutive tokens of one field with one ASCII space; they never
//     span two fields. <n> is the decimal n ("w1", "w2", ...).
//   - Character n-grams are taken over code points, not bytes, of each token wrapped in '<'
//     and '>' (as fastText does): every run of n consecutive code points of "<token>", for
//     each n in [char_ngram_min, char_ngram_max], including "<" and ">" alone when n = 1 and
//     the whole "<token>" when it is n code points long.
//   - Categorical values are normalised like text but not tokenised ("Paris  Nord" → "paris
//     nord"). A value that normalises to "" is the feature "k\x1f<field>\x1f" (shown as
//     "(empty)"): a blank answer is information too.
//   - Numeric bin index = number of edges <= value, in decimal ("0", "1", ...); NaN → "missing".
// Order of the ids: text fields in config order, each giving its words (n = 1) in token order,
// then its n-grams for n = 2..word_ngrams (n ascending, then start position), then its
// character n-grams (token order, then start position, then n ascending); then categorical
// fields in config order, then numeric fields in config order.
//
// Thread-safety: immutable after Create; Featurize may be called concurrently.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "text/normalizer.h"

namespace statcoder::text {

// Bin edges of one numeric field, learned in training (see LearnNumericBins).
struct NumericBins {
  std::string field;
  std::vector<double> edges;  // ascending; value v falls in bin = number of edges <= v
};

struct FeaturizerConfig {
  std::vector<std::string> text_fields;         // names of free-text fields, in record order
  std::vector<std::string> categorical_fields;  // each value (normalised) is one feature
  std::vector<NumericBins> numeric_fields;      // binned numeric fields
  int word_ngrams = 2;                          // longest word n-gram (1 = words only); range 1..5
  int char_ngram_min = 3;  // shortest character n-gram; 0 disables character n-grams
  int char_ngram_max = 4;  // longest character n-gram; range char_ngram_min..8 (0..8 if disabled)
  NormalizerOptions normalizer;
  uint32_t normalizer_version = kNormalizerVersion;
  // When true, text features carry an empty field name instead of their field's, so the same
  // word in a title and in a qualifier is one feature. Short qualifier fields that reuse title
  // words (ONS SOC: "manager" + "retail") are coded better this way; n-grams still never span
  // two fields. Categorical and numeric features keep their field names.
  bool share_text_fields = false;

  // Fails with kInvalidArgument on an out-of-range n-gram setting, no text field, an empty,
  // duplicated (across all three lists) or \x1f-containing field name, or bin edges that are
  // not finite and strictly ascending; with kUnsupportedVersion when normalizer_version is not
  // this build's kNormalizerVersion.
  core::Status Validate() const;
};

// The fields of one record, positionally matching the config's field lists. A numeric value
// is NaN when the field is empty (missing).
struct RecordView {
  std::span<const std::string_view> texts;
  std::span<const std::string_view> categoricals;
  std::span<const double> numerics;
};

// One feature with its human-readable string, for explanations.
struct NamedFeature {
  uint64_t id;
  std::string field;  // the field it came from
  std::string kind;   // "word", "word_ngram", "char_ngram", "categorical", "numeric"
  std::string text;   // the n-gram / value / bin, e.g. "retail sale", "<bic", "bin 3 [10, 50)",
                      // "bin 0 (-inf, 10)", "missing", "(empty)"
  // Text features: the first token they cover, as an index into the tokens of their field's
  // normalised text (Tokenize), and how many (n for a word n-gram, 1 for a word or a character
  // n-gram); -1 and 0 for categorical and numeric features. Lets an explanation credit each
  // word with the features built from it.
  int32_t token = -1;
  int32_t token_count = 0;
};

class Featurizer {
 public:
  // Fails as config.Validate() does.
  static core::Result<Featurizer> Create(FeaturizerConfig config);

  // Appends the record's feature ids to *ids (duplicates kept: a repeated word counts twice).
  // Fails with kInvalidInput on invalid UTF-8 (the message names the field) or a span size that
  // does not match the config; *ids is then left as it was.
  core::Status Featurize(const RecordView& record, std::vector<uint64_t>* ids) const;

  // Same features as Featurize, in the same order, with their strings (slower; explain only).
  // Appends to *out; fails like Featurize.
  core::Status FeaturizeNamed(const RecordView& record, std::vector<NamedFeature>* out) const;

  const FeaturizerConfig& config() const { return config_; }

 private:
  explicit Featurizer(FeaturizerConfig config);

  // Calls sink->Add for every feature of the record, in the documented order (featurizer.cc).
  template <typename Sink>
  core::Status Walk(const RecordView& record, Sink* sink) const;

  FeaturizerConfig config_;
  Normalizer normalizer_;
  // FNV-1a states after each fixed feature-string prefix, so that Featurize hashes only the
  // variable part. word_prefix_hash_[field * word_ngrams + n - 1] covers "w<n>\x1f<field>\x1f".
  std::vector<uint64_t> word_prefix_hash_;
  std::vector<uint64_t> char_prefix_hash_;          // "c\x1f<field>\x1f", per text field
  std::vector<uint64_t> categorical_prefix_hash_;   // "k\x1f<field>\x1f", per categorical field
  std::vector<std::vector<uint64_t>> numeric_ids_;  // per numeric field: bins 0..n, then missing
};

// Learns at most `max_bins` quantile bins for one numeric field from its finite values (NaN and
// ±infinity are ignored). With the finite values sorted as x[0..m), the candidate edges are
// x[floor(k * m / max_bins)] for k = 1..max_bins-1; candidates equal to x[0] (which would leave
// bin 0 empty) are dropped and the rest deduplicated, so every bin holds at least one training
// value. Edges are strictly ascending, deterministic (sorted values, no randomness; -0.0 is
// stored as 0.0) and empty when all values are equal or missing, or max_bins <= 1.
NumericBins LearnNumericBins(std::string field, std::vector<double> values, int max_bins = 10);

}  // namespace statcoder::text
