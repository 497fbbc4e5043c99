#include "quality/quality_report.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <functional>
#include <map>
#include <unordered_map>

#include "core/utc_time.h"
#include "core/build_info.h"
#include "core/random.h"
#include "core/version.h"
#include "quality/class_metrics.h"
#include "quality/coding_summary.h"
#include "quality/confidence_metrics.h"
#include "quality/metrics.h"

namespace statcoder::quality {
namespace {

using nlohmann::json;

constexpr int kCalibrationBins = 15;
constexpr size_t kMaxConfusions = 25;
constexpr size_t kMaxAggregateCodes = 50;
constexpr size_t kTopFeatureCodes = 20;
constexpr size_t kTopFeaturesPerCode = 10;
constexpr size_t kMaxExamples = 20;
constexpr size_t kMaxRecordsForFeatureNames = 20000;
constexpr uint64_t kCostBasisRecords = 100000;

json OrNull(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

json Share(uint64_t a, uint64_t b) {
  return b ? json(static_cast<double>(a) / static_cast<double>(b)) : json(nullptr);
}

std::string Title(const model::Model& m, const std::string& code) {
  const data::CodeList* codes = m.code_list();
  if (codes == nullptr) return "";
  const int32_t n = codes->Find(code);
  return n < 0 ? "" : codes->node(n).title;
}

// Class ids of the true codes: a label's index, or an id past the labels for a code the
// model never saw (so it never matches a prediction). `names` maps every id back to its code.
struct ClassIds {
  std::vector<int64_t> truth, predicted;
  std::unordered_map<int64_t, std::string> names;
};

ClassIds LabelIds(const model::Model& m, const std::vector<std::string>& truths,
                  const std::vector<model::Prediction>& preds) {
  ClassIds ids;
  std::map<std::string, int64_t> unseen;
  for (size_t i = 0; i < truths.size(); ++i) {
    int64_t t = m.FindLabel(truths[i]);
    if (t < 0) {
      t = unseen.emplace(truths[i], static_cast<int64_t>(m.num_labels() + unseen.size()))
              .first->second;
    }
    ids.truth.push_back(t);
    ids.predicted.push_back(preds[i].top[0].label);
    ids.names.emplace(t, truths[i]);
    ids.names.emplace(preds[i].top[0].label, m.label(static_cast<size_t>(preds[i].top[0].label)));
  }
  return ids;
}

// Per depth of the code list: the true and predicted (top-1) ancestors of the records whose
// codes both reach that depth, as node ids.
struct LevelIds {
  int depth = 0;
  std::string name;
  std::vector<int64_t> truth, predicted;
};

std::vector<LevelIds> CodeListLevelIds(const model::Model& m,
                                       const std::vector<std::string>& truths,
                                       const std::vector<model::Prediction>& preds, int deepest) {
  std::vector<LevelIds> levels;
  const data::CodeList* codes = m.code_list();
  if (codes == nullptr) return levels;
  for (int d = deepest; d >= 1; --d) {
    LevelIds l{d, codes->LevelName(d), {}, {}};
    for (size_t i = 0; i < truths.size(); ++i) {
      const int32_t a = codes->AncestorAtDepth(codes->Find(truths[i]), d);
      const int32_t b =
          codes->AncestorAtDepth(m.LabelNode(static_cast<size_t>(preds[i].top[0].label)), d);
      if (a < 0 || b < 0) continue;
      l.truth.push_back(a);
      l.predicted.push_back(b);
    }
    levels.push_back(std::move(l));
  }
  return levels;
}

json AggregateJson(const model::Model& m, int depth, const std::string& name,
                   const std::vector<int64_t>& truth, const std::vector<int64_t>& predicted,
                   const std::function<std::string(int64_t)>& code_of) {
  const AggregateError agg = AggregateDistributionError(truth, predicted);
  json codes = json::array();
  for (size_t k = 0; k < agg.classes.size() && k < kMaxAggregateCodes; ++k) {
    const ShareError& e = agg.classes[k];
    const std::string code = code_of(e.cls);
    codes.push_back({{"code", code},
                     {"title", Title(m, code)},
                     {"true_share", e.true_share},
                     {"predicted_share", e.predicted_share},
                     {"error", e.error()}});
  }
  return {{"depth", depth},
          {"name", name},
          {"records", truth.size()},
          {"total_variation", agg.total_variation},
          {"codes", codes}};
}

// Features named by the evaluated records themselves (the model stores only hashes), kept only
// when at least `min_records` distinct records contain them: disclosure control.
std::unordered_map<int64_t, std::string> NameFeatures(const model::Model& m,
                                                      const data::Dataset& ds,
                                                      uint64_t min_records) {
  std::unordered_map<int64_t, std::pair<std::string, uint64_t>> seen;  // row → (name, records)
  std::vector<text::NamedFeature> named;
  std::vector<std::string_view> texts, cats;
  const size_t n = std::min(ds.records.size(), kMaxRecordsForFeatureNames);
  std::vector<int64_t> rows;
  for (size_t i = 0; i < n; ++i) {
    const data::Record& r = ds.records[i];
    texts.assign(r.texts.begin(), r.texts.end());
    cats.assign(r.categoricals.begin(), r.categoricals.end());
    named.clear();
    if (!m.featurizer().FeaturizeNamed({texts, cats, r.numerics}, &named).ok()) continue;
    rows.clear();
    for (const text::NamedFeature& f : named) {
      const int64_t row = m.data().features.Find(f.id);
      if (row < 0) continue;
      rows.push_back(row);
      auto& entry = seen[row];
      if (entry.first.empty()) {
        entry.first = f.field + ":" + (f.kind == "char_ngram" ? "‹" + f.text + "›" : f.text);
      }
    }
    std::sort(rows.begin(), rows.end());
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
    for (const int64_t row : rows) ++seen[row].second;
  }
  std::unordered_map<int64_t, std::string> out;
  for (auto& [row, e] : seen) {
    if (e.second >= min_records) out.emplace(row, std::move(e.first));
  }
  return out;
}

// The strongest nameable features (by the model's own weight for the code, summed over its
// path of outputs) of the codes with most support.
json TopFeatures(const model::Model& m, const data::Dataset& ds,
                 const std::vector<ClassFigures>& classes, const ClassIds& ids,
                 uint64_t min_records) {
  const std::unordered_map<int64_t, std::string> names = NameFeatures(m, ds, min_records);
  const model::SparseLinear& lin = m.data().linear;
  const model::OutputMap& map = m.data().label_outputs;
  json out = json::array();
  size_t taken = 0;
  for (const ClassFigures& c : classes) {
    if (taken == kTopFeatureCodes) break;
    if (c.cls < 0 || static_cast<size_t>(c.cls) >= m.num_labels() || c.support == 0) continue;
    ++taken;
    const auto label = static_cast<size_t>(c.cls);
    std::vector<uint8_t> on_path(lin.num_outputs, 0);
    if (map.identity()) {
      on_path[label] = 1;
    } else {
      for (uint32_t k = map.offsets[label]; k < map.offsets[label + 1]; ++k) {
        on_path[map.outputs[k]] = 1;
      }
    }
    std::vector<std::pair<double, const std::string*>> weights;
    for (const auto& [row, name] : names) {
      double w = 0;
      const auto r = static_cast<size_t>(row);
      for (uint32_t j = lin.row_offsets[r]; j < lin.row_offsets[r + 1]; ++j) {
        if (on_path[lin.columns[j]]) w += static_cast<double>(lin.values[j]) * lin.row_scale[r];
      }
      if (w > 0) weights.emplace_back(w, &name);
    }
    std::sort(weights.begin(), weights.end(), [](const auto& a, const auto& b) {
      return a.first != b.first ? a.first > b.first : *a.second < *b.second;
    });
    json features = json::array();
    for (size_t k = 0; k < weights.size() && k < kTopFeaturesPerCode; ++k) {
      features.push_back({{"feature", *weights[k].second}, {"weight", weights[k].first}});
    }
    const std::string& code = ids.names.at(c.cls);
    out.push_back({{"code", code}, {"title", Title(m, code)}, {"features", features}});
  }
  return out;
}

json ReliabilityJson(const std::vector<ReliabilityBin>& bins) {
  json out = json::array();
  for (const ReliabilityBin& b : bins) {
    out.push_back({{"low", b.low},
                   {"high", b.high},
                   {"records", b.records},
                   {"mean_confidence", OrNull(b.mean_confidence)},
                   {"accuracy", OrNull(b.accuracy)}});
  }
  return out;
}

json ThresholdJson(double t) { return t > 1.0 ? json(nullptr) : json(t); }

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (const char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

core::Result<LatencyStats> MeasureLatency(const std::shared_ptr<const model::Model>& model,
                                          const data::Dataset& dataset, size_t max_records) {
  LatencyStats out;
  const size_t n = std::min(dataset.records.size(), max_records);
  if (n == 0) return out;
  model::Predictor predictor(model);
  model::Prediction p;
  std::vector<double> ms(n);
  std::vector<std::string_view> texts, cats;
  for (size_t i = 0; i < n; ++i) {
    const data::Record& r = dataset.records[i];
    const auto start = std::chrono::steady_clock::now();
    texts.assign(r.texts.begin(), r.texts.end());
    cats.assign(r.categoricals.begin(), r.categoricals.end());
    RETURN_IF_ERROR(predictor.Predict({texts, cats, r.numerics}, 5, &p));
    ms[i] =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  }
  std::sort(ms.begin(), ms.end());
  const auto pct = [&](double q) {
    return ms[std::min(n - 1, static_cast<size_t>(std::ceil(q * static_cast<double>(n))) - 1)];
  };
  out.p50_ms = pct(0.50);
  out.p99_ms = pct(0.99);
  out.records = n;
  return out;
}

bool DecidedCodeIsRight(const model::Model& m, const std::string& truth, const std::string& code) {
  if (code == truth) return true;
  const data::CodeList* codes = m.code_list();
  if (codes == nullptr) return false;
  const int32_t decided = codes->Find(code), t = codes->Find(truth);
  if (decided < 0 || t < 0) return false;
  return codes->AncestorAtDepth(t, codes->node(decided).depth) == decided;
}

nlohmann::json AutoRateAtPrecision(const model::Model& m, const std::vector<std::string>& truths,
                                   const std::vector<model::DecisionEvidence>& evidence) {
  json out = json::object();
  const model::DecisionPolicy& policy = m.data().policy;
  for (const double target : model::kStandardTargets) {
    const std::string key = model::TargetKey(target);
    core::Result<model::DecisionPolicy> p = policy.ForTarget(target);
    if (!p.ok()) {
      out[key] = nullptr;
      continue;
    }
    const model::CompiledPolicy compiled(*p, m.data().labels, m.label_nodes(), m.code_list());
    uint64_t autos = 0, right = 0, full = 0, full_right = 0;
    model::Prediction pred;
    for (size_t i = 0; i < evidence.size(); ++i) {
      model::DecideFromEvidence(m, compiled, evidence[i], &pred);
      if (pred.decision != model::Decision::kAuto) continue;
      const bool is_right = DecidedCodeIsRight(m, truths[i], pred.code);
      ++autos;
      right += is_right;
      // Auto-coded to the full code (not to a coarser level by partial coding).
      if (pred.code == m.label(static_cast<size_t>(evidence[i].top_label))) {
        ++full;
        full_right += is_right;
      }
    }
    out[key] = {{"threshold", ThresholdJson(p->label_threshold)},
                {"level_thresholds", p->level_thresholds},
                {"chosen_on", p->chosen_on},
                {"auto_records", autos},
                {"auto_rate", Share(autos, evidence.size())},
                {"precision", Share(right, autos)},
                {"full_code_auto_records", full},
                {"full_code_auto_rate", Share(full, evidence.size())},
                {"full_code_precision", Share(full_right, full)}};
  }
  return out;
}

nlohmann::json CalibrationByLevel(const model::Model& m, const std::vector<std::string>& truths,
                                  const std::vector<model::DecisionEvidence>& evidence,
                                  int bins) {
  json out = json::array();
  const data::CodeList* codes = m.code_list();
  if (codes == nullptr) return out;
  std::vector<int32_t> truth_node(truths.size());
  for (size_t i = 0; i < truths.size(); ++i) truth_node[i] = codes->Find(truths[i]);
  for (int depth = 1; depth <= codes->max_depth(); ++depth) {
    std::vector<double> conf;
    std::vector<uint8_t> correct;
    for (size_t i = 0; i < evidence.size() && i < truths.size(); ++i) {
      if (truth_node[i] < 0 || evidence[i].levels.size() < static_cast<size_t>(depth)) continue;
      const model::LevelCandidate& best = evidence[i].levels[static_cast<size_t>(depth - 1)];
      if (best.node < 0) continue;
      conf.push_back(best.probability);
      correct.push_back(codes->AncestorAtDepth(truth_node[i], depth) == best.node);
    }
    if (conf.empty()) continue;
    uint64_t hits = 0;
    double stated = 0;
    for (size_t k = 0; k < conf.size(); ++k) {
      hits += correct[k];
      stated += conf[k];
    }
    out.push_back({{"depth", depth},
                   {"name", codes->LevelName(depth)},
                   {"records", conf.size()},
                   {"accuracy", Share(hits, conf.size())},
                   {"mean_confidence", stated / static_cast<double>(conf.size())},
                   {"ece", ExpectedCalibrationError(conf, correct, bins)},
                   {"ece_if_calibrated", ExpectedCalibrationErrorIfCalibrated(conf, bins)}});
  }
  return out;
}

std::vector<std::string> EvaluationWarnings(const model::Model& m, const std::string& data_sha256) {
  std::vector<std::string> warnings;
  const model::DecisionPolicy& policy = m.data().policy;
  if (policy.chosen_on == "labelled_set" && policy.chosen_on_sha256 == data_sha256) {
    warnings.push_back(
        "The auto-coding thresholds were chosen on these very records (statcoder policy "
        "--data): the auto-coding rate and precision below are optimistic. Evaluate on "
        "records the policy has not seen.");
  }
  const json& training = m.data().metadata.value("training_data", json::object());
  if (training.value("sha256", std::string()) == data_sha256) {
    warnings.push_back(
        "These are the records the model was trained on (same file hash): every figure below "
        "is optimistic. Evaluate on held-out records.");
  }
  if (policy.chosen_on == "none") {
    warnings.push_back(
        "The model has no auto-coding thresholds (too few training records to hold some out): "
        "every record is referred.");
  }
  return warnings;
}

core::Result<nlohmann::json> BuildQualityReport(const ReportInputs& in,
                                                const ReportOptions& options) {
  const model::Model& m = *in.model;
  const data::Dataset& ds = *in.dataset;
  const std::vector<model::Prediction>& preds = *in.predictions;
  const std::vector<model::DecisionEvidence>& evidence = in.evidence->evidence;
  const size_t n = ds.records.size();
  std::vector<std::string> truths;
  truths.reserve(n);
  for (const auto& r : ds.records) truths.push_back(r.label);

  // Subgroups first: a bad group column is the user's error and should stop the report early.
  json subgroups = nullptr;
  std::vector<uint8_t> correct(n), topk(n), autos(n), auto_right(n);
  std::vector<double> conf(n);
  for (size_t i = 0; i < n; ++i) {
    const model::Prediction& p = preds[i];
    const int32_t truth = m.FindLabel(truths[i]);
    correct[i] = p.top[0].label == truth;
    topk[i] = std::any_of(p.top.begin(), p.top.end(),
                          [&](const model::ScoredLabel& s) { return s.label == truth; });
    autos[i] = p.decision == model::Decision::kAuto;
    auto_right[i] = autos[i] && DecidedCodeIsRight(m, truths[i], p.code);
    conf[i] = p.top[0].probability;
  }
  if (!in.group_field.empty()) {
    std::vector<std::string> values;
    std::vector<GroupOutcome> outcomes;
    for (size_t i = 0; i < n; ++i) {
      values.push_back(ds.records[i].group);
      outcomes.push_back({correct[i] != 0, autos[i] != 0, auto_right[i] != 0});
    }
    ASSIGN_OR_RETURN(SubgroupReport sg,
                     SubgroupQuality(values, outcomes, in.group_field, options.subgroups));
    json groups = json::array(), flagged = json::array();
    for (const GroupQuality& g : sg.groups) {
      groups.push_back({{"value", g.value},
                        {"records", g.records},
                        {"auto_records", g.auto_records},
                        {"accuracy", g.accuracy.ToJson()},
                        {"auto_rate", g.auto_rate.ToJson()},
                        {"auto_precision", g.auto_precision.ToJson()},
                        {"flagged", g.flagged},
                        {"reasons", g.reasons}});
      if (g.flagged) flagged.push_back(g.value);
    }
    subgroups = {{"field", in.group_field},
                 {"min_records", options.subgroups.min_records},
                 {"suppressed_groups", sg.suppressed_groups},
                 {"suppressed_records", sg.suppressed_records},
                 {"material_gap", options.subgroups.material_gap},
                 {"alpha", options.subgroups.alpha},
                 {"groups", groups},
                 {"flagged_groups", flagged}};
  }

  const EvaluationSummary summary = Evaluate(m, truths, preds);
  const ClassIds ids = LabelIds(m, truths, preds);
  const BootstrapOptions& bo = options.bootstrap;
  const auto mean_of = [](const std::vector<uint8_t>& v) {
    return [&v](std::span<const uint32_t> s) {
      double sum = 0;
      for (const uint32_t i : s) sum += v[i];
      return s.empty() ? std::nan("") : sum / static_cast<double>(s.size());
    };
  };
  // Each figure gets its own seeded stream so adding a figure never changes the others.
  auto stream = [&](uint64_t k) {
    BootstrapOptions o = bo;
    o.seed = core::DeriveSeed(bo.seed, k);
    return o;
  };
  const Interval top1 = BootstrapInterval(n, stream(1), mean_of(correct));
  const Interval top_k = BootstrapInterval(n, stream(2), mean_of(topk));
  const Interval macro_f1 = BootstrapInterval(n, stream(3), [&](std::span<const uint32_t> s) {
    std::vector<int64_t> t, p;
    t.reserve(s.size());
    p.reserve(s.size());
    for (const uint32_t i : s) {
      t.push_back(ids.truth[i]);
      p.push_back(ids.predicted[i]);
    }
    return MacroF1(t, p);
  });
  const Interval auto_rate = BootstrapInterval(n, stream(4), mean_of(autos));
  const Interval auto_precision = BootstrapInterval(n, stream(5), [&](std::span<const uint32_t> s) {
    double a = 0, r = 0;
    for (const uint32_t i : s) {
      a += autos[i];
      r += auto_right[i];
    }
    return a > 0 ? r / a : std::nan("");
  });

  // ---- accuracy ----
  int deepest = 1;
  for (const auto& l : summary.levels) deepest = std::max(deepest, l.depth);
  json levels = json::array();
  for (const LevelAccuracy& l : summary.levels) {
    levels.push_back({{"depth", l.depth},
                      {"name", l.name},
                      {"records", l.records},
                      {"top1", l.records ? json(l.accuracy) : json(nullptr)},
                      {"top_k_accuracy", l.records ? json(l.top_k_accuracy) : json(nullptr)},
                      {"macro_f1", l.records ? json(l.macro_f1) : json(nullptr)}});
  }
  const std::vector<ClassFigures> classes = PerClassFigures(ids.truth, ids.predicted);
  json classes_json = json::array();
  for (const ClassFigures& c : classes) {
    const std::string& code = ids.names.at(c.cls);
    classes_json.push_back({{"code", code},
                            {"title", Title(m, code)},
                            {"support", c.support},
                            {"predicted", c.predicted},
                            {"precision", OrNull(c.precision)},
                            {"recall", OrNull(c.recall)},
                            {"f1", c.f1}});
  }
  json confusions = json::array();
  for (const Confusion& c : TopConfusions(ids.truth, ids.predicted, kMaxConfusions)) {
    const std::string& t = ids.names.at(c.truth);
    const std::string& p = ids.names.at(c.predicted);
    confusions.push_back({{"true", t},
                          {"true_title", Title(m, t)},
                          {"predicted", p},
                          {"predicted_title", Title(m, p)},
                          {"count", c.count},
                          {"share_of_true", c.share_of_truth}});
  }
  json aggregate_levels = json::array();
  const std::vector<LevelIds> level_ids = CodeListLevelIds(m, truths, preds, deepest);
  if (level_ids.empty()) {
    aggregate_levels.push_back(AggregateJson(m, 1, "code", ids.truth, ids.predicted,
                                             [&](int64_t id) { return ids.names.at(id); }));
  }
  for (const LevelIds& l : level_ids) {
    aggregate_levels.push_back(AggregateJson(
        m, l.depth, l.name, l.truth, l.predicted,
        [&](int64_t node) { return m.code_list()->node(static_cast<int32_t>(node)).code; }));
  }
  json accuracy = {{"records", n},
                   {"top_k", summary.top_k},
                   {"top1", top1.ToJson()},
                   {"top_k_accuracy", top_k.ToJson()},
                   {"macro_f1", macro_f1.ToJson()},
                   {"unseen_labels", summary.unseen_labels},
                   {"levels", levels},
                   {"classes", classes_json},
                   {"confusions", confusions},
                   {"aggregate", {{"levels", aggregate_levels}}}};

  // ---- coding ----
  const model::DecisionPolicy& policy = m.data().policy;
  json auto_by_level = json::array();
  for (const LevelAccuracy& l : summary.levels) {
    auto_by_level.push_back(
        {{"depth", l.depth},
         {"name", l.name},
         {"auto_records", l.auto_records},
         {"auto_precision", l.auto_records ? json(l.auto_precision) : json(nullptr)}});
  }
  json curve = json::array();
  for (const CoveragePoint& p : CoverageCurve(conf, correct)) {
    curve.push_back(
        {{"threshold", p.threshold}, {"coverage", p.coverage}, {"precision", p.precision}});
  }
  json chosen = nullptr;
  if (policy.label_threshold <= 1.0) {
    const CoverageAt at = CoverageAtThreshold(conf, correct, policy.label_threshold);
    chosen = {{"threshold", policy.label_threshold},
              {"coverage", at.coverage},
              {"precision", OrNull(at.precision)}};
  }
  json coding = {{"target_precision", policy.target_precision},
                 {"threshold", ThresholdJson(policy.label_threshold)},
                 {"policy", policy.ToJson()},
                 {"auto_rate", auto_rate.ToJson()},
                 {"auto_precision", auto_precision.ToJson()},
                 {"auto_records", summary.auto_records},
                 {"auto_by_level", auto_by_level},
                 {"auto_rate_at_precision", AutoRateAtPrecision(m, truths, evidence)},
                 {"coverage_curve", curve},
                 {"chosen", chosen}};

  // ---- calibration ----
  const std::vector<double>& before = in.evidence->uncalibrated_confidence;
  json calibration = {
      {"temperature", m.data().temperature},
      {"bins", kCalibrationBins},
      {"ece",
       {{"equal_width",
         {{"before", ExpectedCalibrationError(before, correct, kCalibrationBins)},
          {"after", ExpectedCalibrationError(conf, correct, kCalibrationBins)}}},
        {"equal_mass",
         {{"before", ExpectedCalibrationErrorEqualMass(before, correct, kCalibrationBins)},
          {"after", ExpectedCalibrationErrorEqualMass(conf, correct, kCalibrationBins)}}}}},
      {"ece_if_calibrated", ExpectedCalibrationErrorIfCalibrated(conf, kCalibrationBins)},
      {"by_level", CalibrationByLevel(m, truths, in.evidence->evidence, kCalibrationBins)},
      {"reliability",
       {{"before", ReliabilityJson(ReliabilityDiagram(before, correct, kCalibrationBins))},
        {"after", ReliabilityJson(ReliabilityDiagram(conf, correct, kCalibrationBins))}}}};

  // ---- explainability ----
  const std::string model_arg = in.model_path.empty() ? "MODEL" : ShellQuote(in.model_path);
  json explainability = {
      {"top_features", TopFeatures(m, ds, classes, ids, options.subgroups.min_records)},
      {"min_records_per_feature", options.subgroups.min_records},
      {"how_to_explain", "statcoder explain --model " + model_arg + " --text \"...\""}};

  // ---- reproducibility ----
  const json& meta = m.data().metadata;
  json reproducibility = {
      {"statcoder_version", meta.value("statcoder_version", std::string())},
      {"evaluated_with", core::BuildInfo()},
      {"build", core::BuildInfo()},
      {"platform", core::PlatformInfo()},
      {"training_data", meta.value("training_data", json(nullptr))},
      {"training_options", meta.value("training_options", json(nullptr))},
      {"code_list_fingerprint", meta.value("code_list_fingerprint", json(nullptr))},
      {"evaluated_data_sha256", ds.content_hash},
      {"model_version_id", m.version_id()},
      {"reproduce_command",
       "statcoder reproduce --model " + model_arg + " --data <the training file>"}};
  if (meta.contains("crosswalk_training") && meta["crosswalk_training"].is_object()) {
    // Trained from old-version labels: which table, and what it made of the records (the pairs
    // themselves stay in the model).
    json crosswalk = meta["crosswalk_training"];
    crosswalk.erase("pairs");
    reproducibility["crosswalk_training"] = crosswalk;
  }
  if (in.training_log.is_object()) {
    reproducibility["build"] = in.training_log.value("build", core::BuildInfo());
    reproducibility["training_platform"] = in.training_log.value("platform", json(nullptr));
  }

  // ---- timeliness and cost ----
  const double rate = in.coding_seconds > 0 ? static_cast<double>(n) / in.coding_seconds : 0.0;
  json training_seconds = nullptr;
  if (in.training_log.is_object() && in.training_log.contains("training_seconds")) {
    training_seconds = in.training_log["training_seconds"];
  }
  json timeliness = {{"training_seconds", training_seconds},
                     {"coding_seconds", in.coding_seconds},
                     {"records_per_second", rate > 0 ? json(rate) : json(nullptr)},
                     {"threads", in.threads},
                     {"latency_ms",
                      {{"p50", in.latency.records ? json(in.latency.p50_ms) : json(nullptr)},
                       {"p99", in.latency.records ? json(in.latency.p99_ms) : json(nullptr)},
                       {"records", in.latency.records}}}};
  const double basis = static_cast<double>(kCostBasisRecords);
  const double share_auto = summary.auto_rate;
  const double per_hour = options.coder_records_per_hour;
  json cost = {
      {"coder_records_per_hour", per_hour},
      {"basis_records", kCostBasisRecords},
      {"auto_rate", share_auto},
      {"auto_precision", summary.auto_records ? json(summary.auto_precision) : json(nullptr)},
      {"coder_hours_without_model", basis / per_hour},
      {"coder_hours_with_model", basis * (1 - share_auto) / per_hour},
      {"coder_hours_saved", basis * share_auto / per_hour},
      {"compute_seconds", rate > 0 ? json(basis / rate) : json(nullptr)}};

  // ---- examples (confidential: only on request) ----
  json examples = nullptr;
  if (options.show_examples) {
    examples = json::array();
    for (size_t i = 0; i < n && examples.size() < kMaxExamples; ++i) {
      if (correct[i]) continue;
      std::string text;
      for (const std::string& t : ds.records[i].texts) text += (text.empty() ? "" : " | ") + t;
      examples.push_back({{"text", text},
                          {"true", truths[i]},
                          {"predicted", m.label(static_cast<size_t>(preds[i].top[0].label))},
                          {"confidence", preds[i].top[0].probability}});
    }
  }

  const std::string path_name = ds.path.substr(ds.path.find_last_of('/') + 1);
  return json{{"format", "statcoder-quality-report"},
              {"format_version", 1},
              {"generated_at", core::UtcNow()},
              {"warnings", EvaluationWarnings(m, ds.content_hash)},
              {"summary", CodingSummaryJson(MeasureCodingOutcome(m, truths, preds),
                                            options.summary)},
              {"model",
               {{"version_id", m.version_id()},
                {"statcoder_version", meta.value("statcoder_version", std::string())},
                {"labels", m.num_labels()},
                {"features", m.data().features.size()},
                {"code_list_fingerprint", meta.value("code_list_fingerprint", json(nullptr))},
                {"policy", policy.ToJson()},
                {"metadata", meta}}},
              {"data",
               {{"path_name", path_name},
                {"sha256", ds.content_hash},
                {"records", n},
                {"rejected", ds.rejections.size()},
                {"label_field", in.label_field},
                {"unseen_labels", summary.unseen_labels}}},
              {"accuracy", accuracy},
              {"coding", coding},
              {"calibration", calibration},
              {"explainability", explainability},
              {"reproducibility", reproducibility},
              {"timeliness", timeliness},
              {"cost", cost},
              {"subgroups", subgroups},
              {"examples", examples}};
}

}  // namespace statcoder::quality
