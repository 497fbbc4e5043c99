// The tables a series-coding user gives beside the structure, on arbitrary bytes: allowed keys
// (data/key_table.h), plausibility rules (model/plausibility.h) and the reporter memory
// (model/key_memory.h, checked against a small joint model: its keys must be allowed). Each is
// read or refused with a Status naming the file, line and column; never a crash or a hang.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "data/key_table.h"
#include "fuzz_input.h"
#include "model/joint_model.h"
#include "model/key_memory.h"
#include "model/plausibility.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace statcoder;
  // Label fields a, b; allowed tuples (A, X), (B, X), (C, Y) (the joint_model corpus seed).
  static const std::shared_ptr<const model::JointModel> kJoint =
      model::LoadJointModel(STATCODER_FUZZ_JOINT_MODEL).value();
  if (size == 0) return 0;
  const uint8_t choice = data[0];
  fuzz::MemoryFile file(data + 1, size - 1);
  switch (choice % 3) {
    case 0:
      (void)data::LoadKeyTable(file.path(), {"a", "b"}, {});
      break;
    case 1: {
      auto rules = model::LoadPlausibilityRules(file.path(), {"a", "b"});
      if (rules.ok()) {
        (void)model::PlausibilityRulesFromJson(model::PlausibilityRulesToJson(*rules));
        (void)model::PlausibilityColumns(*rules);
      }
      break;
    }
    default: {
      auto memory = model::KeyMemory::Load(file.path(), "reporter",
                                           kJoint->member(0)->data().featurizer.text_fields,
                                           *kJoint);
      if (memory.ok()) (void)memory->Lookup("DE", {"some text"});
      break;
    }
  }
  return 0;
}
