#include "data/series_features.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include "data/dataset.h"

namespace statcoder::data {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double Median(std::vector<double> v) {
  if (v.empty()) return kNaN;
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  double m = v[mid];
  if (v.size() % 2 == 0) {
    m = (m + *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid))) / 2;
  }
  return m;
}

double Autocorrelation(const std::vector<double>& x, size_t lag) {
  if (x.size() < lag + 3) return kNaN;
  double mean = 0;
  for (double v : x) mean += v;
  mean /= static_cast<double>(x.size());
  double num = 0, den = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    den += (x[i] - mean) * (x[i] - mean);
    if (i >= lag) num += (x[i] - mean) * (x[i - lag] - mean);
  }
  return den > 0 ? num / den : kNaN;
}

}  // namespace

const std::vector<std::string>& SeriesFeatureNames() {
  static const std::vector<std::string> kNames = {"log_magnitude", "negative_share", "variation",
                                                  "seasonality",   "min",            "max",
                                                  "median"};
  return kNames;
}

std::string NumericSourceColumn(const std::string& field) {
  const size_t colon = field.rfind(':');
  return colon == std::string::npos || colon == 0 ? field : field.substr(0, colon);
}

core::Status CheckNumericFieldName(const std::string& field) {
  const size_t colon = field.rfind(':');
  if (colon == std::string::npos || colon == 0) return core::Status::Ok();
  const std::string feature = field.substr(colon + 1);
  const auto& names = SeriesFeatureNames();
  if (std::find(names.begin(), names.end(), feature) != names.end()) return core::Status::Ok();
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  return core::InvalidArgument("numeric field '" + field + "': '" + feature +
                               "' is not a series feature (" + list + ")");
}

bool ParseSeries(std::string_view cell, std::vector<double>* values, std::string* why) {
  values->clear();
  size_t i = 0;
  while (i <= cell.size()) {
    size_t end = cell.find_first_of("; \t", i);
    if (end == std::string_view::npos) end = cell.size();
    std::string_view token = cell.substr(i, end - i);
    i = end + 1;
    if (token.empty() || token == "NA" || token == "." || token == "NaN") continue;
    if (values->size() >= kMaxObservations) {
      *why = "more than " + std::to_string(kMaxObservations) + " observations in one series";
      return false;
    }
    if (token.size() > 1 && token.front() == '+') token.remove_prefix(1);
    double v = 0;
    const auto [p, ec] = std::from_chars(token.data(), token.data() + token.size(), v);
    if (ec != std::errc() || p != token.data() + token.size() || !std::isfinite(v)) {
      *why = "observation '" + std::string(token) + "' is not a finite number";
      return false;
    }
    values->push_back(v);
  }
  return true;
}

double SeriesFeature(const std::vector<double>& x, std::string_view feature) {
  if (x.empty()) return kNaN;
  if (feature == "min") return *std::min_element(x.begin(), x.end());
  if (feature == "max") return *std::max_element(x.begin(), x.end());
  if (feature == "median") return Median(x);
  if (feature == "log_magnitude") {
    std::vector<double> a(x.size());
    std::transform(x.begin(), x.end(), a.begin(), [](double v) { return std::fabs(v); });
    return std::log10(1.0 + Median(std::move(a)));
  }
  if (feature == "negative_share") {
    const auto neg = std::count_if(x.begin(), x.end(), [](double v) { return v < 0; });
    return static_cast<double>(neg) / static_cast<double>(x.size());
  }
  if (feature == "variation") {
    if (x.size() < 2) return kNaN;
    double mean = 0, sq = 0;
    for (double v : x) mean += v;
    mean /= static_cast<double>(x.size());
    for (double v : x) sq += (v - mean) * (v - mean);
    const double sd = std::sqrt(sq / static_cast<double>(x.size() - 1));
    return std::fabs(mean) > 0 ? std::min(10.0, sd / std::fabs(mean)) : 10.0;
  }
  if (feature == "seasonality") {
    std::vector<double> d;
    for (size_t i = 1; i < x.size(); ++i) d.push_back(x[i] - x[i - 1]);
    double best = kNaN;
    for (size_t lag : {4u, 12u}) {
      const double r = Autocorrelation(d, lag);
      if (!std::isnan(r) && (std::isnan(best) || r > best)) best = r;
    }
    return best;
  }
  return kNaN;
}

bool ParseNumericInput(const std::string& field, std::string_view cell, double* value,
                       std::string* why) {
  const size_t colon = field.rfind(':');
  if (colon == std::string::npos || colon == 0) return ParseNumericField(cell, value, why);
  std::vector<double> x;
  if (!ParseSeries(cell, &x, why)) return false;
  *value = SeriesFeature(x, std::string_view(field).substr(colon + 1));
  return true;
}

}  // namespace statcoder::data
