// End-to-end tests of the workspace verbs (docs/cli.md, "Workspace"): init, ingest, snapshots,
// train in a workspace, models (gates, promotion, rollback, archive), ethics, kb, code with the
// knowledge base, and audit (including tampering with the database through the sqlite3 shell).
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "cli_harness.h"

namespace statcoder::cli {
namespace {

using namespace statcoder::cli::testing;

class WorkspaceCliTest : public WorkspaceTest {
 protected:
  // A complete ethics self-assessment: answered and submitted by alice, approved by bob.
  void ApproveEthics(const std::string& model) {
    ASSERT_EQ(Sc({"ethics", "start", ws_, "--model", model}).exit_code, 0);
    const json items = Json(Sc({"ethics", "show", ws_, "--model", model, "--json"}))["items"];
    for (const json& item : items) {
      ASSERT_EQ(Sc({"ethics", "answer", ws_, "--model", model, "--item", item["id"], "--rating",
                    "met", "--justification", "reviewed with the methodology team"})
                    .exit_code,
                0);
    }
    ASSERT_EQ(Sc({"ethics", "submit", ws_, "--model", model}).exit_code, 0);
    ASSERT_EQ(Sc({"ethics", "approve", ws_, "--model", model}, "bob").exit_code, 0);
  }
  json Audit() const { return Json(Sc({"audit", "list", ws_, "--json"}))["entries"]; }
  size_t CountAudit(const std::string& action) const {
    size_t n = 0;
    for (const json& e : Audit()) n += e["action"] == action;
    return n;
  }
  std::string Production() const {
    const json models = Json(Sc({"models", "list", ws_, "--all", "--json"}))["models"];
    for (const json& m : models) {
      for (const json& a : m["aliases"]) {
        if (a == "production") return m["version"];
      }
    }
    return "";
  }
};

TEST_F(WorkspaceCliTest, InitWritesTheLayoutAndRefusesAFolderInUse) {
  Init();
  for (const char* p : {"statcoder.toml", "statcoder.db", "lake", "models", "reports", "tmp",
                        "codelist/soc2018_codelist.tsv"}) {
    EXPECT_TRUE(fs::exists(fs::path(ws_) / p)) << p;
  }
  const RunResult again = RunStatcoder({"init", ws_, "--schema", "text=title;label=soc2018"},
                                       dir_, dir_);
  EXPECT_EQ(again.exit_code, 5) << again;
  EXPECT_NE(again.err.find("not empty"), std::string::npos) << again;
  const RunResult bad_schema =
      RunStatcoder({"init", (dir_ / "ws2").string(), "--schema", "text=title;lable=x"}, dir_, dir_);
  EXPECT_EQ(bad_schema.exit_code, 2) << bad_schema;
  EXPECT_FALSE(fs::exists(dir_ / "ws2" / "statcoder.toml"));
  const json audit = Audit();
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0]["action"], "init");
  EXPECT_EQ(audit[0]["actor"], "alice");
}

// A new workspace checks quality before a promotion, not only ethics (docs/formats/
// statcoder_toml.md, "[gates]"): init writes the accuracy and calibration floors active.
TEST_F(WorkspaceCliTest, NewWorkspacesStartWithQualityGatesOn) {
  Init();
  const std::string toml = ReadFile(fs::path(ws_) / "statcoder.toml");
  EXPECT_NE(toml.find("\nmin_accuracy = 0.5\n"), std::string::npos) << toml;
  EXPECT_NE(toml.find("\nmax_ece = 0.1\n"), std::string::npos) << toml;
  EXPECT_NE(toml.find("\n# min_auto_rate = "), std::string::npos) << toml;
  SetConfig("require_ethics = true", "require_ethics = false");
  const std::string v = Train(Ingest(train_));
  const RunResult r = Sc({"models", "promote", ws_, v, "--json"});
  const json verdict = ParseJson(r.out);
  std::map<std::string, bool> checked;
  for (const json& c : verdict["gates"]["checks"]) checked[c["gate"]] = c["passed"];
  ASSERT_TRUE(checked.count("min_accuracy")) << verdict.dump(2);
  ASSERT_TRUE(checked.count("max_ece")) << verdict.dump(2);
  EXPECT_EQ(r.exit_code, checked["min_accuracy"] && checked["max_ece"] ? 0 : 5) << r;
}

