// ContentHasher: SHA-256 (libsodium) of bytes, for content addressing: data hashes, code-list
// fingerprints, model version ids. Hex output is lower case.
// Thread-safety: a ContentHasher is not thread-safe; the free functions are.
#pragma once

#include <sodium.h>

#include <string>
#include <string_view>

#include "core/result.h"

namespace statcoder::core {

class ContentHasher {
 public:
  ContentHasher();
  void Update(std::string_view bytes);
  // Hex digest of everything updated so far. Call once.
  std::string FinishHex();

 private:
  crypto_hash_sha256_state state_;
};

std::string Sha256Hex(std::string_view bytes);

// SHA-256 of a file's bytes; an error names the file.
Result<std::string> Sha256File(const std::string& path);

}  // namespace statcoder::core
