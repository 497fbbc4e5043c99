// statcoder ethics start|answer|submit|approve|show: a model's ethics self-assessment.
#include <cstdio>

#include "cli_common.h"
#include "commands.h"
#include "registry/ethics.h"
#include "registry/model_registry.h"
#include "workspace_args.h"

namespace statcoder::cli {
namespace {

struct EthicsFlags {
  WorkspaceArgs start, answer, submit, approve, show;
  std::string model = "candidate", item, rating, justification, note;
  std::vector<std::string> areas;
  bool areas_given = false;
};

struct Opened {
  std::unique_ptr<workspace::Workspace> ws;
  store::ModelRow model;
};

core::Result<Opened> OpenFor(const WorkspaceArgs& args, const std::string& model) {
  Opened o;
  ASSIGN_OR_RETURN(o.ws, args.Open(0, false, nullptr));
  ASSIGN_OR_RETURN(o.model, registry::ResolveModel(*o.ws, model));
  return o;
}

void PrintAssessment(const store::EthicsAssessment& a) {
  std::printf("assessment #%lld of model %s: %s, risk score %.1f%s\n", static_cast<long long>(a.id),
              a.model_version.c_str(), a.status.c_str(), a.risk_score,
              a.risk_score >= registry::kHighEthicsRisk ? " (high)" : "");
  std::string principle;
  for (const registry::EthicsItem& item : registry::EthicsItems()) {
    if (principle != item.principle) {
      principle = item.principle;
      std::printf("  %s\n", item.principle);
    }
    const bool answered = a.answers.contains(item.id);
    std::printf("    %-18s %-14s %s\n", item.id,
                answered ? a.answers[item.id]["rating"].get<std::string>().c_str() : "(unanswered)",
                item.question);
    if (answered) {
      std::printf("    %-18s %-14s   “%s”\n", "", "",
                  a.answers[item.id]["justification"].get<std::string>().c_str());
    }
  }
  std::printf("  sensitive areas: %s\n", a.sensitive_areas.dump().c_str());
}

core::Status Print(const WorkspaceArgs& args, const store::EthicsAssessment& a) {
  if (args.json) {
    PrintJson(registry::AssessmentToJson(a));
  } else {
    PrintAssessment(a);
  }
  return core::Status::Ok();
}

core::Status RunStart(EthicsFlags& f) {
  ASSIGN_OR_RETURN(Opened o, OpenFor(f.start, f.model));
  ASSIGN_OR_RETURN(store::EthicsAssessment a, registry::StartAssessment(*o.ws, o.model));
  return Print(f.start, a);
}

core::Status RunAnswer(EthicsFlags& f) {
  ASSIGN_OR_RETURN(Opened o, OpenFor(f.answer, f.model));
  if (f.item.empty() && !f.areas_given) {
    return core::InvalidArgument("give --item with --rating and --justification, and/or "
                                 "--sensitive-areas");
  }
  store::EthicsAssessment a;
  if (f.areas_given) {
    std::vector<std::string> areas;
    for (const auto& s : f.areas) {
      for (auto& x : SplitList(s)) areas.push_back(x);
    }
    ASSIGN_OR_RETURN(a, registry::SetSensitiveAreas(*o.ws, o.model, areas));
  }
  if (!f.item.empty()) {
    ASSIGN_OR_RETURN(a, registry::AnswerItem(*o.ws, o.model, f.item, f.rating, f.justification));
  }
  return Print(f.answer, a);
}

core::Status RunSubmit(EthicsFlags& f) {
  ASSIGN_OR_RETURN(Opened o, OpenFor(f.submit, f.model));
  ASSIGN_OR_RETURN(store::EthicsAssessment a, registry::SubmitAssessment(*o.ws, o.model));
  return Print(f.submit, a);
}

core::Status RunApprove(EthicsFlags& f) {
  ASSIGN_OR_RETURN(Opened o, OpenFor(f.approve, f.model));
  ASSIGN_OR_RETURN(store::EthicsAssessment a, registry::ApproveAssessment(*o.ws, o.model, f.note));
  return Print(f.approve, a);
}

core::Status RunShow(EthicsFlags& f) {
  ASSIGN_OR_RETURN(Opened o, OpenFor(f.show, f.model));
  ASSIGN_OR_RETURN(registry::EthicsState s, registry::EthicsStateOf(*o.ws, o.model));
  if (f.show.json) {
    nlohmann::json j = registry::EthicsStateToJson(s);
    nlohmann::json items = nlohmann::json::array();
    for (const auto& i : registry::EthicsItems()) {
      items.push_back({{"id", i.id}, {"principle", i.principle}, {"question", i.question}});
    }
    nlohmann::json areas = nlohmann::json::array();
    for (const auto& a : registry::SensitiveAreas()) {
      areas.push_back({{"id", a.id}, {"description", a.description}, {"weight", a.weight}});
    }
    j["model_version"] = o.model.version;
    j["items"] = items;
    j["sensitive_areas"] = areas;
    PrintJson(j);
    return core::Status::Ok();
  }
  std::printf("model %s: %s — %s\n", o.model.version.c_str(),
              s.approved ? "APPROVED" : "not approved", s.explanation.c_str());
  if (s.own) PrintAssessment(*s.own);
  if (!s.own) {
    std::printf("items to answer (statcoder ethics answer --item ID --rating "
                "met|partly_met|not_met|not_applicable --justification \"...\"):\n");
    for (const auto& i : registry::EthicsItems()) std::printf("  %-18s %s\n", i.id, i.question);
  }
  std::printf("sensitive areas (--sensitive-areas a,b) and their weights:");
  for (const auto& a : registry::SensitiveAreas()) std::printf(" %s=%g", a.id, a.weight);
  std::printf("\n");
  return core::Status::Ok();
}

}  // namespace

Command AddEthicsCommand(CLI::App& app) {
  auto f = std::make_shared<EthicsFlags>();
  CLI::App* sub = app.add_subcommand(
      "ethics", "A model's ethics self-assessment (UK Statistics Authority principles)");
  sub->require_subcommand(1);
  auto model_flag = [&](CLI::App* a) {
    a->add_option("--model", f->model, "Model version, 'candidate' or 'production'")
        ->capture_default_str();
  };
  CLI::App* start = sub->add_subcommand("start", "Start a draft assessment for a model");
  f->start.AddTo(start, "");
  model_flag(start);
  CLI::App* answer = sub->add_subcommand("answer", "Rate one item, with a justification");
  f->answer.AddTo(answer, "");
  model_flag(answer);
  answer->add_option("--item", f->item, "Item id (see 'statcoder ethics show')");
  answer->add_option("--rating", f->rating, "met, partly_met, not_met or not_applicable");
  answer->add_option("--justification", f->justification, "Why (required)");
  answer->add_option("--sensitive-areas", f->areas, "Sensitive areas the use touches (ids)")
      ->each([f](const std::string&) { f->areas_given = true; });
  CLI::App* submit = sub->add_subcommand("submit", "Submit the draft (every item answered)");
  f->submit.AddTo(submit, "");
  model_flag(submit);
  CLI::App* approve = sub->add_subcommand("approve", "Approve a submitted assessment "
                                                     "(someone other than the submitter)");
  f->approve.AddTo(approve, "");
  model_flag(approve);
  approve->add_option("--note", f->note, "Approval note (required for a high risk score)");
  CLI::App* show = sub->add_subcommand("show", "A model's assessment, or what carries over");
  f->show.AddTo(show, "");
  model_flag(show);
  return {sub, [=] {
            return RunSubverbs("ethics",
                               {{start, [f] { return RunStart(*f); }, &f->start.json},
                                {answer, [f] { return RunAnswer(*f); }, &f->answer.json},
                                {submit, [f] { return RunSubmit(*f); }, &f->submit.json},
                                {approve, [f] { return RunApprove(*f); }, &f->approve.json},
                                {show, [f] { return RunShow(*f); }, &f->show.json}});
          }};
}

}  // namespace statcoder::cli
