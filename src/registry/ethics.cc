#include "registry/ethics.h"

#include <algorithm>
#include <set>

namespace statcoder::registry {
namespace {

constexpr EthicsItem kItems[] = {
    {"public_good.1", "Public Good",
     "Coding these records with a model serves a clear public good: more consistent, timelier "
     "or cheaper official statistics."},
    {"public_good.2", "Public Good",
     "The benefits outweigh the risks to the people and businesses the records describe."},
    {"confidentiality.1", "Confidentiality and Data Security",
     "The microdata used to train and run the model are held securely, and only those who need "
     "them can see them."},
    {"confidentiality.2", "Confidentiality and Data Security",
     "The model, its reports and logs disclose nothing about identifiable individuals."},
    {"methods.1", "Methods and Quality",
     "The model's quality has been measured on data it did not learn from (quality report) and is "
     "fit for the statistics it feeds."},
    {"methods.2", "Methods and Quality",
     "Quality has been compared across relevant subgroups and any shortfall is understood."},
    {"methods.3", "Methods and Quality",
     "Records the model cannot code with enough confidence go to clerical coders."},
    {"legal.1", "Legal Compliance",
     "There is a legal basis for using the data this way (statistics and data protection law)."},
    {"legal.2", "Legal Compliance",
     "A data protection impact assessment has been done, or it is recorded why none is needed."},
    {"public_views.1", "Public Views and Engagement",
     "The views of the public or of the data's subjects on this use have been considered."},
    {"transparency.1", "Transparency",
     "The method, its data and its limits are documented and can be published."},
    {"transparency.2", "Transparency",
     "Each coding decision can be explained and traced to the model and data that made it."},
};

constexpr SensitiveArea kAreas[] = {
    {"health", "health or disability", 3},
    {"ethnicity_religion", "ethnicity, religion or beliefs", 3},
    {"sexuality_gender", "sexual orientation or gender identity", 3},
    {"criminal_justice", "crime, offending or the justice system", 3},
    {"children_vulnerable", "children or other vulnerable groups", 3},
    {"income_benefits", "income, debt or social benefits", 2},
    {"small_areas", "small areas or precise locations", 2},
    {"data_linkage", "records linked across sources", 2},
    {"new_source", "a new or private-sector data source", 1},
};

constexpr const char* kRatings[] = {"met", "partly_met", "not_met", "not_applicable"};

double RiskScore(const nlohmann::json& areas) {
  double score = 0;
  for (const auto& a : areas) {
    for (const SensitiveArea& s : kAreas) {
      if (a == s.id) score += s.weight;
    }
  }
  return score;
}

// The model's latest assessment, or none.
core::Result<std::optional<store::EthicsAssessment>> Latest(workspace::Workspace& ws,
                                                           const std::string& version) {
  ASSIGN_OR_RETURN(std::vector<store::EthicsAssessment> all, ws.store().ListAssessments());
  std::optional<store::EthicsAssessment> out;
  for (auto& a : all) {
    if (a.model_version == version) out = std::move(a);
  }
  return out;
}

// The model's draft (kFailedPrecondition when it has none).
core::Result<store::EthicsAssessment> Draft(workspace::Workspace& ws,
                                            const store::ModelRow& model) {
  ASSIGN_OR_RETURN(std::optional<store::EthicsAssessment> a, Latest(ws, model.version));
  if (!a || a->status != "draft") {
    return core::FailedPrecondition(
        "model " + model.version + " has no draft ethics assessment" +
        (a ? " (its latest is " + a->status + ")" : "") + "; start one with 'statcoder ethics start'");
  }
  return *a;
}

core::Result<store::EthicsAssessment> Save(workspace::Workspace& ws,
                                           const store::EthicsAssessment& a,
                                           const std::string& action, nlohmann::json details) {
  details["assessment"] = a.id;
  details["model"] = a.model_version;
  RETURN_IF_ERROR(ws.store().Transaction([&]() -> core::Status {
    RETURN_IF_ERROR(ws.store().UpdateAssessment(a));
    return ws.Audit(action, std::move(details)).status();
  }));
  return a;
}

}  // namespace

std::span<const EthicsItem> EthicsItems() { return kItems; }
std::span<const SensitiveArea> SensitiveAreas() { return kAreas; }
std::span<const char* const> EthicsRatings() { return kRatings; }

std::string DataSourcesKey(const store::ModelRow& model) {
  std::vector<std::string> sources = model.data_sources;
  std::sort(sources.begin(), sources.end());
  sources.erase(std::unique(sources.begin(), sources.end()), sources.end());
  return nlohmann::json(sources).dump();
}

core::Result<EthicsState> EthicsStateOf(workspace::Workspace& ws, const store::ModelRow& model) {
  EthicsState s;
  ASSIGN_OR_RETURN(std::vector<store::EthicsAssessment> all, ws.store().ListAssessments());
  const std::string key = DataSourcesKey(model);
  for (const auto& a : all) {
    if (a.model_version == model.version) s.own = a;
  }
  if (s.own && s.own->status == "approved") {
    s.approved = true;
    s.explanation = "approved by " + s.own->approved_by + " on " + s.own->approved_at;
    return s;
  }
  // The newest approval for the same data sources and classification carries over.
  for (auto it = all.rbegin(); it != all.rend(); ++it) {
    if (it->status == "approved" && it->data_sources_key == key &&
        it->codelist_sha256 == model.codelist_sha256) {
      s.carried = *it;
      s.carried_from_model = it->model_version;
      break;
    }
  }
  if (s.own && s.own->status != "approved") {
    s.explanation = "its own assessment is " + s.own->status + "; not approved yet";
    s.carried.reset();  // a new assessment under way replaces any carried approval
    s.carried_from_model.clear();
  } else if (s.carried) {
    s.approved = true;
    s.explanation = "carried over: assessment #" + std::to_string(s.carried->id) + " of model " +
                    s.carried_from_model + ", approved by " + s.carried->approved_by +
                    ", covers the same data sources and classification";
  } else {
    s.explanation = "no approved ethics assessment covers its data sources " + key +
                    " and classification; start one with 'statcoder ethics start'";
  }
  return s;
}

core::Result<store::EthicsAssessment> StartAssessment(workspace::Workspace& ws,
                                                      const store::ModelRow& model) {
  ASSIGN_OR_RETURN(std::optional<store::EthicsAssessment> latest, Latest(ws, model.version));
  if (latest && latest->status != "approved") {
    return core::AlreadyExists("model " + model.version + " already has a " + latest->status +
                               " ethics assessment (#" + std::to_string(latest->id) + ")");
  }
  store::EthicsAssessment a;
  a.model_version = model.version;
  a.status = "draft";
  a.data_sources_key = DataSourcesKey(model);
  a.codelist_sha256 = model.codelist_sha256;
  a.started_by = ws.actor();
  a.started_at = workspace::UtcNow();
  RETURN_IF_ERROR(ws.store().Transaction([&]() -> core::Status {
    ASSIGN_OR_RETURN(a.id, ws.store().InsertAssessment(a));
    return ws.Audit("ethics_start", {{"assessment", a.id}, {"model", a.model_version}}).status();
  }));
  return a;
}

core::Result<store::EthicsAssessment> AnswerItem(workspace::Workspace& ws,
                                                 const store::ModelRow& model,
                                                 const std::string& item, const std::string& rating,
                                                 const std::string& justification) {
  const bool known_item = std::any_of(std::begin(kItems), std::end(kItems),
                                      [&](const EthicsItem& i) { return item == i.id; });
  if (!known_item) {
    std::string ids;
    for (const EthicsItem& i : kItems) ids += std::string(ids.empty() ? "" : ", ") + i.id;
    return core::InvalidArgument("unknown ethics item '" + item + "'; items: " + ids);
  }
  if (std::none_of(std::begin(kRatings), std::end(kRatings),
                   [&](const char* r) { return rating == r; })) {
    return core::InvalidArgument("rating '" + rating +
                                 "' must be met, partly_met, not_met or not_applicable");
  }
  if (justification.find_first_not_of(" \t\r\n") == std::string::npos) {
    return core::InvalidArgument("ethics item '" + item + "' needs a written justification");
  }
  ASSIGN_OR_RETURN(store::EthicsAssessment a, Draft(ws, model));
  a.answers[item] = {{"rating", rating}, {"justification", justification}};
  return Save(ws, a, "ethics_answer", {{"item", item}, {"rating", rating}});
}

core::Result<store::EthicsAssessment> SetSensitiveAreas(workspace::Workspace& ws,
                                                        const store::ModelRow& model,
                                                        const std::vector<std::string>& areas) {
  std::set<std::string> chosen;
  for (const std::string& id : areas) {
    if (std::none_of(std::begin(kAreas), std::end(kAreas),
                     [&](const SensitiveArea& s) { return id == s.id; })) {
      std::string ids;
      for (const SensitiveArea& s : kAreas) ids += std::string(ids.empty() ? "" : ", ") + s.id;
      return core::InvalidArgument("unknown sensitive area '" + id + "'; areas: " + ids);
    }
    chosen.insert(id);
  }
  ASSIGN_OR_RETURN(store::EthicsAssessment a, Draft(ws, model));
  a.sensitive_areas = chosen;
  a.risk_score = RiskScore(a.sensitive_areas);
  return Save(ws, a, "ethics_sensitive_areas",
              {{"areas", a.sensitive_areas}, {"risk_score", a.risk_score}});
}

core::Result<store::EthicsAssessment> SubmitAssessment(workspace::Workspace& ws,
                                                       const store::ModelRow& model) {
  ASSIGN_OR_RETURN(store::EthicsAssessment a, Draft(ws, model));
  std::vector<std::string> missing;
  for (const EthicsItem& i : kItems) {
    if (!a.answers.contains(i.id)) missing.push_back(i.id);
  }
  if (!missing.empty()) {
    return core::FailedPrecondition("cannot submit: " + std::to_string(missing.size()) +
                                    " item(s) unanswered: " + nlohmann::json(missing).dump());
  }
  a.status = "submitted";
  a.submitted_by = ws.actor();
  a.submitted_at = workspace::UtcNow();
  return Save(ws, a, "ethics_submit", {{"risk_score", a.risk_score}});
}

core::Result<store::EthicsAssessment> ApproveAssessment(workspace::Workspace& ws,
                                                        const store::ModelRow& model,
                                                        const std::string& note) {
  ASSIGN_OR_RETURN(std::optional<store::EthicsAssessment> latest, Latest(ws, model.version));
  if (!latest || latest->status != "submitted") {
    return core::FailedPrecondition("model " + model.version +
                                    " has no submitted ethics assessment to approve");
  }
  store::EthicsAssessment a = *latest;
  if (a.submitted_by == ws.actor()) {
    return core::FailedPrecondition("'" + ws.actor() +
                                    "' submitted this assessment; another person must approve it");
  }
  for (const auto& [item, answer] : a.answers.items()) {
    if (answer.value("rating", "") == "not_met") {
      return core::FailedPrecondition("item '" + item +
                                      "' is rated not_met; an assessment with an unmet principle "
                                      "cannot be approved");
    }
  }
  if (a.risk_score >= kHighEthicsRisk && note.empty()) {
    return core::FailedPrecondition("risk score " + std::to_string(a.risk_score).substr(0, 4) +
                                    " is high; approve with --note saying who reviewed it");
  }
  a.status = "approved";
  a.approved_by = ws.actor();
  a.approved_at = workspace::UtcNow();
  nlohmann::json details = {{"risk_score", a.risk_score}};
  if (!note.empty()) details["note"] = note;
  return Save(ws, a, "ethics_approve", std::move(details));
}

nlohmann::json AssessmentToJson(const store::EthicsAssessment& a) {
  return {{"id", a.id},
          {"model_version", a.model_version},
          {"status", a.status},
          {"answers", a.answers},
          {"sensitive_areas", a.sensitive_areas},
          {"risk_score", a.risk_score},
          {"data_sources_key", a.data_sources_key},
          {"codelist_sha256", a.codelist_sha256},
          {"started_by", a.started_by},
          {"started_at", a.started_at},
          {"submitted_by", a.submitted_by},
          {"submitted_at", a.submitted_at},
          {"approved_by", a.approved_by},
          {"approved_at", a.approved_at}};
}

nlohmann::json EthicsStateToJson(const EthicsState& s) {
  return {{"approved", s.approved},
          {"explanation", s.explanation},
          {"assessment", s.own ? AssessmentToJson(*s.own) : nlohmann::json(nullptr)},
          {"carried_over_from",
           s.carried ? nlohmann::json{{"assessment", s.carried->id},
                                      {"model_version", s.carried_from_model}}
                     : nlohmann::json(nullptr)}};
}

}  // namespace statcoder::registry
