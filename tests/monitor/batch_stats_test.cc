#include "monitor/batch_stats.h"

#include <gtest/gtest.h>

#include "core/random.h"
#include "data/code_list.h"
#include "model/model.h"
#include "monitor/reference.h"
#include "simulate.h"

namespace statcoder::monitor {
namespace {

RecordObservation Obs(std::string_view l1, std::string_view l2, double p, model::Decision d,
                      uint32_t features, uint32_t known, int64_t length) {
  RecordObservation o;
  o.code_path = {l1, l2};
  o.top1_probability = p;
  o.decided_confidence = p;
  o.decision = d;
  o.num_features = features;
  o.known_features = known;
  o.text_length = length;
  return o;
}

TEST(BatchStatsTest, BuilderCountsEveryStatistic) {
  BatchStatsBuilder b;
  RecordObservation o = Obs("A", "A1", 0.9, model::Decision::kAuto, 10, 8, 20);
  o.categorical = {{"region", "north"}};
  b.Add(o);
  b.Add(Obs("A", "A2", 0.5, model::Decision::kReview, 4, 0, 0));
  b.Add(Obs("B", "B1", 1.0, model::Decision::kKb, 0, 0, 5000));
  const BatchStats s = std::move(b).Finish();
  EXPECT_EQ(s.records, 3);
  ASSERT_EQ(s.codes_by_level.size(), 2u);
  EXPECT_EQ(s.codes_by_level[0].at("A"), 2);
  EXPECT_EQ(s.codes_by_level[0].at("B"), 1);
  EXPECT_EQ(s.codes_by_level[1].at("A2"), 1);
  EXPECT_EQ(s.confidence_hist[18], 1);  // 0.9
  EXPECT_EQ(s.confidence_hist[10], 1);  // 0.5
  EXPECT_EQ(s.confidence_hist[19], 1);  // 1.0 goes in the last bin
  EXPECT_DOUBLE_EQ(s.sum_top1, 2.4);
  EXPECT_DOUBLE_EQ(s.sum_top1_var, 0.9 * 0.1 + 0.25);
  EXPECT_EQ(s.auto_records, 1);
  EXPECT_EQ(s.kb_records, 1);
  EXPECT_EQ(s.review_records, 1);
  EXPECT_DOUBLE_EQ(s.sum_auto_confidence, 0.9);
  EXPECT_EQ(s.sum_features, 14);
  EXPECT_EQ(s.sum_unseen_features, 6);
  EXPECT_DOUBLE_EQ(s.sum_unseen_fraction, 0.2);  // only records with a known feature
  EXPECT_EQ(s.no_known_feature_records, 2);
  EXPECT_EQ(s.text_length_hist[0], 1);
  EXPECT_EQ(s.text_length_hist[static_cast<size_t>(TextLengthBin(20))], 1);
  EXPECT_EQ(s.text_length_hist[kTextLengthBins - 1], 1);
  EXPECT_EQ(s.categorical.at("region").at("north"), 1);
  EXPECT_NEAR(s.MeanTop1(), 0.8, 1e-12);
  EXPECT_NEAR(s.UnseenFeatureShare(), 6.0 / 14, 1e-12);
}

TEST(BatchStatsTest, BinsHaveDocumentedEdges) {
  EXPECT_EQ(ConfidenceBin(0.0), 0);
  EXPECT_EQ(ConfidenceBin(0.0499), 0);
  EXPECT_EQ(ConfidenceBin(0.05), 1);
  EXPECT_EQ(ConfidenceBin(1.0), kConfidenceBins - 1);
  EXPECT_EQ(ConfidenceBin(-3), 0);
  EXPECT_EQ(TextLengthBin(0), 0);
  EXPECT_EQ(TextLengthBin(1), 1);
  EXPECT_EQ(TextLengthBin(3), 1);
  EXPECT_EQ(TextLengthBin(4), 2);
  EXPECT_EQ(TextLengthBin(2047), kTextLengthBins - 2);
  EXPECT_EQ(TextLengthBin(1 << 20), kTextLengthBins - 1);
}

TEST(BatchStatsTest, CategoricalValuesAreCappedWithOther) {
  BatchStatsBuilder b;
  std::vector<std::string> values;
  for (int i = 0; i < 500; ++i) values.push_back("v" + std::to_string(i));
  for (int i = 0; i < 500; ++i) {
    RecordObservation o = Obs("A", "A1", 0.5, model::Decision::kReview, 1, 1, 1);
    o.categorical = {{"f", values[static_cast<size_t>(i)]}};
    b.Add(o);
    if (i < 10) b.Add(o);  // the first ten are the most frequent
  }
  const BatchStats s = std::move(b).Finish();
  const CountMap& f = s.categorical.at("f");
  EXPECT_EQ(f.size(), kMaxCategoricalValues);
  int64_t total = 0;
  for (const auto& [value, count] : f) total += count;
  EXPECT_EQ(total, 510);
  EXPECT_EQ(f.at("v3"), 2);
  EXPECT_EQ(f.at(std::string(kOtherValue)), 500 - 10 - (200 - 1 - 10));
}

TEST(BatchStatsTest, MergeEqualsBuildingTogether) {
  const testing::World w = testing::DefaultWorld();
  core::Random rng_a(7), rng_b(7);
  BatchStats first = testing::SimulateBatch(w, 300, rng_a);
  const BatchStats second = testing::SimulateBatch(w, 200, rng_a);
  const BatchStats all = testing::SimulateBatch(w, 500, rng_b);
  first.Merge(second);
  EXPECT_EQ(first.records, all.records);
  EXPECT_EQ(first.codes_by_level, all.codes_by_level);
  EXPECT_EQ(first.confidence_hist, all.confidence_hist);
  EXPECT_EQ(first.text_length_hist, all.text_length_hist);
  EXPECT_EQ(first.categorical, all.categorical);
  EXPECT_EQ(first.sum_unseen_features, all.sum_unseen_features);
  EXPECT_EQ(first.auto_records, all.auto_records);
  EXPECT_NEAR(first.sum_top1, all.sum_top1, 1e-9);
  EXPECT_NEAR(first.sum_top1_var, all.sum_top1_var, 1e-9);
}

TEST(BatchStatsTest, JsonRoundTripIsExact) {
  core::Random rng(11);
  const BatchStats s = testing::SimulateBatch(testing::DefaultWorld(), 400, rng);
  const nlohmann::json j = s.ToJson();
  EXPECT_EQ(j.at("format"), "statcoder.batch_stats");
  core::Result<BatchStats> back = BatchStats::FromJson(nlohmann::json::parse(j.dump()));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, s);
  EXPECT_EQ(back->ToJson().dump(), j.dump());
}

TEST(BatchStatsTest, FromJsonRejectsMalformedDocuments) {
  core::Random rng(3);
  const nlohmann::json good = testing::SimulateBatch(testing::DefaultWorld(), 50, rng).ToJson();
  const auto expect_invalid = [](nlohmann::json j, core::StatusCode code) {
    core::Result<BatchStats> r = BatchStats::FromJson(j);
    ASSERT_FALSE(r.ok()) << j.dump();
    EXPECT_EQ(r.status().code(), code) << r.status().ToString();
  };
  nlohmann::json j = good;
  j["version"] = 2;
  expect_invalid(j, core::StatusCode::kUnsupportedVersion);
  j = good;
  j["records"] = -1;
  expect_invalid(j, core::StatusCode::kInvalidInput);
  j = good;
  j["confidence_hist"].erase(0);
  expect_invalid(j, core::StatusCode::kInvalidInput);
  j = good;
  j["decisions"]["auto"] = j["decisions"]["auto"].get<int64_t>() + 1;
  expect_invalid(j, core::StatusCode::kInvalidInput);
  j = good;
  j["codes_by_level"][0]["ZZ"] = 1000;
  expect_invalid(j, core::StatusCode::kInvalidInput);
  j = good;
  j.erase("features");
  expect_invalid(j, core::StatusCode::kInvalidInput);
  j = good;
  j["sum_top1"] = "x";
  expect_invalid(j, core::StatusCode::kInvalidInput);
  // Per-code confidence: each code's histogram must sum to its count in codes_by_level.
  const std::string code = good["confidence_by_code"][1].begin().key();
  j = good;
  j["confidence_by_code"][1][code][0] = j["confidence_by_code"][1][code][0].get<int64_t>() + 1;
  expect_invalid(j, core::StatusCode::kInvalidInput);
  j = good;
  j["confidence_by_code"][0]["ZZ"] = std::vector<int64_t>(kConfidenceBins, 0);
  j["confidence_by_code"][0]["ZZ"][3] = 1;
  expect_invalid(j, core::StatusCode::kInvalidInput);
  j = good;
  j["confidence_by_code"][1][code].erase(0);
  expect_invalid(j, core::StatusCode::kInvalidInput);
  j = good;
  j["confidence_by_code"].push_back(nlohmann::json::object());
  expect_invalid(j, core::StatusCode::kInvalidInput);
  expect_invalid(nlohmann::json::array(), core::StatusCode::kInvalidInput);
}

TEST(BatchStatsTest, ConfidenceByCodeIsKeptForTheTopTwoLevelsAndOptionalInJson) {
  BatchStatsBuilder builder;
  RecordObservation obs;
  obs.code_path = {"2", "21", "213", "2134"};
  obs.top1_probability = 0.12;
  builder.Add(obs);
  obs.top1_probability = 0.97;
  builder.Add(obs);
  obs.code_path = {"3", "31", "311", "3111"};
  builder.Add(obs);
  BatchStats s = std::move(builder).Finish();
  ASSERT_EQ(s.confidence_by_code.size(), 2u);
  EXPECT_EQ(s.confidence_by_code[1].at("21")[2], 1);
  EXPECT_EQ(s.confidence_by_code[1].at("21")[19], 1);
  EXPECT_EQ(s.confidence_by_code[0].at("3")[19], 1);
  BatchStats twice = s;
  twice.Merge(s);
  EXPECT_EQ(twice.confidence_by_code[0].at("2")[2], 2);
  // A summary written before the joint counts were kept reads with none.
  nlohmann::json j = s.ToJson();
  j.erase("confidence_by_code");
  core::Result<BatchStats> old = BatchStats::FromJson(j);
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  EXPECT_TRUE(old->confidence_by_code.empty());
}

TEST(ReferenceTest, BuilderCountsLabelsAndJsonRoundTrips) {
  core::Random rng(5);
  const Reference ref = testing::SimulateReference(testing::DefaultWorld(), 1000, rng);
  EXPECT_EQ(ref.heldout_n, 1000);
  EXPECT_EQ(ref.stats.records, 1000);
  EXPECT_EQ(ref.auto_n, ref.stats.auto_records);
  EXPECT_NEAR(ref.HeldoutAccuracy(), 0.8, 0.04);
  core::Result<Reference> back = Reference::FromJson(nlohmann::json::parse(ref.ToJson().dump()));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, ref);
  nlohmann::json bad = ref.ToJson();
  bad["heldout_correct"] = 1001;
  EXPECT_EQ(Reference::FromJson(bad).status().code(), core::StatusCode::kInvalidInput);
  bad = ref.ToJson();
  bad["stats"]["records"] = "many";
  EXPECT_EQ(Reference::FromJson(bad).status().code(), core::StatusCode::kInvalidInput);
}

