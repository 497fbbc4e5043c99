#include "store/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <tuple>

#include "store/audit_chain.h"

namespace statcoder::store {
namespace {

using core::Status;
using core::StatusCode;

// Field lists, so a round trip compares every column and a failure prints the values.
auto Fields(const SnapshotRow& r) {
  return std::tie(r.id, r.kind, r.rows, r.rejected, r.schema, r.data_source, r.source_file,
                  r.source_sha256, r.parents, r.transformation, r.path, r.rejects_path,
                  r.rejects_sha256, r.actor, r.created_at);
}
auto Fields(const ModelRow& r) {
  return std::tie(r.version, r.number, r.classification, r.path, r.file_sha256, r.snapshots,
                  r.evaluation_snapshots, r.options, r.seed, r.statcoder_version, r.codelist_sha256,
                  r.data_sources, r.report_path, r.report_sha256, r.archived, r.actor,
                  r.created_at);
}
auto Fields(const AliasRow& r) {
  return std::tie(r.classification, r.alias, r.version, r.reason, r.actor, r.set_at);
}
auto Fields(const KbEntry& e) {
  return std::tie(e.id, e.text, e.context, e.code, e.note, e.added_in, e.removed_in, e.actor,
                  e.created_at);
}
auto Fields(const EthicsAssessment& a) {
  return std::tie(a.id, a.model_version, a.status, a.answers, a.sensitive_areas, a.risk_score,
                  a.data_sources_key, a.codelist_sha256, a.started_by, a.started_at, a.submitted_by,
                  a.submitted_at, a.approved_by, a.approved_at);
}
auto Fields(const UserRow& u) {
  return std::tie(u.name, u.role, u.token_id, u.salt, u.token_hash, u.disabled, u.actor,
                  u.created_at);
}
auto Fields(const AuditEntry& e) {
  return std::tie(e.seq, e.time, e.actor, e.action, e.details, e.prev_hash, e.hash);
}

SnapshotRow Snapshot(const std::string& id) {
  return {.id = id,
          .kind = "training",
          .rows = 1200,
          .rejected = 3,
          .schema = {{"fields", {{{"name", "text"}, {"type", "text"}}}}},
          .data_source = "LFS 2024 Q1",
          .source_file = "lfs_q1.tsv",
          .source_sha256 = std::string(64, 'a'),
          .parents = {"p1", "p2"},
          .transformation = "ingest",
          .path = "lake/" + id + ".jsonl",
          .rejects_path = "lake/" + id + ".rejects.jsonl",
          .rejects_sha256 = std::string(64, 'b'),
          .actor = "alice",
          .created_at = "2026-11-29T10:15:02Z"};
}

ModelRow Model(const std::string& version) {
  return {.version = version,
          .number = 0,
          .classification = "isco08",
          .path = "models/" + version + ".stc",
          .file_sha256 = std::string(64, 'c'),
          .snapshots = {"s1", "s2"},
          .evaluation_snapshots = {"s3"},
          .options = {{"epochs", 5}, {"seed", 42}, {"lr", 0.25}},
          .seed = 0xFFFFFFFFFFFFFFF0ull,  // above INT64_MAX: must survive the signed column
          .statcoder_version = "0.4.0",
          .codelist_sha256 = std::string(64, 'd'),
          .data_sources = {"LFS 2024 Q1", "LFS 2024 Q2"},
          .report_path = "reports/" + version + "/report.json",
          .report_sha256 = std::string(64, 'e'),
          .archived = false,
          .actor = "bob",
          .created_at = "2026-11-29T11:00:00Z"};
}

AuditEntry Audit(const std::string& action, int n) {
  return {.seq = 0,
          .time = "2026-11-29T12:00:00Z",
          .actor = "carol",
          .action = action,
          .details = {{"n", n}, {"note", "ünïcode"}, {"ratio", 0.1}},
          .prev_hash = "",
          .hash = ""};
}

// Runs SQL on a raw connection, as someone with the sqlite3 shell could; returns SQLite's code.
int RawExec(const std::string& path, const std::string& sql, std::string* error = nullptr) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open(path.c_str(), &db);
  char* message = nullptr;
  if (rc == SQLITE_OK) rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
  if (error != nullptr && message != nullptr) *error = message;
  sqlite3_free(message);
  sqlite3_close(db);
  return rc;
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/statcoder_store_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/statcoder.db";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<MetadataStore> Open(bool create = true) {
    auto store = OpenSqliteStore(path_, {.create = create});
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  std::string dir_;
  std::string path_;
};

TEST_F(SqliteStoreTest, NewCatalogHasTheCurrentSchema) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->SchemaVersion(), kCatalogSchemaVersion);
  EXPECT_TRUE(store->ListSnapshots()->empty());
  EXPECT_EQ(*store->KbVersion(), 0);
}

