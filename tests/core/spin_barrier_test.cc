#include "core/spin_barrier.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace statcoder::core {
namespace {

// Every thread writes its slot in phase 1 and reads all slots in phase 2: the barrier must make
// all phase-1 writes visible before anyone reads, round after round (the SGD's use).
TEST(SpinBarrierTest, PublishesEachPhaseToAllThreadsRoundAfterRound) {
  constexpr size_t kThreads = 4;
  constexpr int kRounds = 2000;
  SpinBarrier sync(kThreads);
  std::vector<int> slots(kThreads, -1);
  std::vector<int> mismatches(kThreads, 0);
  auto worker = [&](size_t t) {
    for (int round = 0; round < kRounds; ++round) {
      slots[t] = round;
      sync.ArriveAndWait();
      for (size_t u = 0; u < kThreads; ++u) mismatches[t] += slots[u] != round;
      sync.ArriveAndWait();
    }
  };
  std::vector<std::thread> pool;
  for (size_t t = 0; t < kThreads; ++t) pool.emplace_back(worker, t);
  for (auto& th : pool) th.join();
  for (size_t t = 0; t < kThreads; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

TEST(SpinBarrierTest, OneThreadNeverWaits) {
  SpinBarrier sync(1);
  for (int i = 0; i < 10; ++i) sync.ArriveAndWait();
  SUCCEED();
}

}  // namespace
}  // namespace statcoder::core
