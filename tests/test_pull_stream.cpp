// tests/test_pull_stream.cpp: basic_client::open_stream() and chat_stream: a range-for over the
// chunks through the mock (a pull_transport), a push-only user transport (the helper thread) and
// the default transport over loopback; errors before the head thrown by open_stream(), errors
// mid-stream by the step; breaking out early releases the connection. (Run under TSan in CI.)
#include <mistral/mistral.hpp>
#include <mistral/testing.hpp>

#include <chrono>
#include <stop_token>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "catch.hpp"
#include "support/expect_error.hpp"
#include "support/fake_server.hpp"
#include "support/loopback.hpp"

using namespace mistral;
using namespace mistral::test;
using testing::mock_transport;
using testing::scripted_response;
using namespace std::chrono_literals;

namespace {

chat_request ask(std::string text = "hi") {
    return {.model = "m", .messages = {user(std::move(text))}};
}

// A transport with send() only: open_stream() reads it on its helper thread.
struct push_only {
    mock_transport mock;
    void send(const http_request& request, response_handler& handler) {
        mock.send(request, handler);
    }
};
static_assert(transport<push_only> && !pull_transport<push_only>);

template <class Client>
std::string pulled_text(Client& client, const chat_request& request) {
    std::string text;
    for (const chat_chunk& chunk : client.open_stream(request)) text += chunk.text();
    return text;
}

}  // namespace

TEST_CASE("open_stream: a range-for yields the chunks of a mock stream, folded as stream() does") {
    mock_transport mock;
    basic_client<mock_transport> client({.api_key = "k"}, mock);
    mock.enqueue(scripted_response::sse_text("Hello brave new world"));
    mock.enqueue(scripted_response::sse_text("Hello brave new world"));
    const chat_response pushed = client.stream(ask(), [](const chat_chunk&) {});

    chat_stream s = client.open_stream(ask());
    CHECK(s.response().http.status == 200);  // the head is in, no chunk read yet
    CHECK(s.response().choices.empty());
    CHECK_FALSE(s.finished());
    std::vector<std::string> pieces;
    for (const chat_chunk& chunk : s) pieces.push_back(chunk.text());
    CHECK(pieces == std::vector<std::string>{"", "Hello", " brave", " new", " world"});
    CHECK(s.finished());
    CHECK(s.response().text() == "Hello brave new world");
    CHECK(s.response().choices == pushed.choices);
    CHECK(s.response().usage == pushed.usage);
    CHECK(s.response().http.attempts == 1);
    CHECK(mock.requests().at(1).json().at("stream") == true);
    CHECK(client.usage().requests == 2);
    CHECK(client.usage().total_tokens == 2 * pushed.usage.total_tokens);
}

TEST_CASE("open_stream: the stream is movable and single-pass") {
    mock_transport mock;
    basic_client<mock_transport> client({.api_key = "k"}, mock);
    mock.enqueue(scripted_response::sse_text("one two three"));
    chat_stream first = client.open_stream(ask());
    auto it = first.begin();
    CHECK(it->text() == "");  // the role chunk
    ++it;
    CHECK(it->text() == "one");
    chat_stream moved = std::move(first);
    std::string rest;
    for (const chat_chunk& chunk : moved) rest += chunk.text();
    CHECK(rest == " two three");  // begin() reads on from the chunk the iterator stood on
    CHECK(moved.begin() == moved.end());
}

TEST_CASE("open_stream: a loop left with break and entered again continues with the next chunk") {
    mock_transport mock;
    basic_client<mock_transport> client({.api_key = "k"}, mock);
    mock.enqueue(scripted_response::sse_text("w0 w1 w2 w3"));
    chat_stream s = client.open_stream(ask());
    std::vector<std::string> seen;
    for (const chat_chunk& chunk : s) {
        seen.push_back(chunk.text());
        if (chunk.text() == " w2") break;
    }
    for (const chat_chunk& chunk : s) seen.push_back(chunk.text());
    CHECK(seen == std::vector<std::string>{"", "w0", " w1", " w2", " w3"});
    CHECK(s.response().choices.at(0).message.text() == "w0 w1 w2 w3");
}

TEST_CASE("open_stream: an error status is thrown by open_stream() after the retries") {
    mock_transport mock;
    client_options options{.api_key = "k"};
    options.retry.initial_backoff = 1ms;
    basic_client<mock_transport> client(options, mock);
    mock.enqueue(scripted_response::json(R"({"message":"busy"})", 503));
    mock.enqueue(scripted_response::sse_text("after a retry"));
    chat_stream s = client.open_stream(ask());
    CHECK(s.response().http.attempts == 2);
    std::string text;
    for (const chat_chunk& chunk : s) text += chunk.text();
    CHECK(text == "after a retry");

    mock.enqueue(scripted_response::json(
        R"({"object":"error","message":"bad model","type":"invalid_model","code":"1500"})", 400));
    const auto e = expect_error<api_error>([&] { (void)client.open_stream(ask()); });
    CHECK(e.status() == 400);
    CHECK(e.code() == "1500");
    CHECK(mock.requests().size() == 3);
}

