// Monitoring through the real binary (docs/monitoring.md): every batch coded in a workspace is
// remembered as statistics (no text), `monitor` turns the history into ok / watch / retrain with
// evidence and a training window, reviews of the batch's queued records give measured accuracy,
// and `shadow` lets a challenger code batches alongside production.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "cli_harness.h"
#include "review_decisions.h"

namespace statcoder::cli {
namespace {

using namespace statcoder::cli::testing;

class MonitorCliTest : public WorkspaceTest {
 protected:
  void SetUp() override {
    WorkspaceTest::SetUp();
    Init();
  }
  std::string TrainAndPromote(const std::string& file) {
    const std::string version = Train(Ingest(file));
    EXPECT_EQ(Sc({"models", "promote", ws_, version, "--force", "--reason", "test"}).exit_code, 0);
    return version;
  }
  // The rows of `file` (bundled test titles) whose code starts with one of `prefixes`.
  std::string Subset(const std::string& name, const std::vector<std::string>& prefixes,
                     size_t limit) const {
    const Table all = ParseTsv(ReadFile(kOnet / "test.tsv"));
    const size_t code = ColumnOf(all, "soc2018");
    Table out = {all[0]};
    for (size_t i = 1; i < all.size() && out.size() <= limit; ++i) {
      for (const std::string& p : prefixes) {
        if (all[i][code].rfind(p, 0) == 0) {
          out.push_back(all[i]);
          break;
        }
      }
    }
    const std::string path = (dir_ / name).string();
    WriteFile(path, ToTsv(out));
    return path;
  }
  json Code(const std::string& file, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {
        "code",  ws_,     "--data",
        file,    "--out", (dir_ / (fs::path(file).filename().string() + ".out")).string(),
        "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    return Json(Sc(args));
  }
};

TEST_F(MonitorCliTest, NoProductionModelIsAClearError) {
  const RunResult r = Sc({"monitor", ws_});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("no production model"), std::string::npos) << r;
}

TEST_F(MonitorCliTest, BatchesAreMonitoredWithoutTextAndDriftCallsForRetraining) {
  const std::string version = TrainAndPromote(train_);
  // The reference was kept with the model at training time.
  EXPECT_TRUE(fs::exists(fs::path(ws_) / "reports" / version / "reference.json"));
  json status = Json(Sc({"monitor", ws_, "--json"}));
  EXPECT_EQ(status["status"], "no_data");
  EXPECT_EQ(status["model_version"], version);
  EXPECT_GT(status["reference"]["heldout_n"].get<int>(), 0);

  // Two batches like the training data: nothing to report.
  const std::string test = (kOnet / "test.tsv").string();
  const json coded = Code(test);
  EXPECT_GT(coded["monitor_batch"].get<int>(), 0);
  EXPECT_EQ(coded["queued_for_review"], coded["review"]);
  Code(test, {"--no-review"});
  status = Json(Sc({"monitor", ws_, "--json"}));
  ASSERT_EQ(status["batches"].size(), 2u) << status;
  EXPECT_EQ(status["status"], "ok") << status["recommendation"];
  const json& b = status["batches"][0];
  EXPECT_EQ(b["source"], "cli");
  EXPECT_EQ(b["label"], "test.tsv");
  EXPECT_GT(b["records"].get<int>(), 800);
  const double est = b["estimated_accuracy"]["value"];
  EXPECT_LE(b["estimated_accuracy"]["low"].get<double>(), est);
  EXPECT_GE(b["estimated_accuracy"]["high"].get<double>(), est);
  EXPECT_NEAR(b["shares"]["auto"].get<double>() + b["shares"]["review"].get<double>() +
                  b["shares"]["kb"].get<double>(),
              1.0, 1e-9);
  EXPECT_TRUE(b["alarms"].empty()) << b["alarms"];

  // The catalog keeps statistics, never the records' text.
  const std::string first_title = ParseTsv(ReadFile(test))[1][1];
  sqlite3* db = nullptr;
  ASSERT_EQ(
      sqlite3_open_v2((fs::path(ws_) / "statcoder.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
      SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT stats FROM monitor_batches", -1, &st, nullptr),
            SQLITE_OK);
  int rows = 0;
  while (sqlite3_step(st) == SQLITE_ROW) {
    ++rows;
    const std::string stats = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    EXPECT_EQ(stats.find(first_title), std::string::npos);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  EXPECT_EQ(rows, 2);

  // Then only healthcare occupations, twice: the code distribution moved, retrain, and the
  // proposed window starts at the first shifted batch.
  const std::string shifted = Subset("shifted.tsv", {"29-", "31-"}, 300);
  Code(shifted);
  Code(shifted);
  status = Json(Sc({"monitor", ws_, "--json"}));
  EXPECT_EQ(status["status"], "retrain") << status["recommendation"];
  bool code_drift = false;
  for (const json& e : status["recommendation"]["evidence"]) {
    if (e["rule"] == "code_drift") {
      code_drift = true;
      EXPECT_EQ(e["since_batch_id"], "3") << e;
      EXPECT_GT(e["effect"].get<double>(), 0.1) << e;
    }
  }
  EXPECT_TRUE(code_drift) << status["recommendation"];
  ASSERT_TRUE(status["training_window"].is_object());
  EXPECT_EQ(status["training_window"]["snapshots"].size(), 1u);
  EXPECT_FALSE(status["batches"][2]["alarms"].empty());
  // --since leaves the earlier batches out.
  const std::string third_time = status["batches"][2]["time"];
  EXPECT_LE(Json(Sc({"monitor", ws_, "--since", third_time, "--json"}))["batches"].size(), 4u);
  // The human form says the same.
  const RunResult text = Sc({"monitor", ws_});
  EXPECT_EQ(text.exit_code, 0) << text;
  EXPECT_NE(text.out.find("status retrain"), std::string::npos) << text;
  EXPECT_NE(text.out.find("proposed training window"), std::string::npos) << text;
}

TEST_F(MonitorCliTest, ReviewedRecordsOfABatchGiveMeasuredAccuracy) {
  TrainAndPromote(train_);
  // Every auto-coded record goes to the audit sample, so both strata get reviews.
  SetConfig("audit_rate = 0.02", "audit_rate = 1.0");
  const std::string small = Subset("small.tsv", {""}, 40);
  const json coded = Code(small);
  const int queued = coded["queued_for_review"].get<int>() + coded["audit_sample"].get<int>();
  EXPECT_EQ(queued, 40) << coded;
  // A coder decides every item with the true code: measured accuracy is then the share whose
  // top suggestion was right, with an interval.
  const Table rows = ParseTsv(ReadFile(small));
  std::map<std::string, std::string> truth;
  for (size_t i = 1; i < rows.size(); ++i) truth[rows[i][0]] = rows[i][ColumnOf(rows, "soc2018")];
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((fs::path(ws_) / "statcoder.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(
      sqlite3_prepare_v2(db, "SELECT id, record_id, batch_id FROM review_items", -1, &st, nullptr),
      SQLITE_OK);
  std::vector<std::pair<int64_t, std::string>> items;
  while (sqlite3_step(st) == SQLITE_ROW) {
    EXPECT_EQ(sqlite3_column_int64(st, 2), coded["monitor_batch"].get<int64_t>());
    items.emplace_back(sqlite3_column_int64(st, 0),
                       reinterpret_cast<const char*>(sqlite3_column_text(st, 1)));
  }
  sqlite3_finalize(st);
  for (const auto& [id, record] : items) DecideReviewItem(db, id, truth[record]);
  sqlite3_close(db);
  const json status = Json(Sc({"monitor", ws_, "--json"}));
  ASSERT_EQ(status["batches"].size(), 1u);
  const json& m = status["batches"][0]["measured_accuracy"];
  ASSERT_TRUE(m.is_object()) << status["batches"][0];
  EXPECT_EQ(m["n"], 40);
  EXPECT_LE(m["low"].get<double>(), m["value"].get<double>());
  EXPECT_GE(m["high"].get<double>(), m["value"].get<double>());
  EXPECT_GT(m["value"].get<double>(), 0.3);
  // Audited auto-coded records (if the small model auto-coded any): their precision, measured.
  EXPECT_EQ(status["batches"][0]["measured_auto_precision"].is_object(),
            coded["audit_sample"].get<int>() > 0);
}

// A code family the model never learned from records (military occupations, 55-, are left out
// of its training file; the code list still gives their titles) reaches the coders through the
// referrals and the audit sample: their decisions name the new codes, and `monitor` says retrain.
TEST_F(MonitorCliTest, CodersDecisionsRevealCodesNewToTheModel) {
  const Table all = ParseTsv(ReadFile(train_));
  Table without = {all[0]};
  for (size_t i = 1; i < all.size(); ++i) {
    if (all[i][ColumnOf(all, "soc2018")].rfind("55-", 0) != 0) without.push_back(all[i]);
  }
  const std::string train_file = (dir_ / "train_without_55.tsv").string();
  WriteFile(train_file, ToTsv(without));
  const std::string version = TrainAndPromote(train_file);
  const json reference =
      json::parse(ReadFile(fs::path(ws_) / "reports" / version / "reference.json"));
  ASSERT_TRUE(reference["trained_codes"].is_array());
  for (const json& c : reference["trained_codes"]) {
    EXPECT_NE(c.get<std::string>().rfind("55-", 0), 0u) << c;
  }
  SetConfig("audit_rate = 0.02", "audit_rate = 1.0");
  const std::string batch = Subset("batch.tsv", {"55-", "51-"}, 60);
  const json coded = Code(batch);
  // Before any decision: nothing to say about new codes yet.
  json status = Json(Sc({"monitor", ws_, "--json"}));
  ASSERT_EQ(status["batches"].size(), 1u);
  EXPECT_FALSE(status["batches"][0]["new_codes"]["tested"].get<bool>());
  // A coder decides every item with the true code.
  const Table rows = ParseTsv(ReadFile(batch));
  std::map<std::string, std::string> truth;
  int military = 0;
  for (size_t i = 1; i < rows.size(); ++i) {
    truth[rows[i][0]] = rows[i][ColumnOf(rows, "soc2018")];
    military += truth[rows[i][0]].rfind("55-", 0) == 0;
  }
  ASSERT_GE(military, 5);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((fs::path(ws_) / "statcoder.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT id, record_id FROM review_items", -1, &st, nullptr),
            SQLITE_OK);
  std::vector<std::pair<int64_t, std::string>> items;
  while (sqlite3_step(st) == SQLITE_ROW) {
    items.emplace_back(sqlite3_column_int64(st, 0),
                       reinterpret_cast<const char*>(sqlite3_column_text(st, 1)));
  }
  sqlite3_finalize(st);
  ASSERT_EQ(items.size(), rows.size() - 1) << coded;
  for (const auto& [id, record] : items) DecideReviewItem(db, id, truth[record]);
  sqlite3_close(db);
  status = Json(Sc({"monitor", ws_, "--json"}));
  const json& found = status["batches"][0]["new_codes"];
  EXPECT_TRUE(found["tested"].get<bool>()) << found;
  EXPECT_TRUE(found["alarm"].get<bool>()) << found;
  EXPECT_EQ(found["reviewed"], rows.size() - 1);
  EXPECT_EQ(found["untrained"], military);
  ASSERT_FALSE(found["codes"].empty());
  EXPECT_EQ(found["codes"][0]["code"].get<std::string>().rfind("55-", 0), 0u) << found;
  EXPECT_EQ(status["status"], "retrain") << status["recommendation"];
  bool named = false;
  for (const json& e : status["recommendation"]["evidence"]) {
    if (e["rule"] == "new_codes") {
      named = true;
      EXPECT_NE(e["message"].get<std::string>().find("55-"), std::string::npos) << e;
    }
  }
  EXPECT_TRUE(named) << status["recommendation"];
  // The text output says it too.
  const RunResult text = Sc({"monitor", ws_});
  EXPECT_NE(text.out.find("no training records for"), std::string::npos) << text.out;

  // Another model, trained on the same records (one epoch more), replaces it in production: the
  // coders' codes in the batch the first one coded still say this one lacks the 55- family.
  SetConfig("epochs = 5", "epochs = 6");
  const std::string second = TrainAndPromote(train_file);
  ASSERT_NE(second, version);
  Code(Subset("next.tsv", {"51-"}, 10));
  status = Json(Sc({"monitor", ws_, "--json"}));
  ASSERT_EQ(status["model_version"], second);
  EXPECT_TRUE(status["new_codes_in_earlier_batches"]["alarm"].get<bool>())
      << status["new_codes_in_earlier_batches"];
  EXPECT_EQ(status["new_codes_in_earlier_batches"]["untrained"], military);
  EXPECT_EQ(status["new_codes_in_earlier_batches"]["batch"],
            std::to_string(coded["monitor_batch"].get<int64_t>()));
  EXPECT_EQ(status["status"], "retrain") << status["recommendation"];
  named = false;
  for (const json& e : status["recommendation"]["evidence"]) {
    if (e["rule"] != "new_codes") continue;
    named = true;
    EXPECT_NE(e["message"].get<std::string>().find("a batch coded by an earlier model"),
              std::string::npos)
        << e;
  }
  EXPECT_TRUE(named) << status["recommendation"];
}

TEST_F(MonitorCliTest, ShadowChallengerCodesAlongsideWithoutChangingOutputs) {
  const std::string champion = TrainAndPromote(train_);
  const std::string challenger = Train(Ingest(other_));
  ASSERT_NE(challenger, champion);
  const std::string test = (kOnet / "test.tsv").string();
  Code(test);
  const std::string before = ReadFile(dir_ / "test.tsv.out");

  EXPECT_NE(Sc({"shadow", ws_, "off"}).exit_code, 0);  // not on
  EXPECT_NE(Sc({"shadow", ws_, "on"}).exit_code, 0);   // no challenger named
  EXPECT_NE(Sc({"shadow", ws_, "maybe", "--challenger", challenger}).exit_code, 0);
  const json on = Json(Sc({"shadow", ws_, "on", "--challenger", challenger, "--json"}));
  EXPECT_EQ(on["version"], challenger);
  const json coded = Code(test);
  ASSERT_TRUE(coded["shadow"].is_object()) << coded;
  EXPECT_EQ(coded["shadow"]["version"], challenger);
  EXPECT_GT(coded["shadow"]["compared"].get<int>(), 800);
  EXPECT_EQ(ReadFile(dir_ / "test.tsv.out"), before);  // production's output, unchanged

  const json status = Json(Sc({"monitor", ws_, "--json"}));
  ASSERT_EQ(status["batches"].size(), 2u);
  EXPECT_TRUE(status["batches"][0]["shadow"].is_null());
  const json& shadow = status["batches"][1]["shadow"];
  ASSERT_TRUE(shadow.is_object());
  EXPECT_EQ(shadow["version"], challenger);
  EXPECT_GT(shadow["agreement"].get<double>(), 0.2);
  EXPECT_LT(shadow["agreement"].get<double>(), 1.0);

  EXPECT_EQ(Sc({"shadow", ws_, "off"}).exit_code, 0);
  EXPECT_TRUE(Code(test)["shadow"].is_null());
  const json audit = Json(Sc({"audit", "list", ws_, "--json"}))["entries"];
  int shadow_events = 0;
  for (const json& e : audit)
    shadow_events += e["action"] == "shadow_on" || e["action"] == "shadow_off";
  EXPECT_EQ(shadow_events, 2);
}

}  // namespace
}  // namespace statcoder::cli
