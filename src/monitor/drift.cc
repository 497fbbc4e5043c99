#include "monitor/drift.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>

#include "core/check.h"
#include "monitor/json_util.h"

namespace statcoder::monitor {
namespace {

// Two aligned count vectors over the union of categories, in key order.
struct Aligned {
  std::vector<int64_t> batch, reference;
};

Aligned AlignMaps(const CountMap& batch, const CountMap& reference) {
  Aligned a;
  auto b = batch.begin();
  auto r = reference.begin();
  while (b != batch.end() || r != reference.end()) {
    if (r == reference.end() || (b != batch.end() && b->first < r->first)) {
      a.batch.push_back(b->second);
      a.reference.push_back(0);
      ++b;
    } else if (b == batch.end() || r->first < b->first) {
      a.batch.push_back(0);
      a.reference.push_back(r->second);
      ++r;
    } else {
      a.batch.push_back(b->second);
      a.reference.push_back(r->second);
      ++b;
      ++r;
    }
  }
  return a;
}

int64_t Total(std::span<const int64_t> v) {
  return std::accumulate(v.begin(), v.end(), int64_t{0});
}

DriftTest Untested(std::string statistic, std::string test, int64_t batch_n, int64_t reference_n,
                   std::string note) {
  DriftTest t;
  t.statistic = std::move(statistic);
  t.test = std::move(test);
  t.batch_n = batch_n;
  t.reference_n = reference_n;
  t.note = std::move(note);
  return t;
}

std::string TooFew(int64_t batch_n, int64_t reference_n, int64_t min_records) {
  return "too few records (batch " + std::to_string(batch_n) + ", reference " +
         std::to_string(reference_n) + "; at least " + std::to_string(min_records) + " each)";
}

DriftTest DistributionTest(std::string statistic, std::span<const int64_t> batch,
                           std::span<const int64_t> reference, const DriftOptions& options) {
  const int64_t nb = Total(batch), nr = Total(reference);
  if (nb < options.min_records || nr < options.min_records) {
    return Untested(std::move(statistic), "chi_square", nb, nr,
                    TooFew(nb, nr, options.min_records));
  }
  DriftTest t = Untested(std::move(statistic), "chi_square", nb, nr, "");
  const HomogeneityResult h = TestHomogeneity(batch, reference, options.min_expected);
  t.tested = h.tested;
  if (!h.tested) t.note = "fewer than 2 cells after pooling sparse categories";
  t.test_statistic = h.chi_square;
  t.df = h.df;
  t.cells = h.cells;
  t.p_value = h.p_value;
  t.effect_name = "cohens_w";
  t.effect = h.cohens_w;
  t.cramers_v = h.cramers_v;
  t.psi = PopulationStabilityIndex(batch, reference);
  t.js_distance = JensenShannonDistance(batch, reference);
  return t;
}

// The alternative a test is against: any difference, or only batch > reference (the direction
// that means trouble; the other one then gives p-values near 1, never an alarm).
enum class Side { kTwoSided, kGreater };

std::string TestName(const char* base, Side side) {
  return side == Side::kGreater ? std::string(base) + "_greater" : std::string(base);
}

double NormalP(double z, Side side) {
  return side == Side::kGreater ? NormalUpperP(z) : NormalTwoSidedP(z);
}

DriftTest ProportionTest(std::string statistic, int64_t xb, int64_t nb, int64_t xr, int64_t nr,
                         Side side, const DriftOptions& options) {
  if (nb < options.min_records || nr < options.min_records) {
    return Untested(std::move(statistic), TestName("two_proportion_z", side), nb, nr,
                    TooFew(nb, nr, options.min_records));
  }
  DriftTest t = Untested(std::move(statistic), TestName("two_proportion_z", side), nb, nr, "");
  const double pb = static_cast<double>(xb) / static_cast<double>(nb);
  const double pr = static_cast<double>(xr) / static_cast<double>(nr);
  t.batch_value = pb;
  t.reference_value = pr;
  t.effect_name = "share_difference";
  t.effect = pb - pr;
  // Sparse tables (an expected count below min_expected): Fisher's exact test, as the normal
  // approximation is then too liberal.
  const double n = static_cast<double>(nb + nr);
  const double col = static_cast<double>(xb + xr);
  const double min_expected = std::min({static_cast<double>(std::min(nb, nr)) * col / n,
                                        static_cast<double>(std::min(nb, nr)) * (n - col) / n});
  if (col > 0 && col < n && min_expected < options.min_expected) {
    t.test = TestName("fisher_exact", side);
    t.tested = true;
    t.p_value = side == Side::kGreater ? FisherExactGreater(xb, nb, xr, nr)
                                       : FisherExactTwoSided(xb, nb, xr, nr);
    return t;
  }
  const double pooled = static_cast<double>(xb + xr) / static_cast<double>(nb + nr);
  const double se = std::sqrt(pooled * (1 - pooled) *
                              (1 / static_cast<double>(nb) + 1 / static_cast<double>(nr)));
  if (!(se > 0)) {
    t.note = "no variation in either sample";
    return t;
  }
  t.tested = true;
  t.test_statistic = (pb - pr) / se;
  t.p_value = NormalP(t.test_statistic, side);
  return t;
}

// Welch z-test on the means of per-record values in [0, 1] from their sums and sums of squares.
DriftTest MeanTest(std::string statistic, double sum_b, double sq_b, int64_t nb, double sum_r,
                   double sq_r, int64_t nr, Side side, const DriftOptions& options) {
  if (nb < options.min_records || nr < options.min_records) {
    return Untested(std::move(statistic), TestName("welch_z", side), nb, nr,
                    TooFew(nb, nr, options.min_records));
  }
  DriftTest t = Untested(std::move(statistic), TestName("welch_z", side), nb, nr, "");
  const double b = static_cast<double>(nb), r = static_cast<double>(nr);
  const double mb = sum_b / b, mr = sum_r / r;
  const double vb = std::max(0.0, (sq_b - b * mb * mb) / (b - 1));
  const double vr = std::max(0.0, (sq_r - r * mr * mr) / (r - 1));
  t.batch_value = mb;
  t.reference_value = mr;
  t.effect_name = "mean_difference";
  t.effect = mb - mr;
  const double se = std::sqrt(vb / b + vr / r);
  if (!(se > 0)) {
    t.note = "no variation in either sample";
    return t;
  }
  t.tested = true;
  t.test_statistic = (mb - mr) / se;
  t.p_value = NormalP(t.test_statistic, side);
  return t;
}

double MinEffect(const DriftTest& t, const DriftOptions& options) {
  if (t.effect_name == "cohens_w") return options.min_cohens_w;
  if (t.effect_name == "share_difference") return options.min_share_difference;
  return options.min_mean_difference;
}

template <size_t N>
std::span<const int64_t> AsSpan(const std::array<int64_t, N>& a) {
  return {a.data(), a.size()};
}

// Every distribution statistic, as aligned count vectors (shared by TestDrift and FixedPsiRule).
struct NamedDistribution {
  std::string statistic;
  Aligned counts;
};

std::vector<NamedDistribution> CodeDistributions(const BatchStats& r, const BatchStats& b) {
  std::vector<NamedDistribution> out;
  const size_t levels = std::max(r.codes_by_level.size(), b.codes_by_level.size());
  static const CountMap kEmpty;
  for (size_t d = 0; d < levels; ++d) {
    const CountMap& bm = d < b.codes_by_level.size() ? b.codes_by_level[d] : kEmpty;
    const CountMap& rm = d < r.codes_by_level.size() ? r.codes_by_level[d] : kEmpty;
    out.push_back({"codes.level" + std::to_string(d + 1), AlignMaps(bm, rm)});
  }
  return out;
}

Aligned Vectors(std::span<const int64_t> b, std::span<const int64_t> r) {
  return {{b.begin(), b.end()}, {r.begin(), r.end()}};
}

// The low-confidence cutoff: the lowest confidence-histogram bin edge below which at least
// `quantile` of the reference's records lie (the reference's quantile, rounded up to a bin edge,
// since only the histogram is stored). Returns the number of bins below the cutoff, in
// [1, kConfidenceBins - 1].
int LowConfidenceBins(const BatchStats& ref, double quantile) {
  const double target = quantile * static_cast<double>(ref.records);
  int64_t below = 0;
  for (int k = 1; k < kConfidenceBins; ++k) {
    below += ref.confidence_hist[static_cast<size_t>(k - 1)];
    if (static_cast<double>(below) >= target) return k;
  }
  return kConfidenceBins - 1;
}

// ln C(a, b).
double LogChoose(int64_t a, int64_t b) {
  return std::lgamma(static_cast<double>(a) + 1) - std::lgamma(static_cast<double>(b) + 1) -
         std::lgamma(static_cast<double>(a - b) + 1);
}

int64_t CountBelow(const BatchStats& s, int bins) {
  return std::accumulate(s.confidence_hist.begin(), s.confidence_hist.begin() + bins, int64_t{0});
}

int64_t CountBelow(const ConfidenceHist& hist, int bins) {
  return std::accumulate(hist.begin(), hist.begin() + bins, int64_t{0});
}

// "low_confidence_by_code": is there a predicted code (at any level kept in confidence_by_code)
// whose records below the low-confidence cutoff make up a larger share of the batch than of the
// reference? One one-sided two-proportion test per code (Fisher's exact test when sparse), the
// smallest p-value times the number of codes tested (Bonferroni, so the scan is one test in the
// Holm family); the effect is that code's share difference. An excess of unsure records in one
// code (unfamiliar wording, or a new code family, when it lands in one place) is diluted over
// all cells by the marginal code and confidence tests; this names the code. Measured
// (docs/monitoring.md): it helps on mild vocabulary shifts; records of a new code family
// spread over several codes too evenly for it, which is what new_codes.h is for.
DriftTest LowConfidenceByCodeTest(const BatchStats& batch, const BatchStats& ref, int bins,
                                  const DriftOptions& options) {
  const char* name = "low_confidence_by_code";
  const size_t levels = std::min(batch.confidence_by_code.size(), ref.confidence_by_code.size());
  if (levels == 0) {
    return Untested(name, "two_proportion_z_greater", batch.records, ref.records,
                    "per-code confidence not kept in " +
                        std::string(ref.confidence_by_code.empty()
                                        ? "the reference (a model trained before it was kept)"
                                        : "this batch's summary"));
  }
  static const ConfidenceHist kNone{};
  DriftTest best;
  std::string best_code;
  size_t best_level = 0;
  int64_t scanned = 0;
  for (size_t d = 0; d < levels; ++d) {
    const ConfidenceByCode& b = batch.confidence_by_code[d];
    const ConfidenceByCode& r = ref.confidence_by_code[d];
    std::vector<std::string_view> codes;
    for (const auto& [code, hist] : b) codes.push_back(code);
    for (const auto& [code, hist] : r) {
      if (!b.contains(code)) codes.push_back(code);
    }
    for (std::string_view code : codes) {
      const auto bi = b.find(code);
      const auto ri = r.find(code);
      const int64_t xb = CountBelow(bi == b.end() ? kNone : bi->second, bins);
      const int64_t xr = CountBelow(ri == r.end() ? kNone : ri->second, bins);
      if (xb + xr == 0) continue;
      ++scanned;
      DriftTest t =
          ProportionTest(name, xb, batch.records, xr, ref.records, Side::kGreater, options);
      if (!t.tested) {
        if (!t.note.empty() && best.statistic.empty()) best = t;  // too few records
        continue;
      }
      if (!best.tested || t.p_value < best.p_value) {
        best = std::move(t);
        best_code = std::string(code);
        best_level = d + 1;
      }
    }
  }
  if (!best.tested) {
    if (best.statistic.empty()) {
      best = Untested(name, "two_proportion_z_greater", batch.records, ref.records,
                      "no record below the low-confidence cutoff");
    }
    return best;
  }
  best.p_value = std::min(1.0, best.p_value * static_cast<double>(scanned));
  char note[200];
  std::snprintf(note, sizeof note,
                "code %s (level %zu): %.1f%% of the batch below %.2f, reference %.1f%%; "
                "most significant of %lld codes (Bonferroni)",
                best_code.c_str(), best_level, 100 * best.batch_value.value_or(0),
                bins * 1.0 / kConfidenceBins, 100 * best.reference_value.value_or(0),
                static_cast<long long>(scanned));
  best.note = note;
  return best;
}

Aligned Decisions(const BatchStats& b, const BatchStats& r) {
  return {{b.auto_records, b.kb_records, b.review_records},
          {r.auto_records, r.kb_records, r.review_records}};
}

}  // namespace

core::Status DriftOptions::Validate() const {
  if (!(alpha > 0 && alpha < 1)) return core::InvalidArgument("drift alpha must be in (0, 1)");
  if (!(min_expected > 0)) return core::InvalidArgument("drift min_expected must be > 0");
  if (!(min_cohens_w >= 0) || !(min_share_difference >= 0) || !(min_mean_difference >= 0)) {
    return core::InvalidArgument("drift minimum effect sizes must be >= 0");
  }
  if (min_records < 2) return core::InvalidArgument("drift min_records must be >= 2");
  if (!(low_confidence_quantile > 0 && low_confidence_quantile < 1)) {
    return core::InvalidArgument("drift low_confidence_quantile must be in (0, 1)");
  }
  return core::Status::Ok();
}

// ---- Distributions ----

double RegularizedGammaQ(double a, double x) {
  SC_CHECK(a > 0);
  if (!(x > 0)) return 1;
  if (std::isinf(x)) return 0;
  constexpr double kEps = 1e-15;
  constexpr int kMaxIter = 10000;
  const double log_prefix = -x + a * std::log(x) - std::lgamma(a);
  if (x < a + 1) {
    // Series for P(a, x); Q = 1 - P.
    double ap = a, del = 1 / a, sum = del;
    for (int i = 0; i < kMaxIter; ++i) {
      ap += 1;
      del *= x / ap;
      sum += del;
      if (std::fabs(del) < std::fabs(sum) * kEps) break;
    }
    return std::clamp(1 - sum * std::exp(log_prefix), 0.0, 1.0);
  }
  // Continued fraction for Q(a, x) (modified Lentz).
  constexpr double kTiny = 1e-300;
  double b = x + 1 - a, c = 1 / kTiny, d = 1 / b, h = d;
  for (int i = 1; i <= kMaxIter; ++i) {
    const double an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = b + an / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1 / d;
    const double del = d * c;
    h *= del;
    if (std::fabs(del - 1) < kEps) break;
  }
  return std::clamp(std::exp(log_prefix) * h, 0.0, 1.0);
}

double ChiSquareSurvival(double x, int df) {
  SC_CHECK(df >= 1);
  return RegularizedGammaQ(0.5 * df, 0.5 * x);
}

double NormalTwoSidedP(double z) { return std::erfc(std::fabs(z) / std::sqrt(2.0)); }

double NormalUpperP(double z) { return 0.5 * std::erfc(z / std::sqrt(2.0)); }

double FisherExactTwoSided(int64_t xb, int64_t nb, int64_t xr, int64_t nr) {
  SC_CHECK(xb >= 0 && xb <= nb && xr >= 0 && xr <= nr);
  const int64_t k = xb + xr, n = nb + nr;
  const double log_total = LogChoose(n, k);
  const auto log_p = [&](int64_t x) { return LogChoose(nb, x) + LogChoose(nr, k - x) - log_total; };
  const double observed = log_p(xb);
  // Tables as or less probable than the observed one (relative tolerance for ties).
  double p = 0;
  for (int64_t x = std::max<int64_t>(0, k - nr); x <= std::min(k, nb); ++x) {
    const double lp = log_p(x);
    if (lp <= observed + 1e-7) p += std::exp(lp);
  }
  return std::clamp(p, 0.0, 1.0);
}

double FisherExactGreater(int64_t xb, int64_t nb, int64_t xr, int64_t nr) {
  SC_CHECK(xb >= 0 && xb <= nb && xr >= 0 && xr <= nr);
  const int64_t k = xb + xr, n = nb + nr;
  const double log_total = LogChoose(n, k);
  double p = 0;
  for (int64_t x = xb; x <= std::min(k, nb); ++x) {
    p += std::exp(LogChoose(nb, x) + LogChoose(nr, k - x) - log_total);
  }
  return std::clamp(p, 0.0, 1.0);
}

std::vector<double> HolmAdjust(std::span<const double> p) {
  const size_t m = p.size();
  std::vector<size_t> order(m);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return p[a] < p[b]; });
  std::vector<double> adjusted(m);
  double running = 0;
  for (size_t j = 0; j < m; ++j) {
    const double v = std::min(1.0, static_cast<double>(m - j) * p[order[j]]);
    running = std::max(running, v);
    adjusted[order[j]] = running;
  }
  return adjusted;
}

