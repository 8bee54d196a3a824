// mistral/json.hpp: Boost.JSON conversions (tag_invoke value_from / value_to) for every type of
// types.hpp: the field table of each type, and the public conversion functions.
// SPDX-License-Identifier: MIT
//
// Both ways, in the API's wire shape:
//
//     boost::json::value v = boost::json::value_from(request);
//     auto response = boost::json::value_to<mistral::chat_response>(v);
//
// Unset optionals are omitted; unknown members are kept in `extra`, so value_to then value_from
// gives back the JSON that was read, except its nulls: a null means "absent" (a modelled member
// is unset or takes its default, an unknown null member is dropped), so nothing the server sent
// as null is ever sent back. A required member that is missing or null, or a value of the wrong
// type, throws mistral::protocol_error naming its JSON path, e.g.
// "choices[0].message.tool_calls[1].function.name: expected string, got integer".
//
// Each type is described once by a field table (`fields`); reading and writing
// (impl/json_codec.hpp) are one walker each over layouts built from those tables, so the code of
// the codecs is compiled once, not once per type. Everything is a template so that a translation
// unit pays only for the conversions it uses.
#pragma once

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <map>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <boost/describe/enumerators.hpp>
#include <boost/describe/members.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/serializer.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>
#include <boost/mp11/algorithm.hpp>

#include "detail/config.hpp"
#include "detail/utf8.hpp"
#include "error.hpp"
#include "types.hpp"

