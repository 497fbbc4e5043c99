// The joint model reader (src/model/joint_model.h) on arbitrary bytes: a joint model whose
// every part is checked, or a Status, never a crash, a hang or an allocation the bytes do not
// justify.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/content_hash.h"
#include "model/joint_model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace statcoder;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // As given (mostly a checksum mismatch), and with a valid checksum appended, so the header
  // and members behind it are parsed too. The seed is a joint model without its checksum.
  const std::string sealed = std::string(bytes) + core::Sha256Hex(bytes);
  for (const std::string_view input : {bytes, std::string_view(sealed)}) {
    auto parsed = model::DeserializeJointModel(input, "fuzz.stcj");
    if (parsed.ok()) {
      (void)model::SerializeJointModel(*parsed);
      (void)model::JointModel::Create(*std::move(parsed));
    }
  }
  return 0;
}
