// SDMX structures (sdmx/structure.h), SDMX-CSV output (sdmx/sdmx_csv.h) and key tables
// (data/key_table.h): the bundled example read from both formats, constraint semantics, limits,
// and the errors a malformed or hostile message gets.
#include "sdmx/structure.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>

#include "data/key_table.h"
#include "data/series_features.h"
#include "sdmx/context_constraints.h"
#include "sdmx/sdmx_csv.h"

namespace statcoder::sdmx {
namespace {

using Keys = std::vector<std::vector<std::string>>;

std::string Example(const std::string& name) {
  return std::string(STATCODER_SOURCE_DIR) + "/examples/imf_ifs/" + name;
}

std::string WriteTemp(const std::string& name, const std::string& content) {
  const auto dir = std::filesystem::path(::testing::TempDir()) /
                   ("statcoder_sdmx_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / name).string();
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

// A small SDMX-ML 2.1 message: FREQ (A, M, Q) × INDICATOR (X, Y, Z) and the constraints given.
std::string Message(const std::string& constraints, const std::string& ns =
                        "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message") {
  return R"(<?xml version="1.0" encoding="UTF-8"?>
<message:Structure xmlns:message=")" + ns + R"(" xmlns:structure="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/structure" xmlns:common="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common">
 <message:Header><message:ID>T</message:ID></message:Header>
 <message:Structures>
  <structure:Codelists>
   <structure:Codelist agencyID="T" id="CL_FREQ" version="1.0"><common:Name xml:lang="fr">Fréquence</common:Name><common:Name xml:lang="en">Frequency</common:Name>
    <structure:Code id="A"/><structure:Code id="M"/><structure:Code id="Q"/>
   </structure:Codelist>
   <structure:Codelist agencyID="T" id="CL_IND" version="1.0">
    <structure:Code id="X"><common:Name xml:lang="en">Ex</common:Name></structure:Code>
    <structure:Code id="Y"><structure:Parent><Ref id="X"/></structure:Parent></structure:Code>
    <structure:Code id="Z"/>
   </structure:Codelist>
  </structure:Codelists>
  <structure:Concepts><structure:ConceptScheme agencyID="T" id="CS" version="1.0">
   <structure:Concept id="FREQ"><structure:CoreRepresentation><structure:Enumeration><Ref agencyID="T" id="CL_FREQ" version="1.0" class="Codelist"/></structure:Enumeration></structure:CoreRepresentation></structure:Concept>
  </structure:ConceptScheme></structure:Concepts>
  <structure:DataStructures>
   <structure:DataStructure agencyID="T" id="DSD" version="2.0">
    <structure:DataStructureComponents><structure:DimensionList id="DimensionDescriptor">
     <structure:TimeDimension id="TIME_PERIOD" position="3"/>
     <structure:Dimension id="INDICATOR" position="2"><structure:LocalRepresentation><structure:Enumeration><URN>urn:sdmx:org.sdmx.infomodel.codelist.Codelist=T:CL_IND(1.0)</URN></structure:Enumeration></structure:LocalRepresentation></structure:Dimension>
     <structure:Dimension id="FREQ" position="1"><structure:ConceptIdentity><Ref maintainableParentID="CS" maintainableParentVersion="1.0" agencyID="T" id="FREQ" class="Concept"/></structure:ConceptIdentity></structure:Dimension>
    </structure:DimensionList></structure:DataStructureComponents>
   </structure:DataStructure>
  </structure:DataStructures>
  <structure:Dataflows><structure:Dataflow agencyID="T" id="FLOW" version="1.0"><structure:Structure><Ref agencyID="T" id="DSD" version="2.0" class="DataStructure"/></structure:Structure></structure:Dataflow></structure:Dataflows>
  <structure:Constraints>)" + constraints + R"(</structure:Constraints>
 </message:Structures>
</message:Structure>
)";
}

std::string Constraint(const std::string& id, const std::string& type, const std::string& body,
                       const std::string& attach = "<structure:Dataflow><Ref agencyID=\"T\" id=\"FLOW\" version=\"1.0\"/></structure:Dataflow>") {
  return "<structure:ContentConstraint agencyID=\"T\" id=\"" + id + "\" version=\"1.0\" type=\"" +
         type + "\"><structure:ConstraintAttachment>" + attach +
         "</structure:ConstraintAttachment>" + body + "</structure:ContentConstraint>";
}

std::string Region(bool include, const std::string& key_values) {
  return std::string("<structure:CubeRegion include=\"") + (include ? "true" : "false") + "\">" +
         key_values + "</structure:CubeRegion>";
}

std::string KeyValue(const std::string& id, const std::vector<std::string>& values) {
  std::string out = "<common:KeyValue id=\"" + id + "\">";
  for (const auto& v : values) out += "<common:Value>" + v + "</common:Value>";
  return out + "</common:KeyValue>";
}

Keys AllowedOf(const std::string& xml, size_t limit = kMaxAllowedKeys) {
  auto msg = ParseStructureXml(xml, "t.xml");
  EXPECT_TRUE(msg.ok()) << msg.status().message();
  auto dsd = SelectStructure(*msg, "");
  EXPECT_TRUE(dsd.ok());
  auto keys = AllowedKeysFor(*msg, **dsd, {"FREQ", "INDICATOR"}, limit);
  EXPECT_TRUE(keys.ok()) << keys.status().message();
  return keys.ok() ? keys->keys : Keys{};
}

TEST(SdmxStructureTest, ReadsTheBundledExampleTheSameFromXmlAndJson) {
  auto xml = LoadStructure(Example("structure.xml"));
  auto json = LoadStructure(Example("structure.json"));
  ASSERT_TRUE(xml.ok()) << xml.status().message();
  ASSERT_TRUE(json.ok()) << json.status().message();
  EXPECT_EQ(xml->format, "SDMX-ML 2.1");
  EXPECT_EQ(json->format, "SDMX-JSON");
  ASSERT_EQ(xml->structures.size(), 1u);
  ASSERT_EQ(json->structures.size(), 1u);
  const DataStructure& dsd = xml->structures[0];
  EXPECT_EQ(dsd.ref.ToString(), "STATCODER_EXAMPLE:IFS_DIM(1.0)");
  std::vector<std::string> ids;
  for (const auto& d : dsd.dimensions) ids.push_back(d.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"FREQ", "REF_AREA", "CONCEPT", "BASIS", "ADJUSTMENT",
                                           "UNIT", "TIME_PERIOD"}));
  EXPECT_TRUE(dsd.dimensions.back().time);
  const std::vector<std::string> dims = {"CONCEPT", "BASIS", "ADJUSTMENT", "UNIT"};
  auto from_xml = AllowedKeysFor(*xml, dsd, dims, kMaxAllowedKeys);
  auto from_json = AllowedKeysFor(*json, json->structures[0], dims, kMaxAllowedKeys);
  ASSERT_TRUE(from_xml.ok()) << from_xml.status().message();
  ASSERT_TRUE(from_json.ok()) << from_json.status().message();
  EXPECT_EQ(from_xml->keys, from_json->keys);
  EXPECT_EQ(from_xml->constraints, std::vector<std::string>{"STATCODER_EXAMPLE:IFS_VALID_KEYS(1.0)"});
  // The same keys as the table of valid keys next to it.
  auto table = data::LoadKeyTable(Example("valid_keys.tsv"), dims, {});
  ASSERT_TRUE(table.ok()) << table.status().message();
  Keys sorted = *table;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(from_xml->keys, sorted);
  EXPECT_GE(sorted.size(), 100u);
}

TEST(SdmxStructureTest, ReadsNamesParentsUrnsAndConceptRepresentations) {
  auto msg = ParseStructureXml(Message(""), "t.xml");
  ASSERT_TRUE(msg.ok()) << msg.status().message();
  ASSERT_EQ(msg->codelists.size(), 2u);
  EXPECT_EQ(msg->codelists[0].name, "Frequency");  // English preferred
  EXPECT_EQ(msg->codelists[1].codes[1].parent, "X");
  EXPECT_EQ(msg->codelists[1].codes[0].name, "Ex");
  const DataStructure& dsd = msg->structures[0];
  ASSERT_EQ(dsd.dimensions.size(), 3u);
  EXPECT_EQ(dsd.dimensions[0].id, "FREQ");  // by position, time last
  EXPECT_EQ(dsd.dimensions[0].codelist.id, "CL_FREQ");  // from the concept
  EXPECT_EQ(dsd.dimensions[1].codelist.ToString(), "T:CL_IND(1.0)");  // from a URN
  EXPECT_TRUE(SelectStructure(*msg, "FLOW").ok());
  EXPECT_TRUE(SelectStructure(*msg, "T:DSD(2.0)").ok());
  const auto missing = SelectStructure(*msg, "NOPE");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("T:DSD(2.0)"), std::string::npos);
}

