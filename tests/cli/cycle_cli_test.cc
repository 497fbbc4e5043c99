// `statcoder cycle` through the real binary (docs/cycle.md): a batch goes through ingest, code,
// refer, monitor and, when due, retrain, compare and promote, journaled step by step; a rerun of a
// finished cycle changes nothing, and a cycle killed (SIGKILL) at any step resumes where it
// stopped, with the same outputs, queue items, batches and models as a run never interrupted.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "cli_harness.h"
#include "review_decisions.h"

namespace statcoder::cli {
namespace {

using namespace statcoder::cli::testing;

// Rows of the catalog's tables that a cycle may add to; a rerun or a resumed run must not add
// more than an uninterrupted one.
struct Counts {
  int64_t snapshots = 0, models = 0, review_items = 0, monitor_batches = 0, cycles = 0;
  bool operator==(const Counts&) const = default;
};
std::ostream& operator<<(std::ostream& os, const Counts& c) {
  return os << "snapshots " << c.snapshots << ", models " << c.models << ", review_items "
            << c.review_items << ", monitor_batches " << c.monitor_batches << ", cycles "
            << c.cycles;
}

int64_t CountRows(sqlite3* db, const std::string& table) {
  sqlite3_stmt* st = nullptr;
  const std::string sql = "SELECT count(*) FROM " + table;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
    return -1;
  }
  int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
  sqlite3_finalize(st);
  return n;
}

class CycleCliTest : public WorkspaceTest {
 protected:
  void SetUp() override {
    WorkspaceTest::SetUp();
    batch_a_ = Batch("wave1.tsv", 0, 120);
    batch_b_ = Batch("wave2.tsv", 120, 240);
  }
  void TearDown() override {
    ::unsetenv("STATCODER_TEST_KILL_AT");
    WorkspaceTest::TearDown();
  }
  // Rows [from, to) of the bundled test titles, as a batch file in dir_.
  std::string Batch(const std::string& name, size_t from, size_t to) const {
    const Table all = ParseTsv(ReadFile(kOnet / "test.tsv"));
    Table out = {all[0]};
    for (size_t i = from + 1; i < all.size() && i <= to; ++i) out.push_back(all[i]);
    const std::string path = (dir_ / name).string();
    WriteFile(path, ToTsv(out));
    return path;
  }
  // A workspace at `ws` whose production model learned train_ (init, ingest, train, promote).
  void Prepare(const std::string& ws) {
    ws_ = ws;
    Init();
    const std::string version = Train(Ingest(train_));
    ASSERT_FALSE(version.empty());
    ASSERT_EQ(Sc({"models", "promote", ws_, version, "--force", "--reason", "test"}).exit_code, 0);
  }
  RunResult Cycle(const std::string& batch, const std::string& period = "2026-11") {
    return Sc({"cycle", ws_, "--batch", batch, "--period", period, "--json", "--quiet"});
  }
  Counts Count() const {
    sqlite3* db = nullptr;
    Counts c;
    if (sqlite3_open_v2((fs::path(ws_) / "statcoder.db").c_str(), &db, SQLITE_OPEN_READONLY,
                        nullptr) != SQLITE_OK) {
      ADD_FAILURE() << "cannot open the catalog of " << ws_;
      return c;
    }
    c.snapshots = CountRows(db, "snapshots");
    c.models = CountRows(db, "models");
    c.review_items = CountRows(db, "review_items");
    c.monitor_batches = CountRows(db, "monitor_batches");
    c.cycles = CountRows(db, "cycles");
    sqlite3_close(db);
    return c;
  }
  // A coder decides every pending review item of ws_ with the true code of its record.
  void DecideAll() const {
    std::map<std::string, std::string> truth;
    const Table rows = ParseTsv(ReadFile(kOnet / "test.tsv"));
    for (size_t i = 1; i < rows.size(); ++i) truth[rows[i][0]] = rows[i][ColumnOf(rows, "soc2018")];
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((fs::path(ws_) / "statcoder.db").c_str(), &db), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db,
                                 "SELECT id, record_id FROM review_items WHERE status = 'open' "
                                 "ORDER BY id",
                                 -1, &st, nullptr),
              SQLITE_OK)
        << sqlite3_errmsg(db);
    std::vector<std::pair<int64_t, std::string>> items;
    while (sqlite3_step(st) == SQLITE_ROW) {
      items.emplace_back(sqlite3_column_int64(st, 0),
                         reinterpret_cast<const char*>(sqlite3_column_text(st, 1)));
    }
    sqlite3_finalize(st);
    ASSERT_FALSE(items.empty()) << "nothing was queued for review";
    for (const auto& [id, record] : items) DecideReviewItem(db, id, truth[record]);
    sqlite3_close(db);
  }
  std::string Production() {
    const json models = Json(Sc({"models", "list", ws_, "--json"}));
    for (const json& m : models["models"]) {
      for (const json& a : m["aliases"]) {
        if (a == "production") return m.value("version", "");
      }
    }
    return "";
  }

  std::string batch_a_, batch_b_;
};

