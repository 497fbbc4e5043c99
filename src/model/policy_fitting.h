// FitPolicy: chooses a decision policy's thresholds for a target precision from scored,
// labelled records, in the order ApplyPolicy tries them: first the label level, then each
// coarser level on the records still referred at that point. Used by the trainer (on its
// held-out part) and by `statcoder policy` (on a labelled set, without retraining).
//
//   std::vector<DecisionEvidence> evidence = ...;   // ExtractEvidence per record
//   PolicyThresholds t = FitThresholds(compiled, codes, label_nodes, evidence, truths, 0.97, opts);
//
// Records that the policy's rules keep from auto-coding (sensitive codes, margin, no-auto codes)
// do not count towards a level's precision, exactly as they would not be auto-coded there.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "data/code_list.h"
#include "model/decision_policy.h"

namespace statcoder::model {

struct FitOptions {
  // A cut needs at least this many records auto-coded at that level to be chosen.
  size_t min_support = 10;
  // The precision required is a lower confidence bound (Wilson, this many standard errors; 0 =
  // the point estimate). Choosing the cut that covers most among many makes the point estimate
  // optimistic; one standard error (one-sided 84%) keeps the precision reached on new records
  // close to the target at a small cost in coverage.
  double z = 1.0;
  // When > 0, thresholds are certified by Learn-then-Test at this risk instead (calibration.h,
  // ChooseCertifiedThreshold): P(precision of all auto-coded records >= target) >= 1 - risk.
  // The risk is split between the levels (Bonferroni): half to the label level, the other half
  // evenly over the coarser levels, so that every level's precision holds together, and with it
  // the precision of their union.
  double risk = 0.0;
};

// `label_node[c]` is label c's code-list node (empty without a code list); `truths[r]` the true
// label index of record r (-1 = a code the model never saw: always a miss).
PolicyThresholds FitThresholds(const CompiledPolicy& rules, const data::CodeList* codes,
                               std::span<const int32_t> label_node,
                               std::span<const DecisionEvidence> evidence,
                               std::span<const int32_t> truths, double target_precision,
                               const FitOptions& options);

// Fits the thresholds of `policy` (its target_precision) and of every kStandardTargets entry;
// keeps its rules (margin, codes). `chosen_on` / `chosen_on_records` are set by the caller.
DecisionPolicy FitPolicy(const DecisionPolicy& policy, const std::vector<std::string>& labels,
                         const data::CodeList* codes, const std::vector<int32_t>& label_node,
                         std::span<const DecisionEvidence> evidence,
                         std::span<const int32_t> truths, const FitOptions& options);

}  // namespace statcoder::model