MISTRAL_NAMESPACE_BEGIN
namespace detail {

// ---------------------------------------------------------------------------------------------
// Field tables
// ---------------------------------------------------------------------------------------------

enum field_flags : unsigned {
    optional_member = 0,
    required = 1u,         // a missing member is an error
    null_when_unset = 2u,  // an unset optional is written as null (the key is always present)
};

template <class T, class M>
struct member_field {
    std::string_view name;
    M T::*ptr;
    unsigned flags;
};

// A constant discriminator member, e.g. "type": "text" or "role": "user".
struct tag_field {
    std::string_view name;
    std::string_view value;
};

template <class T, class M>
constexpr member_field<T, M> field(std::string_view name, M T::*ptr, unsigned flags = 0) {
    return {name, ptr, flags};
}

// Each table calls the visitor on every field in wire order and stops at the first visit that
// returns true.
// clang-format off
template <class V> constexpr bool fields(text_chunk*, V&& v) {
    return v(tag_field{"type", "text"}) || v(field("text", &text_chunk::text, required));
}
template <class V> constexpr bool fields(image_url*, V&& v) {
    return v(field("url", &image_url::url, required)) || v(field("detail", &image_url::detail));
}
template <class V> constexpr bool fields(image_url_chunk*, V&& v) {
    return v(tag_field{"type", "image_url"}) ||
           v(field("image_url", &image_url_chunk::image_url, required));
}
template <class V> constexpr bool fields(document_url_chunk*, V&& v) {
    return v(tag_field{"type", "document_url"}) ||
           v(field("document_url", &document_url_chunk::document_url, required)) ||
           v(field("document_name", &document_url_chunk::document_name));
}
template <class V> constexpr bool fields(reference_chunk*, V&& v) {
    return v(tag_field{"type", "reference"}) ||
           v(field("reference_ids", &reference_chunk::reference_ids, required));
}
template <class V> constexpr bool fields(file_chunk*, V&& v) {
    return v(tag_field{"type", "file"}) || v(field("file_id", &file_chunk::file_id, required));
}
template <class V> constexpr bool fields(tool_reference_chunk*, V&& v) {
    using T = tool_reference_chunk;
    return v(tag_field{"type", "tool_reference"}) || v(field("tool", &T::tool, required)) ||
           v(field("title", &T::title, required)) || v(field("url", &T::url)) ||
           v(field("favicon", &T::favicon)) || v(field("description", &T::description));
}
template <class V> constexpr bool fields(thinking_chunk*, V&& v) {
    using T = thinking_chunk;
    return v(tag_field{"type", "thinking"}) || v(field("thinking", &T::thinking, required)) ||
           v(field("signature", &T::signature)) || v(field("closed", &T::closed));
}
template <class V> constexpr bool fields(input_audio_chunk*, V&& v) {
    return v(tag_field{"type", "input_audio"}) ||
           v(field("input_audio", &input_audio_chunk::input_audio, required));
}
template <class V> constexpr bool fields(function_call*, V&& v) {
    return v(field("name", &function_call::name, required)) ||
           v(field("arguments", &function_call::arguments, required));
}
template <class V> constexpr bool fields(tool_call*, V&& v) {
    using T = tool_call;
    return v(field("id", &T::id)) || v(field("type", &T::type)) ||
           v(field("function", &T::function, required)) || v(field("index", &T::index));
}
template <class V> constexpr bool fields(function_call_delta*, V&& v) {
    return v(field("name", &function_call_delta::name)) ||
           v(field("arguments", &function_call_delta::arguments));
}
template <class V> constexpr bool fields(tool_call_delta*, V&& v) {
    using T = tool_call_delta;
    return v(field("id", &T::id)) || v(field("type", &T::type)) ||
           v(field("function", &T::function)) || v(field("index", &T::index));
}
template <class V> constexpr bool fields(system_message*, V&& v) {
    return v(tag_field{"role", "system"}) ||
           v(field("content", &system_message::content, required));
}
template <class V> constexpr bool fields(user_message*, V&& v) {
    return v(tag_field{"role", "user"}) ||
           v(field("content", &user_message::content, null_when_unset));
}
template <class V> constexpr bool fields(assistant_message*, V&& v) {
    using T = assistant_message;
    return v(tag_field{"role", "assistant"}) || v(field("content", &T::content)) ||
           v(field("tool_calls", &T::tool_calls)) || v(field("prefix", &T::prefix));
}
template <class V> constexpr bool fields(tool_message*, V&& v) {
    using T = tool_message;
    return v(tag_field{"role", "tool"}) || v(field("content", &T::content, null_when_unset)) ||
           v(field("tool_call_id", &T::tool_call_id)) || v(field("name", &T::name));
}
template <class V> constexpr bool fields(function_definition*, V&& v) {
    using T = function_definition;
    return v(field("name", &T::name, required)) || v(field("description", &T::description)) ||
           v(field("strict", &T::strict)) || v(field("parameters", &T::parameters, required));
}
template <class V> constexpr bool fields(function_tool*, V&& v) {
    return v(tag_field{"type", "function"}) ||
           v(field("function", &function_tool::function, required));
}
template <class V> constexpr bool fields(tool_configuration*, V&& v) {
    using T = tool_configuration;
    return v(field("exclude", &T::exclude)) || v(field("include", &T::include)) ||
           v(field("requires_confirmation", &T::requires_confirmation));
}
template <class V> constexpr bool fields(web_search_tool*, V&& v) {
    return v(tag_field{"type", "web_search"}) ||
           v(field("tool_configuration", &web_search_tool::tool_configuration));
}
template <class V> constexpr bool fields(web_search_premium_tool*, V&& v) {
    return v(tag_field{"type", "web_search_premium"}) ||
           v(field("tool_configuration", &web_search_premium_tool::tool_configuration));
}
template <class V> constexpr bool fields(code_interpreter_tool*, V&& v) {
    return v(tag_field{"type", "code_interpreter"}) ||
           v(field("tool_configuration", &code_interpreter_tool::tool_configuration));
}
template <class V> constexpr bool fields(image_generation_tool*, V&& v) {
    return v(tag_field{"type", "image_generation"}) ||
           v(field("tool_configuration", &image_generation_tool::tool_configuration));
}
template <class V> constexpr bool fields(document_library_tool*, V&& v) {
    using T = document_library_tool;
    return v(tag_field{"type", "document_library"}) ||
           v(field("library_ids", &T::library_ids, required)) ||
           v(field("tool_configuration", &T::tool_configuration));
}
template <class V> constexpr bool fields(connector_authorization*, V&& v) {
    return v(field("type", &connector_authorization::type, required)) ||
           v(field("value", &connector_authorization::value, required));
}
template <class V> constexpr bool fields(connector_tool*, V&& v) {
    using T = connector_tool;
    return v(tag_field{"type", "connector"}) ||
           v(field("connector_id", &T::connector_id, required)) ||
           v(field("authorization", &T::authorization)) ||
           v(field("tool_configuration", &T::tool_configuration));
}
template <class V> constexpr bool fields(function_name*, V&& v) {
    return v(field("name", &function_name::name, required));
}
template <class V> constexpr bool fields(named_tool_choice*, V&& v) {
    return v(field("type", &named_tool_choice::type)) ||
           v(field("function", &named_tool_choice::function, required));
}
template <class V> constexpr bool fields(json_schema*, V&& v) {
    using T = json_schema;
    return v(field("name", &T::name, required)) || v(field("description", &T::description)) ||
           v(field("schema", &T::schema, required)) || v(field("strict", &T::strict));
}
template <class V> constexpr bool fields(response_format*, V&& v) {
    return v(field("type", &response_format::type)) ||
           v(field("json_schema", &response_format::json_schema));
}
template <class V> constexpr bool fields(prediction*, V&& v) {
    return v(field("type", &prediction::type)) || v(field("content", &prediction::content));
}
template <class V> constexpr bool fields(moderation_v1_thresholds*, V&& v) {
    using T = moderation_v1_thresholds;
    return v(field("sexual", &T::sexual)) ||
           v(field("hate_and_discrimination", &T::hate_and_discrimination)) ||
           v(field("violence_and_threats", &T::violence_and_threats)) ||
           v(field("dangerous_and_criminal_content", &T::dangerous_and_criminal_content)) ||
           v(field("selfharm", &T::selfharm)) || v(field("health", &T::health)) ||
           v(field("financial", &T::financial)) || v(field("law", &T::law)) ||
           v(field("pii", &T::pii));
}
template <class V> constexpr bool fields(moderation_v2_thresholds*, V&& v) {
    using T = moderation_v2_thresholds;
    return v(field("sexual", &T::sexual)) ||
           v(field("hate_and_discrimination", &T::hate_and_discrimination)) ||
           v(field("violence_and_threats", &T::violence_and_threats)) ||
           v(field("dangerous", &T::dangerous)) || v(field("criminal", &T::criminal)) ||
           v(field("selfharm", &T::selfharm)) || v(field("health", &T::health)) ||
           v(field("financial", &T::financial)) || v(field("law", &T::law)) ||
           v(field("pii", &T::pii)) || v(field("jailbreaking", &T::jailbreaking));
}
template <class V> constexpr bool fields(moderation_llm_v1_config*, V&& v) {
    using T = moderation_llm_v1_config;
    return v(field("model_name", &T::model_name)) ||
           v(field("custom_category_thresholds", &T::custom_category_thresholds)) ||
           v(field("ignore_other_categories", &T::ignore_other_categories)) ||
           v(field("action", &T::action));
}
template <class V> constexpr bool fields(moderation_llm_v2_config*, V&& v) {
    using T = moderation_llm_v2_config;
    return v(field("model_name", &T::model_name)) ||
           v(field("custom_category_thresholds", &T::custom_category_thresholds)) ||
           v(field("ignore_other_categories", &T::ignore_other_categories)) ||
           v(field("action", &T::action));
}
template <class V> constexpr bool fields(guardrail_config*, V&& v) {
    using T = guardrail_config;
    return v(field("block_on_error", &T::block_on_error)) ||
           v(field("moderation_llm_v1", &T::moderation_llm_v1)) ||
           v(field("moderation_llm_v2", &T::moderation_llm_v2));
}
template <class V> constexpr bool fields(chat_request*, V&& v) {
    using T = chat_request;
    return v(field("model", &T::model, required)) ||
           v(field("messages", &T::messages, required)) ||
           v(field("temperature", &T::temperature)) || v(field("top_p", &T::top_p)) ||
           v(field("max_tokens", &T::max_tokens)) || v(field("stream", &T::stream)) ||
           v(field("stop", &T::stop)) || v(field("random_seed", &T::random_seed)) ||
           v(field("metadata", &T::metadata)) ||
           v(field("response_format", &T::response_format)) || v(field("tools", &T::tools)) ||
           v(field("tool_choice", &T::tool_choice)) ||
           v(field("presence_penalty", &T::presence_penalty)) ||
           v(field("frequency_penalty", &T::frequency_penalty)) || v(field("n", &T::n)) ||
           v(field("prediction", &T::prediction)) ||
           v(field("parallel_tool_calls", &T::parallel_tool_calls)) ||
           v(field("reasoning_effort", &T::reasoning_effort)) ||
           v(field("prompt_mode", &T::prompt_mode)) || v(field("guardrails", &T::guardrails)) ||
           v(field("prompt_cache_key", &T::prompt_cache_key)) ||
           v(field("service_tier", &T::service_tier)) ||
           v(field("safe_prompt", &T::safe_prompt));
}
template <class V> constexpr bool fields(prompt_tokens_details*, V&& v) {
    return v(field("cached_tokens", &prompt_tokens_details::cached_tokens));
}
template <class V> constexpr bool fields(completion_tokens_details*, V&& v) {
    return v(field("reasoning_tokens", &completion_tokens_details::reasoning_tokens));
}
template <class V> constexpr bool fields(usage_info*, V&& v) {
    using T = usage_info;
    return v(field("prompt_tokens", &T::prompt_tokens, required)) ||
           v(field("completion_tokens", &T::completion_tokens, required)) ||
           v(field("total_tokens", &T::total_tokens, required)) ||
           v(field("prompt_audio_seconds", &T::prompt_audio_seconds)) ||
           v(field("service_tier", &T::service_tier)) ||
           v(field("prompt_tokens_details", &T::prompt_tokens_details)) ||
           v(field("completion_tokens_details", &T::completion_tokens_details));
}
template <class V> constexpr bool fields(chat_choice*, V&& v) {
    using T = chat_choice;
    return v(field("index", &T::index, required)) || v(field("message", &T::message)) ||
           v(field("finish_reason", &T::finish_reason, null_when_unset));
}
template <class V> constexpr bool fields(chat_response*, V&& v) {
    using T = chat_response;
    return v(field("id", &T::id, required)) || v(field("object", &T::object, required)) ||
           v(field("created", &T::created, required)) || v(field("model", &T::model, required)) ||
           v(field("choices", &T::choices, required)) || v(field("usage", &T::usage, required));
}
template <class V> constexpr bool fields(delta_message*, V&& v) {
    using T = delta_message;
    return v(field("role", &T::role)) || v(field("content", &T::content)) ||
           v(field("tool_calls", &T::tool_calls)) || v(field("tool_call_id", &T::tool_call_id)) ||
           v(field("index", &T::index)) || v(field("metadata", &T::metadata));
}
template <class V> constexpr bool fields(chunk_choice*, V&& v) {
    using T = chunk_choice;
    return v(field("index", &T::index, required)) || v(field("delta", &T::delta, required)) ||
           v(field("finish_reason", &T::finish_reason, null_when_unset));
}
template <class V> constexpr bool fields(chat_chunk*, V&& v) {
    using T = chat_chunk;
    return v(field("id", &T::id, required)) || v(field("object", &T::object)) ||
           v(field("created", &T::created)) || v(field("model", &T::model, required)) ||
           v(field("choices", &T::choices, required)) || v(field("usage", &T::usage));
}
// clang-format on

struct ignore_fields {
    template <class F>
    constexpr bool operator()(const F&) const noexcept {
        return false;
    }
};

template <class T>
concept described = requires {
    fields(static_cast<T*>(nullptr), ignore_fields{});
};

// Types kept whole as a JSON object (unknown_chunk, unknown_tool).
template <class T>
concept opaque_object = requires(T& t) {
    { t.json } -> std::same_as<boost::json::object&>;
};

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

template <class T>
struct is_vector : std::false_type {};
template <class T>
struct is_vector<std::vector<T>> : std::true_type {};

// std::variant, and the classes derived from one (the API's sum types, detail::variant_type).
template <class T>
struct is_variant : std::bool_constant<variant_like<T>> {};

// The discriminator ("type"/"role" and its value) of a described type, if it has one.
template <class T>
constexpr tag_field tag_of() {
    tag_field found{};
    fields(static_cast<T*>(nullptr), [&](const auto& f) {
        if constexpr (std::is_same_v<std::decay_t<decltype(f)>, tag_field>) {
            found = f;
            return true;
        } else {
            return false;
        }
    });
    return found;
}

}  // namespace detail
MISTRAL_NAMESPACE_END

