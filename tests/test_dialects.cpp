// tests/test_dialects.cpp: client_options::dialect. The requests each dialect writes (checked
// byte for byte through the mock transport), and the transcripts of vLLM, llama.cpp's
// llama-server and Ollama (tests/fixtures/dialects) replayed over loopback to the default
// transport: reasoning read as thinking, usage never summed, each error envelope typed.
#include <mistral/impl/chunk_decoder.hpp>  // reasoning_as_thinking
#include <mistral/mistral.hpp>
#include <mistral/testing.hpp>

#include <cstdlib>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>

#include "catch.hpp"
#include "fixtures.hpp"
#include "support/expect_error.hpp"
#include "support/fake_server.hpp"
#include "support/loopback.hpp"

using namespace mistral;
using namespace mistral::test;
namespace json = boost::json;
using testing::mock_transport;
using testing::scripted_response;

namespace {

const char* const families[] = {"vllm", "llamacpp", "ollama"};

client_options openai_options(const std::string& base_url) {
    client_options o = options_for(base_url);
    o.dialect = dialect::openai_compatible;
    return o;
}

// The SSE events of a transcript, one write each (as a server flushes them).
std::vector<std::string> events_of(const std::string& sse) {
    std::vector<std::string> writes;
    for (std::size_t at = 0; at < sse.size();) {
        const std::size_t end = std::min(sse.find("\n\n", at), sse.size());
        writes.push_back(sse.substr(at, end + 2 - at));
        at = end + 2;
    }
    return writes;
}

chat_request magistral_question() {
    return {.model = "magistral-small", .messages = {user("Say hello.")}, .random_seed = 7};
}

}  // namespace

TEST_CASE("dialect mistral: the API's names only, as before") {
    mock_transport mock;
    mock.enqueue(scripted_response::completion("ok"));
    mock.enqueue(scripted_response::sse_text("ok"));
    basic_client<mock_transport> c{{.api_key = "k"}, mock};
    c.chat(magistral_question());
    c.stream(magistral_question(), [](const chat_chunk&) {});
    const auto sent = mock.requests();
    REQUIRE(sent.size() == 2);
    CHECK(sent[0].body ==
          R"({"model":"magistral-small","messages":[{"role":"user","content":"Say hello."}],)"
          R"("random_seed":7})");
    CHECK(sent[1].body ==
          R"({"model":"magistral-small","messages":[{"role":"user","content":"Say hello."}],)"
          R"("random_seed":7,"stream":true})");
    CHECK(std::string(
              expect_error<usage_error>([&] {
                  basic_client<mock_transport>{{.api_key = ""}, mock}.chat(magistral_question());
              }).what())
              .starts_with("no API key"));
}

TEST_CASE("dialect openai_compatible: seed, and usage asked for in streams only") {
    mock_transport mock;
    mock.enqueue(scripted_response::completion("ok"));
    mock.enqueue(scripted_response::sse_text("ok"));
    basic_client<mock_transport> c{{.api_key = "k", .dialect = dialect::openai_compatible}, mock};
    c.chat(magistral_question());
    c.stream(magistral_question(), [](const chat_chunk&) {});
    const auto sent = mock.requests();
    REQUIRE(sent.size() == 2);
    // The member keeps its place; only its name changes.
    CHECK(
        sent[0].body ==
        R"({"model":"magistral-small","messages":[{"role":"user","content":"Say hello."}],"seed":7})");
    CHECK(
        sent[1].body ==
        R"({"model":"magistral-small","messages":[{"role":"user","content":"Say hello."}],"seed":7,)"
        R"("stream":true,"stream_options":{"include_usage":true}})");

    SECTION("stream_options of the caller's own are sent as they are") {
        mock.enqueue(scripted_response::sse_text("ok"));
        chat_request r = magistral_question();
        r.extra["stream_options"] =
            json::object{{"include_usage", true}, {"continuous_usage_stats", true}};
        c.stream(r, [](const chat_chunk&) {});
        CHECK(mock.requests().back().json().at("stream_options") ==
              json::parse(R"({"include_usage":true,"continuous_usage_stats":true})"));
    }
    SECTION("a seed in extra beside random_seed would be sent twice: refused") {
        chat_request r = magistral_question();
        r.extra["seed"] = 8;
        CHECK(std::string(expect_error<usage_error>([&] { c.chat(r); }).what())
                  .find("random_seed and extra[\"seed\"]") != std::string::npos);
        CHECK(mock.requests().size() == 2);
    }
    SECTION("FIM requests are written the same way") {
        mock.enqueue(scripted_response::completion("c = a + b"));
        mock.enqueue(scripted_response::sse_text("c = a + b"));
        c.fim({.model = "codestral", .prompt = "def f(a, b):", .random_seed = 3});
        CHECK(mock.requests().back().body ==
              R"({"model":"codestral","seed":3,"prompt":"def f(a, b):"})");
        c.fim_stream({.model = "codestral", .prompt = "def f(a, b):", .random_seed = 3},
                     [](const chat_chunk&) {});
        CHECK(mock.requests().back().body ==
              R"({"model":"codestral","seed":3,"prompt":"def f(a, b):","stream":true,)"
              R"("stream_options":{"include_usage":true}})");
    }
}

