#include "core/content_hash.h"

#include <cstdio>
#include <memory>
#include <vector>

namespace statcoder::core {
namespace {

std::string ToHex(const unsigned char* bytes, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(2 * n, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kHex[bytes[i] >> 4];
    out[2 * i + 1] = kHex[bytes[i] & 0xF];
  }
  return out;
}

}  // namespace

ContentHasher::ContentHasher() {
  // sodium_init is idempotent and thread-safe; it must run before any other libsodium call.
  static const int kSodiumReady = sodium_init();
  (void)kSodiumReady;
  crypto_hash_sha256_init(&state_);
}

void ContentHasher::Update(std::string_view bytes) {
  crypto_hash_sha256_update(&state_, reinterpret_cast<const unsigned char*>(bytes.data()),
                            bytes.size());
}

std::string ContentHasher::FinishHex() {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&state_, digest);
  return ToHex(digest, sizeof digest);
}

std::string Sha256Hex(std::string_view bytes) {
  ContentHasher h;
  h.Update(bytes);
  return h.FinishHex();
}

Result<std::string> Sha256File(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return NotFound("cannot open '" + path + "' to hash it");
  ContentHasher h;
  std::vector<char> buf(1 << 16);
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), f.get())) > 0) {
    h.Update(std::string_view(buf.data(), n));
  }
  if (std::ferror(f.get())) return IoError("read error while hashing '" + path + "'");
  return h.FinishHex();
}

}  // namespace statcoder::core
