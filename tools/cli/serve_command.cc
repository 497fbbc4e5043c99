// statcoder serve: the HTTP coding service of a workspace (docs/server.md).
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include "cli_common.h"
#include "commands.h"
#include "server/http_server.h"
#include "workspace_args.h"

namespace statcoder::cli {
namespace {

struct ServeFlags {
  WorkspaceArgs ws;
  server::ServerOptions options;
};

core::Status RunServe(ServeFlags& f) {
  std::vector<std::string> none;
  // Opening checks the workspace (and finds it from the current folder) before serving it.
  ASSIGN_OR_RETURN(std::unique_ptr<workspace::Workspace> ws, f.ws.Open(0, false, &none));
  const std::string root = ws->root();
  f.options.actor = ws->actor();
  f.options.allow_outside_paths = f.ws.allow_outside_paths;
  ws.reset();
  // SIGINT and SIGTERM are taken by one thread with sigwait (blocked everywhere else before any
  // thread starts), so stopping runs as ordinary code, not in a signal handler.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ASSIGN_OR_RETURN(std::unique_ptr<server::HttpServer> srv,
                   server::HttpServer::Create(root, f.options));
  ASSIGN_OR_RETURN(int port, srv->Bind());
  std::printf("%s\n", nlohmann::json(
                          {{"listening", "http://" + f.options.host + ":" + std::to_string(port)}})
                          .dump()
                          .c_str());
  std::fflush(stdout);
  std::atomic<bool> signalled{false};
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    signalled = true;
    srv->Stop();
  });
  const core::Status served = srv->Serve();
  // Wakes the waiter when serving ended without a signal (an error).
  if (!signalled) pthread_kill(waiter.native_handle(), SIGTERM);
  waiter.join();
  return served;
}

}  // namespace

Command AddServeCommand(CLI::App& app) {
  auto f = std::make_shared<ServeFlags>();
  server::ServerOptions& o = f->options;
  CLI::App* sub = app.add_subcommand("serve",
                                     "Serve the workspace's production model over "
                                     "HTTP/JSON (docs/server.md)");
  f->ws.AddTo(sub, "");
  sub->add_option("--host", o.host, "Address to listen on")->capture_default_str();
  sub->add_option("--port", o.port, "Port (0: any free port, printed on stdout)")
      ->capture_default_str();
  sub->add_option("--threads", o.threads, "Request threads (1..1024)")->capture_default_str();
  sub->add_option("--max-body-bytes", o.max_body_bytes, "Largest request body (else 413)")
      ->capture_default_str();
  sub->add_option("--max-header-bytes", o.max_header_bytes,
                  "Largest request line and headers together (else 431)")
      ->capture_default_str();
  sub->add_option("--max-connections", o.max_connections,
                  "Open connections in all; more are answered 503")
      ->capture_default_str();
  sub->add_option("--max-connections-per-address", o.max_connections_per_address,
                  "Open connections from one client address; more are answered 503")
      ->capture_default_str();
  sub->add_option("--io-threads", o.io_threads,
                  "Threads reading and writing sockets (1..64)")
      ->capture_default_str();
  sub->add_option("--max-batch", o.max_batch_records, "Most records per /v1/code request")
      ->capture_default_str();
  sub->add_option("--max-field-bytes", o.max_field_bytes, "Longest field value of a record")
      ->capture_default_str();
  sub->add_option("--read-timeout", o.read_timeout_seconds, "Seconds for a request's line and headers, then for its body")
      ->capture_default_str();
  sub->add_option("--write-timeout", o.write_timeout_seconds, "Seconds for writing a response")
      ->capture_default_str();
  sub->add_option("--keep-alive", o.keep_alive_seconds, "Seconds an idle connection is kept")
      ->capture_default_str();
  sub->add_option("--keep-alive-requests", o.keep_alive_max_requests,
                  "Requests per connection before it is closed")
      ->capture_default_str();
  sub->add_option("--auth-failures-per-minute", o.auth_failures_per_minute,
                  "Failed authentications per client address and minute before 429")
      ->capture_default_str();
  sub->add_option("--poll-interval-ms", o.poll_interval_ms,
                  "How often the production model, knowledge base and users are re-read")
      ->capture_default_str();
  sub->add_option("--review-lease-minutes", o.review_lease_minutes,
                  "Minutes GET /v1/review/next reserves an item for its coder")
      ->capture_default_str();
  sub->add_option("--review-flush-ms", o.review_flush_ms,
                  "How often queued review items are committed (lost on a crash before)")
      ->capture_default_str();
  sub->add_option("--access-log", o.access_log, "JSON-lines access log file (default: stderr)");
  return {sub, [f] {
            const core::Status s = RunServe(*f);
            return s.ok() ? kExitOk : ReportError("serve", s, f->ws.json);
          }};
}

}  // namespace statcoder::cli
