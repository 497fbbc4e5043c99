// statcoder crosswalk: correspondence tables between classification versions.
//   derive: the table from dual-coded records (every pair seen, weighted by its count);
//   check:  a table against both code lists, with what it covers.
#include <cstdio>
#include <memory>

#include "cli_common.h"
#include "commands.h"
#include "data/code_list.h"
#include "data/crosswalk.h"

namespace statcoder::cli {
namespace {

struct CrosswalkFlags {
  std::string data_path, from, to, out_path, crosswalk_path, from_codelist, to_codelist;
  std::string codelist_code_column = "code";
  InputOptions input;
  bool json = false;
};

core::Result<std::unique_ptr<data::CodeList>> LoadOptionalCodeList(const std::string& path,
                                                                   const std::string& column) {
  if (path.empty()) return std::unique_ptr<data::CodeList>();
  data::CodeListOptions options;
  options.code_column = column;
  ASSIGN_OR_RETURN(data::CodeList list, data::CodeList::Load(path, options));
  return std::make_unique<data::CodeList>(std::move(list));
}

void PrintSummary(const nlohmann::json& s) {
  std::printf("%s → %s: %llu pairs; %llu %s codes (%llu one-to-one, %llu split, up to %llu "
              "targets); %llu %s codes (%llu reached from several)\n",
              s["from"].get<std::string>().c_str(), s["to"].get<std::string>().c_str(),
              s["pairs"].get<unsigned long long>(), s["from_codes"].get<unsigned long long>(),
              s["from"].get<std::string>().c_str(),
              s["from_codes_one_to_one"].get<unsigned long long>(),
              s["from_codes_split"].get<unsigned long long>(),
              s["most_targets_of_one_code"].get<unsigned long long>(),
              s["to_codes"].get<unsigned long long>(), s["to"].get<std::string>().c_str(),
              s["to_codes_merged"].get<unsigned long long>());
  for (const char* side : {"from_coverage", "to_coverage"}) {
    if (!s.contains(side)) continue;
    const nlohmann::json& c = s[side];
    std::string missing;
    for (const auto& m : c["missing_examples"]) {
      missing += (missing.empty() ? "" : ", ") + m.get<std::string>();
    }
    std::printf("  %s: %llu of %llu codes at level '%s' in the table (%.1f %%)%s%s\n",
                c["code_list"].get<std::string>().c_str(), c["in_table"].get<unsigned long long>(),
                c["codes"].get<unsigned long long>(), c["level"].get<std::string>().c_str(),
                100.0 * c["coverage"].get<double>(), missing.empty() ? "" : "; missing e.g. ",
                missing.c_str());
  }
}

core::Status RunDerive(CrosswalkFlags& f) {
  for (const auto& [value, flag] : {std::pair{&f.data_path, "--data"}, {&f.from, "--from"},
                                    {&f.to, "--to"}, {&f.out_path, "--out"}}) {
    if (value->empty()) return core::InvalidArgument(std::string(flag) + " is required");
  }
  ASSIGN_OR_RETURN(auto from_codes, LoadOptionalCodeList(f.from_codelist, f.codelist_code_column));
  ASSIGN_OR_RETURN(auto to_codes, LoadOptionalCodeList(f.to_codelist, f.codelist_code_column));
  ASSIGN_OR_RETURN(data::ReaderOptions reader, f.input.ToReaderOptions());
  ASSIGN_OR_RETURN(data::DerivedCrosswalk derived,
                   data::DeriveCrosswalk(f.data_path, f.from, f.to, reader, from_codes.get(),
                                         to_codes.get()));
  // Rejected rows are kept aside as any reader's are, and the same share limit applies.
  data::Dataset rejected;
  rejected.path = f.data_path;
  rejected.rejections = std::move(derived.rejections);
  if (!rejected.rejections.empty()) {
    const std::string path =
        f.input.rejects_path.empty() ? f.out_path + ".rejects.tsv" : f.input.rejects_path;
    RETURN_IF_ERROR(data::WriteRejects(rejected, path));
    std::fprintf(stderr, "statcoder: %zu row(s) of '%s' rejected; reasons in '%s'\n",
                 rejected.rejections.size(), f.data_path.c_str(), path.c_str());
    const double share = static_cast<double>(rejected.rejections.size()) /
                         static_cast<double>(derived.used + rejected.rejections.size());
    if (share > f.input.max_reject_share) {
      return core::FailedPrecondition(
          std::to_string(rejected.rejections.size()) + " of " +
          std::to_string(derived.used + rejected.rejections.size()) + " dual-coded rows of '" +
          f.data_path + "' rejected, above --max-reject-share " +
          std::to_string(f.input.max_reject_share) + "; first: " +
          rejected.rejections.front().reason);
    }
  }
  RETURN_IF_ERROR(derived.crosswalk.Write(f.out_path));
  nlohmann::json summary = derived.crosswalk.Summary(from_codes.get(), to_codes.get());
  summary["crosswalk"] = f.out_path;
  summary["rows"] = derived.rows;
  summary["dual_coded_rows"] = derived.used;
  summary["not_dual_coded_rows"] = derived.not_dual_coded;
  summary["rejected_rows"] = rejected.rejections.size();
  if (f.json) {
    std::printf("%s\n", summary.dump(2).c_str());
    return core::Status::Ok();
  }
  std::printf("wrote %s from %llu dual-coded rows of %llu (%llu not coded in both, %zu "
              "rejected)\n",
              f.out_path.c_str(), static_cast<unsigned long long>(derived.used),
              static_cast<unsigned long long>(derived.rows),
              static_cast<unsigned long long>(derived.not_dual_coded), rejected.rejections.size());
  PrintSummary(summary);
  return core::Status::Ok();
}

core::Status RunCheck(CrosswalkFlags& f) {
  if (f.crosswalk_path.empty()) return core::InvalidArgument("--crosswalk is required");
  ASSIGN_OR_RETURN(auto from_codes, LoadOptionalCodeList(f.from_codelist, f.codelist_code_column));
  ASSIGN_OR_RETURN(auto to_codes, LoadOptionalCodeList(f.to_codelist, f.codelist_code_column));
  data::CrosswalkOptions options;
  ASSIGN_OR_RETURN(options.reader, f.input.ToReaderOptions());
  ASSIGN_OR_RETURN(data::Crosswalk x, data::Crosswalk::Load(f.crosswalk_path, options,
                                                            from_codes.get(), to_codes.get()));
  const nlohmann::json summary = x.Summary(from_codes.get(), to_codes.get());
  if (f.json) {
    std::printf("%s\n", summary.dump(2).c_str());
  } else {
    std::printf("%s: valid\n", f.crosswalk_path.c_str());
    PrintSummary(summary);
  }
  return core::Status::Ok();
}

}  // namespace

Command AddCrosswalkCommand(CLI::App& app) {
  auto flags = std::make_shared<CrosswalkFlags>();
  CLI::App* sub =
      app.add_subcommand("crosswalk", "Correspondence tables between classification versions");
  sub->require_subcommand(1);
  CLI::App* derive =
      sub->add_subcommand("derive", "Derive a table from records coded in both versions");
  derive->add_option("--data", flags->data_path, "Dual-coded records (TSV, CSV or JSON Lines)");
  derive->add_option("--from", flags->from, "Column of the old (from) code");
  derive->add_option("--to", flags->to, "Column of the new (to) code");
  derive->add_option("--out", flags->out_path, "Table to write (TSV: from, to, weight = records)");
  flags->input.AddTo(derive);
  CLI::App* check = sub->add_subcommand("check", "Check a table against both code lists");
  check->add_option("--crosswalk", flags->crosswalk_path,
                    "Table: from code, to code, optional weight (header names the two)");
  for (CLI::App* s : {derive, check}) {
    s->add_option("--from-codelist", flags->from_codelist, "Code list of the from side");
    s->add_option("--to-codelist", flags->to_codelist, "Code list of the to side");
    s->add_option("--codelist-code-column", flags->codelist_code_column)->capture_default_str();
    s->add_flag("--json", flags->json, "Print the summary as JSON");
  }
  check->add_option("--format", flags->input.format, "tsv, csv, jsonl or auto (extension)")
      ->capture_default_str();
  return {sub, [flags, derive] {
            const bool deriving = derive->parsed();
            const core::Status s = deriving ? RunDerive(*flags) : RunCheck(*flags);
            return s.ok() ? kExitOk
                          : ReportError(deriving ? "crosswalk derive" : "crosswalk check", s,
                                        flags->json);
          }};
}

}  // namespace statcoder::cli
