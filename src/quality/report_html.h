// The quality report as one self-contained HTML page (report.html), drawn from report.json
// (docs/formats/report_v1.md) for a reader who has never seen statcoder.
//
//   RETURN_IF_ERROR(WriteReportHtml(report_json, dir + "/report.html"));
//
// The page embeds the report's JSON, its script and style sheet (src/quality/report_page/) and
// Chart.js (Debian's libjs-chart.js), all compiled into the library, so it opens offline from
// anywhere. The page builds its DOM in the browser from the embedded JSON with textContent only:
// every string of the report (codes, titles, feature names, record texts, file names) is shown
// as text and never parsed as HTML. Its Content-Security-Policy forbids every network request
// and lets only the page's own scripts run (by SHA-256), not even an inline event handler.
//
// Thread-safety: pure functions.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace statcoder::quality {

// The page for `report`. Any JSON is accepted: the page ignores keys it does not know and shows
// "—" or "not recorded" for figures and sections that are missing or null. Invalid UTF-8 in a
// string is replaced by U+FFFD rather than failing.
std::string RenderReportHtml(const nlohmann::json& report);

// Writes RenderReportHtml(report) to `path` atomically (temporary file, fsync, rename).
// Errors: kIoError when the file cannot be written.
core::Status WriteReportHtml(const nlohmann::json& report, const std::string& path);

// `value` serialised as JSON that can sit between <script type="application/json"> and
// </script> without ending the element or opening a comment: '<', '>' and '&' are written as
// \u003c, \u003e, \u0026, and U+2028/U+2029 (line terminators to older JavaScript) as \u2028,
// \u2029. JSON.parse of the result gives back `value`.
std::string JsonForScriptElement(const nlohmann::json& value);

}  // namespace statcoder::quality
