#include "server/http_server.h"

#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <limits>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <thread>
#include <vector>

#include "core/utc_time.h"
#include "core/random.h"
#include "data/dataset.h"
#include "kb/knowledge_base.h"
#include "model/batch_coder.h"
#include "model/explainer.h"
#include "model/model_io.h"
#include "monitor/batch_stats.h"
#include "registry/model_registry.h"
#include "registry/monitoring.h"
#include "review/review_queue.h"
#include "server/auth.h"
#include "server/code_request.h"
#include "server/http_engine.h"
#include "server/metrics.h"
#include "server/web_routes.h"
#include "workspace/workspace.h"

namespace statcoder::server {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// Response bodies may quote user input: never fail on invalid UTF-8 while writing them.
std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// What requests need of statcoder.toml, read once at startup.
struct WorkspaceConfigView {
  std::string id_field;
  double disagreement_probability = 0;
  double audit_rate = 0;
  uint64_t audit_seed = 0;
  std::string classification;
  int64_t window_records = 1000;  // [monitor]: an API traffic window closes at this many records
  int64_t window_minutes = 60;    // ... or this long after it opened
};

// The model in service: immutable once built, shared by the requests that use it.
struct Served {
  std::shared_ptr<const model::Model> model;
  std::shared_ptr<const kb::KnowledgeBase> kb;
  std::shared_ptr<const model::Explainer> explainer;
  std::string version;
  int64_t kb_version = 0;
};

// What the access log and metrics need of a request. It travels with the exchange
// (ExchangeContext) between the engine's calls, which run on different threads; while one runs,
// a thread_local holds it, so handlers deep down can add to it.
struct RequestContext {
  bool active = false;
  std::string id, route, user;
  size_t records = 0;
  Clock::time_point start;
};
thread_local RequestContext t_request;

void BeginRequest(HttpResponse& res) {
  static std::atomic<uint64_t> counter{0};
  static const uint32_t process_tag = randombytes_random();
  char id[32];
  std::snprintf(id, sizeof id, "%08x%08llx", process_tag,
                static_cast<unsigned long long>(counter.fetch_add(1) + 1));
  t_request = {.active = true,
               .id = id,
               .route = "unmatched",
               .user = "",
               .records = 0,
               .start = Clock::now()};
  res.SetHeader("X-Request-Id", t_request.id);
}

void SendError(HttpResponse& res, int http_status, std::string_view code,
               const std::string& message, json extra = json::object()) {
  res.status = http_status;
  json error = {{"code", code}, {"message", message}, {"request_id", t_request.id}};
  error.update(extra);
  res.SetContent(Dump({{"error", error}}), "application/json");
}

void SendStatus(HttpResponse& res, const core::Status& s) {
  SendError(res, HttpStatusFor(s.code()), core::StatusCodeName(s.code()), s.message());
}

void SendJson(HttpResponse& res, const json& j) {
  res.status = 200;
  res.SetContent(Dump(j), "application/json");
}

// Names the record and field where a body stopped being valid JSON (e.g. ill-formed UTF-8), so
// the error points at the field as a data file's rejection would.
class ErrorLocator : public nlohmann::json_sax<json> {
 public:
  std::string top_key, field;
  int64_t record = -1;

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool key(string_t& k) override {
    (depth_ == 1 ? top_key : field) = k;
    return true;
  }
  bool start_object(std::size_t) override {
    ++depth_;
    if ((top_key == "records" && depth_ == 3) || (top_key == "record" && depth_ == 2)) {
      ++record;
      field.clear();
    }
    return true;
  }
  bool end_object() override { return --depth_, true; }
  bool start_array(std::size_t) override { return ++depth_, true; }
  bool end_array() override { return --depth_, true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  int depth_ = 0;
};

core::Result<json> ParseBody(const std::string& body) {
  try {
    return json::parse(body);
  } catch (const json::exception& e) {
    ErrorLocator where;
    json::sax_parse(body, &where, json::input_format_t::json, false);
    std::string at;
    if (where.record >= 0 && !where.field.empty()) {
      at = "record " + std::to_string(where.record + 1) + ", field '" + where.field + "': ";
    }
    const bool utf8 = std::string_view(e.what()).find("UTF-8") != std::string_view::npos;
    return core::InvalidArgument("request body: " + at +
                                 (utf8 ? "not valid UTF-8 (" + std::string(e.what()) + ")"
                                       : "not valid JSON (" + std::string(e.what()) + ")"));
  }
}

// The request's records as a data::Table, validated by DatasetFromTable exactly as records of a
// data file are: every value a string, number or null (missing), fields by name.
core::Result<data::Dataset> TableToDataset(data::Table table, const model::Model& m,
                                           const std::string& id_field, size_t max_field_bytes);

// Records of a parsed body (POST /v1/explain) as a Dataset the model reads.
core::Result<data::Dataset> RecordsToDataset(const json& records, const model::Model& m,
                                             const std::string& id_field, size_t max_field_bytes) {
  data::Table table;
  table.name = "request";
  table.num_rows = records.size();
  table.row_name = [](size_t r) { return "record " + std::to_string(r + 1); };
  std::map<std::string, std::vector<std::string>> columns;
  for (size_t r = 0; r < records.size(); ++r) {
    const json& rec = records[r];
    const std::string where = "record " + std::to_string(r + 1);
    if (!rec.is_object()) return core::InvalidArgument(where + " is not a JSON object");
    for (const auto& [name, value] : rec.items()) {
      std::vector<std::string>& col = columns[name];
      col.resize(records.size());
      if (value.is_string()) {
        col[r] = value.get<std::string>();
      } else if (value.is_number()) {
        col[r] = value.dump();
      } else if (!value.is_null()) {
        return core::InvalidArgument(where + ", field '" + name +
                                     "': must be a string, a number or null");
      }
    }
  }
  for (auto& [name, values] : columns) {
    table.header.push_back(name);
    values.resize(records.size());
    table.values.push_back(std::move(values));
  }
  return TableToDataset(std::move(table), m, id_field, max_field_bytes);
}

core::Result<data::Dataset> TableToDataset(data::Table table, const model::Model& m,
                                           const std::string& id_field, size_t max_field_bytes) {
  // Ids are optional in a request: without the id field, records are numbered from 1.
  const bool has_id =
      std::find(table.header.begin(), table.header.end(), id_field) != table.header.end();
  const data::Schema schema = model::SchemaFor(m, has_id ? id_field : std::string(), "");
  data::LoadOptions load;
  load.reader.max_field_bytes = max_field_bytes;
  auto ds = data::DatasetFromTable(std::move(table), schema, load, nullptr);
  if (!ds.ok()) {
    // A field missing from the request is the client's mistake, not a missing resource.
    if (ds.status().code() == core::StatusCode::kNotFound) {
      return core::InvalidArgument(ds.status().message());
    }
    return ds.status();
  }
  if (!ds->rejections.empty()) {
    std::string more;
    if (ds->rejections.size() > 1) {
      more = " (and " + std::to_string(ds->rejections.size() - 1) + " more rejected records)";
    }
    return core::InvalidInput(ds->rejections.front().reason + more);
  }
  return std::move(ds).value();
}

// A record's fields as the model's Predictor and Explainer read them.
struct RecordViews {
  std::vector<std::string_view> texts, categoricals;
  text::RecordView View(const data::Record& r) {
    texts.assign(r.texts.begin(), r.texts.end());
    categoricals.assign(r.categoricals.begin(), r.categoricals.end());
    return {texts, categoricals, r.numerics};
  }
};

core::Result<int> IntField(const json& body, const char* name, int def, int lo, int hi) {
  if (!body.contains(name)) return def;
  const json& v = body[name];
  if (!v.is_number_integer() || v.get<int64_t>() < lo || v.get<int64_t>() > hi) {
    return core::InvalidArgument(std::string("'") + name + "' must be an integer in " +
                                 std::to_string(lo) + ".." + std::to_string(hi));
  }
  return static_cast<int>(v.get<int64_t>());
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

int HttpStatusFor(core::StatusCode code) {
  using core::StatusCode;
  switch (code) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kInvalidInput:
      return 400;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kAlreadyExists:
      return 409;
    case StatusCode::kFailedPrecondition:
      return 409;
    case StatusCode::kLimitExceeded:
      return 413;
    case StatusCode::kDataLoss:
      return 500;
    case StatusCode::kUnsupportedVersion:
      return 500;
    case StatusCode::kIoError:
      return 503;  // e.g. another process holds the workspace lock
    case StatusCode::kInternal:
      return 500;
  }
  return 500;
}

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

struct HttpServer::Impl final : HttpHandler {
  ServerOptions options;
  std::string root;
  std::unique_ptr<workspace::Workspace> poll_ws;  // the poller thread's own connection
  WorkspaceConfigView config;
  std::shared_ptr<const data::CodeList> codes;
  Metrics metrics;
  FailedAuthLimiter limiter;
  std::FILE* log = stderr;
  std::mutex log_mu;

