// tests/test_structured.cpp: structured.hpp: the JSON Schema of every mapped type, decoding with
// JSON paths, and basic_client::parse<T>() / parse_stream<T>() over the mock transport.
#include <mistral/core.hpp>
#include <mistral/testing.hpp>

#include <boost/describe.hpp>

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "catch.hpp"

using namespace mistral;
using testing::mock_transport;
using testing::scripted_response;

namespace structured_test {

enum class size_class { village, town, metropolis };
BOOST_DESCRIBE_ENUM(size_class, village, town, metropolis)

struct geo {
    double lat = 0;
    double lon = 0;
};
BOOST_DESCRIBE_STRUCT(geo, (), (lat, lon))

struct city {
    std::string name;
    std::int64_t population = 0;
    std::optional<std::string> country;
    std::vector<std::string> landmarks;
    size_class size = size_class::village;
    std::optional<geo> location;
};
BOOST_DESCRIBE_STRUCT(city, (), (name, population, country, landmarks, size, location))

struct named {
    std::string id;
};
BOOST_DESCRIBE_STRUCT(named, (), (id))

struct everything : named {
    bool flag = false;
    std::uint8_t small = 0;
    std::int16_t signed_small = 0;
    std::uint64_t big = 0;
    float ratio = 0;
    std::array<int, 2> pair{};
    std::map<std::string, double> scores;
    std::variant<std::int64_t, geo> either;
    boost::json::value anything;
};
BOOST_DESCRIBE_STRUCT(everything, (named),
                      (flag, small, signed_small, big, ratio, pair, scores, either, anything))

struct annotated {
    std::int64_t population = 0;
};
BOOST_DESCRIBE_STRUCT(annotated, (), (population))

struct switches {
    std::vector<bool> on;  // std::vector<bool> hands out proxies, not bool&
};
BOOST_DESCRIBE_STRUCT(switches, (), (on))

}  // namespace structured_test

template <>
struct mistral::json_schema_annotations<structured_test::annotated> {
    static void annotate(boost::json::object& schema) { schema["description"] = "A place"; }
    static void annotate_member(std::string_view member, boost::json::object& schema) {
        if (member == "population") schema["minimum"] = 0;
    }
};

using namespace structured_test;

namespace {

boost::json::value schema(const char* json) {
    return boost::json::parse(json);
}

chat_response reply_with(content c, std::string finish = "stop") {
    return {.id = "r",
            .object = "chat.completion",
            .model = "m",
            .choices = {{.index = 0,
                         .message = {.content = std::move(c)},
                         .finish_reason = std::move(finish)}}};
}

}  // namespace

TEST_CASE("a described struct has a strict schema: nested, enums, optionals not required") {
    CHECK(boost::json::value(json_schema_of<city>()) == schema(R"({
        "type":"object",
        "properties":{
            "name":{"type":"string"},
            "population":{"type":"integer"},
            "country":{"anyOf":[{"type":"string"},{"type":"null"}]},
            "landmarks":{"type":"array","items":{"type":"string"}},
            "size":{"type":"string","enum":["village","town","metropolis"]},
            "location":{"anyOf":[{"type":"object","properties":{"lat":{"type":"number"},
                "lon":{"type":"number"}},"required":["lat","lon"],"additionalProperties":false},
                {"type":"null"}]}},
        "required":["name","population","landmarks","size"],
        "additionalProperties":false})"));
}

TEST_CASE("every mapped type has its schema; bases' members come first") {
    CHECK(boost::json::value(json_schema_of<everything>()) == schema(R"({
        "type":"object",
        "properties":{
            "id":{"type":"string"},
            "flag":{"type":"boolean"},
            "small":{"type":"integer","minimum":0,"maximum":255},
            "signed_small":{"type":"integer","minimum":-32768,"maximum":32767},
            "big":{"type":"integer","minimum":0},
            "ratio":{"type":"number"},
            "pair":{"type":"array","items":{"type":"integer","minimum":-2147483648,
                "maximum":2147483647},"minItems":2,"maxItems":2},
            "scores":{"type":"object","additionalProperties":{"type":"number"}},
            "either":{"anyOf":[{"type":"integer"},{"type":"object","properties":{"lat":{"type":"number"},
                "lon":{"type":"number"}},"required":["lat","lon"],"additionalProperties":false}]},
            "anything":{}},
        "required":["id","flag","small","signed_small","big","ratio","pair","scores","either",
            "anything"],
        "additionalProperties":false})"));
}

TEST_CASE("json_schema_annotations adds descriptions and constraints") {
    CHECK(boost::json::value(json_schema_of<annotated>()) == schema(R"({
        "type":"object","properties":{"population":{"type":"integer","minimum":0}},
        "required":["population"],"additionalProperties":false,"description":"A place"})"));
}

TEST_CASE("json_schema_format is a strict json_schema response format") {
    const response_format f = json_schema_format<city>("city");
    CHECK(f.type == "json_schema");
    REQUIRE(f.json_schema);
    CHECK(f.json_schema->name == "city");
    CHECK(f.json_schema->strict == true);
    CHECK(f.json_schema->schema == json_schema_of<city>());
}