HomogeneityResult TestHomogeneity(std::span<const int64_t> batch,
                                  std::span<const int64_t> reference, double min_expected) {
  SC_CHECK(batch.size() == reference.size());
  HomogeneityResult out;
  const double nb = static_cast<double>(Total(batch));
  const double nr = static_cast<double>(Total(reference));
  if (!(nb > 0) || !(nr > 0)) return out;
  const double n = nb + nr;
  const double small_row = std::min(nb, nr);
  // Cells as (batch, reference) counts; sparse ones pooled into `pooled`.
  std::vector<std::pair<double, double>> cells;
  std::pair<double, double> pooled{0, 0};
  for (size_t i = 0; i < batch.size(); ++i) {
    const double b = static_cast<double>(batch[i]), r = static_cast<double>(reference[i]);
    if (b + r == 0) continue;
    if (small_row * (b + r) / n < min_expected) {
      pooled.first += b;
      pooled.second += r;
    } else {
      cells.emplace_back(b, r);
    }
  }
  if (pooled.first + pooled.second > 0) {
    if (small_row * (pooled.first + pooled.second) / n < min_expected && !cells.empty()) {
      // Still sparse: merge into the smallest cell.
      auto smallest = std::min_element(
          cells.begin(), cells.end(),
          [](const auto& x, const auto& y) { return x.first + x.second < y.first + y.second; });
      smallest->first += pooled.first;
      smallest->second += pooled.second;
    } else {
      cells.push_back(pooled);
    }
  }
  out.cells = static_cast<int>(cells.size());
  if (cells.size() < 2) return out;
  double chi2 = 0;
  for (const auto& [b, r] : cells) {
    const double col = b + r;
    const double eb = nb * col / n, er = nr * col / n;
    chi2 += (b - eb) * (b - eb) / eb + (r - er) * (r - er) / er;
  }
  out.tested = true;
  out.chi_square = chi2;
  out.df = out.cells - 1;
  out.p_value = ChiSquareSurvival(chi2, out.df);
  out.cohens_w = std::sqrt(chi2 * n / (nb * nr));
  out.cramers_v = std::sqrt(chi2 / n);
  return out;
}

