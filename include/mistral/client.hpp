// mistral/client.hpp: basic_client<Transport>, whose chat() and stream() run over any transport
// (the options are in options.hpp). The engine behind them is impl/client_engine.hpp.
// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdlib>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "batch.hpp"
#include "chat_stream.hpp"
#include "detail/config.hpp"
#include "detail/function_ref.hpp"
#include "endpoints.hpp"
#include "error.hpp"
#include "exchange.hpp"
#include "http.hpp"
#include "options.hpp"
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
// The endpoints beside chat completions (impl/endpoints.hpp), on the same engine.
template <class Unused = void>
embedding_response run_embeddings(const client_options& options, send_function send,
                                  const embedding_request& request, const call_options& call);
template <class Unused = void>
model_list run_models(const client_options& options, send_function send, const call_options& call);
template <class Unused = void>
model_card run_model(const client_options& options, send_function send, std::string_view id,
                     const call_options& call);
template <class Unused = void>
chat_response run_fim(const client_options& options, send_function send, const fim_request& request,
                      const call_options& call);
template <class Unused = void>
chat_response run_fim_stream(const client_options& options, send_function send,
                             const fim_request& request, chunk_function on_chunk,
                             const call_options& call);
template <class Unused = void>
moderation_response run_moderations(const client_options& options, send_function send,
                                    const moderation_request& request, const call_options& call);
template <class Unused = void>
moderation_response run_chat_moderations(const client_options& options, send_function send,
                                         const chat_moderation_request& request,
                                         const call_options& call);
template <class Unused = void>
ocr_response run_ocr(const client_options& options, send_function send, const ocr_request& request,
                     const call_options& call);
// The Batch API and its files (impl/batch.hpp), on the same engine.
template <class Unused = void>
file_object run_upload_file(const client_options& options, send_function send,
                            const file_upload& upload, const call_options& call);
template <class Unused = void>
file_list run_files(const client_options& options, send_function send, const file_query& query,
                    const call_options& call);
template <class Unused = void>
file_object run_file(const client_options& options, send_function send, std::string_view id,
                     const call_options& call);
template <class Unused = void>
file_deleted run_delete_file(const client_options& options, send_function send, std::string_view id,
                             const call_options& call);
template <class Unused = void>
void run_file_content(const client_options& options, send_function send, std::string_view id,
                      function_ref<bool(std::string_view)> on_bytes, const call_options& call);
template <class Unused = void>
batch_job run_create_batch_job(const client_options& options, send_function send,
                               const batch_job_request& job, const call_options& call);
template <class Unused = void>
batch_job run_batch_job(const client_options& options, send_function send, std::string_view id,
                        const call_options& call);
template <class Unused = void>
batch_job_list run_batch_jobs(const client_options& options, send_function send,
                              const batch_job_query& query, const call_options& call);
template <class Unused = void>
batch_job run_batch_cancel(const client_options& options, send_function send, std::string_view id,
                           const call_options& call);
template <class Unused = void>
batch_job run_batch_submit(const client_options& options, send_function send,
                           std::span<const batch_request> items, const batch_options& batch,
                           const call_options& call);
template <class Unused = void>
batch_job run_batch_wait(const client_options& options, send_function send, std::string_view id,
                         const batch_wait_options& wait, const call_options& call);
template <class Unused = void>
void run_batch_results(const client_options& options, send_function send, const batch_job& job,
                       function_ref<bool(const batch_result&)> on_result, const call_options& call);
#ifdef MISTRAL_SEPARATE_COMPILATION
extern template file_object run_upload_file<>(const client_options&, send_function,
                                              const file_upload&, const call_options&);
extern template file_list run_files<>(const client_options&, send_function, const file_query&,
                                      const call_options&);
extern template file_object run_file<>(const client_options&, send_function, std::string_view,
                                       const call_options&);
extern template file_deleted run_delete_file<>(const client_options&, send_function,
                                               std::string_view, const call_options&);
extern template void run_file_content<>(const client_options&, send_function, std::string_view,
                                        function_ref<bool(std::string_view)>, const call_options&);
