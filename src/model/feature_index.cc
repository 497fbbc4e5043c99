#include "model/feature_index.h"

#include "core/check.h"

namespace statcoder::model {

FeatureIndex::FeatureIndex(std::vector<uint64_t> ids, std::vector<float> idf)
    : ids_(std::move(ids)), idf_(std::move(idf)) {
  SC_CHECK(ids_.size() == idf_.size());
  if (ids_.empty()) return;
  // Load factor at most 1/2 keeps probe sequences short.
  size_t capacity = 16;
  int bits = 4;
  while (capacity < 2 * ids_.size()) {
    capacity <<= 1;
    ++bits;
  }
  mask_ = capacity - 1;
  shift_ = 64 - bits;
  table_.assign(capacity, -1);
  for (size_t row = 0; row < ids_.size(); ++row) {
    SC_CHECK(row == 0 || ids_[row - 1] < ids_[row]);
    size_t slot = Slot(ids_[row]);
    while (table_[slot] >= 0) slot = (slot + 1) & mask_;
    table_[slot] = static_cast<int64_t>(row);
  }
}

}  // namespace statcoder::model
