// `statcoder serve` under slow, hostile and heavy clients (issue 14; docs/server.md, "Limits"):
// the real binary with its default settings, driven over raw loopback sockets, so the test can
// send what no well-behaved client library would (a header line every 2 s, 9 MiB of chunks, 10 KB
// of headers, pipelined requests). Label "cli": it runs the binary and opens sockets.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "cli_harness.h"
#include "serve_process.h"

namespace statcoder::cli {
namespace {

using namespace statcoder::cli::testing;
using Clock = std::chrono::steady_clock;

int Connect(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// False when the peer stopped reading (closed or reset): the rest is not sent.
bool SendAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

struct Response {
  int status = 0;  // 0: none within the time
  std::string head, body;
  std::string Header(const std::string& name) const {
    const std::string key = "\r\n" + name + ": ";
    const size_t at = head.find(key);
    if (at == std::string::npos) return "";
    const size_t end = head.find("\r\n", at + key.size());
    return head.substr(at + key.size(), end - at - key.size());
  }
  json Json() const { return json::parse(body, nullptr, false); }
};

std::ostream& operator<<(std::ostream& os, const Response& r) {
  return os << "HTTP " << r.status << "\n" << r.head << "\n" << r.body.substr(0, 2000);
}

// Reads one response (with Content-Length) from `fd`, keeping what follows in `rest`.
Response ReadResponse(int fd, std::string& rest, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  Response r;
  auto fill = [&]() {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) return false;
    char buf[65536];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return false;
    rest.append(buf, static_cast<size_t>(n));
    return true;
  };
  size_t end;
  while ((end = rest.find("\r\n\r\n")) == std::string::npos) {
    if (!fill()) return r;
  }
  r.head = rest.substr(0, end);
  rest.erase(0, end + 4);
  size_t length = 0;
  const std::string cl = r.Header("Content-Length");
  if (!cl.empty()) length = std::stoul(cl);
  while (rest.size() < length) {
    if (!fill()) return r;
  }
  r.body = rest.substr(0, length);
  rest.erase(0, length);
  r.status = std::stoi(r.head.substr(9, 3));
  return r;
}

// One request on a fresh connection.
Response Exchange(int port, const std::string& request,
                  std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const int fd = Connect(port);
  if (fd < 0) return {};
  SendAll(fd, request);
  std::string rest;
  Response r = ReadResponse(fd, rest, timeout);
  ::close(fd);
  return r;
}

std::string Get(const std::string& path, const std::string& token = "") {
  return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
         (token.empty() ? "" : "Authorization: Bearer " + token + "\r\n") + "\r\n";
}

// Resident memory of a process, in bytes.
size_t ResidentBytes(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6)) * 1024;
  }
  return 0;
}

// Sends `total` bytes of body as chunks of 64 KiB; returns the bytes the server took before it
// answered and closed.
size_t SendChunked(int fd, const std::string& head, size_t total) {
  if (!SendAll(fd, head)) return 0;
  const std::string chunk(64 * 1024, 'a');
  char size_line[32];
  std::snprintf(size_line, sizeof size_line, "%zx\r\n", chunk.size());
  size_t sent = 0;
  while (sent < total) {
    if (!SendAll(fd, std::string(size_line) + chunk + "\r\n")) return sent;
    sent += chunk.size();
  }
  SendAll(fd, "0\r\n\r\n");
  return sent;
}

class ServerHardeningTest : public WorkspaceTest {
 protected:
  void SetUp() override {
    WorkspaceTest::SetUp();
    Init();
    coder_ = Json(Sc({"users", "add", ws_, "carol", "--role", "coder", "--json"})).value("token", "");
    viewer_ = Json(Sc({"users", "add", ws_, "vera", "--role", "viewer", "--json"})).value("token", "");
  }
  std::string coder_, viewer_;
};

