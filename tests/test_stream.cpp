// stream_accumulator: folding deltas into the response a non-streaming call would return.
#include <mistral/stream.hpp>

#include <boost/json/parse.hpp>

#include "catch.hpp"
#include "fixtures.hpp"

using namespace mistral;

namespace {

chat_chunk delta_chunk(delta_message delta, std::int64_t index = 0,
                       std::optional<std::string> finish = std::nullopt) {
    return chat_chunk{
        .id = "c",
        .object = "chat.completion.chunk",
        .created = 7,
        .model = "m",
        .choices = {
            {.index = index, .delta = std::move(delta), .finish_reason = std::move(finish)}}};
}

tool_call call_piece(std::int64_t index, std::optional<std::string> id, std::string name,
                     std::string arguments) {
    return {.id = std::move(id),
            .function = {.name = std::move(name), .arguments = std::move(arguments)},
            .index = index};
}

}  // namespace

TEST_CASE("text deltas fold into one message with the last finish_reason and usage") {
    stream_accumulator acc;
    for (const char* name : {"chunk_first.json", "chunk_content.json", "chunk_last.json"}) {
        acc.add(boost::json::value_to<chat_chunk>(test::fixture_json(name)));
    }
    const chat_response& r = acc.response();
    CHECK(r.id == "cmpl-9d2c");
    CHECK(r.object == "chat.completion");
    CHECK(r.model == "mistral-small-latest");
    CHECK(r.created == 1702256327);
    REQUIRE(r.choices.size() == 1);
    CHECK(r.choices[0].message.text() == " Paris, the city of lights ✨ 巴黎.");
    CHECK(r.choices[0].finish_reason == finish_reason::stop);
    CHECK(r.usage.total_tokens == 21);
    CHECK(acc.chunk_count() == 3);
    const chat_response taken = acc.take();
    CHECK(acc.chunk_count() == 0);
    CHECK(acc.response().choices.empty());
    CHECK(taken.usage.total_tokens == 21);
}