#include "impl/json_codec.hpp"

MISTRAL_NAMESPACE_BEGIN
namespace detail {

// The types the public tag_invoke overloads convert: every described struct, the opaque ones,
// and the variants whose alternatives are ours.
template <class T>
concept json_convertible = described<T> || opaque_object<T> || std::is_same_v<T, message> ||
    std::is_same_v<T, content> || std::is_same_v<T, content_chunk> ||
    std::is_same_v<T, thinking_part> || std::is_same_v<T, tool> || std::is_same_v<T, tool_choice>;

}  // namespace detail

/// Boost.JSON conversion to JSON for every type of types.hpp (found by argument-dependent
/// lookup; call boost::json::value_from).
template <class T>
requires detail::json_convertible<T>
void tag_invoke(const boost::json::value_from_tag&, boost::json::value& out, const T& in) {
    detail::write_value(out, in);
}

/// Boost.JSON conversion from JSON for every type of types.hpp (call boost::json::value_to).
/// Throws protocol_error naming the JSON path of a missing member or a value of the wrong type.
template <class T>
requires detail::json_convertible<T> T tag_invoke(const boost::json::value_to_tag<T>&,
                                                  const boost::json::value& in) {
    T out{};
    detail::json_path path;
    detail::read_value(out, in, path);
    return out;
}

