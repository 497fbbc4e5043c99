// MetadataStore: the workspace's memory — snapshot catalog, model registry, aliases, knowledge
// base, ethics assessments, server users, the review queue, the monitoring statistics of coded
// batches and the audit trail — behind one
// interface that speaks in the domain's rows, never in SQL. The embedded implementation is SQLite
// (sqlite_store.h); a shared PostgreSQL store for multi-user deployments would implement the same
// interface.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<MetadataStore> store, OpenSqliteStore(ws + "/statcoder.db"));
//   RETURN_IF_ERROR(store->Transaction([&] {
//     RETURN_IF_ERROR(store->InsertSnapshot(row));
//     return store->AppendAudit({.actor = "alice", .action = "ingest", .details = {...}});
//   }));
//
// Writes outside a Transaction each commit on their own. Inside one, every write commits
// together or not at all, and writers in other processes wait (serialised, never interleaved).
// Times are UTC ISO 8601 ("2026-11-29T10:15:02Z"), set by the caller.
// Thread-safety: one MetadataStore per thread; several processes may open the same workspace.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"

namespace statcoder::store {

// One immutable dataset in the lake. `id` is the SHA-256 of the canonical file's bytes.
struct SnapshotRow {
  std::string id;
  std::string kind;  // training, batch, feedback, audit
  uint64_t rows = 0;
  uint64_t rejected = 0;
  nlohmann::json schema;       // the schema the rows were validated against
  std::string data_source;     // provenance name (ingest --source), e.g. "LFS 2024 Q1"
  std::string source_file;     // the ingested file's name, as given
  std::string source_sha256;   // SHA-256 of the ingested file's bytes
  std::vector<std::string> parents;  // snapshot ids this one derives from
  std::string transformation;  // how it was made from its parents ("ingest", "review export")
  std::string path;            // canonical records file, relative to the workspace
  std::string rejects_path;    // rejected rows with reasons, relative; empty when none
  std::string rejects_sha256;
  std::string actor;
  std::string created_at;
};

// One trained model version. `version` is the model's content id (model_io.h).
struct ModelRow {
  std::string version;
  int64_t number = 0;           // 1, 2, ... in registration order (set by the store)
  std::string classification;   // which production slot it competes for
  std::string path;             // model file, relative to the workspace
  std::string file_sha256;
  std::vector<std::string> snapshots;  // training snapshots (lineage)
  std::vector<std::string> evaluation_snapshots;  // where the quality report was measured
  nlohmann::json options;       // every training option, seed included
  uint64_t seed = 0;
  std::string statcoder_version;
  std::string codelist_sha256;
  std::vector<std::string> data_sources;  // sorted, distinct; from the training snapshots
  std::string report_path;      // report.json, relative
  std::string report_sha256;
  bool archived = false;
  std::string actor;
  std::string created_at;
};

// Who holds an alias ("candidate", "production") of a classification.
struct AliasRow {
  std::string classification;
  std::string alias;
  std::string version;
  std::string reason;  // why it moved: promote, force, rollback (rollback undoes a promotion)
  std::string actor;
  std::string set_at;
};

// One knowledge-base mapping. An edit never rewrites a row: removal sets removed_in, a change is
// a removal plus a new entry; so the base as of any version can be listed.
struct KbEntry {
  int64_t id = 0;               // set by the store
  std::string text;             // normalised text key
  nlohmann::json context = nlohmann::json::object();  // categorical field → value; may be empty
  std::string code;
  std::string note;
  int64_t added_in = 0;         // knowledge-base version that added it
  int64_t removed_in = 0;       // 0 while in force
  std::string actor;
  std::string created_at;
};

// An ethics self-assessment of one model version (docs/ethics.md).
struct EthicsAssessment {
  int64_t id = 0;               // set by the store
  std::string model_version;
  std::string status;           // draft, submitted, approved
  nlohmann::json answers = nlohmann::json::object();  // item id → {rating, justification}
  nlohmann::json sensitive_areas = nlohmann::json::array();
  double risk_score = 0;
  std::string data_sources_key;  // what a new assessment is needed for when it changes
  std::string codelist_sha256;
  std::string started_by, started_at;
  std::string submitted_by, submitted_at;
  std::string approved_by, approved_at;
};

// A person or program allowed to use the HTTP server (server/auth.h). The API token itself is
// never stored: only a per-user random salt and the keyed hash of the token's secret part.
struct UserRow {
  std::string name;        // unique
  std::string role;        // admin, methodologist, coder, viewer
  std::string token_id;    // unique, public: the token is "sc_<token_id>_<secret>"
  std::string salt;        // hex; the key of the token hash
  std::string token_hash;  // hex BLAKE2b-256 of the secret, keyed with the salt
  bool disabled = false;   // the only column that changes after creation
  std::string actor;       // who created the user
  std::string created_at;
};

// One record in the clerical review queue (docs/server.md, "Review queue"): a referred record
// or an auto-coded one drawn for blind second coding. Only status and the lease change.
struct ReviewItemRow {
  int64_t id = 0;               // set by the store; queue order (oldest first)
  std::string created_at;
  std::string kind;             // referred, audit_sample
  nlohmann::json record = nlohmann::json::object();  // the record's fields as sent
  std::string record_id;
  std::string model_version;
  // What the model said: {"top": [{"code", "probability"}], "code", "decision", "reason"}.
  nlohmann::json suggestions = nlohmann::json::object();
  std::string status = "open";  // open, decided, escalated, adjudication, closed
  std::string assigned_to;      // who holds the lease; empty when free
  std::string assigned_at;      // when the lease was taken; empty when free
  int64_t batch_id = 0;         // the monitored batch it was coded in (MonitorBatchRow); 0: none
};

// One action of a coder on a review item (append-only).
struct ReviewDecisionRow {
  int64_t id = 0;               // set by the store
  int64_t item_id = 0;
  std::string coder;
  std::string time;
  std::string action;           // code, uncodable, skip, escalate, adjudicate
  std::string code;             // empty unless action is code or adjudicate
  std::string comment;
  nlohmann::json suggestions_shown = nlohmann::json::array();  // what the coder saw
  bool blind = false;           // the model's own code was hidden (audit sample)
};

// The monitoring statistics of one coded batch: a `statcoder code WS` run, or a window of API
// traffic (docs/monitoring.md). Counts and sums only, never record text. Append-only.
struct MonitorBatchRow {
  int64_t id = 0;               // set by the store; batch order
  std::string created_at;       // when it was stored
  std::string window_start;     // first and last record's coding time (API windows); for a
  std::string window_end;       // CLI batch both are the run's time
  std::string source;           // "cli" or "api"
  std::string label;            // the data file's name, or "api"
  std::string classification;
  std::string model_version;    // the model that coded it
  int64_t records = 0;
  nlohmann::json stats = nlohmann::json::object();  // monitor::BatchStats::ToJson
  // A challenger coding alongside (shadow mode): its version and {"stats": BatchStats,
  // "agree": n, "agree_auto": n, "compared": n}; empty / null without one.
  std::string shadow_version;
  nlohmann::json shadow;
  std::string actor;
};

// One production cycle (`statcoder cycle`, docs/cycle.md): a batch taken through ingest, coding,
// monitoring and, when due, retraining and promotion. Its steps are journaled in `steps` as they
// finish, with the hashes of their inputs, so a cycle killed part-way resumes where it stopped.
// The batch snapshot is unique: the same records are one cycle.
struct CycleRow {
  int64_t id = 0;              // set by the store
  std::string period;          // e.g. "2025-07"
  std::string batch_snapshot;  // the batch's snapshot id
  std::string batch_file;      // the file's name, as given
  std::string state;           // running, waiting, done, failed
  // [{"step", "state": done|skipped|started|waiting|failed, "inputs", "outputs", "at"}], in order.
  nlohmann::json steps = nlohmann::json::array();
  std::string model_version;   // the production model that coded the batch
  int64_t coded_records = 0;
  int64_t queued_items = 0;    // referred records and audit sample queued for review
  std::string challenger;      // the model trained in this cycle; empty when none
  bool promoted = false;
  std::string actor;
  std::string created_at;
  std::string updated_at;
};

// One append-only audit entry. `seq`, `prev_hash` and `hash` are set by AppendAudit.
struct AuditEntry {
  int64_t seq = 0;
  std::string time;
  std::string actor;
  std::string action;  // ingest, train, promote, rollback, archive, kb_add, ethics_submit, ...
  nlohmann::json details = nlohmann::json::object();
  std::string prev_hash;
  std::string hash;
};

class MetadataStore {
 public:
  virtual ~MetadataStore() = default;

