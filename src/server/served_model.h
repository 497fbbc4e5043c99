// The model in service and its hot swap (docs/server.md, "The model in service and hot swaps"):
// an immutable snapshot (model + knowledge base + explainer) behind a shared_ptr, and the user
// directory beside it. Refresh re-reads the production alias, the shadow alias, the knowledge-base
// version and the users and swaps in what changed; requests in flight finish on the snapshot they started with.
//
//   ServedModel slot([&](const Served& s, const std::string& previous) { log(...); });
//   RETURN_IF_ERROR(slot.Refresh(ws));               // the poller, or a promote through the API
//   std::shared_ptr<const Served> s = slot.Current();  // null until a production model exists
//
// Thread-safety: thread-safe; one Refresh runs at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "core/status.h"
#include "kb/knowledge_base.h"
#include "model/explainer.h"
#include "model/model.h"
#include "server/auth.h"
#include "workspace/workspace.h"

namespace statcoder::server {

// The model in service: immutable once built, shared by the requests that use it.
struct Served {
  std::shared_ptr<const model::Model> model;
  std::shared_ptr<const kb::KnowledgeBase> kb;
  std::shared_ptr<const model::Explainer> explainer;
  std::string version;
  int64_t kb_version = 0;
  // The shadow challenger (docs/monitoring.md, "Shadow mode"): codes the same requests without
  // changing an answer; null when shadow mode is off or the challenger could not be used.
  std::shared_ptr<const model::Model> shadow;
  std::string shadow_version;
  std::string shadow_error;  // why the shadow model set in the workspace is not used
};

class ServedModel {
 public:
  // Called after each swap with the new snapshot and the previous version ("" for none).
  using LoadedCallback = std::function<void(const Served& next, const std::string& previous)>;
  explicit ServedModel(LoadedCallback on_loaded) : on_loaded_(std::move(on_loaded)) {}

  std::shared_ptr<const Served> Current() const;
  std::shared_ptr<const UserDirectory> Users() const;

  // Re-reads the users and the production model (and knowledge base) from `ws` and swaps in
  // what changed. No production model: keeps what it has (nothing, or the last one).
  core::Status Refresh(workspace::Workspace& ws);

 private:
  LoadedCallback on_loaded_;
  mutable std::mutex state_mu_;  // guards the two pointers (copied out, never used under it)
  std::shared_ptr<const Served> served_;
  std::shared_ptr<const UserDirectory> users_ = std::make_shared<UserDirectory>();
  std::mutex refresh_mu_;  // one refresh at a time (poller or promote)
};

}  // namespace statcoder::server
