#include "workspace/workspace.h"

#include <pwd.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>

#include "core/content_hash.h"
#include "core/file_util.h"
#include "core/utc_time.h"
#include "store/sqlite_store.h"

namespace statcoder::workspace {
namespace {

namespace fs = std::filesystem;

constexpr char kConfigFile[] = "statcoder.toml";
constexpr char kDatabaseFile[] = "statcoder.db";
constexpr const char* kFolders[] = {"codelist", "lake", "models", "reports", "tmp"};

std::string BaseName(const std::string& path) { return fs::path(path).filename().string(); }

}  // namespace

core::Result<std::string> FindWorkspace(const std::string& explicit_path) {
  std::error_code ec;
  if (!explicit_path.empty()) {
    if (!fs::exists(fs::path(explicit_path) / kConfigFile, ec)) {
      return core::NotFound("'" + explicit_path + "' is not a statcoder workspace (no " +
                            kConfigFile + "); create one with 'statcoder init " + explicit_path +
                            " ...'");
    }
    return fs::absolute(explicit_path, ec).lexically_normal().string();
  }
  fs::path dir = fs::current_path(ec);
  for (; !ec && !dir.empty(); dir = dir.parent_path()) {
    if (fs::exists(dir / kConfigFile, ec)) return dir.string();
    if (dir == dir.root_path()) break;
  }
  return core::NotFound(
      "no workspace given and none found from the current folder upwards; pass the workspace "
      "folder (statcoder <verb> WS ... or --workspace WS)");
}

core::Result<size_t> MatchIdPrefix(const std::vector<std::string>& ids, const std::string& prefix,
                                   const std::string& what, const std::string& list_command) {
  if (prefix.size() < kMinIdPrefix) {
    return core::InvalidArgument(what + " '" + prefix + "' is too short; give at least " +
                                 std::to_string(kMinIdPrefix) + " hex digits");
  }
  std::vector<size_t> hits;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i].compare(0, prefix.size(), prefix) == 0) hits.push_back(i);
  }
  if (hits.empty()) {
    return core::NotFound(what + " '" + prefix + "' is not in this workspace; see '" +
                          list_command + "'");
  }
  if (hits.size() > 1) {
    return core::InvalidArgument(what + " prefix '" + prefix + "' matches " +
                                 std::to_string(hits.size()) + " of them; give more digits");
  }
  return hits[0];
}

std::string CurrentActor(const std::string& explicit_actor) {
  if (!explicit_actor.empty()) return explicit_actor;
  if (const char* env = std::getenv("STATCODER_ACTOR"); env && *env) return env;
  if (const passwd* pw = ::getpwuid(::geteuid()); pw && pw->pw_name) return pw->pw_name;
  return "uid:" + std::to_string(::geteuid());
}

std::string UtcNow() { return core::UtcNow(); }

Workspace::Workspace(std::string root, WorkspaceConfig config,
                     std::unique_ptr<store::MetadataStore> store, std::string actor)
    : root_(std::move(root)),
      config_(std::move(config)),
      store_(std::move(store)),
      actor_(std::move(actor)) {}

core::Result<std::unique_ptr<Workspace>> Workspace::Init(const std::string& root,
                                                         const InitOptions& options) {
  std::error_code ec;
  if (fs::exists(root, ec) && !fs::is_empty(root, ec)) {
    return core::AlreadyExists("'" + root + "' exists and is not empty; a workspace is created "
                               "in a new or empty folder");
  }
  WorkspaceConfig config = options.config;
  std::string codelist_bytes;
  if (!options.codelist_source.empty()) {
    // Check the code list before writing anything, so a bad one leaves no half workspace.
    RETURN_IF_ERROR(data::CodeList::Load(options.codelist_source, config.codelist).status());
    ASSIGN_OR_RETURN(codelist_bytes, core::ReadFile(options.codelist_source));
    config.codelist_file = "codelist/" + BaseName(options.codelist_source);
  }
  // The configuration must read back as written.
  const std::string toml = RenderConfig(config);
  RETURN_IF_ERROR(ParseConfig(toml, kConfigFile).status());

  fs::create_directories(root, ec);
  if (ec) return core::IoError("cannot create '" + root + "': " + ec.message());
  const std::string abs = fs::absolute(root, ec).lexically_normal().string();
  for (const char* folder : kFolders) {
    fs::create_directory(fs::path(abs) / folder, ec);
    if (ec) return core::IoError("cannot create '" + abs + "/" + folder + "': " + ec.message());
  }
  ASSIGN_OR_RETURN(std::unique_ptr<store::MetadataStore> store,
                   store::OpenSqliteStore(abs + "/" + kDatabaseFile, {.create = true}));
  auto ws = std::unique_ptr<Workspace>(
      new Workspace(abs, config, std::move(store), CurrentActor(options.actor)));
  if (!codelist_bytes.empty()) RETURN_IF_ERROR(ws->PutFile(config.codelist_file, codelist_bytes));
  // statcoder.toml last: until it exists the folder is not a workspace (FindWorkspace).
  RETURN_IF_ERROR(ws->PutFile(kConfigFile, toml));
  nlohmann::json details = {{"classification", config.classification},
                            {"config_sha256", core::Sha256Hex(toml)}};
  if (!codelist_bytes.empty()) {
    details["codelist"] = config.codelist_file;
    details["codelist_sha256"] = core::Sha256Hex(codelist_bytes);
  }
  RETURN_IF_ERROR(ws->Audit("init", std::move(details)).status());
  return ws;
}