TEST_F(SqliteStoreTest, SnapshotsRoundTrip) {
  auto store = Open();
  ASSERT_TRUE(store->InsertSnapshot(Snapshot("s2")).ok());
  ASSERT_TRUE(store->InsertSnapshot(Snapshot("s1")).ok());
  auto found = store->FindSnapshot("s1");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ(Fields(**found), Fields(Snapshot("s1")));
  EXPECT_FALSE(store->FindSnapshot("nope")->has_value());
  auto all = store->ListSnapshots();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, "s2");  // insertion order, not id order
  EXPECT_EQ((*all)[1].id, "s1");
  Status again = store->InsertSnapshot(Snapshot("s1"));
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists) << again.ToString();
}

TEST_F(SqliteStoreTest, ModelsRoundTripAndAreNumberedInOrder) {
  auto store = Open();
  auto n1 = store->InsertModel(Model("v-a"));
  auto n2 = store->InsertModel(Model("v-b"));
  ASSERT_TRUE(n1.ok() && n2.ok());
  EXPECT_EQ(*n1, 1);
  EXPECT_EQ(*n2, 2);
  auto dup = store->InsertModel(Model("v-a"));
  EXPECT_EQ(dup.status().code(), StatusCode::kAlreadyExists) << dup.status().ToString();
  auto n3 = store->InsertModel(Model("v-c"));
  EXPECT_EQ(*n3, 3);  // a refused insert does not use up a number

  ModelRow expected = Model("v-b");
  expected.number = 2;
  auto found = store->FindModel("v-b");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ(Fields(**found), Fields(expected));

  ASSERT_TRUE(store->SetArchived("v-b", true).ok());
  EXPECT_TRUE((*store->FindModel("v-b"))->archived);
  EXPECT_EQ(store->SetArchived("v-zzz", true).code(), StatusCode::kNotFound);

  auto all = store->ListModels();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].version, "v-a");
  EXPECT_EQ((*all)[2].number, 3);
}

TEST_F(SqliteStoreTest, AliasesMoveAndKeepHistory) {
  auto store = Open();
  ASSERT_TRUE(store->InsertModel(Model("v1")).ok());
  ASSERT_TRUE(store->InsertModel(Model("v2")).ok());
  AliasRow row{.classification = "isco08",
               .alias = "production",
               .version = "v1",
               .reason = "promote",
               .actor = "alice",
               .set_at = "t1"};
  ASSERT_TRUE(store->SetAlias(row).ok());
  row.version = "v2";
  row.set_at = "t2";
  ASSERT_TRUE(store->SetAlias(row).ok());
  row.version = "v1";
  row.reason = "rollback";
  row.set_at = "t3";
  ASSERT_TRUE(store->SetAlias(row).ok());

  auto current = store->FindAlias("isco08", "production");
  ASSERT_TRUE(current.ok() && current->has_value());
  EXPECT_EQ(Fields(**current), Fields(row));
  auto history = store->AliasHistory("isco08", "production");
  ASSERT_EQ(history->size(), 3u);
  EXPECT_EQ((*history)[0].version, "v1");
  EXPECT_EQ((*history)[1].version, "v2");
  EXPECT_EQ(Fields((*history)[2]), Fields(row));
  EXPECT_EQ(store->ListAliases()->size(), 1u);

  // An alias can only point at a registered model.
  row.version = "unknown";
  Status missing = store->SetAlias(row);
  EXPECT_EQ(missing.code(), StatusCode::kNotFound) << missing.ToString();
  EXPECT_EQ(store->AliasHistory("isco08", "production")->size(), 3u);

  ASSERT_TRUE(store->ClearAlias("isco08", "production").ok());
  EXPECT_FALSE(store->FindAlias("isco08", "production")->has_value());
  EXPECT_EQ(store->ClearAlias("isco08", "production").code(), StatusCode::kNotFound);
  EXPECT_EQ(store->AliasHistory("isco08", "production")->size(), 3u);
}

TEST_F(SqliteStoreTest, KnowledgeBaseIsListedAsOfAnyVersion) {
  auto store = Open();
  // Version 1 adds a and b; version 2 removes a and adds c.
  auto entry = [](std::string text, nlohmann::json context, std::string code, std::string note) {
    KbEntry e;
    e.text = std::move(text);
    e.context = std::move(context);
    e.code = std::move(code);
    e.note = std::move(note);
    e.actor = "alice";
    e.created_at = "2026-11-29T10:00:00Z";
    return e;
  };
  KbEntry a = entry("nurse", {{"sector", "health"}}, "2221", "hospital staff");
  KbEntry b = entry("baker", nlohmann::json::object(), "7512", "");
  KbEntry c = entry("nurse", {{"sector", "health"}}, "3221", "corrected");
  Status edit = store->Transaction([&]() -> Status {
    auto v = store->BumpKbVersion();
    if (!v.ok()) return v.status();
    a.added_in = b.added_in = *v;
    a.id = *store->InsertKbEntry(a);
    b.id = *store->InsertKbEntry(b);
    return Status();
  });
  ASSERT_TRUE(edit.ok()) << edit.ToString();
  auto v2 = store->BumpKbVersion();
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(*v2, 2);
  EXPECT_EQ(*store->KbVersion(), 2);
  ASSERT_TRUE(store->MarkKbEntryRemoved(a.id, 2).ok());
  a.removed_in = 2;
  c.added_in = 2;
  c.id = *store->InsertKbEntry(c);

  auto at0 = store->ListKbEntries(0);
  auto at1 = store->ListKbEntries(1);
  auto at2 = store->ListKbEntries(2);
  auto now = store->ListKbEntries(-1);
  EXPECT_TRUE(at0->empty());
  ASSERT_EQ(at1->size(), 2u);
  EXPECT_EQ(Fields((*at1)[0]), Fields(a));  // removed after version 1: still listed at 1
  EXPECT_EQ(Fields((*at1)[1]), Fields(b));
  ASSERT_EQ(at2->size(), 2u);
  EXPECT_EQ((*at2)[0].id, b.id);
  EXPECT_EQ(Fields((*at2)[1]), Fields(c));
  ASSERT_EQ(now->size(), 2u);
  EXPECT_EQ((*now)[1].code, "3221");

  EXPECT_EQ(Fields((*store->ListKbEntries(-1))[0]), Fields(b));
  EXPECT_EQ(store->MarkKbEntryRemoved(a.id, 3).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store->MarkKbEntryRemoved(999, 3).code(), StatusCode::kNotFound);
}

