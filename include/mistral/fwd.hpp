// mistral/fwd.hpp: forward declarations of the public types, for headers that only name them.
// Includes nothing.
// SPDX-License-Identifier: MIT
#pragma once

#include "detail/config.hpp"

/// @namespace mistral
/// @brief Everything of mistral-cpp: the client (basic_client, `mistral::client`), the value
/// types of the API, their JSON conversions, the helpers that build messages (user(), system(),
/// assistant(), tool_result()), structured output (json_schema_of(), decode_json()), the history
/// rules (check_history(), sanitize_tool_call_ids()), the transport concept and the SSE parser
/// (namespace sse). Declared in an inline namespace named after the version
/// (`mistral::v0_1_0`), which users never write.
MISTRAL_NAMESPACE_BEGIN

// types.hpp: content, messages, tools, requests, responses, chunks
struct text_chunk;
struct image_url;
struct image_url_chunk;
struct document_url_chunk;
struct reference_chunk;
struct file_chunk;
struct tool_reference_chunk;
struct thinking_chunk;
struct input_audio_chunk;
struct unknown_chunk;
struct function_call;
struct tool_call;
struct function_call_delta;
struct tool_call_delta;
struct system_message;
struct user_message;
struct assistant_message;
struct tool_message;
struct function_definition;
struct function_tool;
struct unknown_tool;
struct json_schema;
struct response_format;
struct prediction;
struct guardrail_config;
struct chat_request;
struct usage_info;
struct chat_choice;
struct chat_response;
struct delta_message;
struct chunk_choice;
struct chat_chunk;

// http.hpp
struct http_header;
class http_headers;
struct rate_limit_info;
struct response_metadata;

// error.hpp
class error;
class usage_error;
class api_error;
class transport_error;
class protocol_error;
class tool_loop_error;

// transport.hpp
struct http_request;
struct response_head;
class response_handler;
struct transport_options;
class any_transport;

// retry.hpp, stream.hpp, client.hpp
struct retry_policy;
class stream_accumulator;
struct client_options;
struct call_options;

// structured.hpp, tools.hpp
template <class T>
struct parsed_response;
class toolbox;
struct usage_count;
struct usage_totals;
struct tool_loop_options;

MISTRAL_NAMESPACE_END
