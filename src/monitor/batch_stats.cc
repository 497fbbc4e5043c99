#include "monitor/batch_stats.h"

#include <algorithm>
#include <cmath>

#include "model/model.h"
#include "monitor/json_util.h"

namespace statcoder::monitor {
namespace {

constexpr std::string_view kFormat = "statcoder.batch_stats";
// While building, a field counts up to this many distinct values exactly.
constexpr size_t kBuildValueLimit = 16 * kMaxCategoricalValues;

double Clamp01(double p) {
  if (!(p >= 0)) return 0;  // also NaN
  return p > 1 ? 1 : p;
}

double Ratio(double num, double den) { return den > 0 ? num / den : 0; }

// Keeps the kMaxCategoricalValues - 1 most frequent values (ties by value) and sums the rest
// under kOtherValue.
void CapValues(CountMap* values) {
  if (values->size() <= kMaxCategoricalValues) return;
  std::vector<std::pair<std::string, int64_t>> sorted;
  int64_t other = 0;
  for (auto& [value, count] : *values) {
    if (value == kOtherValue) {
      other += count;
    } else {
      sorted.emplace_back(value, count);
    }
  }
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  CountMap kept;
  const size_t keep = kMaxCategoricalValues - 1;
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (i < keep) {
      kept.emplace(std::move(sorted[i].first), sorted[i].second);
    } else {
      other += sorted[i].second;
    }
  }
  kept[std::string(kOtherValue)] += other;
  *values = std::move(kept);
}

void AddCounts(const CountMap& from, CountMap* to) {
  for (const auto& [key, count] : from) (*to)[key] += count;
}

nlohmann::json CountsToJson(const CountMap& m) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [key, count] : m) j[key] = count;
  return j;
}

core::Status CountsFromJson(const nlohmann::json& j, const std::string& where, CountMap* out) {
  if (!j.is_object()) return core::InvalidInput(where + ": expected an object of counts");
  for (const auto& [key, value] : j.items()) {
    int64_t count = 0;
    RETURN_IF_ERROR(json_util::CountOf(value, where + "['" + key + "']", &count));
    (*out)[key] = count;
  }
  return core::Status::Ok();
}

template <size_t N>
core::Status HistFromJson(const nlohmann::json& j, std::string_view key,
                          std::array<int64_t, N>* out) {
  const nlohmann::json* f = json_util::Field(j, key);
  const std::string where = std::string(kFormat) + "." + std::string(key);
  if (f == nullptr || !f->is_array() || f->size() != N) {
    return core::InvalidInput(where + ": expected an array of " + std::to_string(N) + " counts");
  }
  for (size_t i = 0; i < N; ++i) {
    RETURN_IF_ERROR(json_util::CountOf((*f)[i], where + "[" + std::to_string(i) + "]", &(*out)[i]));
  }
  return core::Status::Ok();
}

int64_t Sum(const CountMap& m) {
  int64_t s = 0;
  for (const auto& [key, count] : m) s += count;
  return s;
}

