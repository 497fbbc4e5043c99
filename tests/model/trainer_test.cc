#include "model/trainer.h"

#include <gtest/gtest.h>

#include "model/batch_coder.h"
#include "model/model_io.h"
#include "model/predictor.h"
#include "core/random.h"
#include "test_data.h"

namespace statcoder::model {
namespace {

using testing::TestCodeList;
using testing::TestDataset;
using testing::TestOptions;

Prediction PredictText(const std::shared_ptr<const Model>& model, const std::string& text) {
  Predictor predictor(model);
  std::vector<std::string_view> texts = {text};
  Prediction p;
  EXPECT_TRUE(predictor.Predict({texts, {}, {}}, 3, &p).ok());
  return p;
}

TEST(TrainerTest, LearnsCodesFromTheirWords) {
  const data::CodeList codes = TestCodeList();
  auto trained = Train(TestDataset(100), TestOptions(), &codes);
  ASSERT_TRUE(trained.ok()) << trained.status().ToString();
  auto model = BuildModel(std::move(*trained));
  ASSERT_TRUE(model.ok());
  EXPECT_EQ((*model)->label(static_cast<size_t>(PredictText(*model, "cider pressing").top[0].label)), "A2");
  EXPECT_EQ((*model)->label(static_cast<size_t>(PredictText(*model, "bicycle mending workshop").top[0].label)),
            "B2");
  EXPECT_EQ((*model)->label(static_cast<size_t>(PredictText(*model, "orchard trees").top[0].label)), "A1");
}

TEST(TrainerTest, DeterministicModeGivesByteIdenticalModels) {
  const data::CodeList codes = TestCodeList();
  TrainOptions options = TestOptions();
  options.deterministic = true;
  options.threads = 1;
  auto a = Train(TestDataset(60), options, &codes);
  options.threads = 2;  // the thread count must not matter in deterministic mode
  auto b = Train(TestDataset(60), options, &codes);
  ASSERT_TRUE(a.ok() && b.ok());
  auto bytes_a = SerializeModel(*a), bytes_b = SerializeModel(*b);
  ASSERT_TRUE(bytes_a.ok() && bytes_b.ok());
  EXPECT_EQ(*bytes_a, *bytes_b);

  options.seed = 2;
  auto c = Train(TestDataset(60), options, &codes);
  ASSERT_TRUE(c.ok());
  EXPECT_NE(*SerializeModel(*c), *bytes_a) << "the seed must matter";
}

TEST(TrainerTest, CalibrationScoresEveryRecordOutOfSampleByCrossFitting) {
  auto trained = Train(TestDataset(100), TestOptions(), nullptr);
  ASSERT_TRUE(trained.ok());
  EXPECT_EQ(trained->policy.chosen_on, "training_holdout");
  EXPECT_EQ(trained->policy.chosen_on_records, 400u);  // every record, by 2 folds
  EXPECT_EQ(trained->metadata["calibration"]["cross_fitting_folds"], 2);
  EXPECT_EQ(trained->policy.method, "learn_then_test");
  EXPECT_EQ(trained->policy.risk, 0.05);
  EXPECT_GT(trained->temperature, 0.0);
  EXPECT_TRUE(trained->metadata["calibration"].contains("holdout_accuracy"));
}

TEST(TrainerTest, CalibrationOnAHeldOutPartWithoutFolds) {
  TrainOptions options = TestOptions();
  options.calibration_folds = 0;
  auto trained = Train(TestDataset(100), options, nullptr);
  ASSERT_TRUE(trained.ok());
  EXPECT_EQ(trained->policy.chosen_on_records, 40u);  // 10% of 400
  EXPECT_FALSE(trained->metadata["calibration"].contains("cross_fitting_folds"));
}

TEST(TrainerTest, DefaultsAreDeterministicAtAnyThreadCount) {
  const data::CodeList codes = TestCodeList();
  TrainOptions options = TestOptions();  // the defaults, but for a few epochs
  ASSERT_TRUE(options.deterministic);
  std::string first;
  for (int threads : {1, 2, 3}) {
    options.threads = threads;
    auto trained = Train(TestDataset(60), options, &codes);
    ASSERT_TRUE(trained.ok()) << trained.status().ToString();
    auto bytes = SerializeModel(*trained);
    ASSERT_TRUE(bytes.ok());
    if (first.empty()) first = *bytes;
    EXPECT_EQ(*bytes, first) << threads << " threads";
  }
  // A mini-batch of 1 is sequential SGD: another model, just as deterministic.
  options.minibatch = 1;
  auto sequential = Train(TestDataset(60), options, &codes);
  ASSERT_TRUE(sequential.ok());
  EXPECT_NE(*SerializeModel(*sequential), first);
  EXPECT_EQ(sequential->metadata["training_options"]["minibatch"], 1);
}

TEST(TrainerTest, CodeListTitlesTrainAsRecordsButAreNeverHeldOut) {
  const data::CodeList codes = TestCodeList();
  TrainOptions options = TestOptions();
  auto with = Train(TestDataset(30), options, &codes);
  ASSERT_TRUE(with.ok()) << with.status().ToString();
  size_t leaf_titles = 0;
  for (size_t i = 0; i < codes.size(); ++i) {
    const auto& node = codes.node(static_cast<int32_t>(i));
    leaf_titles += node.depth == codes.max_depth() && !node.title.empty();
  }
  ASSERT_GT(leaf_titles, 0u);
  EXPECT_EQ(with->metadata["training_data"]["codelist_title_records"], leaf_titles);
  EXPECT_EQ(with->metadata["training_data"]["records"], 120u);
  EXPECT_EQ(with->policy.chosen_on_records, 120u);  // the titles are not scored
  options.codelist_titles = false;
  auto without = Train(TestDataset(30), options, &codes);
  ASSERT_TRUE(without.ok());
  EXPECT_FALSE(without->metadata["training_data"].contains("codelist_title_records"));
}

TEST(TrainerTest, ChoosesTextFieldSharingOnItsHeldOutPartAndRecordsIt) {
  // Two text fields whose words mean the same in either: a record's words are in one field or
  // the other at random.
  data::Dataset ds = TestDataset(100);
  core::Random rng(3);
  for (auto& r : ds.records) {
    r.texts.push_back("");
    if (rng.Uniform(2) == 1) std::swap(r.texts[0], r.texts[1]);
  }
  TrainOptions options = TestOptions();
  options.featurizer.text_fields = {"text", "qualifier"};
  auto chosen = Train(ds, options, nullptr);
  ASSERT_TRUE(chosen.ok()) << chosen.status().ToString();
  const nlohmann::json& report = chosen->metadata["text_field_sharing"];
  ASSERT_TRUE(report.is_object()) << chosen->metadata;
  // The better held-out accuracy wins; a tie keeps the features per field.
  const double shared = report["holdout_accuracy"]["shared"].get<double>();
  const double per_field = report["holdout_accuracy"]["per_field"].get<double>();
  EXPECT_EQ(report["chosen"], shared > per_field ? "shared" : "per_field");
  EXPECT_EQ(chosen->featurizer.share_text_fields, shared > per_field);
  // The user's choice stands.
  options.choose_text_field_sharing = false;
  auto given = Train(ds, options, nullptr);
  ASSERT_TRUE(given.ok());
  EXPECT_FALSE(given->featurizer.share_text_fields);
  EXPECT_FALSE(given->metadata.contains("text_field_sharing"));
}

TEST(TrainerTest, RefittedModelGetsItsOwnTemperature) {
  TrainOptions options = TestOptions();
  options.deterministic = true;
  auto refit = Train(TestDataset(100), options, nullptr);
  ASSERT_TRUE(refit.ok());
  const nlohmann::json& cal = refit->metadata["calibration"];
  ASSERT_TRUE(cal.contains("temperature_holdout_model")) << cal;
  // Moved, not refitted: the same scale of scores, so close to the held-out temperature.
  const double held_out = cal["temperature_holdout_model"].get<double>();
  EXPECT_GT(refit->temperature, 0.5 * held_out);
  EXPECT_LT(refit->temperature, 2.0 * held_out);
  EXPECT_EQ(cal["temperature"].get<double>(), refit->temperature);

  options.refit = false;  // the calibrated model itself: its held-out temperature as is
  auto kept = Train(TestDataset(100), options, nullptr);
  ASSERT_TRUE(kept.ok());
  EXPECT_FALSE(kept->metadata["calibration"].contains("temperature_holdout_model"));
  EXPECT_EQ(kept->temperature, kept->metadata["calibration"]["temperature"].get<double>());
}

TEST(TrainerTest, TooFewRecordsSkipCalibrationAndNeverAutoCode) {
  auto trained = Train(TestDataset(5), TestOptions(), nullptr);  // 20 records, 2 held out
  ASSERT_TRUE(trained.ok());
  EXPECT_EQ(trained->policy.label_threshold, kNeverAuto);
  EXPECT_EQ(trained->policy.chosen_on, "none");
}

TEST(TrainerTest, RejectsInvalidOptions) {
  TrainOptions options = TestOptions();
  options.epochs = 0;
  auto trained = Train(TestDataset(5), options, nullptr);
  ASSERT_FALSE(trained.ok());
  EXPECT_EQ(trained.status().code(), core::StatusCode::kInvalidArgument);
}

TEST(TrainerTest, RejectsOutOfRangeOptionsNamingTheOption) {
  const auto message = [](void (*set)(TrainOptions&)) {
    TrainOptions options = TestOptions();
    set(options);
    const core::Status s = options.Validate();
    EXPECT_EQ(s.code(), core::StatusCode::kInvalidArgument);
    return s.message();
  };
  // The library names the option as statcoder.toml and Python do; the CLI adds its flag.
  EXPECT_EQ(message([](TrainOptions& o) { o.minibatch = 0; }),
            "training option 'minibatch' must be in 1..4096, got 0");
  EXPECT_EQ(message([](TrainOptions& o) { o.risk = 0.6; }),
            "training option 'risk' must be in (0, 0.5], got 0.6");
  EXPECT_NE(message([](TrainOptions& o) { o.calibration_folds = 1; }).find("'calibration_folds'"),
            std::string::npos);
  EXPECT_NE(message([](TrainOptions& o) { o.optimizer = "adam"; }).find("'sgd' or 'adagrad'"),
            std::string::npos);
  for (const std::string& m : {message([](TrainOptions& o) { o.epochs = 0; }),
                              message([](TrainOptions& o) { o.learning_rate = 11; })}) {
    EXPECT_EQ(m.find("--"), std::string::npos) << m;
  }
}

TEST(TrainerTest, EmptyDatasetIsAnInputError) {
  data::Dataset empty;
  empty.path = "empty.tsv";
  auto trained = Train(empty, TestOptions(), nullptr);
  ASSERT_FALSE(trained.ok());
  EXPECT_EQ(trained.status().code(), core::StatusCode::kInvalidInput);
}

TEST(HierarchyTest, ParentProbabilityIsTheSumOfItsChildren) {
  const data::CodeList codes = TestCodeList();
  auto trained = Train(TestDataset(50), TestOptions(), &codes);
  ASSERT_TRUE(trained.ok());
  // Without a map for the sector level (see the test below for one).
  trained->level_calibration.clear();
  // Force partial coding: never at the code level, always at the sector level.
  trained->policy.label_threshold = kNeverAuto;
  trained->policy.level_thresholds = {0.0, kNeverAuto};
  auto model = BuildModel(std::move(*trained));
  ASSERT_TRUE(model.ok());
  Predictor predictor(*model);
  std::string text = "apple fruit";  // A1 or A2, surely sector A
  std::vector<std::string_view> texts = {text};
  Prediction p;
  ASSERT_TRUE(predictor.Predict({texts, {}, {}}, 4, &p).ok());
  const auto probs = predictor.probabilities();
  const double a = probs[static_cast<size_t>((*model)->FindLabel("A1"))] +
                   probs[static_cast<size_t>((*model)->FindLabel("A2"))];
  EXPECT_EQ(p.decision, Decision::kAuto);
  EXPECT_EQ(p.code, "A");
  EXPECT_EQ(p.level, 1);
  EXPECT_NEAR(p.confidence, a, 1e-6);
  double total = 0;
  for (float q : probs) total += q;
  EXPECT_NEAR(total, 1.0, 1e-5);
}

TEST(HierarchyTest, CalibratedParentIsMappedButNeverBelowItsBestChild) {
  const data::CodeList codes = TestCodeList();
  auto trained = Train(TestDataset(50), TestOptions(), &codes);
  ASSERT_TRUE(trained.ok());
  trained->policy.label_threshold = kNeverAuto;
  trained->policy.level_thresholds = {0.0, kNeverAuto};
  // An overconfident sector level: the map lowers its probability...
  trained->level_calibration = {LevelCalibration{0.5, -0.5}};
  auto model = BuildModel(std::move(*trained));
  ASSERT_TRUE(model.ok());
  Predictor predictor(*model);
  std::string text = "apple fruit";
  std::vector<std::string_view> texts = {text};
  Prediction p;
  ASSERT_TRUE(predictor.Predict({texts, {}, {}}, 4, &p).ok());
  const auto probs = predictor.probabilities();
  const double a1 = probs[static_cast<size_t>((*model)->FindLabel("A1"))];
  const double a2 = probs[static_cast<size_t>((*model)->FindLabel("A2"))];
  ASSERT_EQ(p.code, "A");
  EXPECT_NEAR(p.confidence,
              std::max({LevelCalibration{0.5, -0.5}.Apply(a1 + a2), a1, a2}), 1e-6);
  EXPECT_LT(p.confidence, a1 + a2);  // ...below the plain sum here
  EXPECT_GE(p.confidence, std::max(a1, a2) - 1e-9);
}

// Records coded at mixed levels (a reviewed record given the broad code "B" beside B1 and B2)
// train and code like any other: the broad code is one more label, sharing B's group output.
TEST(HierarchyTest, LabelsAtMixedLevelsTrain) {
  const data::CodeList codes = TestCodeList();
  data::Dataset ds = TestDataset(30);
  for (size_t i = 0; i < ds.records.size(); i += 7) {
    if (ds.records[i].label[0] == 'B') ds.records[i].label = "B";
  }
  auto trained = Train(ds, TestOptions(), &codes);
  ASSERT_TRUE(trained.ok()) << trained.status().ToString();
  auto model = BuildModel(std::move(*trained));
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_GE((*model)->FindLabel("B"), 0);
  const Prediction p = PredictText(*model, "apple orchard growing trees");
  EXPECT_EQ((*model)->label(static_cast<size_t>(p.top[0].label)), "A1");
  // Saved and loaded, the model's output map is still a valid tree.
  const std::string path = ::testing::TempDir() + "/mixed_levels.stc";
  ASSERT_TRUE(SaveModel((*model)->data(), path).ok());
  EXPECT_TRUE(LoadModel(path).ok());
}

TEST(HierarchyTest, LabelLevelDecisionWhenConfident) {
  const data::CodeList codes = TestCodeList();
  auto trained = Train(TestDataset(50), TestOptions(), &codes);
  ASSERT_TRUE(trained.ok());
  trained->policy.label_threshold = 0.0;  // everything auto at the code level
  auto model = BuildModel(std::move(*trained));
  ASSERT_TRUE(model.ok());
  const Prediction p = PredictText(*model, "bicycle shop sale");
  EXPECT_EQ(p.decision, Decision::kAuto);
  EXPECT_EQ(p.code, "B1");
  EXPECT_EQ(p.level, 2);
}

TEST(BatchCoderTest, OutputDoesNotDependOnThreadCount) {
  auto trained = Train(TestDataset(50), TestOptions(), nullptr);
  ASSERT_TRUE(trained.ok());
  auto model = BuildModel(std::move(*trained));
  ASSERT_TRUE(model.ok());
  const data::Dataset batch = TestDataset(30, /*seed=*/99);
  auto one = PredictBatch(*model, batch, 3, 1);
  auto two = PredictBatch(*model, batch, 3, 2);
  ASSERT_TRUE(one.ok() && two.ok());
  ASSERT_EQ(one->size(), batch.records.size());
  for (size_t i = 0; i < one->size(); ++i) {
    EXPECT_EQ((*one)[i].code, (*two)[i].code);
    EXPECT_EQ((*one)[i].top[0].probability, (*two)[i].top[0].probability);
  }
}

}  // namespace
}  // namespace statcoder::model
