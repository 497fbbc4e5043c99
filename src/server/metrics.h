// The server's Prometheus metrics (docs/server.md, "Metrics"): requests by route, method and
// status, latency histograms by route, records coded by decision, model loads and the loaded
// model. Rendered in the Prometheus text exposition format, version 0.0.4.
//
//   metrics.ObserveRequest("/v1/code", "POST", 200, 0.0021);
//   std::string text = metrics.Render();
//
// Thread-safety: thread-safe (one mutex; a request takes it once).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <utility>

namespace statcoder::server {

// The review queue as Prometheus gauges, read from the catalog at each scrape:
// statcoder_review_queue_items{classification, kind, status} (open items wait for a coder,
// escalated ones for a supervisor) and statcoder_review_decisions_last_hour{classification,
// action}. Every status and action named in review_queue.h is written, 0 when there is none,
// so a dashboard's series never disappear.
std::string RenderReviewQueueMetrics(
    const std::string& classification,
    const std::map<std::pair<std::string, std::string>, int64_t>& items,
    const std::map<std::string, int64_t>& decisions_last_hour);

class Metrics {
 public:
  // Upper bounds (seconds) of the latency histogram buckets, then +Inf.
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1,    2.5};

  void ObserveRequest(const std::string& route, const std::string& method, int status,
                      double seconds);
  void CountRecords(const std::string& decision, uint64_t n);
  void CountAuthFailure();
  // A request the shadow challenger could not code (the answer was production's as always).
  void CountShadowFailure();
  void ModelLoaded(const std::string& version, int64_t kb_version);

  std::string Render() const;

 private:
  struct Histogram {
    std::array<uint64_t, kBuckets.size() + 1> counts{};  // per bucket, last = +Inf
    double sum = 0;
    uint64_t count = 0;
  };
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_;
  std::map<std::string, Histogram> latency_;
  std::map<std::string, uint64_t> records_;
  uint64_t auth_failures_ = 0;
  uint64_t shadow_failures_ = 0;
  uint64_t model_loads_ = 0;
  std::string model_version_;
  int64_t kb_version_ = -1;
};

}  // namespace statcoder::server
