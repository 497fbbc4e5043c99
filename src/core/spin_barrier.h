// SpinBarrier: a reusable barrier for phases of a few microseconds, such as the mini-batches of
// the deterministic SGD (model/trainer.cc), which meet twice per four examples.
//
//   SpinBarrier sync(threads);
//   ... phase 1 ...; sync.ArriveAndWait(); ... phase 2 ...; sync.ArriveAndWait();
//
// std::barrier parks waiting threads in the kernel (futex) after a short spin; a wake-up then
// costs tens of microseconds, longer than the phase itself. Here a waiter spins on the phase
// counter and only yields its core after a while, so that on a loaded machine (more threads than
// cores) the thread it waits for can run. Memory order: the last arrival's release increment of
// the phase publishes every thread's writes of the finished phase to the waiters' acquire loads.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace statcoder::core {

class SpinBarrier {
 public:
  explicit SpinBarrier(size_t threads) : threads_(threads) {}
  SpinBarrier(const SpinBarrier&) = delete;
  SpinBarrier& operator=(const SpinBarrier&) = delete;

  void ArriveAndWait() {
    const uint64_t phase = phase_.load(std::memory_order_acquire);
    if (arrived_.fetch_add(1, std::memory_order_acq_rel) + 1 == threads_) {
      arrived_.store(0, std::memory_order_relaxed);
      phase_.fetch_add(1, std::memory_order_release);
      return;
    }
    for (uint32_t spins = 0; phase_.load(std::memory_order_acquire) == phase; ++spins) {
      if (spins < kSpinsBeforeYield) {
        Pause();
      } else {
        std::this_thread::yield();
      }
    }
  }

 private:
  // A few microseconds of pausing (about one mini-batch phase) before giving the core away:
  // measured on 2 cores, waiting longer gains nothing on a quiet machine and burns the core a
  // descheduled partner needs on a loaded one (docs/benchmarks.md, "Engine v2").
  static constexpr uint32_t kSpinsBeforeYield = 256;

  static void Pause() {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#endif
  }

  const size_t threads_;
  std::atomic<size_t> arrived_{0};
  std::atomic<uint64_t> phase_{0};
};

}  // namespace statcoder::core
