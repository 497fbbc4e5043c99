// Reference: the statistics of the production model on its own held-out records — the same
// BatchStats every coded batch gets — plus what only labels can tell: the measured held-out
// accuracy of the top-1 code and the precision of the auto-coded decisions, with their n. Drift
// tests compare each batch with it (drift.h); the label-free estimator uses the measured
// accuracy to bound the model's calibration error (estimates.h).
//
//   ReferenceBuilder builder;
//   for (each held-out record) {
//     ObservePrediction(*model, prediction, &obs);
//     builder.Add(obs, /*top1_correct=*/model->label(p.top[0].label) == truth,
//                 /*decided_correct=*/IsSameOrAncestor(p.code, truth));
//   }
//   Reference ref = std::move(builder).Finish();
//   nlohmann::json j = ref.ToJson();
//
// JSON schema: {"format": "statcoder.monitor_reference", "version": 1, "stats": <BatchStats>,
//   "heldout_n": n, "heldout_correct": n, "auto_n": n, "auto_correct": n,
//   "trained_codes": ["<code>", ...], "heldout_untrained": n}   // last two optional (absent in
//                                                               // references written before)
// Thread-safety: Reference is a value; ReferenceBuilder is not thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/result.h"
#include "monitor/batch_stats.h"

namespace statcoder::monitor {

inline constexpr int kReferenceVersion = 1;

struct Reference {
  BatchStats stats;             // of the held-out records, as coded by the model
  int64_t heldout_n = 0;        // labelled held-out records (normally stats.records)
  int64_t heldout_correct = 0;  // of which the top-1 code was right
  int64_t auto_n = 0;           // held-out records the policy auto-coded (stats.auto_records)
  int64_t auto_correct = 0;     // of which the decided code was right
  // The codes the model learned from training records (code-list titles alone do not count),
  // sorted and unique: a reviewed record whose code is outside them and their ancestors is a
  // code new to the model (new_codes.h). Empty: not recorded (a reference written before).
  std::vector<std::string> trained_codes;
  int64_t heldout_untrained = 0;  // held-out records whose true code is not a trained code

  double HeldoutAccuracy() const;  // heldout_correct / heldout_n; 0 when n == 0
  double AutoPrecision() const;    // auto_correct / auto_n; 0 when n == 0

  nlohmann::json ToJson() const;
  // Errors: kInvalidInput (malformed, correct > n), kUnsupportedVersion.
  static core::Result<Reference> FromJson(const nlohmann::json& j);

  bool operator==(const Reference&) const = default;
};

class ReferenceBuilder {
 public:
  // `decided_correct` counts only when obs.decision is auto.
  void Add(const RecordObservation& obs, bool top1_correct, bool decided_correct);
  Reference Finish() &&;

 private:
  BatchStatsBuilder stats_;
  Reference ref_;
};

}  // namespace statcoder::monitor
