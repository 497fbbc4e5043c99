// Joint models: several classifications per record, decided together over allowed tuples.
#include "model/joint_model.h"

#include <gtest/gtest.h>

#include <set>

#include "model/joint_training.h"
#include "test_data.h"

namespace statcoder::model {
namespace {

using testing::TestDataset;
using testing::TestOptions;

// The synthetic records coded in two classifications: the fine codes, and a second one whose
// code follows from the fine one (A1, A2 → X; B1 → Y; B2 → Z).
std::vector<data::Dataset> TwoClassifications(size_t per_code, uint64_t seed = 11) {
  data::Dataset fine = TestDataset(per_code, seed);
  data::Dataset second = fine;
  for (data::Record& r : second.records) {
    r.label = r.label[0] == 'A' ? "X" : (r.label == "B1" ? "Y" : "Z");
  }
  return {fine, second};
}

JointModelData TrainedJoint() {
  auto joint = TrainJoint(TwoClassifications(30), {"fine", "second"}, TestOptions(),
                          {nullptr, nullptr});
  EXPECT_TRUE(joint.ok()) << joint.status().message();
  return *std::move(joint);
}

TEST(JointModelTest, AllowedTuplesAreThoseOfTheTrainingRecords) {
  const JointModelData joint = TrainedJoint();
  EXPECT_EQ(joint.label_fields, (std::vector<std::string>{"fine", "second"}));
  ASSERT_EQ(joint.members.size(), 2u);
  EXPECT_EQ(joint.allowed, (std::vector<std::vector<std::string>>{
                               {"A1", "X"}, {"A2", "X"}, {"B1", "Y"}, {"B2", "Z"}}));
  EXPECT_EQ(joint.members[1].metadata["training_data"]["label_field"], "second");
}

TEST(JointModelTest, DecisionsAreAlwaysAllowedTuples) {
  auto model = JointModel::Create(TrainedJoint()).value();
  JointPredictor predictor(model);
  JointPrediction p;
  const std::set<std::vector<std::string>> allowed = {
      {"A1", "X"}, {"A2", "X"}, {"B1", "Y"}, {"B2", "Z"}};
  size_t hits = 0, n = 0;
  for (const auto& text : std::vector<std::string>{"apple orchard trees", "bicycle repair",
                                                   "bicycle shop sale", "cider pressing",
                                                   "local family", "apple bicycle"}) {
    const std::vector<std::string_view> texts = {text};
    ASSERT_TRUE(predictor.Predict(text::RecordView{texts, {}, {}}, &p).ok());
    EXPECT_TRUE(allowed.count(p.codes)) << text << ": " << p.codes[0] << "," << p.codes[1];
    EXPECT_GE(p.confidence, 0.0);
    EXPECT_LE(p.confidence, p.code_confidence[0] + 1e-9);  // a tuple is no surer than a part
    ++n;
    hits += text == "bicycle repair" ? p.codes == std::vector<std::string>{"B2", "Z"} : 0;
  }
  EXPECT_EQ(hits, 1u);
  // On fresh records both classifications are right as often as each member alone, or more.
  const std::vector<data::Dataset> fresh = TwoClassifications(20, 99);
  size_t joint_hits = 0;
  for (size_t i = 0; i < fresh[0].records.size(); ++i) {
    const auto& r = fresh[0].records[i];
    const std::vector<std::string_view> texts(r.texts.begin(), r.texts.end());
    ASSERT_TRUE(predictor.Predict(text::RecordView{texts, {}, {}}, &p).ok());
    joint_hits += p.codes[0] == r.label && p.codes[1] == fresh[1].records[i].label;
  }
  EXPECT_GT(static_cast<double>(joint_hits) / static_cast<double>(fresh[0].records.size()), 0.85);
}

TEST(JointModelTest, TuplesOnlyATableAllowsAreCodedButNeverAutoCoded) {
  // The table allows (B1, X), which no training record carries: "bicycle" records of B1 may
  // now be coded to it, but a person confirms such a new tuple first.
  const std::vector<std::vector<std::string>> table = {
      {"A1", "X"}, {"A2", "X"}, {"B1", "X"}, {"B2", "Z"}};
  auto trained = TrainJoint(TwoClassifications(30), {"fine", "second"}, TestOptions(),
                            {nullptr, nullptr}, nullptr, &table);
  ASSERT_TRUE(trained.ok()) << trained.status().message();
  EXPECT_EQ(trained->allowed_in_training, (std::vector<bool>{true, true, false, true}));
  // It survives the file.
  auto bytes = SerializeJointModel(*trained);
  ASSERT_TRUE(bytes.ok());
  auto read = DeserializeJointModel(*bytes, "t.stcj");
  ASSERT_TRUE(read.ok()) << read.status().message();
  EXPECT_EQ(read->allowed_in_training, trained->allowed_in_training);
  auto model = JointModel::Create(*std::move(read)).value();
  JointPredictor predictor(model);
  JointPrediction p;
  size_t new_tuples = 0;
  const std::vector<data::Dataset> fresh = TwoClassifications(10, 7);
  for (const data::Record& r : fresh[0].records) {
    const std::vector<std::string_view> texts(r.texts.begin(), r.texts.end());
    ASSERT_TRUE(predictor.Predict(text::RecordView{texts, {}, {}}, &p).ok());
    ASSERT_EQ(p.code_auto.size(), 2u);
    if (p.codes == std::vector<std::string>{"B1", "X"}) {
      ++new_tuples;
      EXPECT_FALSE(p.tuple_in_training);
      EXPECT_EQ(p.decision, Decision::kReview);
    } else {
      EXPECT_TRUE(p.tuple_in_training);
    }
    if (p.decision == Decision::kAuto) {
      EXPECT_TRUE(p.code_auto[0] && p.code_auto[1]);
    }
  }
  EXPECT_GT(new_tuples, 0u);
  // A count that does not match the tuples is damage.
  JointModelData bad = TrainedJoint();
  bad.allowed_in_training = {true};
  EXPECT_FALSE(JointModel::Create(bad).ok());
}

TEST(JointModelTest, FileRoundTripsAndDamageIsDetected) {
  const JointModelData joint = TrainedJoint();
  const std::string bytes = SerializeJointModel(joint).value();
  EXPECT_TRUE(IsJointModelBytes(bytes));
  const auto back = DeserializeJointModel(bytes, "j.stcj");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(SerializeJointModel(*back).value(), bytes);
  std::string flipped = bytes;
  flipped[bytes.size() / 2] ^= 0x01;
  EXPECT_EQ(DeserializeJointModel(flipped, "j.stcj").status().code(), core::StatusCode::kDataLoss);
  EXPECT_EQ(DeserializeJointModel(bytes.substr(0, bytes.size() - 10), "j.stcj").status().code(),
            core::StatusCode::kDataLoss);
  EXPECT_EQ(DeserializeJointModel("STCJOINT", "j.stcj").status().code(),
            core::StatusCode::kDataLoss);
  EXPECT_FALSE(DeserializeJointModel("STCMODEL........", "j.stcj").ok());
}

TEST(JointModelTest, InconsistentModelsAreRefused) {
  JointModelData joint = TrainedJoint();
  joint.allowed.push_back({"A1", "W"});  // W is not a code of the second member
  EXPECT_EQ(JointModel::Create(joint).status().code(), core::StatusCode::kDataLoss);
  joint = TrainedJoint();
  joint.allowed.push_back({"A1"});
  EXPECT_FALSE(JointModel::Create(joint).ok());
  joint = TrainedJoint();
  joint.label_fields.pop_back();
  EXPECT_FALSE(JointModel::Create(joint).ok());
  EXPECT_FALSE(TrainJoint({TestDataset(5)}, {"fine"}, TestOptions(), {nullptr}).ok());
}

}  // namespace
}  // namespace statcoder::model
