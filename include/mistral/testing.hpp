// mistral/testing.hpp: mock_transport, for testing code that calls the client.
// SPDX-License-Identifier: MIT
//
// mock_transport: test your own code that calls the client, without a network. Script the
// responses (status, headers, a body delivered in the pieces you choose, delays, failures) and
// inspect the requests the client sent.
//
//     mistral::testing::mock_transport mock;
//     mock.enqueue(mistral::testing::scripted_response::sse_text("Hello world"));
//     mistral::basic_client<mistral::testing::mock_transport> client{{.api_key = "test"}, mock};
//     auto r = client.stream(req, [](const mistral::chat_chunk&) {});
//     assert(r.choices[0].message.text() == "Hello world");
//     assert(mock.requests().at(0).json().at("stream") == true);
#pragma once

#include <algorithm>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/parse.hpp>

#include "detail/config.hpp"
#include "detail/sleep.hpp"
#include "error.hpp"
#include "json.hpp"
#include "transport.hpp"
#include "types.hpp"

MISTRAL_NAMESPACE_BEGIN
namespace testing {

/// One scripted answer of the mock transport.
struct scripted_response {
    int status = 200;        ///< the HTTP status
    http_headers headers{};  ///< the response headers
    /// The body, delivered to the client as one on_body() call per piece.
    std::vector<std::string> body_pieces{};
    /// Waits (interruptible by the call's stop token) before the head and before each piece.
    std::chrono::milliseconds delay_before_head{0};
    std::chrono::milliseconds delay_between_pieces{0};  ///< the wait before each piece of the body
    /// Fail instead of answering (connection refused, TLS, timeout...).
    std::optional<transport_error_kind> fail_before_head{};
    /// Deliver the head and the pieces, then fail (a connection cut mid-body).
    std::optional<transport_error_kind> fail_after_body{};

    /// A JSON answer (status 200 unless given).
    static scripted_response json(std::string body, int status = 200, http_headers headers = {}) {
        headers.set("Content-Type", "application/json");
        return {.status = status, .headers = std::move(headers), .body_pieces = {std::move(body)}};
    }

    /// A complete chat completion whose assistant message is `text`.
    static scripted_response completion(std::string text,
                                        std::string model = "mistral-small-latest") {
        chat_response r{.id = "mock-completion",
                        .object = "chat.completion",
                        .model = std::move(model),
                        .created = 1733320000,
                        .choices = {{.index = 0,
                                     .message = assistant(std::move(text)),
                                     .finish_reason = "stop"}},
                        .usage = {.prompt_tokens = 10, .completion_tokens = 5, .total_tokens = 15}};
        return json(to_json(r));
    }

    /// A complete chat completion whose assistant message asks for these tool calls
    /// (finish_reason "tool_calls"): a round of basic_client::run_tools(). Each call is
    /// {name, JSON arguments}, with the id "call" and its position ("call00001"...).
    static scripted_response tool_calls(
        const std::vector<std::pair<std::string, std::string>>& calls,
        std::string model = "mistral-small-latest") {
        std::vector<tool_call> list;
        for (const auto& [name, arguments] : calls) {
            std::string id = std::to_string(list.size() + 1);
            id = "call" + std::string(5 - std::min<std::size_t>(5, id.size()), '0') + id;
            list.push_back({.id = std::move(id),
                            .type = "function",
                            .function = {.name = name, .arguments = arguments},
                            .index = static_cast<std::int64_t>(list.size())});
        }
        chat_response r{.id = "mock-tool-calls",
                        .object = "chat.completion",
                        .model = std::move(model),
                        .created = 1733320000,
                        .choices = {{.index = 0,
                                     .message = {.content = std::string(), .tool_calls = list},
                                     .finish_reason = "tool_calls"}},
                        .usage = {.prompt_tokens = 10, .completion_tokens = 5, .total_tokens = 15}};
        return json(to_json(r));
    }

    /// An event stream of these chunks, each one event, followed by `data: [DONE]` if `done`.
    static scripted_response sse(const std::vector<chat_chunk>& chunks, bool done = true) {
        scripted_response r{.headers = {{"Content-Type", "text/event-stream"}}};
        for (const auto& chunk : chunks)
            r.body_pieces.push_back("data: " + to_json(chunk) + "\n\n");
        if (done) r.body_pieces.push_back("data: [DONE]\n\n");
        return r;
    }

    /// A realistic stream of `text`, one chunk per word: the role chunk, the words, a last chunk
    /// with finish_reason "stop" and usage, then [DONE].
    static scripted_response sse_text(std::string_view text,
                                      std::string model = "mistral-small-latest") {
        auto make = [&](delta_message delta) {
            return chat_chunk{.id = "mock-stream",
                              .object = "chat.completion.chunk",
                              .created = 1733320000,
                              .model = model,
                              .choices = {{.index = 0, .delta = std::move(delta)}}};
        };
        std::vector<chat_chunk> chunks{make({.role = "assistant", .content = ""})};
        for (std::size_t at = 0; at < text.size();) {
            std::size_t end = text.find(' ', at + 1);
            if (end == std::string_view::npos) end = text.size();
            chunks.push_back(make({.content = std::string(text.substr(at, end - at))}));
            at = end;
        }
        chunks.back().choices[0].finish_reason = "stop";
        const auto words = static_cast<std::int64_t>(chunks.size() - 1);
        chunks.back().usage =
            usage_info{.prompt_tokens = 10, .completion_tokens = words, .total_tokens = 10 + words};
        return sse(chunks);
    }

