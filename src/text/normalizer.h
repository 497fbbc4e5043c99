// Normalizer: turns raw UTF-8 text into the canonical form features are computed on:
// Unicode NFKC, full case folding, optional removal of accents (combining marks), and
// collapsed whitespace. Built on utf8proc, so it is right for English, French, Spanish and
// Polish alike ("Łódź" → "łódź", or "łodz" with accents stripped; "ﬁ" → "fi").
//
// Exactly, in this order (version kNormalizerVersion = 1):
//   1. NFKC with full case folding, and default-ignorable code points (soft hyphen U+00AD,
//      zero-width space U+200B, BOM U+FEFF, ...) removed: utf8proc with
//      COMPAT|COMPOSE|CASEFOLD|IGNORE|STABLE ("Straße" → "strasse", "Ｒｅｔａｉｌ" → "retail").
//      With strip_accents, also STRIPMARK: every mark (Mn, Mc, Me) is dropped after the
//      decomposition and the rest recomposed.
//   2. Whitespace: every run of separators (Zs, Zl, Zp) and control characters (Cc: tab,
//      newline, NUL, ...) becomes one ASCII space; leading and trailing runs are removed.
// The output depends on the Unicode tables of the utf8proc build (2.8 = Unicode 15.0; a test
// pins it): a utf8proc upgrade that changes them must bump kNormalizerVersion.
//
//   Normalizer n(NormalizerOptions{.strip_accents = true});
//   ASSIGN_OR_RETURN(std::string s, n.Normalize("Crème Brûlée"));   // "creme brulee"
//
// Thread-safety: immutable after construction; Normalize may be called concurrently.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace statcoder::text {

// Bumped whenever normalisation output changes for any input; written into every model so an
// old model is never fed differently normalised text.
inline constexpr uint32_t kNormalizerVersion = 1;

struct NormalizerOptions {
  // Remove combining marks after canonical decomposition ("é" → "e"). Letters without a
  // decomposition (Polish "ł", Danish "ø") are kept as they are.
  bool strip_accents = false;
};

class Normalizer {
 public:
  explicit Normalizer(NormalizerOptions options = {}) : options_(options) {}

  // Returns the normalised text. Fails with kInvalidInput on invalid UTF-8 (malformed or
  // truncated sequences, overlong forms, surrogates); the message gives the byte offset.
  core::Result<std::string> Normalize(std::string_view utf8) const;

  const NormalizerOptions& options() const { return options_; }

 private:
  friend class Featurizer;  // normalises every field on the hot path, into reused buffers

  // Normalize, writing into *out (replacing its contents) and using *scratch as working
  // memory, so that a caller looping over records allocates nothing once warmed up.
  core::Status NormalizeInto(std::string_view utf8, std::string* out,
                             std::vector<int32_t>* scratch) const;

  NormalizerOptions options_;
};

}  // namespace statcoder::text
