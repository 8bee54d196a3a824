// mistral/structured.hpp: JSON Schemas from C++ types described with Boost.Describe, and replies
// decoded into them: json_schema_of<T>(), json_schema_format<T>(name), parsed_response<T> (what
// basic_client::parse<T>() returns) and decode_json<T>().
// SPDX-License-Identifier: MIT
//
//     struct city { std::string name; std::int64_t population = 0; std::optional<std::string>
//     country; }; BOOST_DESCRIBE_STRUCT(city, (), (name, population, country))
//
//     req.response_format = mistral::json_schema_format<city>("city");  // strict JSON Schema
//     mistral::parsed_response<city> r = client.parse<city>(req);       // r.value, r.response
//
// Types and their schemas (every object strict: "additionalProperties": false, every member
// that is not a std::optional in "required"; no "$ref", so nothing is left undefined):
//
//   described struct (bases too)   {"type":"object","properties":{...},"required":[...]}
//   described enum                 {"type":"string","enum":[enumerator names, in order]}
//   std::string / bool             {"type":"string"} / {"type":"boolean"}
//   integer types                  {"type":"integer"}, with "minimum"/"maximum" for the types
//                                  narrower than 64 bits and "minimum": 0 for unsigned ones
//   float, double                  {"type":"number"}
//   std::optional<T>               {"anyOf":[T, {"type":"null"}]}, and not required
//   std::vector<T>                 {"type":"array","items":T}
//   std::array<T, N>               the same with "minItems" and "maxItems" N
//   std::map<std::string, T>       {"type":"object","additionalProperties":T}
//   std::variant<Ts...>            {"anyOf":[Ts...]} (decoded as the first alternative that fits)
//   boost::json::value             {} (any JSON)
//
// An optional member is left out of "required" and may also be null: the shape the official
// Python SDK sends for a Pydantic `Optional[X] = None` field, which the API's strict mode
// accepts, and whatever the model does (omit it, or write null) decodes to an empty optional.
//
// Descriptions and constraints: specialise mistral::json_schema_annotations<T> (see below).
// A type the generator cannot map is a compile error in json_schema_of, naming the type.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <boost/describe/enumerators.hpp>
#include <boost/describe/members.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <boost/mp11/algorithm.hpp>

#include "detail/config.hpp"
#include "error.hpp"
#include "json.hpp"
#include "types.hpp"

MISTRAL_NAMESPACE_BEGIN

/// The customization point for what a schema says beyond types: specialise it for your type
/// with either or both of these static functions; json_schema_of calls them after it built the
/// type's schema:
///
///     template <> struct mistral::json_schema_annotations<city> {
///         static void annotate(boost::json::object& schema) {           // the type's own
///             schema["description"] = "A city of the world";
///         }
///         static void annotate_member(std::string_view member, boost::json::object& schema) {
///             if (member == "population") {
///                 schema["description"] = "Inhabitants, latest census";
///                 schema["minimum"] = 0;
///             }
///         }
///     };
template <class T>
struct json_schema_annotations {};

/// What basic_client::parse<T>() returns: the reply decoded into T, and the whole response
/// (text, thinking, usage, finish reason, request id and rate limits).
template <class T>
struct parsed_response {
    T value{};                 ///< the reply, decoded into T
    chat_response response{};  ///< the response it came from
};

