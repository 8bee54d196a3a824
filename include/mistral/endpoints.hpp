// mistral/endpoints.hpp: the value types of the endpoints beside chat completions:
// fill-in-the-middle (POST /v1/fim/completions), embeddings (POST /v1/embeddings), the models
// (GET /v1/models, GET /v1/models/{id}), moderations (POST /v1/moderations,
// POST /v1/chat/moderations) and OCR (POST /v1/ocr), with their field tables. Same rules as
// types.hpp: members in the order the official specification lists them (required ones first),
// unknown members kept in `extra` and written back, open enums as strings.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <boost/json/object.hpp>

#include "detail/config.hpp"
#include "http.hpp"
#include "json.hpp"
#include "types.hpp"

MISTRAL_NAMESPACE_BEGIN

/// A fill-in-the-middle request (`POST /v1/fim/completions`): the model writes what goes
/// between `prompt` and `suffix`. The answer has chat's shapes (chat_response, chat_chunk).
struct fim_request {
    std::string model{};                       ///< e.g. "codestral-latest" (required)
    std::string prompt{};                      ///< the text or code before the gap (required)
    std::optional<double> temperature{};       ///< sampling temperature (0 to 0.7 is useful)
    std::optional<double> top_p{};             ///< nucleus sampling: the probability mass kept
    std::optional<std::int64_t> max_tokens{};  ///< the most tokens the completion may have
    /// fim_stream() sends true whatever it holds; fim() refuses true.
    std::optional<bool> stream{};
    std::optional<stop_sequences> stop{};       ///< one stop sequence or several
    std::optional<std::int64_t> random_seed{};  ///< a seed, for repeatable sampling
    /// Your own key-value pairs, kept with the request.
    std::optional<boost::json::object> metadata{};
    std::optional<std::string> suffix{};            ///< the text or code after the gap
    std::optional<std::int64_t> min_tokens{};       ///< the fewest tokens the completion may have
    std::optional<std::string> prompt_cache_key{};  ///< groups requests sharing a prefix
    /// Members the library does not model: sent as they are.
    boost::json::object extra{};
    bool operator==(const fim_request&) const = default;
};

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

/// A request to classify texts against the moderation categories (`POST /v1/moderations`).
struct moderation_request {
    std::string model{};               ///< e.g. "mistral-moderation-latest" (required)
    std::vector<std::string> input{};  ///< the texts, one result each (required)
    /// Your own key-value pairs, kept with the request.
    std::optional<boost::json::object> metadata{};
    /// Members the library does not model: sent as they are.
    boost::json::object extra{};
    bool operator==(const moderation_request&) const = default;
};

/// A request to moderate a conversation (`POST /v1/chat/moderations`): its last message is
/// judged in the context of the ones before it.
struct chat_moderation_request {
    std::string model{};           ///< e.g. "mistral-moderation-latest" (required)
    std::vector<message> input{};  ///< the conversation (required)
    /// Members the library does not model: sent as they are.
    boost::json::object extra{};
    bool operator==(const chat_moderation_request&) const = default;
};

/// The verdict on one text (or one conversation) of a moderation request. The categories are
/// an open set ("sexual", "hate_and_discrimination", "violence_and_threats", "selfharm", "pii",
/// ...): look them up by name.
struct moderation_result {
    std::map<std::string, bool> categories{};         ///< whether each category applies
    std::map<std::string, double> category_scores{};  ///< each category's score, 0 to 1
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const moderation_result&) const = default;
};

/// The answer of `POST /v1/moderations` and `POST /v1/chat/moderations`.
struct moderation_response {
    std::string id{};                          ///< the request's id
    std::string model{};                       ///< the model that answered
    std::vector<moderation_result> results{};  ///< results[i] judges input[i] (one for a chat)
    response_metadata http{};                  ///< status, headers, request id, rate limits
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const moderation_response&) const = default;
};

/// What OCR reads (ocr_request::document): a document or an image by URL (an https URL or a
/// base64 data: URL), or a file uploaded to the API, by id.
using ocr_document = std::variant<document_url_chunk, image_url_chunk, file_chunk>;

/// A document by URL, for ocr_request::document: `document_url("https://example.com/a.pdf")`, or
/// `document_url("data:application/pdf;base64,...")`.
inline document_url_chunk document_url(std::string url) {
    return document_url_chunk{.document_url = std::move(url)};
}

