#include "core/result.h"
#include "core/status.h"

#include <gtest/gtest.h>

#include <set>

namespace statcoder::core {
namespace {

Result<int> Half(int x) {
  if (x % 2) return InvalidArgument("odd number " + std::to_string(x));
  return x / 2;
}

Status Quarter(int x, int* out) {
  ASSIGN_OR_RETURN(int h, Half(x));
  ASSIGN_OR_RETURN(*out, Half(h));
  return Status::Ok();
}

TEST(StatusTest, DefaultIsOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "ok");
}

TEST(StatusTest, ToStringNamesTheCode) {
  Status s = InvalidInput("a.tsv:3: column 'code': empty label");
  EXPECT_EQ(s.ToString(), "invalid_input: a.tsv:3: column 'code': empty label");
}

TEST(StatusTest, WithContextKeepsTheCode) {
  Status s = NotFound("no such column").WithContext("b.csv");
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "b.csv: no such column");
}

TEST(ResultTest, AssignOrReturnPropagatesErrors) {
  int out = 0;
  EXPECT_TRUE(Quarter(8, &out).ok());
  EXPECT_EQ(out, 2);
  Status s = Quarter(6, &out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "odd number 3");
}

TEST(StatusTest, EveryCodeHasADistinctName) {
  std::set<std::string_view> names;
  for (int c = 0; c <= static_cast<int>(StatusCode::kInternal); ++c) {
    names.insert(StatusCodeName(static_cast<StatusCode>(c)));
  }
  EXPECT_EQ(names.size(), static_cast<size_t>(StatusCode::kInternal) + 1);
}

}  // namespace
}  // namespace statcoder::core
