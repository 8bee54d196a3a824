// mistral/asio.hpp: asio_client, the client for event loops: Boost.Asio + Boost.Beast (from the
// Boost install Boost.JSON comes with), OpenSSL for https. Opt-in: nothing else includes it.
// SPDX-License-Identifier: MIT
//
//     boost::asio::io_context io;
//     mistral::asio_client client{io.get_executor(), opts};     // the same client_options
//     mistral::chat_response r = co_await client.async_chat(req, boost::asio::use_awaitable);
//     mistral::asio_stream s = co_await client.async_open_stream(req, boost::asio::use_awaitable);
//     while (auto chunk = co_await s.async_next(boost::asio::use_awaitable))
//         std::cout << chunk->text();
//
// Every operation takes any completion token (a callback, use_awaitable, use_future, deferred)
// and completes with void(std::exception_ptr, T): the same typed errors as the blocking client.
// It starts no thread: every handler runs on the client's executor, and retry waits and the
// connect, idle and total timeouts are timers. Retries, Retry-After, preflight, resumes
// (call_options::max_resumes), usage totals, redaction and limits are the blocking client's own
// (one set of rules: exchange.hpp and the call plan), and idle connections are kept per origin
// for reuse. Cancellation: bind a cancellation slot to the token
// (boost::asio::bind_cancellation_slot); a cancellation of any type (terminal, partial, total)
// ends the operation promptly with transport_error kind cancelled, whatever it was waiting for
// (a name lookup, a connect, the head, a chunk, a retry wait), and closes its connection. Host
// names are looked up by Boost.Asio's resolver, on a thread of Asio's own; the operation does not
// wait past its timeout for a slow lookup, but io_context::run() returns only once it ended.
//
// One operation at a time per asio_stream (as with any Asio I/O object); any number of
// operations at once per client. The bodies of the operations are compiled once: in the
// translation unit that includes <mistral/src.hpp> with MISTRAL_ASIO defined (CMake:
// mistral::compiled does it), or, header-only, where asio.hpp is included.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>

#include "core.hpp"
#include "detail/config.hpp"

MISTRAL_NAMESPACE_BEGIN

/// @cond internal
namespace detail {
struct asio_shared;
struct asio_stream_state;
}  // namespace detail
/// @endcond

/// A stream opened by asio_client::async_open_stream(): its chunks, pulled one operation at a
/// time with async_next(). Movable, not copyable. Destroying it before the end (with no
/// async_next() pending) closes its connection; the client stays usable. The client's executor
/// must outlive it.
class asio_stream {
public:
    /// Completion signature of async_next(): the next chunk, or nullopt once the stream ended
    /// with [DONE]; or the exception (api_error for an error event, protocol_error for a
    /// stream that ends early, transport_error for a timeout or a cancellation).
    using next_signature = void(std::exception_ptr, std::optional<chat_chunk>);

    /// An empty stream, what a failed async_open_stream() completes with: only assigning to
    /// it (or destroying it) means something.
    asio_stream() noexcept = default;
    /// Takes over the stream.
    asio_stream(asio_stream&&) noexcept;
    /// Closes this stream and takes over the other.
    asio_stream& operator=(asio_stream&&) noexcept;
    asio_stream(const asio_stream&) = delete;
    asio_stream& operator=(const asio_stream&) = delete;
    /// Closes the connection when the stream has not ended (it is not reused).
    ~asio_stream();

    /// Reads until the next chunk. One at a time: start the next when this one completed.
    template <class Token = boost::asio::default_completion_token_t<boost::asio::any_io_executor>>
    auto async_next(Token&& token = {}) {
        return boost::asio::async_initiate<Token, next_signature>(
            [state = state_](auto handler) {
                start_next(state,
                           boost::asio::any_completion_handler<next_signature>(std::move(handler)));
            },
            token);
    }

    /// The response folded so far; the whole of it once async_next() gave nullopt. Before the
    /// first chunk: the metadata of the response head (`http`).
    MISTRAL_DECL const chat_response& response() const noexcept;

    /// What asio_client::async_open_stream() builds a stream from.
    explicit asio_stream(std::shared_ptr<detail::asio_stream_state> state) noexcept;

private:
    MISTRAL_DECL static void start_next(
        const std::shared_ptr<detail::asio_stream_state>& state,
        boost::asio::any_completion_handler<next_signature> handler);

    std::shared_ptr<detail::asio_stream_state> state_;
};

/// The client for Boost.Asio programs: asynchronous chat(), stream() and open_stream() on an
/// executor, with no thread of its own (see the top of asio.hpp). Its idle connections belong to
/// the executor's execution context: destroy the client (and its copies) before that context.
class asio_client {
public:
    using executor_type = boost::asio::any_io_executor;  ///< where its handlers run
    /// Completion signature of async_chat() and async_stream().
    using response_signature = void(std::exception_ptr, chat_response);
    /// Completion signature of async_open_stream().
    using stream_signature = void(std::exception_ptr, asio_stream);

