// mistral/types.hpp: value types of the whole chat-completions API.
// SPDX-License-Identifier: MIT
//
// Value types for the whole chat-completions API: requests, messages, content chunks, tools,
// responses, stream chunks, tool calls and usage. Plain aggregates: build them with designated
// initializers, compare them with ==, convert them with Boost.JSON (see json.hpp).
//
// Conventions, true of every type here:
// - Field names are the API's own. Optional API fields are std::optional: unset means "not
//   sent"; what you set is sent as set (an explicit false or 0 is sent).
// - Open enumerations (roles, finish reasons, reasoning effort, ...) are std::string, with the
//   known values as named constants; a value the library does not know is kept as received.
// - Every object type has `extra`: JSON members the library does not model. On input it
//   receives the unknown members, so a response converted back to JSON keeps what this version
//   does not know; on output its members are sent as they are, which lets you send an API field
//   this version does not know yet. It never holds a modelled member: one of those in `extra` is
//   not written (the modelled member alone decides what is sent).
// - A JSON null means "absent": a modelled member that arrives as null is unset (or takes its
//   default), and an unknown member whose value is null is not kept. So nothing the server sent
//   as null is sent back, and a folded stream converts to the JSON a non-streaming reply does.
// - "String or object" fields are std::variant and keep the form they came in. The sum types
//   (message, content, content_chunk, thinking_part, tool) are classes derived from std::variant
//   (detail/variant_type.hpp): std::visit, std::get, std::get_if, std::holds_alternative and ==
//   take them as they are; std::variant_size wants their base, detail::variant_base_t<T>.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/json/value.hpp>

#include "detail/config.hpp"
#include "detail/variant_type.hpp"
#include "http.hpp"

MISTRAL_NAMESPACE_BEGIN

/// Known message roles (open set).
namespace role {
inline constexpr const char* system = "system";        ///< instructions that frame the conversation
inline constexpr const char* user = "user";            ///< the person asking
inline constexpr const char* assistant = "assistant";  ///< the model's replies
inline constexpr const char* tool = "tool";            ///< the result of a tool call
}  // namespace role

/// Known finish reasons (open set): compare with `choice.finish_reason == finish_reason::stop`.
namespace finish_reason {
inline constexpr const char* stop = "stop";  ///< the reply ended naturally or at a stop sequence
inline constexpr const char* length = "length";  ///< max_tokens was reached
/// The model's context length was reached.
inline constexpr const char* model_length = "model_length";
inline constexpr const char* error = "error";            ///< the generation failed
inline constexpr const char* tool_calls = "tool_calls";  ///< the reply asks for tool calls
}  // namespace finish_reason

/// Values of chat_request::reasoning_effort (open set).
namespace reasoning_effort {
inline constexpr const char* none = "none";        ///< no reasoning
inline constexpr const char* minimal = "minimal";  ///< as little as possible
inline constexpr const char* low = "low";          ///< a little
inline constexpr const char* medium = "medium";    ///< the middle ground
inline constexpr const char* high = "high";        ///< more
inline constexpr const char* xhigh = "xhigh";      ///< the most
}  // namespace reasoning_effort

/// String values of chat_request::tool_choice (open set). `any` and `required` both force a
/// tool call; to force one named function use force_tool().
namespace tool_choice_mode {
inline constexpr const char* automatic = "auto";     ///< the model decides
inline constexpr const char* none = "none";          ///< no tool call
inline constexpr const char* any = "any";            ///< at least one tool call
inline constexpr const char* required = "required";  ///< the same as any
}  // namespace tool_choice_mode

/// Values of image_url::detail (open set).
namespace image_detail {
inline constexpr const char* low = "low";         ///< a low-resolution view
inline constexpr const char* automatic = "auto";  ///< the model decides
inline constexpr const char* high = "high";       ///< a high-resolution view
}  // namespace image_detail

// ---------------------------------------------------------------------------------------------
// Content chunks
// ---------------------------------------------------------------------------------------------

