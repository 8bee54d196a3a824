// mistral/exchange.hpp: the byte-fed ("sans-I/O") core: the request a call sends, and the response
// decoded from the bytes that come back, with no I/O, no thread and no clock of its own. The
// blocking client and the Asio client run on exactly these pieces, so there is one set of rules
// (request building and validation, status handling, error bodies, SSE, chunk decoding,
// folding, [DONE], limits); a Qt, Unreal, libcurl-multi or epoll program drives them with its own
// I/O:
//
//     mistral::http_request hr = mistral::prepare_request(opts, req);  // url, headers, body
//     mistral::stream_decoder dec{opts};
//     dec.head(head);                            // once the status and headers are in
//     dec.feed(bytes, on_chunk);                 // each piece of the body, in order
//     mistral::chat_response reply = dec.finish();  // at the end of the body
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "detail/config.hpp"
#include "detail/function_ref.hpp"
#include "error.hpp"
#include "options.hpp"
#include "transport.hpp"
#include "types.hpp"

MISTRAL_NAMESPACE_BEGIN

/// @cond internal
namespace detail {
template <class Unused>
struct stream_decoder_state;
struct stream_decoder_access;
}  // namespace detail
/// @endcond

/// The HTTP request of a call, ready to send: method, URL (`base_url` + "/v1/chat/completions"),
/// headers (`Authorization`, content type, `Accept`, user agent, the options' and the call's
/// own), the JSON body, timeouts (connect; read: `stream_idle` for a stream, `read` otherwise)
/// and `call.stop`. The streamed request (`"stream": true`, `Accept: text/event-stream`) when
/// `request.stream` is true, the plain one otherwise. Throws usage_error, before anything is
/// sent, exactly where chat() would: no API key, an empty model or messages, a history
/// preflight refuses, an invalid base_url or header, a value that cannot be sent (invalid UTF-8,
/// a non-finite number). The headers hold the API key: never log them unredacted.
template <class Unused = void>
http_request prepare_request(const client_options& options, const chat_request& request,
                             const call_options& call = {});

/// A whole non-streamed response, from its head and its body: the chat_response (its `http`
/// from the head), or the exception chat() would throw: api_error for a status >= 400 (its body
/// parsed, every shape the API sends), protocol_error for a body that is not a chat completion
/// or is larger than `max_response_size`. Secrets of `options` and `call` (the API key, secret
/// headers) are redacted from the error, as the client does.
template <class Unused = void>
chat_response decode_response(const response_head& head, std::string_view body,
                              const client_options& options = {}, const call_options& call = {});

/// One streamed response, decoded from its bytes as they arrive: the SSE events, the chunks they
/// carry, their folding into the reply, and every error the blocking client reports, in the
/// same words. No I/O, no thread, no clock: the caller reads the bytes however it likes and
/// hands them over in order, split anywhere.
///
///     mistral::stream_decoder dec{opts};                 // opts: limits, secrets to redact
///     dec.head(head);                                    // status and headers
///     dec.feed(bytes, [](const mistral::chat_chunk& c) { std::cout << c.text(); });
///     if (dec.done()) { mistral::chat_response reply = dec.finish(); }
///
/// For a status >= 400, head() and feed() collect the error body (at most 1 MiB) and do not
/// throw; finish() throws its api_error. An error inside a 200 stream (an `event: error`, a data
/// payload that is an error object, llama.cpp's `error:` line) throws api_error from feed(),
/// whose status is the payload's `raw_status_code` when present (else an HTTP status in its
/// `code`, else the response's). Exceptions thrown from feed() and finish() carry
/// `partial_response()` when chunks had arrived. Not thread-safe: one decoder per response, fed
/// by one thread at a time.
template <class Unused = void>
class basic_stream_decoder {
public:
    /// A decoder with the limits of `options` (`max_event_size`, `max_response_size`) and of
    /// `call` (`accumulate`), redacting their secrets from what it throws.
    explicit basic_stream_decoder(const client_options& options = {},
                                  const call_options& call = {});
    /// Moves the decoder and what it has folded.
    basic_stream_decoder(basic_stream_decoder&&) noexcept;
    /// Moves the decoder and what it has folded.
    basic_stream_decoder& operator=(basic_stream_decoder&&) noexcept;
    basic_stream_decoder(const basic_stream_decoder&) = delete;
    basic_stream_decoder& operator=(const basic_stream_decoder&) = delete;
    /// Frees what it folded.
    ~basic_stream_decoder();

    /// The response head, before any body byte: its status decides how the body is read (an
    /// event stream for a 2xx with Content-Type text/event-stream, an error body for >= 400).
    void head(const response_head& head);

    /// The next piece of the body, in order, split anywhere: calls on_chunk(const chat_chunk&)
    /// for each chunk it completes. on_chunk returns void, or bool: false stops the stream (not
    /// an error: feed() then ignores the rest, and finish() returns what was folded). Throws
    /// api_error for an error event, protocol_error for malformed data or a size limit passed,
    /// and what on_chunk throws.
    template <class OnChunk>
    void feed(std::string_view bytes, OnChunk&& on_chunk) {
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
        feed_chunks(bytes, forward);
    }

    /// Whether `[DONE]` was seen (a body that ends right after its line, without the blank
    /// line, counts): the rest of the body only ends it.
    bool done() const noexcept;
    /// Whether on_chunk returned false.
    bool stopped() const noexcept;

    /// The end of the body: the folded reply. Throws api_error for a status >= 400 (its body
    /// parsed), protocol_error when `[DONE]` never came (with the partial response), when a 2xx
    /// was not an event stream, or when a tool call's name never arrived.
    chat_response finish();

    /// The reply folded so far, with `http` from the head (metadata only before any chunk).
    const chat_response& response() const noexcept;

    /// How many events carried something (a chunk, `[DONE]`, an error), not counting comments
    /// and keep-alives: a driver that bounds the silence between events compares it.
    std::uint64_t events() const noexcept;

private:
    friend struct detail::stream_decoder_access;
    void feed_chunks(std::string_view bytes,
                     detail::function_ref<bool(const chat_chunk&)> on_chunk);

    std::unique_ptr<detail::stream_decoder_state<Unused>> state_;
};

/// The byte-fed stream decoder (see basic_stream_decoder).
using stream_decoder = basic_stream_decoder<>;

#ifdef MISTRAL_SEPARATE_COMPILATION
extern template class basic_stream_decoder<>;
extern template http_request prepare_request<>(const client_options&, const chat_request&,
                                               const call_options&);
extern template chat_response decode_response<>(const response_head&, std::string_view,
                                                const client_options&, const call_options&);
#endif

MISTRAL_NAMESPACE_END

#ifndef MISTRAL_SEPARATE_COMPILATION
#include "impl/exchange.hpp"
#endif
