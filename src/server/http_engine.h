// The HTTP/1.1 engine of `statcoder serve` (docs/server.md, "Limits"): Boost.Beast over
// Boost.Asio, event-driven, so a slow or idle client costs a socket and a buffer, never a
// request thread.
//
//   HttpEngine engine(options, handler);       // handler: an HttpHandler
//   ASSIGN_OR_RETURN(int port, engine.Bind());
//   engine.Run();                               // until Stop()
//
// What it guarantees, whatever the clients do:
// - Request line and headers must arrive within read_timeout_seconds of the request's first
//   byte being awaited (keep_alive_seconds more on a kept-alive connection), in at most
//   max_header_bytes (else 431); the body within read_timeout_seconds more, in at most
//   max_body_bytes, chunked or not (else 413, counted while reading, never buffered past it).
// - HttpHandler::OnHeaders runs once the headers are in, before any of the body is read, so
//   authentication refuses a request without reading its body; the connection is then closed
//   (after a short drain, so the client sees the answer).
// - Only complete requests reach the worker pool (`threads`): slow clients cannot starve it.
// - At most max_connections connections, max_connections_per_address from one address; one
//   over either is answered 503 and closed.
// - Pipelined requests are answered in order; keep_alive_max_requests per connection.
// - Every response carries X-Content-Type-Options: nosniff.
//
// Thread-safety: Stop() may be called from any thread; Bind and Run from one. The handler's
// OnHeaders, OnRefused and OnDone run on I/O threads and must not block; OnRequest runs on the
// worker pool, concurrently for different requests.
#pragma once

#include <any>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "core/result.h"
#include "server/http_message.h"

namespace statcoder::server {

struct HttpEngineOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                      // 0: any free port
  int threads = 8;                      // worker threads running OnRequest
  int io_threads = 2;                   // threads reading and writing sockets
  size_t max_body_bytes = 8u << 20;     // larger bodies: 413
  size_t max_header_bytes = 8192;       // request line and headers; larger: 431
  int read_timeout_seconds = 5;         // headers, and then the body, each within this
  int write_timeout_seconds = 5;        // a response within this
  int keep_alive_seconds = 5;           // idle time allowed between requests; 0: no keep-alive
  int keep_alive_max_requests = 100;    // requests per connection
  int max_connections = 1024;           // open connections in all
  int max_connections_per_address = 64; // open connections from one client address
};

// One request and its response, passed through the handler's calls. `context` is the
// handler's own (request id, route, user).
struct HttpExchange {
  HttpRequest request;
  HttpResponse response;
  std::any context;
  std::chrono::steady_clock::time_point start;
};

class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  // The request line and headers are in (exchange.request without body). Return true to read
  // the body and call OnRequest; false to send exchange.response as it is now.
  virtual bool OnHeaders(HttpExchange& exchange) = 0;
  // The complete request: fill exchange.response. On a worker thread.
  virtual void OnRequest(HttpExchange& exchange) = 0;
  // The engine refuses the request with `status` (400 malformed, 408 too slow, 413 body too
  // large, 431 headers too large) for reason `why`: fill exchange.response's body. The request
  // may be partial (no headers for a malformed request line).
  virtual void OnRefused(HttpExchange& exchange, int status, const std::string& why) = 0;
  // The response was written (or the connection failed while writing it).
  virtual void OnDone(HttpExchange& exchange) = 0;
};

class HttpEngine {
 public:
  // REQUIRES: options validated (ServerOptions::Validate); `handler` outlives the engine.
  HttpEngine(const HttpEngineOptions& options, HttpHandler& handler);
  ~HttpEngine();
  HttpEngine(const HttpEngine&) = delete;
  HttpEngine& operator=(const HttpEngine&) = delete;

  // Listens; returns the port (the chosen one for port 0). kIoError when it cannot.
  core::Result<int> Bind();
  // Serves until Stop(); requests being handled finish first. REQUIRES: Bind() succeeded.
  void Run();
  void Stop();

  struct Impl;  // http_engine.cc only (its connections refer to it)

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace statcoder::server