double PopulationStabilityIndex(std::span<const int64_t> batch,
                                std::span<const int64_t> reference) {
  SC_CHECK(batch.size() == reference.size());
  const double k = static_cast<double>(batch.size());
  const double nb = static_cast<double>(Total(batch)), nr = static_cast<double>(Total(reference));
  if (!(nb > 0) || !(nr > 0)) return 0;
  double psi = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    const double pb = (static_cast<double>(batch[i]) + 0.5) / (nb + 0.5 * k);
    const double pr = (static_cast<double>(reference[i]) + 0.5) / (nr + 0.5 * k);
    psi += (pb - pr) * std::log(pb / pr);
  }
  return psi;
}

double JensenShannonDistance(std::span<const int64_t> batch, std::span<const int64_t> reference) {
  SC_CHECK(batch.size() == reference.size());
  const double nb = static_cast<double>(Total(batch)), nr = static_cast<double>(Total(reference));
  if (!(nb > 0) || !(nr > 0)) return 0;
  double js = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    const double pb = static_cast<double>(batch[i]) / nb;
    const double pr = static_cast<double>(reference[i]) / nr;
    const double m = 0.5 * (pb + pr);
    if (pb > 0) js += 0.5 * pb * std::log2(pb / m);
    if (pr > 0) js += 0.5 * pr * std::log2(pr / m);
  }
  return std::sqrt(std::clamp(js, 0.0, 1.0));
}