TEST_F(SqliteStoreTest, AssessmentsRoundTripAndUpdate) {
  auto store = Open();
  ASSERT_TRUE(store->InsertModel(Model("v1")).ok());
  EthicsAssessment a;
  a.model_version = "v1";
  a.status = "draft";
  a.answers = {{"q1", {{"rating", 2}, {"justification", "ok"}}}};
  a.sensitive_areas = {"health"};
  a.risk_score = 0.375;
  a.data_sources_key = "LFS";
  a.codelist_sha256 = std::string(64, 'f');
  a.started_by = "alice";
  a.started_at = "t1";
  auto id = store->InsertAssessment(a);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  a.id = *id;
  a.status = "approved";
  a.submitted_by = a.approved_by = "bob";
  a.submitted_at = a.approved_at = "t2";
  ASSERT_TRUE(store->UpdateAssessment(a).ok());
  auto all = store->ListAssessments();
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(Fields((*all)[0]), Fields(a));

  a.id = 77;
  EXPECT_EQ(store->UpdateAssessment(a).code(), StatusCode::kNotFound);
  a.model_version = "unregistered";
  EXPECT_EQ(store->InsertAssessment(a).status().code(), StatusCode::kNotFound);
}

TEST_F(SqliteStoreTest, TransactionRollbackLeavesNothing) {
  auto store = Open();
  Status s = store->Transaction([&]() -> Status {
    EXPECT_TRUE(store->InsertSnapshot(Snapshot("s1")).ok());
    EXPECT_TRUE(store->AppendAudit(Audit("ingest", 1)).ok());
    EXPECT_TRUE(store->InsertModel(Model("v1")).ok());
    EXPECT_TRUE(store->BumpKbVersion().ok());
    return core::InvalidInput("changed my mind");
  });
  EXPECT_EQ(s.code(), StatusCode::kInvalidInput);
  EXPECT_TRUE(store->ListSnapshots()->empty());
  EXPECT_TRUE(store->ListAudit()->empty());
  EXPECT_TRUE(store->ListModels()->empty());
  EXPECT_EQ(*store->KbVersion(), 0);
  // The store is usable afterwards, and numbering was not consumed.
  EXPECT_EQ(*store->InsertModel(Model("v1")), 1);
}

