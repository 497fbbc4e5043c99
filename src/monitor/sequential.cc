#include "monitor/sequential.h"

#include <cmath>
#include <vector>

#include "core/check.h"

namespace statcoder::monitor {

core::Status PageHinkleyOptions::Validate() const {
  if (!(delta >= 0)) return core::InvalidArgument("page_hinkley delta must be >= 0");
  if (!(lambda > 0)) return core::InvalidArgument("page_hinkley lambda must be > 0");
  if (!(warning_lambda > 0 && warning_lambda <= lambda)) {
    return core::InvalidArgument("page_hinkley warning_lambda must be in (0, lambda]");
  }
  if (min_points < 1) return core::InvalidArgument("page_hinkley min_points must be >= 1");
  if (baseline && !std::isfinite(*baseline)) {
    return core::InvalidArgument("page_hinkley baseline must be finite");
  }
  return core::Status::Ok();
}

nlohmann::json ChangePoint::ToJson() const {
  return {{"detected", detected},           {"warning", warning},     {"start_index", start_index},
          {"flagged_index", flagged_index}, {"magnitude", magnitude}, {"statistic", statistic}};
}

ChangePoint PageHinkleyDecrease(std::span<const double> series, const PageHinkleyOptions& options) {
  SC_CHECK(options.Validate().ok());
  ChangePoint out;
  double sum = 0, m = 0, max_m = 0, ph = 0;
  int count = 0;
  int peak = -1;  // index of the last maximum of m; -1 = before the first point
  int last = -1;  // last finite index seen
  for (size_t i = 0; i < series.size(); ++i) {
    const double x = series[i];
    if (!std::isfinite(x)) continue;
    const int t = static_cast<int>(i);
    last = t;
    ++count;
    sum += x;
    const double mean = options.baseline ? *options.baseline : sum / count;
    m += x - mean + options.delta;
    if (m >= max_m) {
      max_m = m;
      peak = t;
    }
    ph = max_m - m;
    if (count >= options.min_points && ph > options.lambda) {
      out.detected = true;
      out.flagged_index = t;
      break;
    }
  }
  out.statistic = ph;
  if (!out.detected) out.warning = count >= options.min_points && ph >= options.warning_lambda;
  if (!out.detected && !out.warning) return out;

  // Where the lower regime starts. With a baseline, just after the last peak of m (the CUSUM
  // estimate). Otherwise the best single split of the finite points (largest between-segment
  // sum of squares with a lower second segment), the split at or before the alarm: the peak of
  // m moves with the running mean and lags or leads the change under noise.
  std::vector<int> finite;
  for (size_t i = 0; i < series.size(); ++i) {
    if (std::isfinite(series[i])) finite.push_back(static_cast<int>(i));
  }
  const int end_index = out.detected ? out.flagged_index : last;
  if (options.baseline) {
    for (int i : finite) {
      if (i > peak) {
        out.start_index = i;
        break;
      }
    }
    if (out.start_index < 0) out.start_index = last;
  } else {
    double total = 0;
    for (int i : finite) total += series[static_cast<size_t>(i)];
    const double n = static_cast<double>(finite.size());
    double prefix = 0, best = -1;
    for (size_t k = 1; k < finite.size() && finite[k] <= end_index; ++k) {
      prefix += series[static_cast<size_t>(finite[k - 1])];
      const double n1 = static_cast<double>(k), n2 = n - n1;
      const double m1 = prefix / n1, m2 = (total - prefix) / n2;
      const double score = n1 * n2 / n * (m1 - m2) * (m1 - m2);
      if (m1 > m2 && score > best) {
        best = score;
        out.start_index = finite[k];
      }
    }
    if (out.start_index < 0) out.start_index = end_index;
  }
  double before = 0, after = 0;
  int nb = 0, na = 0;
  for (size_t i = 0; i < series.size(); ++i) {
    if (!std::isfinite(series[i])) continue;
    if (static_cast<int>(i) < out.start_index) {
      before += series[i];
      ++nb;
    } else {
      after += series[i];
      ++na;
    }
  }
  const double before_mean = nb > 0 ? before / nb : (options.baseline ? *options.baseline : NAN);
  if (na > 0 && std::isfinite(before_mean)) out.magnitude = before_mean - after / na;
  return out;
}

}  // namespace statcoder::monitor