// ---- Reports ----

nlohmann::json DriftTest::ToJson() const {
  using json_util::OrNull;
  return {{"statistic", statistic},
          {"test", test},
          {"batch_n", batch_n},
          {"reference_n", reference_n},
          {"tested", tested},
          {"note", note},
          {"test_statistic", test_statistic},
          {"df", df},
          {"cells", cells},
          {"p_value", p_value},
          {"adjusted_p", adjusted_p},
          {"effect_name", effect_name},
          {"effect", effect},
          {"cramers_v", OrNull(cramers_v)},
          {"psi", OrNull(psi)},
          {"js_distance", OrNull(js_distance)},
          {"batch_value", OrNull(batch_value)},
          {"reference_value", OrNull(reference_value)},
          {"alarm", alarm}};
}

bool DriftReport::AnyAlarm() const {
  return std::any_of(tests.begin(), tests.end(), [](const DriftTest& t) { return t.alarm; });
}

const DriftTest* DriftReport::Find(std::string_view statistic) const {
  for (const DriftTest& t : tests) {
    if (t.statistic == statistic) return &t;
  }
  return nullptr;
}

nlohmann::json DriftReport::ToJson() const {
  nlohmann::json list = nlohmann::json::array();
  for (const DriftTest& t : tests) list.push_back(t.ToJson());
  return {{"alpha", alpha}, {"any_alarm", AnyAlarm()}, {"tests", std::move(list)}};
}