// A model with labels and a code list but no features: enough for ObservePrediction.
std::shared_ptr<const model::Model> TinyModel(bool with_code_list) {
  model::ModelData d;
  d.featurizer.text_fields = {"text"};
  d.labels = {"111", "112", "21"};
  if (with_code_list) {
    core::Result<data::CodeList> codes = data::CodeList::FromEntries({{"1", "", ""},
                                                                      {"11", "1", ""},
                                                                      {"111", "11", ""},
                                                                      {"112", "11", ""},
                                                                      {"2", "", ""},
                                                                      {"21", "2", ""}});
    EXPECT_TRUE(codes.ok()) << codes.status().ToString();
    d.code_list = std::move(*codes);
  }
  d.linear.num_outputs = 3;
  d.linear.row_offsets = {0};
  d.linear.bias = {0, 0, 0};
  core::Result<std::shared_ptr<const model::Model>> m = model::Model::Create(std::move(d));
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? *m : nullptr;
}

TEST(ObservePredictionTest, FillsCodePathFromTheCodeList) {
  const auto hierarchical = TinyModel(true);
  ASSERT_NE(hierarchical, nullptr);
  model::Prediction p;
  p.top = {{.label = 1, .probability = 0.7f}, {.label = 0, .probability = 0.2f}};
  p.code = "11";
  p.level = 2;
  p.confidence = 0.9;
  p.decision = model::Decision::kAuto;
  p.num_features = 12;
  p.known_features = 9;
  RecordObservation obs;
  obs.text_length = 42;
  ObservePrediction(*hierarchical, p, &obs);
  EXPECT_EQ(obs.code_path, (std::vector<std::string_view>{"1", "11", "112"}));
  EXPECT_FLOAT_EQ(static_cast<float>(obs.top1_probability), 0.7f);
  EXPECT_EQ(obs.decision, model::Decision::kAuto);
  EXPECT_DOUBLE_EQ(obs.decided_confidence, 0.9);
  EXPECT_EQ(obs.num_features, 12u);
  EXPECT_EQ(obs.known_features, 9u);
  EXPECT_EQ(obs.text_length, 42);  // left alone

  const auto flat = TinyModel(false);
  ASSERT_NE(flat, nullptr);
  p.top = {{.label = 2, .probability = 0.5f}};
  ObservePrediction(*flat, p, &obs);
  EXPECT_EQ(obs.code_path, (std::vector<std::string_view>{"21"}));
  p.top.clear();
  ObservePrediction(*flat, p, &obs);
  EXPECT_TRUE(obs.code_path.empty());
  EXPECT_EQ(obs.top1_probability, 0);
}

}  // namespace
}  // namespace statcoder::monitor
