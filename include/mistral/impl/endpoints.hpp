// mistral/impl/endpoints.hpp: the endpoints beside chat completions (endpoints.hpp) on the
// blocking client's engine: each checks its request, prepares it as chat's is prepared (the same
// key, URL and header rules), and reads the answer with its type's codec. Templates only so that
// a translation unit compiles them when it calls them; with MISTRAL_SEPARATE_COMPILATION, only
// src.hpp's does.
// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

#include "../client.hpp"
#include "../detail/ascii.hpp"
#include "../detail/config.hpp"
#include "../endpoints.hpp"
#include "../error.hpp"
#include "client_engine.hpp"
#include "exchange.hpp"

MISTRAL_NAMESPACE_BEGIN
namespace detail {

// A request with a list of inputs: an empty one is refused before anything is sent.
template <class Request>
void check_inputs(const client_options& options, const Request& request) {
    check_key_and_model(options, request.model);
    if (request.input.empty()) throw usage_error("cannot send the request: input is empty");
}

// A checked request as JSON, POSTed to `path`.
template <class Request>
prepared_call post_json(const client_options& options, const call_options& call, const char* path,
                        const Request& request) {
    prepared_call prepared = prepare_http(options, call, "POST", path, false);
    prepared.http.body = sendable_json(request);
    return prepared;
}

// A FIM request as chat's is prepared: the plain form or the streamed one. (Templates, as
// every function here, so that a translation unit that does not call an endpoint compiles none
// of its codec.)
template <class Unused = void>
prepared_call prepare_fim(const client_options& options, const fim_request& request,
                          const call_options& call, bool streaming) {
    check_key_and_model(options, request.model);
    if (!streaming && request.stream.value_or(false)) {
        throw usage_error(
            "fim() sends non-streaming requests; use fim_stream() for \"stream\": true");
    }
    prepared_call out = prepare_http(options, call, "POST", "/v1/fim/completions", streaming);
    out.http.body = completion_body(options, request, streaming);
    return out;
}

// Each endpoint's request, checked (a usage_error before anything is sent) and prepared: the
// same for the blocking client and the Asio client.
template <class Unused = void>
prepared_call prepare_endpoint(const client_options& options, const fim_request& request,
                               const call_options& call) {
    return prepare_fim<Unused>(options, request, call, false);
}

template <class Unused = void>
prepared_call prepare_endpoint(const client_options& options, const embedding_request& request,
                               const call_options& call) {
    check_inputs(options, request);
    if (request.encoding_format && *request.encoding_format != "float") {
        throw usage_error("encoding_format \"" + *request.encoding_format +
                          "\": this client reads the vectors as numbers (\"float\")");
    }
    return post_json(options, call, "/v1/embeddings", request);
}

template <class Unused = void>
prepared_call prepare_endpoint(const client_options& options, const model_list_query&,
                               const call_options& call) {
    check_api_key(options);
    return prepare_http(options, call, "GET", "/v1/models", false);
}

template <class Unused = void>
prepared_call prepare_endpoint(const client_options& options, const model_query& query,
                               const call_options& call) {
    check_api_key(options);
    // Percent-encoded, an id cannot add a segment or a query; "." and ".." would still name
    // another path once a server or a proxy normalizes it.
    if (query.id.empty() || query.id == "." || query.id == "..") {
        throw usage_error("cannot ask for a model: the id \"" + query.id + "\" is not a model id");
    }
    return prepare_http(options, call, "GET", "/v1/models/" + percent_encode(query.id), false);
}

template <class Unused = void>
prepared_call prepare_endpoint(const client_options& options, const moderation_request& request,
                               const call_options& call) {
    check_inputs(options, request);
    return post_json(options, call, "/v1/moderations", request);
}

template <class Unused = void>
prepared_call prepare_endpoint(const client_options& options,
                               const chat_moderation_request& request, const call_options& call) {
    // No check_history: judging an assistant's last reply is what this endpoint is for.
    check_inputs(options, request);
    return post_json(options, call, "/v1/chat/moderations", request);
}

template <class Unused = void>
prepared_call prepare_endpoint(const client_options& options, const ocr_request& request,
                               const call_options& call) {
    check_key_and_model(options, request.model);
    const bool no_document = std::visit(
        [](const auto& d) {
            using D = std::decay_t<decltype(d)>;
            if constexpr (std::is_same_v<D, document_url_chunk>) return d.document_url.empty();
            if constexpr (std::is_same_v<D, file_chunk>) return d.file_id.empty();
            if constexpr (std::is_same_v<D, image_url_chunk>) {
                const auto* url = std::get_if<std::string>(&d.image_url);
                return url != nullptr ? url->empty() : std::get<image_url>(d.image_url).url.empty();
            }
        },
        request.document);
    if (no_document) throw usage_error("cannot send the request: the document has no URL or id");
    return post_json(options, call, "/v1/ocr", request);
}

template <class Unused = void>
prepared_call prepare_endpoint(const client_options& options, const endpoint_call& request,
                               const call_options& call) {
    return std::visit([&](const auto& r) { return prepare_endpoint<Unused>(options, r, call); },
                      request);
}

// The model a call's requests and usage count under: none for the models' list and cards.
template <class Unused = void>
std::string model_of(const endpoint_call& request) {
    return std::visit(
        [](const auto& r) -> std::string {
            if constexpr (requires { r.model; }) {
                return r.model;
            } else {
                return {};
            }
        },
        request);
}

// An endpoint's answer as its type. data[i] of embeddings embeds input[i], whatever order the
// server listed them in.
template <class Response>
Response endpoint_reply(json_reply&& reply) {
    Response r = read_reply<Response>(std::move(reply));
    if constexpr (std::is_same_v<Response, embedding_response>) {
        std::stable_sort(
            r.data.begin(), r.data.end(),
            [](const embedding_data& a, const embedding_data& b) { return a.index < b.index; });
    }
    return r;
}

template <class Response, class Unused, class Request>
Response run_endpoint(const client_options& options, send_function send, const Request& request,
                      const call_options& call) {
    return endpoint_reply<Response>(client_engine<Unused>::call_json(
        options, send, prepare_endpoint<Unused>(options, request, call), call));
}

template <class Unused>
chat_response run_fim(const client_options& options, send_function send, const fim_request& request,
                      const call_options& call) {
    return run_endpoint<chat_response, Unused>(options, send, request, call);
}

template <class Unused>
chat_response run_fim_stream(const client_options& options, send_function send,
                             const fim_request& request, chunk_function on_chunk,
                             const call_options& call) {
    return client_engine<Unused>::stream_call(
        options, send, prepare_fim<Unused>(options, request, call, true), on_chunk, call);
}

template <class Unused>
embedding_response run_embeddings(const client_options& options, send_function send,
                                  const embedding_request& request, const call_options& call) {
    return run_endpoint<embedding_response, Unused>(options, send, request, call);
}

template <class Unused>
model_list run_models(const client_options& options, send_function send, const call_options& call) {
    return run_endpoint<model_list, Unused>(options, send, model_list_query{}, call);
}

template <class Unused>
model_card run_model(const client_options& options, send_function send, std::string_view id,
                     const call_options& call) {
    return run_endpoint<model_card, Unused>(options, send, model_query{std::string(id)}, call);
}

template <class Unused>
moderation_response run_moderations(const client_options& options, send_function send,
                                    const moderation_request& request, const call_options& call) {
    return run_endpoint<moderation_response, Unused>(options, send, request, call);
}

template <class Unused>
moderation_response run_chat_moderations(const client_options& options, send_function send,
                                         const chat_moderation_request& request,
                                         const call_options& call) {
    return run_endpoint<moderation_response, Unused>(options, send, request, call);
}

template <class Unused>
ocr_response run_ocr(const client_options& options, send_function send, const ocr_request& request,
                     const call_options& call) {
    return run_endpoint<ocr_response, Unused>(options, send, request, call);
}

}  // namespace detail
MISTRAL_NAMESPACE_END