TEST_CASE(
    "dialect openai_compatible: no key sends no Authorization; the API's history rules are not "
    "applied") {
    mock_transport mock;
    mock.enqueue(scripted_response::completion("ok"));
    basic_client<mock_transport> c{{.api_key = "", .dialect = dialect::openai_compatible}, mock};
    // vLLM's tool-call ids are longer than the API's 9 characters: its own history goes back.
    chat_request r{.model = "m", .messages = {user("weather?")}};
    r.messages.push_back(assistant_message{
        .tool_calls =
            std::vector<tool_call>{{.id = "chatcmpl-tool-5b1e9f0c2a7d4e11",
                                    .function = {.name = "weather", .arguments = "{}"}}}});
    r.messages.push_back(
        tool_message{.content = "sunny", .tool_call_id = "chatcmpl-tool-5b1e9f0c2a7d4e11"});
    c.chat(r);
    REQUIRE(mock.requests().size() == 1);
    CHECK_FALSE(mock.requests()[0].headers.find("Authorization"));
    // The API's own dialect refuses that history before sending it.
    basic_client<mock_transport> api{{.api_key = "k"}, mock};
    CHECK(
        std::string(expect_error<usage_error>([&] { api.chat(r); }).what()).find("9 characters") !=
        std::string::npos);
    CHECK(mock.requests().size() == 1);
}

TEST_CASE("dialect openai_compatible: a reply's thinking is not sent back in the next turn") {
    fake_server_options openai;
    openai.openai_compatible = true;  // refuses a non-text part in an assistant message
    fake_server server(openai);
    client c{openai_options(server.base_url())};
    chat_request conversation{.model = "magistral-small", .messages = {user("Say hello.")}};
    const chat_response first = c.stream(conversation, [](const chat_chunk&) {});
    REQUIRE_FALSE(first.choices.at(0).message.thinking().empty());
    conversation.messages.push_back(first.choices[0].message);
    conversation.messages.push_back(user("And goodbye?"));
    const chat_response second = c.chat(conversation);
    CHECK_FALSE(second.text().empty());
    const auto sent = json::parse(server.requests().back().body);
    CHECK(sent.at("messages").at(1).at("content") == first.text().c_str());
    // The caller's history keeps its thinking.
    CHECK_FALSE(std::get<assistant_message>(conversation.messages[1]).thinking().empty());

    // The API's dialect sends the reply as it came, thinking chunks included.
    mock_transport mock;
    mock.enqueue(scripted_response::completion("ok"));
    basic_client<mock_transport> api{{.api_key = "k"}, mock};
    api.chat(conversation);
    const json::value resent = mock.requests()[0].json();
    CHECK(resent.at("messages").at(1).at("content").at(0).at("type") == "thinking");
}

TEST_CASE(
    "dialect openai_compatible: a cut stream is not resumed (a prefix message is the API's own)") {
    fake_server_options openai;
    openai.openai_compatible = true;
    fake_server server(openai);
    server.script(faults::cut_after(server, 3));
    client c{openai_options(server.base_url())};
    std::string streamed;
    const auto e = expect_error<protocol_error>([&] {
        c.stream(question(), [&](const chat_chunk& chunk) { streamed += chunk.text(); },
                 {.max_resumes = 3});
    });
    REQUIRE(e.partial_response() != nullptr);
    CHECK(e.partial_response()->text() == streamed);
    CHECK_FALSE(streamed.empty());
    CHECK(server.requests().size() == 1);
}

