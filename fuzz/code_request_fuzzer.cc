// The JSON request reader of POST /v1/code (src/server/code_request.h) on arbitrary bodies: a
// request (records as columns) or a Status, never a crash; what it accepts can be answered.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "server/code_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace statcoder;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto request = server::ParseCodeRequest(body, 100);
  if (!request.ok()) return 0;
  for (size_t i = 0; i < request->table.num_rows; ++i) (void)request->RecordJson(i);
  return 0;
}
