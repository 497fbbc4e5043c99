// statcoder evaluate: accuracy of a model on labelled records.
#include <algorithm>
#include <cstdio>
#include <memory>

#include "cli_common.h"
#include "commands.h"
#include "quality/metrics.h"

namespace statcoder::cli {
namespace {

struct EvaluateFlags {
  CodingOptions coding;
  std::string label;
  bool json = false, quiet = false;
};

core::Status RunEvaluate(EvaluateFlags& f) {
  ASSIGN_OR_RETURN(CodedBatch batch,
                   LoadAndCode(f.coding, f.label, f.coding.data_path + ".rejects.tsv",
                               MakeProgressBar(f.quiet || f.json)));
  const model::Model* m = batch.model.get();
  const data::Dataset& ds = batch.dataset;
  const std::vector<model::Prediction>& preds = batch.predictions;
  std::vector<std::string> truths;
  truths.reserve(ds.records.size());
  for (const auto& r : ds.records) truths.push_back(r.label);
  const quality::EvaluationSummary s = quality::Evaluate(*m, truths, preds);

  nlohmann::json j = s.ToJson();
  j["model_version"] = m->version_id();
  j["rejected"] = ds.rejections.size();
  j["data_sha256"] = ds.content_hash;
  j["target_precision"] = m->data().policy.target_precision;
  if (f.json) {
    std::printf("%s\n", j.dump(2).c_str());
    return core::Status::Ok();
  }
  std::printf("model %s on %s: %llu records\n", m->version_id().c_str(),
              f.coding.data_path.c_str(),
              static_cast<unsigned long long>(s.records));
  std::printf("  top-1 accuracy     %.4f\n", s.accuracy);
  std::printf("  top-%d accuracy     %.4f\n", s.top_k, s.top_k_accuracy);
  std::printf("  macro-F1           %.4f\n", s.macro_f1);
  for (const auto& l : s.levels) {
    std::printf("  level %d %-10s accuracy %.4f (%llu records)\n", l.depth, l.name.c_str(),
                l.accuracy, static_cast<unsigned long long>(l.records));
  }
  std::printf("  auto-coded         %.4f of records (%llu), precision %.4f (target %.2f)\n",
              s.auto_rate, static_cast<unsigned long long>(s.auto_records), s.auto_precision,
              m->data().policy.target_precision);
  for (const auto& l : s.levels) {
    if (l.auto_records == 0) continue;
    std::printf("    at level %d %-10s %.4f of records (%llu), precision %.4f\n", l.depth,
                l.name.c_str(),
                static_cast<double>(l.auto_records) / static_cast<double>(std::max<uint64_t>(s.records, 1)),
                static_cast<unsigned long long>(l.auto_records), l.auto_precision);
  }
  if (s.unseen_labels > 0) {
    std::printf("  note: %llu record(s) have a true code never seen in training; they count "
                "as misses\n",
                static_cast<unsigned long long>(s.unseen_labels));
  }
  return core::Status::Ok();
}

}  // namespace

Command AddEvaluateCommand(CLI::App& app) {
  auto flags = std::make_shared<EvaluateFlags>();
  CLI::App* sub = app.add_subcommand("evaluate", "Measure a model's accuracy on labelled records");
  flags->coding.AddTo(sub, "Labelled records (TSV, CSV or JSON Lines)");
  sub->add_option("--label", flags->label, "Column holding the true code")->required();
  sub->add_flag("--json", flags->json, "Print the figures as one JSON object");
  sub->add_flag("--quiet", flags->quiet, "No progress bar");
  return {sub, [flags] {
            core::Status s = RunEvaluate(*flags);
            return s.ok() ? kExitOk : ReportError("evaluate", s, flags->json);
          }};
}

}  // namespace statcoder::cli