// The optional "confidence_by_code": at most kConfidenceByCodeLevels levels, each code's
// histogram of kConfidenceBins counts summing to that code's count in codes_by_level.
core::Status ConfidenceByCodeFromJson(const nlohmann::json& j,
                                      const std::vector<CountMap>& codes_by_level,
                                      std::vector<ConfidenceByCode>* out) {
  const nlohmann::json* f = json_util::Field(j, "confidence_by_code");
  if (f == nullptr) return core::Status::Ok();  // written before it was kept
  const std::string where = std::string(kFormat) + ".confidence_by_code";
  if (!f->is_array() || f->size() > static_cast<size_t>(kConfidenceByCodeLevels) ||
      f->size() > codes_by_level.size()) {
    return core::InvalidInput(
        where + ": expected an array of at most " +
        std::to_string(std::min<size_t>(kConfidenceByCodeLevels, codes_by_level.size())) +
        " levels");
  }
  for (size_t d = 0; d < f->size(); ++d) {
    const std::string lwhere = where + "[" + std::to_string(d) + "]";
    if (!(*f)[d].is_object()) return core::InvalidInput(lwhere + ": expected an object");
    ConfidenceByCode level;
    for (const auto& [code, hist] : (*f)[d].items()) {
      const std::string cwhere = lwhere + "['" + code + "']";
      if (!hist.is_array() || hist.size() != static_cast<size_t>(kConfidenceBins)) {
        return core::InvalidInput(cwhere + ": expected an array of " +
                                  std::to_string(kConfidenceBins) + " counts");
      }
      ConfidenceHist counts{};
      int64_t total = 0;
      for (size_t i = 0; i < counts.size(); ++i) {
        RETURN_IF_ERROR(
            json_util::CountOf(hist[i], cwhere + "[" + std::to_string(i) + "]", &counts[i]));
        total += counts[i];
      }
      const auto known = codes_by_level[d].find(code);
      if (total != (known == codes_by_level[d].end() ? 0 : known->second)) {
        return core::InvalidInput(cwhere +
                                  ": counts must sum to the code's count in "
                                  "codes_by_level[" +
                                  std::to_string(d) + "]");
      }
      level.emplace(code, counts);
    }
    out->push_back(std::move(level));
  }
  return core::Status::Ok();
}

}  // namespace

int ConfidenceBin(double probability) {
  const double p = Clamp01(probability);
  const int bin = static_cast<int>(p * kConfidenceBins);
  return std::min(bin, kConfidenceBins - 1);
}

int TextLengthBin(int64_t length) {
  const auto it = std::upper_bound(kTextLengthEdges.begin(), kTextLengthEdges.end(), length);
  if (it == kTextLengthEdges.begin()) return 0;  // negative lengths
  return static_cast<int>(it - kTextLengthEdges.begin()) - 1;
}

void ObservePrediction(const model::Model& model, const model::Prediction& prediction,
                       RecordObservation* obs) {
  obs->code_path.clear();
  obs->top1_probability = 0;
  if (!prediction.top.empty() && prediction.top[0].label >= 0 &&
      static_cast<size_t>(prediction.top[0].label) < model.num_labels()) {
    const size_t label = static_cast<size_t>(prediction.top[0].label);
    obs->top1_probability = prediction.top[0].probability;
    const data::CodeList* codes = model.code_list();
    const int32_t node =
        codes != nullptr && label < model.label_nodes().size() ? model.LabelNode(label) : -1;
    if (node < 0) {
      obs->code_path.push_back(model.label(label));
    } else {
      for (int32_t n = node; n >= 0; n = codes->node(n).parent) {
        obs->code_path.push_back(codes->node(n).code);
      }
      std::reverse(obs->code_path.begin(), obs->code_path.end());
    }
  }
  obs->decision = prediction.decision;
  obs->decided_confidence = prediction.confidence;
  obs->num_features = prediction.num_features;
  obs->known_features = prediction.known_features;
}

double BatchStats::MeanTop1() const { return Ratio(sum_top1, static_cast<double>(records)); }
double BatchStats::AutoShare() const {
  return Ratio(static_cast<double>(auto_records), static_cast<double>(records));
}
double BatchStats::UnseenFeatureShare() const {
  return Ratio(static_cast<double>(sum_unseen_features), static_cast<double>(sum_features));
}
double BatchStats::MeanUnseenFraction() const {
  return Ratio(sum_unseen_fraction, static_cast<double>(records - no_known_feature_records));
}
double BatchStats::NoKnownFeatureShare() const {
  return Ratio(static_cast<double>(no_known_feature_records), static_cast<double>(records));
}