  // Runs `body` as one transaction: committed when it returns OK, rolled back otherwise.
  // Nested calls join the outer transaction.
  virtual core::Status Transaction(const std::function<core::Status()>& body) = 0;

  // The catalog schema version this store holds (migrated to the newest on open).
  virtual int SchemaVersion() const = 0;
  // The storage engine's full consistency check of every table and index (SQLite's
  // PRAGMA integrity_check): kDataLoss listing the first problems found. Reads the whole
  // catalog: for `statcoder audit verify`, not for every open.
  virtual core::Status CheckIntegrity() = 0;

  // ---- Snapshots (never updated or deleted) ----
  virtual core::Result<std::optional<SnapshotRow>> FindSnapshot(const std::string& id) = 0;
  virtual core::Result<std::vector<SnapshotRow>> ListSnapshots() = 0;  // oldest first
  // kAlreadyExists when the id is catalogued.
  virtual core::Status InsertSnapshot(const SnapshotRow& row) = 0;

  // ---- Models and aliases ----
  // Sets row.number; kAlreadyExists when the version is registered.
  virtual core::Result<int64_t> InsertModel(const ModelRow& row) = 0;
  virtual core::Result<std::optional<ModelRow>> FindModel(const std::string& version) = 0;
  virtual core::Result<std::vector<ModelRow>> ListModels() = 0;  // by number
  virtual core::Status SetArchived(const std::string& version, bool archived) = 0;
  virtual core::Result<std::optional<AliasRow>> FindAlias(const std::string& classification,
                                                          const std::string& alias) = 0;
  virtual core::Result<std::vector<AliasRow>> ListAliases() = 0;
  // Moves the alias to `row.version` and appends the move to the alias history.
  virtual core::Status SetAlias(const AliasRow& row) = 0;
  virtual core::Status ClearAlias(const std::string& classification, const std::string& alias) = 0;
  // Every version that has held the alias, oldest first (a version may appear more than once).
  virtual core::Result<std::vector<AliasRow>> AliasHistory(const std::string& classification,
                                                           const std::string& alias) = 0;

