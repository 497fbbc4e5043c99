#include "store/sqlite_store.h"

#include <sqlite3.h>

#include <array>
#include <filesystem>
#include <string_view>
#include <system_error>
#include <utility>

#include "store/audit_chain.h"

namespace statcoder::store {
namespace {

using core::Result;
using core::Status;
using json = nlohmann::json;

// meta.application: tells a statcoder catalog from any other SQLite file.
constexpr char kApplication[] = "statcoder-catalog";

// Turns a SQLite failure into a Status naming the catalog file, the operation and SQLite's
// reason, with a code the boundaries can map.
Status SqlError(sqlite3* db, int rc, std::string_view op) {
  const char* file = sqlite3_db_filename(db, "main");
  std::string msg = "workspace catalog " + std::string(file != nullptr ? file : "?") + ": " +
                    std::string(op) + ": " + sqlite3_errmsg(db);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return core::IoError(msg +
                           "; another statcoder process holds the workspace lock; retry when it "
                           "has finished");
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return core::DataLoss(msg +
                            "; the file is damaged or not a statcoder catalog; restore "
                            "statcoder.db from a backup");
    case SQLITE_FULL:
      return core::IoError(msg + "; free disk space and retry");
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_PROTOCOL:
      return core::IoError(msg);
    case SQLITE_CONSTRAINT:
      return core::FailedPrecondition(msg);
    case SQLITE_MISMATCH:
      return core::DataLoss(msg + "; the catalog was edited or damaged; restore statcoder.db from "
                                  "a backup");
    case SQLITE_ERROR: {
      // statcoder's SQL is constant and matches the schema it migrated to, so a missing table or
      // column, or a schema SQLite cannot read, means the file was edited or damaged.
      const std::string_view why = sqlite3_errmsg(db);
      if (why.find("malformed") != std::string_view::npos ||
          why.find("no such table") != std::string_view::npos ||
          why.find("no such column") != std::string_view::npos) {
        return core::DataLoss(msg + "; the catalog was edited or damaged; restore statcoder.db "
                                    "from a backup");
      }
      return core::Internal(msg);
    }
    default:
      return core::Internal(msg);
  }
}

// A prepared statement, finalized on destruction. Binds go left to right; the first failure of
// prepare or bind is kept and returned by Step, so call sites read as straight lines.
class Stmt {
 public:
  Stmt(sqlite3* db, std::string_view op, std::string_view sql) : db_(db), op_(op) {
    rc_ = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr);
  }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& Bind(std::string_view v) {
    // SQLITE_TRANSIENT copies: callers may bind temporaries.
    return Check(
        sqlite3_bind_text(stmt_, ++bound_, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
  }
  Stmt& Bind(int64_t v) { return Check(sqlite3_bind_int64(stmt_, ++bound_, v)); }
  Stmt& Bind(double v) { return Check(sqlite3_bind_double(stmt_, ++bound_, v)); }

  // True while a row is available.
  Result<bool> Step() {
    if (rc_ != SQLITE_OK && rc_ != SQLITE_ROW && rc_ != SQLITE_DONE) {
      return SqlError(db_, rc_, op_);
    }
    rc_ = sqlite3_step(stmt_);
    if (rc_ == SQLITE_ROW) return true;
    if (rc_ == SQLITE_DONE) return false;
    return SqlError(db_, rc_, op_);
  }
  // Steps to the end, for statements whose rows are not needed.
  Status Run() {
    while (true) {
      Result<bool> row = Step();
      if (!row.ok()) return row.status();
      if (!*row) return Status();
    }
  }

  // Makes the statement ready to run again with new bindings (a batch of inserts prepares once).
  // Keeps an earlier prepare or bind failure, which Step then returns.
  Stmt& Reset() {
    if (rc_ == SQLITE_ROW || rc_ == SQLITE_DONE) rc_ = SQLITE_OK;
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    bound_ = 0;
    return *this;
  }

  int rc() const { return rc_; }  // extended result code of the last call
  int Type(int col) const { return sqlite3_column_type(stmt_, col); }
  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  double Real(int col) const { return sqlite3_column_double(stmt_, col); }
  std::string Text(int col) const {
    const unsigned char* p = sqlite3_column_text(stmt_, col);
    if (p == nullptr) return "";
    return std::string(reinterpret_cast<const char*>(p),
                       static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
  }

 private:
  Stmt& Check(int rc) {
    if (rc != SQLITE_OK && rc_ == SQLITE_OK) rc_ = rc;
    return *this;
  }

  sqlite3* db_;
  std::string op_;
  sqlite3_stmt* stmt_ = nullptr;
  int rc_ = SQLITE_OK;
  int bound_ = 0;
};

// Runs constant SQL (schema, transaction control); never SQL built from values.
Status Exec(sqlite3* db, const char* sql, std::string_view op) {
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? Status() : SqlError(db, rc, op);
}

bool IsUniqueViolation(int rc) {
  return rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY;
}

// JSON written to a TEXT column. Only invalid UTF-8 in a string can fail.
Result<std::string> Dump(const json& j, std::string_view what) {
  try {
    return j.dump();
  } catch (const json::exception& e) {
    return core::InvalidArgument(std::string(what) + " cannot be stored: " + e.what());
  }
}

// A JSON column that does not parse means the file was edited or damaged.
Status BadColumn(std::string_view table, std::string_view key, std::string_view column,
                 std::string_view why) {
  return core::DataLoss("workspace catalog table " + std::string(table) + ", row " +
                        std::string(key) + ": column " + std::string(column) + " " +
                        std::string(why) + "; restore statcoder.db from a backup");
}

Result<json> ParseJson(const std::string& text, std::string_view table, std::string_view key,
                       std::string_view column) {
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    return BadColumn(table, key, column, std::string("is not valid JSON (") + e.what() + ")");
  }
}

Result<std::vector<std::string>> ParseStrings(const std::string& text, std::string_view table,
                                              std::string_view key, std::string_view column) {
  try {
    return json::parse(text).get<std::vector<std::string>>();
  } catch (const json::exception& e) {
    return BadColumn(table, key, column,
                     std::string("is not a JSON array of strings (") + e.what() + ")");
  }
}

// "INSERT INTO t (a, b) VALUES (?, ?)" for a constant column list.
std::string InsertSql(std::string_view table, std::string_view columns) {
  std::string sql =
      "INSERT INTO " + std::string(table) + " (" + std::string(columns) + ") VALUES (?";
  for (char c : columns) {
    if (c == ',') sql += ", ?";
  }
  return sql + ")";
}

// ---- Schema and migrations ----

// Version 1. Column meanings: docs/formats/workspace_v1.md, "Catalog database".
constexpr char kSchemaV1[] = R"sql(
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value NOT NULL
);
INSERT INTO meta (key, value) VALUES ('application', 'statcoder-catalog'), ('kb_version', 0);
CREATE TABLE snapshots (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  row_count INTEGER NOT NULL,
  rejected INTEGER NOT NULL,
  schema TEXT NOT NULL,
  data_source TEXT NOT NULL,
  source_file TEXT NOT NULL,
  source_sha256 TEXT NOT NULL,
  parents TEXT NOT NULL,
  transformation TEXT NOT NULL,
  path TEXT NOT NULL,
  rejects_path TEXT NOT NULL,
  rejects_sha256 TEXT NOT NULL,
  actor TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE models (
  number INTEGER PRIMARY KEY,
  version TEXT NOT NULL UNIQUE,
  classification TEXT NOT NULL,
  path TEXT NOT NULL,
  file_sha256 TEXT NOT NULL,
  snapshots TEXT NOT NULL,
  evaluation_snapshots TEXT NOT NULL,
  options TEXT NOT NULL,
  seed INTEGER NOT NULL,
  statcoder_version TEXT NOT NULL,
  codelist_sha256 TEXT NOT NULL,
  data_sources TEXT NOT NULL,
  report_path TEXT NOT NULL,
  report_sha256 TEXT NOT NULL,
  archived INTEGER NOT NULL CHECK (archived IN (0, 1)),
  actor TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE aliases (
  classification TEXT NOT NULL,
  alias TEXT NOT NULL,
  version TEXT NOT NULL REFERENCES models (version),
  reason TEXT NOT NULL,
  actor TEXT NOT NULL,
  set_at TEXT NOT NULL,
  PRIMARY KEY (classification, alias)
);
CREATE TABLE alias_history (
  seq INTEGER PRIMARY KEY,
  classification TEXT NOT NULL,
  alias TEXT NOT NULL,
  version TEXT NOT NULL REFERENCES models (version),
  reason TEXT NOT NULL,
  actor TEXT NOT NULL,
  set_at TEXT NOT NULL
);
CREATE INDEX alias_history_by_alias ON alias_history (classification, alias, seq);
CREATE TABLE kb_entries (
  id INTEGER PRIMARY KEY,
  text TEXT NOT NULL,
  context TEXT NOT NULL,
  code TEXT NOT NULL,
  note TEXT NOT NULL,
  added_in INTEGER NOT NULL,
  removed_in INTEGER NOT NULL,
  actor TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE ethics_assessments (
  id INTEGER PRIMARY KEY,
  model_version TEXT NOT NULL REFERENCES models (version),
  status TEXT NOT NULL,
  answers TEXT NOT NULL,
  sensitive_areas TEXT NOT NULL,
  risk_score REAL NOT NULL,
  data_sources_key TEXT NOT NULL,
  codelist_sha256 TEXT NOT NULL,
  started_by TEXT NOT NULL,
  started_at TEXT NOT NULL,
  submitted_by TEXT NOT NULL,
  submitted_at TEXT NOT NULL,
  approved_by TEXT NOT NULL,
  approved_at TEXT NOT NULL
);
CREATE TABLE audit_log (
  seq INTEGER PRIMARY KEY,
  time TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  details TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
  BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER snapshots_no_update BEFORE UPDATE ON snapshots
  BEGIN SELECT RAISE(ABORT, 'snapshots are immutable'); END;
CREATE TRIGGER snapshots_no_delete BEFORE DELETE ON snapshots
  BEGIN SELECT RAISE(ABORT, 'snapshots are immutable'); END;
)sql";

Status MigrateTo1(sqlite3* db) { return Exec(db, kSchemaV1, "create catalog schema 1"); }

// Version 2: the users of the HTTP server (docs/formats/workspace_v1.md, "users").
constexpr char kSchemaV2[] = R"sql(
CREATE TABLE users (
  name TEXT PRIMARY KEY,
  role TEXT NOT NULL,
  token_id TEXT NOT NULL UNIQUE,
  salt TEXT NOT NULL,
  token_hash TEXT NOT NULL,
  disabled INTEGER NOT NULL CHECK (disabled IN (0, 1)),
  actor TEXT NOT NULL,
  created_at TEXT NOT NULL
);
)sql";

Status MigrateTo2(sqlite3* db) { return Exec(db, kSchemaV2, "create catalog schema 2"); }

// Version 3: the clerical review queue (docs/formats/workspace_v1.md, "review_items").
constexpr char kSchemaV3[] = R"sql(
CREATE TABLE review_items (
  id INTEGER PRIMARY KEY,
  created_at TEXT NOT NULL,
  kind TEXT NOT NULL,
  record TEXT NOT NULL,
  record_id TEXT NOT NULL,
  model_version TEXT NOT NULL,
  suggestions TEXT NOT NULL,
  status TEXT NOT NULL,
  assigned_to TEXT NOT NULL,
  assigned_at TEXT NOT NULL
);
CREATE INDEX review_items_by_status ON review_items (status, id);
CREATE TABLE review_decisions (
  id INTEGER PRIMARY KEY,
  item_id INTEGER NOT NULL REFERENCES review_items (id),
  coder TEXT NOT NULL,
  time TEXT NOT NULL,
  action TEXT NOT NULL,
  code TEXT NOT NULL,
  comment TEXT NOT NULL,
  suggestions_shown TEXT NOT NULL,
  blind INTEGER NOT NULL CHECK (blind IN (0, 1))
);
CREATE INDEX review_decisions_by_item ON review_decisions (item_id, id);
CREATE TRIGGER review_decisions_no_update BEFORE UPDATE ON review_decisions
  BEGIN SELECT RAISE(ABORT, 'review decisions are append-only'); END;
CREATE TRIGGER review_decisions_no_delete BEFORE DELETE ON review_decisions
  BEGIN SELECT RAISE(ABORT, 'review decisions are append-only'); END;
)sql";

Status MigrateTo3(sqlite3* db) { return Exec(db, kSchemaV3, "create catalog schema 3"); }

// Version 4: monitoring statistics of coded batches, and the batch a review item came from
// (docs/formats/workspace_v1.md, "monitor_batches").
constexpr char kSchemaV4[] = R"sql(
CREATE TABLE monitor_batches (
  id INTEGER PRIMARY KEY,
  created_at TEXT NOT NULL,
  window_start TEXT NOT NULL,
  window_end TEXT NOT NULL,
  source TEXT NOT NULL CHECK (source IN ('cli', 'api')),
  label TEXT NOT NULL,
  classification TEXT NOT NULL,
  model_version TEXT NOT NULL,
  records INTEGER NOT NULL,
  stats TEXT NOT NULL,
  shadow_version TEXT NOT NULL,
  shadow TEXT NOT NULL,
  actor TEXT NOT NULL
);
CREATE INDEX monitor_batches_by_classification ON monitor_batches (classification, id);
CREATE TRIGGER monitor_batches_no_update BEFORE UPDATE ON monitor_batches
  BEGIN SELECT RAISE(ABORT, 'monitoring statistics are append-only'); END;
CREATE TRIGGER monitor_batches_no_delete BEFORE DELETE ON monitor_batches
  BEGIN SELECT RAISE(ABORT, 'monitoring statistics are append-only'); END;
ALTER TABLE review_items ADD COLUMN batch_id INTEGER NOT NULL DEFAULT 0;
)sql";

Status MigrateTo4(sqlite3* db) { return Exec(db, kSchemaV4, "create catalog schema 4"); }

// Version 5: production cycles and their step journal (docs/formats/workspace_v1.md, "cycles").
constexpr char kSchemaV5[] = R"sql(
CREATE TABLE cycles (
  id INTEGER PRIMARY KEY,
  period TEXT NOT NULL,
  batch_snapshot TEXT NOT NULL UNIQUE REFERENCES snapshots (id),
  batch_file TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('running', 'waiting', 'done', 'failed')),
  steps TEXT NOT NULL,
  model_version TEXT NOT NULL,
  coded_records INTEGER NOT NULL,
  queued_items INTEGER NOT NULL,
  challenger TEXT NOT NULL,
  promoted INTEGER NOT NULL CHECK (promoted IN (0, 1)),
  actor TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TRIGGER cycles_no_delete BEFORE DELETE ON cycles
  BEGIN SELECT RAISE(ABORT, 'cycles are never deleted'); END;
)sql";

