// tests/test_usage.cpp: usage.hpp: basic_client::usage() after a mix of calls equals the sum of
// their responses' usage, counts every HTTP request (retries included) and a failed stream's
// partial usage, per model too, and stays consistent under concurrent calls.
#include <mistral/core.hpp>
#include <mistral/testing.hpp>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "catch.hpp"

using namespace mistral;
using testing::mock_transport;
using testing::scripted_response;

namespace {

client_options no_waits() {
    client_options o;
    o.api_key = "k";
    o.environment.sleep = [](std::chrono::milliseconds, mistral::stop_token) {};
    return o;
}

usage_count count_of(const usage_info& u, std::int64_t requests) {
    return {.prompt_tokens = u.prompt_tokens,
            .completion_tokens = u.completion_tokens,
            .total_tokens = u.total_tokens,
            .requests = requests};
}

}  // namespace

TEST_CASE("usage() sums every call's usage and counts every request") {
    mock_transport mock;
    basic_client<mock_transport> client(no_waits(), mock);
    CHECK(client.usage() == usage_totals{});

    const chat_request small{.model = "small", .messages = {user("a")}};
    const chat_request large{.model = "large", .messages = {user("b")}};
    std::vector<chat_response> responses;
    mock.enqueue(scripted_response::completion("one"));
    responses.push_back(client.chat(small));
    mock.enqueue(scripted_response::json(R"({"message":"busy"})", 503));  // retried
    mock.enqueue(scripted_response::completion("two"));
    responses.push_back(client.chat(large));
    mock.enqueue(scripted_response::sse_text("three words here"));
    responses.push_back(client.stream(small, [](const chat_chunk&) {}));
    mock.enqueue(scripted_response::sse_text("pulled chunk by chunk", "large"));
    {
        chat_stream pulled = client.open_stream(large);
        for (const chat_chunk& chunk : pulled) (void)chunk;
        responses.push_back(pulled.response());
    }

    usage_count sum;
    for (const auto& r : responses) {
        sum.prompt_tokens += r.usage.prompt_tokens;
        sum.completion_tokens += r.usage.completion_tokens;
        sum.total_tokens += r.usage.total_tokens;
    }
    sum.requests = 5;
    const usage_totals u = client.usage();
    CHECK(static_cast<const usage_count&>(u) == sum);
    REQUIRE(u.per_model.size() == 2);
    usage_info large_usage = responses[1].usage;
    large_usage.prompt_tokens += responses[3].usage.prompt_tokens;
    large_usage.completion_tokens += responses[3].usage.completion_tokens;
    large_usage.total_tokens += responses[3].usage.total_tokens;
    CHECK(u.per_model.at("large") == count_of(large_usage, 3));
    CHECK(u.per_model.at("small").requests == 2);
    CHECK(u.per_model.at("small").total_tokens ==
          responses[0].usage.total_tokens + responses[2].usage.total_tokens);
}

TEST_CASE("a client's copies share its counts; a moved-to client keeps them") {
    mock_transport mock;
    basic_client<mock_transport> client(no_waits(), mock);
    const chat_request request{.model = "m", .messages = {user("Hi")}};
    mock.enqueue(testing::scripted_response::completion("one"));
    client.chat(request);
    basic_client<mock_transport> copy = client;
    mock.enqueue(testing::scripted_response::completion("two"));
    copy.chat(request);
    CHECK(client.usage().requests == 2);
    CHECK(copy.usage() == client.usage());
    basic_client<mock_transport> moved = std::move(copy);
    CHECK(moved.usage().requests == 2);
    basic_client<mock_transport> assigned(no_waits(), mock);
    assigned = moved;
    CHECK(assigned.usage().requests == 2);
}

TEST_CASE("a failed stream counts what it delivered; a refused call counts its request") {
    mock_transport mock;
    basic_client<mock_transport> client(no_waits(), mock);
    const chat_request req{.model = "m", .messages = {user("a")}};
    scripted_response cut = scripted_response::sse_text("cut before done");
    cut.body_pieces.pop_back();  // no [DONE]
    mock.enqueue(cut);
    std::int64_t delivered = 0;
    try {
        client.stream(req, [](const chat_chunk&) {});
        FAIL("no error");
    } catch (const protocol_error& e) {
        REQUIRE(e.partial_response() != nullptr);
        delivered = e.partial_response()->usage.total_tokens;
    }
    CHECK(delivered > 0);
    mock.enqueue(scripted_response::json(R"({"message":"bad"})", 400));
    CHECK_THROWS_AS(client.chat(req), api_error);
    CHECK_THROWS_AS(client.chat({.model = "m"}), usage_error);  // nothing sent
    const usage_totals u = client.usage();
    CHECK(u.total_tokens == delivered);
    CHECK(u.requests == 2);
}

TEST_CASE("usage() is consistent while many threads call one client") {
    mock_transport mock;
    basic_client<mock_transport> client(no_waits(), mock);
    constexpr int threads = 4;
    constexpr int calls = 25;
    for (int i = 0; i < threads * calls; ++i) mock.enqueue(scripted_response::completion("ok"));
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&] {
            for (int i = 0; i < calls; ++i) {
                (void)client.chat({.model = "m", .messages = {user("a")}});
                (void)client.usage();
            }
        });
    }
    for (auto& t : pool) t.join();
    const usage_totals u = client.usage();
    CHECK(u.requests == threads * calls);
    CHECK(u.total_tokens == threads * calls * 15);  // completion() reports 15 tokens
}
