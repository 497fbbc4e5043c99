#include "server/auth.h"

#include <sodium.h>

#include <algorithm>
#include <array>

namespace statcoder::server {
namespace {

constexpr std::string_view kTokenPrefix = "sc_";
constexpr size_t kTokenIdBytes = 8;  // 16 hex digits: unique enough to find a user
constexpr size_t kSecretBytes = 32;  // 256 bits: guessing is hopeless
constexpr size_t kSaltBytes = 32;    // a BLAKE2b key (16..64 bytes)
constexpr size_t kHashBytes = 32;    // BLAKE2b-256

// Why BLAKE2b and not Argon2: a slow password hash protects low-entropy secrets people choose.
// The secret here is 256 random bits, so a fast keyed hash is as safe against a stolen database,
// while Argon2 (tens of milliseconds and megabytes per check) would dominate the latency of
// every request and invite denial of service.

core::Status InitSodium() {
  if (sodium_init() < 0) return core::Internal("libsodium failed to initialise");
  return core::Status::Ok();
}

std::string Hex(const unsigned char* bytes, size_t n) {
  std::string out(n * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), bytes, n);
  out.pop_back();
  return out;
}

bool FromHex(std::string_view hex, unsigned char* out, size_t n) {
  size_t len = 0;
  return sodium_hex2bin(out, n, hex.data(), hex.size(), nullptr, &len, nullptr) == 0 && len == n;
}

bool IsHex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

core::Status CheckUserName(const std::string& name) {
  const bool ok =
      !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '_' || c == '-' || c == '@';
      });
  if (ok) return core::Status::Ok();
  return core::InvalidArgument("user name '" + name +
                               "' must be 1 to 64 letters, digits or . _ - @");
}

}  // namespace

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kViewer:
      return "viewer";
    case Role::kCoder:
      return "coder";
    case Role::kMethodologist:
      return "methodologist";
    case Role::kAdmin:
      return "admin";
  }
  return "viewer";
}

core::Result<Role> ParseRole(std::string_view name) {
  for (Role r : {Role::kViewer, Role::kCoder, Role::kMethodologist, Role::kAdmin}) {
    if (RoleName(r) == name) return r;
  }
  return core::InvalidArgument("unknown role '" + std::string(name) +
                               "'; roles are admin, methodologist, coder, viewer");
}

std::string HashSecret(std::string_view secret, std::string_view salt_hex) {
  std::array<unsigned char, kSaltBytes> salt{};
  if (!FromHex(salt_hex, salt.data(), salt.size())) return "";
  std::array<unsigned char, kHashBytes> hash{};
  crypto_generichash(hash.data(), hash.size(),
                     reinterpret_cast<const unsigned char*>(secret.data()), secret.size(),
                     salt.data(), salt.size());
  return Hex(hash.data(), hash.size());
}

core::Result<IssuedToken> IssueToken() {
  RETURN_IF_ERROR(InitSodium());
  std::array<unsigned char, kTokenIdBytes> id{};
  std::array<unsigned char, kSecretBytes> secret{};
  std::array<unsigned char, kSaltBytes> salt{};
  randombytes_buf(id.data(), id.size());
  randombytes_buf(secret.data(), secret.size());
  randombytes_buf(salt.data(), salt.size());
  std::string encoded(
      sodium_base64_ENCODED_LEN(kSecretBytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(encoded.data(), encoded.size(), secret.data(), secret.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  encoded.resize(std::char_traits<char>::length(encoded.c_str()));
  IssuedToken t;
  t.token_id = Hex(id.data(), id.size());
  t.salt = Hex(salt.data(), salt.size());
  t.token_hash = HashSecret(encoded, t.salt);
  t.token = std::string(kTokenPrefix) + t.token_id + "_" + encoded;
  sodium_memzero(secret.data(), secret.size());
  return t;
}

bool SplitToken(std::string_view token, std::string_view* token_id, std::string_view* secret) {
  if (token.substr(0, kTokenPrefix.size()) != kTokenPrefix) return false;
  token.remove_prefix(kTokenPrefix.size());
  const size_t sep = token.find('_');
  if (sep != kTokenIdBytes * 2 || !IsHex(token.substr(0, sep))) return false;
  *token_id = token.substr(0, sep);
  *secret = token.substr(sep + 1);
  return !secret->empty() && secret->size() <= 128;
}

bool VerifyToken(const store::UserRow& user, std::string_view token) {
  std::string_view id, secret;
  if (user.disabled || !SplitToken(token, &id, &secret) || id != user.token_id) return false;
  std::array<unsigned char, kHashBytes> expected{}, actual{};
  if (!FromHex(user.token_hash, expected.data(), expected.size())) return false;
  if (!FromHex(HashSecret(secret, user.salt), actual.data(), actual.size())) return false;
  return sodium_memcmp(expected.data(), actual.data(), kHashBytes) == 0;
}

core::Result<AddedUser> AddUser(workspace::Workspace& ws, const std::string& name, Role role) {
  RETURN_IF_ERROR(CheckUserName(name));
  ASSIGN_OR_RETURN(IssuedToken t, IssueToken());
  AddedUser added;
  added.row = {.name = name,
               .role = std::string(RoleName(role)),
               .token_id = t.token_id,
               .salt = t.salt,
               .token_hash = t.token_hash,
               .disabled = false,
               .actor = ws.actor(),
               .created_at = workspace::UtcNow()};
  added.token = std::move(t.token);
  RETURN_IF_ERROR(ws.store().Transaction([&]() -> core::Status {
    RETURN_IF_ERROR(ws.store().InsertUser(added.row));
    // Never the token or its hash: the audit trail is read by more people than the store.
    return ws
        .Audit("user_add",
               {{"user", name}, {"role", added.row.role}, {"token_id", added.row.token_id}})
        .status();
  }));
  return added;
}

core::Status DisableUser(workspace::Workspace& ws, const std::string& name) {
  return ws.store().Transaction([&]() -> core::Status {
    RETURN_IF_ERROR(ws.store().SetUserDisabled(name, true));
    return ws.Audit("user_disable", {{"user", name}}).status();
  });
}

UserDirectory::UserDirectory(std::vector<store::UserRow> users) {
  for (store::UserRow& u : users) {
    if (!u.disabled) by_token_id_.emplace(u.token_id, std::move(u));
  }
}

const store::UserRow* UserDirectory::Verify(std::string_view token) const {
  std::string_view id, secret;
  if (!SplitToken(token, &id, &secret)) return nullptr;
  const auto it = by_token_id_.find(std::string(id));
  if (it == by_token_id_.end() || !VerifyToken(it->second, token)) return nullptr;
  return &it->second;
}

int64_t FailedAuthLimiter::RetryAfter(const std::string& address, Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = windows_.find(address);
  if (it == windows_.end() || it->second.failures < max_) return 0;
  const auto left = it->second.start + std::chrono::minutes(1) - now;
  if (left <= Clock::duration::zero()) {
    windows_.erase(it);
    return 0;
  }
  return std::chrono::ceil<std::chrono::seconds>(left).count();
}

void FailedAuthLimiter::RecordFailure(const std::string& address, Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mu_);
  // Bounded memory under a flood of addresses: expired windows are dropped first.
  if (windows_.size() >= 100000) {
    std::erase_if(windows_,
                  [&](const auto& w) { return now - w.second.start >= std::chrono::minutes(1); });
  }
  Window& w = windows_[address];
  if (w.failures == 0 || now - w.start >= std::chrono::minutes(1)) w = {now, 0};
  ++w.failures;
}

}  // namespace statcoder::server
