// Promotion gates: what a model's quality report (report_v1.md) must show before it may become
// the production model, as set in statcoder.toml [gates]. Pure functions of the report, so the
// CLI, the server and tests judge alike.
//
//   GateVerdict v = CheckQualityGates(config.gates, report);
//   if (!v.passed) ... v.checks lists each gate with the required and actual values
//
// Thread-safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "workspace/config.h"

namespace statcoder::registry {

struct GateCheck {
  std::string name;      // min_accuracy, min_auto_rate, max_ece, subgroups, ethics
  nlohmann::json required;
  nlohmann::json actual;  // null when the report lacks the figure (then the check fails)
  bool passed = false;
  std::string detail;    // one line for people
};

struct GateVerdict {
  bool passed = true;
  std::vector<GateCheck> checks;
  nlohmann::json ToJson() const;
};

// The report-based gates; unset ones in `gates` are not checked.
GateVerdict CheckQualityGates(const workspace::GateConfig& gates, const nlohmann::json& report);

}  // namespace statcoder::registry