Status MigrateTo5(sqlite3* db) { return Exec(db, kSchemaV5, "create catalog schema 5"); }

// kMigrations[v] turns schema version v into v + 1 (0 is an empty database). Adding a version:
// write MigrateToN, append it here, bump kCatalogSchemaVersion and document it.
using Migration = Status (*)(sqlite3*);
constexpr std::array<Migration, kCatalogSchemaVersion> kMigrations = {&MigrateTo1, &MigrateTo2,
                                                                      &MigrateTo3, &MigrateTo4,
                                                                      &MigrateTo5};

// ---- Row codecs: the column lists and the readers/binders below go in the same order ----

constexpr char kSnapshotColumns[] =
    "id, kind, row_count, rejected, schema, data_source, source_file, source_sha256, parents, "
    "transformation, path, rejects_path, rejects_sha256, actor, created_at";

Result<SnapshotRow> ReadSnapshot(const Stmt& s) {
  SnapshotRow r;
  r.id = s.Text(0);
  r.kind = s.Text(1);
  r.rows = static_cast<uint64_t>(s.Int(2));
  r.rejected = static_cast<uint64_t>(s.Int(3));
  ASSIGN_OR_RETURN(r.schema, ParseJson(s.Text(4), "snapshots", r.id, "schema"));
  r.data_source = s.Text(5);
  r.source_file = s.Text(6);
  r.source_sha256 = s.Text(7);
  ASSIGN_OR_RETURN(r.parents, ParseStrings(s.Text(8), "snapshots", r.id, "parents"));
  r.transformation = s.Text(9);
  r.path = s.Text(10);
  r.rejects_path = s.Text(11);
  r.rejects_sha256 = s.Text(12);
  r.actor = s.Text(13);
  r.created_at = s.Text(14);
  return r;
}

