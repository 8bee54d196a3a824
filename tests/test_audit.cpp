// tests/test_audit.cpp: the second security and resource audit, each finding a regression test:
// large tool calls that exhausted memory, proxies that hung cpp-httplib, secrets in every field of
// an error, clear text where TLS was asked for, work and memory that the limits did not bound, and
// the smaller ones (informational answers, stale pooled connections, comment-only streams).
// Over loopback with the real default transport, except what the mock shows as well.
#include <mistral/mistral.hpp>
#include <mistral/testing.hpp>

#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "catch.hpp"
#include "support/allocation_counter.hpp"
#include "support/expect_error.hpp"
#include "support/fake_server.hpp"
#include "support/forward_proxy.hpp"
#include "support/loopback.hpp"
#include "support/raw_server.hpp"

using namespace mistral;
using namespace mistral::test;
using namespace std::chrono_literals;
using testing::mock_transport;
using testing::scripted_response;

namespace {

constexpr const char* proxy_password = "se/cret?PW#99-proxy";  // '/', '?' and '#' unescaped

std::string chunk_event(const std::string& json_members) {
    return R"(data: {"id":"a","object":"chat.completion.chunk","model":"m","choices":[)" +
           json_members + "]}\n\n";
}

// Sets an environment variable for the scope of a test.
class scoped_env {
public:
    scoped_env(const char* name, const std::string& value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        ::setenv(name, value.c_str(), 1);
    }
    ~scoped_env() {
        if (old_) {
            ::setenv(name_, old_->c_str(), 1);
        } else {
            ::unsetenv(name_);
        }
    }
    scoped_env(const scoped_env&) = delete;
    scoped_env& operator=(const scoped_env&) = delete;

private:
    const char* name_;
    std::optional<std::string> old_;
};

}  // namespace

// ---- 1. large tool calls -----------------------------------------------------------------------

TEST_CASE("audit: 25 whole tool calls of 17 KiB of arguments each stream to their end") {
    // Each event is larger than the decoder's 16 KiB buffer: Boost.JSON 1.81's monotonic
    // resource doubled its next block at every one, until it asked for 32 GiB.
    const std::string arguments = R"({\"code\":\")" + std::string(17 * 1024, 'x') + R"(\"})";
    std::vector<std::string> events;
    for (int i = 0; i < 25; ++i) {
        events.push_back(chunk_event(
            R"({"index":0,"delta":{"tool_calls":[{"id":"call)" + std::to_string(10000 + i) +
            R"(","type":"function","index":)" + std::to_string(i) +
            R"(,"function":{"name":"write","arguments":")" + arguments + R"("}}]}})"));
    }
    events.push_back(chunk_event(R"({"index":0,"delta":{},"finish_reason":"tool_calls"})"));
    events.push_back("data: [DONE]\n\n");
    fake_server server;
    server.script(faults::raw_stream(server, events));
    const chat_response r =
        client(options_for(server.base_url())).stream(question(), [](const chat_chunk&) {});
    const auto& calls = r.choices.at(0).message.tool_calls.value();
    REQUIRE(calls.size() == 25);
    CHECK(std::get<std::string>(calls[24].function.arguments).size() > 17 * 1024);
}

// ---- 2. nothing hangs --------------------------------------------------------------------------

