#include "workspace/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

namespace statcoder::workspace {
namespace {

using core::StatusCode;

::testing::AssertionResult ContainsFormat(const char*, const char* needle_expr,
                                          const std::string& text, const std::string& needle) {
  if (text.find(needle) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "\"" << text << "\"\ndoes not contain " << needle_expr << " \"" << needle << "\"";
}
#define EXPECT_CONTAINS(text, needle) EXPECT_PRED_FORMAT2(ContainsFormat, text, needle)

constexpr char kPath[] = "statcoder.toml";

constexpr char kMinimal[] = R"(format_version = 1
[schema]
text = ["title"]
label = "naics2022"
)";

// Every key, none at its default.
constexpr char kFull[] = R"(format_version = 1
classification = "naics2022-us"

[schema]
text = ["title", "notes"]
categorical = ["sector"]
numeric = ["employees", "revenue"]
label = "naics2022"
id = "rid"
group = "region"

[codelist]
file = "codelist/naics_structure.tsv"
code_column = "Code"
parent_column = "parent_code"
level_column = "digits"
title_column = "Title"

[training]
seed = 42
deterministic = false
threads = 4
epochs = 30
lr = 1.5
optimizer = "adagrad"
word_ngrams = 3
char_ngrams = "2-5"
strip_accents = true
share_text_fields = true
min_count = 2
mean_weights_per_feature = 8
max_weights_per_feature = 128
numeric_bins = 5
holdout = 0.2
target_precision = 0.9
refit_epochs = 3
refit = false
hierarchical_sharing = false
test_fraction = 0.25

[gates]
min_accuracy = 0.8
min_auto_rate = 0.5
target_precision = 0.97
max_ece = 0.04
allow_flagged_subgroups = true
require_ethics = false

[kb]
disagreement_probability = 0.75

[ingest]
max_reject_share = 0.01
max_field_bytes = 1024

[review]
audit_rate = 0.5
audit_seed = 7
)";

// Everything a WorkspaceConfig holds, for comparing two of them.
nlohmann::json ToJson(const WorkspaceConfig& c) {
  const model::TrainOptions& o = c.training.options;
  const text::FeaturizerConfig& f = o.featurizer;
  nlohmann::json numeric = nlohmann::json::array();
  for (const auto& n : f.numeric_fields) numeric.push_back({n.field, n.edges});
  auto optional = [](const std::optional<double>& d) { return d ? nlohmann::json(*d) : nullptr; };
  return {
      {"format_version", c.format_version},
      {"classification", c.classification},
      {"schema",
       {c.schema.id_field, c.schema.text_fields, c.schema.categorical_fields,
        c.schema.numeric_fields, c.schema.label_field, c.schema.group_field}},
      {"codelist",
       {c.codelist_file, c.codelist.code_column, c.codelist.parent_column, c.codelist.level_column,
        c.codelist.title_column}},
      {"options", o.ToJson()},
      {"threads", o.threads},  // ToJson leaves it out when deterministic
      {"featurizer",
       {f.text_fields, f.categorical_fields, numeric, f.word_ngrams, f.char_ngram_min,
        f.char_ngram_max, f.normalizer.strip_accents, f.normalizer_version, f.share_text_fields}},
      {"test_fraction", c.training.test_fraction},
      {"char_ngrams", c.training.char_ngrams},
      {"gates",
       {optional(c.gates.min_accuracy), optional(c.gates.min_auto_rate), c.gates.target_precision,
        optional(c.gates.max_ece), c.gates.allow_flagged_subgroups, c.gates.require_ethics}},
      {"kb", c.kb.disagreement_probability},
      {"ingest", {c.ingest.max_reject_share, c.ingest.max_field_bytes}},
      {"review", {c.review.audit_rate, c.review.audit_seed}},
  };
}

WorkspaceConfig MustParse(const std::string& text) {
  auto config = ParseConfig(text, kPath);
  EXPECT_TRUE(config.ok()) << config.status().ToString() << "\n" << text;
  return config.ok() ? *std::move(config) : WorkspaceConfig();
}

core::Status ParseError(const std::string& text) {
  auto config = ParseConfig(text, kPath);
  return config.ok() ? core::Status::Ok() : config.status();
}

// kMinimal with `extra` appended (a table, keys), so that line numbers are easy to predict:
// kMinimal has 4 lines.
std::string Minimal(const std::string& extra) { return kMinimal + extra; }

TEST(ConfigTest, MinimalConfigTakesTheDefaults) {
  const WorkspaceConfig c = MustParse(kMinimal);
  WorkspaceConfig expected;
  expected.classification = "naics2022";
  expected.schema.text_fields = {"title"};
  expected.schema.label_field = "naics2022";
  expected.training.options.featurizer.text_fields = {"title"};
  EXPECT_EQ(ToJson(c), ToJson(expected));
  EXPECT_TRUE(c.training.options.deterministic);  // as `train`
  EXPECT_EQ(c.training.options.featurizer.char_ngram_min, 3);
  EXPECT_EQ(c.training.options.featurizer.char_ngram_max, 4);
  EXPECT_FALSE(c.gates.min_accuracy.has_value());
  EXPECT_FALSE(c.gates.max_ece.has_value());
  EXPECT_EQ(c.codelist_file, "");
}

TEST(ConfigTest, FullConfigSetsEveryField) {
  const WorkspaceConfig c = MustParse(kFull);
  EXPECT_EQ(c.classification, "naics2022-us");
  EXPECT_EQ(c.schema.text_fields, (std::vector<std::string>{"title", "notes"}));
  EXPECT_EQ(c.schema.categorical_fields, (std::vector<std::string>{"sector"}));
  EXPECT_EQ(c.schema.numeric_fields, (std::vector<std::string>{"employees", "revenue"}));
  EXPECT_EQ(c.schema.label_field, "naics2022");
  EXPECT_EQ(c.schema.id_field, "rid");
  EXPECT_EQ(c.schema.group_field, "region");
  EXPECT_EQ(c.codelist_file, "codelist/naics_structure.tsv");
  EXPECT_EQ(c.codelist.code_column, "Code");
  EXPECT_EQ(c.codelist.parent_column, "parent_code");
  EXPECT_EQ(c.codelist.level_column, "digits");
  EXPECT_EQ(c.codelist.title_column, "Title");
  const model::TrainOptions& o = c.training.options;
  EXPECT_EQ(o.seed, 42u);
  EXPECT_FALSE(o.deterministic);
  EXPECT_EQ(o.threads, 4);
  EXPECT_EQ(o.epochs, 30);
  EXPECT_EQ(o.learning_rate, 1.5);
  EXPECT_EQ(o.optimizer, "adagrad");
  EXPECT_EQ(o.featurizer.word_ngrams, 3);
  EXPECT_EQ(o.featurizer.char_ngram_min, 2);
  EXPECT_EQ(o.featurizer.char_ngram_max, 5);
  EXPECT_EQ(c.training.char_ngrams, "2-5");
  EXPECT_TRUE(o.featurizer.normalizer.strip_accents);
  EXPECT_TRUE(o.featurizer.share_text_fields);
  EXPECT_EQ(o.min_feature_count, 2u);
  EXPECT_EQ(o.mean_weights_per_feature, 8u);
  EXPECT_EQ(o.max_weights_per_feature, 128u);
  EXPECT_EQ(o.numeric_bins, 5);
  EXPECT_EQ(o.holdout_fraction, 0.2);
  EXPECT_EQ(o.target_precision, 0.9);
  EXPECT_EQ(o.refit_epochs, 3);
  EXPECT_FALSE(o.refit);
  EXPECT_FALSE(o.hierarchical_sharing);
  EXPECT_EQ(c.training.test_fraction, 0.25);
  EXPECT_EQ(c.gates.min_accuracy, 0.8);
  EXPECT_EQ(c.gates.min_auto_rate, 0.5);
  EXPECT_EQ(c.gates.target_precision, 0.97);
  EXPECT_EQ(c.gates.max_ece, 0.04);
  EXPECT_TRUE(c.gates.allow_flagged_subgroups);
  EXPECT_FALSE(c.gates.require_ethics);
  EXPECT_EQ(c.kb.disagreement_probability, 0.75);
  EXPECT_EQ(c.review.audit_rate, 0.5);
  EXPECT_EQ(c.review.audit_seed, 7u);
  EXPECT_EQ(c.ingest.max_reject_share, 0.01);
  EXPECT_EQ(c.ingest.max_field_bytes, 1024u);
}

// A model trained from the workspace must equal one `statcoder train` makes with the same flags:
// the featurizer gets the schema's fields exactly as train_command.cc sets them.
TEST(ConfigTest, TrainOptionsMatchTheTrainCommand) {
  const WorkspaceConfig c = MustParse(kFull);
  model::TrainOptions train;  // train --seed 42 --threads 4 --hogwild ... --no-refit ...
  train.deterministic = false;
  train.featurizer.text_fields = {"title", "notes"};
  train.featurizer.categorical_fields = {"sector"};
  train.featurizer.numeric_fields = {{"employees", {}}, {"revenue", {}}};
  train.featurizer.normalizer.strip_accents = true;
  train.featurizer.share_text_fields = true;
  train.featurizer.word_ngrams = 3;
  train.featurizer.char_ngram_min = 2;
  train.featurizer.char_ngram_max = 5;
  train.seed = 42;
  train.threads = 4;
  train.epochs = 30;
  train.learning_rate = 1.5;
  train.optimizer = "adagrad";
  train.min_feature_count = 2;
  train.mean_weights_per_feature = 8;
  train.max_weights_per_feature = 128;
  train.numeric_bins = 5;
  train.holdout_fraction = 0.2;
  train.target_precision = 0.9;
  train.refit_epochs = 3;
  train.refit = false;
  train.hierarchical_sharing = false;
  WorkspaceConfig expected = c;
  expected.training.options = train;
  EXPECT_EQ(ToJson(c), ToJson(expected));
}

TEST(ConfigTest, IntegersAreAcceptedForFloatsAndLargeSeedsAsStrings) {
  const WorkspaceConfig c =
      MustParse(Minimal("[training]\nlr = 2\nholdout = 0\nseed = \"18446744073709551615\"\n"));
  EXPECT_EQ(c.training.options.learning_rate, 2.0);
  EXPECT_EQ(c.training.options.holdout_fraction, 0.0);
  EXPECT_EQ(c.training.options.seed, UINT64_MAX);
}

TEST(ConfigTest, CharNgramsOffAndClassificationDefaultToLabel) {
  const WorkspaceConfig c = MustParse(Minimal("[training]\nchar_ngrams = \"0\"\n"));
  EXPECT_EQ(c.training.options.featurizer.char_ngram_min, 0);
  EXPECT_EQ(c.training.options.featurizer.char_ngram_max, 0);
  EXPECT_EQ(c.training.char_ngrams, "off");  // canonical, so that it survives a round trip
  EXPECT_EQ(c.classification, "naics2022");
}

TEST(ConfigTest, RenderThenParseGivesTheSameConfig) {
  for (const char* text : {kMinimal, kFull}) {
    const WorkspaceConfig c = MustParse(text);
    const std::string rendered = RenderConfig(c);
    EXPECT_EQ(ToJson(MustParse(rendered)), ToJson(c)) << rendered;
  }
  // Values that need care: escapes, non-ASCII, a seed above int64, floats with long digits.
  WorkspaceConfig c = MustParse(kFull);
  c.schema.text_fields = {"ti\"tle", "back\\slash", "libellé", "tab\there"};
  c.schema.label_field = "code 'quoted'";
  c.classification = "naïve";
  c.codelist_file = "";
  c.training.options.seed = UINT64_MAX;
  c.training.options.learning_rate = 0.1 + 0.2;
  c.training.options.featurizer.char_ngram_min = 0;
  c.training.options.featurizer.char_ngram_max = 0;
  c.training.char_ngrams = "off";
  c.training.options.featurizer.text_fields = c.schema.text_fields;
  c.gates.min_accuracy.reset();
  c.gates.max_ece = 1e-5;
  const std::string rendered = RenderConfig(c);
  EXPECT_EQ(ToJson(MustParse(rendered)), ToJson(c)) << rendered;
}

TEST(ConfigTest, RenderCommentsEveryKeyAndCommentsOutUnsetGates) {
  const std::string rendered = RenderConfig(MustParse(kMinimal));
  EXPECT_CONTAINS(rendered, "\n# min_accuracy = 0.80\n");
  EXPECT_CONTAINS(rendered, "\n# max_ece = 0.05\n");
  EXPECT_CONTAINS(rendered, "\n# file = \"codelist/structure.tsv\"\n");
  EXPECT_CONTAINS(rendered, "\ntext = [\"title\"]\n");
  EXPECT_CONTAINS(rendered, "\nchar_ngrams = \"3-4\"\n");
  EXPECT_CONTAINS(rendered, "\ndeterministic = true\n");
  // Every key line follows a comment line.
  std::istringstream lines(rendered);
  std::string line, previous;
  while (std::getline(lines, line)) {
    EXPECT_LE(line.size(), 100u) << line;
    if (!line.empty() && line[0] != '#' && line[0] != '[') {
      EXPECT_EQ(previous.substr(0, 2), "# ") << line;
    }
    previous = line;
  }
}

TEST(ConfigTest, UnknownTopLevelKeyIsAnErrorAtItsLine) {
  const core::Status s = ParseError("format_version = 1\ngate_count = 3\n[schema]\n");
  EXPECT_EQ(s.code(), StatusCode::kInvalidInput);
  EXPECT_CONTAINS(s.message(), "statcoder.toml:2: unknown key 'gate_count'");
  EXPECT_CONTAINS(s.message(),
                  "known top-level keys: format_version, classification, "
                  "schema, codelist, training, gates, kb, ingest, review");
}

TEST(ConfigTest, UnknownTableIsAnError) {
  const core::Status s = ParseError(Minimal("\n[gate]\nmin_accuracy = 0.8\n"));
  EXPECT_EQ(s.code(), StatusCode::kInvalidInput);
  EXPECT_CONTAINS(s.message(), "statcoder.toml:6: unknown key 'gate' (did you mean 'gates'?)");
}

TEST(ConfigTest, UnknownKeyInATableNamesTheTableItsKeysAndTheLine) {
  const core::Status s = ParseError(Minimal("[gates]\nmax_ece = 0.1\nmin_acuracy = 0.9\n"));
  EXPECT_EQ(s.code(), StatusCode::kInvalidInput);
  EXPECT_EQ(s.message(),
            "statcoder.toml:7: unknown key 'gates.min_acuracy' (did you mean 'min_accuracy'?); "
            "known keys of [gates]: min_accuracy, min_auto_rate, target_precision, max_ece, "
            "allow_flagged_subgroups, require_ethics");
}

TEST(ConfigTest, FirstErrorInFileOrderIsReported) {
  // toml++ iterates keys alphabetically; the message must still point at the earlier line.
  const core::Status s = ParseError(Minimal("[training]\nzzz = 1\naaa = 2\n"));
  EXPECT_CONTAINS(s.message(), "statcoder.toml:6: unknown key 'training.zzz'");
}

TEST(ConfigTest, NestedTableInASectionIsAnUnknownKey) {
  const core::Status s = ParseError(Minimal("[training.extra]\nx = 1\n"));
  EXPECT_CONTAINS(s.message(), ":5: unknown key 'training.extra'");
}

TEST(ConfigTest, WrongTypesNameKeyLineAndTypes) {
  struct Case {
    std::string extra, message;
  };
  for (const Case& t : {
           Case{"[training]\nepochs = \"20\"\n",
                "statcoder.toml:6: 'training.epochs' must be an integer, got a string"},
           Case{"[training]\nepochs = 2.5\n", "'training.epochs' must be an integer, got a float"},
           Case{"[training]\nlr = \"fast\"\n", "'training.lr' must be a number, got a string"},
           Case{"[training]\nrefit = 1\n", "'training.refit' must be true or false"},
           Case{"[gates]\nrequire_ethics = \"yes\"\n", "must be true or false, got a string"},
           Case{"[codelist]\nfile = 3\n", "'codelist.file' must be a string, got an integer"},
           Case{"[[gates]]\n", "'gates' must be a table ([gates]), got an array"},
       }) {
    const core::Status s = ParseError(Minimal(t.extra));
    EXPECT_EQ(s.code(), StatusCode::kInvalidInput) << t.extra;
    EXPECT_CONTAINS(s.message(), t.message) << t.extra;
  }
  EXPECT_CONTAINS(ParseError("format_version = 1\ntraining = 3\n").message(),
                  "statcoder.toml:2: 'training' must be a table ([training]), got an integer");
  const core::Status s =
      ParseError("format_version = 1\n[schema]\ntext = \"title\"\nlabel = \"c\"\n");
  EXPECT_CONTAINS(s.message(), ":3: 'schema.text' must be an array of strings, got a string");
  const core::Status item = ParseError("format_version = 1\n[schema]\ntext = [\"a\", 2]\n");
  EXPECT_CONTAINS(item.message(),
                  "'schema.text' must be an array of strings; item 2 is an "
                  "integer");
}

TEST(ConfigTest, OutOfRangeValuesAreErrors) {
  struct Case {
    std::string extra, message;
  };
  for (const Case& t : {
           Case{"[training]\nepochs = 0\n",
                "statcoder.toml:6: 'training.epochs' = 0 is invalid: must be in 1..1000, got 0"},
           Case{"[training]\nepochs = 99999999999\n",
                "'training.epochs' = 99999999999 is invalid: must be in 1..1000"},
           Case{"[training]\nseed = -1\n", "'training.seed' = -1 must be in 0.."},
           Case{"[training]\nseed = \"12x\"\n", "'training.seed' = \"12x\" must be an integer"},
           Case{"[training]\nmin_count = -3\n", "'training.min_count' = -3 must be in 0.."},
           Case{"[training]\nlr = 11\n", "'training.lr' = 11 is invalid: must be in (0, 10]"},
           Case{"[training]\noptimizer = \"adam\"\n", "must be 'sgd' or 'adagrad', got adam"},
           Case{"[training]\nword_ngrams = 6\n", "'training.word_ngrams' = 6 is invalid"},
           Case{"[training]\nchar_ngrams = \"3-9\"\n",
                "'training.char_ngrams' = \"3-9\" is invalid"},
           Case{"[training]\nchar_ngrams = \"3to4\"\n", "must be like \"3-5\" (lengths 1..8) or \"off\""},
           Case{"[training]\nholdout = nan\n", "'training.holdout' = nan must be a finite number"},
           Case{"[training]\ntest_fraction = 0\n",
                "'training.test_fraction' = 0 must be in (0, 0.5]"},
           Case{"[gates]\ntarget_precision = 0.93\n", "must be one of 0.90, 0.95, 0.97, 0.99"},
           Case{"[gates]\nmin_accuracy = 1.5\n",
                "statcoder.toml:6: 'gates.min_accuracy' = 1.5 must be in [0, 1]"},
           Case{"[kb]\ndisagreement_probability = -0.1\n", "must be in [0, 1]"},
           Case{"[ingest]\nmax_field_bytes = 0\n", "must be in 1..16777216"},
           Case{"[review]\naudit_rate = 1.5\n", "must be in [0, 1]"},
           Case{"[monitor]\nwindow_records = 0\n", "must be in 1..10000000"},
           Case{"[monitor]\nwindow_minutes = 20000\n", "must be in 1..10080"},
           Case{"[monitor]\nalpha = 0\n", "must be in (0, 0.5]"},
           Case{"[monitor]\nalpha = \"low\"\n", "'monitor.alpha'"},
           Case{"[monitor]\nwindow = 5\n", "unknown key"},
       }) {
    const core::Status s = ParseError(Minimal(t.extra));
    EXPECT_EQ(s.code(), StatusCode::kInvalidInput) << t.extra;
    EXPECT_CONTAINS(s.message(), t.message) << t.extra;
  }
}

TEST(ConfigTest, SchemaIsRequiredAndValidated) {
  EXPECT_CONTAINS(ParseError("format_version = 1\n").message(), "[schema] table is missing");
  EXPECT_CONTAINS(ParseError("format_version = 1\n[schema]\ntext = [\"t\"]\n").message(),
                  "statcoder.toml:2: [schema] needs 'label'");
  EXPECT_CONTAINS(ParseError("format_version = 1\n[schema]\nlabel = \"c\"\n").message(),
                  "[schema] needs 'text'");
  EXPECT_CONTAINS(ParseError("format_version = 1\n[schema]\ntext = []\nlabel = \"c\"\n").message(),
                  "at least one text column");
  const core::Status twice =
      ParseError("format_version = 1\n[schema]\ntext = [\"a\"]\nlabel = \"a\"\n");
  EXPECT_EQ(twice.code(), StatusCode::kInvalidInput);
  EXPECT_CONTAINS(twice.message(), "statcoder.toml:2: [schema]: ");
  EXPECT_CONTAINS(twice.message(), "column 'a' is named twice");
  // Checked by the featurizer, as `train` does.
  EXPECT_CONTAINS(
      ParseError("format_version = 1\n[schema]\ntext = [\"a\\u001fb\"]\nlabel = \"c\"\n").message(),
      "statcoder.toml:2: [schema]: featurizer config: text field 'a\x1f"
      "b'");
}

TEST(ConfigTest, MalformedTomlGivesLineAndColumn) {
  const core::Status s = ParseError("format_version = 1\n[schema]\ntext = [\"title\"\n");
  EXPECT_EQ(s.code(), StatusCode::kInvalidInput);
  EXPECT_EQ(s.message().rfind("statcoder.toml:3:", 0), 0u) << s.message();
  const core::Status dup = ParseError("format_version = 1\nformat_version = 1\n");
  EXPECT_EQ(dup.message().rfind("statcoder.toml:2:", 0), 0u) << dup.message();
}

TEST(ConfigTest, NewerFormatVersionAsksToUpgrade) {
  // Checked before the keys: a newer file may have keys this build does not know.
  const core::Status s = ParseError("format_version = 2\nnew_key = 1\n");
  EXPECT_EQ(s.code(), StatusCode::kUnsupportedVersion);
  EXPECT_EQ(s.message(),
            "statcoder.toml:1: format_version 2 is newer than this statcoder reads (1); "
            "upgrade statcoder");
}

TEST(ConfigTest, FormatVersionIsRequiredAndPositive) {
  const core::Status missing = ParseError("[schema]\ntext = [\"t\"]\nlabel = \"c\"\n");
  EXPECT_EQ(missing.code(), StatusCode::kInvalidInput);
  EXPECT_CONTAINS(missing.message(), "'format_version' is missing");
  EXPECT_CONTAINS(ParseError("format_version = 0\n").message(), "must be 1..1");
  EXPECT_CONTAINS(ParseError("format_version = \"1\"\n").message(),
                  "'format_version' must be an integer");
}

TEST(ConfigTest, LoadConfigReadsTheFile) {
  const std::string dir = ::testing::TempDir() + "/statcoder_config_" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/statcoder.toml";
  std::ofstream(path) << kMinimal << "[training]\nepochs = 0\n";
  auto bad = LoadConfig(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_CONTAINS(bad.status().message(), path + ":6: 'training.epochs'");
  std::ofstream(path) << kFull;
  auto good = LoadConfig(path);
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  EXPECT_EQ(good->training.options.epochs, 30);
  EXPECT_EQ(LoadConfig(dir + "/missing.toml").status().code(), StatusCode::kNotFound);
  std::filesystem::remove_all(dir);
}

TEST(SchemaSpecTest, ParsesEveryRole) {
  auto schema = ParseSchemaSpec(
      "text=title, "
      "notes;label=naics2022;categorical=sector;numeric=employees;id=rid;group=region;");
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  EXPECT_EQ(schema->text_fields, (std::vector<std::string>{"title", "notes"}));
  EXPECT_EQ(schema->label_field, "naics2022");
  EXPECT_EQ(schema->categorical_fields, (std::vector<std::string>{"sector"}));
  EXPECT_EQ(schema->numeric_fields, (std::vector<std::string>{"employees"}));
  EXPECT_EQ(schema->id_field, "rid");
  EXPECT_EQ(schema->group_field, "region");
  auto minimal = ParseSchemaSpec("label=code;text=title");
  ASSERT_TRUE(minimal.ok());
  EXPECT_TRUE(minimal->id_field.empty());
}

TEST(SchemaSpecTest, BadSpecsNameThePart) {
  struct Case {
    std::string spec, message;
  };
  for (const Case& t : {
           Case{"text=title;lable=code", "schema part 'lable=code': unknown role 'lable'"},
           Case{"text=title;code", "schema part 'code' must look like role=column"},
           Case{"text=title;label=", "schema part 'label=' names no column"},
           Case{"text=title;label=a,b", "schema part 'label=a,b' must name one column"},
           Case{"text=a;text=b;label=c", "role 'text' is given twice"},
           Case{"text=title", "has no label"},
           Case{"label=code", "at least one text column"},
           Case{"text=a;label=a", "column 'a' is named twice"},
       }) {
    auto schema = ParseSchemaSpec(t.spec);
    ASSERT_FALSE(schema.ok()) << t.spec;
    EXPECT_EQ(schema.status().code(), StatusCode::kInvalidArgument) << t.spec;
    EXPECT_CONTAINS(schema.status().message(), t.message) << t.spec;
  }
}

}  // namespace
}  // namespace statcoder::workspace