core::Result<DriftReport> DriftReport::FromJson(const nlohmann::json& j) {
  const std::string where = "drift report";
  DriftReport r;
  RETURN_IF_ERROR(json_util::GetNumber(j, "alpha", where, &r.alpha));
  const nlohmann::json* tests = json_util::Field(j, "tests");
  if (tests == nullptr || !tests->is_array()) return json_util::Missing(where, "tests");
  for (size_t i = 0; i < tests->size(); ++i) {
    const nlohmann::json& tj = (*tests)[i];
    const std::string w = where + ".tests[" + std::to_string(i) + "]";
    DriftTest t;
    int64_t df = 0, cells = 0;
    RETURN_IF_ERROR(json_util::GetString(tj, "statistic", w, &t.statistic));
    RETURN_IF_ERROR(json_util::GetString(tj, "test", w, &t.test));
    RETURN_IF_ERROR(json_util::GetCount(tj, "batch_n", w, &t.batch_n));
    RETURN_IF_ERROR(json_util::GetCount(tj, "reference_n", w, &t.reference_n));
    RETURN_IF_ERROR(json_util::GetBool(tj, "tested", w, &t.tested));
    RETURN_IF_ERROR(json_util::GetString(tj, "note", w, &t.note));
    RETURN_IF_ERROR(json_util::GetNumber(tj, "test_statistic", w, &t.test_statistic));
    RETURN_IF_ERROR(json_util::GetCount(tj, "df", w, &df));
    RETURN_IF_ERROR(json_util::GetCount(tj, "cells", w, &cells));
    if (df > std::numeric_limits<int>::max() || cells > std::numeric_limits<int>::max()) {
      return core::InvalidInput(w + ": df or cells out of range");
    }
    t.df = static_cast<int>(df);
    t.cells = static_cast<int>(cells);
    RETURN_IF_ERROR(json_util::GetNumber(tj, "p_value", w, &t.p_value));
    RETURN_IF_ERROR(json_util::GetNumber(tj, "adjusted_p", w, &t.adjusted_p));
    if (t.p_value < 0 || t.p_value > 1 || t.adjusted_p < 0 || t.adjusted_p > 1) {
      return core::InvalidInput(w + ": p-values must be in [0, 1]");
    }
    RETURN_IF_ERROR(json_util::GetString(tj, "effect_name", w, &t.effect_name));
    RETURN_IF_ERROR(json_util::GetNumber(tj, "effect", w, &t.effect));
    RETURN_IF_ERROR(json_util::GetOptionalNumber(tj, "cramers_v", w, &t.cramers_v));
    RETURN_IF_ERROR(json_util::GetOptionalNumber(tj, "psi", w, &t.psi));
    RETURN_IF_ERROR(json_util::GetOptionalNumber(tj, "js_distance", w, &t.js_distance));
    RETURN_IF_ERROR(json_util::GetOptionalNumber(tj, "batch_value", w, &t.batch_value));
    RETURN_IF_ERROR(json_util::GetOptionalNumber(tj, "reference_value", w, &t.reference_value));
    RETURN_IF_ERROR(json_util::GetBool(tj, "alarm", w, &t.alarm));
    r.tests.push_back(std::move(t));
  }
  return r;
}

