#include "registry/training_run.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <set>

#include "core/build_info.h"
#include "core/content_hash.h"
#include "core/file_util.h"
#include "core/random.h"
#include "core/version.h"
#include "lake/snapshot.h"
#include "model/batch_coder.h"
#include "model/model_io.h"
#include "model/trainer.h"
#include "quality/quality_report.h"
#include "quality/report_html.h"
#include "registry/model_registry.h"
#include "registry/monitoring.h"

namespace statcoder::registry {
namespace {

// Stream of core::DeriveSeed for the test split (the trainer uses others for its own splits).
constexpr uint64_t kTestSplitStream = 0x7465737453706C74ULL;  // "testSplt"
constexpr size_t kLatencyRecords = 2000;

struct Snapshots {
  std::vector<store::SnapshotRow> rows;
  data::Dataset records;  // all their records, in order
};

// Loads snapshots into one dataset with the workspace schema's fields.
core::Result<Snapshots> LoadAll(workspace::Workspace& ws, const std::vector<std::string>& refs,
                                const char* what) {
  const data::Schema& want = ws.config().schema;
  Snapshots out;
  std::set<std::string> seen;
  core::ContentHasher hasher;
  for (const std::string& ref : refs) {
    ASSIGN_OR_RETURN(store::SnapshotRow row, lake::ResolveSnapshot(ws.store(), ref));
    if (!seen.insert(row.id).second) continue;
    ASSIGN_OR_RETURN(data::Schema have, lake::SnapshotSchema(row));
    if (!lake::KindNeedsLabels(row.kind) && have.label_field.empty()) {
      return core::InvalidArgument("snapshot " + row.id + " is a " + row.kind +
                                   " snapshot without codes (records to code, not coded "
                                   "records); it cannot be used for " + what);
    }
    if (have.text_fields != want.text_fields ||
        have.categorical_fields != want.categorical_fields ||
        have.numeric_fields != want.numeric_fields || have.label_field.empty()) {
      return core::InvalidArgument("snapshot " + row.id +
                                   " was ingested with another schema than statcoder.toml's");
    }
    ASSIGN_OR_RETURN(data::Dataset ds, lake::LoadSnapshot(ws, row));
    // Snapshots are content-addressed: reviewed records exported as feedback are the batch
    // snapshot they came from when that batch carried the same codes. A batch with a code on
    // every record is coded records, whatever kind it was first ingested as.
    if (!lake::KindNeedsLabels(row.kind)) {
      const size_t uncoded = static_cast<size_t>(std::count_if(
          ds.records.begin(), ds.records.end(), [](const data::Record& r) { return r.label.empty(); }));
      if (uncoded > 0) {
        return core::InvalidArgument("snapshot " + row.id + " is a " + row.kind + " snapshot and " +
                                     std::to_string(uncoded) + " of its " +
                                     std::to_string(ds.records.size()) +
                                     " records have no code; it cannot be used for " + what);
      }
    }
    for (data::Record& r : ds.records) {
      if (want.group_field.empty() || have.group_field != want.group_field) r.group.clear();
      out.records.records.push_back(std::move(r));
    }
    hasher.Update(row.id);
    hasher.Update("\n");
    out.rows.push_back(std::move(row));
  }
  out.records.path = "snapshots";
  out.records.content_hash = hasher.FinishHex();
  return out;
}

// Splits off a seeded share of records for the report; the rest are learned from.
void SplitTest(const data::Dataset& all, double fraction, uint64_t seed, data::Dataset* train,
               data::Dataset* test) {
  std::vector<size_t> order(all.records.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  core::Random rng(core::DeriveSeed(seed, kTestSplitStream));
  rng.Shuffle(order);
  const auto n_test = static_cast<size_t>(fraction * static_cast<double>(order.size()) + 0.5);
  std::vector<uint8_t> is_test(order.size(), 0);
  for (size_t i = 0; i < n_test; ++i) is_test[order[i]] = 1;
  for (size_t i = 0; i < all.records.size(); ++i) {
    (is_test[i] ? test : train)->records.push_back(all.records[i]);
  }
}

std::vector<std::string> Ids(const std::vector<store::SnapshotRow>& rows) {
  std::vector<std::string> ids;
  for (const auto& r : rows) ids.push_back(r.id);
  return ids;
}

}  // namespace

core::Result<TrainingRun> TrainAndRegister(workspace::Workspace& ws,
                                           const TrainingRunOptions& options) {
  if (options.snapshots.empty()) {
    return core::InvalidArgument("train needs --snapshot ID[,ID...]; see 'statcoder snapshots list'");
  }
  const workspace::WorkspaceConfig& config = ws.config();
  model::TrainOptions train_options = config.training.options;
  if (options.threads > 0) train_options.threads = options.threads;
  RETURN_IF_ERROR(train_options.Validate());
  ASSIGN_OR_RETURN(std::shared_ptr<const data::CodeList> codes, ws.CodeList());

  ASSIGN_OR_RETURN(Snapshots training, LoadAll(ws, options.snapshots, "training"));
  data::Dataset train_set, test_set;
  std::vector<store::SnapshotRow> evaluation_rows;
  if (options.evaluation_snapshots.empty()) {
    SplitTest(training.records, config.training.test_fraction, train_options.seed, &train_set,
              &test_set);
    train_set.content_hash = core::Sha256Hex(training.records.content_hash + " train split " +
                                             std::to_string(config.training.test_fraction));
    test_set.content_hash = core::Sha256Hex(training.records.content_hash + " test split " +
                                            std::to_string(config.training.test_fraction));
  } else {
    train_set = std::move(training.records);
    ASSIGN_OR_RETURN(Snapshots eval, LoadAll(ws, options.evaluation_snapshots, "evaluation"));
    test_set = std::move(eval.records);
    evaluation_rows = std::move(eval.rows);
  }
  train_set.path = "workspace training snapshots";
  test_set.path = "workspace evaluation records";
  if (test_set.records.empty()) {
    return core::FailedPrecondition("no records left to measure the model's quality on; raise "
                                    "[training] test_fraction or give --evaluate-on");
  }

  const auto start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(model::ModelData trained,
                   model::Train(train_set, train_options, codes.get(), options.progress));
  TrainingRun run;
  run.training_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  run.training_records = train_set.records.size();
  run.evaluation_records = test_set.records.size();
  trained.metadata["training_data"]["snapshots"] = Ids(training.rows);
  trained.metadata["training_data"]["label_field"] = config.schema.label_field;

  // The model file: written in tmp/, named by its version id once complete.
  const std::string tmp = ws.TempPath("model.stc");
  ASSIGN_OR_RETURN(std::string version, model::SaveModel(trained, tmp));
  ASSIGN_OR_RETURN(std::optional<store::ModelRow> existing, ws.store().FindModel(version));
  if (existing) {
    std::remove(tmp.c_str());
    run.model = *existing;
    ASSIGN_OR_RETURN(run.report, LoadModelReport(ws, run.model));
    return run;
  }
  store::ModelRow& row = run.model;
  row.version = version;
  row.classification = config.classification;
  row.path = "models/" + version + ".stc";
  ASSIGN_OR_RETURN(row.file_sha256, core::Sha256File(tmp));
  RETURN_IF_ERROR(ws.MoveIntoPlace(tmp, row.path));

  // The quality report, on records the model did not learn from.
  ASSIGN_OR_RETURN(std::shared_ptr<const model::Model> model, model::LoadModel(ws.Path(row.path)));
  model::BatchEvidence evidence;
  const auto code_start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(std::vector<model::Prediction> predictions,
                   model::PredictBatch(model, test_set, 5, train_options.threads, nullptr,
                                       &evidence));
  quality::ReportInputs in;
  in.model = model;
  in.dataset = &test_set;
  in.predictions = &predictions;
  in.evidence = &evidence;
  in.label_field = config.schema.label_field;
  in.group_field = config.schema.group_field;
  in.coding_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - code_start).count();
  in.threads = train_options.threads;
  ASSIGN_OR_RETURN(in.latency, quality::MeasureLatency(model, test_set, kLatencyRecords));
  in.training_log = {{"model_version", version},
                     {"training_seconds", run.training_seconds},
                     {"threads", train_options.threads},
                     {"records", run.training_records},
                     {"build", core::BuildInfo()},
                     {"platform", core::PlatformInfo()}};
  in.model_path = ws.Path(row.path);
  ASSIGN_OR_RETURN(run.report, quality::BuildQualityReport(in, quality::ReportOptions{}));
  // The report folder appears whole or not at all, and is never replaced: another process
  // training the same model, or an attempt killed before its commit, may have placed one (with
  // other timings); then that one is the model's report.
  const std::string dir = "reports/" + version;
  const std::string staging = ws.TempPath("report");
  if (!std::filesystem::create_directory(staging)) {
    return core::IoError("cannot create '" + staging + "'");
  }
  RETURN_IF_ERROR(core::WriteFileAtomic(staging + "/train.json", in.training_log.dump(2) + "\n"));
  RETURN_IF_ERROR(quality::WriteReportHtml(run.report, staging + "/report.html"));
  RETURN_IF_ERROR(core::WriteFileAtomic(staging + "/report.json", run.report.dump(2) + "\n"));
  // What monitoring compares every coded batch with (docs/monitoring.md): the same statistics
  // of the held-out records, with their measured accuracy.
  RETURN_IF_ERROR(core::WriteFileAtomic(
      staging + "/reference.json",
      BuildReference(*model, test_set, predictions, train_set).ToJson().dump(1) + "\n"));
  RETURN_IF_ERROR(core::SyncDirectory(staging));
  RETURN_IF_ERROR(ws.PlaceIfAbsent(staging, dir).status());
  ASSIGN_OR_RETURN(const std::string report_text, core::ReadFile(ws.Path(dir + "/report.json")));
  run.report = nlohmann::json::parse(report_text, nullptr, /*allow_exceptions=*/false);
  if (run.report.is_discarded()) {
    return core::DataLoss("'" + ws.Path(dir + "/report.json") + "' is not JSON");
  }

