// New codes, as the coders see them: the reviewed records of a batch (its referrals and its
// audit sample) whose final code is one the model never learned from a training record.
//
// Why this and not a drift test: records of a code family absent from training are coded by the
// model into the nearest known codes with somewhat lower confidence, which the label-free
// statistics see only weakly (docs/monitoring.md, "New codes": at 10 % of a batch of 1,000 the
// best single statistic reaches z ≈ 3, about half the batches). But most of those records are
// referred, and the coders who code them give them the new codes: one reviewed batch names them.
//
//   TrainedCodes known(reference, code_list);        // trained codes and their ancestors
//   ReviewedCodes seen;
//   for (each reviewed record of the batch) seen.Add(final_code, !known.Knows(final_code));
//   NewCodeFinding f = TestNewCodes(reference, seen, NewCodeOptions{});
//   if (f.alarm) ... f.message, f.top_codes
//
// Rule: alarm when at least min_records reviewed records carry untrained codes AND their share of
// the reviewed records exceeds the reference's held-out share of untrained codes (rare codes that
// happened to miss training) by at least min_share. Not tested when the reference did not record
// its trained codes (written before) or the batch has no reviewed record.
//
// Thread-safety: values and pure functions.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/status.h"
#include "data/code_list.h"
#include "monitor/batch_stats.h"
#include "monitor/reference.h"

namespace statcoder::monitor {

// The codes a model knows from its training records, with their ancestors in the code list (a
// coder who codes at a higher level, e.g. a sub-major group, is not naming a new code).
class TrainedCodes {
 public:
  // `codes` may be null (no code list: codes are known only exactly).
  TrainedCodes(const Reference& reference, const data::CodeList* codes);
  bool recorded() const { return recorded_; }  // false: the reference did not record them
  bool Knows(std::string_view code) const;

 private:
  bool recorded_ = false;
  std::unordered_set<std::string> known_;
};

struct ReviewedCodes {
  int64_t reviewed = 0;      // reviewed records of the batch with a final code
  int64_t untrained = 0;     // of which the final code is not known to the model
  CountMap untrained_codes;  // those codes → records

  void Add(std::string_view code, bool untrained_code);
};

struct NewCodeOptions {
  int64_t min_records = 5;  // at least this many reviewed records with untrained codes
  double min_share = 0.01;  // and their share at least this much above the reference's

  core::Status Validate() const;  // kInvalidArgument: min_records < 1, min_share outside [0, 1)
};

struct NewCodeFinding {
  bool tested = false;
  std::string note;  // why not tested; "" otherwise
  int64_t reviewed = 0, untrained = 0;
  double share = 0;            // untrained / reviewed
  double reference_share = 0;  // held-out records with untrained true codes / held-out records
  bool alarm = false;
  std::vector<std::pair<std::string, int64_t>> top_codes;  // most records first, at most 5
  std::string message;  // one sentence for people ("" when there is nothing to say)

  // {"tested","note","reviewed","untrained","share","reference_share","alarm",
  //  "codes":[{"code","records"}],"message"}
  nlohmann::json ToJson() const;
};

// REQUIRES: options.Validate().ok().
NewCodeFinding TestNewCodes(const Reference& reference, const ReviewedCodes& reviewed,
                            const NewCodeOptions& options);

}  // namespace statcoder::monitor
