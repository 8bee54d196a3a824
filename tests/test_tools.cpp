// tests/test_tools.cpp: tools.hpp: toolbox definitions and calls, and basic_client::run_tools()
// over the mock transport: multi-round conversations, parallel calls, every failure kind that
// reaches the model as a tool message, and the bound on rounds.
#include <mistral/core.hpp>
#include <mistral/testing.hpp>

#include <boost/describe.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "catch.hpp"

using namespace mistral;
using testing::mock_transport;
using testing::scripted_response;

namespace tools_test {

struct weather_args {
    std::string city;
    std::optional<std::string> unit;
};
BOOST_DESCRIBE_STRUCT(weather_args, (), (city, unit))

struct sum_args {
    std::int64_t a = 0;
    std::int64_t b = 0;
};
BOOST_DESCRIBE_STRUCT(sum_args, (), (a, b))

struct sum_result {
    std::int64_t sum = 0;
};
BOOST_DESCRIBE_STRUCT(sum_result, (), (sum))

}  // namespace tools_test

using namespace tools_test;

namespace {

toolbox two_tools(std::vector<std::string>* ran = nullptr) {
    toolbox tools;
    tools.add("get_weather", "Current weather of a city", [ran](const weather_args& a) {
        if (ran) ran->push_back("get_weather " + a.city);
        if (a.city == "Atlantis") throw std::runtime_error("no weather station in Atlantis");
        return "12C in " + a.city + (a.unit ? " (" + *a.unit + ")" : "");
    });
    tools.add("sum", "Adds two integers", [ran](const sum_args& a) {
        if (ran) ran->push_back("sum");
        return sum_result{a.a + a.b};
    });
    return tools;
}

tool_call call_of(std::string name, std::string arguments) {
    return {.id = "abcDEF123", .function = {.name = std::move(name), .arguments = arguments}};
}

std::string tool_text(const message& m) {
    REQUIRE(std::holds_alternative<tool_message>(m));
    return std::get<tool_message>(m).text();
}

struct harness {
    mock_transport mock;
    basic_client<mock_transport> client{{.api_key = "k"}, mock};
    chat_request req{.model = "m", .messages = {user("Weather in Paris, and 2+3?")}};
};

}  // namespace

TEST_CASE("definitions are function tools with the arguments' schemas") {
    const auto defs = two_tools().definitions();
    REQUIRE(defs.size() == 2);
    const auto& weather = std::get<function_tool>(defs[0]).function;
    CHECK(weather.name == "get_weather");
    CHECK(weather.description == "Current weather of a city");
    CHECK(weather.parameters == json_schema_of<weather_args>());
    CHECK(std::get<function_tool>(defs[1]).function.name == "sum");
}

TEST_CASE("a call runs its handler: text as it is, other results as JSON") {
    const toolbox tools = two_tools();
    const tool_message w = tools.run(call_of("get_weather", R"({"city":"Paris","unit":"C"})"));
    CHECK(w.text() == "12C in Paris (C)");
    CHECK(w.tool_call_id == "abcDEF123");
    CHECK(w.name == "get_weather");
    CHECK(tools.run(call_of("sum", R"({"a":2,"b":3})")).text() == R"({"sum":5})");
    tool_call as_object = call_of("sum", "");
    as_object.function.arguments = boost::json::object{{"a", 1}, {"b", 1}};
    CHECK(tools.run(as_object).text() == R"({"sum":2})");
}

TEST_CASE("what goes wrong with a call becomes a tool message for the model") {
    const toolbox tools = two_tools();
    CHECK(tools.run(call_of("get_wether", "{}")).text() == "error: unknown tool get_wether");
    CHECK(tools.run(call_of("sum", R"({"a":"two","b":3})")).text() ==
          "error: invalid arguments for sum: a: expected integer, got string");
    CHECK(tools.run(call_of("sum", R"({"a":1})")).text() ==
          "error: invalid arguments for sum: b: missing");
    CHECK(tools.run(call_of("sum", "{not json"))
              .text()
              .starts_with("error: invalid arguments for sum: not JSON ("));
    CHECK(tools.run(call_of("get_weather", R"({"city":"Atlantis"})")).text() ==
          "error: no weather station in Atlantis");
}

