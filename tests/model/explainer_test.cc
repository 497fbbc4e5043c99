#include "model/explainer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/stable_hash.h"
#include "model/model_io.h"
#include "model/predictor.h"
#include "test_data.h"

namespace statcoder::model {
namespace {

using testing::TestCodeList;
using testing::TestDataset;
using testing::TestOptions;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A record with owned storage, viewable as a RecordView.
struct Record {
  std::vector<std::string> texts{};
  std::vector<std::string> categoricals{};
  std::vector<double> numerics{};
  std::vector<std::string_view> text_views{}, categorical_views{};

  text::RecordView view() {
    text_views.assign(texts.begin(), texts.end());
    categorical_views.assign(categoricals.begin(), categoricals.end());
    return {text_views, categorical_views, numerics};
  }
};

std::shared_ptr<const Model> MustBuild(core::Result<ModelData> trained) {
  EXPECT_TRUE(trained.ok()) << trained.status().ToString();
  if (!trained.ok()) return nullptr;
  auto model = BuildModel(std::move(*trained));
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return model.ok() ? *model : nullptr;
}

Explanation MustExplain(const std::shared_ptr<const Model>& model, Record record,
                        const ExplainOptions& options = {}) {
  const Explainer explainer(model);
  core::Result<Explanation> e = explainer.Explain(record.view(), options);
  EXPECT_TRUE(e.ok()) << e.status().ToString();
  return e.ok() ? std::move(*e) : Explanation{};
}

// Every label's score computed the slow way, straight from the model's parts and the textbook
// formula: TF-IDF with sublinear tf over the known features, unit length, then for each output on
// the label's path its bias plus the dot product with its column. Independent of ComputeOutputs
// and OutputMap::Fold.
std::vector<double> ReferenceLogits(const Model& m, Record record) {
  const ModelData& d = m.data();
  std::vector<uint64_t> ids;
  EXPECT_TRUE(m.featurizer().Featurize(record.view(), &ids).ok());
  std::vector<std::pair<int64_t, int>> tf;  // row, count
  for (uint64_t id : ids) {
    const int64_t row = d.features.Find(id);
    if (row < 0) continue;
    auto it = std::find_if(tf.begin(), tf.end(), [row](const auto& p) { return p.first == row; });
    if (it == tf.end()) {
      tf.push_back({row, 1});
    } else {
      ++it->second;
    }
  }
  std::vector<double> x;
  double norm2 = 0;
  for (const auto& [row, count] : tf) {
    x.push_back((1 + std::log(count)) * d.features.idf(static_cast<size_t>(row)));
    norm2 += x.back() * x.back();
  }
  for (double& v : x) v /= std::sqrt(norm2);
  const SparseLinear& lin = d.linear;
  std::vector<double> output(lin.num_outputs);
  for (size_t o = 0; o < output.size(); ++o) output[o] = lin.bias[o];
  for (size_t i = 0; i < tf.size(); ++i) {
    const auto row = static_cast<size_t>(tf[i].first);
    for (uint32_t j = lin.row_offsets[row]; j < lin.row_offsets[row + 1]; ++j) {
      output[lin.columns[j]] += x[i] * lin.row_scale[row] * lin.values[j];
    }
  }
  const OutputMap& map = d.label_outputs;
  std::vector<double> logits(m.num_labels(), 0.0);
  for (size_t c = 0; c < m.num_labels(); ++c) {
    if (map.identity()) {
      logits[c] = output[c];
      continue;
    }
    for (uint32_t k = map.offsets[c]; k < map.offsets[c + 1]; ++k)
      logits[c] += output[map.outputs[k]];
  }
  return logits;
}

double SumContributions(const std::vector<FeatureContribution>& features) {
  double s = 0;
  for (const auto& f : features) s += f.contribution;
  return s;
}

// The checks every explanation must pass: the parts add up to the model's own numbers.
void ExpectExact(const std::shared_ptr<const Model>& model, const Record& record,
                 const Explanation& e) {
  const std::vector<double> logits = ReferenceLogits(*model, record);
  const auto a = static_cast<size_t>(e.code.label), b = static_cast<size_t>(e.versus.label);
  EXPECT_NEAR(e.code.logit, logits[a], 1e-4);
  EXPECT_NEAR(e.versus.logit, logits[b], 1e-4);
  EXPECT_NEAR(e.logit_difference, logits[a] - logits[b], 1e-4);
  // Σ contributions + bias == logit_A - logit_B.
  EXPECT_NEAR(e.bias + SumContributions(e.features), e.logit_difference, 1e-4);
  EXPECT_NEAR(e.contribution_sum, e.logit_difference, 1e-4);
  double score = e.score_bias;
  for (const auto& f : e.features) score += f.score_contribution;
  EXPECT_NEAR(score, logits[a], 1e-4);

  // Against the Predictor's calibrated probabilities: log(p_A / p_B) * T = logit_A - logit_B.
  Predictor predictor(model);
  Prediction p;
  Record copy = record;
  ASSERT_TRUE(predictor.Predict(copy.view(), 2, &p).ok());
  const auto probs = predictor.probabilities();
  EXPECT_NEAR(std::log(static_cast<double>(probs[a]) / probs[b]) * e.temperature,
              e.logit_difference, 1e-3);
  EXPECT_EQ(e.prediction.code, p.code);
  EXPECT_EQ(e.prediction.level, p.level);
  EXPECT_EQ(e.prediction.decision, p.decision);
  EXPECT_DOUBLE_EQ(e.prediction.confidence, p.confidence);
  EXPECT_EQ(e.code.label, p.top[0].label);

  // Totals are regroupings of the same numbers.
  const double features = SumContributions(e.features);
  double fields = 0, kinds = 0, words = 0;
  for (const auto& t : e.field_totals) fields += t.contribution;
  for (const auto& t : e.kind_totals) kinds += t.contribution;
  for (const auto& t : e.tokens) words += t.contribution;
  EXPECT_NEAR(fields, features, 1e-9);
  EXPECT_NEAR(kinds, features, 1e-9);
  const double categorical = e.kind_totals[3].contribution, numeric = e.kind_totals[4].contribution;
  EXPECT_NEAR(words + categorical + numeric, features, 1e-9);
  for (size_t i = 1; i < e.features.size(); ++i) {
    EXPECT_GE(std::abs(e.features[i - 1].contribution), std::abs(e.features[i].contribution));
  }
}

// ---- A model built by hand, so the expected numbers can be worked out on paper ---------------

// Labels A, B, C; known words "apple" (idf 1) and "pear" (idf 2); weights
// w(apple, A) = 1.0, w(apple, B) = -0.5, w(pear, B) = 1.0; biases 0.1, 0.2, 0.
std::shared_ptr<const Model> HandModel(std::vector<std::string> labels = {"A", "B", "C"}) {
  ModelData d;
  d.featurizer.text_fields = {"text"};
  d.featurizer.word_ngrams = 1;
  d.featurizer.char_ngram_min = d.featurizer.char_ngram_max = 0;
  const uint64_t apple = core::Fnv1a64(
      "w1\x1ftext\x1f"
      "apple");
  const uint64_t pear = core::Fnv1a64(
      "w1\x1ftext\x1f"
      "pear");
  const bool apple_first = apple < pear;
  d.features = FeatureIndex(
      apple_first ? std::vector<uint64_t>{apple, pear} : std::vector<uint64_t>{pear, apple},
      apple_first ? std::vector<float>{1, 2} : std::vector<float>{2, 1});
  d.labels = labels;
  SparseLinear& lin = d.linear;
  lin.num_outputs = static_cast<uint32_t>(labels.size());
  struct Row {
    std::vector<uint32_t> columns;
    std::vector<int8_t> values;
    float scale;
  };
  const Row apple_row = labels.size() > 1 ? Row{{0, 1}, {100, -50}, 0.01f} : Row{{0}, {100}, 0.01f};
  const Row pear_row = labels.size() > 1 ? Row{{1}, {20}, 0.05f} : Row{{}, {}, 0.05f};
  lin.row_offsets = {0};
  for (const Row* r : apple_first ? std::vector<const Row*>{&apple_row, &pear_row}
                                  : std::vector<const Row*>{&pear_row, &apple_row}) {
    lin.columns.insert(lin.columns.end(), r->columns.begin(), r->columns.end());
    lin.values.insert(lin.values.end(), r->values.begin(), r->values.end());
    lin.row_scale.push_back(r->scale);
    lin.row_offsets.push_back(static_cast<uint32_t>(lin.columns.size()));
  }
  lin.bias = {0.1f, 0.2f, 0.0f};
  lin.bias.resize(labels.size());
  d.temperature = 2.0;
  auto model = BuildModel(std::move(d));
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return model.ok() ? *model : nullptr;
}

const FeatureContribution* Find(const std::vector<FeatureContribution>& features,
                                std::string_view text) {
  for (const auto& f : features) {
    if (f.text == text) return &f;
  }
  return nullptr;
}

TEST(ExplainerTest, HandBuiltModelGivesTheNumbersWorkedOutOnPaper) {
  const auto model = HandModel();
  ASSERT_NE(model, nullptr);
  const Record record{.texts = {"Apple apple pear zzz"}};
  const Explanation e = MustExplain(model, record);
  // x_apple = (1 + ln 2) * 1 / n, x_pear = 1 * 2 / n, n = the vector's length; zzz is unknown.
  const double n = std::sqrt(std::pow(1 + std::log(2.0), 2) + 4.0);
  const double x_apple = (1 + std::log(2.0)) / n, x_pear = 2.0 / n;
  ASSERT_EQ(e.code.code, "A");
  ASSERT_EQ(e.versus.code, "B");
  EXPECT_TRUE(e.versus_is_runner_up);
  ASSERT_EQ(e.features.size(), 2u);
  const FeatureContribution* apple = Find(e.features, "apple");
  const FeatureContribution* pear = Find(e.features, "pear");
  ASSERT_TRUE(apple && pear);
  EXPECT_EQ(apple->count, 2u);
  EXPECT_EQ(apple->kind, "word");
  EXPECT_EQ(apple->fields, std::vector<std::string>{"text"});
  EXPECT_NEAR(apple->value, x_apple, 1e-6);
  EXPECT_NEAR(apple->contribution, x_apple * (1.0 - -0.5), 1e-6);
  EXPECT_NEAR(apple->score_contribution, x_apple * 1.0, 1e-6);
  EXPECT_NEAR(pear->contribution, x_pear * (0.0 - 1.0), 1e-6);
  EXPECT_NEAR(pear->score_contribution, 0.0, 1e-9);
  EXPECT_NEAR(e.bias, 0.1 - 0.2, 1e-7);
  EXPECT_NEAR(e.score_bias, 0.1, 1e-7);
  EXPECT_NEAR(e.logit_difference, 0.1 + x_apple - (0.2 - 0.5 * x_apple + x_pear), 1e-6);
  EXPECT_DOUBLE_EQ(e.temperature, 2.0);
  EXPECT_EQ(e.features[0].text, "apple");  // strongest first
  ASSERT_EQ(e.unknown_features.size(), 1u);
  EXPECT_EQ(e.unknown_features[0].text, "zzz");
  EXPECT_EQ(e.unknown_features[0].contribution, 0.0);
  // Words: apple twice (each occurrence half of the feature), pear, zzz (nothing).
  ASSERT_EQ(e.tokens.size(), 4u);
  EXPECT_NEAR(e.tokens[0].contribution, apple->contribution / 2, 1e-12);
  EXPECT_NEAR(e.tokens[1].contribution, apple->contribution / 2, 1e-12);
  EXPECT_NEAR(e.tokens[2].contribution, pear->contribution, 1e-12);
  EXPECT_EQ(e.tokens[3].contribution, 0.0);
  EXPECT_EQ(e.tokens[0].token, "apple");
  EXPECT_EQ(*e.tokens[0].begin, 0u);
  EXPECT_EQ(*e.tokens[0].end, 5u);  // "Apple" in the original text
  EXPECT_EQ(*e.tokens[3].begin, 17u);
  ExpectExact(model, record, e);
}

TEST(ExplainerTest, ModelWithASingleCodeHasNothingToCompareWith) {
  const auto model = HandModel({"A"});
  ASSERT_NE(model, nullptr);
  Record record{.texts = {"apple"}};
  const Explainer explainer(model);
  EXPECT_EQ(explainer.Explain(record.view(), {}).status().code(),
            core::StatusCode::kFailedPrecondition);
}

// ---- Trained models ---------------------------------------------------------------------------

const std::vector<std::string> kTexts = {"cider pressing", "bicycle shop sale local", "apple fruit",
                                         "family business", "bicycle repair"};

TEST(ExplainerTest, ExactWithHierarchicalSharing) {
  const data::CodeList codes = TestCodeList();
  const auto model = MustBuild(Train(TestDataset(40), TestOptions(), &codes));
  ASSERT_NE(model, nullptr);
  ASSERT_FALSE(model->data().label_outputs.identity()) << "the model should share weights";
  for (const std::string& text : kTexts) {
    SCOPED_TRACE(text);
    const Record record{.texts = {text}};
    const Explanation e = MustExplain(model, record);
    ExpectExact(model, record, e);
    EXPECT_FALSE(e.features.empty());
    EXPECT_EQ(e.code.title, codes.node(codes.Find(e.code.code)).title);
  }
}

TEST(ExplainerTest, ExactWithoutHierarchicalSharingAndWithoutACodeList) {
  const data::CodeList codes = TestCodeList();
  TrainOptions options = TestOptions();
  options.hierarchical_sharing = false;
  for (const data::CodeList* list : {&codes, static_cast<const data::CodeList*>(nullptr)}) {
    const auto model = MustBuild(Train(TestDataset(40), options, list));
    ASSERT_NE(model, nullptr);
    EXPECT_TRUE(model->data().label_outputs.identity());
    for (const std::string& text : kTexts) {
      SCOPED_TRACE(text);
      const Record record{.texts = {text}};
      const Explanation e = MustExplain(model, record);
      ExpectExact(model, record, e);
      if (list == nullptr) {
        EXPECT_EQ(e.code.title, "");
        EXPECT_TRUE(e.title_matches.empty());
        EXPECT_EQ(e.decided_level_name, "code");
      }
    }
  }
}

// The synthetic data with a categorical sector (told apart by group) and a numeric size.
data::Dataset DatasetWithFields() {
  data::Dataset ds = TestDataset(40);
  for (size_t i = 0; i < ds.records.size(); ++i) {
    data::Record& r = ds.records[i];
    r.categoricals = {r.label[0] == 'A' ? "Farm" : "Shop"};
    r.numerics = {i % 7 == 0 ? kNaN
                             : static_cast<double>(r.label[1] == '1' ? i % 10 : 50 + i % 10)};
  }
  return ds;
}

TrainOptions OptionsWithFields() {
  TrainOptions o = TestOptions();
  o.featurizer.categorical_fields = {"sector"};
  o.featurizer.numeric_fields = {{"size", {}}};
  return o;
}

TEST(ExplainerTest, CategoricalAndNumericFieldsHaveTheirOwnExactShare) {
  const data::CodeList codes = TestCodeList();
  const auto model = MustBuild(Train(DatasetWithFields(), OptionsWithFields(), &codes));
  ASSERT_NE(model, nullptr);
  for (double size : {3.0, 55.0, kNaN}) {
    const Record record{.texts = {"bicycle shop"}, .categoricals = {"shop"}, .numerics = {size}};
    const Explanation e = MustExplain(model, record);
    ExpectExact(model, record, e);
    ASSERT_EQ(e.field_totals.size(), 3u);
    EXPECT_EQ(e.field_totals[0].name, "text");
    EXPECT_EQ(e.field_totals[1].name, "sector");
    EXPECT_EQ(e.field_totals[2].name, "size");
    EXPECT_EQ(e.field_totals[1].features, 1u);
    EXPECT_EQ(e.field_totals[2].features, 1u);
    const auto is_sector = [](const FeatureContribution& f) { return f.kind == "categorical"; };
    const auto it = std::find_if(e.features.begin(), e.features.end(), is_sector);
    ASSERT_NE(it, e.features.end());
    EXPECT_EQ(it->fields, std::vector<std::string>{"sector"});
    EXPECT_NEAR(e.field_totals[1].contribution, it->contribution, 1e-12);
    const auto numeric =
        std::find_if(e.features.begin(), e.features.end(),
                     [](const FeatureContribution& f) { return f.kind == "numeric"; });
    ASSERT_NE(numeric, e.features.end());
    EXPECT_EQ(numeric->text.rfind(std::isnan(size) ? "missing" : "bin ", 0), 0u) << numeric->text;
    EXPECT_NEAR(e.kind_totals[4].contribution, numeric->contribution, 1e-12);
    // The record's words carry no categorical or numeric share.
    for (const auto& t : e.tokens) EXPECT_EQ(t.field, "text");
  }
}

TEST(ExplainerTest, UnknownFeaturesAreListedApartAndContributeNothing) {
  const auto model = MustBuild(Train(TestDataset(40), TestOptions(), nullptr));
  ASSERT_NE(model, nullptr);
  const Record record{.texts = {"bicycle zeppelin zeppelin"}};
  const Explanation e = MustExplain(model, record);
  ExpectExact(model, record, e);
  const FeatureContribution* word = Find(e.unknown_features, "zeppelin");
  ASSERT_NE(word, nullptr);
  EXPECT_EQ(word->kind, "word");
  EXPECT_EQ(word->count, 2u);
  EXPECT_EQ(word->value, 0.0);
  EXPECT_EQ(Find(e.features, "zeppelin"), nullptr);
  EXPECT_NE(Find(e.features, "bicycle"), nullptr);
  uint32_t known = 0, all = 0;
  for (const auto& f : e.features) known += f.count;
  for (const auto& f : e.unknown_features) all += f.count;
  EXPECT_EQ(known, e.prediction.known_features);
  EXPECT_EQ(known + all, e.prediction.num_features);
  // The word made only of unknown features gets nothing; the known word gets something.
  ASSERT_EQ(e.tokens.size(), 3u);
  EXPECT_EQ(e.tokens[1].contribution, 0.0);
  EXPECT_NE(e.tokens[0].contribution, 0.0);
}

TEST(ExplainerTest, WordNgramsAreSplitEvenlyBetweenTheirWords) {
  const auto model = MustBuild(Train(TestDataset(40), TestOptions(), nullptr));
  ASSERT_NE(model, nullptr);
  const Record record{.texts = {"Bicycle  REPAIR"}};
  const Explanation e = MustExplain(model, record);
  ExpectExact(model, record, e);
  ASSERT_EQ(e.tokens.size(), 2u);
  double expected[2] = {0, 0};
  for (const auto& f : e.features) {
    if (f.kind == "word_ngram") {
      expected[0] += f.contribution / 2;
      expected[1] += f.contribution / 2;
    } else if (f.kind == "word" || f.kind == "char_ngram") {
      // Every character n-gram of "<bicycle>" holds a b, c, l or y; none of "<repair>" does.
      const bool first = f.text == "bicycle" || (f.kind == "char_ngram" &&
                                                 f.text.find_first_of("bcly") != std::string::npos);
      expected[first ? 0 : 1] += f.contribution;
    }
  }
  EXPECT_NEAR(e.tokens[0].contribution, expected[0], 1e-9);
  EXPECT_NEAR(e.tokens[1].contribution, expected[1], 1e-9);
  EXPECT_EQ(e.tokens[1].token, "repair");
  EXPECT_EQ(*e.tokens[1].begin, 9u);
  EXPECT_EQ(*e.tokens[1].end, 15u);
}

TEST(ExplainerTest, VersusANamedCodeIsExactToo) {
  const data::CodeList codes = TestCodeList();
  const auto model = MustBuild(Train(TestDataset(40), TestOptions(), &codes));
  ASSERT_NE(model, nullptr);
  const Record record{.texts = {"bicycle shop sale"}};
  const Explanation first = MustExplain(model, record);
  ASSERT_EQ(first.code.code, "B1");
  ExplainOptions options;
  options.versus = "A2";  // in the other sector: the ancestors' outputs do not cancel
  const Explanation e = MustExplain(model, record, options);
  EXPECT_EQ(e.code.code, "B1");
  EXPECT_EQ(e.versus.code, "A2");
  EXPECT_EQ(e.versus.title, "Apple juice");
  EXPECT_FALSE(e.versus_is_runner_up);
  ExpectExact(model, record, e);
  EXPECT_GT(e.logit_difference, first.logit_difference);
  options.versus = first.versus.code;
  EXPECT_TRUE(MustExplain(model, record, options).versus_is_runner_up);
}

TEST(ExplainerTest, VersusMustBeAnotherTrainedCode) {
  const data::CodeList codes = TestCodeList();
  const auto model = MustBuild(Train(TestDataset(40), TestOptions(), &codes));
  ASSERT_NE(model, nullptr);
  const Explainer explainer(model);
  Record record{.texts = {"bicycle shop sale"}};
  ExplainOptions options;
  options.versus = "Z9";
  core::Result<Explanation> e = explainer.Explain(record.view(), options);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), core::StatusCode::kNotFound);
  EXPECT_NE(e.status().message().find("'Z9' is not a code of this model"), std::string::npos)
      << e.status().message();
  options.versus = "B";  // a group: in the code list, but not a trained code
  e = explainer.Explain(record.view(), options);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), core::StatusCode::kNotFound);
  EXPECT_NE(e.status().message().find("never trained"), std::string::npos) << e.status().message();
  options.versus = "B1";  // the chosen code itself
  e = explainer.Explain(record.view(), options);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), core::StatusCode::kInvalidArgument);
}