TEST(SdmxStructureTest, WithoutConstraintsEveryCombinationOfTheCodeListsIsAllowed) {
  EXPECT_EQ(AllowedOf(Message("")).size(), 9u);
  // An Actual constraint says what data exist, not what may: it is not applied.
  EXPECT_EQ(AllowedOf(Message(Constraint("C", "Actual", Region(true, KeyValue("FREQ", {"A"})))))
                .size(),
            9u);
  // The limit is checked before anything is enumerated.
  auto msg = ParseStructureXml(Message(""), "t.xml");
  ASSERT_TRUE(msg.ok());
  const auto over = AllowedKeysFor(*msg, msg->structures[0], {"FREQ", "INDICATOR"}, 8);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), core::StatusCode::kLimitExceeded);
}

TEST(SdmxStructureTest, CubeRegionsIncludeExcludeAndIntersectAcrossConstraints) {
  const std::string include = Region(true, KeyValue("FREQ", {"A", "M"}) + KeyValue("INDICATOR", {"X", "Y"}));
  EXPECT_EQ(AllowedOf(Message(Constraint("C", "Allowed", include))),
            (Keys{{"A", "X"}, {"A", "Y"}, {"M", "X"}, {"M", "Y"}}));
  // Excluded: (A, Y).
  const std::string exclude = Region(false, KeyValue("FREQ", {"A"}) + KeyValue("INDICATOR", {"Y"}));
  EXPECT_EQ(AllowedOf(Message(Constraint("C", "Allowed", include + exclude))),
            (Keys{{"A", "X"}, {"M", "X"}, {"M", "Y"}}));
  // A region that lists only FREQ leaves INDICATOR free; a second constraint intersects.
  const std::string only_q = Constraint("D", "Allowed", Region(true, KeyValue("FREQ", {"M", "Q"})));
  EXPECT_EQ(AllowedOf(Message(Constraint("C", "Allowed", include) + only_q)),
            (Keys{{"M", "X"}, {"M", "Y"}}));
  // Attached to another structure: not applied here.
  EXPECT_EQ(AllowedOf(Message(Constraint(
                "C", "Allowed", include,
                "<structure:DataStructure><Ref agencyID=\"T\" id=\"OTHER\" version=\"1.0\"/></structure:DataStructure>")))
                .size(),
            9u);
  // Key sets, with a wildcard (a key that leaves INDICATOR out).
  const std::string keys =
      "<structure:DataKeySet isIncluded=\"true\"><structure:Key>" + KeyValue("FREQ", {"Q"}) +
      KeyValue("INDICATOR", {"Z"}) + "</structure:Key><structure:Key>" + KeyValue("FREQ", {"A"}) +
      "</structure:Key></structure:DataKeySet>";
  EXPECT_EQ(AllowedOf(Message(Constraint("C", "Allowed", keys))),
            (Keys{{"A", "X"}, {"A", "Y"}, {"A", "Z"}, {"Q", "Z"}}));
}

