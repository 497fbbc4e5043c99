// statcoder ingest: validate a file against the workspace schema and store it in the lake as an
// immutable snapshot.
#include <cstdio>

#include "cli_common.h"
#include "commands.h"
#include "lake/snapshot.h"
#include "workspace_args.h"

namespace statcoder::cli {
namespace {

struct IngestFlags {
  WorkspaceArgs ws;
  lake::IngestOptions options;
  std::string format = "auto", rejects;
  std::vector<std::string> parents;
};

core::Status RunIngest(IngestFlags& f) {
  std::vector<std::string> files;
  ASSIGN_OR_RETURN(std::unique_ptr<workspace::Workspace> ws, f.ws.Open(1, false, &files));
  ASSIGN_OR_RETURN(f.options.format, data::ParseFileFormat(f.format));
  for (const auto& p : f.parents) {
    for (auto& id : SplitList(p)) f.options.parents.push_back(id);
  }
  f.options.failed_rejects_path = f.rejects;
  ASSIGN_OR_RETURN(lake::IngestResult r, lake::Ingest(*ws, files[0], f.options));
  if (r.row.rejected > 0 && r.created) {
    std::fprintf(stderr, "statcoder ingest: %llu row(s) rejected; reasons in %s\n",
                 static_cast<unsigned long long>(r.row.rejected),
                 ws->Path(r.row.rejects_path).c_str());
  }
  if (f.ws.json) {
    nlohmann::json j = lake::SnapshotToJson(r.row);
    j["created"] = r.created;
    PrintJson(j);
  } else if (r.created) {
    std::printf("%s\n", r.row.id.c_str());
    std::fprintf(stderr, "snapshot %s: %llu %s records from %s (%llu rejected)\n",
                 r.row.id.substr(0, 12).c_str(), static_cast<unsigned long long>(r.row.rows),
                 r.row.kind.c_str(), files[0].c_str(),
                 static_cast<unsigned long long>(r.row.rejected));
  } else {
    std::printf("%s\n", r.row.id.c_str());
    std::fprintf(stderr, "already in the lake as snapshot %s (%s, ingested %s); nothing done\n",
                 r.row.id.substr(0, 12).c_str(), r.row.kind.c_str(), r.row.created_at.c_str());
  }
  return core::Status::Ok();
}

}  // namespace

Command AddIngestCommand(CLI::App& app) {
  auto f = std::make_shared<IngestFlags>();
  CLI::App* sub = app.add_subcommand(
      "ingest", "Validate a file against the workspace schema and store it as a snapshot");
  f->ws.AddTo(sub, "FILE");
  sub->add_option("--kind", f->options.kind, "training, batch, feedback or audit")
      ->capture_default_str();
  sub->add_option("--source", f->options.data_source,
                  "Name of the data source (survey, register...); default: the file name");
  sub->add_option("--parent", f->parents, "Snapshot(s) this data derives from");
  sub->add_option("--format", f->format, "tsv, csv, jsonl or auto (by extension)")
      ->capture_default_str();
  sub->add_option("--rejects", f->rejects,
                  "Where rejected rows go when too many fail the ingest (default "
                  "<file>.rejects.tsv); kept in the lake otherwise");
  return {sub, [f] {
            core::Status s = RunIngest(*f);
            return s.ok() ? kExitOk : ReportError("ingest", s, f->ws.json);
          }};
}

}  // namespace statcoder::cli