/// A request to read a document (`POST /v1/ocr`): its pages as markdown, with their images and
/// tables.
struct ocr_request {
    std::string model{};      ///< e.g. "mistral-ocr-latest" (required)
    ocr_document document{};  ///< what to read (required)
    /// The pages to read, from 0 (all when unset). The API also takes a string of ranges
    /// ("0-5"), which this client does not send: list the pages.
    std::optional<std::vector<std::int64_t>> pages{};
    std::optional<bool> include_image_base64{};    ///< true: each image's bytes in the answer
    std::optional<std::int64_t> image_limit{};     ///< the most images to extract
    std::optional<std::int64_t> image_min_size{};  ///< the smallest image extracted (pixels)
    /// A JSON Schema for an annotation of each image (its bounding box).
    std::optional<response_format> bbox_annotation_format{};
    /// A JSON Schema for an annotation of the whole document.
    std::optional<response_format> document_annotation_format{};
    std::optional<std::string> document_annotation_prompt{};  ///< guides that annotation
    /// How tables are given: "markdown" or "html" (an open set); unset: inline in the markdown.
    std::optional<std::string> table_format{};
    std::optional<bool> extract_header{};  ///< true: each page's header apart from its markdown
    std::optional<bool> extract_footer{};  ///< true: each page's footer apart from its markdown
    /// Each page's layout blocks (the API sends them unless this is false).
    std::optional<bool> include_blocks{};
    /// "page", "block" or "word" (an open set): the confidence scores to return.
    std::optional<std::string> confidence_scores_granularity{};
    /// Members the library does not model: sent as they are.
    boost::json::object extra{};
    bool operator==(const ocr_request&) const = default;
};

/// An image found on a page, by its corners in pixels.
struct ocr_image {
    std::string id{};                               ///< how the page's markdown refers to it
    std::optional<std::int64_t> top_left_x{};       ///< its left edge
    std::optional<std::int64_t> top_left_y{};       ///< its top edge
    std::optional<std::int64_t> bottom_right_x{};   ///< its right edge
    std::optional<std::int64_t> bottom_right_y{};   ///< its bottom edge
    std::optional<std::string> image_base64{};      ///< its bytes (include_image_base64)
    std::optional<std::string> image_annotation{};  ///< per bbox_annotation_format
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const ocr_image&) const = default;
};

/// A table found on a page (with ocr_request::table_format).
struct ocr_table {
    std::string id{};       ///< how the page's markdown refers to it
    std::string content{};  ///< the table, in its format
    std::string format{};   ///< "markdown" or "html"
    /// Members the library does not model (word confidence scores): kept as received.
    boost::json::object extra{};
    bool operator==(const ocr_table&) const = default;
};

/// A page's size.
struct ocr_page_dimensions {
    std::int64_t dpi = 0;     ///< dots per inch
    std::int64_t height = 0;  ///< pixels
    std::int64_t width = 0;   ///< pixels
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const ocr_page_dimensions&) const = default;
};

/// One page read.
struct ocr_page {
    std::int64_t index = 0;                           ///< its number in the document, from 0
    std::string markdown{};                           ///< its text, as markdown
    std::vector<ocr_image> images{};                  ///< the images on it
    std::vector<ocr_table> tables{};                  ///< its tables (with table_format)
    std::vector<std::string> hyperlinks{};            ///< the links on it
    std::optional<std::string> header{};              ///< its header (extract_header)
    std::optional<std::string> footer{};              ///< its footer (extract_footer)
    std::optional<ocr_page_dimensions> dimensions{};  ///< its size
    /// Confidence scores (confidence_scores_granularity), as received.
    std::optional<boost::json::value> confidence_scores{};
    /// Layout blocks (include_blocks), as received.
    std::optional<boost::json::value> blocks{};
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const ocr_page&) const = default;
};

/// What an OCR call cost.
struct ocr_usage {
    std::int64_t pages_processed = 0;              ///< pages read
    std::optional<std::int64_t> doc_size_bytes{};  ///< the document's size
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const ocr_usage&) const = default;
};

/// The answer of `POST /v1/ocr`.
struct ocr_response {
    std::vector<ocr_page> pages{};                     ///< the pages read, in order
    std::string model{};                               ///< the model that read them
    std::optional<std::string> document_annotation{};  ///< per document_annotation_format
    ocr_usage usage_info{};                            ///< pages processed, document size
    response_metadata http{};                          ///< status, headers, request id, rate limits
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const ocr_response&) const = default;
};