// The batch's final codes: written by the cycle once coders (and a supervisor, for an
// escalated item) have decided every item it queued; the model's decision stands for records
// nobody reviewed. With [cycle] wait_for_review the cycle waits for a person until then.
TEST_F(CycleCliTest, FinalCodesAreWrittenOnceTheReviewIsComplete) {
  Prepare((dir_ / "ws").string());
  RunResult first = Cycle(batch_a_);
  ASSERT_EQ(first.exit_code, 0) << first;
  json c = ParseJson(first.out);
  EXPECT_NE(c["message"].get<std::string>().find("final codes when the review is complete"),
            std::string::npos)
      << c["message"];
  // Still under review: a rerun has nothing to do and says what it waits for.
  const RunResult early = Cycle(batch_a_);
  EXPECT_EQ(early.exit_code, 9) << early;
  EXPECT_NE(ParseJson(early.out)["message"].get<std::string>().find("wait for a coder"),
            std::string::npos)
      << early;

  // One item escalated, then adjudicated by a supervisor; the others coded by a coder.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((fs::path(ws_) / "statcoder.db").c_str(), &db), SQLITE_OK);
  EscalateReviewItem(db, 1);
  sqlite3_close(db);
  DecideAll();
  const RunResult waiting_for_supervisor = Cycle(batch_a_);
  EXPECT_EQ(waiting_for_supervisor.exit_code, 9) << waiting_for_supervisor;
  EXPECT_NE(waiting_for_supervisor.out.find("1 for a supervisor"), std::string::npos)
      << waiting_for_supervisor;
  ASSERT_EQ(sqlite3_open((fs::path(ws_) / "statcoder.db").c_str(), &db), SQLITE_OK);
  AdjudicateReviewItem(db, 1, "11-2021");
  sqlite3_close(db);

  const RunResult done = Cycle(batch_a_);
  ASSERT_EQ(done.exit_code, 0) << done;
  c = ParseJson(done.out);
  ASSERT_EQ(c["final_output"], "cycles/" + std::to_string(c["id"].get<int>()) + "/final.tsv") << c;
  const Table coded = ParseTsv(ReadFile(fs::path(ws_) / c["output"].get<std::string>()));
  const Table final_codes =
      ParseTsv(ReadFile(fs::path(ws_) / c["final_output"].get<std::string>()));
  ASSERT_EQ(final_codes.size(), coded.size());
  EXPECT_EQ(ToTsv({final_codes[0]}),
            "id\tcode\tdecision\tfinal_code\tfinal_title\tfinal_source\tfinal_by\n");
  const Table truth_rows = ParseTsv(ReadFile(batch_a_));
  std::map<std::string, std::string> truth;
  for (size_t i = 1; i < truth_rows.size(); ++i) truth[truth_rows[i][0]] = truth_rows[i][2];
  int64_t by_coder = 0, by_supervisor = 0, by_model = 0;
  for (size_t i = 1; i < final_codes.size(); ++i) {
    const auto& r = final_codes[i];
    EXPECT_EQ(r[0], coded[i][ColumnOf(coded, "id")]);
    if (r[5] == "coder") {
      ++by_coder;
      EXPECT_EQ(r[3], truth[r[0]]) << ToTsv({r});
      EXPECT_EQ(r[6], "ann");
    } else if (r[5] == "supervisor") {
      ++by_supervisor;
      EXPECT_EQ(r[3], "11-2021");
      EXPECT_EQ(r[4], "Marketing Managers");
      EXPECT_EQ(r[6], "meg");
    } else {
      ++by_model;
      EXPECT_EQ(r[5], "model") << ToTsv({r});
      EXPECT_EQ(r[3], r[1]);
      EXPECT_EQ(r[2], "auto");
    }
  }
  EXPECT_EQ(by_supervisor, 1);
  EXPECT_EQ(by_coder + by_supervisor, c["queued_items"].get<int64_t>());
  EXPECT_EQ(by_model + by_coder + by_supervisor, 120);
  // Written once: another rerun has nothing to do.
  EXPECT_EQ(Cycle(batch_a_).exit_code, 9);

  // Waiting for coders, when the office says a cycle is finished only with its final codes.
  SetConfig("wait_for_review = false", "wait_for_review = true");
  const RunResult wait = Cycle(batch_b_, "2026-12");
  EXPECT_EQ(wait.exit_code, 10) << wait;
  c = ParseJson(wait.out);
  EXPECT_EQ(c["state"], "waiting");
  EXPECT_NE(c["message"].get<std::string>().find("wait for a coder"), std::string::npos) << c;
  DecideAll();
  const RunResult finished = Cycle(batch_b_, "2026-12");
  EXPECT_EQ(finished.exit_code, 0) << finished;
  EXPECT_FALSE(ParseJson(finished.out)["final_output"].is_null());
}

