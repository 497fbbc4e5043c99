// Unit tests of the server's pure parts: the Status → HTTP table, tokens, roles, the limiter.
#include "server/auth.h"

#include <gtest/gtest.h>

#include "server/http_server.h"
#include "server/metrics.h"

namespace statcoder::server {
namespace {

using core::StatusCode;

TEST(HttpStatusTest, EveryStatusCodeHasItsHttpStatus) {
  const std::vector<std::pair<StatusCode, int>> table = {{StatusCode::kOk, 200},
                                                         {StatusCode::kInvalidArgument, 400},
                                                         {StatusCode::kInvalidInput, 400},
                                                         {StatusCode::kNotFound, 404},
                                                         {StatusCode::kAlreadyExists, 409},
                                                         {StatusCode::kFailedPrecondition, 409},
                                                         {StatusCode::kDataLoss, 500},
                                                         {StatusCode::kUnsupportedVersion, 500},
                                                         {StatusCode::kIoError, 503},
                                                         {StatusCode::kLimitExceeded, 413},
                                                         {StatusCode::kInternal, 500}};
  for (const auto& [code, http] : table) {
    EXPECT_EQ(HttpStatusFor(code), http) << core::StatusCodeName(code);
  }
  EXPECT_EQ(table.size(), static_cast<size_t>(StatusCode::kInternal) + 1);  // none forgotten
}

store::UserRow UserFor(const IssuedToken& t, const std::string& role = "coder") {
  return {.name = "ann",
          .role = role,
          .token_id = t.token_id,
          .salt = t.salt,
          .token_hash = t.token_hash,
          .disabled = false,
          .actor = "admin",
          .created_at = "t"};
}

TEST(TokenTest, IssuedTokenVerifiesAndLooksAsDocumented) {
  auto t = IssueToken();
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->token.rfind("sc_" + t->token_id + "_", 0), 0u) << t->token;
  EXPECT_EQ(t->token_id.size(), 16u);
  EXPECT_EQ(t->token.size(), 3 + 16 + 1 + 43u);  // 32 bytes, base64url without padding
  EXPECT_EQ(t->token.find(t->token_hash), std::string::npos);
  std::string_view id, secret;
  ASSERT_TRUE(SplitToken(t->token, &id, &secret));
  EXPECT_EQ(HashSecret(secret, t->salt), t->token_hash);
  EXPECT_TRUE(VerifyToken(UserFor(*t), t->token));
}

TEST(TokenTest, WrongSecretWrongSaltDisabledAndMalformedTokensFail) {
  auto t = IssueToken();
  auto other = IssueToken();
  ASSERT_TRUE(t.ok() && other.ok());
  EXPECT_NE(t->token, other->token);
  EXPECT_NE(t->salt, other->salt);
  store::UserRow user = UserFor(*t);
  std::string tampered = t->token;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(VerifyToken(user, tampered));
  EXPECT_FALSE(VerifyToken(user, other->token));
  store::UserRow resalted = user;
  resalted.salt = other->salt;  // the same secret under another salt hashes differently
  EXPECT_FALSE(VerifyToken(resalted, t->token));
  for (const char* bad : {"", "sc_", "sc_x_y", "Bearer abc", "sc_0123456789abcdef_"}) {
    EXPECT_FALSE(VerifyToken(user, bad)) << bad;
  }
  user.disabled = true;
  EXPECT_FALSE(VerifyToken(user, t->token));
}

TEST(TokenTest, DirectoryFindsEnabledUsersOnly) {
  auto a = IssueToken();
  auto b = IssueToken();
  ASSERT_TRUE(a.ok() && b.ok());
  store::UserRow disabled = UserFor(*b);
  disabled.name = "bob";
  disabled.disabled = true;
  UserDirectory dir({UserFor(*a), disabled});
  ASSERT_NE(dir.Verify(a->token), nullptr);
  EXPECT_EQ(dir.Verify(a->token)->name, "ann");
  EXPECT_EQ(dir.Verify(b->token), nullptr);
  EXPECT_EQ(dir.Verify("sc_0000000000000000_x"), nullptr);
}

TEST(RoleTest, RolesParseAndAreOrdered) {
  for (const char* name : {"viewer", "coder", "methodologist", "admin"}) {
    auto r = ParseRole(name);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(RoleName(*r), name);
  }
  EXPECT_EQ(ParseRole("root").status().code(), StatusCode::kInvalidArgument);
  EXPECT_LT(Role::kViewer, Role::kCoder);
  EXPECT_LT(Role::kMethodologist, Role::kAdmin);
}

TEST(FailedAuthLimiterTest, LocksAnAddressOutUntilItsMinuteEnds) {
  FailedAuthLimiter limiter(3);
  const auto t0 = FailedAuthLimiter::Clock::now();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(limiter.RetryAfter("10.0.0.1", t0), 0);
    limiter.RecordFailure("10.0.0.1", t0);
  }
  EXPECT_EQ(limiter.RetryAfter("10.0.0.1", t0 + std::chrono::seconds(10)), 50);
  EXPECT_EQ(limiter.RetryAfter("10.0.0.2", t0), 0);  // per address
  EXPECT_EQ(limiter.RetryAfter("10.0.0.1", t0 + std::chrono::seconds(61)), 0);
}

TEST(MetricsTest, ReviewQueueGaugesHaveEveryStatusAndAction) {
  const std::string text = RenderReviewQueueMetrics(
      "soc\"2018", {{{"referred", "open"}, 12}, {{"audit_sample", "adjudication"}, 2}},
      {{"code", 30}, {"escalate", 1}});
  for (const char* needle :
       {"# TYPE statcoder_review_queue_items gauge",
        "statcoder_review_queue_items{classification=\"soc\\\"2018\",kind=\"referred\","
        "status=\"open\"} 12\n",
        "statcoder_review_queue_items{classification=\"soc\\\"2018\",kind=\"referred\","
        "status=\"escalated\"} 0\n",
        "kind=\"audit_sample\",status=\"adjudication\"} 2\n",
        "statcoder_review_decisions_last_hour{classification=\"soc\\\"2018\",action=\"code\"} 30\n",
        "action=\"escalate\"} 1\n", "action=\"undo\"} 0\n"}) {
    EXPECT_NE(text.find(needle), std::string::npos) << needle << "\n" << text;
  }
}

TEST(MetricsTest, RendersPrometheusText) {
  Metrics m;
  m.ObserveRequest("/v1/code", "POST", 200, 0.003);
  m.ObserveRequest("/v1/code", "POST", 200, 3.0);
  m.CountRecords("auto", 7);
  const std::string text = m.Render();
  EXPECT_NE(text.find("statcoder_http_requests_total{route=\"/v1/code\",method=\"POST\","
                      "status=\"200\"} 2"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("statcoder_http_request_duration_seconds_bucket{route=\"/v1/code\","
                      "le=\"0.005\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("le=\"+Inf\"} 2"), std::string::npos) << text;
  EXPECT_NE(text.find("statcoder_records_coded_total{decision=\"auto\"} 7"), std::string::npos);
  EXPECT_NE(text.find("statcoder_records_coded_total{decision=\"kb\"} 0"), std::string::npos);
  EXPECT_NE(text.find("statcoder_shadow_failures_total 0"), std::string::npos) << text;
  m.CountShadowFailure();
  EXPECT_NE(m.Render().find("statcoder_shadow_failures_total 1"), std::string::npos);
}

}  // namespace
}  // namespace statcoder::server