// Coding INDICATOR alone, FREQ copied from the input: constraints naming FREQ are kept for
// coding, where each record's frequency restricts its indicators; with the frequency unknown
// they allow exactly the keys AllowedKeysFor gives.
TEST(SdmxContextConstraintsTest, TieTheCodedDimensionsToTheRecordsCopiedValues) {
  // X only annual or monthly, Y only quarterly (two include regions), Z never annual.
  const std::string body =
      Region(true, KeyValue("FREQ", {"A", "M"}) + KeyValue("INDICATOR", {"X"})) +
      Region(true, KeyValue("FREQ", {"Q"}) + KeyValue("INDICATOR", {"Y", "Z"})) +
      Region(true, KeyValue("FREQ", {"M"}) + KeyValue("INDICATOR", {"Z"})) +
      Region(false, KeyValue("FREQ", {"M"}) + KeyValue("INDICATOR", {"Z"})) +
      Region(false, KeyValue("INDICATOR", {"Z"}) + KeyValue("TIME_PERIOD", {"2020"}));
  // A constraint on INDICATOR alone stays with AllowedKeysFor.
  const std::string xml = Message(Constraint("C", "Allowed", body) +
                                  Constraint("D", "Allowed", Region(true, KeyValue("INDICATOR", {"X", "Y", "Z"}))));
  auto msg = ParseStructureXml(xml, "t.xml");
  ASSERT_TRUE(msg.ok()) << msg.status().message();
  auto rules = ContextConstraints::From(*msg, msg->structures[0], {"INDICATOR"});
  ASSERT_TRUE(rules.ok()) << rules.status().message();
  EXPECT_EQ(rules->context_dimensions(), std::vector<std::string>{"FREQ"});
  EXPECT_EQ(rules->constraint_ids(), std::vector<std::string>{"T:C(1.0)"});
  // Through the model's JSON and back.
  auto back = ContextConstraints::FromJson(rules->ToJson(), {"INDICATOR"});
  ASSERT_TRUE(back.ok()) << back.status().message();
  for (const ContextConstraints* r : {&*rules, &*back}) {
    EXPECT_TRUE(r->Allows({"X"}, {"A"}));
    EXPECT_TRUE(r->Allows({"X"}, {"M"}));
    EXPECT_FALSE(r->Allows({"X"}, {"Q"}));
    EXPECT_TRUE(r->Allows({"Y"}, {"Q"}));
    EXPECT_FALSE(r->Allows({"Y"}, {"A"}));
    EXPECT_TRUE(r->Allows({"Z"}, {"Q"}));
    EXPECT_FALSE(r->Allows({"Z"}, {"M"}));  // included, then excluded
    EXPECT_FALSE(r->Allows({"Z"}, {"A"}));
    // Frequency unknown: a wildcard, as AllowedKeysFor treats the dimensions it does not code.
    EXPECT_TRUE(r->Allows({"X"}, {""}));
    EXPECT_TRUE(r->Allows({"Z"}, {""}));
  }
  const auto keys = AllowedKeysFor(*msg, msg->structures[0], {"INDICATOR"}, kMaxAllowedKeys);
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(keys->keys, (Keys{{"X"}, {"Y"}, {"Z"}}));

  // Nothing ties INDICATOR to FREQ: nothing kept.
  auto none = ContextConstraints::From(*ParseStructureXml(Message(Constraint("D", "Allowed", Region(true, KeyValue("INDICATOR", {"X"})))), "t.xml"),
                                       msg->structures[0], {"INDICATOR"});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  // A damaged model's record is refused, naming what is wrong.
  nlohmann::json bad = rules->ToJson();
  bad["constraints"][0]["include"][0]["NOPE"] = {"1"};
  auto refused = ContextConstraints::FromJson(bad, {"INDICATOR"});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("unknown dimension 'NOPE'"), std::string::npos);
  EXPECT_FALSE(ContextConstraints::FromJson(nlohmann::json::array(), {"INDICATOR"}).ok());
}