TEST_CASE("audit: a proxy that refuses CONNECT and closes, or answers HTTP/1.0, ends the call") {
    fake_server tls(tls_server());
    struct refusal {
        const char* answer;
        const char* expected;
    };
    for (const refusal r :
         {refusal{"HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: 0", "502"},
          refusal{"HTTP/1.1 407 Proxy Authentication Required\r\nConnection: close\r\n"
                  "Proxy-Authenticate: Basic realm=\"corp\"\r\nContent-Length: 0",
                  "407"},
          refusal{"HTTP/1.0 403 Forbidden", "403"}}) {
        INFO(r.answer);
        raw_server proxy([&](int s) {
            if (raw_server::read_request(s).empty()) return;
            raw_server::write_all(s, std::string(r.answer) + "\r\n\r\n");
        });
        client_options o = options_for(tls.base_url());
        o.transport.tls.ca_file = make_test_pki().ca_cert;
        o.transport.proxy.url = proxy.base_url();
        o.timeouts.total = 5s;
        const auto took = elapsed([&] {
            const auto e = expect_error<transport_error>([&] { client(o).chat(question()); });
            CHECK(e.kind() == transport_error_kind::proxy);  // not "tls"
            CHECK(std::string(e.what()).find(r.expected) != std::string::npos);
        });
        CHECK(took < 3s);
    }
    // An old proxy's "HTTP/1.0 200 OK" opens a tunnel like any 2xx.
    forward_proxy old_proxy("HTTP/1.0 200 OK");
    client_options o = options_for(tls.base_url());
    o.transport.tls.ca_file = make_test_pki().ca_cert;
    o.transport.proxy.url = old_proxy.url();
    o.timeouts.total = 5s;
    CHECK(client(o).chat(question()).http.status == 200);
    CHECK(old_proxy.request_lines().at(0).starts_with("CONNECT 127.0.0.1:"));
}

TEST_CASE("audit: a key that \"[redacted]\" contains is redacted without looping") {
    for (const std::string key : {"redacted", "acte", "[redacted]"}) {
        INFO(key);
        mock_transport mock;
        std::vector<std::string> debug;
        client_options o{.api_key = key};
        o.debug = [&](std::string_view line) { debug.emplace_back(line); };
        o.retry = retry_policy::none();
        basic_client<mock_transport> c(o, mock);
        mock.enqueue(scripted_response::json(
            R"({"message":"bad key )" + key + R"(","type":")" + key + R"("})", 401));
        const auto e = expect_error<api_error>([&] { c.chat(question()); });
        CHECK(e.message() == "bad key [redacted]");
        CHECK(!debug.empty());
    }
}

// ---- 3. the key in error texts -----------------------------------------------------------------

TEST_CASE("audit: a key echoed in any field of an error body is kept nowhere") {
    const std::string key = loopback_key;
    const std::string body = R"({"object":"error","type":")" + key + R"(","code":")" + key +
                             R"(","param":")" + key + R"(","request_id":")" + key +
                             R"(","message":{"detail":[{"loc":["body",")" + key + R"("],"msg":")" +
                             key + R"(","type":")" + key + R"("}]}})";
    auto check = [&](const api_error& e) {
        for (const std::string& text : {std::string(e.what()), e.type(), e.code(), e.param(),
                                        e.message(), e.body(), e.request_id()}) {
            CHECK(text.find(key) == std::string::npos);
        }
        REQUIRE(e.validation_issues().size() == 1);
        for (const std::string& text :
             {e.validation_issues()[0].location, e.validation_issues()[0].message,
              e.validation_issues()[0].type}) {
            CHECK(text.find(key) == std::string::npos);
        }
    };
    fake_server server;
    server.script(faults::status(422, body));
    check(
        expect_error<api_error>([&] { client(options_for(server.base_url())).chat(question()); }));
    // The same inside a 200 stream, as an error event.
    server.script(faults::raw_stream(server, {"event: error\ndata: " + body + "\n\n"}));
    check(expect_error<api_error>([&] {
        client(options_for(server.base_url())).stream(question(), [](const chat_chunk&) {});
    }));
}

TEST_CASE("audit: a malformed stream event that echoes the key shows none of it") {
    // The key starts at every offset around the excerpt's end: no part of it may show.
    const std::string key = loopback_key;
    for (std::size_t before = 170; before <= 210; ++before) {
        INFO(before);
        mock_transport mock;
        basic_client<mock_transport> c(options_for("http://127.0.0.1:9"), mock);
        mock.enqueue(scripted_response{
            .headers = {{"Content-Type", "text/event-stream"}},
            .body_pieces = {"data: {" + std::string(before, 'x') + key + "oops\n\n"}});
        const auto e =
            expect_error<protocol_error>([&] { c.stream(question(), [](const chat_chunk&) {}); });
        const std::string what = e.what();
        CHECK(what.starts_with("malformed JSON in stream event"));
        for (std::size_t n = 6; n <= key.size(); ++n)
            CHECK(what.find(key.substr(0, n)) == std::string::npos);
    }
}