DriftReport TestDrift(const Reference& reference, const BatchStats& batch,
                      const DriftOptions& options) {
  SC_CHECK(options.Validate().ok());
  const BatchStats& ref = reference.stats;
  DriftReport report;
  report.alpha = options.alpha;
  for (NamedDistribution& d : CodeDistributions(ref, batch)) {
    report.tests.push_back(
        DistributionTest(std::move(d.statistic), d.counts.batch, d.counts.reference, options));
  }
  report.tests.push_back(DistributionTest("confidence", AsSpan(batch.confidence_hist),
                                          AsSpan(ref.confidence_hist), options));
  {
    const int bins = LowConfidenceBins(ref, options.low_confidence_quantile);
    DriftTest t = ProportionTest("low_confidence_share", CountBelow(batch, bins), batch.records,
                                 CountBelow(ref, bins), ref.records, Side::kGreater, options);
    char cutoff[80];
    std::snprintf(cutoff, sizeof cutoff, "top-1 probability below %.2f",
                  bins * 1.0 / kConfidenceBins);
    if (t.note.empty()) t.note = cutoff;
    report.tests.push_back(std::move(t));
    report.tests.push_back(LowConfidenceByCodeTest(batch, ref, bins, options));
  }
  const Aligned decisions = Decisions(batch, ref);
  report.tests.push_back(
      DistributionTest("decisions", decisions.batch, decisions.reference, options));
  report.tests.push_back(ProportionTest("no_known_feature_share", batch.no_known_feature_records,
                                        batch.records, ref.no_known_feature_records, ref.records,
                                        Side::kGreater, options));
  report.tests.push_back(
      MeanTest("unseen_feature_share", batch.sum_unseen_fraction, batch.sum_unseen_fraction_sq,
               batch.records - batch.no_known_feature_records, ref.sum_unseen_fraction,
               ref.sum_unseen_fraction_sq, ref.records - ref.no_known_feature_records,
               Side::kGreater, options));
  report.tests.push_back(DistributionTest("text_length", AsSpan(batch.text_length_hist),
                                          AsSpan(ref.text_length_hist), options));
  if (options.test_categorical) {
    // Fields of either sample, in name order; one missing from a side is reported, not tested.
    std::vector<std::string> fields;
    for (const auto& [field, values] : batch.categorical) fields.push_back(field);
    for (const auto& [field, values] : ref.categorical) {
      if (!batch.categorical.contains(field)) fields.push_back(field);
    }
    std::sort(fields.begin(), fields.end());
    for (const std::string& field : fields) {
      const auto b = batch.categorical.find(field);
      const auto r = ref.categorical.find(field);
      std::string name = "categorical." + field;
      if (b == batch.categorical.end() || r == ref.categorical.end()) {
        report.tests.push_back(Untested(std::move(name), "chi_square", batch.records, ref.records,
                                        b == batch.categorical.end()
                                            ? "field absent from the batch"
                                            : "field absent from the reference"));
        continue;
      }
      const Aligned a = AlignMaps(b->second, r->second);
      report.tests.push_back(DistributionTest(std::move(name), a.batch, a.reference, options));
    }
  }

  // Holm across the tested statistics; alarms need both significance and a practical effect.
  std::vector<double> raw;
  for (const DriftTest& t : report.tests) {
    if (t.tested) raw.push_back(t.p_value);
  }
  const std::vector<double> adjusted = HolmAdjust(raw);
  size_t k = 0;
  for (DriftTest& t : report.tests) {
    if (!t.tested) continue;
    t.adjusted_p = adjusted[k++];
    t.alarm = t.adjusted_p < options.alpha && std::fabs(t.effect) >= MinEffect(t, options);
  }
  return report;
}

