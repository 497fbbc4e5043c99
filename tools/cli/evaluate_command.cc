// statcoder evaluate: accuracy of a model on labelled records, and with --report the QF4SA
// quality report (report.json + report.html, docs/formats/report_v1.md).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "cli_common.h"
#include "commands.h"
#include "core/file_util.h"
#include "joint_commands.h"
#include "quality/coding_summary.h"
#include "quality/confidence_metrics.h"
#include "quality/metrics.h"
#include "quality/quality_report.h"
#include "quality/report_html.h"

namespace statcoder::cli {
namespace {

// Records whose single-record latency is measured for the report.
constexpr size_t kLatencyRecords = 2000;

struct EvaluateFlags {
  CodingOptions coding;
  std::string label, report_dir, group;
  std::string memory, reporter;  // joint models: the reporter memory
  std::vector<std::string> dimension_columns;  // joint SDMX models: --sdmx-dimension
  bool show_examples = false;
  double coder_rate = 100;
  int bootstrap = 1000;
  uint64_t seed = 1;
  bool json = false, quiet = false;
};

// The `train` command's log beside the model, when there is one.
nlohmann::json ReadTrainingLog(const std::string& model_path) {
  core::Result<std::string> text = core::ReadFile(model_path + ".train.json");
  if (!text.ok()) return nullptr;
  return nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
}

core::Status WriteReport(const std::string& dir, const nlohmann::json& report) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return core::IoError("cannot create report folder '" + dir + "': " + ec.message());
  RETURN_IF_ERROR(core::WriteFileAtomic(dir + "/report.json", report.dump(2) + "\n"));
  return quality::WriteReportHtml(report, dir + "/report.html");
}

core::Status RunEvaluate(EvaluateFlags& f) {
  if (!(f.coder_rate > 0)) return core::InvalidArgument("--coder-rate must be above 0");
  if (f.bootstrap < 0 || f.bootstrap > 100000) {
    return core::InvalidArgument("--bootstrap must be in 0..100000");
  }
  if (!f.group.empty() && f.group == f.label) {
    return core::InvalidArgument("--group cannot be the label column '" + f.label + "'");
  }
  if (IsJointModelFile(f.coding.model_path)) {
    if (!f.report_dir.empty() || !f.group.empty()) {
      return core::InvalidArgument("--report and --group are not available for a joint model "
                                   "yet; evaluate gives per_label and joint accuracy");
    }
    return RunJointEvaluate(f.coding, SplitList(f.label), f.json, f.quiet,
                            {f.memory, f.reporter}, f.dimension_columns);
  }
  if (!f.memory.empty()) return core::InvalidArgument("--memory is for joint models");
  if (!f.dimension_columns.empty()) {
    return core::InvalidArgument("--sdmx-dimension is for joint models coding SDMX keys");
  }
  if (f.label.empty()) return core::InvalidArgument("--label is required");
  ASSIGN_OR_RETURN(CodedBatch batch,
                   LoadAndCode(f.coding, f.label, f.coding.data_path + ".rejects.tsv",
                               MakeProgressBar(f.quiet || f.json), /*evidence=*/true, f.group));
  const model::Model* m = batch.model.get();
  const data::Dataset& ds = batch.dataset;
  const std::vector<model::Prediction>& preds = batch.predictions;
  std::vector<std::string> truths;
  truths.reserve(ds.records.size());
  for (const auto& r : ds.records) truths.push_back(r.label);
  const quality::EvaluationSummary s = quality::Evaluate(*m, truths, preds);

  std::vector<double> conf;
  std::vector<uint8_t> correct;
  for (size_t i = 0; i < preds.size(); ++i) {
    conf.push_back(preds[i].top[0].probability);
    correct.push_back(m->label(static_cast<size_t>(preds[i].top[0].label)) == truths[i]);
  }
  const double ece = quality::ExpectedCalibrationError(conf, correct, 15);
  // What a perfectly calibrated model would show on as many records: the noise floor of `ece`.
  const double ece_floor = quality::ExpectedCalibrationErrorIfCalibrated(conf, 15);
  const nlohmann::json ece_by_level =
      quality::CalibrationByLevel(*m, truths, batch.evidence.evidence, 15);
  const nlohmann::json at_precision =
      quality::AutoRateAtPrecision(*m, truths, batch.evidence.evidence);
  const std::vector<std::string> warnings = quality::EvaluationWarnings(*m, ds.content_hash);
  // The report's first-screen sentences (quality/coding_summary.h), also without --report.
  const nlohmann::json summary = quality::CodingSummaryJson(
      quality::MeasureCodingOutcome(*m, truths, preds), quality::SummaryOptions{});

  nlohmann::json report = nullptr;
  if (!f.report_dir.empty() || !f.group.empty()) {
    quality::ReportInputs in;
    in.model = batch.model;
    in.dataset = &ds;
    in.predictions = &preds;
    in.evidence = &batch.evidence;
    in.label_field = f.label;
    in.group_field = f.group;
    in.coding_seconds = batch.seconds;
    in.threads = f.coding.threads;
    ASSIGN_OR_RETURN(in.latency, quality::MeasureLatency(batch.model, ds, kLatencyRecords));
    in.training_log = ReadTrainingLog(f.coding.model_path);
    in.model_path = f.coding.model_path;
    quality::ReportOptions options;
    options.show_examples = f.show_examples;
    options.coder_records_per_hour = f.coder_rate;
    options.bootstrap.replicates = f.bootstrap;
    options.bootstrap.seed = f.seed;
    ASSIGN_OR_RETURN(report, quality::BuildQualityReport(in, options));
    if (!f.report_dir.empty()) RETURN_IF_ERROR(WriteReport(f.report_dir, report));
  }

  nlohmann::json j = s.ToJson();
  j["model_version"] = m->version_id();
  j["rejected"] = ds.rejections.size();
  j["data_sha256"] = ds.content_hash;
  j["target_precision"] = m->data().policy.target_precision;
  j["ece"] = ece;
  j["ece_if_calibrated"] = ece_floor;
  j["ece_by_level"] = ece_by_level;
  j["auto_rate_at_precision"] = at_precision;
  j["warnings"] = warnings;
  j["summary"] = summary;
  if (!f.report_dir.empty()) j["report"] = f.report_dir + "/report.html";
  if (report.is_object() && report["subgroups"].is_object()) j["subgroups"] = report["subgroups"];
  for (const std::string& w : warnings)
    std::fprintf(stderr, "statcoder evaluate: warning: %s\n", w.c_str());
  if (f.json) {
    std::printf("%s\n", j.dump(2).c_str());
    return core::Status::Ok();
  }
  std::printf("model %s on %s: %llu records\n", m->version_id().c_str(), f.coding.data_path.c_str(),
              static_cast<unsigned long long>(s.records));
  std::printf("  top-1 accuracy     %.4f\n", s.accuracy);
  std::printf("  top-%d accuracy     %.4f\n", s.top_k, s.top_k_accuracy);
  std::printf("  macro-F1           %.4f\n", s.macro_f1);
  std::printf("  ECE (15 bins)      %.4f (a perfectly calibrated model: about %.4f on as many "
              "records)\n",
              ece, ece_floor);
  for (const nlohmann::json& level : ece_by_level) {
    std::printf("    at %-14s %.4f (about %.4f if calibrated)\n",
                (level["name"].get<std::string>() + ":").c_str(), level["ece"].get<double>(),
                level["ece_if_calibrated"].get<double>());
  }
  for (const auto& l : s.levels) {
    std::printf("  level %d %-10s accuracy %.4f (%llu records)\n", l.depth, l.name.c_str(),
                l.accuracy, static_cast<unsigned long long>(l.records));
  }
  std::printf("  auto-coded         %.4f of records (%llu), precision %.4f (target %.2f)\n",
              s.auto_rate, static_cast<unsigned long long>(s.auto_records), s.auto_precision,
              m->data().policy.target_precision);
  std::printf("    thresholds         %s\n",
              ThresholdsText(*m, m->data().policy.label_threshold,
                             m->data().policy.level_thresholds)
                  .c_str());
  for (const auto& l : s.levels) {
    if (l.auto_records == 0) continue;
    std::printf(
        "    at level %d %-10s %.4f of records (%llu), precision %.4f\n", l.depth, l.name.c_str(),
        static_cast<double>(l.auto_records) / static_cast<double>(std::max<uint64_t>(s.records, 1)),
        static_cast<unsigned long long>(l.auto_records), l.auto_precision);
  }
  std::printf("  auto-coding rate at target precision (thresholds from %s):\n",
              m->data().policy.chosen_on.c_str());
  PrintAutoRateAtPrecision(*m, at_precision);
  if (s.unseen_labels > 0) {
    std::printf(
        "  note: %llu record(s) have a true code never seen in training; they count "
        "as misses\n",
        static_cast<unsigned long long>(s.unseen_labels));
  }
  if (report.is_object() && report["subgroups"].is_object()) {
    const nlohmann::json& sg = report["subgroups"];
    std::printf("  subgroups by %s: %zu shown, %llu suppressed (< %llu records)\n", f.group.c_str(),
                sg["groups"].size(),
                static_cast<unsigned long long>(sg["suppressed_groups"].get<uint64_t>()),
                static_cast<unsigned long long>(sg["min_records"].get<uint64_t>()));
    for (const auto& g : sg["groups"]) {
      if (!g["flagged"].get<bool>()) continue;
      std::printf("    FLAGGED %s: %s\n", g["value"].get<std::string>().c_str(),
                  g["reasons"].dump().c_str());
    }
  }
  std::printf("  in short:\n");
  for (const nlohmann::json& sentence : summary["sentences"]) {
    std::printf("    %s\n", sentence["text"].get<std::string>().c_str());
  }
  if (!f.report_dir.empty()) std::printf("  report: %s/report.html\n", f.report_dir.c_str());
  return core::Status::Ok();
}

}  // namespace

