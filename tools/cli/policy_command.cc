// statcoder policy: re-chooses a model's auto-coding thresholds on a labelled set, without
// retraining, and writes the model with the new (versioned) policy to a new file. The rules of
// the policy can be changed at the same time: minimum margin, sensitive codes that are always
// referred, codes never assigned automatically.
#include <cstdio>
#include <filesystem>
#include <memory>

#include "cli_common.h"
#include "commands.h"
#include "model/model_io.h"
#include "model/policy_fitting.h"
#include "quality/quality_report.h"

namespace statcoder::cli {
namespace {

struct PolicyFlags {
  CodingOptions coding;
  std::string label, out_path, refer_codes, no_auto_codes;
  double target_precision = -1;  // < 0: keep the model's
  double min_margin = -1;        // < 0: keep the model's
  double risk = -1;              // <= 0: keep the model's
  bool clear_codes = false, json = false, quiet = false;
};

core::Status RunPolicy(PolicyFlags& f) {
  std::error_code ec;
  if (std::filesystem::equivalent(f.coding.model_path, f.out_path, ec)) {
    return core::InvalidArgument(
        "--out must be a new file: model files are never rewritten (the old model stays "
        "valid for what it coded)");
  }
  ASSIGN_OR_RETURN(CodedBatch batch,
                   LoadAndCode(f.coding, f.label, f.coding.data_path + ".rejects.tsv",
                               MakeProgressBar(f.quiet || f.json), /*evidence=*/true));
  const model::Model& m = *batch.model;
  model::DecisionPolicy rules = m.data().policy;
  if (f.target_precision >= 0) rules.target_precision = f.target_precision;
  if (f.min_margin >= 0) rules.min_margin = f.min_margin;
  if (f.risk != -1 && !(f.risk > 0 && f.risk <= 0.5)) {
    return core::InvalidArgument("--risk must be in (0, 0.5]");
  }
  if (f.clear_codes) {
    rules.refer_codes.clear();
    rules.no_auto_codes.clear();
  }
  if (!f.refer_codes.empty()) rules.refer_codes = SplitList(f.refer_codes);
  if (!f.no_auto_codes.empty()) rules.no_auto_codes = SplitList(f.no_auto_codes);
  RETURN_IF_ERROR(rules.Validate(m.code_list()));

  std::vector<int32_t> truths;
  std::vector<std::string> truth_codes;
  for (const auto& r : batch.dataset.records) {
    truths.push_back(m.FindLabel(r.label));  // -1: never seen in training, always a miss
    truth_codes.push_back(r.label);
  }
  model::FitOptions fit;
  fit.risk = f.risk > 0 ? f.risk : m.data().policy.risk;
  model::DecisionPolicy policy = model::FitPolicy(
      rules, m.data().labels, m.code_list(), m.label_nodes(), batch.evidence.evidence, truths, fit);
  policy.method = "learn_then_test";
  policy.risk = fit.risk;
  policy.version = m.data().policy.version + 1;
  policy.chosen_on = "labelled_set";
  policy.chosen_on_records = truths.size();
  policy.chosen_on_sha256 = batch.dataset.content_hash;
  policy.previous_model = m.version_id();

  model::ModelData data = m.data();
  data.policy = policy;
  ASSIGN_OR_RETURN(std::shared_ptr<const model::Model> updated,
                   model::Model::Create(std::move(data)));
  ASSIGN_OR_RETURN(const std::string version, model::SaveModel(updated->data(), f.out_path));
  // In-sample figures: the thresholds were chosen on these records, so they are optimistic.
  const nlohmann::json in_sample =
      quality::AutoRateAtPrecision(*updated, truth_codes, batch.evidence.evidence);

  nlohmann::json j = {{"model", f.out_path},
                      {"model_version", version},
                      {"previous_model", m.version_id()},
                      {"policy", policy.ToJson()},
                      {"records", truths.size()},
                      {"rejected", batch.dataset.rejections.size()},
                      {"in_sample", in_sample}};
  if (f.json) {
    std::printf("%s\n", j.dump(2).c_str());
    return core::Status::Ok();
  }
  std::printf("wrote %s (version %s): policy v%u chosen on %zu records of %s (was %s)\n",
              f.out_path.c_str(), version.c_str(), policy.version, truths.size(),
              f.coding.data_path.c_str(), m.version_id().c_str());
  std::printf("  target precision %.2f: thresholds %s", policy.target_precision,
              ThresholdsText(*updated, policy.label_threshold, policy.level_thresholds).c_str());
  std::printf(
      "\n  min margin %.3f; %zu sensitive code(s) always referred; %zu code(s) never "
      "auto-coded\n",
      policy.min_margin, policy.refer_codes.size(), policy.no_auto_codes.size());
  std::printf("  on these records (in-sample, optimistic; evaluate on other records):\n");
  PrintAutoRateAtPrecision(*updated, in_sample);
  return core::Status::Ok();
}

}  // namespace

Command AddPolicyCommand(CLI::App& app) {
  auto flags = std::make_shared<PolicyFlags>();
  CLI::App* sub = app.add_subcommand(
      "policy", "Re-choose a model's auto-coding thresholds on labelled records (no retraining)");
  flags->coding.AddTo(sub, "Labelled records the thresholds are chosen on (not your test set)");
  sub->add_option("--label", flags->label, "Column holding the true code")->required();
  sub->add_option("--out", flags->out_path, "Model file to write with the new policy")->required();
  sub->add_option("--risk", flags->risk,
                  "Chance allowed that the auto-coded precision falls below the target "
                  "(default: the model's, 0.05)");
  sub->add_option("--target-precision", flags->target_precision,
                  "Precision the auto-coded records must reach (default: the model's)");
  sub->add_option("--min-margin", flags->min_margin,
                  "Probability lead over the runner-up needed to auto-code (default: the "
                  "model's)");
  sub->add_option("--refer-codes", flags->refer_codes,
                  "Sensitive codes, comma-separated: records coded at or under them always go "
                  "to a coder");
  sub->add_option("--no-auto-codes", flags->no_auto_codes,
                  "Codes never assigned automatically, comma-separated (a coarser level may "
                  "be)");
  sub->add_flag("--clear-codes", flags->clear_codes,
                "Drop the model's sensitive and no-auto code lists first");
  sub->add_flag("--json", flags->json, "Print the result as one JSON object");
  sub->add_flag("--quiet", flags->quiet, "No progress bar");
  return {sub, [flags] {
            core::Status s = RunPolicy(*flags);
            return s.ok() ? kExitOk : ReportError("policy", s, flags->json);
          }};
}

}  // namespace statcoder::cli
