// FeatureIndex: the model's feature vocabulary. Maps a hashed feature id (text/featurizer.h) to
// a dense row of the linear layer, and holds each feature's IDF weight. Features never seen in
// training are not in the index and contribute nothing.
//
// Stored as the sorted list of ids (deterministic, independent of hash-map order); lookups go
// through an open-addressing table built at construction, so Find is a couple of cache misses.
// Thread-safety: immutable after construction; Find may be called concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace statcoder::model {

class FeatureIndex {
 public:
  FeatureIndex() = default;
  // REQUIRES: ids strictly ascending; idf.size() == ids.size().
  FeatureIndex(std::vector<uint64_t> ids, std::vector<float> idf);

  // Row of `id`, or -1 if the feature is unknown.
  int64_t Find(uint64_t id) const {
    if (table_.empty()) return -1;
    size_t slot = Slot(id);
    while (true) {
      const int64_t row = table_[slot];
      if (row < 0) return -1;
      if (ids_[static_cast<size_t>(row)] == id) return row;
      slot = (slot + 1) & mask_;
    }
  }

  size_t size() const { return ids_.size(); }
  const std::vector<uint64_t>& ids() const { return ids_; }
  const std::vector<float>& idf() const { return idf_; }
  float idf(size_t row) const { return idf_[row]; }

 private:
  size_t Slot(uint64_t id) const {
    // Ids are already FNV-1a hashes; one multiply spreads low-entropy bits before masking.
    return static_cast<size_t>((id * 0x9E3779B97F4A7C15ULL) >> shift_) & mask_;
  }

  std::vector<uint64_t> ids_;
  std::vector<float> idf_;
  std::vector<int64_t> table_;  // -1 = empty slot
  size_t mask_ = 0;
  int shift_ = 0;
};

}  // namespace statcoder::model
