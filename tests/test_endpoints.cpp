// tests/test_endpoints.cpp: the endpoints beside chat completions (embeddings, the models): over
// loopback to the fake server with the default transport, and with the mock transport where the
// exact bytes of the request are what is checked.
#include <mistral/mistral.hpp>
#include <mistral/testing.hpp>

#include <chrono>
#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/parse.hpp>

#include "catch.hpp"
#include "support/expect_error.hpp"
#include "support/fake_server.hpp"
#include "support/loopback.hpp"

using namespace mistral;
using namespace mistral::test;
using namespace std::chrono_literals;
namespace json = boost::json;
using testing::mock_transport;
using testing::scripted_response;

namespace {

double cosine(const std::vector<float>& a, const std::vector<float>& b) {
    double dot = 0, na = 0, nb = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        dot += double(a[i]) * b[i];
        na += double(a[i]) * a[i];
        nb += double(b[i]) * b[i];
    }
    return dot / std::sqrt(na * nb);
}

const char* embedding_body =
    R"({"id":"e1","object":"list","model":"mistral-embed","usage":{"prompt_tokens":4,)"
    R"("completion_tokens":0,"total_tokens":4},"data":[{"object":"embedding",)"
    R"("embedding":[0.5,-1.25],"index":0}],"created":1})";

}  // namespace

TEST_CASE("embeddings: one vector per text, by index, over loopback") {
    fake_server server;
    client c(options_for(server.base_url()));
    const embedding_response r =
        c.embeddings({.model = "mistral-embed",
                      .input = {"the cat sat on the mat", "a cat on a mat", "stock prices fell"},
                      .output_dimension = 64});
    REQUIRE(r.data.size() == 3);
    for (std::size_t i = 0; i < r.data.size(); ++i) {
        CHECK(r.data[i].index == static_cast<std::int64_t>(i));
        CHECK(r.data[i].embedding.size() == 64);
        CHECK(std::abs(cosine(r.data[i].embedding, r.data[i].embedding) - 1.0) < 1e-6);
    }
    CHECK(cosine(r.data[0].embedding, r.data[1].embedding) >
          cosine(r.data[0].embedding, r.data[2].embedding));
    CHECK(r.model == "mistral-embed");
    CHECK(r.usage.prompt_tokens == 14);  // words: 6 + 5 + 3
    CHECK(r.http.status == 200);
    CHECK(r.http.request_id.rfind("fake-", 0) == 0);
    CHECK(c.usage().per_model.at("mistral-embed").prompt_tokens == 14);
    CHECK(c.usage().per_model.at("mistral-embed").requests == 1);

    const auto sent = server.requests().at(0);
    CHECK(sent.method == "POST");
    CHECK(sent.path == "/v1/embeddings");
    CHECK(sent.body ==
          R"({"model":"mistral-embed","input":["the cat sat on the mat","a cat on a mat",)"
          R"("stock prices fell"],"output_dimension":64})");
}

TEST_CASE("embeddings_async: on a thread of its own, counted like the others") {
    fake_server server;
    client c(options_for(server.base_url()));
    auto first = c.embeddings_async({.model = "mistral-embed", .input = {"one"}});
    auto second = c.embeddings_async({.model = "mistral-embed", .input = {"two words"}});
    CHECK(first.get().usage.prompt_tokens == 1);
    CHECK(second.get().usage.prompt_tokens == 2);
    CHECK(c.usage().per_model.at("mistral-embed").requests == 2);
    CHECK(c.usage().per_model.at("mistral-embed").prompt_tokens == 3);
}