TEST_F(SqliteStoreTest, NestedTransactionsJoinTheOuterOne) {
  auto store = Open();
  Status s = store->Transaction([&]() -> Status {
    RETURN_IF_ERROR(store->InsertSnapshot(Snapshot("s1")));
    RETURN_IF_ERROR(store->Transaction([&] { return store->InsertSnapshot(Snapshot("s2")); }));
    // A failed inner transaction undoes only its own writes; the outer decides.
    Status inner = store->Transaction([&]() -> Status {
      RETURN_IF_ERROR(store->InsertSnapshot(Snapshot("s3")));
      return core::FailedPrecondition("inner fails");
    });
    EXPECT_EQ(inner.code(), StatusCode::kFailedPrecondition);
    return store->AppendAudit(Audit("ingest", 1)).status();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto all = store->ListSnapshots();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[1].id, "s2");
  EXPECT_EQ(store->ListAudit()->size(), 1u);

  // An outer failure rolls back the inner, already "committed", writes too.
  s = store->Transaction([&]() -> Status {
    RETURN_IF_ERROR(store->Transaction([&] { return store->InsertSnapshot(Snapshot("s4")); }));
    return core::Internal("outer fails");
  });
  EXPECT_FALSE(s.ok());
  EXPECT_FALSE(store->FindSnapshot("s4")->has_value());
}

UserRow User(const std::string& name, const std::string& token_id) {
  return {.name = name,
          .role = "coder",
          .token_id = token_id,
          .salt = std::string(64, '1'),
          .token_hash = std::string(64, '2'),
          .disabled = false,
          .actor = "admin",
          .created_at = "2026-11-29T10:15:02Z"};
}

TEST_F(SqliteStoreTest, UsersRoundTripAndCanBeDisabled) {
  auto store = Open();
  ASSERT_TRUE(store->InsertUser(User("zoe", "t1")).ok());
  ASSERT_TRUE(store->InsertUser(User("ann", "t2")).ok());
  EXPECT_EQ(store->InsertUser(User("zoe", "t3")).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(store->InsertUser(User("bob", "t1")).code(), StatusCode::kAlreadyExists);
  auto users = store->ListUsers();
  ASSERT_TRUE(users.ok());
  ASSERT_EQ(users->size(), 2u);
  EXPECT_EQ(Fields((*users)[0]), Fields(User("ann", "t2")));  // by name
  ASSERT_TRUE(store->SetUserDisabled("zoe", true).ok());
  EXPECT_TRUE((*store->FindUser("zoe"))->disabled);
  EXPECT_FALSE(store->FindUser("nobody")->has_value());
  EXPECT_EQ(store->SetUserDisabled("nobody", true).code(), StatusCode::kNotFound);
}

TEST_F(SqliteStoreTest, Version1CatalogIsMigratedKeepingItsRows) {
  {
    auto store = Open();
    ASSERT_TRUE(store->InsertSnapshot(Snapshot("s1")).ok());
  }
  // What statcoder 0.2 wrote: schema version 1, no users table, no review queue.
  ASSERT_EQ(RawExec(path_,
                    "DROP TABLE users; DROP TABLE review_decisions; DROP TABLE review_items; "
                    "DROP TABLE monitor_batches; DROP TABLE cycles; "
                    "UPDATE meta SET value = 1 WHERE key = 'schema_version'"),
            SQLITE_OK);
  auto store = Open(false);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->SchemaVersion(), kCatalogSchemaVersion);
  EXPECT_TRUE(store->ListMonitorBatches("", "")->empty());
  EXPECT_TRUE(store->ListCycles()->empty());
  EXPECT_TRUE(store->ListReviewItems()->empty());
  EXPECT_EQ(Fields(**store->FindSnapshot("s1")), Fields(Snapshot("s1")));
  EXPECT_TRUE(store->ListUsers()->empty());
  EXPECT_TRUE(store->InsertUser(User("ann", "t1")).ok());
}

// Production cycles (schema version 5): one row per batch snapshot, updated as the cycle goes,
// never deleted.
TEST_F(SqliteStoreTest, CyclesAreFoundByTheirBatchUpdatedAndNeverDeleted) {
  auto store = Open();
  ASSERT_TRUE(store->InsertSnapshot(Snapshot("b1")).ok());
  CycleRow c;
  c.period = "2025-07";
  c.batch_snapshot = "b1";
  c.batch_file = "wave7.tsv";
  c.state = "running";
  c.steps = nlohmann::json::array({{{"step", "ingest"}, {"state", "done"}}});
  c.actor = "ann";
  c.created_at = "2026-12-01T10:00:00Z";
  c.updated_at = c.created_at;
  const core::Result<int64_t> id = store->InsertCycle(c);
  ASSERT_TRUE(id.ok()) << id.status().message();
  c.id = *id;
  EXPECT_EQ(c.id, 1);
  EXPECT_FALSE(store->InsertCycle(c).ok()) << "a second cycle of the same batch";
  EXPECT_FALSE(store->FindCycleByBatch("b2")->has_value());
  c.state = "done";
  c.coded_records = 120;
  c.queued_items = 40;
  c.challenger = "v2";
  c.promoted = true;
  c.steps.push_back({{"step", "code"}, {"state", "done"}, {"outputs", {{"records", 120}}}});
  ASSERT_TRUE(store->UpdateCycle(c).ok());
  const std::optional<CycleRow> found = *store->FindCycleByBatch("b1");
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->state, "done");
  EXPECT_EQ(found->steps, c.steps);
  EXPECT_EQ(found->coded_records, 120);
  EXPECT_EQ(found->queued_items, 40);
  EXPECT_EQ(found->challenger, "v2");
  EXPECT_TRUE(found->promoted);
  EXPECT_EQ(found->period, "2025-07");
  EXPECT_EQ(store->ListCycles()->size(), 1u);
  c.state = "sleeping";
  EXPECT_FALSE(store->UpdateCycle(c).ok()) << "not a state";
  EXPECT_NE(RawExec(path_, "DELETE FROM cycles"), SQLITE_OK);
  EXPECT_EQ(store->ListCycles()->size(), 1u);
}

auto Fields(const ReviewItemRow& r) {
  return std::tie(r.id, r.created_at, r.kind, r.record, r.record_id, r.model_version, r.suggestions,
                  r.status, r.assigned_to, r.assigned_at);
}
auto Fields(const ReviewDecisionRow& r) {
  return std::tie(r.id, r.item_id, r.coder, r.time, r.action, r.code, r.comment,
                  r.suggestions_shown, r.blind);
}