TEST_CASE("decoding fills every mapped type") {
    const auto e = decode_json<everything>(R"({"id":"x","flag":true,"small":255,
        "signed_small":-3,"big":18446744073709551615,"ratio":0.5,"pair":[1,2],
        "scores":{"a":1.5},"either":{"lat":1,"lon":2},"anything":[1,{"b":null}],"ignored":1})");
    CHECK(e.id == "x");
    CHECK(e.flag);
    CHECK(e.small == 255);
    CHECK(e.signed_small == -3);
    CHECK(e.big == UINT64_MAX);
    CHECK(e.ratio == 0.5f);
    CHECK(e.pair == std::array<int, 2>{1, 2});
    CHECK(e.scores.at("a") == 1.5);
    CHECK(std::get<geo>(e.either).lon == 2);
    CHECK(e.anything == boost::json::parse(R"([1,{"b":null}])"));
    CHECK(std::get<std::int64_t>(decode_json<everything>(R"({"id":"x","flag":false,"small":0,
        "signed_small":0,"big":0,"ratio":0,"pair":[0,0],"scores":{},"either":7,
        "anything":null})")
                                     .either) == 7);
}

TEST_CASE("an optional member may be absent or null") {
    const auto c = decode_json<city>(
        R"({"name":"Paris","population":1,"country":null,"landmarks":[],"size":"town"})");
    CHECK_FALSE(c.country);
    CHECK_FALSE(c.location);
    CHECK(c.size == size_class::town);
}

TEST_CASE("what does not fit is a protocol_error naming its JSON path") {
    struct failure {
        const char* json;
        const char* path;
        const char* message;
    };
    const char* good = R"("name":"P","population":1,"landmarks":[],"size":"town")";
    const failure cases[] = {
        {R"({"name":"P","population":"many","landmarks":[],"size":"town"})", "population",
         "population: expected integer, got string"},
        {R"({"name":"P","landmarks":[],"size":"town"})", "population", "population: missing"},
        {R"({"name":"P","population":1,"landmarks":[1],"size":"town"})", "landmarks[0]",
         "landmarks[0]: expected string, got integer"},
        {R"({"name":"P","population":1,"landmarks":[],"size":"city"})", "size",
         R"(size: expected one of "village", "town", "metropolis", got "city")"},
        {R"({"name":"P","population":1,"landmarks":[],"size":"town","location":{"lat":1}})",
         "location.lon", "location.lon: missing"},
        {"[1]", "", "JSON: expected object, got array"},
    };
    for (const auto& f : cases) {
        INFO(f.json);
        try {
            (void)decode_json<city>(f.json);
            FAIL("decoded");
        } catch (const protocol_error& e) {
            CHECK(e.path() == f.path);
            CHECK(std::string(e.what()) == f.message);
        }
    }
    CHECK_THROWS_WITH(decode_json<everything>(std::string("{") + good + "}"), "id: missing");
    CHECK_THROWS_WITH(decode_json<everything>(R"({"id":"x","flag":true,"small":256,
        "signed_small":0,"big":0,"ratio":0,"pair":[0,0],"scores":{},"either":1,"anything":1})"),
                      "small: integer 256 out of range [0, 255]");
    CHECK_THROWS_WITH(decode_json<everything>(R"({"id":"x","flag":true,"small":1,
        "signed_small":0,"big":0,"ratio":0,"pair":[0],"scores":{},"either":1,"anything":1})"),
                      "pair: expected 2 elements, got 1");
    CHECK_THROWS_WITH(decode_json<everything>(R"({"id":"x","flag":true,"small":1,
        "signed_small":0,"big":0,"ratio":0,"pair":[0,0],"scores":{},"either":true,"anything":1})"),
                      "either: fits none of the alternatives, got bool");
    CHECK_THROWS_AS(decode_json<city>("{\"name\": "), protocol_error);
}

TEST_CASE("the reply's text is decoded: thinking chunks skipped, a code fence removed") {
    const chat_response reasoning = reply_with(std::vector<content_chunk>{
        thinking_chunk{.thinking = {text_chunk{.text = "The user wants {\"a\": JSON..."}}},
        text_chunk{.text = R"({"name":"Lyon","population":52)"},
        text_chunk{.text = R"(0000,"landmarks":[],"size":"town"})"}});
    const city c = decode_reply<city>(reasoning);
    CHECK(c.name == "Lyon");
    CHECK(c.population == 520000);
    CHECK(decode_reply<city>(reply_with(std::string("```json\n{\"name\":\"Nice\",\"population\":3,"
                                                    "\"landmarks\":[],\"size\":\"town\"}\n```\n")))
              .name == "Nice");
}