// ---- 4 and 5. proxies: no clear text where TLS was asked, no password shown ---------------------

TEST_CASE("audit: an https:// proxy URL is refused before anything is sent") {
    raw_server proxy([](int s) { raw_server::read_request(s); });
    for (const std::string target : {"http://127.0.0.1:9", "https://127.0.0.1:9"}) {
        client_options o = options_for(target);
        o.transport.proxy.url = "https://user:" + std::string(proxy_password) +
                                "@127.0.0.1:" + std::to_string(proxy.port());
        const auto e = expect_error<usage_error>([&] { client(o).chat(question()); });
        CHECK(std::string(e.what()).find("only http:// proxies") != std::string::npos);
        CHECK(std::string(e.what()).find("cret") == std::string::npos);
    }
    CHECK(proxy.connection_count() == 0);
}

TEST_CASE("audit: HTTP_PROXY is ignored in a CGI program (httpoxy)") {
    fake_server server;
    forward_proxy proxy;
    client_options o = options_for(server.base_url());
    o.transport.proxy.use_environment = true;
    const scoped_env http_proxy("HTTP_PROXY", proxy.url());
    {
        const scoped_env cgi("REQUEST_METHOD", "POST");
        CHECK(client(o).chat(question()).http.status == 200);
        CHECK(proxy.request_lines().empty());  // straight to the server
    }
    CHECK(client(o).chat(question()).http.status == 200);
    CHECK(proxy.request_lines().size() == 1);  // outside CGI, HTTP_PROXY is honoured
}

TEST_CASE("audit: a proxy password with '/', '?' or '#' works and is shown nowhere") {
    fake_server server;
    forward_proxy proxy;
    std::vector<std::string> debug;
    client_options o = options_for(server.base_url());
    o.transport.proxy.url = "http://puser:" + std::string(proxy_password) +
                            "@127.0.0.1:" + std::to_string(proxy.port());
    o.debug = [&](std::string_view line) { debug.emplace_back(line); };
    CHECK(client(o).chat(question()).http.status == 200);
    CHECK(proxy.last_proxy_authorization() ==
          "Basic " + detail::base64_encode("puser:" + std::string(proxy_password)));
    // An unusable proxy: the error and the debug lines do not show the password.
    o.transport.proxy.url = "http://puser:" + std::string(proxy_password) + "@127.0.0.1:1";
    const auto e = expect_error<transport_error>([&] { client(o).chat(question()); });
    CHECK(std::string(e.what()).find("cret") == std::string::npos);
    o.transport.proxy.url = "http://puser:" + std::string(proxy_password) + "@:bad";
    const auto bad = expect_error<transport_error>([&] { client(o).chat(question()); });
    CHECK(std::string(bad.what()).find("cret") == std::string::npos);
    for (const auto& line : debug) CHECK(line.find("cret") == std::string::npos);
}

// ---- 6. work bounded by total ------------------------------------------------------------------

TEST_CASE("audit: redacting an 8 MiB body that is not JSON costs what its excerpt costs") {
    mock_transport mock;
    client_options o{.api_key = loopback_key};
    basic_client<mock_transport> c(o, mock);
    std::string body;
    while (body.size() < (8u << 20)) body += std::string(100, 'x') + loopback_key;
    mock.enqueue(scripted_response{.headers = {{"Content-Type", "application/json"}},
                                   .body_pieces = {body}});
    const auto took = elapsed([&] {
        const auto e = expect_error<protocol_error>([&] { c.chat(question()); });
        CHECK(std::string(e.what()).find(loopback_key) == std::string::npos);
        CHECK(std::string(e.what()).find("[redacted]") != std::string::npos);
    });
    CHECK(took < 5s);  // quadratic redaction took 16 s; linear takes milliseconds
}