TEST_CASE("embeddings: data[i] embeds input[i], whatever order the server lists them in") {
    mock_transport mock;
    mock.enqueue(scripted_response::json(
        R"({"id":"e","object":"list","model":"m","usage":{"prompt_tokens":2,)"
        R"("completion_tokens":0,"total_tokens":2},"data":[{"embedding":[2.5],"index":1},)"
        R"({"embedding":[0.1],"index":0}]})"));
    basic_client<mock_transport> c{{.api_key = "k"}, mock};
    const auto r = c.embeddings({.model = "m", .input = {"a", "b"}});
    REQUIRE(r.data.size() == 2);
    CHECK(r.data[0].index == 0);
    CHECK(r.data[0].embedding == std::vector<float>{0.1f});
    CHECK(r.data[1].embedding == std::vector<float>{2.5f});
    // A float goes back out as the number it was read from, not its double expansion.
    CHECK(json::parse(to_json(r.data[0])).at("embedding").at(0).as_double() == 0.1);
    CHECK(detail::sendable_json(r.data[0]) == R"({"embedding":[0.1],"index":0})");
}

TEST_CASE("embeddings: the reply's unknown members are kept, and written back") {
    mock_transport mock;
    mock.enqueue(scripted_response::json(embedding_body));
    basic_client<mock_transport> c{{.api_key = "k"}, mock};
    const embedding_response r = c.embeddings({.model = "mistral-embed", .input = {"hello"}});
    CHECK(r.data.at(0).embedding == std::vector<float>{0.5f, -1.25f});
    CHECK(r.extra.at("created") == 1);
    CHECK(to_json(r).find(R"("created":1)") != std::string::npos);
    CHECK(mock.requests().at(0).url == "https://api.mistral.ai/v1/embeddings");
}

TEST_CASE("embeddings: refused before anything is sent") {
    mock_transport mock;
    basic_client<mock_transport> c{{.api_key = "k"}, mock};
    CHECK(expect_error<usage_error>([&] { c.embeddings({.model = "m"}); }).what() ==
          std::string("cannot send the request: input is empty"));
    CHECK(expect_error<usage_error>([&] { c.embeddings({.input = {"x"}}); }).what() ==
          std::string("cannot send the request: model is empty"));
    const auto base64 = expect_error<usage_error>(
        [&] { c.embeddings({.model = "m", .input = {"x"}, .encoding_format = "base64"}); });
    CHECK(std::string(base64.what()).find("base64") != std::string::npos);
    CHECK(std::string(expect_error<usage_error>([&] {
                          c.embeddings({.model = "m", .input = {std::string("\xff\xfe")}});
                      }).what())
              .find("invalid UTF-8") != std::string::npos);
    basic_client<mock_transport> keyless{client_options{.api_key = ""}, mock};
    CHECK(std::string(expect_error<usage_error>([&] {
                          keyless.embeddings({.model = "m", .input = {"x"}});
                      }).what())
              .find("no API key") != std::string::npos);
    CHECK(mock.requests().empty());
}

TEST_CASE("embeddings: 503 and 429 are retried as chat's are, with the request id on failure") {
    fake_server server;
    server.script(faults::status(503, R"({"object":"error","message":"busy"})"));
    server.script(faults::status(429, R"({"object":"error","message":"slow down","code":"1300"})",
                                 "application/json", {{"Retry-After", "0.02"}}));
    client c(options_for(server.base_url()));
    const auto r = c.embeddings({.model = "mistral-embed", .input = {"x"}});
    CHECK(r.http.attempts == 3);
    CHECK(r.data.size() == 1);
    CHECK(c.usage().per_model.at("mistral-embed").requests == 3);

    for (int i = 0; i < 4; ++i) {
        server.script(faults::status(429, R"({"object":"error","message":"slow down"})",
                                     "application/json", {{"x-request-id", "req-429"}}));
    }
    client_options o = options_for(server.base_url());
    o.retry.max_retries = 1;
    const auto e = expect_error<api_error>(
        [&] { client(o).embeddings({.model = "mistral-embed", .input = {"x"}}); });
    CHECK(e.status() == 429);
    CHECK(e.request_id() == "req-429");
    CHECK(e.metadata().attempts == 2);
    CHECK(std::string(e.what()).find(loopback_key) == std::string::npos);
}

