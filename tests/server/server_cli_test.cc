// End-to-end tests of `statcoder serve` (docs/server.md): a prepared workspace, the real binary
// listening on a free loopback port (--port 0), and real HTTP through httplib::Client. Label
// "cli": they run the binary and open sockets.
#include <httplib.h>
#include <signal.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <thread>

#include "cli_harness.h"
#include "serve_process.h"

namespace statcoder::cli {
namespace {

using namespace statcoder::cli::testing;

struct Reply {
  int status = 0;
  std::string body;
  json j;
  std::string request_id, retry_after;
};

Reply Send(const ServeProcess& server, const std::string& method, const std::string& path,
           const std::string& token, const std::string& body = "") {
  httplib::Client c = server.Client();
  httplib::Headers headers;
  if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
  httplib::Result r =
      method == "GET" ? c.Get(path, headers) : c.Post(path, headers, body, "application/json");
  Reply reply;
  if (!r) {
    ADD_FAILURE() << method << " " << path << ": no response (" << httplib::to_string(r.error())
                  << ")";
    return reply;
  }
  reply.status = r->status;
  reply.body = r->body;
  reply.request_id = r->get_header_value("X-Request-Id");
  reply.retry_after = r->get_header_value("Retry-After");
  if (r->get_header_value("Content-Type") == "application/json") {
    reply.j = json::parse(r->body, nullptr, false);
  }
  return reply;
}

std::ostream& operator<<(std::ostream& os, const Reply& r) {
  return os << "HTTP " << r.status << ": " << r.body.substr(0, 2000);
}

class ServerCliTest : public WorkspaceTest {
 protected:
  void SetUp() override {
    WorkspaceTest::SetUp();
    Init();
  }
  // Ingests `file` as training data and trains a model on it; returns its version.
  std::string TrainOn(const std::string& file) { return Train(Ingest(file)); }
  std::string AddUser(const std::string& name, const std::string& role) {
    const json j = Json(Sc({"users", "add", ws_, name, "--role", role, "--json"}));
    EXPECT_EQ(j.value("role", ""), role);
    return j.value("token", "");
  }
};

TEST_F(ServerCliTest, UsersAreAddedListedDisabledAndAuditedWithoutTokens) {
  const std::string token = AddUser("ann", "coder");
  EXPECT_EQ(token.rfind("sc_", 0), 0u) << token;
  EXPECT_EQ(Sc({"users", "add", ws_, "ann", "--role", "viewer"}).exit_code, 5);  // taken
  EXPECT_EQ(Sc({"users", "add", ws_, "bob", "--role", "root"}).exit_code, 2);
  const json users = Json(Sc({"users", "list", ws_, "--json"}))["users"];
  ASSERT_EQ(users.size(), 1u);
  EXPECT_EQ(users[0]["user"], "ann");
  EXPECT_EQ(users[0]["disabled"], false);
  EXPECT_EQ(users[0].dump().find(token.substr(20)), std::string::npos);
  ASSERT_EQ(Sc({"users", "disable", ws_, "ann"}).exit_code, 0);
  EXPECT_EQ(Json(Sc({"users", "list", ws_, "--json"}))["users"][0]["disabled"], true);
  EXPECT_EQ(Sc({"users", "disable", ws_, "nobody"}).exit_code, 4);
  const RunResult audit = Sc({"audit", "list", ws_, "--json"});
  EXPECT_NE(audit.out.find("user_add"), std::string::npos);
  EXPECT_NE(audit.out.find("user_disable"), std::string::npos);
  EXPECT_EQ(audit.out.find(token.substr(20)), std::string::npos);  // never the secret
  EXPECT_EQ(Json(Sc({"audit", "verify", ws_, "--json"})).value("ok", false), true);
}

TEST_F(ServerCliTest, FailedAuthenticationIsRateLimitedPerAddress) {
  const std::string token = AddUser("vic", "viewer");
  ServeProcess server({ws_, "--auth-failures-per-minute", "3"}, dir_);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Send(server, "GET", "/v1/models", "sc_0000000000000000_nope").status, 401);
  }
  const Reply limited = Send(server, "GET", "/v1/models", "sc_0000000000000000_nope");
  EXPECT_EQ(limited.status, 429) << limited;
  EXPECT_EQ(limited.j["error"]["code"], "rate_limited") << limited;
  EXPECT_GT(std::stoi(limited.retry_after.empty() ? "0" : limited.retry_after), 0);
  // The address is locked out, even with a good token; health checks need none.
  EXPECT_EQ(Send(server, "GET", "/v1/models", token).status, 429);
  EXPECT_EQ(Send(server, "GET", "/healthz", "").status, 200);
  // No production model yet: not ready.
  const Reply ready = Send(server, "GET", "/readyz", "");
  EXPECT_EQ(ready.status, 503) << ready;
  EXPECT_EQ(server.Stop(), 0);
}

