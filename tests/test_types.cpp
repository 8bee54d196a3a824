// tests/test_types.cpp: the value types: aggregates, designated initializers, helpers, text().
#include <mistral/types.hpp>

#include <type_traits>

#include "catch.hpp"

namespace probe {
using namespace mistral;
// After `using namespace mistral;` an unqualified system("...") must not silently resolve to
// the C library's ::system: the const char* overload makes the call ambiguous.
template <class T>
concept unqualified_system_call_compiles = requires(T text) {
    system(text);
};
}  // namespace probe

static_assert(!probe::unqualified_system_call_compiles<const char*>);
static_assert(std::is_aggregate_v<mistral::chat_request>);
static_assert(std::is_aggregate_v<mistral::user_message>);
static_assert(std::is_aggregate_v<mistral::chat_response>);
static_assert(std::is_aggregate_v<mistral::function_definition>);

TEST_CASE("chat_request takes designated initializers in the documented order") {
    const mistral::chat_request req{
        .model = "mistral-small-latest",
        .messages = {mistral::system("Be brief."), mistral::user("Capital of France?")},
        .temperature = 0.2,
        .max_tokens = 64,
    };
    CHECK(req.model == "mistral-small-latest");
    REQUIRE(req.messages.size() == 2);
    CHECK(mistral::role_of(req.messages[0]) == "system");
    CHECK(mistral::role_of(req.messages[1]) == "user");
    CHECK(req.temperature == 0.2);
    CHECK(req.max_tokens == 64);
    CHECK_FALSE(req.top_p.has_value());
    CHECK_FALSE(req.stream.has_value());

    const mistral::chat_request every{
        .model = "m",
        .messages = {},
        .temperature = 0.1,
        .top_p = 0.9,
        .max_tokens = 1,
        .stream = false,
        .stop = "END",
        .random_seed = 7,
        .metadata = boost::json::object{{"k", "v"}},
        .response_format = mistral::json_object_format(),
        .tools = std::vector<mistral::tool>{mistral::web_search_tool{}},
        .tool_choice = "any",
        .presence_penalty = 0.0,
        .frequency_penalty = 0.0,
        .n = 1,
        .prediction = mistral::prediction{.content = "x"},
        .parallel_tool_calls = true,
        .reasoning_effort = mistral::reasoning_effort::high,
        .prompt_mode = "reasoning",
        .guardrails = std::vector<mistral::guardrail_config>{{.block_on_error = true}},
        .prompt_cache_key = "k",
        .service_tier = "auto",
        .safe_prompt = false,
    };
    CHECK(every.reasoning_effort == "high");
    CHECK(std::get<std::string>(*every.tool_choice) == "any");
    CHECK(std::get<std::string>(*every.stop) == "END");
}

TEST_CASE("message helpers build each role") {
    const auto s = mistral::system("rules");
    const auto u = mistral::user(std::string("question"));
    const auto a = mistral::assistant("Once upon");
    const auto t = mistral::tool_result("D681PevKs", "18C");
    CHECK(s.text() == "rules");
    CHECK(u.text() == "question");
    CHECK(a.text() == "Once upon");
    CHECK_FALSE(a.prefix.has_value());
    CHECK(t.tool_call_id == "D681PevKs");
    CHECK(t.text() == "18C");
    const mistral::message m = t;
    CHECK(mistral::role_of(m) == "tool");
    CHECK(mistral::text_of(m) == "18C");
}

TEST_CASE("text() concatenates text chunks and leaves thinking out") {
    mistral::assistant_message msg{
        .content = std::vector<mistral::content_chunk>{
            mistral::thinking_chunk{.thinking = {mistral::text_chunk{.text = "let me think"}}},
            mistral::text_chunk{.text = "Hello, "},
            mistral::image_url_chunk{.image_url = "https://example.com/x.png"},
            mistral::text_chunk{.text = "world"},
        }};
    CHECK(msg.text() == "Hello, world");
    CHECK(msg.thinking() == "let me think");

    mistral::delta_message delta{.content = "piece"};
    CHECK(delta.text() == "piece");
    CHECK(delta.thinking().empty());
    CHECK(mistral::delta_message{}.text().empty());
    CHECK(mistral::user_message{}.text().empty());
}

TEST_CASE("open enumerations compare with their named constants and keep unknown values") {
    mistral::chat_choice choice{.finish_reason = "tool_calls"};
    CHECK(choice.finish_reason == mistral::finish_reason::tool_calls);
    CHECK_FALSE(choice.finish_reason == mistral::finish_reason::stop);
    choice.finish_reason = "a_reason_from_the_future";
    CHECK(*choice.finish_reason == "a_reason_from_the_future");
}

TEST_CASE("tool helpers") {
    const auto t =
        mistral::make_function_tool("get_weather", "Weather by city",
                                    {{"type", "object"}, {"properties", boost::json::object{}}});
    CHECK(t.function.name == "get_weather");
    CHECK(t.function.description == "Weather by city");
    CHECK(t.function.parameters.at("type") == "object");
    const auto choice = mistral::force_tool("get_weather");
    CHECK(choice.type == "function");
    CHECK(choice.function.name == "get_weather");
    const mistral::unknown_chunk unknown{.json = {{"type", "hologram"}}};
    CHECK(unknown.type() == "hologram");
    CHECK(mistral::unknown_chunk{}.type().empty());
}
