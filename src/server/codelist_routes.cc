// The code list (docs/server.md): search, one code, and the review page's tree.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>
#include <vector>

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

std::vector<std::string> Words(const std::string& text) {
  std::vector<std::string> words(1);
  for (char c : Lower(text)) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      words.back() += c;
    } else if (!words.back().empty()) {
      words.emplace_back();
    }
  }
  if (words.back().empty()) words.pop_back();
  return words;
}

// Levenshtein distance, stopping early above `limit`.
size_t Distance(const std::string& a, const std::string& b, size_t limit) {
  if (a.size() > b.size() + limit || b.size() > a.size() + limit) return limit + 1;
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// How well one query word matches one text word: 1 equal, 0.8 a prefix (3+ letters), 0.7 one
// edit (4+ letters) or two (7+), else 0.
double WordScore(const std::string& q, const std::string& w) {
  if (q == w) return 1.0;
  if (q.size() >= 3 && w.compare(0, q.size(), q) == 0) return 0.8;
  const size_t limit = q.size() >= 7 ? 2 : q.size() >= 4 ? 1 : 0;
  if (limit > 0 && Distance(q, w, limit) <= limit) return 0.7;
  return 0.0;
}

// The match of a query to a text, in [0, 1], independent of word order: the mean over the
// query's words of their best match among the text's words, times the share of the text's
// words matched (so a short exact entry ranks above a long one). The query's words run together
// ("dairy man" → "dairyman") count as well.
double MatchScore(const std::vector<std::string>& query, const std::string& text) {
  const std::vector<std::string> words = Words(text);
  if (query.empty() || words.empty()) return 0.0;
  double sum = 0;
  size_t matched = 0;
  for (const std::string& q : query) {
    double best = 0;
    for (const std::string& w : words) best = std::max(best, WordScore(q, w));
    if (best > 0) ++matched;
    sum += best;
  }
  double score = sum / static_cast<double>(query.size());
  if (query.size() > 1) {
    std::string joined;
    for (const std::string& q : query) joined += q;
    for (const std::string& w : words) score = std::max(score, WordScore(joined, w));
  }
  if (matched < query.size() && score < 0.7) return 0.0;
  const double coverage =
      std::min(1.0, static_cast<double>(std::max<size_t>(matched, 1)) /
                        static_cast<double>(words.size()));
  return score * (0.8 + 0.2 * coverage);
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
    results.push_back({{"code", n.code},
                       {"title", n.title},
                       {"level", n.depth},
                       {"text", n.title},
                       {"score", 1.0},
                       {"source", "title"}});
  }
  // The coding index: knowledge-base entries (text → code), and titles that match word by word
  // (any order, small typos), ranked by score after the titles that contain the text.
  const std::vector<std::string> query = Words(q);
  std::vector<json> ranked;
  ASSIGN_OR_RETURN(std::unique_ptr<workspace::Workspace> ws, ctx.OpenWorkspace("search"));
  ASSIGN_OR_RETURN(int64_t kb_version, ws->store().KbVersion());
  ASSIGN_OR_RETURN(std::vector<store::KbEntry> entries, ws->store().ListKbEntries(kb_version));
  for (const store::KbEntry& e : entries) {
    const double score = MatchScore(query, e.text);
    if (score <= 0) continue;
    const int32_t i = codes.Find(e.code);
    ranked.push_back({{"code", e.code},
                      {"title", i >= 0 ? codes.node(i).title : std::string()},
                      {"level", i >= 0 ? codes.node(i).depth : 0},
                      {"text", e.text},
                      {"score", std::round(score * 1e4) / 1e4},
                      {"source", "index"}});
  }
  for (int32_t i = 0; i < static_cast<int32_t>(codes.size()) && !truncated; ++i) {
    const data::CodeNode& n = codes.node(i);
    if (Lower(n.title).find(q) != std::string::npos || Lower(n.code).find(q) != std::string::npos) {
      continue;  // already listed
    }
    const double score = MatchScore(query, n.title);
    if (score <= 0) continue;
    ranked.push_back({{"code", n.code},
                      {"title", n.title},
                      {"level", n.depth},
                      {"text", n.title},
                      {"score", std::round(score * 0.99 * 1e4) / 1e4},
                      {"source", "title"}});
  }
  std::stable_sort(ranked.begin(), ranked.end(), [](const json& a, const json& b) {
    return a["score"].get<double>() > b["score"].get<double>();
  });
  for (json& r : ranked) {
    if (results.size() == kLimit) {
      truncated = true;
      break;
    }
    results.push_back(std::move(r));
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
