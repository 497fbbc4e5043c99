// The record readers (TSV, CSV, JSON Lines; src/data/record_reader.h) on arbitrary bytes. The
// first byte picks the format; the rest is the file. Every record is read to the end or to the
// first fatal error.
#include <cstddef>
#include <cstdint>

#include "data/record_reader.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace statcoder;
  if (size == 0) return 0;
  data::ReaderOptions options;
  constexpr data::FileFormat kFormats[] = {data::FileFormat::kTsv, data::FileFormat::kCsv,
                                           data::FileFormat::kJsonl};
  options.format = kFormats[data[0] % 3];
  options.max_field_bytes = 1024;       // small limits, so the fuzzer reaches them
  options.max_line_bytes = 64 * 1024;
  options.max_records = 10000;
  fuzz::MemoryFile file(data + 1, size - 1);
  auto reader = data::RecordReader::Open(file.path(), options);
  if (!reader.ok()) return 0;
  data::RawRecord record;
  for (int i = 0; i < 20000; ++i) {
    auto more = (*reader)->Next(&record);
    if (!more.ok() || !*more) break;
  }
  return 0;
}