TEST(SdmxStructureTest, MalformedMessagesGetErrorsNamingTheElement) {
  const auto error = [](const std::string& xml) {
    auto r = ParseStructureXml(xml, "bad.xml");
    EXPECT_FALSE(r.ok());
    return r.ok() ? std::string() : r.status().message();
  };
  EXPECT_NE(error("<a><b></a>").find("not well-formed XML at byte"), std::string::npos);
  EXPECT_NE(error("<html/>").find("root element is <html>"), std::string::npos);
  auto v3 = ParseStructureXml(Message("", "http://www.sdmx.org/resources/sdmxml/schemas/v3_0/message"), "v3.xml");
  ASSERT_FALSE(v3.ok());
  EXPECT_EQ(v3.status().code(), core::StatusCode::kUnsupportedVersion);
  const std::string bad_value =
      error(Message(Constraint("C", "Allowed", Region(true, KeyValue("INDICATOR", {"NOPE"})))));
  EXPECT_NE(bad_value.find("ContentConstraint T:C(1.0) CubeRegion 1 KeyValue INDICATOR: value 'NOPE' "
                           "is not a code of T:CL_IND(1.0)"),
            std::string::npos)
      << bad_value;
  const std::string bad_dim =
      error(Message(Constraint("C", "Allowed", Region(true, KeyValue("COLOUR", {"A"})))));
  EXPECT_NE(bad_dim.find("'COLOUR' is not a dimension of T:DSD(2.0)"), std::string::npos) << bad_dim;
  std::string missing_list = Message("");
  missing_list.replace(missing_list.find("CL_IND(1.0)</URN>"), 6, "CL_NO");
  EXPECT_NE(error(missing_list).find("Dimension INDICATOR: its code list T:CL_NO(1.0) is not in the message"),
            std::string::npos);
  std::string twice = Message("");
  twice.replace(twice.find("<structure:Code id=\"Z\"/>"), 24, "<structure:Code id=\"X\"/>");
  EXPECT_NE(error(twice).find("has code 'X' twice"), std::string::npos);
  std::string bad_type = Message(Constraint("C", "Sometimes", ""));
  EXPECT_NE(error(bad_type).find("has type 'Sometimes'"), std::string::npos);
}

