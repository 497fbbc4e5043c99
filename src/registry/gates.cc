#include "registry/gates.h"

#include <cstdio>

namespace statcoder::registry {
namespace {

// The number at `path` in the report, or null when absent or not a number.
nlohmann::json NumberAt(const nlohmann::json& report, const std::string& pointer) {
  const nlohmann::json::json_pointer p(pointer);
  if (!report.contains(p)) return nullptr;
  const nlohmann::json& v = report.at(p);
  return v.is_number() ? v : nlohmann::json(nullptr);
}

std::string Fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", v);
  return buf;
}

void Add(GateVerdict* verdict, GateCheck check) {
  verdict->passed = verdict->passed && check.passed;
  verdict->checks.push_back(std::move(check));
}

GateCheck Bound(const std::string& name, const std::string& what, double required,
                const nlohmann::json& actual, bool at_least) {
  GateCheck c{name, required, actual, false, ""};
  if (actual.is_null()) {
    c.detail = what + " is not in the quality report";
    return c;
  }
  const double a = actual.get<double>();
  c.passed = at_least ? a >= required : a <= required;
  c.detail = what + " " + Fmt(a) + (at_least ? " (at least " : " (at most ") + Fmt(required) + ")";
  return c;
}

}  // namespace

nlohmann::json GateVerdict::ToJson() const {
  nlohmann::json checks_json = nlohmann::json::array();
  for (const GateCheck& c : checks) {
    checks_json.push_back({{"gate", c.name},
                           {"required", c.required},
                           {"actual", c.actual},
                           {"passed", c.passed},
                           {"detail", c.detail}});
  }
  return {{"passed", passed}, {"checks", checks_json}};
}

GateVerdict CheckQualityGates(const workspace::GateConfig& gates, const nlohmann::json& report) {
  GateVerdict verdict;
  if (gates.min_accuracy) {
    Add(&verdict, Bound("min_accuracy", "top-1 accuracy", *gates.min_accuracy,
                        NumberAt(report, "/accuracy/top1/value"), true));
  }
  if (gates.min_auto_rate) {
    char key[8];
    std::snprintf(key, sizeof key, "%.2f", gates.target_precision);
    Add(&verdict,
        Bound("min_auto_rate", std::string("auto-coding rate at precision ") + key,
              *gates.min_auto_rate,
              NumberAt(report, std::string("/coding/auto_rate_at_precision/") + key + "/auto_rate"),
              true));
  }
  if (gates.max_ece) {
    Add(&verdict, Bound("max_ece", "expected calibration error", *gates.max_ece,
                        NumberAt(report, "/calibration/ece/equal_width/after"), false));
  }
  if (!gates.allow_flagged_subgroups) {
    GateCheck c{"subgroups", "no flagged subgroup", nullptr, true, ""};
    const nlohmann::json& sg = report.value("subgroups", nlohmann::json());
    if (sg.is_object() && sg.contains("flagged_groups")) {
      c.actual = sg["flagged_groups"];
      c.passed = sg["flagged_groups"].empty();
      c.detail = c.passed ? "no subgroup of '" + sg.value("field", "") + "' flagged"
                          : "flagged subgroups of '" + sg.value("field", "") +
                                "': " + sg["flagged_groups"].dump();
    } else {
      c.actual = "not measured";
      c.detail = "no group column in [schema]; subgroup quality not measured";
    }
    Add(&verdict, std::move(c));
  }
  return verdict;
}

}  // namespace statcoder::registry
