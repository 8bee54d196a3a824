// mistral-cpp: a header-only C++20 client for the Mistral AI Chat Completion API.
// SPDX-License-Identifier: MIT
//
// Boost.JSON conversions for every type of types.hpp, both ways, in the API's wire shape:
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
// Each type is described once by a field table (`fields`); reading and writing are generic over
// those tables. Everything is a template so that a translation unit pays only for the
// conversions it uses.
#pragma once

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/serializer.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include "detail/utf8.hpp"
#include "error.hpp"
#include "types.hpp"

namespace mistral {
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

template <class T>
struct is_variant : std::false_type {};
template <class... Ts>
struct is_variant<std::variant<Ts...>> : std::true_type {};

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

// Whether `name` is a member the type models (its discriminator included).
template <class T>
constexpr bool is_field_name(std::string_view name) {
    return fields(static_cast<T*>(nullptr), [&](const auto& f) { return f.name == name; });
}

// ---------------------------------------------------------------------------------------------
// Errors with a JSON path
// ---------------------------------------------------------------------------------------------

// Where the reader is, for error messages. Fixed size: recording a path never allocates.
class json_path {
public:
    void push(std::string_view key) noexcept { push_segment({key, 0, false}); }
    void push(std::size_t index) noexcept { push_segment({{}, index, true}); }
    void pop() noexcept { --depth_; }

    std::string str() const {
        std::string out;
        const std::size_t shown = depth_ < max_depth ? depth_ : max_depth;
        for (std::size_t i = 0; i < shown; ++i) {
            const segment& s = segments_[i];
            if (s.is_index) {
                out += '[' + std::to_string(s.index) + ']';
            } else {
                if (!out.empty()) out += '.';
                out += s.key;
            }
        }
        if (depth_ > max_depth) out += "...";
        return out;
    }

private:
    struct segment {
        std::string_view key;
        std::size_t index;
        bool is_index;
    };
    static constexpr std::size_t max_depth = 32;

    void push_segment(segment s) noexcept {
        if (depth_ < max_depth) segments_[depth_] = s;
        ++depth_;
    }

