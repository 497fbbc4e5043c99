// The model loader (docs/formats/model_v1.md) on arbitrary bytes: from memory, and as a file
// (LoadModel: the header and section checks before reading). Either a model or a Status, never
// a crash, a hang or an allocation the file's size does not justify.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_input.h"
#include "model/model_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace statcoder;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto parsed = model::DeserializeModel(bytes, "fuzz.stc");
  if (parsed.ok()) (void)model::SerializeModel(*parsed);
  fuzz::MemoryFile file(data, size);
  (void)model::LoadModel(file.path());
  return 0;
}
