// tests/test_resume.cpp: call_options::max_resumes: a stream cut after text arrived is re-asked
// with that text as an assistant prefix and continued, each character delivered once, whether the
// continuation repeats the prefix or not; what is not resumed fails as before.
#include <mistral/detail/prefix_repeat.hpp>
#include <mistral/mistral.hpp>
#include <mistral/testing.hpp>

#include <string>
#include <vector>

#include "catch.hpp"
#include "support/expect_error.hpp"
#include "support/fake_server.hpp"
#include "support/loopback.hpp"

using namespace mistral;
using namespace mistral::test;
using testing::mock_transport;
using testing::scripted_response;

namespace {

call_options resumable(int resumes = 1) {
    call_options call;
    call.max_resumes = resumes;
    return call;
}

chat_chunk text_chunk_of(std::string text, std::optional<std::string> finish = std::nullopt) {
    return {
        .id = "c",
        .object = "chat.completion.chunk",
        .model = "m",
        .choices = {{.index = 0, .delta = {.content = std::move(text)}, .finish_reason = finish}}};
}

// A stream of these text pieces, the last one finishing, then [DONE] unless `cut`.
scripted_response text_stream(const std::vector<std::string>& pieces, bool cut = false) {
    std::vector<chat_chunk> chunks;
    for (const auto& p : pieces) chunks.push_back(text_chunk_of(p));
    if (!cut) chunks.back().choices[0].finish_reason = "stop";
    return scripted_response::sse(chunks, !cut);
}

// The last message of a recorded request, which a resume makes the prefix.
boost::json::object last_message(const testing::recorded_request& r) {
    return r.json().at("messages").as_array().back().as_object();
}

}  // namespace

TEST_CASE("prefix_repeat: held while it matches, dropped once whole, released when it differs") {
    using detail::prefix_repeat;
    {
        prefix_repeat p("Hello world");
        CHECK(p.filter("Hel", false).empty());
        CHECK(p.filter("lo wor", false).empty());
        CHECK(p.filter("ld, and more", false) == ", and more");  // crosses the end: trimmed
        CHECK(p.settled());
        CHECK(p.filter("Hello", false) == "Hello");  // after that, text is the reply's own
    }
    {
        prefix_repeat p("Hello world");
        CHECK(p.filter("Hello", false).empty());
        CHECK(p.filter(" there", false) == "Hello there");  // it differed: released as it is
    }
    {
        prefix_repeat p("Hello world");
        CHECK(p.filter(", and more", false) == ", and more");  // no repeat at all
    }
    {
        prefix_repeat p("Hello world");
        CHECK(p.filter("Hello", true) == "Hello");  // the reply ended while it matched
        prefix_repeat q("Hello world");
        CHECK(q.filter("Hel", false).empty());
        CHECK(q.release() == "Hel");
    }
}

TEST_CASE("resume: a mock stream reset mid-text is continued, with and without the repeat") {
    for (const bool echo : {false, true}) {
        mock_transport mock;
        basic_client<mock_transport> client({.api_key = "k"}, mock);
        scripted_response first = text_stream({"Hello", " wor"}, true);
        first.fail_after_body = transport_error_kind::reset;
        mock.enqueue(first);
        mock.enqueue(echo ? text_stream({"Hel", "lo w", "orld", ", and more."})
                          : text_stream({"ld", ", and more."}));
        std::string seen;
        const chat_response r = client.stream(
            {.model = "m", .messages = {user("hi")}},
            [&](const chat_chunk& chunk) { seen += chunk.text(); }, resumable());
        CHECK(seen == "Hello world, and more.");
        CHECK(r.text() == "Hello world, and more.");
        CHECK(r.http.resumes == 1);
        CHECK(r.http.attempts == 2);
        REQUIRE(mock.requests().size() == 2);
        const auto prefix = last_message(mock.requests()[1]);
        CHECK(prefix.at("role") == "assistant");
        CHECK(prefix.at("content") == "Hello wor");
        CHECK(prefix.at("prefix") == true);
        CHECK(mock.requests()[1].json().at("messages").as_array().size() == 2);
        CHECK(client.usage().requests == 2);
    }
}

TEST_CASE("resume: a continuation that only repeats part of the prefix is the reply's own text") {
    mock_transport mock;
    basic_client<mock_transport> client({.api_key = "k"}, mock);
    mock.enqueue(text_stream({"Hello", " world"}, true));  // ends without [DONE]
    mock.enqueue(text_stream({"Hello"}));                  // "Hello", finish: not the repeat
    const chat_response r = client.stream(
        {.model = "m", .messages = {user("hi")}}, [](const chat_chunk&) {}, resumable());
    CHECK(r.text() == "Hello worldHello");
}

