// tests/test_client.cpp: basic_client over the mock transport: request shape, streaming semantics,
// errors, retries, cancellation, secrets. (The same behaviours over real sockets are in
// test_integration.cpp.)
#include <mistral/core.hpp>
#include <mistral/testing.hpp>

#include <chrono>
#include <cmath>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "catch.hpp"
#include "fixtures.hpp"

using namespace mistral;
using testing::mock_transport;
using testing::scripted_response;
using namespace std::chrono_literals;

// basic_client declares its special members (so that mistral::client's are compiled once with
// separate compilation): a client stays copyable (copies share the usage counts) and moves
// without throwing.
static_assert(std::is_copy_constructible_v<basic_client<mock_transport>> &&
              std::is_copy_assignable_v<basic_client<mock_transport>>);
static_assert(std::is_nothrow_move_constructible_v<basic_client<mock_transport>> &&
              std::is_nothrow_move_assignable_v<basic_client<mock_transport>>);
static_assert(std::is_nothrow_move_constructible_v<basic_client<any_transport>>);

namespace {

constexpr const char* secret_key = "sk-TOPSECRET-0123456789abcdef";

// A client over a mock, with retries that wait in fake time (recorded, not slept).
struct harness {
    mock_transport mock;
    std::vector<std::chrono::milliseconds> waits;
    std::vector<std::string> log;
    std::chrono::steady_clock::time_point fake_now{};
    basic_client<mock_transport> client;

    explicit harness(client_options options = {}) : client(configure(std::move(options)), mock) {}

    client_options configure(client_options options) {
        options.api_key = secret_key;
        options.environment.sleep = [this](std::chrono::milliseconds d, mistral::stop_token) {
            waits.push_back(d);
            fake_now += d;
        };
        options.environment.now = [this] { return fake_now; };
        options.environment.jitter = [] { return 0.5; };
        options.debug = [this](std::string_view line) { log.emplace_back(line); };
        return options;
    }
};

chat_request hello() {
    return {.model = "mistral-small-latest", .messages = {user("Hello")}};
}

std::string event(const std::string& json) {
    return "data: " + json + "\n\n";
}

std::string text_chunk_json(const std::string& text) {
    return R"({"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":")" +
           text + R"("},"finish_reason":null}]})";
}

scripted_response stream_of(std::vector<std::string> pieces) {
    return {.headers = {{"Content-Type", "text/event-stream"}}, .body_pieces = std::move(pieces)};
}

}  // namespace

TEST_CASE("chat() sends the documented request and returns the parsed response") {
    harness h;
    h.mock.enqueue(scripted_response::json(test::read_fixture("response_basic.json"), 200,
                                           {{"x-request-id", "req-42"},
                                            {"x-ratelimit-remaining-tokens-minute", "499000"},
                                            {"x-ratelimit-tokens-query-cost", "15"}}));
    const chat_response r = h.client.chat(hello());
    CHECK(r.choices.at(0).message.text() == "Paris.");
    CHECK(r.usage.total_tokens == 15);
    CHECK(r.http.status == 200);
    CHECK(r.http.request_id == "req-42");
    CHECK(r.http.attempts == 1);
    CHECK(r.http.rate_limits.tokens_query_cost == 15);
    CHECK(r.http.rate_limits.find("tokens", "minute")->remaining == 499000);

    const auto sent = h.mock.requests().at(0);
    CHECK(sent.method == "POST");
    CHECK(sent.url == "https://api.mistral.ai/v1/chat/completions");
    CHECK(sent.headers.find("Authorization") == std::string("Bearer ") + secret_key);
    CHECK(sent.headers.find("Content-Type") == "application/json");
    CHECK(sent.headers.find("Accept") == "application/json");
    CHECK(sent.headers.find("User-Agent") == "mistral-cpp/" MISTRAL_CPP_VERSION_STRING);
    CHECK(
        sent.json() ==
        boost::json::parse(
            R"({"model":"mistral-small-latest","messages":[{"role":"user","content":"Hello"}]})"));
    CHECK(sent.read_timeout == client_options{}.timeouts.read);
}

