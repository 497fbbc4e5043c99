// BatchStats: what the monitor keeps about one coded batch — counts and sums only, never record
// texts or other microdata — so that drift tests (drift.h) and the label-free accuracy estimate
// (estimates.h) can be computed later from the stored summary alone.
//
//   BatchStatsBuilder builder;
//   RecordObservation obs;
//   for (each coded record) {
//     ObservePrediction(*model, prediction, &obs);   // codes, probabilities, decision, features
//     obs.text_length = chars_of_text_fields;
//     obs.categorical = {{"region", "north"}};
//     builder.Add(obs);
//   }
//   BatchStats stats = std::move(builder).Finish();
//   nlohmann::json j = stats.ToJson();                 // store it
//   ASSIGN_OR_RETURN(BatchStats again, BatchStats::FromJson(j));
//
// JSON schema (docs/monitoring.md; keys sorted, all counts are integers):
//   {"format": "statcoder.batch_stats", "version": 1,
//    "records": n,
//    "codes_by_level": [{"<code>": count, ...}, ...],     // index depth-1
//    "confidence_hist": [20 counts],                      // top-1 probability, bin i =
//    [i/20,(i+1)/20) "sum_top1": Σp, "sum_top1_var": Σp(1-p), "decisions": {"auto": n, "kb": n,
//    "review": n}, "sum_auto_confidence": Σc, "sum_auto_confidence_var": Σc(1-c),   // over
//    auto-coded records "features": {"sum_features": n, "sum_unseen": n, "sum_unseen_fraction": x,
//                 "sum_unseen_fraction_sq": x, "no_known_feature": n},
//    "text_length_hist": [kTextLengthBins counts],        // edges kTextLengthEdges
//    "categorical": {"<field>": {"<value>": count, ...}, ...},
//    "confidence_by_code": [{"<code>": [20 counts], ...}, ...]}  // levels 1..2; optional (absent
//                                                                // in summaries written before it)
// Readers refuse a newer version (kUnsupportedVersion) and malformed content (kInvalidInput).
//
// Thread-safety: BatchStats is a value; BatchStatsBuilder is not thread-safe (use one per thread
// and Merge the results).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "core/status.h"
#include "model/predictor.h"