constexpr char kModelColumns[] =
    "version, number, classification, path, file_sha256, snapshots, evaluation_snapshots, "
    "options, seed, statcoder_version, codelist_sha256, data_sources, report_path, "
    "report_sha256, archived, actor, created_at";

Result<ModelRow> ReadModel(const Stmt& s) {
  ModelRow r;
  r.version = s.Text(0);
  r.number = s.Int(1);
  r.classification = s.Text(2);
  r.path = s.Text(3);
  r.file_sha256 = s.Text(4);
  ASSIGN_OR_RETURN(r.snapshots, ParseStrings(s.Text(5), "models", r.version, "snapshots"));
  ASSIGN_OR_RETURN(r.evaluation_snapshots,
                   ParseStrings(s.Text(6), "models", r.version, "evaluation_snapshots"));
  ASSIGN_OR_RETURN(r.options, ParseJson(s.Text(7), "models", r.version, "options"));
  r.seed = static_cast<uint64_t>(s.Int(8));
  r.statcoder_version = s.Text(9);
  r.codelist_sha256 = s.Text(10);
  ASSIGN_OR_RETURN(r.data_sources, ParseStrings(s.Text(11), "models", r.version, "data_sources"));
  r.report_path = s.Text(12);
  r.report_sha256 = s.Text(13);
  r.archived = s.Int(14) != 0;
  r.actor = s.Text(15);
  r.created_at = s.Text(16);
  return r;
}

constexpr char kAliasColumns[] = "classification, alias, version, reason, actor, set_at";

AliasRow ReadAlias(const Stmt& s) {
  return {.classification = s.Text(0),
          .alias = s.Text(1),
          .version = s.Text(2),
          .reason = s.Text(3),
          .actor = s.Text(4),
          .set_at = s.Text(5)};
}

constexpr char kKbColumns[] =
    "id, text, context, code, note, added_in, removed_in, actor, created_at";

Result<KbEntry> ReadKbEntry(const Stmt& s) {
  KbEntry e;
  e.id = s.Int(0);
  e.text = s.Text(1);
  ASSIGN_OR_RETURN(e.context, ParseJson(s.Text(2), "kb_entries", std::to_string(e.id), "context"));
  e.code = s.Text(3);
  e.note = s.Text(4);
  e.added_in = s.Int(5);
  e.removed_in = s.Int(6);
  e.actor = s.Text(7);
  e.created_at = s.Text(8);
  return e;
}

// id first; the rest is also the UPDATE's SET list, in this order.
constexpr char kAssessmentColumns[] =
    "id, model_version, status, answers, sensitive_areas, risk_score, data_sources_key, "
    "codelist_sha256, started_by, started_at, submitted_by, submitted_at, approved_by, "
    "approved_at";

Result<EthicsAssessment> ReadAssessment(const Stmt& s) {
  EthicsAssessment a;
  a.id = s.Int(0);
  const std::string key = std::to_string(a.id);
  a.model_version = s.Text(1);
  a.status = s.Text(2);
  ASSIGN_OR_RETURN(a.answers, ParseJson(s.Text(3), "ethics_assessments", key, "answers"));
  ASSIGN_OR_RETURN(a.sensitive_areas,
                   ParseJson(s.Text(4), "ethics_assessments", key, "sensitive_areas"));
  a.risk_score = s.Real(5);
  a.data_sources_key = s.Text(6);
  a.codelist_sha256 = s.Text(7);
  a.started_by = s.Text(8);
  a.started_at = s.Text(9);
  a.submitted_by = s.Text(10);
  a.submitted_at = s.Text(11);
  a.approved_by = s.Text(12);
  a.approved_at = s.Text(13);
  return a;
}

// Binds every column but id, in kAssessmentColumns order.
Status BindAssessment(Stmt& s, const EthicsAssessment& a) {
  ASSIGN_OR_RETURN(std::string answers, Dump(a.answers, "assessment answers"));
  ASSIGN_OR_RETURN(std::string areas, Dump(a.sensitive_areas, "assessment sensitive areas"));
  s.Bind(a.model_version).Bind(a.status).Bind(answers).Bind(areas).Bind(a.risk_score);
  s.Bind(a.data_sources_key).Bind(a.codelist_sha256).Bind(a.started_by).Bind(a.started_at);
  s.Bind(a.submitted_by).Bind(a.submitted_at).Bind(a.approved_by).Bind(a.approved_at);
  return Status();
}

constexpr char kUserColumns[] =
    "name, role, token_id, salt, token_hash, disabled, actor, created_at";

UserRow ReadUser(const Stmt& s) {
  return {.name = s.Text(0),
          .role = s.Text(1),
          .token_id = s.Text(2),
          .salt = s.Text(3),
          .token_hash = s.Text(4),
          .disabled = s.Int(5) != 0,
          .actor = s.Text(6),
          .created_at = s.Text(7)};
}

constexpr char kAuditColumns[] = "seq, time, actor, action, details, prev_hash, hash";

Result<AuditEntry> ReadAudit(const Stmt& s) {
  AuditEntry e;
  e.seq = s.Int(0);
  e.time = s.Text(1);
  e.actor = s.Text(2);
  e.action = s.Text(3);
  ASSIGN_OR_RETURN(e.details, ParseJson(s.Text(4), "audit_log", std::to_string(e.seq), "details"));
  e.prev_hash = s.Text(5);
  e.hash = s.Text(6);
  return e;
}

constexpr char kReviewItemColumns[] =
    "id, created_at, kind, record, record_id, model_version, suggestions, status, assigned_to, "
    "assigned_at, batch_id";

Result<ReviewItemRow> ReadReviewItem(const Stmt& s) {
  ReviewItemRow r;
  r.id = s.Int(0);
  const std::string key = std::to_string(r.id);
  r.created_at = s.Text(1);
  r.kind = s.Text(2);
  ASSIGN_OR_RETURN(r.record, ParseJson(s.Text(3), "review_items", key, "record"));
  r.record_id = s.Text(4);
  r.model_version = s.Text(5);
  ASSIGN_OR_RETURN(r.suggestions, ParseJson(s.Text(6), "review_items", key, "suggestions"));
  r.status = s.Text(7);
  r.assigned_to = s.Text(8);
  r.assigned_at = s.Text(9);
  r.batch_id = s.Int(10);
  return r;
}

