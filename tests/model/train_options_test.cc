// The training option table (model/train_options.h): one entry per option, from which
// validation, the model's JSON, statcoder.toml, the CLI flags and the Python keywords derive.
#include "model/train_options.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

namespace statcoder::model {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(TrainOptionTableTest, NamesFlagsAndModelKeysAreUnique) {
  std::set<std::string_view> names, flags, keys;
  for (const TrainOptionSpec& spec : TrainOptionTable()) {
    EXPECT_TRUE(names.insert(spec.name).second) << spec.name;
    for (std::string_view f : {spec.flag, spec.flag_true, spec.flag_false}) {
      if (!f.empty()) {
        EXPECT_TRUE(flags.insert(f).second) << f;
      }
    }
    if (spec.in_model != InModel::kNever) {
      EXPECT_TRUE(keys.insert(spec.json_key).second) << spec.json_key;
    }
    EXPECT_FALSE(spec.doc.empty()) << spec.name;
    EXPECT_FALSE(spec.rule.empty()) << spec.name;
    // Switches only for booleans.
    if (!spec.flag_true.empty() || !spec.flag_false.empty()) {
      EXPECT_EQ(spec.type, OptionType::kBool) << spec.name;
    }
    EXPECT_EQ(FindTrainOption(spec.name), &spec);
  }
  EXPECT_EQ(FindTrainOption("no_such_option"), nullptr);
}

TEST(TrainOptionTableTest, DefaultsAreValidAndKeepTheirRules) {
  TrainOptions defaults;
  defaults.featurizer.text_fields = {"text"};
  EXPECT_TRUE(defaults.Validate().ok()) << defaults.Validate().message();
  for (const TrainOptionSpec& spec : TrainOptionTable()) {
    if (spec.valid != nullptr) {
      EXPECT_TRUE(spec.valid(spec.get(defaults))) << spec.name;
    }
    // Setting an option to its own value changes nothing.
    TrainOptions copy = defaults;
    ASSERT_TRUE(SetTrainOption(spec, spec.get(defaults), &copy).ok()) << spec.name;
    EXPECT_EQ(copy.ToJson(), defaults.ToJson()) << spec.name;
  }
}

TEST(TrainOptionTableTest, SetChecksTypeAndRuleAndNamesNoFlag) {
  TrainOptions o;
  const TrainOptionSpec& epochs = *FindTrainOption("epochs");
  EXPECT_TRUE(SetTrainOption(epochs, OptionValue{int64_t{30}}, &o).ok());
  EXPECT_EQ(o.epochs, 30);
  // An unsigned value of range converts; a value out of range is refused before narrowing.
  EXPECT_TRUE(SetTrainOption(epochs, OptionValue{uint64_t{40}}, &o).ok());
  EXPECT_EQ(o.epochs, 40);
  const core::Status big = SetTrainOption(epochs, OptionValue{int64_t{1} << 40}, &o);
  EXPECT_EQ(big.message(), "must be in 1..1000, got 1099511627776");
  EXPECT_EQ(o.epochs, 40);
  EXPECT_EQ(SetTrainOption(epochs, OptionValue{true}, &o).message(),
            "must be an integer, got true");
  EXPECT_EQ(SetTrainOption(*FindTrainOption("lr"), OptionValue{0.0}, &o).message(),
            "must be in (0, 10], got 0.0");
  const TrainOptionSpec& chars = *FindTrainOption("char_ngrams");
  EXPECT_TRUE(SetTrainOption(chars, OptionValue{std::string("2-5")}, &o).ok());
  EXPECT_EQ(o.featurizer.char_ngram_min, 2);
  EXPECT_EQ(o.featurizer.char_ngram_max, 5);
  EXPECT_EQ(FormatOptionValue(chars.get(o)), "2-5");
  EXPECT_FALSE(SetTrainOption(chars, OptionValue{std::string("2to5")}, &o).ok());
  EXPECT_TRUE(SetTrainOption(chars, OptionValue{std::string("off")}, &o).ok());
  EXPECT_EQ(o.featurizer.char_ngram_max, 0);
}

TEST(TrainOptionTableTest, ParsesCommandLineTextByType) {
  const TrainOptionSpec& lr = *FindTrainOption("lr");
  EXPECT_EQ(std::get<double>(*ParseOptionValue(lr, "0.5")), 0.5);
  EXPECT_EQ(std::get<double>(*ParseOptionValue(lr, "1e-1")), 0.1);
  EXPECT_EQ(ParseOptionValue(lr, "fast").status().message(), "must be a number, got 'fast'");
  EXPECT_FALSE(ParseOptionValue(lr, "nan").ok());
  const TrainOptionSpec& seed = *FindTrainOption("seed");
  EXPECT_EQ(std::get<uint64_t>(*ParseOptionValue(seed, "18446744073709551615")),
            18446744073709551615ull);
  EXPECT_FALSE(ParseOptionValue(seed, "-1").ok());
  EXPECT_FALSE(ParseOptionValue(*FindTrainOption("epochs"), "2.5").ok());
  EXPECT_FALSE(ParseOptionValue(*FindTrainOption("epochs"), "").ok());
}

TEST(TrainOptionTableTest, ModelJsonRoundTripsAndReadsOlderModels) {
  TrainOptions o;
  o.epochs = 7;
  o.seed = 18446744073709551615ull;
  o.risk = 0.1;
  o.minibatch = 8;
  const nlohmann::json j = o.ToJson();
  EXPECT_EQ(j["mode"], "deterministic");
  EXPECT_EQ(j["learning_rate"], 2.0);
  EXPECT_FALSE(j.contains("threads"));  // no effect on a deterministic model
  const core::Result<TrainOptions> back = TrainOptions::FromJson(j, o.featurizer);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->ToJson(), j);