TEST_CASE("an untyped tool takes the JSON object and the schema it is given") {
    toolbox tools;
    const boost::json::object params{{"type", "object"}};
    tools.add("echo", "Echoes its arguments", params,
              [](const boost::json::object& args) { return boost::json::value(args); });
    CHECK(std::get<function_tool>(tools.definitions()[0]).function.parameters == params);
    CHECK(tools.run(call_of("echo", R"({"x":[1]})")).text() == R"({"x":[1]})");
    CHECK_THROWS_AS(tools.add("echo", "again", params,
                              [](const boost::json::object&) { return std::string(); }),
                    usage_error);
}

TEST_CASE("run_tools runs three rounds with parallel calls and returns the final reply") {
    harness h;
    std::vector<std::string> ran;
    const toolbox tools = two_tools(&ran);
    h.mock.enqueue(scripted_response::tool_calls(
        {{"get_weather", R"({"city":"Paris"})"}, {"sum", R"({"a":2,"b":3})"}}));
    h.mock.enqueue(scripted_response::tool_calls({{"get_weather", R"({"city":"Lyon"})"}}));
    h.mock.enqueue(scripted_response::completion("12C in Paris and Lyon; 2+3 = 5."));
    const chat_response final = h.client.run_tools(h.req, tools);
    CHECK(final.text() == "12C in Paris and Lyon; 2+3 = 5.");
    CHECK(ran == std::vector<std::string>{"get_weather Paris", "sum", "get_weather Lyon"});

    // The history: user, assistant (2 calls), 2 tool messages, assistant (1 call), 1 tool
    // message, the final assistant message.
    const auto& m = h.req.messages;
    REQUIRE(m.size() == 7);
    CHECK(std::get<assistant_message>(m[1]).tool_calls->size() == 2);
    CHECK(tool_text(m[2]) == "12C in Paris");
    CHECK(std::get<tool_message>(m[2]).tool_call_id == "call00001");
    CHECK(std::get<tool_message>(m[2]).name == "get_weather");
    CHECK(tool_text(m[3]) == R"({"sum":5})");
    CHECK(std::get<tool_message>(m[3]).tool_call_id == "call00002");
    CHECK(tool_text(m[5]) == "12C in Lyon");
    CHECK(std::get<assistant_message>(m[6]).text() == final.text());

    // Each round sent the history so far, and the tools (set from the toolbox when unset).
    const auto sent = h.mock.requests();
    REQUIRE(sent.size() == 3);
    CHECK(sent[0].json().at("messages").as_array().size() == 1);
    CHECK(sent[1].json().at("messages").as_array().size() == 4);
    CHECK(sent[2].json().at("messages").as_array().size() == 6);
    CHECK(sent[0].json().at("tools").as_array().size() == 2);
    CHECK(sent[2].json().at("messages").as_array()[5].at("role") == "tool");
}

TEST_CASE("every failure kind reaches the model and the loop goes on") {
    harness h;
    h.mock.enqueue(scripted_response::tool_calls({{"get_wether", "{}"},
                                                  {"sum", R"({"a":"x","b":1})"},
                                                  {"get_weather", R"({"city":"Atlantis"})"},
                                                  {"sum", "{"}}));
    h.mock.enqueue(scripted_response::completion("Sorry."));
    CHECK(h.client.run_tools(h.req, two_tools()).text() == "Sorry.");
    const auto& m = h.req.messages;
    REQUIRE(m.size() == 7);
    CHECK(tool_text(m[2]) == "error: unknown tool get_wether");
    CHECK(tool_text(m[3]) == "error: invalid arguments for sum: a: expected integer, got string");
    CHECK(tool_text(m[4]) == "error: no weather station in Atlantis");
    CHECK(tool_text(m[5]).starts_with("error: invalid arguments for sum: not JSON"));
}

