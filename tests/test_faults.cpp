// tests/test_faults.cpp: the fault-injection matrix: every way a network, a server or the caller
// can misbehave, each over loopback with the real default transport, each with its expected
// outcome: a typed error (or a success), never a crash, never a hang past its timeout, nothing
// received lost, no key leaked.
#include <mistral/mistral.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "catch.hpp"
#include "fixtures.hpp"
#include "support/black_hole.hpp"
#include "support/expect_error.hpp"
#include "support/fake_server.hpp"
#include "support/loopback.hpp"
#include "support/raw_server.hpp"
#include "support/subprocess.hpp"
#include "support/test_pki.hpp"

using namespace mistral;
using namespace mistral::test;
using namespace std::chrono_literals;

namespace {

// Cancels `stop` after `delay` from another thread.
std::jthread cancel_after(std::stop_source& stop, std::chrono::milliseconds delay) {
    return std::jthread([&stop, delay] {
        std::this_thread::sleep_for(delay);
        stop.request_stop();
    });
}

}  // namespace

// ---- the network ------------------------------------------------------------------------------

TEST_CASE("fault: refused connection is a connect error, retried, then thrown") {
    const auto e = expect_error<transport_error>([] {
        client(options_for("http://127.0.0.1:" + std::to_string(free_port()))).chat(question());
    });
    CHECK(e.kind() == transport_error_kind::connect);
}

TEST_CASE("fault: DNS failure is a name_resolution error, not retried") {
    const auto took = elapsed([] {
        const auto e = expect_error<transport_error>(
            [] { client(options_for("http://no-such-host.invalid")).chat(question()); });
        CHECK(e.kind() == transport_error_kind::name_resolution);
    });
    CHECK(took < 10s);
}

TEST_CASE("fault: TLS with an untrusted certificate fails") {
    fake_server server(tls_server());
    const auto e = expect_error<transport_error>(
        [&] { client(options_for(server.base_url())).chat(question()); });
    CHECK(e.kind() == transport_error_kind::tls);
    CHECK(server.requests().empty());
}

TEST_CASE("fault: TLS with the trusted test CA passes") {
    fake_server server(tls_server());
    client_options trusted = options_for(server.base_url());
    trusted.transport.tls.ca_file = make_test_pki().ca_cert;
    CHECK(client(trusted).chat(question()).choices.at(0).message.text() ==
          "The capital of France is Paris.");
    trusted.base_url = "https://localhost:" + std::to_string(server.port());  // by name, too
    CHECK(client(trusted).stream(question(), [](const chat_chunk&) {}).http.status == 200);
}

TEST_CASE("fault: TLS with a certificate for another host name fails") {
    fake_server_options wrong = tls_server();
    wrong.cert_file = make_test_pki().wrong_host_cert;
    wrong.key_file = make_test_pki().wrong_host_key;
    fake_server impostor(wrong);
    client_options o = options_for(impostor.base_url());
    o.transport.tls.ca_file = make_test_pki().ca_cert;
    const auto e = expect_error<transport_error>([&] { client(o).chat(question()); });
    CHECK(e.kind() == transport_error_kind::tls);
    CHECK(impostor.requests().empty());
}

TEST_CASE("fault: a connect that hangs trips the connect timeout") {
    black_hole hole;
    client_options o = options_for(hole.url());
    o.timeouts.connect = 300ms;
    o.retry = retry_policy::none();
    const auto took = elapsed([&] {
        CHECK(expect_error<transport_error>([&] { client(o).chat(question()); }).kind() ==
              transport_error_kind::timeout);
    });
    CHECK(took >= 250ms);
    CHECK(took < 3s);
}

// ---- HTTP errors --------------------------------------------------------------------------------

TEST_CASE("fault: 429 with Retry-After is retried, then succeeds") {
    fake_server server;
    server.script(faults::status(429, read_fixture("errors/429_rate_limited.json"),
                                 "application/json", {{"Retry-After", "0.05"}}));
    const auto took = elapsed([&] {
        const auto r =
            client(options_for(server.base_url())).stream(question(), [](const chat_chunk&) {});
        CHECK(r.http.attempts == 2);
        CHECK(r.choices.at(0).message.text() == "The capital of France is Paris.");
    });
    CHECK(took >= 50ms);
}