  TrainOptions fast;
  fast.deterministic = false;
  fast.threads = 3;
  const nlohmann::json h = fast.ToJson();
  EXPECT_EQ(h["mode"], "hogwild");
  EXPECT_EQ(h["threads"], 3);
  EXPECT_FALSE(h.contains("minibatch"));

  // statcoder 0.2 wrote neither the folds, the risk, titles, sharing nor the mini-batch: the
  // values it trained with are read in their place.
  nlohmann::json old = j;
  for (const char* key : {"calibration_folds", "risk", "codelist_titles",
                          "choose_text_field_sharing", "minibatch"}) {
    old.erase(key);
  }
  const core::Result<TrainOptions> older = TrainOptions::FromJson(old, o.featurizer);
  ASSERT_TRUE(older.ok()) << older.status().message();
  EXPECT_EQ(older->calibration_folds, 0);
  EXPECT_EQ(older->risk, 0.05);
  EXPECT_FALSE(older->codelist_titles);
  EXPECT_FALSE(older->choose_text_field_sharing);
  EXPECT_EQ(older->minibatch, 1);

  nlohmann::json broken = j;
  broken.erase("epochs");
  EXPECT_EQ(TrainOptions::FromJson(broken, o.featurizer).status().code(),
            core::StatusCode::kDataLoss);
  broken = j;
  broken["epochs"] = "many";
  const core::Status wrong = TrainOptions::FromJson(broken, o.featurizer).status();
  EXPECT_EQ(wrong.code(), core::StatusCode::kDataLoss);
  EXPECT_NE(wrong.message().find("'epochs'"), std::string::npos) << wrong.message();
}

// The reference pages list every option the table gives statcoder.toml and the CLI.
TEST(TrainOptionTableTest, EveryKeyAndFlagIsDocumented) {
  const std::string toml = ReadFile(STATCODER_SOURCE_DIR "/docs/formats/statcoder_toml.md");
  const std::string cli = ReadFile(STATCODER_SOURCE_DIR "/docs/cli.md");
  ASSERT_FALSE(toml.empty());
  ASSERT_FALSE(cli.empty());
  for (const TrainOptionSpec& spec : TrainOptionTable()) {
    if (spec.toml) {
      EXPECT_NE(toml.find("| `" + std::string(spec.name) + "` |"), std::string::npos)
          << spec.name << " is not in docs/formats/statcoder_toml.md";
    }
    for (std::string_view f : {spec.flag, spec.flag_true, spec.flag_false}) {
      if (!f.empty()) {
        EXPECT_NE(cli.find("`" + std::string(f)), std::string::npos)
            << f << " is not in docs/cli.md";
      }
    }
  }
}

}  // namespace
}  // namespace statcoder::model
