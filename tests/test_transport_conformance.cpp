// test_transport_conformance.cpp: the transport concepts' contract (transport.hpp: send(), and
// pull_transport's open()), checked by one suite that runs the same cases over every transport of
// the library: mock_transport, with scripted answers, and httplib_transport, over loopback to a
// raw-socket server that sends the same answers (as the Azure SDK runs one suite per transport
// adapter). A new transport gets its adapter here and passes the same cases.
#include <mistral/mistral.hpp>
#include <mistral/testing.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "catch.hpp"
#include "support/raw_server.hpp"

using namespace mistral;
using namespace std::chrono_literals;
using mistral::test::raw_server;

namespace {

// One answer, as both adapters serve it.
struct answer {
    int status = 200;
    http_headers headers{};
    std::vector<std::string> pieces{};
    std::chrono::milliseconds delay_before_head{0};
    std::chrono::milliseconds delay_between_pieces{0};
};

// What a transport delivered to its handler.
struct collector : response_handler {
    std::optional<response_head> head;
    std::vector<std::string> pieces;
    std::size_t stop_after_pieces = 0;  // 0: never stop

    bool on_head(response_head h) override {
        head = std::move(h);
        return true;
    }
    bool on_body(std::string_view piece) override {
        pieces.emplace_back(piece);
        return stop_after_pieces == 0 || pieces.size() < stop_after_pieces;
    }
    std::string body() const {
        std::string all;
        for (const auto& p : pieces) all += p;
        return all;
    }
};

http_request request_to(const std::string& base_url) {
    http_request r;
    r.url = base_url + "/v1/chat/completions";
    r.headers = {{"Content-Type", "application/json"}, {"X-Conformance", "yes"}};
    r.body = R"({"model":"m","messages":[]})";
    r.read_timeout = 5s;
    return r;
}

struct mock_adapter {
    testing::mock_transport transport;

    void serve(const answer& a) {
        transport.enqueue({.status = a.status,
                           .headers = a.headers,
                           .body_pieces = a.pieces,
                           .delay_before_head = a.delay_before_head,
                           .delay_between_pieces = a.delay_between_pieces});
    }
    std::string base_url() const { return "http://mock.invalid"; }
    // The request as the far end received it: method, one header, body.
    std::vector<std::string> received() const {
        const auto requests = transport.requests();
        if (requests.empty()) return {};
        const auto& r = requests.back();
        return {r.method, std::string(r.headers.find("X-Conformance").value_or("")), r.body};
    }
};

struct httplib_adapter {
    std::mutex mutex;
    std::vector<answer> answers;
    std::vector<std::string> requests;
    raw_server server{[this](int s) { session(s); }};
    httplib_transport transport{[] {
        transport_options o;
        o.proxy.use_environment = false;
        return o;
    }()};