TEST_CASE("embeddings: a reply that does not fit is a protocol_error naming the member") {
    mock_transport mock;
    mock.enqueue(scripted_response::json(
        R"({"id":"e","object":"list","model":"m","usage":{"prompt_tokens":1,)"
        R"("completion_tokens":0,"total_tokens":1},"data":[{"embedding":"AAAA","index":0}]})"));
    mock.enqueue(scripted_response::json("{not json"));
    basic_client<mock_transport> c{{.api_key = "k"}, mock};
    const auto wrong =
        expect_error<protocol_error>([&] { c.embeddings({.model = "m", .input = {"x"}}); });
    CHECK(wrong.path() == "data[0].embedding");
    const auto malformed =
        expect_error<protocol_error>([&] { c.embeddings({.model = "m", .input = {"x"}}); });
    CHECK(std::string(malformed.what()).find("malformed JSON") != std::string::npos);
}

TEST_CASE("models: the list, with capabilities, context and deprecation, over loopback") {
    fake_server server;
    client c(options_for(server.base_url()));
    const model_list list = c.models();
    REQUIRE(list.data.size() == 6);
    CHECK(list.object == "list");
    CHECK(list.http.request_id.rfind("fake-", 0) == 0);
    const model_card& small = list.data.at(0);
    CHECK(small.id == "mistral-small-latest");
    CHECK(small.capabilities.completion_chat);
    CHECK(small.capabilities.vision);
    CHECK_FALSE(small.capabilities.completion_fim);
    CHECK(small.max_context_length == 131072);
    CHECK(small.aliases == std::vector<std::string>{"mistral-small-2506"});
    CHECK_FALSE(small.deprecation);  // null is unset
    const model_card& old = list.data.at(5);
    CHECK(old.deprecation == "2025-03-30T12:00:00Z");
    CHECK(old.deprecation_replacement_model == "ministral-8b-latest");

    const auto sent = server.requests().at(0);
    CHECK(sent.method == "GET");
    CHECK(sent.path == "/v1/models");
    CHECK(sent.body.empty());
    CHECK(c.usage().requests == 1);
    CHECK(c.usage().per_model.empty());  // a list names no model
}

TEST_CASE("models: one model by id, and an unknown one is a 404 api_error") {
    fake_server server;
    client c(options_for(server.base_url()));
    const model_card codestral = c.model("codestral-latest");
    CHECK(codestral.id == "codestral-latest");
    CHECK(codestral.capabilities.completion_fim);
    CHECK(codestral.http.status == 200);
    CHECK(server.requests().at(0).path == "/v1/models/codestral-latest");

    const auto e = expect_error<api_error>([&] { c.model("no-such-model"); });
    CHECK(e.status() == 404);
    CHECK(e.type() == "invalid_model");
    CHECK(e.code() == "1500");
    CHECK(e.metadata().attempts == 1);  // a 404 is not retried
    CHECK(std::string(e.what()).find(loopback_key) == std::string::npos);
}

TEST_CASE("models: a GET has no body and no content type; an id cannot change the path") {
    mock_transport mock;
    mock.enqueue(scripted_response::json(R"({"object":"list","data":[]})"));
    mock.enqueue(scripted_response::json(R"({"id":"x","capabilities":{}})"));
    basic_client<mock_transport> c{{.api_key = "k"}, mock};
    CHECK(c.models().data.empty());
    CHECK(c.model("ft:a/b?c#d e\r\nX: y").id == "x");
    const auto requests = mock.requests();
    const auto& list = requests.at(0);
    CHECK(list.method == "GET");
    CHECK(list.body.empty());
    CHECK_FALSE(list.headers.find("content-type"));
    CHECK(list.headers.find("accept") == "application/json");
    CHECK(mock.requests().at(1).url ==
          "https://api.mistral.ai/v1/models/ft%3Aa%2Fb%3Fc%23d%20e%0D%0AX%3A%20y");
    for (const char* id : {"", ".", ".."}) {
        INFO(id);
        CHECK(std::string(expect_error<usage_error>([&] { c.model(id); }).what())
                  .find("is not a model id") != std::string::npos);
    }
    CHECK(mock.requests().size() == 2);
}