TEST_CASE("fault: 429 forever gives up within the bound, with the rate-limit headers") {
    fake_server server;
    for (int i = 0; i < 3; ++i) {
        server.script(faults::status(429, read_fixture("errors/429_rate_limited.json"),
                                     "application/json",
                                     {{"x-ratelimit-limit-req-minute", "60"},
                                      {"x-ratelimit-remaining-req-minute", "0"},
                                      {"x-request-id", "req-429"}}));
    }
    client_options o = options_for(server.base_url());
    o.retry.max_elapsed = 2s;
    const auto took = elapsed([&] {
        const auto e = expect_error<api_error>([&] { client(o).chat(question()); });
        CHECK(e.status() == 429);
        CHECK(e.code() == "1300");
        CHECK(e.rate_limits().find("req", "minute")->remaining == 0);
        CHECK(e.request_id() == "req-429");
        CHECK(e.metadata().attempts == 3);
    });
    CHECK(took < 2s);
    CHECK(server.requests().size() == 3);
}

TEST_CASE("fault: 500, 502, 503 then success") {
    fake_server server;
    server.script(faults::status(
        500,
        R"({"object":"error","message":"Internal","type":"server_error","param":null,"code":"3000"})"));
    server.script(faults::status(502, "<html><body>Bad Gateway</body></html>", "text/html"));
    server.script(faults::status(503, "", "text/plain"));
    client_options o = options_for(server.base_url());
    o.retry.max_retries = 3;
    CHECK(client(o).chat(question()).http.attempts == 4);
}

TEST_CASE("fault: 400, 401, 403, 404 and 422 with every known body shape are parsed, not retried") {
    fake_server server;
    client c(options_for(server.base_url()));
    for (const auto& [status, file] : client_error_fixtures) {
        INFO(file);
        server.script(faults::status(status, read_fixture("errors/" + file)));
        const auto before = server.requests().size();
        const auto e = expect_error<api_error>([&] { c.chat(question()); });
        CHECK(e.status() == status);
        CHECK(e.body() == read_fixture("errors/" + file));
        CHECK_FALSE(e.message().empty());
        CHECK(server.requests().size() == before + 1);
    }
    server.script(faults::status(422, read_fixture("errors/422_nested_detail.json")));
    CHECK(expect_error<api_error>([&] { c.chat(question()); }).validation_issues().at(0).location ==
          "body.max_completion_tokens");
}

TEST_CASE("fault: an HTML error page becomes an api_error") {
    fake_server server;
    server.script(
        faults::status(502, "<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html"));
    client_options o = options_for(server.base_url());
    o.retry = retry_policy::none();
    const auto e = expect_error<api_error>([&] { client(o).chat(question()); });
    CHECK(e.status() == 502);
    CHECK(std::string(e.what()).find("unrecognised body: <html>") != std::string::npos);
}

// ---- broken connections and bodies ------------------------------------------------------------

TEST_CASE("fault: the server closes before the headers") {
    raw_server server([](int s) { raw_server::read_request(s); });
    const auto e = expect_error<transport_error>(
        [&] { client(options_for(server.base_url())).chat(question()); });
    CHECK(e.kind() == transport_error_kind::reset);
    CHECK(server.connection_count() == 3);  // a reset before any byte is retried
}

TEST_CASE("fault: the server closes in the middle of a JSON body") {
    raw_server server([](int s) {
        raw_server::read_request(s);
        raw_server::write_all(s,
                              "HTTP/1.1 200 OK\r\nContent-Type: "
                              "application/json\r\nContent-Length: 1000\r\n\r\n{\"id\":");
    });
    client_options o = options_for(server.base_url());
    o.retry = retry_policy::none();
    CHECK(expect_error<transport_error>([&] { client(o).chat(question()); }).kind() ==
          transport_error_kind::reset);
}

TEST_CASE("fault: the server closes in the middle of a stream") {
    fake_server server;
    server.script(faults::raw_stream(server, faults::text_events(3, false), /*cut=*/true));
    const auto e = expect_error<protocol_error>([&] {
        client(options_for(server.base_url())).stream(question(), [](const chat_chunk&) {});
    });
    CHECK(std::string(e.what()).starts_with("stream ended before [DONE] after 3 chunks"));
    REQUIRE(e.partial_response() != nullptr);
    CHECK(e.partial_response()->choices.at(0).message.text() == "w0 w1 w2 ");
    CHECK(server.requests().size() == 1);  // never retried once chunks reached the caller
}

TEST_CASE("fault: a stream that ends without [DONE]") {
    fake_server server;
    server.script(faults::raw_stream(server, faults::text_events(2, false)));
    const auto e = expect_error<protocol_error>([&] {
        client(options_for(server.base_url())).stream(question(), [](const chat_chunk&) {});
    });
    CHECK(std::string(e.what()).starts_with("stream ended before [DONE] after 2 chunks"));
    CHECK(e.partial_response()->choices.at(0).message.text() == "w0 w1 ");
}