    /// A transport failure before any answer.
    static scripted_response failure(transport_error_kind kind) {
        return {.fail_before_head = kind};
    }
};

/// What the mock recorded of one request.
struct recorded_request {
    std::string method;                           ///< "POST"
    std::string url;                              ///< the absolute URL
    http_headers headers;                         ///< as sent, Authorization included
    std::string body;                             ///< the JSON body
    std::chrono::milliseconds connect_timeout{};  ///< the connect timeout it carried
    std::chrono::milliseconds read_timeout{};     ///< the read timeout it carried
    /// The body parsed as JSON.
    boost::json::value json() const { return boost::json::parse(body); }
};

/// A transport that answers from a script and records requests. Copies share the script and the
/// records, so keep one copy in the test and give another to the client. Thread-safe.
class mock_transport {
public:
    mock_transport() : state_(std::make_shared<state>()) {}

    /// Adds an answer; answers are served in order, one per request.
    void enqueue(scripted_response response) {
        std::lock_guard lock(state_->mutex);
        state_->script.push_back(std::move(response));
    }

    /// The requests received so far.
    std::vector<recorded_request> requests() const {
        std::lock_guard lock(state_->mutex);
        return state_->requests;
    }

    /// Answers still unused.
    std::size_t pending() const {
        std::lock_guard lock(state_->mutex);
        return state_->script.size();
    }

    /// Serves the next scripted answer. Throws transport_error (kind other) when none is left.
    void send(const http_request& request, response_handler& handler) {
        const std::unique_ptr<body_reader> reader = open(request);
        if (!handler.on_head(reader->head())) return;
        for (auto piece = reader->read(); !piece.empty(); piece = reader->read()) {
            if (!handler.on_body(piece)) return;
        }
    }

    /// Serves the next scripted answer on demand (mock_transport is a pull_transport): returns
    /// after the head, then each read() gives the next piece, or the scripted failure.
    std::unique_ptr<body_reader> open(const http_request& request) {
        scripted_response r;
        {
            std::lock_guard lock(state_->mutex);
            state_->requests.push_back({request.method, request.url, request.headers, request.body,
                                        request.connect_timeout, request.read_timeout});
            if (state_->script.empty()) {
                throw transport_error(transport_error_kind::other,
                                      "mock_transport: no scripted response left");
            }
            r = std::move(state_->script.front());
            state_->script.pop_front();
        }
        wait(r.delay_before_head, request);
        if (r.fail_before_head)
            throw transport_error(*r.fail_before_head, "mock_transport: scripted failure");
        return std::make_unique<reader>(std::move(r), request);
    }

private:
    struct state {
        mutable std::mutex mutex;
        std::deque<scripted_response> script;
        std::vector<recorded_request> requests;
    };

    // A scripted wait, bounded as a real transport bounds it: a wait longer than the read
    // timeout, or past the deadline, is a timeout when that bound expires.
    static void wait(std::chrono::milliseconds d, const http_request& request) {
        using namespace std::chrono;
        milliseconds bound = request.read_timeout;
        if (request.deadline) {
            bound = std::min(
                bound, std::max(milliseconds(0), duration_cast<milliseconds>(*request.deadline -
                                                                             steady_clock::now())));
        }
        const bool times_out = d >= bound;
        const milliseconds slept = times_out ? bound : d;
        if (slept.count() > 0) detail::interruptible_sleep(slept, request.stop);
        if (request.stop.stop_requested()) throw detail::cancelled(true);
        if (times_out && d.count() > 0)
            throw transport_error(transport_error_kind::timeout, "mock_transport: timed out");
    }

    class reader final : public body_reader {
    public:
        reader(scripted_response r, const http_request& request)
            : script_(std::move(r)), head_{script_.status, script_.headers}, request_(request) {}
        const response_head& head() const noexcept override { return head_; }
        std::string_view read() override {
            while (next_ < script_.body_pieces.size()) {
                wait(script_.delay_between_pieces, request_);
                const std::string& piece = script_.body_pieces[next_++];
                if (!piece.empty()) return piece;
            }
            if (script_.fail_after_body) {
                throw transport_error(*std::exchange(script_.fail_after_body, std::nullopt),
                                      "mock_transport: scripted failure mid-body");
            }
            return {};
        }

    private:
        scripted_response script_;
        response_head head_;
        const http_request& request_;
        std::size_t next_ = 0;
    };

    std::shared_ptr<state> state_;
};

static_assert(pull_transport<mock_transport>);

}  // namespace testing
MISTRAL_NAMESPACE_END