TEST_CASE("dialects: each family's stream, replayed over loopback") {
    for (const char* family : families) {
        INFO(family);
        const std::string dir = std::string("dialects/") + family + "/";
        const json::value expected = fixture_json(dir + "expected.json");
        fake_server server;
        server.script(faults::raw_stream(server, events_of(read_fixture(dir + "stream.sse"))));
        client c{openai_options(server.base_url())};
        std::string thinking, text;
        const chat_response r = c.stream(magistral_question(), [&](const chat_chunk& chunk) {
            for (const auto& choice : chunk.choices) {
                thinking += choice.delta.thinking();
                text += choice.delta.text();
            }
        });
        // The callback sees what the fold keeps: reasoning as thinking, never in the text.
        CHECK(thinking == std::string(expected.at("thinking").as_string()));
        CHECK(text == std::string(expected.at("text").as_string()));
        REQUIRE(r.choices.size() == 1);
        CHECK(r.choices[0].message.thinking() == std::string(expected.at("thinking").as_string()));
        CHECK(r.choices[0].message.text() == std::string(expected.at("text").as_string()));
        CHECK_FALSE(r.choices[0].message.extra.contains("reasoning"));
        CHECK_FALSE(r.choices[0].message.extra.contains("reasoning_content"));
        CHECK(r.choices[0].finish_reason == std::string(expected.at("finish_reason").as_string()));
        // vLLM repeats its cumulative usage on every chunk: the last value, never a sum.
        const auto& usage = expected.at("usage").as_array();
        CHECK(r.usage.prompt_tokens == usage[0].as_int64());
        CHECK(r.usage.completion_tokens == usage[1].as_int64());
        CHECK(r.usage.total_tokens == usage[2].as_int64());
        CHECK(c.usage().total_tokens == usage[2].as_int64());

        // The stream asked for its usage.
        CHECK(json::parse(server.requests().back().body).at("stream_options").at("include_usage") ==
              true);
    }
}

TEST_CASE("dialects: each family's whole reply, replayed over loopback") {
    for (const char* family : families) {
        INFO(family);
        const std::string dir = std::string("dialects/") + family + "/";
        const json::value expected = fixture_json(dir + "expected.json");
        fake_server server;
        server.script(faults::status(200, read_fixture(dir + "response.json")));
        server.script(faults::status(200, read_fixture(dir + "response.json")));
        client c{openai_options(server.base_url())};
        const chat_response r = c.chat(magistral_question());
        REQUIRE(r.choices.size() == 1);
        const assistant_message& m = r.choices[0].message;
        CHECK(m.thinking() == std::string(expected.at("thinking").as_string()));
        CHECK(m.text() == std::string(expected.at("text").as_string()));
        CHECK_FALSE(m.extra.contains("reasoning"));
        CHECK_FALSE(m.extra.contains("reasoning_content"));
        CHECK(r.usage.total_tokens == expected.at("usage").as_array()[2].as_int64());

        // The API's own dialect reads no field it does not know as thinking: it stays in extra.
        client_options plain = options_for(server.base_url());
        const chat_response kept = client{plain}.chat(magistral_question());
        CHECK(kept.choices.at(0).message.thinking().empty());
        CHECK(kept.choices[0].message.text() == std::string(expected.at("text").as_string()));
        CHECK((kept.choices[0].message.extra.contains("reasoning") ||
               kept.choices[0].message.extra.contains("reasoning_content")));
    }
}

TEST_CASE("dialects: each family's error envelope, and an error inside a 200 stream") {
    for (const char* family : families) {
        INFO(family);
        const std::string dir = std::string("dialects/") + family + "/";
        const json::object expected = fixture_json(dir + "expected.json").as_object();
        const auto& error = expected.at("error").as_object();
        fake_server server;
        server.script(faults::status(static_cast<int>(error.at("status").as_int64()),
                                     read_fixture(dir + "error.json")));
        client c{openai_options(server.base_url())};
        const api_error e = expect_error<api_error>([&] { c.chat(magistral_question()); });
        CHECK(e.status() == error.at("status").as_int64());
        CHECK(e.message() == std::string(error.at("message").as_string()));
        CHECK(e.type() == std::string(error.at("type").as_string()));
        CHECK(e.code() == std::string(error.at("code").as_string()));

        const auto& in_stream = expected.at("stream_error").as_object();
        server.script(
            faults::raw_stream(server, events_of(read_fixture(dir + "stream_error.sse"))));
        const api_error s = expect_error<api_error>(
            [&] { c.stream(magistral_question(), [](const chat_chunk&) {}); });
        CHECK(s.status() == in_stream.at("status").as_int64());
        CHECK(s.message() == std::string(in_stream.at("message").as_string()));
        // Nothing received is lost: the thinking and the text before the error.
        REQUIRE(s.partial_response() != nullptr);
        CHECK(s.partial_response()->choices.at(0).message.thinking() ==
              std::string(in_stream.at("partial_thinking").as_string()));
        CHECK(s.partial_response()->choices.at(0).message.text() ==
              std::string(in_stream.at("partial_text").as_string()));
        CHECK(server.requests().size() == 2);  // neither is retried
    }
}