extern template batch_job run_create_batch_job<>(const client_options&, send_function,
                                                 const batch_job_request&, const call_options&);
extern template batch_job run_batch_job<>(const client_options&, send_function, std::string_view,
                                          const call_options&);
extern template batch_job_list run_batch_jobs<>(const client_options&, send_function,
                                                const batch_job_query&, const call_options&);
extern template batch_job run_batch_cancel<>(const client_options&, send_function, std::string_view,
                                             const call_options&);
extern template batch_job run_batch_submit<>(const client_options&, send_function,
                                             std::span<const batch_request>, const batch_options&,
                                             const call_options&);
extern template batch_job run_batch_wait<>(const client_options&, send_function, std::string_view,
                                           const batch_wait_options&, const call_options&);
extern template void run_batch_results<>(const client_options&, send_function, const batch_job&,
                                         function_ref<bool(const batch_result&)>,
                                         const call_options&);
extern template chat_response run_fim<>(const client_options&, send_function, const fim_request&,
                                        const call_options&);
extern template chat_response run_fim_stream<>(const client_options&, send_function,
                                               const fim_request&, chunk_function,
                                               const call_options&);
extern template moderation_response run_moderations<>(const client_options&, send_function,
                                                      const moderation_request&,
                                                      const call_options&);
extern template moderation_response run_chat_moderations<>(const client_options&, send_function,
                                                           const chat_moderation_request&,
                                                           const call_options&);
extern template ocr_response run_ocr<>(const client_options&, send_function, const ocr_request&,
                                       const call_options&);
extern template embedding_response run_embeddings<>(const client_options&, send_function,
                                                    const embedding_request&, const call_options&);