TEST_CASE("open_stream: a cut stream throws from the step, with what arrived") {
    mock_transport mock;
    basic_client<mock_transport> client({.api_key = "k"}, mock);
    scripted_response cut = scripted_response::sse_text("never finished");
    cut.body_pieces.resize(2);  // the role chunk and "never", then the body ends
    mock.enqueue(cut);
    chat_stream s = client.open_stream(ask());
    std::string text;
    const auto e = expect_error<protocol_error>([&] {
        for (const chat_chunk& chunk : s) text += chunk.text();
    });
    CHECK(text == "never");
    CHECK(std::string(e.what()).find("before [DONE]") != std::string::npos);
    REQUIRE(e.partial_response() != nullptr);
    CHECK(e.partial_response()->text() == "never");
    CHECK(s.finished());
    CHECK(s.response().text() == "never");

    scripted_response reset = scripted_response::sse_text("cut here");
    reset.body_pieces.resize(2);
    reset.fail_after_body = transport_error_kind::timeout;
    mock.enqueue(reset);
    chat_stream t = client.open_stream(ask());
    const auto timeout = expect_error<transport_error>([&] {
        for (const chat_chunk& chunk : t) (void)chunk;
    });
    CHECK(timeout.kind() == transport_error_kind::timeout);
    REQUIRE(timeout.partial_response() != nullptr);
    CHECK(timeout.partial_response()->text() == "cut");
}

TEST_CASE("open_stream: a push-only transport is read on a helper thread") {
    push_only transport;
    mock_transport mock = transport.mock;
    basic_client<push_only> client({.api_key = "k"}, transport);
    scripted_response slow = scripted_response::sse_text("pulled through a helper thread");
    slow.delay_between_pieces = 5ms;
    mock.enqueue(slow);
    CHECK(pulled_text(client, ask()) == "pulled through a helper thread");

    // The helper thread offers the first piece before the first step asks: it is not lost.
    mock.enqueue(scripted_response::sse_text("no piece is lost"));
    {
        chat_stream s = client.open_stream(ask());
        std::this_thread::sleep_for(50ms);
        std::string text;
        for (const chat_chunk& chunk : s) text += chunk.text();
        CHECK(text == "no piece is lost");
    }

    // Breaking out early stops the helper thread's send() (it is joined, nothing leaks).
    mock.enqueue(scripted_response::sse_text("a b c d e f g h"));
    {
        chat_stream s = client.open_stream(ask());
        int seen = 0;
        for (const chat_chunk& chunk : s) {
            (void)chunk;
            if (++seen == 3) break;
        }
        CHECK(seen == 3);
    }
    mock.enqueue(scripted_response::sse_text("still usable"));
    CHECK(pulled_text(client, ask()) == "still usable");
    CHECK(client.usage().requests == 4);

    // An error before the head comes out of open_stream(), from the helper thread.
    mock.enqueue(scripted_response::failure(transport_error_kind::tls));
    const auto e = expect_error<transport_error>([&] { (void)client.open_stream(ask()); });
    CHECK(e.kind() == transport_error_kind::tls);
}

TEST_CASE("open_stream: any_transport is a pull_transport whatever it holds") {
    static_assert(pull_transport<any_transport>);
    push_only transport;
    mock_transport mock = transport.mock;
    basic_client<any_transport> client({.api_key = "k"}, any_transport(transport));
    mock.enqueue(scripted_response::sse_text("through any_transport"));
    CHECK(pulled_text(client, ask()) == "through any_transport");
}

TEST_CASE("open_stream: over loopback with the default transport") {
    fake_server server;
    client c(options_for(server.base_url()));
    const chat_response pushed = c.stream(question(), [](const chat_chunk&) {});
    chat_stream s = c.open_stream(question());
    CHECK(s.response().http.request_id.starts_with("fake-"));
    std::string text;
    int chunks = 0;
    for (const chat_chunk& chunk : s) {
        text += chunk.text();
        ++chunks;
    }
    CHECK(chunks > 3);
    CHECK(text == pushed.text());
    CHECK(s.response().text() == pushed.text());
    CHECK(s.response().usage == pushed.usage);
    CHECK(server.connection_count() == 1);  // read to the end: the connection was reused
}

TEST_CASE("open_stream: breaking out early closes the connection and the client stays usable") {
    fake_server server;
    server.script(faults::raw_stream(server, faults::text_events(1000, true), false, 5ms));
    client c(options_for(server.base_url()));
    const auto took = elapsed([&] {
        int seen = 0;
        for (const chat_chunk& chunk : c.open_stream(question())) {
            (void)chunk;
            if (++seen == 3) break;
        }
        CHECK(seen == 3);
    });
    CHECK(took < 2s);  // 1000 events at 5 ms each would be 5 s
    CHECK(pulled_text(c, question()).size() > 10);
    CHECK(server.connection_count() == 2);  // the abandoned connection was not reused
}

TEST_CASE("open_stream: call.stop cancels a step from another thread") {
    fake_server server;
    server.script(faults::raw_stream(server, faults::text_events(1000, true), false, 20ms));
    client c(options_for(server.base_url()));
    std::stop_source stop;
    call_options call;
    call.stop = stop.get_token();
    chat_stream s = c.open_stream(question(), call);
    std::jthread canceller([&stop] {
        std::this_thread::sleep_for(200ms);
        stop.request_stop();
    });
    std::string text;
    const auto e = expect_error<transport_error>([&] {
        for (const chat_chunk& chunk : s) text += chunk.text();
    });
    CHECK(e.kind() == transport_error_kind::cancelled);
    CHECK(text.starts_with("w0 w1 "));
    REQUIRE(e.partial_response() != nullptr);
    CHECK(e.partial_response()->text() == text);
    CHECK(c.chat(question()).http.status == 200);
}