TEST(SdmxStructureTest, EntitiesAreNotExpandedAndNothingIsFetched) {
  // A "billion laughs" DOCTYPE and an external entity: pugixml expands neither.
  std::string xml = Message("");
  const std::string doctype =
      "<!DOCTYPE s [<!ENTITY a \"aaaaaaaaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">"
      "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;\"><!ENTITY e SYSTEM \"file:///etc/passwd\">]>\n";
  xml.insert(xml.find("<message:Structure"), doctype);
  xml.replace(xml.find(">Frequency<"), 11, ">&c;&e;<");
  auto msg = ParseStructureXml(xml, "laughs.xml");
  ASSERT_TRUE(msg.ok()) << msg.status().message();
  EXPECT_LT(msg->codelists[0].name.size(), 16u);
}

TEST(SdmxStructureTest, JsonErrorsNameWhatIsWrong) {
  const auto error = [](const std::string& text) {
    auto r = ParseStructureJson(text, "bad.json");
    EXPECT_FALSE(r.ok());
    return r.ok() ? std::string() : r.status().message();
  };
  EXPECT_NE(error("{").find("not valid JSON"), std::string::npos);
  EXPECT_NE(error("{\"meta\": {}}").find("no \"data\" object"), std::string::npos);
  EXPECT_NE(error("{\"data\": {\"codelists\": 5}}").find("\"codelists\" is not an array"),
            std::string::npos);
  EXPECT_NE(error("{\"data\": {\"codelists\": [{\"id\": \"X\"}]}}").find("lacks its \"id\" or \"agencyID\""),
            std::string::npos);
  EXPECT_NE(error(R"({"data": {"dataStructures": [{"id": "D", "agencyID": "T",
      "dataStructureComponents": {"dimensionList": {"dimensions": [{"id": "F",
      "localRepresentation": {"enumeration": "not-a-urn"}}]}}}]}})")
                .find("'not-a-urn' is not an SDMX URN"),
            std::string::npos);
  EXPECT_NE(error(R"({"data": {"codelists": [{"id": "C", "agencyID": "T", "codes": [{"id": 7}]}]}})")
                .find("Codelist T:C(1.0)"),
            std::string::npos);
}

TEST(SdmxStructureTest, LoadChecksTheFileFirst) {
  EXPECT_EQ(LoadStructure("/nonexistent/s.xml").status().code(), core::StatusCode::kNotFound);
  const auto neither = LoadStructure(WriteTemp("n.txt", "STRUCTURE,STRUCTURE_ID\n"));
  ASSERT_FALSE(neither.ok());
  EXPECT_NE(neither.status().message().find("neither an SDMX-ML"), std::string::npos);
  EXPECT_TRUE(LoadStructure(WriteTemp("bom.xml", "\xEF\xBB\xBF  " + Message(""))).ok());
}

TEST(SdmxStructureTest, ParsesUrns) {
  ArtefactRef r;
  std::string item;
  ASSERT_TRUE(ParseUrn("urn:sdmx:org.sdmx.infomodel.conceptscheme.Concept=IMF:CS(1.2).FREQ", &r, &item));
  EXPECT_EQ(r.ToString(), "IMF:CS(1.2)");
  EXPECT_EQ(item, "FREQ");
  EXPECT_FALSE(ParseUrn("urn:sdmx:x=IMF", &r));
  EXPECT_FALSE(ParseUrn("no equals", &r));
  EXPECT_TRUE(r.Matches("CS"));
  EXPECT_TRUE(r.Matches("IMF:CS"));
  EXPECT_FALSE(r.Matches("IMF:CS(9.9)"));
}