ReviewItemRow Item(const std::string& kind, const std::string& record_id) {
  return {.created_at = "2026-11-29T10:00:00Z",
          .kind = kind,
          .record = {{"title", "Sales Mänager"}, {"id", record_id}},
          .record_id = record_id,
          .model_version = "v1",
          .suggestions = {{"top", {{{"code", "11"}, {"probability", 0.5}}}},
                          {"code", "11"},
                          {"decision", "review"},
                          {"reason", "below_threshold"}},
          .status = "open",
          .assigned_to = "",
          .assigned_at = ""};
}

TEST_F(SqliteStoreTest, ReviewItemsLeaseAndDecisions) {
  auto store = Open();
  auto ids = store->InsertReviewItems(
      {Item("referred", "r1"), Item("audit_sample", "r2"), Item("referred", "r3")});
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  ASSERT_EQ(*ids, (std::vector<int64_t>{1, 2, 3}));
  ReviewItemRow expected = Item("audit_sample", "r2");
  expected.id = 2;
  EXPECT_EQ(Fields(**store->FindReviewItem(2)), Fields(expected));
  EXPECT_FALSE(store->FindReviewItem(9)->has_value());

  // Oldest free item first; the holder gets its own item again; others get the next one.
  const std::vector<std::string> open = {"open"};
  auto a = store->LeaseReviewItem(open, "ann", "2026-11-29T10:01:00Z", "2026-11-29T09:31:00Z");
  ASSERT_TRUE(a.ok() && a->has_value()) << a.status().ToString();
  EXPECT_EQ((*a)->id, 1);
  EXPECT_EQ((*a)->assigned_to, "ann");
  EXPECT_EQ((*a)->assigned_at, "2026-11-29T10:01:00Z");
  EXPECT_EQ(
      (**store->LeaseReviewItem(open, "ann", "2026-11-29T10:01:30Z", "2026-11-29T09:31:00Z")).id,
      1);
  EXPECT_EQ(
      (**store->LeaseReviewItem(open, "bob", "2026-11-29T10:02:00Z", "2026-11-29T09:32:00Z")).id,
      2);
  // Once ann's lease has expired, item 1 goes to whoever asks.
  EXPECT_EQ(
      (**store->LeaseReviewItem(open, "cat", "2026-11-29T11:00:00Z", "2026-11-29T10:30:00Z")).id,
      1);

  ASSERT_TRUE(store->UpdateReviewItem(1, "decided", "", "").ok());
  ASSERT_TRUE(store->UpdateReviewItem(2, "adjudication", "", "").ok());
  EXPECT_EQ(store->UpdateReviewItem(7, "decided", "", "").code(), StatusCode::kNotFound);
  EXPECT_EQ((**store->LeaseReviewItem({"adjudication", "escalated"}, "sue", "t2", "t0")).id, 2);
  auto last = store->LeaseReviewItem(open, "dan", "2026-11-29T12:00:00Z", "2026-11-29T11:30:00Z");
  EXPECT_EQ((**last).id, 3);
  EXPECT_FALSE(store->LeaseReviewItem(open, "eve", "2026-11-29T12:00:00Z", "2026-11-29T11:30:00Z")
                   ->has_value());
  auto items = store->ListReviewItems();
  ASSERT_EQ(items->size(), 3u);
  EXPECT_EQ((*items)[0].status, "decided");
  EXPECT_EQ((*items)[0].assigned_to, "");

  ReviewDecisionRow d{.item_id = 1,
                      .coder = "ann",
                      .time = "2026-11-29T10:03:00Z",
                      .action = "code",
                      .code = "11",
                      .comment = "clear",
                      .suggestions_shown = {{{"code", "11"}, {"probability", 0.5}}},
                      .blind = false};
  auto id = store->InsertReviewDecision(d);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  d.id = *id;
  ReviewDecisionRow blind = d;
  blind.item_id = 2;
  blind.blind = true;
  blind.suggestions_shown = nlohmann::json::array();
  blind.id = *store->InsertReviewDecision(blind);
  d.item_id = 99;
  EXPECT_EQ(store->InsertReviewDecision(d).status().code(), StatusCode::kNotFound);
  d.item_id = 1;
  auto on1 = store->ListReviewDecisions(1);
  ASSERT_EQ(on1->size(), 1u);
  EXPECT_EQ(Fields((*on1)[0]), Fields(d));
  auto all = store->ListReviewDecisions(-1);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ(Fields((*all)[1]), Fields(blind));
  // Decisions are evidence: the shell cannot quietly rewrite them.
  EXPECT_NE(RawExec(path_, "UPDATE review_decisions SET code = '99'"), SQLITE_OK);
}

