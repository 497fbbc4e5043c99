// The HTTP coding service of a workspace (docs/server.md): codes records with the production
// model and knowledge base exactly as `statcoder code WS` does, explains, searches the code
// list, lists and promotes models, runs the clerical review queue, and exposes health,
// readiness and Prometheus metrics. Every
// route but /healthz and /readyz needs a bearer token (auth.h) of a role allowed on it.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<HttpServer> server, HttpServer::Create(root, options));
//   ASSIGN_OR_RETURN(int port, server->Bind());   // options.port 0: any free port
//   RETURN_IF_ERROR(server->Serve());             // until Stop() (e.g. from a signal thread)
//
// The model in service is an immutable snapshot (model + knowledge base) behind a shared_ptr:
// a background thread re-reads the production alias, the knowledge-base version and the users
// every poll interval (and a promote through the API refreshes at once) and swaps a new
// snapshot in; requests in flight finish on the one they started with. Request handlers never
// touch SQLite on the coding path: records referred to review (and the audit sample) go to one
// writer thread with its own connection that commits them in batches every review_flush_ms.
// The few handlers that must (models, promote, review) open their own connection, because a
// store object is single-threaded.
//
// Thread-safety: Stop() may be called from any thread; the rest from one thread.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "core/result.h"
#include "core/status.h"

namespace statcoder::server {

// Every limit is explicit (docs/server.md, "Limits"), never the HTTP library's default.
struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                     // 0: any free port (Bind returns it)
  int threads = 8;                     // request threads, 1..1024 (run complete requests only)
  int io_threads = 2;                  // threads reading and writing sockets, 1..64
  size_t max_body_bytes = 8u << 20;    // larger bodies get 413 (chunked too, while reading)
  size_t max_header_bytes = 8192;      // request line + headers; larger get 431
  size_t max_batch_records = 10000;    // records per /v1/code request
  size_t max_field_bytes = 64 * 1024;  // longest field value, as for data files
  int read_timeout_seconds = 5;        // whole request line + headers, then whole body, 1..3600
  int write_timeout_seconds = 5;       // whole response, 1..3600
  int keep_alive_seconds = 5;          // idle keep-alive connection, 0..3600
  int keep_alive_max_requests = 100;   // requests per connection, 1..100000
  int max_connections = 1024;          // open connections in all (then 503), 1..1000000
  int max_connections_per_address = 64;  // from one client address (then 503), 1..1000000
  int auth_failures_per_minute = 10;   // per client address, then 429; 1..1000000
  int poll_interval_ms = 1000;         // production alias / users re-read, 50..60000
  int review_lease_minutes = 30;       // how long GET /v1/review/next reserves an item, 1..1440
  int review_flush_ms = 100;           // queued review items are committed this often, 10..10000
  std::string access_log;              // JSON-lines access log; empty: stderr
  std::string actor;                   // who runs the server (startup audit only)
  bool allow_outside_paths = false;    // workspace::OpenOptions (--allow-outside-paths)

  core::Status Validate() const;
};

// The one table from a Status code to an HTTP status (docs/server.md, "Errors").
int HttpStatusFor(core::StatusCode code);

class HttpServer {
 public:
  // Opens the workspace, loads its code list and (when there is one) its production model.
  static core::Result<std::unique_ptr<HttpServer>> Create(const std::string& workspace_root,
                                                          const ServerOptions& options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds the listening socket; returns the port (the chosen one for port 0).
  core::Result<int> Bind();
  // Serves until Stop(). REQUIRES: Bind() succeeded.
  core::Status Serve();
  void Stop();

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace statcoder::server