TEST(SdmxCsvTest, WritesTheHeaderAndQuotesAsRfc4180) {
  SdmxCsvWriter w({.structure = "dataflow", .structure_id = "IMF:IFS(1.0)",
                   .dimensions = {"FREQ", "INDICATOR"}, .custom = {"STATCODER_ID"}});
  std::string out;
  w.Header(&out);
  w.Row({"M", "PCPI_IX"}, {"a,\"b\""}, &out);
  EXPECT_EQ(out,
            "STRUCTURE,STRUCTURE_ID,ACTION,FREQ,INDICATOR,STATCODER_ID\r\n"
            "dataflow,IMF:IFS(1.0),M,M,PCPI_IX,\"a,\"\"b\"\"\"\r\n");
}

TEST(KeyTableTest, NamesTheFileLineAndColumnOfABadRow) {
  const std::string ok = WriteTemp("k.tsv", "B\tA\tnote\n1\tx\tfirst\n2\ty\t\n1\tx\tagain\n");
  auto keys = data::LoadKeyTable(ok, {"A", "B"}, {});
  ASSERT_TRUE(keys.ok()) << keys.status().message();
  EXPECT_EQ(*keys, (Keys{{"x", "1"}, {"y", "2"}}));  // in field order, repeated once
  const auto no_column = data::LoadKeyTable(ok, {"A", "C"}, {});
  ASSERT_FALSE(no_column.ok());
  EXPECT_NE(no_column.status().message().find("has no column 'C'"), std::string::npos);
  const std::string empty = WriteTemp("e.tsv", "A\tB\nx\t1\ny\t\n");
  const auto bad = data::LoadKeyTable(empty, {"A", "B"}, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("e.tsv:3: column 'B' is empty"), std::string::npos)
      << bad.status().message();
  EXPECT_FALSE(data::LoadKeyTable(WriteTemp("h.tsv", "A\tB\n"), {"A", "B"}, {}).ok());
}

}  // namespace
}  // namespace statcoder::sdmx

namespace statcoder::data {
namespace {

TEST(SeriesFeaturesTest, DerivedNumericFieldsComeFromTheSeriesColumn) {
  EXPECT_EQ(NumericSourceColumn("values:max"), "values");
  EXPECT_EQ(NumericSourceColumn("amount"), "amount");
  EXPECT_TRUE(CheckNumericFieldName("values:seasonality").ok());
  const core::Status bad = CheckNumericFieldName("values:colour");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("'colour' is not a series feature"), std::string::npos);
  double v = 0;
  std::string why;
  ASSERT_TRUE(ParseNumericInput("values:median", "1; 3;NA;;2 100", &v, &why)) << why;
  EXPECT_DOUBLE_EQ(v, 2.5);
  ASSERT_TRUE(ParseNumericInput("values:log_magnitude", "-999;999", &v, &why));
  EXPECT_DOUBLE_EQ(v, 3.0);
  ASSERT_TRUE(ParseNumericInput("values:negative_share", "-1;2;-3;4", &v, &why));
  EXPECT_DOUBLE_EQ(v, 0.5);
  ASSERT_TRUE(ParseNumericInput("values:max", "", &v, &why));
  EXPECT_TRUE(std::isnan(v));  // no observations: missing
  EXPECT_FALSE(ParseNumericInput("values:max", "1;x;3", &v, &why));
  EXPECT_NE(why.find("observation 'x' is not a finite number"), std::string::npos);
  EXPECT_FALSE(ParseNumericInput("values:max", "1;inf", &v, &why));
  // A seasonal pattern repeats in the first differences; a trend does not.
  std::string seasonal, trend;
  for (int t = 0; t < 36; ++t) {
    seasonal += std::to_string(100 + 10 * (t % 12 == 11) + t * 0.1) + ";";
    trend += std::to_string(100 + t * 0.5 + 0.3 * std::sin(t * t * 1.7)) + ";";
  }
  double s_season = 0, s_trend = 0;
  ASSERT_TRUE(ParseNumericInput("values:seasonality", seasonal, &s_season, &why));
  ASSERT_TRUE(ParseNumericInput("values:seasonality", trend, &s_trend, &why));
  EXPECT_GT(s_season, 0.5);
  EXPECT_LT(s_trend, s_season);
  std::string huge;
  for (size_t i = 0; i <= kMaxObservations; ++i) huge += "1;";
  EXPECT_FALSE(ParseNumericInput("values:max", huge, &v, &why));
}

}  // namespace
}  // namespace statcoder::data