TEST(ExplainerTest, OptionsAreValidated) {
  const auto model = HandModel();
  ASSERT_NE(model, nullptr);
  const Explainer explainer(model);
  Record record{.texts = {"apple"}};
  for (ExplainOptions bad : {ExplainOptions{.top_k = 0}, ExplainOptions{.top_k = 101},
                             ExplainOptions{.title_matches = -1}}) {
    EXPECT_EQ(explainer.Explain(record.view(), bad).status().code(),
              core::StatusCode::kInvalidArgument);
  }
  Record wrong{.texts = {"apple", "extra field"}};
  EXPECT_EQ(explainer.Explain(wrong.view(), {}).status().code(), core::StatusCode::kInvalidInput);
}

TEST(ExplainerTest, TopListsTheRequestedNumberOfCodesWithTitles) {
  const data::CodeList codes = TestCodeList();
  const auto model = MustBuild(Train(TestDataset(40), TestOptions(), &codes));
  ASSERT_NE(model, nullptr);
  const Explanation one = MustExplain(model, {.texts = {"cider"}}, {.top_k = 1});
  EXPECT_EQ(one.top.size(), 1u);
  EXPECT_EQ(one.prediction.top.size(), 1u);
  EXPECT_FALSE(one.versus.code.empty());  // the runner-up is still found
  const Explanation all = MustExplain(model, {.texts = {"cider"}}, {.top_k = 10});
  ASSERT_EQ(all.top.size(), 4u);
  for (size_t i = 0; i < all.top.size(); ++i) {
    EXPECT_EQ(all.top[i].label, all.prediction.top[i].label);
    EXPECT_EQ(all.top[i].title, codes.node(codes.Find(all.top[i].code)).title);
    if (i > 0) {
      EXPECT_GE(all.top[i - 1].probability, all.top[i].probability);
    }
  }
}

