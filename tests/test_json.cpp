// tests/test_json.cpp: JSON conversions: wire shape, round trips, unknown members, errors with JSON
// paths.
#include <mistral/json.hpp>

#include <cmath>
#include <limits>
#include <string>

#include <boost/json/serialize.hpp>

#include "catch.hpp"
#include "fixtures.hpp"
#include "requests.hpp"

namespace json = boost::json;
using mistral::test::fixture_json;

namespace {

// The JSON without its null members, except those the API requires to be present and the
// library therefore always writes (finish_reason, and the content of user and tool messages):
// what the library reads a null as, "absent".
json::value without_nulls(json::value v) {
    if (auto* obj = v.if_object()) {
        const auto* role = obj->if_contains("role");
        const bool content_required = role != nullptr && (*role == "user" || *role == "tool");
        for (auto it = obj->begin(); it != obj->end();) {
            const bool written =
                it->key() == "finish_reason" || (it->key() == "content" && content_required);
            if (it->value().is_null() && !written) {
                it = obj->erase(it);
            } else {
                it->value() = without_nulls(it->value());
                ++it;
            }
        }
    } else if (auto* arr = v.if_array()) {
        for (auto& item : *arr) item = without_nulls(item);
    }
    return v;
}

template <class T>
void check_round_trip(const json::value& original) {
    const T first = json::value_to<T>(original);
    const json::value once = json::value_from(first);
    // The same members and values as received, unknown ones included; nulls are not kept.
    CHECK(once == without_nulls(original));
    const T second = json::value_to<T>(once);
    CHECK(second == first);
    const std::string text_once = json::serialize(once);
    CHECK(json::serialize(json::value_from(second)) == text_once);  // byte-identical
}

std::string error_of(const std::string& text) {
    try {
        (void)mistral::from_json<mistral::chat_response>(text);
    } catch (const mistral::protocol_error& e) {
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST_CASE("unset optionals are omitted and explicit values are sent as set") {
    mistral::chat_request req{.model = "m", .messages = {mistral::user("hi")}};
    CHECK(json::serialize(json::value_from(req)) ==
          R"({"model":"m","messages":[{"role":"user","content":"hi"}]})");

    req.max_tokens = 0;
    req.safe_prompt = false;
    req.random_seed = 0;
    req.temperature = 0.0;
    const json::object obj = json::value_from(req).as_object();
    CHECK(obj.at("max_tokens") == 0);
    CHECK(obj.at("safe_prompt") == false);
    CHECK(obj.at("random_seed") == 0);
    CHECK(obj.at("temperature") == 0.0);
    CHECK_FALSE(obj.contains("top_p"));
    CHECK_FALSE(obj.contains("stream"));
}

TEST_CASE("required-but-nullable members are sent as null when unset") {
    const mistral::chat_request req{.model = "m",
                                    .messages = {mistral::user_message{}, mistral::tool_message{}}};
    CHECK(
        json::serialize(json::value_from(req)) ==
        R"({"model":"m","messages":[{"role":"user","content":null},{"role":"tool","content":null}]})");
}

TEST_CASE("a request with every field matches the wire fixture both ways") {
    const mistral::chat_request req = mistral::test::request_with_every_field();
    const json::value wire = fixture_json("request_wire.json");
    CHECK(json::value_from(req) == wire);
    CHECK(json::value_to<mistral::chat_request>(wire) == req);
    check_round_trip<mistral::chat_request>(wire);
}

TEST_CASE("string-or-object members keep the form they came in") {
    const auto req = json::value_to<mistral::chat_request>(fixture_json("request_wire.json"));
    const auto& user = std::get<mistral::user_message>(req.messages.at(1));
    const auto& chunks = std::get<std::vector<mistral::content_chunk>>(*user.content);
    const auto& as_string = std::get<mistral::image_url_chunk>(chunks.at(1));
    const auto& as_object = std::get<mistral::image_url_chunk>(chunks.at(2));
    CHECK(std::get<std::string>(as_string.image_url).starts_with("data:image/png;base64,"));
    CHECK(std::get<mistral::image_url>(as_object.image_url).detail == "low");
    const auto& refs = std::get<mistral::reference_chunk>(chunks.at(6)).reference_ids;
    CHECK(std::get<std::int64_t>(refs.at(0)) == 1);
    CHECK(std::get<std::string>(refs.at(1)) == "doc-2");
    CHECK(std::holds_alternative<std::vector<std::string>>(*req.stop));
    CHECK(std::holds_alternative<mistral::named_tool_choice>(*req.tool_choice));

    mistral::chat_request modes{.model = "m", .messages = {}, .stop = "END", .tool_choice = "any"};
    const json::object obj = json::value_from(modes).as_object();
    CHECK(obj.at("stop") == "END");
    CHECK(obj.at("tool_choice") == "any");
}

TEST_CASE("responses and stream chunks round-trip as the live API sends them") {
    const std::string name = GENERATE(as<std::string>{}, "response_basic.json",
                                      "response_tool_calls.json", "response_arguments_object.json",
                                      "response_reasoning.json", "response_unknown_fields.json");
    INFO(name);
    check_round_trip<mistral::chat_response>(fixture_json(name));
}

TEST_CASE("stream chunks round-trip") {
    const std::string name =
        GENERATE(as<std::string>{}, "chunk_first.json", "chunk_content.json", "chunk_last.json",
                 "chunk_tool_calls.json", "chunk_reasoning.json", "chunk_no_optional.json");
    INFO(name);
    check_round_trip<mistral::chat_chunk>(fixture_json(name));
}

TEST_CASE("the last content chunk carries finish_reason and usage") {
    const auto chunk = json::value_to<mistral::chat_chunk>(fixture_json("chunk_last.json"));
    REQUIRE(chunk.choices.size() == 1);
    CHECK(chunk.choices[0].finish_reason == mistral::finish_reason::stop);
    REQUIRE(chunk.usage.has_value());
    CHECK(chunk.usage->total_tokens == 21);
    const auto first = json::value_to<mistral::chat_chunk>(fixture_json("chunk_first.json"));
    CHECK(first.choices[0].delta.role == "assistant");
    CHECK_FALSE(first.choices[0].finish_reason.has_value());
    CHECK_FALSE(first.usage.has_value());
}

TEST_CASE("reasoning content is a chunk list with thinking") {
    const auto r = json::value_to<mistral::chat_response>(fixture_json("response_reasoning.json"));
    const auto& msg = r.choices.at(0).message;
    CHECK(msg.text() == "2 + 2 = 4.");
    CHECK(msg.thinking() == "The user asks for 2+2. That is 4.");
    CHECK(r.usage.completion_tokens_details->reasoning_tokens == 31);
    CHECK(r.usage.prompt_tokens_details->cached_tokens == 0);
    const auto chunk = json::value_to<mistral::chat_chunk>(fixture_json("chunk_reasoning.json"));
    CHECK(chunk.choices.at(0).delta.thinking() == "Let me think");
    CHECK(chunk.choices.at(0).delta.text().empty());
}

TEST_CASE("unknown members, chunk types and enum values are kept") {
    const auto r =
        json::value_to<mistral::chat_response>(fixture_json("response_unknown_fields.json"));
    CHECK(r.extra.contains("guardrails"));
    CHECK_FALSE(r.extra.contains("system_fingerprint"));  // null: nothing to keep
    const auto& choice = r.choices.at(0);
    CHECK(choice.finish_reason == "brand_new_reason");
    CHECK(choice.extra.at("stop_reason") == "eos");
    CHECK_FALSE(choice.extra.contains("logprobs"));
    CHECK(choice.message.extra.contains("annotations"));
    const auto& chunks = std::get<std::vector<mistral::content_chunk>>(*choice.message.content);
    const auto& unknown = std::get<mistral::unknown_chunk>(chunks.at(1));
    CHECK(unknown.type() == "hologram");
    CHECK(unknown.json.at("fps") == 24);
    CHECK(choice.message.text() == "See the chart.");
    CHECK(r.usage.prompt_tokens_details->cached_tokens == 4032);
    CHECK(r.usage.prompt_tokens_details->extra.contains("cache_write_tokens"));
    CHECK(r.usage.extra.at("num_cached_tokens") == 4032);
    CHECK(r.usage.service_tier == "standard");
    CHECK_FALSE(r.usage.prompt_audio_seconds.has_value());  // null: unset
    CHECK(r.usage.extra.empty() == false);
    CHECK_FALSE(r.usage.extra.contains("prompt_audio_seconds"));
}

TEST_CASE("unknown tool types are kept and a tool without a type is a function") {
    const auto tools = json::value_to<std::vector<mistral::tool>>(json::parse(
        R"([{"type":"quantum_search","depth":3},{"function":{"name":"f","parameters":{}}}])"));
    REQUIRE(tools.size() == 2);
    CHECK(std::get<mistral::unknown_tool>(tools[0]).json.at("depth") == 3);
    CHECK(std::get<mistral::function_tool>(tools[1]).function.name == "f");
    CHECK(json::value_from(tools[0]) == json::parse(R"({"type":"quantum_search","depth":3})"));
}

TEST_CASE("function.arguments is accepted as a string or an object") {
    const auto as_string =
        json::value_to<mistral::chat_response>(fixture_json("response_tool_calls.json"));
    const auto& call = as_string.choices.at(0).message.tool_calls->at(0);
    CHECK(std::holds_alternative<std::string>(call.function.arguments));
    CHECK(mistral::parse_arguments(call.function).at("city") == "Paris");

    const auto as_object =
        json::value_to<mistral::chat_response>(fixture_json("response_arguments_object.json"));
    const auto& call2 = as_object.choices.at(0).message.tool_calls->at(0);
    CHECK(std::holds_alternative<json::object>(call2.function.arguments));
    CHECK(mistral::parse_arguments(call2.function).at("limit") == 3);

    mistral::function_call broken{.name = "f", .arguments = "not json"};
    CHECK_THROWS_AS(mistral::parse_arguments(broken), mistral::protocol_error);
    CHECK(mistral::parse_arguments(mistral::function_call{.name = "f"}).empty());
}

TEST_CASE("a wrongly typed or missing value is an error naming its JSON path") {
    using Catch::Matchers::Equals;
    const std::string head = R"({"id":"x","object":"chat.completion","created":1,"model":"m",)";
    const std::string usage =
        R"("usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2})";
    CHECK_THAT(
        error_of(
            head +
            R"("choices":[{"index":0,"message":{"role":"assistant","tool_calls":[{"function":{"name":"a","arguments":""}},{"function":{"name":7,"arguments":""}}]},"finish_reason":"stop"}],)" +
            usage + "}"),
        Equals("choices[0].message.tool_calls[1].function.name: expected string, got integer"));
    CHECK_THAT(error_of(head + R"("choices":[{"message":{}}],)" + usage + "}"),
               Equals("choices[0].index: missing"));
    CHECK_THAT(error_of(head + R"("choices":{},)" + usage + "}"),
               Equals("choices: expected array, got object"));
    CHECK_THAT(
        error_of(
            head +
            R"("choices":[],"usage":{"prompt_tokens":1.5,"completion_tokens":1,"total_tokens":2}})"),
        Equals("usage.prompt_tokens: expected integer, got number"));
    CHECK_THAT(error_of(head + R"("choices":[{"index":0,"message":{"content":5}}],)" + usage + "}"),
               Equals("choices[0].message.content: expected string or array, got integer"));
    CHECK_THAT(error_of(R"([1,2])"), Equals("JSON: expected object, got array"));
    CHECK_THAT(error_of(R"({"id":)"), Catch::Matchers::StartsWith("malformed JSON"));
    CHECK_THAT(error_of(head + R"("choices":[{"index":18446744073709551615}],)" + usage + "}"),
               Equals("choices[0].index: integer 18446744073709551615 out of range "
                      "[-9223372036854775808, 9223372036854775807]"));

    try {
        (void)json::value_to<mistral::chat_request>(json::parse(
            R"({"model":"m","messages":[{"role":"user","content":"a"},{"role":"developer","content":"b"}]})"));
        FAIL("no error");
    } catch (const mistral::protocol_error& e) {
        CHECK_THAT(std::string(e.what()), Equals("messages[1].role: unknown value \"developer\""));
        CHECK(e.path() == "messages[1].role");
    }
    CHECK_THROWS_WITH(json::value_to<mistral::message>(json::parse(R"({"content":"b"})")),
                      "role: missing");
}

// Whether the JSON holds a null member anywhere, except the ones the API requires.
bool has_stray_null(const json::value& v) {
    return without_nulls(v) != v;
}

TEST_CASE("a null means absent: never kept in extra, never written back") {
    const std::string name =
        GENERATE(as<std::string>{}, "chunk_nulls.json", "chunk_nulls_last.json");
    INFO(name);
    const json::value original = fixture_json(name);
    const auto chunk = json::value_to<mistral::chat_chunk>(original);
    CHECK(chunk == json::value_to<mistral::chat_chunk>(without_nulls(original)));
    CHECK(chunk.extra.empty());
    for (const auto& c : chunk.choices) {
        CHECK(c.extra.empty());
        CHECK(c.delta.extra.empty());
    }
    CHECK_FALSE(has_stray_null(json::value_from(chunk)));
}

TEST_CASE("a response with nulls in every nullable place reads as the same response without") {
    const json::value original = fixture_json("response_nulls.json");
    const auto r = json::value_to<mistral::chat_response>(original);
    CHECK(r == json::value_to<mistral::chat_response>(without_nulls(original)));
    CHECK(r.extra.empty());
    CHECK(r.choices.at(0).extra.empty());
    CHECK_FALSE(r.usage.prompt_tokens_details);
    CHECK_FALSE(r.usage.service_tier);
    CHECK(r.usage.extra.empty());
    // The message goes back as the API accepts it, nothing else.
    CHECK(json::serialize(json::value_from(mistral::message(r.choices.at(0).message))) ==
          R"({"role":"assistant","content":"Hello world"})");
    CHECK(r.text() == "Hello world");
    // A null in a required member is an error like a missing one.
    CHECK_THAT(
        error_of(
            R"({"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{"index":null}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}})"),
        Catch::Matchers::Equals("choices[0].index: expected integer, got null"));
}

