// End-to-end tests of classification transitions (docs/crosswalks.md): `statcoder crosswalk
// derive|check`, `statcoder train --crosswalk`, and joint models of several classifications
// (`--label soc2020,isco08`), on the bundled SOC excerpt
// (examples/soc_transition: ONS index entries with their SOC 2020, SOC 2010 and ISCO-08 codes).
#include <set>
#include <string>
#include <vector>

#include "cli_harness.h"

namespace statcoder::cli {
namespace {

using namespace statcoder::cli::testing;

const fs::path kSoc = fs::path(STATCODER_SOURCE_DIR) / "examples" / "soc_transition";
const std::string kText = "text,add_qualifier,industry_qualifier";

// The training file without its SOC 2020 column: the history an office has.
std::string WithoutColumn(const fs::path& path, const std::string& column) {
  Table t = ParseTsv(ReadFile(path));
  const auto drop = std::find(t[0].begin(), t[0].end(), column) - t[0].begin();
  for (Row& row : t) row.erase(row.begin() + drop);
  return ToTsv(t);
}

class CrosswalkCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir();
    WriteFile(dir_ / "old.tsv", WithoutColumn(kSoc / "train.tsv", "soc2020"));
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  RunResult Run(const std::vector<std::string>& args) { return RunStatcoder(args, dir_, dir_); }
  RunResult Derive() {
    return Run({"crosswalk", "derive", "--data", (kSoc / "train.tsv").string(), "--from",
                "soc2010", "--to", "soc2020", "--to-codelist",
                (kSoc / "soc2020_structure.tsv").string(), "--out", "x.tsv", "--json"});
  }
  RunResult TrainThrough(const std::string& crosswalk, const std::string& out) {
    return Run({"train", "--data", "old.tsv", "--text", kText, "--label", "soc2010",
                "--crosswalk", crosswalk, "--codelist", (kSoc / "soc2020_structure.tsv").string(),
                "--out", out, "--json", "--quiet"});
  }
  double Accuracy(const std::string& model) {
    const RunResult r = Run({"evaluate", "--model", model, "--data", (kSoc / "test.tsv").string(),
                             "--label", "soc2020", "--json", "--quiet"});
    EXPECT_EQ(r.exit_code, 0) << r;
    return r.exit_code == 0 ? ParseJson(r.out)["accuracy"].get<double>() : 0.0;
  }
  fs::path dir_;
};

TEST_F(CrosswalkCliTest, DeriveWritesTheTableAndSaysWhatItCovers) {
  const RunResult r = Derive();
  ASSERT_EQ(r.exit_code, 0) << r;
  const json j = ParseJson(r.out);
  EXPECT_EQ(j["dual_coded_rows"], 685);
  EXPECT_EQ(j["from"], "soc2010");
  EXPECT_EQ(j["to"], "soc2020");
  EXPECT_GT(j["from_codes_split"].get<int>(), 0);
  EXPECT_EQ(j["to_coverage"]["coverage"], 1.0);
  const Table x = ParseTsv(ReadFile(dir_ / "x.tsv"));
  EXPECT_EQ(x[0], (Row{"soc2010", "soc2020", "weight"}));
  EXPECT_EQ(x.size(), j["pairs"].get<size_t>() + 1);

  const RunResult check = Run({"crosswalk", "check", "--crosswalk", "x.tsv", "--to-codelist",
                               (kSoc / "soc2020_structure.tsv").string()});
  ASSERT_EQ(check.exit_code, 0) << check;
  EXPECT_NE(check.out.find("x.tsv: valid"), std::string::npos) << check.out;
  EXPECT_NE(check.out.find("24 of 24 codes at level 'unit'"), std::string::npos) << check.out;
}

TEST_F(CrosswalkCliTest, DeriveKeepsBadRowsAsideAndHoldsTheRejectShare) {
  WriteFile(dir_ / "dual.tsv", "old\tnew\n3131\t3131\n3132\t9999\n3132\t3132\n3133\n");
  const std::vector<std::string> args = {
      "crosswalk", "derive", "--data", "dual.tsv", "--from", "old", "--to", "new",
      "--to-codelist", (kSoc / "soc2020_structure.tsv").string(), "--out", "x.tsv"};
  const RunResult strict = Run(args);
  EXPECT_EQ(strict.exit_code, 5) << strict;
  EXPECT_NE(strict.err.find("dual.tsv:3: column 'new': code '9999' is not in"),
            std::string::npos)
      << strict;
  EXPECT_FALSE(fs::exists(dir_ / "x.tsv"));
  std::vector<std::string> lenient = args;
  lenient.insert(lenient.end(), {"--max-reject-share", "0.5", "--json"});
  const RunResult ok = Run(lenient);
  ASSERT_EQ(ok.exit_code, 0) << ok;
  EXPECT_EQ(ParseJson(ok.out)["rejected_rows"], 2);
  EXPECT_EQ(ParseTsv(ReadFile(dir_ / "x.tsv.rejects.tsv")).size(), 3u);  // header + 2 rows
  EXPECT_EQ(ParseTsv(ReadFile(dir_ / "x.tsv")).size(), 3u);               // header + 2 pairs
}

TEST_F(CrosswalkCliTest, ModelTrainedFromOldLabelsCodesInTheNewVersion) {
  ASSERT_EQ(Derive().exit_code, 0);
  const RunResult r = TrainThrough("x.tsv", "m.stc");
  ASSERT_EQ(r.exit_code, 0) << r;
  const json j = ParseJson(r.out);
  EXPECT_EQ(j["crosswalk"]["from"], "soc2010");
  EXPECT_EQ(j["crosswalk"]["to"], "soc2020");
  EXPECT_EQ(j["crosswalk"]["unambiguous"].get<int>() + j["crosswalk"]["resolved"].get<int>() +
                j["crosswalk"]["left_ambiguous"].get<int>(),
            685);
  EXPECT_EQ(j["crosswalk"]["dropped"], 0);
  // Against a model trained on the true SOC 2020 codes of the same records.
  const RunResult truth =
      Run({"train", "--data", (kSoc / "train.tsv").string(), "--text", kText, "--label",
           "soc2020", "--codelist", (kSoc / "soc2020_structure.tsv").string(), "--out",
           "truth.stc", "--quiet"});
  ASSERT_EQ(truth.exit_code, 0) << truth;
  const double through = Accuracy("m.stc"), ceiling = Accuracy("truth.stc");
  EXPECT_GT(through, 0.6);
  EXPECT_GE(through, 0.93 * ceiling) << "true labels give " << ceiling;
  // The quality report says how the labels were made, and from which table.
  const RunResult report = Run({"evaluate", "--model", "m.stc", "--data",
                                (kSoc / "test.tsv").string(), "--label", "soc2020", "--report",
                                "report", "--bootstrap", "50", "--quiet"});
  ASSERT_EQ(report.exit_code, 0) << report;
  const json page = ParseJson(ReadFile(dir_ / "report" / "report.json"));
  const json& x = page["reproducibility"]["crosswalk_training"];
  EXPECT_EQ(x["from"], "soc2010");
  EXPECT_EQ(x["crosswalk"], "x.tsv");
  EXPECT_EQ(x["unambiguous"], j["crosswalk"]["unambiguous"]);
  EXPECT_FALSE(x.contains("pairs"));
  // The model file holds the table, so the training is reproducible from the data file alone.
  const RunResult again = Run({"reproduce", "--model", "m.stc", "--data", "old.tsv"});
  EXPECT_EQ(again.exit_code, 0) << again;
  EXPECT_NE(again.out.find("byte-identical"), std::string::npos) << again;
}

TEST_F(CrosswalkCliTest, RecordsOfCodesTheTableDoesNotMapAreDroppedAndListed) {
  ASSERT_EQ(Derive().exit_code, 0);
  Table x = ParseTsv(ReadFile(dir_ / "x.tsv"));
  const std::string removed = x[1][0];
  Table kept = {x[0]};
  for (size_t i = 1; i < x.size(); ++i) {
    if (x[i][0] != removed) kept.push_back(x[i]);
  }
  WriteFile(dir_ / "partial.tsv", ToTsv(kept));
  const RunResult r = TrainThrough("partial.tsv", "m.stc");
  ASSERT_EQ(r.exit_code, 0) << r;
  const int dropped = ParseJson(r.out)["crosswalk"]["dropped"];
  EXPECT_GT(dropped, 0);
  EXPECT_NE(r.err.find("dropped: their 'soc2010' code has no row in the crosswalk"),
            std::string::npos)
      << r.err;
  const Table rejects = ParseTsv(ReadFile(dir_ / "m.stc.rejects.tsv"));
  ASSERT_EQ(rejects.size(), static_cast<size_t>(dropped) + 1);
  EXPECT_NE(rejects[1][2].find("code '" + removed + "' has no row in the crosswalk"),
            std::string::npos)
      << rejects[1][2];
}

TEST_F(CrosswalkCliTest, BadTablesAndFlagsAreClearErrors) {
  WriteFile(dir_ / "bad.tsv", "soc2010\tsoc2020\n3131\t3131\n3132\t9999\n");
  const RunResult bad = TrainThrough("bad.tsv", "m.stc");
  EXPECT_EQ(bad.exit_code, 3) << bad;
  EXPECT_NE(bad.err.find("bad.tsv:3: column 'soc2020': code '9999' is not in the code list"),
            std::string::npos)
      << bad.err;
  EXPECT_FALSE(fs::exists(dir_ / "m.stc"));
  // A table for another column maps (almost) nothing.
  WriteFile(dir_ / "other.tsv", "isco08\tsoc2020\n1111\t3131\n");
  const RunResult other = TrainThrough("other.tsv", "m.stc");
  EXPECT_EQ(other.exit_code, 5) << other;
  EXPECT_NE(other.err.find("is it the table from this column's classification?"),
            std::string::npos)
      << other.err;
  const RunResult no_table =
      Run({"train", "--data", "old.tsv", "--text", kText, "--label", "soc2010", "--from-codelist",
           (kSoc / "soc2020_structure.tsv").string(), "--out", "m.stc"});
  EXPECT_EQ(no_table.exit_code, 2) << no_table;
  const RunResult missing = Run({"crosswalk", "check", "--crosswalk", "nope.tsv"});
  EXPECT_EQ(missing.exit_code, 4) << missing;
  const RunResult no_verb = Run({"crosswalk"});
  EXPECT_EQ(no_verb.exit_code, 2) << no_verb;
}

TEST_F(CrosswalkCliTest, SeveralClassificationsAreCodedTogetherConsistently) {
  const RunResult train =
      Run({"train", "--data", (kSoc / "train.tsv").string(), "--text", kText, "--label",
           "soc2020,isco08", "--codelist", (kSoc / "soc2020_structure.tsv").string(), "--out",
           "joint.stcj", "--json", "--quiet"});
  ASSERT_EQ(train.exit_code, 0) << train;
  const json t = ParseJson(train.out);
  EXPECT_EQ(t["label_fields"], json::array({"soc2020", "isco08"}));
  EXPECT_EQ(t["records"], 685);
  EXPECT_GT(t["allowed_tuples"].get<int>(), 24);

  const RunResult eval = Run({"evaluate", "--model", "joint.stcj", "--data",
                              (kSoc / "test.tsv").string(), "--label", "soc2020,isco08",
                              "--json", "--quiet"});
  ASSERT_EQ(eval.exit_code, 0) << eval;
  const json e = ParseJson(eval.out);
  EXPECT_EQ(e["records"], 172);
  EXPECT_GT(e["per_label"]["soc2020"]["accuracy"].get<double>(), 0.6);
  EXPECT_GT(e["per_label"]["isco08"]["accuracy"].get<double>(), 0.6);
  const double joint = e["joint_accuracy"];
  EXPECT_LE(joint, e["per_label"]["soc2020"]["accuracy"].get<double>());
  EXPECT_GE(joint, e["independent_joint_accuracy"].get<double>() - 0.02);
  EXPECT_EQ(e["consistency_rate"], 1.0);  // every decided pair is an allowed one
  EXPECT_LE(e["independent_consistency_rate"].get<double>(), 1.0);
  // The order of --label does not matter; other columns are refused.
  const RunResult swapped = Run({"evaluate", "--model", "joint.stcj", "--data",
                                 (kSoc / "test.tsv").string(), "--label", "isco08,soc2020",
                                 "--json", "--quiet"});
  ASSERT_EQ(swapped.exit_code, 0) << swapped;
  EXPECT_EQ(ParseJson(swapped.out)["joint_accuracy"], e["joint_accuracy"]);
  EXPECT_EQ(Run({"evaluate", "--model", "joint.stcj", "--data", (kSoc / "test.tsv").string(),
                 "--label", "soc2020", "--quiet"})
                .exit_code,
            2);

  const RunResult code = Run({"code", "--model", "joint.stcj", "--data",
                              (kSoc / "test.tsv").string(), "--out", "coded.tsv", "--json"});
  ASSERT_EQ(code.exit_code, 0) << code;
  const Table coded = ParseTsv(ReadFile(dir_ / "coded.tsv"));
  EXPECT_EQ(coded[0], (Row{"id", "soc2020_code", "soc2020_confidence", "soc2020_decision",
                           "isco08_code", "isco08_confidence", "isco08_decision", "confidence",
                           "decision", "new_key", "plausibility"}));
  EXPECT_EQ(coded.size(), 173u);
  // Verbs for one classification say what the file is.
  const RunResult explain = Run({"explain", "--model", "joint.stcj", "--text", "nurse"});
  EXPECT_NE(explain.err.find("is a joint model of several classifications"), std::string::npos)
      << explain;
}

TEST_F(CrosswalkCliTest, AllowedPairsCanComeFromACorrespondenceTable) {
  ASSERT_EQ(Run({"crosswalk", "derive", "--data", (kSoc / "train.tsv").string(), "--from",
                 "soc2020", "--to", "isco08", "--out", "soc_isco.tsv"})
                .exit_code,
            0);
  // One pair less than the data shows: its records fall outside the table.
  Table x = ParseTsv(ReadFile(dir_ / "soc_isco.tsv"));
  x.pop_back();
  WriteFile(dir_ / "soc_isco.tsv", ToTsv(x));
  // The table's header orients it, whatever the order of --label.
  const RunResult train =
      Run({"train", "--data", (kSoc / "train.tsv").string(), "--text", kText, "--label",
           "isco08,soc2020", "--crosswalk", "soc_isco.tsv", "--out", "j.stcj", "--json",
           "--quiet"});
  ASSERT_EQ(train.exit_code, 0) << train;
  const json t = ParseJson(train.out);
  EXPECT_EQ(t["allowed_tuples_from"], "correspondence table");
  EXPECT_EQ(t["allowed_tuples"].get<size_t>(), x.size() - 1);
  EXPECT_GT(t["records_outside_table"].get<int>(), 0);
  const RunResult code = Run({"code", "--model", "j.stcj", "--data",
                              (kSoc / "test.tsv").string(), "--out", "coded.tsv", "--quiet"});
  ASSERT_EQ(code.exit_code, 0) << code;
  std::set<std::pair<std::string, std::string>> allowed;
  for (size_t i = 1; i < x.size(); ++i) allowed.insert({x[i][0], x[i][1]});
  const Table coded = ParseTsv(ReadFile(dir_ / "coded.tsv"));
  ASSERT_EQ(coded[0][1], "isco08_code");
  const size_t soc = ColumnOf(coded, "soc2020_code"), isco = ColumnOf(coded, "isco08_code");
  for (size_t i = 1; i < coded.size(); ++i) {
    EXPECT_TRUE(allowed.count({coded[i][soc], coded[i][isco]}))
        << coded[i][soc] << " " << coded[i][isco];
  }
  WriteFile(dir_ / "other.tsv", "a\tb\n1\t2\n");
  const RunResult other =
      Run({"train", "--data", (kSoc / "train.tsv").string(), "--text", kText, "--label",
           "soc2020,isco08", "--crosswalk", "other.tsv", "--out", "k.stcj", "--quiet"});
  EXPECT_EQ(other.exit_code, 2) << other;
  EXPECT_NE(other.err.find("pairs 'a' with 'b'"), std::string::npos) << other;
}

TEST_F(CrosswalkCliTest, RecordsWithoutEveryCodeOfTheTupleAreRejected) {
  Table t = ParseTsv(ReadFile(kSoc / "train.tsv"));
  const auto isco = std::find(t[0].begin(), t[0].end(), "isco08") - t[0].begin();
  t[3][isco] = "";
  WriteFile(dir_ / "gap.tsv", ToTsv(t));
  const std::vector<std::string> args = {"train", "--data", "gap.tsv", "--text", kText,
                                         "--label", "soc2020,isco08", "--out", "j.stcj",
                                         "--quiet"};
  const RunResult strict = Run(args);
  EXPECT_EQ(strict.exit_code, 5) << strict;
  EXPECT_NE(strict.err.find("gap.tsv:4: column 'isco08' is empty"), std::string::npos) << strict;
  std::vector<std::string> lenient = args;
  lenient.insert(lenient.end(), {"--max-reject-share", "0.01"});
  const RunResult ok = Run(lenient);
  EXPECT_EQ(ok.exit_code, 0) << ok;
  EXPECT_EQ(ParseTsv(ReadFile(dir_ / "j.stcj.rejects.tsv")).size(), 2u);
}

}  // namespace
}  // namespace statcoder::cli
