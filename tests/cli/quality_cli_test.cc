// End-to-end tests of the quality verbs (docs/cli.md): `evaluate --report/--group`, `policy`
// and `reproduce`, on a model trained from the bundled example (examples/onet/).
#include <map>
#include <set>
#include <string>
#include <vector>

#include "cli_harness.h"

namespace statcoder::cli {
namespace {

using namespace statcoder::cli::testing;

class QualityCliTest : public ::testing::Test {
 protected:
  // One deterministic model for the whole suite (training is the slow part).
  static void SetUpTestSuite() {
    suite_ = new SuiteModel({"--data", (kOnet / "train.tsv").string(), "--text", "title",
                             "--label", "soc2018", "--codelist",
                             (kOnet / "soc2018_codelist.tsv").string(), "--deterministic",
                             "--epochs", "8", "--quiet", "--json"});
    model_ = &suite_->path;
    train_ = &suite_->train;
  }
  static void TearDownTestSuite() {
    delete suite_;
    suite_ = nullptr;
  }
  void SetUp() override {
    ASSERT_EQ(train_->exit_code, 0) << *train_;
    dir_ = MakeTempDir();
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  RunResult Statcoder(const std::vector<std::string>& args) const {
    return RunStatcoder(args, dir_, dir_);
  }
  RunResult Evaluate(const std::string& data, std::vector<std::string> flags = {},
                     const std::string& model = "") const {
    std::vector<std::string> args = {"evaluate", "--model", model.empty() ? *model_ : model,
                                     "--data",   data,      "--label",
                                     "soc2018",  "--quiet"};
    args.insert(args.end(), flags.begin(), flags.end());
    return Statcoder(args);
  }
  // The example's test file with a `mode` column: two large groups, one of two records.
  std::string TestWithGroups() const {
    Table t = ParseTsv(ReadFile(kOnet / "test.tsv"));
    t[0].push_back("mode");
    for (size_t i = 1; i < t.size(); ++i) {
      t[i].push_back(i <= 2 ? "paper" : i % 2 ? "web" : "phone");
    }
    const fs::path p = dir_ / "test_groups.tsv";
    WriteFile(p, ToTsv(t));
    return p.string();
  }

  static SuiteModel* suite_;
  static const std::string* model_;
  static const RunResult* train_;
  fs::path dir_;
};

SuiteModel* QualityCliTest::suite_ = nullptr;
const std::string* QualityCliTest::model_ = nullptr;
const RunResult* QualityCliTest::train_ = nullptr;

const std::string kTest = (kOnet / "test.tsv").string();

TEST_F(QualityCliTest, EvaluateJsonAddsEceAndAutoRateAtEachPrecision) {
  const RunResult r = Evaluate(kTest, {"--json"});
  ASSERT_EQ(r.exit_code, 0) << r;
  const json j = ParseJson(r.out);
  // The engine's keys stay.
  for (const char* key : {"records", "accuracy", "top_k_accuracy", "macro_f1", "auto_rate",
                          "auto_precision", "level_accuracy", "model_version"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  ASSERT_TRUE(j["ece"].is_number()) << r.out;
  EXPECT_GE(j["ece"].get<double>(), 0.0);
  EXPECT_LT(j["ece"].get<double>(), 0.2);
  // Its noise floor, and the same at each of the code list's four levels.
  ASSERT_TRUE(j["ece_if_calibrated"].is_number()) << r.out;
  EXPECT_GT(j["ece_if_calibrated"].get<double>(), 0.0);
  ASSERT_EQ(j["ece_by_level"].size(), 4u) << r.out;
  for (size_t d = 0; d < 4; ++d) {
    const json& level = j["ece_by_level"][d];
    EXPECT_EQ(level["depth"], d + 1);
    EXPECT_GT(level["records"].get<uint64_t>(), 0u);
    EXPECT_LE(level["ece"].get<double>(), 1.0);
    EXPECT_LE(level["ece_if_calibrated"].get<double>(), 1.0);
  }
  // Coarser levels are at least as accurate as finer ones.
  EXPECT_GE(j["ece_by_level"][0]["accuracy"].get<double>(),
            j["ece_by_level"][3]["accuracy"].get<double>());
  const json& at = j["auto_rate_at_precision"];
  ASSERT_EQ(at.size(), 4u) << at;
  double previous_rate = 1.0;
  for (const char* key : {"0.90", "0.95", "0.97", "0.99"}) {
    ASSERT_TRUE(at.contains(key)) << key;
    const json& t = at[key];
    ASSERT_TRUE(t.is_object()) << key;
    EXPECT_EQ(t["chosen_on"], "training_holdout");
    EXPECT_TRUE(t.contains("threshold"));
    const double rate = t["auto_rate"].get<double>();
    EXPECT_GE(rate, 0.0);
    // A stricter target never codes more records to their full code: the certified threshold
    // of one level only rises with the target. The rate over all levels can rise (on this
    // example 0.353 at 0.95, 0.409 at 0.97), because the coarser levels are certified in turn
    // on the records the finer ones left, and those differ from one target to the next.
    const double full_rate = t["full_code_auto_rate"].get<double>();
    EXPECT_LE(full_rate, previous_rate + 1e-12) << key;
    previous_rate = full_rate;
    if (rate > 0) {
      EXPECT_GT(t["precision"].get<double>(), 0.8) << key;
    }
  }
  // The model's own target reproduces the plain auto-coding figures.
  EXPECT_DOUBLE_EQ(at["0.95"]["auto_rate"].get<double>(), j["auto_rate"].get<double>());
  EXPECT_TRUE(j["warnings"].empty()) << j["warnings"];
}

TEST_F(QualityCliTest, ReportHasEveryDimensionAndNoRecordTextsUnlessAsked) {
  const RunResult r = Evaluate(kTest, {"--report", "out", "--bootstrap", "200"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("out/report.html"), std::string::npos) << r;
  const std::string text = ReadFile(dir_ / "out" / "report.json");
  const json rep = ParseJson(text);
  EXPECT_EQ(rep["format"], "statcoder-quality-report");
  EXPECT_EQ(rep["format_version"], 1);
  for (const char* key : {"model", "data", "accuracy", "coding", "calibration", "explainability",
                          "reproducibility", "timeliness", "cost"}) {
    EXPECT_TRUE(rep[key].is_object()) << key;
  }
  const json& acc = rep["accuracy"];
  const json& top1 = acc["top1"];
  EXPECT_EQ(top1["method"], "bootstrap");
  EXPECT_LE(top1["low"].get<double>(), top1["value"].get<double>());
  EXPECT_GE(top1["high"].get<double>(), top1["value"].get<double>());
  EXPECT_EQ(acc["levels"].size(), 4u);  // major, minor, broad, detailed
  EXPECT_GT(acc["classes"].size(), 10u);
  EXPECT_FALSE(acc["confusions"].empty());
  EXPECT_EQ(acc["aggregate"]["levels"].size(), 4u);
  EXPECT_EQ(rep["coding"]["auto_rate_at_precision"].size(), 4u);
  EXPECT_GT(rep["coding"]["coverage_curve"].size(), 10u);
  EXPECT_EQ(rep["calibration"]["reliability"]["after"].size(), 15u);
  EXPECT_TRUE(rep["calibration"]["ece"]["equal_mass"]["before"].is_number());
  EXPECT_TRUE(rep["calibration"]["ece_if_calibrated"].is_number());
  EXPECT_EQ(rep["calibration"]["by_level"].size(), 4u);
  EXPECT_FALSE(rep["explainability"]["top_features"].empty());
  EXPECT_EQ(rep["reproducibility"]["training_options"]["mode"], "deterministic");
  EXPECT_EQ(rep["reproducibility"]["training_data"]["sha256"].get<std::string>().size(), 64u);
  EXPECT_TRUE(rep["timeliness"]["training_seconds"].is_number());  // from model.stc.train.json
  EXPECT_GT(rep["timeliness"]["latency_ms"]["p99"].get<double>(), 0.0);
  EXPECT_GT(rep["cost"]["coder_hours_saved"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(rep["cost"]["coder_hours_without_model"].get<double>(), 1000.0);
  EXPECT_TRUE(rep["subgroups"].is_null());
  EXPECT_TRUE(rep["examples"].is_null());
  // Confidentiality: no record's full text is in the report (words as features may be, and
  // code-list titles, which some records repeat).
  const Table test = ParseTsv(ReadFile(kOnet / "test.tsv"));
  const Table codes = ParseTsv(ReadFile(kOnet / "soc2018_codelist.tsv"));
  std::set<std::string> code_titles;
  for (const Row& row : codes) code_titles.insert(row[ColumnOf(codes, "title")]);
  const size_t title = ColumnOf(test, "title");
  int checked = 0;
  for (size_t i = 1; i < test.size(); ++i) {
    if (std::count(test[i][title].begin(), test[i][title].end(), ' ') < 3) continue;
    if (code_titles.count(test[i][title])) continue;
    ++checked;
    EXPECT_EQ(text.find(test[i][title]), std::string::npos) << test[i][title];
  }
  EXPECT_GT(checked, 50);
  const std::string html = ReadFile(dir_ / "out" / "report.html");
  EXPECT_NE(html.find("<html"), std::string::npos);
  EXPECT_EQ(html.find("src=\"http"), std::string::npos);

  const RunResult shown =
      Evaluate(kTest, {"--report", "shown", "--show-examples", "--bootstrap", "0"});
  ASSERT_EQ(shown.exit_code, 0) << shown;
  const json ex = ParseJson(ReadFile(dir_ / "shown" / "report.json"))["examples"];
  ASSERT_TRUE(ex.is_array());
  EXPECT_FALSE(ex.empty());
  EXPECT_TRUE(ex[0]["text"].is_string());
}

TEST_F(QualityCliTest, SubgroupsWithIntervalsAndDisclosureControl) {
  const RunResult r = Evaluate(TestWithGroups(), {"--group", "mode", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r;
  const json sg = ParseJson(r.out)["subgroups"];
  ASSERT_TRUE(sg.is_object()) << r.out;
  EXPECT_EQ(sg["field"], "mode");
  EXPECT_EQ(sg["suppressed_groups"], 1);  // "paper" has 2 records
  std::set<std::string> shown;
  for (const json& g : sg["groups"]) {
    shown.insert(g["value"]);
    EXPECT_EQ(g["accuracy"]["method"], "wilson");
    EXPECT_LE(g["accuracy"]["low"].get<double>(), g["accuracy"]["value"].get<double>());
    EXPECT_TRUE(g["flagged"].is_boolean());
  }
  EXPECT_EQ(shown, (std::set<std::string>{"phone", "web"}));
}

TEST_F(QualityCliTest, BadGroupColumnsAreClearErrors) {
  Table t = ParseTsv(ReadFile(kOnet / "test.tsv"));
  t[0].push_back("mode");
  for (size_t i = 1; i < t.size(); ++i) t[i].push_back("web");
  WriteFile(dir_ / "one_group.tsv", ToTsv(t));
  RunResult r = Evaluate("one_group.tsv", {"--group", "mode"});
  EXPECT_EQ(r.exit_code, 2) << r;
  EXPECT_NE(r.err.find("only one value ('web')"), std::string::npos) << r;

  r = Evaluate(kTest, {"--group", "region"});
  EXPECT_EQ(r.exit_code, 4) << r;
  EXPECT_NE(r.err.find("region"), std::string::npos) << r;
  EXPECT_NE(r.err.find("--group"), std::string::npos) << r;
}

TEST_F(QualityCliTest, MissingOrUnknownTrueCodesAreClearErrors) {
  Table t = ParseTsv(ReadFile(kOnet / "test.tsv"));
  WriteFile(dir_ / "no_label.tsv", ToTsv(DropColumn(t, "soc2018")));
  RunResult r = Evaluate("no_label.tsv", {"--report", "out"});
  EXPECT_EQ(r.exit_code, 4) << r;
  EXPECT_NE(r.err.find("soc2018"), std::string::npos) << r;
  EXPECT_FALSE(fs::exists(dir_ / "out"));

  t[3][ColumnOf(t, "soc2018")] = "99-9999";
  WriteFile(dir_ / "unknown.tsv", ToTsv(t));
  r = Evaluate("unknown.tsv");
  EXPECT_EQ(r.exit_code, 5) << r;
  EXPECT_NE(r.err.find("'99-9999' is not in the code list"), std::string::npos) << r;
  EXPECT_NE(r.err.find("unknown.tsv:4"), std::string::npos) << r;
}

TEST_F(QualityCliTest, PolicyRechoosesThresholdsAndEvaluatingOnTheSameRecordsIsFlagged) {
  RunResult r = Statcoder({"policy", "--model", *model_, "--data", kTest, "--label", "soc2018",
                           "--target-precision", "0.97", "--min-margin", "0.05", "--no-auto-codes",
                           "11-2021", "--out", "p.stc", "--json", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r;
  const json j = ParseJson(r.out);
  EXPECT_EQ(j["policy"]["version"], 2);
  EXPECT_EQ(j["policy"]["chosen_on"], "labelled_set");
  EXPECT_EQ(j["policy"]["target_precision"], 0.97);
  EXPECT_EQ(j["policy"]["min_margin"], 0.05);
  EXPECT_EQ(j["previous_model"], ParseJson(train_->out)["model_version"]);
  EXPECT_NE(j["model_version"], j["previous_model"]);

  r = Evaluate(kTest, {"--json"}, (dir_ / "p.stc").string());
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.err.find("warning: The auto-coding thresholds were chosen on these very records"),
            std::string::npos)
      << r;
  const json e = ParseJson(r.out);
  ASSERT_EQ(e["warnings"].size(), 1u);
  EXPECT_EQ(e["target_precision"], 0.97);
  EXPECT_EQ(e["auto_rate_at_precision"]["0.97"]["chosen_on"], "labelled_set");

  // Another set: no warning.
  r = Evaluate((kOnet / "train.tsv").string(), {"--json"}, (dir_ / "p.stc").string());
  ASSERT_EQ(r.exit_code, 0) << r;
  // ...but the training file itself is flagged.
  EXPECT_NE(r.err.find("records the model was trained on"), std::string::npos) << r;
}

// A threshold no cut reaches is stored as 2.0 (model::kNeverAuto); people must read "never".
TEST_F(QualityCliTest, UnreachableThresholdsPrintAsNever) {
  // No set of records has a lower confidence bound of 100% precision: every threshold of the
  // target is unreachable, whatever the model.
  RunResult r = Statcoder({"policy", "--model", *model_, "--data", kTest, "--label", "soc2018",
                           "--target-precision", "1", "--out", "never.stc", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("target precision 1.00: thresholds full code never; broad never, minor "
                       "never, major never"),
            std::string::npos)
      << r;
  EXPECT_EQ(r.out.find("2.00"), std::string::npos) << r;
  r = Statcoder({"policy", "--model", *model_, "--data", kTest, "--label", "soc2018",
                 "--target-precision", "1", "--out", "never2.stc", "--quiet", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r;
  const json j = ParseJson(r.out);
  EXPECT_DOUBLE_EQ(j["policy"]["label_threshold"].get<double>(), 2.0);  // JSON keeps the number

  // evaluate (on other records than the policy's) prints the model's thresholds and those of
  // each standard target; the 0.99 one is checked on the suite's own model just below.
  const std::string train = (kOnet / "train.tsv").string();
  r = Evaluate(train, {"--report", "out", "--bootstrap", "0"}, (dir_ / "never.stc").string());
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("    thresholds         full code never; broad never, minor never, "
                       "major never"),
            std::string::npos)
      << r;
  EXPECT_EQ(r.out.find("2.000"), std::string::npos) << r;
  EXPECT_NE(r.out.find("none of the 3,462 evaluated records is coded automatically"),
            std::string::npos)
      << r;
  // The report says the same in its summary, numbers kept.
  const json rep = ParseJson(ReadFile(dir_ / "out" / "report.json"));
  const json& summary = rep["summary"];
  ASSERT_TRUE(summary.is_object()) << rep.dump().substr(0, 400);
  EXPECT_EQ(summary["auto_records"], 0);
  EXPECT_TRUE(summary["precision_held"].is_null());
  ASSERT_EQ(summary["levels"].size(), 4u);
  for (const json& level : summary["levels"]) {
    EXPECT_EQ(level["never"], true) << level;
    EXPECT_DOUBLE_EQ(level["threshold"].get<double>(), 2.0);
  }
  ASSERT_EQ(summary["sentences"].size(), 3u);
  EXPECT_NE(summary["sentences"][1]["text"].get<std::string>().find(
                "threshold never at the broad, minor and major levels"),
            std::string::npos)
      << summary["sentences"];

  // train says "never" too when its own target cannot be reached.
  r = Statcoder({"train", "--data", train, "--text", "title", "--label", "soc2018",
                 "--target-precision", "1", "--epochs", "2", "--out", "t.stc", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("auto-code threshold never for precision 1.00"), std::string::npos) << r;
}

TEST_F(QualityCliTest, EvaluateTextPrintsThresholdsAndTheSummarySentences) {
  const RunResult r = Evaluate(kTest);
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("    thresholds         full code "), std::string::npos) << r;
  EXPECT_NE(r.out.find("          thresholds: full code "), std::string::npos) << r;
  EXPECT_EQ(r.out.find("2.000"), std::string::npos) << r;
  EXPECT_NE(r.out.find("  in short:\n    At the 95% target precision, "), std::string::npos)
      << r;
  EXPECT_NE(r.out.find("records coded automatically were right"), std::string::npos) << r;
  const json j = ParseJson(Evaluate(kTest, {"--json"}).out);
  ASSERT_TRUE(j["summary"].is_object());
  EXPECT_EQ(j["summary"]["records"], 861);
  EXPECT_EQ(j["summary"]["auto_records"], j["auto_records"]);
}

TEST_F(QualityCliTest, SensitiveCodesAreAlwaysReferred) {
  // Refer the whole major group 15 (computer and mathematical occupations).
  RunResult r = Statcoder({"policy", "--model", *model_, "--data", kTest, "--label", "soc2018",
                           "--refer-codes", "15-0000", "--out", "s.stc", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r;
  r = Statcoder({"code", "--model", "s.stc", "--data", kTest, "--out", "coded.tsv", "--quiet"});
  ASSERT_EQ(r.exit_code, 0) << r;
  const Table coded = ParseTsv(ReadFile(dir_ / "coded.tsv"));
  const size_t top1 = ColumnOf(coded, "top1_code"), decision = ColumnOf(coded, "decision"),
               reason = ColumnOf(coded, "reason");
  int referred = 0;
  for (size_t i = 1; i < coded.size(); ++i) {
    if (coded[i][top1].rfind("15-", 0) != 0) continue;
    EXPECT_EQ(coded[i][decision], "review") << coded[i][top1];
    EXPECT_EQ(coded[i][reason], "refer_code");
    ++referred;
  }
  EXPECT_GT(referred, 0);

  r = Statcoder({"policy", "--model", *model_, "--data", kTest, "--label", "soc2018",
                 "--refer-codes", "99-0000", "--out", "bad.stc", "--quiet"});
  EXPECT_EQ(r.exit_code, 4) << r;
  EXPECT_NE(r.err.find("'99-0000' is not in the model's code list"), std::string::npos) << r;
  r = Statcoder({"policy", "--model", *model_, "--data", kTest, "--label", "soc2018", "--out",
                 *model_, "--quiet"});
  EXPECT_EQ(r.exit_code, 2) << r;
  EXPECT_NE(r.err.find("new file"), std::string::npos) << r;
}

TEST_F(QualityCliTest, ReproduceSaysWhetherTheModelIsByteIdentical) {
  const std::string train = (kOnet / "train.tsv").string();
  RunResult r = Statcoder({"reproduce", "--model", *model_, "--data", train, "--json", "--quiet",
                           "--out", "again.stc"});
  ASSERT_EQ(r.exit_code, 0) << r;
  json j = ParseJson(r.out);
  EXPECT_EQ(j["identical"], true);
  EXPECT_EQ(ReadFile(dir_ / "again.stc"), ReadFile(*model_));

  // The defaults at 2 threads reproduce byte for byte, at any thread count.
  r = Statcoder({"train", "--data", train, "--text", "title", "--label", "soc2018", "--epochs", "3",
                 "--threads", "2", "--quiet", "--out", "default.stc"});
  ASSERT_EQ(r.exit_code, 0) << r;
  for (const char* threads : {"2", "1"}) {
    r = Statcoder({"reproduce", "--model", "default.stc", "--data", train, "--threads", threads,
                   "--json", "--quiet"});
    EXPECT_EQ(r.exit_code, 0) << r;
    EXPECT_EQ(ParseJson(r.out)["identical"], true) << r;
  }

  // A fast-mode (Hogwild, 2 threads) model cannot be reproduced bit for bit, and says why.
  r = Statcoder({"train", "--data", train, "--text", "title", "--label", "soc2018", "--epochs", "3",
                 "--threads", "2", "--hogwild", "--quiet", "--out", "fast.stc"});
  ASSERT_EQ(r.exit_code, 0) << r;
  r = Statcoder({"reproduce", "--model", "fast.stc", "--data", train, "--json", "--quiet"});
  EXPECT_EQ(r.exit_code, 5) << r;
  j = ParseJson(r.out);
  EXPECT_EQ(j["identical"], false);
  EXPECT_EQ(j["original_mode"], "hogwild");
  EXPECT_NE(j["reason"].get<std::string>().find("--hogwild"), std::string::npos);

  // Another file is refused before any training.
  r = Statcoder({"reproduce", "--model", *model_, "--data", kTest, "--quiet"});
  EXPECT_EQ(r.exit_code, 5) << r;
  EXPECT_NE(r.err.find("is not the file the model was trained on"), std::string::npos) << r;
}

}  // namespace
}  // namespace statcoder::cli
