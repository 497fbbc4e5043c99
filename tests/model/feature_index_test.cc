#include "model/feature_index.h"

#include <gtest/gtest.h>

namespace statcoder::model {
namespace {

TEST(FeatureIndexTest, FindsEveryIdAndRejectsOthers) {
  std::vector<uint64_t> ids;
  std::vector<float> idf;
  for (uint64_t i = 0; i < 1000; ++i) {
    ids.push_back(i * 7919 + 3);
    idf.push_back(static_cast<float>(i));
  }
  FeatureIndex index(ids, idf);
  for (size_t row = 0; row < ids.size(); ++row) EXPECT_EQ(index.Find(ids[row]), int64_t(row));
  EXPECT_EQ(index.Find(1), -1);
  EXPECT_EQ(index.Find(7919 * 1000 + 3), -1);
  EXPECT_EQ(FeatureIndex().Find(3), -1);
}

}  // namespace
}  // namespace statcoder::model
