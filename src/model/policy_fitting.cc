#include "model/policy_fitting.h"

#include <algorithm>

#include "model/calibration.h"

namespace statcoder::model {

PolicyThresholds FitThresholds(const CompiledPolicy& rules, const data::CodeList* codes,
                               std::span<const int32_t> label_node,
                               std::span<const DecisionEvidence> evidence,
                               std::span<const int32_t> truths, double target,
                               const FitOptions& options) {
  const double margin = rules.policy().min_margin;
  const size_t n = evidence.size();
  PolicyThresholds t;
  std::vector<uint8_t> decided(n, 0), blocked(n, 0);
  std::vector<double> conf;
  std::vector<uint8_t> correct;
  std::vector<size_t> members;
  // Label level: only records the rules would let through can be auto-coded here.
  for (size_t r = 0; r < n; ++r) {
    const DecisionEvidence& e = evidence[r];
    blocked[r] = rules.refer_label(e.top_label);
    if (blocked[r] || rules.no_auto_label(e.top_label) ||
        e.top_probability - e.runner_up_probability < margin) {
      continue;
    }
    conf.push_back(e.top_probability);
    correct.push_back(e.top_label == truths[r]);
    members.push_back(r);
  }
  const bool certified = options.risk > 0;
  const int coarser_levels =
      codes != nullptr && !label_node.empty() ? std::max(codes->max_depth() - 1, 0) : 0;
  const double label_risk = coarser_levels > 0 ? options.risk / 2 : options.risk;
  const double level_risk = coarser_levels > 0 ? options.risk / 2 / coarser_levels : 0;
  auto choose = [&](double risk) {
    return certified ? ChooseCertifiedThreshold(conf, correct, target, risk, options.min_support)
                     : ChooseThreshold(conf, correct, target, options.min_support, options.z);
  };
  t.label_threshold = choose(label_risk);
  for (size_t k = 0; k < members.size(); ++k) {
    if (conf[k] >= t.label_threshold) decided[members[k]] = 1;
  }
  if (codes == nullptr || label_node.empty()) return t;

  t.level_thresholds.assign(static_cast<size_t>(codes->max_depth()), kNeverAuto);
  for (int depth = codes->max_depth() - 1; depth >= 1; --depth) {
    const auto d = static_cast<size_t>(depth - 1);
    conf.clear();
    correct.clear();
    members.clear();
    for (size_t r = 0; r < n; ++r) {
      const DecisionEvidence& e = evidence[r];
      if (decided[r] || blocked[r] || d >= e.levels.size()) continue;
      const int32_t top_node = label_node[static_cast<size_t>(e.top_label)];
      if (codes->node(top_node).depth <= depth) continue;
      const LevelCandidate& c = e.levels[d];
      if (c.node < 0 || c.probability - c.runner_up < margin || rules.no_auto_node(c.node)) {
        continue;
      }
      const int32_t truth =
          truths[r] < 0 ? -1
                        : codes->AncestorAtDepth(label_node[static_cast<size_t>(truths[r])], depth);
      conf.push_back(c.probability);
      correct.push_back(c.node == truth);
      members.push_back(r);
    }
    const double cut = choose(level_risk);
    t.level_thresholds[d] = cut;
    for (size_t k = 0; k < members.size(); ++k) {
      if (conf[k] >= cut) decided[members[k]] = 1;
    }
  }
  return t;
}

DecisionPolicy FitPolicy(const DecisionPolicy& policy, const std::vector<std::string>& labels,
                         const data::CodeList* codes, const std::vector<int32_t>& label_node,
                         std::span<const DecisionEvidence> evidence,
                         std::span<const int32_t> truths, const FitOptions& options) {
  DecisionPolicy out = policy;
  const CompiledPolicy rules(policy, labels, label_node, codes);
  out.by_target.clear();
  std::vector<double> targets(std::begin(kStandardTargets), std::end(kStandardTargets));
  targets.push_back(policy.target_precision);
  for (const double target : targets) {
    const std::string key = TargetKey(target);
    if (out.by_target.count(key)) continue;
    out.by_target[key] = FitThresholds(rules, codes, label_node, evidence, truths, target, options);
  }
  const PolicyThresholds& main = out.by_target.at(TargetKey(policy.target_precision));
  out.label_threshold = main.label_threshold;
  out.level_thresholds = main.level_thresholds;
  return out;
}

}  // namespace statcoder::model
