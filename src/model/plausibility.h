// Plausibility rules: values inconsistent with a code (a percent above 100, an index far from
// 100, a domestic-currency level of a few units) make that code unlikely for the record. Each
// rule bounds a feature of the record's series (data/series_features.h: "values:max",
// "values:median", "values:log_magnitude"...) for one code of one classification:
//
//   dimension  code  feature      min   max   why
//   UNIT       PT    values:max         100   a percent above 100
//   UNIT       IX    values:median 20   500   an index far from 100
//
// (a TSV with that header; an empty bound is no bound). A joint model stores its rules and, when
// a record breaks one, the code's probability is multiplied by kImplausibleFactor before the
// joint decision, so a plausible code takes its place when the members are unsure; a decided
// key that still holds an implausible code is referred, with the rule's reason.
// Thread-safety: plain values.
#pragma once

#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "model/joint_model.h"

namespace statcoder::model {

inline constexpr double kImplausibleFactor = 0.01;

struct PlausibilityRule {
  std::string dimension, code, feature;
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  std::string why;
};

// Reads and checks a rules file against the joint model's label fields (errors name the file,
// line and column).
core::Result<std::vector<PlausibilityRule>> LoadPlausibilityRules(
    const std::string& path, const std::vector<std::string>& label_fields);

nlohmann::json PlausibilityRulesToJson(const std::vector<PlausibilityRule>& rules);
core::Result<std::vector<PlausibilityRule>> PlausibilityRulesFromJson(const nlohmann::json& j);

// The columns the rules read (each feature's source column), without repeats.
std::vector<std::string> PlausibilityColumns(const std::vector<PlausibilityRule>& rules);

struct PlausibilityCheck {
  std::vector<CodeWeight> weights;    // for JointPredictor::Predict
  std::vector<std::string> reasons;   // parallel: "UNIT=PT: values:max 250 above 100 (why)"
};

// The rules a record breaks. `cells[c]` is the record's cell of PlausibilityColumns(rules)[c].
// A rule whose code is not a label of its member is ignored; a malformed series is an error.
core::Result<PlausibilityCheck> CheckPlausibility(const std::vector<PlausibilityRule>& rules,
                                                  const JointModel& model,
                                                  const std::vector<std::string>& cells);

}  // namespace statcoder::model