TEST_CASE("extra never overrides a member the library models") {
    mistral::chat_request req{.model = "m", .messages = {mistral::user("hi")}, .temperature = 0.2};
    req.extra["temperature"] = 1.4;  // modelled: ignored
    req.extra["model"] = "other";    // modelled: ignored
    req.extra["top_k"] = 5;          // unknown to this version: sent as it is
    mistral::assistant_message a = mistral::assistant("x");
    a.extra["role"] = "user";  // the discriminator is modelled too
    a.extra["content"] = nullptr;
    req.messages.push_back(a);
    CHECK(
        json::serialize(json::value_from(req)) ==
        R"({"model":"m","messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"x"}],"temperature":2E-1,"top_k":5})");
}

TEST_CASE("stream deltas carry partial tool calls; responses require whole ones") {
    const auto chunk = mistral::from_json<mistral::chat_chunk>(
        R"({"id":"c","model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"ci"}},{"index":1,"id":"abcdefghi","type":"function","function":{"name":"f"}},{"index":2}]}}]})");
    const auto& calls = *chunk.choices.at(0).delta.tool_calls;
    REQUIRE(calls.size() == 3);
    CHECK_FALSE(calls[0].id);
    CHECK_FALSE(calls[0].function->name);
    CHECK(std::get<std::string>(*calls[0].function->arguments) == R"({"ci)");
    CHECK(calls[1].function->name == "f");
    CHECK_FALSE(calls[1].function->arguments);
    CHECK_FALSE(calls[2].function);
    check_round_trip<mistral::chat_chunk>(json::value_from(chunk));

    const std::string head = R"({"id":"x","object":"chat.completion","created":1,"model":"m",)";
    const std::string usage =
        R"("usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2})";
    CHECK_THAT(
        error_of(
            head +
            R"("choices":[{"index":0,"message":{"tool_calls":[{"id":"abcdefghi","function":{"arguments":"{}"}}]},"finish_reason":"tool_calls"}],)" +
            usage + "}"),
        Catch::Matchers::Equals("choices[0].message.tool_calls[0].function.name: missing"));
    CHECK_THAT(
        error_of(
            head +
            R"("choices":[{"index":0,"message":{"tool_calls":[{"id":"abcdefghi","function":{"name":"f"}}]},"finish_reason":"tool_calls"}],)" +
            usage + "}"),
        Catch::Matchers::Equals("choices[0].message.tool_calls[0].function.arguments: missing"));
}