TEST_CASE("fault: chunked encoding garbage") {
    raw_server after_an_event([](int s) {
        raw_server::read_request(s);
        raw_server::write_all(s, std::string(sse_head) + chunked(faults::text_events(1, false)[0]) +
                                     "zz\r\nnot a chunk\r\n");
    });
    const auto e = expect_error<protocol_error>([&] {
        client(options_for(after_an_event.base_url())).stream(question(), [](const chat_chunk&) {});
    });
    CHECK(e.partial_response()->choices.at(0).message.text() == "w0 ");

    raw_server at_once([](int s) {
        raw_server::read_request(s);
        raw_server::write_all(s, std::string(sse_head) + "zz\r\nnot a chunk\r\n");
    });
    CHECK(expect_error<transport_error>([&] {
              client(options_for(at_once.base_url())).stream(question(), [](const chat_chunk&) {});
          }).kind() == transport_error_kind::reset);
}

TEST_CASE("fault: garbage JSON in a stream") {
    fake_server server;
    std::vector<std::string> events = faults::text_events(1, false);
    events.push_back("data: {\"id\": oops}\n\n");
    events.push_back("data: [DONE]\n\n");
    server.script(faults::raw_stream(server, events));
    const auto e = expect_error<protocol_error>([&] {
        client(options_for(server.base_url())).stream(question(), [](const chat_chunk&) {});
    });
    CHECK(std::string(e.what()).starts_with("malformed JSON in stream event"));
    CHECK(e.partial_response()->choices.at(0).message.text() == "w0 ");
}

TEST_CASE("fault: a 200 stream carrying an error payload") {
    fake_server server;
    std::vector<std::string> events = faults::text_events(2, false);
    events.push_back(
        R"(data: {"object":"error","message":"Model overloaded","type":"server_error","param":null,"code":"3505","raw_status_code":529})"
        "\n\n");
    server.script(faults::raw_stream(server, events));
    const auto e = expect_error<api_error>([&] {
        client(options_for(server.base_url())).stream(question(), [](const chat_chunk&) {});
    });
    CHECK(e.status() == 529);
    CHECK(e.message() == "Model overloaded");
    CHECK(e.partial_response()->choices.at(0).message.text() == "w0 w1 ");
}

TEST_CASE("fault: llama.cpp's error line in a stream is an api_error, pushed or pulled") {
    // Some llama-server builds report a failure inside a 200 stream as an `error:` field line
    // (which the event-stream rules ignore), then end the stream with [DONE].
    fake_server server;
    std::vector<std::string> events = faults::text_events(1, false);
    events.push_back(
        R"(error: {"code":500,"message":"the request exceeds the available context size","type":"server_error"})"
        "\n\n");
    events.push_back("data: [DONE]\n\n");
    server.script(faults::raw_stream(server, events));
    client c(options_for(server.base_url()));
    const auto e = expect_error<api_error>([&] { c.stream(question(), [](const chat_chunk&) {}); });
    CHECK(e.status() == 500);
    CHECK(e.message() == "the request exceeds the available context size");
    CHECK(e.type() == "server_error");
    REQUIRE(e.partial_response() != nullptr);
    CHECK(e.partial_response()->choices.at(0).message.text() == "w0 ");

    server.script(faults::raw_stream(server, events));
    chat_stream s = c.open_stream(question());
    std::string text;
    const auto pulled = expect_error<api_error>([&] {
        for (const chat_chunk& chunk : s) text += chunk.text();
    });
    CHECK(pulled.status() == 500);
    CHECK(text == "w0 ");
}

TEST_CASE("fault: an error event whose data is plain text is an api_error with that message") {
    fake_server server;
    std::vector<std::string> events = faults::text_events(1, false);
    events.push_back("event: error\ndata: upstream request timed out\n\n");
    server.script(faults::raw_stream(server, events));
    const auto e = expect_error<api_error>([&] {
        client(options_for(server.base_url())).stream(question(), [](const chat_chunk&) {});
    });
    CHECK(e.message() == "upstream request timed out");
    CHECK(e.body() == "upstream request timed out");
    CHECK(e.status() == 200);  // no status in the payload: the response's
}