  std::mutex state_mu;  // guards the two pointers below (copied out, never used under it)
  std::shared_ptr<const Served> served;
  std::shared_ptr<const UserDirectory> users = std::make_shared<UserDirectory>();
  std::mutex refresh_mu;  // one refresh at a time (poller or promote)

  std::thread poller;
  std::mutex stop_mu;
  std::condition_variable stop_cv;
  bool stopping = false;

  // The review writer: POST /v1/code appends here; one thread with its own connection commits
  // the batch every review_flush_ms and once more when stopping. A crash loses what was
  // accepted since the last commit (docs/server.md, "Review queue").
  std::unique_ptr<workspace::Workspace> writer_ws;
  std::thread writer;
  std::mutex pending_mu;
  std::condition_variable pending_cv;
  std::vector<store::ReviewItemRow> pending;  // guarded by pending_mu
  bool writer_stopping = false;               // guarded by pending_mu
  std::atomic<uint64_t> audit_draws{0};       // position in the audit sample's stream
  // Closed windows of API traffic, stored by the same writer thread. Guarded by pending_mu.
  std::vector<store::MonitorBatchRow> pending_windows;

  // The open window of API traffic (docs/monitoring.md, "API traffic"): the statistics of every
  // record coded since it opened, merged. It closes at [monitor] window_records records, after
  // window_minutes, when the production model changes, and when the server stops.
  struct TrafficWindow {
    std::string model_version;
    monitor::BatchStats stats;
    std::string start, end;  // first and last request's time
    Clock::time_point opened;
  };
  std::mutex window_mu;  // before pending_mu when both are taken
  std::optional<TrafficWindow> window;

