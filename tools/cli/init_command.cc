// statcoder init: create a workspace (statcoder.toml, catalog, lake, models).
#include <cstdio>

#include "cli_common.h"
#include "commands.h"
#include "workspace/workspace.h"
#include "workspace_args.h"

namespace statcoder::cli {
namespace {

struct InitFlags {
  std::string root, codelist, schema, classification, actor;
  data::CodeListOptions codelist_options;
  bool json = false;
};

core::Status RunInit(InitFlags& f) {
  workspace::InitOptions options;
  ASSIGN_OR_RETURN(options.config.schema, workspace::ParseSchemaSpec(f.schema));
  options.config.classification =
      f.classification.empty() ? options.config.schema.label_field : f.classification;
  options.config.codelist = f.codelist_options;
  // Gates on from the start: a new workspace never promotes on ethics alone.
  options.config.gates = workspace::RecommendedGates();
  // Featurizer fields follow the schema, as statcoder.toml's reader sets them.
  ASSIGN_OR_RETURN(options.config,
                   workspace::ParseConfig(workspace::RenderConfig(options.config), "statcoder.toml"));
  options.codelist_source = f.codelist;
  options.actor = f.actor;
  ASSIGN_OR_RETURN(std::unique_ptr<workspace::Workspace> ws,
                   workspace::Workspace::Init(f.root, options));
  if (f.json) {
    PrintJson({{"workspace", ws->root()},
               {"config", ws->Path("statcoder.toml")},
               {"classification", ws->config().classification},
               {"codelist", ws->config().codelist_file}});
  } else {
    std::printf("created workspace %s for classification '%s'\n  edit %s for training options "
                "and promotion gates\n  next: statcoder ingest %s coded.tsv --kind training\n",
                ws->root().c_str(), ws->config().classification.c_str(),
                ws->Path("statcoder.toml").c_str(), f.root.c_str());
  }
  return core::Status::Ok();
}

}  // namespace

Command AddInitCommand(CLI::App& app) {
  auto f = std::make_shared<InitFlags>();
  CLI::App* sub = app.add_subcommand("init", "Create a workspace: data lake, model registry, "
                                              "knowledge base and audit trail in one folder");
  sub->add_option("workspace", f->root, "Folder to create (new or empty)")->required();
  sub->add_option("--schema", f->schema,
                  "Fields and roles: \"text=title[,notes];label=code[;categorical=a,b]"
                  "[;numeric=x][;id=rid][;group=region]\"")
      ->required();
  sub->add_option("--codelist", f->codelist,
                  "Classification structure (code, parent or level, title); copied into the "
                  "workspace");
  sub->add_option("--classification", f->classification,
                  "Name of the classification (default: the label field)");
  sub->add_option("--codelist-code-column", f->codelist_options.code_column)
      ->capture_default_str();
  sub->add_option("--codelist-parent-column", f->codelist_options.parent_column);
  sub->add_option("--codelist-level-column", f->codelist_options.level_column);
  sub->add_option("--codelist-title-column", f->codelist_options.title_column)
      ->capture_default_str();
  sub->add_option("--actor", f->actor, "Who is acting, for the audit trail");
  sub->add_flag("--json", f->json, "Print the result as JSON");
  return {sub, [f] {
            core::Status s = RunInit(*f);
            return s.ok() ? kExitOk : ReportError("init", s, f->json);
          }};
}

}  // namespace statcoder::cli
