// End-to-end tests of classification transitions (docs/crosswalks.md): `statcoder crosswalk
// derive|check` and `statcoder train --crosswalk`, on the bundled SOC excerpt
// (examples/soc_transition: ONS index entries with their SOC 2020, SOC 2010 and ISCO-08 codes).
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

}  // namespace
}  // namespace statcoder::cli
