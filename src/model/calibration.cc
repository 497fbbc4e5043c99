#include "model/calibration.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "model/decision_policy.h"

namespace statcoder::model {

void Softmax(std::span<float> scores, double temperature) {
  if (scores.empty()) return;
  const float inv_t = static_cast<float>(1.0 / temperature);
  float max_score = scores[0];
  for (float s : scores) max_score = std::max(max_score, s);
  double sum = 0;
  for (float& s : scores) {
    s = std::exp((s - max_score) * inv_t);
    sum += s;
  }
  const float inv_sum = static_cast<float>(1.0 / sum);
  for (float& s : scores) s *= inv_sum;
}

double NegativeLogLikelihood(std::span<const float> logits, size_t num_labels,
                             std::span<const int32_t> labels, double temperature) {
  if (labels.empty()) return 0;
  double total = 0;
  for (size_t r = 0; r < labels.size(); ++r) {
    const float* row = logits.data() + r * num_labels;
    double max_score = row[0];
    for (size_t c = 1; c < num_labels; ++c) max_score = std::max(max_score, double{row[c]});
    double sum = 0;
    for (size_t c = 0; c < num_labels; ++c) sum += std::exp((row[c] - max_score) / temperature);
    const double log_p =
        (row[static_cast<size_t>(labels[r])] - max_score) / temperature - std::log(sum);
    total -= log_p;
  }
  return total / static_cast<double>(labels.size());
}

double FitTemperature(std::span<const float> logits, size_t num_labels,
                      std::span<const int32_t> labels) {
  if (labels.empty() || num_labels == 0) return 1.0;
  // NLL is unimodal in log T for softmax scaling; golden-section search is exact enough
  // (1e-4 in log T) and, unlike gradient steps, has no tuning knobs.
  auto f = [&](double log_t) {
    return NegativeLogLikelihood(logits, num_labels, labels, std::exp(log_t));
  };
  const double phi = (std::sqrt(5.0) - 1) / 2;
  double lo = std::log(0.01), hi = std::log(100.0);
  double x1 = hi - phi * (hi - lo), x2 = lo + phi * (hi - lo);
  double f1 = f(x1), f2 = f(x2);
  while (hi - lo > 1e-4) {
    if (f1 <= f2) {
      hi = x2;
      x2 = x1;
      f2 = f1;
      x1 = hi - phi * (hi - lo);
      f1 = f(x1);
    } else {
      lo = x1;
      x1 = x2;
      f1 = f2;
      x2 = lo + phi * (hi - lo);
      f2 = f(x2);
    }
  }
  return std::exp((lo + hi) / 2);
}

double WilsonLowerBound(double hits, double n, double z) {
  if (n <= 0) return 0;
  const double p = hits / n;
  if (z <= 0) return p;
  const double z2 = z * z;
  const double centre = p + z2 / (2 * n);
  const double spread = z * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n));
  return (centre - spread) / (1 + z2 / n);
}

double ChooseThreshold(std::span<const double> confidence, std::span<const uint8_t> correct,
                       double target_precision, size_t min_support, double z) {
  const size_t n = confidence.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return confidence[a] > confidence[b]; });
  double best = kNeverAuto;
  size_t hits = 0;
  for (size_t k = 0; k < n; ++k) {
    hits += correct[order[k]] ? 1 : 0;
    const bool cut_here = k + 1 == n || confidence[order[k + 1]] < confidence[order[k]];
    if (!cut_here) continue;
    const size_t covered = k + 1;
    if (covered >= min_support &&
        WilsonLowerBound(static_cast<double>(hits), static_cast<double>(covered), z) >=
            target_precision) {
      best = confidence[order[k]];  // the most-covering cut seen so far
    }
  }
  return best;
}

}  // namespace statcoder::model