/// @cond internal
namespace detail {
struct model_list_query {};  // GET /v1/models
struct model_query {         // GET /v1/models/{id}
    std::string id;
};
// A call of an endpoint beside chat's, as the Asio client hands it to its compiled part.
using endpoint_call = std::variant<fim_request, embedding_request, model_list_query, model_query,
                                   moderation_request, chat_moderation_request, ocr_request>;
// clang-format off
template <class V> constexpr bool fields(fim_request*, V&& v) {
    using T = fim_request;
    return v(field("model", &T::model, required)) || v(field("temperature", &T::temperature)) ||
           v(field("top_p", &T::top_p)) || v(field("max_tokens", &T::max_tokens)) ||
           v(field("stream", &T::stream)) || v(field("stop", &T::stop)) ||
           v(field("random_seed", &T::random_seed)) || v(field("metadata", &T::metadata)) ||
           v(field("prompt", &T::prompt, required)) || v(field("suffix", &T::suffix)) ||
           v(field("min_tokens", &T::min_tokens)) ||
           v(field("prompt_cache_key", &T::prompt_cache_key));
}
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
template <class V> constexpr bool fields(moderation_request*, V&& v) {
    using T = moderation_request;
    return v(field("model", &T::model, required)) || v(field("metadata", &T::metadata)) ||
           v(field("input", &T::input, required));
}
template <class V> constexpr bool fields(chat_moderation_request*, V&& v) {
    using T = chat_moderation_request;
    return v(field("input", &T::input, required)) || v(field("model", &T::model, required));
}
template <class V> constexpr bool fields(moderation_result*, V&& v) {
    using T = moderation_result;
    return v(field("categories", &T::categories)) ||
           v(field("category_scores", &T::category_scores));
}
template <class V> constexpr bool fields(moderation_response*, V&& v) {
    using T = moderation_response;
    return v(field("id", &T::id, required)) || v(field("model", &T::model, required)) ||
           v(field("results", &T::results, required));
}
template <class V> constexpr bool fields(ocr_request*, V&& v) {
    using T = ocr_request;
    return v(field("model", &T::model, required)) ||
           v(field("document", &T::document, required)) || v(field("pages", &T::pages)) ||
           v(field("include_image_base64", &T::include_image_base64)) ||
           v(field("image_limit", &T::image_limit)) ||
           v(field("image_min_size", &T::image_min_size)) ||
           v(field("bbox_annotation_format", &T::bbox_annotation_format)) ||
           v(field("document_annotation_format", &T::document_annotation_format)) ||
           v(field("document_annotation_prompt", &T::document_annotation_prompt)) ||
           v(field("table_format", &T::table_format)) ||
           v(field("extract_header", &T::extract_header)) ||
           v(field("extract_footer", &T::extract_footer)) ||
           v(field("include_blocks", &T::include_blocks)) ||
           v(field("confidence_scores_granularity", &T::confidence_scores_granularity));
}
template <class V> constexpr bool fields(ocr_image*, V&& v) {
    using T = ocr_image;
    return v(field("id", &T::id, required)) || v(field("top_left_x", &T::top_left_x)) ||
           v(field("top_left_y", &T::top_left_y)) ||
           v(field("bottom_right_x", &T::bottom_right_x)) ||
           v(field("bottom_right_y", &T::bottom_right_y)) ||
           v(field("image_base64", &T::image_base64)) ||
           v(field("image_annotation", &T::image_annotation));
}
template <class V> constexpr bool fields(ocr_table*, V&& v) {
    using T = ocr_table;
    return v(field("id", &T::id, required)) || v(field("content", &T::content, required)) ||
           v(field("format", &T::format, required));
}
template <class V> constexpr bool fields(ocr_page_dimensions*, V&& v) {
    using T = ocr_page_dimensions;
    return v(field("dpi", &T::dpi, required)) || v(field("height", &T::height, required)) ||
           v(field("width", &T::width, required));
}
template <class V> constexpr bool fields(ocr_page*, V&& v) {
    using T = ocr_page;
    return v(field("index", &T::index, required)) ||
           v(field("markdown", &T::markdown, required)) ||
           v(field("images", &T::images, required)) || v(field("tables", &T::tables)) ||
           v(field("hyperlinks", &T::hyperlinks)) || v(field("header", &T::header)) ||
           v(field("footer", &T::footer)) || v(field("dimensions", &T::dimensions, required)) ||
           v(field("confidence_scores", &T::confidence_scores)) || v(field("blocks", &T::blocks));
}
template <class V> constexpr bool fields(ocr_usage*, V&& v) {
    using T = ocr_usage;
    return v(field("pages_processed", &T::pages_processed, required)) ||
           v(field("doc_size_bytes", &T::doc_size_bytes));
}
template <class V> constexpr bool fields(ocr_response*, V&& v) {
    using T = ocr_response;
    return v(field("pages", &T::pages, required)) || v(field("model", &T::model, required)) ||
           v(field("document_annotation", &T::document_annotation)) ||
           v(field("usage_info", &T::usage_info, required));
}
// clang-format on
}  // namespace detail
/// @endcond

MISTRAL_NAMESPACE_END
