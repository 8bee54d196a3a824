// tests/test_async.cpp: basic_client::chat_async() and stream_async(): calls on one client run
// concurrently, results and exceptions arrive through the futures, call.stop cancels one, and
// the stream callback runs on the call's thread. (Run under TSan in CI.)
#include <mistral/core.hpp>
#include <mistral/testing.hpp>

#include <algorithm>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "catch.hpp"

using namespace mistral;
using testing::mock_transport;
using testing::scripted_response;
using namespace std::chrono_literals;

namespace {

scripted_response slow(scripted_response r, std::chrono::milliseconds delay) {
    r.delay_before_head = delay;
    return r;
}

chat_request ask(std::string text) {
    return {.model = "m", .messages = {user(std::move(text))}};
}

}  // namespace

TEST_CASE("two chat_async and one stream_async on one client run at the same time") {
    mock_transport mock;
    basic_client<mock_transport> client({.api_key = "k"}, mock);
    // Each answer waits 300 ms: one after the other they would take 900 ms.
    mock.enqueue(slow(scripted_response::completion("one"), 300ms));
    mock.enqueue(slow(scripted_response::completion("two"), 300ms));
    const auto start = std::chrono::steady_clock::now();
    std::thread::id callback_thread;
    std::future<chat_response> a = client.chat_async(ask("a"));
    std::future<chat_response> b = client.chat_async(ask("b"));
    // The mock answers in order of arrival: the stream's answer is scripted once both chat
    // requests are in (and still waiting).
    while (mock.requests().size() < 2) std::this_thread::sleep_for(1ms);
    mock.enqueue(slow(scripted_response::sse_text("three streamed"), 300ms));
    std::future<chat_response> c = client.stream_async(
        ask("c"), [&](const chat_chunk&) { callback_thread = std::this_thread::get_id(); });
    std::vector<std::string> texts{a.get().text(), b.get().text(), c.get().text()};
    const auto elapsed = std::chrono::steady_clock::now() - start;
    std::sort(texts.begin(), texts.end());
    CHECK(texts == std::vector<std::string>{"one", "three streamed", "two"});
    CHECK(elapsed < 850ms);
    CHECK(callback_thread != std::thread::id{});
    CHECK(callback_thread != std::this_thread::get_id());
    CHECK(mock.requests().size() == 3);
    CHECK(client.usage().requests == 3);
}

TEST_CASE("a cancelled async call throws transport_error cancelled through its future") {
    mock_transport mock;
    basic_client<mock_transport> client({.api_key = "k"}, mock);
    mock.enqueue(slow(scripted_response::completion("late"), 10s));
    mistral::stop_source stop;
    std::future<chat_response> f = client.chat_async(ask("a"), {.stop = stop.get_token()});
    std::this_thread::sleep_for(50ms);
    const auto start = std::chrono::steady_clock::now();
    stop.request_stop();
    try {
        (void)f.get();
        FAIL("no error");
    } catch (const transport_error& e) {
        CHECK(e.kind() == transport_error_kind::cancelled);
    }
    CHECK(std::chrono::steady_clock::now() - start < 2s);
}

TEST_CASE("errors of async calls arrive through the futures") {
    mock_transport mock;
    basic_client<mock_transport> client({.api_key = "k"}, mock);
    mock.enqueue(scripted_response::json(R"({"message":"bad"})", 400));
    CHECK_THROWS_AS(client.chat_async(ask("a")).get(), api_error);
    CHECK_THROWS_AS(client.stream_async({.model = "m"}, [](const chat_chunk&) {}).get(),
                    usage_error);
}

TEST_CASE("many async calls on one client") {
    mock_transport mock;
    basic_client<mock_transport> client({.api_key = "k"}, mock);
    constexpr int calls = 32;
    for (int i = 0; i < calls; ++i) mock.enqueue(scripted_response::completion("x"));
    std::vector<std::future<chat_response>> futures;
    for (int i = 0; i < calls; ++i) futures.push_back(client.chat_async(ask("q")));
    for (auto& f : futures) CHECK(f.get().text() == "x");
    CHECK(client.usage().requests == calls);
}