  // Batches of at least this many records are coded on batch_threads threads: one client with
  // one large batch then uses the machine, while small requests (most of them) stay on theirs.
  static constexpr size_t kParallelBatchRecords = 1000;
  const int batch_threads;

  // Last, so it is destroyed first: its threads call the members above.
  std::unique_ptr<HttpEngine> engine;

  explicit Impl(const ServerOptions& o)
      : options(o),
        limiter(o.auth_failures_per_minute),
        batch_threads(static_cast<int>(std::clamp<unsigned>(std::thread::hardware_concurrency(), 1u,
                                                            static_cast<unsigned>(o.threads)))) {}

  std::shared_ptr<const Served> Current() {
    std::lock_guard<std::mutex> lock(state_mu);
    return served;
  }
  std::shared_ptr<const UserDirectory> Users() {
    std::lock_guard<std::mutex> lock(state_mu);
    return users;
  }

  void LogEvent(json j) {
    j["time"] = workspace::UtcNow();
    const std::string line = Dump(j) + "\n";
    std::lock_guard<std::mutex> lock(log_mu);
    std::fwrite(line.data(), 1, line.size(), log);
    std::fflush(log);
  }

  // Re-reads the users and the production model (and knowledge base) and swaps in what changed.
  core::Status Refresh(workspace::Workspace& ws) {
    std::lock_guard<std::mutex> lock(refresh_mu);
    ASSIGN_OR_RETURN(std::vector<store::UserRow> rows, ws.store().ListUsers());
    auto directory = std::make_shared<const UserDirectory>(std::move(rows));
    {
      std::lock_guard<std::mutex> state(state_mu);
      users = std::move(directory);
    }
    auto row = registry::ResolveModel(ws, registry::kProduction);
    if (!row.ok()) {
      // No production model yet: keep serving what there is (nothing, or the last one).
      return row.status().code() == core::StatusCode::kNotFound ? core::Status::Ok() : row.status();
    }
    ASSIGN_OR_RETURN(int64_t kb_version, ws.store().KbVersion());
    const std::shared_ptr<const Served> current = Current();
    if (current && current->version == row->version && current->kb_version == kb_version) {
      return core::Status::Ok();
    }
    auto next = std::make_shared<Served>();
    next->version = row->version;
    if (current && current->version == row->version) {
      next->model = current->model;
      next->explainer = current->explainer;
    } else {
      ASSIGN_OR_RETURN(next->model, model::LoadModel(ws.Path(row->path)));
      next->explainer = std::make_shared<const model::Explainer>(next->model);
    }
    ASSIGN_OR_RETURN(kb::KnowledgeBase knowledge,
                     kb::KnowledgeBase::Load(ws.store(), model::SchemaFor(*next->model, "", "")));
    next->kb_version = knowledge.version();
    next->kb = std::make_shared<const kb::KnowledgeBase>(std::move(knowledge));
    {
      std::lock_guard<std::mutex> state(state_mu);
      served = next;
    }
    metrics.ModelLoaded(next->version, next->kb_version);
    LogEvent({{"event", "model_loaded"},
              {"model_version", next->version},
              {"kb_version", next->kb_version},
              {"previous", current ? current->version : std::string()}});
    return core::Status::Ok();
  }

  void Poll() {
    std::unique_lock<std::mutex> lock(stop_mu);
    while (!stop_cv.wait_for(lock, std::chrono::milliseconds(options.poll_interval_ms),
                             [this] { return stopping; })) {
      lock.unlock();
      CloseWindowIfDue(false);
      const core::Status s = Refresh(*poll_ws);
      if (!s.ok()) {
        LogEvent({{"event", "refresh_failed"},
                  {"error", std::string(core::StatusCodeName(s.code()))},
                  {"message", s.message()}});
      }
      lock.lock();
    }
  }

