// The POST /v1/code wire format without a server: request bodies read into columns (with the
// errors a client sees) and results written as the JSON a dumped document would be.
#include "server/code_request.h"

#include <gtest/gtest.h>

#include <limits>
#include <nlohmann/json.hpp>
#include <string>

namespace statcoder::server {
namespace {

using json = nlohmann::json;

std::string ErrorOf(std::string_view body, size_t max_records = 100) {
  core::Result<CodeRequest> r = ParseCodeRequest(body, max_records);
  EXPECT_FALSE(r.ok()) << body;
  return r.ok() ? "" : r.status().message();
}

TEST(ParseCodeRequest, ReadsABatchIntoColumns) {
  core::Result<CodeRequest> r = ParseCodeRequest(
      R"({"records": [{"title": "nurse", "n": 3}, {"title": "baker", "id": "b", "x": null},
                      {"n": 1.50, "title": "é"}], "top_k": 3, "explain": true,
          "ignored": {"deep": [1, {"a": "b"}]}})",
      100);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const data::Table& t = r->table;
  EXPECT_EQ(t.num_rows, 3u);
  EXPECT_EQ(r->top_k, 3);
  EXPECT_TRUE(r->explain);
  ASSERT_EQ(t.header, (std::vector<std::string>{"id", "n", "title", "x"}));
  EXPECT_EQ(t.values[0], (std::vector<std::string>{"", "b", ""}));
  EXPECT_EQ(t.values[1], (std::vector<std::string>{"3", "", "1.5"}));
  EXPECT_EQ(t.values[2], (std::vector<std::string>{"nurse", "baker", "é"}));
  EXPECT_EQ(t.values[3], (std::vector<std::string>{"", "", ""}));
  EXPECT_EQ(t.row_name(1), "record 2");
  EXPECT_EQ(r->RecordJson(1), (json{{"id", "b"}, {"title", "baker"}}));
}

TEST(ParseCodeRequest, ReadsOneRecordWithDefaults) {
  core::Result<CodeRequest> r = ParseCodeRequest(R"({"record": {"title": "nurse"}})", 100);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->table.num_rows, 1u);
  EXPECT_EQ(r->top_k, 5);
  EXPECT_FALSE(r->explain);
}

TEST(ParseCodeRequest, ErrorsNameTheRecordAndField) {
  EXPECT_EQ(ErrorOf("[1]"), "request body must be a JSON object");
  EXPECT_EQ(ErrorOf(R"({"records": [{"a": "x"}, 1]})"), "record 2 is not a JSON object");
  EXPECT_EQ(ErrorOf(R"({"records": [{"title": {"a": 1}}]})"),
            "record 1, field 'title': must be a string, a number or null");
  EXPECT_EQ(ErrorOf(R"({"records": [{"a": "x"}, {"title": [1]}]})"),
            "record 2, field 'title': must be a string, a number or null");
  EXPECT_EQ(ErrorOf(R"({"records": [{"title": true}]})"),
            "record 1, field 'title': must be a string, a number or null, not true or false");
  EXPECT_EQ(ErrorOf(R"({"records": []})"), "\"records\" is empty");
  EXPECT_NE(ErrorOf(R"({"title": "x"})").find("needs \"records\""), std::string::npos);
  EXPECT_NE(ErrorOf(R"({"records": "x"})").find("needs \"records\""), std::string::npos);
  for (const char* bad : {R"({"record": {"a": "b"}, "top_k": 0})",
                          R"({"record": {"a": "b"}, "top_k": 101})",
                          R"({"record": {"a": "b"}, "top_k": 2.5})",
                          R"({"record": {"a": "b"}, "top_k": "3"})",
                          R"({"record": {"a": "b"}, "top_k": 99999999999999999999})"}) {
    EXPECT_EQ(ErrorOf(bad), "'top_k' must be an integer in 1..100") << bad;
  }
  EXPECT_EQ(ErrorOf(R"({"record": {"a": "b"}, "explain": 1})"),
            "'explain' must be true or false");
}

TEST(ParseCodeRequest, InvalidUtf8AndTruncatedJsonAreLocated) {
  const std::string bad_utf8 = "{\"records\": [{\"title\": \"ok\"}, {\"title\": \"\xff\"}]}";
  const std::string e = ErrorOf(bad_utf8);
  EXPECT_NE(e.find("record 2, field 'title': not valid UTF-8"), std::string::npos) << e;
  const std::string t = ErrorOf(R"({"records": [{"title": "x"})");
  EXPECT_NE(t.find("request body: not valid JSON"), std::string::npos) << t;
  EXPECT_NE(ErrorOf(R"({"records": [{"title": "x"}]} trailing)").find("not valid JSON"),
            std::string::npos);
}

TEST(ParseCodeRequest, StopsAtTheRecordLimit) {
  core::Result<CodeRequest> r =
      ParseCodeRequest(R"({"records": [{"a": "1"}, {"a": "2"}, {"a": "3"}]})", 2);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), core::StatusCode::kLimitExceeded);
  EXPECT_TRUE(ParseCodeRequest(R"({"records": [{"a": "1"}, {"a": "2"}]})", 2).ok());
}

TEST(AppendJson, StringsAndNumbersReadBackAsNlohmannWritesThem) {
  for (const std::string& s :
       {std::string("plain"), std::string("quote \" and \\ back"), std::string("tab\tnl\ncr\r"),
        std::string("ctl \x01\x1f end"), std::string("ünïcode ✓"), std::string()}) {
    std::string out;
    AppendJsonString(&out, s);
    EXPECT_EQ(out, json(s).dump()) << s;
    EXPECT_EQ(json::parse(out).get<std::string>(), s);
  }
  for (const double v : {0.0, 1.0, 0.5, 0.127704, 1e-06, 123456.789, -2.0, 1e300}) {
    std::string out;
    AppendJsonNumber(&out, v);
    EXPECT_EQ(out, json(v).dump()) << v;
  }
  std::string nan;
  AppendJsonNumber(&nan, std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(nan, "null");
}

}  // namespace
}  // namespace statcoder::server
