#include "text/token_locator.h"

#include <utf8proc.h>

#include "text/internal/token_spans.h"

namespace statcoder::text {
namespace {

struct Piece {
  size_t begin = 0, end = 0;  // bytes of the original text
};

// Splits valid UTF-8 into pieces that normalise independently in practice: a code point with
// canonical combining class 0 starts a piece, marks that follow it (class > 0) join it, since
// NFC/NFKC only compose a starter with the marks after it (and, rarely, two starters, which the
// caller's check catches).
std::vector<Piece> SplitPieces(std::string_view text) {
  std::vector<Piece> pieces;
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  const auto size = static_cast<utf8proc_ssize_t>(text.size());
  utf8proc_ssize_t pos = 0;
  while (pos < size) {
    utf8proc_int32_t cp = 0;
    utf8proc_ssize_t n = utf8proc_iterate(p + pos, size - pos, &cp);
    if (n <= 0) n = 1;  // cannot happen after a successful Normalize; never loop forever
    const bool mark = n > 1 && utf8proc_get_property(cp)->combining_class != 0;
    const auto begin = static_cast<size_t>(pos), end = static_cast<size_t>(pos + n);
    if (mark && !pieces.empty()) {
      pieces.back().end = end;
    } else {
      pieces.push_back({begin, end});
    }
    pos += n;
  }
  return pieces;
}

}  // namespace

core::Result<std::vector<LocatedToken>> LocateTokens(const Normalizer& normalizer,
                                                     std::string_view original) {
  ASSIGN_OR_RETURN(const std::string normalized, normalizer.Normalize(original));
  std::vector<std::string_view> tokens;
  internal::TokenizeSpans(normalized, &tokens);
  std::vector<LocatedToken> out;
  out.reserve(tokens.size());
  for (std::string_view t : tokens) out.push_back({std::string(t), std::nullopt, std::nullopt});
  if (out.empty()) return out;

  // Each piece is normalised between two 'x's: alone, a space would be trimmed away (and the
  // tokens either side of it glued together), while 'x' neither composes with nor folds into
  // anything, so what lies between the two is the piece's own contribution.
  const std::vector<Piece> pieces = SplitPieces(original);
  std::string joined;
  std::vector<uint32_t> piece_of_byte;  // for each byte of `joined`
  for (size_t i = 0; i < pieces.size(); ++i) {
    std::string framed = "x";
    framed.append(original.substr(pieces[i].begin, pieces[i].end - pieces[i].begin));
    framed += 'x';
    core::Result<std::string> n = normalizer.Normalize(framed);
    if (!n.ok() || n->size() < 2 || n->front() != 'x' || n->back() != 'x') return out;
    joined.append(*n, 1, n->size() - 2);
    piece_of_byte.resize(joined.size(), static_cast<uint32_t>(i));
  }
  std::vector<std::string_view> joined_tokens;
  internal::TokenizeSpans(joined, &joined_tokens);
  if (joined_tokens.size() != tokens.size()) return out;
  for (size_t k = 0; k < tokens.size(); ++k) {
    if (joined_tokens[k] != tokens[k]) return out;
  }
  for (size_t k = 0; k < tokens.size(); ++k) {
    const auto first = static_cast<size_t>(joined_tokens[k].data() - joined.data());
    const size_t last = first + joined_tokens[k].size() - 1;  // tokens are never empty
    out[k].begin = pieces[piece_of_byte[first]].begin;
    out[k].end = pieces[piece_of_byte[last]].end;
  }
  return out;
}

}  // namespace statcoder::text