constexpr char kMonitorBatchColumns[] =
    "id, created_at, window_start, window_end, source, label, classification, model_version, "
    "records, stats, shadow_version, shadow, actor";

Result<MonitorBatchRow> ReadMonitorBatch(const Stmt& s) {
  MonitorBatchRow r;
  r.id = s.Int(0);
  const std::string key = std::to_string(r.id);
  r.created_at = s.Text(1);
  r.window_start = s.Text(2);
  r.window_end = s.Text(3);
  r.source = s.Text(4);
  r.label = s.Text(5);
  r.classification = s.Text(6);
  r.model_version = s.Text(7);
  r.records = s.Int(8);
  ASSIGN_OR_RETURN(r.stats, ParseJson(s.Text(9), "monitor_batches", key, "stats"));
  r.shadow_version = s.Text(10);
  ASSIGN_OR_RETURN(r.shadow, ParseJson(s.Text(11), "monitor_batches", key, "shadow"));
  r.actor = s.Text(12);
  return r;
}

constexpr char kCycleColumns[] =
    "id, period, batch_snapshot, batch_file, state, steps, model_version, coded_records, "
    "queued_items, challenger, promoted, actor, created_at, updated_at";

Result<CycleRow> ReadCycle(const Stmt& s) {
  CycleRow r;
  r.id = s.Int(0);
  r.period = s.Text(1);
  r.batch_snapshot = s.Text(2);
  r.batch_file = s.Text(3);
  r.state = s.Text(4);
  ASSIGN_OR_RETURN(r.steps, ParseJson(s.Text(5), "cycles", std::to_string(r.id), "steps"));
  r.model_version = s.Text(6);
  r.coded_records = s.Int(7);
  r.queued_items = s.Int(8);
  r.challenger = s.Text(9);
  r.promoted = s.Int(10) != 0;
  r.actor = s.Text(11);
  r.created_at = s.Text(12);
  r.updated_at = s.Text(13);
  return r;
}

constexpr char kReviewDecisionColumns[] =
    "id, item_id, coder, time, action, code, comment, suggestions_shown, blind";

Result<ReviewDecisionRow> ReadReviewDecision(const Stmt& s) {
  ReviewDecisionRow r;
  r.id = s.Int(0);
  r.item_id = s.Int(1);
  r.coder = s.Text(2);
  r.time = s.Text(3);
  r.action = s.Text(4);
  r.code = s.Text(5);
  r.comment = s.Text(6);
  ASSIGN_OR_RETURN(r.suggestions_shown, ParseJson(s.Text(7), "review_decisions",
                                                  std::to_string(r.id), "suggestions_shown"));
  r.blind = s.Int(8) != 0;
  return r;
}

// Collects every row of `s` through `read` (returning T or Result<T>).
template <typename T, typename Reader>
Result<std::vector<T>> ReadAll(Stmt& s, Reader read) {
  std::vector<T> out;
  while (true) {
    ASSIGN_OR_RETURN(bool has_row, s.Step());
    if (!has_row) return out;
    Result<T> row = read(s);
    if (!row.ok()) return row.status();
    out.push_back(std::move(row).value());
  }
}

// At most one row of `s`.
template <typename T, typename Reader>
Result<std::optional<T>> ReadOne(Stmt& s, Reader read) {
  ASSIGN_OR_RETURN(std::vector<T> rows, (ReadAll<T>(s, read)));
  if (rows.empty()) return std::optional<T>();
  return std::optional<T>(std::move(rows.front()));
}