TEST_CASE("base URL, named servers and extra headers") {
    client_options options;
    options.base_url = servers::eu;
    options.headers = {{"X-Team", "a"}, {"User-Agent", "my-app/1"}};
    harness h(options);
    h.mock.enqueue(scripted_response::completion("ok"));
    h.mock.enqueue(scripted_response::completion("ok"));
    call_options call;
    call.headers = {{"X-Team", "b"}, {"X-Trace", "t1"}};
    h.client.chat(hello());
    h.client.chat(hello(), call);
    const auto sent = h.mock.requests();
    CHECK(sent[0].url == "https://api.eu.mistral.ai/v1/chat/completions");
    CHECK(sent[0].headers.find("X-Team") == "a");
    CHECK(sent[0].headers.find("User-Agent") == "my-app/1");
    CHECK(sent[1].headers.find("X-Team") == "b");
    CHECK(sent[1].headers.find("X-Trace") == "t1");
    CHECK(std::string(servers::us) == "https://api.us.mistral.ai");

    client_options trailing;
    trailing.base_url = "http://127.0.0.1:9/prefix/";
    harness h2(trailing);
    h2.mock.enqueue(scripted_response::completion("ok"));
    h2.client.chat(hello());
    CHECK(h2.mock.requests().at(0).url == "http://127.0.0.1:9/prefix/v1/chat/completions");
}

TEST_CASE(
    "stream() always sends stream:true, calls back per chunk and returns the folded response") {
    harness h;
    h.mock.enqueue(scripted_response::sse_text("The capital of France is Paris."));
    chat_request req = hello();
    req.stream = false;  // overridden: a streaming request always says stream: true
    std::vector<std::string> pieces;
    const chat_response r = h.client.stream(
        req, [&](const chat_chunk& c) { pieces.push_back(c.choices.at(0).delta.text()); });
    CHECK(pieces ==
          std::vector<std::string>{"", "The", " capital", " of", " France", " is", " Paris."});
    CHECK(r.choices.at(0).message.text() == "The capital of France is Paris.");
    CHECK(r.choices.at(0).finish_reason == finish_reason::stop);
    CHECK(r.usage.completion_tokens == 6);
    CHECK(r.http.status == 200);
    const auto sent = h.mock.requests().at(0);
    CHECK(sent.json().at("stream") == true);
    CHECK(sent.headers.find("Accept") == "text/event-stream");
    CHECK(sent.read_timeout == client_options{}.timeouts.stream_idle);
}

TEST_CASE("events split anywhere across transport reads decode the same") {
    const std::string body = event(text_chunk_json("Hé")) + ": keep-alive\n\n" +
                             event(text_chunk_json(" 巴黎 🎉")) + "event: ping\ndata: {}\n\n" +
                             "data:\n\n" + "data: [DONE]\n\n";
    for (std::size_t piece : {1u, 2u, 3u, 7u, 64u, 4096u}) {
        harness h;
        scripted_response r = stream_of({});
        for (std::size_t at = 0; at < body.size(); at += piece)
            r.body_pieces.push_back(body.substr(at, piece));
        h.mock.enqueue(r);
        int chunks = 0;
        const auto out = h.client.stream(hello(), [&](const chat_chunk&) { ++chunks; });
        INFO("piece size " << piece);
        CHECK(chunks == 2);
        CHECK(out.choices.at(0).message.text() == "Hé 巴黎 🎉");
    }
}

TEST_CASE("a callback returning false stops the stream early without an error") {
    harness h;
    h.mock.enqueue(stream_of({event(text_chunk_json("one")), event(text_chunk_json(" two")),
                              event(text_chunk_json(" three")), "data: [DONE]\n\n"}));
    h.mock.enqueue(scripted_response::sse_text("again"));
    int calls = 0;
    const chat_response r =
        h.client.stream(hello(), [&](const chat_chunk&) { return ++calls < 2; });
    CHECK(calls == 2);
    CHECK(r.choices.at(0).message.text() == "one two");
    CHECK_FALSE(r.choices.at(0).finish_reason.has_value());
    // The client stays usable.
    CHECK(h.client.stream(hello(), [](const chat_chunk&) {}).choices.at(0).message.text() ==
          "again");
}

