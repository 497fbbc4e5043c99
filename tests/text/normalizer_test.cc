#include "text/normalizer.h"

#include <gtest/gtest.h>
#include <utf8proc.h>

#include <string>
#include <string_view>

namespace statcoder::text {
namespace {

std::string Norm(std::string_view in, bool strip_accents = false) {
  Normalizer n(NormalizerOptions{.strip_accents = strip_accents});
  core::Result<std::string> out = n.Normalize(in);
  EXPECT_TRUE(out.ok()) << out.status().ToString();
  return out.ok() ? *out : std::string("<error>");
}

TEST(NormalizerTest, EnglishIsLowerCasedAndSpacesCollapsed) {
  EXPECT_EQ(Norm("  Retail   SALE of\tMotor\r\nVehicles  "), "retail sale of motor vehicles");
  EXPECT_EQ(Norm("Software Developer (C++)"), "software developer (c++)");
}

TEST(NormalizerTest, FrenchKeepsAccentsUnlessStripped) {
  EXPECT_EQ(Norm("ÉCOLE"), "école");
  EXPECT_EQ(Norm("Crème Brûlée"), "crème brûlée");
  EXPECT_EQ(Norm("Crème Brûlée", true), "creme brulee");
  EXPECT_EQ(Norm("ŒUVRE à façon"), "œuvre à façon");  // œ has no decomposition: kept
  EXPECT_EQ(Norm("ŒUVRE à façon", true), "œuvre a facon");
}

TEST(NormalizerTest, SpanishEnyeIsOneLetterUnlessStripped) {
  EXPECT_EQ(Norm("NIÑO, ESPAÑA"), "niño, españa");
  EXPECT_EQ(Norm("NIÑO, ESPAÑA", true), "nino, espana");
  EXPECT_EQ(Norm("¿Qué Pasó?"), "¿qué pasó?");
}

TEST(NormalizerTest, PolishLettersWithoutDecompositionSurviveStripping) {
  EXPECT_EQ(Norm("Łódź"), "łódź");
  EXPECT_EQ(Norm("Łódź", true), "łodz");  // ł has no decomposition, so it stays
  EXPECT_EQ(Norm("ZAŻÓŁĆ GĘŚLĄ JAŹŃ"), "zażółć gęślą jaźń");
  EXPECT_EQ(Norm("ZAŻÓŁĆ GĘŚLĄ JAŹŃ", true), "zazołc gesla jazn");
}

TEST(NormalizerTest, CaseFoldingIsFull) {
  EXPECT_EQ(Norm("Straße"), "strasse");
  EXPECT_EQ(Norm("STRASSE"), "strasse");
  EXPECT_EQ(Norm("ΣΟΦΟΣ"), "σοφοσ");  // folding, not lower-casing: no final-sigma rule
}

TEST(NormalizerTest, CompatibilityFormsAreFolded) {
  EXPECT_EQ(Norm("ﬁnance"), "finance");       // U+FB01 ligature
  EXPECT_EQ(Norm("Ｒｅｔａｉｌ"), "retail");  // full-width Latin
  EXPECT_EQ(Norm("H₂O ²"), "h2o 2");          // sub- and superscripts
  EXPECT_EQ(Norm("\u2160\u2167"), "iviii");   // Roman numerals Ⅰ Ⅷ
}

TEST(NormalizerTest, DecomposedInputIsRecomposed) {
  EXPECT_EQ(Norm("E\u0301COLE"), "école");  // E + combining acute
  EXPECT_EQ(Norm("e\u0301cole"), Norm("\u00e9cole"));
}

TEST(NormalizerTest, UnicodeSpacesAndControlsAreWhitespace) {
  EXPECT_EQ(Norm("a\u00a0b\u2003c\u3000d\u2028e\u2029f"), "a b c d e f");
  EXPECT_EQ(Norm(std::string_view("a\0b", 3)), "a b");  // NUL does not truncate
  EXPECT_EQ(Norm("a\x01\x7f b"), "a b");
  EXPECT_EQ(Norm("\u0085 trimmed \u00a0"), "trimmed");
}

TEST(NormalizerTest, DefaultIgnorablesAreRemoved) {
  EXPECT_EQ(Norm("\xEF\xBB\xBFtitle"), "title");    // UTF-8 byte order mark
  EXPECT_EQ(Norm("Bäcker\u00adei"), "bäckerei");    // soft hyphen
  EXPECT_EQ(Norm("zero\u200bwidth"), "zerowidth");  // zero-width space
}

TEST(NormalizerTest, EmptyAndBlankInputGiveEmptyOutput) {
  EXPECT_EQ(Norm(""), "");
  EXPECT_EQ(Norm(" \t\n "), "");
  EXPECT_EQ(Norm("\u00a0\u3000"), "");
}

TEST(NormalizerTest, OutputIsIdempotent) {
  for (std::string_view s : {"ÉCOLE Crème", "Łódź  ZAŻÓŁĆ", "Straße ﬁ", "Ｒｅｔａｉｌ ²",
                             "e\u0301 \u00a0x", "ΣΟΦΟΣ ǅ"}) {
    for (bool strip : {false, true}) {
      const std::string once = Norm(s, strip);
      EXPECT_EQ(Norm(once, strip), once) << s;
    }
  }
}

// The ASCII fast path must agree with utf8proc on every byte: a leading "é" forces the
// general path, and is removed again before comparing.
TEST(NormalizerTest, AsciiFastPathMatchesGeneralPath) {
  for (int c = 0; c < 0x80; ++c) {
    const std::string ascii = std::string("a") + static_cast<char>(c) + "B";
    const std::string general = Norm("\u00e9" + ascii);
    ASSERT_EQ(general.substr(0, 2), "\u00e9");
    EXPECT_EQ(Norm(ascii), general.substr(2)) << "byte " << c;
  }
}

TEST(NormalizerTest, InvalidUtf8IsRejectedWithItsByteOffset) {
  struct Case {
    std::string_view input;
    size_t offset;
  };
  const Case cases[] = {
      {"abc\xff"
       "def",
       3},                      // byte that never occurs in UTF-8
      {"ab\xc3", 2},            // truncated 2-byte sequence
      {"\xc0\xaf", 0},          // overlong encoding of '/'
      {"x\xed\xa0\x80", 1},     // UTF-16 surrogate
      {"\xc3\xa9\xe2\x82", 2},  // valid "é", then a truncated 3-byte sequence
      {"ok \x80", 3},           // lone continuation byte
      {"\xf4\x90\x80\x80", 0},  // beyond U+10FFFF
  };
  for (bool strip : {false, true}) {
    Normalizer n(NormalizerOptions{.strip_accents = strip});
    for (const Case& c : cases) {
      core::Result<std::string> out = n.Normalize(c.input);
      ASSERT_FALSE(out.ok()) << c.offset;
      EXPECT_EQ(out.status().code(), core::StatusCode::kInvalidInput);
      EXPECT_NE(out.status().message().find("byte offset " + std::to_string(c.offset)),
                std::string::npos)
          << out.status().message();
    }
  }
}

TEST(NormalizerTest, StripAccentsIsOffByDefault) {
  EXPECT_FALSE(Normalizer().options().strip_accents);
  EXPECT_EQ(Norm("é"), "é");
}

// A utf8proc with other Unicode tables can normalise some text differently; before accepting
// one, check the difference and bump kNormalizerVersion so old models are not fed new text.
TEST(NormalizerTest, UnicodeTablesArePinned) {
  EXPECT_STREQ(utf8proc_unicode_version(), "15.0.0");
  EXPECT_EQ(kNormalizerVersion, 1u);
}

}  // namespace
}  // namespace statcoder::text
