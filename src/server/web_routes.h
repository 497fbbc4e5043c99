// The web pages of `statcoder serve`: the clerical coders' review page (docs/server.md, "The
// review page": src/server/web/index.html, app.js, app.css) and the monitoring page
// (docs/monitoring.md, "The monitoring page": monitor.html, monitor.js, monitor.css, which also
// uses app.css; it reads GET /v1/monitor), common.js that both pages' scripts use (the token,
// API calls, the sign-in form), their static assets compiled into the binary at build
// time by cmake/StatcoderEmbed.cmake, the security headers they are served with, and the
// code-list browsing JSON the review page's tree needs beside GET /v1/codelist/{code}.
//
//   for (const WebAsset& a : WebAssets()) http.Get(a.pattern, [&a](auto&, auto& res) {
//     ServeWebAsset(a, res);
//   });
//
// The assets hold no data (every record and statistic comes through the authenticated JSON API),
// so they are served without a token. The pages render API values only through textContent,
// createElement and createElementNS (the monitoring page's charts are SVG drawn by monitor.js),
// and the Content-Security-Policy (kWebContentSecurityPolicy) forbids inline script and every
// other origin, so a record's text or a batch label can never run as script.
//
// Thread-safety: everything here is immutable; the functions may be called concurrently.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string_view>

#include "data/code_list.h"
#include "server/http_message.h"


namespace statcoder::server {

// One static file of the page.
struct WebAsset {
  std::string_view path;          // as requested and as the route is named: "/app.js"
  std::string_view pattern;       // the route's regular expression: "/app\\.js"
  std::string_view content_type;  // with charset
  std::string_view body;          // the embedded bytes
};

// index.html ("/"), app.js, app.css, monitor.html ("/monitor"), monitor.js, monitor.css and
// common.js.
std::span<const WebAsset> WebAssets();

// default-src 'none' and exactly what the pages need of its own origin; no inline script or
// style, no framing, no <base>, forms only to itself.
inline constexpr std::string_view kWebContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

// Writes the asset with Content-Security-Policy, X-Content-Type-Options: nosniff,
// Referrer-Policy: no-referrer and Cache-Control: no-cache (an upgraded server's page is
// fetched again, revalidated by ETag).
void ServeWebAsset(const WebAsset& asset, std::string_view if_none_match, HttpResponse& res);

// The OpenAPI 3.0 description of the JSON API (src/server/web/openapi.json), served at
// GET /v1/openapi.json; tests/server/server_cli_test.cc checks it against the routes.
std::string_view OpenApiJson();

// The children of code-list node `parent` (-1: the top-level codes) for the page's tree:
// {"parent": code or null, "children": [{"code", "title", "level", "level_name",
// "has_children"}]}, in code-list order. REQUIRES: -1 <= parent < codes.size().
nlohmann::json CodeListChildrenJson(const data::CodeList& codes, int32_t parent);

}  // namespace statcoder::server
