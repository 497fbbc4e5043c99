// statcoder models list|show|promote|rollback|archive|unarchive: the model registry.
#include <cstdio>

#include "cli_common.h"
#include "commands.h"
#include "registry/ethics.h"
#include "registry/model_registry.h"
#include "workspace_args.h"

namespace statcoder::cli {
namespace {

struct ModelsFlags {
  WorkspaceArgs list, show, promote, rollback, archive, unarchive;
  bool all = false, force = false;
  std::string reason;
};

void PrintVerdict(const registry::GateVerdict& v) {
  for (const auto& c : v.checks) {
    std::printf("  [%s] %-14s %s\n", c.passed ? " ok " : "FAIL", c.name.c_str(), c.detail.c_str());
  }
}

core::Status RunList(ModelsFlags& f) {
  ASSIGN_OR_RETURN(std::unique_ptr<workspace::Workspace> ws, f.list.Open(0, false, nullptr));
  ASSIGN_OR_RETURN(std::vector<store::ModelRow> models, ws->store().ListModels());
  nlohmann::json j = nlohmann::json::array();
  if (!f.list.json) {
    std::printf("%-4s %-18s %-22s %-21s %s\n", "#", "version", "aliases", "created", "snapshots");
  }
  for (const auto& m : models) {
    if (m.archived && !f.all) continue;
    ASSIGN_OR_RETURN(std::vector<std::string> aliases, registry::AliasesOf(*ws, m.version));
    if (f.list.json) {
      j.push_back(registry::ModelToJson(m, aliases));
      continue;
    }
    std::string a;
    for (const auto& x : aliases) a += (a.empty() ? "" : ",") + x;
    if (m.archived) a += (a.empty() ? "" : ",") + std::string("archived");
    std::string snaps;
    for (const auto& s : m.snapshots) snaps += (snaps.empty() ? "" : ",") + s.substr(0, 12);
    std::printf("%-4lld %-18s %-22s %-21s %s\n", static_cast<long long>(m.number),
                m.version.c_str(), a.c_str(), m.created_at.c_str(), snaps.c_str());
  }
  if (f.list.json) PrintJson({{"models", j}});
  return core::Status::Ok();
}

core::Status RunShow(ModelsFlags& f) {
  std::vector<std::string> refs;
  ASSIGN_OR_RETURN(std::unique_ptr<workspace::Workspace> ws, f.show.Open(1, false, &refs));
  ASSIGN_OR_RETURN(store::ModelRow m, registry::ResolveModel(*ws, refs[0]));
  ASSIGN_OR_RETURN(std::vector<std::string> aliases, registry::AliasesOf(*ws, m.version));
  ASSIGN_OR_RETURN(registry::EthicsState ethics, registry::EthicsStateOf(*ws, m));
  ASSIGN_OR_RETURN(nlohmann::json report, registry::LoadModelReport(*ws, m));
  const registry::GateVerdict gates = registry::CheckQualityGates(ws->config().gates, report);
  nlohmann::json j = registry::ModelToJson(m, aliases);
  j["ethics"] = registry::EthicsStateToJson(ethics);
  j["gates"] = gates.ToJson();
  if (f.show.json) {
    PrintJson(j);
    return core::Status::Ok();
  }
  std::printf("model %s (#%lld) of '%s'%s\n", m.version.c_str(), static_cast<long long>(m.number),
              m.classification.c_str(), m.archived ? " [archived]" : "");
  std::printf("  aliases       %s\n", nlohmann::json(aliases).dump().c_str());
  std::printf("  trained on    %s\n", nlohmann::json(m.snapshots).dump().c_str());
  std::printf("  data sources  %s\n", nlohmann::json(m.data_sources).dump().c_str());
  std::printf("  evaluated on  %s\n", m.evaluation_snapshots.empty()
                                         ? "held-out part of the training snapshots"
                                         : nlohmann::json(m.evaluation_snapshots).dump().c_str());
  std::printf("  seed %llu, statcoder %s, by %s at %s\n", static_cast<unsigned long long>(m.seed),
              m.statcoder_version.c_str(), m.actor.c_str(), m.created_at.c_str());
  std::printf("  file          %s\n  report        %s\n", ws->Path(m.path).c_str(),
              ws->Path("reports/" + m.version + "/report.html").c_str());
  std::printf("  ethics        %s\n  quality gates:\n", ethics.explanation.c_str());
  PrintVerdict(gates);
  return core::Status::Ok();
}

core::Status RunPromote(ModelsFlags& f) {
  std::vector<std::string> refs;
  ASSIGN_OR_RETURN(std::unique_ptr<workspace::Workspace> ws, f.promote.Open(1, false, &refs));
  ASSIGN_OR_RETURN(registry::PromoteOutcome o,
                   registry::Promote(*ws, refs[0], {.force = f.force, .reason = f.reason}));
  if (f.promote.json) {
    PrintJson({{"version", o.model.version},
               {"promoted", o.promoted},
               {"forced", o.forced},
               {"previous", o.previous},
               {"gates", o.verdict.ToJson()}});
  } else {
    std::printf("%s model %s%s\n", o.promoted ? (o.forced ? "FORCED promotion of" : "promoted")
                                              : "refused to promote",
                o.model.version.c_str(), o.promoted ? " to production" : "");
    PrintVerdict(o.verdict);
  }
  if (!o.promoted) {
    std::string failed;
    for (const auto& c : o.verdict.checks) {
      if (!c.passed) failed += (failed.empty() ? "" : ", ") + c.name;
    }
    return core::FailedPrecondition("gates not met (" + failed +
                                    "); fix them or use --force --reason \"...\" (audited)");
  }
  return core::Status::Ok();
}

core::Status RunRollback(ModelsFlags& f) {
  ASSIGN_OR_RETURN(std::unique_ptr<workspace::Workspace> ws, f.rollback.Open(0, false, nullptr));
  ASSIGN_OR_RETURN(store::ModelRow m, registry::Rollback(*ws));
  if (f.rollback.json) {
    PrintJson({{"production", m.version}});
  } else {
    std::printf("production is model %s again\n", m.version.c_str());
  }
  return core::Status::Ok();
}

core::Status RunArchive(WorkspaceArgs& args, bool archive) {
  std::vector<std::string> refs;
  ASSIGN_OR_RETURN(std::unique_ptr<workspace::Workspace> ws, args.Open(1, false, &refs));
  ASSIGN_OR_RETURN(store::ModelRow m, registry::ResolveModel(*ws, refs[0]));
  RETURN_IF_ERROR(registry::Archive(*ws, m.version, archive));
  if (args.json) {
    PrintJson({{"version", m.version}, {"archived", archive}});
  } else {
    std::printf("model %s %s\n", m.version.c_str(), archive ? "archived" : "restored");
  }
  return core::Status::Ok();
}

}  // namespace

Command AddModelsCommand(CLI::App& app) {
  auto f = std::make_shared<ModelsFlags>();
  CLI::App* sub = app.add_subcommand("models", "The model registry: versions, lineage, "
                                               "promotion to production, rollback");
  sub->require_subcommand(1);
  CLI::App* list = sub->add_subcommand("list", "Model versions with their aliases");
  f->list.AddTo(list, "");
  list->add_flag("--all", f->all, "Include archived versions");
  CLI::App* show = sub->add_subcommand("show", "One version: lineage, ethics, quality gates");
  f->show.AddTo(show, "VERSION|production|candidate");
  CLI::App* promote = sub->add_subcommand(
      "promote", "Make a version production, if its quality report passes the gates of "
                 "statcoder.toml and its ethics self-assessment is approved");
  f->promote.AddTo(promote, "VERSION|candidate");
  promote->add_flag("--force", f->force, "Promote even though gates fail (audited)");
  promote->add_option("--reason", f->reason, "Why the gates are overridden (with --force)");
  CLI::App* rollback = sub->add_subcommand("rollback", "Restore the previous production model");
  f->rollback.AddTo(rollback, "");
  CLI::App* archive = sub->add_subcommand("archive", "Hide a version (its files are kept)");
  f->archive.AddTo(archive, "VERSION");
  CLI::App* unarchive = sub->add_subcommand("unarchive", "Bring an archived version back");
  f->unarchive.AddTo(unarchive, "VERSION");
  return {sub, [=] {
            return RunSubverbs(
                "models",
                {{list, [f] { return RunList(*f); }, &f->list.json},
                 {show, [f] { return RunShow(*f); }, &f->show.json},
                 {promote, [f] { return RunPromote(*f); }, &f->promote.json},
                 {rollback, [f] { return RunRollback(*f); }, &f->rollback.json},
                 {archive, [f] { return RunArchive(f->archive, true); }, &f->archive.json},
                 {unarchive, [f] { return RunArchive(f->unarchive, false); },
                  &f->unarchive.json}});
          }};
}

}  // namespace statcoder::cli
