#include "quality/report_html.h"

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/check.h"
#include "core/content_hash.h"
#include "core/file_util.h"

namespace statcoder::quality {

namespace report_page {
// Defined in report_page_assets.cc, which CMake generates from src/quality/report_page/ and
// Debian's Chart.js (cmake/StatcoderEmbed.cmake).
extern const std::string_view kTemplateHtml;
extern const std::string_view kReportCss;
extern const std::string_view kReportJs;
extern const std::string_view kChartJs;
}  // namespace report_page

namespace {

// Placeholders of template.html are "@@NAME@@".
constexpr std::string_view kMarker = "@@";
constexpr std::string_view kScriptHashes = "SCRIPT_HASHES";
// The page's executable scripts are written as a bare "<script>"; the data block has attributes.
constexpr std::string_view kScriptOpen = "<script>";

std::string_view PlaceholderContent(std::string_view name, std::string_view report_data) {
  if (name == "REPORT_CSS") return report_page::kReportCss;
  if (name == "REPORT_JS") return report_page::kReportJs;
  if (name == "CHART_JS") return report_page::kChartJs;
  // The template is ours and compiled in: any other name is a bug, not bad input.
  SC_CHECK(name == "REPORT_DATA");
  return report_data;
}

int HexDigit(char c) { return c <= '9' ? c - '0' : c - 'a' + 10; }

// Base64 (RFC 4648, padded) of the bytes spelt by lower-case `hex`.
std::string HexToBase64(std::string_view hex) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::vector<uint8_t> bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes.push_back(static_cast<uint8_t>(HexDigit(hex[i]) * 16 + HexDigit(hex[i + 1])));
  }
  std::string out;
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const size_t n = std::min<size_t>(3, bytes.size() - i);
    uint32_t group = 0;
    for (size_t k = 0; k < 3; ++k) group = group << 8 | (k < n ? bytes[i + k] : 0u);
    for (size_t k = 0; k < 4; ++k) out += k <= n ? kAlphabet[(group >> (18 - 6 * k)) & 63] : '=';
  }
  return out;
}

// The Content-Security-Policy sources ('sha256-<base64>' each) of the page's executable
// scripts: the text from each "<script>" to the next "</script", where the HTML parser ends it.
std::string ScriptHashSources(std::string_view page) {
  std::string sources;
  for (size_t open = page.find(kScriptOpen); open != std::string_view::npos;
       open = page.find(kScriptOpen, open + 1)) {
    const size_t start = open + kScriptOpen.size();
    const size_t end = page.find("</script", start);
    SC_CHECK(end != std::string_view::npos);
    if (!sources.empty()) sources += ' ';
    sources += "'sha256-" + HexToBase64(core::Sha256Hex(page.substr(start, end - start))) + "'";
  }
  return sources;
}

}  // namespace

std::string JsonForScriptElement(const nlohmann::json& value) {
  // `replace` turns invalid UTF-8 into U+FFFD instead of throwing: a report must still render
  // when a code list carried a stray Latin-1 byte.
  const std::string json = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out;
  out.reserve(json.size() + json.size() / 16);
  for (size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    // Outside strings, JSON has none of these characters, so escaping every occurrence only
    // ever touches string contents, where \uXXXX means the same character.
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else if (c == '\xE2' && i + 2 < json.size() && json[i + 1] == '\x80' &&
               (json[i + 2] == '\xA8' || json[i + 2] == '\xA9')) {
      out += json[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::string RenderReportHtml(const nlohmann::json& report) {
  const std::string data = JsonForScriptElement(report);
  const std::string_view tmpl = report_page::kTemplateHtml;
  std::string out;
  out.reserve(tmpl.size() + report_page::kChartJs.size() + report_page::kReportJs.size() +
              report_page::kReportCss.size() + data.size() + 256);
  // One pass over the template: inserted content is never scanned again, so a "@@...@@" inside
  // the data or a script stays as it is. The script hashes can only be computed once the
  // scripts are in place, so their position is noted and they are inserted last.
  size_t hashes_at = std::string::npos;
  size_t pos = 0;
  while (true) {
    const size_t open = tmpl.find(kMarker, pos);
    if (open == std::string_view::npos) break;
    const size_t close = tmpl.find(kMarker, open + kMarker.size());
    SC_CHECK(close != std::string_view::npos);
    out.append(tmpl.substr(pos, open - pos));
    const std::string_view name = tmpl.substr(open + kMarker.size(), close - open - kMarker.size());
    if (name == kScriptHashes) {
      hashes_at = out.size();
    } else {
      out.append(PlaceholderContent(name, data));
    }
    pos = close + kMarker.size();
  }
  out.append(tmpl.substr(pos));
  SC_CHECK(hashes_at != std::string::npos);
  out.insert(hashes_at, ScriptHashSources(out));
  return out;
}

core::Status WriteReportHtml(const nlohmann::json& report, const std::string& path) {
  return core::WriteFileAtomic(path, RenderReportHtml(report));
}

}  // namespace statcoder::quality
