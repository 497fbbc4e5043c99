#include "text/normalizer.h"

#include <utf8proc.h>

#include <cstddef>
#include <string>

#include "core/status.h"

namespace statcoder::text {
namespace {

constexpr utf8proc_option_t kBaseOptions = static_cast<utf8proc_option_t>(
    UTF8PROC_COMPAT | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD | UTF8PROC_IGNORE | UTF8PROC_STABLE);
constexpr utf8proc_option_t kStripAccentOptions =
    static_cast<utf8proc_option_t>(kBaseOptions | UTF8PROC_STRIPMARK);

// Separators and controls both end a word; treating controls as spaces means a stray NUL or
// tab can never glue two words together or survive into a categorical value.
bool IsSpace(utf8proc_int32_t cp) {
  switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_ZS:
    case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP:
    case UTF8PROC_CATEGORY_CC:
      return true;
    default:
      return false;
  }
}

// ASCII needs none of utf8proc: NFKC leaves it alone, no ASCII character is default-ignorable or
// a mark, and case folding is A-Z → a-z. The whitespace rule is IsSpace restricted to ASCII
// (Cc = 0x00-0x1F and 0x7F, Zs = 0x20). A test checks both paths agree on every ASCII byte.
bool IsAsciiSpace(unsigned char c) { return c <= 0x20 || c == 0x7F; }

bool IsAscii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

void NormalizeAscii(std::string_view in, std::string* out) {
  bool pending_space = false;
  for (char ch : in) {
    const auto c = static_cast<unsigned char>(ch);
    if (IsAsciiSpace(c)) {
      pending_space = !out->empty();
      continue;
    }
    if (pending_space) {
      out->push_back(' ');
      pending_space = false;
    }
    out->push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : ch);
  }
}

// utf8proc only reports that the input is invalid; find where, so the user can fix the record.
size_t FirstInvalidUtf8Offset(std::string_view s) {
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
  const auto size = static_cast<utf8proc_ssize_t>(s.size());
  utf8proc_ssize_t pos = 0;
  while (pos < size) {
    utf8proc_int32_t cp = 0;
    const utf8proc_ssize_t n = utf8proc_iterate(p + pos, size - pos, &cp);
    if (n <= 0) return static_cast<size_t>(pos);
    pos += n;
  }
  return s.size();
}

core::Status Utf8procError(utf8proc_ssize_t code, std::string_view utf8) {
  if (code == UTF8PROC_ERROR_INVALIDUTF8) {
    return core::InvalidInput("invalid UTF-8 at byte offset " +
                              std::to_string(FirstInvalidUtf8Offset(utf8)) +
                              "; re-encode the input as UTF-8");
  }
  if (code == UTF8PROC_ERROR_OVERFLOW || code == UTF8PROC_ERROR_NOMEM) {
    return core::LimitExceeded("text of " + std::to_string(utf8.size()) +
                               " bytes is too long to normalise: " + utf8proc_errmsg(code));
  }
  return core::Internal(std::string("utf8proc failed: ") + utf8proc_errmsg(code));
}

}  // namespace

core::Result<std::string> Normalizer::Normalize(std::string_view utf8) const {
  std::string out;
  std::vector<int32_t> scratch;
  RETURN_IF_ERROR(NormalizeInto(utf8, &out, &scratch));
  return out;
}

core::Status Normalizer::NormalizeInto(std::string_view utf8, std::string* out,
                                       std::vector<int32_t>* scratch) const {
  out->clear();
  if (IsAscii(utf8)) {
    NormalizeAscii(utf8, out);
    return core::Status::Ok();
  }

  // This is utf8proc_map without its malloc: decompose (with case folding, compatibility
  // mappings, ignorable removal and, if asked, mark stripping) into code points, then
  // recompose. The first call usually fits; utf8proc returns the size needed when it does not.
  const utf8proc_option_t options = options_.strip_accents ? kStripAccentOptions : kBaseOptions;
  const auto* str = reinterpret_cast<const utf8proc_uint8_t*>(utf8.data());
  const auto len = static_cast<utf8proc_ssize_t>(utf8.size());
  if (scratch->size() < utf8.size()) scratch->resize(utf8.size());
  utf8proc_ssize_t n = utf8proc_decompose(str, len, scratch->data(),
                                          static_cast<utf8proc_ssize_t>(scratch->size()), options);
  if (n > static_cast<utf8proc_ssize_t>(scratch->size())) {
    scratch->resize(static_cast<size_t>(n));
    n = utf8proc_decompose(str, len, scratch->data(), n, options);
  }
  if (n < 0) return Utf8procError(n, utf8);
  // Only the COMPOSE and STABLE bits matter here; the rest were applied by the decomposition.
  n = utf8proc_normalize_utf32(scratch->data(), n, options);
  if (n < 0) return Utf8procError(n, utf8);

  out->reserve(utf8.size());
  bool pending_space = false;
  utf8proc_uint8_t encoded[4];
  for (utf8proc_ssize_t i = 0; i < n; ++i) {
    const utf8proc_int32_t cp = (*scratch)[static_cast<size_t>(i)];
    if (IsSpace(cp)) {
      pending_space = !out->empty();
      continue;
    }
    if (pending_space) {
      out->push_back(' ');
      pending_space = false;
    }
    const utf8proc_ssize_t bytes = utf8proc_encode_char(cp, encoded);
    out->append(reinterpret_cast<const char*>(encoded), static_cast<size_t>(bytes));
  }
  return core::Status::Ok();
}

}  // namespace statcoder::text
