#include "pipeline/workspace_coding.h"

#include <algorithm>
#include <thread>

#include "model/batch_coder.h"
#include "model/model_io.h"
#include "registry/model_registry.h"
#include "registry/monitoring.h"

namespace statcoder::pipeline {
namespace {

// The challenger's ranked codes compared with the champion's (agreement reads the top ones).
constexpr int kShadowTopK = 5;

}  // namespace

nlohmann::json RememberedBatch::ToJson() const {
  return {{"monitor_batch", monitor_batch},
          {"queued_for_review", queued_for_review},
          {"audit_sample", audit_sample},
          {"shadow", shadow}};
}

core::Result<KnowledgeApplied> ApplyWorkspaceKnowledge(workspace::Workspace& ws,
                                                       const model::Model& model,
                                                       const data::Dataset& dataset,
                                                       std::vector<model::Prediction>* predictions) {
  // The knowledge base comes before the model (kb/knowledge_base.h).
  ASSIGN_OR_RETURN(kb::KnowledgeBase knowledge,
                   kb::KnowledgeBase::Load(ws.store(), model::SchemaFor(model, "", "")));
  KnowledgeApplied out;
  out.kb_version = knowledge.version();
  out.applied = kb::ApplyKnowledgeBase(knowledge, model, dataset,
                                       ws.config().kb.disagreement_probability, predictions);
  return out;
}

core::Status CheckShadowFields(const model::Model& champion, const model::Model& challenger,
                               const std::string& challenger_version) {
  const data::Schema a = model::SchemaFor(challenger, "", "");
  const data::Schema b = model::SchemaFor(champion, "", "");
  if (a.text_fields != b.text_fields || a.categorical_fields != b.categorical_fields ||
      a.numeric_fields != b.numeric_fields) {
    return core::FailedPrecondition("shadow model " + challenger_version +
                                    " reads other fields than model " + champion.version_id() +
                                    "; turn shadow mode off ('statcoder shadow WS --challenger " +
                                    challenger_version + " off')");
  }
  return core::Status::Ok();
}

core::Result<registry::ShadowAgreement> CodeAsShadow(
    const model::Model& champion, const std::shared_ptr<const model::Model>& challenger,
    const kb::KnowledgeBase& knowledge, double disagreement_probability,
    const data::Dataset& dataset, std::span<const model::Prediction> champion_predictions,
    int threads) {
  ASSIGN_OR_RETURN(std::vector<model::Prediction> theirs,
                   model::PredictBatch(challenger, dataset, kShadowTopK, threads));
  kb::ApplyKnowledgeBase(knowledge, *challenger, dataset, disagreement_probability, &theirs);
  return registry::CompareShadow(champion, *challenger, dataset, champion_predictions, theirs);
}

core::Result<RememberedBatch> RememberBatch(workspace::Workspace& ws, const model::Model& model,
                                            const data::Dataset& dataset,
                                            const std::vector<model::Prediction>& predictions,
                                            const RememberOptions& options) {
  registry::CodedBatchInput in{.model = &model,
                               .dataset = &dataset,
                               .predictions = predictions,
                               .label = options.label,
                               .queue_review = options.queue_review,
                               .shadow = nullptr,
                               .shadow_version = ""};
  ASSIGN_OR_RETURN(store::ModelRow row, registry::ResolveModel(ws, model.version_id()));
  ASSIGN_OR_RETURN(std::optional<store::ModelRow> challenger,
                   registry::ShadowModel(ws, row.classification));
  RememberedBatch out;
  out.shadow = nullptr;
  std::optional<registry::ShadowAgreement> shadow;
  if (challenger && challenger->version != model.version_id()) {
    ASSIGN_OR_RETURN(std::shared_ptr<const model::Model> other,
                     model::LoadModel(ws.Path(challenger->path)));
    RETURN_IF_ERROR(CheckShadowFields(model, *other, challenger->version));
    const int threads = options.threads > 0
                            ? options.threads
                            : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    ASSIGN_OR_RETURN(kb::KnowledgeBase knowledge,
                     kb::KnowledgeBase::Load(ws.store(), model::SchemaFor(model, "", "")));
    ASSIGN_OR_RETURN(shadow, CodeAsShadow(model, other, knowledge,
                                          ws.config().kb.disagreement_probability, dataset,
                                          predictions, threads));
    in.shadow = &*shadow;
    in.shadow_version = challenger->version;
    out.shadow = {{"version", challenger->version},
                  {"compared", shadow->compared},
                  {"agree", shadow->agree},
                  {"agreement", shadow->compared > 0 ? static_cast<double>(shadow->agree) /
                                                           static_cast<double>(shadow->compared)
                                                     : 0.0}};
  }
  ASSIGN_OR_RETURN(registry::RecordedBatch recorded, registry::RecordCodedBatch(ws, in));
  out.monitor_batch = recorded.batch_id;
  out.queued_for_review = recorded.referred;
  out.audit_sample = recorded.audit_sample;
  return out;
}

}  // namespace statcoder::pipeline