#ifdef MISTRAL_SEPARATE_COMPILATION
// Compiled once, in the translation unit that includes <mistral/src.hpp>.
extern template void tag_invoke<chat_request>(const boost::json::value_from_tag&,
                                              boost::json::value&, const chat_request&);
extern template void tag_invoke<chat_response>(const boost::json::value_from_tag&,
                                               boost::json::value&, const chat_response&);
extern template void tag_invoke<chat_chunk>(const boost::json::value_from_tag&, boost::json::value&,
                                            const chat_chunk&);
extern template chat_request tag_invoke<chat_request>(
    const boost::json::value_to_tag<chat_request>&, const boost::json::value&);
extern template chat_response tag_invoke<chat_response>(
    const boost::json::value_to_tag<chat_response>&, const boost::json::value&);
extern template chat_chunk tag_invoke<chat_chunk>(const boost::json::value_to_tag<chat_chunk>&,
                                                  const boost::json::value&);
#endif

/// Reads JSON into an existing object, reusing its storage (strings, vectors): what a hot loop
/// that decodes many values of the same type should call. Throws like value_to.
template <class T>
requires detail::json_convertible<T>
void read_json(const boost::json::value& in, T& out) {
    detail::json_path path;
    detail::read_value(out, in, path);
}

/// read_json() of a tree that is no longer needed: the JSON the type keeps as it is (unknown
/// members, objects of its own) is moved out of `in` instead of copied, so that a large unknown
/// member costs its size once. `in` is left valid but unspecified.
template <class T>
requires detail::json_convertible<T>
void read_json(boost::json::value&& in, T& out) {
    detail::json_path path;
    path.allow_moves();
    detail::read_value(out, std::as_const(in), path);
}

/// Parses JSON text into a value of type T. Throws protocol_error for malformed JSON or a value
/// that does not fit T.
template <class T>
requires detail::json_convertible<T> T from_json(std::string_view text) {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(text, ec);
    if (ec) throw protocol_error("malformed JSON: " + ec.message());
    return boost::json::value_to<T>(v);
}

/// Serializes any type of types.hpp to JSON text in the API's wire shape.
template <class T>
requires detail::json_convertible<T> std::string to_json(const T& value) {
    return boost::json::serialize(boost::json::value_from(value));
}

/// The arguments of a tool call as a JSON object, whether the API sent them as a JSON string
/// (the usual form) or as an object. Throws protocol_error when the string is not a JSON
/// object.
inline boost::json::object parse_arguments(const function_call& call) {
    if (const auto* obj = std::get_if<boost::json::object>(&call.arguments)) return *obj;
    const std::string& text = std::get<std::string>(call.arguments);
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(text.empty() ? std::string_view("{}") : text, ec);
    if (ec || !v.is_object()) {
        throw protocol_error("function.arguments of " + call.name + ": not a JSON object",
                             "function.arguments");
    }
    return std::move(v.get_object());
}

MISTRAL_NAMESPACE_END

#include "impl/error_body.hpp"