/// `{"type":"text","text":...}`: a piece of text.
struct text_chunk {
    std::string text{};  ///< the text
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const text_chunk&) const = default;
};

/// The object form of an image reference: a URL (or a `data:image/...;base64,` URL) and an
/// optional detail level ("low", "auto", "high").
struct image_url {
    std::string url{};  ///< an https URL or a data: URL (base64)
    std::optional<std::string> detail{};
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const image_url&) const = default;
};

/// `{"type":"image_url","image_url":...}`: an image, given as a plain URL string or as an
/// image_url object (the form is kept as given).
struct image_url_chunk {
    /// The image: a URL string or an image_url.
    std::variant<std::string, mistral::image_url> image_url{};
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const image_url_chunk&) const = default;
};

/// `{"type":"document_url",...}`: a document to read, by URL.
struct document_url_chunk {
    std::string document_url{};                  ///< the document's URL
    std::optional<std::string> document_name{};  ///< a name for it
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const document_url_chunk&) const = default;
};

/// A reference id: the API uses integers and strings.
using reference_id = std::variant<std::int64_t, std::string>;

/// `{"type":"reference","reference_ids":[...]}`: references to sources.
struct reference_chunk {
    std::vector<reference_id> reference_ids{};  ///< the ids of the references cited
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const reference_chunk&) const = default;
};

/// `{"type":"file","file_id":...}`: an uploaded file, by id.
struct file_chunk {
    std::string file_id{};  ///< the id of an uploaded file
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const file_chunk&) const = default;
};

/// `{"type":"tool_reference",...}`: a source a built-in tool used (only inside thinking).
struct tool_reference_chunk {
    std::string tool{};                        ///< the built-in tool that found it
    std::string title{};                       ///< the source's title
    std::optional<std::string> url{};          ///< the source's URL
    std::optional<std::string> favicon{};      ///< the source's icon
    std::optional<std::string> description{};  ///< a description of the source
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const tool_reference_chunk&) const = default;
};

/// A chunk whose `type` this version of the library does not know, kept whole (its `type`
/// member included) so that it is sent back and converted back exactly as received.
struct unknown_chunk {
    boost::json::object json{};  ///< the chunk as received, written back as it is
    /// The chunk's `type` member ("" if absent or not a string).
    MISTRAL_DECL std::string_view type() const noexcept;
    bool operator==(const unknown_chunk&) const = default;
};

/// What a thinking chunk contains.
using thinking_part =
    detail::variant_type<text_chunk, tool_reference_chunk, reference_chunk, unknown_chunk>;

/// `{"type":"thinking","thinking":[...]}`: a reasoning model's thinking. `signature` replays
/// reasoning across turns; `closed` (default true) is used when prefixing.
struct thinking_chunk {
    std::vector<thinking_part> thinking{};  ///< the reasoning: text chunks (and references)
    /// An opaque signature some models send with their reasoning.
    std::optional<std::string> signature{};
    std::optional<bool> closed{};  ///< whether the reasoning is complete
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    /// The concatenated text of the text parts.
    MISTRAL_DECL std::string text() const;
    bool operator==(const thinking_chunk&) const = default;
};

/// `{"type":"input_audio","input_audio":...}`: base64-encoded audio.
struct input_audio_chunk {
    std::string input_audio{};  ///< base64-encoded audio
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const input_audio_chunk&) const = default;
};

/// One element of a message's content list, discriminated by its `type`.
using content_chunk =
    detail::variant_type<text_chunk, image_url_chunk, document_url_chunk, reference_chunk,
                         file_chunk, thinking_chunk, input_audio_chunk, unknown_chunk>;

/// Message content: a string, or a list of chunks (the form is kept as given).
using content = detail::variant_type<std::string, std::vector<content_chunk>>;

/// The text of a content: the string itself, or the concatenated `text` chunks of a chunk list
/// (thinking excluded).
MISTRAL_DECL std::string text_of(const content& c);

