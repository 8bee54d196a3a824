// The client over the real default transport (cpp-httplib) against the fake Mistral server on
// 127.0.0.1: the whole path, keep-alive, streaming semantics, TLS, proxies and the faults a
// real server produces.
#include <mistral/mistral.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "catch.hpp"
#include "support/fake_server.hpp"
#include "support/forward_proxy.hpp"
#include "support/raw_server.hpp"
#include "support/subprocess.hpp"
#include "support/test_pki.hpp"

using namespace mistral;
using namespace std::chrono_literals;
using test::fake_server;
namespace faults = test::faults;

namespace mistral::test {
std::string second_translation_unit_request();  // second_translation_unit.cpp
}

namespace {

constexpr const char* key = "sk-integration-SECRET-4242";

client_options options_for(const std::string& base_url) {
    client_options o;
    o.api_key = key;
    o.base_url = base_url;
    o.transport.proxy.use_environment = false;
    o.retry.initial_backoff = 1ms;
    o.retry.max_backoff = 5ms;
    return o;
}

chat_request question(std::string text = "What is the capital of France?") {
    return {.model = "mistral-small-latest", .messages = {user(std::move(text))}};
}

// A fake server that speaks TLS with a certificate of the test CA for localhost/127.0.0.1.
test::fake_server_options tls_server() {
    test::fake_server_options tls;
    tls.cert_file = test::make_test_pki().server_cert;
    tls.key_file = test::make_test_pki().server_key;
    return tls;
}

template <class F>
auto elapsed(F&& f) {
    const auto start = std::chrono::steady_clock::now();
    f();
    return std::chrono::steady_clock::now() - start;
}

}  // namespace

TEST_CASE("integration: chat() over loopback returns the completion and its metadata") {
    fake_server server;
    client c(options_for(server.base_url()));
    const chat_response r = c.chat(question());
    CHECK(r.choices.at(0).message.text() == "The capital of France is Paris.");
    CHECK(r.choices.at(0).finish_reason == finish_reason::stop);
    CHECK(r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens);
    CHECK(r.http.status == 200);
    CHECK(r.http.request_id.rfind("fake-", 0) == 0);
    CHECK(r.http.rate_limits.find("req", "minute")->limit == 60);
    CHECK(r.http.rate_limits.tokens_query_cost == r.usage.total_tokens);
    const auto sent = server.requests().at(0);
    CHECK(sent.path == "/v1/chat/completions");
    CHECK(sent.headers.find("Authorization")->second == std::string("Bearer ") + key);
    CHECK(sent.headers.find("User-Agent")->second == "mistral-cpp/" MISTRAL_CPP_VERSION_STRING);
}

TEST_CASE("integration: stream() delivers every chunk and folds them into the chat() answer") {
    fake_server server;
    client c(options_for(server.base_url()));
    std::string streamed;
    int chunks = 0;
    const chat_response streamed_r =
        c.stream(question("Tell me something"), [&](const chat_chunk& chunk) {
            streamed += chunk.choices.at(0).delta.text();
            ++chunks;
        });
    const chat_response plain = c.chat(question("Tell me something"));
    CHECK(chunks > 10);
    CHECK(streamed == plain.choices.at(0).message.text());
    CHECK(streamed_r.choices.at(0).message.text() == streamed);
    CHECK(streamed_r.usage.total_tokens == plain.usage.total_tokens);
    CHECK(streamed_r.choices.at(0).finish_reason == finish_reason::stop);
    CHECK(server.requests().at(0).headers.find("Accept")->second == "text/event-stream");
}

TEST_CASE("integration: the tool-calling loop, streaming and not") {
    fake_server server;
    client c(options_for(server.base_url()));
    chat_request req = question("What is the weather in Lyon?");
    req.tools = std::vector<tool>{make_function_tool(
        "get_weather", "Current weather of a city",
        boost::json::parse(
            R"({"type":"object","properties":{"city":{"type":"string"}},"required":["city"]})")
            .as_object())};
    for (const bool streaming : {false, true}) {
        chat_request turn = req;
        const chat_response first =
            streaming ? c.stream(turn, [](const chat_chunk&) {}) : c.chat(turn);
        REQUIRE(first.choices.at(0).finish_reason == finish_reason::tool_calls);
        const tool_call& call = first.choices.at(0).message.tool_calls->at(0);
        CHECK(call.function.name == "get_weather");
        CHECK(parse_arguments(call.function).at("city") == "Lyon");
        CHECK(call.id->size() == 9);
        turn.messages.push_back(first.choices.at(0).message);
        turn.messages.push_back(tool_result(*call.id, "12C and cloudy"));
        const chat_response second =
            streaming ? c.stream(turn, [](const chat_chunk&) {}) : c.chat(turn);
        CHECK(second.choices.at(0).message.text().find("12C and cloudy") != std::string::npos);
    }
}

