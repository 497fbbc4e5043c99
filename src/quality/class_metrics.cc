#include "quality/class_metrics.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace statcoder::quality {

std::vector<ClassFigures> PerClassFigures(const std::vector<int64_t>& truth,
                                          const std::vector<int64_t>& predicted) {
  std::map<int64_t, ClassFigures> by_class;
  for (size_t i = 0; i < truth.size(); ++i) {
    ++by_class[truth[i]].support;
    ++by_class[predicted[i]].predicted;
    if (truth[i] == predicted[i]) ++by_class[truth[i]].correct;
  }
  std::vector<ClassFigures> out;
  out.reserve(by_class.size());
  for (auto& [cls, f] : by_class) {
    f.cls = cls;
    if (f.predicted > 0)
      f.precision = static_cast<double>(f.correct) / static_cast<double>(f.predicted);
    if (f.support > 0) f.recall = static_cast<double>(f.correct) / static_cast<double>(f.support);
    // 2TP / (2TP + FP + FN): defined for every class that is true or predicted (a class never
    // predicted has recall 0, one never true precision 0, so F1 is 0 either way).
    f.f1 = 2.0 * static_cast<double>(f.correct) / static_cast<double>(f.support + f.predicted);
    out.push_back(f);
  }
  std::stable_sort(out.begin(), out.end(), [](const ClassFigures& a, const ClassFigures& b) {
    return a.support > b.support;
  });
  return out;
}

std::vector<Confusion> TopConfusions(const std::vector<int64_t>& truth,
                                     const std::vector<int64_t>& predicted, size_t limit) {
  std::map<std::pair<int64_t, int64_t>, uint64_t> pairs;
  std::map<int64_t, uint64_t> support;
  for (size_t i = 0; i < truth.size(); ++i) {
    ++support[truth[i]];
    if (truth[i] != predicted[i]) ++pairs[{truth[i], predicted[i]}];
  }
  std::vector<Confusion> out;
  out.reserve(pairs.size());
  for (const auto& [key, count] : pairs) {
    out.push_back({key.first, key.second, count,
                   static_cast<double>(count) / static_cast<double>(support[key.first])});
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Confusion& a, const Confusion& b) { return a.count > b.count; });
  if (out.size() > limit) out.resize(limit);
  return out;
}

AggregateError AggregateDistributionError(const std::vector<int64_t>& truth,
                                          const std::vector<int64_t>& predicted) {
  AggregateError out;
  if (truth.empty()) return out;
  std::map<int64_t, std::pair<uint64_t, uint64_t>> counts;  // class → (true, predicted)
  for (size_t i = 0; i < truth.size(); ++i) {
    ++counts[truth[i]].first;
    ++counts[predicted[i]].second;
  }
  const auto n = static_cast<double>(truth.size());
  double l1 = 0;
  for (const auto& [cls, c] : counts) {
    ShareError e{cls, static_cast<double>(c.first) / n, static_cast<double>(c.second) / n};
    l1 += std::fabs(e.error());
    out.classes.push_back(e);
  }
  out.total_variation = l1 / 2;
  std::stable_sort(out.classes.begin(), out.classes.end(),
                   [](const ShareError& a, const ShareError& b) {
                     return std::fabs(a.error()) > std::fabs(b.error());
                   });
  return out;
}

}  // namespace statcoder::quality