/// The text of a content's thinking chunks, concatenated ("" for string content).
MISTRAL_DECL std::string thinking_of(const content& c);

// ---------------------------------------------------------------------------------------------
// Tool calls
// ---------------------------------------------------------------------------------------------

/// The function a tool call invokes. The API sends `arguments` as a JSON string; an object is
/// accepted too, and the form is kept. parse_arguments() (json.hpp) gives the object either way.
struct function_call {
    std::string name{};  ///< the function to call
    /// Its arguments: a JSON string (or an object), form kept.
    std::variant<std::string, boost::json::object> arguments{};
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const function_call&) const = default;
};

/// A tool call made by the model. `id` must be sent back in the tool message's `tool_call_id`
/// (the API requires 9 characters from [a-zA-Z0-9]). `index` orders parallel calls in a stream.
struct tool_call {
    /// The call's id ([a-zA-Z0-9]{9} for the API), which its result names.
    std::optional<std::string> id{};
    std::optional<std::string> type{};    ///< "function"
    function_call function{};             ///< what to call, with which arguments
    std::optional<std::int64_t> index{};  ///< the call's position among parallel calls
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const tool_call&) const = default;
};

/// A piece of a function call in a stream: every member may be absent. The official API sends
/// each call whole; OpenAI-compatible servers send the name first and the arguments in pieces.
struct function_call_delta {
    std::optional<std::string> name{};  ///< the name, when this piece carries it
    /// A piece of the arguments.
    std::optional<std::variant<std::string, boost::json::object>> arguments{};
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const function_call_delta&) const = default;
};

/// A piece of a tool call in a stream (delta_message::tool_calls). Pieces with the same `index`
/// belong to one call: stream_accumulator joins them into a tool_call (the first id, type and
/// name that arrive, the argument pieces concatenated in order).
struct tool_call_delta {
    std::optional<std::string> id{};                ///< the id, when this piece carries it
    std::optional<std::string> type{};              ///< "function", when this piece carries it
    std::optional<function_call_delta> function{};  ///< the name and a piece of the arguments
    std::optional<std::int64_t> index{};            ///< which call this piece belongs to
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const tool_call_delta&) const = default;
};

// ---------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------

/// A system message: instructions for the model. Its content is required (chunks: text and
/// thinking only).
struct system_message {
    mistral::content content{};  ///< the instructions
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    /// The text of the content.
    std::string text() const { return text_of(content); }
    bool operator==(const system_message&) const = default;
};

/// A user message. Content is a string or a list of chunks (text, images, documents, audio...);
/// unset content is sent as null.
struct user_message {
    /// The question: text, or chunks (text, images, documents...).
    std::optional<mistral::content> content{};
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    /// The text of the content ("" when unset).
    std::string text() const { return content ? text_of(*content) : std::string(); }
    bool operator==(const user_message&) const = default;
};

/// An assistant message: a reply of the model (in responses), or a past reply in the history.
/// Set `prefix` to true on a final assistant message to force the reply to start with its
/// content.
struct assistant_message {
    /// The reply: text or chunks (thinking included); unset with only tool calls.
    std::optional<mistral::content> content{};
    /// The tools the model asks to call.
    std::optional<std::vector<mistral::tool_call>> tool_calls{};
    /// True: the model continues this message instead of answering it.
    std::optional<bool> prefix{};
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    /// The text of the content, thinking excluded ("" when unset).
    std::string text() const { return content ? text_of(*content) : std::string(); }
    /// The text of the thinking chunks of a reasoning model's reply ("" if none).
    std::string thinking() const { return content ? thinking_of(*content) : std::string(); }
    bool operator==(const assistant_message&) const = default;
};

