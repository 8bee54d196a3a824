// tests/test_decoder.cpp: the byte-fed core (exchange.hpp) on its own, as a Qt, Unreal or
// libcurl-multi program drives it: every recorded stream of the corpus fed whole, a byte at a
// time and at random splits folds exactly as the blocking client folds it; prepare_request builds
// the request chat() and stream() send; decode_response and stream_decoder report every error as
// the client does.
#include <mistral/core.hpp>
#include <mistral/testing.hpp>

#include <boost/json/serialize.hpp>

#include <random>
#include <string>
#include <vector>

#include "catch.hpp"
#include "fixtures.hpp"
#include "stream_families.hpp"

namespace json = boost::json;
using namespace mistral;
using testing::mock_transport;
using testing::scripted_response;

namespace {

const response_head sse_head{200, {{"Content-Type", "text/event-stream"}}};

struct decoded {
    chat_response response;
    std::string text;  // what the callback saw, choice 0
    std::size_t chunks = 0;
};

// Feeds `body` to a fresh decoder in the pieces given by `cuts` (offsets, in order).
decoded decode(std::string_view body, const std::vector<std::size_t>& cuts) {
    stream_decoder dec;
    dec.head(sse_head);
    decoded out;
    std::size_t at = 0;
    auto on_chunk = [&](const chat_chunk& c) {
        out.text += c.text();
        ++out.chunks;
    };
    for (const std::size_t cut : cuts) {
        dec.feed(body.substr(at, cut - at), on_chunk);
        at = cut;
    }
    dec.feed(body.substr(at), on_chunk);
    out.response = dec.finish();
    return out;
}

// The same body through the blocking client over the mock.
chat_response through_client(const std::string& body) {
    mock_transport mock;
    mock.enqueue({.headers = {{"Content-Type", "text/event-stream"}}, .body_pieces = {body}});
    basic_client<mock_transport> client{{.api_key = "test"}, mock};
    return client.stream({.model = "m", .messages = {user(test::family_question)}},
                         [](const chat_chunk&) {});
}

json::value comparable(chat_response r) {
    r.http = {};  // the client's metadata counts attempts; the decoder's does not
    return json::value_from(r);
}

}  // namespace

TEST_CASE("decoder: every recorded stream folds as the blocking client folds it, at any split") {
    std::mt19937 random(7);
    for (const auto& family : test::stream_families) {
        INFO(family.name);
        const std::string body = test::read_fixture(std::string("streams/") + family.name + ".sse");
        const json::value expected = comparable(through_client(body));
        const decoded whole = decode(body, {});
        CHECK(comparable(whole.response) == expected);
        CHECK(whole.text == whole.response.text());

        std::vector<std::size_t> every_byte;
        for (std::size_t i = 1; i < body.size(); ++i) every_byte.push_back(i);
        const decoded bytewise = decode(body, every_byte);
        CHECK(comparable(bytewise.response) == expected);
        CHECK(bytewise.chunks == whole.chunks);

        for (int round = 0; round < 50; ++round) {
            std::vector<std::size_t> cuts;
            for (std::size_t at = 0;;) {
                at += 1 + random() % 97;
                if (at >= body.size()) break;
                cuts.push_back(at);
            }
            INFO("round " << round);
            CHECK(comparable(decode(body, cuts).response) == expected);
        }
    }
}

TEST_CASE("decoder: prepare_request builds the request the client sends, and refuses the same") {
    client_options opts{.api_key = "sk-test", .base_url = "http://127.0.0.1:8088"};
    opts.headers = {{"X-Team", "blue"}};
    chat_request req{.model = "mistral-small-latest", .messages = {user("Hi")}, .temperature = 0.2};
    mock_transport mock;
    basic_client<mock_transport> client{opts, mock};
    mock.enqueue(scripted_response::completion("Hello"));
    (void)client.chat(req);
    const http_request plain = prepare_request(opts, req);
    CHECK(plain.url == "http://127.0.0.1:8088/v1/chat/completions");
    CHECK(plain.method == "POST");
    CHECK(plain.body == mock.requests().at(0).body);
    CHECK(plain.headers.find("Authorization") == "Bearer sk-test");
    CHECK(plain.headers.find("X-Team") == "blue");
    CHECK(plain.headers.find("Accept") == "application/json");

    mock.enqueue(scripted_response::sse_text("Hello"));
    (void)client.stream(req, [](const chat_chunk&) {});
    req.stream = true;
    const http_request streamed = prepare_request(opts, req);
    CHECK(streamed.body == mock.requests().at(1).body);
    CHECK(json::parse(streamed.body).at("stream") == true);
    CHECK(streamed.headers.find("Accept") == "text/event-stream");
    CHECK(streamed.read_timeout == opts.timeouts.stream_idle);

    CHECK_THROWS_AS(prepare_request({.api_key = ""}, req), usage_error);
    chat_request refused = req;
    refused.messages = {user("Hi"), assistant("Hello")};  // preflight: last is an assistant
    CHECK_THROWS_AS(prepare_request(opts, refused), usage_error);
}