    /// A client whose operations run on `executor`, configured by `options` (the blocking
    /// client's: key, base_url, timeouts, retries, TLS, proxy, limits, debug).
    MISTRAL_DECL explicit asio_client(executor_type executor, client_options options = {});
    /// Shares the options, the idle connections and the usage counts of `other`.
    asio_client(const asio_client& other) = default;
    /// Takes over the options, the idle connections and the usage counts of `other`.
    asio_client(asio_client&& other) noexcept = default;
    /// Becomes a copy of `other`.
    asio_client& operator=(const asio_client& other) = default;
    /// Takes over `other`.
    asio_client& operator=(asio_client&& other) noexcept = default;
    /// Releases its share of the idle connections.
    ~asio_client() = default;

    /// chat(): completes with the response.
    template <class Token = boost::asio::default_completion_token_t<executor_type>>
    auto async_chat(chat_request request, call_options call, Token&& token = {}) {
        return boost::asio::async_initiate<Token, response_signature>(
            [shared = shared_](auto handler, chat_request r, call_options c) {
                start_chat(
                    shared, std::move(r), std::move(c),
                    boost::asio::any_completion_handler<response_signature>(std::move(handler)));
            },
            token, std::move(request), std::move(call));
    }
    /// chat() with the default call options.
    template <class Token = boost::asio::default_completion_token_t<executor_type>>
    auto async_chat(chat_request request, Token&& token = {}) {
        return async_chat(std::move(request), call_options{}, std::forward<Token>(token));
    }

    /// stream(): on_chunk(const chat_chunk&) runs on the client's executor for every chunk
    /// (void, or bool: false stops the stream); completes with the folded response.
    template <class OnChunk, class Token = boost::asio::default_completion_token_t<executor_type>>
    requires std::is_invocable_v<OnChunk&, const chat_chunk&>
    auto async_stream(chat_request request, OnChunk on_chunk, call_options call,
                      Token&& token = {}) {
        return boost::asio::async_initiate<Token, response_signature>(
            [shared = shared_](auto handler, chat_request r,
                               std::function<bool(const chat_chunk&)> f, call_options c) {
                start_stream(
                    shared, std::move(r), std::move(f), std::move(c),
                    boost::asio::any_completion_handler<response_signature>(std::move(handler)));
            },
            token, std::move(request), chunk_function(std::move(on_chunk)), std::move(call));
    }
    /// stream() with the default call options.
    template <class OnChunk, class Token = boost::asio::default_completion_token_t<executor_type>>
    requires std::is_invocable_v<OnChunk&, const chat_chunk&>
    auto async_stream(chat_request request, OnChunk on_chunk, Token&& token = {}) {
        return async_stream(std::move(request), std::move(on_chunk), call_options{},
                            std::forward<Token>(token));
    }

    /// open_stream(): completes once the response head has arrived (after the same retries as
    /// async_stream()), with a stream to pull chunks from.
    template <class Token = boost::asio::default_completion_token_t<executor_type>>
    auto async_open_stream(chat_request request, call_options call, Token&& token = {}) {
        return boost::asio::async_initiate<Token, stream_signature>(
            [shared = shared_](auto handler, chat_request r, call_options c) {
                start_open_stream(
                    shared, std::move(r), std::move(c),
                    boost::asio::any_completion_handler<stream_signature>(std::move(handler)));
            },
            token, std::move(request), std::move(call));
    }
    /// open_stream() with the default call options.
    template <class Token = boost::asio::default_completion_token_t<executor_type>>
    auto async_open_stream(chat_request request, Token&& token = {}) {
        return async_open_stream(std::move(request), call_options{}, std::forward<Token>(token));
    }

