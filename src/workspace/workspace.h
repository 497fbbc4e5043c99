// Workspace: one folder that is statcoder's memory for a classification (docs/formats/
// workspace_v1.md):
//
//   WS/statcoder.toml   configuration (config.h)
//   WS/statcoder.db     metadata store: catalog, registry, knowledge base, ethics, audit
//   WS/codelist/        the classification structure, as given to `init`
//   WS/lake/            snapshot files, named by their SHA-256, never rewritten
//   WS/models/          model files, named by their version id
//   WS/reports/<ver>/   each model version's quality report and training log
//   WS/tmp/             files being written; renamed into place when complete
//
// Files are written in tmp/, fsynced and renamed into place before the catalog row that names
// them is committed, so a crash leaves either nothing or a complete file; a complete file the
// catalog does not name yet is harmless (content-addressed) and reused by the next attempt.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<Workspace> ws, Workspace::Open(FindWorkspace(flag)));
//   RETURN_IF_ERROR(ws->store().Transaction([&] { ...; return ws->Audit("ingest", details); }));
//
// Thread-safety: a Workspace is used by one thread; several processes may open one folder.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/result.h"
#include "data/code_list.h"
#include "store/metadata_store.h"
#include "workspace/config.h"

namespace statcoder::workspace {

// The folder to use: `explicit_path` when given, else the nearest folder holding statcoder.toml
// from the current directory upwards. kNotFound with the way out when there is none.
core::Result<std::string> FindWorkspace(const std::string& explicit_path);

// Who is acting: `explicit_actor` when given, else $STATCODER_ACTOR, else the login name.
std::string CurrentActor(const std::string& explicit_actor);

// Now, as UTC ISO 8601 with seconds ("2026-11-29T10:15:02Z").
std::string UtcNow();

// Snapshot ids and model versions may be shortened to a unique prefix of this many hex digits.
inline constexpr size_t kMinIdPrefix = 6;

// The index of the one id in `ids` that starts with `prefix`. Messages call the ids `what`
// ("snapshot") and point to `list_command`. kInvalidArgument for a prefix under kMinIdPrefix
// digits or one that matches several ids, kNotFound when it matches none.
core::Result<size_t> MatchIdPrefix(const std::vector<std::string>& ids, const std::string& prefix,
                                   const std::string& what, const std::string& list_command);

struct InitOptions {
  WorkspaceConfig config;        // codelist_file is set by Init when a code list is given
  std::string codelist_source;   // a code-list file to copy in; empty: none
  std::string actor;
};

// How a workspace is opened.
struct OpenOptions {
  // Paths in statcoder.toml ([codelist] file) are relative to the workspace and must stay inside
  // it, symbolic links resolved: a configuration copied from elsewhere cannot make statcoder read
  // (and serve) any file of the machine. True allows paths outside (`--allow-outside-paths`).
  bool allow_outside_paths = false;
};

class Workspace {
 public:
  // Creates the folder (which must not exist or be empty), its layout, statcoder.toml and the
  // catalog, and audits "init". The code list is checked (CodeList::Load) before anything is
  // written.
  static core::Result<std::unique_ptr<Workspace>> Init(const std::string& root,
                                                       const InitOptions& options);
  // Opens an existing workspace: reads statcoder.toml, checks that its paths stay inside the
  // folder, opens (and migrates) the catalog, and removes what crashed runs left in tmp/
  // (entries older than an hour). kDataLoss when the catalog is missing, empty or not a
  // statcoder catalog: it is never re-created over a workspace's files.
  static core::Result<std::unique_ptr<Workspace>> Open(const std::string& root,
                                                       const std::string& actor = "",
                                                       const OpenOptions& options = {});

  const std::string& root() const { return root_; }
  const WorkspaceConfig& config() const { return config_; }
  store::MetadataStore& store() { return *store_; }
  const std::string& actor() const { return actor_; }

  // Absolute path of a workspace-relative one.
  std::string Path(const std::string& relative) const { return root_ + "/" + relative; }

  // Writes `bytes` to the relative path through tmp/ (fsync, rename, fsync folder).
  core::Status PutFile(const std::string& relative, std::string_view bytes) const;
  // Moves a complete file from tmp/ (or anywhere on the same file system) into place durably.
  core::Status MoveIntoPlace(const std::string& from, const std::string& relative) const;
  // Moves a complete file or folder into place unless something is there already, which is
  // then kept and `from` removed: for places another process (or an attempt killed before its
  // catalog commit) may have filled. Returns whether `from` was placed.
  core::Result<bool> PlaceIfAbsent(const std::string& from, const std::string& relative) const;
  // Creates the relative folder and any missing parents, fsyncing each parent after a creation
  // so that the new names survive a power loss.
  core::Status MakeFolders(const std::string& relative) const;
  // A fresh path in tmp/ for a file being written, unique to this process.
  std::string TempPath(const std::string& name) const;

  // The workspace's code list, or null when the configuration names none.
  core::Result<std::shared_ptr<const data::CodeList>> CodeList() const;

  // Appends an audit entry by this actor, now. Call inside the transaction of the change it
  // records, so the change and its audit line commit together.
  core::Result<store::AuditEntry> Audit(const std::string& action, nlohmann::json details);

 private:
  Workspace(std::string root, WorkspaceConfig config, std::unique_ptr<store::MetadataStore> store,
            std::string actor);

  std::string root_;
  WorkspaceConfig config_;
  std::unique_ptr<store::MetadataStore> store_;
  std::string actor_;
  mutable std::shared_ptr<const data::CodeList> code_list_;
};

}  // namespace statcoder::workspace