  void WriteReviewItems() {
    std::unique_lock<std::mutex> lock(pending_mu);
    while (true) {
      pending_cv.wait_for(lock, std::chrono::milliseconds(options.review_flush_ms),
                          [this] { return writer_stopping; });
      const bool last = writer_stopping;
      std::vector<store::ReviewItemRow> batch;
      batch.swap(pending);
      std::vector<store::MonitorBatchRow> windows;
      windows.swap(pending_windows);
      lock.unlock();
      for (const store::MonitorBatchRow& w : windows) {
        const core::Result<int64_t> id = writer_ws->store().InsertMonitorBatch(w);
        if (!id.ok()) {
          LogEvent({{"event", "monitor_write_failed"},
                    {"records", w.records},
                    {"error", std::string(core::StatusCodeName(id.status().code()))},
                    {"message", id.status().message()}});
        }
      }
      if (!batch.empty()) {
        const core::Result<std::vector<int64_t>> ids = writer_ws->store().InsertReviewItems(batch);
        if (!ids.ok()) {
          LogEvent({{"event", "review_write_failed"},
                    {"items", batch.size()},
                    {"error", std::string(core::StatusCodeName(ids.status().code()))},
                    {"message", ids.status().message()}});
          // A busy catalog is retried with the next batch; anything else would fail again.
          if (ids.status().code() == core::StatusCode::kIoError && !last) {
            lock.lock();
            pending.insert(pending.begin(), std::make_move_iterator(batch.begin()),
                           std::make_move_iterator(batch.end()));
            continue;
          }
        }
      }
      if (last) return;
      lock.lock();
    }
  }

  // Adds a request's records to the open traffic window, opening and closing windows as needed.
  void ObserveTraffic(const Served& s, const monitor::BatchStats& stats, const std::string& now) {
    std::lock_guard<std::mutex> lock(window_mu);
    if (window && window->model_version != s.version) CloseWindowLocked();
    if (!window) window = TrafficWindow{s.version, {}, now, now, Clock::now()};
    window->stats.Merge(stats);
    window->end = now;
    if (window->stats.records >= config.window_records) CloseWindowLocked();
  }

  // Closes the open window when it is older than window_minutes, or whatever its age (`force`:
  // the server stops).
  void CloseWindowIfDue(bool force) {
    std::lock_guard<std::mutex> lock(window_mu);
    if (window && (force || Clock::now() - window->opened >=
                                std::chrono::minutes(config.window_minutes))) {
      CloseWindowLocked();
    }
  }

  // REQUIRES: window_mu held.
  void CloseWindowLocked() {
    if (!window) return;
    store::MonitorBatchRow row;
    row.created_at = workspace::UtcNow();
    row.window_start = window->start;
    row.window_end = window->end;
    row.source = "api";
    row.label = "api";
    row.classification = config.classification;
    row.model_version = window->model_version;
    row.records = window->stats.records;
    row.stats = window->stats.ToJson();
    row.shadow = nullptr;
    row.actor = options.actor;
    window.reset();
    if (row.records == 0) return;
    std::lock_guard<std::mutex> lock(pending_mu);
    pending_windows.push_back(std::move(row));
  }

  // Whether the next auto-coded record is drawn for blind second coding: the n-th auto-coded
  // record of this process draws core::DeriveSeed(audit_seed, n) (SplitMix64 mixer) as a
  // uniform in [0, 1), so the draw is seeded and needs no lock.
  bool DrawAudit() {
    if (config.audit_rate <= 0) return false;
    const uint64_t n = audit_draws.fetch_add(1);
    const double u = static_cast<double>(core::DeriveSeed(config.audit_seed, n) >> 11) * 0x1p-53;
    return u < config.audit_rate;
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
    const std::shared_ptr<const UserDirectory> directory = Users();
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
    t_request.user = user->name;
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
      t_request.route = ctx.route->name;
      if (ctx.route->role) {
        ctx.user = Authorize(req, res, *ctx.route->role);
        proceed = ctx.user.has_value();
      }
    }
    ctx.request = t_request;
    t_request.active = false;
    ex.context = std::move(ctx);
    return proceed;
  }

  void OnRequest(HttpExchange& ex) override {
    auto& ctx = std::any_cast<ExchangeContext&>(ex.context);
    t_request = ctx.request;
    HttpResponse& res = ex.response;
    try {
      const core::Status s = ctx.route->handler(ex.request, res, ctx.user ? &*ctx.user : nullptr);
      if (!s.ok()) SendStatus(res, s);
    } catch (const std::exception& e) {
      SendError(res, 500, "internal", std::string("internal error: ") + e.what() + "; please report it");
    }
    ctx.request = t_request;
    t_request.active = false;
  }

