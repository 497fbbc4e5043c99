#include "server/review_writer.h"

#include <iterator>

#include "core/utc_time.h"

namespace statcoder::server {

ReviewWriter::ReviewWriter(std::unique_ptr<workspace::Workspace> ws, ReviewWriterOptions options,
                           std::function<void(nlohmann::json)> log)
    : ws_(std::move(ws)), options_(std::move(options)), log_(std::move(log)) {
  thread_ = std::thread([this] { Run(); });
}

ReviewWriter::~ReviewWriter() { Stop(); }

void ReviewWriter::Queue(std::vector<store::ReviewItemRow> items) {
  if (items.empty()) return;
  std::lock_guard<std::mutex> lock(pending_mu_);
  pending_.insert(pending_.end(), std::make_move_iterator(items.begin()),
                  std::make_move_iterator(items.end()));
}

void ReviewWriter::ObserveTraffic(const std::string& model_version,
                                  const monitor::BatchStats& stats, const std::string& now,
                                  const std::string& shadow_version,
                                  const registry::ShadowAgreement* shadow) {
  std::lock_guard<std::mutex> lock(window_mu_);
  const std::string shadow_of = shadow != nullptr ? shadow_version : std::string();
  if (window_ &&
      (window_->model_version != model_version || window_->shadow_version != shadow_of)) {
    CloseWindowLocked();
  }
  if (!window_) {
    window_ = TrafficWindow{model_version, {}, shadow_of, std::nullopt, now, now, Clock::now()};
  }
  window_->stats.Merge(stats);
  if (shadow != nullptr) {
    if (!window_->shadow) window_->shadow.emplace();
    window_->shadow->Merge(*shadow);
  }
  window_->end = now;
  if (window_->stats.records >= options_.window_records) CloseWindowLocked();
}

void ReviewWriter::CloseWindowIfDue(bool force) {
  std::lock_guard<std::mutex> lock(window_mu_);
  if (window_ && (force || Clock::now() - window_->opened >=
                               std::chrono::minutes(options_.window_minutes))) {
    CloseWindowLocked();
  }
}

void ReviewWriter::CloseWindowLocked() {
  if (!window_) return;
  store::MonitorBatchRow row;
  row.created_at = core::UtcNow();
  row.window_start = window_->start;
  row.window_end = window_->end;
  row.source = "api";
  row.label = "api";
  row.classification = options_.classification;
  row.model_version = window_->model_version;
  row.records = window_->stats.records;
  row.stats = window_->stats.ToJson();
  row.shadow = window_->shadow ? window_->shadow->ToJson() : nlohmann::json(nullptr);
  row.shadow_version = window_->shadow ? window_->shadow_version : std::string();
  row.actor = options_.actor;
  window_.reset();
  if (row.records == 0) return;
  std::lock_guard<std::mutex> lock(pending_mu_);
  pending_windows_.push_back(std::move(row));
}

void ReviewWriter::Stop() {
  if (!thread_.joinable()) return;
  CloseWindowIfDue(true);
  {
    std::lock_guard<std::mutex> lock(pending_mu_);
    stopping_ = true;
  }
  pending_cv_.notify_all();
  thread_.join();
}

void ReviewWriter::Run() {
  std::unique_lock<std::mutex> lock(pending_mu_);
  while (true) {
    pending_cv_.wait_for(lock, std::chrono::milliseconds(options_.flush_ms),
                         [this] { return stopping_; });
    const bool last = stopping_;
    std::vector<store::ReviewItemRow> batch;
    batch.swap(pending_);
    std::vector<store::MonitorBatchRow> windows;
    windows.swap(pending_windows_);
    lock.unlock();
    for (const store::MonitorBatchRow& w : windows) {
      const core::Result<int64_t> id = ws_->store().InsertMonitorBatch(w);
      if (!id.ok()) {
        log_({{"event", "monitor_write_failed"},
              {"records", w.records},
              {"error", std::string(core::StatusCodeName(id.status().code()))},
              {"message", id.status().message()}});
      }
    }
    if (!batch.empty()) {
      const core::Result<std::vector<int64_t>> ids = ws_->store().InsertReviewItems(batch);
      if (!ids.ok()) {
        log_({{"event", "review_write_failed"},
              {"items", batch.size()},
              {"error", std::string(core::StatusCodeName(ids.status().code()))},
              {"message", ids.status().message()}});
        // A busy catalog is retried with the next batch; anything else would fail again.
        if (ids.status().code() == core::StatusCode::kIoError && !last) {
          lock.lock();
          pending_.insert(pending_.begin(), std::make_move_iterator(batch.begin()),
                          std::make_move_iterator(batch.end()));
          continue;
        }
      }
    }
    if (last) return;
    lock.lock();
  }
}

}  // namespace statcoder::server
