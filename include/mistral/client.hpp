// mistral-cpp: a header-only C++20 client for the Mistral AI Chat Completion API.
// SPDX-License-Identifier: MIT
//
// basic_client<Transport>: chat() and stream() over any transport. This is the one place that
// knows about retries, SSE and transports together.
#pragma once

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>

#include "error.hpp"
#include "json.hpp"
#include "metadata.hpp"
#include "retry.hpp"
#include "sse.hpp"
#include "stream.hpp"
#include "transport.hpp"
#include "types.hpp"
#include "version.hpp"

namespace mistral {

/// Base URLs of the API: the global endpoint and the regional ones (EU, US). Regional endpoints
/// serve only the models hosted in their region.
namespace servers {
inline constexpr const char* global = "https://api.mistral.ai";
inline constexpr const char* eu = "https://api.eu.mistral.ai";
inline constexpr const char* us = "https://api.us.mistral.ai";
}  // namespace servers

/// Timeouts. All are finite by default except the optional total.
struct timeout_options {
    /// Establishing the connection (TCP and TLS).
    std::chrono::milliseconds connect{10'000};
    /// chat(): the longest wait for the response (the API answers when the whole completion is
    /// ready) and between two pieces of its body.
    std::chrono::milliseconds read{300'000};
    /// stream(): the longest silence before the response head and between two pieces of the
    /// event stream. A model that stays silent longer (long reasoning without output) is cut
    /// with transport_error kind timeout.
    std::chrono::milliseconds stream_idle{60'000};
    /// The whole call, retries and waits included. Unset: no bound beyond the others.
    std::optional<std::chrono::milliseconds> total{};
};

namespace detail {
inline std::string env_or_empty(const char* name) {
    const char* value = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read once per options
    return value != nullptr ? std::string(value) : std::string();
}
}  // namespace detail

/// Configuration of a client. Every member has a usable default:
///
///     mistral::client_options opts;            // key from MISTRAL_API_KEY, global endpoint
///     opts.base_url = mistral::servers::eu;
///     opts.timeouts.stream_idle = std::chrono::seconds(30);
///     mistral::client client{opts};
struct client_options {
    /// The API key, sent as `Authorization: Bearer`. Defaults to the MISTRAL_API_KEY environment
    /// variable. A call without a key throws usage_error before any I/O. It never appears in an
    /// exception message, a debug line or an error body.
    std::string api_key = detail::env_or_empty("MISTRAL_API_KEY");
    /// Where the API is: servers::global (default), servers::eu, servers::us, or any URL (a
    /// gateway, the bundled fake server). "/v1/chat/completions" is appended.
    std::string base_url = servers::global;
    /// Timeouts (see timeout_options).
    timeout_options timeouts{};
    /// Retries (see retry_policy): on by default, at most 2 retries within 30 s.
    retry_policy retry{};
    /// Headers sent with every request, after the client's own (a header of the same name
    /// replaces the client's).
    http_headers headers{};
    /// Connection settings of the default transport: TLS trust, client certificate, proxy.
    transport_options transport{};
    /// Receives one line per request, response, retry and failure when set. Secrets are redacted.
    std::function<void(std::string_view)> debug{};
    /// Clock, sleep and randomness of the retry loop (tests replace them).
    retry_environment environment{};
    /// The largest server-sent event accepted in a stream (protocol_error beyond).
    std::size_t max_event_size = sse::parser::default_max_event_size;
    /// The largest non-streaming response body accepted (protocol_error beyond).
    std::size_t max_response_size = std::size_t{64} << 20;
};

/// Per-call settings, overriding the client's for one chat() or stream().
struct call_options {
    /// Replaces client_options::timeouts for this call.
    std::optional<timeout_options> timeouts{};
    /// Replaces client_options::retry for this call.
    std::optional<retry_policy> retry{};
    /// Extra headers for this call (replace same-named client headers).
    http_headers headers{};
    /// Cancels the call from any thread: connecting, waiting, retrying and streaming all stop
    /// promptly and the call throws transport_error with kind cancelled.
    std::stop_token stop{};
    /// stream() only: when false, chunks still reach the callback but their content and tool
    /// calls are not folded into the returned response (nor into partial_response()), which
    /// then carries ids, usage, finish reasons and metadata only. Memory stays flat however
    /// long the stream; for callers that consume the text as it arrives.
    bool accumulate = true;
};

namespace detail {

// Replaces every occurrence of the API key in text.
class redactor {
public:
    explicit redactor(std::string_view secret) : secret_(secret) {}
    std::string operator()(std::string text) const {
        if (secret_.size() < 4) return text;
        for (auto at = text.find(secret_); at != std::string::npos; at = text.find(secret_, at)) {
            text.replace(at, secret_.size(), "[redacted]");
        }
        return text;
    }

private:
    std::string_view secret_;
};

inline api_error make_api_error(response_metadata meta, std::string body, api_error_details details,
                                const redactor& redact) {
    details.message = redact(std::move(details.message));
    for (auto& issue : details.validation_issues) issue.message = redact(std::move(issue.message));
    return api_error(std::move(meta), redact(std::move(body)), std::move(details));
}

// The byte position of the first invalid UTF-8 sequence, or npos.
inline std::size_t invalid_utf8_at(std::string_view s) noexcept {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const std::size_t n = s.size();
    for (std::size_t i = 0; i < n;) {
        const unsigned c = p[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t len = 0;
        unsigned min = 0;
        if ((c & 0xE0) == 0xC0) {
            len = 2;
            min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3;
            min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4;
            min = 0x10000;
        } else {
            return i;
        }
        if (i + len > n) return i;
        unsigned cp = c & (0xFFu >> (len + 1));
        for (std::size_t k = 1; k < len; ++k) {
            if ((p[i + k] & 0xC0) != 0x80) return i;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
        i += len;
    }
    return std::string_view::npos;
}

// Rejects what would make an invalid request body: non-finite numbers and invalid UTF-8.
inline void check_sendable(const boost::json::value& v, json_path& path) {
    auto fail = [&](const std::string& what) {
        const std::string where = path.str();
        throw usage_error("cannot send the request: " +
                          (where.empty() ? std::string("body") : where) + ": " + what);
    };
    auto check_text = [&](std::string_view s) {
        if (const auto at = invalid_utf8_at(s); at != std::string_view::npos) {
            fail("invalid UTF-8 at byte " + std::to_string(at));
        }
    };
    switch (v.kind()) {
        case boost::json::kind::double_:
            if (!std::isfinite(v.get_double())) fail("not a finite number");
            break;
        case boost::json::kind::string:
            check_text(v.get_string());
            break;
        case boost::json::kind::array: {
            std::size_t i = 0;
            for (const auto& item : v.get_array()) {
                path.push(i++);
                check_sendable(item, path);
                path.pop();
            }
            break;
        }
        case boost::json::kind::object:
            for (const auto& kv : v.get_object()) {
                check_text(kv.key());
                path.push(kv.key());
                check_sendable(kv.value(), path);
                path.pop();
            }
            break;
        default:
            break;
    }
}

// Collects a body, up to a limit (error bodies are kept only up to it).
class body_buffer {
public:
    explicit body_buffer(std::size_t limit) : limit_(limit) {}
    // Returns false once the limit is passed (the rest of the body is dropped).
    bool append(std::string_view piece) {
        const std::size_t room = limit_ - std::min(limit_, text_.size());
        text_.append(piece.substr(0, room));
        overflow_ = overflow_ || piece.size() > room;
        return !overflow_;
    }
    void clear() noexcept {
        text_.clear();
        overflow_ = false;
    }
    bool overflow() const noexcept { return overflow_; }
    std::string& text() noexcept { return text_; }

private:
    std::size_t limit_;
    std::string text_;
    bool overflow_ = false;
};

inline constexpr std::size_t max_error_body = std::size_t{1} << 20;

// A non-owning reference to a callable. The engine below takes the transport and the chunk
// callback through these, so that it does not depend on their types and can be compiled once.
template <class Signature>
class function_ref;

template <class R, class... Args>
class function_ref<R(Args...)> {
public:
    template <class F>
    requires(!std::is_same_v<std::remove_cvref_t<F>, function_ref> &&
             std::is_invocable_r_v<R, F&, Args...>) function_ref(F& f)
    noexcept  // NOLINT(google-explicit-constructor)
        : object_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
          call_([](void* object, Args... args) -> R {
              return std::invoke(*static_cast<F*>(object), std::forward<Args>(args)...);
          }) {}

    R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }

private:
    void* object_;
    R (*call_)(void*, Args...);
};

using send_function = function_ref<void(const http_request&, response_handler&)>;
using chunk_function = function_ref<bool(const chat_chunk&)>;

// Everything a call does that does not depend on the transport's type: preflight checks, the
// request, the retry loop, the response, SSE and JSON decoding, folding, errors. A template only
// so that it is instantiated where a client is used, or once for a whole program with
// MISTRAL_SEPARATE_COMPILATION (see src.hpp).
template <class Unused = void>
class client_engine {
public:
    static chat_response chat(const client_options& options, send_function send,
                              const chat_request& request, const call_options& call);
    static chat_response stream(const client_options& options, send_function send,
                                const chat_request& request, chunk_function on_chunk,
                                const call_options& call);

private:
    using clock = std::chrono::steady_clock;

    // What receives the response of one call, attempt after attempt.
    class sink : public response_handler {
    public:
        virtual void begin_attempt() = 0;
        virtual const response_head& head() const noexcept = 0;
        // Whether anything reached the caller (then nothing is retried).
        virtual bool delivered() const noexcept = 0;
        // Whether the stream's [DONE] arrived (a failure while draining after it is ignored).
        virtual bool completed() const noexcept = 0;
        virtual void rethrow_if_failed() = 0;
        virtual std::string take_body() = 0;
        virtual chat_response finish(response_metadata meta) = 0;
        [[noreturn]] virtual void fail_mid_stream(const transport_error& e) = 0;

    protected:
        ~sink() = default;
    };

    // Receives the response of chat(): the JSON body.
    class json_sink final : public sink {
    public:
        explicit json_sink(std::size_t max_size) : body_(max_size) {}

        void begin_attempt() override {
            head_ = {};
            body_.clear();
        }
        bool on_head(response_head head) override {
            head_ = std::move(head);
            return true;
        }
        bool on_body(std::string_view piece) override { return body_.append(piece); }
        const response_head& head() const noexcept override { return head_; }
        bool delivered() const noexcept override { return false; }
        bool completed() const noexcept override { return false; }
        void rethrow_if_failed() override {}
        std::string take_body() override { return std::move(body_.text()); }

        chat_response finish(response_metadata meta) override {
            if (body_.overflow()) {
                throw protocol_error("response body larger than max_response_size (" +
                                     std::to_string(body_.text().size()) + " bytes)");
            }
            boost::system::error_code ec;
            const boost::json::value v = boost::json::parse(body_.text(), ec);
            if (ec) {
                throw protocol_error("malformed JSON response (" + ec.message() +
                                     "): " + snippet(body_.text()));
            }
            chat_response r = boost::json::value_to<chat_response>(v);
            r.http = std::move(meta);
            return r;
        }

        [[noreturn]] void fail_mid_stream(const transport_error& e) override { throw e; }

    private:
        response_head head_;
        body_buffer body_;
    };

    // Receives the response of stream(): parses events, decodes chunks, folds them and hands
    // them to the callback as they arrive.
    class event_sink final : public sink {
    public:
        event_sink(chunk_function on_chunk, std::size_t max_event_size, bool accumulate,
                   const redactor& redact)
            : on_chunk_(on_chunk),
              parser_(max_event_size),
              accumulate_(accumulate),
              error_body_(max_error_body),
              redact_(redact) {}

        void begin_attempt() override {
            head_ = {};
            error_body_.clear();
            parser_.reset();
            accumulator_ = stream_accumulator(accumulate_);
            mode_ = mode::events;
            delivered_ = done_ = stopped_ = false;
            failure_ = nullptr;
        }

        bool on_head(response_head head) override {
            head_ = std::move(head);
            if (head_.status < 200 || head_.status > 299) {
                mode_ = mode::error_body;
            } else if (const auto type = head_.headers.find("content-type");
                       !type || !starts_with_icase(*type, "text/event-stream")) {
                mode_ = mode::unexpected_body;
            }
            return true;
        }

        bool on_body(std::string_view piece) override {
            if (mode_ != mode::events) return error_body_.append(piece);
            if (done_) return true;  // drained so the connection can be reused
            try {
                parser_.feed(piece, [this](const sse::event& e) { on_event(e); });
            } catch (const sse::size_limit_error& e) {
                failure_ = std::make_exception_ptr(
                    protocol_error(std::string(e.what()) + " (client_options::max_event_size)"));
                return false;
            } catch (...) {
                failure_ = std::current_exception();
                return false;
            }
            return !stopped_;
        }

        const response_head& head() const noexcept override { return head_; }
        bool delivered() const noexcept override { return delivered_; }
        bool completed() const noexcept override { return done(); }
        std::string take_body() override { return std::move(error_body_.text()); }

        // An exception raised while handling events (the callback's, a decoding error, an error
        // event): never retried, and carries what arrived.
        void rethrow_if_failed() override {
            if (!failure_) return;
            try {
                std::rethrow_exception(failure_);
            } catch (error& e) {
                attach_partial(e);
                throw;
            }
        }

        chat_response finish(response_metadata meta) override {
            if (mode_ == mode::unexpected_body) {
                const auto type = head_.headers.find("content-type");
                throw protocol_error("expected an event stream, got Content-Type \"" +
                                     std::string(type.value_or("")) +
                                     "\": " + snippet(redact_(error_body_.text())));
            }
            if (!done() && !stopped_) {
                protocol_error e("stream ended before [DONE] after " +
                                 std::to_string(accumulator_.chunk_count()) + " chunks" +
                                 (parser_.finish() ? "" : " (in the middle of an event)"));
                attach_partial(e);
                throw e;
            }
            if (!stopped_) check_tool_calls();
            chat_response r = accumulator_.take();
            r.http = std::move(meta);
            return r;
        }

        // The transport failed after chunks reached the caller: timeouts and cancellation keep
        // their kind; a broken connection is a stream that ended early.
        [[noreturn]] void fail_mid_stream(const transport_error& e) override {
            if (e.kind() == transport_error_kind::timeout ||
                e.kind() == transport_error_kind::cancelled) {
                transport_error copy = e;
                attach_partial(copy);
                throw copy;
            }
            protocol_error ended("stream ended before [DONE] after " +
                                 std::to_string(accumulator_.chunk_count()) +
                                 " chunks: " + e.what());
            attach_partial(ended);
            throw ended;
        }

    private:
        enum class mode { events, error_body, unexpected_body };

        // [DONE] ends the stream. The WHATWG rules dispatch an event only at the blank line that
        // follows it, so a body that ends right after the "data: [DONE]" line (one line end,
        // then the end) leaves it undispatched: the parser, which stays exact, discards it. But
        // [DONE] and everything before it did arrive, so the stream is complete.
        bool done() const noexcept {
            if (done_) return true;
            const auto pending = parser_.pending_event();
            return pending && pending->type == "message" && pending->data == "[DONE]";
        }

        // A folded tool call without a name can be neither run nor sent back (a response's
        // tool call requires one): the stream never sent it, so the stream was malformed.
        void check_tool_calls() const {
            const auto& choices = accumulator_.response().choices;
            for (std::size_t i = 0; i < choices.size(); ++i) {
                const auto& calls = choices[i].message.tool_calls;
                for (std::size_t k = 0; calls && k < calls->size(); ++k) {
                    if (!(*calls)[k].function.name.empty()) continue;
                    const std::string path = "choices[" + std::to_string(i) +
                                             "].message.tool_calls[" + std::to_string(k) +
                                             "].function.name";
                    protocol_error e(path + ": no piece of the stream carried it", path);
                    attach_partial(e);
                    throw e;
                }
            }
        }

        void on_event(const sse::event& e) {
            if (done_ || stopped_) return;
            switch (decoder_.decode(e.type, e.data)) {
                case chunk_decoder<>::result::skip:
                    return;
                case chunk_decoder<>::result::done:
                    done_ = true;
                    return;
                case chunk_decoder<>::result::error:
                    throw stream_error();
                case chunk_decoder<>::result::chunk:
                    break;
            }
            const chat_chunk& chunk = decoder_.chunk();
            accumulator_.add(chunk);
            delivered_ = true;
            if (!on_chunk_(chunk)) stopped_ = true;
        }

        // An error object inside a 200 stream: status is its raw_status_code when present.
        api_error stream_error() const {
            std::string body = boost::json::serialize(decoder_.error_payload());
            api_error_details details = parse_error_body(body);
            response_metadata meta = make_response_metadata(
                details.raw_status_code.value_or(head_.status), head_.headers);
            return make_api_error(std::move(meta), std::move(body), std::move(details), redact_);
        }

        void attach_partial(error& e) const {
            if (accumulator_.chunk_count() > 0) {
                chat_response partial = accumulator_.response();
                partial.http = make_response_metadata(head_.status, head_.headers);
                e.set_partial_response(std::make_shared<const chat_response>(std::move(partial)));
            }
        }

        chunk_function on_chunk_;
        sse::parser parser_;
        chunk_decoder<> decoder_;
        bool accumulate_;
        stream_accumulator accumulator_{accumulate_};
        response_head head_;
        body_buffer error_body_;
        const redactor& redact_;
        mode mode_ = mode::events;
        bool delivered_ = false;
        bool done_ = false;
        bool stopped_ = false;
        std::exception_ptr failure_;
    };

    static chat_response execute(const client_options& options, send_function send,
                                 const chat_request& request, bool streaming,
                                 const call_options& call, sink& sink);
    static http_request build_request(const client_options& options, const chat_request& request,
                                      bool streaming, const call_options& call,
                                      const timeout_options& timeouts);
    static std::optional<std::chrono::milliseconds> retry_wait(
        const client_options& options, const retry_policy& policy, int attempt,
        const http_headers* headers, clock::time_point start,
        std::optional<clock::time_point> deadline, std::string& reason);
    static void sleep(const client_options& options, std::chrono::milliseconds wait,
                      const std::stop_token& stop);
    static clock::time_point now(const client_options& options) {
        return options.environment.now ? options.environment.now() : clock::now();
    }
    static void log(const client_options& options, const std::string& line) {
        if (options.debug) options.debug(redactor(options.api_key)("mistral-cpp: " + line));
    }
    // Header names and values for the debug log, credentials redacted.
    static std::string describe_headers(const http_headers& headers) {
        std::string out;
        for (const auto& h : headers) {
            if (!out.empty()) out += ", ";
            const bool secret = iequals(h.name, "authorization") ||
                                iequals(h.name, "proxy-authorization") ||
                                iequals(h.name, "x-api-key") || iequals(h.name, "cookie");
            out += h.name + ": " + (secret ? "[redacted]" : h.value);
        }
        return out;
    }
};

// The members are defined outside the class so that they are not inline: with
// MISTRAL_SEPARATE_COMPILATION the extern template below then keeps every translation unit from
// instantiating them.

template <class Unused>
chat_response client_engine<Unused>::chat(const client_options& options, send_function send,
                                          const chat_request& request, const call_options& call) {
    if (request.stream.value_or(false)) {
        throw usage_error("chat() sends non-streaming requests; use stream() for \"stream\": true");
    }
    json_sink sink(options.max_response_size);
    return execute(options, send, request, false, call, sink);
}

template <class Unused>
chat_response client_engine<Unused>::stream(const client_options& options, send_function send,
                                            const chat_request& request, chunk_function on_chunk,
                                            const call_options& call) {
    const redactor redact(options.api_key);
    event_sink sink(on_chunk, options.max_event_size, call.accumulate, redact);
    return execute(options, send, request, true, call, sink);
}

template <class Unused>
http_request client_engine<Unused>::build_request(const client_options& options,
                                                  const chat_request& request, bool streaming,
                                                  const call_options& call,
                                                  const timeout_options& timeouts) {
    if (options.api_key.empty()) {
        throw usage_error(
            "no API key: set client_options::api_key or the MISTRAL_API_KEY environment variable");
    }
    if (request.model.empty()) throw usage_error("cannot send the request: model is empty");
    if (request.messages.empty()) throw usage_error("cannot send the request: messages is empty");
    boost::json::value body = boost::json::value_from(request);
    if (streaming) body.as_object().insert_or_assign("stream", true);
    json_path path;
    check_sendable(body, path);

    http_request http;
    std::string_view base = options.base_url;
    while (!base.empty() && base.back() == '/') base.remove_suffix(1);
    http.url = std::string(base) + "/v1/chat/completions";
    http.headers.add("Authorization", "Bearer " + options.api_key);
    http.headers.add("Content-Type", "application/json");
    http.headers.add("Accept", streaming ? "text/event-stream" : "application/json");
    http.headers.add("User-Agent", "mistral-cpp/" MISTRAL_CPP_VERSION_STRING);
    for (const auto& h : options.headers) http.headers.set(h.name, h.value);
    for (const auto& h : call.headers) http.headers.set(h.name, h.value);
    http.body = boost::json::serialize(body);
    http.connect_timeout = timeouts.connect;
    http.read_timeout = streaming ? timeouts.stream_idle : timeouts.read;
    http.stop = call.stop;
    return http;
}

// The wait before the next attempt, or nullopt when the error must be thrown instead.
template <class Unused>
std::optional<std::chrono::milliseconds> client_engine<Unused>::retry_wait(
    const client_options& options, const retry_policy& policy, int attempt,
    const http_headers* headers, clock::time_point start, std::optional<clock::time_point> deadline,
    std::string& reason) {
    if (attempt > policy.max_retries) return std::nullopt;
    const auto& env = options.environment;
    std::chrono::milliseconds wait =
        policy.backoff(attempt - 1, env.jitter ? env.jitter() : default_jitter());
    reason = "backoff";
    if (headers != nullptr) {
        const auto wall = env.wall_now ? env.wall_now() : std::chrono::system_clock::now();
        if (const auto asked = parse_retry_after(*headers, wall)) {
            if (*asked > policy.max_retry_after) return std::nullopt;
            wait = *asked;
            reason = "Retry-After";
        }
    }
    const auto t = now(options);
    if (t - start + wait > policy.max_elapsed) return std::nullopt;
    if (deadline && t + wait >= *deadline) return std::nullopt;
    return wait;
}

template <class Unused>
void client_engine<Unused>::sleep(const client_options& options, std::chrono::milliseconds wait,
                                  const std::stop_token& stop) {
    if (options.environment.sleep) {
        options.environment.sleep(wait, stop);
    } else {
        interruptible_sleep(wait, stop);
    }
    if (stop.stop_requested())
        throw transport_error(transport_error_kind::cancelled, "call cancelled");
}

template <class Unused>
chat_response client_engine<Unused>::execute(const client_options& options, send_function send,
                                             const chat_request& request, bool streaming,
                                             const call_options& call, sink& sink) {
    const timeout_options& timeouts = call.timeouts ? *call.timeouts : options.timeouts;
    const retry_policy& policy = call.retry ? *call.retry : options.retry;
    http_request http = build_request(options, request, streaming, call, timeouts);
    const redactor redact(options.api_key);
    const auto start = now(options);
    std::optional<clock::time_point> deadline;
    if (timeouts.total) deadline = start + *timeouts.total;
    http.deadline = deadline;

    for (int attempt = 1;; ++attempt) {
        if (call.stop.stop_requested())
            throw transport_error(transport_error_kind::cancelled, "call cancelled");
        if (deadline && now(options) >= *deadline) {
            throw transport_error(transport_error_kind::timeout, "total timeout expired");
        }
        log(options, "POST " + http.url + (streaming ? " (stream)" : "") + ", attempt " +
                         std::to_string(attempt) + ", headers: " + describe_headers(http.headers));
        sink.begin_attempt();
        std::optional<transport_error> failure;
        const auto sent = now(options);
        try {
            send(http, sink);
        } catch (const transport_error& e) {
            failure.emplace(e.kind(), redact(e.what()));
        }
        sink.rethrow_if_failed();
        std::string reason;
        if (failure) {
            log(options, std::string("transport error (") + to_string(failure->kind()) +
                             "): " + failure->what());
            if (sink.completed()) {
                failure.reset();  // [DONE] had arrived: only the draining failed
            } else if (sink.delivered()) {
                sink.fail_mid_stream(*failure);
            } else {
                const auto wait =
                    policy.retries_transport(failure->kind())
                        ? retry_wait(options, policy, attempt, nullptr, start, deadline, reason)
                        : std::nullopt;
                if (!wait) throw *failure;
                log(options, "retry " + std::to_string(attempt) + " in " +
                                 std::to_string(wait->count()) + " ms (" + reason + ")");
                sleep(options, *wait, call.stop);
                continue;
            }
        }
        const response_head& head = sink.head();
        response_metadata meta = make_response_metadata(head.status, head.headers);
        meta.attempts = attempt;
        log(options,
            "status " + std::to_string(head.status) + " after " +
                std::to_string(
                    std::chrono::duration_cast<std::chrono::milliseconds>(now(options) - sent)
                        .count()) +
                " ms" + (meta.request_id.empty() ? "" : ", request id " + meta.request_id));
        if (head.status < 200 || head.status > 299) {
            std::string body = sink.take_body();
            api_error_details details = parse_error_body(body);
            api_error err =
                make_api_error(std::move(meta), std::move(body), std::move(details), redact);
            const auto wait =
                policy.retries_status(err.status())
                    ? retry_wait(options, policy, attempt, &err.headers(), start, deadline, reason)
                    : std::nullopt;
            if (!wait) throw err;
            log(options, "retry " + std::to_string(attempt) + " after status " +
                             std::to_string(err.status()) + " in " + std::to_string(wait->count()) +
                             " ms (" + reason + ")");
            sleep(options, *wait, call.stop);
            continue;
        }
        return sink.finish(std::move(meta));
    }
}

#ifdef MISTRAL_SEPARATE_COMPILATION
extern template class client_engine<void>;
#endif

}  // namespace detail

/// The client: chat() and stream() against the Mistral Chat Completion API over a Transport
/// (see transport.hpp). `mistral::client` is basic_client<httplib_transport> (mistral.hpp).
///
/// Thread safety: chat() and stream() may be called concurrently on one client when its
/// transport's send() may be (the default transport keeps a pool of connections, so it may).
/// Nothing runs in the background: every call does its work on the calling thread.
template <transport Transport>
class basic_client {
public:
    /// A client with every option at its default (API key from MISTRAL_API_KEY).
    basic_client() : basic_client(client_options{}) {}

    /// A client with these options. The transport is built from options.transport when it can
    /// be, else default-constructed.
    explicit basic_client(client_options options)
        : options_(std::move(options)), transport_(make_transport(options_.transport)) {}

    /// A client over a transport you constructed (a custom one, or a mock).
    basic_client(client_options options, Transport transport)
        : options_(std::move(options)), transport_(std::move(transport)) {}

    /// Sends a non-streaming request and returns the completion. `response.http` carries the
    /// status, headers, request id and rate limits. Retries per the retry policy.
    ///
    /// Throws usage_error (nothing sent: no API key, empty model or messages, stream set, a
    /// value that cannot be sent), api_error (the API answered with an error), transport_error
    /// (connect, TLS, timeout, reset, cancelled), protocol_error (a malformed answer).
    chat_response chat(const chat_request& request, const call_options& call = {}) {
        auto send = [this](const http_request& r, response_handler& h) { transport_.send(r, h); };
        return detail::client_engine<>::chat(options_, send, request, call);
    }

    /// Sends a streaming request (always with `"stream": true`) and calls on_chunk for every
    /// chunk as it arrives; returns the chunks folded into one response (see
    /// stream_accumulator). on_chunk takes `const chat_chunk&` and returns void, or bool:
    /// returning false stops the stream early, which is not an error (the connection is
    /// released, the client stays usable, and the response folded so far is returned).
    ///
    /// Throws like chat(), plus: a stream that ends before `[DONE]` is a protocol_error, and an
    /// error event inside the stream is an api_error; when chunks had arrived, the exception's
    /// partial_response() holds them. Exceptions thrown by on_chunk propagate. Nothing is
    /// retried once a chunk reached on_chunk.
    template <class OnChunk>
    chat_response stream(const chat_request& request, OnChunk&& on_chunk,
                         const call_options& call = {}) {
        static_assert(std::is_invocable_v<OnChunk&, const chat_chunk&>,
                      "the stream callback must be callable with const mistral::chat_chunk&");
        using result = std::invoke_result_t<OnChunk&, const chat_chunk&>;
        static_assert(std::is_void_v<result> || std::is_same_v<result, bool>,
                      "the stream callback must return void or bool (false stops the stream)");
        auto forward = [&on_chunk](const chat_chunk& chunk) -> bool {
            if constexpr (std::is_same_v<result, bool>) {
                return std::invoke(on_chunk, chunk);
            } else {
                std::invoke(on_chunk, chunk);
                return true;
            }
        };
        auto send = [this](const http_request& r, response_handler& h) { transport_.send(r, h); };
        return detail::client_engine<>::stream(options_, send, request, forward, call);
    }

    /// The transport, e.g. to inspect a mock.
    Transport& transport() noexcept { return transport_; }
    /// The options the client was made with.
    const client_options& options() const noexcept { return options_; }

private:
    static Transport make_transport(const transport_options& options) {
        if constexpr (std::is_constructible_v<Transport, const transport_options&>) {
            return Transport(options);
        } else {
            return Transport();
        }
    }

    client_options options_;
    Transport transport_;
};

}  // namespace mistral