namespace {

// What a run killed mid-write leaves in tmp/; old enough that no live process still writes it.
void SweepTemporaryFiles(const std::string& tmp) {
  constexpr auto kAge = std::chrono::hours(1);
  std::error_code ec;
  const auto now = fs::file_time_type::clock::now();
  for (fs::directory_iterator it(tmp, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code e;
    const auto written = fs::last_write_time(it->path(), e);
    if (!e && now - written > kAge) fs::remove_all(it->path(), e);
  }
}


// A path of statcoder.toml (`key` names it) resolved against the workspace: inside it, symbolic
// links followed, unless `allow_outside`.
core::Status CheckInsideWorkspace(const std::string& root, const std::string& key,
                                  const std::string& value, bool allow_outside) {
  if (value.empty() || allow_outside) return core::Status::Ok();
  const std::string where = root + "/" + kConfigFile + ": " + key + " '" + value + "'";
  const std::string way_out =
      "; paths in statcoder.toml are relative to the workspace folder and stay inside it (copy "
      "the file into the workspace, or pass --allow-outside-paths to read it where it is)";
  if (fs::path(value).is_absolute()) return core::InvalidInput(where + " is an absolute path" + way_out);
  std::error_code ec;
  const fs::path base = fs::weakly_canonical(fs::path(root), ec);
  if (ec) return core::IoError("cannot resolve workspace folder '" + root + "': " + ec.message());
  const fs::path target = fs::weakly_canonical(base / value, ec);
  if (ec) return core::IoError("cannot resolve " + where + ": " + ec.message());
  // Inside: base is a prefix of target, component by component.
  auto b = base.begin(), t = target.begin();
  for (; b != base.end() && t != target.end() && *b == *t; ++b, ++t) {
  }
  if (b != base.end()) {
    return core::InvalidInput(where + " resolves to '" + target.string() +
                              "', outside the workspace folder" + way_out);
  }
  return core::Status::Ok();
}

}  // namespace

core::Result<std::unique_ptr<Workspace>> Workspace::Open(const std::string& root,
                                                         const std::string& actor,
                                                         const OpenOptions& options) {
  ASSIGN_OR_RETURN(WorkspaceConfig config, LoadConfig(root + "/" + kConfigFile));
  RETURN_IF_ERROR(CheckInsideWorkspace(root, "[codelist] file", config.codelist_file,
                                       options.allow_outside_paths));
  // statcoder.toml is there (LoadConfig): a missing catalog is a lost one, not a new workspace.
  std::error_code ec;
  if (!fs::exists(root + "/" + kDatabaseFile, ec)) {
    return core::DataLoss("workspace '" + root + "' has its statcoder.toml but no catalog (" +
                          kDatabaseFile +
                          "): its snapshots, models and audit trail are no longer catalogued. "
                          "It is not re-created: restore statcoder.db from a backup");
  }
  SweepTemporaryFiles(root + "/tmp");
  ASSIGN_OR_RETURN(std::unique_ptr<store::MetadataStore> store,
                   store::OpenSqliteStore(root + "/" + kDatabaseFile, {}));
  return std::unique_ptr<Workspace>(
      new Workspace(root, std::move(config), std::move(store), CurrentActor(actor)));
}

std::string Workspace::TempPath(const std::string& name) const {
  static std::atomic<uint64_t> counter{0};
  return root_ + "/tmp/" + name + "." + std::to_string(::getpid()) + "." +
         std::to_string(counter++);
}

core::Status Workspace::MakeFolders(const std::string& relative) const {
  fs::path dir = root_;
  for (const fs::path& part : fs::path(relative)) {
    if (part.empty() || part == ".") continue;
    const fs::path next = dir / part;
    std::error_code ec;
    if (fs::create_directory(next, ec)) {
      RETURN_IF_ERROR(core::SyncDirectory(dir.string()));
    } else if (ec) {
      return core::IoError("cannot create folder '" + next.string() + "': " + ec.message());
    }
    dir = next;
  }
  return core::Status::Ok();
}

core::Status Workspace::PutFile(const std::string& relative, std::string_view bytes) const {
  RETURN_IF_ERROR(MakeFolders(fs::path(relative).parent_path().string()));
  return core::WriteFileAtomic(Path(relative), bytes, root_ + "/tmp");
}

core::Status Workspace::MoveIntoPlace(const std::string& from, const std::string& relative) const {
  RETURN_IF_ERROR(MakeFolders(fs::path(relative).parent_path().string()));
  return core::RenameDurably(from, Path(relative));
}

core::Result<bool> Workspace::PlaceIfAbsent(const std::string& from,
                                            const std::string& relative) const {
  RETURN_IF_ERROR(MakeFolders(fs::path(relative).parent_path().string()));
  ASSIGN_OR_RETURN(bool placed, core::RenameIfAbsent(from, Path(relative)));
  if (!placed) {
    std::error_code ec;
    fs::remove_all(from, ec);
  }
  return placed;
}

core::Result<std::shared_ptr<const data::CodeList>> Workspace::CodeList() const {
  if (config_.codelist_file.empty()) return std::shared_ptr<const data::CodeList>();
  if (!code_list_) {
    ASSIGN_OR_RETURN(data::CodeList list,
                     data::CodeList::Load(Path(config_.codelist_file), config_.codelist));
    code_list_ = std::make_shared<const data::CodeList>(std::move(list));
  }
  return code_list_;
}

core::Result<store::AuditEntry> Workspace::Audit(const std::string& action,
                                                 nlohmann::json details) {
  store::AuditEntry entry;
  entry.time = UtcNow();
  entry.actor = actor_;
  entry.action = action;
  entry.details = std::move(details);
  return store_->AppendAudit(std::move(entry));
}

}  // namespace statcoder::workspace
