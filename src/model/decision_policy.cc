#include "model/decision_policy.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <unordered_set>

namespace statcoder::model {

std::string TargetKey(double target_precision) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", target_precision);
  // Targets with more digits (0.975) keep them, so two targets never share a key.
  if (std::fabs(std::strtod(buf, nullptr) - target_precision) > 1e-9) {
    std::snprintf(buf, sizeof buf, "%.6g", target_precision);
  }
  return buf;
}

nlohmann::json PolicyThresholds::ToJson() const {
  return {{"label_threshold", label_threshold}, {"level_thresholds", level_thresholds}};
}

core::Result<PolicyThresholds> PolicyThresholds::FromJson(const nlohmann::json& j) {
  try {
    PolicyThresholds t;
    t.label_threshold = j.at("label_threshold").get<double>();
    t.level_thresholds = j.at("level_thresholds").get<std::vector<double>>();
    return t;
  } catch (const nlohmann::json::exception& e) {
    return core::DataLoss(std::string("decision policy thresholds: ") + e.what());
  }
}

core::Result<DecisionPolicy> DecisionPolicy::ForTarget(double target) const {
  const auto it = by_target.find(TargetKey(target));
  if (it == by_target.end()) {
    return core::NotFound("the model's policy has no thresholds for precision " +
                          TargetKey(target) + "; re-choose them with 'statcoder policy'");
  }
  DecisionPolicy p = *this;
  p.target_precision = target;
  p.label_threshold = it->second.label_threshold;
  p.level_thresholds = it->second.level_thresholds;
  return p;
}

core::Status DecisionPolicy::Validate(const data::CodeList* codes) const {
  if (!(min_margin >= 0.0 && min_margin < 1.0)) {
    return core::InvalidArgument("--min-margin must be in [0, 1), got " +
                                 std::to_string(min_margin));
  }
  if (!(target_precision > 0.0 && target_precision <= 1.0)) {
    return core::InvalidArgument("--target-precision must be in (0, 1], got " +
                                 std::to_string(target_precision));
  }
  if (codes == nullptr) return core::Status::Ok();
  for (const auto* list : {&refer_codes, &no_auto_codes}) {
    for (const std::string& code : *list) {
      if (codes->Find(code) < 0) {
        return core::NotFound("policy code '" + code + "' is not in the model's code list" +
                              (codes->source().empty() ? "" : " '" + codes->source() + "'"));
      }
    }
  }
  return core::Status::Ok();
}

nlohmann::json DecisionPolicy::ToJson() const {
  nlohmann::json targets = nlohmann::json::object();
  for (const auto& [key, t] : by_target) targets[key] = t.ToJson();
  return {{"version", version},
          {"target_precision", target_precision},
          {"label_threshold", label_threshold},
          {"level_thresholds", level_thresholds},
          {"min_margin", min_margin},
          {"refer_codes", refer_codes},
          {"no_auto_codes", no_auto_codes},
          {"by_target", targets},
          {"chosen_on", chosen_on},
          {"chosen_on_records", chosen_on_records},
          {"chosen_on_sha256", chosen_on_sha256},
          {"previous_model", previous_model},
          {"method", method},
          {"risk", risk}};
}

core::Result<DecisionPolicy> DecisionPolicy::FromJson(const nlohmann::json& j) {
  try {
    DecisionPolicy p;
    p.target_precision = j.at("target_precision").get<double>();
    p.label_threshold = j.at("label_threshold").get<double>();
    p.level_thresholds = j.at("level_thresholds").get<std::vector<double>>();
    p.chosen_on = j.at("chosen_on").get<std::string>();
    p.chosen_on_records = j.at("chosen_on_records").get<uint64_t>();
    p.version = j.value("version", 1u);
    p.min_margin = j.value("min_margin", 0.0);
    p.refer_codes = j.value("refer_codes", std::vector<std::string>{});
    p.no_auto_codes = j.value("no_auto_codes", std::vector<std::string>{});
    p.chosen_on_sha256 = j.value("chosen_on_sha256", std::string());
    p.previous_model = j.value("previous_model", std::string());
    p.method = j.value("method", std::string("wilson"));  // absent before statcoder 0.3
    p.risk = j.value("risk", 0.05);
    if (j.contains("by_target")) {
      for (const auto& [key, t] : j.at("by_target").items()) {
        ASSIGN_OR_RETURN(p.by_target[key], PolicyThresholds::FromJson(t));
      }
    }
    return p;
  } catch (const nlohmann::json::exception& e) {
    return core::DataLoss(std::string("decision policy: ") + e.what());
  }
}

CompiledPolicy::CompiledPolicy(const DecisionPolicy& policy, const std::vector<std::string>& labels,
                               const std::vector<int32_t>& label_nodes, const data::CodeList* codes)
    : policy_(policy), refer_label_(labels.size(), 0), no_auto_label_(labels.size(), 0) {
  if (policy.refer_codes.empty() && policy.no_auto_codes.empty()) return;
  const std::unordered_set<std::string> refer(policy.refer_codes.begin(), policy.refer_codes.end());
  const std::unordered_set<std::string> no_auto(policy.no_auto_codes.begin(),
                                                policy.no_auto_codes.end());
  if (codes != nullptr && !label_nodes.empty()) {
    // A listed code covers itself and everything under it.
    no_auto_node_.assign(codes->size(), 0);
    std::vector<uint8_t> refer_node(codes->size(), 0);
    // Parents before children: bottom_up() reversed.
    for (auto it = codes->bottom_up().rbegin(); it != codes->bottom_up().rend(); ++it) {
      const int32_t n = *it;
      const data::CodeNode& node = codes->node(n);
      const auto i = static_cast<size_t>(n);
      const auto parent = static_cast<size_t>(node.parent);
      refer_node[i] = refer.count(node.code) || (node.parent >= 0 && refer_node[parent]);
      no_auto_node_[i] = no_auto.count(node.code) || (node.parent >= 0 && no_auto_node_[parent]);
    }
    for (size_t c = 0; c < labels.size(); ++c) {
      const auto n = static_cast<size_t>(label_nodes[c]);
      refer_label_[c] = refer_node[n];
      no_auto_label_[c] = no_auto_node_[n];
    }
    return;
  }
  for (size_t c = 0; c < labels.size(); ++c) {
    refer_label_[c] = refer.count(labels[c]) > 0;
    no_auto_label_[c] = no_auto.count(labels[c]) > 0;
  }
}

}  // namespace statcoder::model
