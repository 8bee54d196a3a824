// test_hardening.cpp: a hostile world. Callers that pass control characters and framing headers,
// servers that drip, echo secrets, answer twice, inflate a gzip bomb or hide behind a proxy that
// wants credentials; cancellation of a close-delimited stream; diagnoses that name the cause.
// Everything over loopback with the real default transport, except what is refused before any
// I/O (checked through the mock, which records every request).
#include <mistral/mistral.hpp>
#include <mistral/testing.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "catch.hpp"
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

// Secrets of these tests; CI also checks that they appear nowhere in the test output.
constexpr const char* url_password = "pw-SECRET-in-base-url";
constexpr const char* gateway_token = "gw-SECRET-token-77";

std::string http_response(const std::string& body, const std::string& extra_headers = "",
                          int status = 200, const char* reason = "OK") {
    return "HTTP/1.1 " + std::to_string(status) + " " + reason +
           "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n" + extra_headers + "\r\n" + body;
}

std::string completion_json(const std::string& id, const std::string& text = "ok") {
    return R"({"id":")" + id +
           R"(","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":")" +
           text +
           R"("},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}})";
}

std::string header_of(const std::string& request, const std::string& name) {
    const auto at = request.find("\r\n" + name + ": ");
    if (at == std::string::npos) return {};
    const auto start = at + name.size() + 4;
    return request.substr(start, request.find("\r\n", start) - start);
}

// A client over a mock with the loopback key: for what is refused before any I/O.
struct mock_harness {
    testing::mock_transport mock;
    basic_client<testing::mock_transport> client;
    explicit mock_harness(client_options o = options_for("https://api.mistral.ai"))
        : client(std::move(o), mock) {}
};

}  // namespace

// ---- 1. nothing a caller passes changes the framing --------------------------------------------

TEST_CASE("hardening: control characters in a header or the key are refused before any I/O") {
    const std::vector<http_header> bad = {
        {"X-Note", "a\r\nX-Injected: 1"},
        {"X-Note", "a\nX-Injected: 1"},
        {"X-Note", std::string("sk-nul\0tail", 11)},
        {"X-Note", "bell\x07"},
        {"X-Bad Name", "v"},
        {"X-Bad:Name", "v"},
        {"X-Injected: 1\r\nX-Other", "v"},
        {"", "v"},
    };
    for (const auto& h : bad) {
        INFO(h.name);
        mock_harness client_wide;
        client_options o = options_for("https://api.mistral.ai");
        o.headers = {h};
        mock_harness with_header(o);
        const auto e = expect_error<usage_error>([&] { with_header.client.chat(question()); });
        CHECK(std::string(e.what()).find("X-Injected") == std::string::npos);  // never the value
        CHECK(std::string(e.what()).find("sk-nul") == std::string::npos);
        CHECK(with_header.mock.requests().empty());

        call_options call;
        call.headers = {h};
        CHECK_THROWS_AS(client_wide.client.stream(
                            question(), [](const chat_chunk&) {}, call),
                        usage_error);
        CHECK(client_wide.mock.requests().empty());
    }
    // A tab is allowed inside a value, as HTTP allows it.
    call_options tab;
    tab.headers = {{"X-Note", "a\tb"}};
    mock_harness fine;
    fine.mock.enqueue(testing::scripted_response::completion("ok"));
    CHECK(fine.client.chat(question(), tab).text() == "ok");

    for (const std::string& key : {std::string("sk-abc\r\nX-Injected: 1"),
                                   std::string("sk-abc\ndef"), std::string("sk-\0x", 5)}) {
        client_options o = options_for("https://api.mistral.ai");
        o.api_key = key;
        mock_harness h(o);
        const auto e = expect_error<usage_error>([&] { h.client.chat(question()); });
        CHECK(std::string(e.what()).find("sk-") == std::string::npos);
        CHECK(h.mock.requests().empty());
    }
}