TEST_CASE("integration: sequential calls reuse one keep-alive connection") {
    fake_server server;
    client c(options_for(server.base_url()));
    for (int i = 0; i < 4; ++i) c.chat(question());
    for (int i = 0; i < 3; ++i) c.stream(question(), [](const chat_chunk&) {});
    CHECK(server.requests().size() == 7);
    CHECK(server.connection_count() == 1);
}

TEST_CASE("integration: a stopped stream releases its connection and the client stays usable") {
    test::raw_server server([](int s) {
        test::raw_server::read_request(s);
        std::string head =
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: "
            "chunked\r\n\r\n";
        test::raw_server::write_all(s, head);
        for (const auto& e : faults::text_events(1000, false)) {
            char size[32];
            std::snprintf(size, sizeof size, "%zx\r\n", e.size());
            if (!test::raw_server::write_all(s, size + e + "\r\n")) return;
            std::this_thread::sleep_for(1ms);
            if (test::raw_server::peer_closed(s, 0)) return;
        }
    });
    client c(options_for(server.base_url()));
    int seen = 0;
    const auto r = c.stream(question(), [&](const chat_chunk&) { return ++seen < 3; });
    CHECK(seen == 3);
    CHECK(r.choices.at(0).message.text() == "w0 w1 w2 ");
    // The next call works (on a new connection: the stopped one was closed, not reused).
    int again = 0;
    c.stream(question(), [&](const chat_chunk&) { return ++again < 2; });
    CHECK(again == 2);
    CHECK(server.connection_count() == 2);

    // With the fake server: after the stop, a normal call succeeds on the same client.
    fake_server api;
    client c2(options_for(api.base_url()));
    c2.stream(question(), [](const chat_chunk&) { return false; });
    CHECK(c2.chat(question()).choices.at(0).message.text() == "The capital of France is Paris.");
}

TEST_CASE("integration: 429 with Retry-After is retried, then succeeds") {
    fake_server server;
    server.script(faults::status(
        429,
        R"({"object":"error","message":"Rate limit exceeded","type":"rate_limited","param":null,"code":"1300"})",
        "application/json", {{"Retry-After", "0.05"}}));
    client c(options_for(server.base_url()));
    const auto r = c.stream(question(), [](const chat_chunk&) {});
    CHECK(r.http.attempts == 2);
    CHECK(r.choices.at(0).message.text() == "The capital of France is Paris.");
}

TEST_CASE("integration: 500 then success; 503 forever gives up") {
    fake_server server;
    server.script(faults::status(
        500,
        R"({"object":"error","message":"Internal","type":"server_error","param":null,"code":"3000"})"));
    client c(options_for(server.base_url()));
    CHECK(c.chat(question()).http.attempts == 2);
    for (int i = 0; i < 3; ++i) server.script(faults::status(503, "", "text/plain"));
    try {
        c.chat(question());
        FAIL("no error");
    } catch (const api_error& e) {
        CHECK(e.status() == 503);
        CHECK(e.metadata().attempts == 3);
        CHECK(std::string(e.what()) == "Mistral API error 503: empty body");
    }
}

TEST_CASE("integration: an HTML error page becomes an api_error") {
    fake_server server;
    server.script(
        faults::status(502, "<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html"));
    client_options o = options_for(server.base_url());
    o.retry = retry_policy::none();
    client c(o);
    try {
        c.chat(question());
        FAIL("no error");
    } catch (const api_error& e) {
        CHECK(e.status() == 502);
        CHECK(e.body().find("Bad Gateway") != std::string::npos);
        CHECK(e.retryable());
    }
}

