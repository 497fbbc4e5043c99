#include "model/model_io.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
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

TEST(ModelIoTest, LevelCalibrationSurvivesSaveAndLoadAndIsChecked) {
  auto data = DeserializeModel(TrainedBytes(), "mem");
  ASSERT_TRUE(data.ok()) << data.status().ToString();
  data->level_calibration = {LevelCalibration{0.7, -0.25}};
  auto bytes = SerializeModel(*data);
  ASSERT_TRUE(bytes.ok());
  auto again = DeserializeModel(*bytes, "mem");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  ASSERT_EQ(again->level_calibration.size(), 1u);
  EXPECT_DOUBLE_EQ(again->level_calibration[0].slope, 0.7);
  EXPECT_DOUBLE_EQ(again->level_calibration[0].offset, -0.25);

  data->level_calibration = {LevelCalibration{-1.0, 0.0}};  // decreasing: would reorder nodes
  bytes = SerializeModel(*data);
  ASSERT_TRUE(bytes.ok());
  auto bad = DeserializeModel(*bytes, "mem");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("level calibration"), std::string::npos);
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

// A file of `size` bytes (sparse: only `head` is written), for the checks made before reading.
std::string SparseFile(const std::string& name, const std::string& head, uint64_t size) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::remove(path.c_str());
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(::write(fd, head.data(), head.size()), static_cast<ssize_t>(head.size()));
  EXPECT_EQ(::ftruncate(fd, static_cast<off_t>(size)), 0);
  ::close(fd);
  return path;
}

// Magic, version 1.2 and a payload length that matches a file of `size` bytes.
std::string PlausibleHeader(uint64_t size) {
  std::string head = "STCMODEL";
  const uint32_t major = 1, minor = 2;
  const uint64_t payload = size - 24 - 32;
  head.append(reinterpret_cast<const char*>(&major), 4);
  head.append(reinterpret_cast<const char*>(&minor), 4);
  head.append(reinterpret_cast<const char*>(&payload), 8);
  return head;
}

TEST(ModelIoTest, DeviceIsRefusedBeforeAnyRead) {
  // /dev/zero never ends: reading it first would never return.
  auto model = LoadModel("/dev/zero");
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(model.status().message().find("character device"), std::string::npos)
      << model.status().message();
  EXPECT_NE(model.status().message().find("/dev/zero"), std::string::npos);
}

TEST(ModelIoTest, PipeIsRefusedWithoutWaitingForAWriter) {
  const std::string path = ::testing::TempDir() + "/statcoder_model_io_fifo.stc";
  std::remove(path.c_str());
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  auto model = LoadModel(path);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(model.status().message().find("a pipe"), std::string::npos) << model.status().message();
  std::remove(path.c_str());
}

TEST(ModelIoTest, HugeSparseFileIsRefusedFromItsFirstBytes) {
  const std::string path = SparseFile("statcoder_model_io_sparse.stc", "", uint64_t{2} << 30);
  auto model = LoadModel(path);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), core::StatusCode::kDataLoss);
  EXPECT_NE(model.status().message().find("bad magic"), std::string::npos)
      << model.status().message();
  std::remove(path.c_str());
}

TEST(ModelIoTest, HugeFileWithAPlausibleHeaderIsRefusedAtItsFirstSection) {
  // Magic, version and payload length all agree with the 2 GiB size; the zeros after them are
  // no section. Refused at the first section header, not after reading and hashing the file
  // (which would end in "checksum mismatch").
  const uint64_t size = uint64_t{2} << 30;
  const std::string path =
      SparseFile("statcoder_model_io_sparse_header.stc", PlausibleHeader(size), size);
  auto model = LoadModel(path);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), core::StatusCode::kDataLoss);
  EXPECT_NE(model.status().message().find("section 1 at payload byte 0 has tag"),
            std::string::npos)
      << model.status().message();
  std::remove(path.c_str());
}

TEST(ModelIoTest, SectionLongerThanTheFileIsRefusedBeforeReading) {
  std::string bytes = TrainedBytes();
  const uint64_t huge = uint64_t{1} << 40;
  std::memcpy(bytes.data() + 24 + 4, &huge, 8);  // the first section's (META) length
  const std::string path = ::testing::TempDir() + "/statcoder_model_io_long_section.stc";
  ASSERT_TRUE(core::WriteFileAtomic(path, bytes).ok());
  auto model = LoadModel(path);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), core::StatusCode::kDataLoss);
  EXPECT_NE(model.status().message().find("section META declares 1099511627776 bytes"),
            std::string::npos)
      << model.status().message();
  // From memory the checksum is checked first, and fails.
  auto data = DeserializeModel(bytes, "long.stc");
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.status().code(), core::StatusCode::kDataLoss);
  std::remove(path.c_str());
}

TEST(ModelIoTest, FileOfAnotherLengthThanItsHeaderSaysIsRefused) {
  const std::string bytes = TrainedBytes();
  const std::string path = ::testing::TempDir() + "/statcoder_model_io_trailing.stc";
  ASSERT_TRUE(core::WriteFileAtomic(path, bytes + "extra").ok());
  auto model = LoadModel(path);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), core::StatusCode::kDataLoss);
  EXPECT_NE(model.status().message().find("payload length"), std::string::npos);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace statcoder::model