TEST_CASE("models: cancelled and timed out as chat is") {
    fake_server server;
    server.script(faults::stall(server, 5s));
    client_options o = options_for(server.base_url());
    o.timeouts.read = 200ms;
    o.retry.max_retries = 0;
    const auto e = expect_error<transport_error>([&] { client(o).models(); });
    CHECK(e.kind() == transport_error_kind::timeout);

    // Cancelled while it waits for the answer: it ends at once, not when the server answers.
    server.script(faults::stall(server, 5s));
    stop_source stop;
    std::thread canceller([&] {
        std::this_thread::sleep_for(200ms);
        stop.request_stop();
    });
    transport_error cancelled(transport_error_kind::connect, "", false);
    const auto took = elapsed([&] {
        cancelled = expect_error<transport_error>(
            [&] { client(options_for(server.base_url())).models({.stop = stop.get_token()}); });
    });
    canceller.join();
    CHECK(cancelled.kind() == transport_error_kind::cancelled);
    CHECK(took < 3s);
}

TEST_CASE(
    "models: a card's id counts requests in the totals only; the fake server takes a string") {
    fake_server server;
    client c(options_for(server.base_url()));
    (void)c.model("mistral-embed");
    (void)expect_error<api_error>([&] { c.model("made-up"); });
    CHECK(c.usage().requests == 2);
    CHECK(c.usage().per_model.empty());

    httplib::Client raw("127.0.0.1", server.port());
    auto res = raw.Post("/v1/embeddings", {{"Authorization", "Bearer k"}},
                        R"({"model":"mistral-embed","input":"one text","output_dimension":8})",
                        "application/json");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(json::parse(res->body).at("data").as_array().size() == 1);
    res = raw.Post("/v1/embeddings", {{"Authorization", "Bearer k"}},
                   R"({"model":"mistral-embed","input":["x"],"output_dimension":0})",
                   "application/json");
    REQUIRE(res);
    CHECK(res->status == 422);
}

// ---------------------------------------------------------------------------------------------
// Fill-in-the-middle
// ---------------------------------------------------------------------------------------------

TEST_CASE("fim: the gap between prompt and suffix, in chat's response shape, over loopback") {
    fake_server server;
    client c(options_for(server.base_url()));
    const fim_request f{.model = "codestral-latest",
                        .prompt = "def add(a, b):",
                        .max_tokens = 64,
                        .suffix = "    return c"};
    const chat_response r = c.fim(f);
    REQUIRE(r.choices.size() == 1);
    CHECK(r.choices[0].message.text() == "\n    c = a + b\n");
    CHECK(r.choices[0].finish_reason == "stop");
    CHECK(r.model == "codestral-latest");
    CHECK(r.http.request_id.rfind("fake-", 0) == 0);
    CHECK(r.usage.total_tokens > 0);
    CHECK(c.usage().per_model.at("codestral-latest").total_tokens == r.usage.total_tokens);

    const auto sent = server.requests().at(0);
    CHECK(sent.path == "/v1/fim/completions");
    const auto body = json::parse(sent.body).as_object();
    CHECK(body.at("prompt") == "def add(a, b):");
    CHECK(body.at("suffix") == "    return c");
    CHECK(body.at("max_tokens") == 64);
    CHECK_FALSE(body.contains("stream"));

    auto later = c.fim_async(f);
    CHECK(later.get().choices.at(0).message.text() == "\n    c = a + b\n");
    CHECK(c.usage().per_model.at("codestral-latest").requests == 2);
}

