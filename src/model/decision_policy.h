// DecisionPolicy: when a record is auto-coded and when it is referred to a clerical coder.
// It is a versioned part of the model file. Thresholds are chosen on a held-out part of the
// training data for a target precision (calibration.h; or re-chosen on a labelled set by
// `statcoder policy`, without retraining) and applied by ApplyPolicy:
//  1. a record whose top label is at or under a `refer_codes` entry (sensitive codes) is
//     always referred;
//  2. the top label is auto-coded when its calibrated probability >= label_threshold, it leads
//     the runner-up by at least min_margin, and it is not at or under a `no_auto_codes` entry;
//  3. else, with a code list, the deepest level d above the label whose best rolled-up node
//     clears level_thresholds[d-1] (with the same margin and no-auto rules) is auto-coded at
//     that level (partial coding: "we are sure it is sector 44-45, not which retailer");
//  4. else the record is referred for review, with the top label as suggestion.
// A threshold above 1 means "never auto-code at this level".
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "data/code_list.h"

namespace statcoder::model {

inline constexpr double kNeverAuto = 2.0;

// Thresholds for one target precision.
struct PolicyThresholds {
  double label_threshold = kNeverAuto;
  std::vector<double> level_thresholds;  // index = depth - 1; empty without a code list

  nlohmann::json ToJson() const;
  static core::Result<PolicyThresholds> FromJson(const nlohmann::json& j);
};

// The targets every model carries thresholds for, so a quality report can show the
// auto-coding rate at each without choosing thresholds on the records it evaluates.
inline constexpr double kStandardTargets[] = {0.90, 0.95, 0.97, 0.99};
// "0.95": the key of a target in JSON (two decimals, as the report and the CLI print it; more
// only when the target has more, "0.975").
std::string TargetKey(double target_precision);

struct DecisionPolicy {
  // Incremented each time the thresholds are re-chosen without retraining.
  uint32_t version = 1;
  double target_precision = 0.95;
  double label_threshold = kNeverAuto;
  std::vector<double> level_thresholds;    // index = depth - 1; empty without a code list
  double min_margin = 0.0;                 // p(best) - p(runner-up) needed to auto-code; [0, 1)
  std::vector<std::string> refer_codes;    // sensitive: the record always goes to a coder
  std::vector<std::string> no_auto_codes;  // never assigned automatically (a parent may be)
  // Thresholds for kStandardTargets (and target_precision), keyed by TargetKey, chosen on the
  // same records as the main thresholds.
  std::map<std::string, PolicyThresholds> by_target;
  // Where the thresholds were chosen: "training_holdout" (training records scored out of sample:
  // by cross-fitting, or a seeded held-out part)
  // or "labelled_set" (statcoder policy); "none" when there were too few records.
  std::string chosen_on = "none";
  uint64_t chosen_on_records = 0;
  std::string chosen_on_sha256;  // the labelled set's file hash (labelled_set only)
  std::string previous_model;    // version id of the model this policy replaced, if any
  // How the thresholds were chosen. "learn_then_test": certified, for records exchangeable with
  // those they were chosen on, P(precision of the auto-coded records >= target) >= 1 - risk
  // (policy_fitting.h); "wilson" (statcoder <= 0.2): a Wilson lower bound at one standard error,
  // no stated guarantee.
  std::string method = "wilson";
  double risk = 0.05;  // delta of learn_then_test; (0, 0.5]

  PolicyThresholds thresholds() const { return {label_threshold, level_thresholds}; }
  // This policy with the thresholds for another target (kNotFound when it has none).
  core::Result<DecisionPolicy> ForTarget(double target_precision) const;

  // kInvalidArgument for a margin outside [0, 1), or codes not in `codes` (when given).
  core::Status Validate(const data::CodeList* codes) const;

