// End-to-end tests of `statcoder explain` (docs/cli.md): the real binary on a model trained from
// the bundled example (examples/onet/) and on a small synthetic model with categorical and
// numeric fields, checking what a user sees: the text report, the JSON object, exit codes.
#include <cctype>
#include <cmath>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "cli_harness.h"

namespace statcoder::cli {
namespace {

using namespace statcoder::cli::testing;

// Synthetic records with a text, a categorical and a numeric field: codes A1/A2 (sector farm)
// and B1/B2 (sector shop), told apart by their words and, within a sector, by size.
std::string SyntheticTsv() {
  const std::vector<std::pair<std::string, std::vector<std::string>>> codes = {
      {"A1", {"apple", "orchard", "growing", "trees"}},
      {"A2", {"apple", "juice", "pressing", "cider"}},
      {"B1", {"bicycle", "retail", "shop", "store"}},
      {"B2", {"bicycle", "repair", "service", "mending"}}};
  std::string tsv = "id\ttitle\tsector\tsize\tcode\n";
  uint64_t state = 12345;
  auto next = [&state](size_t n) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<size_t>((state >> 33) % n);
  };
  int id = 0;
  for (int i = 0; i < 25; ++i) {
    for (const auto& [code, words] : codes) {
      std::string title;
      for (int w = 0; w < 3; ++w) title += (w ? " " : "") + words[next(words.size())];
      const std::string sector = code[0] == 'A' ? "farm" : "shop";
      const int size = (code[1] == '1' ? 1 : 100) + static_cast<int>(next(20));
      tsv += std::to_string(++id) + "\t" + title + "\t" + sector + "\t" + std::to_string(size) +
             "\t" + code + "\n";
    }
  }
  return tsv;
}

// Trains two models once per test program: the bundled example with its code list (as
// scripts/demo.sh does, fewer epochs) and the synthetic one with three kinds of fields.
class ExplainCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(MakeTempDir());
    onet_ = new std::string((*dir_ / "onet.stc").string());
    fields_ = new std::string((*dir_ / "fields.stc").string());
    train_onet_ = new RunResult(RunStatcoder(
        {"train", "--data", (kOnet / "train.tsv").string(), "--text", "title", "--label", "soc2018",
         "--codelist", (kOnet / "soc2018_codelist.tsv").string(), "--codelist-parent-column",
         "parent", "--epochs", "3", "--quiet", "--out", *onet_},
        *dir_, *dir_));
    WriteFile(*dir_ / "fields.tsv", SyntheticTsv());
    train_fields_ = new RunResult(RunStatcoder(
        {"train", "--data", "fields.tsv", "--text", "title", "--categorical", "sector", "--numeric",
         "size", "--label", "code", "--epochs", "3", "--quiet", "--out", *fields_},
        *dir_, *dir_));
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(*dir_, ec);
    delete dir_;
    delete onet_;
    delete fields_;
    delete train_onet_;
    delete train_fields_;
  }
  void SetUp() override {
    ASSERT_EQ(train_onet_->exit_code, 0) << *train_onet_;
    ASSERT_EQ(train_fields_->exit_code, 0) << *train_fields_;
  }

  static RunResult Explain(const std::string& model, std::vector<std::string> args) {
    args.insert(args.begin(), {"explain", "--model", model});
    return RunStatcoder(args, *dir_, *dir_);
  }

  static fs::path* dir_;
  static std::string* onet_;
  static std::string* fields_;
  static RunResult* train_onet_;
  static RunResult* train_fields_;
};

fs::path* ExplainCliTest::dir_ = nullptr;
std::string* ExplainCliTest::onet_ = nullptr;
std::string* ExplainCliTest::fields_ = nullptr;
RunResult* ExplainCliTest::train_onet_ = nullptr;
RunResult* ExplainCliTest::train_fields_ = nullptr;

double Sum(const json& items, const char* key) {
  double s = 0;
  for (const json& i : items) s += i[key].get<double>();
  return s;
}

TEST_F(ExplainCliTest, HelpListsTheFlags) {
  const RunResult r = RunStatcoder({"explain", "--help"}, *dir_, *dir_);
  EXPECT_EQ(r.exit_code, 0) << r;
  for (const char* flag :
       {"--model", "--text", "--field", "--versus", "--top", "--features", "--json"}) {
    EXPECT_NE(r.out.find(flag), std::string::npos) << "explain --help lacks " << flag;
  }
}

