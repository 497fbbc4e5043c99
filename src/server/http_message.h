// One HTTP request and its response as plain values, independent of the engine that read them
// (http_engine.h): route handlers take these, so they can be tested without sockets.
//
//   HttpRequest req;  req.method = "GET";  req.path = "/v1/codelist/search";
//   req.params.emplace("q", "clerk");
//   HttpResponse res;  handler(req, res);  // res.status, res.body
//
// Thread-safety: plain values; one thread at a time.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace statcoder::server {

// Header names compare case-insensitively (RFC 9110).
struct CaseInsensitiveLess {
  bool operator()(std::string_view a, std::string_view b) const;
};

struct HttpRequest {
  std::string method;  // "GET", "POST", ... as sent
  std::string target;  // the request target as sent: path and query, percent-encoded
  std::string path;    // the target's path, still percent-encoded: routes match it undecoded
  std::multimap<std::string, std::string, CaseInsensitiveLess> headers;
  std::multimap<std::string, std::string> params;  // the query, decoded
  // The matched route's captures, decoded ([0]: the whole path as sent).
  std::vector<std::string> matches;
  std::string body;
  std::string remote_addr;
  bool has_body = false;  // a Content-Length above 0 or a chunked body was announced

  // The first value of a header, "" when absent.
  std::string Header(std::string_view name) const;
  bool HasParam(const std::string& key) const { return params.count(key) > 0; }
  // The first value of a query parameter, "" when absent.
  std::string Param(const std::string& key) const;
};

struct HttpResponse {
  int status = 0;  // 0 until a handler sets it
  std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Type
  std::string content_type;
  std::string body;

  // Replaces any header of that name.
  void SetHeader(std::string name, std::string value);
  bool HasHeader(std::string_view name) const;
  std::string Header(std::string_view name) const;
  void SetContent(std::string body_bytes, std::string_view type) {
    body = std::move(body_bytes);
    content_type = std::string(type);
  }
};

// Percent-decoding of a path segment ('+' kept) or of a query component (`plus_is_space`).
// Invalid escapes are kept as they are.
std::string PercentDecode(std::string_view s, bool plus_is_space);
// "a=1&b=x%20y" → {a: 1, b: "x y"}.
std::multimap<std::string, std::string> ParseQuery(std::string_view query);

}  // namespace statcoder::server