void BatchStats::Merge(const BatchStats& other) {
  records += other.records;
  if (codes_by_level.size() < other.codes_by_level.size()) {
    codes_by_level.resize(other.codes_by_level.size());
  }
  for (size_t d = 0; d < other.codes_by_level.size(); ++d) {
    AddCounts(other.codes_by_level[d], &codes_by_level[d]);
  }
  for (size_t i = 0; i < confidence_hist.size(); ++i)
    confidence_hist[i] += other.confidence_hist[i];
  sum_top1 += other.sum_top1;
  sum_top1_var += other.sum_top1_var;
  auto_records += other.auto_records;
  kb_records += other.kb_records;
  review_records += other.review_records;
  sum_auto_confidence += other.sum_auto_confidence;
  sum_auto_confidence_var += other.sum_auto_confidence_var;
  sum_features += other.sum_features;
  sum_unseen_features += other.sum_unseen_features;
  sum_unseen_fraction += other.sum_unseen_fraction;
  sum_unseen_fraction_sq += other.sum_unseen_fraction_sq;
  no_known_feature_records += other.no_known_feature_records;
  for (size_t i = 0; i < text_length_hist.size(); ++i) {
    text_length_hist[i] += other.text_length_hist[i];
  }
  if (confidence_by_code.size() < other.confidence_by_code.size()) {
    confidence_by_code.resize(other.confidence_by_code.size());
  }
  for (size_t d = 0; d < other.confidence_by_code.size(); ++d) {
    for (const auto& [code, hist] : other.confidence_by_code[d]) {
      ConfidenceHist& mine = confidence_by_code[d][code];
      for (size_t i = 0; i < hist.size(); ++i) mine[i] += hist[i];
    }
  }
  for (const auto& [field, values] : other.categorical) {
    CountMap& mine = categorical[field];
    AddCounts(values, &mine);
    CapValues(&mine);
  }
}

nlohmann::json BatchStats::ToJson() const {
  nlohmann::json levels = nlohmann::json::array();
  for (const CountMap& level : codes_by_level) levels.push_back(CountsToJson(level));
  nlohmann::json cats = nlohmann::json::object();
  for (const auto& [field, values] : categorical) cats[field] = CountsToJson(values);
  nlohmann::json by_code = nlohmann::json::array();
  for (const ConfidenceByCode& level : confidence_by_code) {
    nlohmann::json codes = nlohmann::json::object();
    for (const auto& [code, hist] : level) codes[code] = hist;
    by_code.push_back(std::move(codes));
  }
  return {
      {"format", kFormat},
      {"version", kBatchStatsVersion},
      {"records", records},
      {"codes_by_level", std::move(levels)},
      {"confidence_hist", confidence_hist},
      {"sum_top1", sum_top1},
      {"sum_top1_var", sum_top1_var},
      {"decisions", {{"auto", auto_records}, {"kb", kb_records}, {"review", review_records}}},
      {"sum_auto_confidence", sum_auto_confidence},
      {"sum_auto_confidence_var", sum_auto_confidence_var},
      {"features",
       {{"sum_features", sum_features},
        {"sum_unseen", sum_unseen_features},
        {"sum_unseen_fraction", sum_unseen_fraction},
        {"sum_unseen_fraction_sq", sum_unseen_fraction_sq},
        {"no_known_feature", no_known_feature_records}}},
      {"text_length_hist", text_length_hist},
      {"categorical", std::move(cats)},
      {"confidence_by_code", std::move(by_code)},
  };
}

