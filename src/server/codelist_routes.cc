// The code list (docs/server.md): search, one code, and the review page's tree.
#include <string>

#include "server/route_support.h"
#include "server/routes.h"
#include "server/web_routes.h"

namespace statcoder::server {
namespace {

using json = nlohmann::json;

json CodeJson(const data::CodeList& codes, int32_t i) {
  const data::CodeNode& n = codes.node(i);
  json children = json::array();
  for (int32_t c : n.children) children.push_back(codes.node(c).code);
  return {{"code", n.code},
          {"title", n.title},
          {"parent", n.parent >= 0 ? json(codes.node(n.parent).code) : json(nullptr)},
          {"children", children},
          {"level", n.depth},
          {"level_name", codes.LevelName(n.depth)}};
}

core::Status NeedCodes(const RouteContext& ctx) {
  if (ctx.codes) return core::Status::Ok();
  return core::NotFound("the workspace has no code list ('statcoder init --codelist')");
}

}  // namespace

core::Status SearchCodes(const RouteContext& ctx, const HttpRequest& req, HttpResponse& res) {
  RETURN_IF_ERROR(NeedCodes(ctx));
  const data::CodeList& codes = *ctx.codes;
  const std::string q = Lower(req.Param("q"));
  if (q.empty()) return core::InvalidArgument("give the text to search for: ?q=...");
  constexpr size_t kLimit = 50;
  json results = json::array();
  bool truncated = false;
  for (int32_t i = 0; i < static_cast<int32_t>(codes.size()); ++i) {
    const data::CodeNode& n = codes.node(i);
    if (Lower(n.code).find(q) == std::string::npos &&
        Lower(n.title).find(q) == std::string::npos) {
      continue;
    }
    if (results.size() == kLimit) {
      truncated = true;
      break;
    }
    results.push_back({{"code", n.code}, {"title", n.title}, {"level", n.depth}});
  }
  SendJson(res, {{"results", results}, {"truncated", truncated}});
  return core::Status::Ok();
}

core::Status GetCode(const RouteContext& ctx, const HttpRequest& req, HttpResponse& res) {
  RETURN_IF_ERROR(NeedCodes(ctx));
  const data::CodeList& codes = *ctx.codes;
  const std::string code = req.matches[1];
  const int32_t i = codes.Find(code);
  if (i < 0) return core::NotFound("code '" + code + "' is not in the workspace's code list");
  SendJson(res, CodeJson(codes, i));
  return core::Status::Ok();
}

core::Status CodeListTop(const RouteContext& ctx, HttpResponse& res) {
  RETURN_IF_ERROR(NeedCodes(ctx));
  SendJson(res, CodeListChildrenJson(*ctx.codes, -1));
  return core::Status::Ok();
}

core::Status CodeChildren(const RouteContext& ctx, const HttpRequest& req, HttpResponse& res) {
  RETURN_IF_ERROR(NeedCodes(ctx));
  const std::string code = req.matches[1];
  const int32_t i = ctx.codes->Find(code);
  if (i < 0) return core::NotFound("code '" + code + "' is not in the workspace's code list");
  SendJson(res, CodeListChildrenJson(*ctx.codes, i));
  return core::Status::Ok();
}

}  // namespace statcoder::server