namespace statcoder::model {

double LogBinomialUpperTail(uint64_t k, uint64_t n, double p) {
  if (k == 0) return 0;
  if (k > n) return -std::numeric_limits<double>::infinity();
  if (p <= 0) return -std::numeric_limits<double>::infinity();
  if (p >= 1) return 0;
  const double lp = std::log(p), lq = std::log1p(-p);
  const double dn = static_cast<double>(n);
  // log of each term C(n, i) p^i q^(n-i), summed from i = k up with log-sum-exp. Terms fall
  // geometrically once past the mode, so the sum stops when they no longer matter.
  double max_term = -std::numeric_limits<double>::infinity();
  std::vector<double> terms;
  for (uint64_t i = k; i <= n; ++i) {
    const double di = static_cast<double>(i);
    const double t = std::lgamma(dn + 1) - std::lgamma(di + 1) - std::lgamma(dn - di + 1) +
                     di * lp + (dn - di) * lq;
    terms.push_back(t);
    max_term = std::max(max_term, t);
    if (t < max_term - 40) break;  // e^-40: below double precision of the sum
  }
  double sum = 0;
  for (double t : terms) sum += std::exp(t - max_term);
  return max_term + std::log(sum);
}

double ChooseCertifiedThreshold(std::span<const double> confidence,
                                std::span<const uint8_t> correct, double target_precision,
                                double delta, size_t min_support) {
  const size_t n = confidence.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return confidence[a] > confidence[b]; });
  // No finite number of records certifies a precision of 1.
  if (target_precision >= 1) return kNeverAuto;
  // A cut with no error among m records is rejected once target^m <= delta.
  const double log_delta = std::log(delta);
  const auto perfect_needed =
      static_cast<size_t>(std::ceil(log_delta / std::log(target_precision)));
  // Where the walk starts, in records covered: past the thin top cuts, where a single error
  // ends a walk (a cut of m records with one error needs about twice the records an error-free
  // one needs), at four times what an error-free cut needs, but never past a tenth of the
  // records, so that small calibration sets can still certify. It depends on the number of
  // records only, so the sequence is fixed before any record's correctness is looked at.
  const size_t start_covered =
      std::max({min_support, perfect_needed,
                std::min(4 * perfect_needed, n / 10)});
  const size_t start = start_covered - 1;  // index of the last record the first cut covers
  double best = kNeverAuto;
  uint64_t hits = 0;
  for (size_t k = 0; k < n; ++k) {
    hits += correct[order[k]] ? 1 : 0;
    const bool cut_here = k + 1 == n || confidence[order[k + 1]] < confidence[order[k]];
    if (!cut_here || k < start) continue;
    if (LogBinomialUpperTail(hits, k + 1, target_precision) > log_delta) break;
    best = confidence[order[k]];
  }
  return best;
}

}  // namespace statcoder::model

namespace statcoder::model {

namespace {

// log(p / (1 - p)) with p kept away from 0 and 1 (a sum of float probabilities can reach 1).
double ClampedLogit(double p) {
  constexpr double kEps = 1e-6;
  p = std::clamp(p, kEps, 1.0 - kEps);
  return std::log(p / (1.0 - p));
}

double Sigmoid(double z) {
  return z >= 0 ? 1.0 / (1.0 + std::exp(-z)) : std::exp(z) / (1.0 + std::exp(z));
}

}  // namespace

double LevelCalibration::Apply(double probability) const {
  if (identity()) return probability;
  return Sigmoid(slope * ClampedLogit(probability) + offset);
}

LevelCalibration FitLevelCalibration(std::span<const double> confidence,
                                     std::span<const uint8_t> correct, size_t min_records) {
  const LevelCalibration identity;
  const size_t n = std::min(confidence.size(), correct.size());
  if (n == 0 || n < min_records) return identity;
  size_t hits = 0;
  for (size_t i = 0; i < n; ++i) hits += correct[i] != 0;
  if (hits == 0 || hits == n) return identity;
  std::vector<double> z(n);
  for (size_t i = 0; i < n; ++i) z[i] = ClampedLogit(confidence[i]);
  // Newton's method from the identity, with step halving so the likelihood never falls; the
  // problem is convex (logistic regression on one feature), so this finds its minimum.
  auto nll = [&](double a, double b) {
    double sum = 0;
    for (size_t i = 0; i < n; ++i) {
      const double t = a * z[i] + b;
      // -log sigmoid(t) for a right record, -log(1 - sigmoid(t)) for a wrong one, stably.
      const double u = correct[i] ? -t : t;
      sum += u > 0 ? u + std::log1p(std::exp(-u)) : std::log1p(std::exp(u));
    }
    return sum;
  };
  double a = 1.0, b = 0.0, current = nll(a, b);
  for (int iter = 0; iter < 50; ++iter) {
    double ga = 0, gb = 0, haa = 0, hab = 0, hbb = 0;
    for (size_t i = 0; i < n; ++i) {
      const double q = Sigmoid(a * z[i] + b);
      const double r = q - (correct[i] ? 1.0 : 0.0);
      const double w = q * (1 - q);
      ga += r * z[i];
      gb += r;
      haa += w * z[i] * z[i];
      hab += w * z[i];
      hbb += w;
    }
    const double det = haa * hbb - hab * hab;
    if (!(det > 1e-12)) break;
    const double da = (hbb * ga - hab * gb) / det, db = (haa * gb - hab * ga) / det;
    double step = 1.0, next = current;
    for (int half = 0; half < 30; ++half, step *= 0.5) {
      next = nll(a - step * da, b - step * db);
      if (next <= current) break;
    }
    if (!(next <= current)) break;
    a -= step * da;
    b -= step * db;
    const double gain = current - next;
    current = next;
    if (gain < 1e-10 * static_cast<double>(n)) break;
  }
  if (!std::isfinite(a) || !std::isfinite(b) || a < 0.05 || a > 20) return identity;
  return {a, b};
}

}  // namespace statcoder::model