/// A tool message: the result of a tool call, sent back to the model. `tool_call_id` is the id
/// of the call it answers; unset content is sent as null.
struct tool_message {
    std::optional<mistral::content> content{};  ///< the tool's result
    std::optional<std::string> tool_call_id{};  ///< the id of the call it answers
    std::optional<std::string> name{};          ///< the function's name
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    /// The text of the content ("" when unset).
    std::string text() const { return content ? text_of(*content) : std::string(); }
    bool operator==(const tool_message&) const = default;
};

/// Any message of a conversation, discriminated by its `role`.
using message = detail::variant_type<system_message, user_message, assistant_message, tool_message>;

/// The role of a message: "system", "user", "assistant" or "tool".
inline std::string_view role_of(const message& m) noexcept {
    constexpr std::string_view names[] = {"system", "user", "assistant", "tool"};
    return names[m.index()];
}

/// The text of any message (see the text() member of each message type).
MISTRAL_DECL std::string text_of(const message& m);

/// A system message with text content. The `const char*` overloads of these helpers make an
/// unqualified `system("...")` after `using namespace mistral;` ambiguous (a compile error)
/// instead of silently calling the C library's ::system.
inline system_message system(std::string text) {
    return {.content = std::move(text)};
}
/// The same, for a string literal (see the overload above).
inline system_message system(const char* text) {
    return system(std::string(text));
}
/// A user message with text content.
inline user_message user(std::string text) {
    return {.content = std::move(text)};
}
/// The same, for a string literal (see the overload above).
inline user_message user(const char* text) {
    return user(std::string(text));
}
/// An assistant message with text content (a past reply, or a prefix when `prefix` is set).
inline assistant_message assistant(std::string text) {
    return {.content = std::move(text)};
}
/// The same, for a string literal (see the overload above).
inline assistant_message assistant(const char* text) {
    return assistant(std::string(text));
}
/// A tool message answering the tool call `tool_call_id` with a text result.
inline tool_message tool_result(std::string tool_call_id, std::string text) {
    return {.content = std::move(text), .tool_call_id = std::move(tool_call_id)};
}
/// The same, for a string literal (see the overload above).
inline tool_message tool_result(const char* tool_call_id, const char* text) {
    return tool_result(std::string(tool_call_id), std::string(text));
}
/// A tool message answering `call` with a text result: its `tool_call_id` is the call's id and
/// its `name` the function's name.
inline tool_message tool_result(const tool_call& call, std::string text) {
    return {.content = std::move(text), .tool_call_id = call.id, .name = call.function.name};
}

// ---------------------------------------------------------------------------------------------
// Tools
// ---------------------------------------------------------------------------------------------

/// A function the model may call: name, description and a JSON Schema object for its
/// parameters. `strict` asks the model to follow the schema exactly.
struct function_definition {
    std::string name{};                        ///< the name the model calls it by
    std::optional<std::string> description{};  ///< what it does, for the model
    std::optional<bool> strict{};      ///< true: the arguments must follow the schema exactly
    boost::json::object parameters{};  ///< the JSON Schema of its arguments
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const function_definition&) const = default;
};

/// `{"type":"function","function":{...}}`: a function tool.
struct function_tool {
    function_definition function{};  ///< the function
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const function_tool&) const = default;
};

/// Which of a built-in tool's actions to include, exclude or confirm.
struct tool_configuration {
    std::optional<std::vector<std::string>> exclude{};  ///< what the tool must not use
    std::optional<std::vector<std::string>> include{};  ///< what the tool may use
    /// Which uses need a confirmation.
    std::optional<std::vector<std::string>> requires_confirmation{};
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const tool_configuration&) const = default;
};

