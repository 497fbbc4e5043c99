// Seeded simulation of coded batches for the monitor's tests: a two-level classification of 30
// codes with Zipf-like frequencies, calibrated (or deliberately miscalibrated) confidences, a
// threshold policy, hashed features with a share unseen in training, text lengths and one
// categorical field. Header-only; test code.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "core/random.h"
#include "monitor/batch_stats.h"
#include "monitor/reference.h"

namespace statcoder::monitor::testing {

struct World {
  std::vector<std::string> codes;  // level-2 codes; level 1 is the first letter
  std::vector<double> code_probs;  // sums to 1
  double confidence_drop = 0;      // subtracted from every top-1 probability
  double miscalibration = 0;       // P(correct) = p - miscalibration
  double unseen_rate = 0.1;        // each feature unseen with this probability
  double no_known_rate = 0.02;     // records with no known feature at all
  std::vector<double> region_probs = {0.4, 0.3, 0.2, 0.1};
};

inline World DefaultWorld() {
  World w;
  double total = 0;
  for (char group = 'A'; group <= 'F'; ++group) {
    for (int i = 1; i <= 5; ++i) {
      w.codes.push_back(std::string(1, group) + std::to_string(i));
      w.code_probs.push_back(1.0 / static_cast<double>(w.codes.size()));
      total += w.code_probs.back();
    }
  }
  for (double& p : w.code_probs) p /= total;
  return w;
}

// Moves `share` of the probability mass onto the codes of group `group` (equally).
inline World ShiftCodes(World w, char group, double share) {
  for (size_t i = 0; i < w.codes.size(); ++i) {
    w.code_probs[i] *= 1 - share;
    if (w.codes[i][0] == group) w.code_probs[i] += share / 5;
  }
  return w;
}

inline size_t Draw(const std::vector<double>& probs, core::Random& rng) {
  double u = rng.UniformDouble();
  for (size_t i = 0; i < probs.size(); ++i) {
    if (u < probs[i]) return i;
    u -= probs[i];
  }
  return probs.size() - 1;
}

inline double Normal(core::Random& rng) {  // Box–Muller
  const double u1 = 1 - rng.UniformDouble(), u2 = rng.UniformDouble();
  return std::sqrt(-2 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

struct SimRecord {
  RecordObservation obs;
  bool correct = false;
  std::string level1, level2, region;
};

inline void SimulateRecord(const World& w, core::Random& rng, SimRecord* r) {
  static const char* kRegions[] = {"north", "south", "east", "west"};
  const std::string& code = w.codes[Draw(w.code_probs, rng)];
  r->level1 = code.substr(0, 1);
  r->level2 = code;
  const double u = rng.UniformDouble();
  const double p = std::max(0.0, 1 - 0.6 * u * u - w.confidence_drop);  // mean 0.8
  r->correct = rng.UniformDouble() < p - w.miscalibration;
  RecordObservation& o = r->obs;
  o.code_path = {r->level1, r->level2};
  o.top1_probability = p;
  o.decided_confidence = p;
  if (p >= 0.85) {
    o.decision = model::Decision::kAuto;
  } else if (rng.UniformDouble() < 0.05) {
    o.decision = model::Decision::kKb;
  } else {
    o.decision = model::Decision::kReview;
  }
  o.num_features = 10 + static_cast<uint32_t>(rng.Uniform(20));
  uint32_t unseen = 0;
  for (uint32_t f = 0; f < o.num_features; ++f) unseen += rng.UniformDouble() < w.unseen_rate;
  o.known_features = o.num_features - unseen;
  if (rng.UniformDouble() < w.no_known_rate) o.known_features = 0;
  o.text_length = 3 + static_cast<int64_t>(rng.Uniform(80));
  r->region = kRegions[Draw(w.region_probs, rng)];
  o.categorical = {{"region", r->region}};
}

// A batch of n records; *correct (optional) receives how many top-1 codes were right.
inline BatchStats SimulateBatch(const World& w, int n, core::Random& rng,
                                int64_t* correct = nullptr) {
  BatchStatsBuilder builder;
  SimRecord r;
  int64_t right = 0;
  for (int i = 0; i < n; ++i) {
    SimulateRecord(w, rng, &r);
    right += r.correct;
    builder.Add(r.obs);
  }
  if (correct != nullptr) *correct = right;
  return std::move(builder).Finish();
}

inline Reference SimulateReference(const World& w, int n, core::Random& rng) {
  ReferenceBuilder builder;
  SimRecord r;
  for (int i = 0; i < n; ++i) {
    SimulateRecord(w, rng, &r);
    builder.Add(r.obs, r.correct, r.correct);
  }
  return std::move(builder).Finish();
}

}  // namespace statcoder::monitor::testing