TEST_CASE("request bodies written without a JSON tree are byte-identical to Boost.JSON's") {
    std::string every_byte;
    for (int c = 1; c < 128; ++c) every_byte += static_cast<char>(c);
    every_byte += "\xC3\xA9 \xE2\x9C\xA8 \xF0\x9F\x8E\x89 \"quoted\" back\\slash";
    mistral::chat_request odd{
        .model = every_byte,
        .messages = {mistral::user(every_byte), mistral::tool_message{}},
        .temperature = 0.1,
        .top_p = 1e-300,
        .max_tokens = -9223372036854775807 - 1,
        .metadata = json::object{{every_byte, json::array{1.5, nullptr, true}}}};
    odd.extra[every_byte] = every_byte;
    for (const auto& req :
         {mistral::test::request_with_every_field(), odd, mistral::chat_request{.model = "m"}}) {
        const std::string expected = mistral::to_json(req);
        CHECK(mistral::detail::sendable_json(req) == expected);
        // An override replaces a member in place, or comes after the others.
        json::value with_stream = json::value_from(req);
        with_stream.as_object().insert_or_assign("stream", true);
        CHECK(mistral::detail::sendable_json(req, {{"stream", true}}) ==
              json::serialize(with_stream));
    }
}

TEST_CASE("escapes and invalid UTF-8 are found at every offset of the eight-byte scans") {
    // The writer and the UTF-8 check skip plain text eight bytes at a time: every byte that needs
    // an escape, and every invalid sequence, is placed at each offset around two word boundaries.
    const std::string specials[] = {"\"",   "\\",   "\n",       "\x01",
                                    "\x1F", "\x7F", "\xC3\xA9", "\xF0\x9F\x8E\x89"};
    for (std::size_t at = 0; at < 20; ++at) {
        for (const std::string& special : specials) {
            const std::string text = std::string(at, 'a') + special + std::string(19 - at, 'b');
            const mistral::chat_request req{.model = "m", .messages = {mistral::user(text)}};
            CHECK(mistral::detail::sendable_json(req) == mistral::to_json(req));
        }
        for (const std::string bad : {"\xFF", "\xC3(", "\xE2\x82", "\xED\xA0\x80"}) {
            const std::string text = std::string(at, 'a') + bad + std::string(19 - at, 'b');
            CHECK(mistral::detail::invalid_utf8_at(text) == at);
        }
        CHECK(mistral::detail::invalid_utf8_at(std::string(at, 'a')) == std::string_view::npos);
    }
}