TEST_F(SqliteStoreTest, SkippedReviewItemGoesToOthers) {
  auto store = Open();
  ASSERT_TRUE(store->InsertReviewItems({Item("referred", "r1")}).ok());
  const std::vector<std::string> open = {"open"};
  ASSERT_EQ((**store->LeaseReviewItem(open, "amy", "2026-11-29T10:00:00Z", "")).id, 1);
  ASSERT_TRUE(store
                  ->InsertReviewDecision({.item_id = 1,
                                          .coder = "amy",
                                          .time = "2026-11-29T10:01:00Z",
                                          .action = "skip",
                                          .code = "",
                                          .comment = "",
                                          .suggestions_shown = nlohmann::json::array(),
                                          .blind = false})
                  .ok());
  ASSERT_TRUE(store->UpdateReviewItem(1, "open", "", "").ok());
  EXPECT_FALSE(store->LeaseReviewItem(open, "amy", "2026-11-29T10:02:00Z", "")->has_value());
  EXPECT_EQ((**store->LeaseReviewItem(open, "bob", "2026-11-29T10:02:00Z", "")).id, 1);
}

TEST_F(SqliteStoreTest, AuditAppendsChainAndVerify) {
  auto store = Open();
  std::string prev = kAuditGenesisHash;
  for (int i = 1; i <= 5; ++i) {
    auto e = store->AppendAudit(Audit("train", i));
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    EXPECT_EQ(e->seq, i);
    EXPECT_EQ(e->prev_hash, prev);
    EXPECT_EQ(e->hash, AuditEntryHash(*e));
    prev = e->hash;
  }
  auto entries = store->ListAudit();
  ASSERT_EQ(entries->size(), 5u);
  AuditEntry expected = Audit("train", 5);
  expected.seq = 5;
  expected.prev_hash = (*entries)[3].hash;
  expected.hash = prev;
  EXPECT_EQ(Fields(entries->back()), Fields(expected));
  AuditVerification v = VerifyAuditChain(*entries);
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.entries, 5u);
  EXPECT_EQ(v.head_hash, prev);
}

TEST_F(SqliteStoreTest, AuditRefusesInvalidUtf8) {
  auto store = Open();
  AuditEntry e = Audit("ingest", 1);
  e.actor = "\xff\xfe";
  EXPECT_EQ(store->AppendAudit(e).status().code(), StatusCode::kInvalidArgument);
  e = Audit("ingest", 1);
  e.details["file"] = "\xc3";
  EXPECT_EQ(store->AppendAudit(e).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(store->ListAudit()->empty());
}

TEST_F(SqliteStoreTest, TriggersRejectRewritingHistory) {
  {
    auto store = Open();
    ASSERT_TRUE(store->AppendAudit(Audit("ingest", 1)).ok());
    ASSERT_TRUE(store->InsertSnapshot(Snapshot("s1")).ok());
  }
  std::string error;
  EXPECT_EQ(RawExec(path_, "UPDATE audit_log SET actor = 'mallory'", &error), SQLITE_CONSTRAINT);
  EXPECT_NE(error.find("append-only"), std::string::npos) << error;
  EXPECT_EQ(RawExec(path_, "DELETE FROM audit_log"), SQLITE_CONSTRAINT);
  EXPECT_EQ(RawExec(path_, "UPDATE snapshots SET kind = 'audit'"), SQLITE_CONSTRAINT);
  EXPECT_EQ(RawExec(path_, "DELETE FROM snapshots"), SQLITE_CONSTRAINT);
  auto store = Open(false);
  EXPECT_EQ(store->ListAudit()->front().actor, "carol");
  EXPECT_EQ(store->ListSnapshots()->size(), 1u);
}

TEST_F(SqliteStoreTest, EditedAuditRowIsDetected) {
  {
    auto store = Open();
    for (int i = 1; i <= 9; ++i) ASSERT_TRUE(store->AppendAudit(Audit("kb_add", i)).ok());
  }
  ASSERT_EQ(RawExec(path_,
                    "DROP TRIGGER audit_log_no_update; "
                    "UPDATE audit_log SET details = '{\"n\":700}' WHERE seq = 7"),
            SQLITE_OK);
  auto store = Open(false);
  AuditVerification v = VerifyAuditChain(*store->ListAudit());
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_seq, 7);
  EXPECT_EQ(v.problem, "entry 7: hash does not match its content (edited?)");
}

TEST_F(SqliteStoreTest, DeletedAuditRowIsDetected) {
  {
    auto store = Open();
    for (int i = 1; i <= 9; ++i) ASSERT_TRUE(store->AppendAudit(Audit("kb_add", i)).ok());
  }
  ASSERT_EQ(RawExec(path_, "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq = 5"),
            SQLITE_OK);
  auto store = Open(false);
  AuditVerification v = VerifyAuditChain(*store->ListAudit());
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_seq, 6);
  EXPECT_EQ(v.problem, "entry 6 follows entry 4 (entry 5 deleted?)");
}

TEST_F(SqliteStoreTest, UnparsableJsonIsDataLossNamingTheRow) {
  {
    auto store = Open();
    ASSERT_TRUE(store->InsertModel(Model("v1")).ok());
  }
  ASSERT_EQ(RawExec(path_, "UPDATE models SET options = '{broken' WHERE version = 'v1'"),
            SQLITE_OK);
  auto store = Open(false);
  auto found = store->FindModel("v1");
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(found.status().message().find("table models, row v1: column options"),
            std::string::npos)
      << found.status().message();
}

