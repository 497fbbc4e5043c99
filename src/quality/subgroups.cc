#include "quality/subgroups.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace statcoder::quality {

double ProportionBelowPValue(uint64_t hits_a, uint64_t n_a, uint64_t hits_b, uint64_t n_b) {
  if (n_a == 0 || n_b == 0) return 1.0;
  const double na = static_cast<double>(n_a), nb = static_cast<double>(n_b);
  const double pa = static_cast<double>(hits_a) / na, pb = static_cast<double>(hits_b) / nb;
  const double pooled = static_cast<double>(hits_a + hits_b) / (na + nb);
  const double se = std::sqrt(pooled * (1 - pooled) * (1 / na + 1 / nb));
  if (se == 0) return pa < pb ? 0.0 : 1.0;
  const double z = (pa - pb) / se;
  return 0.5 * std::erfc(-z / std::sqrt(2.0));  // P(Z <= z)
}

core::Result<SubgroupReport> SubgroupQuality(const std::vector<std::string>& values,
                                             const std::vector<GroupOutcome>& outcomes,
                                             const std::string& column,
                                             const SubgroupOptions& options) {
  struct Counts {
    uint64_t n = 0, hits = 0, autos = 0, auto_hits = 0;
  };
  std::map<std::string, Counts> by_value;
  Counts all;
  for (size_t i = 0; i < values.size(); ++i) {
    for (Counts* c : {&by_value[values[i]], &all}) {
      ++c->n;
      c->hits += outcomes[i].correct;
      c->autos += outcomes[i].auto_coded;
      c->auto_hits += outcomes[i].auto_correct;
    }
  }
  if (by_value.size() < 2) {
    return core::InvalidArgument(
        "group column '" + column + "' has " +
        (by_value.empty() ? std::string("no values")
                          : "only one value ('" + by_value.begin()->first + "')") +
        " in the evaluated records; subgroup quality compares groups, so it needs at least two");
  }
  SubgroupReport report;
  struct Test {
    size_t group;
    double p;
    std::string reason;
  };
  std::vector<Test> tests;
  for (const auto& [value, c] : by_value) {
    if (c.n < options.min_records) {
      ++report.suppressed_groups;
      report.suppressed_records += c.n;
      continue;
    }
    GroupQuality g;
    g.value = value;
    g.records = c.n;
    g.auto_records = c.autos;
    g.accuracy = WilsonInterval(c.hits, c.n);
    g.auto_rate = WilsonInterval(c.autos, c.n);
    g.auto_precision = WilsonInterval(c.auto_hits, c.autos);
    const size_t index = report.groups.size();
    report.groups.push_back(g);
    // Against the rest of the records (all other groups, suppressed ones included).
    const Counts rest{all.n - c.n, all.hits - c.hits, all.autos - c.autos,
                      all.auto_hits - c.auto_hits};
    const auto share = [](uint64_t a, uint64_t b) {
      return b ? static_cast<double>(a) / static_cast<double>(b) : 0.0;
    };
    const double acc_gap = share(rest.hits, rest.n) - share(c.hits, c.n);
    if (acc_gap >= options.material_gap) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "accuracy %.3f vs %.3f for the rest", share(c.hits, c.n),
                    share(rest.hits, rest.n));
      tests.push_back({index, ProportionBelowPValue(c.hits, c.n, rest.hits, rest.n), buf});
    }
    if (c.autos > 0 && rest.autos > 0) {
      const double prec_gap = share(rest.auto_hits, rest.autos) - share(c.auto_hits, c.autos);
      if (prec_gap >= options.material_gap) {
        char buf[160];
        std::snprintf(buf, sizeof buf, "auto-coding precision %.3f vs %.3f for the rest",
                      share(c.auto_hits, c.autos), share(rest.auto_hits, rest.autos));
        tests.push_back(
            {index, ProportionBelowPValue(c.auto_hits, c.autos, rest.auto_hits, rest.autos), buf});
      }
    }
  }
  // Holm's step-down over every comparison of every group (two per group at most), counting
  // all the comparisons that could have been made so that adding groups cannot lower the bar.
  const size_t m = 2 * report.groups.size();
  std::stable_sort(tests.begin(), tests.end(),
                   [](const Test& a, const Test& b) { return a.p < b.p; });
  for (size_t k = 0; k < tests.size(); ++k) {
    if (tests[k].p > options.alpha / static_cast<double>(m - k)) break;
    GroupQuality& g = report.groups[tests[k].group];
    g.flagged = true;
    char p[48];
    std::snprintf(p, sizeof p, " (p = %.2g)", tests[k].p);
    g.reasons.push_back(tests[k].reason + p);
  }
  std::stable_sort(
      report.groups.begin(), report.groups.end(),
      [](const GroupQuality& a, const GroupQuality& b) { return a.records > b.records; });
  return report;
}

}  // namespace statcoder::quality
