// mistral/endpoints.hpp: the value types of the endpoints beside chat completions: embeddings
// (POST /v1/embeddings) and the models (GET /v1/models, GET /v1/models/{id}), with their field
// tables. Same rules as types.hpp: members in the order the official specification lists them
// (required ones first), unknown members kept in `extra` and written back, open enums as strings.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "detail/config.hpp"
#include "http.hpp"
#include "json.hpp"
#include "types.hpp"

MISTRAL_NAMESPACE_BEGIN

/// A request to embed texts (`POST /v1/embeddings`).
struct embedding_request {
    std::string model{};               ///< e.g. "mistral-embed" (required)
    std::vector<std::string> input{};  ///< the texts to embed, one vector each (required)
    /// Anything of your own, kept with the request.
    std::optional<boost::json::object> metadata{};
    std::optional<std::int64_t> output_dimension{};  ///< the vectors' length, where the model can
    /// The vectors' element type, an open set: "float" (the default), "int8", "uint8", "binary",
    /// "ubinary" (the integer types arrive as whole numbers in the floats).
    std::optional<std::string> output_dtype{};
    /// "float" only: the vectors arrive as JSON numbers. ("base64" is refused before anything is
    /// sent: this client reads numbers.)
    std::optional<std::string> encoding_format{};
    /// Members the library does not model: sent as they are.
    boost::json::object extra{};
    bool operator==(const embedding_request&) const = default;
};

/// One vector of an embedding_response.
struct embedding_data {
    std::optional<std::string> object{};  ///< "embedding"
    std::vector<float> embedding{};       ///< the vector
    std::int64_t index = 0;               ///< the position of its text in the request's input
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const embedding_data&) const = default;
};

/// The answer of `POST /v1/embeddings`.
struct embedding_response {
    std::string id{};                    ///< the request's id
    std::string object{};                ///< "list"
    std::string model{};                 ///< the model that answered
    usage_info usage{};                  ///< what the call cost (prompt tokens)
    std::vector<embedding_data> data{};  ///< one vector per input text: data[i] embeds input[i]
    response_metadata http{};            ///< status, headers, request id, rate limits
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const embedding_response&) const = default;
};

/// What a model can do (`capabilities` of a model card). Members the API adds later are in
/// `extra`.
struct model_capabilities {
    bool completion_chat = false;               ///< chat completions
    bool function_calling = false;              ///< tools
    bool reasoning = false;                     ///< thinking
    bool completion_fim = false;                ///< fill-in-the-middle
    bool fine_tuning = false;                   ///< can be fine-tuned
    bool vision = false;                        ///< images in messages
    bool ocr = false;                           ///< the OCR endpoint
    bool classification = false;                ///< classifiers
    bool moderation = false;                    ///< moderations
    bool audio = false;                         ///< audio in messages
    bool audio_transcription = false;           ///< transcriptions
    bool audio_transcription_realtime = false;  ///< realtime transcriptions
    bool audio_speech = false;                  ///< speech
    bool unified_resources = false;             ///< unified resources
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const model_capabilities&) const = default;
};

/// A model (`GET /v1/models/{id}`, and each entry of `GET /v1/models`): a base model
/// (`type` "base") or one of your fine-tuned models (`type` "fine-tuned", with `job`, `root`
/// and `archived`).
struct model_card {
    std::string id{};                          ///< what `model` of a request names
    model_capabilities capabilities{};         ///< what it can do
    std::optional<std::string> object{};       ///< "model"
    std::optional<std::int64_t> created{};     ///< Unix seconds
    std::optional<std::string> owned_by{};     ///< "mistralai", or your organization
    std::optional<std::string> name{};         ///< a display name
    std::optional<std::string> description{};  ///< what it is for
    std::optional<std::int64_t>
        max_context_length{};  ///< tokens it reads (the API: 32768 if unset)
    std::optional<std::vector<std::string>> aliases{};  ///< other ids of the same model
    std::optional<std::string> deprecation{};  ///< when it stops answering (ISO 8601), if it will
    std::optional<std::string> deprecation_replacement_model{};  ///< what to use instead
    std::optional<double> default_model_temperature{};           ///< its default temperature
    std::optional<bool> internal{};                              ///< internal to Mistral
    std::optional<std::string> type{};  ///< "base" or "fine-tuned" (an open set)
    std::optional<std::string> job{};   ///< fine-tuned: the job that made it
    std::optional<std::string> root{};  ///< fine-tuned: the model it was tuned from
    std::optional<bool> archived{};     ///< fine-tuned: archived
    response_metadata http{};           ///< of `model(id)`'s answer (empty in a model_list)
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const model_card&) const = default;
};