TEST_CASE("max_rounds bounds the chat calls; the unanswered reply is not appended") {
    harness h;
    for (int i = 0; i < 3; ++i)
        h.mock.enqueue(scripted_response::tool_calls({{"sum", R"({"a":1,"b":1})"}}));
    try {
        (void)h.client.run_tools(h.req, two_tools(), tool_loop_options{.max_rounds = 2});
        FAIL("no error");
    } catch (const tool_loop_error& e) {
        CHECK(std::string(e.what()).find("2 rounds") != std::string::npos);
        REQUIRE(e.partial_response() != nullptr);
        CHECK(e.partial_response()->choices.at(0).message.tool_calls->size() == 1);
    }
    CHECK(h.mock.requests().size() == 2);
    // user, assistant (call), tool: a history the API accepts, ending with a tool message.
    REQUIRE(h.req.messages.size() == 3);
    CHECK(std::holds_alternative<tool_message>(h.req.messages.back()));
    CHECK_THROWS_AS(h.client.run_tools(h.req, two_tools(), tool_loop_options{.max_rounds = 0}),
                    usage_error);
}

TEST_CASE("errors of a round's call propagate as from chat()") {
    harness h;
    h.mock.enqueue(scripted_response::json(R"({"message":"bad"})", 400));
    CHECK_THROWS_AS(h.client.run_tools(h.req, two_tools()), api_error);
}

TEST_CASE("the streaming run_tools streams every round") {
    harness h;
    auto chunk = [](delta_message delta, std::optional<std::string> finish) {
        return chat_chunk{
            .id = "c",
            .model = "m",
            .choices = {
                {.index = 0, .delta = std::move(delta), .finish_reason = std::move(finish)}}};
    };
    const chat_chunk first =
        chunk({.role = "assistant",
               .tool_calls =
                   std::vector<tool_call_delta>{
                       {.id = "abcDEF123",
                        .type = "function",
                        .function = function_call_delta{.name = "sum", .arguments = R"({"a":4,)"},
                        .index = 0}}},
              std::nullopt);
    const chat_chunk second =
        chunk({.tool_calls =
                   std::vector<tool_call_delta>{
                       {.function = function_call_delta{.arguments = R"("b":5})"}, .index = 0}}},
              "tool_calls");
    h.mock.enqueue(scripted_response::sse({first, second}));
    h.mock.enqueue(scripted_response::sse_text("The sum is 9."));
    std::size_t chunks = 0;
    const chat_response final =
        h.client.run_tools(h.req, two_tools(), [&](const chat_chunk&) { ++chunks; });
    CHECK(final.text() == "The sum is 9.");
    CHECK(chunks > 2);
    REQUIRE(h.req.messages.size() == 4);
    CHECK(tool_text(h.req.messages[2]) == R"({"sum":9})");
    CHECK(h.mock.requests().at(1).json().at("stream") == true);
}

TEST_CASE("run_tools renames a server's foreign tool-call ids so that the next round is sent") {
    // An Ollama-style server makes ids of its own ("call_k3j9x0qa"): the loop appended that
    // history itself, so it renames them (call and result alike) before the next round.
    harness h;
    chat_response asking = from_json<chat_response>(
        testing::scripted_response::tool_calls({{"sum", R"({"a":2,"b":3})"}}).body_pieces.at(0));
    asking.choices[0].message.tool_calls->at(0).id = "call_k3j9x0qa";
    h.mock.enqueue(scripted_response::json(to_json(asking)));
    h.mock.enqueue(scripted_response::completion("5."));
    CHECK(h.client.run_tools(h.req, two_tools()).text() == "5.");
    const auto& m = h.req.messages;
    REQUIRE(m.size() == 4);
    const std::string id = *std::get<assistant_message>(m[1]).tool_calls->at(0).id;
    CHECK(valid_tool_call_id(id));
    CHECK(std::get<tool_message>(m[2]).tool_call_id == id);
    REQUIRE(h.mock.requests().size() == 2);
    CHECK(h.mock.requests()[1].json().at("messages").as_array()[2].at("tool_call_id") ==
          id.c_str());
}

TEST_CASE("a mutable lambda is a tool handler: it may keep state of its own") {
    toolbox tools;
    tools.add("count", "Counts its calls",
              [calls = 0](const sum_args&) mutable { return std::to_string(++calls); });
    CHECK(tools.run(call_of("count", R"({"a":1,"b":2})")).text() == "1");
    CHECK(tools.run(call_of("count", R"({"a":1,"b":2})")).text() == "2");
}
