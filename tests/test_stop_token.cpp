// tests/test_stop_token.cpp: the library's own stop_source / stop_token / stop_callback, which
// stand in for <stop_token> where the standard library lacks it (libc++ before 18): compiled here
// on purpose everywhere, and checked against what std::stop_callback promises.
#define MISTRAL_OWN_STOP_TOKEN 1
#include <mistral/stop_token.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <thread>

#include "catch.hpp"

using namespace std::chrono_literals;

TEST_CASE("stop_token: a source's tokens see its stop; a default token never stops") {
    mistral::stop_source source;
    const mistral::stop_token token = source.get_token();
    CHECK(token.stop_possible());
    CHECK(!token.stop_requested());
    CHECK(source.request_stop());
    CHECK(!source.request_stop());  // once
    CHECK(token.stop_requested());
    CHECK(source.stop_requested());
    CHECK(token == source.get_token());
    const mistral::stop_token none;
    CHECK(!none.stop_possible());
    CHECK(!none.stop_requested());
}

TEST_CASE("stop_callback: runs once on request, at once when already requested, never after") {
    mistral::stop_source source;
    int ran = 0;
    {
        mistral::stop_callback first(source.get_token(), [&] { ++ran; });
        mistral::stop_callback second(source.get_token(), [&] { ran += 10; });
        {
            mistral::stop_callback gone(source.get_token(), [&] { ran += 100; });
        }  // unregistered: never runs
        source.request_stop();
        CHECK(ran == 11);
        source.request_stop();
        CHECK(ran == 11);
    }
    mistral::stop_callback late(source.get_token(), [&] { ran += 1000; });  // in the constructor
    CHECK(ran == 1011);
    mistral::stop_callback none(mistral::stop_token(), [&] { ran = -1; });
    CHECK(ran == 1011);
}

TEST_CASE("stop_callback: its destructor waits while another thread runs it") {
    mistral::stop_source source;
    std::atomic<bool> entered{false};
    std::atomic<bool> finished{false};
    auto callback = std::make_unique<mistral::stop_callback<std::function<void()>>>(
        source.get_token(), std::function<void()>([&] {
            entered = true;
            std::this_thread::sleep_for(200ms);
            finished = true;
        }));
    std::thread stopper([&] { source.request_stop(); });
    while (!entered) std::this_thread::yield();
    callback.reset();  // must wait for the callback to return
    CHECK(finished);
    stopper.join();
}

TEST_CASE("stop_callback: a callback may destroy itself while it runs") {
    mistral::stop_source source;
    std::optional<mistral::stop_callback<std::function<void()>>> self;
    bool ran = false;
    self.emplace(source.get_token(), std::function<void()>([&] {
                     ran = true;
                     self.reset();
                 }));
    source.request_stop();
    CHECK(ran);
    CHECK(!self);
}

TEST_CASE("stop_token: concurrent registrations, removals and a stop never lose a callback") {
    for (int round = 0; round < 200; ++round) {
        mistral::stop_source source;
        std::atomic<int> ran{0};
        std::thread stopper([&] { source.request_stop(); });
        for (int i = 0; i < 20; ++i) {
            mistral::stop_callback cb(source.get_token(), [&] { ++ran; });
            (void)cb;
        }
        mistral::stop_callback kept(source.get_token(), [&] { ran += 1000; });
        stopper.join();
        CHECK(ran >= 1000);  // registered before or after the stop: it ran exactly once
        CHECK(ran < 2000);
    }
}
