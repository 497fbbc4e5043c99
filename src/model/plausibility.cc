#include "model/plausibility.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "data/dataset.h"
#include "data/record_reader.h"
#include "data/series_features.h"

namespace statcoder::model {
namespace {

std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

core::Result<std::vector<PlausibilityRule>> LoadPlausibilityRules(
    const std::string& path, const std::vector<std::string>& label_fields) {
  ASSIGN_OR_RETURN(std::unique_ptr<data::RecordReader> reader, data::RecordReader::Open(path, {}));
  std::vector<size_t> cols;
  for (const char* name : {"dimension", "code", "feature", "min", "max", "why"}) {
    const core::Result<size_t> c = reader->ColumnIndex(name);
    if (!c.ok()) {
      return core::InvalidInput("plausibility rules '" + path + "' need the columns dimension, "
                                "code, feature, min, max, why; '" + name + "' is missing");
    }
    cols.push_back(*c);
  }
  std::vector<PlausibilityRule> rules;
  data::RawRecord rec;
  for (;;) {
    ASSIGN_OR_RETURN(bool more, reader->Next(&rec));
    if (!more) break;
    const std::string at = path + ":" + std::to_string(rec.line);
    if (!rec.error.ok()) return rec.error.WithContext(at);
    PlausibilityRule r;
    r.dimension = rec.fields[cols[0]];
    r.code = rec.fields[cols[1]];
    r.feature = rec.fields[cols[2]];
    r.why = rec.fields[cols[5]];
    if (std::find(label_fields.begin(), label_fields.end(), r.dimension) == label_fields.end()) {
      return core::InvalidInput(at + ": column 'dimension': '" + r.dimension +
                                "' is not a classification the model codes");
    }
    if (r.code.empty()) return core::InvalidInput(at + ": column 'code' is empty");
    if (data::NumericSourceColumn(r.feature) == r.feature) {
      return core::InvalidInput(at + ": column 'feature': '" + r.feature +
                                "' is not COLUMN:FEATURE (e.g. values:max)");
    }
    if (core::Status s = data::CheckNumericFieldName(r.feature); !s.ok()) {
      return s.WithContext(at + ": column 'feature'");
    }
    for (const auto& [col, bound, name] :
         {std::tuple{cols[3], &r.min, "min"}, std::tuple{cols[4], &r.max, "max"}}) {
      const std::string& text = rec.fields[col];
      if (text.empty()) continue;
      std::string why;
      if (!data::ParseNumericField(text, bound, &why)) {
        return core::InvalidInput(at + ": column '" + std::string(name) + "': " + why);
      }
    }
    if (!(r.min <= r.max)) return core::InvalidInput(at + ": min is above max");
    rules.push_back(std::move(r));
  }
  if (rules.empty()) return core::InvalidInput("plausibility rules '" + path + "' hold no rule");
  return rules;
}

nlohmann::json PlausibilityRulesToJson(const std::vector<PlausibilityRule>& rules) {
  nlohmann::json out = nlohmann::json::array();
  for (const PlausibilityRule& r : rules) {
    nlohmann::json j = {{"dimension", r.dimension}, {"code", r.code}, {"feature", r.feature},
                        {"why", r.why}};
    j["min"] = std::isfinite(r.min) ? nlohmann::json(r.min) : nlohmann::json(nullptr);
    j["max"] = std::isfinite(r.max) ? nlohmann::json(r.max) : nlohmann::json(nullptr);
    out.push_back(std::move(j));
  }
  return out;
}

core::Result<std::vector<PlausibilityRule>> PlausibilityRulesFromJson(const nlohmann::json& j) {
  std::vector<PlausibilityRule> rules;
  try {
    for (const auto& r : j) {
      PlausibilityRule rule;
      rule.dimension = r.at("dimension").get<std::string>();
      rule.code = r.at("code").get<std::string>();
      rule.feature = r.at("feature").get<std::string>();
      rule.why = r.at("why").get<std::string>();
      if (!r.at("min").is_null()) rule.min = r.at("min").get<double>();
      if (!r.at("max").is_null()) rule.max = r.at("max").get<double>();
      RETURN_IF_ERROR(data::CheckNumericFieldName(rule.feature));
      rules.push_back(std::move(rule));
    }
  } catch (const nlohmann::json::exception& e) {
    return core::DataLoss(std::string("the model's plausibility rules are damaged: ") + e.what());
  }
  return rules;
}

std::vector<std::string> PlausibilityColumns(const std::vector<PlausibilityRule>& rules) {
  std::vector<std::string> out;
  for (const PlausibilityRule& r : rules) {
    const std::string c = data::NumericSourceColumn(r.feature);
    if (std::find(out.begin(), out.end(), c) == out.end()) out.push_back(c);
  }
  return out;
}

core::Result<PlausibilityCheck> CheckPlausibility(const std::vector<PlausibilityRule>& rules,
                                                  const JointModel& model,
                                                  const std::vector<std::string>& cells) {
  const std::vector<std::string> columns = PlausibilityColumns(rules);
  PlausibilityCheck out;
  for (const PlausibilityRule& r : rules) {
    const auto& fields = model.label_fields();
    const size_t member =
        static_cast<size_t>(std::find(fields.begin(), fields.end(), r.dimension) - fields.begin());
    if (member >= fields.size()) continue;
    const int32_t label = model.member(member)->FindLabel(r.code);
    if (label < 0) continue;
    const size_t c = static_cast<size_t>(
        std::find(columns.begin(), columns.end(), data::NumericSourceColumn(r.feature)) -
        columns.begin());
    if (c >= cells.size()) continue;
    double v = 0;
    std::string why;
    if (!data::ParseNumericInput(r.feature, cells[c], &v, &why)) {
      return core::InvalidInput("column '" + columns[c] + "': " + why);
    }
    if (std::isnan(v) || (v >= r.min && v <= r.max)) continue;
    out.weights.push_back({member, label, kImplausibleFactor});
    out.reasons.push_back(r.dimension + "=" + r.code + ": " + r.feature + " " + Number(v) +
                          (v < r.min ? " below " + Number(r.min) : " above " + Number(r.max)) +
                          (r.why.empty() ? "" : " (" + r.why + ")"));
  }
  return out;
}

}  // namespace statcoder::model
