#include "model/decision_policy.h"

namespace statcoder::model {

nlohmann::json DecisionPolicy::ToJson() const {
  return {{"target_precision", target_precision},
          {"label_threshold", label_threshold},
          {"level_thresholds", level_thresholds},
          {"chosen_on", chosen_on},
          {"chosen_on_records", chosen_on_records}};
}

core::Result<DecisionPolicy> DecisionPolicy::FromJson(const nlohmann::json& j) {
  try {
    DecisionPolicy p;
    p.target_precision = j.at("target_precision").get<double>();
    p.label_threshold = j.at("label_threshold").get<double>();
    p.level_thresholds = j.at("level_thresholds").get<std::vector<double>>();
    p.chosen_on = j.at("chosen_on").get<std::string>();
    p.chosen_on_records = j.at("chosen_on_records").get<uint64_t>();
    return p;
  } catch (const nlohmann::json::exception& e) {
    return core::DataLoss(std::string("decision policy: ") + e.what());
  }
}

}  // namespace statcoder::model
