#include "server/http_server.h"

#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <thread>
#include <vector>

#include "core/random.h"
#include "server/auth.h"
#include "server/http_engine.h"
#include "core/utc_time.h"
#include "server/metrics.h"
#include "server/review_writer.h"
#include "server/route_support.h"
#include "server/routes.h"
#include "server/served_model.h"
#include "server/web_routes.h"
#include "workspace/workspace.h"

namespace statcoder::server {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

}  // namespace

core::Status ServerOptions::Validate() const {
  auto range = [](const char* name, int64_t v, int64_t lo, int64_t hi) {
    if (v >= lo && v <= hi) return core::Status::Ok();
    return core::InvalidArgument(std::string(name) + " must be in " + std::to_string(lo) + ".." +
                                 std::to_string(hi) + ", not " + std::to_string(v));
  };
  RETURN_IF_ERROR(range("--port", port, 0, 65535));
  RETURN_IF_ERROR(range("--threads", threads, 1, 1024));
  RETURN_IF_ERROR(
      range("--max-body-bytes", static_cast<int64_t>(max_body_bytes), 1024, int64_t{1} << 32));
  RETURN_IF_ERROR(range("--max-batch", static_cast<int64_t>(max_batch_records), 1, 10000000));
  RETURN_IF_ERROR(
      range("--max-field-bytes", static_cast<int64_t>(max_field_bytes), 1, int64_t{1} << 30));
  RETURN_IF_ERROR(range("--read-timeout", read_timeout_seconds, 1, 3600));
  RETURN_IF_ERROR(range("--write-timeout", write_timeout_seconds, 1, 3600));
  RETURN_IF_ERROR(range("--keep-alive", keep_alive_seconds, 0, 3600));
  RETURN_IF_ERROR(range("--keep-alive-requests", keep_alive_max_requests, 1, 100000));
  RETURN_IF_ERROR(range("--io-threads", io_threads, 1, 64));
  RETURN_IF_ERROR(
      range("--max-header-bytes", static_cast<int64_t>(max_header_bytes), 1024, 1 << 20));
  RETURN_IF_ERROR(range("--max-connections", max_connections, 1, 1000000));
  RETURN_IF_ERROR(
      range("--max-connections-per-address", max_connections_per_address, 1, 1000000));
  RETURN_IF_ERROR(range("--auth-failures-per-minute", auth_failures_per_minute, 1, 1000000));
  RETURN_IF_ERROR(range("--poll-interval-ms", poll_interval_ms, 50, 60000));
  RETURN_IF_ERROR(range("--review-lease-minutes", review_lease_minutes, 1, 1440));
  RETURN_IF_ERROR(range("--review-flush-ms", review_flush_ms, 10, 10000));
  if (host.empty()) return core::InvalidArgument("--host must not be empty");
  return core::Status::Ok();
}

core::Result<std::shared_ptr<const Served>> RouteContext::Ready() const {
  std::shared_ptr<const Served> s = served.Current();
  if (!s) {
    return core::FailedPrecondition(
        "no production model is loaded; promote one ('statcoder models promote')");
  }
  return s;
}

core::Result<std::unique_ptr<workspace::Workspace>> RouteContext::OpenWorkspace(
    const std::string& actor) const {
  return workspace::Workspace::Open(root, actor,
                                    {.allow_outside_paths = options.allow_outside_paths});
}

bool RouteContext::DrawAudit() {
  if (config.audit_rate <= 0) return false;
  const uint64_t n = audit_draws.fetch_add(1);
  const double u = static_cast<double>(core::DeriveSeed(config.audit_seed, n) >> 11) * 0x1p-53;
  return u < config.audit_rate;
}

// The server: the engine's handler (routing, authentication before the body, the access log
// and metrics), the poller that keeps the served model fresh, and the routes (routes.h).
struct HttpServer::Impl final : HttpHandler {
  ServerOptions options;
  std::string root;
  std::unique_ptr<workspace::Workspace> poll_ws;  // the poller thread's own connection
  Metrics metrics;
  FailedAuthLimiter limiter;
  std::FILE* log = stderr;
  std::mutex log_mu;
  ServedModel served{[this](const Served& next, const std::string& previous) {
    metrics.ModelLoaded(next.version, next.kb_version);
    json event = {{"event", "model_loaded"},
                  {"model_version", next.version},
                  {"kb_version", next.kb_version},
                  {"previous", previous},
                  {"shadow_version", next.shadow ? json(next.shadow_version) : json(nullptr)}};
    if (!next.shadow_error.empty()) event["shadow_error"] = next.shadow_error;
    LogEvent(std::move(event));
  }};
  std::unique_ptr<ReviewWriter> writer;
  std::unique_ptr<RouteContext> route_ctx;  // what the route handlers share

