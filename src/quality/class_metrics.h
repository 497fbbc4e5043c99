// Per-code figures of a labelled evaluation: precision, recall and F1 per code, the most
// confused pairs, and the error a published table would make in the share of each code.
//
// Inputs are paired class ids per record (any ints: label indexes, code-list nodes...).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace statcoder::quality {

struct ClassFigures {
  int64_t cls = 0;
  uint64_t support = 0;    // records whose true class it is
  uint64_t predicted = 0;  // records predicted as it
  uint64_t correct = 0;
  // Empty where the denominator is 0 (never predicted / never true).
  std::optional<double> precision, recall;
  double f1 = 0;  // 2·correct / (support + predicted), as MacroF1 averages it
};

// One entry per class that is true or predicted at least once, sorted by support (descending),
// then class id.
std::vector<ClassFigures> PerClassFigures(const std::vector<int64_t>& truth,
                                          const std::vector<int64_t>& predicted);

struct Confusion {
  int64_t truth = 0, predicted = 0;
  uint64_t count = 0;
  double share_of_truth = 0;  // count / records whose true class is `truth`
};

// The (truth, predicted) pairs with truth != predicted, by count (descending), then ids;
// at most `limit`.
std::vector<Confusion> TopConfusions(const std::vector<int64_t>& truth,
                                     const std::vector<int64_t>& predicted, size_t limit = 25);

struct ShareError {
  int64_t cls = 0;
  double true_share = 0, predicted_share = 0;
  double error() const { return predicted_share - true_share; }
};

struct AggregateError {
  double total_variation = 0;       // ½ Σ |predicted share − true share|, in [0, 1]
  std::vector<ShareError> classes;  // by |error| descending, then id; every class
};

// The distribution of classes a table built from `predicted` would publish, against the true
// one. Empty input gives total_variation 0 and no classes.
AggregateError AggregateDistributionError(const std::vector<int64_t>& truth,
                                          const std::vector<int64_t>& predicted);

}  // namespace statcoder::quality