    void serve(const answer& a) {
        std::lock_guard lock(mutex);
        answers.push_back(a);
    }
    std::string base_url() const { return server.base_url(); }
    std::vector<std::string> received() {
        std::lock_guard lock(mutex);
        if (requests.empty()) return {};
        const std::string& raw = requests.back();
        const auto header = [&](const std::string& name) {
            const auto at = raw.find("\r\n" + name + ": ");
            if (at == std::string::npos) return std::string();
            const auto start = at + name.size() + 4;
            return raw.substr(start, raw.find("\r\n", start) - start);
        };
        return {raw.substr(0, raw.find(' ')), header("X-Conformance"),
                raw.substr(raw.find("\r\n\r\n") + 4)};
    }

private:
    // Serves the answers in order, the body chunked, one chunk per piece.
    void session(int s) {
        for (std::string raw; !(raw = raw_server::read_request(s)).empty();) {
            answer a;
            {
                std::lock_guard lock(mutex);
                requests.push_back(raw);
                if (answers.empty()) return;
                a = answers.front();
                answers.erase(answers.begin());
            }
            std::this_thread::sleep_for(a.delay_before_head);
            std::string head = "HTTP/1.1 " + std::to_string(a.status) + " Status\r\n";
            for (const auto& h : a.headers) head += h.name + ": " + h.value + "\r\n";
            if (!raw_server::write_all(s, head + "Transfer-Encoding: chunked\r\n\r\n")) return;
            for (const auto& piece : a.pieces) {
                std::this_thread::sleep_for(a.delay_between_pieces);
                char size[32];
                std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
                if (!raw_server::write_all(s, size + piece + "\r\n")) return;
            }
            if (!raw_server::write_all(s, "0\r\n\r\n")) return;
        }
    }
};

template <class Adapter>
void delivers_status_headers_and_every_byte_in_order() {
    Adapter a;
    a.serve({.status = 200,
             .headers = {{"Content-Type", "text/event-stream"}, {"X-Trace", "abc"}},
             .pieces = {"data: one\n\n", "data: two\n\n", "data: [DONE]\n\n"}});
    collector c;
    a.transport.send(request_to(a.base_url()), c);
    REQUIRE(c.head);
    CHECK(c.head->status == 200);
    CHECK(c.head->headers.find("x-trace") == std::optional<std::string_view>("abc"));
    CHECK(c.body() == "data: one\n\ndata: two\n\ndata: [DONE]\n\n");
}

template <class Adapter>
void delivers_an_error_status_like_any_other() {
    Adapter a;
    a.serve({.status = 503, .headers = {{"Content-Type", "application/json"}}, .pieces = {"busy"}});
    collector c;
    a.transport.send(request_to(a.base_url()), c);
    REQUIRE(c.head);
    CHECK(c.head->status == 503);
    CHECK(c.body() == "busy");
}

template <class Adapter>
void the_request_arrives_as_sent() {
    Adapter a;
    a.serve({.pieces = {"{}"}});
    collector c;
    const http_request r = request_to(a.base_url());
    a.transport.send(r, c);
    CHECK(a.received() == std::vector<std::string>{"POST", "yes", r.body});
}

template <class Adapter>
void a_handler_that_returns_false_ends_the_exchange_without_error() {
    Adapter a;
    a.serve({.pieces = {"first", "second", "third"}, .delay_between_pieces = 50ms});
    a.serve({.pieces = {"next"}});
    collector c;
    c.stop_after_pieces = 1;
    a.transport.send(request_to(a.base_url()), c);
    CHECK(c.pieces == std::vector<std::string>{"first"});
    // The transport stays usable: the next exchange gets its own answer.
    collector next;
    a.transport.send(request_to(a.base_url()), next);
    CHECK(next.body() == "next");
}

template <class Adapter>
void a_stop_requested_before_the_answer_is_a_cancellation() {
    Adapter a;
    a.serve({.pieces = {"late"}, .delay_before_head = 2s});
    std::stop_source stop;
    http_request r = request_to(a.base_url());
    r.stop = stop.get_token();
    std::thread canceller([&] {
        std::this_thread::sleep_for(100ms);
        stop.request_stop();
    });
    collector c;
    const auto started = std::chrono::steady_clock::now();
    try {
        a.transport.send(r, c);
        FAIL("send() returned");
    } catch (const transport_error& e) {
        CHECK(e.kind() == transport_error_kind::cancelled);
    }
    canceller.join();
    CHECK(std::chrono::steady_clock::now() - started < 1500ms);
}

template <class Adapter>
void silence_past_the_read_timeout_is_a_timeout() {
    Adapter a;
    a.serve({.pieces = {"too late"}, .delay_before_head = 1500ms});
    http_request r = request_to(a.base_url());
    r.read_timeout = 200ms;
    collector c;
    try {
        a.transport.send(r, c);
        FAIL("send() returned");
    } catch (const transport_error& e) {
        CHECK(e.kind() == transport_error_kind::timeout);
    }
    CHECK_FALSE(c.head);
}

// pull_transport: open() returns at the head; read() gives the pieces, then "".
std::string read_all(body_reader& reader) {
    std::string all;
    for (auto piece = reader.read(); !piece.empty(); piece = reader.read()) all += piece;
    return all;
}

template <class Adapter>
void open_gives_the_head_then_every_byte_in_order() {
    Adapter a;
    a.serve({.status = 200,
             .headers = {{"Content-Type", "text/event-stream"}, {"X-Trace", "abc"}},
             .pieces = {"data: one\n\n", "data: two\n\n", "data: [DONE]\n\n"},
             .delay_between_pieces = 20ms});
    const http_request r = request_to(a.base_url());
    const std::unique_ptr<body_reader> reader = a.transport.open(r);
    CHECK(reader->head().status == 200);
    CHECK(reader->head().headers.find("x-trace") == std::optional<std::string_view>("abc"));
    CHECK(read_all(*reader) == "data: one\n\ndata: two\n\ndata: [DONE]\n\n");
    CHECK(reader->read().empty());  // and stays at the end
    CHECK(a.received() == std::vector<std::string>{"POST", "yes", r.body});
}

template <class Adapter>
void a_reader_destroyed_early_leaves_the_transport_usable() {
    Adapter a;
    a.serve({.pieces = {"first", "second", "third"}, .delay_between_pieces = 50ms});
    a.serve({.pieces = {"next"}});
    const http_request r = request_to(a.base_url());
    {
        const std::unique_ptr<body_reader> reader = a.transport.open(r);
        CHECK(reader->read() == "first");
    }
    const std::unique_ptr<body_reader> next = a.transport.open(r);
    CHECK(read_all(*next) == "next");
}

template <class Adapter>
void a_stop_requested_while_reading_is_a_cancellation() {
    Adapter a;
    a.serve({.pieces = {"first", "late"}, .delay_between_pieces = 2s});
    std::stop_source stop;
    http_request r = request_to(a.base_url());
    r.stop = stop.get_token();
    const std::unique_ptr<body_reader> reader = a.transport.open(r);
    std::jthread canceller([&] {
        std::this_thread::sleep_for(100ms);
        stop.request_stop();
    });
    const auto started = std::chrono::steady_clock::now();
    try {
        (void)read_all(*reader);
        FAIL("read() reached the end");
    } catch (const transport_error& e) {
        CHECK(e.kind() == transport_error_kind::cancelled);
    }
    CHECK(std::chrono::steady_clock::now() - started < 1500ms);
}

template <class Adapter>
void silence_while_reading_past_the_read_timeout_is_a_timeout() {
    Adapter a;
    a.serve({.pieces = {"first", "too late"}, .delay_between_pieces = 1500ms});
    http_request r = request_to(a.base_url());
    r.read_timeout = 200ms;
    const std::unique_ptr<body_reader> reader = a.transport.open(r);
    try {
        (void)read_all(*reader);
        FAIL("read() reached the end");
    } catch (const transport_error& e) {
        CHECK(e.kind() == transport_error_kind::timeout);
    }
}

}  // namespace