TEST_CASE("hardening: the framing headers belong to the client") {
    for (const char* name : {"Content-Length", "content-length", "Transfer-Encoding", "Host",
                             "HOST", "Connection", "TE", "Upgrade", "Expect"}) {
        INFO(name);
        mock_harness h;
        call_options call;
        call.headers = {{name, "5"}};
        const auto e = expect_error<usage_error>([&] { h.client.chat(question(), call); });
        CHECK(std::string(e.what()).find(name) != std::string::npos);
        CHECK(h.mock.requests().empty());
    }
}

TEST_CASE("hardening: over loopback nothing injected reaches the server") {
    std::atomic<int> requests{0};
    raw_server server([&](int s) {
        while (!raw_server::read_request(s).empty()) {
            ++requests;
            raw_server::write_all(s, http_response(completion_json("a")));
        }
    });
    client c(options_for(server.base_url()));
    call_options call;
    call.headers = {{"X-Note", "a\r\nX-Injected: 1"}};
    CHECK_THROWS_AS(c.chat(question(), call), usage_error);
    CHECK(server.connection_count() == 0);
    CHECK(c.chat(question()).text() == "ok");  // the client is fine
    CHECK(requests == 1);
}

// ---- 2. the total timeout holds in every phase -------------------------------------------------

TEST_CASE("hardening: a server that drips its response head cannot hold a call past total") {
    raw_server server([&](int s) {
        raw_server::read_request(s);
        std::string head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n";
        for (int i = 0; i < 400; ++i) head += "X-Drip-" + std::to_string(i) + ": 1\r\n";
        for (const char c : head) {
            if (!raw_server::write_all(s, std::string(1, c))) return;
            std::this_thread::sleep_for(20ms);
        }
    });
    client_options o = options_for(server.base_url());
    o.timeouts.total = 800ms;
    o.timeouts.read = 10s;
    o.timeouts.stream_idle = 10s;
    for (const bool streaming : {false, true}) {
        INFO((streaming ? "stream()" : "chat()"));
        const auto took = elapsed([&] {
            const auto e = expect_error<transport_error>([&] {
                if (streaming) {
                    client(o).stream(question(), [](const chat_chunk&) {});
                } else {
                    client(o).chat(question());
                }
            });
            CHECK(e.kind() == transport_error_kind::timeout);
        });
        CHECK(took < 2s);
    }
}

TEST_CASE("hardening: a dripping TLS handshake cannot hold a call past total") {
    fake_server tls(tls_server());
    // Relays to the TLS server, but hands the server's bytes to the client one at a time.
    raw_server relay([&](int client_socket) {
        const int upstream = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<std::uint16_t>(tls.port()));
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(upstream, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return;
        for (int round = 0; round < 2000; ++round) {
            pollfd fds[2] = {{client_socket, POLLIN, 0}, {upstream, POLLIN, 0}};
            if (::poll(fds, 2, 50) < 0) break;
            char buffer[4096];
            if (fds[0].revents & (POLLIN | POLLHUP)) {
                const auto n = ::recv(client_socket, buffer, sizeof buffer, 0);
                if (n <= 0) break;
                raw_server::write_all(upstream,
                                      std::string_view(buffer, static_cast<std::size_t>(n)));
            }
            if (fds[1].revents & POLLIN) {
                const auto n = ::recv(upstream, buffer, 1, 0);
                if (n <= 0) break;
                if (!raw_server::write_all(client_socket, std::string_view(buffer, 1))) break;
                std::this_thread::sleep_for(15ms);
            }
        }
        ::close(upstream);
    });
    client_options o = options_for("https://localhost:" + std::to_string(relay.port()));
    o.transport.tls.ca_file = make_test_pki().ca_cert;
    o.timeouts.total = 800ms;
    o.timeouts.connect = 10s;
    o.retry = retry_policy::none();
    const auto took = elapsed([&] {
        CHECK(expect_error<transport_error>([&] { client(o).chat(question()); }).kind() ==
              transport_error_kind::timeout);
    });
    CHECK(took < 2s);
}

