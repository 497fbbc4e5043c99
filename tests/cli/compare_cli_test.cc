// End-to-end tests of `statcoder compare` (docs/cli.md, "statcoder compare"): two models of a
// workspace on the same labelled snapshot, the paired tests' bookkeeping, the report file, the
// audit entry and the errors.
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "cli_harness.h"

namespace statcoder::cli {
namespace {

using namespace statcoder::cli::testing;

// One workspace for the suite (training is the slow part): model `first_` trained on the first
// 900 example records and promoted (forced) to production, model `second_` on the next 599
// (the candidate), the held-out test file as an audit snapshot and the unlabelled file as a
// batch snapshot.
class CompareCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(MakeTempDir());
    ws_ = new std::string((*dir_ / "ws").string());
    const OnetSubsets files = WriteOnetSubsets(*dir_);
    ASSERT_NO_FATAL_FAILURE(InitOnetWorkspace(*ws_, *dir_));
    const std::string train1 = Ingest(files.first, "training");
    const std::string train2 = Ingest(files.second, "training");
    eval_ = new std::string(Ingest((kOnet / "test.tsv").string(), "audit"));
    batch_ = new std::string(Ingest((kOnet / "new.tsv").string(), "batch"));
    first_ = new std::string(Train(train1));
    second_ = new std::string(Train(train2));
    ASSERT_FALSE(first_->empty());
    ASSERT_FALSE(second_->empty());
    ASSERT_NE(*first_, *second_);
    const RunResult r = Sc({"models", "promote", *ws_, *first_, "--force", "--reason", "test"});
    ASSERT_EQ(r.exit_code, 0) << r;
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(*dir_, ec);
    for (std::string* s : {ws_, eval_, batch_, first_, second_}) delete s;
    delete dir_;
  }

  static RunResult Sc(std::vector<std::string> args) {
    args.insert(args.end(), {"--actor", "alice"});
    return RunStatcoder(args, *dir_, *dir_);
  }
  static json Json(const RunResult& r) {
    EXPECT_EQ(r.exit_code, 0) << r;
    return ParseJson(r.out);
  }
  static std::string Ingest(const std::string& file, const std::string& kind) {
    return Json(Sc({"ingest", *ws_, file, "--kind", kind, "--json"})).value("id", "");
  }
  static std::string Train(const std::string& snapshot) {
    return Json(Sc({"train", *ws_, "--snapshot", snapshot, "--json", "--quiet"}))
        .value("model_version", "");
  }
  static json Compare(std::vector<std::string> extra) {
    std::vector<std::string> args = {"compare", *ws_,           "--data", eval_->substr(0, 10),
                                     "--json",  "--replicates", "200"};
    args.insert(args.end(), extra.begin(), extra.end());
    return Json(Sc(args));
  }

  static inline fs::path* dir_ = nullptr;
  static inline std::string *ws_ = nullptr, *eval_ = nullptr, *batch_ = nullptr, *first_ = nullptr,
                            *second_ = nullptr;
};