TEST_CASE("fim_stream: chunks as they arrive, folded as stream() folds them") {
    fake_server server;
    client c(options_for(server.base_url()));
    std::string streamed;
    std::size_t chunks = 0;
    const chat_response r = c.fim_stream(
        {.model = "codestral-latest", .prompt = "def mul(x, y):", .suffix = "    return z"},
        [&](const chat_chunk& chunk) {
            ++chunks;
            streamed += chunk.text();
        });
    CHECK(streamed == "\n    z = x + y\n");
    CHECK(r.choices.at(0).message.text() == streamed);
    CHECK(chunks > 3);
    CHECK(r.usage.completion_tokens > 0);
    const auto sent = server.requests().at(0);
    CHECK(json::parse(sent.body).at("stream") == true);
    const auto accept = sent.headers.find("Accept");
    REQUIRE(accept != sent.headers.end());
    CHECK(accept->second == "text/event-stream");
    CHECK(c.usage().per_model.at("codestral-latest").completion_tokens ==
          r.usage.completion_tokens);

    // "stream": false in the request does not stop fim_stream() from asking for a stream.
    (void)c.fim_stream({.model = "codestral-latest", .prompt = "x", .stream = false},
                       [](const chat_chunk&) {});
    CHECK(json::parse(server.requests().at(1).body).at("stream") == true);

    // false from the callback stops it, as stream()'s does.
    std::size_t taken = 0;
    (void)c.fim_stream({.model = "codestral-latest", .prompt = "f(a):", .suffix = "return b"},
                       [&](const chat_chunk&) { return ++taken < 2; });
    CHECK(taken == 2);
}

TEST_CASE("fim_stream: a cut stream is a protocol_error with the partial reply, never resumed") {
    fake_server server;
    const std::string head = R"({"id":"f","object":"chat.completion.chunk","created":1,)"
                             R"("model":"codestral-latest","choices":[{"index":0,"delta":)";
    server.script(faults::raw_stream(
        server,
        {"data: " + head + R"({"role":"assistant","content":"    c ="}}]})" + "\n\n",
         "data: " + head + R"({"content":" a"}}]})" + "\n\n"},
        true));
    client c(options_for(server.base_url()));
    std::string streamed;
    const auto e = expect_error<protocol_error>([&] {
        c.fim_stream({.model = "codestral-latest", .prompt = "p"},
                     [&](const chat_chunk& chunk) { streamed += chunk.text(); },
                     {.max_resumes = 3});
    });
    CHECK(streamed == "    c = a");
    REQUIRE(e.partial_response() != nullptr);
    CHECK(e.partial_response()->choices.at(0).message.text() == "    c = a");
    CHECK(server.requests().size() == 1);  // a FIM request cannot be continued
    // What the cut stream delivered is counted, as a cut chat stream's is.
    CHECK(c.usage().per_model.at("codestral-latest").requests == 1);
}

TEST_CASE("fim: refused before anything is sent; retried as chat is") {
    mock_transport mock;
    basic_client<mock_transport> c{{.api_key = "k"}, mock};
    CHECK(expect_error<usage_error>([&] { c.fim({.prompt = "x"}); }).what() ==
          std::string("cannot send the request: model is empty"));
    CHECK(std::string(expect_error<usage_error>([&] {
                          c.fim({.model = "m", .prompt = "x", .stream = true});
                      }).what())
              .find("fim_stream()") != std::string::npos);
    CHECK(mock.requests().empty());

    fake_server server;
    server.script(faults::status(429, R"({"object":"error","message":"slow down"})",
                                 "application/json", {{"Retry-After", "0.02"}}));
    client real(options_for(server.base_url()));
    std::string streamed;
    const auto r =
        real.fim_stream({.model = "codestral-latest", .prompt = "g(p, q):", .suffix = "return s"},
                        [&](const chat_chunk& chunk) { streamed += chunk.text(); });
    CHECK(r.http.attempts == 2);
    CHECK(streamed == "\n    s = p + q\n");
}

