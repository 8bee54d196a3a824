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
#include <utility>

#include "../client.hpp"
#include "../detail/ascii.hpp"
#include "../detail/config.hpp"
#include "../endpoints.hpp"
#include "../error.hpp"
#include "client_engine.hpp"
#include "exchange.hpp"

MISTRAL_NAMESPACE_BEGIN
namespace detail {

template <class Unused>
embedding_response run_embeddings(const client_options& options, send_function send,
                                  const embedding_request& request, const call_options& call) {
    check_api_key(options);
    if (request.model.empty()) throw usage_error("cannot send the request: model is empty");
    if (request.input.empty()) throw usage_error("cannot send the request: input is empty");
    if (request.encoding_format && *request.encoding_format != "float") {
        throw usage_error("encoding_format \"" + *request.encoding_format +
                          "\": this client reads the vectors as numbers (\"float\")");
    }
    prepared_call prepared = prepare_http(options, call, "POST", "/v1/embeddings", false);
    prepared.http.body = sendable_json(request);
    auto r = read_reply<embedding_response>(
        client_engine<Unused>::call_json(options, send, std::move(prepared), call));
    // data[i] embeds input[i], whatever order the server listed them in.
    std::stable_sort(
        r.data.begin(), r.data.end(),
        [](const embedding_data& a, const embedding_data& b) { return a.index < b.index; });
    return r;
}

template <class Unused>
model_list run_models(const client_options& options, send_function send, const call_options& call) {
    check_api_key(options);
    return read_reply<model_list>(client_engine<Unused>::call_json(
        options, send, prepare_http(options, call, "GET", "/v1/models", false), call));
}

template <class Unused>
model_card run_model(const client_options& options, send_function send, std::string_view id,
                     const call_options& call) {
    check_api_key(options);
    // Percent-encoded, an id cannot add a segment or a query; "." and ".." would still name
    // another path once a server or a proxy normalizes it.
    if (id.empty() || id == "." || id == "..") {
        throw usage_error("cannot ask for a model: the id \"" + std::string(id) +
                          "\" is not a model id");
    }
    const std::string path = "/v1/models/" + percent_encode(id);
    return read_reply<model_card>(client_engine<Unused>::call_json(
        options, send, prepare_http(options, call, "GET", path, false), call));
}

}  // namespace detail
MISTRAL_NAMESPACE_END