TEST_F(ExplainCliTest, TextReportShowsTheDecisionTheTableAndTheCheck) {
  const RunResult r = Explain(*onet_, {"--text", "Retail Sales Manager"});
  ASSERT_EQ(r.exit_code, 0) << r;
  for (const char* part :
       {"decision: ", "top codes:", "why ", "contribution", "(bias)", "by field:  title ",
        "by word: ", "retail", "training match: none", "check: sum of contributions + bias = "}) {
    EXPECT_NE(r.out.find(part), std::string::npos) << "no '" << part << "' in\n" << r.out;
  }
  // The check line's two numbers agree.
  const size_t at = r.out.find("check: sum of contributions + bias = ");
  ASSERT_NE(at, std::string::npos);
  double sum = 0, diff = 0;
  ASSERT_EQ(
      std::sscanf(r.out.c_str() + at,
                  "check: sum of contributions + bias = %lf, logit difference = %lf", &sum, &diff),
      2)
      << r.out.substr(at);
  EXPECT_NEAR(sum, diff, 2e-4);
  EXPECT_GT(diff, 0.0);  // the top code scores above the runner-up
}

TEST_F(ExplainCliTest, JsonIsOneObjectWhosePartsAddUpToTheLogitDifference) {
  const std::string text = "Retail  SALES manager";
  const RunResult r = Explain(*onet_, {"--text", text, "--json", "--top", "3"});
  ASSERT_EQ(r.exit_code, 0) << r;
  const json j = ParseJson(r.out);
  for (const char* key : {"model_version",
                          "record",
                          "decision",
                          "num_features",
                          "known_features",
                          "top",
                          "code",
                          "versus",
                          "temperature",
                          "logit_difference",
                          "log_odds",
                          "bias",
                          "contribution_sum",
                          "score_bias",
                          "features",
                          "unknown_features",
                          "field_totals",
                          "kind_totals",
                          "tokens",
                          "title_matches",
                          "training_match",
                          "training_match_note"}) {
    EXPECT_TRUE(j.contains(key)) << "no key " << key;
  }
  EXPECT_EQ(j["record"]["title"], text);
  EXPECT_EQ(j["top"].size(), 3u);
  EXPECT_EQ(j["code"]["code"], j["top"][0]["code"]);
  EXPECT_EQ(j["versus"]["code"], j["top"][1]["code"]);
  EXPECT_EQ(j["versus"]["runner_up"], true);
  const double diff = j["logit_difference"].get<double>();
  EXPECT_NEAR(j["bias"].get<double>() + Sum(j["features"], "contribution"), diff, 1e-4);
  EXPECT_NEAR(j["contribution_sum"].get<double>(), diff, 1e-4);
  EXPECT_NEAR(Sum(j["field_totals"], "contribution"), Sum(j["features"], "contribution"), 1e-9);
  EXPECT_NEAR(Sum(j["tokens"], "contribution"), Sum(j["features"], "contribution"), 1e-9);
  // The calibrated log-odds are the logit difference over the temperature.
  const double p_a = j["code"]["probability"], p_b = j["versus"]["probability"];
  EXPECT_NEAR(std::log(p_a / p_b), j["log_odds"].get<double>(), 1e-3);
  EXPECT_NEAR(j["log_odds"].get<double>() * j["temperature"].get<double>(), diff, 1e-9);
  EXPECT_TRUE(j["training_match"].is_null());
  // Each word points at its spelling in the text as typed.
  ASSERT_EQ(j["tokens"].size(), 3u);
  for (const json& t : j["tokens"]) {
    const auto begin = t["begin"].get<size_t>(), end = t["end"].get<size_t>();
    std::string original = text.substr(begin, end - begin);
    for (char& c : original) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_EQ(original, t["token"]);
  }
  // The decision is the one `code` would write.
  EXPECT_TRUE(j["decision"]["decision"] == "auto" || j["decision"]["decision"] == "review");
  EXPECT_FALSE(j["title_matches"].empty());  // "Sales Managers" is an SOC title
}

