#include "model/model_io.h"

#include <gtest/gtest.h>

#include <cstring>

#include "core/file_util.h"
#include "model/trainer.h"
#include "test_data.h"

namespace statcoder::model {
namespace {

std::string TrainedBytes() {
  const data::CodeList codes = testing::TestCodeList();
  TrainOptions options = testing::TestOptions();
  options.deterministic = true;
  auto trained = Train(testing::TestDataset(40), options, &codes);
  EXPECT_TRUE(trained.ok());
  auto bytes = SerializeModel(*trained);
  EXPECT_TRUE(bytes.ok());
  return *bytes;
}

TEST(ModelIoTest, SaveLoadRoundTripIsExact) {
  const std::string bytes = TrainedBytes();
  auto data = DeserializeModel(bytes, "mem");
  ASSERT_TRUE(data.ok()) << data.status().ToString();
  auto again = SerializeModel(*data);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, bytes);
  ASSERT_TRUE(data->code_list.has_value());
  EXPECT_EQ(data->code_list->size(), 6u);
  EXPECT_EQ(data->labels, (std::vector<std::string>{"A1", "A2", "B1", "B2"}));
}

TEST(ModelIoTest, CodeListLevelNamesSurviveSaveAndLoad) {
  auto codes = data::CodeList::FromEntries(testing::TestCodeList().ToEntries(),
                                           {"sector", "industry"});
  ASSERT_TRUE(codes.ok()) << codes.status().ToString();
  TrainOptions options = testing::TestOptions();
  options.deterministic = true;
  auto trained = Train(testing::TestDataset(40), options, &*codes);
  ASSERT_TRUE(trained.ok()) << trained.status().ToString();
  auto bytes = SerializeModel(*trained);
  ASSERT_TRUE(bytes.ok());
  auto data = DeserializeModel(*bytes, "mem");
  ASSERT_TRUE(data.ok()) << data.status().ToString();
  ASSERT_TRUE(data->code_list.has_value());
  EXPECT_EQ(data->code_list->level_names(), (std::vector<std::string>{"sector", "industry"}));
  EXPECT_EQ(data->code_list->Fingerprint(), codes->Fingerprint());
}

TEST(ModelIoTest, FileRoundTripKeepsTheVersionId) {
  const std::string path = ::testing::TempDir() + "/statcoder_model_io_test.stc";
  const data::CodeList codes = testing::TestCodeList();
  auto trained = Train(testing::TestDataset(40), testing::TestOptions(), &codes);
  ASSERT_TRUE(trained.ok());
  auto version = SaveModel(*trained, path);
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(version->size(), 16u);
  auto loaded = LoadModel(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ((*loaded)->version_id(), *version);
  std::remove(path.c_str());
}

TEST(ModelIoTest, TruncatedFileIsDataLoss) {
  const std::string bytes = TrainedBytes();
  for (size_t keep : {size_t{0}, size_t{7}, size_t{30}, bytes.size() / 2, bytes.size() - 1}) {
    auto data = DeserializeModel(bytes.substr(0, keep), "cut.stc");
    ASSERT_FALSE(data.ok()) << keep;
    EXPECT_EQ(data.status().code(), core::StatusCode::kDataLoss) << keep;
    EXPECT_NE(data.status().message().find("cut.stc"), std::string::npos);
  }
}

TEST(ModelIoTest, FlippedByteFailsTheChecksum) {
  std::string bytes = TrainedBytes();
  bytes[bytes.size() / 2] ^= 0x20;
  auto data = DeserializeModel(bytes, "bad.stc");
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status().code(), core::StatusCode::kDataLoss);
  EXPECT_NE(data.status().message().find("checksum"), std::string::npos);
}

TEST(ModelIoTest, NewerMajorVersionIsRefusedClearly) {
  std::string bytes = TrainedBytes();
  const uint32_t newer = kModelFormatMajor + 1;
  std::memcpy(bytes.data() + 8, &newer, 4);
  auto data = DeserializeModel(bytes, "new.stc");
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status().code(), core::StatusCode::kUnsupportedVersion);
  EXPECT_NE(data.status().message().find("upgrade statcoder"), std::string::npos);
}

TEST(ModelIoTest, NotAModelIsRecognised) {
  auto data = DeserializeModel("row_id\ttext\tcode\n", "coded.tsv");
  ASSERT_FALSE(data.ok());
  EXPECT_NE(data.status().message().find("not a statcoder model"), std::string::npos);
}

TEST(ModelIoTest, MissingFileIsNotFound) {
  auto model = LoadModel("/nonexistent/model.stc");
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), core::StatusCode::kNotFound);
}

}  // namespace
}  // namespace statcoder::model