TEST_F(WorkspaceCliTest, MalformedOrUnknownConfigKeysAreClearErrors) {
  Init();
  SetConfig("[gates]", "[gates]\nmin_acuracy = 0.9");
  RunResult r = Sc({"snapshots", "list", ws_});
  EXPECT_EQ(r.exit_code, 3) << r;
  EXPECT_NE(r.err.find("statcoder.toml:"), std::string::npos) << r;
  EXPECT_NE(r.err.find("min_acuracy"), std::string::npos) << r;
  SetConfig("min_acuracy = 0.9", "min_accuracy = [");
  r = Sc({"snapshots", "list", ws_});
  EXPECT_EQ(r.exit_code, 3) << r;
  EXPECT_NE(r.err.find("statcoder.toml:"), std::string::npos) << r;
}

TEST_F(WorkspaceCliTest, IngestIsContentAddressedAndIdempotent) {
  Init();
  const json first = Json(Sc({"ingest", ws_, train_, "--kind", "training", "--json"}));
  EXPECT_TRUE(first["created"].get<bool>());
  EXPECT_EQ(first["rows"], 900);
  const std::string id = first["id"];
  EXPECT_EQ(id.size(), 64u);
  // The same records again, and as CSV: the same snapshot, nothing new.
  const json again = Json(Sc({"ingest", ws_, train_, "--json"}));
  EXPECT_EQ(again["id"], id);
  EXPECT_FALSE(again["created"].get<bool>());
  const fs::path csv = dir_ / "same.csv";
  WriteFile(csv, ToCsv(ParseTsv(ReadFile(train_))));
  EXPECT_EQ(Json(Sc({"ingest", ws_, csv.string(), "--json"}))["id"], id);
  EXPECT_EQ(Json(Sc({"snapshots", "list", ws_, "--json"}))["snapshots"].size(), 1u);
  EXPECT_EQ(CountAudit("ingest"), 1u);
  // The snapshot file is named by its content's hash and never rewritten.
  const json show = Json(Sc({"snapshots", "show", ws_, id.substr(0, 8), "--json"}));
  EXPECT_EQ(show["source_sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(show["data_source"], "train_small.tsv");
  EXPECT_TRUE(fs::exists(fs::path(ws_) / show["path"].get<std::string>()));
}

TEST_F(WorkspaceCliTest, RejectedRowsAreKeptBesideTheSnapshotOrFailTheIngest) {
  Init();
  Table t = ParseTsv(ReadFile(train_));
  t[5][2] = "99-9999";  // not in the code list
  const fs::path one_bad = dir_ / "one_bad.tsv";
  WriteFile(one_bad, ToTsv(t));
  const json r = Json(Sc({"ingest", ws_, one_bad.string(), "--json"}));
  EXPECT_EQ(r["rejected"], 1);
  EXPECT_EQ(r["rows"], 899);
  const std::string rejects = ReadFile(fs::path(ws_) / r["rejects_path"].get<std::string>());
  EXPECT_NE(rejects.find("99-9999"), std::string::npos);
  // Over [ingest] max_reject_share: nothing enters the lake, the rejects are kept aside.
  Table many = ParseTsv(ReadFile(other_));
  for (size_t i = 1; i < 100; ++i) many[i][2] = "bad";
  const fs::path bad = dir_ / "many_bad.tsv";
  WriteFile(bad, ToTsv(many));
  const RunResult refused = Sc({"ingest", ws_, bad.string()});
  EXPECT_EQ(refused.exit_code, 5) << refused;
  EXPECT_NE(refused.err.find("nothing was ingested"), std::string::npos) << refused;
  EXPECT_TRUE(fs::exists(bad.string() + ".rejects.tsv"));
  EXPECT_EQ(Json(Sc({"snapshots", "list", ws_, "--json"}))["snapshots"].size(), 1u);
  // Unknown kind and unknown parent are usage errors.
  EXPECT_EQ(Sc({"ingest", ws_, other_, "--kind", "nonsense"}).exit_code, 2);
  EXPECT_EQ(Sc({"ingest", ws_, other_, "--parent", "abcdef12"}).exit_code, 4);
}

TEST_F(WorkspaceCliTest, SnapshotsDiffAndExport) {
  Init();
  const std::string a = Ingest(train_);
  Table t = ParseTsv(ReadFile(train_));
  t[3][2] = t[4][2] == t[3][2] ? t[5][2] : t[4][2];  // relabel one record
  t.erase(t.begin() + 10);                           // remove one
  t.push_back({"999999", "Chief Widget Officer", t[1][2], t[1][3]});  // add one
  const fs::path changed = dir_ / "changed.tsv";
  WriteFile(changed, ToTsv(t));
  const std::string b = Ingest(changed.string(), "training", {"--parent", a.substr(0, 10)});
  const json diff = Json(Sc({"snapshots", "diff", ws_, a.substr(0, 10), b.substr(0, 10), "--json"}));
  EXPECT_EQ(diff["matched_by"], "id");
  EXPECT_EQ(diff["added"], 1);
  EXPECT_EQ(diff["removed"], 1);
  EXPECT_EQ(diff["relabelled"], 1);
  EXPECT_EQ(diff["unchanged"], 898);
  EXPECT_EQ(Json(Sc({"snapshots", "show", ws_, b, "--json"}))["parents"][0], a);
  // Export, re-ingest: the same snapshot.
  const fs::path out = dir_ / "export.tsv";
  ASSERT_EQ(Sc({"snapshots", "export", ws_, b, "--out", out.string()}).exit_code, 0);
  EXPECT_EQ(Json(Sc({"ingest", ws_, out.string(), "--json"}))["created"], false);
  // Unknown or ambiguous ids.
  RunResult r = Sc({"snapshots", "show", ws_, "0123456789abcdef"});
  EXPECT_EQ(r.exit_code, 4) << r;
  EXPECT_NE(r.err.find("snapshots list"), std::string::npos) << r;
  EXPECT_EQ(Sc({"snapshots", "show", ws_, "ab"}).exit_code, 2);
  EXPECT_EQ(Sc({"train", ws_, "--snapshot", "0123456789abcdef"}).exit_code, 4);
}

TEST_F(WorkspaceCliTest, TrainRegistersLineageAndIsReproducible) {
  Init();
  const std::string snap = Ingest(train_);
  const json first = Json(Sc({"train", ws_, "--snapshot", snap, "--json", "--quiet"}));
  EXPECT_TRUE(first["created"].get<bool>());
  const std::string v = first["model_version"];
  const json show = Json(Sc({"models", "show", ws_, v, "--json"}));
  EXPECT_EQ(show["snapshots"], json::array({snap}));
  EXPECT_EQ(show["seed"], 1);
  EXPECT_FALSE(show["statcoder_version"].get<std::string>().empty());
  EXPECT_EQ(show["aliases"], json::array({"candidate"}));
  EXPECT_EQ(show["options"]["epochs"], 5);
  EXPECT_TRUE(fs::exists(fs::path(ws_) / show["report_path"].get<std::string>()));
  EXPECT_TRUE(fs::exists(fs::path(ws_) / "reports" / v / "report.html"));
  // The same snapshot, configuration and seed: the same model, byte for byte.
  const json again = Json(Sc({"train", ws_, "--snapshot", snap.substr(0, 12), "--json", "--quiet"}));
  EXPECT_EQ(again["model_version"], v);
  EXPECT_FALSE(again["created"].get<bool>());
  // In a workspace the options come from statcoder.toml, not from flags.
  const RunResult flag = Sc({"train", ws_, "--snapshot", snap, "--epochs", "3"});
  EXPECT_EQ(flag.exit_code, 2) << flag;
  EXPECT_NE(flag.err.find("--epochs"), std::string::npos) << flag;
  // A batch snapshot has no codes to learn from.
  const std::string batch = Ingest((kOnet / "new.tsv").string(), "batch");
  EXPECT_EQ(Sc({"train", ws_, "--snapshot", batch}).exit_code, 2);
  // Another seed: another model, registered as #2 and the new candidate.
  SetConfig("seed = 1", "seed = 2");
  const json second = Json(Sc({"train", ws_, "--snapshot", snap, "--json", "--quiet"}));
  EXPECT_NE(second["model_version"], v);
  EXPECT_EQ(second["number"], 2);
  EXPECT_EQ(Json(Sc({"models", "show", ws_, "candidate", "--json"}))["version"],
            second["model_version"]);
}

TEST_F(WorkspaceCliTest, PromotionIsGatedByQualityAndEthics) {
  Init();
  const std::string v = Train(Ingest(train_));
  // No ethics assessment: refused, and the refusal is audited.
  RunResult r = Sc({"models", "promote", ws_, v});
  EXPECT_EQ(r.exit_code, 5) << r;
  EXPECT_NE(r.out.find("ethics"), std::string::npos) << r;
  EXPECT_EQ(CountAudit("promote_refused"), 1u);
  ApproveEthics(v);
  // A quality gate the model cannot meet.
  SetConfig("min_accuracy = 0.5", "min_accuracy = 0.999");
  r = Sc({"models", "promote", ws_, v, "--json"});
  EXPECT_EQ(r.exit_code, 5) << r;
  const json refused = ParseJson(r.out);
  EXPECT_FALSE(refused["promoted"].get<bool>());
  bool accuracy_failed = false;
  for (const json& c : refused["gates"]["checks"]) {
    if (c["gate"] == "min_accuracy") accuracy_failed = !c["passed"].get<bool>();
  }
  EXPECT_TRUE(accuracy_failed) << refused.dump(2);
  EXPECT_EQ(Production(), "");
  // --force needs a reason; with one it is promoted and the override audited.
  EXPECT_EQ(Sc({"models", "promote", ws_, v, "--force"}).exit_code, 2);
  r = Sc({"models", "promote", ws_, v, "--force", "--reason", "accuracy gate under review"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(Production(), v);
  const json audit = Audit();
  EXPECT_EQ(audit.back()["action"], "promote_forced");
  EXPECT_EQ(audit.back()["details"]["reason"], "accuracy gate under review");
  // Gates met: a plain promotion of another model passes.
  SetConfig("min_accuracy = 0.999", "min_accuracy = 0.3");
  SetConfig("max_ece = 0.1", "max_ece = 0.3");  // ~100 held-out records: a noisy ECE
  SetConfig("seed = 1", "seed = 7");
  const std::string v2 = Train(Ingest(train_));
  r = Sc({"models", "promote", ws_, v2});  // ethics carries over: same data sources
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("carried over"), std::string::npos) << r;
  EXPECT_EQ(Production(), v2);
  // Unknown versions.
  r = Sc({"models", "promote", ws_, "0123456789abcdef"});
  EXPECT_EQ(r.exit_code, 4) << r;
  EXPECT_NE(r.err.find("models list"), std::string::npos) << r;
}

TEST_F(WorkspaceCliTest, EthicsNeedsJustificationsAndASecondPerson) {
  Init();
  const std::string v = Train(Ingest(train_));
  ASSERT_EQ(Sc({"ethics", "start", ws_, "--model", v}).exit_code, 0);
  EXPECT_EQ(Sc({"ethics", "answer", ws_, "--model", v, "--item", "legal.1", "--rating", "met",
                "--justification", "  "})
                .exit_code,
            2);
  EXPECT_EQ(Sc({"ethics", "answer", ws_, "--model", v, "--item", "legal.9", "--rating", "met",
                "--justification", "x"})
                .exit_code,
            2);
  RunResult r = Sc({"ethics", "submit", ws_, "--model", v});
  EXPECT_EQ(r.exit_code, 5) << r;
  EXPECT_NE(r.err.find("unanswered"), std::string::npos) << r;
  const json items = Json(Sc({"ethics", "show", ws_, "--model", v, "--json"}))["items"];
  EXPECT_EQ(items.size(), 12u);
  std::set<std::string> principles;
  for (const json& item : items) {
    principles.insert(item["principle"].get<std::string>());
    ASSERT_EQ(Sc({"ethics", "answer", ws_, "--model", v, "--item", item["id"], "--rating", "met",
                  "--justification", "documented in the method note"})
                  .exit_code,
              0);
  }
  EXPECT_EQ(principles.size(), 6u);
  // Sensitive areas add up to a risk score; a high one needs an approval note.
  const json areas = Json(Sc({"ethics", "answer", ws_, "--model", v, "--sensitive-areas",
                              "health,criminal_justice", "--json"}));
  EXPECT_DOUBLE_EQ(areas["risk_score"].get<double>(), 6.0);
  ASSERT_EQ(Sc({"ethics", "submit", ws_, "--model", v}).exit_code, 0);
  r = Sc({"ethics", "approve", ws_, "--model", v});
  EXPECT_EQ(r.exit_code, 5) << r;
  EXPECT_NE(r.err.find("another person"), std::string::npos) << r;
  EXPECT_EQ(Sc({"ethics", "approve", ws_, "--model", v}, "bob").exit_code, 5);  // no note
  EXPECT_EQ(
      Sc({"ethics", "approve", ws_, "--model", v, "--note", "seen by the ethics committee"}, "bob")
          .exit_code,
      0);
  EXPECT_TRUE(Json(Sc({"ethics", "show", ws_, "--model", v, "--json"}))["approved"].get<bool>());
  // A model trained on another data source needs its own assessment.
  const std::string v2 = Train(Ingest(train_) + "," + Ingest(other_, "training",
                                                             {"--source", "LFS 2025"}));
  const json s2 = Json(Sc({"ethics", "show", ws_, "--model", v2, "--json"}));
  EXPECT_FALSE(s2["approved"].get<bool>()) << s2.dump(2);
  EXPECT_EQ(Sc({"models", "promote", ws_, v2}).exit_code, 5);
}

TEST_F(WorkspaceCliTest, RollbackRestoresThePreviousProductionModelAndArchiveHides) {
  Init();
  const std::string snap = Ingest(train_);
  const std::string v1 = Train(snap);
  SetConfig("seed = 1", "seed = 2");
  const std::string v2 = Train(snap);
  EXPECT_EQ(Sc({"models", "rollback", ws_}).exit_code, 5);  // nothing to roll back to
  for (const std::string& v : {v1, v2}) {
    ASSERT_EQ(Sc({"models", "promote", ws_, v, "--force", "--reason", "test"}).exit_code, 0);
  }
  EXPECT_EQ(Production(), v2);
  ASSERT_EQ(Sc({"models", "rollback", ws_}).exit_code, 0);
  EXPECT_EQ(Production(), v1);
  EXPECT_EQ(Sc({"models", "rollback", ws_}).exit_code, 5);
  EXPECT_EQ(CountAudit("rollback"), 1u);
  // The production model cannot be archived; another can, and is then hidden.
  EXPECT_EQ(Sc({"models", "archive", ws_, "production"}).exit_code, 5);
  ASSERT_EQ(Sc({"models", "archive", ws_, v2}).exit_code, 0);
  EXPECT_EQ(Json(Sc({"models", "list", ws_, "--json"}))["models"].size(), 1u);
  EXPECT_EQ(Json(Sc({"models", "list", ws_, "--all", "--json"}))["models"].size(), 2u);
  EXPECT_TRUE(fs::exists(fs::path(ws_) / "models" / (v2 + ".stc")));
  EXPECT_EQ(Sc({"models", "promote", ws_, v2, "--force", "--reason", "x"}).exit_code, 2);
}

TEST_F(WorkspaceCliTest, KnowledgeBaseComesBeforeTheModel) {
  Init();
  const std::string v = Train(Ingest(train_));
  ASSERT_EQ(Sc({"models", "promote", ws_, v, "--force", "--reason", "test"}).exit_code, 0);
  // Code the new records once to find one the model is sure of, and one it is not.
  const fs::path plain = dir_ / "plain.tsv";
  ASSERT_EQ(Sc({"code", ws_, "--data", (kOnet / "new.tsv").string(), "--out", plain.string(),
                "--quiet"})
                .exit_code,
            0);
  const Table coded = ParseTsv(ReadFile(plain));
  const Table input = ParseTsv(ReadFile(kOnet / "new.tsv"));
  const size_t conf = ColumnOf(coded, "top1_prob"), code = ColumnOf(coded, "top1_code");
  size_t sure = 0, unsure = 0;
  for (size_t i = 1; i < coded.size(); ++i) {
    const double p = std::stod(coded[i][conf]);
    if (!sure && p > 0.95) sure = i;
    if (!unsure && p < 0.5) unsure = i;
  }
  ASSERT_TRUE(sure && unsure);
  // The unsure record gets an expert code (its text in another case and spacing); the sure one
  // a code from another major group, which the model strongly disagrees with.
  std::string unsure_text = input[unsure][1];
  for (char& c : unsure_text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string other_major;  // a trained code of another major group
  for (const Row& row : ParseTsv(ReadFile(train_))) {
    if (row[2].substr(0, 2) != coded[sure][code].substr(0, 2)) other_major = row[2];
  }
  const std::string expert_code = ParseTsv(ReadFile(train_))[1][2];
  const fs::path kb = dir_ / "kb.tsv";
  WriteFile(kb, "text\tcode\tnote\n" + unsure_text + "  \t" + expert_code + "\texpert\n" +
                    input[sure][1] + "\t" + other_major + "\tdisputed\n");
  const json imported = Json(Sc({"kb", "import", ws_, kb.string(), "--json"}));
  EXPECT_EQ(imported["added"], 2);
  EXPECT_EQ(imported["version"], 1);
  const fs::path out = dir_ / "coded.tsv";
  const json summary = Json(Sc({"code", ws_, "--data", (kOnet / "new.tsv").string(), "--out",
                                out.string(), "--json"}));
  EXPECT_EQ(summary["kb"], 1);
  EXPECT_EQ(summary["kb_conflicts"], 1);
  EXPECT_EQ(summary["kb_version"], 1);
  const Table with_kb = ParseTsv(ReadFile(out));
  const size_t decision = ColumnOf(with_kb, "decision"), reason = ColumnOf(with_kb, "reason");
  EXPECT_EQ(with_kb[unsure][decision], "kb");
  EXPECT_EQ(with_kb[unsure][ColumnOf(with_kb, "code")], expert_code);
  EXPECT_EQ(with_kb[sure][decision], "review");
  EXPECT_EQ(with_kb[sure][reason], "kb_conflict");
  // An import with an unknown code changes nothing.
  WriteFile(kb, "text\tcode\nsome title\t" + expert_code + "\nother title\t99-9999\n");
  RunResult r = Sc({"kb", "import", ws_, kb.string()});
  EXPECT_EQ(r.exit_code, 3) << r;
  EXPECT_NE(r.err.find("kb.tsv:3"), std::string::npos) << r;
  EXPECT_EQ(Json(Sc({"kb", "list", ws_, "--json"}))["entries"].size(), 2u);
  // Removing is a new version; the old one can still be listed.
  const json entries = Json(Sc({"kb", "list", ws_, "--json"}))["entries"];
  ASSERT_EQ(Sc({"kb", "remove", ws_, std::to_string(entries[0]["id"].get<int>())}).exit_code, 0);
  EXPECT_EQ(Json(Sc({"kb", "list", ws_, "--json"}))["entries"].size(), 1u);
  EXPECT_EQ(Json(Sc({"kb", "list", ws_, "--version", "1", "--json"}))["entries"].size(), 2u);
  EXPECT_EQ(Sc({"kb", "remove", ws_, "999"}).exit_code, 4);
  EXPECT_EQ(CountAudit("kb_add"), 1u);
  EXPECT_EQ(CountAudit("kb_remove"), 1u);
}

TEST_F(WorkspaceCliTest, CodeWithoutAProductionModelSaysHowToGetOne) {
  Init();
  const RunResult r = Sc({"code", ws_, "--data", (kOnet / "new.tsv").string()});
  EXPECT_EQ(r.exit_code, 4) << r;
  EXPECT_NE(r.err.find("promote"), std::string::npos) << r;
}

TEST_F(WorkspaceCliTest, TheWorkspaceIsFoundFromInsideItsFolder) {
  Init();
  Ingest(train_);
  const RunResult inside = RunStatcoder({"snapshots", "list", "--json"}, fs::path(ws_) / "lake", dir_);
  EXPECT_EQ(inside.exit_code, 0) << inside;
  EXPECT_EQ(ParseJson(inside.out)["snapshots"].size(), 1u);
  const RunResult flag = Sc({"snapshots", "list", "--workspace", ws_, "--json"});
  EXPECT_EQ(flag.exit_code, 0) << flag;
  const RunResult outside = RunStatcoder({"snapshots", "list"}, dir_, dir_);
  EXPECT_EQ(outside.exit_code, 4) << outside;
}

// Editing or deleting an audit row behind statcoder's back (sqlite3 shell) is detected.
TEST_F(WorkspaceCliTest, AuditVerifyDetectsTampering) {
  if (std::system("command -v sqlite3 > /dev/null 2>&1") != 0) {
    GTEST_SKIP() << "the sqlite3 shell is not installed (scripts/install-deps.sh installs it)";
  }
  Init();
  Ingest(train_);
  Ingest(other_);
  ASSERT_EQ(Sc({"audit", "verify", ws_}).exit_code, 0);
  const std::string db = (fs::path(ws_) / "statcoder.db").string();
  // The triggers refuse a plain edit...
  const std::string edit =
      "sqlite3 '" + db + "' \"UPDATE audit_log SET actor = 'mallory' WHERE seq = 2\" 2>/dev/null";
  EXPECT_NE(std::system(edit.c_str()), 0);
  EXPECT_EQ(Sc({"audit", "verify", ws_}).exit_code, 0);
  // ...and when someone drops them first, the hash chain still tells.
  const std::string tamper = "sqlite3 '" + db +
                             "' \"DROP TRIGGER audit_log_no_update; UPDATE audit_log SET "
                             "actor = 'mallory' WHERE seq = 2\"";
  ASSERT_EQ(std::system(tamper.c_str()), 0);
  RunResult r = Sc({"audit", "verify", ws_, "--json"});
  EXPECT_EQ(r.exit_code, 6) << r;
  const json v = ParseJson(r.out);
  EXPECT_FALSE(v["ok"].get<bool>());
  EXPECT_EQ(v["first_bad_seq"], 2);
  // Restore the value: intact again; then delete a row.
  const std::string restore = "sqlite3 '" + db +
                              "' \"UPDATE audit_log SET actor = 'alice' WHERE seq = 2; DROP "
                              "TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq = 2\"";
  ASSERT_EQ(std::system(restore.c_str()), 0);
  r = Sc({"audit", "verify", ws_});
  EXPECT_EQ(r.exit_code, 6) << r;
  EXPECT_NE(r.err.find("deleted"), std::string::npos) << r;
}

}  // namespace
}  // namespace statcoder::cli