/// Built-in tool `{"type":"web_search"}`.
struct web_search_tool {
    std::optional<mistral::tool_configuration> tool_configuration{};  ///< how the tool may be used
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const web_search_tool&) const = default;
};
/// Built-in tool `{"type":"web_search_premium"}`.
struct web_search_premium_tool {
    std::optional<mistral::tool_configuration> tool_configuration{};  ///< how the tool may be used
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const web_search_premium_tool&) const = default;
};
/// Built-in tool `{"type":"code_interpreter"}`.
struct code_interpreter_tool {
    std::optional<mistral::tool_configuration> tool_configuration{};  ///< how the tool may be used
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const code_interpreter_tool&) const = default;
};
/// Built-in tool `{"type":"image_generation"}`.
struct image_generation_tool {
    std::optional<mistral::tool_configuration> tool_configuration{};  ///< how the tool may be used
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const image_generation_tool&) const = default;
};
/// Built-in tool `{"type":"document_library"}`: search the given libraries (at least one id).
struct document_library_tool {
    std::vector<std::string> library_ids{};                           ///< the libraries to search
    std::optional<mistral::tool_configuration> tool_configuration{};  ///< how the tool may be used
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const document_library_tool&) const = default;
};

/// Credentials for a connector: `type` is "api-key" or "oauth2-token". The value is a secret:
/// the library never logs request bodies.
struct connector_authorization {
    std::string type{};   ///< the kind of credential
    std::string value{};  ///< the credential (a secret: never logged)
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const connector_authorization&) const = default;
};

/// Built-in tool `{"type":"connector","connector_id":...}`: a custom connector.
struct connector_tool {
    std::string connector_id{};                                       ///< the connector
    std::optional<connector_authorization> authorization{};           ///< its credential
    std::optional<mistral::tool_configuration> tool_configuration{};  ///< how the tool may be used
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const connector_tool&) const = default;
};

/// A tool whose `type` this version of the library does not know, kept whole.
struct unknown_tool {
    boost::json::object json{};  ///< the tool as given, sent as it is
    bool operator==(const unknown_tool&) const = default;
};

/// Any tool of chat_request::tools, discriminated by its `type`.
using tool = detail::variant_type<function_tool, web_search_tool, web_search_premium_tool,
                                  code_interpreter_tool, image_generation_tool,
                                  document_library_tool, connector_tool, unknown_tool>;

/// A function tool from a name, a description and a JSON Schema for the parameters.
inline function_tool make_function_tool(std::string name, std::string description,
                                        boost::json::object parameters) {
    return {.function = {.name = std::move(name),
                         .description = std::move(description),
                         .parameters = std::move(parameters)}};
}

/// The `function` member of a named tool choice.
struct function_name {
    std::string name{};  ///< the function's name
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const function_name&) const = default;
};

/// `{"type":"function","function":{"name":...}}`: forces a call of that function.
struct named_tool_choice {
    std::string type = "function";  ///< "function"
    function_name function{};       ///< the function the model must call
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const named_tool_choice&) const = default;
};

/// chat_request::tool_choice: a mode string (see tool_choice_mode) or a named function.
using tool_choice = std::variant<std::string, named_tool_choice>;

/// A tool choice that forces a call of the named function.
inline named_tool_choice force_tool(std::string function_name) {
    return {.function = {.name = std::move(function_name)}};
}

// ---------------------------------------------------------------------------------------------
// Request
// ---------------------------------------------------------------------------------------------

/// A JSON Schema for structured output: `name` and `schema` are required; `strict` makes the
/// model follow it exactly (strict schemas need `additionalProperties: false` on objects).
struct json_schema {
    std::string name{};                        ///< a name for the schema
    std::optional<std::string> description{};  ///< what the reply is
    boost::json::object schema{};              ///< the JSON Schema the reply follows
    std::optional<bool> strict{};              ///< true: the reply follows it exactly
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const json_schema&) const = default;
};

/// The output format: `type` is "text" (the default), "json_object" (you must also ask for JSON
/// in the prompt) or "json_schema" (with `json_schema` set). See json_object_format() and
/// json_schema_format().
struct response_format {
    std::string type = "text";                          ///< "text", "json_object" or "json_schema"
    std::optional<mistral::json_schema> json_schema{};  ///< the schema, for "json_schema"
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const response_format&) const = default;
};