TEST_CASE("a stream that ends without [DONE] is a protocol_error that keeps what arrived") {
    harness h;
    h.mock.enqueue(stream_of({event(text_chunk_json("partial")), event(text_chunk_json(" text"))}));
    try {
        h.client.stream(hello(), [](const chat_chunk&) {});
        FAIL("no error");
    } catch (const protocol_error& e) {
        CHECK_THAT(std::string(e.what()),
                   Catch::Matchers::StartsWith("stream ended before [DONE] after 2 chunks"));
        REQUIRE(e.partial_response() != nullptr);
        CHECK(e.partial_response()->choices.at(0).message.text() == "partial text");
    }
    CHECK(h.mock.requests().size() == 1);  // not retried: bytes reached the caller

    harness cut;  // the connection breaks mid-stream
    scripted_response r = stream_of({event(text_chunk_json("cut"))});
    r.fail_after_body = transport_error_kind::reset;
    cut.mock.enqueue(r);
    try {
        cut.client.stream(hello(), [](const chat_chunk&) {});
        FAIL("no error");
    } catch (const protocol_error& e) {
        CHECK(e.partial_response()->choices.at(0).message.text() == "cut");
    }
    CHECK(cut.mock.requests().size() == 1);

    // A body that ends in the middle of an event, without [DONE]: incomplete.
    for (const std::string tail : {"data: [DONE]", "data: [DO", "data: {\"id\":\"c1\"",
                                   "data: [DONE]\ndata: more\n", "event: other\ndata: [DONE]\n"}) {
        INFO(tail);
        harness unterminated;
        unterminated.mock.enqueue(stream_of({event(text_chunk_json("x")), tail}));
        CHECK_THROWS_AS(unterminated.client.stream(hello(), [](const chat_chunk&) {}),
                        protocol_error);
    }
}

TEST_CASE("a stream whose body ends right after the [DONE] line is complete") {
    // The event's blank line never comes, so the SSE rules never dispatch it; but [DONE] and
    // everything before it arrived.
    for (const std::string tail : {"data: [DONE]\n", "data: [DONE]\r\n", "data: [DONE]\r",
                                   "data:[DONE]\n", ": bye\ndata: [DONE]\n"}) {
        INFO(tail);
        harness h;
        h.mock.enqueue(stream_of({event(text_chunk_json("all")), tail}));
        CHECK(h.client.stream(hello(), [](const chat_chunk&) {}).text() == "all");

        harness reset;  // and then the connection breaks: still complete
        scripted_response r = stream_of({event(text_chunk_json("all")), tail});
        r.fail_after_body = transport_error_kind::reset;
        reset.mock.enqueue(r);
        CHECK(reset.client.stream(hello(), [](const chat_chunk&) {}).text() == "all");
    }
}

TEST_CASE("a stream whose tool call never got a name is a protocol_error naming it") {
    harness h;
    h.mock.enqueue(stream_of(
        {event(
             R"({"id":"c","model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"abcdefghi","function":{"name":"f","arguments":"{}"}},{"index":1,"id":"abcdefghj","function":{"arguments":"{}"}}]}}]})"),
         event(
             R"({"id":"c","model":"m","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]})"),
         "data: [DONE]\n\n"}));
    try {
        h.client.stream(hello(), [](const chat_chunk&) {});
        FAIL("no error");
    } catch (const protocol_error& e) {
        CHECK(e.path() == "choices[0].message.tool_calls[1].function.name");
        REQUIRE(e.partial_response() != nullptr);
        CHECK(e.partial_response()->choices.at(0).message.tool_calls->size() == 2);
    }
}