TEST_CASE("an error envelope in a 200 reply, and an error that is a string, are api_errors") {
    for (const dialect d : {dialect::mistral, dialect::openai_compatible}) {
        mock_transport mock;
        mock.enqueue(scripted_response::json(
            R"({"error":{"code":500,"message":"out of memory","type":"server_error"}})"));
        mock.enqueue(scripted_response::json(R"({"error":"model 'x' not found"})", 404));
        mock.enqueue(scripted_response::json(R"({"object":"error","message":"busy","code":503})"));
        basic_client<mock_transport> c{
            {.api_key = "k", .retry = retry_policy::none(), .dialect = d}, mock};
        const api_error in_200 = expect_error<api_error>([&] { c.chat(question()); });
        CHECK(in_200.status() == 500);
        CHECK(in_200.message() == "out of memory");
        CHECK(in_200.type() == "server_error");
        const api_error text = expect_error<api_error>([&] { c.chat(question()); });
        CHECK(text.status() == 404);
        CHECK(text.message() == "model 'x' not found");
        const api_error vllm =
            expect_error<api_error>([&] { c.embeddings({.model = "m", .input = {"a"}}); });
        CHECK(vllm.status() == 503);
        CHECK(vllm.message() == "busy");
        // "error": null in a reply is no error.
        mock.enqueue(scripted_response::json(
            R"({"id":"e","object":"list","model":"m","error":null,"data":[{"embedding":[0.5],"index":0}],)"
            R"("usage":{"prompt_tokens":1,"completion_tokens":0,"total_tokens":1}})"));
        CHECK(c.embeddings({.model = "m", .input = {"a"}}).data.at(0).embedding ==
              std::vector<float>{0.5f});
    }
}

TEST_CASE("reasoning_as_thinking: every shape of the members") {
    auto convert = [](const char* message) {
        json::object m = json::parse(message).as_object();
        detail::reasoning_as_thinking(m);
        return json::value(std::move(m));
    };
    const auto thinking = [](const char* text) {
        return json::object{
            {"type", "thinking"},
            {"thinking", json::array{json::object{{"type", "text"}, {"text", text}}}}};
    };
    // Both names with the same text (vLLM during the rename): one thinking chunk.
    CHECK(convert(R"({"content":"Hi","reasoning":"R","reasoning_content":"R"})") ==
          json::object{{"content", json::array{thinking("R"),
                                               json::object{{"type", "text"}, {"text", "Hi"}}}}});
    // Nulls and empty texts are dropped; content untouched.
    CHECK(convert(R"({"content":"Hi","reasoning":null,"reasoning_content":""})") ==
          json::parse(R"({"content":"Hi"})"));
    // Content null or absent: the thinking alone.
    CHECK(convert(R"({"content":null,"reasoning_content":"R"})") ==
          json::object{{"content", json::array{thinking("R")}}});
    // Content already a list: the thinking goes first.
    CHECK(convert(R"({"content":[{"type":"text","text":"Hi"}],"reasoning":"R"})") ==
          json::object{{"content", json::array{thinking("R"),
                                               json::object{{"type", "text"}, {"text", "Hi"}}}}});
    // Not text, or a second different text: kept as it came.
    CHECK(convert(R"({"content":"Hi","reasoning":{"steps":1}})") ==
          json::parse(R"({"content":"Hi","reasoning":{"steps":1}})"));
    CHECK(convert(R"({"content":"Hi","reasoning":"A","reasoning_content":"B"})") ==
          json::object{{"content",
                        json::array{thinking("A"), json::object{{"type", "text"}, {"text", "Hi"}}}},
                       {"reasoning_content", "B"}});
}

// Opt-in: a user's own server (MISTRAL_TEST_BASE_URL, with MISTRAL_TEST_MODEL) answers a chat
// and a stream in the OpenAI-compatible dialect. Never runs in CI: no network but loopback.
TEST_CASE("live: a local OpenAI-compatible server, when MISTRAL_TEST_BASE_URL is set") {
    const char* base_url = std::getenv("MISTRAL_TEST_BASE_URL");
    if (base_url == nullptr || *base_url == '\0') return;
    const char* model = std::getenv("MISTRAL_TEST_MODEL");
    client_options o;
    o.base_url = base_url;
    o.api_key =
        std::getenv("MISTRAL_TEST_API_KEY") != nullptr ? std::getenv("MISTRAL_TEST_API_KEY") : "";
    o.dialect = dialect::openai_compatible;
    client c{o};
    const chat_request q{.model = model != nullptr ? model : "default",
                         .messages = {user("Say hello in one word.")},
                         .max_tokens = 64,
                         .random_seed = 1};
    CHECK_FALSE(c.chat(q).choices.at(0).message.text().empty());
    std::string streamed;
    const chat_response r = c.stream(q, [&](const chat_chunk& chunk) {
        for (const auto& choice : chunk.choices) streamed += choice.delta.text();
    });
    CHECK(streamed == r.choices.at(0).message.text());
    CHECK(r.usage.total_tokens > 0);  // asked for with stream_options
}
