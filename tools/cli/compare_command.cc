// statcoder compare: champion vs challenger on the same labelled snapshot, with paired tests
// (registry/comparison.h).
#include <cstdio>

#include "cli_common.h"
#include "commands.h"
#include "registry/comparison.h"
#include "workspace_args.h"

namespace statcoder::cli {
namespace {

struct CompareFlags {
  WorkspaceArgs ws;
  registry::CompareOptions options;
  double target_precision = 0;
  CLI::Option* target_option = nullptr;  // given: target_precision overrides [gates]
};

std::string Percent(const nlohmann::json& share) {
  if (!share.is_number()) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", 100.0 * share.get<double>());
  return buf;
}

std::string IntervalText(const nlohmann::json& interval) {
  if (!interval["low"].is_number() || !interval["high"].is_number()) return "";
  char buf[64];
  std::snprintf(buf, sizeof buf, " (95%% interval %+.1f to %+.1f points)",
                100.0 * interval["low"].get<double>(), 100.0 * interval["high"].get<double>());
  return buf;
}

void PrintSummary(const nlohmann::json& r, const std::string& path) {
  const nlohmann::json& a = r["champion"];
  const nlohmann::json& b = r["challenger"];
  std::printf("compare on snapshot %s: %llu records\n",
              r["snapshot"]["id"].get<std::string>().substr(0, 12).c_str(),
              static_cast<unsigned long long>(r["records"].get<uint64_t>()));
  std::printf("  %-26s %-18s %-18s\n", "", "champion", "challenger");
  std::printf("  %-26s %-18s %-18s\n", "model", a["version"].get<std::string>().c_str(),
              b["version"].get<std::string>().c_str());
  std::printf("  %-26s %-18s %-18s\n", "accuracy", Percent(a["accuracy"]).c_str(),
              Percent(b["accuracy"]).c_str());
  const nlohmann::json& levels = r["paired"]["level_accuracy"];
  for (size_t l = 0; l < levels.size(); ++l) {
    char p[32];
    std::snprintf(p, sizeof p, "p = %.2g", levels[l]["p_value"].get<double>());
    std::printf("  %-26s %-18s %-18s %s\n",
                ("  level " + std::to_string(levels[l]["level"].get<int>()) + " " +
                 levels[l]["name"].get<std::string>())
                    .substr(0, 26)
                    .c_str(),
                Percent(a["level_accuracy"][l]["accuracy"]).c_str(),
                Percent(b["level_accuracy"][l]["accuracy"]).c_str(), p);
  }
  std::printf("  %-26s %-18s %-18s\n", "auto-coded (own policy)", Percent(a["auto_rate"]).c_str(),
              Percent(b["auto_rate"]).c_str());
  std::printf("  %-26s %-18s %-18s\n", "  precision", Percent(a["auto_precision"]).c_str(),
              Percent(b["auto_precision"]).c_str());
  char target[64];
  std::snprintf(target, sizeof target, "full code at %.0f%% prec.*",
                100.0 * r["target_precision"].get<double>());
  std::printf("  %-26s %-18s %-18s\n", target, Percent(a["auto_rate_at_target"]).c_str(),
              Percent(b["auto_rate_at_target"]).c_str());
  const nlohmann::json& paired = r["paired"];
  std::printf("  discordant records: champion only right %llu, challenger only right %llu\n",
              static_cast<unsigned long long>(paired["accuracy"]["b"].get<uint64_t>()),
              static_cast<unsigned long long>(paired["accuracy"]["c"].get<uint64_t>()));
  std::printf("  accuracy difference %+.1f points%s\n",
              100.0 * paired["accuracy"]["difference"].get<double>(),
              IntervalText(paired["accuracy_difference"]).c_str());
  const nlohmann::json& cov = paired["auto_rate_at_target_difference"];
  if (cov["value"].is_number()) {
    std::printf("  auto-rate-at-target difference %+.1f points%s\n",
                100.0 * cov["value"].get<double>(), IntervalText(cov).c_str());
  }
  std::printf(
      "  * largest share auto-coded with the full code at that precision on these records "
      "(cut chosen on them)\n");
  if (a["trained_on_snapshot"].get<bool>() || b["trained_on_snapshot"].get<bool>()) {
    std::printf("  warning: a model was trained on this snapshot; compare on new records\n");
  }
  std::printf("verdict: %s\n%s\nreport: %s\n", r["verdict"].get<std::string>().c_str(),
              r["summary"].get<std::string>().c_str(), path.c_str());
}

core::Status Run(CompareFlags& f) {
  ASSIGN_OR_RETURN(std::unique_ptr<workspace::Workspace> ws, f.ws.Open(0, false, nullptr));
  if (f.target_option->count() > 0) f.options.target_precision = f.target_precision;
  ASSIGN_OR_RETURN(registry::Comparison c, registry::CompareModels(*ws, f.options));
  if (f.ws.json) {
    PrintJson(c.report);
  } else {
    PrintSummary(c.report, ws->Path(c.report_path));
  }
  return core::Status::Ok();
}

}  // namespace

Command AddCompareCommand(CLI::App& app) {
  auto f = std::make_shared<CompareFlags>();
  CLI::App* sub = app.add_subcommand(
      "compare",
      "Champion vs challenger: two registered models on the same labelled snapshot, "
      "with McNemar's exact test and paired-bootstrap intervals");
  f->ws.AddTo(sub, "");
  sub->add_option("--champion", f->options.champion,
                  "The model to beat: production, candidate, a version or a unique prefix")
      ->capture_default_str();
  sub->add_option("--challenger", f->options.challenger,
                  "The model that would replace it: candidate, a version or a unique prefix")
      ->required();
  sub->add_option("--data", f->options.snapshot,
                  "Labelled snapshot id (or unique prefix) both models are measured on; not one "
                  "they were trained on")
      ->required();
  f->target_option =
      sub->add_option("--target-precision", f->target_precision,
                      "Precision at which auto-coding rates are compared, (0, 1] (default: [gates] "
                      "target_precision of statcoder.toml)");
  sub->add_option("--replicates", f->options.replicates, "Paired-bootstrap replicates (0: none)")
      ->capture_default_str();
  sub->add_option("--seed", f->options.seed, "Seed of the bootstrap draws")->capture_default_str();
  sub->add_option("--alpha", f->options.alpha, "Significance level of the verdict")
      ->capture_default_str();
  sub->add_option("--threads", f->options.threads, "Coding threads (0: [training] threads)")
      ->capture_default_str();
  return {sub, [f] {
            const core::Status s = Run(*f);
            return s.ok() ? kExitOk : ReportError("compare", s, f->ws.json);
          }};
}

}  // namespace statcoder::cli