TEST_CASE("what cannot be sent is refused with its JSON path, wherever it is") {
    auto refusal = [](const mistral::chat_request& req) {
        try {
            (void)mistral::detail::sendable_json(req);
        } catch (const mistral::usage_error& e) {
            return std::string(e.what());
        }
        return std::string("sent");
    };
    mistral::chat_request req{.model = "m",
                              .messages = {mistral::user("ok"), mistral::user("a\xFF")}};
    CHECK(refusal(req) == "cannot send the request: messages[1].content: invalid UTF-8 at byte 1");
    req.messages = {mistral::user("ok")};
    req.metadata = json::object{{"k", json::array{1, std::nan("")}}};
    CHECK(refusal(req) == "cannot send the request: metadata.k[1]: not a finite number");
    req.metadata = json::object{{"bad\xC0key", 1}};
    CHECK(refusal(req).find("metadata: invalid UTF-8 at byte 3 of the key") != std::string::npos);
    req.metadata.reset();
    req.frequency_penalty = std::numeric_limits<double>::infinity();
    CHECK(refusal(req) == "cannot send the request: frequency_penalty: not a finite number");
}

TEST_CASE("decoding into a reused object leaves nothing stale") {
    mistral::chat_chunk reused;
    mistral::read_json(fixture_json("chunk_last.json"), reused);
    CHECK(reused.usage.has_value());
    mistral::read_json(fixture_json("chunk_first.json"), reused);
    CHECK(reused == json::value_to<mistral::chat_chunk>(fixture_json("chunk_first.json")));
    mistral::read_json(fixture_json("chunk_tool_calls.json"), reused);
    mistral::read_json(fixture_json("chunk_no_optional.json"), reused);
    CHECK(reused == json::value_to<mistral::chat_chunk>(fixture_json("chunk_no_optional.json")));
}