TEST_F(ServerCliTest, ServesCodesWithAuthLimitsMetricsAndHotModelSwap) {
  const std::string first = TrainOn(train_);
  ASSERT_FALSE(first.empty());
  const std::string admin = AddUser("root", "admin");
  const std::string methodologist = AddUser("meg", "methodologist");
  const std::string coder = AddUser("cod", "coder");
  const std::string viewer = AddUser("vic", "viewer");
  const std::string leaver = AddUser("lee", "coder");
  const std::string log = (dir_ / "access.log").string();
  ServeProcess server({ws_, "--max-body-bytes", "65536", "--max-batch", "50", "--threads", "4",
                       "--auth-failures-per-minute", "100000", "--access-log", log},
                      dir_);
  ASSERT_GT(server.port(), 0);

  // Health and readiness need no token; no production model yet.
  EXPECT_EQ(Send(server, "GET", "/healthz", "").status, 200);
  Reply r = Send(server, "GET", "/readyz", "");
  EXPECT_EQ(r.status, 503) << r;
  EXPECT_EQ(r.j["error"]["code"], "unavailable");
  EXPECT_FALSE(r.request_id.empty());
  const std::string one = R"({"record": {"id": "r1", "title": "Marketing Manager"}})";
  r = Send(server, "POST", "/v1/code", coder, one);
  EXPECT_EQ(r.status, 409) << r;

  // Auth for every route: no token and a bad token are 401, a role too low is 403.
  struct RouteCase {
    std::string method, path, body, too_low;  // too_low: a token whose role is below the route's
  };
  const std::vector<RouteCase> routes = {
      {"GET", "/v1/models", "", ""},
      {"GET", "/v1/codelist/search?q=manager", "", ""},
      {"GET", "/v1/codelist/11-2021", "", ""},
      {"GET", "/metrics", "", ""},
      {"POST", "/v1/code", one, viewer},
      {"POST", "/v1/explain", one, viewer},
      {"POST", "/v1/models/" + first + "/promote", "{}", methodologist}};
  for (const RouteCase& c : routes) {
    r = Send(server, c.method, c.path, "", c.body);
    EXPECT_EQ(r.status, 401) << c.path << " " << r;
    EXPECT_EQ(r.j["error"]["code"], "unauthenticated") << c.path;
    EXPECT_EQ(r.j["error"]["request_id"], r.request_id) << c.path;
    EXPECT_EQ(Send(server, c.method, c.path, coder + "x", c.body).status, 401) << c.path;
    EXPECT_EQ(Send(server, c.method, c.path, "not-a-token", c.body).status, 401) << c.path;
    if (!c.too_low.empty()) {
      r = Send(server, c.method, c.path, c.too_low, c.body);
      EXPECT_EQ(r.status, 403) << c.path << " " << r;
      EXPECT_EQ(r.j["error"]["code"], "permission_denied") << c.path;
    }
  }

  // Promotion through the API (admin), forced past the gates: served without a restart.
  r = Send(server, "POST", "/v1/models/" + first + "/promote", admin,
           R"({"force": true, "reason": "test"})");
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.j["promoted"], true);
  r = Send(server, "GET", "/readyz", "");
  EXPECT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.j["model_version"], first);

  // One record, then a batch, each with every documented field.
  r = Send(server, "POST", "/v1/code", coder, one);
  ASSERT_EQ(r.status, 200) << r;
  ASSERT_EQ(r.j["results"].size(), 1u);
  for (const char* key : {"id", "code", "confidence", "decision", "reason", "level", "level_name",
                          "top", "model_version", "kb_entry"}) {
    EXPECT_TRUE(r.j["results"][0].contains(key)) << key << " " << r;
  }
  EXPECT_EQ(r.j["results"][0]["id"], "r1");
  EXPECT_EQ(r.j["results"][0]["model_version"], first);

  const Table other = ParseTsv(ReadFile(other_));
  Table batch = {{"id", "title"}};
  json records = json::array();
  for (size_t i = 1; i <= 40; ++i) {
    batch.push_back({other[i][0], other[i][1]});
    records.push_back({{"id", other[i][0]}, {"title", other[i][1]}});
  }
  const std::string batch_file = (dir_ / "batch.tsv").string();
  WriteFile(batch_file, ToTsv(batch));
  r = Send(server, "POST", "/v1/code", methodologist, json({{"records", records}}).dump());
  ASSERT_EQ(r.status, 200) << r;
  ASSERT_EQ(r.j["results"].size(), 40u);
  // The same codes and decisions as `statcoder code WS` for the same records.
  const std::string coded = (dir_ / "coded.jsonl").string();
  ASSERT_EQ(Sc({"code", ws_, "--data", batch_file, "--out", coded, "--quiet"}).exit_code, 0);
  const std::vector<std::string> lines = Lines(ReadFile(coded));
  ASSERT_EQ(lines.size(), 40u);
  for (size_t i = 0; i < lines.size(); ++i) {
    const json cli = json::parse(lines[i]);
    const json& api = r.j["results"][i];
    EXPECT_EQ(api["id"], cli["id"]);
    EXPECT_EQ(api["code"], cli["code"]) << api["id"];
    EXPECT_EQ(api["decision"], cli["decision"]) << api["id"];
    EXPECT_EQ(api["top"], cli["top"]) << api["id"];
  }

  // Explanations on demand.
  r = Send(server, "POST", "/v1/code", coder,
           R"({"record": {"title": "Sales Manager"}, "explain": true, "top_k": 3})");
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_TRUE(r.j["results"][0].contains("explanation"));
  EXPECT_EQ(r.j["results"][0]["top"].size(), 3u);
  EXPECT_EQ(r.j["results"][0]["id"], "1");  // no id field: numbered
  r = Send(server, "POST", "/v1/explain", coder, R"({"record": {"title": "Sales Manager"}})");
  EXPECT_EQ(r.status, 200) << r;

  // Bad input: malformed JSON, invalid UTF-8 (the field named), a missing field, a bad value.
  r = Send(server, "POST", "/v1/code", coder, R"({"records": [{"title": "x"})");
  EXPECT_EQ(r.status, 400) << r;
  EXPECT_EQ(r.j["error"]["code"], "invalid_argument");
  r = Send(server, "POST", "/v1/code", coder,
           "{\"records\": [{\"title\": \"ok\"}, {\"id\": \"b\", \"title\": \"bad \xff\xfe\"}]}");
  EXPECT_EQ(r.status, 400) << r;
  EXPECT_NE(r.j["error"]["message"].get<std::string>().find("field 'title'"), std::string::npos)
      << r;
  EXPECT_NE(r.j["error"]["message"].get<std::string>().find("record 2"), std::string::npos) << r;
  r = Send(server, "POST", "/v1/code", coder, R"({"records": [{"name": "Sales Manager"}]})");
  EXPECT_EQ(r.status, 400) << r;
  EXPECT_NE(r.j["error"]["message"].get<std::string>().find("title"), std::string::npos) << r;
  r = Send(server, "POST", "/v1/code", coder, R"({"records": [{"title": ["a"]}]})");
  EXPECT_EQ(r.status, 400) << r;

  // Limits: a body over --max-body-bytes, a batch over --max-batch.
  r = Send(server, "POST", "/v1/code", coder,
           json({{"record", {{"title", std::string(70000, 'a')}}}}).dump());
  EXPECT_EQ(r.status, 413) << r;
  EXPECT_EQ(r.j["error"]["code"], "limit_exceeded") << r;
  json many = json::array();
  for (int i = 0; i < 51; ++i) many.push_back({{"title", "clerk"}});
  r = Send(server, "POST", "/v1/code", coder, json({{"records", many}}).dump());
  EXPECT_EQ(r.status, 413) << r;
  EXPECT_NE(r.body.find("--max-batch"), std::string::npos) << r;

  // Unknown routes are JSON 404s with a request id.
  r = Send(server, "GET", "/v1/nothing", coder);
  EXPECT_EQ(r.status, 404) << r;
  EXPECT_EQ(r.j["error"]["code"], "not_found");
  EXPECT_EQ(r.j["error"]["request_id"], r.request_id);

  // Code list and registry for viewers.
  r = Send(server, "GET", "/v1/codelist/search?q=MARKETING", viewer);
  ASSERT_EQ(r.status, 200) << r;
  ASSERT_FALSE(r.j["results"].empty());
  EXPECT_EQ(r.j["results"][0]["code"], "11-2021");
  r = Send(server, "GET", "/v1/codelist/11-2021", viewer);
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.j["title"], "Marketing Managers");
  EXPECT_EQ(r.j["parent"], "11-2020");
  EXPECT_EQ(Send(server, "GET", "/v1/codelist/99-9999", viewer).status, 404);
  r = Send(server, "GET", "/v1/models", viewer);
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.j["serving"], first);

  // A second model, promoted through the API: the next requests use it, no restart.
  const std::string second = TrainOn(other_);
  ASSERT_FALSE(second.empty());
  ASSERT_NE(second, first);
  r = Send(server, "POST", "/v1/models/" + second + "/promote", admin, "{}");
  EXPECT_EQ(r.status, 409) << r;  // the gates refuse a 5-epoch model
  EXPECT_EQ(r.j["error"]["code"], "failed_precondition");
  EXPECT_TRUE(r.j["error"].contains("gates")) << r;
  r = Send(server, "POST", "/v1/models/" + second + "/promote", admin,
           R"({"force": true, "reason": "test"})");
  ASSERT_EQ(r.status, 200) << r;
  r = Send(server, "POST", "/v1/code", coder, one);
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.j["results"][0]["model_version"], second);
  // A change made by the CLI (another process) is picked up by the poller.
  ASSERT_EQ(Sc({"models", "rollback", ws_}).exit_code, 0);
  std::string served;
  for (int i = 0; i < 100 && served != first; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    served =
        Send(server, "POST", "/v1/code", coder, one).j["results"][0].value("model_version", "");
  }
  EXPECT_EQ(served, first);

  // A disabled user's token stops working within seconds.
  EXPECT_EQ(Send(server, "POST", "/v1/code", leaver, one).status, 200);
  ASSERT_EQ(Sc({"users", "disable", ws_, "lee"}).exit_code, 0);
  int status = 200;
  for (int i = 0; i < 100 && status == 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    status = Send(server, "POST", "/v1/code", leaver, one).status;
  }
  EXPECT_EQ(status, 401);

  // Metrics (viewer and above) count requests, latencies, records and model loads.
  r = Send(server, "GET", "/metrics", viewer);
  ASSERT_EQ(r.status, 200) << r;
  for (const char* needle :
       {"statcoder_http_requests_total{route=\"/v1/code\",method=\"POST\",status=\"200\"}",
        "statcoder_http_requests_total{route=\"/v1/code\",method=\"POST\",status=\"401\"}",
        "statcoder_http_request_duration_seconds_bucket{route=\"/v1/code\",le=\"+Inf\"}",
        "statcoder_records_coded_total{decision=\"auto\"}", "statcoder_models_loaded_total 3",
        "statcoder_auth_failures_total", "statcoder_review_queue_up 1",
        "statcoder_review_queue_items{classification=\"soc2018\",kind=\"referred\","
        "status=\"open\"}",
        "statcoder_review_decisions_last_hour{classification=\"soc2018\",action=\"code\"} 0"}) {
    EXPECT_NE(r.body.find(needle), std::string::npos) << needle << "\n" << r.body;
  }

  EXPECT_EQ(server.Stop(), 0);
  // The access log: one JSON line per request, route patterns, never record text.
  const std::string access = ReadFile(log);
  EXPECT_NE(access.find("\"route\":\"/v1/codelist/{code}\""), std::string::npos);
  EXPECT_NE(access.find("\"user\":\"cod\""), std::string::npos);
  EXPECT_EQ(access.find("Marketing Manager"), std::string::npos);
  EXPECT_EQ(access.find("11-2021"), std::string::npos);  // the raw path is never logged
  for (const std::string& line : Lines(access)) {
    const json j = json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << line;
  }
  // The promotions through the API are audited as the API user.
  const RunResult audit = Sc({"audit", "list", ws_, "--json"});
  EXPECT_NE(audit.out.find("\"actor\": \"root\""), std::string::npos) << audit.out.substr(0, 3000);
}

