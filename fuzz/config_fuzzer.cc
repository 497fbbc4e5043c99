// statcoder.toml (src/workspace/config.h) on arbitrary text: a configuration or a Status naming
// the file, line and key; what parses must render and parse back to the same configuration.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "workspace/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace statcoder;
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto config = workspace::ParseConfig(text, "statcoder.toml");
  if (!config.ok()) return 0;
  const std::string rendered = workspace::RenderConfig(*config);
  auto again = workspace::ParseConfig(rendered, "rendered.toml");
  if (!again.ok() || workspace::RenderConfig(*again) != rendered) std::abort();
  return 0;
}