TEST_F(CompareCliTest, ReportsBothModelsAndPairedTestsThatAddUp) {
  const json r = Compare({"--challenger", "candidate"});
  for (const char* key : {"snapshot", "records", "target_precision", "target_precision_from",
                          "auto_rate_at_target_method", "champion", "challenger", "paired", "alpha",
                          "verdict", "summary", "report_path", "actor", "created_at"}) {
    EXPECT_TRUE(r.contains(key)) << key;
  }
  EXPECT_EQ(r["snapshot"]["id"], *eval_);
  EXPECT_EQ(r["champion"]["version"], *first_);
  EXPECT_EQ(r["champion"]["ref"], "production");
  EXPECT_EQ(r["challenger"]["version"], *second_);
  EXPECT_EQ(r["target_precision"], 0.95);  // [gates] target_precision
  EXPECT_EQ(r["target_precision_from"], "gates");
  const auto n = r["records"].get<uint64_t>();
  EXPECT_EQ(n, 861u);
  for (const char* side : {"champion", "challenger"}) {
    const json& m = r[side];
    for (const char* key :
         {"accuracy", "correct", "level_accuracy", "auto_rate", "auto_precision", "auto_records",
          "auto_rate_at_target", "threshold_at_target", "top_k_accuracy", "trained_on_snapshot"}) {
      EXPECT_TRUE(m.contains(key)) << side << "." << key;
    }
    EXPECT_FALSE(m["trained_on_snapshot"].get<bool>());
    EXPECT_DOUBLE_EQ(m["accuracy"].get<double>(),
                     m["correct"].get<double>() / static_cast<double>(n));
    for (const char* share : {"accuracy", "auto_rate", "auto_precision", "auto_rate_at_target"}) {
      EXPECT_GE(m[share].get<double>(), 0.0) << side << "." << share;
      EXPECT_LE(m[share].get<double>(), 1.0) << side << "." << share;
    }
    ASSERT_EQ(m["level_accuracy"].size(), 4u);  // SOC: major, minor, broad, detailed
  }
  // Accuracy at the finest level is accuracy itself (every label is a detailed code).
  EXPECT_DOUBLE_EQ(r["champion"]["level_accuracy"][3]["accuracy"].get<double>(),
                   r["champion"]["accuracy"].get<double>());

  const json& p = r["paired"]["accuracy"];
  const auto b = p["b"].get<int64_t>(), c = p["c"].get<int64_t>();
  EXPECT_EQ(p["both_right"].get<int64_t>() + p["both_wrong"].get<int64_t>() + b + c,
            static_cast<int64_t>(n));
  EXPECT_EQ(r["champion"]["correct"].get<int64_t>(), p["both_right"].get<int64_t>() + b);
  EXPECT_EQ(r["challenger"]["correct"].get<int64_t>(), p["both_right"].get<int64_t>() + c);
  EXPECT_NEAR(r["challenger"]["accuracy"].get<double>() - r["champion"]["accuracy"].get<double>(),
              static_cast<double>(c - b) / static_cast<double>(n), 1e-12);
  EXPECT_NEAR(p["difference"].get<double>(), static_cast<double>(c - b) / static_cast<double>(n),
              1e-12);
  EXPECT_GT(b + c, 0) << "models trained on different records should disagree somewhere";
  const double pv = p["p_value"].get<double>();
  EXPECT_GT(pv, 0.0);
  EXPECT_LE(pv, 1.0);
  const std::string verdict = r["verdict"];
  EXPECT_EQ(verdict, pv >= 0.05 ? "no significant difference"
                                : (c > b ? "challenger better" : "champion better"));
  EXPECT_NE(r["summary"].get<std::string>().find(verdict), std::string::npos);

  const json& diff = r["paired"]["accuracy_difference"];
  EXPECT_EQ(diff["method"], "bootstrap");
  EXPECT_NEAR(diff["value"].get<double>(), p["difference"].get<double>(), 1e-12);
  EXPECT_LE(diff["low"].get<double>(), diff["value"].get<double>());
  EXPECT_GE(diff["high"].get<double>(), diff["value"].get<double>());
  const json& cov = r["paired"]["auto_rate_at_target_difference"];
  EXPECT_NEAR(cov["value"].get<double>(),
              r["challenger"]["auto_rate_at_target"].get<double>() -
                  r["champion"]["auto_rate_at_target"].get<double>(),
              1e-12);

  ASSERT_EQ(r["paired"]["level_accuracy"].size(), 4u);
  for (size_t l = 0; l < 4; ++l) {
    const json& t = r["paired"]["level_accuracy"][l];
    const auto lb = t["b"].get<int64_t>(), lc = t["c"].get<int64_t>();
    const auto ln = t["records"].get<int64_t>();
    EXPECT_EQ(t["level"], l + 1);
    EXPECT_EQ(ln, static_cast<int64_t>(n));
    EXPECT_NEAR(r["challenger"]["level_accuracy"][l]["accuracy"].get<double>() -
                    r["champion"]["level_accuracy"][l]["accuracy"].get<double>(),
                static_cast<double>(lc - lb) / static_cast<double>(ln), 1e-12);
    EXPECT_GT(t["p_value"].get<double>(), 0.0);
    EXPECT_LE(t["p_value"].get<double>(), 1.0);
  }
  // Coarser levels are at least as accurate.
  for (size_t l = 1; l < 4; ++l) {
    EXPECT_GE(r["challenger"]["level_accuracy"][l - 1]["accuracy"].get<double>(),
              r["challenger"]["level_accuracy"][l]["accuracy"].get<double>());
  }

  // The report file is the JSON printed, and the comparison is audited.
  const std::string path = r["report_path"];
  EXPECT_EQ(path, "reports/compare/" + *first_ + "_vs_" + *second_ + "_" + eval_->substr(0, 16) +
                      ".json");
  EXPECT_EQ(ParseJson(ReadFile(fs::path(*ws_) / path)), r);
  const json audit = Json(Sc({"audit", "list", *ws_, "--action", "compare", "--json"}))["entries"];
  ASSERT_FALSE(audit.empty());
  const json& last = audit.back();
  EXPECT_EQ(last["action"], "compare");
  EXPECT_EQ(last["actor"], "alice");
  EXPECT_EQ(last["details"]["champion"], *first_);
  EXPECT_EQ(last["details"]["challenger"], *second_);
  EXPECT_EQ(last["details"]["verdict"], verdict);
  EXPECT_EQ(Sc({"audit", "verify", *ws_}).exit_code, 0);
}

