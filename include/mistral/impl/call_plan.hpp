// mistral/impl/call_plan.hpp: the rules of one call across its attempts, retries and resumes,
// shared by every driver (the blocking engine, the Asio client): the request of the next attempt,
// whether a failure is retried and after how long, whether a cut stream is resumed, the deadline
// of timeouts.total, the debug log. No I/O; the clock is the environment's.
// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include <boost/json/value.hpp>

#include "../detail/config.hpp"
#include "../detail/sanitize.hpp"
#include "../error.hpp"
#include "../exchange.hpp"
#include "../json.hpp"
#include "../options.hpp"
#include "../retry.hpp"
#include "exchange.hpp"

MISTRAL_NAMESPACE_BEGIN
namespace detail {

template <class Unused = void>
class call_plan {
public:
    using clock = std::chrono::steady_clock;

    // The wait before another attempt, and what chose it.
    struct retry_decision {
        std::chrono::milliseconds wait;
        const char* reason;  // "backoff" or "Retry-After"
    };

    // A chat completion: resumed, when cut, as a continuation of the request.
    call_plan(const client_options& options, const chat_request& request, const call_options& call,
              bool streaming)
        : call_plan(options, prepare_call<Unused>(options, request, call, streaming), call,
                    streaming) {
        if (!streaming && request.stream.value_or(false)) {
            throw usage_error(
                "chat() sends non-streaming requests; use stream() for \"stream\": true");
        }
        request_ = &request;
    }

    // Any other endpoint's request, prepared by it: a JSON answer, retried as a chat completion
    // is.
    call_plan(const client_options& options, prepared_call prepared, const call_options& call,
              bool streaming = false)
        : options_(options),
          call_(call),
          streaming_(streaming),
          prepared_(std::move(prepared)),
          start_(now()) {
        const timeout_options& timeouts = call.timeouts ? *call.timeouts : options.timeouts;
        if (timeouts.total) deadline_ = start_ + *timeouts.total;
        prepared_.http.deadline = deadline_;
    }

    const client_options& options() const noexcept { return options_; }
    const call_options& call() const noexcept { return call_; }
    bool streaming() const noexcept { return streaming_; }
    const sanitizer& redact() const noexcept { return prepared_.redact; }
    // The request of the next attempt (the continuation's, after a resume).
    const http_request& request() const noexcept { return prepared_.http; }
    std::optional<clock::time_point> deadline() const noexcept { return deadline_; }
    int requests() const noexcept { return requests_; }
    int resumes() const noexcept { return resumes_; }

    clock::time_point now() const {
        return options_.environment.now ? options_.environment.now() : clock::now();
    }

    // Before each attempt: throws cancelled, or the total timeout, rather than send it.
    void begin_attempt() {
        if (call_.stop.stop_requested()) throw cancelled(false);
        if (deadline_ && now() >= *deadline_) throw total_timeout_expired();
        ++attempt_;
        ++requests_;
        sent_ = now();
        log(prepared_.http.method + " " + prepared_.http.url + (streaming_ ? " (stream)" : "") +
            ", attempt " + std::to_string(attempt_) +
            ", headers: " + sanitizer::describe(prepared_.http.headers, options_.loggable_headers));
    }

    // A transport failure as the caller sees it: its text without secrets, logged.
    transport_error failure(const transport_error& e) const {
        transport_error out(e.kind(), redact()(e.what()), e.request_sent());
        log(std::string("transport error (") + to_string(out.kind()) + "): " + out.what());
        return out;
    }

    // The response head arrived: logged; a proxy's 407 is thrown (it is not the API's answer).
    void on_head(const response_head& head) const {
        const response_metadata meta = make_response_metadata(head.status, head.headers);
        log("status " + std::to_string(head.status) + " after " +
            std::to_string(
                std::chrono::duration_cast<std::chrono::milliseconds>(now() - sent_).count()) +
            " ms" + (meta.request_id.empty() ? "" : ", request id " + meta.request_id));
        if (head.status == 407) {
            throw transport_error(transport_error_kind::proxy,
                                  "the proxy refused the request: 407 Proxy Authentication "
                                  "Required (give its credentials in transport.proxy.url)",
                                  false);
        }
    }

