// Users, roles and API tokens of the HTTP server (docs/server.md, "Authentication").
//
// A token is "sc_<token id>_<secret>": the token id (16 hex digits, public, unique) finds the
// user, the secret (32 random bytes from libsodium, base64url without padding) proves it. The
// store keeps only a per-user random salt and BLAKE2b-256 of the secret keyed with that salt;
// verification recomputes the hash and compares in constant time.
//
//   ASSIGN_OR_RETURN(AddedUser added, AddUser(ws, "ann", Role::kCoder));  // added.token, once
//   UserDirectory users(std::move(rows));                                  // the server's cache
//   const store::UserRow* who = users.Verify(bearer_token);                // null: 401
//
// Thread-safety: free functions of a Workspace follow the Workspace (one thread); a
// UserDirectory is immutable after construction; FailedAuthLimiter is thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"
#include "store/metadata_store.h"
#include "workspace/workspace.h"

namespace statcoder::server {

// Ordered: a role may do everything the roles below it may.
enum class Role { kViewer = 0, kCoder = 1, kMethodologist = 2, kAdmin = 3 };
std::string_view RoleName(Role role);  // "viewer", ...
// kInvalidArgument naming the roles when `name` is none of them.
core::Result<Role> ParseRole(std::string_view name);

// A new token and what the store keeps of it.
struct IssuedToken {
  std::string token;       // shown once to the user
  std::string token_id;    // public part
  std::string salt;        // hex
  std::string token_hash;  // hex
};
core::Result<IssuedToken> IssueToken();

// The keyed hash (hex) of a token's secret part; exposed for tests.
std::string HashSecret(std::string_view secret, std::string_view salt_hex);

// Splits "sc_<id>_<secret>"; false when the text is not shaped like a token.
bool SplitToken(std::string_view token, std::string_view* token_id, std::string_view* secret);

// True when `token` is the user's (constant-time comparison of the hashes). Disabled users and
// malformed tokens are false.
bool VerifyToken(const store::UserRow& user, std::string_view token);

struct AddedUser {
  store::UserRow row;
  std::string token;
};
// Creates a user with a new token; the audit entry (user_add) commits with the row.
// kAlreadyExists when the name is taken; kInvalidArgument for an empty or odd name.
core::Result<AddedUser> AddUser(workspace::Workspace& ws, const std::string& name, Role role);
// Disables a user (audited as user_disable); a disabled user's token stops working.
core::Status DisableUser(workspace::Workspace& ws, const std::string& name);

// The users of a server, by token id: the hot path's one map lookup.
class UserDirectory {
 public:
  UserDirectory() = default;
  explicit UserDirectory(std::vector<store::UserRow> users);
  // The enabled user whose token this is, or null.
  const store::UserRow* Verify(std::string_view token) const;
  size_t size() const { return by_token_id_.size(); }

 private:
  std::unordered_map<std::string, store::UserRow> by_token_id_;
};

// Counts failed authentications per client address in fixed one-minute windows; after
// `max_per_minute` failures an address is refused until its window ends.
class FailedAuthLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit FailedAuthLimiter(int max_per_minute) : max_(max_per_minute) {}
  // Seconds the address must wait (the Retry-After value), or 0 when it may try.
  int64_t RetryAfter(const std::string& address, Clock::time_point now = Clock::now());
  void RecordFailure(const std::string& address, Clock::time_point now = Clock::now());

 private:
  struct Window {
    Clock::time_point start;
    int failures = 0;
  };
  int max_;
  std::mutex mu_;
  std::unordered_map<std::string, Window> windows_;
};

}  // namespace statcoder::server
