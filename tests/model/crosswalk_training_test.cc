// Training a new-version model from old-version labels through a crosswalk, and the trainer's
// soft labels underneath it.
#include "model/crosswalk_training.h"

#include <gtest/gtest.h>
#include <map>

#include "model/model_io.h"
#include "model/predictor.h"
#include "test_data.h"

namespace statcoder::model {
namespace {

using testing::TestCodeList;
using testing::TestDataset;
using testing::TestOptions;

// The synthetic data's codes (A1, A2, B1, B2) as the new version; the old version had:
//   O1 → A1, O3 → B2 (one-to-one), O4 → A2 and O5 → B1 (one-to-one), and O2, which split
//   into A2 and B1. Half of the A2 and B1 records were coded O2 in the old version.
data::Crosswalk OldToNew() {
  return data::Crosswalk::FromPairs("old", "new",
                                    {{"O1", "A1", 1, 0},
                                     {"O2", "A2", 1, 0},
                                     {"O2", "B1", 1, 0},
                                     {"O3", "B2", 1, 0},
                                     {"O4", "A2", 1, 0},
                                     {"O5", "B1", 1, 0}},
                                    "old_new.tsv")
      .value();
}

data::Dataset OldCoded(size_t per_code, size_t* split_records) {
  data::Dataset ds = TestDataset(per_code);
  std::map<std::string, size_t> seen;  // per code, so every code has both kinds
  *split_records = 0;
  for (data::Record& r : ds.records) {
    const bool old_split = (seen[r.label]++ % 2) == 0;
    if (r.label == "A1") {
      r.label = "O1";
    } else if (r.label == "B2") {
      r.label = "O3";
    } else {
      *split_records += old_split;
      r.label = old_split ? "O2" : (r.label == "A2" ? "O4" : "O5");
    }
  }
  return ds;
}

double Accuracy(const ModelData& data, const data::Dataset& test) {
  auto model = Model::Create(data).value();
  Predictor predictor(model);
  Prediction p;
  size_t hits = 0;
  for (const data::Record& r : test.records) {
    std::vector<std::string_view> texts(r.texts.begin(), r.texts.end());
    EXPECT_TRUE(predictor.Predict(text::RecordView{texts, {}, {}}, 1, &p).ok());
    hits += model->label(static_cast<size_t>(p.top[0].label)) == r.label;
  }
  return static_cast<double>(hits) / static_cast<double>(test.records.size());
}

TEST(CrosswalkTrainingTest, SplitCodesAreResolvedFromTheText) {
  size_t split = 0;
  const data::Dataset old = OldCoded(60, &split);
  const data::CodeList codes = TestCodeList();
  const auto trained = TrainThroughCrosswalk(old, OldToNew(), TestOptions(), &codes, 0);
  ASSERT_TRUE(trained.ok()) << trained.status().message();
  // It codes in the new version, and as well as a model trained on the true new codes would.
  EXPECT_EQ(trained->labels, (std::vector<std::string>{"A1", "A2", "B1", "B2"}));
  const data::Dataset fresh = TestDataset(30, /*seed=*/99);
  const auto truth = Train(TestDataset(60), TestOptions(), &codes);
  ASSERT_TRUE(truth.ok());
  const double through_crosswalk = Accuracy(*trained, fresh);
  EXPECT_GT(through_crosswalk, 0.85);
  EXPECT_GE(through_crosswalk, 0.97 * Accuracy(*truth, fresh));
  // Relabelling O2 by one target would have made half its records wrong; the text decides.
  const nlohmann::json& report = trained->metadata["crosswalk_training"];
  EXPECT_EQ(report["records"], old.records.size());
  EXPECT_EQ(report["unambiguous"], old.records.size() - split);
  EXPECT_EQ(report["resolved"].get<size_t>() + report["left_ambiguous"].get<size_t>(), split);
  EXPECT_GT(report["resolved"].get<size_t>(), split * 8 / 10);
  // And decides right: the split records' own texts get their true new codes (relabelling O2
  // by its first target would give half of them the wrong one).
  const data::Dataset truth_of_old = TestDataset(60);
  data::Dataset split_only;
  for (size_t i = 0; i < old.records.size(); ++i) {
    if (old.records[i].label == "O2") split_only.records.push_back(truth_of_old.records[i]);
  }
  ASSERT_EQ(split_only.records.size(), split);
  EXPECT_GT(Accuracy(*trained, split_only), 0.9);
  EXPECT_EQ(report["from"], "old");
  EXPECT_EQ(report["crosswalk"], "old_new.tsv");
  EXPECT_EQ(report["crosswalk_fingerprint"], OldToNew().Fingerprint());
  EXPECT_EQ(trained->metadata["training_data"]["soft_label_records"], split);
  // Calibration scored only the records whose new code is known.
  EXPECT_EQ(trained->metadata["calibration"]["holdout_records"], old.records.size() - split);
}

TEST(CrosswalkTrainingTest, SameInputsGiveTheSameModelBytes) {
  size_t split = 0;
  const data::Dataset old = OldCoded(20, &split);
  const data::CodeList codes = TestCodeList();
  TrainOptions options = TestOptions();
  options.threads = 1;
  const auto a = TrainThroughCrosswalk(old, OldToNew(), options, &codes, 0);
  options.threads = 3;
  const auto b = TrainThroughCrosswalk(old, OldToNew(), options, &codes, 0);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(SerializeModel(*a).value(), SerializeModel(*b).value());
  // The table travels in the model.
  const auto x = CrosswalkOfModel(*a);
  ASSERT_TRUE(x.ok()) << x.status().message();
  EXPECT_EQ(x->Fingerprint(), OldToNew().Fingerprint());
  const auto plain = Train(TestDataset(5), TestOptions(), &codes);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(CrosswalkOfModel(*plain).status().code(), core::StatusCode::kNotFound);
}

TEST(CrosswalkTrainingTest, UnmappedRecordsAreKeptAsideWithTheirReason) {
  size_t split = 0;
  data::Dataset old = OldCoded(5, &split);
  const size_t total = old.records.size();
  old.records[3].label = "O9";
  EXPECT_EQ(DropUnmappedRecords(OldToNew(), "soc2010", &old), 1u);
  EXPECT_EQ(old.records.size(), total - 1);
  ASSERT_EQ(old.rejections.size(), 1u);
  EXPECT_EQ(old.rejections[0].line, 5u);
  EXPECT_EQ(old.rejections[0].column, "soc2010");
  EXPECT_NE(old.rejections[0].reason.find("synthetic.tsv:5: column 'soc2010': code 'O9' has no "
                                          "row in the crosswalk 'old_new.tsv'"),
            std::string::npos)
      << old.rejections[0].reason;
}

TEST(CrosswalkTrainingTest, TargetOutsideTheNewCodeListIsAnError) {
  size_t split = 0;
  const data::Dataset old = OldCoded(5, &split);
  const auto codes =
      data::CodeList::FromEntries({{"A", "", ""}, {"A1", "A", ""}, {"A2", "A", ""}}).value();
  const auto trained = TrainThroughCrosswalk(old, OldToNew(), TestOptions(), &codes, 0);
  EXPECT_EQ(trained.status().code(), core::StatusCode::kInvalidInput);
  EXPECT_NE(trained.status().message().find("'B1' is not in the code list"), std::string::npos);
}

TEST(SoftLabelsTest, FixedSoftLabelsLeaveTheModelUnsure) {
  // Every record of one text carries A1 and A2 half each: the model learns just that.
  data::Dataset ds = TestDataset(30);
  SoftLabels soft;
  soft.by_record.resize(ds.records.size());
  for (size_t i = 0; i < ds.records.size(); ++i) {
    if (ds.records[i].label == "A1") {
      ds.records[i].texts = {"orchard juice"};
      soft.by_record[i] = {{"A1", 0.5}, {"A2", 0.5}};
    }
  }
  TrainOptions options = TestOptions();
  options.epochs = 20;
  options.calibration_folds = 0;
  options.refit = false;
  const auto trained = Train(ds, options, nullptr, nullptr, &soft);
  ASSERT_TRUE(trained.ok()) << trained.status().message();
  auto model = Model::Create(*trained).value();
  Predictor predictor(model);
  Prediction p;
  const std::vector<std::string_view> texts = {"orchard juice"};
  ASSERT_TRUE(predictor.Predict(text::RecordView{texts, {}, {}}, 2, &p).ok());
  EXPECT_LT(p.top[0].probability, 0.75);
  EXPECT_GT(p.top[1].probability, 0.25);
}

TEST(SoftLabelsTest, MalformedSoftLabelsAreRejected) {
  const data::Dataset ds = TestDataset(5);
  for (const auto& targets : std::vector<std::vector<std::pair<std::string, double>>>{
           {{"A1", 0.5}, {"A2", 0.2}},  // does not sum to 1
           {{"A2", 0.5}, {"B1", 0.5}},  // the record's label (A1) is not among them
           {{"A1", 1.5}, {"A2", -0.5}},
           {{"", 1.0}}}) {
    SoftLabels soft;
    soft.by_record = {targets};
    EXPECT_EQ(Train(ds, TestOptions(), nullptr, nullptr, &soft).status().code(),
              core::StatusCode::kInvalidArgument);
  }
  SoftLabels too_many;
  too_many.by_record.resize(ds.records.size() + 1);
  EXPECT_FALSE(Train(ds, TestOptions(), nullptr, nullptr, &too_many).ok());
}

}  // namespace
}  // namespace statcoder::model