TEST_CASE("integration: a connection closed mid-stream is a protocol_error with the partial text") {
    fake_server server;
    server.script(faults::raw_stream(server, faults::text_events(3, false), /*cut=*/true));
    client c(options_for(server.base_url()));
    try {
        c.stream(question(), [](const chat_chunk&) {});
        FAIL("no error");
    } catch (const protocol_error& e) {
        CHECK_THAT(std::string(e.what()),
                   Catch::Matchers::StartsWith("stream ended before [DONE] after 3 chunks"));
        REQUIRE(e.partial_response() != nullptr);
        CHECK(e.partial_response()->choices.at(0).message.text() == "w0 w1 w2 ");
    }
    CHECK(server.requests().size() == 1);  // never retried once chunks reached the caller
}

TEST_CASE("integration: garbage JSON in a stream is a protocol_error") {
    fake_server server;
    std::vector<std::string> events = faults::text_events(1, false);
    events.push_back("data: {\"id\": oops}\n\n");
    events.push_back("data: [DONE]\n\n");
    server.script(faults::raw_stream(server, events));
    client c(options_for(server.base_url()));
    CHECK_THROWS_AS(c.stream(question(), [](const chat_chunk&) {}), protocol_error);
}

TEST_CASE("integration: a 200 stream carrying an error payload is an api_error") {
    fake_server server;
    std::vector<std::string> events = faults::text_events(2, false);
    events.push_back(
        R"(data: {"object":"error","message":"Model overloaded","type":"server_error","param":null,"code":"3505","raw_status_code":529})"
        "\n\n");
    server.script(faults::raw_stream(server, events));
    client c(options_for(server.base_url()));
    try {
        c.stream(question(), [](const chat_chunk&) {});
        FAIL("no error");
    } catch (const api_error& e) {
        CHECK(e.status() == 529);
        CHECK(e.message() == "Model overloaded");
        CHECK(e.partial_response()->choices.at(0).message.text() == "w0 w1 ");
    }
}

TEST_CASE("integration: a stalled server trips the idle timeout within its bound") {
    fake_server server;
    server.script(faults::stall(server, 20s));
    client_options o = options_for(server.base_url());
    o.timeouts.stream_idle = 300ms;
    o.retry = retry_policy::none();
    client c(o);
    const auto took = elapsed([&] {
        try {
            c.stream(question(), [](const chat_chunk&) {});
            FAIL("no error");
        } catch (const transport_error& e) {
            CHECK(e.kind() == transport_error_kind::timeout);
        }
    });
    CHECK(took >= 250ms);
    CHECK(took < 3s);
}

TEST_CASE("integration: a slow drip that never stalls past the idle limit succeeds") {
    fake_server server;
    std::string body;
    for (const auto& e : faults::text_events(3, true)) body += e;
    std::vector<std::string> bytes;
    for (const char ch : body) bytes.emplace_back(1, ch);
    server.script(faults::raw_stream(server, bytes, false, 2ms));
    client_options o = options_for(server.base_url());
    o.timeouts.stream_idle = 1s;
    client c(o);
    const auto r = c.stream(question(), [](const chat_chunk&) {});
    CHECK(r.choices.at(0).message.text() == "w0 w1 w2 ");
}

TEST_CASE(
    "integration: TLS with a trusted test CA, an untrusted certificate and a wrong host name") {
    const auto& pki = test::make_test_pki();
    test::fake_server_options tls = tls_server();
    fake_server server(tls);

    client_options trusted = options_for(server.base_url());
    trusted.transport.tls.ca_file = pki.ca_cert;
    CHECK(client(trusted).chat(question()).choices.at(0).message.text() ==
          "The capital of France is Paris.");

    client_options by_name = trusted;
    by_name.base_url = "https://localhost:" + std::to_string(server.port());
    CHECK(client(by_name).stream(question(), [](const chat_chunk&) {}).http.status == 200);

    client_options untrusted =
        options_for(server.base_url());  // system store: does not know the test CA
    try {
        client(untrusted).chat(question());
        FAIL("no error");
    } catch (const transport_error& e) {
        CHECK(e.kind() == transport_error_kind::tls);
    }

    test::fake_server_options wrong = tls;
    wrong.cert_file = pki.wrong_host_cert;
    wrong.key_file = pki.wrong_host_key;
    fake_server impostor(wrong);
    client_options mismatch = options_for(impostor.base_url());
    mismatch.transport.tls.ca_file = pki.ca_cert;
    try {
        client(mismatch).chat(question());
        FAIL("no error");
    } catch (const transport_error& e) {
        CHECK(e.kind() == transport_error_kind::tls);
    }
    CHECK(impostor.requests().empty());
}