TEST_CASE("an error payload inside a 200 stream is an api_error with the payload's status") {
    harness h;
    h.mock.enqueue(stream_of(
        {event(text_chunk_json("Hel")),
         event(
             R"({"object":"error","message":"Service overloaded","type":"server_error","param":null,"code":"3505","raw_status_code":503})")}));
    try {
        h.client.stream(hello(), [](const chat_chunk&) {});
        FAIL("no error");
    } catch (const api_error& e) {
        CHECK(e.status() == 503);
        CHECK(e.message() == "Service overloaded");
        CHECK(e.code() == "3505");
        REQUIRE(e.partial_response() != nullptr);
        CHECK(e.partial_response()->choices.at(0).message.text() == "Hel");
    }
    harness plain;  // without raw_status_code: the HTTP status
    plain.mock.enqueue(stream_of({event(R"({"error":{"message":"boom","type":"server_error"}})")}));
    try {
        plain.client.stream(hello(), [](const chat_chunk&) {});
        FAIL("no error");
    } catch (const api_error& e) {
        CHECK(e.status() == 200);
        CHECK(e.message() == "boom");
        CHECK(e.partial_response() == nullptr);
    }
}

TEST_CASE("malformed stream data is a protocol_error naming the problem") {
    harness h;
    h.mock.enqueue(
        stream_of({event(text_chunk_json("ok")), event("{not json"), "data: [DONE]\n\n"}));
    try {
        h.client.stream(hello(), [](const chat_chunk&) {});
        FAIL("no error");
    } catch (const protocol_error& e) {
        CHECK_THAT(std::string(e.what()),
                   Catch::Matchers::StartsWith("malformed JSON in stream event"));
        CHECK(e.partial_response()->choices.at(0).message.text() == "ok");
    }
    harness wrong_type;
    wrong_type.mock.enqueue(
        stream_of({event(R"({"id":"c","model":"m","choices":[{"index":"0","delta":{}}]})")}));
    CHECK_THROWS_WITH(wrong_type.client.stream(hello(), [](const chat_chunk&) {}),
                      "choices[0].index: expected integer, got string");

    harness not_sse;
    not_sse.mock.enqueue(scripted_response::json(R"({"id":"x"})"));
    CHECK_THROWS_WITH(
        not_sse.client.stream(hello(), [](const chat_chunk&) {}),
        R"(expected an event stream, got Content-Type "application/json": {"id":"x"})");

    harness bad_json;
    bad_json.mock.enqueue(scripted_response::json("<html>oops</html>"));
    CHECK_THROWS_AS(bad_json.client.chat(hello()), protocol_error);
}

TEST_CASE("exceptions thrown by the callback propagate and are not retried") {
    struct my_error {};
    harness h;
    h.mock.enqueue(scripted_response::sse_text("a b c"));
    CHECK_THROWS_AS(h.client.stream(hello(), [](const chat_chunk&) { throw my_error{}; }),
                    my_error);
    CHECK(h.mock.requests().size() == 1);
}

TEST_CASE("what cannot be sent is a usage_error before any I/O") {
    harness h;
    auto expect_usage_error = [&](chat_request req, const std::string& message) {
        CHECK_THROWS_WITH(h.client.chat(req), message);
    };
    chat_request no_model = hello();
    no_model.model.clear();
    expect_usage_error(no_model, "cannot send the request: model is empty");
    chat_request no_messages = hello();
    no_messages.messages.clear();
    expect_usage_error(no_messages, "cannot send the request: messages is empty");
    chat_request nan = hello();
    nan.temperature = std::nan("");
    expect_usage_error(nan, "cannot send the request: temperature: not a finite number");
    chat_request infinite = hello();
    infinite.guardrails = std::vector<guardrail_config>{
        {.moderation_llm_v1 = moderation_llm_v1_config{
             .custom_category_thresholds = moderation_v1_thresholds{.pii = INFINITY}}}};
    expect_usage_error(
        infinite,
        "cannot send the request: guardrails[0].moderation_llm_v1.custom_category_thresholds.pii: "
        "not a finite number");
    chat_request bad_utf8 = hello();
    bad_utf8.messages.push_back(user("caf\xC3 and \xE9t\xE9"));
    expect_usage_error(bad_utf8,
                       "cannot send the request: messages[1].content: invalid UTF-8 at byte 3");
    chat_request surrogate = hello();
    surrogate.messages.push_back(user("\xED\xA0\x80"));
    expect_usage_error(surrogate,
                       "cannot send the request: messages[1].content: invalid UTF-8 at byte 0");
    chat_request streaming = hello();
    streaming.stream = true;
    CHECK_THROWS_AS(h.client.chat(streaming), usage_error);
    CHECK(h.mock.requests().empty());

    client_options keyless;
    keyless.api_key.clear();
    mock_transport mock;
    basic_client<mock_transport> no_key(keyless, mock);
    CHECK_THROWS_WITH(
        no_key.chat(hello()),
        "no API key: set client_options::api_key or the MISTRAL_API_KEY environment variable");
    CHECK(mock.requests().empty());

    chat_request fine = hello();
    fine.messages.push_back(user("UTF-8 is fine: é 巴黎 🎉"));
    h.mock.enqueue(scripted_response::completion("ok"));
    CHECK(h.client.chat(fine).choices.at(0).message.text() == "ok");
}