    /// The endpoints beside chat completions, as the blocking client's (client.hpp): each checks
    /// its request as they do (a usage_error completes the operation before any I/O), retries,
    /// times out, is cancelled and counts usage as async_chat(), and completes with its
    /// response type (signature `void(std::exception_ptr, Response)`).
    ///
    /// fim(): completes with the completion, in chat's response type.
    template <class Token = boost::asio::default_completion_token_t<executor_type>>
    auto async_fim(fim_request request, call_options call, Token&& token = {}) {
        return initiate_endpoint<chat_response>(std::move(request), std::move(call),
                                                std::forward<Token>(token));
    }
    /// fim() with the default call options.
    template <class Token = boost::asio::default_completion_token_t<executor_type>>
    auto async_fim(fim_request request, Token&& token = {}) {
        return async_fim(std::move(request), call_options{}, std::forward<Token>(token));
    }
    /// fim_stream(): on_chunk runs on the client's executor for every chunk, as async_stream()'s;
    /// completes with the folded response. Never resumed (see fim_stream()).
    template <class OnChunk, class Token = boost::asio::default_completion_token_t<executor_type>>
    requires std::is_invocable_v<OnChunk&, const chat_chunk&>
    auto async_fim_stream(fim_request request, OnChunk on_chunk, call_options call,
                          Token&& token = {}) {
        return boost::asio::async_initiate<Token, response_signature>(
            [shared = shared_](auto handler, fim_request r,
                               std::function<bool(const chat_chunk&)> f, call_options c) {
                start_fim_stream(
                    shared, std::move(r), std::move(f), std::move(c),
                    boost::asio::any_completion_handler<response_signature>(std::move(handler)));
            },
            token, std::move(request), chunk_function(std::move(on_chunk)), std::move(call));
    }
    /// fim_stream() with the default call options.
    template <class OnChunk, class Token = boost::asio::default_completion_token_t<executor_type>>
    requires std::is_invocable_v<OnChunk&, const chat_chunk&>
    auto async_fim_stream(fim_request request, OnChunk on_chunk, Token&& token = {}) {
        return async_fim_stream(std::move(request), std::move(on_chunk), call_options{},
                                std::forward<Token>(token));
    }
    /// embeddings(): completes with the vectors.
    template <class Token = boost::asio::default_completion_token_t<executor_type>>
    auto async_embeddings(embedding_request request, call_options call, Token&& token = {}) {
        return initiate_endpoint<embedding_response>(std::move(request), std::move(call),
                                                     std::forward<Token>(token));
    }
    /// embeddings() with the default call options.
    template <class Token = boost::asio::default_completion_token_t<executor_type>>
    auto async_embeddings(embedding_request request, Token&& token = {}) {
        return async_embeddings(std::move(request), call_options{}, std::forward<Token>(token));
    }
    /// models(): completes with the list.
    template <class Token = boost::asio::default_completion_token_t<executor_type>>
    auto async_models(call_options call, Token&& token = {}) {
        return initiate_endpoint<model_list>(detail::model_list_query{}, std::move(call),
                                             std::forward<Token>(token));
    }
    /// models() with the default call options.
    template <class Token = boost::asio::default_completion_token_t<executor_type>>
    auto async_models(Token&& token = {}) {
        return async_models(call_options{}, std::forward<Token>(token));
    }
    /// model(id): completes with the card.
    template <class Token = boost::asio::default_completion_token_t<executor_type>>
    auto async_model(std::string id, call_options call, Token&& token = {}) {
        return initiate_endpoint<model_card>(detail::model_query{std::move(id)}, std::move(call),
                                             std::forward<Token>(token));
    }
    /// model(id) with the default call options.
    template <class Token = boost::asio::default_completion_token_t<executor_type>>
    auto async_model(std::string id, Token&& token = {}) {
        return async_model(std::move(id), call_options{}, std::forward<Token>(token));
    }
    /// moderations(): completes with a result per text.
    template <class Token = boost::asio::default_completion_token_t<executor_type>>
    auto async_moderations(moderation_request request, call_options call, Token&& token = {}) {
        return initiate_endpoint<moderation_response>(std::move(request), std::move(call),
                                                      std::forward<Token>(token));
    }
    /// moderations() with the default call options.
    template <class Token = boost::asio::default_completion_token_t<executor_type>>
    auto async_moderations(moderation_request request, Token&& token = {}) {
        return async_moderations(std::move(request), call_options{}, std::forward<Token>(token));
    }
    /// chat_moderations(): completes with the conversation's result.
    template <class Token = boost::asio::default_completion_token_t<executor_type>>
    auto async_chat_moderations(chat_moderation_request request, call_options call,
                                Token&& token = {}) {
        return initiate_endpoint<moderation_response>(std::move(request), std::move(call),
                                                      std::forward<Token>(token));
    }
    /// chat_moderations() with the default call options.
    template <class Token = boost::asio::default_completion_token_t<executor_type>>
    auto async_chat_moderations(chat_moderation_request request, Token&& token = {}) {
        return async_chat_moderations(std::move(request), call_options{},
                                      std::forward<Token>(token));
    }
    /// ocr(): completes with the pages read.
    template <class Token = boost::asio::default_completion_token_t<executor_type>>
    auto async_ocr(ocr_request request, call_options call, Token&& token = {}) {
        return initiate_endpoint<ocr_response>(std::move(request), std::move(call),
                                               std::forward<Token>(token));
    }
    /// ocr() with the default call options.
    template <class Token = boost::asio::default_completion_token_t<executor_type>>
    auto async_ocr(ocr_request request, Token&& token = {}) {
        return async_ocr(std::move(request), call_options{}, std::forward<Token>(token));
    }