/// JSON mode: the reply is a JSON object.
inline response_format json_object_format() {
    return {.type = "json_object"};
}
/// Structured output: the reply follows the schema.
inline response_format json_schema_format(json_schema schema) {
    return {.type = "json_schema", .json_schema = std::move(schema)};
}

/// Predicted output: text the reply is expected to resemble, to speed up edits.
struct prediction {
    std::string type = "content";  ///< "content"
    std::string content{};         ///< the expected reply, which speeds up one close to it
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const prediction&) const = default;
};

/// Per-category thresholds of moderation_llm_v1 (unset categories use the default).
struct moderation_v1_thresholds {
    std::optional<double> sexual{};                   ///< the threshold of the category, 0 to 1
    std::optional<double> hate_and_discrimination{};  ///< the threshold of the category, 0 to 1
    std::optional<double> violence_and_threats{};     ///< the threshold of the category, 0 to 1
    /// The threshold of the category, 0 to 1.
    std::optional<double> dangerous_and_criminal_content{};
    std::optional<double> selfharm{};   ///< the threshold of the category, 0 to 1
    std::optional<double> health{};     ///< the threshold of the category, 0 to 1
    std::optional<double> financial{};  ///< the threshold of the category, 0 to 1
    std::optional<double> law{};        ///< the threshold of the category, 0 to 1
    std::optional<double> pii{};        ///< the threshold of the category, 0 to 1
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const moderation_v1_thresholds&) const = default;
};

/// Per-category thresholds of moderation_llm_v2 (unset categories use the default).
struct moderation_v2_thresholds {
    std::optional<double> sexual{};                   ///< the threshold of the category, 0 to 1
    std::optional<double> hate_and_discrimination{};  ///< the threshold of the category, 0 to 1
    std::optional<double> violence_and_threats{};     ///< the threshold of the category, 0 to 1
    std::optional<double> dangerous{};                ///< the threshold of the category, 0 to 1
    std::optional<double> criminal{};                 ///< the threshold of the category, 0 to 1
    std::optional<double> selfharm{};                 ///< the threshold of the category, 0 to 1
    std::optional<double> health{};                   ///< the threshold of the category, 0 to 1
    std::optional<double> financial{};                ///< the threshold of the category, 0 to 1
    std::optional<double> law{};                      ///< the threshold of the category, 0 to 1
    std::optional<double> pii{};                      ///< the threshold of the category, 0 to 1
    std::optional<double> jailbreaking{};             ///< the threshold of the category, 0 to 1
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const moderation_v2_thresholds&) const = default;
};

/// Settings of the v1 moderation guardrail. `action` is "none" (default) or "block".
struct moderation_llm_v1_config {
    std::optional<std::string> model_name{};  ///< the moderation model
    /// Per-category thresholds.
    std::optional<moderation_v1_thresholds> custom_category_thresholds{};
    std::optional<bool> ignore_other_categories{};  ///< true: only the listed categories count
    std::optional<std::string> action{};            ///< what a flagged request does
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const moderation_llm_v1_config&) const = default;
};

/// Settings of the v2 moderation guardrail. `action` is "none" (default) or "block".
struct moderation_llm_v2_config {
    std::optional<std::string> model_name{};  ///< the moderation model
    /// Per-category thresholds.
    std::optional<moderation_v2_thresholds> custom_category_thresholds{};
    std::optional<bool> ignore_other_categories{};  ///< true: only the listed categories count
    std::optional<std::string> action{};            ///< what a flagged request does
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const moderation_llm_v2_config&) const = default;
};

/// One guardrail. A request it blocks fails with HTTP 403 (an api_error).
struct guardrail_config {
    std::optional<bool> block_on_error{};  ///< true: a failing guardrail blocks the request
    /// Moderation with the v1 categories.
    std::optional<moderation_llm_v1_config> moderation_llm_v1{};
    /// Moderation with the v2 categories.
    std::optional<moderation_llm_v2_config> moderation_llm_v2{};
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const guardrail_config&) const = default;
};

