// The code-list reader (src/data/code_list.h) on arbitrary bytes: the first byte picks the
// format (TSV, CSV, JSON Lines) and how the hierarchy is given (parent column, level column, code
// prefixes); the rest is the file.
#include <cstddef>
#include <cstdint>
#include <string>

#include "data/code_list.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace statcoder;
  if (size == 0) return 0;
  // The reader picks the format from the extension: a symbolic link names the memfd with one.
  static const char* const kExtensions[] = {".tsv", ".csv", ".jsonl"};
  const uint8_t choice = data[0];
  fuzz::MemoryFile file(data + 1, size - 1);
  const std::string link = "/tmp/statcoder-fuzz-codelist-" + std::to_string(::getpid()) +
                           kExtensions[choice % 3];
  ::unlink(link.c_str());
  if (::symlink(file.path().c_str(), link.c_str()) != 0) return 0;
  data::CodeListOptions options;
  switch ((choice / 3) % 3) {
    case 0: break;                             // parent column if any, else code prefixes
    case 1: options.parent_column = "parent"; break;
    case 2: options.level_column = "level"; break;
  }
  auto list = data::CodeList::Load(link, options);
  if (list.ok()) {
    for (int32_t i = 0; i < static_cast<int32_t>(list->size()); ++i) (void)list->node(i);
    (void)list->Fingerprint();
  }
  ::unlink(link.c_str());
  return 0;
}