TEST_CASE("a reply cut by the token limit is refused, saying so") {
    CHECK_THROWS_WITH(decode_reply<city>(reply_with(std::string(R"({"name":"Pa)"), "length")),
                      "structured reply cut by the token limit (finish_reason \"length\"): its "
                      "JSON is incomplete; raise max_tokens");
    CHECK_THROWS_AS(decode_reply<city>(chat_response{}), protocol_error);
}

TEST_CASE("parse<T> sends the schema when the request has none and decodes the reply") {
    mock_transport mock;
    basic_client<mock_transport> client({.api_key = "k"}, mock);
    mock.enqueue(scripted_response::completion(
        R"({"name":"Paris","population":2100000,"landmarks":["Louvre"],"size":"metropolis"})"));
    const chat_request req{.model = "m", .messages = {user("Largest city of France?")}};
    const parsed_response<city> r = client.parse<city>(req);
    CHECK(r.value.name == "Paris");
    CHECK(r.value.landmarks == std::vector<std::string>{"Louvre"});
    CHECK(r.response.text().starts_with("{\"name\""));
    const auto sent = mock.requests().at(0).json().as_object();
    CHECK(sent.at("response_format").at("type") == "json_schema");
    CHECK(sent.at("response_format").at("json_schema").at("strict") == true);
    CHECK(sent.at("response_format").at("json_schema").at("schema") ==
          boost::json::value(json_schema_of<city>()));

    // A request's own response format is kept.
    mock.enqueue(scripted_response::completion(
        R"({"name":"Lyon","population":1,"landmarks":[],"size":"town"})"));
    chat_request own = req;
    own.response_format = json_object_format();
    CHECK(client.parse<city>(own).value.name == "Lyon");
    CHECK(mock.requests().at(1).json().at("response_format").at("type") == "json_object");

    mock.enqueue(scripted_response::completion(R"({"name":"Lyon"})"));
    try {
        (void)client.parse<city>(req);
        FAIL("parsed");
    } catch (const protocol_error& e) {
        CHECK(e.path() == "population");
    }
}

TEST_CASE("parse<T> decodes a reasoning model's reply of thinking and text chunks") {
    mock_transport mock;
    basic_client<mock_transport> client({.api_key = "k"}, mock);
    mock.enqueue(scripted_response::json(R"({"id":"r","object":"chat.completion","created":1,
        "model":"magistral-medium-latest","usage":{"prompt_tokens":1,"completion_tokens":1,
        "total_tokens":2},"choices":[{"index":0,"finish_reason":"stop","message":{
        "role":"assistant","content":[
            {"type":"thinking","thinking":[{"type":"text","text":"A city, as {JSON}."}]},
            {"type":"text","text":"{\"name\":\"Marseille\",\"population\":870000,"},
            {"type":"text","text":"\"landmarks\":[\"Vieux-Port\"],\"size\":\"metropolis\"}"}]}}]})"));
    const auto r = client.parse<city>(
        {.model = "magistral-medium-latest", .messages = {user("Second city of France?")}});
    CHECK(r.value.name == "Marseille");
    CHECK(r.value.population == 870000);
    CHECK(r.value.size == size_class::metropolis);
    CHECK(r.response.choices.at(0).message.thinking() == "A city, as {JSON}.");
}

TEST_CASE("parse_stream<T> streams the JSON text and decodes the folded reply") {
    mock_transport mock;
    basic_client<mock_transport> client({.api_key = "k"}, mock);
    mock.enqueue(scripted_response::sse_text(
        R"({"name":"Paris", "population":2, "landmarks":[], "size":"town"})"));
    std::string streamed;
    const auto r = client.parse_stream<city>({.model = "m", .messages = {user("?")}},
                                             [&](const chat_chunk& c) { streamed += c.text(); });
    CHECK(r.value.name == "Paris");
    CHECK(r.value.population == 2);
    CHECK(streamed == r.response.text());
    CHECK(mock.requests().at(0).json().at("stream") == true);
}

TEST_CASE("an integer beyond the member's range says so, for 64-bit members too") {
    CHECK_THROWS_WITH(
        decode_json<city>(
            R"({"name":"P","population":18446744073709551615,"landmarks":[],"size":"town"})"),
        "population: integer 18446744073709551615 out of range [-9223372036854775808, "
        "9223372036854775807]");
}

TEST_CASE("a std::vector<bool> member has a schema and decodes, through parse<T> too") {
    CHECK(boost::json::value(json_schema_of<switches>()) ==
          schema(R"({"type":"object","properties":{"on":{"type":"array","items":
                {"type":"boolean"}}},"required":["on"],"additionalProperties":false})"));
    CHECK(decode_json<switches>(R"({"on":[true,false,true]})").on ==
          std::vector<bool>{true, false, true});
    CHECK_THROWS_WITH(decode_json<switches>(R"({"on":[true,1]})"),
                      "on[1]: expected boolean, got integer");
    mock_transport mock;
    basic_client<mock_transport> client({.api_key = "k"}, mock);
    mock.enqueue(scripted_response::completion(R"({"on":[false,true]})"));
    const parsed_response<switches> r =
        client.parse<switches>({.model = "m", .messages = {user("Which switches are on?")}});
    CHECK(r.value.on == std::vector<bool>{false, true});
}
