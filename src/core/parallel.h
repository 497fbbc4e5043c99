// ParallelFor: runs fn(begin, end, worker) over [0, n) split into contiguous chunks on up to
// `threads` threads (the caller's thread is one of them). Results that must not depend on the
// thread count should be written per index, never accumulated in completion order.
// Thread-safety: fn must be safe to call concurrently on disjoint ranges.
#pragma once

#include <algorithm>
#include <cstddef>
#include <thread>
#include <vector>

namespace statcoder::core {

template <typename Fn>
void ParallelFor(size_t n, int threads, Fn&& fn) {
  const size_t workers = std::max<size_t>(1, std::min<size_t>(static_cast<size_t>(threads), n));
  if (workers <= 1) {
    fn(size_t{0}, n, 0);
    return;
  }
  std::vector<std::thread> pool;
  pool.reserve(workers - 1);
  const size_t chunk = (n + workers - 1) / workers;
  for (size_t w = 1; w < workers; ++w) {
    const size_t begin = std::min(n, w * chunk), end = std::min(n, begin + chunk);
    pool.emplace_back([&fn, begin, end, w] { fn(begin, end, static_cast<int>(w)); });
  }
  fn(size_t{0}, std::min(n, chunk), 0);
  for (auto& t : pool) t.join();
}

}  // namespace statcoder::core
