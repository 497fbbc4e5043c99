// The route handlers without sockets (routes.h): a real workspace, code list, served-model slot
// and review writer, and HttpRequest/HttpResponse values in place of a connection.
#include "server/routes.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "server/route_support.h"

namespace statcoder::server {
namespace {

using json = nlohmann::json;

class RoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/statcoder_routes_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    workspace::InitOptions init;
    init.config.schema.text_fields = {"title"};
    init.config.schema.label_field = "code";
    init.actor = "alice";
    ASSERT_TRUE(workspace::Workspace::Init(dir_ + "/ws", init).ok());
    auto ws = workspace::Workspace::Open(dir_ + "/ws", "alice");
    ASSERT_TRUE(ws.ok()) << ws.status().ToString();
    writer_ = std::make_unique<ReviewWriter>(std::move(*ws), ReviewWriterOptions{},
                                             [](json) {});
    auto codes = data::CodeList::FromEntries(
        {{"A", "", "Retail"}, {"A1", "A", "Shop clerks"}, {"A2", "A", "Cashiers"}});
    ASSERT_TRUE(codes.ok()) << codes.status().ToString();
    ctx_.reset(new RouteContext{options_, dir_ + "/ws", {}, 
                                std::make_shared<const data::CodeList>(std::move(*codes)),
                                served_, *writer_, metrics_, 1});
  }
  void TearDown() override {
    writer_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string dir_;
  ServerOptions options_;
  ServedModel served_{nullptr};
  Metrics metrics_;
  std::unique_ptr<ReviewWriter> writer_;
  std::unique_ptr<RouteContext> ctx_;
};

TEST_F(RoutesTest, CodeListSearchAndLookupAnswerJson) {
  HttpRequest req;
  req.params.emplace("q", "CLERK");
  HttpResponse res;
  ASSERT_TRUE(SearchCodes(*ctx_, req, res).ok());
  EXPECT_EQ(res.status, 200);
  const json found = json::parse(res.body);
  ASSERT_EQ(found["results"].size(), 1u);
  EXPECT_EQ(found["results"][0]["code"], "A1");

  req = HttpRequest();
  req.matches = {"/v1/codelist/A2", "A2"};
  res = HttpResponse();
  ASSERT_TRUE(GetCode(*ctx_, req, res).ok());
  EXPECT_EQ(json::parse(res.body)["parent"], "A");

  req.matches = {"/v1/codelist/A/children", "A"};
  res = HttpResponse();
  ASSERT_TRUE(CodeChildren(*ctx_, req, res).ok());
  EXPECT_EQ(json::parse(res.body)["children"].size(), 2u);

  req.matches = {"/v1/codelist/Z9", "Z9"};
  const core::Status missing = GetCode(*ctx_, req, res);
  EXPECT_EQ(missing.code(), core::StatusCode::kNotFound);
  EXPECT_EQ(HttpStatusFor(missing.code()), 404);
  EXPECT_EQ(SearchCodes(*ctx_, HttpRequest(), res).code(), core::StatusCode::kInvalidArgument);
}

TEST_F(RoutesTest, CodingNeedsAValidBodyThenAProductionModel) {
  HttpRequest req;
  req.body = R"({"records": [{"title": "x"})";
  HttpResponse res;
  EXPECT_EQ(CodeRecords(*ctx_, req, res).code(), core::StatusCode::kInvalidArgument);
  req.body = R"({"records": [{"title": "shop clerk"}]})";
  const core::Status none = CodeRecords(*ctx_, req, res);
  EXPECT_EQ(none.code(), core::StatusCode::kFailedPrecondition);
  EXPECT_EQ(HttpStatusFor(none.code()), 409);
  EXPECT_NE(none.message().find("no production model"), std::string::npos) << none.message();
  req.body = R"({"record": {"title": "shop clerk"}, "top_k": 500})";
  EXPECT_EQ(ExplainRecord(*ctx_, req, res).code(), core::StatusCode::kInvalidArgument);
}

TEST_F(RoutesTest, ReviewQueueRefusesAnUnknownQueueAndAnEmptyOneAnswersNull) {
  store::UserRow coder;
  coder.name = "carol";
  coder.role = "coder";
  HttpRequest req;
  req.params.emplace("queue", "everything");
  HttpResponse res;
  EXPECT_EQ(NextReviewItem(*ctx_, req, res, coder).code(), core::StatusCode::kInvalidArgument);
  req.params = {{"queue", "supervisor"}};
  ASSERT_TRUE(NextReviewItem(*ctx_, req, res, coder).ok());
  EXPECT_EQ(res.status, 403);  // a coder may not take the supervisor queue
  req.params.clear();
  res = HttpResponse();
  ASSERT_TRUE(NextReviewItem(*ctx_, req, res, coder).ok());
  EXPECT_EQ(res.status, 200);
  EXPECT_TRUE(json::parse(res.body)["item"].is_null());
}

}  // namespace
}  // namespace statcoder::server