  row.snapshots = Ids(training.rows);
  row.evaluation_snapshots = Ids(evaluation_rows);
  row.options = train_options.ToJson();
  row.options["test_fraction"] = options.evaluation_snapshots.empty()
                                     ? nlohmann::json(config.training.test_fraction)
                                     : nlohmann::json(nullptr);
  row.seed = train_options.seed;
  row.statcoder_version = core::kStatcoderVersion;
  row.codelist_sha256 = model->code_list() ? model->code_list()->Fingerprint() : "";
  std::set<std::string> sources;
  for (const auto& s : training.rows) sources.insert(s.data_source);
  row.data_sources.assign(sources.begin(), sources.end());
  row.report_path = dir + "/report.json";
  row.report_sha256 = core::Sha256Hex(report_text);
  row.actor = ws.actor();
  row.created_at = workspace::UtcNow();
  const core::Status committed = ws.store().Transaction([&]() -> core::Status {
    ASSIGN_OR_RETURN(row.number, ws.store().InsertModel(row));
    store::AliasRow alias{config.classification, kCandidate, version, "train", ws.actor(),
                          row.created_at};
    RETURN_IF_ERROR(ws.store().SetAlias(alias));
    return ws.Audit("train", {{"version", version},
                              {"number", row.number},
                              {"snapshots", row.snapshots},
                              {"evaluation_snapshots", row.evaluation_snapshots},
                              {"seed", row.seed},
                              {"statcoder_version", row.statcoder_version},
                              {"report_sha256", row.report_sha256}})
        .status();
  });
  if (committed.code() == core::StatusCode::kAlreadyExists) {
    // Another process registered the same model meanwhile.
    ASSIGN_OR_RETURN(std::optional<store::ModelRow> now, ws.store().FindModel(version));
    if (now) {
      run.model = *now;
      return run;
    }
  }
  RETURN_IF_ERROR(committed);
  run.created = true;
  return run;
}

}  // namespace statcoder::registry
