// The audit trail's hash chain. Each entry's hash is the SHA-256 of its canonical form —
// seq, time, actor, action, details (JSON with sorted keys) and the previous entry's hash — so
// editing, deleting or reordering any entry breaks every hash after it.
//
//   entry.prev_hash = last.hash; entry.hash = AuditEntryHash(entry);
//   AuditVerification v = VerifyAuditChain(store->ListAudit().value());
//
// The chain proves the entries agree with each other; truncating the newest entries is only
// seen against a head recorded elsewhere (`audit verify` prints the head to keep).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/metadata_store.h"

namespace statcoder::store {

// The hash of the first entry's predecessor.
inline constexpr char kAuditGenesisHash[] =
    "0000000000000000000000000000000000000000000000000000000000000000";

// The canonical bytes hashed for `entry` (its `hash` field excluded).
std::string AuditEntryCanonical(const AuditEntry& entry);
std::string AuditEntryHash(const AuditEntry& entry);

struct AuditVerification {
  bool ok = true;
  uint64_t entries = 0;
  int64_t first_bad_seq = 0;  // 0 when ok
  std::string problem;        // "entry 7: hash does not match its content", ...
  std::string head_hash;      // the last entry's hash (genesis when empty)
};

// Checks seq runs 1, 2, 3... without gaps, each prev_hash is the previous hash and each hash
// matches its entry.
AuditVerification VerifyAuditChain(const std::vector<AuditEntry>& entries);

}  // namespace statcoder::store