TEST_CASE("every known error body shape becomes an api_error; 4xx are not retried") {
    for (const auto& [status, file] : test::client_error_fixtures) {
        harness h;
        const std::string body = test::read_fixture("errors/" + file);
        h.mock.enqueue(scripted_response::json(body, status, {{"x-request-id", "rid"}}));
        INFO(file);
        try {
            h.client.chat(hello());
            FAIL("no error");
        } catch (const api_error& e) {
            CHECK(e.status() == status);
            CHECK(e.body() == body);
            CHECK_FALSE(e.message().empty());
            CHECK(e.request_id() == "rid");
            CHECK_FALSE(e.retryable());
        }
        CHECK(h.mock.requests().size() == 1);
    }
    harness h;
    h.mock.enqueue(
        scripted_response::json(test::read_fixture("errors/422_nested_detail.json"), 422));
    try {
        h.client.chat(hello());
    } catch (const api_error& e) {
        REQUIRE(e.validation_issues().size() == 1);
        CHECK(e.validation_issues()[0].location == "body.max_completion_tokens");
    }
}

TEST_CASE("retries: 429 with Retry-After waits as asked, then succeeds") {
    harness h;
    h.mock.enqueue(scripted_response::json(test::read_fixture("errors/429_rate_limited.json"), 429,
                                           {{"Retry-After", "2"}}));
    h.mock.enqueue(scripted_response::completion("after the wait"));
    const auto r = h.client.chat(hello());
    CHECK(r.choices.at(0).message.text() == "after the wait");
    CHECK(r.http.attempts == 2);
    CHECK(h.waits == std::vector<std::chrono::milliseconds>{2000ms});
    CHECK(h.mock.requests().size() == 2);

    harness ms;  // retry-after-ms wins
    ms.mock.enqueue(
        scripted_response::json("{}", 503, {{"retry-after-ms", "250"}, {"Retry-After", "9"}}));
    ms.mock.enqueue(scripted_response::completion("ok"));
    ms.client.chat(hello());
    CHECK(ms.waits == std::vector<std::chrono::milliseconds>{250ms});
}

TEST_CASE("retries: 500, 502, 503 then success, with full-jitter exponential backoff") {
    client_options options;
    options.retry.max_retries = 3;
    harness h(options);
    for (int status : {500, 502, 503}) h.mock.enqueue(scripted_response::json("{}", status));
    h.mock.enqueue(scripted_response::sse_text("finally"));
    const auto r = h.client.stream(hello(), [](const chat_chunk&) {});
    CHECK(r.choices.at(0).message.text() == "finally");
    CHECK(r.http.attempts == 4);
    // jitter 0.5 of 500 ms, 1 s, 2 s
    CHECK(h.waits == std::vector<std::chrono::milliseconds>{250ms, 500ms, 1000ms});
}