namespace detail {

template <class T>
inline constexpr bool no_schema_for = false;

// Types nested deeper than this are taken for a recursive type: schemas here have no "$ref".
inline constexpr int max_schema_depth = 32;

template <class T>
boost::json::object schema_of(int depth);

template <class T>
void annotate_member(std::string_view member, boost::json::object& schema) {
    if constexpr (requires { json_schema_annotations<T>::annotate_member(member, schema); })
        json_schema_annotations<T>::annotate_member(member, schema);
}

template <class T>
boost::json::object struct_schema(int depth) {
    boost::json::object properties;
    boost::json::array required;
    using members = boost::describe::describe_members<T, boost::describe::mod_public |
                                                             boost::describe::mod_inherited>;
    boost::mp11::mp_for_each<members>([&](auto d) {
        using M = std::remove_cvref_t<decltype(std::declval<T&>().*d.pointer)>;
        boost::json::object member = schema_of<M>(depth + 1);
        annotate_member<T>(d.name, member);
        properties[d.name] = std::move(member);
        if (!is_optional<M>::value) required.emplace_back(d.name);
    });
    return {{"type", "object"},
            {"properties", std::move(properties)},
            {"required", std::move(required)},
            {"additionalProperties", false}};
}

template <class T>
boost::json::object schema_of(int depth) {
    if (depth > max_schema_depth) {
        throw usage_error("json_schema_of: types nested deeper than " +
                          std::to_string(max_schema_depth) +
                          " (a recursive type?): schemas without $ref cannot describe them");
    }
    boost::json::object s;
    if constexpr (std::is_same_v<T, std::string>) {
        s["type"] = "string";
    } else if constexpr (std::is_same_v<T, bool>) {
        s["type"] = "boolean";
    } else if constexpr (std::is_integral_v<T>) {
        s["type"] = "integer";
        if constexpr (std::is_unsigned_v<T>) s["minimum"] = 0;
        if constexpr (sizeof(T) < 8) {
            if constexpr (std::is_signed_v<T>) s["minimum"] = std::numeric_limits<T>::min();
            s["maximum"] = std::numeric_limits<T>::max();
        }
    } else if constexpr (std::is_floating_point_v<T>) {
        s["type"] = "number";
    } else if constexpr (std::is_same_v<T, boost::json::value>) {
    } else if constexpr (is_optional<T>::value) {
        s["anyOf"] = boost::json::array{schema_of<typename T::value_type>(depth + 1),
                                        boost::json::object{{"type", "null"}}};
    } else if constexpr (is_vector<T>::value || is_std_array<T>::value) {
        s["type"] = "array";
        s["items"] = schema_of<typename T::value_type>(depth + 1);
        if constexpr (is_std_array<T>::value) {
            s["minItems"] = std::tuple_size_v<T>;
            s["maxItems"] = std::tuple_size_v<T>;
        }
    } else if constexpr (is_string_map<T>::value) {
        s["type"] = "object";
        s["additionalProperties"] = schema_of<typename T::mapped_type>(depth + 1);
    } else if constexpr (is_variant<T>::value) {
        boost::json::array any;
        [&]<class... Ts>(std::variant<Ts...>*) {
            (any.emplace_back(schema_of<Ts>(depth + 1)), ...);
        }(static_cast<T*>(nullptr));
        s["anyOf"] = std::move(any);
    } else if constexpr (boost::describe::has_describe_enumerators<T>::value) {
        boost::json::array names;
        boost::mp11::mp_for_each<boost::describe::describe_enumerators<T>>(
            [&](auto e) { names.emplace_back(e.name); });
        s["type"] = "string";
        s["enum"] = std::move(names);
    } else if constexpr (boost::describe::has_describe_members<T>::value) {
        s = struct_schema<T>(depth);
    } else {
        static_assert(
            no_schema_for<T>,
            "mistral::json_schema_of: no JSON Schema for this type (see the instantiation "
            "of schema_of<T> below); describe it with BOOST_DESCRIBE_STRUCT or "
            "BOOST_DESCRIBE_ENUM, or use a type listed in structured.hpp");
    }
    if constexpr (requires { json_schema_annotations<T>::annotate(s); })
        json_schema_annotations<T>::annotate(s);
    return s;
}

// Whether the generator maps T, type by type as schema_of does (a recursive type is taken to map:
// schema_of refuses it at run time, deeper than max_schema_depth).
template <class T, int Depth = 0>
constexpr bool schema_mappable() {
    if constexpr (Depth > max_schema_depth) {
        return true;
    } else if constexpr (std::is_same_v<T, std::string> || std::is_arithmetic_v<T> ||
                         std::is_same_v<T, boost::json::value>) {
        return true;
    } else if constexpr (is_optional<T>::value || is_vector<T>::value || is_std_array<T>::value) {
        return schema_mappable<typename T::value_type, Depth + 1>();
    } else if constexpr (is_string_map<T>::value) {
        return schema_mappable<typename T::mapped_type, Depth + 1>();
    } else if constexpr (is_variant<T>::value) {
        return []<class... Ts>(std::variant<Ts...>*) {
            return (schema_mappable<Ts, Depth + 1>() && ...);
        }(static_cast<T*>(nullptr));
    } else if constexpr (boost::describe::has_describe_enumerators<T>::value) {
        return true;
    } else if constexpr (boost::describe::has_describe_members<T>::value) {
        using members = boost::describe::describe_members<T, boost::describe::mod_public |
                                                                 boost::describe::mod_inherited>;
        bool all = true;
        boost::mp11::mp_for_each<members>([&](auto d) {
            using M = std::remove_cvref_t<decltype(std::declval<T&>().*d.pointer)>;
            all = all && schema_mappable<M, Depth + 1>();
        });
        return all;
    } else {
        return false;
    }
}

// The sentence a misuse of the structured-output templates gets first.
template <class T>
constexpr void check_structured_type() {
    static_assert(schema_mappable<T>(),
                  "mistral::parse<T>, json_schema_of<T>, decode_json<T>: T must be a struct "
                  "described with BOOST_DESCRIBE_STRUCT whose members are described structs or "
                  "enums (BOOST_DESCRIBE_ENUM), std::string, bool, numbers, std::optional, "
                  "std::vector, std::array, std::map<std::string, T>, std::variant or "
                  "boost::json::value; this T (or a member of it) is none of those");
}

// Choice 0 of a reply, which structured output and the tool loop read.
inline const chat_choice& choice_zero(const chat_response& r, const char* who) {
    for (const auto& c : r.choices) {
        if (c.index == 0) return c;
    }
    throw protocol_error(std::string(who) + ": the response has no choice 0");
}

// A reply's JSON text: the text of choice 0 (string content or text chunks; thinking chunks
// skipped), without a Markdown code fence around it. A reply cut by the token limit is refused:
// its JSON is incomplete.
inline std::string structured_text(const chat_response& r) {
    const chat_choice& first = choice_zero(r, "structured reply");
    if (first.finish_reason == finish_reason::length ||
        first.finish_reason == finish_reason::model_length) {
        throw protocol_error("structured reply cut by the token limit (finish_reason \"" +
                             *first.finish_reason +
                             "\"): its JSON is incomplete; raise max_tokens");
    }
    const std::string text = first.message.text();
    constexpr std::string_view space = " \t\r\n";
    std::string_view t = text;
    t.remove_prefix(std::min(t.size(), t.find_first_not_of(space)));
    t = t.substr(0, t.find_last_not_of(space) + 1);
    if (t.size() >= 6 && t.starts_with("```") && t.ends_with("```")) {
        t.remove_suffix(3);
        const std::size_t info_end = t.find('\n');  // the fence line: ``` or ```json
        t.remove_prefix(info_end == std::string_view::npos ? t.size() : info_end + 1);
    }
    return std::string(t);
}

}  // namespace detail