TEST_F(ExplainCliTest, VersusComparesWithTheNamedCode) {
  const RunResult first = Explain(*onet_, {"--text", "Retail Sales Manager", "--json"});
  ASSERT_EQ(first.exit_code, 0) << first;
  const std::string top = ParseJson(first.out)["code"]["code"];
  const std::string other = top == "49-3023" ? "51-9021" : "49-3023";
  const RunResult r =
      Explain(*onet_, {"--text", "Retail Sales Manager", "--versus", other, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r;
  const json j = ParseJson(r.out);
  EXPECT_EQ(j["versus"]["code"], other);
  EXPECT_NEAR(j["contribution_sum"].get<double>(), j["logit_difference"].get<double>(), 1e-4);

  RunResult bad = Explain(*onet_, {"--text", "x", "--versus", "99-9999"});
  EXPECT_EQ(bad.exit_code, 4) << bad;
  EXPECT_NE(bad.err.find("'99-9999'"), std::string::npos) << bad;
  bad = Explain(*onet_, {"--text", "Retail Sales Manager", "--versus", top});
  EXPECT_EQ(bad.exit_code, 2) << bad;
}

TEST_F(ExplainCliTest, FieldSetsTextCategoricalAndNumericFields) {
  const RunResult r = Explain(*fields_, {"--field", "title=bicycle shop", "--field", "sector=Shop",
                                         "--field", "size= +12.5 ", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r;
  const json j = ParseJson(r.out);
  EXPECT_EQ(j["record"]["title"], "bicycle shop");
  EXPECT_EQ(j["record"]["sector"], "Shop");
  EXPECT_EQ(j["record"]["size"], 12.5);
  ASSERT_EQ(j["field_totals"].size(), 3u);
  EXPECT_EQ(j["field_totals"][1]["field"], "sector");
  EXPECT_EQ(j["field_totals"][1]["features"], 1);
  EXPECT_EQ(j["field_totals"][2]["field"], "size");
  EXPECT_EQ(j["field_totals"][2]["features"], 1);
  EXPECT_NEAR(j["contribution_sum"].get<double>(), j["logit_difference"].get<double>(), 1e-4);

  // A numeric field left out is missing; --text fills the first text field.
  const RunResult missing = Explain(*fields_, {"--text", "bicycle", "--json"});
  ASSERT_EQ(missing.exit_code, 0) << missing;
  EXPECT_TRUE(ParseJson(missing.out)["record"]["size"].is_null());
}

TEST_F(ExplainCliTest, FieldErrorsAreUsageErrorsThatSayWhatToDo) {
  RunResult r = Explain(*fields_, {"--text", "bicycle", "--field", "colour=red"});
  EXPECT_EQ(r.exit_code, 2) << r;
  EXPECT_NE(r.err.find("no field 'colour'"), std::string::npos) << r;
  EXPECT_NE(r.err.find("title (text), sector (categorical), size (numeric)"), std::string::npos)
      << r;

  r = Explain(*fields_, {"--text", "bicycle", "--field", "size=twelve"});
  EXPECT_EQ(r.exit_code, 2) << r;
  EXPECT_NE(r.err.find("numeric"), std::string::npos) << r;
  r = Explain(*fields_, {"--text", "bicycle", "--field", "size=inf"});
  EXPECT_EQ(r.exit_code, 2) << r;

  r = Explain(*fields_, {"--text", "bicycle", "--field", "sector"});
  EXPECT_EQ(r.exit_code, 2) << r;
  EXPECT_NE(r.err.find("NAME=VALUE"), std::string::npos) << r;

  r = Explain(*fields_, {"--text", "bicycle", "--field", "title=shop"});
  EXPECT_EQ(r.exit_code, 2) << r;
  EXPECT_NE(r.err.find("given twice"), std::string::npos) << r;

  r = Explain(*fields_, {});
  EXPECT_EQ(r.exit_code, 2) << r;
  EXPECT_NE(r.err.find("--text"), std::string::npos) << r;

  r = Explain(*fields_, {"--text", "bicycle", "--field", "colour=red", "--json"});
  EXPECT_EQ(r.exit_code, 2) << r;
  EXPECT_EQ(ParseJson(r.err)["error"]["code"], "invalid_argument") << r;
}

TEST_F(ExplainCliTest, MissingModelOrBadTopIsReported) {
  RunResult r = Explain("nope.stc", {"--text", "x"});
  EXPECT_EQ(r.exit_code, 4) << r;
  r = Explain(*onet_, {"--text", "x", "--top", "0"});
  EXPECT_EQ(r.exit_code, 2) << r;
  EXPECT_NE(r.err.find("--top"), std::string::npos) << r;
}

}  // namespace
}  // namespace statcoder::cli