core::Result<BatchStats> BatchStats::FromJson(const nlohmann::json& j) {
  const std::string where(kFormat);
  RETURN_IF_ERROR(json_util::CheckHeader(j, kFormat, kBatchStatsVersion));
  BatchStats s;
  RETURN_IF_ERROR(json_util::GetCount(j, "records", where, &s.records));
  const nlohmann::json* levels = json_util::Field(j, "codes_by_level");
  if (levels == nullptr || !levels->is_array()) return json_util::Missing(where, "codes_by_level");
  for (size_t d = 0; d < levels->size(); ++d) {
    CountMap level;
    RETURN_IF_ERROR(
        CountsFromJson((*levels)[d], where + ".codes_by_level[" + std::to_string(d) + "]", &level));
    if (Sum(level) > s.records) {
      return core::InvalidInput(where + ".codes_by_level[" + std::to_string(d) +
                                "]: counts exceed 'records'");
    }
    s.codes_by_level.push_back(std::move(level));
  }
  RETURN_IF_ERROR(HistFromJson(j, "confidence_hist", &s.confidence_hist));
  RETURN_IF_ERROR(json_util::GetNumber(j, "sum_top1", where, &s.sum_top1));
  RETURN_IF_ERROR(json_util::GetNumber(j, "sum_top1_var", where, &s.sum_top1_var));
  const nlohmann::json* decisions = json_util::Field(j, "decisions");
  if (decisions == nullptr || !decisions->is_object())
    return json_util::Missing(where, "decisions");
  const std::string dwhere = where + ".decisions";
  RETURN_IF_ERROR(json_util::GetCount(*decisions, "auto", dwhere, &s.auto_records));
  RETURN_IF_ERROR(json_util::GetCount(*decisions, "kb", dwhere, &s.kb_records));
  RETURN_IF_ERROR(json_util::GetCount(*decisions, "review", dwhere, &s.review_records));
  RETURN_IF_ERROR(json_util::GetNumber(j, "sum_auto_confidence", where, &s.sum_auto_confidence));
  RETURN_IF_ERROR(
      json_util::GetNumber(j, "sum_auto_confidence_var", where, &s.sum_auto_confidence_var));
  const nlohmann::json* features = json_util::Field(j, "features");
  if (features == nullptr || !features->is_object()) return json_util::Missing(where, "features");
  const std::string fwhere = where + ".features";
  RETURN_IF_ERROR(json_util::GetCount(*features, "sum_features", fwhere, &s.sum_features));
  RETURN_IF_ERROR(json_util::GetCount(*features, "sum_unseen", fwhere, &s.sum_unseen_features));
  RETURN_IF_ERROR(
      json_util::GetNumber(*features, "sum_unseen_fraction", fwhere, &s.sum_unseen_fraction));
  RETURN_IF_ERROR(
      json_util::GetNumber(*features, "sum_unseen_fraction_sq", fwhere, &s.sum_unseen_fraction_sq));
  RETURN_IF_ERROR(
      json_util::GetCount(*features, "no_known_feature", fwhere, &s.no_known_feature_records));
  RETURN_IF_ERROR(HistFromJson(j, "text_length_hist", &s.text_length_hist));
  const nlohmann::json* cats = json_util::Field(j, "categorical");
  if (cats == nullptr || !cats->is_object()) return json_util::Missing(where, "categorical");
  for (const auto& [field, values] : cats->items()) {
    CountMap m;
    RETURN_IF_ERROR(CountsFromJson(values, where + ".categorical['" + field + "']", &m));
    if (m.size() > kMaxCategoricalValues) {
      return core::InvalidInput(where + ".categorical['" + field + "']: more than " +
                                std::to_string(kMaxCategoricalValues) + " values");
    }
    s.categorical.emplace(field, std::move(m));
  }
  RETURN_IF_ERROR(ConfidenceByCodeFromJson(j, s.codes_by_level, &s.confidence_by_code));

  // Consistency: every record has exactly one decision, one confidence bin, one length bin.
  int64_t conf = 0, len = 0;
  for (int64_t c : s.confidence_hist) conf += c;
  for (int64_t c : s.text_length_hist) len += c;
  if (s.auto_records + s.kb_records + s.review_records != s.records || conf != s.records ||
      len != s.records) {
    return core::InvalidInput(where +
                              ": decisions, confidence_hist and text_length_hist must each "
                              "sum to 'records'");
  }
  if (s.sum_unseen_features > s.sum_features || s.no_known_feature_records > s.records ||
      s.auto_records > s.records) {
    return core::InvalidInput(where + ": feature counts are inconsistent");
  }
  const double n = static_cast<double>(s.records);
  if (s.sum_top1 < 0 || s.sum_top1 > n + 1e-6 || s.sum_top1_var < 0 || s.sum_auto_confidence < 0 ||
      s.sum_auto_confidence > static_cast<double>(s.auto_records) + 1e-6 ||
      s.sum_auto_confidence_var < 0 || s.sum_unseen_fraction < 0 ||
      s.sum_unseen_fraction > n + 1e-6 || s.sum_unseen_fraction_sq < 0) {
    return core::InvalidInput(where + ": a probability sum is out of range for 'records'");
  }
  return s;
}

