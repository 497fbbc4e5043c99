#include "store/audit_chain.h"

#include <nlohmann/json.hpp>

#include "core/content_hash.h"

namespace statcoder::store {

std::string AuditEntryCanonical(const AuditEntry& entry) {
  // nlohmann::json keeps object keys sorted, so dump() of the same values is always the same
  // bytes. Invalid UTF-8 is replaced rather than thrown on: this function cannot fail, and
  // AppendAudit refuses such entries before they are hashed.
  const nlohmann::json canonical = nlohmann::json::array(
      {entry.seq, entry.time, entry.actor, entry.action, entry.details, entry.prev_hash});
  return canonical.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string AuditEntryHash(const AuditEntry& entry) {
  return core::Sha256Hex(AuditEntryCanonical(entry));
}

AuditVerification VerifyAuditChain(const std::vector<AuditEntry>& entries) {
  AuditVerification v;
  v.entries = entries.size();
  v.head_hash = entries.empty() ? kAuditGenesisHash : entries.back().hash;
  std::string prev_hash = kAuditGenesisHash;
  int64_t prev_seq = 0;
  for (const AuditEntry& e : entries) {
    std::string problem;
    const std::string entry = "entry " + std::to_string(e.seq);
    if (e.seq != prev_seq + 1) {
      problem = e.seq > prev_seq + 1
                    ? entry + " follows entry " + std::to_string(prev_seq) + " (entry " +
                          std::to_string(prev_seq + 1) + " deleted?)"
                    : entry + " follows entry " + std::to_string(prev_seq) + " (out of order)";
    } else if (e.prev_hash != prev_hash) {
      problem = prev_seq == 0
                    ? entry + ": prev_hash is not the genesis hash"
                    : entry + ": prev_hash is not entry " + std::to_string(prev_seq) + "'s hash";
    } else if (e.hash != AuditEntryHash(e)) {
      problem = entry + ": hash does not match its content (edited?)";
    }
    if (!problem.empty()) {
      v.ok = false;
      v.first_bad_seq = e.seq;
      v.problem = std::move(problem);
      break;
    }
    prev_seq = e.seq;
    prev_hash = e.hash;
  }
  return v;
}

}  // namespace statcoder::store