TEST(ExplainerTest, TitleMatchesUseNormalisedWordOverlap) {
  const data::CodeList codes = TestCodeList();
  const auto model = MustBuild(Train(TestDataset(40), TestOptions(), &codes));
  ASSERT_NE(model, nullptr);
  const Explanation e = MustExplain(model, {.texts = {"APPLE Juice!"}});
  ASSERT_FALSE(e.title_matches.empty());
  EXPECT_EQ(e.title_matches[0].code, "A2");
  EXPECT_EQ(e.title_matches[0].title, "Apple juice");
  EXPECT_NEAR(e.title_matches[0].score, 1.0, 1e-12);  // the same words
  EXPECT_TRUE(e.title_matches[0].trained);
  EXPECT_LE(e.title_matches.size(), 3u);
  for (size_t i = 1; i < e.title_matches.size(); ++i) {
    EXPECT_GT(e.title_matches[i].score, 0.0);
    EXPECT_GE(e.title_matches[i - 1].score, e.title_matches[i].score);
  }
  EXPECT_TRUE(MustExplain(model, {.texts = {"zeppelin"}}).title_matches.empty());
  EXPECT_TRUE(MustExplain(model, {.texts = {"apple"}}, {.title_matches = 0}).title_matches.empty());
}

TEST(ExplainerTest, JsonHasTheDocumentedKeys) {
  const data::CodeList codes = TestCodeList();
  const auto model = MustBuild(Train(DatasetWithFields(), OptionsWithFields(), &codes));
  ASSERT_NE(model, nullptr);
  const Explanation e =
      MustExplain(model, {.texts = {"bicycle shop"}, .categoricals = {"shop"}, .numerics = {kNaN}});
  const nlohmann::json j = e.ToJson();
  for (const char* key : {"model_version",
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
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_TRUE(j["training_match"].is_null());
  EXPECT_EQ(j["model_version"], model->version_id());
  EXPECT_EQ(j["decision"]["code"], e.prediction.code);
  EXPECT_EQ(j["features"].size(), e.features.size());
  EXPECT_EQ(j["features"][0]["id"].get<std::string>().size(), 16u);
  EXPECT_EQ(j["versus"]["runner_up"], true);
  EXPECT_EQ(j["tokens"][0]["begin"], 0);
  EXPECT_EQ(j["kind_totals"].size(), 5u);
}

TEST(ExplainerTest, ExplainMayRunOnSeveralThreadsAtOnce) {
  const auto model = MustBuild(Train(TestDataset(40), TestOptions(), nullptr));
  ASSERT_NE(model, nullptr);
  const Explainer explainer(model);
  const Explanation reference = MustExplain(model, {.texts = {"bicycle repair"}});
  std::vector<std::thread> threads;
  std::vector<double> sums(4);
  for (size_t t = 0; t < sums.size(); ++t) {
    threads.emplace_back([&, t] {
      Record record{.texts = {"bicycle repair"}};
      for (int i = 0; i < 20; ++i) {
        core::Result<Explanation> e = explainer.Explain(record.view(), {});
        if (e.ok()) sums[t] = e->contribution_sum;
      }
    });
  }
  for (auto& t : threads) t.join();
  for (double s : sums) EXPECT_EQ(s, reference.contribution_sum);
}

}  // namespace
}  // namespace statcoder::model