class SqliteStore final : public MetadataStore {
 public:
  explicit SqliteStore(sqlite3* db) : db_(db) {}
  ~SqliteStore() override { sqlite3_close_v2(db_); }
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  Status Configure() {
    // WAL lets readers go on while one process writes, and keeps the last commit after a crash.
    Stmt wal(db_, "set WAL journal mode", "PRAGMA journal_mode = WAL");
    ASSIGN_OR_RETURN(bool has_row, wal.Step());
    if (!has_row || wal.Text(0) != "wal") {
      return core::FailedPrecondition(
          "workspace catalog " + std::string(sqlite3_db_filename(db_, "main")) +
          ": SQLite cannot use WAL mode there; keep the workspace on a local file system");
    }
    return Exec(db_, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON", "configure connection");
  }

  // Brings the schema to kCatalogSchemaVersion. Checked without the write lock first, so opening
  // an up-to-date catalog never waits for another process's transaction.
  // An empty database gets the schema only when `create` (a new workspace): a workspace whose
  // catalog was emptied or replaced keeps its lake and models, and starting over would hide
  // that they are no longer catalogued.
  Status Migrate(bool create) {
    ASSIGN_OR_RETURN(schema_version_, ReadSchemaVersion());
    if (schema_version_ == kCatalogSchemaVersion) return Status();
    if (schema_version_ == 0 && !create) return EmptyCatalog();
    return Transaction([&]() -> Status {
      // Another process may have migrated between the check and the lock.
      ASSIGN_OR_RETURN(int version, ReadSchemaVersion());
      if (version == 0 && !create) return EmptyCatalog();
      for (; version < kCatalogSchemaVersion; ++version) {
        RETURN_IF_ERROR(kMigrations[static_cast<size_t>(version)](db_));
        Stmt set(db_, "record schema version",
                 "INSERT INTO meta (key, value) VALUES ('schema_version', ?) "
                 "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
        RETURN_IF_ERROR(set.Bind(int64_t{version + 1}).Run());
      }
      schema_version_ = version;
      return Status();
    });
  }

  Status Transaction(const std::function<Status()>& body) override {
    // A nested call is a savepoint: it commits with the outer transaction, and its failure
    // undoes only its own writes, leaving the choice to the outer body.
    const bool outer = depth_ == 0;
    RETURN_IF_ERROR(Exec(db_, outer ? "BEGIN IMMEDIATE" : "SAVEPOINT nested", "begin transaction"));
    ++depth_;
    Status s;
    try {
      s = body();
    } catch (...) {
      --depth_;
      Undo(outer);
      throw;
    }
    --depth_;
    if (s.ok()) {
      s = Exec(db_, outer ? "COMMIT" : "RELEASE nested", "commit transaction");
      if (s.ok()) return s;
    }
    Undo(outer);
    return s;
  }

  int SchemaVersion() const override { return schema_version_; }

  Status CheckIntegrity() override {
    // A page too damaged to walk makes the check itself fail: that is its verdict too.
    auto failed = [&](const Status& s) {
      if (s.code() != core::StatusCode::kDataLoss) return s;
      return CatalogProblem(std::string("fails SQLite's integrity check (") +
                            sqlite3_errmsg(db_) + "); restore statcoder.db from a backup");
    };
    Stmt check(db_, "check catalog integrity", "PRAGMA integrity_check(20)");
    std::vector<std::string> problems;
    while (true) {
      Result<bool> row = check.Step();
      if (!row.ok()) return failed(row.status());
      if (!*row) break;
      if (check.Text(0) != "ok") problems.push_back(check.Text(0));
    }
    Stmt keys(db_, "check catalog references", "PRAGMA foreign_key_check");
    while (problems.empty()) {
      Result<bool> row = keys.Step();
      if (!row.ok()) return failed(row.status());
      if (!*row) break;
      problems.push_back("row " + keys.Text(1) + " of table " + keys.Text(0) +
                         " refers to a missing row of table " + keys.Text(2));
      if (problems.size() >= 20) break;
    }
    if (problems.empty()) return Status();
    std::string list;
    for (const std::string& p : problems) list += (list.empty() ? "" : "; ") + p;
    return CatalogProblem("fails SQLite's integrity check (" + list +
                          "); restore statcoder.db from a backup");
  }

  // ---- Snapshots ----

  Result<std::optional<SnapshotRow>> FindSnapshot(const std::string& id) override {
    Stmt s(db_, "find snapshot",
           std::string("SELECT ") + kSnapshotColumns + " FROM snapshots WHERE id = ?");
    s.Bind(id);
    return ReadOne<SnapshotRow>(s, ReadSnapshot);
  }

  Result<std::vector<SnapshotRow>> ListSnapshots() override {
    Stmt s(db_, "list snapshots",
           std::string("SELECT ") + kSnapshotColumns + " FROM snapshots ORDER BY seq");
    return ReadAll<SnapshotRow>(s, ReadSnapshot);
  }

  Status InsertSnapshot(const SnapshotRow& r) override {
    ASSIGN_OR_RETURN(std::string schema, Dump(r.schema, "snapshot schema"));
    ASSIGN_OR_RETURN(std::string parents, Dump(r.parents, "snapshot parents"));
    Stmt s(db_, "insert snapshot " + r.id, InsertSql("snapshots", kSnapshotColumns));
    s.Bind(r.id).Bind(r.kind).Bind(static_cast<int64_t>(r.rows));
    s.Bind(static_cast<int64_t>(r.rejected)).Bind(schema).Bind(r.data_source).Bind(r.source_file);
    s.Bind(r.source_sha256).Bind(parents).Bind(r.transformation).Bind(r.path);
    s.Bind(r.rejects_path).Bind(r.rejects_sha256).Bind(r.actor).Bind(r.created_at);
    Status st = s.Run();
    if (IsUniqueViolation(s.rc())) {
      return core::AlreadyExists("snapshot " + r.id + " is already in the workspace catalog");
    }
    return st;
  }

  // ---- Models and aliases ----

  Result<int64_t> InsertModel(const ModelRow& r) override {
    ASSIGN_OR_RETURN(std::string snapshots, Dump(r.snapshots, "model snapshots"));
    ASSIGN_OR_RETURN(std::string evaluation, Dump(r.evaluation_snapshots, "evaluation snapshots"));
    ASSIGN_OR_RETURN(std::string options, Dump(r.options, "model options"));
    ASSIGN_OR_RETURN(std::string sources, Dump(r.data_sources, "model data sources"));
    // The number is computed inside the INSERT, so it is max + 1 under the write lock even
    // outside a Transaction.
    Stmt s(db_, "register model " + r.version,
           std::string("INSERT INTO models (") + kModelColumns +
               ") VALUES (?, (SELECT COALESCE(MAX(number), 0) + 1 FROM models), "
               "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING number");
    s.Bind(r.version).Bind(r.classification).Bind(r.path).Bind(r.file_sha256).Bind(snapshots);
    s.Bind(evaluation).Bind(options).Bind(static_cast<int64_t>(r.seed)).Bind(r.statcoder_version);
    s.Bind(r.codelist_sha256).Bind(sources).Bind(r.report_path).Bind(r.report_sha256);
    s.Bind(int64_t{r.archived}).Bind(r.actor).Bind(r.created_at);
    Result<bool> has_row = s.Step();
    if (IsUniqueViolation(s.rc())) {
      return core::AlreadyExists("model version " + r.version + " is already registered");
    }
    if (!has_row.ok()) return has_row.status();
    const int64_t number = s.Int(0);
    RETURN_IF_ERROR(s.Run());
    return number;
  }

  Result<std::optional<ModelRow>> FindModel(const std::string& version) override {
    Stmt s(db_, "find model",
           std::string("SELECT ") + kModelColumns + " FROM models WHERE version = ?");
    s.Bind(version);
    return ReadOne<ModelRow>(s, ReadModel);
  }

  Result<std::vector<ModelRow>> ListModels() override {
    Stmt s(db_, "list models",
           std::string("SELECT ") + kModelColumns + " FROM models ORDER BY number");
    return ReadAll<ModelRow>(s, ReadModel);
  }

  Status SetArchived(const std::string& version, bool archived) override {
    Stmt s(db_, "archive model " + version, "UPDATE models SET archived = ? WHERE version = ?");
    RETURN_IF_ERROR(s.Bind(int64_t{archived}).Bind(version).Run());
    if (sqlite3_changes(db_) == 0) return ModelNotFound(version);
    return Status();
  }

  Result<std::optional<AliasRow>> FindAlias(const std::string& classification,
                                            const std::string& alias) override {
    Stmt s(db_, "find alias",
           std::string("SELECT ") + kAliasColumns +
               " FROM aliases WHERE classification = ? AND alias = ?");
    s.Bind(classification).Bind(alias);
    return ReadOne<AliasRow>(s, ReadAlias);
  }

  Result<std::vector<AliasRow>> ListAliases() override {
    Stmt s(db_, "list aliases",
           std::string("SELECT ") + kAliasColumns + " FROM aliases ORDER BY classification, alias");
    return ReadAll<AliasRow>(s, ReadAlias);
  }

  Status SetAlias(const AliasRow& r) override {
    return Transaction([&]() -> Status {
      const std::string op = "set alias " + r.alias + " of " + r.classification;
      Stmt set(db_, op,
               std::string("INSERT INTO aliases (") + kAliasColumns +
                   ") VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (classification, alias) DO UPDATE "
                   "SET version = excluded.version, reason = excluded.reason, "
                   "actor = excluded.actor, set_at = excluded.set_at");
      set.Bind(r.classification).Bind(r.alias).Bind(r.version).Bind(r.reason).Bind(r.actor);
      set.Bind(r.set_at);
      Status st = set.Run();
      if (set.rc() == SQLITE_CONSTRAINT_FOREIGNKEY) return ModelNotFound(r.version);
      RETURN_IF_ERROR(st);
      Stmt history(db_, op, InsertSql("alias_history", kAliasColumns));
      history.Bind(r.classification).Bind(r.alias).Bind(r.version).Bind(r.reason);
      history.Bind(r.actor).Bind(r.set_at);
      return history.Run();
    });
  }

  Status ClearAlias(const std::string& classification, const std::string& alias) override {
    Stmt s(db_, "clear alias " + alias + " of " + classification,
           "DELETE FROM aliases WHERE classification = ? AND alias = ?");
    RETURN_IF_ERROR(s.Bind(classification).Bind(alias).Run());
    if (sqlite3_changes(db_) == 0) {
      return core::NotFound("alias " + alias + " of classification " + classification +
                            " is not set");
    }
    return Status();
  }

  Result<std::vector<AliasRow>> AliasHistory(const std::string& classification,
                                             const std::string& alias) override {
    Stmt s(db_, "read alias history",
           std::string("SELECT ") + kAliasColumns +
               " FROM alias_history WHERE classification = ? AND alias = ? ORDER BY seq");
    s.Bind(classification).Bind(alias);
    return ReadAll<AliasRow>(s, ReadAlias);
  }

  // ---- Knowledge base ----

  Result<int64_t> KbVersion() override {
    Stmt s(db_, "read knowledge-base version", "SELECT value FROM meta WHERE key = 'kb_version'");
    return ReadKbVersion(s);
  }

  Result<int64_t> BumpKbVersion() override {
    // One statement: atomic even outside a Transaction.
    Stmt s(db_, "bump knowledge-base version",
           "UPDATE meta SET value = value + 1 WHERE key = 'kb_version' RETURNING value");
    ASSIGN_OR_RETURN(int64_t version, ReadKbVersion(s));
    RETURN_IF_ERROR(s.Run());
    return version;
  }

  Result<int64_t> InsertKbEntry(const KbEntry& e) override {
    ASSIGN_OR_RETURN(std::string context, Dump(e.context, "knowledge-base entry context"));
    // kKbColumns without the id, which SQLite assigns.
    Stmt s(db_, "insert knowledge-base entry",
           InsertSql("kb_entries", std::string_view(kKbColumns).substr(4)));
    s.Bind(e.text).Bind(context).Bind(e.code).Bind(e.note).Bind(e.added_in).Bind(e.removed_in);
    RETURN_IF_ERROR(s.Bind(e.actor).Bind(e.created_at).Run());
    return sqlite3_last_insert_rowid(db_);
  }

  Status MarkKbEntryRemoved(int64_t id, int64_t removed_in) override {
    const std::string entry = "knowledge-base entry " + std::to_string(id);
    if (removed_in < 1) {
      return core::InvalidArgument(entry + ": removal version " + std::to_string(removed_in) +
                                   " must be at least 1");
    }
    Stmt s(db_, "remove " + entry,
           "UPDATE kb_entries SET removed_in = ? WHERE id = ? AND removed_in = 0");
    RETURN_IF_ERROR(s.Bind(removed_in).Bind(id).Run());
    if (sqlite3_changes(db_) > 0) return Status();
    // Tell a missing entry from one removed before: rows are never rewritten.
    Stmt find(db_, "find " + entry, "SELECT removed_in FROM kb_entries WHERE id = ?");
    ASSIGN_OR_RETURN(bool exists, find.Bind(id).Step());
    if (!exists) return core::NotFound(entry + " does not exist");
    return core::FailedPrecondition(entry + " was already removed in version " +
                                    std::to_string(find.Int(0)));
  }

  Result<std::vector<KbEntry>> ListKbEntries(int64_t version) override {
    const std::string select = std::string("SELECT ") + kKbColumns + " FROM kb_entries WHERE ";
    if (version < 0) {
      Stmt s(db_, "list knowledge base", select + "removed_in = 0 ORDER BY id");
      return ReadAll<KbEntry>(s, ReadKbEntry);
    }
    Stmt s(db_, "list knowledge base at version " + std::to_string(version),
           select + "added_in <= ?1 AND (removed_in = 0 OR removed_in > ?1) ORDER BY id");
    s.Bind(version);
    return ReadAll<KbEntry>(s, ReadKbEntry);
  }

  // ---- Ethics ----

  Result<int64_t> InsertAssessment(const EthicsAssessment& a) override {
    Stmt s(db_, "insert ethics assessment of " + a.model_version,
           InsertSql("ethics_assessments", std::string_view(kAssessmentColumns).substr(4)));
    RETURN_IF_ERROR(BindAssessment(s, a));
    Status st = s.Run();
    if (s.rc() == SQLITE_CONSTRAINT_FOREIGNKEY) return ModelNotFound(a.model_version);
    RETURN_IF_ERROR(st);
    return sqlite3_last_insert_rowid(db_);
  }

  Status UpdateAssessment(const EthicsAssessment& a) override {
    const std::string what = "ethics assessment " + std::to_string(a.id);
    Stmt s(db_, "update " + what,
           "UPDATE ethics_assessments SET model_version = ?, status = ?, answers = ?, "
           "sensitive_areas = ?, risk_score = ?, data_sources_key = ?, codelist_sha256 = ?, "
           "started_by = ?, started_at = ?, submitted_by = ?, submitted_at = ?, "
           "approved_by = ?, approved_at = ? WHERE id = ?");
    RETURN_IF_ERROR(BindAssessment(s, a));
    Status st = s.Bind(a.id).Run();
    if (s.rc() == SQLITE_CONSTRAINT_FOREIGNKEY) return ModelNotFound(a.model_version);
    RETURN_IF_ERROR(st);
    if (sqlite3_changes(db_) == 0) return core::NotFound(what + " does not exist");
    return Status();
  }

  Result<std::vector<EthicsAssessment>> ListAssessments() override {
    Stmt s(db_, "list ethics assessments",
           std::string("SELECT ") + kAssessmentColumns + " FROM ethics_assessments ORDER BY id");
    return ReadAll<EthicsAssessment>(s, ReadAssessment);
  }

  // ---- Users ----

  Status InsertUser(const UserRow& r) override {
    Stmt s(db_, "insert user " + r.name, InsertSql("users", kUserColumns));
    s.Bind(r.name).Bind(r.role).Bind(r.token_id).Bind(r.salt).Bind(r.token_hash);
    s.Bind(int64_t{r.disabled}).Bind(r.actor).Bind(r.created_at);
    Status st = s.Run();
    if (IsUniqueViolation(s.rc())) {
      return core::AlreadyExists("user " + r.name + " already exists; choose another name");
    }
    return st;
  }

  Result<std::optional<UserRow>> FindUser(const std::string& name) override {
    Stmt s(db_, "find user", std::string("SELECT ") + kUserColumns + " FROM users WHERE name = ?");
    s.Bind(name);
    return ReadOne<UserRow>(s, ReadUser);
  }

  Result<std::vector<UserRow>> ListUsers() override {
    Stmt s(db_, "list users", std::string("SELECT ") + kUserColumns + " FROM users ORDER BY name");
    return ReadAll<UserRow>(s, ReadUser);
  }

  Status SetUserDisabled(const std::string& name, bool disabled) override {
    Stmt s(db_, "disable user " + name, "UPDATE users SET disabled = ? WHERE name = ?");
    RETURN_IF_ERROR(s.Bind(int64_t{disabled}).Bind(name).Run());
    if (sqlite3_changes(db_) == 0) {
      return core::NotFound("user " + name + " does not exist; see 'statcoder users list'");
    }
    return Status();
  }

  // ---- Review queue ----

  Result<std::vector<int64_t>> InsertReviewItems(const std::vector<ReviewItemRow>& items) override {
    std::vector<int64_t> ids;
    ids.reserve(items.size());
    RETURN_IF_ERROR(Transaction([&]() -> Status {
      // One transaction and one prepared statement for the batch: the server's writer inserts
      // many at a time.
      Stmt one(db_, "insert review item",
               InsertSql("review_items", std::string_view(kReviewItemColumns).substr(4)));
      for (const ReviewItemRow& r : items) {
        ASSIGN_OR_RETURN(std::string record, Dump(r.record, "review item record"));
        ASSIGN_OR_RETURN(std::string suggestions, Dump(r.suggestions, "review item suggestions"));
        one.Reset();
        one.Bind(r.created_at).Bind(r.kind).Bind(record).Bind(r.record_id).Bind(r.model_version);
        one.Bind(suggestions).Bind(r.status).Bind(r.assigned_to).Bind(r.assigned_at);
        one.Bind(r.batch_id);
        RETURN_IF_ERROR(one.Run());
        ids.push_back(sqlite3_last_insert_rowid(db_));
      }
      return Status();
    }));
    return ids;
  }

  Result<std::optional<ReviewItemRow>> FindReviewItem(int64_t id) override {
    Stmt s(db_, "find review item",
           std::string("SELECT ") + kReviewItemColumns + " FROM review_items WHERE id = ?");
    s.Bind(id);
    return ReadOne<ReviewItemRow>(s, ReadReviewItem);
  }

  Result<std::optional<ReviewItemRow>> LeaseReviewItem(const std::vector<std::string>& statuses,
                                                       const std::string& coder,
                                                       const std::string& now,
                                                       const std::string& expired_before) override {
    ASSIGN_OR_RETURN(std::string wanted, Dump(json(statuses), "review statuses"));
    // One UPDATE ... RETURNING picks and leases under the write lock, so two servers or two
    // request threads never hand out the same item.
    Stmt s(db_, "lease review item",
           std::string("UPDATE review_items SET assigned_to = ?1, assigned_at = ?2 WHERE id = "
                       "(SELECT id FROM review_items WHERE status IN (SELECT value FROM "
                       "json_each(?3)) AND (assigned_to = '' OR assigned_to = ?1 OR "
                       "assigned_at < ?4) AND id NOT IN (SELECT item_id FROM review_decisions "
                       "WHERE coder = ?1 AND action = 'skip') ORDER BY id LIMIT 1) RETURNING ") +
               kReviewItemColumns);
    s.Bind(coder).Bind(now).Bind(wanted).Bind(expired_before);
    return ReadOne<ReviewItemRow>(s, ReadReviewItem);
  }

  Status UpdateReviewItem(int64_t id, const std::string& status, const std::string& assigned_to,
                          const std::string& assigned_at) override {
    Stmt s(db_, "update review item " + std::to_string(id),
           "UPDATE review_items SET status = ?, assigned_to = ?, assigned_at = ? WHERE id = ?");
    RETURN_IF_ERROR(s.Bind(status).Bind(assigned_to).Bind(assigned_at).Bind(id).Run());
    if (sqlite3_changes(db_) == 0) return ReviewItemNotFound(id);
    return Status();
  }

  Result<int64_t> InsertMonitorBatch(const MonitorBatchRow& r) override {
    ASSIGN_OR_RETURN(std::string stats, Dump(r.stats, "monitor batch stats"));
    ASSIGN_OR_RETURN(std::string shadow, Dump(r.shadow, "monitor batch shadow"));
    Stmt s(db_, "insert monitor batch",
           InsertSql("monitor_batches", std::string_view(kMonitorBatchColumns).substr(4)));
    s.Bind(r.created_at).Bind(r.window_start).Bind(r.window_end).Bind(r.source).Bind(r.label);
    s.Bind(r.classification).Bind(r.model_version).Bind(r.records).Bind(stats);
    s.Bind(r.shadow_version).Bind(shadow).Bind(r.actor);
    RETURN_IF_ERROR(s.Run());
    return sqlite3_last_insert_rowid(db_);
  }

  Result<std::vector<MonitorBatchRow>> ListMonitorBatches(const std::string& classification,
                                                          const std::string& since) override {
    Stmt s(db_, "list monitor batches",
           std::string("SELECT ") + kMonitorBatchColumns +
               " FROM monitor_batches WHERE (?1 = '' OR classification = ?1) AND created_at >= ?2"
               " ORDER BY id");
    s.Bind(classification).Bind(since);
    return ReadAll<MonitorBatchRow>(s, ReadMonitorBatch);
  }

  Result<int64_t> InsertCycle(const CycleRow& r) override {
    ASSIGN_OR_RETURN(std::string steps, Dump(r.steps, "cycle steps"));
    Stmt s(db_, "insert cycle of batch " + r.batch_snapshot,
           InsertSql("cycles", std::string_view(kCycleColumns).substr(4)));
    s.Bind(r.period).Bind(r.batch_snapshot).Bind(r.batch_file).Bind(r.state).Bind(steps);
    s.Bind(r.model_version).Bind(r.coded_records).Bind(r.queued_items).Bind(r.challenger);
    s.Bind(int64_t{r.promoted}).Bind(r.actor).Bind(r.created_at).Bind(r.updated_at);
    Status st = s.Run();
    if (s.rc() == SQLITE_CONSTRAINT_UNIQUE) {
      return core::AlreadyExists("batch snapshot " + r.batch_snapshot + " already has a cycle");
    }
    RETURN_IF_ERROR(st);
    return sqlite3_last_insert_rowid(db_);
  }

  Status UpdateCycle(const CycleRow& r) override {
    ASSIGN_OR_RETURN(std::string steps, Dump(r.steps, "cycle steps"));
    Stmt s(db_, "update cycle " + std::to_string(r.id),
           "UPDATE cycles SET period = ?, batch_snapshot = ?, batch_file = ?, state = ?, "
           "steps = ?, model_version = ?, coded_records = ?, queued_items = ?, challenger = ?, "
           "promoted = ?, actor = ?, updated_at = ? WHERE id = ?");
    s.Bind(r.period).Bind(r.batch_snapshot).Bind(r.batch_file).Bind(r.state).Bind(steps);
    s.Bind(r.model_version).Bind(r.coded_records).Bind(r.queued_items).Bind(r.challenger);
    s.Bind(int64_t{r.promoted}).Bind(r.actor).Bind(r.updated_at).Bind(r.id);
    RETURN_IF_ERROR(s.Run());
    if (sqlite3_changes(db_) == 0) {
      return core::NotFound("cycle " + std::to_string(r.id) + " does not exist");
    }
    return Status();
  }

  Result<std::optional<CycleRow>> FindCycleByBatch(const std::string& batch) override {
    Stmt s(db_, "find cycle of batch " + batch,
           std::string("SELECT ") + kCycleColumns + " FROM cycles WHERE batch_snapshot = ?");
    s.Bind(batch);
    ASSIGN_OR_RETURN(std::vector<CycleRow> rows, ReadAll<CycleRow>(s, ReadCycle));
    if (rows.empty()) return std::optional<CycleRow>();
    return std::optional<CycleRow>(std::move(rows.front()));
  }

  Result<std::vector<CycleRow>> ListCycles() override {
    Stmt s(db_, "list cycles", std::string("SELECT ") + kCycleColumns + " FROM cycles ORDER BY id");
    return ReadAll<CycleRow>(s, ReadCycle);
  }

  Result<std::vector<ReviewItemRow>> ListReviewItems() override {
    Stmt s(db_, "list review items",
           std::string("SELECT ") + kReviewItemColumns + " FROM review_items ORDER BY id");
    return ReadAll<ReviewItemRow>(s, ReadReviewItem);
  }

  Result<std::map<std::pair<std::string, std::string>, int64_t>> CountReviewItems() override {
    Stmt s(db_, "count review items",
           "SELECT kind, status, count(*) FROM review_items GROUP BY kind, status");
    std::map<std::pair<std::string, std::string>, int64_t> out;
    while (true) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) return out;
      out[{s.Text(0), s.Text(1)}] = s.Int(2);
    }
  }

