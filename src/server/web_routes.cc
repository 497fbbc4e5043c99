#include "server/web_routes.h"


#include <array>
#include <cstdio>
#include <string>

namespace statcoder::server {

// Generated from src/server/web/ by statcoder_embed_files (src/server/CMakeLists.txt).
namespace web_page {
extern const std::string_view kIndexHtml;
extern const std::string_view kAppJs;
extern const std::string_view kAppCss;
extern const std::string_view kMonitorHtml;
extern const std::string_view kMonitorJs;
extern const std::string_view kMonitorCss;
extern const std::string_view kCommonJs;
extern const std::string_view kOpenApiJson;
}  // namespace web_page

namespace {

// index.html, app.js, app.css; monitor.html, monitor.js, monitor.css; common.js.
constexpr size_t kWebAssetCount = 7;

// FNV-1a 64 of the bytes: an ETag only has to change when the asset does.
std::string ETagOf(std::string_view bytes) {
  uint64_t h = 14695981039346656037ull;
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  char tag[24];
  std::snprintf(tag, sizeof tag, "\"%016llx\"", static_cast<unsigned long long>(h));
  return tag;
}

}  // namespace

std::span<const WebAsset> WebAssets() {
  static const std::array<WebAsset, kWebAssetCount> assets = {{
      {"/", "/", "text/html; charset=utf-8", web_page::kIndexHtml},
      {"/app.js", R"(/app\.js)", "text/javascript; charset=utf-8", web_page::kAppJs},
      {"/app.css", R"(/app\.css)", "text/css; charset=utf-8", web_page::kAppCss},
      {"/monitor", "/monitor", "text/html; charset=utf-8", web_page::kMonitorHtml},
      {"/monitor.js", R"(/monitor\.js)", "text/javascript; charset=utf-8", web_page::kMonitorJs},
      {"/monitor.css", R"(/monitor\.css)", "text/css; charset=utf-8", web_page::kMonitorCss},
      {"/common.js", R"(/common\.js)", "text/javascript; charset=utf-8", web_page::kCommonJs},
  }};
  return assets;
}

void ServeWebAsset(const WebAsset& asset, std::string_view if_none_match, HttpResponse& res) {
  // Computed once per asset: the bytes never change while the binary runs.
  static const std::array<std::string, kWebAssetCount> etags = [] {
    std::array<std::string, kWebAssetCount> tags;
    for (size_t i = 0; i < tags.size(); ++i) tags[i] = ETagOf(WebAssets()[i].body);
    return tags;
  }();
  const std::string& etag = etags[static_cast<size_t>(&asset - WebAssets().data())];
  res.SetHeader("Content-Security-Policy", std::string(kWebContentSecurityPolicy));
  res.SetHeader("X-Content-Type-Options", "nosniff");
  res.SetHeader("Referrer-Policy", "no-referrer");
  res.SetHeader("Cache-Control", "no-cache");
  res.SetHeader("ETag", etag);
  if (if_none_match == etag) {
    res.status = 304;
    return;
  }
  res.status = 200;
  res.SetContent(std::string(asset.body), std::string(asset.content_type));
}

std::string_view OpenApiJson() { return web_page::kOpenApiJson; }

nlohmann::json CodeListChildrenJson(const data::CodeList& codes, int32_t parent) {
  using nlohmann::json;
  auto entry = [&codes](int32_t i) {
    const data::CodeNode& n = codes.node(i);
    return json{{"code", n.code},
                {"title", n.title},
                {"level", n.depth},
                {"level_name", codes.LevelName(n.depth)},
                {"has_children", !n.children.empty()}};
  };
  json children = json::array();
  if (parent >= 0) {
    for (const int32_t c : codes.node(parent).children) children.push_back(entry(c));
  } else {
    for (int32_t i = 0; i < static_cast<int32_t>(codes.size()); ++i) {
      if (codes.node(i).parent < 0) children.push_back(entry(i));
    }
  }
  return {{"parent", parent >= 0 ? json(codes.node(parent).code) : json(nullptr)},
          {"children", std::move(children)}};
}

}  // namespace statcoder::server
