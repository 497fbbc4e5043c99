#include "server/served_model.h"

#include <optional>
#include <vector>

#include "model/batch_coder.h"
#include "model/model_io.h"
#include "pipeline/workspace_coding.h"
#include "registry/model_registry.h"
#include "registry/monitoring.h"

namespace statcoder::server {

std::shared_ptr<const Served> ServedModel::Current() const {
  std::lock_guard<std::mutex> lock(state_mu_);
  return served_;
}

std::shared_ptr<const UserDirectory> ServedModel::Users() const {
  std::lock_guard<std::mutex> lock(state_mu_);
  return users_;
}

core::Status ServedModel::Refresh(workspace::Workspace& ws) {
  std::lock_guard<std::mutex> lock(refresh_mu_);
  ASSIGN_OR_RETURN(std::vector<store::UserRow> rows, ws.store().ListUsers());
  auto directory = std::make_shared<const UserDirectory>(std::move(rows));
  {
    std::lock_guard<std::mutex> state(state_mu_);
    users_ = std::move(directory);
  }
  auto row = registry::ResolveModel(ws, registry::kProduction);
  if (!row.ok()) {
    return row.status().code() == core::StatusCode::kNotFound ? core::Status::Ok() : row.status();
  }
  ASSIGN_OR_RETURN(int64_t kb_version, ws.store().KbVersion());
  ASSIGN_OR_RETURN(std::optional<store::ModelRow> shadow,
                   registry::ShadowModel(ws, row->classification));
  if (shadow && shadow->version == row->version) shadow.reset();  // promoted: nothing to shadow
  const std::string shadow_version = shadow ? shadow->version : std::string();
  const std::shared_ptr<const Served> current = Current();
  if (current && current->version == row->version && current->kb_version == kb_version &&
      current->shadow_version == shadow_version) {
    return core::Status::Ok();
  }
  auto next = std::make_shared<Served>();
  next->version = row->version;
  if (current && current->version == row->version) {
    next->model = current->model;
    next->explainer = current->explainer;
  } else {
    ASSIGN_OR_RETURN(next->model, model::LoadModel(ws.Path(row->path)));
    next->explainer = std::make_shared<const model::Explainer>(next->model);
  }
  ASSIGN_OR_RETURN(kb::KnowledgeBase knowledge,
                   kb::KnowledgeBase::Load(ws.store(), model::SchemaFor(*next->model, "", "")));
  next->kb_version = knowledge.version();
  next->kb = std::make_shared<const kb::KnowledgeBase>(std::move(knowledge));
  if (shadow) {
    // A shadow that cannot be used is reported, never a reason to stop serving production.
    next->shadow_version = shadow->version;
    if (current && current->shadow_version == shadow->version && current->shadow) {
      next->shadow = current->shadow;
    } else {
      core::Result<std::shared_ptr<const model::Model>> loaded =
          model::LoadModel(ws.Path(shadow->path));
      if (loaded.ok()) next->shadow = *loaded;
      else next->shadow_error = loaded.status().message();
    }
    if (next->shadow) {
      const core::Status fields =
          pipeline::CheckShadowFields(*next->model, *next->shadow, shadow->version);
      if (!fields.ok()) {
        next->shadow.reset();
        next->shadow_error = fields.message();
      }
    }
  }
  {
    std::lock_guard<std::mutex> state(state_mu_);
    served_ = next;
  }
  if (on_loaded_) on_loaded_(*next, current ? current->version : std::string());
  return core::Status::Ok();
}

}  // namespace statcoder::server