  Result<std::map<std::string, int64_t>> CountReviewDecisionsSince(
      const std::string& since) override {
    Stmt s(db_, "count review decisions",
           "SELECT action, count(*) FROM review_decisions WHERE time >= ? GROUP BY action");
    s.Bind(since);
    std::map<std::string, int64_t> out;
    while (true) {
      ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) return out;
      out[s.Text(0)] = s.Int(1);
    }
  }

  Result<int64_t> InsertReviewDecision(const ReviewDecisionRow& r) override {
    ASSIGN_OR_RETURN(std::string shown, Dump(r.suggestions_shown, "review decision suggestions"));
    Stmt s(db_, "insert review decision on item " + std::to_string(r.item_id),
           InsertSql("review_decisions", std::string_view(kReviewDecisionColumns).substr(4)));
    s.Bind(r.item_id).Bind(r.coder).Bind(r.time).Bind(r.action).Bind(r.code).Bind(r.comment);
    s.Bind(shown).Bind(int64_t{r.blind});
    Status st = s.Run();
    if (s.rc() == SQLITE_CONSTRAINT_FOREIGNKEY) return ReviewItemNotFound(r.item_id);
    RETURN_IF_ERROR(st);
    return sqlite3_last_insert_rowid(db_);
  }

  Result<std::vector<ReviewDecisionRow>> ListReviewDecisions(int64_t item_id) override {
    const std::string select =
        std::string("SELECT ") + kReviewDecisionColumns + " FROM review_decisions ";
    if (item_id < 0) {
      Stmt s(db_, "list review decisions", select + "ORDER BY id");
      return ReadAll<ReviewDecisionRow>(s, ReadReviewDecision);
    }
    Stmt s(db_, "list review decisions", select + "WHERE item_id = ? ORDER BY id");
    s.Bind(item_id);
    return ReadAll<ReviewDecisionRow>(s, ReadReviewDecision);
  }

  // ---- Audit ----

  Result<AuditEntry> AppendAudit(AuditEntry entry) override {
    ASSIGN_OR_RETURN(std::string details, Dump(entry.details, "audit entry details"));
    // The canonical form replaces invalid UTF-8 rather than failing, so refuse it here: two
    // different entries must never hash alike.
    RETURN_IF_ERROR(
        Dump(json::array({entry.time, entry.actor, entry.action}), "audit entry").status());
    // Read-last-then-insert must not interleave with another writer: always a transaction.
    Status st = Transaction([&]() -> Status {
      Stmt last(db_, "read last audit entry",
                "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1");
      ASSIGN_OR_RETURN(bool has_last, last.Step());
      entry.seq = has_last ? last.Int(0) + 1 : 1;
      entry.prev_hash = has_last ? last.Text(1) : kAuditGenesisHash;
      entry.hash = AuditEntryHash(entry);
      Stmt s(db_, "append audit entry " + std::to_string(entry.seq),
             InsertSql("audit_log", kAuditColumns));
      s.Bind(entry.seq).Bind(entry.time).Bind(entry.actor).Bind(entry.action).Bind(details);
      return s.Bind(entry.prev_hash).Bind(entry.hash).Run();
    });
    if (!st.ok()) return st;
    return entry;
  }

  Result<std::vector<AuditEntry>> ListAudit() override {
    Stmt s(db_, "list audit trail",
           std::string("SELECT ") + kAuditColumns + " FROM audit_log ORDER BY seq");
    return ReadAll<AuditEntry>(s, ReadAudit);
  }

 private:
  // Errors are ignored: the caller already returns the failure that caused the rollback, and
  // SQLite rolls back what is left when the connection closes.
  void Undo(bool outer) {
    sqlite3_exec(db_, outer ? "ROLLBACK" : "ROLLBACK TO nested; RELEASE nested", nullptr, nullptr,
                 nullptr);
  }

  Status ModelNotFound(const std::string& version) const {
    return core::NotFound("model version " + version +
                          " is not registered in the workspace catalog; check the version id "
                          "against the registered models");
  }

  Status ReviewItemNotFound(int64_t id) const {
    return core::NotFound("review item " + std::to_string(id) +
                          " does not exist; see GET /v1/review/next");
  }

  Status EmptyCatalog() const {
    return CatalogProblem(
        "is an empty database (no statcoder tables); the catalog of this workspace was emptied "
        "or replaced, so its snapshots, models and audit trail are no longer catalogued. It is "
        "not re-created: restore statcoder.db from a backup");
  }

  Status CatalogProblem(const std::string& what) const {
    return core::DataLoss("workspace catalog " + std::string(sqlite3_db_filename(db_, "main")) +
                          ": " + what);
  }

  // The first row of `s`, meta's kb_version.
  Result<int64_t> ReadKbVersion(Stmt& s) {
    ASSIGN_OR_RETURN(bool has_row, s.Step());
    if (!has_row || s.Type(0) != SQLITE_INTEGER) {
      return CatalogProblem(
          "meta.kb_version is missing or not an integer; restore statcoder.db "
          "from a backup");
    }
    return s.Int(0);
  }

  // 0 for an empty database; kDataLoss for a foreign one; kUnsupportedVersion for a newer one.
  Result<int> ReadSchemaVersion() {
    Stmt tables(db_, "read catalog schema",
                "SELECT (SELECT count(*) FROM sqlite_master), (SELECT count(*) FROM sqlite_master "
                "WHERE type = 'table' AND name = 'meta')");
    ASSIGN_OR_RETURN(bool has_row, tables.Step());
    if (has_row && tables.Int(0) == 0) return 0;
    auto not_ours = [&](const std::string& why) {
      return CatalogProblem("the file is an SQLite database but not a statcoder catalog (" + why +
                            "); open a workspace folder that 'statcoder init' created");
    };
    if (!has_row || tables.Int(1) == 0) return not_ours("no meta table");
    Stmt meta(db_, "read catalog meta",
              "SELECT key, value FROM meta WHERE key IN ('application', 'schema_version')");
    std::string application;
    int64_t version = 0;
    while (true) {
      ASSIGN_OR_RETURN(bool row, meta.Step());
      if (!row) break;
      if (meta.Text(0) == "application") application = meta.Text(1);
      if (meta.Text(0) == "schema_version" && meta.Type(1) == SQLITE_INTEGER) {
        version = meta.Int(1);
      }
    }
    if (application != kApplication) {
      return not_ours("meta.application is '" + application + "'");
    }
    if (version < 1) {
      return CatalogProblem(
          "meta.schema_version is missing or not a positive integer; restore "
          "statcoder.db from a backup");
    }
    if (version > kCatalogSchemaVersion) {
      return core::UnsupportedVersion(
          "workspace catalog " + std::string(sqlite3_db_filename(db_, "main")) +
          " has schema version " + std::to_string(version) + " but this statcoder reads up to " +
          std::to_string(kCatalogSchemaVersion) +
          "; it was written by a newer statcoder: upgrade statcoder");
    }
    return static_cast<int>(version);
  }

  sqlite3* db_;
  int depth_ = 0;  // open Transaction calls
  int schema_version_ = 0;
};

}  // namespace