TEST_F(SqliteStoreTest, ReopenKeepsEverything) {
  {
    auto store = Open();
    ASSERT_TRUE(store->InsertSnapshot(Snapshot("s1")).ok());
    ASSERT_TRUE(store->InsertModel(Model("v1")).ok());
    AliasRow alias{.classification = "isco08",
                   .alias = "candidate",
                   .version = "v1",
                   .reason = "promote",
                   .actor = "a",
                   .set_at = "t"};
    ASSERT_TRUE(store->SetAlias(alias).ok());
    ASSERT_TRUE(store->BumpKbVersion().ok());
    ASSERT_TRUE(store->AppendAudit(Audit("ingest", 1)).ok());
  }
  auto store = Open(false);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->SchemaVersion(), kCatalogSchemaVersion);
  EXPECT_EQ(Fields(**store->FindSnapshot("s1")), Fields(Snapshot("s1")));
  EXPECT_EQ((*store->FindModel("v1"))->number, 1);
  EXPECT_EQ((*store->FindAlias("isco08", "candidate"))->version, "v1");
  EXPECT_EQ(*store->KbVersion(), 1);
  EXPECT_TRUE(VerifyAuditChain(*store->ListAudit()).ok);
  EXPECT_EQ(*store->InsertModel(Model("v2")), 2);
}

TEST_F(SqliteStoreTest, NewerSchemaVersionIsUnsupported) {
  { ASSERT_NE(Open(), nullptr); }
  ASSERT_EQ(RawExec(path_, "UPDATE meta SET value = 99 WHERE key = 'schema_version'"), SQLITE_OK);
  auto store = OpenSqliteStore(path_, {});
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kUnsupportedVersion);
  EXPECT_NE(store.status().message().find("upgrade statcoder"), std::string::npos)
      << store.status().message();
}

TEST_F(SqliteStoreTest, FileThatIsNotADatabaseIsDataLoss) {
  std::ofstream(path_) << "this is a tab-separated file, not a catalog\n" << std::string(200, 'x');
  auto store = OpenSqliteStore(path_, {});
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kDataLoss) << store.status().ToString();
}

TEST_F(SqliteStoreTest, ForeignSqliteDatabaseIsDataLoss) {
  ASSERT_EQ(RawExec(path_, "CREATE TABLE people (name TEXT)"), SQLITE_OK);
  auto store = OpenSqliteStore(path_, {});
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(store.status().message().find("not a statcoder catalog"), std::string::npos);

  // A meta table alone does not make a catalog: the application marker does.
  ASSERT_EQ(RawExec(path_,
                    "DROP TABLE people; CREATE TABLE meta (key TEXT, value); "
                    "INSERT INTO meta VALUES ('schema_version', 1)"),
            SQLITE_OK);
  store = OpenSqliteStore(path_, {});
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kDataLoss) << store.status().ToString();
}

TEST_F(SqliteStoreTest, MissingFileWithoutCreateIsNotFound) {
  auto store = OpenSqliteStore(path_, {.create = false});
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(path_));
}

TEST_F(SqliteStoreTest, EmptyFileIsDataLossAndLeftUntouched) {
  { std::ofstream(path_, std::ios::trunc); }
  auto store = OpenSqliteStore(path_, {});
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(store.status().message().find("is empty (0 bytes)"), std::string::npos)
      << store.status().message();
  EXPECT_EQ(std::filesystem::file_size(path_), 0u) << "the catalog was re-created";
}

TEST_F(SqliteStoreTest, DatabaseWithoutTablesGetsTheSchemaOnlyWhenCreating) {
  ASSERT_EQ(RawExec(path_, "PRAGMA user_version = 7"), SQLITE_OK);  // a page, no tables
  auto store = OpenSqliteStore(path_, {});
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(store.status().message().find("empty database"), std::string::npos)
      << store.status().message();
  std::string error;
  EXPECT_NE(RawExec(path_, "SELECT * FROM meta", &error), SQLITE_OK) << "schema was written";
  auto created = OpenSqliteStore(path_, {.create = true});
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ((*created)->SchemaVersion(), kCatalogSchemaVersion);
}

TEST_F(SqliteStoreTest, IntegrityCheckFindsADamagedIndex) {
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->InsertSnapshot(Snapshot("s1")).ok());
    ASSERT_TRUE(store->InsertSnapshot(Snapshot("s2")).ok());
    EXPECT_TRUE(store->CheckIntegrity().ok());
  }
  // An index whose entries no longer match its table: every row still reads.
  ASSERT_EQ(RawExec(path_, "CREATE INDEX IF NOT EXISTS snapshots_kind ON snapshots (kind)"),
            SQLITE_OK);
  ASSERT_EQ(RawExec(path_,
                    "PRAGMA writable_schema = ON; UPDATE sqlite_master SET sql = 'CREATE INDEX "
                    "snapshots_kind ON snapshots (source_file)' WHERE name = 'snapshots_kind'"),
            SQLITE_OK);
  auto store = OpenSqliteStore(path_, {});
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_TRUE((*store)->FindSnapshot("s2")->has_value());
  const Status s = (*store)->CheckIntegrity();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("fails SQLite's integrity check"), std::string::npos) << s.message();
}