TEST_CASE("retries: 429 forever gives up within the bound with the rate-limit headers") {
    harness h;
    for (int i = 0; i < 5; ++i) {
        h.mock.enqueue(scripted_response::json(
            test::read_fixture("errors/429_rate_limited.json"), 429,
            {{"x-ratelimit-limit-req-minute", "60"}, {"x-ratelimit-remaining-req-minute", "0"}}));
    }
    try {
        h.client.chat(hello());
        FAIL("no error");
    } catch (const api_error& e) {
        CHECK(e.status() == 429);
        CHECK(e.type() == "rate_limited");
        CHECK(e.rate_limits().find("req", "minute")->remaining == 0);
        CHECK(e.metadata().attempts == 3);
        CHECK(e.retryable());
    }
    CHECK(h.mock.requests().size() == 3);  // 1 + max_retries
    CHECK(h.waits.size() == 2);
}

TEST_CASE("retries: the total time and the server's wait are bounded") {
    harness too_long;  // Retry-After past max_retry_after: give up at once
    too_long.mock.enqueue(scripted_response::json("{}", 429, {{"Retry-After", "120"}}));
    CHECK_THROWS_AS(too_long.client.chat(hello()), api_error);
    CHECK(too_long.waits.empty());

    client_options options;
    options.retry.max_retries = 10;
    options.retry.max_elapsed = 5000ms;
    harness bounded(options);
    for (int i = 0; i < 11; ++i)
        bounded.mock.enqueue(scripted_response::json("{}", 503, {{"Retry-After", "2"}}));
    CHECK_THROWS_AS(bounded.client.chat(hello()), api_error);
    CHECK(bounded.waits ==
          std::vector<std::chrono::milliseconds>{2000ms, 2000ms});  // a third would pass 5 s

    call_options no_retry;
    no_retry.retry = retry_policy::none();
    harness once;
    once.mock.enqueue(scripted_response::json("{}", 503));
    CHECK_THROWS_AS(once.client.chat(hello(), no_retry), api_error);
    CHECK(once.mock.requests().size() == 1);
}

TEST_CASE("retries: connection failures are retried, TLS and name resolution failures are not") {
    harness h;
    h.mock.enqueue(scripted_response::failure(transport_error_kind::connect));
    h.mock.enqueue(scripted_response::failure(transport_error_kind::reset));
    h.mock.enqueue(scripted_response::completion("ok"));
    CHECK(h.client.chat(hello()).http.attempts == 3);

    for (auto kind : {transport_error_kind::tls, transport_error_kind::name_resolution,
                      transport_error_kind::other}) {
        harness once;
        once.mock.enqueue(scripted_response::failure(kind));
        try {
            once.client.chat(hello());
            FAIL("no error");
        } catch (const transport_error& e) {
            CHECK(e.kind() == kind);
        }
        CHECK(once.mock.requests().size() == 1);
    }
}

TEST_CASE("cancellation stops a call promptly, also during a retry wait") {
    mock_transport mock;
    scripted_response slow = scripted_response::sse_text("never delivered in full");
    slow.delay_between_pieces = 10s;
    mock.enqueue(slow);
    client_options options;
    options.api_key = secret_key;
    basic_client<mock_transport> client(options, mock);
    mistral::stop_source stop;
    call_options call;
    call.stop = stop.get_token();
    std::thread canceller([&] {
        std::this_thread::sleep_for(100ms);
        stop.request_stop();
    });
    const auto start = std::chrono::steady_clock::now();
    try {
        client.stream(
            hello(), [](const chat_chunk&) {}, call);
        FAIL("no error");
    } catch (const transport_error& e) {
        CHECK(e.kind() == transport_error_kind::cancelled);
    }
    CHECK(std::chrono::steady_clock::now() - start < 5s);
    canceller.join();

    // During the real (interruptible) sleep between retries.
    mock_transport failing;
    failing.enqueue(scripted_response::json("{}", 429, {{"Retry-After", "20"}}));
    basic_client<mock_transport> retrying(options, failing);
    mistral::stop_source stop2;
    call.stop = stop2.get_token();
    std::thread canceller2([&] {
        std::this_thread::sleep_for(100ms);
        stop2.request_stop();
    });
    const auto start2 = std::chrono::steady_clock::now();
    try {
        retrying.chat(hello(), call);
        FAIL("no error");
    } catch (const transport_error& e) {
        CHECK(e.kind() == transport_error_kind::cancelled);
    }
    CHECK(std::chrono::steady_clock::now() - start2 < 5s);
    canceller2.join();

    mistral::stop_source already;
    already.request_stop();
    call.stop = already.get_token();
    CHECK_THROWS_AS(retrying.chat(hello(), call), transport_error);
}

