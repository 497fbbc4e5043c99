// statcoder train: learn a model from coded records.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <set>
#include <string_view>

#include "cli_common.h"
#include "core/build_info.h"
#include "core/file_util.h"
#include "commands.h"
#include "data/code_list.h"
#include "data/crosswalk.h"
#include "joint_commands.h"
#include "model/crosswalk_training.h"
#include "model/model_io.h"
#include "model/train_options.h"
#include "model/trainer.h"
#include "quality/coding_summary.h"
#include "registry/training_run.h"
#include "workspace_args.h"

namespace statcoder::cli {
namespace {

// "a.tsv,,b.tsv" → {"a.tsv", "", "b.tsv"}: positions matter (one code list per label field).
std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t comma = s.find(',', start);
    out.push_back(s.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

// A training option as the user gave it on the command line: a flag's text, or a switch.
struct GivenOption {
  const model::TrainOptionSpec* spec = nullptr;
  std::string flag;  // as typed, for messages
  std::string text;  // the flag's value
  bool is_switch = false;
  bool switch_value = false;
};

struct TrainFlags {
  std::string data_path, out_path, text, label, categorical, numeric, id;
  std::string codelist, codelist_code_column = "code", codelist_parent_column,
                        codelist_level_column, codelist_title_column = "title";
  // Training a new version from old-version labels: the correspondence table, and optionally
  // the old version's code list (checks the old labels and the table's from side).
  std::string crosswalk, from_codelist;
  // Joint models of SDMX keys: the allowed keys from a table or from an SDMX structure file
  // (and which of its data structures or dataflows: --structure-id).
  std::string valid_keys, structure, structure_id;
  // Columns holding a series' observations: their features become numeric fields.
  std::string series_values;
  std::string plausibility;  // joint models: rules on the series' values
  model::TrainOptions options;
  // The option table's flags the user gave, in order (a later one wins).
  std::vector<GivenOption> given;
  InputOptions input;
  bool json = false, quiet = false;
  // Training in a workspace: on lake snapshots, with statcoder.toml's options.
  WorkspaceArgs ws;
  std::vector<std::string> snapshots, evaluate_on;
  // Flags the user gave that only plain training reads (an error in a workspace, whose options
  // live in statcoder.toml), and whether --threads was given.
  std::vector<std::string> file_only_flags;
  bool threads_given = false;
};

// Applies the given option flags to f.options; an invalid value is reported under its flag.
core::Status ApplyGivenOptions(TrainFlags& f) {
  for (const GivenOption& g : f.given) {
    model::OptionValue value = g.switch_value;
    if (!g.is_switch) {
      core::Result<model::OptionValue> parsed = model::ParseOptionValue(*g.spec, g.text);
      if (!parsed.ok()) return core::InvalidArgument(g.flag + " " + parsed.status().message());
      value = *std::move(parsed);
    }
    const core::Status s = model::SetTrainOption(*g.spec, value, &f.options);
    if (!s.ok()) return core::InvalidArgument(g.flag + " " + s.message());
  }
  return core::Status::Ok();
}

bool Given(const TrainFlags& f, std::string_view flag) {
  return std::any_of(f.given.begin(), f.given.end(),
                     [&](const GivenOption& g) { return g.flag == flag; });
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
  if (f.threads_given) {
    RETURN_IF_ERROR(ApplyGivenOptions(f));
    options.threads = f.options.threads;
  }
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
  for (const std::string& column : SplitList(f.series_values)) {
    for (const char* feature : {"log_magnitude", "negative_share", "variation", "seasonality"}) {
      schema.numeric_fields.push_back(column + ":" + feature);
    }
  }
  schema.label_field = SplitList(f.label).front();
  RETURN_IF_ERROR(schema.Validate());

  model::TrainOptions& opt = f.options;
  opt.featurizer.text_fields = schema.text_fields;
  opt.featurizer.categorical_fields = schema.categorical_fields;
  for (const auto& n : schema.numeric_fields) opt.featurizer.numeric_fields.push_back({n, {}});
  RETURN_IF_ERROR(ApplyGivenOptions(f));
  // Either flag is the user's choice; without one the trainer chooses from the data.
  if (Given(f, "--per-field-text") && opt.featurizer.share_text_fields) {
    return core::InvalidArgument("--share-text-fields and --per-field-text contradict each other");
  }
  RETURN_IF_ERROR(opt.Validate());

  if (const std::vector<std::string> labels = SplitList(f.label); labels.size() > 1) {
    // Several classifications per record: a joint model (model/joint_model.h).
    if (!f.from_codelist.empty()) {
      return core::InvalidArgument("--from-codelist is for training through a --crosswalk from "
                                   "one --label; with several labels give --codelist A,B");
    }
    if (!f.crosswalk.empty() && (!f.valid_keys.empty() || !f.structure.empty())) {
      return core::InvalidArgument("give the allowed code tuples once: --crosswalk (two "
                                   "classifications), --valid-keys or --structure");
    }
    if (!f.valid_keys.empty() && !f.structure.empty()) {
      return core::InvalidArgument("--valid-keys and --structure both give the allowed keys; "
                                   "give one (a structure's constraints, or the table)");
    }
    if (!f.crosswalk.empty() && labels.size() != 2) {
      return core::InvalidArgument("--crosswalk with several --label fields is the table of "
                                   "allowed pairs of two classifications; got " +
                                   std::to_string(labels.size()) + " label fields");
    }
    JointTrainRequest r;
    r.allowed_table = f.crosswalk;
    r.valid_keys = f.valid_keys;
    r.structure = f.structure;
    r.structure_id = f.structure_id;
    r.plausibility = f.plausibility;
    r.data_path = f.data_path;
    r.out_path = f.out_path;
    r.schema = schema;
    r.labels = labels;
    if (!f.codelist.empty()) r.codelists = Split(f.codelist);
    r.codelist_options.code_column = f.codelist_code_column;
    r.codelist_options.parent_column = f.codelist_parent_column;
    r.codelist_options.level_column = f.codelist_level_column;
    r.codelist_options.title_column = f.codelist_title_column;
    r.options = opt;
    r.input = f.input;
    r.json = f.json;
    r.quiet = f.quiet;
    return RunJointTrain(r);
  }

  if (!f.plausibility.empty()) {
    return core::InvalidArgument("--plausibility rules apply to a joint model's codes: give "
                                 "several --label fields");
  }
  if (!f.valid_keys.empty() || !f.structure.empty() || !f.structure_id.empty()) {
    return core::InvalidArgument(std::string(!f.valid_keys.empty() ? "--valid-keys"
                                             : !f.structure.empty() ? "--structure"
                                                                    : "--structure-id") +
                                 " gives the allowed combinations of several codes: name the "
                                 "label fields (dimensions) in --label, comma-separated");
  }
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
  // Through a crosswalk the labels are old-version codes: checked against the old code list
  // (when given) and the table, not against the new code list the model codes in.
  std::unique_ptr<data::CodeList> from_codes;
  std::optional<data::Crosswalk> crosswalk;
  if (!f.from_codelist.empty() && f.crosswalk.empty()) {
    return core::InvalidArgument("--from-codelist is the old version's code list of a "
                                 "--crosswalk; give the crosswalk too");
  }
  if (!f.crosswalk.empty()) {
    if (!f.from_codelist.empty()) {
      data::CodeListOptions co;
      co.code_column = f.codelist_code_column;
      ASSIGN_OR_RETURN(data::CodeList list, data::CodeList::Load(f.from_codelist, co));
      from_codes = std::make_unique<data::CodeList>(std::move(list));
    }
    data::CrosswalkOptions xo;
    ASSIGN_OR_RETURN(crosswalk, data::Crosswalk::Load(f.crosswalk, xo, from_codes.get(),
                                                      codes.get()));
  }
  const data::CodeList* label_codes = crosswalk ? from_codes.get() : codes.get();
  ASSIGN_OR_RETURN(data::Dataset ds, data::LoadDataset(f.data_path, schema, load, label_codes));
  RETURN_IF_ERROR(HandleRejects(ds, f.input, f.out_path + ".rejects.tsv"));
  size_t unmapped = 0;
  if (crosswalk) {
    // Records whose old code the table does not map have no new code to learn: they are
    // dropped from training, reported, and kept in the rejects file with the reason. They do
    // not count against --max-reject-share (the records themselves are sound), but a table
    // that maps under half of the records is almost certainly not the table for this column.
    const size_t total = ds.records.size();
    unmapped = model::DropUnmappedRecords(*crosswalk, f.label, &ds);
    if (unmapped > 0) {
      const std::string path =
          f.input.rejects_path.empty() ? f.out_path + ".rejects.tsv" : f.input.rejects_path;
      RETURN_IF_ERROR(data::WriteRejects(ds, path));
      std::fprintf(stderr,
                   "statcoder: %zu of %zu record(s) dropped: their '%s' code has no row in the "
                   "crosswalk '%s'; they are listed in '%s'\n",
                   unmapped, total, f.label.c_str(), f.crosswalk.c_str(), path.c_str());
    }
    if (unmapped * 2 > total) {
      return core::FailedPrecondition(
          "the crosswalk '" + f.crosswalk + "' maps only " + std::to_string(total - unmapped) +
          " of " + std::to_string(total) + " records' '" + f.label + "' codes (first: " +
          ds.rejections.front().reason + "); is it the table from this column's classification?");
    }
  }

  const auto start = std::chrono::steady_clock::now();
  core::Result<model::ModelData> result =
      crosswalk ? model::TrainThroughCrosswalk(ds, *crosswalk, opt, codes.get(), unmapped,
                                               MakeProgressBar(f.quiet || f.json))
                : model::Train(ds, opt, codes.get(), MakeProgressBar(f.quiet || f.json));
  if (!result.ok()) return result.status();
  model::ModelData trained = *std::move(result);
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
  if (crosswalk) {
    const nlohmann::json& x = trained.metadata["crosswalk_training"];
    summary["crosswalk"] = {{"from", x["from"]},           {"to", x["to"]},
                            {"unambiguous", x["unambiguous"]}, {"resolved", x["resolved"]},
                            {"left_ambiguous", x["left_ambiguous"]}, {"dropped", x["dropped"]}};
  }
  if (f.json) {
    std::printf("%s\n", summary.dump(2).c_str());
  } else {
    std::printf("trained %s (version %s) on %zu records, %zu codes, %zu features in %.1f s\n",
                f.out_path.c_str(), version.c_str(), ds.records.size(), trained.labels.size(),
                trained.features.size(), seconds);
    if (crosswalk) {
      const nlohmann::json& x = trained.metadata["crosswalk_training"];
      std::printf("labels through the crosswalk %s → %s: %llu unambiguous, %llu resolved from "
                  "the text, %llu left ambiguous (soft labels), %llu dropped (no row in the "
                  "table)\n",
                  x["from"].get<std::string>().c_str(), x["to"].get<std::string>().c_str(),
                  x["unambiguous"].get<unsigned long long>(), x["resolved"].get<unsigned long long>(),
                  x["left_ambiguous"].get<unsigned long long>(),
                  x["dropped"].get<unsigned long long>());
    }
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

std::string FlagTypeName(model::OptionType type) {
  switch (type) {
    case model::OptionType::kBool: return "BOOL";
    case model::OptionType::kInt: return "INT";
    case model::OptionType::kUnsigned: return "UINT";
    case model::OptionType::kDouble: return "FLOAT";
    case model::OptionType::kString: return "TEXT";
  }
  return "VALUE";
}

// The flags of the training option table (model/train_options.h): each value flag with the
// option's default and range, and each switch saying what it sets.
void AddTrainOptionFlags(CLI::App* sub, const std::shared_ptr<TrainFlags>& flags) {
  const model::TrainOptions defaults;
  for (const model::TrainOptionSpec& spec : model::TrainOptionTable()) {
    const model::TrainOptionSpec* option = &spec;
    const std::string doc(spec.doc);
    if (!spec.flag.empty()) {
      const std::string flag(spec.flag);
      sub->add_option_function<std::string>(
             flag,
             [flags, option, flag](const std::string& text) {
               flags->given.push_back({option, flag, text, false, false});
             },
             doc + (spec.type == model::OptionType::kBool ? "" : " Must be " +
                                                                  std::string(spec.rule) + "."))
          ->type_name(FlagTypeName(spec.type))
          ->default_str(model::FormatOptionValue(spec.get(defaults)));
    }
    for (const bool value : {true, false}) {
      const std::string flag(value ? spec.flag_true : spec.flag_false);
      if (flag.empty()) continue;
      sub->add_flag_callback(
          flag, [flags, option, flag, value] { flags->given.push_back({option, flag, "", true, value}); },
          "Sets " + std::string(spec.name) + " = " + (value ? "true" : "false") + ". " + doc);
    }
  }
}

}  // namespace

Command AddTrainCommand(CLI::App& app) {
  auto flags = std::make_shared<TrainFlags>();
  CLI::App* sub = app.add_subcommand("train", "Learn a coding model from coded records");
  sub->add_option("--data", flags->data_path, "Coded records (TSV, CSV or JSON Lines)");
  sub->add_option("--text", flags->text, "Free-text column(s), comma-separated");
  sub->add_option("--label", flags->label,
                  "Column holding the code; several, comma-separated (soc2020,isco08): a joint "
                  "model coding all of them consistently");
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
  sub->add_option("--numeric", flags->numeric,
                  "Numeric column(s), comma-separated; binned. COLUMN:FEATURE derives a feature "
                  "of the series of observations in COLUMN (log_magnitude, negative_share, "
                  "variation, seasonality, min, max, median)");
  sub->add_option("--series-values", flags->series_values,
                  "Column(s) holding a series' observations ('1.2;1.3;...'): their magnitude, "
                  "sign, variability and seasonality become numeric features");
  sub->add_option("--id", flags->id, "Record id column (for messages and rejects)");
  sub->add_option("--codelist", flags->codelist,
                  "Classification structure (code, parent or level, title) to validate labels "
                  "and roll probabilities up the hierarchy");
  sub->add_option("--codelist-code-column", flags->codelist_code_column)->capture_default_str();
  sub->add_option("--crosswalk", flags->crosswalk,
                  "Correspondence table (from code, to code, optional weight) from the "
                  "--label column's classification to --codelist's: trains a model that codes in "
                  "the new version from old-version labels. With two --label fields: the table "
                  "of the pairs allowed together");
  sub->add_option("--valid-keys", flags->valid_keys,
                  "With several --label fields: the table of allowed code tuples (a header "
                  "naming the label fields, one allowed key per row); keys never seen in "
                  "training may be coded when each code was");
  sub->add_option("--structure", flags->structure,
                  "With several --label fields named as dimensions: an SDMX-ML 2.1 or SDMX-JSON "
                  "structure message; its code lists check the labels and its Allowed content "
                  "constraints give the allowed keys");
  sub->add_option("--structure-id", flags->structure_id,
                  "Which data structure or dataflow of --structure (ID, AGENCY:ID or "
                  "AGENCY:ID(VERSION)); with --valid-keys, the STRUCTURE_ID SDMX-CSV output names");
  sub->add_option("--plausibility", flags->plausibility,
                  "With several --label fields: rules (dimension, code, feature, min, max, why) "
                  "on features of the series' values; a code a record's values make "
                  "implausible loses its probability, and a decided one is referred");
  sub->add_option("--from-codelist", flags->from_codelist,
                  "The old version's code list: checks --label's codes and the crosswalk's "
                  "from side");
  sub->add_option("--codelist-parent-column", flags->codelist_parent_column,
                  "Parent column; default: parents implied by code prefixes");
  sub->add_option("--codelist-level-column", flags->codelist_level_column,
                  "Level column (digits, level, code_length); default: detected");
  sub->add_option("--codelist-title-column", flags->codelist_title_column)->capture_default_str();
  AddTrainOptionFlags(sub, flags);
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
