// statcoder monitor: is the production model still good enough? (docs/monitoring.md)
// statcoder shadow: let a challenger code live batches alongside it, without changing outputs.
#include <cstdio>
#include <string>
#include <vector>

#include "cli_common.h"
#include "commands.h"
#include "registry/model_registry.h"
#include "registry/monitoring.h"
#include "workspace_args.h"

namespace statcoder::cli {
namespace {

using json = nlohmann::json;

struct MonitorFlags {
  WorkspaceArgs ws;
  registry::MonitorOptions options;
};

std::string Percent(const json& v) {
  if (!v.is_number()) return "  –  ";
  char buf[16];
  std::snprintf(buf, sizeof buf, "%5.1f", 100 * v.get<double>());
  return buf;
}

core::Status RunMonitor(MonitorFlags& f) {
  ASSIGN_OR_RETURN(std::unique_ptr<workspace::Workspace> ws, f.ws.Open(0, false, nullptr));
  ASSIGN_OR_RETURN(json status, registry::MonitorStatus(*ws, f.options));
  if (f.ws.json) {
    PrintJson(status);
    return core::Status::Ok();
  }
  std::printf("%s: production model %s — status %s\n",
              status["classification"].get<std::string>().c_str(),
              status["model_version"].get<std::string>().c_str(),
              status["status"].get<std::string>().c_str());
  if (status.contains("note")) std::printf("  %s\n", status["note"].get<std::string>().c_str());
  if (status["reference"].is_object()) {
    const json& r = status["reference"];
    std::printf("  held-out accuracy %s%% (n %lld), auto precision %s%%\n",
                Percent(r["heldout_accuracy"]).c_str(), r["heldout_n"].get<long long>(),
                Percent(r["auto_precision"]).c_str());
  }
  if (!status["batches"].empty()) {
    std::printf("\n  %-5s %-20s %-6s %7s  %-17s %-9s %6s %6s  %s\n", "batch", "time", "source",
                "records", "est. accuracy %", "measured", "auto%", "review%", "alarms");
    for (const json& b : status["batches"]) {
      const json& e = b["estimated_accuracy"];
      const std::string est = Percent(e["value"]) + " (" + Percent(e["low"]) + "–" +
                              Percent(e["high"]) + ")";
      std::string alarms;
      for (const json& a : b["alarms"]) {
        alarms += (alarms.empty() ? "" : ", ") + a["statistic"].get<std::string>();
      }
      std::printf("  %-5s %-20s %-6s %7lld  %-17s %-9s %6s %6s  %s\n",
                  b["id"].get<std::string>().c_str(), b["time"].get<std::string>().c_str(),
                  b["source"].get<std::string>().c_str(), b["records"].get<long long>(),
                  est.c_str(),
                  b["measured_accuracy"].is_object()
                      ? Percent(b["measured_accuracy"]["value"]).c_str()
                      : "  –  ",
                  Percent(b["shares"]["auto"]).c_str(), Percent(b["shares"]["review"]).c_str(),
                  alarms.empty() ? "-" : alarms.c_str());
    }
  }
  if (status["recommendation"].is_object()) {
    const json& evidence = status["recommendation"]["evidence"];
    if (!evidence.empty()) std::printf("\n  evidence:\n");
    for (const json& e : evidence) {
      std::printf("  - [%s] %s\n", e.value("severity", "").c_str(),
                  e.value("message", "").c_str());
    }
  }
  if (status["training_window"].is_object()) {
    const json& w = status["training_window"];
    std::printf("\n  proposed training window: %s\n    %s\n", w["note"].get<std::string>().c_str(),
                w["command"].get<std::string>().c_str());
  }
  return core::Status::Ok();
}

struct ShadowFlags {
  WorkspaceArgs ws;  // positionals: on|off
  std::string challenger;
  std::string reason;
};

core::Status RunShadow(ShadowFlags& f) {
  std::vector<std::string> operands;
  ASSIGN_OR_RETURN(std::unique_ptr<workspace::Workspace> ws, f.ws.Open(1, false, &operands));
  const std::string mode = operands.at(0);
  if (mode != "on" && mode != "off") {
    return core::InvalidArgument("shadow takes 'on' or 'off', not '" + mode + "'");
  }
  const std::string& classification = ws->config().classification;
  json out;
  if (mode == "on") {
    if (f.challenger.empty()) {
      return core::InvalidArgument("shadow on needs --challenger VERSION (or 'candidate')");
    }
    ASSIGN_OR_RETURN(store::ModelRow challenger, registry::ResolveModel(*ws, f.challenger));
    if (challenger.classification != classification) {
      return core::InvalidArgument("model " + challenger.version + " codes classification '" +
                                   challenger.classification + "', not '" + classification + "'");
    }
    store::AliasRow row{.classification = classification,
                        .alias = "shadow",
                        .version = challenger.version,
                        .reason = f.reason.empty() ? "shadow on" : f.reason,
                        .actor = ws->actor(),
                        .set_at = workspace::UtcNow()};
    RETURN_IF_ERROR(ws->store().Transaction([&]() -> core::Status {
      RETURN_IF_ERROR(ws->store().SetAlias(row));
      return ws->Audit("shadow_on", {{"version", challenger.version},
                                     {"classification", classification},
                                     {"reason", row.reason}})
          .status();
    }));
    out = {{"shadow", "on"}, {"version", challenger.version}, {"classification", classification}};
  } else {
    ASSIGN_OR_RETURN(std::optional<store::ModelRow> current,
                     registry::ShadowModel(*ws, classification));
    if (!current) {
      return core::FailedPrecondition("shadow mode is already off for classification '" +
                                      classification + "'");
    }
    if (!f.challenger.empty()) {
      ASSIGN_OR_RETURN(store::ModelRow named, registry::ResolveModel(*ws, f.challenger));
      if (named.version != current->version) {
        return core::FailedPrecondition("the shadow challenger is " + current->version +
                                        ", not " + named.version);
      }
    }
    RETURN_IF_ERROR(ws->store().Transaction([&]() -> core::Status {
      RETURN_IF_ERROR(ws->store().ClearAlias(classification, "shadow"));
      return ws->Audit("shadow_off", {{"version", current->version},
                                      {"classification", classification},
                                      {"reason", f.reason}})
          .status();
    }));
    out = {{"shadow", "off"}, {"version", current->version}, {"classification", classification}};
  }
  if (f.ws.json) {
    PrintJson(out);
  } else {
    std::printf("shadow mode %s for %s: challenger %s%s\n", mode.c_str(),
                classification.c_str(), out["version"].get<std::string>().c_str(),
                mode == "on" ? " codes every batch alongside production (outputs unchanged)"
                             : " no longer codes batches");
  }
  return core::Status::Ok();
}

}  // namespace

Command AddMonitorCommand(CLI::App& app) {
  auto f = std::make_shared<MonitorFlags>();
  CLI::App* sub = app.add_subcommand(
      "monitor", "Monitoring status of the production model: ok, watch or retrain, with evidence");
  f->ws.AddTo(sub, "");
  sub->add_option("--since", f->options.since,
                  "Only batches coded at or after this UTC time (prefix: 2025-01, 2025-03-15)");
  sub->add_option("--classification", f->options.classification,
                  "Which classification's production model (default: the workspace's)");
  return {sub, [f] {
            core::Status s = RunMonitor(*f);
            return s.ok() ? kExitOk : ReportError("monitor", s, f->ws.json);
          }};
}

Command AddShadowCommand(CLI::App& app) {
  auto f = std::make_shared<ShadowFlags>();
  CLI::App* sub = app.add_subcommand(
      "shadow", "Shadow mode: a challenger codes every batch alongside production (on|off)");
  f->ws.AddTo(sub, "on|off");
  sub->add_option("--challenger", f->challenger,
                  "The challenger: version, unique prefix or 'candidate'");
  sub->add_option("--reason", f->reason, "Why (kept in the audit trail)");
  return {sub, [f] {
            core::Status s = RunShadow(*f);
            return s.ok() ? kExitOk : ReportError("shadow", s, f->ws.json);
          }};
}

}  // namespace statcoder::cli
