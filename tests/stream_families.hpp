// stream_families.hpp: the server families of tests/fixtures/streams, shared by the
// compatibility matrix (test_compat.cpp) and the specification check (test_spec.cpp).
#pragma once

#include <mistral/json.hpp>

#include <string>

namespace mistral::test {

struct stream_family {
    const char* name;  ///< tests/fixtures/streams/NAME.{sse,response.json,message.json}
    const char* description;
};

inline constexpr stream_family stream_families[] = {
    {"mistral_text", "official API: text, usage on the last content chunk"},
    {"mistral_tool_calls", "official API: parallel calls, each whole, in one delta"},
    {"mistral_reasoning", "official API: thinking chunks as lists, then text chunks"},
    {"openai_compat_text", "OpenAI-compatible: usage null on every chunk, a usage-only chunk"},
    {"openai_compat_tool_calls", "OpenAI-compatible: calls split in pieces, interleaved"},
    {"vllm_tool_calls", "vLLM: the name first, then the arguments in pieces"},
    {"llamacpp_text", "llama.cpp: content null, timings, ends after one line end"},
    {"gateway_keepalive", "gateways: comments, CRLF, data: without a space, ids, retry"},
    {"n2_interleaved", "n = 2: the choices interleave, one calls a tool"},
};

inline constexpr const char* family_question = "A question";

/// The turn after a reply: the question, the reply, one tool result per call it made.
inline chat_request next_request(const assistant_message& reply) {
    chat_request next{.model = "mistral-small-latest", .messages = {user(family_question)}};
    next.messages.push_back(reply);
    if (reply.tool_calls) {
        for (const tool_call& call : *reply.tool_calls) {
            next.messages.push_back(tool_result(call, "result of " + call.function.name));
        }
    }
    return next;
}

}  // namespace mistral::test