// The clerical review queue end to end: referred records and (audit_rate = 1) a blind audit
// sample of auto-coded ones reach the queue through the background writer; coders decide, skip,
// escalate; a disagreeing second coding goes to adjudication; a supervisor resolves; the
// decisions become a feedback snapshot that `train` accepts beside the training snapshot.
TEST_F(ServerCliTest, ReviewQueueDecisionsAdjudicationAndFeedbackExport) {
  std::string toml = ReadFile(fs::path(ws_) / "statcoder.toml");
  const size_t at = toml.find("audit_rate = 0.02");
  ASSERT_NE(at, std::string::npos);
  toml.replace(at, 17, "audit_rate = 1.0");
  // A low target precision makes the small model auto-code some records, to be sampled.
  const size_t training_at = toml.find("target_precision = ", toml.find("[training]"));
  ASSERT_NE(training_at, std::string::npos);
  toml.replace(training_at, toml.find('\n', training_at) - training_at, "target_precision = 0.8");
  WriteFile(fs::path(ws_) / "statcoder.toml", toml);
  const std::string training = Ingest(train_);
  const std::string version = Train(training);
  ASSERT_FALSE(version.empty());
  const std::string admin = AddUser("root", "admin");
  const std::string meg = AddUser("meg", "methodologist");
  const std::string cod = AddUser("cod", "coder");
  const std::string viewer = AddUser("vic", "viewer");
  ServeProcess server({ws_, "--auth-failures-per-minute", "100000"}, dir_);
  ASSERT_GT(server.port(), 0);
  Reply r = Send(server, "POST", "/v1/models/" + version + "/promote", admin,
                 R"({"force": true, "reason": "test"})");
  ASSERT_EQ(r.status, 200) << r;

  // Training records are mostly auto-coded (audit samples), unseen ones mostly referred.
  json records = json::array();
  for (const std::string& file : {train_, other_}) {
    const Table t = ParseTsv(ReadFile(file));
    for (size_t i = 1; i <= 30; ++i) records.push_back({{"id", t[i][0]}, {"title", t[i][1]}});
  }
  r = Send(server, "POST", "/v1/code", cod, json({{"records", records}}).dump());
  ASSERT_EQ(r.status, 200) << r;
  std::map<std::string, std::string> auto_code;
  size_t referred = 0, sampled = 0;
  for (const json& res : r.j["results"]) {
    if (res["decision"] == "review") ++referred;
    if (res["decision"] == "auto") ++sampled;
    auto_code[res["id"].get<std::string>()] = res["code"].get<std::string>();
  }
  EXPECT_EQ(r.j["queued_for_review"], referred + sampled) << r;
  ASSERT_GE(referred, 4u) << r;
  ASSERT_GE(sampled, 2u) << r;

  // Viewers may read the statistics but not take items.
  r = Send(server, "GET", "/v1/review/next", viewer);
  EXPECT_EQ(r.status, 403) << r;
  EXPECT_EQ(Send(server, "GET", "/v1/review/stats", viewer).status, 200);
  EXPECT_EQ(Send(server, "GET", "/v1/review/next?queue=supervisor", cod).status, 403);

  // The writer commits within ~100 ms.
  json item;
  for (int i = 0; i < 100 && item.is_null(); ++i) {
    r = Send(server, "GET", "/v1/review/next", cod);
    ASSERT_EQ(r.status, 200) << r;
    item = r.j["item"];
    if (item.is_null()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_FALSE(item.is_null()) << "no review item appeared";
  const std::string first_path = "/v1/review/" + std::to_string(item["id"].get<int64_t>());
  r = Send(server, "POST", first_path + "/decision", cod, R"({"action": "code", "code": "XX"})");
  EXPECT_EQ(r.status, 400) << r;
  r = Send(server, "POST", first_path + "/decision", cod, R"({"action": "maybe"})");
  EXPECT_EQ(r.status, 400) << r;
  r = Send(server, "POST", first_path + "/decision", meg, R"({"action": "uncodable"})");
  EXPECT_EQ(r.status, 409) << r;  // leased to cod
  r = Send(server, "POST", first_path + "/decision", cod,
           R"({"action": "adjudicate", "code": "11-2021"})");
  EXPECT_EQ(r.status, 403) << r;
  EXPECT_EQ(Send(server, "POST", "/v1/review/999999/decision", cod, R"({"action": "skip"})").status,
            404);

  std::vector<std::string> referred_actions = {"code", "skip", "escalate", "uncodable"};
  std::vector<std::string> audit_actions = {"disagree", "agree"};
  size_t expected_feedback = 0, decided = 0;
  while (!item.is_null() && (!referred_actions.empty() || !audit_actions.empty())) {
    const std::string path = "/v1/review/" + std::to_string(item["id"].get<int64_t>());
    const std::string rid = item["record_id"].get<std::string>();
    json decision = {{"action", "skip"}};
    std::string want_status = "open";
    if (item["kind"] == "referred") {
      EXPECT_FALSE(item["blind"].get<bool>());
      ASSERT_FALSE(item["suggestions"].empty()) << item;
      EXPECT_LE(item["suggestions"].size(), 5u);
      EXPECT_TRUE(item["suggestions"][0].contains("probability")) << item;
      if (!referred_actions.empty()) {
        const std::string a = referred_actions.front();
        referred_actions.erase(referred_actions.begin());
        decision = {{"action", a}, {"comment", "checked"}};
        if (a == "code") decision["code"] = item["suggestions"][0]["code"];
        want_status = a == "code" || a == "uncodable" ? "decided"
                      : a == "escalate"               ? "escalated"
                                                      : "open";
        expected_feedback += a == "code" || a == "escalate";  // escalated: adjudicated later
      }
    } else {
      EXPECT_EQ(item["kind"], "audit_sample");
      EXPECT_TRUE(item["blind"].get<bool>()) << item;
      EXPECT_TRUE(item["suggestions"].empty()) << item;
      EXPECT_FALSE(item.contains("model")) << item;  // the model's code is hidden
      auto next = std::find(audit_actions.begin(), audit_actions.end(), "agree");
      if (next == audit_actions.end()) next = audit_actions.begin();
      if (next != audit_actions.end()) {
        const bool agree = *next == "agree";
        audit_actions.erase(next);
        std::string mine = auto_code[rid];
        if (!agree) {
          mine = mine.rfind("11-2", 0) == 0 ? "53-1042" : "11-2021";
        } else {
          // Agreeing with a partial (rolled-up) auto code: a detailed code below it.
          for (json node = json{{"children", json::array({mine})}}; !node["children"].empty();) {
            mine = node["children"][0].get<std::string>();
            node = Send(server, "GET", "/v1/codelist/" + mine, cod).j;
          }
        }
        decision = {{"action", "code"}, {"code", mine}};
        want_status = agree ? "decided" : "adjudication";
        ++expected_feedback;
      }
    }
    r = Send(server, "POST", path + "/decision", cod, decision.dump());
    ASSERT_EQ(r.status, 200) << r << " " << decision;
    EXPECT_EQ(r.j["status"], want_status) << decision;
    if (decision["action"] != "skip") ++decided;
    r = Send(server, "GET", "/v1/review/next", cod);
    ASSERT_EQ(r.status, 200) << r;
    item = r.j["item"];
  }
  EXPECT_TRUE(referred_actions.empty());
  EXPECT_TRUE(audit_actions.empty());

  // The supervisor queue: the escalated item and the disagreeing audit sample, with the
  // model's code and the decisions so far; adjudicated, they close.
  for (int i = 0; i < 2; ++i) {
    r = Send(server, "GET", "/v1/review/next?queue=supervisor", meg);
    ASSERT_EQ(r.status, 200) << r;
    const json s = r.j["item"];
    ASSERT_FALSE(s.is_null()) << r;
    EXPECT_TRUE(s["status"] == "escalated" || s["status"] == "adjudication") << s;
    EXPECT_TRUE(s["model"].contains("code")) << s;
    EXPECT_FALSE(s["decisions"].empty()) << s;
    r = Send(server, "POST", "/v1/review/" + std::to_string(s["id"].get<int64_t>()) + "/decision",
             meg, json({{"action", "adjudicate"}, {"code", s["model"]["top"][0]["code"]}}).dump());
    ASSERT_EQ(r.status, 200) << r;
    EXPECT_EQ(r.j["status"], "closed");
  }
  r = Send(server, "GET", "/v1/review/next?queue=supervisor", meg);
  EXPECT_TRUE(r.j["item"].is_null()) << r;

  r = Send(server, "GET", "/v1/review/stats", cod);
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.j["user"], "cod");
  EXPECT_GE(r.j["user_today"].get<size_t>(), decided) << r;
  EXPECT_EQ(r.j["decisions_by_coder"]["meg"]["adjudicate"], 2) << r;
  EXPECT_FALSE(r.j["queue"].empty()) << r;
  EXPECT_EQ(server.Stop(), 0);

  // The decisions as a feedback snapshot, usable for retraining beside the training data.
  const json exported = Json(Sc({"review", "export", ws_, "--json"}));
  EXPECT_EQ(exported.value("kind", ""), "feedback") << exported;
  // Lineage back to the model that referred the items.
  EXPECT_EQ(exported.value("transformation", ""),
            "review export of items referred by model " + Json(Sc({"models", "show", ws_,
                                                                   "production", "--json"}))
                                                              .value("version", std::string()) +
                " (" + std::to_string(expected_feedback) + ")")
      << exported;
  EXPECT_EQ(exported.value("items", 0u), expected_feedback) << exported;
  // One kind at a time: referred items as feedback, the audit sample as an audit snapshot
  // (to evaluate on, not train with); together they are every exported item.
  const json referred_only = Json(Sc({"review", "export", ws_, "--kind", "referred", "--json"}));
  EXPECT_EQ(referred_only.value("kind", ""), "feedback") << referred_only;
  size_t audited = 0;
  const RunResult audit_export = Sc({"review", "export", ws_, "--kind", "audit_sample", "--json"});
  if (audit_export.exit_code == 0) {
    const json a = ParseJson(audit_export.out);
    EXPECT_EQ(a.value("kind", ""), "audit") << a;
    audited = a.value("items", 0u);
  } else {
    EXPECT_EQ(audit_export.exit_code, 5) << audit_export;  // no decided audit item
  }
  EXPECT_EQ(referred_only.value("items", 0u) + audited, expected_feedback);
  EXPECT_EQ(Sc({"review", "export", ws_, "--kind", "all"}).exit_code, 2);
  const std::string feedback = exported.value("id", "");
  ASSERT_FALSE(feedback.empty());
  const RunResult retrain =
      Sc({"train", ws_, "--snapshot", training + "," + feedback, "--json", "--quiet"});
  EXPECT_EQ(retrain.exit_code, 0) << retrain;
  const json stats = Json(Sc({"review", "stats", ws_, "--json"}));
  EXPECT_TRUE(stats.contains("queue")) << stats;
  EXPECT_NE(Sc({"audit", "list", ws_, "--json"}).out.find("review_export"), std::string::npos);
  EXPECT_EQ(Json(Sc({"audit", "verify", ws_, "--json"})).value("ok", false), true);
}

// The review and monitoring pages (web_routes.h): their assets need no token and come with the
// strict security headers and an ETag; /v1/me says whose the token is; the code-list tree has
// its top level and each code's children with titles. tests/browser/review_page drives the
// pages themselves.
TEST_F(ServerCliTest, ReviewPageAssetsMeAndCodeListTree) {
  const std::string viewer = AddUser("vic", "viewer");
  ServeProcess server({ws_}, dir_);
  ASSERT_GT(server.port(), 0);
  httplib::Client c = server.Client();
  for (const auto& [path, type] : std::map<std::string, std::string>{
           {"/", "text/html"}, {"/app.js", "text/javascript"}, {"/app.css", "text/css"},
           {"/monitor", "text/html"}, {"/monitor.js", "text/javascript"},
           {"/monitor.css", "text/css"}, {"/common.js", "text/javascript"}}) {
    httplib::Result r = c.Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 200) << path;
    EXPECT_EQ(r->get_header_value("Content-Type").rfind(type, 0), 0u) << path;
    EXPECT_EQ(r->get_header_value("Content-Security-Policy"),
              "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
              "img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
        << path;
    EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff") << path;
    EXPECT_EQ(r->get_header_value("Referrer-Policy"), "no-referrer") << path;
    EXPECT_FALSE(r->body.empty()) << path;
    const std::string etag = r->get_header_value("ETag");
    ASSERT_FALSE(etag.empty()) << path;
    httplib::Result again = c.Get(path, httplib::Headers{{"If-None-Match", etag}});
    ASSERT_TRUE(again) << path;
    EXPECT_EQ(again->status, 304) << path;
  }
  // The pages never put data into HTML: no innerHTML anywhere in their scripts.
  for (const char* script : {"/app.js", "/monitor.js", "/common.js"}) {
    httplib::Result js = c.Get(script);
    ASSERT_TRUE(js) << script;
    EXPECT_EQ(js->body.find(".innerHTML"), std::string::npos) << script;
    EXPECT_EQ(js->body.find("outerHTML"), std::string::npos) << script;
    EXPECT_EQ(js->body.find("insertAdjacentHTML"), std::string::npos) << script;
  }
  // Both pages load common.js (what their scripts share) before their own script.
  for (const auto& [page, script] : std::map<std::string, std::string>{
           {"/", "/app.js"}, {"/monitor", "/monitor.js"}}) {
    httplib::Result html = c.Get(page);
    ASSERT_TRUE(html) << page;
    const size_t common = html->body.find("<script src=\"/common.js\" defer></script>");
    ASSERT_NE(common, std::string::npos) << page;
    EXPECT_LT(common, html->body.find("<script src=\"" + script + "\" defer></script>")) << page;
  }

  Reply r = Send(server, "GET", "/v1/me", viewer);
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.j, json({{"user", "vic"}, {"role", "viewer"}}));
  EXPECT_EQ(Send(server, "GET", "/v1/me", "").status, 401);

  r = Send(server, "GET", "/v1/codelist", viewer);
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_TRUE(r.j["parent"].is_null());
  ASSERT_FALSE(r.j["children"].empty()) << r;
  const json top = r.j["children"][0];
  EXPECT_EQ(top["level"], 1) << top;
  EXPECT_TRUE(top["has_children"].get<bool>()) << top;
  r = Send(server, "GET", "/v1/codelist/" + top["code"].get<std::string>() + "/children", viewer);
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.j["parent"], top["code"]);
  ASSERT_FALSE(r.j["children"].empty()) << r;
  EXPECT_EQ(r.j["children"][0]["level"], 2) << r;
  EXPECT_TRUE(r.j["children"][0].contains("title")) << r;
  EXPECT_EQ(Send(server, "GET", "/v1/codelist/99-9999/children", viewer).status, 404);
  EXPECT_EQ(Send(server, "GET", "/v1/codelist", "").status, 401);
  EXPECT_EQ(server.Stop(), 0);
}

