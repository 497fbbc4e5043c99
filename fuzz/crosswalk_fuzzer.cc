// The correspondence-table reader (src/data/crosswalk.h) on arbitrary bytes, as a table
// (with and without code lists to check against) and as dual-coded records to derive one from.
// Either a table or a Status naming the problem, never a crash or a hang.
#include <cstddef>
#include <cstdint>
#include <string>

#include "data/crosswalk.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace statcoder;
  if (size == 0) return 0;
  static const data::CodeList kCodes =
      data::CodeList::FromEntries({{"1", "", ""}, {"11", "1", ""}, {"12", "1", ""}}).value();
  const uint8_t choice = data[0];
  fuzz::MemoryFile file(data + 1, size - 1);
  const data::CodeList* codes = (choice & 1) ? &kCodes : nullptr;
  auto x = data::Crosswalk::Load(file.path(), {}, codes, codes);
  if (x.ok()) {
    (void)x->Summary(codes, codes);
    for (const auto& p : x->pairs()) (void)x->TargetsOf(p.from);
  }
  auto derived = data::DeriveCrosswalk(file.path(), (choice & 2) ? "old" : "a",
                                       (choice & 2) ? "new" : "b", {}, codes, nullptr);
  if (derived.ok()) (void)derived->crosswalk.Fingerprint();
  return 0;
}