TEST_CASE("resume: what is not resumed fails as before") {
    SECTION("max_resumes 0") {
        mock_transport mock;
        basic_client<mock_transport> client({.api_key = "k"}, mock);
        mock.enqueue(text_stream({"Hello", " wor"}, true));
        const auto e = expect_error<protocol_error>([&] {
            client.stream({.model = "m", .messages = {user("hi")}}, [](const chat_chunk&) {});
        });
        REQUIRE(e.partial_response() != nullptr);
        CHECK(e.partial_response()->text() == "Hello wor");
        CHECK(mock.requests().size() == 1);
    }
    SECTION("a stream cut inside a tool call") {
        mock_transport mock;
        basic_client<mock_transport> client({.api_key = "k"}, mock);
        chat_chunk call = text_chunk_of("");
        call.choices[0].delta.tool_calls = std::vector<tool_call_delta>{
            {.id = "abcdefghi",
             .function = function_call_delta{.name = "f", .arguments = "{\"a\""},
             .index = 0}};
        mock.enqueue(scripted_response::sse({text_chunk_of("Let me look."), call}, false));
        const auto e = expect_error<protocol_error>([&] {
            client.stream(
                {.model = "m", .messages = {user("hi")}}, [](const chat_chunk&) {}, resumable());
        });
        REQUIRE(e.partial_response() != nullptr);
        CHECK(e.partial_response()->choices.at(0).message.tool_calls.has_value());
        CHECK(mock.requests().size() == 1);
    }
    SECTION("more cuts than max_resumes") {
        mock_transport mock;
        basic_client<mock_transport> client({.api_key = "k"}, mock);
        mock.enqueue(text_stream({"one"}, true));
        mock.enqueue(text_stream({" two"}, true));
        const auto e = expect_error<protocol_error>([&] {
            client.stream(
                {.model = "m", .messages = {user("hi")}}, [](const chat_chunk&) {}, resumable(1));
        });
        REQUIRE(e.partial_response() != nullptr);
        CHECK(e.partial_response()->text() == "one two");
        CHECK(mock.requests().size() == 2);
    }
}

TEST_CASE("resume: over loopback, a stream cut after three chunks returns the whole text once") {
    for (const bool echo : {false, true}) {
        fake_server_options options;
        options.echo_prefix = echo;
        fake_server server(options);
        client c(options_for(server.base_url()));
        const std::string whole = c.chat(question()).text();
        server.script(faults::cut_after(server, 3));
        std::string seen;
        const chat_response r = c.stream(
            question(), [&](const chat_chunk& chunk) { seen += chunk.text(); }, resumable());
        CHECK(seen == whole);
        CHECK(r.text() == whole);
        CHECK(r.http.resumes == 1);
        const auto sent = server.requests();
        REQUIRE(sent.size() == 3);
        const auto continued = boost::json::parse(sent[2].body).at("messages").as_array();
        CHECK(continued.back().at("prefix") == true);

        // The same through open_stream(): the step resumes.
        server.script(faults::cut_after(server, 3));
        std::string pulled;
        chat_stream s = c.open_stream(question(), resumable());
        for (const chat_chunk& chunk : s) pulled += chunk.text();
        CHECK(pulled == whole);
        CHECK(s.response().text() == whole);
        CHECK(s.response().http.resumes == 1);
        CHECK(s.response().http.attempts == 2);
        CHECK(c.usage().requests == 5);
    }
}

TEST_CASE("resume: a request that ends with the caller's own prefix has that prefix extended") {
    // The API takes one prefix message, the last: a second one is a 400 ("Assistant message
    // with prefix True must be last message"), so the caller's is extended instead.
    for (const bool echo : {false, true}) {
        mock_transport mock;
        basic_client<mock_transport> client({.api_key = "k"}, mock);
        assistant_message own = assistant("Roses");
        own.prefix = true;
        const chat_request req{.model = "m", .messages = {user("A poem"), own}};
        // A server that echoes the prefix starts its reply with it; one that does not, after it.
        mock.enqueue(echo ? text_stream({"Roses", " are"}, true) : text_stream({" are"}, true));
        mock.enqueue(echo ? text_stream({"Roses are", " red"}) : text_stream({" red"}));
        std::string seen;
        const chat_response r = client.stream(
            req, [&](const chat_chunk& chunk) { seen += chunk.text(); }, resumable());
        CHECK(seen == (echo ? "Roses are red" : " are red"));
        REQUIRE(mock.requests().size() == 2);
        const auto messages = mock.requests()[1].json().at("messages").as_array();
        REQUIRE(messages.size() == 2);  // the caller's prefix, extended: not a second one
        CHECK(messages[1].at("content") == "Roses are");
        CHECK(messages[1].at("prefix") == true);
        CHECK_NOTHROW(
            check_history(boost::json::value_to<chat_request>(mock.requests()[1].json()).messages));
        CHECK(r.http.resumes == 1);
    }
}

TEST_CASE("resume: the usage of the cut attempt is counted with the continuation's") {
    // Usage on every chunk (as some servers send it): 7 tokens billed before the cut, 8 after.
    auto with_usage = [](chat_chunk chunk, std::int64_t completion) {
        chunk.usage = usage_info{
            .prompt_tokens = 5, .completion_tokens = completion, .total_tokens = 5 + completion};
        return chunk;
    };
    mock_transport mock;
    basic_client<mock_transport> client({.api_key = "k"}, mock);
    mock.enqueue(scripted_response::sse(
        {with_usage(text_chunk_of("Hello"), 1), with_usage(text_chunk_of(" wor"), 2)}, false));
    mock.enqueue(scripted_response::sse(
        {with_usage(text_chunk_of("ld"), 1), with_usage(text_chunk_of("!", "stop"), 3)}));
    const chat_response r = client.stream(
        {.model = "m", .messages = {user("hi")}}, [](const chat_chunk&) {}, resumable());
    CHECK(r.text() == "Hello world!");
    CHECK(r.usage.prompt_tokens == 10);
    CHECK(r.usage.completion_tokens == 5);
    CHECK(r.usage.total_tokens == 15);
    CHECK(client.usage().total_tokens == 15);
    CHECK(client.usage().requests == 2);
}