TEST_CASE("fault: a response held open after [DONE] ends the call at once, pushed or pulled") {
    // The last chunk of the body never comes: [DONE] did, so the call is complete. The default
    // stream_idle (60 s) must not be waited for.
    raw_server server([](int s) {
        while (!raw_server::read_request(s).empty()) {
            std::string body = sse_head;
            for (const auto& e : faults::text_events(2, true)) body += chunked(e);
            raw_server::write_all(s, body);
            if (raw_server::peer_closed(s, 20'000)) return;
        }
    });
    client c(options_for(server.base_url()));
    const auto pushed =
        elapsed([&] { CHECK(c.stream(question(), [](const chat_chunk&) {}).text() == "w0 w1 "); });
    CHECK(pushed < 2s);
    const auto pulled = elapsed([&] {
        std::string text;
        for (const chat_chunk& chunk : c.open_stream(question())) text += chunk.text();
        CHECK(text == "w0 w1 ");
    });
    CHECK(pulled < 2s);
    CHECK(server.connection_count() == 2);  // a body that never ended: its connection closed
}

TEST_CASE("fault: a body that ends soon after [DONE] keeps its connection for the next call") {
    raw_server server([](int s) {
        while (!raw_server::read_request(s).empty()) {
            std::string body = sse_head;
            for (const auto& e : faults::text_events(2, true)) body += chunked(e);
            raw_server::write_all(s, body);
            std::this_thread::sleep_for(30ms);  // the last chunk, a little later
            raw_server::write_all(s, "0\r\n\r\n");
        }
    });
    client c(options_for(server.base_url()));
    for (int i = 0; i < 2; ++i)
        CHECK(c.stream(question(), [](const chat_chunk&) {}).text() == "w0 w1 ");
    std::string text;
    for (const chat_chunk& chunk : c.open_stream(question())) text += chunk.text();
    CHECK(text == "w0 w1 ");
    CHECK(server.connection_count() == 1);
}

TEST_CASE("fault: a 10 MB single SSE line is refused at the size limit, memory bounded") {
    std::atomic<std::size_t> sent{0};
    raw_server server([&sent](int s) {
        raw_server::read_request(s);
        raw_server::write_all(s,
                              "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: "
                              "close\r\n\r\ndata: ");
        const std::string block(64 * 1024, 'x');
        for (std::size_t total = 0; total < 10'000'000; total += block.size()) {
            if (!raw_server::write_all(s, block)) return;  // the client gave up
            sent += block.size();
        }
        raw_server::write_all(s, "\n\n");
    });
    client_options o = options_for(server.base_url());
    o.max_event_size = std::size_t{1} << 20;
    const auto e = expect_error<protocol_error>(
        [&] { client(o).stream(question(), [](const chat_chunk&) {}); });
    CHECK(std::string(e.what()) ==
          "server-sent event larger than the limit of 1048576 bytes "
          "(client_options::max_event_size)");
    CHECK(server.connection_count() == 1);
    CHECK(sent < 10'000'000);  // the client stopped reading instead of buffering it all
}

// ---- time ---------------------------------------------------------------------------------------

TEST_CASE("fault: a stalled server trips the idle timeout within its bound") {
    fake_server server;
    server.script(faults::stall(server, 20s));
    client_options o = options_for(server.base_url());
    o.timeouts.stream_idle = 300ms;
    o.retry = retry_policy::none();
    const auto took = elapsed([&] {
        CHECK(expect_error<transport_error>([&] {
                  client(o).stream(question(), [](const chat_chunk&) {});
              }).kind() == transport_error_kind::timeout);
    });
    CHECK(took >= 250ms);
    CHECK(took < 3s);
}

TEST_CASE("fault: a slow drip that never stalls past the idle limit succeeds") {
    fake_server server;
    std::string body;
    for (const auto& e : faults::text_events(3, true)) body += e;
    std::vector<std::string> bytes;
    for (const char ch : body) bytes.emplace_back(1, ch);
    server.script(faults::raw_stream(server, bytes, false, 2ms));
    client_options o = options_for(server.base_url());
    o.timeouts.stream_idle = 1s;
    CHECK(client(o).stream(question(), [](const chat_chunk&) {}).choices.at(0).message.text() ==
          "w0 w1 w2 ");
}

TEST_CASE("fault: the total timeout bounds the whole call") {
    fake_server server;
    server.script(faults::raw_stream(server, faults::text_events(100, true), false, 50ms));
    client_options o = options_for(server.base_url());
    o.timeouts.total = 400ms;
    const auto took = elapsed([&] {
        const auto e = expect_error<transport_error>(
            [&] { client(o).stream(question(), [](const chat_chunk&) {}); });
        CHECK(e.kind() == transport_error_kind::timeout);
        CHECK(e.partial_response() != nullptr);
    });
    CHECK(took < 2s);
}

// ---- cancellation -------------------------------------------------------------------------------

TEST_CASE("fault: cancellation during connect returns promptly") {
    black_hole hole;
    client_options o = options_for(hole.url());
    o.timeouts.connect = 30s;
    std::stop_source stop;
    call_options call;
    call.stop = stop.get_token();
    auto canceller = cancel_after(stop, 200ms);
    const auto took = elapsed([&] {
        CHECK(expect_error<transport_error>([&] { client(o).chat(question(), call); }).kind() ==
              transport_error_kind::cancelled);
    });
    CHECK(took < 3s);
}

TEST_CASE(
    "fault: cancellation while waiting for the headers returns promptly and closes the "
    "connection") {
    std::atomic<bool> closed_by_client{false};
    raw_server server([&](int s) {
        raw_server::read_request(s);
        closed_by_client = raw_server::peer_closed(s, 20'000);  // never answers
    });
    std::stop_source stop;
    call_options call;
    call.stop = stop.get_token();
    auto canceller = cancel_after(stop, 200ms);
    const auto took = elapsed([&] {
        CHECK(expect_error<transport_error>([&] {
                  client(options_for(server.base_url())).chat(question(), call);
              }).kind() == transport_error_kind::cancelled);
    });
    CHECK(took < 3s);
    for (int i = 0; i < 100 && !closed_by_client; ++i) std::this_thread::sleep_for(20ms);
    CHECK(closed_by_client);
}

TEST_CASE(
    "fault: cancellation during the stream returns promptly, releases the connection, keeps the "
    "text") {
    fake_server server;
    server.script(faults::raw_stream(server, faults::text_events(1000, true), false, 20ms));
    client c(options_for(server.base_url()));
    std::stop_source stop;
    call_options call;
    call.stop = stop.get_token();
    auto canceller = cancel_after(stop, 300ms);
    const auto took = elapsed([&] {
        const auto e = expect_error<transport_error>([&] {
            c.stream(
                question(), [](const chat_chunk&) {}, call);
        });
        CHECK(e.kind() == transport_error_kind::cancelled);
        REQUIRE(e.partial_response() != nullptr);
        CHECK(e.partial_response()->choices.at(0).message.text().starts_with("w0 w1 "));
    });
    CHECK(took < 3s);
    CHECK(c.chat(question()).http.status == 200);  // the client is still usable
    CHECK(server.connection_count() == 2);         // the cancelled connection was not reused
}

// ---- concurrency and secrets --------------------------------------------------------------------

TEST_CASE("concurrency: 64 threads share one client for 1000 requests") {
    fake_server_options many;
    many.threads = 72;
    fake_server server(many);
    client c(options_for(server.base_url()));
    std::atomic<int> next{0};
    std::atomic<int> ok{0};
    {
        std::vector<std::jthread> threads;
        for (int t = 0; t < 64; ++t) {
            threads.emplace_back([&] {
                for (int i = next++; i < 1000; i = next++) {
                    const auto r = i % 2 == 0 ? c.chat(question())
                                              : c.stream(question(), [](const chat_chunk&) {});
                    if (r.choices.at(0).message.text() == "The capital of France is Paris.") ++ok;
                }
            });
        }
    }
    CHECK(ok == 1000);
    CHECK(server.requests().size() == 1000);
}

TEST_CASE("secrets: the API key appears in no exception message, no error body and no debug line") {
    fake_server server;
    server.script(
        faults::status(401, std::string(R"({"message":"Invalid key )") + loopback_key + R"("})"));
    std::vector<std::string> texts;
    client_options o = options_for(server.base_url());
    o.debug = [&](std::string_view line) { texts.emplace_back(line); };
    client c(o);
    try {
        c.chat(question());
    } catch (const api_error& e) {
        texts.emplace_back(e.what());
        texts.push_back(e.body());
        texts.push_back(e.message());
    }
    c.stream(question(), [](const chat_chunk&) {});
    client_options refused = o;
    refused.base_url = "http://127.0.0.1:" + std::to_string(free_port());
    try {
        client(refused).chat(question());
    } catch (const transport_error& e) {
        texts.emplace_back(e.what());
    }
    CHECK(texts.size() >= 10);
    bool redacted_header = false;
    for (const auto& t : texts) {
        INFO(t);
        CHECK(t.find(loopback_key) == std::string::npos);
        redacted_header =
            redacted_header || t.find("Authorization: [redacted]") != std::string::npos;
    }
    CHECK(redacted_header);
}