/// chat_request::stop: one stop string or several.
using stop_sequences = std::variant<std::string, std::vector<std::string>>;

/// A chat completion request: `POST /v1/chat/completions`.
///
/// `model` and `messages` are required; every other field is optional and is sent only when
/// set. Members follow the specification's order, so designated initializers work:
///
///     mistral::chat_request req{.model = "mistral-small-latest",
///                               .messages = {mistral::user("Hi")},
///                               .temperature = 0.2, .max_tokens = 64};
///
/// `stream` need not be set: client::stream() always sends `"stream": true` and client::chat()
/// sends what you set (nothing by default). `extra` members are sent as they are.
struct chat_request {
    std::string model{};                        ///< the model, e.g. "mistral-small-latest"
    std::vector<message> messages{};            ///< the conversation so far
    std::optional<double> temperature{};        ///< sampling temperature (0 to 1.5 is useful)
    std::optional<double> top_p{};              ///< nucleus sampling: the probability mass kept
    std::optional<std::int64_t> max_tokens{};   ///< the most tokens the reply may have
    std::optional<bool> stream{};               ///< set by stream(); chat() refuses true
    std::optional<stop_sequences> stop{};       ///< one stop sequence or several
    std::optional<std::int64_t> random_seed{};  ///< a seed, for repeatable sampling
    /// Your own key-value pairs, kept with the request.
    std::optional<boost::json::object> metadata{};
    /// Text, JSON mode or a JSON Schema.
    std::optional<mistral::response_format> response_format{};
    std::optional<std::vector<tool>> tools{};  ///< the tools the model may call
    /// A mode (tool_choice_mode) or one named function.
    std::optional<mistral::tool_choice> tool_choice{};
    std::optional<double> presence_penalty{};         ///< discourages repeating topics
    std::optional<double> frequency_penalty{};        ///< discourages repeating words
    std::optional<std::int64_t> n{};                  ///< how many completions to return
    std::optional<mistral::prediction> prediction{};  ///< the expected reply, to speed it up
    std::optional<bool> parallel_tool_calls{};        ///< false: at most one tool call per reply
    /// How much the model reasons (reasoning_effort).
    std::optional<std::string> reasoning_effort{};
    /// "reasoning": the reasoning system prompt of reasoning models.
    std::optional<std::string> prompt_mode{};
    /// Moderation applied to the request.
    std::optional<std::vector<guardrail_config>> guardrails{};
    /// A key that groups requests sharing a prompt prefix, for caching.
    std::optional<std::string> prompt_cache_key{};
    std::optional<std::string> service_tier{};  ///< the service tier to run on
    std::optional<bool> safe_prompt{};          ///< true: prepend the safety prompt
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const chat_request&) const = default;
};

// ---------------------------------------------------------------------------------------------
// Responses and stream chunks
// ---------------------------------------------------------------------------------------------

/// `usage.prompt_tokens_details`: `cached_tokens` were served from the prompt cache.
struct prompt_tokens_details {
    std::optional<std::int64_t> cached_tokens{};  ///< prompt tokens served from the cache
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const prompt_tokens_details&) const = default;
};

/// `usage.completion_tokens_details`: `reasoning_tokens` were spent thinking.
struct completion_tokens_details {
    std::optional<std::int64_t> reasoning_tokens{};  ///< completion tokens spent reasoning
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const completion_tokens_details&) const = default;
};

/// Token accounting of a call.
struct usage_info {
    std::int64_t prompt_tokens = 0;                      ///< tokens of the prompt
    std::int64_t completion_tokens = 0;                  ///< tokens of the reply
    std::int64_t total_tokens = 0;                       ///< their sum
    std::optional<std::int64_t> prompt_audio_seconds{};  ///< seconds of audio in the prompt
    std::optional<std::string> service_tier{};           ///< the tier the request ran on
    /// The prompt's tokens in detail.
    std::optional<mistral::prompt_tokens_details> prompt_tokens_details{};
    /// The reply's tokens in detail.
    std::optional<mistral::completion_tokens_details> completion_tokens_details{};
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const usage_info&) const = default;
};

