// Stable, specified hash functions for anything that is persisted or must be identical across
// runs, machines and standard libraries (feature ids, shuffles). Never std::hash.
//
// FNV-1a, 64-bit (http://www.isthe.com/chongo/tech/comp/fnv/): offset basis 14695981039346656037,
// prime 1099511628211, applied to bytes in order. Golden tests pin literal values.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string_view>

namespace statcoder::core {

inline constexpr uint64_t kFnv64OffsetBasis = 14695981039346656037ULL;
inline constexpr uint64_t kFnv64Prime = 1099511628211ULL;

// Continues an FNV-1a 64 hash `h` over `bytes`; start from kFnv64OffsetBasis.
constexpr uint64_t Fnv1a64Update(uint64_t h, std::string_view bytes) {
  for (char c : bytes) {
    h ^= static_cast<uint8_t>(c);
    h *= kFnv64Prime;
  }
  return h;
}

constexpr uint64_t Fnv1a64(std::string_view bytes) {
  return Fnv1a64Update(kFnv64OffsetBasis, bytes);
}

// SplitMix64 finaliser: a bijective mixer used to derive independent seeds (per thread, per
// purpose) from one user seed, instead of seed + i.
constexpr uint64_t Mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

}  // namespace statcoder::core
