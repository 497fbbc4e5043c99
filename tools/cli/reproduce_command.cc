// statcoder reproduce: retrains a model from its training file with the options, seed and code
// list stored in the model (deterministic training, the default), and says whether the result is
// byte-identical (QF4SA reproducibility). Exit code 0 when it is, 5 when it is not.
#include <chrono>
#include <optional>
#include <cstdio>
#include <memory>

#include "cli_common.h"
#include "commands.h"
#include "core/content_hash.h"
#include "core/file_util.h"
#include "model/crosswalk_training.h"
#include "model/model_io.h"
#include "model/trainer.h"

namespace statcoder::cli {
namespace {

struct ReproduceFlags {
  std::string model_path, data_path, out_path;
  int threads = 2;
  InputOptions input;
  bool json = false, quiet = false;
};

// The parts of two models that differ, to say where a non-identical retrain diverged.
std::vector<std::string> Differences(const model::ModelData& a, const model::ModelData& b) {
  std::vector<std::string> d;
  if (a.labels != b.labels) d.push_back("labels");
  if (a.features.ids() != b.features.ids() || a.features.idf() != b.features.idf()) {
    d.push_back("feature vocabulary");
  }
  if (a.linear.columns != b.linear.columns || a.linear.values != b.linear.values ||
      a.linear.row_scale != b.linear.row_scale || a.linear.bias != b.linear.bias) {
    d.push_back("weights");
  }
  if (a.temperature != b.temperature) d.push_back("calibration temperature");
  if (a.policy.ToJson() != b.policy.ToJson()) d.push_back("decision policy");
  if (a.metadata != b.metadata) d.push_back("metadata");
  return d;
}

core::Status RunReproduce(ReproduceFlags& f, bool* identical) {
  ASSIGN_OR_RETURN(const std::string original_bytes, core::ReadFile(f.model_path));
  ASSIGN_OR_RETURN(model::ModelData original,
                   model::DeserializeModel(original_bytes, f.model_path));
  const std::string original_version = model::ModelVersionId(original_bytes);
  const nlohmann::json& meta = original.metadata;
  if (!meta.contains("training_options") || !meta.contains("training_data")) {
    return core::FailedPrecondition("model '" + f.model_path +
                                    "' does not record its training options; it cannot be "
                                    "reproduced");
  }
  const nlohmann::json& training = meta["training_data"];
  const std::string label = training.value("label_field", std::string());
  if (label.empty()) {
    return core::FailedPrecondition(
        "model '" + f.model_path +
        "' does not record its label column (trained before statcoder 0.2.0); retrain it");
  }
  ASSIGN_OR_RETURN(model::TrainOptions options,
                   model::TrainOptions::FromJson(meta["training_options"], original.featurizer));
  const bool was_deterministic = options.deterministic;
  options.deterministic = true;
  options.threads = f.threads;
  // The featurizer stores the sharing the trainer chose; the choice is made again from the
  // data (deterministically), as in the original training, so its report is there too.
  if (meta.contains("text_field_sharing")) options.featurizer.share_text_fields = false;
  // Numeric bin edges are learned again from the data, as in the original training.
  for (auto& numeric : options.featurizer.numeric_fields) numeric.edges.clear();

  data::Schema schema;
  schema.id_field = training.value("id_field", std::string());
  schema.text_fields = original.featurizer.text_fields;
  schema.categorical_fields = original.featurizer.categorical_fields;
  for (const auto& n : original.featurizer.numeric_fields) schema.numeric_fields.push_back(n.field);
  schema.label_field = label;
  data::LoadOptions load;
  ASSIGN_OR_RETURN(load.reader, f.input.ToReaderOptions());
  const data::CodeList* codes = original.code_list ? &*original.code_list : nullptr;
  // A model trained through a crosswalk keeps the table; its labels are old-version codes.
  std::optional<data::Crosswalk> crosswalk;
  if (meta.contains("crosswalk_training")) {
    ASSIGN_OR_RETURN(crosswalk, model::CrosswalkOfModel(original));
  }
  ASSIGN_OR_RETURN(data::Dataset ds,
                   data::LoadDataset(f.data_path, schema, load, crosswalk ? nullptr : codes));
  const std::string expected_sha = training.value("sha256", std::string());
  if (ds.content_hash != expected_sha) {
    return core::FailedPrecondition(
        "'" + f.data_path + "' is not the file the model was trained on (SHA-256 " +
        ds.content_hash.substr(0, 16) + "…, the model records " + expected_sha.substr(0, 16) +
        "… for '" + training.value("path_name", std::string()) + "')");
  }
  RETURN_IF_ERROR(HandleRejects(ds, f.input, f.data_path + ".rejects.tsv"));
  const size_t unmapped = crosswalk ? model::DropUnmappedRecords(*crosswalk, label, &ds) : 0;

  const auto start = std::chrono::steady_clock::now();
  core::Result<model::ModelData> result =
      crosswalk ? model::TrainThroughCrosswalk(ds, *crosswalk, options, codes, unmapped,
                                               MakeProgressBar(f.quiet || f.json))
                : model::Train(ds, options, codes, MakeProgressBar(f.quiet || f.json));
  if (!result.ok()) return result.status();
  model::ModelData retrained = *std::move(result);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // What the train command adds after training, so the files compare like for like.
  retrained.metadata["training_data"]["label_field"] = label;
  if (!schema.id_field.empty()) retrained.metadata["training_data"]["id_field"] = schema.id_field;
  // A re-chosen policy (statcoder policy) is not part of training; compare the trained model.
  const bool policy_rechosen = original.policy.chosen_on == "labelled_set";
  if (policy_rechosen) retrained.policy = original.policy;
  ASSIGN_OR_RETURN(const std::string bytes, model::SerializeModel(retrained));
  *identical = bytes == original_bytes;
  const std::string version = model::ModelVersionId(bytes);
  if (!f.out_path.empty()) RETURN_IF_ERROR(core::WriteFileAtomic(f.out_path, bytes));

  std::string why;
  if (!*identical && !was_deterministic) {
    why =
        "the model was trained in fast mode (--hogwild: SGD threads without locks), which is "
        "not bit-exact; train without --hogwild (the default is deterministic) for models that "
        "must be reproducible byte for byte";
  } else if (!*identical) {
    why =
        "a deterministic training run gave a different model: different statcoder version "
        "or build (the model says " +
        meta.value("statcoder_version", std::string("?")) + "), or a bug; please report it";
  }
  nlohmann::json j = {
      {"identical", *identical},
      {"original_version", original_version},
      {"reproduced_version", version},
      {"original_mode", was_deterministic ? "deterministic" : "hogwild"},
      {"training_seconds", seconds},
      {"data_sha256", ds.content_hash},
      {"policy_rechosen", policy_rechosen},
      {"differences", *identical ? std::vector<std::string>{} : Differences(original, retrained)},
      {"reason", why}};
  if (!f.out_path.empty()) j["out"] = f.out_path;
  if (f.json) {
    std::printf("%s\n", j.dump(2).c_str());
    return core::Status::Ok();
  }
  if (*identical) {
    std::printf("reproduced: byte-identical model %s from %s in %.1f s\n", version.c_str(),
                f.data_path.c_str(), seconds);
  } else {
    std::printf("NOT byte-identical: original %s, retrained %s (differs in: %s)\n  %s\n",
                original_version.c_str(), version.c_str(),
                nlohmann::json(Differences(original, retrained)).dump().c_str(), why.c_str());
  }
  return core::Status::Ok();
}

}  // namespace

Command AddReproduceCommand(CLI::App& app) {
  auto flags = std::make_shared<ReproduceFlags>();
  CLI::App* sub = app.add_subcommand(
      "reproduce",
      "Retrain a model from its training file in deterministic mode and check it is "
      "byte-identical (exit 0 if so, 5 if not)");
  sub->add_option("--model", flags->model_path, "Model file to reproduce")->required();
  sub->add_option("--data", flags->data_path, "The file it was trained on")->required();
  sub->add_option("--out", flags->out_path, "Also write the retrained model here");
  sub->add_option("--threads", flags->threads,
                  "Training threads (the result does not depend on it)")
      ->capture_default_str();
  flags->input.AddTo(sub);
  sub->add_flag("--json", flags->json, "Print the result as one JSON object");
  sub->add_flag("--quiet", flags->quiet, "No progress bar");
  return {sub, [flags] {
            bool identical = false;
            core::Status s = RunReproduce(*flags, &identical);
            if (!s.ok()) return ReportError("reproduce", s, flags->json);
            return static_cast<int>(identical ? kExitOk : kExitPrecondition);
          }};
}

}  // namespace statcoder::cli
