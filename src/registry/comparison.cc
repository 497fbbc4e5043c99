#include "registry/comparison.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <memory>
#include <utility>
#include <vector>

#include "core/content_hash.h"
#include "lake/snapshot.h"
#include "model/batch_coder.h"
#include "model/model_io.h"
#include "quality/intervals.h"
#include "quality/metrics.h"
#include "registry/model_registry.h"

namespace statcoder::registry {
namespace {

// Top-k of the predictions, for the top-k accuracy that quality::Evaluate reports beside top-1.
constexpr int kTopK = 5;

// One model's view of the snapshot, per record (same order as the records).
struct Side {
  std::string ref;
  store::ModelRow row;
  std::shared_ptr<const model::Model> model;
  std::vector<model::Prediction> predictions;
  quality::EvaluationSummary summary;
  std::vector<uint8_t> right;                     // top-1 label == the record's code
  std::vector<double> confidence;                 // calibrated top-1 probability
  std::vector<std::vector<uint8_t>> level_right;  // [level][record]; see Levels
};

// A hierarchy level compared: the records whose code reaches `depth`.
struct Level {
  int depth = 0;
  std::string name;
  std::vector<uint32_t> records;    // indices of the records compared at this level
  std::vector<int32_t> truth_node;  // their code's ancestor at `depth`, same order
};

std::string Fixed(double x, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, x);
  return buf;
}

std::string Signed(double x, int digits) { return (x >= 0 ? "+" : "") + Fixed(x, digits); }

// "p = 0.0043", or "p < 1e-6" for p-values too small to print usefully.
std::string PValueText(double p) {
  if (p < 1e-6) return "p < 1e-6";
  char buf[32];
  std::snprintf(buf, sizeof buf, "p = %.2g", p);
  return buf;
}

double Share(uint64_t a, uint64_t n) {
  return n ? static_cast<double>(a) / static_cast<double>(n) : 0.0;
}

// The snapshot's records, checked to carry what both models read and the workspace's label.
core::Result<data::Dataset> LoadLabelled(workspace::Workspace& ws, const store::SnapshotRow& row,
                                         const std::vector<const model::Model*>& models) {
  if (!lake::KindNeedsLabels(row.kind)) {
    return core::InvalidArgument("snapshot " + row.id + " is a " + row.kind +
                                 " snapshot (records to code, without codes); compare needs "
                                 "coded records: ingest them with --kind audit or training");
  }
  ASSIGN_OR_RETURN(data::Schema have, lake::SnapshotSchema(row));
  const std::string& label_field = ws.config().schema.label_field;
  if (have.label_field.empty() || have.label_field != label_field) {
    return core::InvalidArgument("snapshot " + row.id + " has no '" + label_field +
                                 "' codes to compare against; ingest a file with that column");
  }
  for (const model::Model* m : models) {
    const data::Schema want = model::SchemaFor(*m, "", "");
    if (have.text_fields != want.text_fields ||
        have.categorical_fields != want.categorical_fields ||
        have.numeric_fields != want.numeric_fields) {
      return core::InvalidArgument("snapshot " + row.id + " does not have the fields model " +
                                   m->version_id() + " reads (its schema differs)");
    }
  }
  ASSIGN_OR_RETURN(data::Dataset ds, lake::LoadSnapshot(ws, row));
  if (ds.records.empty()) {
    return core::FailedPrecondition("snapshot " + row.id + " has no records to compare on");
  }
  return ds;
}

core::Status CodeSide(Side& side, const data::Dataset& ds, const std::vector<std::string>& truths,
                      const data::CodeList* codes, const std::vector<Level>& levels, int threads) {
  ASSIGN_OR_RETURN(side.predictions, model::PredictBatch(side.model, ds, kTopK, threads));
  side.summary = quality::Evaluate(*side.model, truths, side.predictions);
  const size_t n = truths.size();
  side.right.assign(n, 0);
  side.confidence.assign(n, 0.0);
  for (size_t i = 0; i < n; ++i) {
    const model::ScoredLabel& top = side.predictions[i].top.at(0);
    side.right[i] = side.model->label(static_cast<size_t>(top.label)) == truths[i];
    side.confidence[i] = top.probability;
  }
  side.level_right.assign(levels.size(), {});
  for (size_t l = 0; l < levels.size(); ++l) {
    const Level& level = levels[l];
    std::vector<uint8_t>& r = side.level_right[l];
    r.resize(level.records.size());
    for (size_t k = 0; k < level.records.size(); ++k) {
      const model::ScoredLabel& top = side.predictions[level.records[k]].top.at(0);
      const int32_t node = codes->Find(side.model->label(static_cast<size_t>(top.label)));
      r[k] = codes->AncestorAtDepth(node, level.depth) == level.truth_node[k];
    }
  }
  return core::Status::Ok();
}

nlohmann::json SideJson(const Side& side, const std::vector<Level>& levels, double coverage,
                        double threshold, const std::vector<std::string>& aliases,
                        const std::string& snapshot) {
  nlohmann::json level_json = nlohmann::json::array();
  for (size_t l = 0; l < levels.size(); ++l) {
    const auto hits = static_cast<uint64_t>(
        std::count(side.level_right[l].begin(), side.level_right[l].end(), 1));
    level_json.push_back({{"level", levels[l].depth},
                          {"name", levels[l].name},
                          {"records", levels[l].records.size()},
                          {"correct", hits},
                          {"accuracy", Share(hits, levels[l].records.size())}});
  }
  const auto hits = static_cast<uint64_t>(std::count(side.right.begin(), side.right.end(), 1));
  return {{"ref", side.ref},
          {"version", side.row.version},
          {"number", side.row.number},
          {"aliases", aliases},
          // Records learned from score better than new ones: a comparison on them is unfair.
          {"trained_on_snapshot", std::find(side.row.snapshots.begin(), side.row.snapshots.end(),
                                            snapshot) != side.row.snapshots.end()},
          {"correct", hits},
          {"accuracy", Share(hits, side.right.size())},
          {"top_k", kTopK},
          {"top_k_accuracy", side.summary.top_k_accuracy},
          {"macro_f1", side.summary.macro_f1},
          {"unseen_labels", side.summary.unseen_labels},
          {"level_accuracy", level_json},
          {"policy_target_precision", side.model->policy().policy().target_precision},
          {"auto_records", side.summary.auto_records},
          {"auto_rate", side.summary.auto_rate},
          {"auto_precision", side.summary.auto_precision},
          {"auto_rate_at_target", coverage},
          {"threshold_at_target",
           std::isnan(threshold) ? nlohmann::json(nullptr) : nlohmann::json(threshold)}};
}

// b: the champion right and the challenger wrong; c: the reverse.
struct Discordant {
  uint64_t b = 0, c = 0, both_right = 0, both_wrong = 0;
};

Discordant Count(const std::vector<uint8_t>& champion, const std::vector<uint8_t>& challenger) {
  Discordant d;
  for (size_t i = 0; i < champion.size(); ++i) {
    if (champion[i] && challenger[i]) ++d.both_right;
    if (!champion[i] && !challenger[i]) ++d.both_wrong;
    if (champion[i] && !challenger[i]) ++d.b;
    if (!champion[i] && challenger[i]) ++d.c;
  }
  return d;
}

nlohmann::json PairedJson(const Discordant& d, uint64_t n) {
  return {
      {"records", n},
      {"b", d.b},
      {"c", d.c},
      {"both_right", d.both_right},
      {"both_wrong", d.both_wrong},
      {"difference",
       n ? (static_cast<double>(d.c) - static_cast<double>(d.b)) / static_cast<double>(n) : 0.0},
      {"p_value", McNemarExactP(d.b, d.c)}};
}

}  // namespace