/// One choice of a response: the assistant's message and why it stopped (`finish_reason`, an
/// open set: see namespace finish_reason; null is kept as unset).
struct chat_choice {
    std::int64_t index = 0;                      ///< the choice's position
    assistant_message message{};                 ///< the reply
    std::optional<std::string> finish_reason{};  ///< why it ended (finish_reason)
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const chat_choice&) const = default;
};

/// A chat completion: the body of a non-streaming response, or what stream() accumulated.
/// `http` is not part of the JSON: it carries the status, headers, request id and rate limits
/// of the HTTP response (empty when the response did not come from a call).
struct chat_response {
    std::string id{};                    ///< the completion's id
    std::string object{};                ///< "chat.completion"
    std::string model{};                 ///< the model that answered
    std::int64_t created = 0;            ///< when, in seconds since the Unix epoch
    std::vector<chat_choice> choices{};  ///< the replies (one unless n > 1)
    usage_info usage{};                  ///< what the call cost
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    /// Status, headers, request id, rate limits and attempts of the exchange.
    response_metadata http{};
    /// The text of choice 0's message, thinking excluded ("" when there is no such choice).
    MISTRAL_DECL std::string text() const;
    bool operator==(const chat_response&) const = default;
};

/// The incremental part of a stream chunk's choice. The first delta usually carries the role;
/// content arrives piece by piece; tool calls arrive whole or in pieces, with an `index` that
/// identifies them.
struct delta_message {
    std::optional<std::string> role{};                         ///< "assistant", on the first piece
    std::optional<mistral::content> content{};                 ///< a piece of the reply
    std::optional<std::vector<tool_call_delta>> tool_calls{};  ///< pieces of tool calls
    std::optional<std::string> tool_call_id{};      ///< the call a piece answers, when sent
    std::optional<std::int64_t> index{};            ///< a position, when the server sends one
    std::optional<boost::json::object> metadata{};  ///< the server's metadata, when sent
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    /// The text of this piece, thinking excluded ("" when none).
    std::string text() const { return content ? text_of(*content) : std::string(); }
    /// The thinking text of this piece ("" if none).
    std::string thinking() const { return content ? thinking_of(*content) : std::string(); }
    bool operator==(const delta_message&) const = default;
};

/// One choice of a stream chunk. `finish_reason` is set on the choice's last chunk.
struct chunk_choice {
    std::int64_t index = 0;                      ///< which choice the piece belongs to
    delta_message delta{};                       ///< the piece
    std::optional<std::string> finish_reason{};  ///< why the choice ended, on its last piece
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    bool operator==(const chunk_choice&) const = default;
};

/// One `chat.completion.chunk` event of a stream. The official API puts `usage` on the last
/// content chunk; OpenAI-compatible servers send it in a last chunk whose `choices` is empty.
struct chat_chunk {
    std::string id{};                       ///< the completion's id
    std::optional<std::string> object{};    ///< "chat.completion.chunk"
    std::optional<std::int64_t> created{};  ///< when, in seconds since the Unix epoch
    std::string model{};                    ///< the model that answers
    std::vector<chunk_choice> choices{};    ///< the pieces of each choice
    std::optional<usage_info> usage{};      ///< what the call cost, on the last chunk
    /// Members the library does not model: kept as received, written back as they are.
    boost::json::object extra{};
    /// The text of choice 0's delta, thinking excluded: "" when the chunk carries nothing for
    /// choice 0 (a usage-only chunk with no choices, or another choice's piece when n > 1), so
    /// appending text() of every chunk gives the text of choice 0.
    MISTRAL_DECL std::string text() const;
    bool operator==(const chat_chunk&) const = default;
};

MISTRAL_NAMESPACE_END

#ifndef MISTRAL_SEPARATE_COMPILATION
#include "impl/types.hpp"
#endif