TEST_CASE("tool calls merge by index whether they arrive whole or in pieces") {
    stream_accumulator whole;
    whole.add(boost::json::value_to<chat_chunk>(test::fixture_json("chunk_tool_calls.json")));
    const auto& calls = *whole.response().choices[0].message.tool_calls;
    REQUIRE(calls.size() == 2);
    CHECK(calls[0].function.name == "get_weather");
    CHECK(calls[1].function.name == "get_time");

    stream_accumulator pieces;
    pieces.add(delta_chunk(
        {.tool_calls = std::vector<tool_call>{call_piece(0, "D681PevKs", "get_", R"({"ci)")}}));
    pieces.add(delta_chunk({.tool_calls = std::vector<tool_call>{
                                call_piece(1, "x7Tq2LmNp", "get_time", R"({)"),
                                call_piece(0, std::nullopt, "weather", R"(ty": "Pa)")}}));
    pieces.add(delta_chunk(
        {.tool_calls = std::vector<tool_call>{call_piece(0, std::nullopt, "", R"(ris"})"),
                                              call_piece(1, std::nullopt, "", R"(})")}},
        0, "tool_calls"));
    const auto& merged = *pieces.response().choices[0].message.tool_calls;
    REQUIRE(merged.size() == 2);
    CHECK(merged[0].id == "D681PevKs");
    CHECK(merged[0].function.name == "get_weather");
    CHECK(std::get<std::string>(merged[0].function.arguments) == R"({"city": "Paris"})");
    CHECK(parse_arguments(merged[0].function).at("city") == "Paris");
    CHECK(std::get<std::string>(merged[1].function.arguments) == "{}");
    CHECK(pieces.response().choices[0].finish_reason == finish_reason::tool_calls);

    stream_accumulator objects;  // arguments sent as an object replace the pieces
    tool_call as_object{.id = "abcDEF123",
                        .function = {.name = "f", .arguments = boost::json::object{{"a", 1}}},
                        .index = 0};
    objects.add(delta_chunk({.tool_calls = std::vector<tool_call>{as_object}}));
    CHECK(std::get<boost::json::object>(
              objects.response().choices[0].message.tool_calls->at(0).function.arguments)
              .at("a") == 1);
}

TEST_CASE("thinking and text chunk lists fold into a reasoning message") {
    auto thinking = [](std::string text) {
        return delta_message{.content = std::vector<content_chunk>{thinking_chunk{
                                 .thinking = {text_chunk{.text = std::move(text)}}}}};
    };
    auto text = [](std::string t) {
        return delta_message{.content =
                                 std::vector<content_chunk>{text_chunk{.text = std::move(t)}}};
    };
    stream_accumulator acc;
    acc.add(delta_chunk({.role = "assistant", .content = ""}));
    acc.add(delta_chunk(thinking("The user ")));
    acc.add(delta_chunk(thinking("wants 4.")));
    acc.add(delta_chunk(text("2 + 2 ")));
    acc.add(delta_chunk({.content = "= 4."}));
    const auto& msg = acc.response().choices[0].message;
    CHECK(msg.thinking() == "The user wants 4.");
    CHECK(msg.text() == "2 + 2 = 4.");
    const auto& list = std::get<std::vector<content_chunk>>(*msg.content);
    CHECK(list.size() == 2);  // one thinking chunk, one text chunk
    CHECK(std::get<thinking_chunk>(list[0]).thinking.size() == 1);
}

TEST_CASE("several choices fold separately by index") {
    stream_accumulator acc;
    acc.add(delta_chunk({.content = "A1"}, 0));
    acc.add(delta_chunk({.content = "B1"}, 1));
    acc.add(delta_chunk({.content = " A2"}, 0, "stop"));
    acc.add(delta_chunk({.content = " B2"}, 1, "length"));
    const auto& choices = acc.response().choices;
    REQUIRE(choices.size() == 2);
    CHECK(choices[0].message.text() == "A1 A2");
    CHECK(choices[1].message.text() == "B1 B2");
    CHECK(choices[1].finish_reason == finish_reason::length);
}

TEST_CASE("unknown members of chunks and deltas are kept in the folded response") {
    chat_chunk c = delta_chunk({.content = "x"});
    c.extra["system_fingerprint"] = "fp";
    c.choices[0].extra["logprobs"] = nullptr;
    c.choices[0].delta.extra["annotations"] = boost::json::array{};
    stream_accumulator acc;
    acc.add(c);
    CHECK(acc.response().extra.at("system_fingerprint") == "fp");
    CHECK(acc.response().choices[0].extra.contains("logprobs"));
    CHECK(acc.response().choices[0].message.extra.contains("annotations"));
}

TEST_CASE("the chunk decoder's fast path gives what the tree decoder gives, for any chunk") {
    const std::vector<std::string> inputs = {
        test::read_fixture("chunk_first.json"),
        test::read_fixture("chunk_content.json"),
        test::read_fixture("chunk_last.json"),
        test::read_fixture("chunk_tool_calls.json"),
        test::read_fixture("chunk_reasoning.json"),
        test::read_fixture("chunk_no_optional.json"),
        // variations around the fast path's edges
        R"({"id":"a","model":"m","choices":[]})",
        R"({"id":"a","model":"m","choices":[{"index":0,"delta":{}},{"index":1,"delta":{"content":"b"},"finish_reason":"stop"}]})",
        R"({"id":"a","model":"m","choices":[{"index":0,"delta":{"content":null}}]})",
        R"({"id":"a","model":"m","choices":[{"index":0,"delta":{"content":"x"},"finish_reason":null,"logprobs":null}]})",
        R"({"id":"a","model":"m","choices":[{"index":0,"delta":{"content":"x"}}],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3,"prompt_tokens_details":{"cached_tokens":0}}})",
        R"({"id":"a","model":"m","choices":[{"index":0,"delta":{"content":"x"}}],"usage":{"prompt_tokens":1,"completion_tokens":2}})",
        R"({"id":"a","model":"m","choices":[{"index":18446744073709551615,"delta":{}}]})",
        R"({"id":"a","id":"b","model":"m","choices":[]})",
        R"({"i\u0064":"esc\"aped \u00e9 \ud83c\udf89","model":"m","choices":[{"index":0,"delta":{"content":"line\nbreak"}}]})",
        R"({"id":"a","model":"m","created":1.5,"choices":[]})",
        R"({"id":"a","model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":[{"type":"text","text":"t"}]}}]})",
        R"({"id":"a","model":"m","object":"chat.completion.chunk","created":-5,"choices":{}})",
        R"({"model":"m","choices":[]})",
        R"({"id":"a","model":"m","choices":[{"delta":{}}]})",
        R"({"id":"a","model":"m","choices":[{"index":0,"delta":{"content":"x"}}]} )",
        R"([{"id":"a"}])",
        R"({"id":"a","model":"m","choices":[{"index":0,"delta":{"content":"x"}}]}{})",
        R"({"id":7,"model":"m","choices":[]})",
    };
    // One decoder for all of them, in every order: nothing may leak from one chunk to the next.
    detail::chunk_decoder<> decoder;
    for (int round = 0; round < 2; ++round) {
        for (std::size_t k = 0; k < inputs.size(); ++k) {
            const std::string& input = round == 0 ? inputs[k] : inputs[inputs.size() - 1 - k];
            INFO(input);
            std::string tree_error;
            chat_chunk expected;
            try {
                expected = from_json<chat_chunk>(input);
            } catch (const protocol_error& e) {
                tree_error = e.what();
            }
            std::string fast_error;
            try {
                const auto result = decoder.decode("message", input);
                CHECK(result == detail::chunk_decoder<>::result::chunk);
            } catch (const protocol_error& e) {
                fast_error = e.what();
            }
            CHECK(fast_error.empty() == tree_error.empty());
            if (tree_error.empty() && fast_error.empty()) CHECK(decoder.chunk() == expected);
        }
    }
}