core::Status CompareOptions::Validate() const {
  if (challenger.empty()) {
    return core::InvalidArgument("compare needs --challenger VERSION|candidate");
  }
  if (champion.empty()) {
    return core::InvalidArgument("--champion is empty; give production, candidate or a version");
  }
  if (snapshot.empty()) {
    return core::InvalidArgument(
        "compare needs --data SNAPSHOT (a labelled snapshot id); see "
        "'statcoder snapshots list'");
  }
  if (target_precision && !(*target_precision > 0 && *target_precision <= 1)) {
    return core::InvalidArgument("--target-precision must be in (0, 1], got " +
                                 std::to_string(*target_precision));
  }
  if (replicates < 0 || replicates > 100000) {
    return core::InvalidArgument("--replicates must be in 0..100000, got " +
                                 std::to_string(replicates));
  }
  if (!(alpha > 0 && alpha <= 0.5)) {
    return core::InvalidArgument("alpha must be in (0, 0.5], got " + std::to_string(alpha));
  }
  if (threads < 0 || threads > 256) {
    return core::InvalidArgument("--threads must be in 0..256, got " + std::to_string(threads));
  }
  return core::Status::Ok();
}

double McNemarExactP(uint64_t b, uint64_t c) {
  const uint64_t n = b + c;
  const uint64_t k = std::min(b, c);
  // |b − c| ≤ 1: by symmetry P[X ≤ k] ≥ 1/2 (exactly 1/2 for odd n), so p = 1 exactly, which
  // the rounding of the sum below could miss.
  if (n - 2 * k <= 1) return 1.0;
  // P[X ≤ k] for X ~ Binomial(n, 1/2), summed in log space (n may be in the millions) from the
  // largest term down, so the sum neither underflows nor loses the small terms.
  const double nd = static_cast<double>(n);
  const auto log_term = [&](uint64_t i) {
    const double id = static_cast<double>(i);
    return std::lgamma(nd + 1) - std::lgamma(id + 1) - std::lgamma(nd - id + 1) -
           nd * std::log(2.0);
  };
  const double top = log_term(k);  // terms grow with i up to n/2, and k ≤ n/2
  double sum = 0;
  for (uint64_t i = k + 1; i-- > 0;) {
    const double t = std::exp(log_term(i) - top);
    sum += t;
    if (t < 1e-18 * sum) break;
  }
  const double p = 2.0 * std::exp(top + std::log(sum));
  return std::min(1.0, p);
}

