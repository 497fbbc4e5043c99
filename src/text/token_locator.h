// LocateTokens: the tokens of a field (Normalize, then Tokenize, as the featurizer sees them)
// with the byte range of the original, un-normalised text each one came from, so that a page
// showing the record as the respondent typed it can highlight the words behind a decision.
//
//   Normalizer normalizer(config.normalizer);
//   ASSIGN_OR_RETURN(std::vector<LocatedToken> tokens, LocateTokens(normalizer, "Retail  Sale"));
//   // tokens[1]: token "sale", begin 8, end 12
//
// Normalisation (NFKC, case folding, ignorable removal, accent stripping, whitespace collapse)
// changes lengths and can merge or split characters, so offsets are found by normalising the
// original piece by piece (a piece = a character with the combining marks that follow it) and
// checking that the pieces, put together, give exactly the same tokens as the whole text. When
// they do not (composition across pieces, as in Hangul jamo), no token of that text gets
// offsets: a wrong highlight is worse than none. A token made from part of one character
// ("½" → "1", "2") gets that character's range.
//
// Thread-safety: pure function.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "text/normalizer.h"

namespace statcoder::text {

struct LocatedToken {
  std::string token;            // as Tokenize gives it on the normalised text
  std::optional<size_t> begin;  // byte offsets into the original text, [begin, end);
  std::optional<size_t> end;    // both empty when the token could not be located
};

// One entry per token of normalizer.Normalize(original), in order. Fails as Normalize does
// (kInvalidInput on invalid UTF-8).
core::Result<std::vector<LocatedToken>> LocateTokens(const Normalizer& normalizer,
                                                     std::string_view original);

}  // namespace statcoder::text