TEST_CASE("fim: the request's exact bytes, every member in the specification's order") {
    mock_transport mock;
    mock.enqueue(scripted_response::json(
        R"({"id":"f","object":"chat.completion","model":"codestral-latest","created":1,)"
        R"("choices":[{"index":0,"message":{"role":"assistant","content":"x"},)"
        R"("finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,)"
        R"("total_tokens":2}})"));
    basic_client<mock_transport> c{{.api_key = "k"}, mock};
    (void)c.fim({.model = "codestral-latest",
                 .prompt = "a",
                 .temperature = 0.25,
                 .top_p = 0.5,
                 .max_tokens = 9,
                 .stop = std::vector<std::string>{"\n\n"},
                 .random_seed = 7,
                 .metadata = json::object{{"user", "u1"}},
                 .suffix = "b",
                 .min_tokens = 1,
                 .prompt_cache_key = "k1",
                 .extra = {{"future_member", true}}});
    CHECK(mock.requests().at(0).url == "https://api.mistral.ai/v1/fim/completions");
    CHECK(mock.requests().at(0).body ==
          R"({"model":"codestral-latest","temperature":2.5E-1,"top_p":5E-1,"max_tokens":9,)"
          R"("stop":["\n\n"],"random_seed":7,"metadata":{"user":"u1"},"prompt":"a",)"
          R"("suffix":"b","min_tokens":1,"prompt_cache_key":"k1","future_member":true})");
}

// ---------------------------------------------------------------------------------------------
// Moderations
// ---------------------------------------------------------------------------------------------

TEST_CASE("moderations: results[i] judges input[i], by category, over loopback") {
    fake_server server;
    client c(options_for(server.base_url()));
    const moderation_response r = c.moderations(
        {.model = "mistral-moderation-latest",
         .input = {"What a lovely day", "I will kill you", "my password is hunter2"}});
    REQUIRE(r.results.size() == 3);
    CHECK(r.model == "mistral-moderation-latest");
    CHECK(r.id.rfind("mod-fake-", 0) == 0);
    CHECK(r.http.request_id.rfind("fake-", 0) == 0);
    CHECK(r.results[0].categories.size() == 9);
    for (const auto& [category, flagged] : r.results[0].categories) CHECK_FALSE(flagged);
    CHECK(r.results[1].categories.at("violence_and_threats"));
    CHECK(r.results[1].category_scores.at("violence_and_threats") > 0.9);
    CHECK_FALSE(r.results[1].categories.at("pii"));
    CHECK(r.results[2].categories.at("pii"));
    CHECK(r.results[2].category_scores.at("sexual") < 0.01);
    CHECK(c.usage().per_model.at("mistral-moderation-latest").requests == 1);
    CHECK(server.requests().at(0).path == "/v1/moderations");

    auto later = c.moderations_async({.model = "mistral-moderation-latest", .input = {"hate"}});
    CHECK(later.get().results.at(0).categories.at("hate_and_discrimination"));
    auto chat = c.chat_moderations_async(
        {.model = "mistral-moderation-latest", .input = {user("I will attack you")}});
    CHECK(chat.get().results.at(0).categories.at("violence_and_threats"));
    CHECK(c.usage().per_model.at("mistral-moderation-latest").requests == 3);
}

