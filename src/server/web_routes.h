// The clerical coders' review page of `statcoder serve` (docs/server.md, "The review page"): its
// three static assets (src/server/web/index.html, app.js, app.css, compiled into the binary at
// build time by cmake/StatcoderEmbed.cmake), the security headers they are served with, and the
// code-list browsing JSON the page's tree needs beside GET /v1/codelist/{code}.
//
//   for (const WebAsset& a : WebAssets()) http.Get(a.pattern, [&a](auto&, auto& res) {
//     ServeWebAsset(a, res);
//   });
//
// The assets hold no data (every record comes through the authenticated JSON API), so they are
// served without a token. The page renders record text only through textContent and
// createElement, and the Content-Security-Policy (kWebContentSecurityPolicy) forbids inline
// script and every other origin, so a record's text can never run as script.
//
// Thread-safety: everything here is immutable; the functions may be called concurrently.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string_view>

#include "data/code_list.h"

namespace httplib {
struct Response;
}

namespace statcoder::server {

// One static file of the page.
struct WebAsset {
  std::string_view path;          // as requested and as the route is named: "/app.js"
  std::string_view pattern;       // the route's regular expression: "/app\\.js"
  std::string_view content_type;  // with charset
  std::string_view body;          // the embedded bytes
};

// index.html ("/"), app.js and app.css.
std::span<const WebAsset> WebAssets();

// default-src 'none' and exactly what the page needs of its own origin; no inline script or
// style, no framing, no <base>, forms only to itself.
inline constexpr std::string_view kWebContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

// Writes the asset with Content-Security-Policy, X-Content-Type-Options: nosniff,
// Referrer-Policy: no-referrer and Cache-Control: no-cache (an upgraded server's page is
// fetched again, revalidated by ETag).
void ServeWebAsset(const WebAsset& asset, std::string_view if_none_match, httplib::Response& res);

// The children of code-list node `parent` (-1: the top-level codes) for the page's tree:
// {"parent": code or null, "children": [{"code", "title", "level", "level_name",
// "has_children"}]}, in code-list order. REQUIRES: -1 <= parent < codes.size().
nlohmann::json CodeListChildrenJson(const data::CodeList& codes, int32_t parent);

}  // namespace statcoder::server