  // ---- Knowledge base ----
  virtual core::Result<int64_t> KbVersion() = 0;  // 0 for an empty, never edited base
  // Increments and returns the knowledge-base version (call inside the edit's transaction).
  virtual core::Result<int64_t> BumpKbVersion() = 0;
  virtual core::Result<int64_t> InsertKbEntry(const KbEntry& entry) = 0;
  virtual core::Status MarkKbEntryRemoved(int64_t id, int64_t removed_in) = 0;
  // Entries in force at `version` (added_in <= version and (removed_in == 0 or > version)); with
  // version < 0, those in force now.
  virtual core::Result<std::vector<KbEntry>> ListKbEntries(int64_t version) = 0;

  // ---- Ethics ----
  virtual core::Result<int64_t> InsertAssessment(const EthicsAssessment& a) = 0;
  virtual core::Status UpdateAssessment(const EthicsAssessment& a) = 0;  // by id
  virtual core::Result<std::vector<EthicsAssessment>> ListAssessments() = 0;  // by id

  // ---- Users of the HTTP server ----
  // kAlreadyExists when the name (or token id) is taken.
  virtual core::Status InsertUser(const UserRow& row) = 0;
  virtual core::Result<std::optional<UserRow>> FindUser(const std::string& name) = 0;
  virtual core::Result<std::vector<UserRow>> ListUsers() = 0;  // by name
  // kNotFound when there is no such user.
  virtual core::Status SetUserDisabled(const std::string& name, bool disabled) = 0;