  nlohmann::json ToJson() const;
  // Accepts policies written by statcoder 0.1 (without the keys added since).
  static core::Result<DecisionPolicy> FromJson(const nlohmann::json& j);
};

// What a policy decides on for one record: the top label with its calibrated probability and
// the runner-up's, and (with a code list, filled on demand) the best and runner-up node of
// every level by rolled-up probability.
struct LevelCandidate {
  int32_t node = -1;  // best node at this depth, -1 when the level has none
  double probability = 0;
  double runner_up = 0;  // rolled-up probability of the second-best node at this depth
};

struct DecisionEvidence {
  int32_t top_label = -1;
  double top_probability = 0;
  double runner_up_probability = 0;
  std::vector<LevelCandidate> levels;  // index = depth - 1
};

struct PolicyOutcome {
  bool auto_coded = false;
  int32_t node = -1;  // decided code-list node for partial coding, else -1 (the top label)
  int depth = 0;      // depth of the decided code (0: the top label's own depth)
  double confidence = 0;
  // Why a record was referred: "", "below_threshold", "margin", "refer_code", "no_auto_code".
  std::string_view reason;
};

// The policy's code lists resolved against the label dictionary and the code list once, so a
// decision costs a table lookup.
class CompiledPolicy {
 public:
  // `label_nodes[c]` is label c's code-list node (or -1 / empty without a code list).
  CompiledPolicy(const DecisionPolicy& policy, const std::vector<std::string>& labels,
                 const std::vector<int32_t>& label_nodes, const data::CodeList* codes);

  const DecisionPolicy& policy() const { return policy_; }
  bool refer_label(int32_t label) const { return refer_label_[static_cast<size_t>(label)]; }
  bool no_auto_label(int32_t label) const { return no_auto_label_[static_cast<size_t>(label)]; }
  bool no_auto_node(int32_t node) const {
    return !no_auto_node_.empty() && no_auto_node_[static_cast<size_t>(node)];
  }

 private:
  DecisionPolicy policy_;
  std::vector<uint8_t> refer_label_, no_auto_label_, no_auto_node_;
};

// Applies the policy (rules 1-4 above). `label_depth` is the top label's depth (1 without a
// code list); `levels` is called at most once, only when partial coding is tried, and returns
// the evidence's level candidates (size >= label_depth - 1).
template <typename LevelsFn>
PolicyOutcome ApplyPolicy(const CompiledPolicy& compiled, const DecisionEvidence& e,
                          int label_depth, LevelsFn&& levels) {
  const DecisionPolicy& p = compiled.policy();
  PolicyOutcome out;
  out.confidence = e.top_probability;
  if (compiled.refer_label(e.top_label)) {
    out.reason = "refer_code";
    return out;
  }
  const bool margin_ok = e.top_probability - e.runner_up_probability >= p.min_margin;
  if (e.top_probability >= p.label_threshold) {
    if (!margin_ok) {
      out.reason = "margin";
    } else if (compiled.no_auto_label(e.top_label)) {
      out.reason = "no_auto_code";
    } else {
      out.auto_coded = true;
      return out;
    }
  } else {
    out.reason = "below_threshold";
  }
  bool any_level = false;
  for (int depth = label_depth - 1; depth >= 1; --depth) {
    const auto d = static_cast<size_t>(depth - 1);
    if (d < p.level_thresholds.size() && p.level_thresholds[d] <= 1.0) any_level = true;
  }
  if (!any_level) return out;
  const std::vector<LevelCandidate>& lv = levels();
  for (int depth = label_depth - 1; depth >= 1; --depth) {
    const auto d = static_cast<size_t>(depth - 1);
    if (d >= p.level_thresholds.size() || d >= lv.size()) continue;
    const LevelCandidate& c = lv[d];
    if (c.node < 0 || p.level_thresholds[d] > 1.0 || c.probability < p.level_thresholds[d]) {
      continue;
    }
    if (c.probability - c.runner_up < p.min_margin || compiled.no_auto_node(c.node)) continue;
    out.auto_coded = true;
    out.node = c.node;
    out.depth = depth;
    out.confidence = c.probability;
    out.reason = "";
    return out;
  }
  return out;
}

}  // namespace statcoder::model
