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
    REQUIRE(list.data.size() == 5);
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
    const model_card& old = list.data.at(4);
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
