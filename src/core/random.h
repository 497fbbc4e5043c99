// Random: a small, specified pseudo-random generator (xoshiro256**, seeded through SplitMix64)
// with our own uniform draws and shuffle, because std:: distributions differ between standard
// libraries and official statistics must be reproducible everywhere.
// Thread-safety: not thread-safe; give each thread its own Random (seed it with DeriveSeed).
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "core/stable_hash.h"

namespace statcoder::core {

// 128-bit product for Lemire's method; __extension__ keeps -Wpedantic quiet about a GCC/Clang
// built-in type.
__extension__ typedef unsigned __int128 Uint128;

// Seed for the stream `stream` derived from a user seed (e.g. one per thread or purpose).
constexpr uint64_t DeriveSeed(uint64_t seed, uint64_t stream) {
  return Mix64(Mix64(seed) ^ Mix64(stream + 0x632BE59BD9B4E019ULL));
}

class Random {
 public:
  explicit Random(uint64_t seed) {
    uint64_t x = seed;
    for (auto& s : state_) {
      x += 0x9E3779B97F4A7C15ULL;
      s = Mix64(x);
    }
  }

  uint64_t Next() {
    const uint64_t result = Rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = Rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, n) without modulo bias (Lemire's multiply-shift with rejection).
  // REQUIRES: n > 0.
  uint64_t Uniform(uint64_t n) {
    Uint128 m = static_cast<Uint128>(Next()) * n;
    uint64_t low = static_cast<uint64_t>(m);
    if (low < n) {
      const uint64_t threshold = (0 - n) % n;
      while (low < threshold) {
        m = static_cast<Uint128>(Next()) * n;
        low = static_cast<uint64_t>(m);
      }
    }
    return static_cast<uint64_t>(m >> 64);
  }

  // Uniform double in [0, 1) with 53 random bits.
  double UniformDouble() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

  // Fisher–Yates shuffle.
  template <typename T>
  void Shuffle(std::vector<T>& v) {
    for (size_t i = v.size(); i > 1; --i) {
      const size_t j = static_cast<size_t>(Uniform(i));
      std::swap(v[i - 1], v[j]);
    }
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t state_[4];
};

}  // namespace statcoder::core