// GET /v1/openapi.json (src/server/web/openapi.json) describes exactly the routes the server
// has: the Route(...) registrations of src/server/http_server.cc, read from the source so a new
// route without a description fails here; each documented operation is answered by a handler
// (not the router's "no route" 404), with the role the source gives it; every $ref resolves.
TEST_F(ServerCliTest, OpenApiDescriptionMatchesTheRoutesServed) {
  const std::string viewer = AddUser("vic", "viewer");
  ServeProcess server({ws_}, dir_);
  ASSERT_GT(server.port(), 0);
  EXPECT_EQ(Send(server, "GET", "/v1/openapi.json", "").status, 401);
  const Reply r = Send(server, "GET", "/v1/openapi.json", viewer);
  ASSERT_EQ(r.status, 200) << r;
  const json& spec = r.j;
  ASSERT_TRUE(spec.is_object() && spec.contains("info") && spec.contains("paths") &&
              spec.contains("components"))
      << "not an OpenAPI document with Content-Type application/json: " << r;
  EXPECT_EQ(spec.value("openapi", "").rfind("3.0.", 0), 0u) << spec.value("openapi", "");
  const std::string cmake = ReadFile(fs::path(STATCODER_SOURCE_DIR) / "CMakeLists.txt");
  std::smatch version;
  ASSERT_TRUE(
      std::regex_search(cmake, version, std::regex(R"(project\(statcoder VERSION ([0-9.]+))")));
  EXPECT_EQ(spec["info"].value("version", ""), version[1].str()) << "info.version";
  EXPECT_TRUE(spec.contains("/components/securitySchemes/bearerAuth"_json_pointer));

  // Every $ref is internal and points at something.
  size_t refs = 0;
  std::function<void(const json&)> check_refs = [&](const json& j) {
    if (j.is_object()) {
      for (const auto& [k, v] : j.items()) {
        if (k == "$ref" && v.is_string()) {
          ++refs;
          const std::string ref = v.get<std::string>();
          ASSERT_EQ(ref.rfind("#/", 0), 0u) << ref;
          EXPECT_TRUE(spec.contains(json::json_pointer(ref.substr(1)))) << "unresolved " << ref;
        } else {
          check_refs(v);
        }
      }
    } else if (j.is_array()) {
      for (const json& v : j) check_refs(v);
    }
  };
  check_refs(spec);
  EXPECT_GT(refs, 0u);

  // METHOD path → role ("" for none), from the source and from the description.
  const std::string source =
      ReadFile(fs::path(STATCODER_SOURCE_DIR) / "src" / "server" / "http_server.cc");
  const std::regex route(R"re(Route\(\s*"(GET|POST)",\s*(?:R"\(.*?\)"|"[^"]*"),\s*"([^"]+)",)re"
                         R"re(\s*(?:Role::k(\w+)|std::nullopt))re");
  std::map<std::string, std::string> served, documented;
  for (auto it = std::sregex_iterator(source.begin(), source.end(), route);
       it != std::sregex_iterator(); ++it) {
    std::string role = (*it)[3].str();
    std::transform(role.begin(), role.end(), role.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    served[(*it)[1].str() + " " + (*it)[2].str()] = role;
  }
  EXPECT_GE(served.size(), 17u) << "the Route(...) pattern no longer matches http_server.cc";
  EXPECT_TRUE(served.contains("GET /v1/openapi.json"));
  for (const auto& [path, item] : spec["paths"].items()) {
    for (const auto& [method, op] : item.items()) {
      if (!std::set<std::string>{"get", "put", "post", "delete", "patch", "head", "options"}
               .contains(method)) {
        continue;  // parameters, summary, ... of the path item
      }
      std::string upper = method;
      std::transform(upper.begin(), upper.end(), upper.begin(),
                     [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
      const bool open = op.contains("security") && op["security"].empty();
      documented[upper + " " + path] = open ? "" : op.value("x-statcoder-role", "?");
      // Answered by a handler: path parameters replaced by their examples, a viewer's token.
      std::string concrete = path;
      for (const json& p : op.value("parameters", json::array())) {
        if (p.value("in", "") != "path") continue;
        ASSERT_TRUE(p.contains("example")) << upper << " " << path << ": " << p;
        const std::string name = "{" + p.value("name", "") + "}";
        const std::string example =
            p["example"].is_string() ? p["example"].get<std::string>() : p["example"].dump();
        concrete.replace(concrete.find(name), name.size(), example);
      }
      ASSERT_EQ(concrete.find('{'), std::string::npos) << upper << " " << path;
      const Reply answer = Send(server, upper, concrete, viewer, upper == "POST" ? "{}" : "");
      const std::string message =
          answer.j.is_object() ? answer.j.value("/error/message"_json_pointer, "") : "";
      EXPECT_FALSE(answer.status == 404 && message.rfind("no route", 0) == 0)
          << upper << " " << concrete << " is documented but not served: " << answer;
      EXPECT_TRUE(op.contains("responses") && op.contains("operationId")) << upper << " " << path;
    }
  }
  EXPECT_EQ(documented, served) << "the description and the server's routes differ";
  EXPECT_EQ(server.Stop(), 0);
}

// API traffic is monitored in windows of [monitor] window_records records (docs/monitoring.md):
// each closed window is a batch of `statcoder monitor`, and the open one is stored when the
// server stops. GET /v1/monitor answers what `monitor --json` prints.
TEST_F(ServerCliTest, ApiTrafficIsMonitoredInWindows) {
  SetConfig("window_records = 1000", "window_records = 30");
  const std::string version = TrainOn(train_);
  ASSERT_EQ(Sc({"models", "promote", ws_, version, "--force", "--reason", "test"}).exit_code, 0);
  const std::string coder = AddUser("cod", "coder");
  const std::string viewer = AddUser("vic", "viewer");
  const Table test = ParseTsv(ReadFile(kOnet / "test.tsv"));
  {
    ServeProcess server({ws_}, dir_);
    EXPECT_EQ(Send(server, "GET", "/v1/monitor", "").status, 401);
    Reply r = Send(server, "GET", "/v1/monitor", viewer);
    ASSERT_EQ(r.status, 200) << r;
    EXPECT_EQ(r.j["status"], "no_data");
    EXPECT_EQ(r.j["model_version"], version);
    // 25 single records, then a batch of 20: the first window closes at 45 >= 30 records.
    for (int i = 1; i <= 25; ++i) {
      ASSERT_EQ(Send(server, "POST", "/v1/code", coder,
                     json{{"record", {{"title", test[static_cast<size_t>(i)][1]}}}}.dump())
                    .status,
                200);
    }
    json batch = json::array();
    for (int i = 26; i <= 45; ++i) batch.push_back({{"title", test[static_cast<size_t>(i)][1]}});
    ASSERT_EQ(Send(server, "POST", "/v1/code", coder, json{{"records", batch}}.dump()).status, 200);
    // Then 5 more, left in the open window until the server stops.
    batch = json::array();
    for (int i = 46; i <= 50; ++i) batch.push_back({{"title", test[static_cast<size_t>(i)][1]}});
    ASSERT_EQ(Send(server, "POST", "/v1/code", coder, json{{"records", batch}}.dump()).status, 200);
    // The writer stores closed windows within its flush interval.
    for (int i = 0; i < 50; ++i) {
      r = Send(server, "GET", "/v1/monitor", viewer);
      if (r.status == 200 && !r.j["batches"].empty()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_EQ(r.j["batches"].size(), 1u) << r;
    const json& w = r.j["batches"][0];
    EXPECT_EQ(w["source"], "api");
    EXPECT_EQ(w["records"], 45);
    EXPECT_LE(w["window_start"].get<std::string>(), w["window_end"].get<std::string>());
    EXPECT_TRUE(w["estimated_accuracy"]["value"].is_number()) << w;
    EXPECT_EQ(Send(server, "GET", "/v1/monitor?classification=nope", viewer).status, 409);
    EXPECT_EQ(server.Stop(), 0);
  }
  const json status = Json(Sc({"monitor", ws_, "--json"}));
  ASSERT_EQ(status["batches"].size(), 2u) << status;
  EXPECT_EQ(status["batches"][1]["records"], 5);
  EXPECT_EQ(status["batches"][1]["source"], "api");
}

// Shadow mode covers API traffic as it covers `statcoder code WS` (docs/monitoring.md): the
// challenger codes every request alongside production, answers stay production's, and each
// traffic window keeps the challenger's agreement.
TEST_F(ServerCliTest, ShadowChallengerCodesApiTrafficToo) {
  const std::string champion = TrainOn(train_);
  const std::string challenger = TrainOn(other_);
  ASSERT_NE(champion, challenger);
  ASSERT_EQ(Sc({"models", "promote", ws_, champion, "--force", "--reason", "test"}).exit_code, 0);
  ASSERT_EQ(Sc({"shadow", ws_, "on", "--challenger", challenger}).exit_code, 0);
  const std::string coder = AddUser("cod", "coder");
  const Table test = ParseTsv(ReadFile(kOnet / "test.tsv"));
  json batch = json::array();
  for (size_t i = 1; i <= 40; ++i) batch.push_back({{"title", test[i][1]}});
  const std::string body = json{{"records", batch}}.dump();
  Reply first;
  {
    ServeProcess server({ws_}, dir_);
    first = Send(server, "POST", "/v1/code", coder, body);
    ASSERT_EQ(first.status, 200) << first;
    EXPECT_EQ(first.j["model_version"], champion);
    EXPECT_EQ(server.Stop(), 0);
  }
  json status = Json(Sc({"monitor", ws_, "--json"}));
  ASSERT_EQ(status["batches"].size(), 1u) << status;
  const json& shadow = status["batches"][0]["shadow"];
  ASSERT_TRUE(shadow.is_object()) << status["batches"][0];
  EXPECT_EQ(shadow["version"], challenger);
  EXPECT_EQ(shadow["records"], 40) << shadow;
  EXPECT_GT(shadow["agreement"].get<double>(), 0.2);

  // Without shadow mode the same request gets the same answer; the window has no shadow.
  ASSERT_EQ(Sc({"shadow", ws_, "off"}).exit_code, 0);
  {
    ServeProcess server({ws_}, dir_);
    const Reply again = Send(server, "POST", "/v1/code", coder, body);
    ASSERT_EQ(again.status, 200) << again;
    EXPECT_EQ(again.j["results"], first.j["results"]);
    EXPECT_EQ(server.Stop(), 0);
  }
  status = Json(Sc({"monitor", ws_, "--json"}));
  ASSERT_EQ(status["batches"].size(), 2u) << status;
  EXPECT_TRUE(status["batches"][1]["shadow"].is_null()) << status["batches"][1];
}

// Undo and reopen (docs/server.md, "Review queue"): a coder undoes their own decision, not
// another's; the undone decision is no longer exported; a supervisor reopens any decided item;
// an exported decision can no longer be undone by its coder. Each is a new decision, audited.
TEST_F(ServerCliTest, ReviewUndoAndReopen) {
  const std::string training = Ingest(train_);
  const std::string version = Train(training);
  ASSERT_FALSE(version.empty());
  const std::string admin = AddUser("root", "admin");
  const std::string meg = AddUser("meg", "methodologist");
  const std::string cod = AddUser("cod", "coder");
  const std::string cid = AddUser("cid", "coder");
  ServeProcess server({ws_, "--auth-failures-per-minute", "100000"}, dir_);
  ASSERT_GT(server.port(), 0);
  Reply r = Send(server, "POST", "/v1/models/" + version + "/promote", admin,
                 R"({"force": true, "reason": "test"})");
  ASSERT_EQ(r.status, 200) << r;
  json records = json::array();
  const Table t = ParseTsv(ReadFile(other_));
  for (size_t i = 1; i <= 20; ++i) records.push_back({{"id", t[i][0]}, {"title", t[i][1]}});
  r = Send(server, "POST", "/v1/code", cod, json({{"records", records}}).dump());
  ASSERT_EQ(r.status, 200) << r;
  json item;
  for (int i = 0; i < 100 && item.is_null(); ++i) {
    r = Send(server, "GET", "/v1/review/next", cod);
    ASSERT_EQ(r.status, 200) << r;
    item = r.j["item"];
    if (item.is_null()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_FALSE(item.is_null()) << "no review item appeared";
  ASSERT_FALSE(item["suggestions"].empty()) << item;
  const std::string path = "/v1/review/" + std::to_string(item["id"].get<int64_t>());
  const std::string code_it =
      json({{"action", "code"}, {"code", item["suggestions"][0]["code"]}}).dump();
  EXPECT_EQ(Send(server, "POST", path + "/undo", cod).status, 409);  // open: nothing to undo
  r = Send(server, "POST", path + "/decision", cod, code_it);
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.j["status"], "decided");
  // Another coder may not undo it, nor may a coder reopen.
  EXPECT_EQ(Send(server, "POST", path + "/undo", cid).status, 403);
  EXPECT_EQ(Send(server, "POST", path + "/reopen", cod).status, 403);
  EXPECT_EQ(Send(server, "POST", "/v1/review/999999/undo", cod).status, 404);
  r = Send(server, "POST", path + "/undo", cod);
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.j["status"], "open");
  EXPECT_GT(r.j["decision_id"].get<int64_t>(), 0);
  EXPECT_EQ(Send(server, "POST", path + "/undo", cod).status, 409);  // already open
  // Open again: the coder takes it again (the oldest open item).
  r = Send(server, "GET", "/v1/review/next", cod);
  ASSERT_EQ(r.status, 200) << r;
  ASSERT_EQ(r.j["item"]["id"], item["id"]) << r;
  // The undone decision is not exported.
  const RunResult none = Sc({"review", "export", ws_, "--json"});
  EXPECT_NE(none.exit_code, 0) << none;

  // Decided again, a supervisor reopens it; decided a third time, it is exported and can no
  // longer be undone by its coder.
  ASSERT_EQ(Send(server, "POST", path + "/decision", cod, code_it).status, 200);
  r = Send(server, "POST", path + "/reopen", meg);
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.j["status"], "open");
  ASSERT_EQ(Send(server, "GET", "/v1/review/next", cod).j["item"]["id"], item["id"]);
  ASSERT_EQ(Send(server, "POST", path + "/decision", cod, code_it).status, 200);
  const json exported = Json(Sc({"review", "export", ws_, "--json"}));
  EXPECT_EQ(exported.value("items", 0u), 1u) << exported;
  r = Send(server, "POST", path + "/undo", cod);
  EXPECT_EQ(r.status, 409) << r;
  EXPECT_NE(r.body.find("exported"), std::string::npos) << r;
  EXPECT_EQ(server.Stop(), 0);
  const std::string audit = Sc({"audit", "list", ws_, "--json"}).out;
  EXPECT_NE(audit.find("review_undo"), std::string::npos);
  EXPECT_NE(audit.find("review_reopen"), std::string::npos);
  EXPECT_EQ(Json(Sc({"audit", "verify", ws_, "--json"})).value("ok", false), true);
}

// The coding index search (docs/server.md): knowledge-base entries with their codes, ranked,
// tolerant of word order and small typos, beside the code titles.
TEST_F(ServerCliTest, CodelistSearchFindsIndexEntries) {
  const RunResult add = Sc({"kb", "add", ws_, "--text", "dairy marketing manager", "--code",
                            "11-2021", "--note", "index entry"});
  ASSERT_EQ(add.exit_code, 0) << add;
  const std::string viewer = AddUser("vic", "viewer");
  ServeProcess server({ws_}, dir_);
  ASSERT_GT(server.port(), 0);
  for (const char* q : {"dairy%20manager", "manager%20dairy", "dairy%20managr", "dayry"}) {
    const Reply r = Send(server, "GET", std::string("/v1/codelist/search?q=") + q, viewer);
    ASSERT_EQ(r.status, 200) << r;
    bool found = false;
    for (const json& e : r.j["results"]) {
      ASSERT_TRUE(e.contains("score") && e.contains("text") && e.contains("title")) << e;
      if (e["source"] == "index" && e["code"] == "11-2021") {
        found = true;
        EXPECT_EQ(e["text"], "dairy marketing manager") << e;
        EXPECT_EQ(e["title"], "Marketing Managers") << e;
        EXPECT_GT(e["score"].get<double>(), 0.0) << e;
      }
    }
    EXPECT_TRUE(found) << q << " " << r;
  }
  // Titles that contain the text still come first, marked as titles.
  const Reply r = Send(server, "GET", "/v1/codelist/search?q=marketing%20manager", viewer);
  ASSERT_EQ(r.status, 200) << r;
  ASSERT_FALSE(r.j["results"].empty()) << r;
  EXPECT_EQ(r.j["results"][0]["code"], "11-2021") << r;
  EXPECT_EQ(r.j["results"][0]["source"], "title") << r;
  EXPECT_EQ(server.Stop(), 0);
}

}  // namespace
}  // namespace statcoder::cli