TEST_F(CompareCliTest, IsReproducibleWithASeedAndTakesTheTargetPrecision) {
  const json a = Compare({"--challenger", *second_, "--seed", "7", "--target-precision", "0.9"});
  const json b = Compare({"--challenger", second_->substr(0, 8), "--champion", first_->substr(0, 8),
                          "--seed", "7", "--target-precision", "0.9"});
  EXPECT_EQ(a["target_precision"], 0.9);
  EXPECT_EQ(a["target_precision_from"], "option");
  EXPECT_EQ(a["paired"], b["paired"]);
  EXPECT_EQ(a["champion"]["auto_rate_at_target"], b["champion"]["auto_rate_at_target"]);
}

TEST_F(CompareCliTest, AModelAgainstItselfShowsNoDifference) {
  const json r = Compare({"--champion", *second_, "--challenger", "candidate"});
  const json& p = r["paired"]["accuracy"];
  EXPECT_EQ(p["b"], 0);
  EXPECT_EQ(p["c"], 0);
  EXPECT_EQ(p["p_value"], 1.0);
  EXPECT_EQ(p["difference"], 0.0);
  EXPECT_EQ(r["verdict"], "no significant difference");
  EXPECT_EQ(r["champion"]["accuracy"], r["challenger"]["accuracy"]);
  EXPECT_EQ(r["paired"]["accuracy_difference"]["low"], 0.0);
  EXPECT_EQ(r["paired"]["accuracy_difference"]["high"], 0.0);
  EXPECT_EQ(r["paired"]["auto_rate_at_target_difference"]["value"], 0.0);
  for (const json& t : r["paired"]["level_accuracy"]) {
    EXPECT_EQ(t["b"], 0);
    EXPECT_EQ(t["c"], 0);
    EXPECT_EQ(t["p_value"], 1.0);
  }
}

TEST_F(CompareCliTest, PrintsASummaryWithoutJson) {
  const RunResult r =
      Sc({"compare", *ws_, "--challenger", "candidate", "--data", *eval_, "--replicates", "50"});
  ASSERT_EQ(r.exit_code, 0) << r;
  for (const char* text :
       {"champion", "challenger", "accuracy", "verdict: ", "McNemar", "reports/compare/"}) {
    EXPECT_NE(r.out.find(text), std::string::npos) << text << "\n" << r.out;
  }
}

TEST_F(CompareCliTest, WarnsWhenAModelWasTrainedOnTheSnapshot) {
  const json models = Json(Sc({"models", "show", *ws_, *first_, "--json"}));
  const std::string trained_on = models["snapshots"][0];
  const RunResult r = Sc({"compare", *ws_, "--challenger", "candidate", "--data", trained_on,
                          "--replicates", "0", "--json"});
  const json j = Json(r);
  EXPECT_TRUE(j["champion"]["trained_on_snapshot"].get<bool>());
  EXPECT_FALSE(j["challenger"]["trained_on_snapshot"].get<bool>());
  EXPECT_TRUE(j["paired"]["accuracy_difference"]["low"].is_null());  // no replicates
}

TEST_F(CompareCliTest, ErrorsSayWhatIsWrongWithTheDocumentedExitCodes) {
  // A model that is not in the registry.
  RunResult r = Sc({"compare", *ws_, "--challenger", "abcdef0123", "--data", *eval_});
  EXPECT_EQ(r.exit_code, 4) << r;
  EXPECT_NE(r.err.find("models list"), std::string::npos) << r;
  // A snapshot that is not in the lake, with a JSON error.
  r = Sc({"compare", *ws_, "--challenger", "candidate", "--data", "abcdef0123", "--json"});
  EXPECT_EQ(r.exit_code, 4) << r;
  EXPECT_EQ(ParseJson(r.err)["error"]["code"], "not_found") << r;
  // A batch snapshot has no codes to compare against.
  r = Sc({"compare", *ws_, "--challenger", "candidate", "--data", *batch_});
  EXPECT_EQ(r.exit_code, 2) << r;
  EXPECT_NE(r.err.find("batch"), std::string::npos) << r;
  // Missing and bad flags.
  r = Sc({"compare", *ws_, "--data", *eval_});
  EXPECT_EQ(r.exit_code, 2) << r;
  r = Sc(
      {"compare", *ws_, "--challenger", "candidate", "--data", *eval_, "--target-precision", "0"});
  EXPECT_EQ(r.exit_code, 2) << r;
  EXPECT_NE(r.err.find("--target-precision"), std::string::npos) << r;
  // Nothing failed was audited or written.
  const json audit = Json(Sc({"audit", "list", *ws_, "--action", "compare", "--json"}))["entries"];
  for (const json& e : audit) EXPECT_NE(e["details"]["challenger"], "abcdef0123");
}

}  // namespace
}  // namespace statcoder::cli