Result<std::unique_ptr<MetadataStore>> OpenSqliteStore(const std::string& path,
                                                       const SqliteStoreOptions& options) {
  if (options.busy_timeout_ms < 0) {
    return core::InvalidArgument("busy_timeout_ms must be at least 0, not " +
                                 std::to_string(options.busy_timeout_ms));
  }
  std::error_code ec;
  const bool exists = std::filesystem::exists(path, ec);
  if (!options.create && !exists) {
    return core::NotFound("workspace catalog " + path +
                          " does not exist; is this a workspace folder? ('statcoder init' "
                          "creates one)");
  }
  if (exists && !std::filesystem::is_regular_file(path, ec)) {
    return core::DataLoss("workspace catalog " + path +
                          " is not a regular file; restore statcoder.db from a backup");
  }
  // A zero-byte file is what `: > statcoder.db` or a failed copy leaves. SQLite would take it
  // for a new database (and write a header into it); refuse before opening, unless SQLite's
  // write-ahead log beside it still holds the content.
  const auto size_of = [](const std::string& p) {
    std::error_code e;
    const auto n = std::filesystem::file_size(p, e);
    return e ? std::uintmax_t{0} : n;
  };
  if (exists && !options.create && size_of(path) == 0 && size_of(path + "-wal") == 0) {
    return core::DataLoss("workspace catalog " + path +
                          " is empty (0 bytes); the catalog of this workspace was emptied, so "
                          "its snapshots, models and audit trail are no longer catalogued. It is "
                          "not re-created: restore statcoder.db from a backup");
  }
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | (options.create ? SQLITE_OPEN_CREATE : 0);
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  // The store owns the handle from here: SQLite allocates one even when opening fails.
  auto store = std::make_unique<SqliteStore>(db);
  if (rc != SQLITE_OK) {
    return core::IoError("cannot open workspace catalog " + path + ": " +
                         (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, options.busy_timeout_ms);
  RETURN_IF_ERROR(store->Configure());
  RETURN_IF_ERROR(store->Migrate(options.create));
  return std::unique_ptr<MetadataStore>(std::move(store));
}

}  // namespace statcoder::store