extern template model_list run_models<>(const client_options&, send_function, const call_options&);
extern template model_card run_model<>(const client_options&, send_function, std::string_view,
                                       const call_options&);
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
/// Every call does its work on the calling thread, but the *_async() calls, which start one
/// thread per call, open_stream() over a push-only transport (one helper thread per
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
        auto forward = chunk_adapter(on_chunk);
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

    /// Fill-in-the-middle (`POST /v1/fim/completions`, Codestral): the model writes what goes
    /// between `request.prompt` and `request.suffix`; the completion is
    /// `response.choices[0].message.text()`. Retries, timeouts, cancellation, errors and usage
    /// counting as chat(). Throws usage_error before anything is sent for an empty model or
    /// "stream": true; else like chat().
    chat_response fim(const fim_request& request, const call_options& call = {});

    /// fim() streamed, with stream()'s callback rules, errors and partial responses (a cut FIM
    /// stream is not resumed: call_options::max_resumes applies to chat only).
    template <class OnChunk>
    chat_response fim_stream(const fim_request& request, OnChunk&& on_chunk,
                             const call_options& call = {}) {
        auto forward = chunk_adapter(on_chunk);
        return fim_stream_chunks(request, forward, call);
    }

    /// fim() on a thread of its own, like chat_async().
    std::future<chat_response> fim_async(fim_request request, call_options call = {});

    /// Embeds texts (`POST /v1/embeddings`): one vector per text of `request.input`, in
    /// `data[i].embedding`, with the same retries, timeouts, cancellation, typed errors and usage
    /// counting as chat(). Throws usage_error before anything is sent for an empty model or
    /// input, or an `encoding_format` other than "float"; else like chat().
    embedding_response embeddings(const embedding_request& request, const call_options& call = {});

    /// embeddings() on a thread of its own, like chat_async().
    std::future<embedding_response> embeddings_async(embedding_request request,
                                                     call_options call = {});

    /// Every model the API key may use (`GET /v1/models`), with what each can do
    /// (`capabilities`), its context length and its deprecation. Throws like chat().
    model_list models(const call_options& call = {});

    /// One model (`GET /v1/models/{id}`; the id is percent-encoded into the path). An unknown id
    /// is an api_error with status 404. Throws like chat().
    model_card model(std::string_view id, const call_options& call = {});

    /// Classifies texts against the moderation categories (`POST /v1/moderations`):
    /// `results[i]` judges `request.input[i]`. Throws usage_error before anything is sent for an
    /// empty model or input; else like chat().
    moderation_response moderations(const moderation_request& request,
                                    const call_options& call = {});

    /// moderations() on a thread of its own, like chat_async().
    std::future<moderation_response> moderations_async(moderation_request request,
                                                       call_options call = {});

    /// Moderates a conversation (`POST /v1/chat/moderations`): one result, for its last message
    /// in the context of the others (an assistant's reply may be last). Throws like
    /// moderations().
    moderation_response chat_moderations(const chat_moderation_request& request,
                                         const call_options& call = {});

    /// chat_moderations() on a thread of its own, like chat_async().
    std::future<moderation_response> chat_moderations_async(chat_moderation_request request,
                                                            call_options call = {});

    /// Reads a document or an image (`POST /v1/ocr`): `response.pages[i].markdown`, with each
    /// page's images, tables and size. Throws usage_error before anything is sent for an empty
    /// model or a document without URL or id; else like chat(). Its HTTP requests count under
    /// its model in usage(), with no tokens (the answer counts pages). A large PDF read with
    /// include_image_base64 may need a larger client_options::max_response_size.
    ocr_response ocr(const ocr_request& request, const call_options& call = {});

    /// ocr() on a thread of its own, like chat_async().
    std::future<ocr_response> ocr_async(ocr_request request, call_options call = {});

    /// Uploads a file (`POST /v1/files`, multipart/form-data), e.g. a batch job's input
    /// (purpose "batch", the default). Throws usage_error before anything is sent for an empty
    /// name or content, or a name with a quote or a control character; else like chat().
    file_object upload_file(const file_upload& upload, const call_options& call = {});

    /// The files uploaded (`GET /v1/files`), a page at a time. Throws like chat().
    file_list files(const file_query& query = {}, const call_options& call = {});

    /// One file's description (`GET /v1/files/{id}`). Throws like chat() (404: no such file).
    file_object file(std::string_view id, const call_options& call = {});

    /// Deletes a file (`DELETE /v1/files/{id}`). Throws like chat().
    file_deleted delete_file(std::string_view id, const call_options& call = {});

    /// A file's content (`GET /v1/files/{id}/content`), handed to `on_bytes(std::string_view)`
    /// piece by piece as it arrives, never held whole: `on_bytes` returns void, or bool (false
    /// stops the download). Retried as chat() until the first byte reached `on_bytes`; a
    /// download cut after that throws transport_error, what arrived having been delivered.
    template <class OnBytes>
    void file_content(std::string_view id, OnBytes&& on_bytes, const call_options& call = {}) {
        auto forward = bool_result<std::string_view>(on_bytes);
        file_content_bytes(id, forward, call);
    }

    /// Creates a batch job (`POST /v1/batch/jobs`) from uploaded files or from at most 10,000
    /// requests inline. Throws usage_error before anything is sent when the API's limits are not
    /// met (neither or both of input_files and requests, more than 10,000 requests,
    /// timeout_hours outside 1 to 168, an empty endpoint, metadata too long), or when a request
    /// has no model (and the job none) or asks to be streamed; else like chat(), but retried only
    /// when the server cannot have acted on it (a refused connection, a 429): a job created twice
    /// runs, and is billed, twice.
    mistral::batch_job create_batch_job(const batch_job_request& job,
                                        const call_options& call = {});

    /// Uploads the requests as a JSONL file (purpose "batch") and creates a job that runs them
    /// (two HTTP requests): any number of requests, at half the price, outside the rate limits;
    /// the results come once the whole job has run (batch_wait(), batch_results()). A request
    /// without a model takes `options.model`. Throws usage_error before anything is sent for no
    /// requests, a custom_id given twice, or what create_batch_job() refuses; else like chat().
    mistral::batch_job batch_submit(std::span<const batch_request> requests,
                                    const batch_options& options = {},
                                    const call_options& call = {});

    /// A batch job's progress and files (`GET /v1/batch/jobs/{id}`). Throws like chat().
    mistral::batch_job batch_job(std::string_view id, const call_options& call = {});

    /// The batch jobs (`GET /v1/batch/jobs`), a page at a time, filtered. Throws like chat().
    batch_job_list batch_jobs(const batch_job_query& query = {}, const call_options& call = {});

    /// Polls a job every `wait.poll_interval` until its status is final (is_final_batch_status())
    /// and returns it. Throws transport_error (timeout) once `wait.timeout` would pass, and
    /// transport_error (cancelled) when call.stop is requested, promptly, even between polls.
    mistral::batch_job batch_wait(std::string_view id, const batch_wait_options& wait = {},
                                  const call_options& call = {});

    /// Asks the API to stop a job (`POST /v1/batch/jobs/{id}/cancel`): its status becomes
    /// CANCELLATION_REQUESTED, then CANCELLED. Throws like chat().
    mistral::batch_job batch_cancel(std::string_view id, const call_options& call = {});

    /// The results of a job whose status is final: its output file, then its error file,
    /// downloaded and decoded line by line (never held whole), each line handed to
    /// `on_result(const batch_result&)` (returning void, or bool: false stops). Throws
    /// usage_error for a job without results yet, protocol_error naming the file and the line
    /// for a line that is not a result, else like file_content().
    template <class OnResult>
    void batch_results(const mistral::batch_job& job, OnResult&& on_result,
                       const call_options& call = {}) {
        auto forward = bool_result<const batch_result&>(on_result);
        batch_results_of(job, forward, call);
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
    // A stream callback returning void or bool, as the engine's function_ref takes it.
    template <class OnChunk>
    static auto chunk_adapter(OnChunk& on_chunk) {
        static_assert(std::is_invocable_v<OnChunk&, const chat_chunk&>,
                      "the stream callback must be callable with const mistral::chat_chunk&");
        static_assert(std::is_void_v<std::invoke_result_t<OnChunk&, const chat_chunk&>> ||
                          std::is_same_v<std::invoke_result_t<OnChunk&, const chat_chunk&>, bool>,
                      "the stream callback must return void or bool (false stops the stream)");
        return bool_result<const chat_chunk&>(on_chunk);
    }
    // A callback returning void or bool, as a detail::function_ref<bool(Arg)> takes it (void: go
    // on).
    template <class Arg, class F>
    static auto bool_result(F& f) {
        static_assert(std::is_invocable_v<F&, Arg>, "the callback must be callable with its value");
        using result = std::invoke_result_t<F&, Arg>;
        static_assert(std::is_void_v<result> || std::is_same_v<result, bool>,
                      "the callback must return void or bool (false stops)");
        return [&f](Arg value) -> bool {
            if constexpr (std::is_same_v<result, bool>) {
                return std::invoke(f, value);
            } else {
                std::invoke(f, value);
                return true;
            }
        };
    }
    void file_content_bytes(std::string_view id,
                            detail::function_ref<bool(std::string_view)> on_bytes,
                            const call_options& call);
    void batch_results_of(const mistral::batch_job& job,
                          detail::function_ref<bool(const batch_result&)> on_result,
                          const call_options& call);
    // A call on a thread of its own: what every *_async() does.
    template <class Request, class Call>
    auto start_async(Request request, call_options call, Call member) {
        return std::async(std::launch::async,
                          [this, member, request = std::move(request), call = std::move(call)] {
                              return (this->*member)(request, call);
                          });
    }
    chat_response fim_stream_chunks(const fim_request& request, detail::chunk_function on_chunk,
                                    const call_options& call);
    // stream() once its callback is a function_ref: what a caller's translation unit compiles of
    // stream() is the callback's adapter; the rest is compiled once per transport.
    chat_response stream_chunks(const chat_request& request, detail::chunk_function on_chunk,
                                const call_options& call);
    // The transport's send(), counting each HTTP request of the call (every retry) by model.
    auto counting_send(const std::string& model);
    // Adds the usage of a call to the client's counts: its response's, or what a failed stream
    // delivered before it failed.
    template <class Call>
    chat_response counted(const std::string& model, Call&& call);

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
auto basic_client<Transport>::counting_send(const std::string& model) {
    return [this, &model](const http_request& r, response_handler& h) {
        usage_->add_request(model);
        transport_.send(r, h);
    };
}

template <transport Transport>
template <class Call>
chat_response basic_client<Transport>::counted(const std::string& model, Call&& call) {
    try {
        chat_response r = call();
        usage_->add(model, r.usage);
        return r;
    } catch (const error& e) {
        if (const chat_response* partial = e.partial_response()) usage_->add(model, partial->usage);
        throw;
    }
}

template <transport Transport>
chat_response basic_client<Transport>::chat(const chat_request& request, const call_options& call) {
    auto send = counting_send(request.model);
    return counted(request.model, [&] { return detail::run_chat(options_, send, request, call); });
}

template <transport Transport>
chat_response basic_client<Transport>::stream_chunks(const chat_request& request,
                                                     detail::chunk_function on_chunk,
                                                     const call_options& call) {
    auto send = counting_send(request.model);
    return counted(request.model,
                   [&] { return detail::run_stream(options_, send, request, on_chunk, call); });
}

template <transport Transport>
chat_response basic_client<Transport>::fim(const fim_request& request, const call_options& call) {
    auto send = counting_send(request.model);
    return counted(request.model, [&] { return detail::run_fim(options_, send, request, call); });
}

template <transport Transport>
chat_response basic_client<Transport>::fim_stream_chunks(const fim_request& request,
                                                         detail::chunk_function on_chunk,
                                                         const call_options& call) {
    auto send = counting_send(request.model);
    return counted(request.model,
                   [&] { return detail::run_fim_stream(options_, send, request, on_chunk, call); });
}

template <transport Transport>
std::future<chat_response> basic_client<Transport>::fim_async(fim_request request,
                                                              call_options call) {
    return start_async(std::move(request), std::move(call), &basic_client::fim);
}

template <transport Transport>
embedding_response basic_client<Transport>::embeddings(const embedding_request& request,
                                                       const call_options& call) {
    auto send = counting_send(request.model);
    embedding_response r = detail::run_embeddings(options_, send, request, call);
    usage_->add(request.model, r.usage);
    return r;
}

template <transport Transport>
std::future<embedding_response> basic_client<Transport>::embeddings_async(embedding_request request,
                                                                          call_options call) {
    return start_async(std::move(request), std::move(call), &basic_client::embeddings);
}

template <transport Transport>
model_list basic_client<Transport>::models(const call_options& call) {
    const std::string none;  // the list and a card name no model of a request: counted in total
    auto send = counting_send(none);
    return detail::run_models(options_, send, call);
}

template <transport Transport>
model_card basic_client<Transport>::model(std::string_view id, const call_options& call) {
    const std::string none;
    auto send = counting_send(none);
    return detail::run_model(options_, send, id, call);
}

template <transport Transport>
moderation_response basic_client<Transport>::moderations(const moderation_request& request,
                                                         const call_options& call) {
    auto send = counting_send(request.model);
    return detail::run_moderations(options_, send, request, call);
}

template <transport Transport>
std::future<moderation_response> basic_client<Transport>::moderations_async(
    moderation_request request, call_options call) {
    return start_async(std::move(request), std::move(call), &basic_client::moderations);
}

template <transport Transport>
moderation_response basic_client<Transport>::chat_moderations(
    const chat_moderation_request& request, const call_options& call) {
    auto send = counting_send(request.model);
    return detail::run_chat_moderations(options_, send, request, call);
}

template <transport Transport>
std::future<moderation_response> basic_client<Transport>::chat_moderations_async(
    chat_moderation_request request, call_options call) {
    return start_async(std::move(request), std::move(call), &basic_client::chat_moderations);
}

template <transport Transport>
ocr_response basic_client<Transport>::ocr(const ocr_request& request, const call_options& call) {
    auto send = counting_send(request.model);
    return detail::run_ocr(options_, send, request, call);
}

template <transport Transport>
std::future<ocr_response> basic_client<Transport>::ocr_async(ocr_request request,
                                                             call_options call) {
    return start_async(std::move(request), std::move(call), &basic_client::ocr);
}

template <transport Transport>
file_object basic_client<Transport>::upload_file(const file_upload& upload,
                                                 const call_options& call) {
    const std::string none;  // the Batch API's calls name no model: counted in total
    auto send = counting_send(none);
    return detail::run_upload_file(options_, send, upload, call);
}

template <transport Transport>
file_list basic_client<Transport>::files(const file_query& query, const call_options& call) {
    const std::string none;
    auto send = counting_send(none);
    return detail::run_files(options_, send, query, call);
}

template <transport Transport>
file_object basic_client<Transport>::file(std::string_view id, const call_options& call) {
    const std::string none;
    auto send = counting_send(none);
    return detail::run_file(options_, send, id, call);
}

template <transport Transport>
file_deleted basic_client<Transport>::delete_file(std::string_view id, const call_options& call) {
    const std::string none;
    auto send = counting_send(none);
    return detail::run_delete_file(options_, send, id, call);
}

template <transport Transport>
void basic_client<Transport>::file_content_bytes(
    std::string_view id, detail::function_ref<bool(std::string_view)> on_bytes,
    const call_options& call) {
    const std::string none;
    auto send = counting_send(none);
    detail::run_file_content(options_, send, id, on_bytes, call);
}

template <transport Transport>
batch_job basic_client<Transport>::create_batch_job(const batch_job_request& job,
                                                    const call_options& call) {
    const std::string none;
    auto send = counting_send(none);
    return detail::run_create_batch_job(options_, send, job, call);
}

template <transport Transport>
batch_job basic_client<Transport>::batch_submit(std::span<const batch_request> requests,
                                                const batch_options& options,
                                                const call_options& call) {
    const std::string none;
    auto send = counting_send(none);
    return detail::run_batch_submit(options_, send, requests, options, call);
}

template <transport Transport>
batch_job basic_client<Transport>::batch_job(std::string_view id, const call_options& call) {
    const std::string none;
    auto send = counting_send(none);
    return detail::run_batch_job(options_, send, id, call);
}

template <transport Transport>
batch_job_list basic_client<Transport>::batch_jobs(const batch_job_query& query,
                                                   const call_options& call) {
    const std::string none;
    auto send = counting_send(none);
    return detail::run_batch_jobs(options_, send, query, call);
}

template <transport Transport>
batch_job basic_client<Transport>::batch_wait(std::string_view id, const batch_wait_options& wait,
                                              const call_options& call) {
    const std::string none;
    auto send = counting_send(none);
    return detail::run_batch_wait(options_, send, id, wait, call);
}

template <transport Transport>
batch_job basic_client<Transport>::batch_cancel(std::string_view id, const call_options& call) {
    const std::string none;
    auto send = counting_send(none);
    return detail::run_batch_cancel(options_, send, id, call);
}

template <transport Transport>
void basic_client<Transport>::batch_results_of(
    const mistral::batch_job& job, detail::function_ref<bool(const batch_result&)> on_result,
    const call_options& call) {
    const std::string none;
    auto send = counting_send(none);
    detail::run_batch_results(options_, send, job, on_result, call);
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
    return start_async(std::move(request), std::move(call), &basic_client::chat);
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
#define MISTRAL_ANY_TRANSPORT_CLIENT_MEMBERS(EXTERN)                                               \
    EXTERN template basic_client<any_transport>::basic_client(client_options, any_transport);      \
    EXTERN template chat_response basic_client<any_transport>::chat(const chat_request&,           \
                                                                    const call_options&);          \
    EXTERN template chat_response basic_client<any_transport>::stream_chunks(                      \
        const chat_request&, detail::chunk_function, const call_options&);                         \
    EXTERN template chat_stream basic_client<any_transport>::open_stream(const chat_request&,      \
                                                                         const call_options&);     \
    EXTERN template std::future<chat_response> basic_client<any_transport>::chat_async(            \
        chat_request, call_options);                                                               \
    EXTERN template chat_response basic_client<any_transport>::run_tools(                          \
        chat_request&, const toolbox&, const tool_loop_options&, const call_options&);             \
    EXTERN template embedding_response basic_client<any_transport>::embeddings(                    \
        const embedding_request&, const call_options&);                                            \
    EXTERN template std::future<embedding_response> basic_client<any_transport>::embeddings_async( \
        embedding_request, call_options);                                                          \
    EXTERN template model_list basic_client<any_transport>::models(const call_options&);           \
    EXTERN template chat_response basic_client<any_transport>::fim(const fim_request&,             \
                                                                   const call_options&);           \
    EXTERN template chat_response basic_client<any_transport>::fim_stream_chunks(                  \
        const fim_request&, detail::chunk_function, const call_options&);                          \
    EXTERN template std::future<chat_response> basic_client<any_transport>::fim_async(             \
        fim_request, call_options);                                                                \
    EXTERN template moderation_response basic_client<any_transport>::moderations(                  \
        const moderation_request&, const call_options&);                                           \
    EXTERN template std::future<moderation_response>                                               \
        basic_client<any_transport>::moderations_async(moderation_request, call_options);          \
    EXTERN template moderation_response basic_client<any_transport>::chat_moderations(             \
        const chat_moderation_request&, const call_options&);                                      \
    EXTERN template std::future<moderation_response>                                               \
        basic_client<any_transport>::chat_moderations_async(chat_moderation_request,               \
                                                            call_options);                         \
    EXTERN template ocr_response basic_client<any_transport>::ocr(const ocr_request&,              \
                                                                  const call_options&);            \
    EXTERN template std::future<ocr_response> basic_client<any_transport>::ocr_async(              \
        ocr_request, call_options);                                                                \
    EXTERN template model_card basic_client<any_transport>::model(std::string_view,                \
                                                                  const call_options&);            \
    EXTERN template file_object basic_client<any_transport>::upload_file(const file_upload&,       \
                                                                         const call_options&);     \
    EXTERN template file_list basic_client<any_transport>::files(const file_query&,                \
                                                                 const call_options&);             \
    EXTERN template file_object basic_client<any_transport>::file(std::string_view,                \
                                                                  const call_options&);            \
    EXTERN template file_deleted basic_client<any_transport>::delete_file(std::string_view,        \
                                                                          const call_options&);    \
    EXTERN template void basic_client<any_transport>::file_content_bytes(                          \
        std::string_view, detail::function_ref<bool(std::string_view)>, const call_options&);      \
    EXTERN template batch_job basic_client<any_transport>::create_batch_job(                       \
        const batch_job_request&, const call_options&);                                            \
    EXTERN template batch_job basic_client<any_transport>::batch_submit(                           \
        std::span<const batch_request>, const batch_options&, const call_options&);                \
    EXTERN template batch_job basic_client<any_transport>::batch_job(std::string_view,             \
                                                                     const call_options&);         \
    EXTERN template batch_job_list basic_client<any_transport>::batch_jobs(const batch_job_query&, \
                                                                           const call_options&);   \
    EXTERN template batch_job basic_client<any_transport>::batch_wait(                             \
        std::string_view, const batch_wait_options&, const call_options&);                         \
    EXTERN template batch_job basic_client<any_transport>::batch_cancel(std::string_view,          \
                                                                        const call_options&);      \
    EXTERN template void basic_client<any_transport>::batch_results_of(                            \
        const mistral::batch_job&, detail::function_ref<bool(const batch_result&)>,                \
        const call_options&);                                                                      \
    EXTERN template usage_totals basic_client<any_transport>::usage() const;
#ifdef MISTRAL_SEPARATE_COMPILATION
MISTRAL_ANY_TRANSPORT_CLIENT_MEMBERS(extern)
#endif

MISTRAL_NAMESPACE_END

#ifndef MISTRAL_SEPARATE_COMPILATION
#include "impl/batch.hpp"
#include "impl/client_engine.hpp"
#include "impl/endpoints.hpp"
#endif