  void OnRefused(HttpExchange& ex, int status, const std::string& why) override {
    if (!ex.context.has_value()) {
      BeginRequest(ex.response);
      ExchangeContext ctx;
      ctx.request = t_request;
      ex.context = std::move(ctx);
    }
    auto& ctx = std::any_cast<ExchangeContext&>(ex.context);
    t_request = ctx.request;
    HttpResponse& res = ex.response;
    res.SetHeader("X-Request-Id", t_request.id);
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
    ctx.request = t_request;
    t_request.active = false;
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

  // ---- Routes ----

  core::Result<std::shared_ptr<const Served>> Ready() {
    std::shared_ptr<const Served> s = Current();
    if (!s) {
      return core::FailedPrecondition(
          "no production model is loaded; promote one ('statcoder models promote')");
    }
    return s;
  }

  // POST /v1/code. The body is read into columns and the answer written into one buffer
  // (code_request.h): at batch sizes, JSON documents would cost more than the coding.
  core::Status Code(const HttpRequest& req, HttpResponse& res) {
    ASSIGN_OR_RETURN(CodeRequest request,
                     ParseCodeRequest(req.body, options.max_batch_records));
    ASSIGN_OR_RETURN(std::shared_ptr<const Served> s, Ready());
    const size_t n = request.table.num_rows;
    // A copy goes to the model: the review queue keeps referred records with all their fields,
    // also those the model does not read.
    ASSIGN_OR_RETURN(data::Dataset ds, TableToDataset(request.table, *s->model, config.id_field,
                                                      options.max_field_bytes));
    // Large batches are coded on several threads; small ones (most requests) on the request's.
    const int threads = n >= kParallelBatchRecords ? batch_threads : 1;
    ASSIGN_OR_RETURN(std::vector<model::Prediction> preds,
                     model::PredictBatch(s->model, ds, request.top_k, threads));
    // Exactly as `statcoder code WS`: the knowledge base before the model's decision.
    const kb::KbApplied applied =
        kb::ApplyKnowledgeBase(*s->kb, *s->model, ds, config.disagreement_probability, &preds);
    std::string body;
    CodeResponseWriter response(&body, s->version, s->kb_version);
    uint64_t counts[3] = {0, 0, 0};
    RecordViews views;
    std::vector<store::ReviewItemRow> queued;
    const std::string now = workspace::UtcNow();
    for (size_t i = 0; i < preds.size(); ++i) {
      const model::Prediction& p = preds[i];
      const bool referred = p.decision == model::Decision::kReview;
      if (referred || (p.decision == model::Decision::kAuto && DrawAudit())) {
        queued.push_back({.created_at = now,
                          .kind = referred ? review::kReferred : review::kAuditSample,
                          .record = request.RecordJson(i),
                          .record_id = ds.records[i].id,
                          .model_version = s->version,
                          .suggestions = review::SuggestionsJson(*s->model, p),
                          .status = "open",
                          .assigned_to = "",
                          .assigned_at = ""});
      }
      json explanation;
      if (request.explain) {
        model::ExplainOptions eo;
        eo.top_k = request.top_k;
        ASSIGN_OR_RETURN(model::Explanation e,
                         s->explainer->Explain(views.View(ds.records[i]), eo));
        explanation = e.ToJson();
      }
      response.Result(*s->model, ds.records[i].id, p, applied.entry_ids[i],
                    request.explain ? &explanation : nullptr);
      ++counts[static_cast<int>(p.decision)];
    }
    metrics.CountRecords("auto", counts[static_cast<int>(model::Decision::kAuto)]);
    metrics.CountRecords("review", counts[static_cast<int>(model::Decision::kReview)]);
    metrics.CountRecords("kb", counts[static_cast<int>(model::Decision::kKb)]);
    t_request.records = preds.size();
    const size_t n_queued = queued.size();
    if (!queued.empty()) {
      std::lock_guard<std::mutex> lock(pending_mu);
      pending.insert(pending.end(), std::make_move_iterator(queued.begin()),
                     std::make_move_iterator(queued.end()));
    }
    ObserveTraffic(*s, registry::ObserveBatch(*s->model, ds, preds), now);
    response.Finish(n_queued);
    res.status = 200;
    res.SetContent(std::move(body), "application/json");
    return core::Status::Ok();
  }

  core::Status Explain(const HttpRequest& req, HttpResponse& res) {
    ASSIGN_OR_RETURN(json body, ParseBody(req.body));
    if (!body.is_object() || !body.contains("record") || !body["record"].is_object()) {
      return core::InvalidArgument("request body needs \"record\": {field: value, ...}");
    }
    model::ExplainOptions eo;
    ASSIGN_OR_RETURN(eo.top_k, IntField(body, "top_k", 5, 1, 100));
    if (body.contains("versus")) {
      if (!body["versus"].is_string()) return core::InvalidArgument("'versus' must be a code");
      eo.versus = body["versus"].get<std::string>();
    }
    ASSIGN_OR_RETURN(std::shared_ptr<const Served> s, Ready());
    ASSIGN_OR_RETURN(data::Dataset ds, RecordsToDataset(json::array({body["record"]}), *s->model,
                                                        config.id_field, options.max_field_bytes));
    RecordViews views;
    ASSIGN_OR_RETURN(model::Explanation e, s->explainer->Explain(views.View(ds.records[0]), eo));
    t_request.records = 1;
    json j = e.ToJson();
    j["id"] = ds.records[0].id;
    SendJson(res, j);
    return core::Status::Ok();
  }

  json CodeJson(int32_t i) const {
    const data::CodeNode& n = codes->node(i);
    json children = json::array();
    for (int32_t c : n.children) children.push_back(codes->node(c).code);
    return {{"code", n.code},
            {"title", n.title},
            {"parent", n.parent >= 0 ? json(codes->node(n.parent).code) : json(nullptr)},
            {"children", children},
            {"level", n.depth},
            {"level_name", codes->LevelName(n.depth)}};
  }

  core::Status NeedCodes() const {
    if (codes) return core::Status::Ok();
    return core::NotFound("the workspace has no code list ('statcoder init --codelist')");
  }

  core::Status SearchCodes(const HttpRequest& req, HttpResponse& res) {
    RETURN_IF_ERROR(NeedCodes());
    const std::string q = Lower(req.Param("q"));
    if (q.empty()) return core::InvalidArgument("give the text to search for: ?q=...");
    constexpr size_t kLimit = 50;
    json results = json::array();
    bool truncated = false;
    for (int32_t i = 0; i < static_cast<int32_t>(codes->size()); ++i) {
      const data::CodeNode& n = codes->node(i);
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

  core::Status GetCode(const HttpRequest& req, HttpResponse& res) {
    RETURN_IF_ERROR(NeedCodes());
    const std::string code = req.matches[1];
    const int32_t i = codes->Find(code);
    if (i < 0) return core::NotFound("code '" + code + "' is not in the workspace's code list");
    SendJson(res, CodeJson(i));
    return core::Status::Ok();
  }

  // Handlers that need the store open their own connection: a store object is single-threaded.
  core::Result<std::unique_ptr<workspace::Workspace>> OpenWorkspace(const std::string& actor) {
    return workspace::Workspace::Open(root, actor, {.allow_outside_paths = options.allow_outside_paths});
  }

  core::Status ListModels(HttpResponse& res) {
    ASSIGN_OR_RETURN(std::unique_ptr<workspace::Workspace> ws, OpenWorkspace(""));
    ASSIGN_OR_RETURN(std::vector<store::ModelRow> models, ws->store().ListModels());
    json list = json::array();
    for (const store::ModelRow& m : models) {
      ASSIGN_OR_RETURN(std::vector<std::string> aliases, registry::AliasesOf(*ws, m.version));
      list.push_back(registry::ModelToJson(m, aliases));
    }
    const std::shared_ptr<const Served> s = Current();
    SendJson(res, {{"models", list}, {"serving", s ? json(s->version) : json(nullptr)}});
    return core::Status::Ok();
  }

  core::Status Promote(const HttpRequest& req, HttpResponse& res,
                       const store::UserRow& user) {
    registry::PromoteOptions po;
    if (!req.body.empty()) {
      ASSIGN_OR_RETURN(json body, ParseBody(req.body));
      if (!body.is_object()) return core::InvalidArgument("request body must be a JSON object");
      if ((body.contains("force") && !body["force"].is_boolean()) ||
          (body.contains("reason") && !body["reason"].is_string())) {
        return core::InvalidArgument("'force' must be true or false and 'reason' a string");
      }
      po.force = body.value("force", false);
      po.reason = body.value("reason", std::string());
    }
    // The API user is the actor of the audit entry.
    ASSIGN_OR_RETURN(std::unique_ptr<workspace::Workspace> ws, OpenWorkspace(user.name));
    ASSIGN_OR_RETURN(registry::PromoteOutcome o, registry::Promote(*ws, req.matches[1], po));
    if (!o.promoted) {
      SendError(res, HttpStatusFor(core::StatusCode::kFailedPrecondition),
                core::StatusCodeName(core::StatusCode::kFailedPrecondition),
                "model " + o.model.version +
                    " did not pass the promotion gates; fix them or send {\"force\": true, "
                    "\"reason\": \"...\"} (audited)",
                {{"gates", o.verdict.ToJson()}});
      return core::Status::Ok();
    }
    // Serve the new model before answering, so the caller's next request uses it.
    RETURN_IF_ERROR(Refresh(*ws));
    SendJson(res, {{"version", o.model.version},
                   {"promoted", o.promoted},
                   {"forced", o.forced},
                   {"previous", o.previous},
                   {"gates", o.verdict.ToJson()}});
    return core::Status::Ok();
  }

  // ---- Review queue ----

  static bool IsSupervisor(const store::UserRow& user) {
    const core::Result<Role> role = ParseRole(user.role);
    return role.ok() && *role >= Role::kMethodologist;
  }

  json ItemJson(const store::ReviewItemRow& item, bool supervisor_view,
                const std::string& lease_expires_at) {
    json j = {{"id", item.id},
              {"kind", item.kind},
              {"status", item.status},
              {"record", item.record},
              {"record_id", item.record_id},
              {"model_version", item.model_version},
              {"blind", review::IsBlind(item, supervisor_view)},
              {"suggestions", review::ShownSuggestions(item, supervisor_view)},
              {"lease_expires_at", lease_expires_at}};
    if (supervisor_view) {
      j["model"] = item.suggestions;
    }
    return j;
  }

  // ?queue=open (default) for coders; ?queue=supervisor: escalated items and audit samples
  // awaiting adjudication, for methodologists and admins, with the model's code and the
  // decisions so far.
  core::Status NextItem(const HttpRequest& req, HttpResponse& res,
                        const store::UserRow& user) {
    const std::string queue = req.HasParam("queue") ? req.Param("queue") : "open";
    if (queue != "open" && queue != "supervisor") {
      return core::InvalidArgument("queue must be 'open' or 'supervisor', not '" + queue + "'");
    }
    const bool supervisor_view = queue == "supervisor";
    if (supervisor_view && !IsSupervisor(user)) {
      SendError(res, 403, "permission_denied",
                "user " + user.name + " (role " + user.role +
                    ") may not take the supervisor queue; it needs role methodologist or above");
      return core::Status::Ok();
    }
    const auto now = std::chrono::system_clock::now();
    const auto lease = std::chrono::minutes(options.review_lease_minutes);
    ASSIGN_OR_RETURN(std::unique_ptr<workspace::Workspace> ws, OpenWorkspace(user.name));
    const std::vector<std::string> statuses =
        supervisor_view ? std::vector<std::string>{"escalated", "adjudication"}
                        : std::vector<std::string>{"open"};
    ASSIGN_OR_RETURN(
        std::optional<store::ReviewItemRow> item,
        ws->store().LeaseReviewItem(statuses, user.name, core::UtcTime(now),
                                    core::UtcTime(now - lease)));
    if (!item) {
      SendJson(res, {{"item", nullptr}});
      return core::Status::Ok();
    }
    json j = ItemJson(*item, supervisor_view, core::UtcTime(now + lease));
    if (supervisor_view) {
      ASSIGN_OR_RETURN(std::vector<store::ReviewDecisionRow> decisions,
                       ws->store().ListReviewDecisions(item->id));
      json list = json::array();
      for (const auto& d : decisions) {
        list.push_back({{"coder", d.coder},
                        {"time", d.time},
                        {"action", d.action},
                        {"code", d.code},
                        {"comment", d.comment}});
      }
      j["decisions"] = list;
    }
    t_request.records = 1;
    SendJson(res, {{"item", j}});
    return core::Status::Ok();
  }

  core::Status Decide(const HttpRequest& req, HttpResponse& res,
                      const store::UserRow& user) {
    int64_t id = 0;
    const std::string id_text = req.matches[1];
    const auto parsed = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
    if (parsed.ec != std::errc() || parsed.ptr != id_text.data() + id_text.size()) {
      return core::NotFound("review item '" + id_text + "' does not exist");
    }
    ASSIGN_OR_RETURN(json body, ParseBody(req.body));
    if (!body.is_object() || !body.contains("action") || !body["action"].is_string()) {
      return core::InvalidArgument(
          "request body needs \"action\": code, uncodable, skip, escalate or adjudicate");
    }
    for (const char* key : {"code", "comment"}) {
      if (body.contains(key) && !body[key].is_string()) {
        return core::InvalidArgument(std::string("'") + key + "' must be a string");
      }
    }
    review::DecisionRequest d{.action = body["action"].get<std::string>(),
                              .code = body.value("code", std::string()),
                              .comment = body.value("comment", std::string()),
                              .coder = user.name,
                              .supervisor = IsSupervisor(user),
                              .time = workspace::UtcNow()};
    if (d.action == "adjudicate" && !d.supervisor) {
      SendError(res, 403, "permission_denied",
                "user " + user.name + " (role " + user.role +
                    ") may not adjudicate; it needs role methodologist or above");
      return core::Status::Ok();
    }
    ASSIGN_OR_RETURN(std::unique_ptr<workspace::Workspace> ws, OpenWorkspace(user.name));
    ASSIGN_OR_RETURN(review::DecisionOutcome o,
                     review::ApplyDecision(ws->store(), id, d, codes.get()));
    t_request.records = 1;
    SendJson(res, {{"id", o.item.id}, {"status", o.item.status}, {"decision_id", o.decision_id}});
    return core::Status::Ok();
  }

  // GET /v1/monitor[?since=&classification=]: what `statcoder monitor WS --json` prints.
  core::Status Monitor(const HttpRequest& req, HttpResponse& res) {
    ASSIGN_OR_RETURN(std::unique_ptr<workspace::Workspace> ws, OpenWorkspace(""));
    registry::MonitorOptions o;
    o.since = req.Param("since");
    o.classification = req.Param("classification");
    ASSIGN_OR_RETURN(json status, registry::MonitorStatus(*ws, o));
    SendJson(res, status);
    return core::Status::Ok();
  }

  core::Status ReviewStats(HttpResponse& res, const store::UserRow& user) {
    ASSIGN_OR_RETURN(std::unique_ptr<workspace::Workspace> ws, OpenWorkspace(user.name));
    ASSIGN_OR_RETURN(
        json stats, review::ReviewStats(ws->store(), user.name, workspace::UtcNow().substr(0, 10)));
    SendJson(res, stats);
    return core::Status::Ok();
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
      const std::shared_ptr<const Served> s = Current();
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
          [this](R req, W res, U) { return Code(req, res); });
    Route("POST", "/v1/explain", "/v1/explain", Role::kCoder,
          [this](R req, W res, U) { return Explain(req, res); });
    // Before /v1/codelist/{code}, which would match "search" too.
    Route("GET", "/v1/codelist/search", "/v1/codelist/search", Role::kViewer,
          [this](R req, W res, U) { return SearchCodes(req, res); });
    Route("GET", R"(/v1/codelist/([^/]+))", "/v1/codelist/{code}", Role::kViewer,
          [this](R req, W res, U) { return GetCode(req, res); });
    // The review page's code-list tree (web_routes.h): top-level codes, a code's children.
    Route("GET", "/v1/codelist", "/v1/codelist", Role::kViewer, [this](R, W res, U) {
      RETURN_IF_ERROR(NeedCodes());
      SendJson(res, CodeListChildrenJson(*codes, -1));
      return core::Status::Ok();
    });
    Route("GET", R"(/v1/codelist/([^/]+)/children)", "/v1/codelist/{code}/children", Role::kViewer,
          [this](R req, W res, U) {
            RETURN_IF_ERROR(NeedCodes());
            const std::string code = req.matches[1];
            const int32_t i = codes->Find(code);
            if (i < 0) {
              return core::NotFound("code '" + code + "' is not in the workspace's code list");
            }
            SendJson(res, CodeListChildrenJson(*codes, i));
            return core::Status::Ok();
          });
    Route("GET", "/v1/models", "/v1/models", Role::kViewer,
          [this](R, W res, U) { return ListModels(res); });
    Route("POST", R"(/v1/models/([^/]+)/promote)", "/v1/models/{version}/promote", Role::kAdmin,
          [this](R req, W res, U user) { return Promote(req, res, *user); });
    Route("GET", "/v1/review/next", "/v1/review/next", Role::kCoder,
          [this](R req, W res, U user) { return NextItem(req, res, *user); });
    Route("POST", R"(/v1/review/([^/]+)/decision)", "/v1/review/{id}/decision", Role::kCoder,
          [this](R req, W res, U user) { return Decide(req, res, *user); });
    Route("GET", "/v1/review/stats", "/v1/review/stats", Role::kViewer,
          [this](R, W res, U user) { return ReviewStats(res, *user); });
    Route("GET", "/v1/monitor", "/v1/monitor", Role::kViewer,
          [this](R req, W res, U) { return Monitor(req, res); });
    Route("GET", "/metrics", "/metrics", Role::kViewer, [this](R, W res, U) {
      res.status = 200;
      res.SetContent(metrics.Render(), "text/plain; version=0.0.4");
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
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() {
  Stop();
  // The engine first: its worker threads run route handlers over everything else here.
  impl_->engine.reset();
  if (impl_->poller.joinable()) impl_->poller.join();
  // Only now, when no request can queue more: the writer commits what is pending (the open
  // traffic window too) and returns.
  impl_->CloseWindowIfDue(true);
  {
    std::lock_guard<std::mutex> lock(impl_->pending_mu);
    impl_->writer_stopping = true;
  }
  impl_->pending_cv.notify_all();
  if (impl_->writer.joinable()) impl_->writer.join();
  if (impl_->log != stderr) std::fclose(impl_->log);
}

core::Result<std::unique_ptr<HttpServer>> HttpServer::Create(const std::string& workspace_root,
                                                             const ServerOptions& options) {
  RETURN_IF_ERROR(options.Validate());
  if (sodium_init() < 0) return core::Internal("libsodium failed to initialise");
  auto impl = std::make_unique<Impl>(options);
  impl->root = workspace_root;
  ASSIGN_OR_RETURN(impl->poll_ws, workspace::Workspace::Open(workspace_root, options.actor,
                                                        {.allow_outside_paths = options.allow_outside_paths}));
  const workspace::WorkspaceConfig& config = impl->poll_ws->config();
  impl->config = {config.schema.id_field,          config.kb.disagreement_probability,
                  config.review.audit_rate,        config.review.audit_seed,
                  config.classification,           config.monitor.window_records,
                  config.monitor.window_minutes};
  ASSIGN_OR_RETURN(impl->writer_ws, workspace::Workspace::Open(workspace_root, options.actor,
                                                        {.allow_outside_paths = options.allow_outside_paths}));
  ASSIGN_OR_RETURN(impl->codes, impl->poll_ws->CodeList());
  if (!options.access_log.empty()) {
    impl->log = std::fopen(options.access_log.c_str(), "a");
    if (impl->log == nullptr) {
      impl->log = stderr;
      return core::IoError("cannot open access log " + options.access_log + " for appending");
    }
  }
  RETURN_IF_ERROR(impl->Refresh(*impl->poll_ws));

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
  Impl* p = impl.get();
  impl->poller = std::thread([p] { p->Poll(); });
  impl->writer = std::thread([p] { p->WriteReviewItems(); });
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