/// The answer of `GET /v1/models`: every model the key may use.
struct model_list {
    std::optional<std::string> object{};  ///< "list"
    std::vector<model_card> data{};       ///< the models
    response_metadata http{};             ///< status, headers, request id, rate limits
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const model_list&) const = default;
};

/// @cond internal
namespace detail {
// clang-format off
template <class V> constexpr bool fields(embedding_request*, V&& v) {
    using T = embedding_request;
    return v(field("model", &T::model, required)) || v(field("metadata", &T::metadata)) ||
           v(field("input", &T::input, required)) ||
           v(field("output_dimension", &T::output_dimension)) ||
           v(field("output_dtype", &T::output_dtype)) ||
           v(field("encoding_format", &T::encoding_format));
}
template <class V> constexpr bool fields(embedding_data*, V&& v) {
    using T = embedding_data;
    return v(field("object", &T::object)) || v(field("embedding", &T::embedding, required)) ||
           v(field("index", &T::index, required));
}
template <class V> constexpr bool fields(embedding_response*, V&& v) {
    using T = embedding_response;
    return v(field("id", &T::id, required)) || v(field("object", &T::object, required)) ||
           v(field("model", &T::model, required)) || v(field("usage", &T::usage, required)) ||
           v(field("data", &T::data, required));
}
template <class V> constexpr bool fields(model_capabilities*, V&& v) {
    using T = model_capabilities;
    return v(field("completion_chat", &T::completion_chat)) ||
           v(field("function_calling", &T::function_calling)) ||
           v(field("reasoning", &T::reasoning)) || v(field("completion_fim", &T::completion_fim)) ||
           v(field("fine_tuning", &T::fine_tuning)) || v(field("vision", &T::vision)) ||
           v(field("ocr", &T::ocr)) || v(field("classification", &T::classification)) ||
           v(field("moderation", &T::moderation)) || v(field("audio", &T::audio)) ||
           v(field("audio_transcription", &T::audio_transcription)) ||
           v(field("audio_transcription_realtime", &T::audio_transcription_realtime)) ||
           v(field("audio_speech", &T::audio_speech)) ||
           v(field("unified_resources", &T::unified_resources));
}
template <class V> constexpr bool fields(model_card*, V&& v) {
    using T = model_card;
    return v(field("id", &T::id, required)) || v(field("object", &T::object)) ||
           v(field("created", &T::created)) || v(field("owned_by", &T::owned_by)) ||
           v(field("capabilities", &T::capabilities, required)) || v(field("name", &T::name)) ||
           v(field("description", &T::description)) ||
           v(field("max_context_length", &T::max_context_length)) ||
           v(field("aliases", &T::aliases)) || v(field("deprecation", &T::deprecation)) ||
           v(field("deprecation_replacement_model", &T::deprecation_replacement_model)) ||
           v(field("default_model_temperature", &T::default_model_temperature)) ||
           v(field("internal", &T::internal)) || v(field("type", &T::type)) ||
           v(field("job", &T::job)) || v(field("root", &T::root)) ||
           v(field("archived", &T::archived));
}
template <class V> constexpr bool fields(model_list*, V&& v) {
    using T = model_list;
    return v(field("object", &T::object)) || v(field("data", &T::data));
}
// clang-format on
}  // namespace detail
/// @endcond

MISTRAL_NAMESPACE_END
