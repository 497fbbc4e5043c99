#include "text/tokenizer.h"

#include <utf8proc.h>

#include "text/internal/token_spans.h"

namespace statcoder::text {
namespace {

bool IsTokenCategory(utf8proc_category_t category) {
  switch (category) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
      return true;
    default:
      return false;
  }
}

// Spelled out for ASCII (the bulk of the input) to skip utf8proc's table lookups; it is the
// L*/N* rule restricted to ASCII, and independent of the C locale.
bool IsAsciiTokenChar(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

}  // namespace

namespace internal {

void TokenizeSpans(std::string_view normalized, std::vector<std::string_view>* tokens) {
  tokens->clear();
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(normalized.data());
  const size_t size = normalized.size();
  size_t pos = 0;
  size_t token_start = 0;
  bool in_token = false;
  while (pos < size) {
    size_t len = 1;
    bool token_char = false;
    if (p[pos] < 0x80) {
      token_char = IsAsciiTokenChar(p[pos]);
    } else {
      utf8proc_int32_t cp = 0;
      const utf8proc_ssize_t n =
          utf8proc_iterate(p + pos, static_cast<utf8proc_ssize_t>(size - pos), &cp);
      if (n > 0) {  // else: an invalid byte, a separator of length 1 (see the header)
        len = static_cast<size_t>(n);
        token_char = IsTokenCategory(utf8proc_category(cp));
      }
    }
    if (token_char && !in_token) {
      token_start = pos;
      in_token = true;
    } else if (!token_char && in_token) {
      tokens->push_back(normalized.substr(token_start, pos - token_start));
      in_token = false;
    }
    pos += len;
  }
  if (in_token) tokens->push_back(normalized.substr(token_start));
}

}  // namespace internal

std::vector<std::string> Tokenize(std::string_view normalized) {
  std::vector<std::string_view> spans;
  internal::TokenizeSpans(normalized, &spans);
  return std::vector<std::string>(spans.begin(), spans.end());
}

}  // namespace statcoder::text