DriftReport FixedPsiRule(const Reference& reference, const BatchStats& batch,
                         const FixedPsiOptions& options) {
  const BatchStats& ref = reference.stats;
  std::vector<NamedDistribution> dists = CodeDistributions(ref, batch);
  if (options.level1_codes_only) {
    dists.resize(std::min<size_t>(dists.size(), 1));
  } else {
    dists.push_back(
        {"confidence", Vectors(AsSpan(batch.confidence_hist), AsSpan(ref.confidence_hist))});
    dists.push_back({"decisions", Decisions(batch, ref)});
    dists.push_back(
        {"no_known_feature_share",
         {{batch.no_known_feature_records, batch.records - batch.no_known_feature_records},
          {ref.no_known_feature_records, ref.records - ref.no_known_feature_records}}});
    dists.push_back(
        {"text_length", Vectors(AsSpan(batch.text_length_hist), AsSpan(ref.text_length_hist))});
    for (const auto& [field, values] : batch.categorical) {
      const auto r = ref.categorical.find(field);
      if (r != ref.categorical.end()) {
        dists.push_back({"categorical." + field, AlignMaps(values, r->second)});
      }
    }
  }
  DriftReport report;
  report.alpha = 0;
  for (NamedDistribution& d : dists) {
    DriftTest t = Untested(std::move(d.statistic), "psi", Total(d.counts.batch),
                           Total(d.counts.reference), "");
    t.tested = t.batch_n > 0 && t.reference_n > 0;
    if (!t.tested) t.note = "empty sample";
    t.effect_name = "psi";
    t.psi = PopulationStabilityIndex(d.counts.batch, d.counts.reference);
    t.effect = *t.psi;
    t.alarm = t.tested && t.effect >= options.threshold;
    report.tests.push_back(std::move(t));
  }
  return report;
}

}  // namespace statcoder::monitor