TEST_F(SqliteStoreTest, WriterWaitsThenReportsTheLock) {
  auto store = Open();
  auto other = OpenSqliteStore(path_, {.busy_timeout_ms = 50});
  ASSERT_TRUE(other.ok());
  Status s = store->Transaction([&]() -> Status {
    RETURN_IF_ERROR(store->InsertSnapshot(Snapshot("s1")));
    Status blocked = (*other)->AppendAudit(Audit("ingest", 1)).status();
    EXPECT_EQ(blocked.code(), StatusCode::kIoError);
    EXPECT_NE(blocked.message().find("another statcoder process holds the workspace lock"),
              std::string::npos)
        << blocked.message();
    return Status();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE((*other)->AppendAudit(Audit("ingest", 1)).ok());
}

// Two processes write at once; BEGIN IMMEDIATE and busy_timeout must serialise them.
TEST_F(SqliteStoreTest, ConcurrentProcessesKeepTheChainIntact) {
  { ASSERT_NE(Open(), nullptr); }  // created before the fork: no connection crosses it
  constexpr int kPerProcess = 200;
  pid_t children[2];
  for (int p = 0; p < 2; ++p) {
    children[p] = fork();
    ASSERT_GE(children[p], 0);
    if (children[p] == 0) {
      auto store = OpenSqliteStore(path_, {});
      if (!store.ok()) {
        std::fprintf(stderr, "child %d: %s\n", p, store.status().ToString().c_str());
        _exit(1);
      }
      for (int i = 0; i < kPerProcess; ++i) {
        Status s;
        if (i % 4 == 0) {
          s = (*store)->Transaction([&]() -> Status {
            RETURN_IF_ERROR((*store)->InsertSnapshot(
                Snapshot("p" + std::to_string(p) + "-" + std::to_string(i))));
            return (*store)->AppendAudit(Audit("ingest", i)).status();
          });
        } else {
          s = (*store)->AppendAudit(Audit("p" + std::to_string(p), i)).status();
        }
        if (!s.ok()) {
          std::fprintf(stderr, "child %d, step %d: %s\n", p, i, s.ToString().c_str());
          _exit(1);
        }
      }
      _exit(0);
    }
  }
  for (pid_t child : children) {
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  auto store = Open(false);
  auto entries = store->ListAudit();
  ASSERT_TRUE(entries.ok());
  AuditVerification v = VerifyAuditChain(*entries);
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.entries, 2u * kPerProcess);
  EXPECT_EQ(store->ListSnapshots()->size(), 2u * kPerProcess / 4);
}

TEST_F(SqliteStoreTest, MonitorBatchesAreAppendOnlyAndListedByClassificationAndTime) {
  auto store = Open();
  MonitorBatchRow a{.created_at = "2026-11-29T10:00:00Z",
                    .window_start = "2026-11-29T10:00:00Z",
                    .window_end = "2026-11-29T10:00:00Z",
                    .source = "cli",
                    .label = "batch_1.tsv",
                    .classification = "soc",
                    .model_version = "v1",
                    .records = 3,
                    .stats = {{"records", 3}},
                    .shadow_version = "",
                    .shadow = nullptr,
                    .actor = "ann"};
  MonitorBatchRow b = a;
  b.created_at = "2026-11-30T10:00:00Z";
  b.source = "api";
  b.shadow_version = "v2";
  b.shadow = {{"agree", 2}};
  MonitorBatchRow c = a;
  c.classification = "isic";
  ASSERT_EQ(*store->InsertMonitorBatch(a), 1);
  ASSERT_EQ(*store->InsertMonitorBatch(b), 2);
  ASSERT_EQ(*store->InsertMonitorBatch(c), 3);
  auto soc = store->ListMonitorBatches("soc", "");
  ASSERT_TRUE(soc.ok());
  ASSERT_EQ(soc->size(), 2u);
  EXPECT_EQ((*soc)[0].label, "batch_1.tsv");
  EXPECT_EQ((*soc)[0].stats, a.stats);
  EXPECT_TRUE((*soc)[0].shadow.is_null());
  EXPECT_EQ((*soc)[1].shadow_version, "v2");
  EXPECT_EQ((*soc)[1].shadow, b.shadow);
  EXPECT_EQ(store->ListMonitorBatches("", "2026-11-30")->size(), 1u);
  EXPECT_EQ(store->ListMonitorBatches("", "")->size(), 3u);
  EXPECT_NE(RawExec(path_, "UPDATE monitor_batches SET records = 9"), SQLITE_OK);
  EXPECT_NE(RawExec(path_, "DELETE FROM monitor_batches"), SQLITE_OK);
  // A bad source is refused by the schema.
  MonitorBatchRow bad = a;
  bad.source = "email";
  EXPECT_FALSE(store->InsertMonitorBatch(bad).ok());
}

}  // namespace
}  // namespace statcoder::store
