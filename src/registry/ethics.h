// Ethics self-assessment of a model, after the UK Statistics Authority's ethics principles
// (Public Good; Confidentiality and Data Security; Methods and Quality; Legal Compliance;
// Public Views and Engagement; Transparency). Each item gets a rating and a written
// justification; the sensitive research areas the use touches carry weights that add up to a
// risk score; one person submits and another approves. A new assessment is needed when the
// training data sources or the classification change; otherwise an earlier approval carries
// over, and says so. docs/ethics.md explains the items and the flow.
//
//   ASSIGN_OR_RETURN(EthicsState s, EthicsStateOf(ws, model));
//   if (!s.approved) ... s.explanation
//
// Thread-safety: functions of one Workspace, which is used by one thread.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/result.h"
#include "store/metadata_store.h"
#include "workspace/workspace.h"

namespace statcoder::registry {

struct EthicsItem {
  const char* id;         // "public_good.1"
  const char* principle;  // "Public Good"
  const char* question;
};
std::span<const EthicsItem> EthicsItems();

struct SensitiveArea {
  const char* id;  // "health"
  const char* description;
  double weight;
};
std::span<const SensitiveArea> SensitiveAreas();

// met, partly_met, not_met, not_applicable.
std::span<const char* const> EthicsRatings();

// A risk score at or above this needs the approver to record a note (and, by the office's
// rules, usually its ethics committee).
inline constexpr double kHighEthicsRisk = 5.0;

struct EthicsState {
  std::optional<store::EthicsAssessment> own;      // the model's latest assessment
  std::optional<store::EthicsAssessment> carried;  // an approval carried over, when no own one
  std::string carried_from_model;                  // whose assessment that was
  bool approved = false;                           // own approved, or carried over
  std::string explanation;                         // one line for people
};

// What decides whether an assessment can carry over: the model's data sources and code list.
std::string DataSourcesKey(const store::ModelRow& model);

core::Result<EthicsState> EthicsStateOf(workspace::Workspace& ws, const store::ModelRow& model);

// Starts a draft for the model (kAlreadyExists when it has a draft or submitted one).
core::Result<store::EthicsAssessment> StartAssessment(workspace::Workspace& ws,
                                                      const store::ModelRow& model);
// Rates one item of the model's draft. kInvalidArgument: unknown item or rating, empty
// justification; kFailedPrecondition: no draft.
core::Result<store::EthicsAssessment> AnswerItem(workspace::Workspace& ws,
                                                 const store::ModelRow& model,
                                                 const std::string& item, const std::string& rating,
                                                 const std::string& justification);
// Sets the sensitive areas the use touches (ids of SensitiveAreas()).
core::Result<store::EthicsAssessment> SetSensitiveAreas(workspace::Workspace& ws,
                                                        const store::ModelRow& model,
                                                        const std::vector<std::string>& areas);
// Submits the draft: every item must be answered. By the acting person.
core::Result<store::EthicsAssessment> SubmitAssessment(workspace::Workspace& ws,
                                                       const store::ModelRow& model);
// Approves the submitted assessment: by someone other than the submitter; refused while an item
// is rated not_met; a high risk score needs `note`.
core::Result<store::EthicsAssessment> ApproveAssessment(workspace::Workspace& ws,
                                                        const store::ModelRow& model,
                                                        const std::string& note);

nlohmann::json AssessmentToJson(const store::EthicsAssessment& a);
nlohmann::json EthicsStateToJson(const EthicsState& s);

}  // namespace statcoder::registry
