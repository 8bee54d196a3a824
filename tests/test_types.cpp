// tests/test_types.cpp: the value types: aggregates, designated initializers, helpers, text().
#include <mistral/types.hpp>

#include <optional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

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

// The sum types are classes derived from std::variant (detail/variant_type.hpp), so that their
// special members can be compiled once; what a user does with a std::variant still works.
template <class T, class... Ts>
constexpr bool is_variant_of = std::is_base_of_v<std::variant<Ts...>, T>&&
    std::is_same_v<mistral::detail::variant_base_t<T>, std::variant<Ts...>>;
static_assert(is_variant_of<mistral::message, mistral::system_message, mistral::user_message,
                            mistral::assistant_message, mistral::tool_message>);
static_assert(is_variant_of<mistral::content, std::string, std::vector<mistral::content_chunk>>);
static_assert(std::variant_size_v<mistral::detail::variant_base_t<mistral::content_chunk>> == 8);
static_assert(std::variant_size_v<mistral::detail::variant_base_t<mistral::thinking_part>> == 4);
static_assert(std::variant_size_v<mistral::detail::variant_base_t<mistral::tool>> == 8);
static_assert(std::is_same_v<mistral::detail::variant_base_t<std::optional<int>>, void>);
// A vector of them moves its elements when it grows, as it did with std::variant.
static_assert(std::is_nothrow_move_constructible_v<mistral::message>);
static_assert(std::is_nothrow_move_constructible_v<mistral::content_chunk>);
static_assert(std::is_nothrow_move_constructible_v<mistral::tool>);

TEST_CASE("the sum types work as the std::variant they derive from") {
    mistral::message m = mistral::user("question");
    CHECK(m.index() == 1);
    CHECK(std::holds_alternative<mistral::user_message>(m));
    CHECK(std::get<mistral::user_message>(m).text() == "question");
    CHECK(std::get_if<mistral::system_message>(&m) == nullptr);
    CHECK(std::visit([](const auto& msg) { return msg.text(); }, m) == "question");

    const mistral::message copy = m;  // copy, compare, assign an alternative, move
    CHECK(copy == m);
    m = mistral::assistant("answer");
    CHECK(copy != m);
    CHECK(std::holds_alternative<mistral::assistant_message>(m));
    mistral::message moved = std::move(m);
    CHECK(mistral::text_of(moved) == "answer");
    moved = copy;
    CHECK(moved == copy);

    mistral::content c = "text";
    CHECK(std::get<std::string>(c) == "text");
    c = std::vector<mistral::content_chunk>{
        mistral::text_chunk{.text = "a"},
        mistral::thinking_chunk{.thinking = {mistral::text_chunk{.text = "t"}}}};
    CHECK(mistral::text_of(c) == "a");
    CHECK(mistral::thinking_of(c) == "t");
    CHECK(mistral::content{} == mistral::content{std::string()});  // default: the first alternative

    const mistral::tool t = mistral::make_function_tool("f", "d", {});
    CHECK(std::get<mistral::function_tool>(t).function.name == "f");
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
