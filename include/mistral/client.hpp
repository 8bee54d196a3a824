// mistral/client.hpp: client_options, call_options and basic_client<Transport>, whose chat()
// and stream() run over any transport. The engine behind them is impl/client_engine.hpp.
// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdlib>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "chat_stream.hpp"
#include "detail/config.hpp"
#include "detail/function_ref.hpp"
#include "error.hpp"
#include "http.hpp"
#include "retry.hpp"
#include "sse.hpp"
#include "stop_token.hpp"
#include "structured.hpp"
#include "tools.hpp"
#include "transport.hpp"
#include "types.hpp"
#include "usage.hpp"
#include "version.hpp"

MISTRAL_NAMESPACE_BEGIN

/// Base URLs of the API: the global endpoint and the regional ones (EU, US). Regional endpoints
/// serve only the models hosted in their region.
namespace servers {
/// The global endpoint (the default).
inline constexpr const char* global = "https://api.mistral.ai";
inline constexpr const char* eu = "https://api.eu.mistral.ai";  ///< the EU region
inline constexpr const char* us = "https://api.us.mistral.ai";  ///< the US region
}  // namespace servers

/// Timeouts. All are finite by default except the optional total.
struct timeout_options {
    /// Establishing the connection (TCP and TLS).
    std::chrono::milliseconds connect{10'000};
    /// chat(): the longest wait for the response (the API answers when the whole completion is
    /// ready) and between two pieces of its body.
    std::chrono::milliseconds read{300'000};
    /// stream(): the longest silence before the response head and between two events of the
    /// stream (comments and keep-alives do not count: a server that sends only those is cut
    /// too). A model that stays silent longer (long reasoning without output) is cut with
    /// transport_error kind timeout.
    std::chrono::milliseconds stream_idle{60'000};
    /// The whole call, retries, waits and resumes included. Unset: no bound beyond the others.
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
    /// variable. A call without a key, or with a control character in it, throws usage_error
    /// before any I/O. It never appears in an exception message, a debug line, an error body or
    /// a kept response header.
    std::string api_key = detail::env_or_empty("MISTRAL_API_KEY");
    /// Where the API is: servers::global (default), servers::eu, servers::us, or any http or
    /// https URL (a gateway, the bundled fake server), with an optional path prefix;
    /// "/v1/chat/completions" is appended. Credentials (user:password@), a query or a fragment
    /// are refused with usage_error: the API authenticates with the key alone.
    std::string base_url = servers::global;
    /// Timeouts (see timeout_options).
    timeout_options timeouts{};
    /// Retries (see retry_policy): on by default, at most 2 retries within 30 s.
    retry_policy retry{};
    /// Headers sent with every request, after the client's own (a header of the same name
    /// replaces the client's). Names must be tokens and values free of control characters;
    /// the framing headers (Content-Length, Transfer-Encoding, Host, Connection...) belong to
    /// the client: setting one is a usage_error.
    http_headers headers{};
    /// Names of request headers whose values are secrets (e.g. "X-Gateway-Token"), besides
    /// Authorization, Proxy-Authorization, Cookie and X-Api-Key: their values are removed from
    /// everything the client prints or keeps, as the API key is.
    std::vector<std::string> secret_headers{};
    /// Names of headers whose values debug lines may show, besides the built-in harmless ones
    /// (content type, request ids, rate limits, Retry-After...); every other value reads
    /// [redacted].
    std::vector<std::string> loggable_headers{};
    /// Connection settings of the default transport: TLS trust, client certificate, proxy.
    transport_options transport{};
    /// Receives one line per request, response, retry and failure when set. Secrets are
    /// redacted and header values shown only for loggable headers.
    std::function<void(std::string_view)> debug{};
    /// Checks the history before any I/O and throws usage_error, naming the message, for one
    /// the API is known to reject (see check_history in history.hpp): the last message an
    /// assistant's without prefix, a user message right after a tool message, an assistant
    /// message with neither content nor tool calls, a tool-call id that is not 9 characters
    /// from [a-zA-Z0-9], a tool message that answers no earlier call.
    bool preflight = true;
    /// Clock, sleep and randomness of the retry loop (tests replace them).
    retry_environment environment{};
    /// The largest server-sent event accepted in a stream (protocol_error beyond).
    std::size_t max_event_size = sse::parser::default_max_event_size;
    /// The largest response accepted (protocol_error beyond): the body of chat(), and what
    /// stream() keeps of the chunks (text, thinking, tool calls and the unknown members of
    /// chunks and choices; the chunk that crosses the bound is the last one kept). A stream with
    /// call_options::accumulate false keeps no content, but its unknown members still count.
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
    stop_token stop{};
    /// stream() only: when false, chunks still reach the callback but their content and tool
    /// calls are not folded into the returned response (nor into partial_response()), which
    /// then carries ids, usage, finish reasons and metadata only. Memory stays flat however
    /// long the stream; for callers that consume the text as it arrives.
    bool accumulate = true;
    /// stream() and open_stream() only: how many times a stream that is cut after text arrived
    /// (connection reset, idle timeout, a body that ends before [DONE]) is resumed. A resume
    /// re-sends the request with the text so far as a final assistant message with
    /// `prefix: true` and goes on delivering the continuation, so the caller sees each
    /// character once (a repeat of the prefix at the continuation's start is dropped). Only a
    /// reply of plain text in one choice is resumed (not one cut inside a tool call or with
    /// thinking), and only with accumulate true. Each resume bills the prompt again, and the
    /// continuation is the model's, not a replay: it may differ from what the cut stream would
    /// have said. response().http.resumes counts them.
    int max_resumes = 0;
};

namespace detail {
using send_function = function_ref<void(const http_request&, response_handler&)>;
using chunk_function = function_ref<bool(const chat_chunk&)>;
// open_stream() keeps these for the stream's life (a resume opens another response).
using open_function = std::function<std::unique_ptr<body_reader>(const http_request&)>;
using usage_function = std::function<void(const usage_info&)>;

// What basic_client runs, over a transport and a callback of any type: the engine, defined in
// impl/client_engine.hpp. Templates only so that a translation unit compiles the engine when it
// calls a client; with MISTRAL_SEPARATE_COMPILATION no translation unit but src.hpp's does.
template <class Unused = void>
chat_response run_chat(const client_options& options, send_function send,
                       const chat_request& request, const call_options& call);
template <class Unused = void>
chat_response run_stream(const client_options& options, send_function send,
                         const chat_request& request, chunk_function on_chunk,
                         const call_options& call);
template <class Unused = void>
std::unique_ptr<stream_source> run_open_stream(const client_options& options, open_function open,
                                               chat_request request, call_options call,
                                               usage_function on_usage);
#ifdef MISTRAL_SEPARATE_COMPILATION
extern template std::unique_ptr<stream_source> run_open_stream<>(const client_options&,
                                                                 open_function, chat_request,
                                                                 call_options, usage_function);
extern template chat_response run_chat<>(const client_options&, send_function, const chat_request&,
                                         const call_options&);
extern template chat_response run_stream<>(const client_options&, send_function,
                                           const chat_request&, chunk_function,
                                           const call_options&);
#endif
}  // namespace detail

/// The client: chat() and stream() against the Mistral Chat Completion API over a Transport
/// (see transport.hpp). `mistral::client` is basic_client<httplib_transport> (mistral.hpp).
///
/// Thread safety: chat() and stream() may be called concurrently on one client when its
/// transport's send() may be (the default transport keeps a pool of connections, so it may).
/// Every call does its work on the calling thread, but chat_async() and stream_async(), which
/// start one thread per call, open_stream() over a push-only transport (one helper thread per
/// open stream), and the default transport's deadline watchdog (httplib_transport.hpp).
template <transport Transport>
class basic_client {
public:
    /// A client with every option at its default (API key from MISTRAL_API_KEY).
    basic_client();

    /// A client with these options. The transport is built from options.transport when it can
    /// be, else default-constructed.
    explicit basic_client(client_options options);

    /// A client over a transport you constructed (a custom one, or a mock).
    basic_client(client_options options, Transport transport);

    /// A copy: the same options and a copy of the transport; it shares the usage counts (see
    /// usage()).
    basic_client(const basic_client& other);
    /// Takes over the options, the transport and the usage counts.
    basic_client(basic_client&& other) noexcept(nothrow_movable);
    /// Becomes a copy of `other`, sharing its usage counts.
    basic_client& operator=(const basic_client& other);
    /// Takes over the options, the transport and the usage counts of `other`.
    basic_client& operator=(basic_client&& other) noexcept(nothrow_movable);
    /// Destroys the options and the transport; the usage counts live on in any copy.
    ~basic_client();

    /// Sends a non-streaming request and returns the completion. `response.http` carries the
    /// status, headers, request id and rate limits. Retries per the retry policy.
    ///
    /// Throws usage_error (nothing sent: no API key, empty model or messages, stream set, a
    /// value that cannot be sent), api_error (the API answered with an error), transport_error
    /// (connect, TLS, timeout, reset, cancelled), protocol_error (a malformed answer).
    chat_response chat(const chat_request& request, const call_options& call = {});

    /// Sends a streaming request (always with `"stream": true`) and calls on_chunk for every
    /// chunk as it arrives; returns the chunks folded into one response (see
    /// stream_accumulator). on_chunk takes `const chat_chunk&` and returns void, or bool:
    /// returning false stops the stream early, which is not an error (the connection is
    /// released, the client stays usable, and the response folded so far is returned).
    ///
    /// Throws like chat(), plus: a stream that ends before `[DONE]` is a protocol_error, and an
    /// error event inside the stream is an api_error; when chunks had arrived, the exception's
    /// partial_response() holds them. Exceptions thrown by on_chunk propagate. Nothing is
    /// retried once a chunk reached on_chunk (but a cut stream may be resumed: see
    /// call_options::max_resumes).
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
        return stream_chunks(request, forward, call);
    }

    /// Sends a streaming request like stream() and returns the stream once the response head
    /// has arrived, for the caller to pull chunk by chunk (see chat_stream):
    ///
    ///     for (const mistral::chat_chunk& chunk : client.open_stream(req)) { ... }
    ///
    /// What fails before the head (usage_error, an HTTP error status as api_error, transport
    /// failures) is thrown here, after the same retries as stream(); later failures by the
    /// stream's steps. With a pull_transport (mock_transport) the steps read on the calling
    /// thread; with a push-only one (httplib_transport over Debian's cpp-httplib 0.11.4, a
    /// custom transport without open()) one helper thread per open stream runs send() and hands
    /// each piece over, bounded to one piece at a time. The client must outlive the stream.
    chat_stream open_stream(const chat_request& request, const call_options& call = {});

    /// chat() on a thread of its own, started now: the future holds the response or the
    /// exception. A thread per call, and nothing else: no pool to size, no thread that outlives
    /// its call. As with std::async, the future's destructor waits for the call; cancel it first
    /// with call.stop (the future then throws transport_error kind cancelled). The client must
    /// outlive the call.
    std::future<chat_response> chat_async(chat_request request, call_options call = {});

    /// stream() on a thread of its own, like chat_async(): on_chunk runs on that thread, for
    /// every chunk as it arrives.
    template <class OnChunk>
    std::future<chat_response> stream_async(chat_request request, OnChunk on_chunk,
                                            call_options call = {}) {
        return std::async(
            std::launch::async,
            [this, request = std::move(request), on_chunk = std::move(on_chunk),
             call = std::move(call)]() mutable { return stream(request, on_chunk, call); });
    }

    /// Structured output: chat() with a json_schema response format of T (set when the request
    /// has none), the reply decoded into T. Throws like chat(), plus protocol_error when the
    /// reply is not JSON or does not fit T (path() names the member, e.g. "population"), or was
    /// cut by the token limit. T: a described struct, or any type structured.hpp maps.
    template <class T>
    parsed_response<T> parse(chat_request request, const call_options& call = {}) {
        if (!request.response_format) request.response_format = json_schema_format<T>("response");
        chat_response response = chat(request, call);
        T value = decode_reply<T>(response);
        return {std::move(value), std::move(response)};
    }

    /// parse<T>() over a stream: every chunk reaches on_chunk as stream() gives it (the JSON text
    /// as it is written), and the folded reply is decoded into T at the end.
    template <class T, class OnChunk>
    parsed_response<T> parse_stream(chat_request request, OnChunk&& on_chunk,
                                    const call_options& call = {}) {
        if (!request.response_format) request.response_format = json_schema_format<T>("response");
        chat_response response = stream(request, std::forward<OnChunk>(on_chunk), call);
        T value = decode_reply<T>(response);
        return {std::move(value), std::move(response)};
    }

    /// The tool loop: chat(), then each tool call of the reply run by `tools` in order; the
    /// assistant message and one tool message per call (with `tool_call_id` and `name`) are
    /// appended to request.messages, and again, until a reply asks for no tool: that reply is
    /// appended too and returned. request.tools is set to tools.definitions() when unset.
    ///
    /// At most options.max_rounds chat calls: when the last reply still asks for tools, throws
    /// tool_loop_error, whose partial_response() is that reply, not appended (its calls were not
    /// run), so request.messages stays a history the API accepts. A handler that throws, an
    /// unknown tool or arguments that do not fit the handler's type do not end the loop: the
    /// tool message says what went wrong (see toolbox::run). Each chat call retries, times out
    /// and cancels as chat() does (`call`); everything runs on the calling thread.
    chat_response run_tools(chat_request& request, const toolbox& tools,
                            const tool_loop_options& options = {}, const call_options& call = {});

    /// run_tools() with every round streamed: each chunk of each round reaches on_chunk.
    template <class OnChunk>
    requires std::is_invocable_v<OnChunk&, const chat_chunk&> chat_response
    run_tools(chat_request& request, const toolbox& tools, OnChunk&& on_chunk,
              const tool_loop_options& options = {}, const call_options& call = {}) {
        return detail::run_tool_loop(request, tools, options, [&](const chat_request& r) {
            return stream(r, on_chunk, call);
        });
    }

    /// The tokens and HTTP requests of every call of this client so far (and of its copies,
    /// which share the counts), in total and per model; safe to call while other threads call
    /// the client. After calls that all succeeded, the tokens are the sums of their responses'
    /// usage.
    usage_totals usage() const;

    /// The transport, e.g. to inspect a mock.
    Transport& transport() noexcept { return transport_; }
    /// The options the client was made with.
    const client_options& options() const noexcept { return options_; }

private:
    static constexpr bool nothrow_movable = std::is_nothrow_move_constructible_v<client_options> &&
                                            std::is_nothrow_move_assignable_v<client_options> &&
                                            std::is_nothrow_move_constructible_v<Transport> &&
                                            std::is_nothrow_move_assignable_v<Transport>;
    static Transport make_transport(const transport_options& options);
    // stream() once its callback is a function_ref: what a caller's translation unit compiles of
    // stream() is the callback's adapter; the rest is compiled once per transport.
    chat_response stream_chunks(const chat_request& request, detail::chunk_function on_chunk,
                                const call_options& call);
    // The transport's send(), counting each HTTP request of the call (every retry) by model.
    auto counting_send(const chat_request& request);
    // Adds the usage of a call to the client's counts: its response's, or what a failed stream
    // delivered before it failed.
    template <class Call>
    chat_response counted(const chat_request& request, Call&& call);

    client_options options_;
    Transport transport_;
    std::shared_ptr<detail::usage_counter> usage_ = std::make_shared<detail::usage_counter>();
};

// The members of basic_client that do not depend on a caller's callback, defined out of the
// class so that they are not inline: for mistral::client, which mistral.hpp declares extern with
// MISTRAL_SEPARATE_COMPILATION, a caller's translation unit then compiles none of them, not
// even to inline them (GCC instantiates an extern template's inline members at -O1 and above).

template <transport Transport>
basic_client<Transport>::basic_client() : basic_client(client_options{}) {}

template <transport Transport>
basic_client<Transport>::basic_client(client_options options)
    : options_(std::move(options)), transport_(make_transport(options_.transport)) {}

template <transport Transport>
basic_client<Transport>::basic_client(client_options options, Transport transport)
    : options_(std::move(options)), transport_(std::move(transport)) {}

template <transport Transport>
basic_client<Transport>::basic_client(const basic_client& other) = default;
template <transport Transport>
basic_client<Transport>::basic_client(basic_client&& other) noexcept(nothrow_movable) = default;
template <transport Transport>
basic_client<Transport>& basic_client<Transport>::operator=(const basic_client& other) = default;
template <transport Transport>
basic_client<Transport>& basic_client<Transport>::operator=(basic_client&& other) noexcept(
    nothrow_movable) = default;
template <transport Transport>
basic_client<Transport>::~basic_client() = default;

template <transport Transport>
Transport basic_client<Transport>::make_transport(const transport_options& options) {
    if constexpr (std::is_constructible_v<Transport, const transport_options&>) {
        return Transport(options);
    } else {
        return Transport();
    }
}

template <transport Transport>
auto basic_client<Transport>::counting_send(const chat_request& request) {
    return [this, &request](const http_request& r, response_handler& h) {
        usage_->add_request(request.model);
        transport_.send(r, h);
    };
}

template <transport Transport>
template <class Call>
chat_response basic_client<Transport>::counted(const chat_request& request, Call&& call) {
    try {
        chat_response r = call();
        usage_->add(request.model, r.usage);
        return r;
    } catch (const error& e) {
        if (const chat_response* partial = e.partial_response())
            usage_->add(request.model, partial->usage);
        throw;
    }
}

template <transport Transport>
chat_response basic_client<Transport>::chat(const chat_request& request, const call_options& call) {
    auto send = counting_send(request);
    return counted(request, [&] { return detail::run_chat(options_, send, request, call); });
}

template <transport Transport>
chat_response basic_client<Transport>::stream_chunks(const chat_request& request,
                                                     detail::chunk_function on_chunk,
                                                     const call_options& call) {
    auto send = counting_send(request);
    return counted(request,
                   [&] { return detail::run_stream(options_, send, request, on_chunk, call); });
}

template <transport Transport>
chat_stream basic_client<Transport>::open_stream(const chat_request& request,
                                                 const call_options& call) {
    auto open = [this, usage = usage_, model = request.model](const http_request& r) {
        usage->add_request(model);
        return detail::open_response(transport_, r);
    };
    auto on_usage = [usage = usage_, model = request.model](const usage_info& u) {
        usage->add(model, u);
    };
    return chat_stream(
        detail::run_open_stream(options_, std::move(open), request, call, std::move(on_usage)));
}

template <transport Transport>
std::future<chat_response> basic_client<Transport>::chat_async(chat_request request,
                                                               call_options call) {
    return std::async(std::launch::async, [this, request = std::move(request),
                                           call = std::move(call)] { return chat(request, call); });
}

template <transport Transport>
chat_response basic_client<Transport>::run_tools(chat_request& request, const toolbox& tools,
                                                 const tool_loop_options& options,
                                                 const call_options& call) {
    return detail::run_tool_loop(request, tools, options,
                                 [&](const chat_request& r) { return chat(r, call); });
}

template <transport Transport>
usage_totals basic_client<Transport>::usage() const {
    return usage_->totals();
}

// basic_client<any_transport>, the client of every translation unit but the one that makes the
// transport: its members that take no callback, declared extern with MISTRAL_SEPARATE_COMPILATION
// and defined in src.hpp. Member by member, since it cannot be made from options alone (so the
// class as a whole cannot be instantiated); the defaulted special members are left out, as GCC
// cannot instantiate one explicitly when it is defaulted out of the class.
#define MISTRAL_ANY_TRANSPORT_CLIENT_MEMBERS(EXTERN)                                           \
    EXTERN template basic_client<any_transport>::basic_client(client_options, any_transport);  \
    EXTERN template chat_response basic_client<any_transport>::chat(const chat_request&,       \
                                                                    const call_options&);      \
    EXTERN template chat_response basic_client<any_transport>::stream_chunks(                  \
        const chat_request&, detail::chunk_function, const call_options&);                     \
    EXTERN template chat_stream basic_client<any_transport>::open_stream(const chat_request&,  \
                                                                         const call_options&); \
    EXTERN template std::future<chat_response> basic_client<any_transport>::chat_async(        \
        chat_request, call_options);                                                           \
    EXTERN template chat_response basic_client<any_transport>::run_tools(                      \
        chat_request&, const toolbox&, const tool_loop_options&, const call_options&);         \
    EXTERN template usage_totals basic_client<any_transport>::usage() const;
#ifdef MISTRAL_SEPARATE_COMPILATION
MISTRAL_ANY_TRANSPORT_CLIENT_MEMBERS(extern)
#endif

MISTRAL_NAMESPACE_END

#ifndef MISTRAL_SEPARATE_COMPILATION
#include "impl/client_engine.hpp"
#endif
