// Internal to the text module: the tokenizer as views into the input, so the featurizer can
// tokenise every record without allocating a string per token. Not part of the public API.
// Thread-safety: pure function.
#pragma once

#include <string_view>
#include <vector>

namespace statcoder::text::internal {

// Replaces *tokens with the tokens of `normalized` (rule and REQUIRES as text::Tokenize), as
// views into `normalized`.
void TokenizeSpans(std::string_view normalized, std::vector<std::string_view>* tokens);

}  // namespace statcoder::text::internal