TEST_F(CycleCliTest, CodesRefersAndMonitorsABatchAndARerunChangesNothing) {
  Prepare((dir_ / "ws").string());
  const Counts before = Count();
  const RunResult r = Cycle(batch_a_);
  ASSERT_EQ(r.exit_code, 0) << r;
  const json c = ParseJson(r.out);
  EXPECT_EQ(c["result"], "done");
  EXPECT_EQ(c["state"], "done");
  EXPECT_EQ(c["period"], "2026-11");
  EXPECT_EQ(c["coded_records"], 120);
  EXPECT_EQ(c["batch_file"], "wave1.tsv");
  EXPECT_EQ(c["promoted"], false);
  EXPECT_TRUE(c["challenger"].is_null()) << c;
  std::vector<std::string> steps;
  for (const json& s : c["steps"]) steps.push_back(s["step"].get<std::string>());
  EXPECT_EQ(steps, (std::vector<std::string>{"ingest", "code", "monitor", "feedback", "train",
                                             "compare", "promote", "final"}));
  // Nobody has decided the queued items yet: the final codes are pending.
  EXPECT_EQ(c["steps"][7]["state"], "pending") << c["steps"][7];
  EXPECT_EQ(c["steps"][7]["outputs"]["open"], c["queued_items"]);
  EXPECT_TRUE(c["final_output"].is_null());
  // The monitor's view of this very batch is journaled (a promotion later moves the monitor on).
  const json& seen = c["steps"][2]["outputs"]["batch"];
  ASSERT_TRUE(seen.is_object()) << c["steps"][2];
  EXPECT_EQ(seen["id"], c["steps"][1]["outputs"]["monitor_batch"]);
  EXPECT_TRUE(seen["estimated_accuracy"]["value"].is_number()) << seen;
  // Not due: too few reviewed records, the monitor has not asked for it, no schedule.
  EXPECT_EQ(c["steps"][4]["state"], "skipped") << c["steps"][4];
  EXPECT_EQ(c["steps"][5]["state"], "skipped");
  EXPECT_EQ(c["steps"][6]["state"], "skipped");

  // The coded file, one row per record with the model that coded it.
  ASSERT_EQ(c["output"], "cycles/" + std::to_string(c["id"].get<int>()) + "/coded.tsv");
  const Table coded = ParseTsv(ReadFile(fs::path(ws_) / c["output"].get<std::string>()));
  ASSERT_EQ(coded.size(), 121u);
  const size_t model_col = ColumnOf(coded, "model_version");
  ASSERT_LT(model_col, coded[0].size()) << ToTsv({coded[0]});
  EXPECT_EQ(coded[1][model_col], c["model_version"]);
  EXPECT_EQ(c["model_version"], Production());

  // What the step journal says it wrote is in the catalog: one batch snapshot, one monitoring
  // batch, the queued items.
  const Counts after = Count();
  EXPECT_EQ(after.snapshots, before.snapshots + 1);
  EXPECT_EQ(after.monitor_batches, before.monitor_batches + 1);
  EXPECT_EQ(after.review_items - before.review_items, c["queued_items"].get<int64_t>());
  EXPECT_GT(c["queued_items"].get<int64_t>(), 0);
  EXPECT_EQ(after.cycles, 1);
  EXPECT_EQ(after.models, before.models);

  // The same records again, under another name: the cycle had finished, nothing changes.
  fs::copy_file(batch_a_, dir_ / "wave1_again.tsv");
  const RunResult again = Cycle((dir_ / "wave1_again.tsv").string());
  EXPECT_EQ(again.exit_code, 9) << again;
  EXPECT_EQ(ParseJson(again.out)["result"], "nothing_to_do");
  EXPECT_EQ(Count(), after);
  // ... and not as another period's batch.
  const RunResult other_period = Cycle(batch_a_, "2026-12");
  EXPECT_EQ(other_period.exit_code, 2) << other_period;
  EXPECT_NE(other_period.err.find("period 2026-11"), std::string::npos) << other_period;
  EXPECT_EQ(Count(), after);

  // status lists the cycle with its journal; the audit trail has its start and end.
  const json status = Json(Sc({"cycle", "status", ws_, "--json"}));
  ASSERT_EQ(status["cycles"].size(), 1u) << status;
  EXPECT_EQ(status["cycles"][0]["state"], "done");
  EXPECT_EQ(status["cycles"][0]["steps"].size(), 8u);
  const RunResult table = Sc({"cycle", "status", ws_});
  EXPECT_EQ(table.exit_code, 0) << table;
  EXPECT_NE(table.out.find("2026-11"), std::string::npos) << table;
  const RunResult audit = Sc({"audit", "list", ws_, "--json"});
  ASSERT_EQ(audit.exit_code, 0) << audit;
  EXPECT_NE(audit.out.find("cycle_start"), std::string::npos);
  EXPECT_NE(audit.out.find("cycle_done"), std::string::npos);
  EXPECT_EQ(Sc({"audit", "verify", ws_}).exit_code, 0);
}

