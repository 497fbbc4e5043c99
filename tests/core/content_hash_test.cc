#include "core/content_hash.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "core/file_util.h"

namespace statcoder::core {
namespace {

TEST(ContentHashTest, Sha256MatchesKnownVector) {
  EXPECT_EQ(Sha256Hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ContentHashTest, StreamingEqualsOneShot) {
  ContentHasher h;
  h.Update("a");
  h.Update("bc");
  EXPECT_EQ(h.FinishHex(), Sha256Hex("abc"));
}

TEST(FileUtilTest, AtomicWriteThenReadRoundTrips) {
  const std::string path = ::testing::TempDir() + "/statcoder_file_util_test.bin";
  ASSERT_TRUE(WriteFileAtomic(path, std::string("x\0y", 3)).ok());
  auto read = ReadFile(path);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(*read, std::string("x\0y", 3));
  auto hashed = Sha256File(path);
  ASSERT_TRUE(hashed.ok());
  EXPECT_EQ(*hashed, Sha256Hex(std::string("x\0y", 3)));
  std::remove(path.c_str());
}

TEST(FileUtilTest, MissingFileIsNotFound) {
  auto read = ReadFile("/nonexistent/statcoder/file");
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace statcoder::core