#define CONFORMANCE_CASE(description, check)                               \
    TEST_CASE("transport conformance (mock_transport): " description) {    \
        check<mock_adapter>();                                             \
    }                                                                      \
    TEST_CASE("transport conformance (httplib_transport): " description) { \
        check<httplib_adapter>();                                          \
    }

CONFORMANCE_CASE("status, headers and every body byte, in order",
                 delivers_status_headers_and_every_byte_in_order)
CONFORMANCE_CASE("an error status is delivered like any other",
                 delivers_an_error_status_like_any_other)
CONFORMANCE_CASE("the request arrives as sent", the_request_arrives_as_sent)
CONFORMANCE_CASE("a handler that returns false ends the exchange, the transport stays usable",
                 a_handler_that_returns_false_ends_the_exchange_without_error)
CONFORMANCE_CASE("a stop requested before the answer is a prompt cancellation",
                 a_stop_requested_before_the_answer_is_a_cancellation)
CONFORMANCE_CASE("silence past the read timeout is a timeout",
                 silence_past_the_read_timeout_is_a_timeout)
CONFORMANCE_CASE("open(): the head, then every body byte in order, then the end",
                 open_gives_the_head_then_every_byte_in_order)
CONFORMANCE_CASE("open(): a reader destroyed early leaves the transport usable",
                 a_reader_destroyed_early_leaves_the_transport_usable)
CONFORMANCE_CASE("open(): a stop requested while reading is a prompt cancellation",
                 a_stop_requested_while_reading_is_a_cancellation)
CONFORMANCE_CASE("open(): silence past the read timeout while reading is a timeout",
                 silence_while_reading_past_the_read_timeout_is_a_timeout)