TEST_CASE("the API key appears in no error message and no debug line") {
    harness h;
    // A server that echoes the key back in its error body.
    h.mock.enqueue(scripted_response::json(
        std::string(R"({"message":"bad key )") + secret_key + R"("})", 401));
    h.mock.enqueue(scripted_response::failure(transport_error_kind::tls));
    h.mock.enqueue(
        stream_of({event(text_chunk_json("x")),
                   event(std::string(R"({"object":"error","message":")") + secret_key + "\"}")}));
    h.mock.enqueue(scripted_response::json("{}", 503));
    h.mock.enqueue(scripted_response::completion("ok"));
    std::vector<std::string> texts;
    try {
        h.client.chat(hello());
    } catch (const api_error& e) {
        texts.emplace_back(e.what());
        texts.push_back(e.body());
        texts.push_back(e.message());
    }
    try {
        h.client.chat(hello());
    } catch (const transport_error& e) {
        texts.emplace_back(e.what());
    }
    try {
        h.client.stream(hello(), [](const chat_chunk&) {});
    } catch (const api_error& e) {
        texts.emplace_back(e.what());
        texts.push_back(e.body());
    }
    h.client.chat(hello());  // 503, retried, then ok: logs a retry
    texts.insert(texts.end(), h.log.begin(), h.log.end());
    CHECK(texts.size() > 10);
    for (const auto& text : texts) {
        INFO(text);
        CHECK(text.find(secret_key) == std::string::npos);
        CHECK(text.find("TOPSECRET") == std::string::npos);
    }
    bool logged_redacted_header = false;
    for (const auto& line : h.log) {
        logged_redacted_header =
            logged_redacted_header || line.find("Authorization: [redacted]") != std::string::npos;
    }
    CHECK(logged_redacted_header);
}

TEST_CASE("tool calls stream into the folded response") {
    harness h;
    h.mock.enqueue(
        stream_of({event(test::read_fixture("chunk_first.json")
                             .substr(0, test::read_fixture("chunk_first.json").size() - 1)),
                   event(test::read_fixture("chunk_tool_calls.json")
                             .substr(0, test::read_fixture("chunk_tool_calls.json").size() - 1)),
                   "data: [DONE]\n\n"}));
    const auto r = h.client.stream(hello(), [](const chat_chunk&) {});
    const auto& calls = *r.choices.at(0).message.tool_calls;
    REQUIRE(calls.size() == 2);
    CHECK(calls[0].id == "D681PevKs");
    CHECK(parse_arguments(calls[1].function).at("timezone") == "Europe/Paris");
    CHECK(r.choices.at(0).finish_reason == finish_reason::tool_calls);
}

TEST_CASE(
    "accumulate = false keeps the returned response flat: no content, but usage and finish "
    "reason") {
    harness h;
    h.mock.enqueue(scripted_response::sse_text("long text that the callback consumes"));
    call_options call;
    call.accumulate = false;
    std::string seen;
    const auto r = h.client.stream(
        hello(), [&](const chat_chunk& c) { seen += c.choices.at(0).delta.text(); }, call);
    CHECK(seen == "long text that the callback consumes");
    CHECK(r.choices.at(0).message.text().empty());
    CHECK_FALSE(r.choices.at(0).message.content.has_value());
    CHECK(r.choices.at(0).finish_reason == finish_reason::stop);
    CHECK(r.usage.total_tokens > 0);
    CHECK(r.id == "mock-stream");
}