TEST_F(CycleCliTest, ClearErrorsWithoutAProductionModelOrABatch) {
  ws_ = (dir_ / "ws").string();
  Init();
  RunResult r = Cycle(batch_a_);
  EXPECT_EQ(r.exit_code, 5) << r;
  EXPECT_NE(r.err.find("no production model"), std::string::npos) << r;
  // The failure is journaled: status says at which step and why.
  const json status = Json(Sc({"cycle", "status", ws_, "--json"}));
  ASSERT_EQ(status["cycles"].size(), 1u);
  EXPECT_EQ(status["cycles"][0]["state"], "failed");
  r = Sc({"cycle", ws_, "--batch", (dir_ / "missing.tsv").string()});
  EXPECT_EQ(r.exit_code, 4) << r;
  EXPECT_NE(r.err.find("missing.tsv"), std::string::npos) << r;
  r = Sc({"cycle", ws_, "--batch", batch_a_, "--period", "2026/11"});
  EXPECT_EQ(r.exit_code, 2) << r;
  EXPECT_NE(r.err.find("--period"), std::string::npos) << r;
  r = Sc({"cycle", ws_});
  EXPECT_EQ(r.exit_code, 2) << r;
  EXPECT_NE(r.err.find("--batch"), std::string::npos) << r;
  // Another cycle holds the workspace: retry later (11), nothing touched.
  const int fd = ::open((fs::path(ws_) / "cycle.lock").c_str(), O_RDWR | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  r = Sc({"cycle", ws_, "--batch", batch_b_, "--json"});
  EXPECT_EQ(r.exit_code, 11) << r;
  EXPECT_NE(r.err.find("another 'statcoder cycle' is running"), std::string::npos) << r;
  ::close(fd);
  EXPECT_EQ(Json(Sc({"cycle", "status", ws_, "--json"}))["cycles"].size(), 1u);
}

// The production sequence of the next two tests: cycle 1 codes batch A (nothing to retrain on),
// a coder reviews its referrals, cycle 2 codes batch B and, with [cycle] retrain = "always",
// trains a challenger on the training data plus the reviews, compares it and promotes it.
class CycleRetrainTest : public CycleCliTest {
 protected:
  // Retrain every cycle; champion and challenger compared on a frozen labelled snapshot.
  void Configure(bool require_ethics = false) {
    SetConfig("retrain = \"auto\"", "retrain = \"always\"");
    if (!require_ethics) SetConfig("require_ethics = true", "require_ethics = false");
    // The quality gates stay on, at floors these small models (5 epochs, ~100 held-out
    // records, so a noisy calibration error) clear: the tests are about the workflow.
    SetConfig("max_ece = 0.1", "max_ece = 0.3");
    const std::string frozen = Ingest(Batch("frozen.tsv", 240, 600));
    ASSERT_FALSE(frozen.empty());
    SetConfig("evaluation_snapshot = \"\"", "evaluation_snapshot = \"" + frozen + "\"");
  }
};

TEST_F(CycleRetrainTest, ReviewedRecordsTrainAChallengerThatIsPromotedOrWaitsForEthics) {
  Prepare((dir_ / "ws").string());
  Configure(/*require_ethics=*/true);
  const std::string champion = Production();
  ASSERT_EQ(Cycle(batch_a_).exit_code, 0);
  DecideAll();
  // The ethics gate is on (the default): the challenger waits for an approved assessment.
  RunResult r = Cycle(batch_b_);
  ASSERT_EQ(r.exit_code, 10) << r;
  json c = ParseJson(r.out);
  EXPECT_EQ(c["result"], "waiting");
  EXPECT_EQ(c["state"], "waiting");
  ASSERT_TRUE(c["challenger"].is_string()) << c;
  const std::string challenger = c["challenger"];
  EXPECT_NE(challenger, champion);
  EXPECT_NE(c["message"].get<std::string>().find("ethics"), std::string::npos) << c["message"];
  EXPECT_EQ(Production(), champion);
  const json& feedback = c["steps"][3];
  EXPECT_EQ(feedback["step"], "feedback");
  EXPECT_GT(feedback["outputs"]["new_reviewed"].get<int>(), 0) << feedback;
  const json& train = c["steps"][4];
  EXPECT_EQ(train["state"], "done") << train;
  EXPECT_EQ(train["inputs"]["snapshots"].size(), 2u) << train;  // training data + feedback
  const Counts waiting = Count();

  // Once a person lifts the gate, the rerun resumes at promotion: no second model.
  SetConfig("require_ethics = true", "require_ethics = false");
  r = Cycle(batch_b_);
  ASSERT_EQ(r.exit_code, 0) << r;
  c = ParseJson(r.out);
  EXPECT_EQ(c["promoted"], true) << c;
  EXPECT_EQ(Production(), challenger);
  EXPECT_EQ(Count(), waiting);
  EXPECT_EQ(Cycle(batch_b_).exit_code, 9);
}

TEST_F(CycleRetrainTest, AChallengerTheQualityGatesRefuseStaysACandidate) {
  Prepare((dir_ / "ws").string());
  Configure();
  SetConfig("min_accuracy = 0.5", "min_accuracy = 0.999");
  const std::string champion = Production();
  ASSERT_EQ(Cycle(batch_a_).exit_code, 0);
  DecideAll();
  const RunResult r = Cycle(batch_b_);
  ASSERT_EQ(r.exit_code, 0) << r;
  const json c = ParseJson(r.out);
  EXPECT_EQ(c["state"], "done");
  EXPECT_EQ(c["promoted"], false);
  ASSERT_TRUE(c["challenger"].is_string()) << c;
  EXPECT_EQ(Production(), champion);
  // What a person may do, in the message and the journal.
  const std::string message = c["message"];
  EXPECT_NE(message.find("stays a candidate"), std::string::npos) << message;
  EXPECT_NE(message.find("min_accuracy"), std::string::npos) << message;
  EXPECT_EQ(c["steps"][5]["state"], "done");  // compared on the frozen snapshot
  EXPECT_TRUE(c["steps"][5]["outputs"]["verdict"].is_string()) << c["steps"][5];
  EXPECT_EQ(c["steps"][6]["outputs"]["promoted"], false) << c["steps"][6];
}

TEST_F(CycleRetrainTest, ACycleKilledAtAnyStepResumesToTheSameEndAsOneNeverInterrupted) {
  // Uninterrupted, in its own workspace.
  Prepare((dir_ / "reference").string());
  Configure();
  ASSERT_EQ(Cycle(batch_a_).exit_code, 0);
  DecideAll();
  RunResult r = Cycle(batch_b_);
  ASSERT_EQ(r.exit_code, 0) << r;
  ASSERT_EQ(ParseJson(r.out)["promoted"], true) << r.out;
  const Counts reference = Count();
  const std::string reference_model = Production();
  const std::string reference_output = ReadFile(fs::path(ws_) / "cycles" / "2" / "coded.tsv");

  // Killed before each step's journal commits, one after the other: each rerun resumes the
  // cycle and goes one step further.
  Prepare((dir_ / "killed").string());
  Configure();
  ASSERT_EQ(Cycle(batch_a_).exit_code, 0);
  DecideAll();
  for (const char* point :
       {"ingest", "output", "code", "monitor", "feedback", "train", "compare", "promote"}) {
    ::setenv("STATCODER_TEST_KILL_AT", point, 1);
    r = Cycle(batch_b_);
    EXPECT_EQ(r.exit_code, 137) << point << ": " << r;
  }
  ::unsetenv("STATCODER_TEST_KILL_AT");
  r = Cycle(batch_b_);
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(ParseJson(r.out)["promoted"], true) << r.out;
  EXPECT_EQ(Count(), reference);
  // Training in a workspace is reproducible: the same challenger, byte for byte.
  EXPECT_EQ(Production(), reference_model);
  EXPECT_EQ(ReadFile(fs::path(ws_) / "cycles" / "2" / "coded.tsv"), reference_output);
  EXPECT_EQ(Sc({"audit", "verify", ws_}).exit_code, 0);
}

}  // namespace
}  // namespace statcoder::cli
