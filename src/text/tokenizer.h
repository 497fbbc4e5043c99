// Tokenize: splits normalised text into word tokens. A token is a maximal run of letters,
// digits and combining marks (Unicode categories L*, N*, M*); every other code point
// (spaces, punctuation, symbols) separates tokens and is dropped. Apostrophes and hyphens
// therefore split ("t-shirt" → "t", "shirt"), which keeps the rule language-neutral.
// Scripts written without spaces (Chinese, Japanese, Thai) are not segmented: a run of their
// letters is one token.
// Thread-safety: pure function.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace statcoder::text {

// REQUIRES: `normalized` is valid UTF-8 (the output of Normalizer::Normalize). Should it not be,
// each invalid byte acts as a separator (never a crash, never undefined behaviour).
std::vector<std::string> Tokenize(std::string_view normalized);

}  // namespace statcoder::text
