// Subgroup quality for the ethics assessment: accuracy, auto-coding rate and auto-coding
// precision per value of a group column (region, survey mode, language...), with intervals,
// and a flag where a group is materially worse than the rest.
//
// Statistical disclosure control: groups with fewer than `min_records` records are not shown
// (only counted), so a report cannot single out a handful of respondents.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"
#include "quality/intervals.h"

namespace statcoder::quality {

// One evaluated record as subgroup quality needs it.
struct GroupOutcome {
  bool correct = false;  // top-1 code right
  bool auto_coded = false;
  bool auto_correct = false;  // auto-coded and the decided code is right
};

struct SubgroupOptions {
  uint64_t min_records = 3;    // smaller groups are suppressed
  double material_gap = 0.05;  // worse than the rest by at least this much...
  double alpha = 0.05;         // ...and significantly so (one-sided, Holm over all tests)
};

struct GroupQuality {
  std::string value;  // "" shows as "(empty)" in reports
  uint64_t records = 0, auto_records = 0;
  Interval accuracy, auto_rate, auto_precision;  // Wilson
  bool flagged = false;
  std::vector<std::string> reasons;
};

struct SubgroupReport {
  std::vector<GroupQuality> groups;  // shown groups, by records descending, then value
  uint64_t suppressed_groups = 0;
  uint64_t suppressed_records = 0;
};

// kInvalidArgument when the column has fewer than two distinct values (nothing to compare).
// REQUIRES: values.size() == outcomes.size().
core::Result<SubgroupReport> SubgroupQuality(const std::vector<std::string>& values,
                                             const std::vector<GroupOutcome>& outcomes,
                                             const std::string& column,
                                             const SubgroupOptions& options = {});

// One-sided p-value that proportion a (hits_a/n_a) is below b (hits_b/n_b): pooled
// two-proportion z-test. 1 when either n is 0.
double ProportionBelowPValue(uint64_t hits_a, uint64_t n_a, uint64_t hits_b, uint64_t n_b);

}  // namespace statcoder::quality
