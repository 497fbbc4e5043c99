#include "store/audit_chain.h"

#include <gtest/gtest.h>

#include "core/content_hash.h"

namespace statcoder::store {
namespace {

// A chain of `n` entries linked as AppendAudit links them.
std::vector<AuditEntry> Chain(int n) {
  std::vector<AuditEntry> chain;
  std::string prev = kAuditGenesisHash;
  for (int i = 1; i <= n; ++i) {
    AuditEntry e{.seq = i,
                 .time = "2026-11-29T10:15:0" + std::to_string(i % 10) + "Z",
                 .actor = "alice",
                 .action = "ingest",
                 .details = {{"snapshot", "s" + std::to_string(i)}, {"rows", i}},
                 .prev_hash = prev,
                 .hash = ""};
    e.hash = AuditEntryHash(e);
    prev = e.hash;
    chain.push_back(e);
  }
  return chain;
}

TEST(AuditChainTest, CanonicalFormIsAJsonArrayWithSortedKeys) {
  AuditEntry e{.seq = 3,
               .time = "2026-11-29T10:15:02Z",
               .actor = "alice",
               .action = "promote",
               .details = {{"version", "abc"}, {"alias", "production"}},
               .prev_hash = "ff",
               .hash = "ignored"};
  const std::string canonical =
      R"([3,"2026-11-29T10:15:02Z","alice","promote",{"alias":"production","version":"abc"},"ff"])";
  EXPECT_EQ(AuditEntryCanonical(e), canonical);
  EXPECT_EQ(AuditEntryHash(e), core::Sha256Hex(canonical));
}

TEST(AuditChainTest, HashIsPinned) {
  // Changing the canonical form breaks every stored chain: this literal must never change.
  AuditEntry e{.seq = 1,
               .time = "t",
               .actor = "a",
               .action = "x",
               .details = nlohmann::json::object(),
               .prev_hash = kAuditGenesisHash,
               .hash = ""};
  EXPECT_EQ(AuditEntryCanonical(e),
            std::string(R"([1,"t","a","x",{},")") + kAuditGenesisHash + "\"]");
  EXPECT_EQ(AuditEntryHash(e), "e75812b2af00fea1d6d12a5a93622969e72a3ed5b7fe4da73b513a490912e1f5");
}

TEST(AuditChainTest, EmptyChainVerifiesWithGenesisHead) {
  AuditVerification v = VerifyAuditChain({});
  EXPECT_TRUE(v.ok);
  EXPECT_EQ(v.entries, 0u);
  EXPECT_EQ(v.head_hash, kAuditGenesisHash);
}

TEST(AuditChainTest, IntactChainVerifies) {
  std::vector<AuditEntry> chain = Chain(5);
  AuditVerification v = VerifyAuditChain(chain);
  EXPECT_TRUE(v.ok) << v.problem;
  EXPECT_EQ(v.entries, 5u);
  EXPECT_EQ(v.first_bad_seq, 0);
  EXPECT_EQ(v.head_hash, chain.back().hash);
}

TEST(AuditChainTest, EditedEntryIsNamed) {
  std::vector<AuditEntry> chain = Chain(5);
  chain[2].details["rows"] = 999;
  AuditVerification v = VerifyAuditChain(chain);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_seq, 3);
  EXPECT_EQ(v.problem, "entry 3: hash does not match its content (edited?)");
}

TEST(AuditChainTest, EditedAndRehashedEntryBreaksTheNextLink) {
  std::vector<AuditEntry> chain = Chain(5);
  chain[2].actor = "mallory";
  chain[2].hash = AuditEntryHash(chain[2]);
  AuditVerification v = VerifyAuditChain(chain);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_seq, 4);
  EXPECT_EQ(v.problem, "entry 4: prev_hash is not entry 3's hash");
}

TEST(AuditChainTest, DeletedEntryIsNamed) {
  std::vector<AuditEntry> chain = Chain(5);
  chain.erase(chain.begin() + 2);
  AuditVerification v = VerifyAuditChain(chain);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_seq, 4);
  EXPECT_EQ(v.problem, "entry 4 follows entry 2 (entry 3 deleted?)");
}

TEST(AuditChainTest, ReorderedEntriesFail) {
  std::vector<AuditEntry> chain = Chain(5);
  std::swap(chain[1], chain[2]);
  AuditVerification v = VerifyAuditChain(chain);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.first_bad_seq, 3);
}

TEST(AuditChainTest, FirstEntryMustFollowGenesis) {
  std::vector<AuditEntry> chain = Chain(2);
  chain[0].prev_hash = std::string(64, '1');
  chain[0].hash = AuditEntryHash(chain[0]);
  AuditVerification v = VerifyAuditChain(chain);
  EXPECT_FALSE(v.ok);
  EXPECT_EQ(v.problem, "entry 1: prev_hash is not the genesis hash");
}

}  // namespace
}  // namespace statcoder::store