void BatchStatsBuilder::Add(const RecordObservation& obs) {
  BatchStats& s = stats_;
  ++s.records;
  if (s.codes_by_level.size() < obs.code_path.size()) s.codes_by_level.resize(obs.code_path.size());
  for (size_t d = 0; d < obs.code_path.size(); ++d) {
    CountMap& level = s.codes_by_level[d];
    auto it = level.find(obs.code_path[d]);
    if (it == level.end()) it = level.emplace(std::string(obs.code_path[d]), 0).first;
    ++it->second;
  }
  const double p = Clamp01(obs.top1_probability);
  const size_t bin = static_cast<size_t>(ConfidenceBin(p));
  ++s.confidence_hist[bin];
  const size_t joint_levels =
      std::min(obs.code_path.size(), static_cast<size_t>(kConfidenceByCodeLevels));
  if (s.confidence_by_code.size() < joint_levels) s.confidence_by_code.resize(joint_levels);
  for (size_t d = 0; d < joint_levels; ++d) {
    ConfidenceByCode& level = s.confidence_by_code[d];
    auto it = level.find(obs.code_path[d]);
    if (it == level.end())
      it = level.emplace(std::string(obs.code_path[d]), ConfidenceHist{}).first;
    ++it->second[bin];
  }
  s.sum_top1 += p;
  s.sum_top1_var += p * (1 - p);
  switch (obs.decision) {
    case model::Decision::kAuto: {
      ++s.auto_records;
      const double c = Clamp01(obs.decided_confidence);
      s.sum_auto_confidence += c;
      s.sum_auto_confidence_var += c * (1 - c);
      break;
    }
    case model::Decision::kKb:
      ++s.kb_records;
      break;
    case model::Decision::kReview:
      ++s.review_records;
      break;
  }
  const uint32_t known = std::min(obs.known_features, obs.num_features);
  const uint32_t unseen = obs.num_features - known;
  s.sum_features += obs.num_features;
  s.sum_unseen_features += unseen;
  if (known > 0) {
    const double f = static_cast<double>(unseen) / static_cast<double>(obs.num_features);
    s.sum_unseen_fraction += f;
    s.sum_unseen_fraction_sq += f * f;
  }
  if (known == 0) ++s.no_known_feature_records;
  ++s.text_length_hist[static_cast<size_t>(TextLengthBin(obs.text_length))];
  for (const auto& [field, value] : obs.categorical) {
    auto fit = s.categorical.find(field);
    if (fit == s.categorical.end())
      fit = s.categorical.emplace(std::string(field), CountMap{}).first;
    CountMap& values = fit->second;
    auto vit = values.find(value);
    if (vit == values.end()) {
      vit = values.size() < kBuildValueLimit
                ? values.emplace(std::string(value), 0).first
                : values.try_emplace(std::string(kOtherValue), 0).first;
    }
    ++vit->second;
  }
}

BatchStats BatchStatsBuilder::Finish() && {
  for (auto& [field, values] : stats_.categorical) CapValues(&values);
  return std::move(stats_);
}

}  // namespace statcoder::monitor