  std::thread poller;
  std::mutex stop_mu;
  std::condition_variable stop_cv;
  bool stopping = false;

  explicit Impl(const ServerOptions& o) : options(o), limiter(o.auth_failures_per_minute) {}

  void LogEvent(json j) {
    j["time"] = workspace::UtcNow();
    const std::string line = Dump(j) + "\n";
    std::lock_guard<std::mutex> lock(log_mu);
    std::fwrite(line.data(), 1, line.size(), log);
    std::fflush(log);
  }

  // The review queue's gauges, read from the catalog for each scrape. A catalog that cannot be
  // read shows as statcoder_review_queue_up 0 (and in the log), never as a failed scrape.
  std::string ReviewQueueMetrics() {
    const core::Result<std::string> text = [&]() -> core::Result<std::string> {
      ASSIGN_OR_RETURN(std::unique_ptr<workspace::Workspace> ws, route_ctx->OpenWorkspace(""));
      ASSIGN_OR_RETURN(auto items, ws->store().CountReviewItems());
      const std::string hour_ago =
          core::UtcTime(std::chrono::system_clock::now() - std::chrono::hours(1));
      ASSIGN_OR_RETURN(auto decisions, ws->store().CountReviewDecisionsSince(hour_ago));
      return RenderReviewQueueMetrics(ws->config().classification, items, decisions);
    }();
    std::string up =
        "# HELP statcoder_review_queue_up 1 when the review queue could be read for this "
        "scrape.\n# TYPE statcoder_review_queue_up gauge\nstatcoder_review_queue_up ";
    if (text.ok()) return up + "1\n" + *text;
    LogEvent({{"event", "metrics_queue_failed"},
              {"error", std::string(core::StatusCodeName(text.status().code()))},
              {"message", text.status().message()}});
    return up + "0\n";
  }

  void Poll() {
    std::unique_lock<std::mutex> lock(stop_mu);
    while (!stop_cv.wait_for(lock, std::chrono::milliseconds(options.poll_interval_ms),
                             [this] { return stopping; })) {
      lock.unlock();
      writer->CloseWindowIfDue(false);
      const core::Status s = served.Refresh(*poll_ws);
      if (!s.ok()) {
        LogEvent({{"event", "refresh_failed"},
                  {"error", std::string(core::StatusCodeName(s.code()))},
                  {"message", s.message()}});
      }
      lock.lock();
    }
  }

  // 429 while the address is locked out; 401 without a valid token; 403 below `role`.
  std::optional<store::UserRow> Authorize(const HttpRequest& req, HttpResponse& res,
                                          Role role) {
    if (const int64_t wait = limiter.RetryAfter(req.remote_addr); wait > 0) {
      res.SetHeader("Retry-After", std::to_string(wait));
      SendError(res, 429, "rate_limited",
                "too many failed authentications from this address; retry in " +
                    std::to_string(wait) + " s");
      return std::nullopt;
    }
    const std::string header = req.Header("Authorization");
    constexpr std::string_view kBearer = "Bearer ";
    const std::shared_ptr<const UserDirectory> directory = served.Users();
    const store::UserRow* user = nullptr;
    if (header.compare(0, kBearer.size(), kBearer) == 0) {
      user = directory->Verify(std::string_view(header).substr(kBearer.size()));
    }
    if (user == nullptr) {
      limiter.RecordFailure(req.remote_addr);
      metrics.CountAuthFailure();
      res.SetHeader("WWW-Authenticate", "Bearer");
      SendError(res, 401, "unauthenticated",
                header.empty() ? "this route needs 'Authorization: Bearer <token>' ('statcoder "
                                 "users add' issues tokens)"
                               : "the bearer token is invalid, or its user is disabled");
      return std::nullopt;
    }
    CurrentRequest().user = user->name;
    const core::Result<Role> has = ParseRole(user->role);
    if (!has.ok() || *has < role) {
      SendError(res, 403, "permission_denied",
                "user " + user->name + " (role " + user->role + ") may not use this route; it " +
                    "needs role " + std::string(RoleName(role)) + " or above");
      return std::nullopt;
    }
    return *user;
  }

  using Handler = std::function<core::Status(const HttpRequest&, HttpResponse&,
                                             const store::UserRow*)>;

  // One route: matched against the path as sent (percent-encoded), so an encoded '/' (%2F) never
  // splits a segment; the captures are decoded for the handler.
  struct RouteEntry {
    std::string method;
    std::regex pattern;
    std::string name;  // names the route in logs and metrics
    std::optional<Role> role;  // empty: no auth
    Handler handler;
  };
  std::vector<RouteEntry> routes;  // filled before serving, then read-only