TEST_CASE("integration: refused connections and unknown hosts fail fast with their kind") {
    client_options refused = options_for("http://127.0.0.1:" + std::to_string(test::free_port()));
    refused.retry = retry_policy::none();
    try {
        client(refused).chat(question());
        FAIL("no error");
    } catch (const transport_error& e) {
        CHECK(e.kind() == transport_error_kind::connect);
    }
    client_options unknown = options_for("http://no-such-host.invalid");
    try {
        client(unknown).chat(question());
        FAIL("no error");
    } catch (const transport_error& e) {
        CHECK(e.kind() == transport_error_kind::name_resolution);
    }
}

TEST_CASE("integration: cancellation from another thread during the stream returns promptly") {
    fake_server server;
    server.script(faults::stall(server, 30s));
    client c(options_for(server.base_url()));
    std::stop_source stop;
    call_options call;
    call.stop = stop.get_token();
    std::jthread canceller([&] {
        std::this_thread::sleep_for(200ms);
        stop.request_stop();
    });
    const auto took = elapsed([&] {
        try {
            c.stream(
                question(), [](const chat_chunk&) {}, call);
            FAIL("no error");
        } catch (const transport_error& e) {
            CHECK(e.kind() == transport_error_kind::cancelled);
        }
    });
    CHECK(took < 3s);
    CHECK(c.chat(question()).http.status == 200);  // still usable
}

TEST_CASE("integration: the total timeout bounds the whole call") {
    fake_server server;
    std::vector<std::string> slow = faults::text_events(100, true);
    server.script(faults::raw_stream(server, slow, false, 50ms));
    client_options o = options_for(server.base_url());
    o.timeouts.total = 400ms;
    client c(o);
    const auto took = elapsed([&] {
        try {
            c.stream(question(), [](const chat_chunk&) {});
            FAIL("no error");
        } catch (const transport_error& e) {
            CHECK(e.kind() == transport_error_kind::timeout);
            CHECK(e.partial_response() != nullptr);
        }
    });
    CHECK(took < 2s);
}