TEST_CASE("decoder: decode_response gives what chat() gives, errors included") {
    const std::string body = test::read_fixture("response_basic.json");
    const chat_response decoded = decode_response(
        {200, {{"Content-Type", "application/json"}, {"x-request-id", "r-1"}}}, body);
    mock_transport mock;
    basic_client<mock_transport> client{{.api_key = "test"}, mock};
    mock.enqueue(scripted_response::json(body));
    CHECK(comparable(decoded) == comparable(client.chat({.model = "m", .messages = {user("x")}})));
    CHECK(decoded.http.request_id == "r-1");

    client_options opts{.api_key = "sk-echoed-KEY-123"};
    try {
        (void)decode_response({429, {{"Retry-After", "3"}}},
                              R"({"message":"slow down, sk-echoed-KEY-123","type":"rate_limited"})",
                              opts);
        FAIL("no error");
    } catch (const api_error& e) {
        CHECK(e.status() == 429);
        CHECK(e.message() == "slow down, [redacted]");
        CHECK(e.retryable());
    }
    CHECK_THROWS_AS(decode_response({200, {}}, "{not json"), protocol_error);
    client_options small{.api_key = "k"};
    small.max_response_size = 10;
    CHECK_THROWS_AS(decode_response({200, {}}, body, small), protocol_error);
}

TEST_CASE("decoder: an error status is collected by feed() and thrown by finish()") {
    stream_decoder dec;
    dec.head({503, {{"Content-Type", "application/json"}}});
    int chunks = 0;
    dec.feed(R"({"message":"over)", [&](const chat_chunk&) { ++chunks; });
    dec.feed(R"(loaded","type":"unavailable"})", [&](const chat_chunk&) { ++chunks; });
    try {
        (void)dec.finish();
        FAIL("no error");
    } catch (const api_error& e) {
        CHECK(e.status() == 503);
        CHECK(e.message() == "overloaded");
    }
    CHECK(chunks == 0);
}

TEST_CASE("decoder: an error event throws from feed() with what arrived") {
    stream_decoder dec;
    dec.head(sse_head);
    const std::string text_chunk =
        R"(data: {"id":"a","model":"m","choices":[{"index":0,"delta":{"content":"Hi"}}]})"
        "\n\n";
    dec.feed(text_chunk, [](const chat_chunk&) {});
    try {
        dec.feed("event: error\ndata: {\"message\":\"boom\",\"raw_status_code\":529}\n\n",
                 [](const chat_chunk&) {});
        FAIL("no error");
    } catch (const api_error& e) {
        CHECK(e.status() == 529);
        REQUIRE(e.partial_response() != nullptr);
        CHECK(e.partial_response()->text() == "Hi");
    }
}

TEST_CASE("decoder: [DONE], a stop, an early end and a body that is not a stream") {
    const std::string chunk =
        R"(data: {"id":"a","model":"m","choices":[{"index":0,"delta":{"content":"x"}}]})"
        "\n\n";
    {
        stream_decoder dec;
        dec.head(sse_head);
        dec.feed(chunk + ": keep-alive\n\n", [](const chat_chunk&) {});
        CHECK(dec.events() == 1);  // the comment carries nothing
        CHECK(!dec.done());
        dec.feed("data: [DONE]\n", [](const chat_chunk&) {});  // no blank line yet: done anyway
        CHECK(dec.done());
        CHECK(dec.finish().text() == "x");
    }
    {
        stream_decoder dec;
        dec.head(sse_head);
        dec.feed(chunk + chunk, [](const chat_chunk&) { return false; });  // stops at the first
        CHECK(dec.stopped());
        CHECK(dec.finish().text() == "x");
    }
    {
        stream_decoder dec;
        dec.head(sse_head);
        dec.feed(chunk, [](const chat_chunk&) {});
        try {
            (void)dec.finish();
            FAIL("no error");
        } catch (const protocol_error& e) {
            CHECK(std::string(e.what()).starts_with("stream ended before [DONE] after 1 chunks"));
            REQUIRE(e.partial_response() != nullptr);
            CHECK(e.partial_response()->text() == "x");
        }
    }
    {
        stream_decoder dec;
        dec.head({200, {{"Content-Type", "text/html"}}});
        dec.feed("<html>hello</html>", [](const chat_chunk&) {});
        CHECK_THROWS_WITH(dec.finish(), Catch::Matchers::StartsWith(
                                            "expected an event stream, got Content-Type"));
    }
}