  // Registers a route: the pattern names it in logs and metrics; `role` empty: no auth.
  void Route(const std::string& method, const std::string& pattern, const std::string& name,
             std::optional<Role> role, Handler handler) {
    routes.push_back({method, std::regex(pattern), name, role, std::move(handler)});
  }

  // What travels with an exchange between the engine's calls.
  struct ExchangeContext {
    RequestContext request;
    const RouteEntry* route = nullptr;
    std::optional<store::UserRow> user;
  };

  // ---- HttpHandler: the engine's calls ----

  // The headers are in: route and authenticate before the body is read (docs/server.md,
  // "Limits"). An unknown route or a refused token is answered now.
  bool OnHeaders(HttpExchange& ex) override {
    HttpRequest& req = ex.request;
    HttpResponse& res = ex.response;
    BeginRequest(res);
    ExchangeContext ctx;
    const std::string method = req.method == "HEAD" ? "GET" : req.method;
    std::smatch m;
    for (const RouteEntry& r : routes) {
      if (r.method != method || !std::regex_match(req.path, m, r.pattern)) continue;
      ctx.route = &r;
      req.matches.clear();
      for (size_t i = 0; i < m.size(); ++i) {
        req.matches.push_back(i == 0 ? m.str(0) : PercentDecode(m.str(i), false));
      }
      break;
    }
    bool proceed = true;
    if (ctx.route == nullptr) {
      // Never the path itself: it may hold record text, and it is the client's own anyway.
      SendError(res, 404, "not_found",
                "no route " + req.method.substr(0, 16) + " for this path; see docs/server.md");
      proceed = false;
    } else {
      CurrentRequest().route = ctx.route->name;
      if (ctx.route->role) {
        ctx.user = Authorize(req, res, *ctx.route->role);
        proceed = ctx.user.has_value();
      }
    }
    ctx.request = CurrentRequest();
    CurrentRequest().active = false;
    ex.context = std::move(ctx);
    return proceed;
  }

  void OnRequest(HttpExchange& ex) override {
    auto& ctx = std::any_cast<ExchangeContext&>(ex.context);
    CurrentRequest() = ctx.request;
    HttpResponse& res = ex.response;
    try {
      const core::Status s = ctx.route->handler(ex.request, res, ctx.user ? &*ctx.user : nullptr);
      if (!s.ok()) SendStatus(res, s);
    } catch (const std::exception& e) {
      SendError(res, 500, "internal", std::string("internal error: ") + e.what() + "; please report it");
    }
    ctx.request = CurrentRequest();
    CurrentRequest().active = false;
  }

  void OnRefused(HttpExchange& ex, int status, const std::string& why) override {
    if (!ex.context.has_value()) {
      BeginRequest(ex.response);
      ExchangeContext ctx;
      ctx.request = CurrentRequest();
      ex.context = std::move(ctx);
    }
    auto& ctx = std::any_cast<ExchangeContext&>(ex.context);
    CurrentRequest() = ctx.request;
    HttpResponse& res = ex.response;
    res.SetHeader("X-Request-Id", CurrentRequest().id);
    const std::string_view limit = core::StatusCodeName(core::StatusCode::kLimitExceeded);
    switch (status) {
      case 413:
        SendError(res, 413, limit, why + " (--max-body-bytes)");
        break;
      case 431:
        SendError(res, 431, limit, why + " (--max-header-bytes)");
        break;
      case 408:
        SendError(res, 408, "timeout", why + " (--read-timeout)");
        break;
      default:
        SendError(res, status, status < 500 ? "bad_request" : "internal", why);
    }
    ctx.request = CurrentRequest();
    CurrentRequest().active = false;
  }

  // Never the raw path or the body: they may hold record text (confidential microdata).
  void OnDone(HttpExchange& ex) override {
    if (!ex.context.has_value()) return;
    const RequestContext& rc = std::any_cast<ExchangeContext&>(ex.context).request;
    if (!rc.active) return;
    const double seconds = std::chrono::duration<double>(Clock::now() - rc.start).count();
    const int status = ex.response.status;
    const std::string method = ex.request.method.empty() ? "?" : ex.request.method.substr(0, 16);
    metrics.ObserveRequest(rc.route, method, status, seconds);
    LogEvent({{"event", "request"},
              {"request_id", rc.id},
              {"method", method},
              {"route", rc.route},
              {"status", status},
              {"duration_ms", std::round(seconds * 1e6) / 1e3},
              {"user", rc.user},
              {"records", rc.records},
              {"remote", ex.request.remote_addr}});
  }