TEST_CASE("hardening: a dripping chunked body and a long Retry-After are bounded by total") {
    raw_server drip([&](int s) {
        raw_server::read_request(s);
        raw_server::write_all(s,
                              "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                              "Transfer-Encoding: chunked\r\n\r\n");
        // Leading zeros of a chunk size: bytes that never reach the body callback.
        for (int i = 0; i < 1000; ++i) {
            if (!raw_server::write_all(s, "0")) return;
            std::this_thread::sleep_for(10ms);
        }
    });
    client_options o = options_for(drip.base_url());
    o.timeouts.total = 700ms;
    o.timeouts.stream_idle = 10s;
    auto took = elapsed([&] {
        CHECK(expect_error<transport_error>([&] {
                  client(o).stream(question(), [](const chat_chunk&) {});
              }).kind() == transport_error_kind::timeout);
    });
    CHECK(took < 2s);

    raw_server busy([&](int s) {
        while (!raw_server::read_request(s).empty()) {
            raw_server::write_all(
                s, http_response(R"({"message":"busy"})", "Retry-After: 20\r\n", 503, "Busy"));
        }
    });
    o = options_for(busy.base_url());
    o.timeouts.total = 700ms;
    took = elapsed([&] {
        CHECK(expect_error<api_error>([&] { client(o).chat(question()); }).status() == 503);
    });
    CHECK(took < 2s);  // the wait would pass the deadline: the error comes at once
}

// ---- 3 and 4. secrets stay secret --------------------------------------------------------------

TEST_CASE("hardening: a key the server echoes in response headers is kept nowhere") {
    // The server echoes Authorization and the gateway token in response headers of a 401, of
    // a 200, and of a stream that is cut.
    std::atomic<int> n{0};
    raw_server server([&](int s) {
        for (std::string req; !(req = raw_server::read_request(s)).empty();) {
            const std::string echo = "WWW-Authenticate: " + header_of(req, "Authorization") +
                                     "\r\nX-Echo-Auth: " + header_of(req, "Authorization") +
                                     "\r\nX-Echo-Token: " + header_of(req, "X-Gateway-Token") +
                                     "\r\n";
            const int i = n++;
            if (i == 0) {
                raw_server::write_all(s, http_response(R"({"message":"no"})", echo, 401, "No"));
            } else if (i == 1) {
                raw_server::write_all(s, http_response(completion_json("b"), echo));
            } else {
                raw_server::write_all(s, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n" +
                                             echo + "Transfer-Encoding: chunked\r\n\r\n");
                raw_server::write_all(s, chunked(faults::text_events(1, false)[0]));
                return;  // cut
            }
        }
    });
    client_options o = options_for(server.base_url());
    o.headers = {{"X-Gateway-Token", gateway_token}};
    o.secret_headers = {"X-Gateway-Token"};
    o.retry = retry_policy::none();
    std::vector<std::string> debug;
    o.debug = [&](std::string_view line) { debug.emplace_back(line); };
    client c(o);
    auto no_secret = [&](const http_headers& headers) {
        for (const auto& h : headers) {
            INFO(h.name << ": " << h.value);
            CHECK(h.value.find(loopback_key) == std::string::npos);
            CHECK(h.value.find(gateway_token) == std::string::npos);
        }
    };
    const auto denied = expect_error<api_error>([&] { c.chat(question()); });
    no_secret(denied.headers());
    CHECK(denied.headers().find("x-echo-auth") == "Bearer [redacted]");
    no_secret(c.chat(question()).http.headers);
    const auto cut =
        expect_error<protocol_error>([&] { c.stream(question(), [](const chat_chunk&) {}); });
    REQUIRE(cut.partial_response() != nullptr);
    no_secret(cut.partial_response()->http.headers);
    for (const auto& line : debug) {
        INFO(line);
        CHECK(line.find(loopback_key) == std::string::npos);
        CHECK(line.find(gateway_token) == std::string::npos);
    }
}

TEST_CASE("hardening: debug lines show the values of harmless headers only") {
    mock_harness plain;
    std::vector<std::string> debug;
    client_options o = options_for("https://api.mistral.ai");
    o.headers = {{"X-Gateway-Token", gateway_token}, {"X-Team", "blue"}, {"X-Trace", "t-1"}};
    o.secret_headers = {"X-Gateway-Token"};
    o.loggable_headers = {"X-Trace"};
    o.debug = [&](std::string_view line) { debug.emplace_back(line); };
    mock_harness h(o);
    h.mock.enqueue(testing::scripted_response::completion("ok"));
    h.client.chat(question());
    REQUIRE_FALSE(debug.empty());
    const std::string& request_line = debug.front();
    INFO(request_line);
    CHECK(request_line.find("X-Gateway-Token: [redacted]") != std::string::npos);
    CHECK(request_line.find("X-Team: [redacted]") != std::string::npos);  // not on the allow-list
    CHECK(request_line.find("X-Trace: t-1") != std::string::npos);        // added to it
    CHECK(request_line.find("Content-Type: application/json") != std::string::npos);
    CHECK(request_line.find("Authorization: [redacted]") != std::string::npos);
    // The secret header is sent as it is.
    CHECK(h.mock.requests().at(0).headers.find("X-Gateway-Token") == gateway_token);
}

TEST_CASE(
    "hardening: a base_url with credentials, a query, no scheme or a control character is a "
    "usage error") {
    const std::string with_password =
        std::string("http://user:") + url_password + "@127.0.0.1:9/prefix";
    for (const std::string& url :
         {with_password, std::string("https://u@api.mistral.ai"),
          std::string("http://127.0.0.1:9/v1?x=1"), std::string("http://127.0.0.1:9/#frag"),
          std::string("127.0.0.1:8080"), std::string("ftp://example.com"),
          std::string("http://:80"), std::string("http://127.0.0.1:9/a b"),
          std::string("http://127.0.0.1:9/v1\r\nX-Injected: 1"),
          std::string("http://127.0.0.1\0.evil:9", 24)}) {
        INFO(url);
        client_options o = options_for(url);
        std::vector<std::string> debug;
        o.debug = [&](std::string_view line) { debug.emplace_back(line); };
        mock_harness h(o);
        const auto e = expect_error<usage_error>([&] { h.client.chat(question()); });
        CHECK(std::string(e.what()).find(url_password) == std::string::npos);
        CHECK(std::string(e.what()).find("base_url") != std::string::npos);
        CHECK(h.mock.requests().empty());
        for (const auto& line : debug) CHECK(line.find(url_password) == std::string::npos);
    }
    // An invalid proxy URL is reported without its password.
    client_options o = options_for("http://127.0.0.1:9");
    o.transport.proxy.url = std::string("http://user:") + url_password + "@:bad";
    const auto e = expect_error<transport_error>([&] { client(o).chat(question()); });
    CHECK(std::string(e.what()).find(url_password) == std::string::npos);
}

// ---- 5. cancellation wins ----------------------------------------------------------------------

TEST_CASE("hardening: cancelling a close-delimited stream is a cancellation, never pooled") {
    std::atomic<int> connections{0};
    raw_server server([&](int s) {
        const int i = connections++;
        raw_server::read_request(s);
        if (i % 2 == 1) {  // every second connection answers whole
            raw_server::write_all(s, http_response(completion_json("fresh")));
            return;
        }
        // No Content-Length, not chunked: the body ends when the connection closes.
        raw_server::write_all(
            s, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n");
        for (const auto& e : faults::text_events(2000, false)) {
            if (!raw_server::write_all(s, e) || raw_server::peer_closed(s, 10)) return;
        }
    });
    client c(options_for(server.base_url()));
    for (int run = 0; run < 5; ++run) {
        INFO("run " << run);
        std::stop_source stop;
        call_options call;
        call.stop = stop.get_token();
        int chunks = 0;
        const auto e = expect_error<transport_error>([&] {
            c.stream(
                question(),
                [&](const chat_chunk&) {
                    if (++chunks == 5) stop.request_stop();
                },
                call);
        });
        CHECK(e.kind() == transport_error_kind::cancelled);
        REQUIRE(e.partial_response() != nullptr);
        CHECK(e.partial_response()->text().starts_with("w0 w1 w2 w3 w4 "));
        // The next call gets a connection of its own and its own answer.
        const int before = connections;
        CHECK(c.chat(question()).id == "fresh");
        CHECK(connections == before + 1);
    }
}

// ---- 6. failures named right -------------------------------------------------------------------

TEST_CASE("hardening: a refused connection says so, with the address") {
    const int port = free_port();
    client_options o = options_for("http://127.0.0.1:" + std::to_string(port));
    o.retry = retry_policy::none();
    const auto e = expect_error<transport_error>([&] { client(o).chat(question()); });
    CHECK(e.kind() == transport_error_kind::connect);
    INFO(e.what());
    CHECK(std::string(e.what()).find("connection refused (127.0.0.1:" + std::to_string(port) +
                                     ")") != std::string::npos);
    CHECK_FALSE(e.request_sent());
}

TEST_CASE("hardening: TLS failures carry the verification reason and the host") {
    fake_server untrusted(tls_server());  // its CA is not trusted by the client
    client_options o = options_for(untrusted.base_url());
    auto e = expect_error<transport_error>([&] { client(o).chat(question()); });
    CHECK(e.kind() == transport_error_kind::tls);
    INFO(e.what());
    CHECK(std::string(e.what()).find("unable to get local issuer certificate (127.0.0.1)") !=
          std::string::npos);

    fake_server_options wrong = tls_server();
    wrong.cert_file = make_test_pki().wrong_host_cert;
    wrong.key_file = make_test_pki().wrong_host_key;
    fake_server other_host(wrong);
    o = options_for(other_host.base_url());
    o.transport.tls.ca_file = make_test_pki().ca_cert;
    e = expect_error<transport_error>([&] { client(o).chat(question()); });
    CHECK(e.kind() == transport_error_kind::tls);
    INFO(e.what());
    CHECK(std::string(e.what()).find("host name mismatch (127.0.0.1)") != std::string::npos);
}

TEST_CASE("hardening: a missing certificate or key file is named with its path") {
    fake_server tls(tls_server());
    for (const char* option :
         {"tls.ca_file", "tls.client_cert_file", "tls.client_key_file", "tls.ca_dir"}) {
        INFO(option);
        client_options o = options_for(tls.base_url());
        const std::string missing = "/nonexistent/dir/file.pem";
        o.transport.tls.ca_file = make_test_pki().ca_cert;
        if (std::string_view(option) == "tls.ca_file") o.transport.tls.ca_file = missing;
        if (std::string_view(option) == "tls.ca_dir") o.transport.tls.ca_dir = missing;
        if (std::string_view(option) == "tls.client_cert_file") {
            o.transport.tls.client_cert_file = missing;
            o.transport.tls.client_key_file = make_test_pki().client_key;
        }
        if (std::string_view(option) == "tls.client_key_file") {
            o.transport.tls.client_cert_file = make_test_pki().client_cert;
            o.transport.tls.client_key_file = missing;
        }
        const auto e = expect_error<transport_error>([&] { client(o).chat(question()); });
        CHECK(e.kind() == transport_error_kind::tls);
        CHECK(std::string(e.what()).find(std::string(option) + " \"" + missing + "\"") !=
              std::string::npos);
        CHECK(std::string(e.what()).find("OpenSSL") == std::string::npos);
        CHECK(tls.requests().empty());
    }
}

TEST_CASE("hardening: a proxy that wants credentials is a proxy error, for http and https") {
    std::atomic<int> seen{0};
    raw_server proxy([&](int s) {
        if (raw_server::read_request(s).empty()) return;
        ++seen;
        raw_server::write_all(
            s,
            "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic "
            "realm=\"corp\"\r\nContent-Length: 0\r\n\r\n");
    });
    for (const std::string target : {"http://127.0.0.1:9", "https://127.0.0.1:9"}) {
        INFO(target);
        client_options o = options_for(target);
        o.transport.proxy.url = proxy.base_url();
        const auto e = expect_error<transport_error>([&] { client(o).chat(question()); });
        CHECK(e.kind() == transport_error_kind::proxy);
        CHECK(std::string(e.what()).find("407") != std::string::npos);
    }
    CHECK(seen == 2);  // not retried
}

// ---- 7. every bound holds ----------------------------------------------------------------------

TEST_CASE("hardening: a gzip bomb of valid chunks is cut at max_response_size") {
    // 20 MiB of text in chunks, compressed to a few hundred kilobytes.
    std::string events;
    const std::string piece(1000, 'x');
    for (int i = 0; i < 20'000; ++i) {
        events += R"(data: {"id":"g","model":"m","choices":[{"index":0,"delta":{"content":")" +
                  piece + "\"}}]}\n\n";
    }
    events += "data: [DONE]\n\n";
    z_stream z{};
    deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 31, 9, Z_DEFAULT_STRATEGY);  // gzip
    std::string gz(deflateBound(&z, events.size()), '\0');
    z.next_in = reinterpret_cast<Bytef*>(events.data());
    z.avail_in = static_cast<uInt>(events.size());
    z.next_out = reinterpret_cast<Bytef*>(gz.data());
    z.avail_out = static_cast<uInt>(gz.size());
    deflate(&z, Z_FINISH);
    gz.resize(z.total_out);
    deflateEnd(&z);
    REQUIRE(gz.size() < events.size() / 50);

    raw_server server([&](int s) {
        while (!raw_server::read_request(s).empty()) {
            raw_server::write_all(s,
                                  "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                                  "Content-Encoding: gzip\r\nContent-Length: " +
                                      std::to_string(gz.size()) + "\r\n\r\n" + gz);
        }
    });
    client_options o = options_for(server.base_url());
    o.max_response_size = std::size_t{1} << 20;
    client c(o);
    const auto e =
        expect_error<protocol_error>([&] { c.stream(question(), [](const chat_chunk&) {}); });
    CHECK(std::string(e.what()).find("max_response_size") != std::string::npos);
    REQUIRE(e.partial_response() != nullptr);
    const std::size_t kept = e.partial_response()->text().size();
    CHECK(kept <= o.max_response_size + piece.size());  // the bound, plus the chunk that crossed it
    CHECK(kept > o.max_response_size / 2);

    // Not folding, the same stream goes through: memory stays flat, nothing to bound.
    call_options flat;
    flat.accumulate = false;
    std::size_t streamed = 0;
    c.stream(
        question(), [&](const chat_chunk& chunk) { streamed += chunk.text().size(); }, flat);
    CHECK(streamed == 20'000 * piece.size());
}

TEST_CASE("hardening: chat() keeps at most 1 MiB of an error body") {
    const std::string huge = R"({"message":")" + std::string(5 << 20, 'e') + R"("})";
    raw_server server([&](int s) {
        while (!raw_server::read_request(s).empty())
            raw_server::write_all(s, http_response(huge, "", 400, "Bad"));
    });
    const auto e =
        expect_error<api_error>([&] { client(options_for(server.base_url())).chat(question()); });
    CHECK(e.status() == 400);
    CHECK(e.body().size() == std::size_t{1} << 20);
}

TEST_CASE("hardening: a late, unsolicited response is never taken as the next answer") {
    std::atomic<int> connections{0};
    raw_server server([&](int s) {
        const int i = connections++;
        for (int n = 0; !raw_server::read_request(s).empty(); ++n) {
            raw_server::write_all(
                s, http_response(completion_json(n == 0 && i == 0 ? "first" : "fresh")));
            if (n == 0 && i == 0) {
                // An unsolicited answer, a little after the first, on the idle connection.
                std::this_thread::sleep_for(30ms);
                raw_server::write_all(s, http_response(completion_json("LATE")));
            }
        }
    });
    client c(options_for(server.base_url()));
    CHECK(c.chat(question()).id == "first");
    std::this_thread::sleep_for(150ms);  // the late answer is waiting on the kept-alive connection
    CHECK(c.chat(question()).id == "fresh");
    CHECK(connections == 2);  // that connection was not reused
}

// ---- retries are honest about POST -------------------------------------------------------------

TEST_CASE("hardening: a request that reached the server is retried only when the policy allows") {
    std::atomic<int> received{0};
    raw_server server([&](int s) {
        if (!raw_server::read_request(s).empty()) ++received;  // then close: a reset
    });
    client_options o = options_for(server.base_url());
    CHECK(expect_error<transport_error>([&] { client(o).chat(question()); }).kind() ==
          transport_error_kind::reset);
    CHECK(received == 3);  // the default, as the official SDKs: retried (and maybe billed)

    received = 0;
    o.retry.retry_sent_requests = false;
    const auto e = expect_error<transport_error>([&] { client(o).chat(question()); });
    CHECK(e.request_sent());
    CHECK(received == 1);

    // Failures before the request could be sent are still retried.
    client_options refused = options_for("http://127.0.0.1:" + std::to_string(free_port()));
    refused.retry.retry_sent_requests = false;
    std::vector<std::string> debug;
    refused.debug = [&](std::string_view line) { debug.emplace_back(line); };
    CHECK(expect_error<transport_error>([&] { client(refused).chat(question()); }).kind() ==
          transport_error_kind::connect);
    CHECK(std::count_if(debug.begin(), debug.end(), [](const std::string& l) {
              return l.find(", attempt ") != std::string::npos;
          }) == 3);
}

// ---- everything printed or kept, in one place --------------------------------------------------

TEST_CASE("hardening: no exception text, debug line or kept header holds a secret") {
    // Every text the client produced in these scenarios, printed, so that CI's grep of the test
    // output for the secrets also covers them.
    std::vector<std::string> texts;
    auto record = [&](const error& e) {
        texts.emplace_back(e.what());
        if (const auto* api = dynamic_cast<const api_error*>(&e)) {
            texts.push_back(api->body());
            for (const auto& h : api->headers()) texts.push_back(h.name + ": " + h.value);
        }
        if (const auto* partial = e.partial_response()) {
            for (const auto& h : partial->http.headers) texts.push_back(h.name + ": " + h.value);
        }
    };
    raw_server echo([&](int s) {
        for (std::string req; !(req = raw_server::read_request(s)).empty();) {
            const std::string auth = header_of(req, "Authorization");
            const std::string token = header_of(req, "X-Gateway-Token");
            raw_server::write_all(
                s, http_response(R"({"message":"bad key )" + auth + " " + token + R"("})",
                                 "X-Echo: " + auth + " " + token + "\r\n", 401, "No"));
        }
    });
    client_options o = options_for(echo.base_url());
    o.headers = {{"X-Gateway-Token", gateway_token}};
    o.secret_headers = {"X-Gateway-Token"};
    o.debug = [&](std::string_view line) { texts.emplace_back(line); };
    try {
        client(o).chat(question());
    } catch (const error& e) {
        record(e);
    }
    client_options with_password = o;
    with_password.base_url = std::string("http://u:") + url_password + "@127.0.0.1:9";
    try {
        client(with_password).chat(question());
    } catch (const error& e) {
        record(e);
    }
    client_options refused = o;
    refused.base_url = "http://127.0.0.1:" + std::to_string(free_port());
    refused.retry = retry_policy::none();
    try {
        client(refused).chat(question());
    } catch (const error& e) {
        record(e);
    }
    REQUIRE(texts.size() > 5);
    for (const auto& t : texts) {
        std::cout << "hardening diagnostics: " << t.substr(0, 300) << "\n";
        CHECK(t.find(loopback_key) == std::string::npos);
        CHECK(t.find(url_password) == std::string::npos);
        CHECK(t.find(gateway_token) == std::string::npos);
    }
}
