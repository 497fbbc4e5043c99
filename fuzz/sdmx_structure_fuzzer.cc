// The SDMX structure readers (src/sdmx/structure.h) on arbitrary bytes, as SDMX-ML 2.1 and as
// SDMX-JSON, the allowed keys of what they accept and the constraints kept for coding: a message or a Status naming the
// problem, never a crash, a hang or an unbounded allocation.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sdmx/context_constraints.h"
#include "sdmx/structure.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace statcoder;
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  for (const bool xml : {true, false}) {
    auto msg = xml ? sdmx::ParseStructureXml(bytes, "fuzz.xml")
                   : sdmx::ParseStructureJson(bytes, "fuzz.json");
    if (!msg.ok()) continue;
    for (const sdmx::DataStructure& dsd : msg->structures) {
      std::vector<std::string> coded;
      for (const sdmx::Dimension& d : dsd.dimensions) {
        if (!d.codelist.id.empty()) coded.push_back(d.id);
      }
      // A small limit: the enumeration must refuse, not try, what is too large.
      (void)sdmx::AllowedKeysFor(*msg, dsd, coded, 10000);
      // Coding the first coded dimension alone: constraints naming the others are kept for
      // coding, through the model's JSON and back.
      if (coded.empty()) continue;
      coded.resize(1);
      auto context = sdmx::ContextConstraints::From(*msg, dsd, coded);
      if (!context.ok()) continue;
      auto back = sdmx::ContextConstraints::FromJson(context->ToJson(), coded);
      if (back.ok()) {
        (void)back->Allows({"X"}, std::vector<std::string>(back->context_dimensions().size(), "A"));
        (void)back->Allows({"X"}, {});
      }
    }
    (void)sdmx::SelectStructure(*msg, "");
  }
  return 0;
}
