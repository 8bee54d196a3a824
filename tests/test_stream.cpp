// tests/test_stream.cpp: stream_accumulator: folding deltas into the response a non-streaming call
// would return.
#include <mistral/impl/chunk_decoder.hpp>  // tested here beside the accumulator it feeds
#include <mistral/json.hpp>
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

tool_call_delta call_piece(std::optional<std::int64_t> index, std::optional<std::string> id,
                           std::optional<std::string> name, std::optional<std::string> arguments) {
    tool_call_delta piece{.id = std::move(id), .index = index};
    if (name || arguments) {
        piece.function.emplace();
        piece.function->name = std::move(name);
        if (arguments) piece.function->arguments = std::move(*arguments);
    }
    return piece;
}

chat_chunk calls_chunk(std::vector<tool_call_delta> pieces, std::int64_t choice = 0,
                       std::optional<std::string> finish = std::nullopt) {
    return delta_chunk({.tool_calls = std::move(pieces)}, choice, std::move(finish));
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

    // OpenAI-compatible servers: the first piece has the id and the name, the others only
    // argument pieces; parallel calls interleave (0, 1, 0, 1).
    stream_accumulator pieces;
    pieces.add(calls_chunk({call_piece(0, "D681PevKs", "get_weather", R"({"ci)")}));
    pieces.add(calls_chunk({call_piece(1, "x7Tq2LmNp", "get_time", R"({)"),
                            call_piece(0, std::nullopt, std::nullopt, R"(ty": "Pa)")}));
    pieces.add(calls_chunk({call_piece(0, std::nullopt, std::nullopt, R"(ris"})")}));
    pieces.add(calls_chunk({call_piece(1, std::nullopt, std::nullopt, R"(})")}, 0, "tool_calls"));
    const auto& merged = *pieces.response().choices[0].message.tool_calls;
    REQUIRE(merged.size() == 2);
    CHECK(merged[0].id == "D681PevKs");
    CHECK(merged[0].function.name == "get_weather");
    CHECK(std::get<std::string>(merged[0].function.arguments) == R"({"city": "Paris"})");
    CHECK(parse_arguments(merged[0].function).at("city") == "Paris");
    CHECK(merged[1].id == "x7Tq2LmNp");
    CHECK(std::get<std::string>(merged[1].function.arguments) == "{}");
    CHECK(pieces.response().choices[0].finish_reason == finish_reason::tool_calls);

    stream_accumulator objects;  // arguments sent as an object replace the pieces
    tool_call_delta as_object{
        .id = "abcDEF123",
        .function = function_call_delta{.name = "f", .arguments = boost::json::object{{"a", 1}}},
        .index = 0};
    objects.add(calls_chunk({as_object}));
    CHECK(std::get<boost::json::object>(
              objects.response().choices[0].message.tool_calls->at(0).function.arguments)
              .at("a") == 1);
}

TEST_CASE("a tool call's first id, type and name win; later ones do not rename it") {
    // vLLM: the name in a piece of its own, then the arguments; a later piece repeating an empty
    // or different name does not change it.
    stream_accumulator acc;
    tool_call_delta first = call_piece(0, "D681PevKs", "get_weather", std::nullopt);
    first.type = "function";
    acc.add(calls_chunk({first}));
    acc.add(calls_chunk({call_piece(0, "", "", R"({"city":)")}));
    tool_call_delta later = call_piece(0, "OTHERid99", "other", R"("Lyon"})");
    later.type = "other";
    acc.add(calls_chunk({later}, 0, "tool_calls"));
    const tool_call& call = acc.response().choices[0].message.tool_calls->at(0);
    CHECK(call.id == "D681PevKs");
    CHECK(call.type == "function");
    CHECK(call.function.name == "get_weather");
    CHECK(std::get<std::string>(call.function.arguments) == R"({"city":"Lyon"})");
    CHECK(call.index == 0);
}

TEST_CASE("tool-call pieces of many parallel calls fold in any interleaving, per choice") {
    // Four calls of two choices (n = 2), each call split into three pieces, the pieces shuffled
    // into many orders that keep each call's own pieces in order.
    struct piece_ref {
        std::int64_t choice;
        std::int64_t call;
        int part;
    };
    std::vector<piece_ref> order;
    for (std::int64_t choice = 0; choice < 2; ++choice)
        for (std::int64_t call = 0; call < 4; ++call)
            for (int part = 0; part < 3; ++part) order.push_back({choice, call, part});
    for (unsigned seed = 0; seed < 50; ++seed) {
        // A deterministic interleaving: repeatedly take the next piece of a pseudo-random call.
        std::vector<std::vector<piece_ref>> queues(8);
        for (const auto& p : order)
            queues[static_cast<std::size_t>(p.choice * 4 + p.call)].push_back(p);
        std::vector<piece_ref> shuffled;
        unsigned state = seed * 2654435761u + 1;
        while (shuffled.size() < order.size()) {
            state = state * 1103515245u + 12345u;
            auto& q = queues[(state >> 16) % queues.size()];
            if (q.empty()) continue;
            shuffled.push_back(q.front());
            q.erase(q.begin());
        }
        stream_accumulator acc;
        for (const auto& p : shuffled) {
            const std::string n = std::to_string(p.choice) + std::to_string(p.call);
            const std::string args[] = {R"({"k":")", n, R"("})"};
            acc.add(calls_chunk(
                {p.part == 0 ? call_piece(p.call, "id0000" + n + "x", "f" + n, args[0])
                             : call_piece(p.call, std::nullopt, std::nullopt, args[p.part])},
                p.choice));
        }
        INFO("seed " << seed);
        const auto& choices = acc.response().choices;
        REQUIRE(choices.size() == 2);
        for (const auto& choice : choices) {
            REQUIRE(choice.message.tool_calls);
            REQUIRE(choice.message.tool_calls->size() == 4);
            for (const tool_call& call : *choice.message.tool_calls) {
                const std::string n = std::to_string(choice.index) + std::to_string(*call.index);
                CHECK(call.id == "id0000" + n + "x");
                CHECK(call.function.name == "f" + n);
                CHECK(parse_arguments(call.function).at("k") == boost::json::value(n));
            }
        }
    }
}

TEST_CASE("a tool-call piece without an index is a call of its own") {
    stream_accumulator acc;
    acc.add(calls_chunk({call_piece(std::nullopt, "aaaaaaaa1", "one", "{}"),
                         call_piece(std::nullopt, "aaaaaaaa2", "two", "{}")}));
    acc.add(calls_chunk({call_piece(std::nullopt, "aaaaaaaa3", "three", "{}")}));
    const auto& calls = *acc.response().choices[0].message.tool_calls;
    REQUIRE(calls.size() == 3);
    CHECK(calls[0].function.name == "one");
    CHECK(calls[2].function.name == "three");
    CHECK_FALSE(calls[2].index);
}

TEST_CASE("a usage-only chunk with no choices folds into usage") {
    stream_accumulator acc;
    acc.add(delta_chunk({.role = "assistant", .content = "Hi"}, 0, "stop"));
    chat_chunk usage_only{.id = "c", .model = "m"};
    usage_only.usage = usage_info{.prompt_tokens = 3, .completion_tokens = 1, .total_tokens = 4};
    CHECK(usage_only.text().empty());
    acc.add(usage_only);
    CHECK(acc.response().usage.total_tokens == 4);
    CHECK(acc.response().text() == "Hi");
    REQUIRE(acc.response().choices.size() == 1);
}

TEST_CASE("string members of deltas that the library does not model concatenate like content") {
    stream_accumulator acc;
    for (const char* piece : {"Let ", "me ", "think."}) {
        chat_chunk c = delta_chunk({.content = "x"});
        c.choices[0].delta.extra["reasoning_content"] = piece;
        c.choices[0].delta.extra["annotations"] = boost::json::array{piece};
        acc.add(c);
    }
    const auto& extra = acc.response().choices[0].message.extra;
    CHECK(extra.at("reasoning_content") == "Let me think.");
    CHECK(extra.at("annotations") == boost::json::array{"think."});  // not a string: replaced
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
    c.choices[0].extra["logprobs"] = boost::json::object{{"content", boost::json::array{}}};
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
        // explicit nulls, as OpenAI-compatible servers send them: all mean "absent"
        R"({"id":"a","model":"m","choices":[{"index":0,"delta":{"role":null,"content":"x"},"finish_reason":null}],"usage":null})",
        R"({"id":"a","model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":null},"finish_reason":"stop"}],"usage":null})",
        R"({"id":"a","object":null,"created":null,"model":"m","choices":[{"index":0,"delta":{"content":"y"}}]})",
        R"({"id":"a","model":"m","choices":[{"index":0,"delta":null}]})",
        R"({"id":"a","model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"a\""}}]}}]})",
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
