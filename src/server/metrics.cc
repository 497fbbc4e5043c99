#include "server/metrics.h"

#include <charconv>

namespace statcoder::server {
namespace {

// Label values are routes, methods, decisions and version ids: escape anyway, as the format
// requires for backslash, quote and newline.
std::string Escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    out.push_back(c == '\n' ? 'n' : c);
  }
  return out;
}

// The shortest text that reads back as the same double ("0.005", not "0.0050000000000000001").
std::string Num(double v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

}  // namespace

void Metrics::ObserveRequest(const std::string& route, const std::string& method, int status,
                             double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_[{route, method, status}];
  Histogram& h = latency_[route];
  size_t b = 0;
  while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
  ++h.counts[b];
  h.sum += seconds;
  ++h.count;
}

void Metrics::CountRecords(const std::string& decision, uint64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  records_[decision] += n;
}

void Metrics::CountAuthFailure() {
  std::lock_guard<std::mutex> lock(mu_);
  ++auth_failures_;
}

void Metrics::CountShadowFailure() {
  std::lock_guard<std::mutex> lock(mu_);
  ++shadow_failures_;
}

void Metrics::ModelLoaded(const std::string& version, int64_t kb_version) {
  std::lock_guard<std::mutex> lock(mu_);
  ++model_loads_;
  model_version_ = version;
  kb_version_ = kb_version;
}

std::string RenderReviewQueueMetrics(
    const std::string& classification,
    const std::map<std::pair<std::string, std::string>, int64_t>& items,
    const std::map<std::string, int64_t>& decisions_last_hour) {
  // Zeros for what review_queue.h can write, so that series exist before the first item.
  std::map<std::pair<std::string, std::string>, int64_t> depth;
  for (const char* kind : {"referred", "audit_sample"}) {
    for (const char* status : {"open", "escalated", "adjudication", "decided", "closed"}) {
      depth[{kind, status}] = 0;
    }
  }
  for (const auto& [key, n] : items) depth[key] = n;
  std::map<std::string, int64_t> decisions;
  for (const char* action : {"code", "uncodable", "skip", "escalate", "adjudicate", "undo",
                             "reopen"}) {
    decisions[action] = 0;
  }
  for (const auto& [action, n] : decisions_last_hour) decisions[action] = n;
  const std::string c = "classification=\"" + Escape(classification) + "\"";
  std::string out =
      "# HELP statcoder_review_queue_items Review items by kind and status (open: waiting for a "
      "coder; escalated and adjudication: waiting for a supervisor).\n"
      "# TYPE statcoder_review_queue_items gauge\n";
  for (const auto& [key, n] : depth) {
    out += "statcoder_review_queue_items{" + c + ",kind=\"" + Escape(key.first) +
           "\",status=\"" + Escape(key.second) + "\"} " + std::to_string(n) + "\n";
  }
  out +=
      "# HELP statcoder_review_decisions_last_hour Coder and supervisor actions on review items "
      "in the last hour, by action.\n"
      "# TYPE statcoder_review_decisions_last_hour gauge\n";
  for (const auto& [action, n] : decisions) {
    out += "statcoder_review_decisions_last_hour{" + c + ",action=\"" + Escape(action) + "\"} " +
           std::to_string(n) + "\n";
  }
  return out;
}

std::string Metrics::Render() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  out +=
      "# HELP statcoder_http_requests_total HTTP requests by route pattern, method and status.\n"
      "# TYPE statcoder_http_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    const auto& [route, method, status] = key;
    out += "statcoder_http_requests_total{route=\"" + Escape(route) + "\",method=\"" +
           Escape(method) + "\",status=\"" + std::to_string(status) + "\"} " + std::to_string(n) +
           "\n";
  }
  out +=
      "# HELP statcoder_http_request_duration_seconds Time from routing to response, by route.\n"
      "# TYPE statcoder_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    const std::string labels = "route=\"" + Escape(route) + "\"";
    uint64_t cumulative = 0;
    for (size_t b = 0; b <= kBuckets.size(); ++b) {
      cumulative += h.counts[b];
      out += "statcoder_http_request_duration_seconds_bucket{" + labels + ",le=\"" +
             (b < kBuckets.size() ? Num(kBuckets[b]) : std::string("+Inf")) + "\"} " +
             std::to_string(cumulative) + "\n";
    }
    out += "statcoder_http_request_duration_seconds_sum{" + labels + "} " + Num(h.sum) + "\n";
    out += "statcoder_http_request_duration_seconds_count{" + labels + "} " +
           std::to_string(h.count) + "\n";
  }
  out +=
      "# HELP statcoder_records_coded_total Records coded through the API, by decision.\n"
      "# TYPE statcoder_records_coded_total counter\n";
  for (const char* d : {"auto", "kb", "review"}) {
    const auto it = records_.find(d);
    out += std::string("statcoder_records_coded_total{decision=\"") + d + "\"} " +
           std::to_string(it == records_.end() ? 0 : it->second) + "\n";
  }
  out +=
      "# HELP statcoder_auth_failures_total Requests refused for a missing or invalid token.\n"
      "# TYPE statcoder_auth_failures_total counter\n"
      "statcoder_auth_failures_total " +
      std::to_string(auth_failures_) + "\n";
  out +=
      "# HELP statcoder_shadow_failures_total Requests the shadow challenger could not code "
      "(answered by production as always).\n"
      "# TYPE statcoder_shadow_failures_total counter\n"
      "statcoder_shadow_failures_total " +
      std::to_string(shadow_failures_) + "\n";
  out +=
      "# HELP statcoder_models_loaded_total Production models (with knowledge base) loaded.\n"
      "# TYPE statcoder_models_loaded_total counter\n"
      "statcoder_models_loaded_total " +
      std::to_string(model_loads_) + "\n";
  out +=
      "# HELP statcoder_model_info The model being served (1), with its knowledge-base version.\n"
      "# TYPE statcoder_model_info gauge\n";
  if (!model_version_.empty()) {
    out += "statcoder_model_info{version=\"" + Escape(model_version_) + "\",kb_version=\"" +
           std::to_string(kb_version_) + "\"} 1\n";
  }
  return out;
}

}  // namespace statcoder::server