TEST_CASE("integration: the API key appears in no error and no debug line") {
    fake_server server;
    server.script(faults::status(401, std::string(R"({"message":"Invalid key )") + key + R"("})"));
    client_options o = options_for(server.base_url());
    std::vector<std::string> lines;
    o.debug = [&](std::string_view line) { lines.emplace_back(line); };
    client c(o);
    std::vector<std::string> texts;
    try {
        c.chat(question());
    } catch (const api_error& e) {
        texts.emplace_back(e.what());
        texts.push_back(e.body());
    }
    c.stream(question(), [](const chat_chunk&) {});
    client_options refused = o;
    refused.base_url = "http://127.0.0.1:" + std::to_string(test::free_port());
    refused.retry.max_retries = 1;
    try {
        client(refused).chat(question());
    } catch (const transport_error& e) {
        texts.emplace_back(e.what());
    }
    texts.insert(texts.end(), lines.begin(), lines.end());
    CHECK(lines.size() >= 6);
    for (const auto& t : texts) {
        INFO(t);
        CHECK(t.find(key) == std::string::npos);
    }
}

TEST_CASE(
    "integration: an explicit proxy carries http in absolute form and https through CONNECT") {
    test::forward_proxy proxy;
    fake_server server;
    client_options o = options_for(server.base_url());
    o.transport.proxy.url = "http://user:p%40ss@127.0.0.1:" + std::to_string(proxy.port());
    CHECK(client(o).chat(question()).http.status == 200);
    REQUIRE(proxy.request_lines().size() == 1);
    CHECK(proxy.request_lines()[0] ==
          "POST " + server.base_url() + "/v1/chat/completions HTTP/1.1");
    CHECK(proxy.last_proxy_authorization() == "Basic dXNlcjpwQHNz");  // user:p@ss, decoded

    const auto& pki = test::make_test_pki();
    test::fake_server_options tls = tls_server();
    fake_server secure(tls);
    client_options s = options_for(secure.base_url());
    s.transport.tls.ca_file = pki.ca_cert;
    s.transport.proxy.url = proxy.url();
    const auto r = client(s).stream(question(), [](const chat_chunk&) {});
    CHECK(r.choices.at(0).message.text() == "The capital of France is Paris.");
    REQUIRE(proxy.request_lines().size() == 2);
    CHECK(proxy.request_lines()[1] ==
          "CONNECT 127.0.0.1:" + std::to_string(secure.port()) + " HTTP/1.1");
}

TEST_CASE("integration: the proxy comes from HTTP_PROXY / HTTPS_PROXY unless NO_PROXY matches") {
    test::forward_proxy proxy;
    fake_server server;
    client_options o = options_for(server.base_url());
    o.transport.proxy.use_environment = true;
    ::setenv("http_proxy", proxy.url().c_str(), 1);
    ::unsetenv("no_proxy");
    ::unsetenv("NO_PROXY");
    CHECK(client(o).chat(question()).http.status == 200);
    CHECK(proxy.request_lines().size() == 1);

    ::setenv("NO_PROXY", "example.com, 127.0.0.1", 1);
    CHECK(client(o).chat(question()).http.status == 200);
    CHECK(proxy.request_lines().size() == 1);  // bypassed
    ::unsetenv("NO_PROXY");

    o.transport.proxy.use_environment = false;  // the environment can be ignored
    CHECK(client(o).chat(question()).http.status == 200);
    CHECK(proxy.request_lines().size() == 1);
    ::unsetenv("http_proxy");
}

TEST_CASE("integration: NO_PROXY entries match hosts and their subdomains") {
    using detail::no_proxy_matches;
    CHECK(no_proxy_matches("*", "api.mistral.ai"));
    CHECK(no_proxy_matches("mistral.ai", "api.mistral.ai"));
    CHECK(no_proxy_matches(".mistral.ai", "api.mistral.ai"));
    CHECK(no_proxy_matches("a.com, mistral.ai:443", "API.Mistral.AI"));
    CHECK(no_proxy_matches("localhost,127.0.0.1", "127.0.0.1"));
    CHECK_FALSE(no_proxy_matches("ai", "api.mistral.ai.evil.com"));
    CHECK_FALSE(no_proxy_matches("stral.ai", "api.mistral.ai"));
    CHECK_FALSE(no_proxy_matches("", "api.mistral.ai"));
}

TEST_CASE("integration: one client shared by threads") {
    fake_server server;
    client c(options_for(server.base_url()));
    std::atomic<int> ok{0};
    {
        std::vector<std::jthread> threads;
        for (int t = 0; t < 8; ++t) {
            threads.emplace_back([&, t] {
                for (int i = 0; i < 10; ++i) {
                    const auto r = (t + i) % 2 == 0
                                       ? c.chat(question())
                                       : c.stream(question(), [](const chat_chunk&) {});
                    if (r.choices.at(0).message.text() == "The capital of France is Paris.") ++ok;
                }
            });
        }
    }
    CHECK(ok == 80);
    CHECK(server.connection_count() <= 8 + client_options{}.transport.max_idle_connections);
}

TEST_CASE("integration: mutual TLS presents the configured client certificate") {
    const auto& pki = test::make_test_pki();
    test::fake_server_options tls = tls_server();
    tls.client_ca_file = pki.ca_cert;
    fake_server server(tls);
    client_options o = options_for(server.base_url());
    o.transport.tls.ca_file = pki.ca_cert;
    o.retry = retry_policy::none();
    CHECK_THROWS_AS(client(o).chat(question()), transport_error);  // no client certificate
    o.transport.tls.client_cert_file = pki.client_cert;
    o.transport.tls.client_key_file = pki.client_key;
    CHECK(client(o).chat(question()).http.status == 200);
}

TEST_CASE("integration: a connect that hangs trips the connect timeout") {
    // A listener whose backlog is full and which never accepts: new connections hang in SYN.
    const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(listener, 0);
    socklen_t len = sizeof addr;
    ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
    std::vector<int> fillers;
    for (int i = 0; i < 8; ++i) {
        fillers.push_back(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
        ::connect(fillers.back(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    }
    client_options o = options_for("http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)));
    o.timeouts.connect = 300ms;
    o.retry = retry_policy::none();
    const auto took = elapsed([&] {
        try {
            client(o).chat(question());
            FAIL("no error");
        } catch (const transport_error& e) {
            CHECK(e.kind() == transport_error_kind::timeout);
        }
    });
    CHECK(took >= 250ms);
    CHECK(took < 3s);
    for (const int s : fillers) ::close(s);
    ::close(listener);
}

TEST_CASE("integration: the headers link from two translation units") {
    CHECK(
        test::second_translation_unit_request() ==
        R"({"model":"m","messages":[{"role":"user","content":"from another translation unit"}]})");
}
