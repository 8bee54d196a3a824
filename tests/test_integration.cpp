// tests/test_integration.cpp: the client over the real default transport (cpp-httplib) against the
// fake Mistral server on 127.0.0.1: the whole path, keep-alive, streaming, tool calls, proxies,
// mutual TLS. The faults a server can produce are in test_faults.cpp.
#include <mistral/detail/proxy.hpp>
#include <mistral/mistral.hpp>

#include <boost/describe.hpp>

#include <string>
#include <thread>
#include <vector>

#include "catch.hpp"
#include "support/fake_server.hpp"
#include "support/forward_proxy.hpp"
#include "support/loopback.hpp"
#include "support/raw_server.hpp"
#include "support/test_pki.hpp"

using namespace mistral;
using namespace mistral::test;
using namespace std::chrono_literals;

namespace mistral::test {
std::string second_translation_unit_request();  // second_translation_unit.cpp

enum class size_class { village, town, metropolis };
BOOST_DESCRIBE_ENUM(size_class, village, town, metropolis)
struct city {
    std::string name;
    std::int64_t population = 0;
    std::optional<std::string> country;
    std::vector<std::string> landmarks;
    size_class size = size_class::village;
    std::array<double, 2> location{};
};
BOOST_DESCRIBE_STRUCT(city, (), (name, population, country, landmarks, size, location))

struct weather_args {
    std::string city;
    std::optional<std::string> unit;
};
BOOST_DESCRIBE_STRUCT(weather_args, (), (city, unit))
struct time_args {
    std::string place;
};
BOOST_DESCRIBE_STRUCT(time_args, (), (place))
}  // namespace mistral::test

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
    CHECK(sent.headers.find("Authorization")->second == std::string("Bearer ") + loopback_key);
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

TEST_CASE("integration: the fake server's structured replies are well-formed and deterministic") {
    fake_server server;
    client c(options_for(server.base_url()));
    chat_request req = question("Name three cities and their authors.");
    req.response_format = response_format{
        .type = "json_schema",
        .json_schema = json_schema{.name = "cities",
                                   .schema = boost::json::parse(R"({"type":"object","properties":{
                "cities":{"type":"array","items":{"type":"string"},"minItems":3},
                "authors":{"type":"array","items":{"type":"string"}},
                "counts":{"type":"array","items":{"type":"integer"},"minItems":2}},
                "required":["cities","authors","counts"]})")
                                                 .as_object()}};
    const std::string first = c.chat(req).text();
    CHECK(c.chat(req).text() == first);  // the same question, the same answer
    const auto reply = boost::json::parse(first).as_object();
    const auto& cities = reply.at("cities").as_array();
    REQUIRE(cities.size() == 3);
    CHECK(cities[0] != cities[1]);
    CHECK(cities[1] != cities[2]);
    CHECK(cities[0] != cities[2]);
    CHECK(reply.at("authors").as_array().size() == 1);  // one item unless more are asked for
    CHECK(reply.at("counts").as_array() == boost::json::parse("[3, 4]").as_array());
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

TEST_CASE("integration: the headers link from two translation units") {
    CHECK(
        test::second_translation_unit_request() ==
        R"({"model":"m","messages":[{"role":"user","content":"from another translation unit"}]})");
}

TEST_CASE("integration: parse<T> gets a filled struct from the fake server, streamed or not") {
    fake_server server;
    client c(options_for(server.base_url()));
    const auto r = c.parse<city>(question("Tell me about Lyon"));
    CHECK(r.value.name == "Lyon");
    CHECK(r.value.landmarks.size() == 1);        // an array has one item unless minItems asks more
    CHECK(r.value.size == size_class::village);  // the fake picks the first enumerator
    CHECK(r.value.location == std::array<double, 2>{21.5, 22.5});  // the items differ
    CHECK(r.response.http.status == 200);
    const auto sent = boost::json::parse(server.requests().at(0).body);
    CHECK(sent.at("response_format").at("json_schema").at("schema") ==
          boost::json::value(json_schema_of<city>()));
    std::string streamed;
    const auto s = c.parse_stream<city>(question("Tell me about Lyon"),
                                        [&](const chat_chunk& chunk) { streamed += chunk.text(); });
    CHECK(s.value.name == "Lyon");
    CHECK(streamed == r.response.text());
}

TEST_CASE("integration: run_tools runs the fake server's tool calls to the final answer") {
    fake_server server;
    client c(options_for(server.base_url()));
    toolbox tools;
    tools.add("get_weather", "Current weather of a city",
              [](const weather_args& a) { return "12C in " + a.city; });
    tools.add("get_time", "Local time of a place",
              [](const time_args& a) { return "09:00 in " + a.place; });
    chat_request req = question("What are get_weather and get_time in Madrid?");
    const chat_response final = c.run_tools(req, tools);
    CHECK(final.text() ==
          "Here is what I found: get_weather says 12C in Madrid; get_time says 09:00 in Madrid.");
    REQUIRE(req.messages.size() == 5);  // user, assistant (2 calls), 2 tool messages, assistant
    CHECK(server.requests().size() == 2);

    chat_request streamed_req = question("What is get_weather in Oslo?");
    std::size_t chunks = 0;
    const chat_response streamed =
        c.run_tools(streamed_req, tools, [&](const chat_chunk&) { ++chunks; });
    CHECK(streamed.text() == "Here is what I found: get_weather says 12C in Oslo.");
    CHECK(chunks > 3);
}

TEST_CASE("integration: a history with foreign tool-call ids is accepted once sanitized") {
    fake_server server;
    chat_request req = question("What is the weather in Oslo?");
    req.messages.push_back(assistant_message{
        .content = std::string(),
        .tool_calls = std::vector<tool_call>{
            {.id = "call_Xq81mZ0pLk2",
             .type = "function",
             .function = {.name = "get_weather", .arguments = R"({"city":"Oslo"})"}}}});
    req.messages.push_back(tool_result("call_Xq81mZ0pLk2", "3C in Oslo"));

    client_options unchecked = options_for(server.base_url());
    unchecked.preflight = false;
    try {
        (void)client(unchecked).chat(req);
        FAIL("the fake server accepted a foreign id");
    } catch (const api_error& e) {
        CHECK(e.status() == 400);
        CHECK(e.code() == "3280");
    }
    CHECK_THROWS_AS(client(options_for(server.base_url())).chat(req), usage_error);
    CHECK(server.requests().size() == 1);  // preflight sent nothing

    CHECK(sanitize_tool_call_ids(req.messages) == 1);
    const chat_response r = client(options_for(server.base_url())).chat(req);
    CHECK(r.text() == "Here is what I found: the tool says 3C in Oslo.");
}