TEST_F(ServerHardeningTest, SlowClientsDoNotTakeTheServer) {
  ServeProcess server({ws_}, dir_);  // default --threads 8, --read-timeout 5
  ASSERT_GT(server.port(), 0);
  // 20 connections, each sending one header line every 2 s and never finishing.
  constexpr int kSlow = 20;
  std::vector<int> slow;
  for (int i = 0; i < kSlow; ++i) {
    const int fd = Connect(server.port());
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(SendAll(fd, "GET /healthz HTTP/1.1\r\n"));
    slow.push_back(fd);
  }
  std::atomic<bool> done{false};
  std::thread trickle([&] {
    for (int line = 0; !done; ++line) {
      for (int fd : slow) SendAll(fd, "X-Slow-" + std::to_string(line) + ": 1\r\n");
      for (int i = 0; i < 20 && !done; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  // /healthz probes for 8 s, past the slow clients' 5 s header deadline.
  double worst_ms = 0;
  int answered = 0;
  for (int probe = 0; probe < 16; ++probe) {
    const auto start = Clock::now();
    const Response r = Exchange(server.port(), Get("/healthz"), std::chrono::seconds(1));
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    worst_ms = std::max(worst_ms, ms);
    EXPECT_EQ(r.status, 200) << "probe " << probe << " after " << ms << " ms: " << r;
    answered += r.status == 200;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  done = true;
  trickle.join();
  EXPECT_EQ(answered, 16);
  EXPECT_LT(worst_ms, 1000);
  // The slow clients were cut off at the deadline for their headers (5 s, long passed): their
  // connections are closed.
  int closed = 0;
  for (int fd : slow) {
    pollfd p{fd, POLLIN, 0};
    char byte;
    closed += ::poll(&p, 1, 2000) == 1 && ::recv(fd, &byte, 1, 0) <= 0;
    ::close(fd);
  }
  EXPECT_EQ(closed, kSlow);
  EXPECT_NE(server.Log().find("\"status\":408"), std::string::npos) << "logged as 408";
  EXPECT_EQ(server.Stop(), 0);
}

TEST_F(ServerHardeningTest, ChunkedBodiesRespectTheBodyLimitWhileReading) {
  ServeProcess server({ws_}, dir_);  // default --max-body-bytes 8 MiB
  ASSERT_GT(server.port(), 0);
  const int fd = Connect(server.port());
  ASSERT_GE(fd, 0);
  size_t sent = 0;
  std::thread sender([&] {
    sent = SendChunked(fd,
                       "POST /v1/code HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + coder_ +
                           "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
                       9u << 20);
  });
  std::string rest;
  const Response r = ReadResponse(fd, rest, std::chrono::seconds(20));
  ::shutdown(fd, SHUT_RDWR);
  sender.join();
  ::close(fd);
  EXPECT_EQ(r.status, 413) << r;
  EXPECT_EQ(r.Json()["error"]["code"], "limit_exceeded") << r;
  EXPECT_NE(r.body.find("--max-body-bytes"), std::string::npos) << r;
  EXPECT_EQ(r.Header("X-Content-Type-Options"), "nosniff") << r;

  // A declared length over the limit is refused from the headers, before any body is sent.
  const Response declared = Exchange(
      server.port(), "POST /v1/code HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + coder_ +
                         "\r\nContent-Type: application/json\r\nContent-Length: 9437184\r\n\r\n");
  EXPECT_EQ(declared.status, 413) << declared;
  // Under the limit, chunked works.
  const std::string body = R"({"records": [{"title": "Sales Manager"}]})";
  char size[16];
  std::snprintf(size, sizeof size, "%zx", body.size());
  const Response small = Exchange(
      server.port(), "POST /v1/code HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + coder_ +
                         "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
                         size + "\r\n" + body + "\r\n0\r\n\r\n");
  // No production model in this workspace: the request was read and routed to the handler.
  EXPECT_EQ(small.status, 409) << small;
  EXPECT_NE(small.body.find("no production model"), std::string::npos) << small;
  EXPECT_EQ(server.Stop(), 0);
}

TEST_F(ServerHardeningTest, AuthenticationComesBeforeTheBody) {
  ServeProcess server({ws_}, dir_);
  ASSERT_GT(server.port(), 0);
  const size_t before = ResidentBytes(server.pid());
  const int fd = Connect(server.port());
  ASSERT_GE(fd, 0);
  size_t sent = 0;
  std::thread sender([&] {
    sent = SendChunked(fd,
                       "POST /v1/code HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       "Transfer-Encoding: chunked\r\n\r\n",
                       32u << 20);
  });
  std::string rest;
  const Response r = ReadResponse(fd, rest, std::chrono::seconds(20));
  const size_t after = ResidentBytes(server.pid());
  ::shutdown(fd, SHUT_RDWR);
  sender.join();
  ::close(fd);
  EXPECT_EQ(r.status, 401) << r;
  EXPECT_EQ(r.Json()["error"]["code"], "unauthenticated") << r;
  EXPECT_EQ(r.Header("Connection"), "close") << r;
  EXPECT_LT(after, before + (100u << 20)) << "resident memory " << before << " -> " << after;
  // The same without a body on a kept-alive connection: answered, the connection stays usable.
  const int keep = Connect(server.port());
  ASSERT_TRUE(SendAll(keep, Get("/v1/me") + Get("/healthz")));
  std::string pending;
  EXPECT_EQ(ReadResponse(keep, pending, std::chrono::seconds(5)).status, 401);
  EXPECT_EQ(ReadResponse(keep, pending, std::chrono::seconds(5)).status, 200);
  ::close(keep);
  EXPECT_EQ(server.Stop(), 0);
}

TEST_F(ServerHardeningTest, HeaderSizeIsLimited) {
  ServeProcess server({ws_}, dir_);  // default --max-header-bytes 8192
  ASSERT_GT(server.port(), 0);
  std::string many;
  for (int i = 0; i < 100; ++i) many += "X-Filler-" + std::to_string(i) + ": " + std::string(90, 'x') + "\r\n";
  Response r = Exchange(server.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n" + many + "\r\n");
  EXPECT_EQ(r.status, 431) << r;
  EXPECT_NE(r.body.find("--max-header-bytes"), std::string::npos) << r;
  // 100k header lines, as in the issue: refused as soon as 8 KiB are in.
  const int fd = Connect(server.port());
  SendAll(fd, "GET /healthz HTTP/1.1\r\n");
  for (int i = 0; i < 1000; ++i) {
    if (!SendAll(fd, "X-A: " + std::string(100, 'a') + "\r\n")) break;
  }
  std::string rest;
  EXPECT_EQ(ReadResponse(fd, rest, std::chrono::seconds(5)).status, 431);
  ::close(fd);
  // Under the limit: served.
  std::string some;
  for (int i = 0; i < 50; ++i) some += "X-Filler-" + std::to_string(i) + ": " + std::string(90, 'x') + "\r\n";
  r = Exchange(server.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n" + some + "\r\n");
  EXPECT_EQ(r.status, 200) << r;
  EXPECT_EQ(server.Stop(), 0);
}

TEST_F(ServerHardeningTest, PipelinedRequestsAreAllAnswered) {
  ServeProcess server({ws_}, dir_);
  ASSERT_GT(server.port(), 0);
  const int fd = Connect(server.port());
  ASSERT_TRUE(SendAll(fd, Get("/healthz") + Get("/readyz") + Get("/v1/me", viewer_)));
  std::string rest;
  const Response a = ReadResponse(fd, rest, std::chrono::seconds(5));
  const Response b = ReadResponse(fd, rest, std::chrono::seconds(5));
  const Response c = ReadResponse(fd, rest, std::chrono::seconds(5));
  ::close(fd);
  EXPECT_EQ(a.status, 200) << a;
  EXPECT_EQ(b.status, 503) << b;  // no production model yet
  EXPECT_EQ(c.status, 200) << c;
  EXPECT_EQ(c.Json()["user"], "vera") << c;
  EXPECT_EQ(server.Stop(), 0);
}

TEST_F(ServerHardeningTest, ApiResponsesAreNosniffAndErrorsDoNotEchoThePath) {
  ServeProcess server({ws_}, dir_);
  ASSERT_GT(server.port(), 0);
  for (const std::string& path : {std::string("/healthz"), std::string("/v1/models")}) {
    const Response r = Exchange(server.port(), Get(path, viewer_));
    EXPECT_EQ(r.status, 200) << path << ": " << r;
    EXPECT_EQ(r.Header("X-Content-Type-Options"), "nosniff") << path << ": " << r;
  }
  const Response missing =
      Exchange(server.port(), Get("/v1/%3Cscript%3Ealert(1)%3C/script%3E-marker", viewer_));
  EXPECT_EQ(missing.status, 404) << missing;
  EXPECT_EQ(missing.Json()["error"]["code"], "not_found") << missing;
  EXPECT_EQ(missing.body.find("marker"), std::string::npos) << missing;
  EXPECT_EQ(missing.body.find("script"), std::string::npos) << missing;
  EXPECT_EQ(missing.Header("X-Content-Type-Options"), "nosniff") << missing;
  // %2F is not a path separator: the code "11-2021/children" is looked up, not the children.
  const Response encoded = Exchange(server.port(), Get("/v1/codelist/11-2021%2Fchildren", viewer_));
  EXPECT_EQ(encoded.status, 404) << encoded;
  EXPECT_NE(encoded.body.find("'11-2021/children' is not in the workspace's code list"),
            std::string::npos)
      << encoded;
  const Response children = Exchange(server.port(), Get("/v1/codelist/11-2021/children", viewer_));
  EXPECT_EQ(children.status, 200) << children;
  // Malformed HTTP: a JSON 400.
  const Response bad = Exchange(server.port(), "GARBAGE\r\n\r\n");
  EXPECT_EQ(bad.status, 400) << bad;
  EXPECT_EQ(bad.Json()["error"]["code"], "bad_request") << bad;
  EXPECT_EQ(server.Stop(), 0);
}

TEST_F(ServerHardeningTest, ConnectionsPerAddressAreCapped) {
  ServeProcess server({ws_, "--max-connections-per-address", "3"}, dir_);
  ASSERT_GT(server.port(), 0);
  std::vector<int> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(Connect(server.port()));
    ASSERT_GE(held.back(), 0);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // accepted and counted
  const Response refused = Exchange(server.port(), Get("/healthz"));
  EXPECT_EQ(refused.status, 503) << refused;
  EXPECT_NE(refused.body.find("too many connections"), std::string::npos) << refused;
  ::close(held.back());
  held.pop_back();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // released
  const Response ok = Exchange(server.port(), Get("/healthz"));
  EXPECT_EQ(ok.status, 200) << ok;
  for (int fd : held) ::close(fd);
  // The metrics still count what was served.
  const Response metrics = Exchange(server.port(), Get("/metrics", viewer_));
  EXPECT_EQ(metrics.status, 200) << metrics;
  EXPECT_NE(metrics.body.find("/healthz"), std::string::npos) << metrics;
  EXPECT_EQ(server.Stop(), 0);
}

}  // namespace
}  // namespace statcoder::cli
