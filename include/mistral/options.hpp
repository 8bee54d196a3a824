// mistral/options.hpp: client_options, call_options and timeout_options: what a client and a
// call are configured with, shared by every client (blocking, async, Asio) and by the byte-fed
// core (exchange.hpp).
// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "detail/config.hpp"
#include "http.hpp"
#include "retry.hpp"
#include "sse.hpp"
#include "stop_token.hpp"
#include "transport.hpp"

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

/// The wire dialect of the server at client_options::base_url.
enum class dialect : unsigned char {
    /// api.mistral.ai (and gateways in front of it): requests hold only members the API knows.
    mistral,
    /// A server that speaks OpenAI's chat completions and serves Mistral models: vLLM,
    /// llama.cpp's llama-server, Ollama, LM Studio, mistral.rs. `random_seed` is sent as `seed`;
    /// a stream asks for usage with `"stream_options":{"include_usage":true}` (unless the
    /// request's extra sets stream_options); a message's or delta's `reasoning` or
    /// `reasoning_content` text is read as a thinking chunk (`thinking()`, never `text()`), and
    /// thinking in the history is not sent back (an assistant's content goes as text); an empty
    /// api_key sends no Authorization header (local servers need none; note that api_key
    /// defaults to MISTRAL_API_KEY, which goes to base_url unless cleared); preflight's history
    /// checks (the API's own rules, such as 9-character tool-call ids) are not applied; a cut
    /// stream is not resumed (call_options::max_resumes: the continuation is the API's prefix
    /// message). Usage is read as the last value a stream sends and errors in either envelope,
    /// inside a 200 stream or a 200 reply, are the usual typed errors: in both dialects.
    openai_compatible,
};

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
    /// The server's dialect: mistral (default), or openai_compatible for a local or third-party
    /// server (see dialect).
    mistral::dialect dialect = mistral::dialect::mistral;
    /// Connection settings of the default transport: TLS trust, client certificate, proxy.
    transport_options transport{};
    /// Receives one line per request, response, retry and failure when set. Secrets are
    /// redacted and header values shown only for loggable headers.
    std::function<void(std::string_view)> debug{};
    /// Checks the history before any I/O and throws usage_error, naming the message, for one
    /// the API is known to reject (see check_history in history.hpp): the last message an
    /// assistant's without prefix, a user message right after a tool message, an assistant
    /// message with neither content nor tool calls, a tool-call id that is not 9 characters
    /// from [a-zA-Z0-9], a tool message that answers no earlier call. Not applied with
    /// dialect::openai_compatible (those rules are the API's).
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

MISTRAL_NAMESPACE_END