    std::array<segment, max_depth> segments_{};
    std::size_t depth_ = 0;
};

inline const char* kind_name(boost::json::kind k) noexcept {
    switch (k) {
        case boost::json::kind::null:
            return "null";
        case boost::json::kind::bool_:
            return "bool";
        case boost::json::kind::int64:
        case boost::json::kind::uint64:
            return "integer";
        case boost::json::kind::double_:
            return "number";
        case boost::json::kind::string:
            return "string";
        case boost::json::kind::array:
            return "array";
        case boost::json::kind::object:
            return "object";
    }
    return "value";
}

[[noreturn]] inline void fail(const json_path& path, const std::string& what) {
    std::string where = path.str();
    std::string message = (where.empty() ? std::string("JSON") : where) + ": " + what;
    throw protocol_error(message, std::move(where));
}

[[noreturn]] inline void fail_type(const json_path& path, const char* expected,
                                   const boost::json::value& got) {
    fail(path, std::string("expected ") + expected + ", got " + kind_name(got.kind()));
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------
// read_value(out, json, path) overwrites `out` entirely but reuses its storage (string and
// vector capacity), so a decoder that reads every chunk into the same object does not allocate.

template <class M>
void read_value(M& out, const boost::json::value& jv, json_path& path);

template <class T>
const T& default_instance() {
    static const T instance{};
    return instance;
}

template <class T, class M>
void read_member(T& out, const member_field<T, M>& f, const boost::json::value& jv,
                 json_path& path) {
    M& slot = out.*(f.ptr);
    if constexpr (is_optional<M>::value) {
        if (jv.is_null()) {
            slot.reset();
            return;
        }
        if (!slot) slot.emplace();
        read_value(*slot, jv, path);
    } else {
        if (jv.is_null() && !(f.flags & required)) {
            slot = default_instance<T>().*(f.ptr);
            return;
        }
        read_value(slot, jv, path);
    }
}

template <class T, class M>
void reset_missing_member(T& out, const member_field<T, M>& f, json_path& path) {
    if (f.flags & required) {
        path.push(f.name);
        fail(path, "missing");
    }
    if constexpr (is_optional<M>::value) {
        (out.*(f.ptr)).reset();
    } else {
        out.*(f.ptr) = default_instance<T>().*(f.ptr);
    }
}

template <class T>
void read_object(T& out, const boost::json::value& jv, json_path& path) {
    const boost::json::object* obj = jv.if_object();
    if (obj == nullptr) fail_type(path, "object", jv);
    out.extra.clear();
    std::uint64_t seen = 0;
    for (const auto& kv : *obj) {
        const std::string_view key = kv.key();
        bool matched = false;
        unsigned index = 0;
        fields(static_cast<T*>(nullptr), [&](const auto& f) {
            if (f.name != key) {
                ++index;
                return false;
            }
            matched = true;
            seen |= std::uint64_t{1} << index;
            if constexpr (std::is_same_v<std::decay_t<decltype(f)>, tag_field>) {
                const auto* s = kv.value().if_string();
                if (!kv.value().is_null() && (s == nullptr || std::string_view(*s) != f.value)) {
                    path.push(key);
                    fail(path, "expected \"" + std::string(f.value) + "\"");
                }
            } else {
                path.push(key);
                read_member(out, f, kv.value(), path);
                path.pop();
            }
            return true;
        });
        if (!matched && !kv.value().is_null()) out.extra.insert_or_assign(key, kv.value());
    }
    unsigned index = 0;
    fields(static_cast<T*>(nullptr), [&](const auto& f) {
        if constexpr (!std::is_same_v<std::decay_t<decltype(f)>, tag_field>) {
            if (!(seen & (std::uint64_t{1} << index))) reset_missing_member(out, f, path);
        }
        ++index;
        return false;
    });
}

// A variant discriminated by a member ("type" for chunks and tools, "role" for messages). An
// unknown discriminator lands in the opaque alternative when there is one, else is an error. A
// missing "type" means the first alternative (the specification's default, e.g. "function"); a
// message without a "role" is an error.
template <class... Ts>
void read_tagged(std::variant<Ts...>& out, const boost::json::value& jv, json_path& path) {
    using variant = std::variant<Ts...>;
    using first = std::variant_alternative_t<0, variant>;
    constexpr bool has_opaque = (opaque_object<Ts> || ...);
    const boost::json::object* obj = jv.if_object();
    if (obj == nullptr) fail_type(path, "object", jv);
    constexpr tag_field tag = tag_of<first>();
    const boost::json::value* d = obj->if_contains(tag.name);
    if (d != nullptr && d->is_null()) d = nullptr;
    std::string_view wanted = tag.value;
    if (d != nullptr) {
        const auto* s = d->if_string();
        if (s == nullptr) {
            path.push(tag.name);
            fail_type(path, "string", *d);
        }
        wanted = *s;
    } else if constexpr (!has_opaque) {
        path.push(tag.name);
        fail(path, "missing");
    }
    bool done = false;
    auto try_alternative = [&]<std::size_t I>(std::integral_constant<std::size_t, I>) {
        using alt = std::variant_alternative_t<I, variant>;
        if (done) return;
        if constexpr (opaque_object<alt>) {
            if (out.index() != I) out.template emplace<I>();
            std::get<I>(out).json = *obj;
            done = true;
        } else if (tag_of<alt>().value == wanted) {
            if (out.index() != I) out.template emplace<I>();
            read_object(std::get<I>(out), jv, path);
            done = true;
        }
    };
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        (try_alternative(std::integral_constant<std::size_t, I>{}), ...);
    }
    (std::index_sequence_for<Ts...>{});
    if (!done) {
        path.push(tag.name);
        fail(path, "unknown value \"" + std::string(wanted) + "\"");
    }
}

template <class M>
void read_value(M& out, const boost::json::value& jv, json_path& path) {
    if constexpr (std::is_same_v<M, std::string>) {
        const auto* s = jv.if_string();
        if (s == nullptr) fail_type(path, "string", jv);
        out.assign(s->data(), s->size());
    } else if constexpr (std::is_same_v<M, bool>) {
        const bool* b = jv.if_bool();
        if (b == nullptr) fail_type(path, "boolean", jv);
        out = *b;
    } else if constexpr (std::is_same_v<M, std::int64_t>) {
        if (const auto* i = jv.if_int64()) {
            out = *i;
        } else if (const auto* u = jv.if_uint64();
                   u != nullptr && *u <= std::uint64_t(std::numeric_limits<std::int64_t>::max())) {
            out = static_cast<std::int64_t>(*u);
        } else {
            fail_type(path, "integer", jv);
        }
    } else if constexpr (std::is_same_v<M, double>) {
        if (!jv.is_number()) fail_type(path, "number", jv);
        out = jv.to_number<double>();
    } else if constexpr (std::is_same_v<M, boost::json::object>) {
        const auto* o = jv.if_object();
        if (o == nullptr) fail_type(path, "object", jv);
        out = *o;
    } else if constexpr (is_vector<M>::value) {
        const auto* a = jv.if_array();
        if (a == nullptr) fail_type(path, "array", jv);
        out.resize(a->size());
        for (std::size_t i = 0; i < a->size(); ++i) {
            path.push(i);
            read_value(out[i], (*a)[i], path);
            path.pop();
        }
    } else if constexpr (opaque_object<M>) {
        const auto* o = jv.if_object();
        if (o == nullptr) fail_type(path, "object", jv);
        out.json = *o;
    } else if constexpr (described<M>) {
        read_object(out, jv, path);
    } else if constexpr (std::is_same_v<M, reference_id>) {
        if (jv.is_string()) {
            if (out.index() != 1) out.template emplace<1>();
            read_value(std::get<1>(out), jv, path);
        } else if (jv.is_int64() || jv.is_uint64()) {
            if (out.index() != 0) out.template emplace<0>();
            read_value(std::get<0>(out), jv, path);
        } else {
            fail_type(path, "integer or string", jv);
        }
    } else if constexpr (is_variant<M>::value) {
        using first = std::variant_alternative_t<0, M>;
        if constexpr (std::is_same_v<first, std::string>) {
            // "A string, or else an object/array": keeps the form it came in.
            static_assert(std::variant_size_v<M> == 2);
            if (jv.is_string()) {
                if (out.index() != 0) out.template emplace<0>();
                read_value(std::get<0>(out), jv, path);
            } else {
                using second = std::variant_alternative_t<1, M>;
                if (!jv.is_object() && !jv.is_array()) {
                    fail_type(path,
                              is_vector<second>::value ? "string or array" : "string or object",
                              jv);
                }
                if (out.index() != 1) out.template emplace<1>();
                read_value(std::get<1>(out), jv, path);
            }
        } else {
            read_tagged(out, jv, path);
        }
    } else {
        static_assert(sizeof(M) == 0, "no JSON conversion for this type");
    }
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

// What an object writes, in wire order, whatever it is written into: calls out(name, value) for
// the discriminator (value: its std::string_view), each modelled member that is set (the member,
// or the optional's value), each unset member the API requires to be present (nullptr), and
// each member of extra the library does not model (its boost::json::value).
template <class T, class Out>
void for_each_written_member(const T& in, Out&& out) {
    fields(static_cast<T*>(nullptr), [&](const auto& f) {
        if constexpr (std::is_same_v<std::decay_t<decltype(f)>, tag_field>) {
            out(f.name, f.value);
        } else {
            const auto& member = in.*(f.ptr);
            if constexpr (is_optional<std::decay_t<decltype(member)>>::value) {
                if (member) {
                    out(f.name, *member);
                } else if (f.flags & null_when_unset) {
                    out(f.name, nullptr);
                }
            } else {
                out(f.name, member);
            }
        }
        return false;
    });
    for (const auto& kv : in.extra) {
        if (!is_field_name<T>(kv.key())) out(kv.key(), kv.value());
    }
}

template <class M>
void write_value(boost::json::value& out, const M& in) {
    if constexpr (std::is_same_v<M, std::string> || std::is_same_v<M, std::string_view>) {
        out.emplace_string().assign(in.data(), in.size());
    } else if constexpr (std::is_same_v<M, bool> || std::is_same_v<M, std::int64_t> ||
                         std::is_same_v<M, double> || std::is_same_v<M, std::nullptr_t> ||
                         std::is_same_v<M, boost::json::object> ||
                         std::is_same_v<M, boost::json::value>) {
        out = in;
    } else if constexpr (is_vector<M>::value) {
        boost::json::array& arr = out.emplace_array();
        arr.reserve(in.size());
        for (const auto& item : in) write_value(arr.emplace_back(nullptr), item);
    } else if constexpr (opaque_object<M>) {
        out = in.json;
    } else if constexpr (described<M>) {
        boost::json::object& obj = out.emplace_object();
        for_each_written_member(
            in, [&](std::string_view name, const auto& v) { write_value(obj[name], v); });
    } else if constexpr (is_variant<M>::value) {
        std::visit([&](const auto& alt) { write_value(out, alt); }, in);
    } else {
        static_assert(sizeof(M) == 0, "no JSON conversion for this type");
    }
}

// Writes JSON text straight from the types, without building a tree first: a request body costs
// its own size once. It also refuses what would make an invalid body (text that is not UTF-8, a
// non-finite number) with a usage_error naming the JSON path. Sink is a text_sink (appends) or a
// size_sink (counts), so that the text can be measured first and written into a buffer of the
// right size, never reallocated.
struct size_sink {
    std::size_t size = 0;
    void append(const char*, std::size_t n) noexcept { size += n; }
    void append(char) noexcept { ++size; }
};
struct text_sink {
    std::string& out;
    void append(const char* p, std::size_t n) { out.append(p, n); }
    void append(char c) { out.push_back(c); }
};

template <class Sink>
class text_writer {
public:
    explicit text_writer(Sink& sink) : sink_(sink) {}

    template <class M>
    void write(const M& in) {
        if constexpr (std::is_same_v<M, std::string> || std::is_same_v<M, std::string_view>) {
            string(in);
        } else if constexpr (std::is_same_v<M, bool>) {
            literal(in ? "true" : "false");
        } else if constexpr (std::is_same_v<M, std::nullptr_t>) {
            literal("null");
        } else if constexpr (std::is_same_v<M, std::int64_t>) {
            char buffer[24];
            const auto end = std::to_chars(buffer, buffer + sizeof buffer, in).ptr;
            sink_.append(buffer, static_cast<std::size_t>(end - buffer));
        } else if constexpr (std::is_same_v<M, double>) {
            if (!std::isfinite(in)) fail("not a finite number");
            tree(boost::json::value(in));
        } else if constexpr (std::is_same_v<M, boost::json::object> ||
                             std::is_same_v<M, boost::json::value>) {
            tree(in);
        } else if constexpr (is_vector<M>::value) {
            sink_.append('[');
            for (std::size_t i = 0; i < in.size(); ++i) {
                if (i > 0) sink_.append(',');
                path_.push(i);
                write(in[i]);
                path_.pop();
            }
            sink_.append(']');
        } else if constexpr (opaque_object<M>) {
            tree(in.json);
        } else if constexpr (described<M>) {
            write_object(in, nullptr);
        } else if constexpr (is_variant<M>::value) {
            std::visit([&](const auto& alt) { write(alt); }, in);
        } else {
            static_assert(sizeof(M) == 0, "no JSON conversion for this type");
        }
    }

    // An object; members named in `overrides` are written with the override's value instead,
    // in their place, or after the others when the object does not write them (as
    // boost::json::object::insert_or_assign places them).
    template <class T>
    void write_object(const T& in, const boost::json::object* overrides) {
        sink_.append('{');
        bool first = true;
        std::size_t overridden = 0;
        auto member = [&](std::string_view name, const auto& v) {
            if (!first) sink_.append(',');
            first = false;
            string(name);
            sink_.append(':');
            path_.push(name);
            write(v);
            path_.pop();
        };
        for_each_written_member(in, [&](std::string_view name, const auto& v) {
            const boost::json::value* replaced =
                overrides != nullptr ? overrides->if_contains(name) : nullptr;
            if (replaced == nullptr) return member(name, v);
            ++overridden;
            member(name, *replaced);
        });
        if (overrides != nullptr && overridden < overrides->size()) {
            for (const auto& kv : *overrides) {
                bool written = false;
                for_each_written_member(in, [&](std::string_view name, const auto&) {
                    written = written || name == kv.key();
                });
                if (!written) member(kv.key(), kv.value());
            }
        }
        sink_.append('}');
    }

private:
    [[noreturn]] void fail(const std::string& what) const {
        const std::string where = path_.str();
        throw usage_error("cannot send the request: " +
                          (where.empty() ? std::string("body") : where) + ": " + what);
    }

    void literal(std::string_view s) { sink_.append(s.data(), s.size()); }

    // A JSON string, escaped; runs of characters that need no escape are appended at once.
    void string(std::string_view s) {
        if (const auto at = invalid_utf8_at(s); at != std::string_view::npos)
            fail("invalid UTF-8 at byte " + std::to_string(at));
        static constexpr char hex[] = "0123456789abcdef";
        sink_.append('"');
        std::size_t run = 0;
        for (std::size_t i = 0; i < s.size(); ++i) {
            const auto c = static_cast<unsigned char>(s[i]);
            if (c >= 0x20 && c != '"' && c != '\\') continue;
            sink_.append(s.data() + run, i - run);
            run = i + 1;
            switch (c) {
                case '"':
                    literal("\\\"");
                    break;
                case '\\':
                    literal("\\\\");
                    break;
                case '\n':
                    literal("\\n");
                    break;
                case '\r':
                    literal("\\r");
                    break;
                case '\t':
                    literal("\\t");
                    break;
                case '\b':
                    literal("\\b");
                    break;
                case '\f':
                    literal("\\f");
                    break;
                default: {
                    const char escape[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                    sink_.append(escape, sizeof escape);
                }
            }
        }
        sink_.append(s.data() + run, s.size() - run);
        sink_.append('"');
    }

    // A Boost.JSON value or object (one the caller passed, a member of extra), checked as
    // strings are, written by Boost.JSON's serializer a piece at a time.
    template <class Tree>
    void tree(const Tree& t) {
        check(t);
        boost::json::serializer sr;
        sr.reset(&t);
        char buffer[1024];
        while (!sr.done()) {
            const auto piece = sr.read(buffer, sizeof buffer);
            sink_.append(piece.data(), piece.size());
        }
    }

    void check(const boost::json::object& o) {
        for (const auto& kv : o) {
            if (const auto at = invalid_utf8_at(kv.key()); at != std::string_view::npos)
                fail("invalid UTF-8 at byte " + std::to_string(at) + " of the key \"" +
                     std::string(kv.key().substr(0, at)) + "...\"");
            path_.push(kv.key());
            check(kv.value());
            path_.pop();
        }
    }
    void check(const boost::json::value& v) {
        switch (v.kind()) {
            case boost::json::kind::double_:
                if (!std::isfinite(v.get_double())) fail("not a finite number");
                break;
            case boost::json::kind::string:
                if (const auto at = invalid_utf8_at(v.get_string()); at != std::string_view::npos)
                    fail("invalid UTF-8 at byte " + std::to_string(at));
                break;
            case boost::json::kind::array: {
                std::size_t i = 0;
                for (const auto& item : v.get_array()) {
                    path_.push(i++);
                    check(item);
                    path_.pop();
                }
                break;
            }
            case boost::json::kind::object:
                check(v.get_object());
                break;
            default:
                break;
        }
    }

    Sink& sink_;
    json_path path_;
};

// The JSON text of an object, checked for what the API cannot receive (usage_error), with the
// top-level members of `overrides` in place of its own; measured first, so that the text is
// written into a buffer of exactly its size (a large request is never reallocated).
template <class T>
std::string sendable_json(const T& value, const boost::json::object& overrides = {}) {
    size_sink measure;
    text_writer<size_sink>(measure).write_object(value, &overrides);
    std::string out;
    out.reserve(measure.size);
    text_sink sink{out};
    text_writer<text_sink>(sink).write_object(value, &overrides);
    return out;
}

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

namespace detail {

inline std::string scalar_text(const boost::json::value& v) {
    if (const auto* s = v.if_string()) return std::string(*s);
    if (v.is_number() || v.is_bool()) return boost::json::serialize(v);
    return {};
}

// Reads a validation `detail` array: [{"loc": [...], "msg": "...", "type": "..."}].
inline std::vector<validation_issue> read_validation_issues(const boost::json::array& list) {
    std::vector<validation_issue> issues;
    for (const auto& entry : list) {
        const auto* obj = entry.if_object();
        if (obj == nullptr) continue;
        validation_issue issue;
        if (const auto* loc = obj->if_contains("loc"); loc != nullptr && loc->is_array()) {
            for (const auto& part : loc->get_array()) {
                if (!issue.location.empty()) issue.location += '.';
                issue.location += scalar_text(part);
            }
        }
        if (const auto* msg = obj->if_contains("msg")) issue.message = scalar_text(*msg);
        if (const auto* type = obj->if_contains("type")) issue.type = scalar_text(*type);
        issues.push_back(std::move(issue));
    }
    return issues;
}

inline std::string summarize(const std::vector<validation_issue>& issues) {
    std::string out;
    for (const auto& issue : issues) {
        if (!out.empty()) out += "; ";
        out += issue.location.empty() ? issue.message : issue.location + ": " + issue.message;
    }
    return out;
}

inline void read_error_object(const boost::json::object& obj, api_error_details& d) {
    if (const auto* message = obj.if_contains("message")) {
        if (const auto* nested = message->if_object()) {
            // 422: {"message": {"detail": [...]}} - the validation entries sit inside message.
            if (const auto* detail = nested->if_contains("detail")) {
                if (detail->is_array())
                    d.validation_issues = read_validation_issues(detail->get_array());
                else
                    d.message = scalar_text(*detail);
            }
        } else {
            d.message = scalar_text(*message);
        }
    }
    if (const auto* detail = obj.if_contains("detail")) {
        if (const auto* list = detail->if_array())
            d.validation_issues = read_validation_issues(*list);
        else if (d.message.empty())
            d.message = scalar_text(*detail);
    }
    if (d.message.empty() && !d.validation_issues.empty())
        d.message = summarize(d.validation_issues);
    if (const auto* v = obj.if_contains("type")) d.type = scalar_text(*v);
    if (const auto* v = obj.if_contains("code")) d.code = scalar_text(*v);
    if (const auto* v = obj.if_contains("param")) d.param = scalar_text(*v);
    if (const auto* v = obj.if_contains("request_id")) d.request_id = scalar_text(*v);
    if (const auto* v = obj.if_contains("raw_status_code")) {
        if (v->is_int64() && v->get_int64() >= 100 && v->get_int64() <= 999) {
            d.raw_status_code = static_cast<int>(v->get_int64());
        }
    }
}

}  // namespace detail

/// Reads an error body of any shape the API is known to send: `{"object":"error","message":
/// "...","type":"...","param":null,"code":"1300"}`, a 422 whose `detail` list is nested inside
/// `message`, a top-level `{"detail":[...]}` or `{"detail":"Unauthorized"}`, the gateway's
/// `{"message":"...","request_id":"..."}`, an OpenAI-style `{"error":{...}}`, HTML, or nothing.
/// Never throws: what it cannot read stays empty.
inline api_error_details parse_error_body(std::string_view body) {
    api_error_details details;
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(body, ec);
    if (ec) return details;
    if (const auto* obj = v.if_object()) {
        const auto* nested = obj->if_contains("error");
        if (nested != nullptr && nested->is_object()) {
            detail::read_error_object(nested->get_object(), details);
        } else {
            detail::read_error_object(*obj, details);
        }
    } else if (v.is_string()) {
        details.message = std::string(v.get_string());
    }
    return details;
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

}  // namespace mistral
