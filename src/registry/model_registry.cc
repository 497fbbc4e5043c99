#include "registry/model_registry.h"

#include <algorithm>

#include "core/content_hash.h"
#include "core/file_util.h"
#include "registry/ethics.h"

namespace statcoder::registry {
namespace {

core::Result<std::optional<std::string>> AliasVersion(workspace::Workspace& ws,
                                                      const std::string& alias) {
  ASSIGN_OR_RETURN(std::optional<store::AliasRow> a,
                   ws.store().FindAlias(ws.config().classification, alias));
  if (!a) return std::optional<std::string>();
  return std::optional<std::string>(a->version);
}

core::Status MoveAlias(workspace::Workspace& ws, const std::string& alias,
                       const std::string& version, const std::string& reason) {
  store::AliasRow row;
  row.classification = ws.config().classification;
  row.alias = alias;
  row.version = version;
  row.reason = reason;
  row.actor = ws.actor();
  row.set_at = workspace::UtcNow();
  return ws.store().SetAlias(row);
}

}  // namespace

core::Result<store::ModelRow> ResolveModel(workspace::Workspace& ws, const std::string& ref) {
  store::MetadataStore& store = ws.store();
  if (ref == kCandidate || ref == kProduction) {
    ASSIGN_OR_RETURN(std::optional<std::string> v, AliasVersion(ws, ref));
    if (!v) {
      return core::NotFound("no " + ref + " model for classification '" +
                            ws.config().classification + "'" +
                            (ref == kProduction ? "; promote one with 'statcoder models promote'"
                                                : "; train one with 'statcoder train'"));
    }
    ASSIGN_OR_RETURN(std::optional<store::ModelRow> m, store.FindModel(*v));
    if (!m) return core::DataLoss("alias '" + ref + "' names version " + *v + ", not registered");
    return *m;
  }
  ASSIGN_OR_RETURN(std::optional<store::ModelRow> exact, store.FindModel(ref));
  if (exact) return *exact;
  ASSIGN_OR_RETURN(std::vector<store::ModelRow> all, store.ListModels());
  std::vector<std::string> versions;
  for (const auto& m : all) versions.push_back(m.version);
  ASSIGN_OR_RETURN(size_t i, workspace::MatchIdPrefix(versions, ref, "model version",
                                                      "statcoder models list"));
  return all[i];
}

core::Result<nlohmann::json> LoadModelReport(const workspace::Workspace& ws,
                                             const store::ModelRow& model) {
  if (model.report_path.empty()) {
    return core::NotFound("model " + model.version + " has no quality report");
  }
  ASSIGN_OR_RETURN(std::string text, core::ReadFile(ws.Path(model.report_path)));
  if (core::Sha256Hex(text) != model.report_sha256) {
    return core::DataLoss("quality report '" + ws.Path(model.report_path) + "' of model " +
                          model.version + " does not match its catalogued hash (edited?)");
  }
  nlohmann::json report = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (report.is_discarded()) {
    return core::DataLoss("quality report '" + ws.Path(model.report_path) + "' is not JSON");
  }
  return report;
}

core::Result<PromoteOutcome> Promote(workspace::Workspace& ws, const std::string& ref,
                                     const PromoteOptions& options) {
  if (options.force && options.reason.empty()) {
    return core::InvalidArgument("--force needs --reason \"...\": a forced promotion is audited");
  }
  PromoteOutcome out;
  ASSIGN_OR_RETURN(out.model, ResolveModel(ws, ref));
  if (out.model.archived) {
    return core::InvalidArgument("model " + out.model.version +
                                 " is archived; unarchive it before promoting it");
  }
  ASSIGN_OR_RETURN(nlohmann::json report, LoadModelReport(ws, out.model));
  out.verdict = CheckQualityGates(ws.config().gates, report);
  if (ws.config().gates.require_ethics) {
    ASSIGN_OR_RETURN(EthicsState ethics, EthicsStateOf(ws, out.model));
    GateCheck c{"ethics", "approved self-assessment", ethics.own ? ethics.own->status : "none",
                ethics.approved, ethics.explanation};
    if (!ethics.own && ethics.carried) c.actual = "carried over";
    out.verdict.passed = out.verdict.passed && c.passed;
    out.verdict.checks.push_back(std::move(c));
  }
  ASSIGN_OR_RETURN(std::optional<std::string> current, AliasVersion(ws, kProduction));
  out.previous = current.value_or("");
  if (current && *current == out.model.version) {
    return core::FailedPrecondition("model " + out.model.version + " is already production");
  }
  if (!out.verdict.passed && !options.force) {
    // A refusal is audited too: who tried to promote what, and why it was refused.
    RETURN_IF_ERROR(ws.store().Transaction([&]() -> core::Status {
      return ws.Audit("promote_refused",
                      {{"version", out.model.version}, {"gates", out.verdict.ToJson()}})
          .status();
    }));
    return out;
  }
  out.forced = !out.verdict.passed;
  RETURN_IF_ERROR(ws.store().Transaction([&]() -> core::Status {
    RETURN_IF_ERROR(MoveAlias(ws, kProduction, out.model.version, out.forced ? "force" : "promote"));
    ASSIGN_OR_RETURN(std::optional<std::string> cand, AliasVersion(ws, kCandidate));
    if (cand && *cand == out.model.version) {
      RETURN_IF_ERROR(ws.store().ClearAlias(ws.config().classification, kCandidate));
    }
    nlohmann::json details = {{"version", out.model.version},
                              {"classification", ws.config().classification},
                              {"previous", out.previous},
                              {"gates", out.verdict.ToJson()}};
    if (out.forced) details["reason"] = options.reason;
    return ws.Audit(out.forced ? "promote_forced" : "promote", std::move(details)).status();
  }));
  out.promoted = true;
  return out;
}

core::Result<store::ModelRow> Rollback(workspace::Workspace& ws) {
  const std::string& cls = ws.config().classification;
  ASSIGN_OR_RETURN(std::vector<store::AliasRow> history, ws.store().AliasHistory(cls, kProduction));
  // Replay the history as a stack: a promotion pushes, a rollback pops; the element under the
  // top is what the current production model replaced.
  std::vector<std::string> stack;
  for (const store::AliasRow& h : history) {
    if (h.reason == "rollback") {
      if (!stack.empty()) stack.pop_back();
    } else {
      stack.push_back(h.version);
    }
  }
  ASSIGN_OR_RETURN(std::optional<std::string> current, AliasVersion(ws, kProduction));
  if (!current || stack.size() < 2) {
    return core::FailedPrecondition("no earlier production model to roll back to for '" + cls +
                                    "'");
  }
  const std::string target = stack[stack.size() - 2];
  ASSIGN_OR_RETURN(std::optional<store::ModelRow> m, ws.store().FindModel(target));
  if (!m) return core::DataLoss("production history names version " + target + ", not registered");
  RETURN_IF_ERROR(ws.store().Transaction([&]() -> core::Status {
    RETURN_IF_ERROR(MoveAlias(ws, kProduction, target, "rollback"));
    if (m->archived) RETURN_IF_ERROR(ws.store().SetArchived(target, false));
    return ws.Audit("rollback", {{"version", target},
                                 {"classification", cls},
                                 {"replaced", *current}})
        .status();
  }));
  m->archived = false;
  return *m;
}

core::Status Archive(workspace::Workspace& ws, const std::string& ref, bool archive) {
  ASSIGN_OR_RETURN(store::ModelRow m, ResolveModel(ws, ref));
  if (m.archived == archive) return core::Status::Ok();
  ASSIGN_OR_RETURN(std::optional<std::string> prod, AliasVersion(ws, kProduction));
  if (archive && prod && *prod == m.version) {
    return core::FailedPrecondition("model " + m.version +
                                    " is production; promote another or roll back first");
  }
  return ws.store().Transaction([&]() -> core::Status {
    RETURN_IF_ERROR(ws.store().SetArchived(m.version, archive));
    if (archive) {
      ASSIGN_OR_RETURN(std::optional<std::string> cand, AliasVersion(ws, kCandidate));
      if (cand && *cand == m.version) {
        RETURN_IF_ERROR(ws.store().ClearAlias(ws.config().classification, kCandidate));
      }
    }
    return ws.Audit(archive ? "archive" : "unarchive", {{"version", m.version}}).status();
  });
}

core::Result<std::vector<std::string>> AliasesOf(workspace::Workspace& ws,
                                                 const std::string& version) {
  ASSIGN_OR_RETURN(std::vector<store::AliasRow> aliases, ws.store().ListAliases());
  std::vector<std::string> out;
  for (const auto& a : aliases) {
    if (a.version == version && a.classification == ws.config().classification) {
      out.push_back(a.alias);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

nlohmann::json ModelToJson(const store::ModelRow& m, const std::vector<std::string>& aliases) {
  return {{"version", m.version},
          {"number", m.number},
          {"classification", m.classification},
          {"aliases", aliases},
          {"archived", m.archived},
          {"path", m.path},
          {"file_sha256", m.file_sha256},
          {"snapshots", m.snapshots},
          {"evaluation_snapshots", m.evaluation_snapshots},
          {"options", m.options},
          {"seed", m.seed},
          {"statcoder_version", m.statcoder_version},
          {"codelist_sha256", m.codelist_sha256},
          {"data_sources", m.data_sources},
          {"report_path", m.report_path},
          {"report_sha256", m.report_sha256},
          {"actor", m.actor},
          {"created_at", m.created_at}};
}

}  // namespace statcoder::registry