double MaxCoverageAtPrecision(std::span<const double> confidence, std::span<const uint8_t> right,
                              std::span<const uint32_t> sample, double target, double* threshold) {
  if (threshold) *threshold = std::numeric_limits<double>::quiet_NaN();
  if (sample.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::vector<std::pair<double, uint8_t>> scored;
  scored.reserve(sample.size());
  for (uint32_t i : sample) scored.emplace_back(confidence[i], right[i]);
  std::sort(scored.begin(), scored.end(),
            [](const auto& x, const auto& y) { return x.first > y.first; });
  uint64_t taken = 0, hits = 0, best = 0;
  for (size_t i = 0; i < scored.size();) {
    size_t j = i;
    for (; j < scored.size() && scored[j].first == scored[i].first; ++j) hits += scored[j].second;
    taken = j;
    // Compared as integers: hits / taken >= target, with a tolerance for target's rounding.
    if (static_cast<double>(hits) >= target * static_cast<double>(taken) - 1e-9) {
      best = taken;
      if (threshold) *threshold = scored[i].first;
    }
    i = j;
  }
  return Share(best, scored.size());
}

core::Result<Comparison> CompareModels(workspace::Workspace& ws, const CompareOptions& options) {
  RETURN_IF_ERROR(options.Validate());
  const workspace::WorkspaceConfig& config = ws.config();
  Side champion, challenger;
  champion.ref = options.champion;
  challenger.ref = options.challenger;
  for (Side* side : {&champion, &challenger}) {
    ASSIGN_OR_RETURN(side->row, ResolveModel(ws, side->ref));
    ASSIGN_OR_RETURN(side->model, model::LoadModel(ws.Path(side->row.path)));
  }
  ASSIGN_OR_RETURN(store::SnapshotRow snapshot,
                   lake::ResolveSnapshot(ws.store(), options.snapshot));
  ASSIGN_OR_RETURN(data::Dataset ds,
                   LoadLabelled(ws, snapshot, {champion.model.get(), challenger.model.get()}));
  const size_t n = ds.records.size();
  std::vector<std::string> truths;
  truths.reserve(n);
  for (const data::Record& r : ds.records) truths.push_back(r.label);

  // Levels of the workspace's code list, down to the deepest code among the records.
  ASSIGN_OR_RETURN(std::shared_ptr<const data::CodeList> codes, ws.CodeList());
  std::vector<Level> levels;
  if (codes) {
    std::vector<int32_t> nodes(n);
    int deepest = 0;
    for (size_t i = 0; i < n; ++i) {
      nodes[i] = codes->Find(truths[i]);
      if (nodes[i] >= 0) deepest = std::max(deepest, codes->node(nodes[i]).depth);
    }
    for (int d = 1; d <= deepest; ++d) {
      Level level{d, codes->LevelName(d), {}, {}};
      for (size_t i = 0; i < n; ++i) {
        const int32_t a = codes->AncestorAtDepth(nodes[i], d);
        if (a < 0) continue;
        level.records.push_back(static_cast<uint32_t>(i));
        level.truth_node.push_back(a);
      }
      levels.push_back(std::move(level));
    }
  }
  const int threads = options.threads > 0 ? options.threads : config.training.options.threads;
  RETURN_IF_ERROR(CodeSide(champion, ds, truths, codes.get(), levels, threads));
  RETURN_IF_ERROR(CodeSide(challenger, ds, truths, codes.get(), levels, threads));

  const double target = options.target_precision.value_or(config.gates.target_precision);
  std::vector<uint32_t> all(n);
  for (size_t i = 0; i < n; ++i) all[i] = static_cast<uint32_t>(i);
  double champion_threshold = 0, challenger_threshold = 0;
  const double champion_coverage =
      MaxCoverageAtPrecision(champion.confidence, champion.right, all, target, &champion_threshold);
  const double challenger_coverage = MaxCoverageAtPrecision(challenger.confidence, challenger.right,
                                                            all, target, &challenger_threshold);

  // Paired tests and intervals: both bootstraps draw the same records (same seed).
  const Discordant overall = Count(champion.right, challenger.right);
  const double p_value = McNemarExactP(overall.b, overall.c);
  const quality::BootstrapOptions boot{.replicates = options.replicates, .seed = options.seed};
  const quality::Interval accuracy_difference =
      quality::BootstrapInterval(n, boot, [&](std::span<const uint32_t> sample) {
        int64_t diff = 0;
        for (uint32_t i : sample) diff += int64_t{challenger.right[i]} - int64_t{champion.right[i]};
        return static_cast<double>(diff) / static_cast<double>(sample.size());
      });
  const quality::Interval coverage_difference =
      quality::BootstrapInterval(n, boot, [&](std::span<const uint32_t> sample) {
        return MaxCoverageAtPrecision(challenger.confidence, challenger.right, sample, target) -
               MaxCoverageAtPrecision(champion.confidence, champion.right, sample, target);
      });
  nlohmann::json level_tests = nlohmann::json::array();
  for (size_t l = 0; l < levels.size(); ++l) {
    nlohmann::json t = PairedJson(Count(champion.level_right[l], challenger.level_right[l]),
                                  levels[l].records.size());
    t["level"] = levels[l].depth;
    t["name"] = levels[l].name;
    level_tests.push_back(std::move(t));
  }

  std::string verdict = "no significant difference";
  if (p_value < options.alpha)
    verdict = overall.c > overall.b ? "challenger better" : "champion better";
  const double champion_accuracy = Share(overall.both_right + overall.b, n);
  const double challenger_accuracy = Share(overall.both_right + overall.c, n);
  std::string summary = "On " + std::to_string(n) + " coded records of snapshot " +
                        snapshot.id.substr(0, 12) + ", the challenger " + challenger.row.version +
                        " was right on " + std::to_string(overall.c) + " records the champion " +
                        champion.row.version + " got wrong and wrong on " +
                        std::to_string(overall.b) + " it got right (accuracy " +
                        Fixed(challenger_accuracy, 3) + " vs " + Fixed(champion_accuracy, 3) +
                        ", difference " + Signed(challenger_accuracy - champion_accuracy, 3);
  if (accuracy_difference.low && accuracy_difference.high) {
    summary += ", 95% interval " + Signed(*accuracy_difference.low, 3) + " to " +
               Signed(*accuracy_difference.high, 3);
  }
  summary += "); McNemar's exact test " + PValueText(p_value) +
             (p_value < options.alpha ? ", below" : ", not below") +
             " alpha = " + Fixed(options.alpha, 2) + ": " + verdict + ".";

  ASSIGN_OR_RETURN(std::vector<std::string> champion_aliases, AliasesOf(ws, champion.row.version));
  ASSIGN_OR_RETURN(std::vector<std::string> challenger_aliases,
                   AliasesOf(ws, challenger.row.version));
  Comparison out;
  out.report_path = "reports/compare/" + champion.row.version + "_vs_" + challenger.row.version +
                    "_" + snapshot.id.substr(0, 16) + ".json";
  nlohmann::json& j = out.report;
  j = {{"snapshot",
        {{"id", snapshot.id}, {"kind", snapshot.kind}, {"data_source", snapshot.data_source}}},
       {"records", n},
       {"label_field", config.schema.label_field},
       {"target_precision", target},
       {"target_precision_from", options.target_precision ? "option" : "gates"},
       {"auto_rate_at_target_method",
        "max_coverage_on_these_records: the largest share of these records that can be "
        "auto-coded with their full code (no partial coding at coarser levels) at the target "
        "precision, taking records by decreasing top-1 confidence; the cut is chosen on the "
        "records it is measured on (optimistic, the same for both models)"},
       {"champion", SideJson(champion, levels, champion_coverage, champion_threshold,
                             champion_aliases, snapshot.id)},
       {"challenger", SideJson(challenger, levels, challenger_coverage, challenger_threshold,
                               challenger_aliases, snapshot.id)},
       {"paired",
        {{"accuracy", PairedJson(overall, n)},
         {"accuracy_difference", accuracy_difference.ToJson()},
         {"level_accuracy", level_tests},
         {"auto_rate_at_target_difference", coverage_difference.ToJson()},
         {"test", "mcnemar_exact"},
         {"replicates", options.replicates},
         {"seed", options.seed}}},
       {"alpha", options.alpha},
       {"verdict", verdict},
       {"summary", summary},
       {"report_path", out.report_path},
       {"actor", ws.actor()},
       {"created_at", workspace::UtcNow()}};

  const std::string text = j.dump(2) + "\n";
  RETURN_IF_ERROR(ws.PutFile(out.report_path, text));
  RETURN_IF_ERROR(ws.store().Transaction([&]() -> core::Status {
    return ws
        .Audit("compare", {{"champion", champion.row.version},
                           {"challenger", challenger.row.version},
                           {"snapshot", snapshot.id},
                           {"records", n},
                           {"target_precision", target},
                           {"seed", options.seed},
                           {"replicates", options.replicates},
                           {"b", overall.b},
                           {"c", overall.c},
                           {"p_value", p_value},
                           {"verdict", verdict},
                           {"report", out.report_path},
                           {"report_sha256", core::Sha256Hex(text)}})
        .status();
  }));
  return out;
}

}  // namespace statcoder::registry