  void InstallRoutes() {
    using R = const HttpRequest&;
    using W = HttpResponse&;
    using U = const store::UserRow*;
    Route("GET", "/healthz", "/healthz", std::nullopt, [](R, W res, U) {
      SendJson(res, {{"status", "ok"}});
      return core::Status::Ok();
    });
    Route("GET", "/readyz", "/readyz", std::nullopt, [this](R, W res, U) {
      const std::shared_ptr<const Served> s = served.Current();
      if (!s) {
        SendError(res, 503, "unavailable",
                  "no production model is loaded; promote one ('statcoder models promote')");
      } else {
        SendJson(
            res,
            {{"status", "ready"}, {"model_version", s->version}, {"kb_version", s->kb_version}});
      }
      return core::Status::Ok();
    });
    Route("POST", "/v1/code", "/v1/code", Role::kCoder,
          [this](R req, W res, U) { return CodeRecords(*route_ctx, req, res); });
    Route("POST", "/v1/explain", "/v1/explain", Role::kCoder,
          [this](R req, W res, U) { return ExplainRecord(*route_ctx, req, res); });
    // Before /v1/codelist/{code}, which would match "search" too.
    Route("GET", "/v1/codelist/search", "/v1/codelist/search", Role::kViewer,
          [this](R req, W res, U) { return SearchCodes(*route_ctx, req, res); });
    Route("GET", R"(/v1/codelist/([^/]+))", "/v1/codelist/{code}", Role::kViewer,
          [this](R req, W res, U) { return GetCode(*route_ctx, req, res); });
    // The review page's code-list tree (web_routes.h): top-level codes, a code's children.
    Route("GET", "/v1/codelist", "/v1/codelist", Role::kViewer,
          [this](R, W res, U) { return CodeListTop(*route_ctx, res); });
    Route("GET", R"(/v1/codelist/([^/]+)/children)", "/v1/codelist/{code}/children", Role::kViewer,
          [this](R req, W res, U) { return CodeChildren(*route_ctx, req, res); });
    Route("GET", "/v1/models", "/v1/models", Role::kViewer,
          [this](R, W res, U) { return ListModels(*route_ctx, res); });
    Route("POST", R"(/v1/models/([^/]+)/promote)", "/v1/models/{version}/promote", Role::kAdmin,
          [this](R req, W res, U user) { return PromoteModel(*route_ctx, req, res, *user); });
    Route("GET", "/v1/review/next", "/v1/review/next", Role::kCoder,
          [this](R req, W res, U user) { return NextReviewItem(*route_ctx, req, res, *user); });
    Route("POST", R"(/v1/review/([^/]+)/decision)", "/v1/review/{id}/decision", Role::kCoder,
          [this](R req, W res, U user) { return DecideReviewItem(*route_ctx, req, res, *user); });
    Route("POST", R"(/v1/review/([^/]+)/(undo))", "/v1/review/{id}/undo", Role::kCoder,
          [this](R req, W res, U user) { return ReopenReviewItem(*route_ctx, req, res, *user); });
    Route("POST", R"(/v1/review/([^/]+)/(reopen))", "/v1/review/{id}/reopen",
          Role::kMethodologist,
          [this](R req, W res, U user) { return ReopenReviewItem(*route_ctx, req, res, *user); });
    Route("GET", "/v1/review/stats", "/v1/review/stats", Role::kViewer,
          [this](R, W res, U user) { return ReviewStatsRoute(*route_ctx, res, *user); });
    Route("GET", "/v1/monitor", "/v1/monitor", Role::kViewer,
          [this](R req, W res, U) { return MonitorStatus(*route_ctx, req, res); });
    Route("GET", "/metrics", "/metrics", Role::kViewer, [this](R, W res, U) {
      res.status = 200;
      res.SetContent(metrics.Render() + ReviewQueueMetrics(), "text/plain; version=0.0.4");
      return core::Status::Ok();
    });
    // Who the token belongs to: the review page shows the supervisor view by role.
    Route("GET", "/v1/me", "/v1/me", Role::kViewer, [](R, W res, U user) {
      SendJson(res, {{"user", user->name}, {"role", user->role}});
      return core::Status::Ok();
    });
    // This API's OpenAPI description (src/server/web/openapi.json, embedded).
    Route("GET", "/v1/openapi.json", "/v1/openapi.json", Role::kViewer, [](R, W res, U) {
      res.status = 200;
      res.SetContent(std::string(OpenApiJson()), "application/json");
      return core::Status::Ok();
    });
    // The pages' static assets, review and monitoring (web_routes.h): no token, no data.
    for (const WebAsset& asset : WebAssets()) {
      Route("GET", std::string(asset.pattern), std::string(asset.path), std::nullopt,
            [&asset](R req, W res, U) {
              ServeWebAsset(asset, req.Header("If-None-Match"), res);
              return core::Status::Ok();
            });
    }
  }
  // Last, so it is destroyed first: its threads call the members above.
  std::unique_ptr<HttpEngine> engine;
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() {
  Stop();
  // The engine first: its worker threads run route handlers over everything else here.
  impl_->engine.reset();
  if (impl_->poller.joinable()) impl_->poller.join();
  // Only now, when no request can queue more: the writer closes the open traffic window,
  // commits what is pending and returns.
  if (impl_->writer) impl_->writer->Stop();
  if (impl_->log != stderr) std::fclose(impl_->log);
}

core::Result<std::unique_ptr<HttpServer>> HttpServer::Create(const std::string& workspace_root,
                                                             const ServerOptions& options) {
  RETURN_IF_ERROR(options.Validate());
  if (sodium_init() < 0) return core::Internal("libsodium failed to initialise");
  auto impl = std::make_unique<Impl>(options);
  impl->root = workspace_root;
  const workspace::OpenOptions open{.allow_outside_paths = options.allow_outside_paths};
  ASSIGN_OR_RETURN(impl->poll_ws, workspace::Workspace::Open(workspace_root, options.actor, open));
  const workspace::WorkspaceConfig& config = impl->poll_ws->config();
  const WorkspaceConfigView view = {config.schema.id_field,          config.kb.disagreement_probability,
                                    config.review.audit_rate,        config.review.audit_seed,
                                    config.classification,           config.monitor.window_records,
                                    config.monitor.window_minutes};
  ASSIGN_OR_RETURN(std::unique_ptr<workspace::Workspace> writer_ws,
                   workspace::Workspace::Open(workspace_root, options.actor, open));
  ASSIGN_OR_RETURN(std::shared_ptr<const data::CodeList> codes, impl->poll_ws->CodeList());
  if (!options.access_log.empty()) {
    impl->log = std::fopen(options.access_log.c_str(), "a");
    if (impl->log == nullptr) {
      impl->log = stderr;
      return core::IoError("cannot open access log " + options.access_log + " for appending");
    }
  }
  RETURN_IF_ERROR(impl->served.Refresh(*impl->poll_ws));
  Impl* p = impl.get();
  impl->writer = std::make_unique<ReviewWriter>(
      std::move(writer_ws),
      ReviewWriterOptions{.flush_ms = options.review_flush_ms,
                          .window_records = view.window_records,
                          .window_minutes = view.window_minutes,
                          .classification = view.classification,
                          .actor = options.actor},
      [p](json j) { p->LogEvent(std::move(j)); });
  // One client's large batch may use the machine's cores, up to --threads.
  const int batch_threads = static_cast<int>(std::clamp<unsigned>(
      std::thread::hardware_concurrency(), 1u, static_cast<unsigned>(options.threads)));
  impl->route_ctx.reset(new RouteContext{impl->options, workspace_root, view, std::move(codes),
                                   impl->served, *impl->writer, impl->metrics, batch_threads});

  HttpEngineOptions eo;
  eo.host = options.host;
  eo.port = options.port;
  eo.threads = options.threads;
  eo.io_threads = options.io_threads;
  eo.max_body_bytes = options.max_body_bytes;
  eo.max_header_bytes = options.max_header_bytes;
  eo.read_timeout_seconds = options.read_timeout_seconds;
  eo.write_timeout_seconds = options.write_timeout_seconds;
  eo.keep_alive_seconds = options.keep_alive_seconds;
  eo.keep_alive_max_requests = options.keep_alive_max_requests;
  eo.max_connections = options.max_connections;
  eo.max_connections_per_address = options.max_connections_per_address;
  impl->InstallRoutes();
  impl->engine = std::make_unique<HttpEngine>(eo, *impl);
  impl->poller = std::thread([p] { p->Poll(); });
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

core::Result<int> HttpServer::Bind() { return impl_->engine->Bind(); }

core::Status HttpServer::Serve() {
  impl_->LogEvent(
      {{"event", "serving"}, {"workspace", impl_->root}, {"threads", impl_->options.threads}});
  impl_->engine->Run();
  return core::Status::Ok();
}

void HttpServer::Stop() {
  {
    std::lock_guard<std::mutex> lock(impl_->stop_mu);
    impl_->stopping = true;
  }
  impl_->stop_cv.notify_all();
  if (impl_->engine) impl_->engine->Stop();
}

}  // namespace statcoder::server