namespace statcoder::monitor {

inline constexpr int kBatchStatsVersion = 1;

// Confidence histogram: 20 equal bins over [0, 1]; a probability of exactly 1 goes in the last.
inline constexpr int kConfidenceBins = 20;

// Text length (characters of the text fields together): bin i holds lengths in
// [kTextLengthEdges[i], kTextLengthEdges[i+1]); the last bin is open-ended. Roughly doubling
// widths, because coding texts run from a word to a paragraph.
inline constexpr std::array<int64_t, 12> kTextLengthEdges = {0,  1,   4,   8,   16,   32,
                                                             64, 128, 256, 512, 1024, 2048};
inline constexpr int kTextLengthBins = static_cast<int>(kTextLengthEdges.size());

// A categorical field keeps at most this many distinct values, "(other)" included: the most
// frequent (ties by value) keep their own count, the rest are summed under kOtherValue.
inline constexpr size_t kMaxCategoricalValues = 200;
inline constexpr std::string_view kOtherValue = "(other)";

// The confidence histogram is also kept per predicted code at the top kConfidenceByCodeLevels
// levels, for the drift test that scans for a code with an excess of low-confidence records
// (drift.h, "low_confidence_by_code"): a shift that lands in a few codes shows there before it
// moves the marginal distributions. Deeper levels would multiply the stored size for little.
inline constexpr int kConfidenceByCodeLevels = 2;

// value → count, with heterogeneous lookup (string_view keys find without allocating).
using CountMap = std::map<std::string, int64_t, std::less<>>;
using ConfidenceHist = std::array<int64_t, kConfidenceBins>;
// code → its records' confidence histogram.
using ConfidenceByCode = std::map<std::string, ConfidenceHist, std::less<>>;

// One coded record, as the monitor sees it. Views must stay valid until Add returns.
struct RecordObservation {
  // The top-1 label's code and its ancestors, index depth-1 (code_path[0] = level-1 ancestor,
  // back() = the label itself). A flat code list (or none) has one level: {label}.
  std::vector<std::string_view> code_path;
  double top1_probability = 0;  // calibrated probability of the top-1 label, in [0, 1]
  model::Decision decision = model::Decision::kReview;
  double decided_confidence = 0;  // Prediction::confidence (of the decided code), in [0, 1]
  uint32_t num_features = 0;      // features produced by the featurizer
  uint32_t known_features = 0;    // of which were seen in training (<= num_features)
  int64_t text_length = 0;        // characters of the text fields together
  std::vector<std::pair<std::string_view, std::string_view>> categorical;  // (field, value)
};

// Fills every field of `obs` that a Prediction determines (code_path from the model's labels and
// code list, probabilities, decision, features); leaves text_length and categorical as they are.
// The views in code_path point into `model`. A prediction without a top label gets an empty path.
void ObservePrediction(const model::Model& model, const model::Prediction& prediction,
                       RecordObservation* obs);

struct BatchStats {
  int64_t records = 0;
  // Predicted (top-1) code distribution at every level: index depth-1, the top-1 label's ancestor
  // at that depth. Records whose path is shorter than a level are not counted at that level.
  std::vector<CountMap> codes_by_level;
  std::array<int64_t, kConfidenceBins> confidence_hist{};
  double sum_top1 = 0;      // Σ top-1 probability
  double sum_top1_var = 0;  // Σ p(1-p): the Poisson-binomial variance of the number correct
  int64_t auto_records = 0, kb_records = 0, review_records = 0;
  double sum_auto_confidence = 0;      // Σ decided confidence over auto-coded records
  double sum_auto_confidence_var = 0;  // Σ c(1-c) over auto-coded records
  int64_t sum_features = 0;            // Σ num_features
  int64_t sum_unseen_features = 0;     // Σ (num_features - known_features)
  // Σ per-record unseen/num_features, and Σ of its square (for a test on the per-record mean),
  // over the records with at least one known feature: those without are counted apart, and
  // would otherwise make the fraction's distribution very skewed.
  double sum_unseen_fraction = 0;
  double sum_unseen_fraction_sq = 0;
  int64_t no_known_feature_records = 0;  // records with known_features == 0 (or no features)
  std::array<int64_t, kTextLengthBins> text_length_hist{};
  std::map<std::string, CountMap, std::less<>> categorical;  // field → value → count
  // confidence_hist per predicted code at depths 1..kConfidenceByCodeLevels (index depth-1): the
  // counts of a code sum to its count in codes_by_level. Empty in summaries written before it.
  std::vector<ConfidenceByCode> confidence_by_code;

  // Derived shares; 0 for an empty batch.
  double MeanTop1() const;
  double AutoShare() const;
  double UnseenFeatureShare() const;  // Σ unseen / Σ features (pooled over features)
  double MeanUnseenFraction() const;  // mean per-record fraction, records with a known feature
  double NoKnownFeatureShare() const;

  // Adds `other` to this (counts and sums add; categorical caps re-applied). Levels beyond this
  // batch's depth are appended.
  void Merge(const BatchStats& other);

  nlohmann::json ToJson() const;
  // Errors: kInvalidInput (wrong type, missing key, negative count, inconsistent totals, wrong
  // histogram size), kUnsupportedVersion (newer version).
  static core::Result<BatchStats> FromJson(const nlohmann::json& j);

  bool operator==(const BatchStats&) const = default;
};

// Accumulates observations. Categorical values are counted exactly (up to 16 × the cap per field,
// after which new values go straight to "(other)") and capped in Finish.
class BatchStatsBuilder {
 public:
  // REQUIRES: probabilities in [0, 1] (clamped otherwise), known_features <= num_features.
  void Add(const RecordObservation& obs);
  int64_t records() const { return stats_.records; }
  BatchStats Finish() &&;

 private:
  BatchStats stats_;
};

// The bin of a top-1 probability in confidence_hist, and of a text length in text_length_hist.
int ConfidenceBin(double probability);
int TextLengthBin(int64_t length);

}  // namespace statcoder::monitor