    /// The tokens and HTTP requests of every operation of this client so far (and of its
    /// copies), as basic_client::usage().
    MISTRAL_DECL usage_totals usage() const;
    /// The executor its operations run on.
    MISTRAL_DECL executor_type get_executor() const noexcept;
    /// The options it was made with.
    MISTRAL_DECL const client_options& options() const noexcept;

private:
    // A stream callback returning void or bool, as the compiled part takes it.
    template <class OnChunk>
    static std::function<bool(const chat_chunk&)> chunk_function(OnChunk on_chunk) {
        using result = std::invoke_result_t<OnChunk&, const chat_chunk&>;
        static_assert(std::is_void_v<result> || std::is_same_v<result, bool>,
                      "the stream callback must return void or bool (false stops the stream)");
        return [on_chunk = std::move(on_chunk)](const chat_chunk& chunk) mutable -> bool {
            if constexpr (std::is_same_v<result, bool>) {
                return on_chunk(chunk);
            } else {
                on_chunk(chunk);
                return true;
            }
        };
    }

    // Every endpoint but chat's: one initiation, the request in a variant.
    template <class Response, class Token>
    auto initiate_endpoint(detail::endpoint_call request, call_options call, Token&& token) {
        using signature = void(std::exception_ptr, Response);
        return boost::asio::async_initiate<Token, signature>(
            [shared = shared_](auto handler, detail::endpoint_call r, call_options c) {
                start_endpoint<Response>(
                    shared, std::move(r), std::move(c),
                    boost::asio::any_completion_handler<signature>(std::move(handler)));
            },
            token, std::move(request), std::move(call));
    }

    // Static, and given the shared state: an operation initiated later (deferred) does not
    // depend on this object still existing.
    MISTRAL_DECL static void start_chat(
        const std::shared_ptr<detail::asio_shared>& shared, chat_request request, call_options call,
        boost::asio::any_completion_handler<response_signature> handler);
    MISTRAL_DECL static void start_stream(
        const std::shared_ptr<detail::asio_shared>& shared, chat_request request,
        std::function<bool(const chat_chunk&)> on_chunk, call_options call,
        boost::asio::any_completion_handler<response_signature> handler);
    MISTRAL_DECL static void start_open_stream(
        const std::shared_ptr<detail::asio_shared>& shared, chat_request request, call_options call,
        boost::asio::any_completion_handler<stream_signature> handler);
    // One per response type, compiled once with MISTRAL_SEPARATE_COMPILATION (see
    // MISTRAL_ASIO_ENDPOINT_STARTERS).
    template <class Response>
    static void start_endpoint(
        const std::shared_ptr<detail::asio_shared>& shared, detail::endpoint_call request,
        call_options call,
        boost::asio::any_completion_handler<void(std::exception_ptr, Response)> handler);
    MISTRAL_DECL static void start_fim_stream(
        const std::shared_ptr<detail::asio_shared>& shared, fim_request request,
        std::function<bool(const chat_chunk&)> on_chunk, call_options call,
        boost::asio::any_completion_handler<response_signature> handler);

    std::shared_ptr<detail::asio_shared> shared_;
};

// The starters of the endpoints beside chat's, one per response type: instantiated in
// impl/asio_client.hpp's compiled translation unit, extern in every other.
#define MISTRAL_ASIO_ENDPOINT_STARTER(EXTERN, RESPONSE)                                   \
    EXTERN template void asio_client::start_endpoint<RESPONSE>(                           \
        const std::shared_ptr<detail::asio_shared>&, detail::endpoint_call, call_options, \
        boost::asio::any_completion_handler<void(std::exception_ptr, RESPONSE)>);
#define MISTRAL_ASIO_ENDPOINT_STARTERS(EXTERN)                 \
    MISTRAL_ASIO_ENDPOINT_STARTER(EXTERN, chat_response)       \
    MISTRAL_ASIO_ENDPOINT_STARTER(EXTERN, embedding_response)  \
    MISTRAL_ASIO_ENDPOINT_STARTER(EXTERN, model_list)          \
    MISTRAL_ASIO_ENDPOINT_STARTER(EXTERN, model_card)          \
    MISTRAL_ASIO_ENDPOINT_STARTER(EXTERN, moderation_response) \
    MISTRAL_ASIO_ENDPOINT_STARTER(EXTERN, ocr_response)
#ifdef MISTRAL_SEPARATE_COMPILATION
MISTRAL_ASIO_ENDPOINT_STARTERS(extern)
#endif

MISTRAL_NAMESPACE_END

#ifndef MISTRAL_SEPARATE_COMPILATION
#include "impl/asio_client.hpp"
#endif
