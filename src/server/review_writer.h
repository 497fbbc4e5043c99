// The server's one writer of coding traffic (docs/server.md, "Review queue"; docs/monitoring.md,
// "API traffic"): records referred to review (and the audit sample) and closed windows of API
// traffic are queued by request threads and committed by one thread with its own catalog
// connection, every flush_ms and once more when stopping. A crash loses what was queued since
// the last commit. Request handlers never touch SQLite on the coding path.
//
//   ReviewWriter writer(std::move(ws), options, log);
//   writer.Queue(std::move(items));                            // a request's referred records
//   writer.ObserveTraffic(version, stats, UtcNow());           // its statistics
//   writer.CloseWindowIfDue(false);                            // now and then (the poller)
//   writer.Stop();                                             // closes the window, commits
//
// Thread-safety: Queue, ObserveTraffic and CloseWindowIfDue are thread-safe; Stop is called
// once, when nothing queues any more.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "monitor/batch_stats.h"
#include "registry/monitoring.h"
#include "store/metadata_store.h"
#include "workspace/workspace.h"

namespace statcoder::server {

struct ReviewWriterOptions {
  int flush_ms = 100;              // how often queued rows are committed
  int64_t window_records = 1000;   // a traffic window closes at this many records...
  int64_t window_minutes = 60;     // ... or this long after it opened
  std::string classification;      // of the monitor batches it stores
  std::string actor;               // who runs the server
};

class ReviewWriter {
 public:
  // `log` receives the JSON events of failed writes. Starts the writer thread.
  ReviewWriter(std::unique_ptr<workspace::Workspace> ws, ReviewWriterOptions options,
               std::function<void(nlohmann::json)> log);
  ~ReviewWriter();  // Stop()
  ReviewWriter(const ReviewWriter&) = delete;
  ReviewWriter& operator=(const ReviewWriter&) = delete;

  void Queue(std::vector<store::ReviewItemRow> items);
  // Adds a request's records to the open traffic window, opening and closing windows as needed
  // (a window also closes when the model version changes).
  // `shadow` is the shadow challenger's coding of the same records (null: shadow mode off); a
  // window holds one challenger's, and closes when it changes.
  void ObserveTraffic(const std::string& model_version, const monitor::BatchStats& stats,
                      const std::string& now, const std::string& shadow_version = "",
                      const registry::ShadowAgreement* shadow = nullptr);
  // Closes the open window when it is older than window_minutes, or whatever its age (`force`).
  void CloseWindowIfDue(bool force);
  // Closes the open window, commits everything queued and ends the thread.
  void Stop();

 private:
  using Clock = std::chrono::steady_clock;
  struct TrafficWindow {
    std::string model_version;
    monitor::BatchStats stats;
    std::string shadow_version;                      // "" when shadow mode was off
    std::optional<registry::ShadowAgreement> shadow;  // the challenger's, summed
    std::string start, end;  // first and last request's time
    Clock::time_point opened;
  };
  void Run();
  void CloseWindowLocked();  // REQUIRES: window_mu_ held

  std::unique_ptr<workspace::Workspace> ws_;
  const ReviewWriterOptions options_;
  std::function<void(nlohmann::json)> log_;
  std::mutex window_mu_;  // before pending_mu_ when both are taken
  std::optional<TrafficWindow> window_;
  std::mutex pending_mu_;
  std::condition_variable pending_cv_;
  std::vector<store::ReviewItemRow> pending_;            // guarded by pending_mu_
  std::vector<store::MonitorBatchRow> pending_windows_;  // guarded by pending_mu_
  bool stopping_ = false;                                // guarded by pending_mu_
  std::thread thread_;
};

}  // namespace statcoder::server
