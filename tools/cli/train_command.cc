// statcoder train: learn a model from coded records.
#include <chrono>
#include <cstdio>
#include <memory>
#include <set>

#include "cli_common.h"
#include "core/build_info.h"
#include "core/file_util.h"
#include "commands.h"
#include "data/code_list.h"
#include "model/model_io.h"
#include "model/trainer.h"
#include "quality/coding_summary.h"
#include "registry/training_run.h"
#include "workspace_args.h"

namespace statcoder::cli {
namespace {

struct TrainFlags {
  std::string data_path, out_path, text, label, categorical, numeric, id;
  std::string codelist, codelist_code_column = "code", codelist_parent_column,
                        codelist_level_column, codelist_title_column = "title";
  std::string char_ngrams = "3-4";
  model::TrainOptions options;
  InputOptions input;
  bool strip_accents = false, no_refit = false, no_sharing = false, json = false, quiet = false;
  bool hogwild = false, no_codelist_titles = false, per_field_text = false;
  // Training in a workspace: on lake snapshots, with statcoder.toml's options.
  WorkspaceArgs ws;
  std::vector<std::string> snapshots, evaluate_on;
  // Flags the user gave that only plain training reads (an error in a workspace, whose options
  // live in statcoder.toml), and whether --threads was given.
  std::vector<std::string> file_only_flags;
  bool threads_given = false;
};

core::Status ParseCharNgrams(const std::string& spec, text::FeaturizerConfig* config) {
  if (spec == "0" || spec == "off") {
    config->char_ngram_min = config->char_ngram_max = 0;
    return core::Status::Ok();
  }
  int lo = 0, hi = 0;
  char dash = 0;
  if (std::sscanf(spec.c_str(), "%d%c%d", &lo, &dash, &hi) != 3 || dash != '-') {
    return core::InvalidArgument("--char-ngrams must look like '3-5' or 'off', got '" + spec + "'");
  }
  config->char_ngram_min = lo;
  config->char_ngram_max = hi;
  return core::Status::Ok();
}

core::Status RunWorkspaceTrain(TrainFlags& f) {
  ASSIGN_OR_RETURN(std::unique_ptr<workspace::Workspace> ws, f.ws.Open(0, false, nullptr));
  registry::TrainingRunOptions options;
  for (const auto& s : f.snapshots) {
    for (auto& id : SplitList(s)) options.snapshots.push_back(id);
  }
  for (const auto& s : f.evaluate_on) {
    for (auto& id : SplitList(s)) options.evaluation_snapshots.push_back(id);
  }
  if (!f.file_only_flags.empty()) {
    std::string names;
    for (const auto& n : f.file_only_flags) names += (names.empty() ? "" : " ") + n;
    return core::InvalidArgument(
        "in a workspace, the data come from --snapshot and every training option from "
        "statcoder.toml [training]; remove " + names);
  }
  if (f.threads_given) options.threads = f.options.threads;
  options.progress = MakeProgressBar(f.quiet || f.json);
  ASSIGN_OR_RETURN(registry::TrainingRun run, registry::TrainAndRegister(*ws, options));
  const store::ModelRow& m = run.model;
  const nlohmann::json& report = run.report;
  nlohmann::json summary = {
      {"model", ws->Path(m.path)},
      {"model_version", m.version},
      {"number", m.number},
      {"created", run.created},
      {"snapshots", m.snapshots},
      {"evaluation_snapshots", m.evaluation_snapshots},
      {"training_records", run.training_records},
      {"evaluation_records", run.evaluation_records},
      {"training_seconds", run.training_seconds},
      {"report", ws->Path("reports/" + m.version + "/report.html")},
      {"accuracy", report.contains("/accuracy/top1/value"_json_pointer)
                       ? report["accuracy"]["top1"]["value"]
                       : nlohmann::json(nullptr)},
  };
  f.json = f.json || f.ws.json;
  if (f.json) {
    std::printf("%s\n", summary.dump(2).c_str());
  } else if (!run.created) {
    std::printf("model %s (#%lld) is already registered: same snapshots, options and seed\n",
                m.version.c_str(), static_cast<long long>(m.number));
  } else {
    std::printf("trained model %s (#%lld) on %llu records of %zu snapshot(s) in %.1f s; it is the "
                "candidate\n  quality report (%llu held-out records): %s\n  next: statcoder "
                "models promote %s %s\n",
                m.version.c_str(), static_cast<long long>(m.number),
                static_cast<unsigned long long>(run.training_records), m.snapshots.size(),
                run.training_seconds, static_cast<unsigned long long>(run.evaluation_records),
                summary["report"].get<std::string>().c_str(), ws->root().c_str(),
                m.version.c_str());
  }
  return core::Status::Ok();
}

core::Status RunTrain(TrainFlags& f) {
  if (!f.snapshots.empty() || !f.ws.workspace.empty() || !f.ws.positionals.empty()) {
    return RunWorkspaceTrain(f);
  }
  for (const auto& [value, flag] : {std::pair{&f.data_path, "--data"}, {&f.text, "--text"},
                                    {&f.label, "--label"}, {&f.out_path, "--out"}}) {
    if (value->empty()) {
      return core::InvalidArgument(std::string(flag) +
                                   " is required (or train in a workspace: statcoder train WS "
                                   "--snapshot ID)");
    }
  }
  data::Schema schema;
  schema.id_field = f.id;
  schema.text_fields = SplitList(f.text);
  schema.categorical_fields = SplitList(f.categorical);
  schema.numeric_fields = SplitList(f.numeric);
  schema.label_field = f.label;
  RETURN_IF_ERROR(schema.Validate());

  model::TrainOptions& opt = f.options;
  opt.featurizer.text_fields = schema.text_fields;
  opt.featurizer.categorical_fields = schema.categorical_fields;
  for (const auto& n : schema.numeric_fields) opt.featurizer.numeric_fields.push_back({n, {}});
  opt.featurizer.normalizer.strip_accents = f.strip_accents;
  RETURN_IF_ERROR(ParseCharNgrams(f.char_ngrams, &opt.featurizer));
  opt.refit = !f.no_refit;
  if (f.hogwild) opt.deterministic = false;
  if (f.no_codelist_titles) opt.codelist_titles = false;
  if (f.per_field_text && opt.featurizer.share_text_fields) {
    return core::InvalidArgument("--share-text-fields and --per-field-text contradict each other");
  }
  // Either flag is the user's choice; without one the trainer chooses from the data.
  if (f.per_field_text) opt.choose_text_field_sharing = false;
  opt.hierarchical_sharing = !f.no_sharing;
  RETURN_IF_ERROR(opt.Validate());

  std::unique_ptr<data::CodeList> codes;
  if (!f.codelist.empty()) {
    data::CodeListOptions co;
    co.code_column = f.codelist_code_column;
    co.parent_column = f.codelist_parent_column;
    co.level_column = f.codelist_level_column;
    co.title_column = f.codelist_title_column;
    ASSIGN_OR_RETURN(data::CodeList list, data::CodeList::Load(f.codelist, co));
    codes = std::make_unique<data::CodeList>(std::move(list));
  }

  ASSIGN_OR_RETURN(data::ReaderOptions reader, f.input.ToReaderOptions());
  data::LoadOptions load;
  load.reader = reader;
  ASSIGN_OR_RETURN(data::Dataset ds, data::LoadDataset(f.data_path, schema, load, codes.get()));
  RETURN_IF_ERROR(HandleRejects(ds, f.input, f.out_path + ".rejects.tsv"));

  const auto start = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(model::ModelData trained,
                   model::Train(ds, opt, codes.get(), MakeProgressBar(f.quiet || f.json)));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // With the column names in the model, `statcoder reproduce` needs only the file.
  trained.metadata["training_data"]["label_field"] = f.label;
  if (!f.id.empty()) trained.metadata["training_data"]["id_field"] = f.id;
  ASSIGN_OR_RETURN(std::string version, model::SaveModel(trained, f.out_path));
  // What cannot go into the model file without breaking byte-identical retraining (time,
  // machine) goes into a log beside it; the quality report reads it for timeliness.
  const nlohmann::json log = {{"model_version", version},
                              {"training_seconds", seconds},
                              {"threads", opt.threads},
                              {"records", ds.records.size()},
                              {"build", core::BuildInfo()},
                              {"platform", core::PlatformInfo()}};
  RETURN_IF_ERROR(core::WriteFileAtomic(f.out_path + ".train.json", log.dump(2) + "\n"));

  const nlohmann::json& cal = trained.metadata["calibration"];
  nlohmann::json summary = {
      {"model", f.out_path},
      {"model_version", version},
      {"records", ds.records.size()},
      {"rejected", ds.rejections.size()},
      {"labels", trained.labels.size()},
      {"features", trained.features.size()},
      {"training_seconds", seconds},
      {"temperature", trained.temperature},
      {"label_threshold", trained.policy.label_threshold},
      {"holdout_accuracy", cal.value("holdout_accuracy", 0.0)},
      {"data_sha256", ds.content_hash},
  };
  if (f.json) {
    std::printf("%s\n", summary.dump(2).c_str());
  } else {
    std::printf("trained %s (version %s) on %zu records, %zu codes, %zu features in %.1f s\n",
                f.out_path.c_str(), version.c_str(), ds.records.size(), trained.labels.size(),
                trained.features.size(), seconds);
    if (cal.contains("holdout_accuracy")) {
      // A threshold that no cut reaches is stored as 2.0; people read "never".
      // Cross-fitting scores every record with a model trained without it; otherwise a
      // held-out part was scored.
      const std::string scored =
          cal.contains("cross_fitting_folds")
              ? "out-of-fold check (" + std::to_string(cal["cross_fitting_folds"].get<int>()) +
                    " folds, every record)"
              : "held-out check (" +
                    std::to_string(static_cast<int>(opt.holdout_fraction * 100 + 0.5)) +
                    "% of records)";
      std::printf("%s: accuracy %.3f, temperature %.3f, "
                  "auto-code threshold %s for precision %.2f\n",
                  scored.c_str(), cal["holdout_accuracy"].get<double>(), trained.temperature,
                  quality::ThresholdText(trained.policy.label_threshold).c_str(),
                  opt.target_precision);
    }
  }
  return core::Status::Ok();
}

}  // namespace

Command AddTrainCommand(CLI::App& app) {
  auto flags = std::make_shared<TrainFlags>();
  CLI::App* sub = app.add_subcommand("train", "Learn a coding model from coded records");
  sub->add_option("--data", flags->data_path, "Coded records (TSV, CSV or JSON Lines)");
  sub->add_option("--text", flags->text, "Free-text column(s), comma-separated");
  sub->add_option("--label", flags->label, "Column holding the code");
  sub->add_option("--out", flags->out_path, "Model file to write (.stc)");
  // In a workspace, the data come from lake snapshots and the options from statcoder.toml.
  sub->add_option("workspace", flags->ws.positionals,
                  "Workspace (instead of --data/--text/--label/--out)");
  sub->add_option("--workspace", flags->ws.workspace, "Workspace folder");
  sub->add_option("--actor", flags->ws.actor, "Who is acting, for the audit trail");
  sub->add_option("--snapshot", flags->snapshots,
                  "Workspace: training snapshot id(s), comma-separated");
  sub->add_option("--evaluate-on", flags->evaluate_on,
                  "Workspace: snapshot(s) for the quality report (default: a seeded "
                  "[training] test_fraction of the training records, held out)");
  sub->add_option("--categorical", flags->categorical, "Categorical column(s), comma-separated");
  sub->add_option("--numeric", flags->numeric, "Numeric column(s), comma-separated; binned");
  sub->add_option("--id", flags->id, "Record id column (for messages and rejects)");
  sub->add_option("--codelist", flags->codelist,
                  "Classification structure (code, parent or level, title) to validate labels "
                  "and roll probabilities up the hierarchy");
  sub->add_option("--codelist-code-column", flags->codelist_code_column)->capture_default_str();
  sub->add_option("--codelist-parent-column", flags->codelist_parent_column,
                  "Parent column; default: parents implied by code prefixes");
  sub->add_option("--codelist-level-column", flags->codelist_level_column,
                  "Level column (digits, level, code_length); default: detected");
  sub->add_option("--codelist-title-column", flags->codelist_title_column)->capture_default_str();
  model::TrainOptions& o = flags->options;
  sub->add_option("--threads", o.threads, "Training threads")->capture_default_str();
  sub->add_option("--seed", o.seed, "Random seed")->capture_default_str();
  sub->add_flag("--deterministic", o.deterministic,
                "Byte-identical model for the same data, options and seed at any thread count "
                "(the default; kept for scripts that name it)");
  sub->add_flag("--hogwild", flags->hogwild,
                "Fast mode, NOT reproducible: threads update shared weights without locks");
  sub->add_option("--minibatch", o.minibatch,
                  "Deterministic mode: examples per mini-batch (1 = sequential SGD)")
      ->capture_default_str();
  sub->add_option("--epochs", o.epochs, "Passes over the data")->capture_default_str();
  sub->add_option("--lr", o.learning_rate, "Initial learning rate")->capture_default_str();
  sub->add_option("--optimizer", o.optimizer, "sgd or adagrad")->capture_default_str();
  sub->add_option("--word-ngrams", o.featurizer.word_ngrams, "Longest word n-gram")
      ->capture_default_str();
  sub->add_option("--char-ngrams", flags->char_ngrams, "Character n-gram lengths, e.g. 3-5, or off")
      ->capture_default_str();
  sub->add_flag("--strip-accents", flags->strip_accents, "Remove accents before featurising");
  sub->add_flag("--share-text-fields", o.featurizer.share_text_fields,
                "The same word in two text fields is one feature (default: chosen by the "
                "trainer on its held-out part)");
  sub->add_flag("--per-field-text", flags->per_field_text,
                "Each text field has its own features (default: chosen by the trainer)");
  sub->add_option("--min-count", o.min_feature_count, "Drop features seen in fewer records")
      ->capture_default_str();
  sub->add_option("--mean-weights-per-feature", o.mean_weights_per_feature,
                  "Weights kept per feature on average after training (model size)")
      ->capture_default_str();
  sub->add_option("--max-weights-per-feature", o.max_weights_per_feature,
                  "Most weights kept for any one feature")
      ->capture_default_str();
  sub->add_option("--numeric-bins", o.numeric_bins, "Quantile bins per numeric column")
      ->capture_default_str();
  sub->add_option("--calibration-folds", o.calibration_folds,
                  "Cross-fitting folds scoring every record out of sample for calibration and "
                  "thresholds (0: a held-out part, --holdout)")
      ->capture_default_str();
  sub->add_option("--holdout", o.holdout_fraction,
                  "Share of records held out to calibrate confidence and thresholds")
      ->capture_default_str();
  sub->add_option("--target-precision", o.target_precision,
                  "Precision the auto-coding threshold is chosen for")
      ->capture_default_str();
  sub->add_option("--risk", o.risk,
                  "Chance allowed that the auto-coded precision falls below the target "
                  "(certified thresholds)")
      ->capture_default_str();
  sub->add_option("--refit-epochs", o.refit_epochs,
                  "Passes continuing the calibrated model on all records (0: retrain from scratch)")
      ->capture_default_str();
  sub->add_flag("--no-refit", flags->no_refit,
                "Keep the model trained without the held-out part instead of refitting on all");
  sub->add_flag("--no-codelist-titles", flags->no_codelist_titles,
                "Do not add the code list's titles as training records");
  sub->add_flag("--no-hierarchical-sharing", flags->no_sharing,
                "Score codes independently instead of adding their code-list ancestors' outputs");
  flags->input.AddTo(sub);
  sub->add_flag("--json", flags->json, "Print the summary as JSON");
  sub->add_flag("--quiet", flags->quiet, "No progress bar");
  return {sub, [flags, sub] {
            static const std::set<std::string> kWorkspaceFlags = {
                "--snapshot", "--evaluate-on", "--workspace", "--actor", "--threads",
                "--json",     "--quiet",       "workspace",   "--help"};
            for (const CLI::Option* given : sub->get_options()) {
              if (given->count() > 0 && !kWorkspaceFlags.count(given->get_name())) {
                flags->file_only_flags.push_back(given->get_name());
              }
            }
            flags->threads_given = sub->get_option("--threads")->count() > 0;
            core::Status s = RunTrain(*flags);
            return s.ok() ? kExitOk : ReportError("train", s, flags->json || flags->ws.json);
          }};
}

}  // namespace statcoder::cli