  // ---- Review queue ----
  // Appends items in one transaction (ids ignored); returns their ids in order.
  virtual core::Result<std::vector<int64_t>> InsertReviewItems(
      const std::vector<ReviewItemRow>& items) = 0;
  virtual core::Result<std::optional<ReviewItemRow>> FindReviewItem(int64_t id) = 0;
  // Leases the oldest item whose status is one of `statuses` and that is free, already leased to
  // `coder`, or whose lease was taken before `expired_before`, and that `coder` has not skipped:
  // sets assigned_to = coder and assigned_at = now, atomically (two coders never get the same
  // item). Empty when none.
  virtual core::Result<std::optional<ReviewItemRow>> LeaseReviewItem(
      const std::vector<std::string>& statuses, const std::string& coder, const std::string& now,
      const std::string& expired_before) = 0;
  // Sets status and lease of item `id` (empty assigned_to releases it); kNotFound when missing.
  virtual core::Status UpdateReviewItem(int64_t id, const std::string& status,
                                        const std::string& assigned_to,
                                        const std::string& assigned_at) = 0;
  virtual core::Result<std::vector<ReviewItemRow>> ListReviewItems() = 0;  // by id
  // Items per (kind, status), counted without reading them (for /metrics).
  virtual core::Result<std::map<std::pair<std::string, std::string>, int64_t>>
  CountReviewItems() = 0;
  // Decisions made at or after `since` (UTC, ISO 8601), per action.
  virtual core::Result<std::map<std::string, int64_t>> CountReviewDecisionsSince(
      const std::string& since) = 0;
  // kNotFound when the item does not exist.
  virtual core::Result<int64_t> InsertReviewDecision(const ReviewDecisionRow& row) = 0;
  // Decisions on `item_id`, or all with item_id < 0; by id.
  virtual core::Result<std::vector<ReviewDecisionRow>> ListReviewDecisions(int64_t item_id) = 0;

  // ---- Monitoring (append-only) ----
  virtual core::Result<int64_t> InsertMonitorBatch(const MonitorBatchRow& row) = 0;  // its id
  // Batches of `classification` ("" all) created at or after `since` ("" all), by id.
  virtual core::Result<std::vector<MonitorBatchRow>> ListMonitorBatches(
      const std::string& classification, const std::string& since) = 0;

  // ---- Production cycles ----
  // Sets nothing in `row`; returns the new id. kAlreadyExists when the batch has a cycle.
  virtual core::Result<int64_t> InsertCycle(const CycleRow& row) = 0;
  // Stores every field but id and created_at of cycle row.id; kNotFound when missing.
  virtual core::Status UpdateCycle(const CycleRow& row) = 0;
  virtual core::Result<std::optional<CycleRow>> FindCycleByBatch(
      const std::string& batch_snapshot) = 0;
  virtual core::Result<std::vector<CycleRow>> ListCycles() = 0;  // by id

  // ---- Audit trail (append-only, hash-chained: audit_chain.h) ----
  // Sets seq = last + 1, prev_hash = the last entry's hash and hash; returns the stored entry.
  virtual core::Result<AuditEntry> AppendAudit(AuditEntry entry) = 0;
  virtual core::Result<std::vector<AuditEntry>> ListAudit() = 0;  // by seq
};

}  // namespace statcoder::store
