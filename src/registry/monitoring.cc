#include "registry/monitoring.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "core/file_util.h"
#include "core/random.h"
#include "model/batch_coder.h"
#include "quality/intervals.h"
#include "monitor/drift.h"
#include "monitor/estimates.h"
#include "monitor/recommendation.h"
#include "registry/model_registry.h"
#include "review/review_queue.h"

namespace statcoder::registry {
namespace {

using json = nlohmann::json;

// Characters (code points) of a UTF-8 text: every byte but continuation bytes.
int64_t CodePoints(std::string_view text) {
  int64_t n = 0;
  for (const char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// Fills `obs` for record `r` coded as `p`.
void Observe(const model::Model& m, const std::vector<std::string>& categorical_fields,
             const data::Record& r, const model::Prediction& p, monitor::RecordObservation* obs) {
  monitor::ObservePrediction(m, p, obs);
  obs->text_length = 0;
  for (const std::string& t : r.texts) obs->text_length += CodePoints(t);
  obs->categorical.clear();
  for (size_t i = 0; i < categorical_fields.size() && i < r.categoricals.size(); ++i) {
    obs->categorical.emplace_back(categorical_fields[i], r.categoricals[i]);
  }
}

// Whether `decided` is `truth` or one of its ancestors (partial coding is right when the
// branch is).
bool SameOrAncestor(const data::CodeList* codes, const std::string& decided,
                    const std::string& truth) {
  if (decided == truth) return true;
  if (codes == nullptr) return false;
  const int32_t d = codes->Find(decided);
  const int32_t t = codes->Find(truth);
  if (d < 0 || t < 0) return false;
  const int depth = codes->node(d).depth;
  return codes->node(t).depth > depth && codes->AncestorAtDepth(t, depth) == d;
}

json IntervalJson(const quality::Interval& i) {
  const auto v = [](const std::optional<double>& x) { return x ? json(*x) : json(nullptr); };
  return {{"value", v(i.value)}, {"low", v(i.low)}, {"high", v(i.high)}};
}

double Share(int64_t part, int64_t whole) {
  return whole > 0 ? static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}

// What reviews say of one batch: the model's top-1 code against the coders' final code, in the
// audit sample (a random sample of the auto-coded records) and in the referred records.
struct ReviewedCounts {
  int64_t audit_n = 0, audit_top1 = 0, audit_decided = 0;
  int64_t referred_n = 0, referred_top1 = 0;
  monitor::ReviewedCodes codes;  // every reviewed record's final code, known or new to the model
};

// Measured accuracy of the batch's top-1 codes, stratified by decision: auto-coded records
// through their audit sample, referred ones through their reviews, each weighted by its share
// of the batch (knowledge-base matches are not the model's and are left out). Normal interval on
// the stratified variance; empty unless every stratum with records has reviews.
struct MeasuredAccuracy {
  double value = 0, low = 0, high = 0;
  double effective_n = 0;  // n of a simple random sample with the same variance
};
std::optional<MeasuredAccuracy> Stratified(const monitor::BatchStats& stats,
                                           const ReviewedCounts& c) {
  const int64_t modelled = stats.auto_records + stats.review_records;
  if (modelled == 0) return std::nullopt;
  if ((stats.auto_records > 0 && c.audit_n == 0) ||
      (stats.review_records > 0 && c.referred_n == 0)) {
    return std::nullopt;
  }
  double value = 0, variance = 0;
  const auto add = [&](int64_t records, int64_t correct, int64_t n) {
    if (records == 0) return;
    const double w = Share(records, modelled);
    const double p = Share(correct, n);
    // (c + 0.5) / (n + 1) in the variance: a stratum all right or all wrong is not certain.
    const double q = (static_cast<double>(correct) + 0.5) / (static_cast<double>(n) + 1);
    value += w * p;
    variance += w * w * q * (1 - q) / static_cast<double>(n);
  };
  add(stats.auto_records, c.audit_top1, c.audit_n);
  add(stats.review_records, c.referred_top1, c.referred_n);
  const double half = 1.959963984540054 * std::sqrt(variance);
  MeasuredAccuracy m;
  m.value = value;
  m.low = std::max(0.0, value - half);
  m.high = std::min(1.0, value + half);
  m.effective_n = variance > 0 ? value * (1 - value) / variance : 0;
  if (m.effective_n <= 0) m.effective_n = static_cast<double>(c.audit_n + c.referred_n);
  return m;
}

// The reviewed items of each batch, by batch id. Items queued by the server carry no batch id
// (the window is stored after them): they belong to the API window of their model whose time
// span holds their creation time.
core::Result<std::map<int64_t, ReviewedCounts>> CountReviews(
    store::MetadataStore& store, const std::vector<store::MonitorBatchRow>& batches,
    const data::CodeList* codes, const monitor::TrainedCodes& known) {
  ASSIGN_OR_RETURN(std::vector<store::ReviewItemRow> items, store.ListReviewItems());
  ASSIGN_OR_RETURN(std::vector<store::ReviewDecisionRow> all, store.ListReviewDecisions(-1));
  std::map<int64_t, std::vector<store::ReviewDecisionRow>> by_item;
  for (auto& d : all) by_item[d.item_id].push_back(std::move(d));
  std::map<int64_t, ReviewedCounts> counts;
  for (const store::ReviewItemRow& item : items) {
    const std::string final_code = review::FinalCode(item, by_item[item.id]);
    if (final_code.empty()) continue;
    int64_t batch = item.batch_id;
    if (batch == 0) {
      for (const store::MonitorBatchRow& b : batches) {
        if (b.source == "api" && b.model_version == item.model_version &&
            item.created_at >= b.window_start && item.created_at <= b.window_end) {
          batch = b.id;
          break;
        }
      }
    }
    if (batch == 0) continue;
    const json& s = item.suggestions;
    std::string top1;
    if (s.contains("top") && s["top"].is_array() && !s["top"].empty()) {
      top1 = s["top"][0].value("code", "");
    }
    const bool top1_right = top1 == final_code;
    ReviewedCounts& c = counts[batch];
    c.codes.Add(final_code, known.recorded() && !known.Knows(final_code));
    if (item.kind == review::kAuditSample) {
      ++c.audit_n;
      c.audit_top1 += top1_right;
      c.audit_decided += SameOrAncestor(codes, s.value("code", ""), final_code);
    } else {
      ++c.referred_n;
      c.referred_top1 += top1_right;
    }
  }
  return counts;
}

// The snapshots a retraining would start from: the production model's training snapshots plus
// every feedback snapshot (reviewed records) it has not learned from.
core::Result<json> TrainingWindow(workspace::Workspace& ws, const store::ModelRow& production,
                                  const std::string& since) {
  ASSIGN_OR_RETURN(std::vector<store::SnapshotRow> snapshots, ws.store().ListSnapshots());
  json feedback = json::array();
  for (const store::SnapshotRow& s : snapshots) {
    if (s.kind != "feedback") continue;
    if (std::find(production.snapshots.begin(), production.snapshots.end(), s.id) !=
        production.snapshots.end()) {
      continue;
    }
    feedback.push_back(s.id);
  }
  std::string note =
      "retrain on the production model's training snapshots plus the reviewed records "
      "(feedback snapshots) it has not learned from";
  if (feedback.empty()) {
    note += "; there are none yet: export the review decisions first ('statcoder review export')";
  }
  std::string all;
  for (const std::string& id : production.snapshots) all += (all.empty() ? "" : ",") + id;
  for (const json& id : feedback) all += (all.empty() ? "" : ",") + id.get<std::string>();
  return json{{"snapshots", production.snapshots},
              {"feedback", feedback},
              {"since", since},
              {"note", note},
              {"command", "statcoder train WS --snapshot " + all}};
}

}  // namespace

std::string ReferencePath(const std::string& version) {
  return "reports/" + version + "/reference.json";
}

monitor::BatchStats ObserveBatch(const model::Model& model, const data::Dataset& dataset,
                                 std::span<const model::Prediction> predictions) {
  const std::vector<std::string> categorical =
      model::SchemaFor(model, "", "").categorical_fields;
  monitor::BatchStatsBuilder builder;
  monitor::RecordObservation obs;
  const size_t n = std::min(dataset.records.size(), predictions.size());
  for (size_t i = 0; i < n; ++i) {
    Observe(model, categorical, dataset.records[i], predictions[i], &obs);
    builder.Add(obs);
  }
  return std::move(builder).Finish();
}

monitor::Reference BuildReference(const model::Model& model, const data::Dataset& heldout,
                                  std::span<const model::Prediction> predictions,
                                  const data::Dataset& training) {
  const std::vector<std::string> categorical =
      model::SchemaFor(model, "", "").categorical_fields;
  monitor::ReferenceBuilder builder;
  monitor::RecordObservation obs;
  const size_t n = std::min(heldout.records.size(), predictions.size());
  for (size_t i = 0; i < n; ++i) {
    const data::Record& r = heldout.records[i];
    const model::Prediction& p = predictions[i];
    Observe(model, categorical, r, p, &obs);
    const bool top1 =
        !p.top.empty() && model.label(static_cast<size_t>(p.top[0].label)) == r.label;
    builder.Add(obs, top1, SameOrAncestor(model.code_list(), p.code, r.label));
  }
  monitor::Reference reference = std::move(builder).Finish();
  std::set<std::string> trained;
  for (const data::Record& r : training.records) {
    if (!r.label.empty()) trained.insert(r.label);
  }
  reference.trained_codes.assign(trained.begin(), trained.end());
  for (size_t i = 0; i < n; ++i) {
    reference.heldout_untrained += !trained.contains(heldout.records[i].label);
  }
  return reference;
}

core::Result<std::optional<monitor::Reference>> LoadReference(const workspace::Workspace& ws,
                                                              const std::string& version) {
  const std::string path = ws.Path(ReferencePath(version));
  if (!std::filesystem::exists(path)) return std::optional<monitor::Reference>();
  ASSIGN_OR_RETURN(const std::string text, core::ReadFile(path));
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return core::DataLoss("'" + path + "' is not JSON");
  auto reference = monitor::Reference::FromJson(j);
  if (!reference.ok()) return core::DataLoss("'" + path + "': " + reference.status().message());
  return std::optional<monitor::Reference>(std::move(reference).value());
}

json ShadowAgreement::ToJson() const {
  return {{"stats", stats.ToJson()},   {"compared", compared},     {"agree", agree},
          {"agree_top1", agree_top1}, {"both_auto", both_auto}, {"agree_auto", agree_auto}};
}

void ShadowAgreement::Merge(const ShadowAgreement& other) {
  stats.Merge(other.stats);
  compared += other.compared;
  agree += other.agree;
  agree_top1 += other.agree_top1;
  both_auto += other.both_auto;
  agree_auto += other.agree_auto;
}

ShadowAgreement CompareShadow(const model::Model& champion, const model::Model& challenger,
                              const data::Dataset& dataset,
                              std::span<const model::Prediction> champion_predictions,
                              std::span<const model::Prediction> challenger_predictions) {
  ShadowAgreement a;
  a.stats = ObserveBatch(challenger, dataset, challenger_predictions);
  const size_t n = std::min(champion_predictions.size(), challenger_predictions.size());
  for (size_t i = 0; i < n; ++i) {
    const model::Prediction& p = champion_predictions[i];
    const model::Prediction& q = challenger_predictions[i];
    ++a.compared;
    a.agree += p.code == q.code;
    if (!p.top.empty() && !q.top.empty()) {
      a.agree_top1 += champion.label(static_cast<size_t>(p.top[0].label)) ==
                      challenger.label(static_cast<size_t>(q.top[0].label));
    }
    if (p.decision == model::Decision::kAuto && q.decision == model::Decision::kAuto) {
      ++a.both_auto;
      a.agree_auto += p.code == q.code;
    }
  }
  return a;
}

core::Result<std::optional<store::ModelRow>> ShadowModel(workspace::Workspace& ws,
                                                         const std::string& classification) {
  ASSIGN_OR_RETURN(std::optional<store::AliasRow> alias,
                   ws.store().FindAlias(classification, "shadow"));
  if (!alias || alias->version.empty()) return std::optional<store::ModelRow>();
  ASSIGN_OR_RETURN(std::optional<store::ModelRow> row, ws.store().FindModel(alias->version));
  return row;
}

core::Result<RecordedBatch> RecordCodedBatch(workspace::Workspace& ws, const CodedBatchInput& in) {
  const model::Model& m = *in.model;
  const data::Dataset& ds = *in.dataset;
  const std::string now = workspace::UtcNow();
  store::MonitorBatchRow row;
  row.created_at = row.window_start = row.window_end = now;
  row.source = "cli";
  row.label = in.label;
  ASSIGN_OR_RETURN(store::ModelRow model_row, ResolveModel(ws, m.version_id()));
  row.classification = model_row.classification;
  row.model_version = m.version_id();
  row.records = static_cast<int64_t>(in.predictions.size());
  row.stats = ObserveBatch(m, ds, in.predictions).ToJson();
  row.shadow = nullptr;
  if (in.shadow != nullptr) {
    row.shadow_version = in.shadow_version;
    row.shadow = in.shadow->ToJson();
  }
  row.actor = ws.actor();
  const data::Schema schema = model::SchemaFor(m, ws.config().schema.id_field, "");
  const workspace::ReviewConfig& review_config = ws.config().review;
  RecordedBatch out;
  RETURN_IF_ERROR(ws.store().Transaction([&]() -> core::Status {
    ASSIGN_OR_RETURN(out.batch_id, ws.store().InsertMonitorBatch(row));
    if (!in.queue_review) return core::Status::Ok();
    // The audit draw: the i-th record of batch b draws DeriveSeed(DeriveSeed(seed, b), i).
    const uint64_t batch_seed =
        core::DeriveSeed(review_config.audit_seed, static_cast<uint64_t>(out.batch_id));
    std::vector<store::ReviewItemRow> items;
    for (size_t i = 0; i < in.predictions.size() && i < ds.records.size(); ++i) {
      const model::Prediction& p = in.predictions[i];
      bool audit = false;
      if (p.decision == model::Decision::kAuto && review_config.audit_rate > 0) {
        const double u =
            static_cast<double>(core::DeriveSeed(batch_seed, i) >> 11) * 0x1p-53;
        audit = u < review_config.audit_rate;
      }
      if (p.decision != model::Decision::kReview && !audit) continue;
      const data::Record& r = ds.records[i];
      json record = json::object();
      for (size_t f = 0; f < schema.text_fields.size() && f < r.texts.size(); ++f) {
        record[schema.text_fields[f]] = r.texts[f];
      }
      for (size_t f = 0; f < schema.categorical_fields.size() && f < r.categoricals.size(); ++f) {
        record[schema.categorical_fields[f]] = r.categoricals[f];
      }
      for (size_t f = 0; f < schema.numeric_fields.size() && f < r.numerics.size(); ++f) {
        if (!std::isnan(r.numerics[f])) record[schema.numeric_fields[f]] = r.numerics[f];
      }
      if (!schema.id_field.empty()) record[schema.id_field] = r.id;
      // The record's row in the batch: ids need not be unique, and a cycle's final codes
      // (pipeline/cycle.h, step "final") are matched to the coded file's rows by it.
      json suggestions = review::SuggestionsJson(m, p);
      suggestions["row"] = i;
      items.push_back({.created_at = now,
                       .kind = audit ? review::kAuditSample : review::kReferred,
                       .record = std::move(record),
                       .record_id = r.id,
                       .model_version = m.version_id(),
                       .suggestions = std::move(suggestions),
                       .status = "open",
                       .assigned_to = "",
                       .assigned_at = "",
                       .batch_id = out.batch_id});
      ++(audit ? out.audit_sample : out.referred);
    }
    if (!items.empty()) RETURN_IF_ERROR(ws.store().InsertReviewItems(items).status());
    return core::Status::Ok();
  }));
  return out;
}

core::Result<json> MonitorStatus(workspace::Workspace& ws, const MonitorOptions& options) {
  const std::string classification =
      options.classification.empty() ? ws.config().classification : options.classification;
  ASSIGN_OR_RETURN(std::optional<store::AliasRow> alias,
                   ws.store().FindAlias(classification, "production"));
  if (!alias || alias->version.empty()) {
    return core::FailedPrecondition("classification '" + classification +
                                    "' has no production model to monitor; promote one "
                                    "('statcoder models promote')");
  }
  ASSIGN_OR_RETURN(store::ModelRow production, ResolveModel(ws, alias->version));
  ASSIGN_OR_RETURN(std::optional<monitor::Reference> reference,
                   LoadReference(ws, production.version));
  ASSIGN_OR_RETURN(std::vector<store::MonitorBatchRow> all,
                   ws.store().ListMonitorBatches(classification, options.since));
  std::vector<store::MonitorBatchRow> batches;
  std::vector<int64_t> earlier_batches;  // coded by other models: their reviews still count
  for (const store::MonitorBatchRow& b : all) {
    if (b.model_version == production.version) {
      batches.push_back(b);
    } else {
      earlier_batches.push_back(b.id);
    }
  }
  json out = {{"classification", classification},
              {"model_version", production.version},
              {"since", options.since},
              {"reference", nullptr},
              {"status", "no_data"},
              {"recommendation", nullptr},
              {"training_window", nullptr},
              {"batches", json::array()}};
  if (!reference) {
    out["note"] = "model " + production.version +
                  " was trained before statcoder kept monitoring references; retrain it to "
                  "monitor its batches";
    return out;
  }
  out["reference"] = {{"heldout_n", reference->heldout_n},
                      {"heldout_accuracy", reference->HeldoutAccuracy()},
                      {"auto_n", reference->auto_n},
                      {"auto_precision", reference->auto_n > 0
                                             ? json(reference->AutoPrecision())
                                             : json(nullptr)},
                      {"auto_share", reference->stats.AutoShare()},
                      {"mean_confidence", reference->stats.MeanTop1()}};
  if (batches.empty()) {
    out["note"] = "no batch coded by model " + production.version +
                  (options.since.empty() ? std::string() : " since " + options.since) +
                  " yet: 'statcoder code WS --data FILE' or POST /v1/code store one";
    return out;
  }

  ASSIGN_OR_RETURN(std::shared_ptr<const data::CodeList> codes, ws.CodeList());
  const monitor::TrainedCodes known(*reference, codes.get());
  // `all` (not only production's batches): API items are matched to their window among them,
  // and the coders' codes in batches earlier models coded tell whether this model knows them.
  ASSIGN_OR_RETURN(auto reviewed, CountReviews(ws.store(), all, codes.get(), known));
  // Each earlier batch is judged on its own, as production's are (a long history would dilute
  // one batch's new codes): the most recent one whose reviews alarm, else the most recent one
  // with reviews.
  const monitor::ReviewedCodes* reviewed_earlier = nullptr;
  int64_t earlier_batch = 0;
  for (auto id = earlier_batches.rbegin(); id != earlier_batches.rend(); ++id) {
    const auto it = reviewed.find(*id);
    if (it == reviewed.end() || it->second.codes.reviewed == 0) continue;
    const bool alarm =
        monitor::TestNewCodes(*reference, it->second.codes, monitor::NewCodeOptions{}).alarm;
    if (reviewed_earlier == nullptr || alarm) {
      reviewed_earlier = &it->second.codes;
      earlier_batch = *id;
    }
    if (alarm) break;
  }
  monitor::DriftOptions drift;
  drift.alpha = ws.config().monitor.alpha;
  std::vector<monitor::BatchSummary> history;
  json rows = json::array();
  for (const store::MonitorBatchRow& b : batches) {
    auto stats = monitor::BatchStats::FromJson(b.stats);
    if (!stats.ok()) {
      return core::DataLoss("monitor batch " + std::to_string(b.id) + ": " +
                            stats.status().message());
    }
    monitor::BatchSummary summary = monitor::SummarizeBatch(
        std::to_string(b.id), b.created_at, *reference, std::move(stats).value(), drift);
    const ReviewedCounts counts = reviewed.count(b.id) ? reviewed[b.id] : ReviewedCounts{};
    const std::optional<MeasuredAccuracy> measured = Stratified(summary.stats, counts);
    summary.reviewed_codes = counts.codes;
    const monitor::NewCodeFinding new_codes =
        monitor::TestNewCodes(*reference, counts.codes, monitor::NewCodeOptions{});
    if (measured) {
      const auto n = static_cast<uint64_t>(std::llround(measured->effective_n));
      summary.measured = monitor::MeasuredCounts{
          .correct = std::min<uint64_t>(n, static_cast<uint64_t>(std::llround(
                                               measured->value * static_cast<double>(n)))),
          .n = n};
    }
    const monitor::AccuracyEstimate precision =
        monitor::EstimateAutoPrecision(*reference, summary.stats);
    const monitor::BatchStats& s = summary.stats;
    json alarms = json::array();
    for (const monitor::DriftTest& t : summary.drift.tests) {
      if (!t.alarm) continue;
      alarms.push_back({{"statistic", t.statistic},
                        {"effect_name", t.effect_name},
                        {"effect", t.effect},
                        {"adjusted_p", t.adjusted_p}});
    }
    json measured_json = nullptr;
    if (measured) {
      measured_json = {{"value", measured->value},
                       {"low", measured->low},
                       {"high", measured->high},
                       {"n", counts.audit_n + counts.referred_n},
                       {"audit_n", counts.audit_n},
                       {"referred_n", counts.referred_n}};
    }
    json audit_precision = nullptr;
    if (counts.audit_n > 0) {
      audit_precision = IntervalJson(
          monitor::MeasuredAccuracy(static_cast<uint64_t>(counts.audit_decided),
                                    static_cast<uint64_t>(counts.audit_n))
              .interval);
      audit_precision["n"] = counts.audit_n;
    }
    json shadow = nullptr;
    if (!b.shadow_version.empty() && b.shadow.is_object()) {
      const int64_t compared = b.shadow.value("compared", int64_t{0});
      shadow = {{"version", b.shadow_version},
                {"records", compared},
                {"agreement", compared > 0 ? json(Share(b.shadow.value("agree", int64_t{0}),
                                                         compared))
                                           : json(nullptr)},
                {"auto_agreement",
                 b.shadow.value("both_auto", int64_t{0}) > 0
                     ? json(Share(b.shadow.value("agree_auto", int64_t{0}),
                                  b.shadow.value("both_auto", int64_t{0})))
                     : json(nullptr)}};
    }
    rows.push_back({{"id", std::to_string(b.id)},
                    {"time", b.created_at},
                    {"window_start", b.window_start},
                    {"window_end", b.window_end},
                    {"source", b.source},
                    {"label", b.label},
                    {"model_version", b.model_version},
                    {"records", b.records},
                    {"estimated_accuracy", IntervalJson(summary.estimated_accuracy.interval)},
                    {"estimated_auto_precision", IntervalJson(precision.interval)},
                    {"measured_accuracy", measured_json},
                    {"measured_auto_precision", audit_precision},
                    {"shares",
                     {{"auto", Share(s.auto_records, s.records)},
                      {"kb", Share(s.kb_records, s.records)},
                      {"review", Share(s.review_records, s.records)}}},
                    {"unseen_feature_share", s.UnseenFeatureShare()},
                    {"no_known_feature_share", s.NoKnownFeatureShare()},
                    {"alarms", alarms},
                    {"drift", summary.drift.ToJson()},
                    {"new_codes", new_codes.ToJson()},
                    {"shadow", shadow}});
    history.push_back(std::move(summary));
  }
  const monitor::Recommendation rec = monitor::Recommend(
      *reference, history, monitor::RecommendationOptions{}, reviewed_earlier);
  json earlier = monitor::TestNewCodes(*reference,
                                       reviewed_earlier ? *reviewed_earlier
                                                        : monitor::ReviewedCodes{},
                                       monitor::NewCodeOptions{})
                     .ToJson();
  earlier["batch"] = reviewed_earlier ? json(std::to_string(earlier_batch)) : json(nullptr);
  out["new_codes_in_earlier_batches"] = std::move(earlier);
  out["status"] = rec.status;
  out["recommendation"] = rec.ToJson();
  out["batches"] = std::move(rows);
  if (rec.status != "ok") {
    const std::string since =
        rec.since_batch_index >= 0 && static_cast<size_t>(rec.since_batch_index) < batches.size()
            ? batches[static_cast<size_t>(rec.since_batch_index)].created_at
            : std::string();
    ASSIGN_OR_RETURN(out["training_window"], TrainingWindow(ws, production, since));
  }
  return out;
}

}  // namespace statcoder::registry