/// The strict JSON Schema of T (see the table at the top of this header).
template <class T>
boost::json::object json_schema_of() {
    detail::check_structured_type<T>();
    return detail::schema_of<T>(0);
}

/// Structured output of type T: a strict json_schema response format named `name`.
template <class T>
response_format json_schema_format(std::string name) {
    return json_schema_format(
        json_schema{.name = std::move(name), .schema = json_schema_of<T>(), .strict = true});
}

/// JSON text decoded into T (a described struct or any type of the table above). Throws
/// protocol_error naming the JSON path of what does not fit, e.g. "population: expected
/// integer, got string", or saying that the text is not JSON.
template <class T>
T decode_json(std::string_view text) {
    detail::check_structured_type<T>();
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(text, ec);
    if (ec) {
        throw protocol_error("structured reply is not JSON (" + ec.message() +
                             "): " + detail::snippet(std::string(text)));
    }
    T out{};
    detail::json_path path;
    detail::read_value(out, v, path);
    return out;
}

/// A response's reply decoded into T: choice 0's text (string content or text chunks, thinking
/// skipped; a Markdown code fence around it is removed). A reply cut by the token limit
/// (finish_reason "length") is a protocol_error that says so.
template <class T>
T decode_reply(const chat_response& response) {
    return decode_json<T>(detail::structured_text(response));
}

MISTRAL_NAMESPACE_END