TEST_CASE("chat_moderations: a conversation whose last message is the assistant's") {
    fake_server server;
    client c(options_for(server.base_url()));
    const moderation_response r =
        c.chat_moderations({.model = "mistral-moderation-latest",
                            .input = {user("How do I get into my neighbour's house?"),
                                      assistant("Steal the key from under the mat.")}});
    REQUIRE(r.results.size() == 1);
    CHECK(r.results[0].categories.at("dangerous_and_criminal_content"));
    const auto sent = server.requests().at(0);
    CHECK(sent.path == "/v1/chat/moderations");
    CHECK(sent.body.rfind(R"({"input":[{"role":"user","content":"How do I get)", 0) == 0);
}

TEST_CASE("moderations: refused before sending; the reply's shape is checked, extras kept") {
    mock_transport mock;
    basic_client<mock_transport> c{{.api_key = "k"}, mock};
    CHECK(expect_error<usage_error>([&] { c.moderations({.model = "m"}); }).what() ==
          std::string("cannot send the request: input is empty"));
    CHECK(expect_error<usage_error>([&] { c.chat_moderations({.input = {user("x")}}); }).what() ==
          std::string("cannot send the request: model is empty"));
    CHECK(expect_error<usage_error>([&] { c.chat_moderations({.model = "m"}); }).what() ==
          std::string("cannot send the request: input is empty"));
    CHECK(mock.requests().empty());

    mock.enqueue(scripted_response::json(
        R"({"id":"m1","model":"mm","results":[{"categories":{"pii":true,"new_one":false},)"
        R"("category_scores":{"pii":0.75,"new_one":0.5}}],"usage":{"prompt_tokens":3,)"
        R"("completion_tokens":0,"total_tokens":3},"created":5})"));
    const auto r =
        c.moderations({.model = "mm", .input = {"x"}, .metadata = json::object{{"a", 1}}});
    CHECK(mock.requests().at(0).body == R"({"model":"mm","metadata":{"a":1},"input":["x"]})");
    CHECK(r.results.at(0).categories.at("new_one") == false);  // an open set of categories
    CHECK(r.results.at(0).category_scores.at("pii") == 0.75);
    CHECK(r.extra.at("created") == 5);
    // A member the specification does not have, kept apart: it cannot fail the results.
    CHECK(r.extra.at("usage").at("total_tokens") == 3);

    mock.enqueue(scripted_response::json(
        R"({"id":"m1","model":"mm","results":[{"categories":{"pii":"yes"}}]})"));
    const auto wrong =
        expect_error<protocol_error>([&] { c.moderations({.model = "mm", .input = {"x"}}); });
    CHECK(wrong.path() == "results[0].categories.pii");
}

// ---------------------------------------------------------------------------------------------
// OCR
// ---------------------------------------------------------------------------------------------

TEST_CASE("ocr: a PDF by URL, its pages as markdown with images and tables, over loopback") {
    fake_server server;
    client c(options_for(server.base_url()));
    const ocr_response r = c.ocr({.model = "mistral-ocr-latest",
                                  .document = document_url("https://example.com/paper.pdf"),
                                  .include_image_base64 = true});
    REQUIRE(r.pages.size() == 3);
    CHECK(r.model == "mistral-ocr-latest");
    CHECK(r.usage_info.pages_processed == 3);
    CHECK(r.pages[0].markdown.rfind("# Page 1", 0) == 0);
    CHECK(r.pages[0].images.empty());
    REQUIRE(r.pages[1].images.size() == 1);
    CHECK(r.pages[1].images[0].id == "img-0.jpeg");
    CHECK(r.pages[1].images[0].top_left_x == 292);
    CHECK(r.pages[1].images[0].image_base64.value_or("").rfind("data:image/jpeg", 0) == 0);
    CHECK(r.pages[2].markdown.find("| 1 | 2 |") != std::string::npos);  // inline by default
    REQUIRE(r.pages[2].dimensions);
    CHECK(r.pages[2].dimensions->dpi == 200);
    CHECK(r.http.request_id.rfind("fake-", 0) == 0);
    CHECK(c.usage().per_model.at("mistral-ocr-latest").requests == 1);
    const auto sent = json::parse(server.requests().at(0).body).as_object();
    CHECK(server.requests().at(0).path == "/v1/ocr");
    CHECK(sent.at("document") ==
          json::parse(R"({"type":"document_url","document_url":"https://example.com/paper.pdf"})"));
}

TEST_CASE("ocr: pages chosen, tables apart, an image or an uploaded file as the document") {
    fake_server server;
    client c(options_for(server.base_url()));
    const ocr_response tables =
        c.ocr({.model = "mistral-ocr-latest",
               .document = file_chunk{.file_id = "9f0a7f9e-4a4c-4f3b-9b7a-2d8f5c1e6a10"},
               .pages = std::vector<std::int64_t>{2},
               .table_format = "html"});
    REQUIRE(tables.pages.size() == 1);
    CHECK(tables.pages[0].index == 2);
    REQUIRE(tables.pages[0].tables.size() == 1);
    CHECK(tables.pages[0].tables[0].format == "html");
    CHECK(tables.pages[0].markdown.find("[tbl-0.md](tbl-0.md)") != std::string::npos);
    CHECK(json::parse(server.requests().at(0).body).at("document") ==
          json::parse(R"({"type":"file","file_id":"9f0a7f9e-4a4c-4f3b-9b7a-2d8f5c1e6a10"})"));

    auto image =
        c.ocr_async({.model = "mistral-ocr-latest",
                     .document = image_url_chunk{.image_url = "https://example.com/a.png"}});
    const ocr_response one = image.get();
    REQUIRE(one.pages.size() == 1);
    CHECK(one.pages[0].markdown.find("https://example.com/a.png") != std::string::npos);

    // A page the document does not have: the server's 422, typed.
    const auto e = expect_error<api_error>([&] {
        c.ocr({.model = "mistral-ocr-latest",
               .document = document_url("https://example.com/a.pdf"),
               .pages = std::vector<std::int64_t>{7}});
    });
    CHECK(e.status() == 422);
    CHECK(std::string(e.what()).find("7 is not a page") != std::string::npos);
}

TEST_CASE("ocr: refused before sending; the request's bytes; unknown members kept") {
    mock_transport mock;
    basic_client<mock_transport> c{{.api_key = "k"}, mock};
    CHECK(expect_error<usage_error>([&] { c.ocr({.model = "m"}); }).what() ==
          std::string("cannot send the request: the document has no URL or id"));
    CHECK(expect_error<usage_error>([&] {
              c.ocr({.document = document_url("https://example.com/a.pdf")});
          }).what() == std::string("cannot send the request: model is empty"));
    CHECK(expect_error<usage_error>([&] {
              c.ocr({.model = "m", .document = image_url_chunk{.image_url = image_url{.url = ""}}});
          }).what() == std::string("cannot send the request: the document has no URL or id"));
    CHECK(mock.requests().empty());

    mock.enqueue(scripted_response::json(
        R"({"pages":[{"index":0,"markdown":"# T","images":[],"dimensions":null,)"
        R"("blocks":[{"type":"text","text":"T"}],"rotation":90}],"model":"o",)"
        R"("document_annotation":null,"usage_info":{"pages_processed":1}})"));
    const auto r = c.ocr({.model = "o",
                          .document = document_url("data:application/pdf;base64,JVBERi0="),
                          .image_limit = 0,
                          .extract_header = true,
                          .confidence_scores_granularity = "page"});
    CHECK(mock.requests().at(0).body ==
          R"({"model":"o","document":{"type":"document_url",)"
          R"("document_url":"data:application/pdf;base64,JVBERi0="},"image_limit":0,)"
          R"("extract_header":true,"confidence_scores_granularity":"page"})");
    REQUIRE(r.pages.size() == 1);
    CHECK_FALSE(r.pages[0].dimensions);
    REQUIRE(r.pages[0].blocks);
    CHECK(r.pages[0].blocks->as_array().at(0).at("text") == "T");
    CHECK(r.pages[0].extra.at("rotation") == 90);

    mock.enqueue(scripted_response::json(
        R"({"pages":[{"index":"zero","markdown":"","images":[]}],"model":"o",)"
        R"("usage_info":{"pages_processed":1}})"));
    const auto wrong = expect_error<protocol_error>(
        [&] { c.ocr({.model = "o", .document = document_url("https://x/a.pdf")}); });
    CHECK(wrong.path() == "pages[0].index");
}