TEST_CASE("audit: 200,000 tool-call pieces and 40,000 choices out of order fold in linear time") {
    stream_accumulator calls;
    for (std::int64_t i = 0; i < 200'000; ++i) {
        calls.add(
            {.id = "a",
             .model = "m",
             .choices = {
                 {.index = 0,
                  .delta = {.tool_calls = std::vector<tool_call_delta>{
                                {.id = "abcdefghi",
                                 .function = function_call_delta{.name = "f", .arguments = "{}"},
                                 .index = i}}}}}});
    }
    CHECK(calls.response().choices.at(0).message.tool_calls->size() == 200'000);
    stream_accumulator choices;
    for (std::int64_t i = 40'000; i > 0; --i) {
        choices.add(
            {.id = "a", .model = "m", .choices = {{.index = i, .delta = {.content = "x"}}}});
    }
    const auto& folded = choices.response().choices;
    REQUIRE(folded.size() == 40'000);
    CHECK(folded.front().index == 1);
    CHECK(folded.back().index == 40'000);
    CHECK(std::is_sorted(folded.begin(), folded.end(),
                         [](const auto& a, const auto& b) { return a.index < b.index; }));
}

TEST_CASE("audit: timeouts.total bounds a call with its resumes, pushed and pulled") {
    // Every attempt sends a chunk of text, then stalls 800 ms and drops the connection.
    std::atomic<int> attempts{0};
    raw_server server([&](int s) {
        while (!raw_server::read_request(s).empty()) {
            ++attempts;
            raw_server::write_all(
                s, sse_head + chunked(chunk_event(R"({"index":0,"delta":{"content":"w "}})")));
            if (raw_server::peer_closed(s, 800)) return;
            return;  // cut: no [DONE], no last chunk
        }
    });
    client_options o = options_for(server.base_url());
    o.timeouts.total = 2s;
    call_options call;
    call.max_resumes = 10;
    const auto pushed = elapsed([&] {
        const auto e = expect_error<transport_error>([&] {
            client(o).stream(
                question(), [](const chat_chunk&) {}, call);
        });
        CHECK(e.kind() == transport_error_kind::timeout);
    });
    CHECK(pushed < 3s);
    CHECK(attempts <= 3);
    attempts = 0;
    client c(o);  // outlives its stream
    const auto pulled = elapsed([&] {
        chat_stream s = c.open_stream(question(), call);
        const auto e = expect_error<transport_error>([&] {
            for (const chat_chunk& chunk : s) (void)chunk;
        });
        CHECK(e.kind() == transport_error_kind::timeout);
    });
    CHECK(pulled < 3s);
    CHECK(attempts <= 3);
}

// ---- 7. memory bounded by the limits -----------------------------------------------------------

TEST_CASE("audit: unknown members of chunks count toward max_response_size, accumulated or not") {
    for (const bool accumulate : {true, false}) {
        INFO("accumulate " << accumulate);
        mock_transport mock;
        client_options o{.api_key = "k"};
        o.max_response_size = 1 << 20;
        basic_client<mock_transport> c(o, mock);
        std::vector<chat_chunk> chunks;
        for (int i = 0; i < 300; ++i) {
            chat_chunk chunk{.id = "a", .model = "m", .choices = {{.index = 0}}};
            chunk.extra["member" + std::to_string(i)] = std::string(12 * 1024, 'u');
            chunks.push_back(std::move(chunk));
        }
        mock.enqueue(scripted_response::sse(chunks));
        call_options call;
        call.accumulate = accumulate;
        int seen = 0;
        const auto e = expect_error<protocol_error>([&] {
            c.stream(
                question(), [&](const chat_chunk&) { ++seen; }, call);
        });
        CHECK(std::string(e.what()).find("max_response_size") != std::string::npos);
        CHECK(seen < 100);
    }
}

TEST_CASE("audit: a large unknown member of a response is held once, not copied") {
    // 16 MiB of an unknown array of strings: the parsed tree moves into `extra`. A copy would
    // allocate every string once more (and hold the tree twice).
    std::string big = R"({"id":"r","object":"chat.completion","model":"m","created":1,)"
                      R"("choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1,)"
                      R"("total_tokens":2},"huge":[)";
    std::size_t strings = 0;
    for (; big.size() < (16u << 20); ++strings) big += R"("abcdefghijklmnopqrstuvwxyz",)";
    big += "1]}";
    mock_transport mock;
    basic_client<mock_transport> c({.api_key = "k"}, mock);
    mock.enqueue(scripted_response::json(big));
    const std::size_t allocations = allocation_count();
    const chat_response r = c.chat(question());
    const std::size_t made = allocation_count() - allocations;
    REQUIRE(r.extra.at("huge").as_array().size() == strings + 1);
    INFO("allocations " << made << " for " << strings << " strings");
    CHECK(made < strings + strings / 4);  // parsing makes each once; nothing makes them twice

    // The same, by hand: reading a tree that is handed over moves its unknown members.
    boost::json::value tree = boost::json::parse(big);
    chat_response by_hand;
    const std::size_t before = allocation_count();
    read_json(std::move(tree), by_hand);
    CHECK(allocation_count() - before < 100);
    CHECK(by_hand.extra.at("huge").as_array().size() == strings + 1);
}

// ---- 8. smaller ones ---------------------------------------------------------------------------

TEST_CASE("audit: an informational answer before the response fails at once, not at a timeout") {
    raw_server server([](int s) {
        raw_server::read_request(s);
        raw_server::write_all(s, "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n");
        std::this_thread::sleep_for(50ms);
        raw_server::write_all(s,
                              "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                              "Content-Length: 2\r\n\r\n{}");
        raw_server::peer_closed(s, 5000);
    });
    client_options o = options_for(server.base_url());
    o.timeouts.read = 30s;
    const auto took = elapsed([&] {
        const auto e = expect_error<protocol_error>([&] { client(o).chat(question()); });
        CHECK(std::string(e.what()).find("103") != std::string::npos);
    });
    CHECK(took < 3s);
}

TEST_CASE("audit: a pooled connection the server closed is replaced at once, not retried later") {
    // The server answers one request per connection and closes the next as soon as it arrives,
    // without answering: what a server's idle timeout does to a pooled connection.
    std::atomic<int> connections{0};
    raw_server server([&](int s) {
        ++connections;
        if (raw_server::read_request(s).empty()) return;
        const std::string body =
            R"({"id":"r","object":"chat.completion","model":"m","created":1,"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}})";
        raw_server::write_all(s,
                              "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                              "Content-Length: " +
                                  std::to_string(body.size()) + "\r\n\r\n" + body);
        raw_server::read_request(s);  // the next one: closed unanswered
    });
    client_options o = options_for(server.base_url());
    o.retry = retry_policy::none();  // no retry of the policy's: the transport replaces it
    client c(o);
    for (int i = 0; i < 5; ++i) {
        const auto took = elapsed([&] { CHECK(c.chat(question()).http.attempts == 1); });
        CHECK(took < 1s);
    }
    CHECK(connections >= 5);
}

TEST_CASE("audit: a stream of comments only is cut at stream_idle") {
    raw_server server([](int s) {
        raw_server::read_request(s);
        std::string sent = sse_head;
        sent += chunked(chunk_event(R"({"index":0,"delta":{"content":"w "}})"));
        raw_server::write_all(s, sent);
        for (int i = 0; i < 400; ++i) {
            if (!raw_server::write_all(s, chunked(": keep-alive\n\n")) ||
                raw_server::peer_closed(s, 50))
                return;
        }
    });
    client_options o = options_for(server.base_url());
    o.timeouts.stream_idle = 400ms;
    const auto took = elapsed([&] {
        const auto e = expect_error<transport_error>(
            [&] { client(o).stream(question(), [](const chat_chunk&) {}); });
        CHECK(e.kind() == transport_error_kind::timeout);
        CHECK(std::string(e.what()).find("no event for 400 ms") != std::string::npos);
        REQUIRE(e.partial_response() != nullptr);
        CHECK(e.partial_response()->text() == "w ");
    });
    CHECK(took < 3s);
}