TEST_CASE("every known error body shape parses") {
    using mistral::test::read_fixture;
    auto parse = [](const std::string& name) {
        return mistral::parse_error_body(read_fixture("errors/" + name));
    };
    const auto rate = parse("429_rate_limited.json");
    CHECK(rate.message == "Rate limit exceeded");
    CHECK(rate.type == "rate_limited");
    CHECK(rate.code == "1300");
    CHECK(rate.param.empty());
    CHECK(rate.raw_status_code == 429);

    CHECK(parse("429_gateway.json").message == "Requests rate limit exceeded");

    const auto nested = parse("422_nested_detail.json");
    REQUIRE(nested.validation_issues.size() == 1);
    CHECK(nested.validation_issues[0].location == "body.max_completion_tokens");
    CHECK(nested.validation_issues[0].message == "Extra inputs are not permitted");
    CHECK(nested.validation_issues[0].type == "extra_forbidden");
    CHECK(nested.message == "body.max_completion_tokens: Extra inputs are not permitted");
    CHECK(nested.type == "invalid_request_error");
    CHECK(nested.code.empty());

    const auto list = parse("422_detail_list.json");
    REQUIRE(list.validation_issues.size() == 2);
    CHECK(list.validation_issues[1].location == "body.temperature");
    CHECK(
        list.message ==
        "body.model: Field required; body.temperature: Input should be less than or equal to 1.5");

    CHECK(parse("401_detail_string.json").message == "Unauthorized");
    const auto gateway = parse("401_gateway.json");
    CHECK(gateway.message == "Unauthorized");
    CHECK(gateway.request_id == "c61f2f15d0a4b3e2");
    const auto tier = parse("403_tier.json");
    CHECK(tier.code == "1910");
    CHECK(tier.raw_status_code == 403);
    CHECK(parse("404_not_found.json").message == "Not Found");
    const auto order = parse("400_message_order.json");
    CHECK(order.type == "invalid_request_message_order");
    CHECK(order.code == "3230");
    const auto html = parse("502_html.html");
    CHECK(html.message.empty());
    CHECK(html.type.empty());
    CHECK(parse("503_empty.txt").message.empty());
    const auto openai = parse("503_openai_style.json");
    CHECK(openai.message == "upstream overloaded");
    CHECK(openai.code == "503");
}

TEST_CASE("api_error formats every shape into a readable message") {
    using mistral::test::read_fixture;
    auto make = [](int status, const std::string& name, mistral::http_headers headers = {}) {
        const std::string body = read_fixture("errors/" + name);
        return mistral::api_error(mistral::make_response_metadata(status, std::move(headers)), body,
                                  mistral::parse_error_body(body));
    };
    const auto rate = make(429, "429_rate_limited.json", {{"x-request-id", "req-1"}});
    CHECK(
        std::string(rate.what()) ==
        "Mistral API error 429 (rate_limited, code 1300): Rate limit exceeded [request id req-1]");
    CHECK(rate.retryable());
    CHECK(rate.request_id() == "req-1");
    const auto gateway = make(401, "401_gateway.json");
    CHECK(gateway.request_id() == "c61f2f15d0a4b3e2");
    CHECK_FALSE(gateway.retryable());
    const auto html = make(502, "502_html.html");
    CHECK_THAT(std::string(html.what()),
               Catch::Matchers::StartsWith("Mistral API error 502: unrecognised body: <html>"));
    CHECK(html.retryable());
    CHECK(std::string(make(503, "503_empty.txt").what()) == "Mistral API error 503: empty body");
}