    // The attempts and resumes of the call, on the metadata of its response or error.
    void stamp(response_metadata& meta) const {
        meta.attempts = requests_;
        meta.resumes = resumes_;
    }

    // Whether a transport failure before anything reached the caller is retried, and when.
    std::optional<retry_decision> retry_after(const transport_error& e) {
        return decide(policy().retries_transport(e), nullptr, "");
    }
    // Whether an error status is retried, and when (the server's Retry-After first).
    std::optional<retry_decision> retry_after(const api_error& e) {
        return decide(policy().retries_status(e.status()), &e.headers(),
                      " after status " + std::to_string(e.status()));
    }

    // A stream cut after chunks reached the caller: whether it is resumed. If so, the request
    // now asks for the continuation (the text so far as an assistant prefix) and the decoder
    // continues the same reply.
    template <class Decoder>
    bool resume(Decoder& decoder) {
        if (request_ == nullptr) return false;  // only a chat completion can be continued
        // A continuation is the API's prefix message: other servers start a new turn instead.
        if (options_.dialect != dialect::mistral) return false;
        if (resumes_ >= call_.max_resumes) return false;
        if (deadline_ && now() >= *deadline_) return false;  // no time left
        auto& state = stream_decoder_access::state(decoder);
        std::optional<std::string> text = state.resumable_text();
        if (!text) return false;
        chat_request continued = *request_;
        std::string prefix = std::move(*text);
        auto* last = std::get_if<assistant_message>(&continued.messages.back());
        if (last != nullptr && last->prefix.value_or(false)) {
            // The API takes one prefix message, the last: the caller's own is extended. The
            // reply began with it when the server echoes a prefix (the API does), else after it.
            if (std::string own = last->text(); !prefix.starts_with(own)) prefix.insert(0, own);
            last->content = prefix;
        } else {
            continued.messages.push_back(assistant_message{.content = prefix, .prefix = true});
        }
        prepared_.http.body = completion_body(options_, continued, true);
        log("resume " + std::to_string(++resumes_) + " after " + std::to_string(prefix.size()) +
            " bytes of text");
        state.resume(std::move(prefix));
        attempt_ = 0;  // a new request: its own retries
        return true;
    }

    void log(const std::string& line) const {
        if (options_.debug) options_.debug(redact()("mistral-cpp: " + line));
    }

private:
    const retry_policy& policy() const { return call_.retry ? *call_.retry : options_.retry; }

    // The one retry rule: the policy's backoff or the server's Retry-After, within max_retries,
    // max_retry_after, max_elapsed and the deadline.
    std::optional<retry_decision> decide(bool retryable, const http_headers* asked,
                                         const std::string& after) {
        if (!retryable || attempt_ > policy().max_retries) return std::nullopt;
        const auto& env = options_.environment;
        retry_decision decision{
            policy().backoff(attempt_ - 1, env.jitter ? env.jitter() : default_jitter()),
            "backoff"};
        if (asked != nullptr) {
            const auto wall = env.wall_now ? env.wall_now() : std::chrono::system_clock::now();
            if (const auto wait = parse_retry_after(*asked, wall)) {
                if (*wait > policy().max_retry_after) return std::nullopt;
                decision = {*wait, "Retry-After"};
            }
        }
        const auto t = now();
        if (t - start_ + decision.wait > policy().max_elapsed) return std::nullopt;
        if (deadline_ && t + decision.wait >= *deadline_) return std::nullopt;
        log("retry " + std::to_string(attempt_) + after + " in " +
            std::to_string(decision.wait.count()) + " ms (" + decision.reason + ")");
        return decision;
    }

    const client_options& options_;
    const chat_request* request_ = nullptr;  // a chat completion's, for its resumes
    const call_options& call_;
    bool streaming_;
    prepared_call prepared_;
    clock::time_point start_;
    clock::time_point sent_{};
    std::optional<clock::time_point> deadline_;
    int attempt_ = 0;   // of the current request (a resume asks a new one)
    int requests_ = 0;  // every HTTP request of the call
    int resumes_ = 0;
};

}  // namespace detail
MISTRAL_NAMESPACE_END