Command AddEvaluateCommand(CLI::App& app) {
  auto flags = std::make_shared<EvaluateFlags>();
  CLI::App* sub = app.add_subcommand("evaluate", "Measure a model's accuracy on labelled records");
  flags->coding.AddTo(sub, "Labelled records (TSV, CSV or JSON Lines)");
  sub->add_option("--label", flags->label,
                  "Column holding the true code (a joint model: its label columns, "
                  "comma-separated; default: the model's)");
  sub->add_option("--memory", flags->memory,
                  "Joint models: confirmed codes per reporter and descriptor, reused first");
  sub->add_option("--reporter", flags->reporter, "The reporter column, for --memory");
  sub->add_option("--sdmx-dimension", flags->dimension_columns,
                  "Joint SDMX models: DIM=COLUMN, the input column holding a dimension the "
                  "model does not code, for the structure's constraints on it (default: the "
                  "column named as the dimension)")
      ->delimiter(',');
  sub->add_option("--report", flags->report_dir,
                  "Write the quality report (report.json, report.html) into this folder");
  sub->add_option("--group", flags->group,
                  "Column for subgroup quality (region, mode...); groups under 3 records are "
                  "not shown");
  sub->add_flag("--show-examples", flags->show_examples,
                "Put misclassified record texts in the report (confidential microdata!)");
  sub->add_option("--coder-rate", flags->coder_rate,
                  "Records a clerical coder codes per hour, for cost-effectiveness")
      ->default_val(100);
  sub->add_option("--bootstrap", flags->bootstrap,
                  "Bootstrap replicates for the 95% intervals (0: none)")
      ->default_val(1000);
  sub->add_option("--seed", flags->seed, "Seed of the bootstrap")->default_val(1);
  sub->add_flag("--json", flags->json, "Print the figures as one JSON object");
  sub->add_flag("--quiet", flags->quiet, "No progress bar");
  return {sub, [flags] {
            core::Status s = RunEvaluate(*flags);
            return s.ok() ? kExitOk : ReportError("evaluate", s, flags->json);
          }};
}

}  // namespace statcoder::cli
